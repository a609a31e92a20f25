"""Known-answer test vectors kept as data (no algorithm is run here)."""

VECTORS = [
    {"algorithm": "SHA-256", "message": "abc",
     "digest": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"algorithm": "MD5", "message": "", "digest": "d41d8cd98f00b204e9800998ecf8427e"},
    {"algorithm": "AES-128-ECB", "key": "2b7e151628aed2a6abf7158809cf4f3c",
     "plaintext": "6bc1bee22e409f96e93d7e117393172a"},
]


def names() -> list[str]:
    return [v["algorithm"] for v in VECTORS]
