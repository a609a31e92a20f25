"""Settlement file signing and encryption (sample code for qrisk's quick start)."""

import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def new_signing_key():
    # RSA-2048 keys for settlement batches
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sign_batch(key, payload: bytes) -> bytes:
    return key.sign(payload, padding.PKCS1v15(), hashes.SHA256())


def encrypt_record(key: bytes, iv: bytes, record: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(record) + encryptor.finalize()


def legacy_checksum(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()
