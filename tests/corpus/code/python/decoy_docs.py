"""Helpers whose documentation talks about cryptography.

Example::

    >>> import hashlib
    >>> hashlib.sha256(b"abc").hexdigest()[:8]
    'ba7816bf'

We never call rsa.generate_private_key(public_exponent=65537, key_size=1024) here.
"""

# hashlib.md5(data) was replaced by the constant-time comparison below.
# Cipher(algorithms.AES(key), modes.ECB()) is what the old code used.


def constant_time_equal(a: bytes, b: bytes) -> bool:
    """Compare without early exit; see RFC 2104 for HMAC-SHA1 test vectors."""
    if len(a) != len(b):
        return False
    result = 0
    for x, y in zip(a, b):
        result |= x ^ y
    return result == 0
