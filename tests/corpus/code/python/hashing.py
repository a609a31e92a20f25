"""File integrity and password helpers."""

import hashlib
import hmac
from hashlib import sha512 as _sha512

CHUNK = 65536


def legacy_etag(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def git_object_id(data: bytes) -> str:
    header = f"blob {len(data)}\0".encode()
    return hashlib.sha1(header + data).hexdigest()


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def content_id(data: bytes) -> str:
    return hashlib.new("sha3_256", data).hexdigest()


def cache_key(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def strong_digest(data: bytes) -> bytes:
    return _sha512(data).digest()


def derive_password_key(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)


def derive_scrypt(password: bytes, salt: bytes) -> bytes:
    return hashlib.scrypt(password, salt=salt, n=2**14, r=8, p=1)


def sign_webhook(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def sign_legacy(secret: bytes, body: bytes) -> bytes:
    return hmac.digest(secret, body, "sha1")


def verify(secret: bytes, body: bytes, tag: str) -> bool:
    return hmac.compare_digest(sign_webhook(secret, body), tag)
