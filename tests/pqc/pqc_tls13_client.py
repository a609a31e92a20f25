"""A minimal TLS 1.3 client, enough to check a hybrid key share against a real server.

It sends one ClientHello offering only TLS_AES_128_GCM_SHA256 and one key-exchange group,
reads the ServerHello, and — given the (EC)DHE shared secret the caller computed from the
server's key share — runs the RFC 8446 §7.1 key schedule with plain ``hmac``/``hashlib``
(independent of the code under test) and decrypts the server's first encrypted handshake
record, which must be EncryptedExtensions (RFC 8446 §4.3.1). A successful AEAD decryption
proves both sides derived the same handshake secret.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TLS_AES_128_GCM_SHA256 = 0x1301
# RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest.
HRR_RANDOM = hashlib.sha256(b"HelloRetryRequest").digest()


def _u8(data: bytes) -> bytes:
    return struct.pack("!B", len(data)) + data


def _u16(data: bytes) -> bytes:
    return struct.pack("!H", len(data)) + data


def _ext(ext_type: int, body: bytes) -> bytes:
    return struct.pack("!H", ext_type) + _u16(body)


def client_hello(group: int, key_share: bytes, server_name: str = "localhost") -> bytes:
    """A ClientHello handshake message (RFC 8446 §4.1.2) offering one group with its share."""
    name = server_name.encode()
    extensions = b"".join(
        [
            _ext(0, _u16(b"\x00" + _u16(name))),  # server_name (RFC 6066 §3)
            _ext(10, _u16(struct.pack("!H", group))),  # supported_groups
            # signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256/384/512, ed25519
            _ext(13, _u16(struct.pack("!6H", 0x0403, 0x0804, 0x0805, 0x0806, 0x0807, 0x0503))),
            _ext(43, _u8(struct.pack("!H", 0x0304))),  # supported_versions: TLS 1.3
            _ext(45, _u8(b"\x01")),  # psk_key_exchange_modes: psk_dhe_ke
            _ext(51, _u16(struct.pack("!H", group) + _u16(key_share))),  # key_share
        ]
    )
    body = (
        b"\x03\x03"
        + os.urandom(32)
        + _u8(os.urandom(32))  # legacy_session_id (middlebox compatibility, §D.4)
        + _u16(struct.pack("!H", TLS_AES_128_GCM_SHA256))
        + _u8(b"\x00")
        + _u16(extensions)
    )
    return b"\x01" + len(body).to_bytes(3, "big") + body


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def read_record(sock: socket.socket) -> tuple[int, bytes, bytes]:
    """(content type, header, payload) of the next TLS record."""
    header = _recv_exact(sock, 5)
    content_type, _version, length = struct.unpack("!BHH", header)
    return content_type, header, _recv_exact(sock, length)


@dataclass
class ServerHello:
    raw: bytes
    """The whole handshake message (type + length + body), for the transcript."""
    random: bytes
    cipher_suite: int
    version: int
    group: int
    key_exchange: bytes

    @property
    def is_hello_retry_request(self) -> bool:
        return self.random == HRR_RANDOM


def parse_server_hello(msg: bytes) -> ServerHello:
    if msg[0] != 2:
        raise ValueError(f"expected ServerHello (2), got handshake type {msg[0]}")
    body = msg[4:]
    random = body[2:34]
    sid_len = body[34]
    pos = 35 + sid_len
    (suite,) = struct.unpack("!H", body[pos : pos + 2])
    pos += 3  # cipher suite + legacy_compression_method
    (ext_total,) = struct.unpack("!H", body[pos : pos + 2])
    pos += 2
    end = pos + ext_total
    version = group = 0
    key_exchange = b""
    while pos < end:
        ext_type, ext_len = struct.unpack("!HH", body[pos : pos + 4])
        data = body[pos + 4 : pos + 4 + ext_len]
        pos += 4 + ext_len
        if ext_type == 43:
            (version,) = struct.unpack("!H", data)
        elif ext_type == 51:
            (group,) = struct.unpack("!H", data[:2])
            if len(data) > 2:
                key_exchange = data[4 : 4 + struct.unpack("!H", data[2:4])[0]]
    return ServerHello(msg, random, suite, version, group, key_exchange)


# ---------------------------------------------------------------- RFC 8446 §7.1 key schedule


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def hkdf_expand_label(secret: bytes, label: str, context: bytes, length: int) -> bytes:
    full = b"tls13 " + label.encode()
    info = struct.pack("!H", length) + _u8(full) + _u8(context)
    return hkdf_expand(secret, info, length)


def derive_secret(secret: bytes, label: str, transcript: bytes) -> bytes:
    return hkdf_expand_label(secret, label, hashlib.sha256(transcript).digest(), 32)


def server_handshake_keys(shared_secret: bytes, transcript: bytes) -> tuple[bytes, bytes]:
    """(key, iv) protecting the server's handshake records (RFC 8446 §7.1, §7.3)."""
    zeros = b"\x00" * 32
    early = hkdf_extract(zeros, zeros)
    derived = derive_secret(early, "derived", b"")
    handshake_secret = hkdf_extract(derived, shared_secret)
    s_hs = derive_secret(handshake_secret, "s hs traffic", transcript)
    return hkdf_expand_label(s_hs, "key", b"", 16), hkdf_expand_label(s_hs, "iv", b"", 12)


def decrypt_record(key: bytes, iv: bytes, seq: int, header: bytes, payload: bytes) -> tuple[int, bytes]:
    """RFC 8446 §5.2-5.3: AEAD-open one record; returns (inner content type, content)."""
    nonce = bytes(a ^ b for a, b in zip(iv, seq.to_bytes(12, "big"), strict=True))
    inner = AESGCM(key).decrypt(nonce, payload, header).rstrip(b"\x00")
    return inner[-1], inner[:-1]


@dataclass
class Exchange:
    """What one ClientHello/ServerHello round trip returned."""

    client_hello: bytes
    server_hello: ServerHello
    first_encrypted: tuple[bytes, bytes] | None
    """(record header, payload) of the first protected record after the ServerHello."""


def exchange(host: str, port: int, group: int, key_share: bytes, timeout_s: float = 10.0) -> Exchange:
    """Send a ClientHello and collect the ServerHello and the first encrypted record."""
    ch = client_hello(group, key_share)
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.sendall(b"\x16\x03\x01" + _u16(ch))
        handshake = b""
        sh: ServerHello | None = None
        while True:
            ctype, header, payload = read_record(sock)
            if ctype == 0x15:
                raise ConnectionError(f"server sent alert {payload.hex()}")
            if ctype == 0x16 and sh is None:
                handshake += payload
                if len(handshake) >= 4:
                    length = int.from_bytes(handshake[1:4], "big")
                    if len(handshake) >= 4 + length:
                        sh = parse_server_hello(handshake[: 4 + length])
                        if sh.is_hello_retry_request:
                            return Exchange(ch, sh, None)
                continue
            if ctype == 0x14:  # change_cipher_spec for middlebox compatibility: ignore
                continue
            if ctype == 0x17 and sh is not None:
                return Exchange(ch, sh, (header, payload))
            raise ConnectionError(f"unexpected record type {ctype}")
