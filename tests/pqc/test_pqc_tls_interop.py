"""X25519MLKEM768 against a real peer: a TLS 1.3 handshake with rustls (Deno.serve) on 127.0.0.1.

Our hybrid code builds the client key share and decapsulates the server's; an independent TLS 1.3
key schedule (plain hmac/hashlib) then decrypts the server's EncryptedExtensions. A wrong combined
secret — e.g. the two halves swapped — cannot open the record.
"""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from pqc_tls13_client import decrypt_record, exchange, server_handshake_keys

from qrisk.pqc.hybrid import tls_hybrid_group


def test_x25519mlkem768_handshake_with_rustls(deno_tls_server: tuple[str, int]) -> None:
    host, port = deno_tls_server
    group = tls_hybrid_group("X25519MLKEM768")
    client = group.keygen()
    ex = exchange(host, port, group.codepoint, client.public_key)
    sh = ex.server_hello
    assert not sh.is_hello_retry_request
    assert sh.version == 0x0304
    assert sh.group == 0x11EC
    assert len(sh.key_exchange) == 1088 + 32  # ML-KEM-768 ciphertext || X25519 share
    shared = group.decapsulate(client, sh.key_exchange)
    assert ex.first_encrypted is not None
    key, iv = server_handshake_keys(shared, ex.client_hello + sh.raw)
    content_type, content = decrypt_record(key, iv, 0, *ex.first_encrypted)
    assert content_type == 22 and content[0] == 8  # handshake / EncryptedExtensions

    swapped = shared[32:] + shared[:32]
    key, iv = server_handshake_keys(swapped, ex.client_hello + sh.raw)
    with pytest.raises(InvalidTag):
        decrypt_record(key, iv, 0, *ex.first_encrypted)
