"""PyCryptodome and PyNaCl usage."""

from Crypto.Cipher import AES, DES3, PKCS1_OAEP
from Crypto.Hash import HMAC, SHA1, SHA256
from Crypto.PublicKey import ECC, RSA
from Crypto.Random import get_random_bytes
from Crypto.Signature import pkcs1_15
from nacl.public import PrivateKey
from nacl.secret import SecretBox
from nacl.signing import SigningKey


def make_rsa():
    return RSA.generate(2048)


def wrap_key(public_key, session_key: bytes) -> bytes:
    return PKCS1_OAEP.new(public_key).encrypt(session_key)


def ecb_encrypt(data: bytes) -> bytes:
    key = get_random_bytes(16)
    return AES.new(key, AES.MODE_ECB).encrypt(data)


def tdes(key: bytes, iv: bytes, data: bytes) -> bytes:
    return DES3.new(key, DES3.MODE_CBC, iv).encrypt(data)


def checksum(data: bytes) -> str:
    return SHA256.new(data).hexdigest()


def mac(key: bytes, data: bytes) -> str:
    return HMAC.new(key, data, digestmod=SHA1).hexdigest()


def sign(key, data: bytes) -> bytes:
    h = SHA256.new(data)
    return pkcs1_15.new(key).sign(h)


def make_ecc():
    return ECC.generate(curve="P-384")


def nacl_identity():
    return SigningKey.generate()


def nacl_box_key():
    return PrivateKey.generate()


def nacl_secret(key: bytes, message: bytes) -> bytes:
    return SecretBox(key).encrypt(message)
