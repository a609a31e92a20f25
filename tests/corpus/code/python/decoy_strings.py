"""Crypto API names inside strings and messages."""

import logging

log = logging.getLogger(__name__)

MIGRATION_NOTE = "Replace hashlib.md5(data) with hashlib.sha256(data) before release."
SNIPPET = 'Cipher.getInstance("DES/ECB/PKCS5Padding")'


def warn(algorithm: str) -> None:
    log.warning("algorithm %s is deprecated; use RSA-3072 or ML-KEM-768 instead", algorithm)
    print(f"hmac.new(key, msg, hashlib.sha1) is no longer accepted ({algorithm})")
