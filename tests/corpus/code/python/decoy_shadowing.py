"""Local objects that shadow crypto module names."""


class _FakeHashlib:
    def md5(self, data: bytes) -> bytes:
        return data[:16]


def checksum(data: bytes, hashlib=_FakeHashlib()) -> bytes:
    return hashlib.md5(data)


def keyed(hmac, key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg)


def build(rsa) -> object:
    return rsa.generate_private_key(public_exponent=3, key_size=512)
