"""TLS prober on raw sockets: crafted ClientHellos; ServerHello, HelloRetryRequest and alerts parsed.

What a server *negotiates* is learned without completing a handshake where none is
needed: one ClientHello per TCP connection, the server's first flight read, the
connection closed. The certificate chain comes from one normal handshake with the
standard library's :mod:`ssl` (TLS 1.3 encrypts it), plus any chain a TLS 1.2 server
sends in clear while its suites are enumerated.

A full profile (versions, key-exchange groups with the server's preference, TLS 1.3
and TLS 1.2 suites, chain) costs ``groups + suites + ~8`` round trips; see :func:`profile_tls`.

References: RFC 8446 (TLS 1.3), RFC 5246 (TLS 1.2), RFC 8422 (ECC for TLS ≤ 1.2),
RFC 7919 (FFDHE groups), RFC 7685 (padding), RFC 8734 (brainpool for TLS 1.3),
draft-ietf-tls-ecdhe-mlkem / draft-kwiatkowski-tls-ecdhe-mlkem (X25519MLKEM768,
SecP256r1MLKEM768, SecP384r1MLKEM1024), draft-tls-westerbaan-xyber768d00
(X25519Kyber768Draft00), draft-connolly-tls-mlkem-key-agreement (pure ML-KEM groups),
the IANA "TLS Cipher Suites" and "TLS Supported Groups" registries.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import os
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, mlkem, x448, x25519

from qrisk.scan.network import Address, Channel, Counters, ErrorReason, Limits, PeerClosed, ProbeError

# --------------------------------------------------------------------------- versions

TLS10, TLS11, TLS12, TLS13 = 0x0301, 0x0302, 0x0303, 0x0304
VERSION_NAMES = {0x0300: "SSL 3.0", TLS10: "TLS 1.0", TLS11: "TLS 1.1", TLS12: "TLS 1.2", TLS13: "TLS 1.3"}
VERSION_NUMBERS = {TLS10: "1.0", TLS11: "1.1", TLS12: "1.2", TLS13: "1.3"}

# RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose random is SHA-256("HelloRetryRequest").
HRR_RANDOM = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")
# RFC 8446 §4.1.3: a TLS 1.3 server negotiating a lower version ends its random with these.
_DOWNGRADE_SENTINELS = (b"DOWNGRD\x01", b"DOWNGRD\x00")

# Record layer limits: RFC 5246 §6.2.3 (TLSCiphertext ≤ 2^14 + 2048), RFC 8446 §5.2 (2^14 + 256).
MAX_RECORD = 2**14 + 2048
# A handshake message may claim up to 2^24 - 1 bytes (RFC 8446 §4); real chains are far
# smaller, and a hostile length must not make us wait for or buffer 16 MB.
MAX_HANDSHAKE_MESSAGE = 256 * 1024
MAX_FLIGHT = 512 * 1024

_CT_CCS, _CT_ALERT, _CT_HANDSHAKE, _CT_APPDATA = 20, 21, 22, 23
_HS_SERVER_HELLO, _HS_CERTIFICATE, _HS_SKE, _HS_CERT_REQUEST, _HS_DONE = 2, 11, 12, 13, 14

# RFC 8446 §6 / RFC 5246 §7.2 alert descriptions (for messages only).
ALERTS = {
    0: "close_notify",
    10: "unexpected_message",
    20: "bad_record_mac",
    40: "handshake_failure",
    42: "bad_certificate",
    47: "illegal_parameter",
    50: "decode_error",
    51: "decrypt_error",
    70: "protocol_version",
    71: "insufficient_security",
    80: "internal_error",
    86: "inappropriate_fallback",
    90: "user_canceled",
    109: "missing_extension",
    110: "unsupported_extension",
    112: "unrecognized_name",
    116: "certificate_required",
    120: "no_application_protocol",
}


def alert_name(code: int) -> str:
    return ALERTS.get(code, f"alert {code}")


# --------------------------------------------------------------------------- groups


class GroupKind(enum.StrEnum):
    """How a named group exchanges keys."""

    HYBRID = "hybrid"
    """Classical ECDH combined with ML-KEM/Kyber (quantum-safe if either part holds)."""
    PQ = "pq"
    """Pure ML-KEM."""
    ECDHE = "ecdhe"
    FFDHE = "ffdhe"


def _x25519_share() -> bytes:
    return x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()


def _x448_share() -> bytes:
    return x448.X448PrivateKey.generate().public_key().public_bytes_raw()


def _ec_share(curve: ec.EllipticCurve) -> Callable[[], bytes]:
    def share() -> bytes:
        return (
            ec.generate_private_key(curve)
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )

    return share


def _mlkem768() -> bytes:
    return mlkem.MLKEM768PrivateKey.generate().public_key().public_bytes_raw()


def _mlkem1024() -> bytes:
    return mlkem.MLKEM1024PrivateKey.generate().public_key().public_bytes_raw()


def _concat(*parts: Callable[[], bytes]) -> Callable[[], bytes]:
    return lambda: b"".join(p() for p in parts)


@dataclass(frozen=True)
class Group:
    """A TLS NamedGroup (IANA "TLS Supported Groups" registry)."""

    code: int
    name: str
    """Name as the registry writes it; resolves through the qrisk catalog."""
    kind: GroupKind
    tls13: bool
    """Usable in TLS 1.3 (RFC 8446 §4.2.7 lists which classical groups are)."""
    tls12: bool
    """Usable for (EC)DHE in TLS ≤ 1.2 (RFC 8422 §5.1.1, RFC 7919)."""
    make_share: Callable[[], bytes] | None = None
    """Builds a valid client key share, when we can."""
    server_share_len: int | None = None
    """Length of a well-formed server key share (ciphertext ‖ ECDH share for hybrids)."""


# Our offer order: post-quantum hybrids first, then pure ML-KEM, then classical.
GROUPS: tuple[Group, ...] = (
    # draft-kwiatkowski-tls-ecdhe-mlkem §4.1: client share = ML-KEM-768 ek ‖ X25519 share (1216 bytes);
    # server share = ML-KEM ciphertext ‖ X25519 share (1088 + 32).
    Group(0x11EC, "X25519MLKEM768", GroupKind.HYBRID, True, False, _concat(_mlkem768, _x25519_share), 1088 + 32),
    # draft-kwiatkowski-tls-ecdhe-mlkem: ECDH share first for the NIST-curve hybrids.
    Group(0x11EB, "SecP256r1MLKEM768", GroupKind.HYBRID, True, False,
          _concat(_ec_share(ec.SECP256R1()), _mlkem768), 65 + 1088),
    Group(0x11ED, "SecP384r1MLKEM1024", GroupKind.HYBRID, True, False,
          _concat(_ec_share(ec.SECP384R1()), _mlkem1024), 97 + 1568),
    # draft-tls-westerbaan-xyber768d00: X25519 share ‖ Kyber768 public key (same encoding as
    # an ML-KEM-768 encapsulation key); server: X25519 ‖ Kyber ciphertext.
    Group(0x6399, "X25519Kyber768Draft00", GroupKind.HYBRID, True, False, _concat(_x25519_share, _mlkem768),
          32 + 1088),
    # draft-connolly-tls-mlkem-key-agreement (pure ML-KEM). cryptography has no ML-KEM-512:
    # that group is learned from HelloRetryRequest only.
    Group(0x0201, "MLKEM768", GroupKind.PQ, True, False, _mlkem768, 1088),
    Group(0x0202, "MLKEM1024", GroupKind.PQ, True, False, _mlkem1024, 1568),
    Group(0x0200, "MLKEM512", GroupKind.PQ, True, False, None, 768),
    # RFC 8446 §4.2.7, RFC 7748, RFC 8422.
    Group(0x001D, "x25519", GroupKind.ECDHE, True, True, _x25519_share, 32),
    Group(0x0017, "secp256r1", GroupKind.ECDHE, True, True, _ec_share(ec.SECP256R1()), 65),
    Group(0x0018, "secp384r1", GroupKind.ECDHE, True, True, _ec_share(ec.SECP384R1()), 97),
    Group(0x0019, "secp521r1", GroupKind.ECDHE, True, True, _ec_share(ec.SECP521R1()), 133),
    Group(0x001E, "x448", GroupKind.ECDHE, True, True, _x448_share, 56),
    # RFC 8734 (TLS 1.3 brainpool) and RFC 7027 (TLS ≤ 1.2 brainpool).
    Group(0x001F, "brainpoolP256r1", GroupKind.ECDHE, True, False, None, 65),
    Group(0x0020, "brainpoolP384r1", GroupKind.ECDHE, True, False, None, 97),
    Group(0x0021, "brainpoolP512r1", GroupKind.ECDHE, True, False, None, 129),
    Group(0x001A, "brainpoolP256r1", GroupKind.ECDHE, False, True),
    Group(0x001B, "brainpoolP384r1", GroupKind.ECDHE, False, True),
    Group(0x001C, "brainpoolP512r1", GroupKind.ECDHE, False, True),
    # Deprecated curves (RFC 8422 §5.1.1): still worth knowing if a server takes them.
    Group(0x0016, "secp256k1", GroupKind.ECDHE, False, True),
    Group(0x0015, "secp224r1", GroupKind.ECDHE, False, True),
    Group(0x0013, "secp192r1", GroupKind.ECDHE, False, True),
    # RFC 7919 §2: FFDHE groups, usable in TLS 1.3 and as DHE groups in TLS 1.2.
    Group(0x0100, "ffdhe2048", GroupKind.FFDHE, True, True, None, 256),
    Group(0x0101, "ffdhe3072", GroupKind.FFDHE, True, True, None, 384),
    Group(0x0102, "ffdhe4096", GroupKind.FFDHE, True, True, None, 512),
    Group(0x0103, "ffdhe6144", GroupKind.FFDHE, True, True, None, 768),
    Group(0x0104, "ffdhe8192", GroupKind.FFDHE, True, True, None, 1024),
)
GROUPS_BY_CODE: dict[int, Group] = {g.code: g for g in GROUPS}
TLS13_GROUPS = tuple(g for g in GROUPS if g.tls13)
TLS12_GROUPS = tuple(g for g in GROUPS if g.tls12)
TLS12_EC_GROUPS = tuple(g for g in TLS12_GROUPS if g.kind is GroupKind.ECDHE)
PQ_KINDS = frozenset({GroupKind.HYBRID, GroupKind.PQ})

_share_lock = threading.Lock()


@functools.cache
def _cached_share(code: int) -> bytes:
    # One ephemeral key pair per group and process: the prober never completes a
    # handshake, so re-using the public share across probes leaks nothing.
    group = GROUPS_BY_CODE[code]
    assert group.make_share is not None
    with _share_lock:
        return group.make_share()


def client_share(code: int) -> bytes | None:
    """A valid client key share for group ``code``, or None when we cannot build one."""
    group = GROUPS_BY_CODE.get(code)
    if group is None or group.make_share is None:
        return None
    return _cached_share(code)


# --------------------------------------------------------------------------- cipher suites


@dataclass(frozen=True)
class CipherSuite:
    """A cipher suite (IANA "TLS Cipher Suites" registry), split into its parts."""

    code: int
    name: str
    kx: str
    """Key exchange: ``TLS13`` (negotiated separately), ``ECDHE``, ``DHE``, ``RSA`` (key transport),
    ``ECDH``/``DH`` (static), ``ECDH_anon``/``DH_anon``, ``RSA_EXPORT``."""
    auth: str
    """Server authentication: ``RSA``, ``ECDSA``, ``DSA``, ``anon``, or ``cert`` (TLS 1.3: from the certificate)."""
    cipher: str
    """Bulk cipher in catalog spelling (``AES-128``, ``ChaCha20-Poly1305``, ``3DES``, ``NULL``…)."""
    mode: str | None
    mac: str | None
    """Record MAC for non-AEAD suites (``HMAC-SHA1``…), None for AEAD."""

    @property
    def tls13(self) -> bool:
        return self.kx == "TLS13"

    @property
    def forward_secret(self) -> bool:
        return self.kx in ("TLS13", "ECDHE", "DHE", "ECDH_anon", "DH_anon")


def _suite(code: int, name: str) -> CipherSuite:
    """Split an IANA suite name (``TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256``) into its parts."""
    body = name.removeprefix("TLS_")
    if "_WITH_" not in body:  # TLS 1.3 (RFC 8446 §B.4): TLS_AEAD_HASH
        kx, auth, rest = "TLS13", "cert", body
    else:
        left, rest = body.split("_WITH_", 1)
        parts = left.split("_")
        if left in ("DH_anon", "ECDH_anon"):
            kx, auth = left, "anon"
        elif left == "RSA_EXPORT":
            kx, auth = "RSA_EXPORT", "RSA"
        elif len(parts) == 1:
            kx, auth = parts[0], parts[0]  # TLS_RSA_WITH_…: RSA key transport, RSA auth
        else:
            kx, auth = parts[0], parts[1]
        auth = {"DSS": "DSA"}.get(auth, auth)
    return CipherSuite(code, name, kx, auth, *_bulk(rest))


_BULK = (
    (r"AES_(128|256)_GCM", "AES-{0}", "GCM"),
    (r"AES_(128|256)_CCM_8", "AES-{0}", "CCM-8"),
    (r"AES_(128|256)_CCM", "AES-{0}", "CCM"),
    (r"AES_(128|256)_CBC", "AES-{0}", "CBC"),
    (r"CHACHA20_POLY1305", "ChaCha20-Poly1305", None),
    (r"CAMELLIA_(128|256)_CBC", "Camellia-{0}", "CBC"),
    (r"CAMELLIA_(128|256)_GCM", "Camellia-{0}", "GCM"),
    (r"ARIA_(128|256)_GCM", "ARIA-{0}", "GCM"),
    (r"ARIA_(128|256)_CBC", "ARIA-{0}", "CBC"),
    (r"SM4_GCM", "SM4", "GCM"),
    (r"SM4_CCM", "SM4", "CCM"),
    (r"3DES_EDE_CBC", "3DES", "CBC"),
    (r"DES40_CBC", "DES", "CBC"),
    (r"DES_CBC", "DES", "CBC"),
    (r"RC4_(?:40|128)", "RC4", None),
    (r"SEED_CBC", "SEED", "CBC"),
    (r"IDEA_CBC", "IDEA", "CBC"),
    (r"NULL", "NULL", None),
)
_MACS = {"SHA": "HMAC-SHA1", "MD5": "HMAC-MD5", "SHA256": "HMAC-SHA256", "SHA384": "HMAC-SHA384"}


def _bulk(rest: str) -> tuple[str, str | None, str | None]:
    for pattern, cipher, mode in _BULK:
        m = re.match(pattern + r"(?:_|$)", rest)
        if m:
            tail = rest[m.end() :]
            aead = mode in ("GCM", "CCM", "CCM-8") or cipher == "ChaCha20-Poly1305"
            mac = None if aead or not tail else _MACS.get(tail)
            return cipher.format(*m.groups()), mode, mac
    raise ValueError(f"no bulk cipher in {rest!r}")


# RFC 8446 §B.4 and RFC 8998 §2.
TLS13_SUITES: tuple[CipherSuite, ...] = tuple(
    _suite(c, n)
    for c, n in (
        (0x1301, "TLS_AES_128_GCM_SHA256"),
        (0x1302, "TLS_AES_256_GCM_SHA384"),
        (0x1303, "TLS_CHACHA20_POLY1305_SHA256"),
        (0x1304, "TLS_AES_128_CCM_SHA256"),
        (0x1305, "TLS_AES_128_CCM_8_SHA256"),
        (0x00C6, "TLS_SM4_GCM_SM3"),
        (0x00C7, "TLS_SM4_CCM_SM3"),
    )
)

# TLS ≤ 1.2 suites (IANA registry; RFC 5246, 5288, 5289, 7905, 6655, 4492/8422, 5932,
# 6209, 4162, 2712/8996 for the obsolete ones). Forward-secret AEAD first, as browsers order them.
TLS12_SUITES: tuple[CipherSuite, ...] = tuple(
    _suite(c, n)
    for c, n in (
        (0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
        (0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
        (0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
        (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        (0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
        (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
        (0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"),
        (0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"),
        (0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"),
        (0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"),
        (0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"),
        (0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384"),
        (0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"),
        (0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"),
        (0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
        (0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
        (0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
        (0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM"),
        (0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM"),
        (0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256"),
        (0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384"),
        (0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"),
        (0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"),
        (0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
        (0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"),
        (0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
        (0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
        (0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
        (0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
        (0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
        (0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
        (0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"),
        (0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"),
        (0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
        (0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"),
        (0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"),
        (0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"),
        (0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
        (0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
        (0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"),
        (0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"),
        (0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"),
        (0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"),
        (0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"),
        (0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"),
        (0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"),
        (0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
        (0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
        (0xC09C, "TLS_RSA_WITH_AES_128_CCM"),
        (0xC09D, "TLS_RSA_WITH_AES_256_CCM"),
        (0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8"),
        (0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8"),
        (0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"),
        (0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384"),
        (0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
        (0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"),
        (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"),
        (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
        (0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
        (0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"),
        (0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"),
        (0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"),
        (0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"),
        (0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"),
        (0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"),
        (0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"),
        (0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"),
        (0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"),
        (0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
        (0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
        (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
        (0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"),
        (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
        (0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
        (0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
        (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
        (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
        (0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"),
        (0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
        (0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"),
        (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
        (0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"),
        (0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"),
        (0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
        (0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA"),
        (0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"),
        (0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"),
        (0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"),
        (0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"),
        (0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA"),
        (0x003B, "TLS_RSA_WITH_NULL_SHA256"),
        (0x0002, "TLS_RSA_WITH_NULL_SHA"),
        (0x0001, "TLS_RSA_WITH_NULL_MD5"),
    )
)
SUITES_BY_CODE: dict[int, CipherSuite] = {s.code: s for s in (*TLS13_SUITES, *TLS12_SUITES)}
# RFC 5746 §3.3: signals secure renegotiation support; some servers insist on it.
_SCSV_RENEGOTIATION = 0x00FF

# RFC 8446 §4.2.3 SignatureScheme values a broad client offers (incl. ML-DSA, draft-ietf-tls-mldsa).
_SIGNATURE_SCHEMES = (
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B,
    0x0401, 0x0501, 0x0601, 0x0904, 0x0905, 0x0906, 0x0201, 0x0203, 0x0402, 0x0202,
)


# --------------------------------------------------------------------------- ClientHello


def _u8(n: int) -> bytes:
    return n.to_bytes(1, "big")


def _u16(n: int) -> bytes:
    return n.to_bytes(2, "big")


def _u24(n: int) -> bytes:
    return n.to_bytes(3, "big")


def _vec8(b: bytes) -> bytes:
    return _u8(len(b)) + b


def _vec16(b: bytes) -> bytes:
    return _u16(len(b)) + b


def _ext(code: int, body: bytes) -> bytes:
    return _u16(code) + _vec16(body)


def client_hello(
    *,
    legacy_version: int,
    suites: Sequence[int],
    groups: Sequence[int] = (),
    supported_versions: Sequence[int] = (),
    key_shares: Sequence[tuple[int, bytes]] | None = None,
    sni: str | None = None,
) -> bytes:
    """A ClientHello record (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2).

    ``key_shares`` None leaves the key_share extension out (TLS ≤ 1.2 probes); an empty
    sequence sends it empty, which makes a TLS 1.3 server answer with a HelloRetryRequest
    naming the group it prefers (RFC 8446 §4.1.4).
    """
    exts = bytearray()
    if sni:
        name = sni.encode("idna") if not sni.isascii() else sni.encode("ascii")
        # RFC 6066 §3: ServerNameList with one host_name entry.
        exts += _ext(0, _vec16(b"\x00" + _vec16(name)))
    if groups:
        exts += _ext(10, _vec16(b"".join(_u16(g) for g in groups)))  # supported_groups, RFC 8446 §4.2.7
        exts += _ext(11, _vec8(b"\x00"))  # ec_point_formats: uncompressed, RFC 8422 §5.1.2
    exts += _ext(13, _vec16(b"".join(_u16(s) for s in _SIGNATURE_SCHEMES)))  # signature_algorithms
    exts += _ext(23, b"")  # extended_master_secret, RFC 7627
    exts += _ext(0xFF01, b"\x00")  # renegotiation_info, RFC 5746
    if supported_versions:
        exts += _ext(43, _vec8(b"".join(_u16(v) for v in supported_versions)))  # RFC 8446 §4.2.1
        exts += _ext(45, _vec8(b"\x01"))  # psk_key_exchange_modes: psk_dhe_ke, RFC 8446 §4.2.9
    if key_shares is not None:
        entries = b"".join(_u16(g) + _vec16(share) for g, share in key_shares)
        exts += _ext(51, _vec16(entries))  # key_share, RFC 8446 §4.2.8
    suite_bytes = b"".join(_u16(s) for s in suites) + _u16(_SCSV_RENEGOTIATION)
    body_wo_exts = (
        _u16(legacy_version)
        + os.urandom(32)
        + _vec8(os.urandom(32))  # legacy_session_id: RFC 8446 §D.4 middlebox compatibility
        + _vec16(suite_bytes)
        + _vec8(b"\x00")
    )
    # RFC 7685: some servers hang on ClientHellos of 256–511 bytes; pad those to 512.
    size = 4 + len(body_wo_exts) + 2 + len(exts)
    if 256 <= size < 512:
        exts += _ext(21, bytes(max(0, 512 - size - 4)))
    body = body_wo_exts + _vec16(bytes(exts))
    handshake = _u8(1) + _u24(len(body)) + body
    out = bytearray()
    # Records carry at most 2^14 bytes (RFC 8446 §5.1); our hellos are far smaller, but split anyway.
    for i in range(0, len(handshake), 2**14):
        chunk = handshake[i : i + 2**14]
        out += _u8(_CT_HANDSHAKE) + _u16(TLS10) + _u16(len(chunk)) + chunk
    return bytes(out)


# --------------------------------------------------------------------------- reading answers


@dataclass(frozen=True)
class ServerHello:
    """The parts of a ServerHello (or HelloRetryRequest) the prober uses."""

    legacy_version: int
    version: int
    """Negotiated version: supported_versions when present (RFC 8446 §4.2.1), else legacy_version."""
    cipher_suite: int
    is_hrr: bool
    group: int | None
    """Selected group: key_share in a ServerHello, selected_group in a HelloRetryRequest."""
    server_share_len: int | None
    downgrade_sentinel: bool


@dataclass
class Answer:
    """What one ClientHello got back."""

    kind: str
    """``hello``, ``hrr``, ``alert`` or ``closed`` (no bytes, then EOF)."""
    hello: ServerHello | None = None
    alert: int | None = None
    certificates: tuple[bytes, ...] = ()
    """TLS ≤ 1.2: the DER chain from the Certificate message, leaf first."""
    ske_group: int | None = None
    """TLS ≤ 1.2 ECDHE: named curve from the ServerKeyExchange (RFC 8422 §5.4)."""
    ske_dh_bits: int | None = None
    """TLS ≤ 1.2 DHE: size of the server's prime p (RFC 5246 §7.4.3)."""


class _Alert(Exception):
    def __init__(self, level: int, description: int) -> None:
        super().__init__(alert_name(description))
        self.level = level
        self.description = description


def describe_non_tls(first: bytes) -> str:
    """A human hint about what a non-TLS answer was (never more than 8 raw bytes, as hex)."""
    if first.startswith(b"SSH-"):
        return "the server sent an SSH banner: probe it as HOST:PORT/ssh"
    if first.startswith(b"HTTP/"):
        return "the server answered in plain HTTP"
    if re.match(rb"^\d{3}[ -]", first):
        return "the server sent a plain-text greeting (SMTP/FTP-like; STARTTLS is not probed)"
    if first.startswith((b"+OK", b"* OK")):
        return "the server sent a plain-text greeting (POP3/IMAP-like; STARTTLS is not probed)"
    if first[:1] and first[0] & 0x80 and len(first) >= 3 and first[2] == 4:
        return "the server answered with an SSL 2.0 record"
    return f"the answer is not a TLS record (first bytes {first[:8].hex()})"


class _RecordReader:
    """Records and reassembled handshake messages from one connection, every length capped."""

    def __init__(self, ch: Channel) -> None:
        self.ch = ch
        self.records = 0
        self.flight_bytes = 0
        self._hs = bytearray()

    def record(self) -> tuple[int, bytes]:
        header = self.ch.peek(5) if self.records == 0 else b""
        if self.records == 0 and not _plausible_header(header):
            raise ProbeError(ErrorReason.NOT_TLS, describe_non_tls(header))
        try:
            header = self.ch.read_exact(5)
        except PeerClosed:
            if self.ch.buffered == 0:
                raise  # at a record boundary: the caller decides what a close means here
            raise ProbeError(
                ErrorReason.PROTOCOL_ERROR,
                f"the server closed the connection inside a TLS record header ({self.ch.received} bytes received)",
            ) from None
        ctype, major, minor, length = header[0], header[1], header[2], int.from_bytes(header[3:5], "big")
        if ctype not in (_CT_CCS, _CT_ALERT, _CT_HANDSHAKE, _CT_APPDATA) or major != 3 or minor > 4:
            if self.records == 0:
                raise ProbeError(ErrorReason.NOT_TLS, describe_non_tls(header))
            raise ProbeError(ErrorReason.PROTOCOL_ERROR, f"malformed TLS record header {header.hex()}")
        if length > MAX_RECORD or length == 0:
            raise ProbeError(
                ErrorReason.PROTOCOL_ERROR,
                f"TLS record length {length} is outside 1..{MAX_RECORD} (RFC 5246 §6.2.3)",
            )
        self.flight_bytes += length
        if self.flight_bytes > MAX_FLIGHT:
            raise ProbeError(ErrorReason.PROTOCOL_ERROR, f"server flight larger than {MAX_FLIGHT} bytes")
        try:
            payload = self.ch.read_exact(length)
        except PeerClosed as exc:
            raise ProbeError(
                ErrorReason.PROTOCOL_ERROR,
                f"the server closed the connection inside a TLS record (record of {length} bytes, "
                f"{exc.received} bytes received in all)",
            ) from None
        self.records += 1
        return ctype, payload

    def handshake(self) -> tuple[int, bytes]:
        """The next handshake message; raises :class:`_Alert` on an alert record."""
        while True:
            if len(self._hs) >= 4:
                mtype = self._hs[0]
                mlen = int.from_bytes(self._hs[1:4], "big")
                if mlen > MAX_HANDSHAKE_MESSAGE:
                    raise ProbeError(
                        ErrorReason.PROTOCOL_ERROR,
                        f"handshake message of type {mtype} claims {mlen} bytes (limit {MAX_HANDSHAKE_MESSAGE})",
                    )
                if len(self._hs) >= 4 + mlen:
                    body = bytes(self._hs[4 : 4 + mlen])
                    del self._hs[: 4 + mlen]
                    return mtype, body
            ctype, payload = self.record()
            if ctype == _CT_HANDSHAKE:
                self._hs += payload
            elif ctype == _CT_ALERT:
                if len(payload) < 2:
                    raise ProbeError(ErrorReason.PROTOCOL_ERROR, "truncated TLS alert")
                raise _Alert(payload[0], payload[1])
            elif ctype == _CT_CCS:
                continue  # RFC 8446 §D.4 middlebox-compatibility ChangeCipherSpec
            else:
                raise _Encrypted


class _Encrypted(Exception):
    """Application data (TLS 1.3 encrypted handshake) where cleartext handshake was expected."""


def _plausible_header(h: bytes) -> bool:
    if not h:
        return False
    if h[0] not in (_CT_CCS, _CT_ALERT, _CT_HANDSHAKE, _CT_APPDATA):
        return False
    if len(h) >= 2 and h[1] != 3:
        return False
    return not (len(h) >= 3 and h[2] > 4)


class _Buf:
    """Bounds-checked reader over one handshake message body."""

    __slots__ = ("data", "pos", "what")

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ProbeError(ErrorReason.PROTOCOL_ERROR, f"truncated {self.what}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def u24(self) -> int:
        return int.from_bytes(self.take(3), "big")

    def vec8(self) -> bytes:
        return self.take(self.u8())

    def vec16(self) -> bytes:
        return self.take(self.u16())

    def vec24(self) -> bytes:
        return self.take(self.u24())

    @property
    def left(self) -> int:
        return len(self.data) - self.pos


def parse_server_hello(body: bytes) -> ServerHello:
    """RFC 8446 §4.1.3 / RFC 5246 §7.4.1.3; raises :class:`ProbeError` when malformed."""
    b = _Buf(body, "ServerHello")
    legacy_version = b.u16()
    random = b.take(32)
    session_id = b.vec8()
    if len(session_id) > 32:
        raise ProbeError(ErrorReason.PROTOCOL_ERROR, "ServerHello session id longer than 32 bytes")
    suite = b.u16()
    b.u8()  # compression
    version = legacy_version
    group = share_len = None
    is_hrr = random == HRR_RANDOM
    if b.left:
        exts = _Buf(b.vec16(), "ServerHello extensions")
        while exts.left:
            etype = exts.u16()
            edata = _Buf(exts.vec16(), f"ServerHello extension {etype}")
            if etype == 43 and edata.left >= 2:  # supported_versions: selected_version
                version = edata.u16()
            elif etype == 51:  # key_share
                group = edata.u16()
                if not is_hrr:
                    share_len = len(edata.vec16())
    return ServerHello(
        legacy_version=legacy_version,
        version=version,
        cipher_suite=suite,
        is_hrr=is_hrr,
        group=group,
        server_share_len=share_len,
        downgrade_sentinel=random[-8:] in _DOWNGRADE_SENTINELS,
    )


def _parse_certificates(body: bytes) -> tuple[bytes, ...]:
    """TLS ≤ 1.2 Certificate message (RFC 5246 §7.4.2): a vector of DER certificates."""
    b = _Buf(body, "Certificate message")
    chain = _Buf(b.vec24(), "certificate list")
    out: list[bytes] = []
    while chain.left and len(out) < 16:
        der = chain.vec24()
        if der:
            out.append(der)
    return tuple(out)


def _parse_ske(body: bytes, suite: CipherSuite | None) -> tuple[int | None, int | None]:
    """(named curve, DH prime bits) from a TLS ≤ 1.2 ServerKeyExchange."""
    if suite is None:
        return None, None
    b = _Buf(body, "ServerKeyExchange")
    if suite.kx in ("ECDHE", "ECDH_anon"):
        if b.u8() != 3:  # RFC 8422 §5.4: only named_curve is allowed
            return None, None
        return b.u16(), None
    if suite.kx in ("DHE", "DH_anon"):
        p = b.vec16().lstrip(b"\x00")
        return None, int.from_bytes(p, "big").bit_length()
    return None, None


def ask(address: Address, limits: Limits, counters: Counters, hello: bytes, *, flight: bool = False) -> Answer:
    """Send one ClientHello on a fresh connection; read the ServerHello (and, with ``flight``,
    a TLS ≤ 1.2 server's Certificate and ServerKeyExchange up to ServerHelloDone)."""
    with Channel.open(address, limits, counters) as ch:
        ch.send(hello)
        reader = _RecordReader(ch)
        try:
            mtype, body = reader.handshake()
        except _Alert as alert:
            return Answer("alert", alert=alert.description)
        except _Encrypted:
            raise ProbeError(ErrorReason.PROTOCOL_ERROR, "application data before any ServerHello") from None
        except PeerClosed as exc:
            if exc.received == 0:
                return Answer("closed")
            raise ProbeError(
                ErrorReason.PROTOCOL_ERROR,
                f"the server closed the connection mid-handshake ({exc.received} bytes received)",
            ) from None
        if mtype != _HS_SERVER_HELLO:
            raise ProbeError(ErrorReason.PROTOCOL_ERROR, f"expected a ServerHello, got handshake message type {mtype}")
        sh = parse_server_hello(body)
        if sh.is_hrr:
            return Answer("hrr", hello=sh)
        answer = Answer("hello", hello=sh)
        if flight and sh.version <= TLS12:
            _read_flight(reader, answer, SUITES_BY_CODE.get(sh.cipher_suite))
        return answer


def _read_flight(reader: _RecordReader, answer: Answer, suite: CipherSuite | None) -> None:
    # The rest of a TLS ≤ 1.2 server flight is cleartext (RFC 5246 §7.3). A flight cut short
    # keeps what arrived: the ServerHello already answered the question asked.
    for _ in range(8):
        try:
            mtype, body = reader.handshake()
        except (_Alert, _Encrypted, PeerClosed):
            return
        except ProbeError as exc:
            if exc.reason is ErrorReason.TIMEOUT:
                return
            raise
        if mtype == _HS_CERTIFICATE:
            answer.certificates = _parse_certificates(body)
        elif mtype == _HS_SKE:
            answer.ske_group, answer.ske_dh_bits = _parse_ske(body, suite)
        elif mtype == _HS_DONE:
            return


# --------------------------------------------------------------------------- the profile


@dataclass(frozen=True)
class GroupResult:
    """A key-exchange group the server accepted."""

    group: Group
    rank: int
    """1 = the group the server picks first from our full offer; 0 = seen only in TLS 1.2."""
    versions: tuple[int, ...]
    key_share_confirmed: bool = False
    """A ClientHello with a valid key share for this group got a well-formed ServerHello key share."""
    note: str = ""


@dataclass(frozen=True)
class SuiteResult:
    """A cipher suite the server accepted."""

    suite: CipherSuite
    version: int
    rank: int
    dh_bits: int | None = None
    """DHE suites: size of the server's prime."""
    ecdhe_group: int | None = None
    """ECDHE suites in TLS ≤ 1.2: the curve the server chose."""


@dataclass(frozen=True)
class TlsProfile:
    """Everything one endpoint's TLS profile learned (partial when ``error`` is set)."""

    versions: tuple[int, ...] = ()
    """Supported versions, highest first (SSL 3.0 is not probed)."""
    groups: tuple[GroupResult, ...] = ()
    """Accepted groups in the order the server picked them (its preference when ``server_orders_groups``)."""
    server_orders_groups: bool | None = None
    """True: the server picks by its own order; False: by the client's; None: not known."""
    modern_group: int | None = None
    """The group a client offering X25519MLKEM768 and X25519 key shares ends up with (TLS 1.3)."""
    modern_suite: int | None = None
    modern_version: int | None = None
    suites: tuple[SuiteResult, ...] = ()
    server_orders_suites: bool | None = None
    """For TLS 1.2 suites."""
    chain: tuple[bytes, ...] = ()
    """DER certificates from a full handshake, leaf first."""
    other_chains: tuple[tuple[bytes, ...], ...] = ()
    """Further chains seen in TLS 1.2 flights (e.g. an ECDSA and an RSA certificate)."""
    chain_note: str = ""
    notes: tuple[str, ...] = ()
    connections: int = 0
    round_trips: int = 0
    error: ProbeError | None = None


@dataclass
class _State:
    versions: set[int] = field(default_factory=set)
    groups: list[GroupResult] = field(default_factory=list)
    tls12_groups: dict[int, GroupResult] = field(default_factory=dict)
    server_orders_groups: bool | None = None
    modern: ServerHello | None = None
    suites13: list[SuiteResult] = field(default_factory=list)
    suites12: list[SuiteResult] = field(default_factory=list)
    server_orders_suites: bool | None = None
    chains: dict[bytes, tuple[bytes, ...]] = field(default_factory=dict)
    chain: tuple[bytes, ...] = ()
    chain_note: str = ""
    notes: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    closed: int = 0


class TlsProber:
    """Profiles one TLS endpoint; every step is a ClientHello on its own connection."""

    def __init__(self, address: Address, limits: Limits, counters: Counters | None = None) -> None:
        self.address = address
        self.limits = limits
        self.counters = counters or Counters()
        self.sni = address.host if address.is_name else None
        self.s = _State()

    # -- plumbing ---------------------------------------------------------------

    def _ask(self, hello: bytes, *, flight: bool = False) -> Answer:
        answer = ask(self.address, self.limits, self.counters, hello, flight=flight)
        if answer.kind == "alert" and answer.alert is not None:
            self.s.alerts.append(alert_name(answer.alert))
        elif answer.kind == "closed":
            self.s.closed += 1
        if answer.certificates:
            self.s.chains.setdefault(answer.certificates[0], answer.certificates)
        return answer

    def _hello13(self, groups: Iterable[Group], *, suites: Sequence[int] | None = None,
                 shares: Sequence[int] = ()) -> bytes:
        key_shares = []
        for code in shares:
            share = client_share(code)
            if share is not None:
                key_shares.append((code, share))
        return client_hello(
            legacy_version=TLS12,
            suites=suites if suites is not None else [s.code for s in TLS13_SUITES],
            groups=[g.code for g in groups],
            supported_versions=[TLS13],
            key_shares=key_shares,
            sni=self.sni,
        )

    def _hello12(self, version: int, suites: Sequence[CipherSuite], groups: Sequence[Group] = TLS12_GROUPS) -> bytes:
        return client_hello(
            legacy_version=version, suites=[s.code for s in suites], groups=[g.code for g in groups], sni=self.sni
        )

    # -- steps ------------------------------------------------------------------

    def run(self) -> TlsProfile:
        try:
            self._modern()
            if TLS13 in self.s.versions:
                self._groups13()
                self._confirm_pq()
                self._suites13()
            self._suites12()
            if TLS12 in self.s.versions and TLS13 not in self.s.versions:
                self._groups12()
            self._old_versions()
            if not self.s.versions:
                raise self._rejected_everything()
            self._fetch_chain()
        except ProbeError as exc:
            return self._profile(exc)
        return self._profile(None)

    def _rejected_everything(self) -> ProbeError:
        if self.s.alerts:
            uniq = sorted(set(self.s.alerts))
            return ProbeError(
                ErrorReason.HANDSHAKE_FAILURE, "the server rejected every ClientHello (alerts: " + ", ".join(uniq) + ")"
            )
        return ProbeError(ErrorReason.HANDSHAKE_FAILURE, "the server closed the connection without answering any ClientHello")

    def _modern(self) -> None:
        """A browser-like ClientHello: TLS 1.3 and 1.2, all groups, X25519MLKEM768 + X25519 shares."""
        hello = client_hello(
            legacy_version=TLS12,
            suites=[s.code for s in (*TLS13_SUITES, *TLS12_SUITES)],
            groups=[g.code for g in GROUPS if g.tls13 or g.tls12],
            supported_versions=[TLS13, TLS12],
            key_shares=[(0x11EC, _cached_share(0x11EC)), (0x001D, _cached_share(0x001D))],
            sni=self.sni,
        )
        ans = self._ask(hello, flight=True)
        if ans.hello is None:
            return
        sh = ans.hello
        if sh.version == TLS13:
            self.s.versions.add(TLS13)
            self.s.modern = sh
            if not sh.is_hrr and sh.group is not None:
                self._check_share(sh, record=False)
        elif sh.version in (TLS12, TLS11, TLS10) and not sh.is_hrr:
            self.s.versions.add(sh.version)
            if sh.version == TLS12:
                self._add_suite12(sh, ans)
            self.s.modern = sh

    def _check_share(self, sh: ServerHello, *, record: bool = True) -> bool:
        group = GROUPS_BY_CODE.get(sh.group or -1)
        ok = group is not None and group.server_share_len in (None, sh.server_share_len)
        if not ok and group is not None and record:
            self.s.notes.append(
                f"{group.name}: server key share has {sh.server_share_len} bytes, expected {group.server_share_len}"
            )
        return ok

    def _groups13(self) -> None:
        """HelloRetryRequest enumeration (RFC 8446 §4.1.4): an empty key_share makes the server
        name the group it wants from those offered; drop it and ask again until it refuses."""
        remaining = list(TLS13_GROUPS)
        rank = 0
        first_suite: int | None = None
        while remaining:
            ans = self._ask(self._hello13(remaining))
            sh = ans.hello
            if ans.kind != "hrr" or sh is None or sh.group is None:
                if ans.kind == "hello" and sh is not None and sh.version != TLS13:
                    self.s.notes.append(
                        f"with only {', '.join(g.name for g in remaining[:4])}… offered, the server falls back to "
                        f"{VERSION_NAMES.get(sh.version, hex(sh.version))}"
                    )
                break
            group = next((g for g in remaining if g.code == sh.group), None)
            if group is None:
                self.s.notes.append(f"server asked for group 0x{sh.group:04x}, which was not offered (RFC 8446 §4.1.4 violation)")
                break
            if first_suite is None:
                first_suite = sh.cipher_suite
            rank += 1
            remaining.remove(group)
            self.s.groups.append(GroupResult(group, rank, (TLS13,)))
        if first_suite is not None and first_suite in SUITES_BY_CODE:
            self.s.suites13.append(SuiteResult(SUITES_BY_CODE[first_suite], TLS13, 1))
        # Whose order? Offer the first two accepted groups reversed: a server that keeps
        # picking its first orders by its own preference.
        if len(self.s.groups) >= 2:
            a, b = self.s.groups[0].group, self.s.groups[1].group
            ans = self._ask(self._hello13([b, a]))
            if ans.kind == "hrr" and ans.hello is not None:
                self.s.server_orders_groups = ans.hello.group == a.code

    def _confirm_pq(self) -> None:
        """For each accepted PQ group: a ClientHello with a valid key share must get a
        ServerHello whose key share has the right size (ciphertext ‖ ECDH share)."""
        modern = self.s.modern
        for i, res in enumerate(self.s.groups):
            g = res.group
            if g.kind not in PQ_KINDS:
                continue
            if (modern is not None and not modern.is_hrr and modern.group == g.code
                    and self._check_share(modern, record=False)):
                self.s.groups[i] = GroupResult(g, res.rank, res.versions, True)
                continue
            if client_share(g.code) is None:
                self.s.groups[i] = GroupResult(g, res.rank, res.versions, False,
                                               "accepted by HelloRetryRequest; no key share sent (no ML-KEM-512 in this build)")
                continue
            ans = self._ask(self._hello13([g], shares=[g.code]))
            sh = ans.hello
            if ans.kind == "hello" and sh is not None and sh.group == g.code:
                ok = self._check_share(sh)
                self.s.groups[i] = GroupResult(g, res.rank, res.versions, ok)
            else:
                what = alert_name(ans.alert) if ans.alert is not None else ans.kind
                self.s.groups[i] = GroupResult(
                    g, res.rank, res.versions, False, f"named in HelloRetryRequest, but a valid key share got: {what}"
                )

    def _suites13(self) -> None:
        """Enumerate TLS 1.3 suites through HelloRetryRequests (they carry the chosen suite)."""
        if not self.s.groups:
            return
        group = self.s.groups[0].group
        seen = {r.suite.code for r in self.s.suites13}
        remaining = [s.code for s in TLS13_SUITES if s.code not in seen]
        while remaining:
            ans = self._ask(self._hello13([group], suites=remaining))
            sh = ans.hello
            if ans.kind not in ("hrr", "hello") or sh is None or sh.cipher_suite not in remaining:
                break
            remaining.remove(sh.cipher_suite)
            self.s.suites13.append(SuiteResult(SUITES_BY_CODE[sh.cipher_suite], TLS13, len(self.s.suites13) + 1))

    def _add_suite12(self, sh: ServerHello, ans: Answer) -> SuiteResult | None:
        suite = SUITES_BY_CODE.get(sh.cipher_suite)
        if suite is None or suite.tls13:
            self.s.notes.append(f"server picked cipher suite 0x{sh.cipher_suite:04x}, not one offered")
            return None
        if any(r.suite.code == suite.code for r in self.s.suites12):
            return None
        res = SuiteResult(suite, TLS12, len(self.s.suites12) + 1, ans.ske_dh_bits, ans.ske_group)
        self.s.suites12.append(res)
        if ans.ske_group is not None:
            self._add_group12(ans.ske_group)
        if sh.downgrade_sentinel and TLS13 in self.s.versions:
            note = "TLS 1.3 downgrade protection signalled in TLS 1.2 ServerHello random (RFC 8446 §4.1.3)"
            if note not in self.s.notes:
                self.s.notes.append(note)
        return res

    def _add_group12(self, code: int) -> None:
        group = GROUPS_BY_CODE.get(code)
        if group is None:
            note = f"TLS 1.2 ECDHE on unknown curve 0x{code:04x}"
            if note not in self.s.notes:
                self.s.notes.append(note)
            return
        known13 = {r.group.name for r in self.s.groups}
        if group.name not in known13 and code not in self.s.tls12_groups:
            self.s.tls12_groups[code] = GroupResult(group, 0, (TLS12,))

    def _suites12(self) -> None:
        """TLS 1.2 suites: offer all, drop the one picked, repeat (RFC 5246 §7.4.1.3)."""
        remaining = list(TLS12_SUITES)
        if self.s.suites12:
            picked = {r.suite.code for r in self.s.suites12}
            remaining = [s for s in remaining if s.code not in picked]
        else:
            ans = self._ask(self._hello12(TLS12, remaining), flight=True)
            sh = ans.hello
            if ans.kind != "hello" or sh is None or sh.version != TLS12:
                if ans.kind == "hello" and sh is not None and sh.version in (TLS11, TLS10):
                    self.s.versions.add(sh.version)
                return
            self.s.versions.add(TLS12)
            res = self._add_suite12(sh, ans)
            if res is None:
                return
            remaining = [s for s in remaining if s.code != res.suite.code]
        while remaining:
            ans = self._ask(self._hello12(TLS12, remaining), flight=True)
            sh = ans.hello
            if ans.kind != "hello" or sh is None or sh.version != TLS12:
                break
            res = self._add_suite12(sh, ans)
            if res is None:
                break
            remaining = [s for s in remaining if s.code != res.suite.code]
        if len(self.s.suites12) >= 2:
            a, b = self.s.suites12[0].suite, self.s.suites12[1].suite
            ans = self._ask(self._hello12(TLS12, [b, a]))
            if ans.kind == "hello" and ans.hello is not None:
                self.s.server_orders_suites = ans.hello.cipher_suite == a.code

    def _groups12(self) -> None:
        """TLS 1.2-only servers: which curves ECDHE takes (RFC 8422 §5.1.1), from ServerKeyExchange."""
        ecdhe = [r.suite for r in self.s.suites12 if r.suite.kx == "ECDHE"]
        if not ecdhe:
            return
        remaining = [g for g in TLS12_EC_GROUPS if g.code not in self.s.tls12_groups]
        # The curve already seen came from an offer of all curves: drop it and keep asking.
        while remaining:
            ans = self._ask(self._hello12(TLS12, ecdhe, remaining), flight=True)
            if ans.kind != "hello" or ans.ske_group is None:
                break
            code = ans.ske_group
            self._add_group12(code)
            nxt = [g for g in remaining if g.code != code]
            if len(nxt) == len(remaining):
                break
            remaining = nxt

    def _old_versions(self) -> None:
        """TLS 1.1 and 1.0 (deprecated by RFC 8996): a ClientHello capped at that version."""
        for version in (TLS11, TLS10):
            if version in self.s.versions:
                continue
            ans = self._ask(self._hello12(version, TLS12_SUITES))
            if ans.kind == "hello" and ans.hello is not None and ans.hello.version == version:
                self.s.versions.add(version)

    def _fetch_chain(self) -> None:
        """The chain as a normal client sees it: one full handshake with :mod:`ssl`."""
        try:
            self.s.chain = fetch_chain(self.address, self.limits, self.counters, self.sni)
        except ProbeError as exc:
            if exc.reason is ErrorReason.TIMEOUT or exc.reason is ErrorReason.REFUSED:
                raise
            self.s.chain_note = f"certificate chain not retrieved by a full handshake: {exc.detail}"
        if not self.s.chain and self.s.chains:
            self.s.chain = next(iter(self.s.chains.values()))

    # -- result -----------------------------------------------------------------

    def _profile(self, error: ProbeError | None) -> TlsProfile:
        s = self.s
        groups = list(s.groups) + list(s.tls12_groups.values())
        modern = s.modern
        leaf = s.chain[0] if s.chain else None
        others = tuple(c for k, c in s.chains.items() if k != leaf)
        return TlsProfile(
            versions=tuple(sorted(s.versions, reverse=True)),
            groups=tuple(groups),
            server_orders_groups=s.server_orders_groups,
            modern_group=modern.group if modern is not None and modern.version == TLS13 else None,
            modern_suite=modern.cipher_suite if modern is not None else None,
            modern_version=modern.version if modern is not None else None,
            suites=tuple(s.suites13 + s.suites12),
            server_orders_suites=s.server_orders_suites,
            chain=s.chain,
            other_chains=others,
            chain_note=s.chain_note,
            notes=tuple(s.notes),
            connections=self.counters.connections,
            round_trips=self.counters.round_trips,
            error=error,
        )


def profile_tls(address: Address, limits: Limits, counters: Counters | None = None) -> TlsProfile:
    """Profile a TLS endpoint: versions, groups (with preference), suites, certificate chain.

    Round trips (one ClientHello each, on its own connection): 1 (browser-like hello)
    + accepted TLS 1.3 groups + 1 (refusal) + 1 (preference check) + PQ groups not already
    confirmed + TLS 1.3 suites + accepted TLS 1.2 suites + 1 + 1 (preference check)
    + 2 (TLS 1.1, 1.0) + 1 full handshake for the chain. Never raises: errors are in
    :attr:`TlsProfile.error`, with whatever was learned before them.
    """
    return TlsProber(address, limits, counters).run()


# --------------------------------------------------------------------------- chain via ssl


def _client_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # inventory, not validation: any chain is worth reading
    try:
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except (ssl.SSLError, ValueError):
        pass
    return ctx


_CONTEXT: ssl.SSLContext | None = None
_CONTEXT_LOCK = threading.Lock()


def _context() -> ssl.SSLContext:
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            _CONTEXT = _client_context()
        return _CONTEXT


def fetch_chain(address: Address, limits: Limits, counters: Counters, sni: str | None) -> tuple[bytes, ...]:
    """DER certificates the server presents in a full handshake, leaf first."""
    with Channel.open(address, limits, counters) as ch:
        sock = ch.sock
        sock.settimeout(limits.read_timeout_s)
        # A deadline for the whole handshake: a server trickling bytes cannot hold us longer.
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            _shutdown(sock)

        timer = threading.Timer(limits.read_timeout_s, expire)
        timer.daemon = True
        timer.start()
        too_slow = ProbeError(ErrorReason.TIMEOUT, f"full handshake not done within {limits.read_timeout_s:g} s")
        try:
            tls = _context().wrap_socket(sock, server_hostname=sni, do_handshake_on_connect=False)
            ch.start_exchange()
            try:
                tls.do_handshake()
                if tls.version() in ("TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3"):
                    counters.round_trips += 1  # TLS ≤ 1.2 full handshakes take two round trips
                chain = _der_chain(tls)
            finally:
                tls.close()
        except TimeoutError:
            raise too_slow from None
        except ssl.SSLError as exc:
            if expired.is_set():
                raise too_slow from None
            raise ProbeError(ErrorReason.HANDSHAKE_FAILURE, exc.reason or exc.__class__.__name__) from None
        except OSError as exc:
            if expired.is_set():
                raise too_slow from None
            raise ProbeError(ErrorReason.HANDSHAKE_FAILURE, exc.strerror or type(exc).__name__) from None
        finally:
            timer.cancel()
    return chain


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _der_chain(tls: ssl.SSLSocket) -> tuple[bytes, ...]:
    sslobj = getattr(tls, "_sslobj", None)
    # Python ≥ 3.13 has SSLSocket.get_unverified_chain(); 3.10–3.12 have it on the C object.
    getter = getattr(tls, "get_unverified_chain", None) or getattr(sslobj, "get_unverified_chain", None)
    if getter is not None:
        try:
            certs = getter() or []
            out = []
            for c in certs:
                out.append(c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER))  # type: ignore[attr-defined]
            if out:
                return tuple(out)
        except (AttributeError, ValueError, ssl.SSLError):
            pass
    leaf = tls.getpeercert(binary_form=True)
    return (leaf,) if leaf else ()
