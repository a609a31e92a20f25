"""Service glue: SSH keys, tokens, TLS and password storage."""

import ssl

import bcrypt
import jwt
import oqs
import paramiko


def host_key() -> paramiko.RSAKey:
    return paramiko.RSAKey.generate(bits=4096)


def ecdsa_host_key() -> paramiko.ECDSAKey:
    return paramiko.ECDSAKey.generate(bits=384)


def issue(payload: dict, private_pem: str) -> str:
    return jwt.encode(payload, private_pem, algorithm="RS256")


def check(token: str, secret: str) -> dict:
    return jwt.decode(token, secret, algorithms=["HS256"])


def server_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.set_ecdh_curve("prime256v1")
    return ctx


def store_password(password: bytes) -> bytes:
    return bcrypt.hashpw(password, bcrypt.gensalt())


def pq_client():
    with oqs.KeyEncapsulation("ML-KEM-768") as kem:
        return kem.generate_keypair()
