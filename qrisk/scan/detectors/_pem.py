"""PEM and DER plumbing shared by the certificate and key detectors.

A tolerant PEM block scanner (RFC 7468, with RFC 1421 headers), a minimal bounded DER
reader, a structural classifier that decides which detector owns a DER object, and
the OID tables that name public-key and signature algorithms. Nothing here returns or
formats secret material: decoded bodies stay inside the detectors.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh, dsa, ec, ed448, ed25519, rsa, x448, x25519

from qrisk.model import Usage
from qrisk.scan.detectors.base import DetectorOutput, FileNote

# --------------------------------------------------------------------------- PEM blocks

# RFC 7468 §2: labels are printable characters; we accept the spellings seen in the wild.
_BEGIN_RE = re.compile(rb"-----BEGIN ([A-Z0-9][A-Z0-9 #._/-]{0,62})-----")
# Kubernetes Secrets and similar store PEM base64-encoded once more: "LS0tLS1CRUdJT" is
# base64("-----BEGIN") at offset 0 (the common case: the whole value is one PEM file).
_B64_PEM_RE = re.compile(rb"LS0tLS1CRUdJT[A-Za-z0-9+/=]{20,}")
_HEADER_RE = re.compile(rb"^[ \t]*([A-Za-z][A-Za-z0-9-]{0,40}):[ \t]*(.*?)[ \t]*$")

B64_PEM_MARK = b"LS0tLS1CRUdJT"
BEGIN_MARK = b"-----BEGIN"

CERT_LABELS = frozenset(
    {
        "CERTIFICATE",
        "X509 CERTIFICATE",
        "X.509 CERTIFICATE",
        "TRUSTED CERTIFICATE",
        "PKCS7",
        "PKCS #7 SIGNED DATA",
        "CMS",
        "CERTIFICATE REQUEST",
        "NEW CERTIFICATE REQUEST",
    }
)
KEY_LABELS = frozenset(
    {
        "PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "ANY PRIVATE KEY",
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "DSA PRIVATE KEY",
        "PUBLIC KEY",
        "RSA PUBLIC KEY",
        "OPENSSH PRIVATE KEY",
    }
)


# Text formats where PEM or OpenSSH keys are commonly embedded (Kubernetes, Terraform state,
# application configs): both the certificate and the key detector read them whole.
EMBEDDING_EXTENSIONS = frozenset(
    {".yaml", ".yml", ".json", ".tfstate", ".tf", ".conf", ".cnf", ".ini", ".env", ".properties", ".xml", ".toml"}
)


@dataclass
class PemBlock:
    """One ``-----BEGIN label-----`` … ``-----END label-----`` block."""

    label: str
    line: int
    """1-based line of the BEGIN marker in the file."""
    headers: dict[str, str] = field(default_factory=dict)
    """RFC 1421 headers (``Proc-Type``, ``DEK-Info``); public metadata."""
    der: bytes | None = None
    """Decoded body; None when the block is truncated or not base64."""
    problem: str | None = None
    """``truncated`` or ``malformed`` when :attr:`der` could not be decoded."""

    @property
    def begin_line(self) -> str:
        """The BEGIN marker, the only snippet a detector shows for a PEM block."""
        return f"-----BEGIN {self.label}-----"


def _decode_body(body: bytes) -> tuple[dict[str, str], bytes | None]:
    headers: dict[str, str] = {}
    if b"\\n" in body or b"\\r" in body:
        # PEM inside a JSON/YAML string with escaped newlines.
        body = body.replace(b"\\r", b"\n").replace(b"\\n", b"\n")
    if b":" in body:
        lines = body.splitlines()
        i = 0
        while i < len(lines) and not lines[i].strip():
            i += 1
        while i < len(lines):
            m = _HEADER_RE.match(lines[i])
            if not m:
                break
            name = m.group(1).decode("ascii")
            value = m.group(2).decode("ascii", "replace")
            # RFC 1421 continuation lines start with whitespace.
            while i + 1 < len(lines) and lines[i + 1][:1] in (b" ", b"\t") and b":" not in lines[i + 1]:
                i += 1
                value += lines[i].strip().decode("ascii", "replace")
            headers[name] = value
            i += 1
        if headers:
            body = b"\n".join(lines[i:])
    compact = b"".join(body.split())
    # Strip quoting and string concatenation characters PEM picks up in source code.
    compact = compact.translate(None, b"\"',\\")
    if not compact:
        return headers, None
    if len(compact) % 4:
        compact += b"=" * (-len(compact) % 4)
    try:
        der = binascii.a2b_base64(compact, strict_mode=True)
    except (binascii.Error, ValueError):
        try:
            der = binascii.a2b_base64(compact)
        except (binascii.Error, ValueError):
            return headers, None
    return headers, der or None


def iter_pem_blocks(
    data: bytes, labels: frozenset[str] | None = None, *, _depth: int = 0
) -> Iterator[PemBlock]:
    """Every PEM block of ``data`` (in order), optionally only those whose label is in ``labels``.

    Never raises. A BEGIN without its END is reported as ``truncated``; a body that is
    not base64 as ``malformed``. Base64-wrapped PEM (``LS0tLS1CRUdJT…``) is unwrapped once.
    """
    pos = 0
    line = 1
    counted_to = 0
    n = len(data)
    while pos < n:
        m = _BEGIN_RE.search(data, pos)
        if m is None:
            break
        start = m.start()
        line += data.count(b"\n", counted_to, start)
        counted_to = start
        label_b = m.group(1)
        label = label_b.decode("ascii").strip()
        end_marker = b"-----END " + label_b + b"-----"
        # The END must come before the next BEGIN, else this block lost its END (truncated).
        # Bounding the search keeps hostile files of BEGIN lines linear, not quadratic.
        next_begin = data.find(BEGIN_MARK, m.end())
        end = data.find(end_marker, m.end(), next_begin if next_begin >= 0 else n)
        if end < 0:
            if labels is None or label in labels:
                yield PemBlock(label, line, problem="truncated")
            pos = m.end()
            continue
        if labels is None or label in labels:
            headers, der = _decode_body(data[m.end() : end])
            yield PemBlock(label, line, headers=headers, der=der, problem=None if der else "malformed")
        pos = end + len(end_marker)
    if _depth == 0 and B64_PEM_MARK in data:
        yield from _iter_wrapped(data, labels)


def _iter_wrapped(data: bytes, labels: frozenset[str] | None) -> Iterator[PemBlock]:
    line = 1
    counted_to = 0
    for m in _B64_PEM_RE.finditer(data):
        line += data.count(b"\n", counted_to, m.start())
        counted_to = m.start()
        run = m.group(0)
        run = run[: len(run) - len(run) % 4] if b"=" not in run else run
        try:
            inner = binascii.a2b_base64(run)
        except (binascii.Error, ValueError):
            continue
        for blk in iter_pem_blocks(inner, labels, _depth=1):
            blk.line = line  # the line of the base64 value in the outer file
            yield blk


MAX_BAD_BLOCKS = 1000
"""A detector stops reading a file's PEM blocks after this many unreadable ones."""
MAX_LISTED_NOTES = 20
"""File notes listed one by one; the rest are counted in a last note."""


def cap_notes(out: list[DetectorOutput]) -> list[DetectorOutput]:
    """Keep a file's first notes and its last one (often "stopped here"); count the others."""
    notes = [o for o in out if isinstance(o, FileNote)]
    if len(notes) <= MAX_LISTED_NOTES:
        return out
    middle = notes[MAX_LISTED_NOTES - 1 : -1]
    dropped = {id(n) for n in middle}
    kept = [o for o in out if id(o) not in dropped and o is not notes[-1]]
    kept.append(FileNote(middle[0].reason, f"{len(middle)} more problems in this file not listed"))
    kept.append(notes[-1])
    return kept


# --------------------------------------------------------------------------- DER reading

# What parsers (ours and cryptography's) raise on hostile input. cryptography documents
# ValueError, but its ASN.1 layer has been seen raising KeyError (unknown string tags).
PARSE_ERRORS: tuple[type[Exception], ...] = (
    x509.InvalidVersion,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    UnsupportedAlgorithm,
)

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06


class DerError(ValueError):
    """The bytes are not the DER we expected (message never contains the bytes)."""


class DerTruncated(DerError):
    """A length runs past the end of the data."""


def read_tlv(data: bytes, pos: int, end: int | None = None) -> tuple[int, int, int]:
    """Read one TLV at ``pos``: ``(tag, content_start, content_end)``. Definite lengths only."""
    if end is None:
        end = len(data)
    if pos + 2 > end:
        raise DerTruncated("DER header runs past the end")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("high-tag-number form is not used by these structures")
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise DerError("indefinite length (BER) is not DER")
    else:
        count = first & 0x7F
        if count > 4:
            raise DerError("DER length too large")
        if pos + count > end:
            raise DerTruncated("DER length runs past the end")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise DerTruncated("DER content runs past the end")
    return tag, pos, pos + length


def ber_to_der(data: bytes, max_depth: int = 32) -> bytes:
    """Re-encode BER indefinite lengths and constructed OCTET STRINGs as DER-style TLVs.

    Windows exports PKCS#12 this way (X.690 §8.1.3.6, §8.7.3). Not a full DER canonicaliser
    (SET order etc. is kept): enough for reading. Raises :class:`DerError`.
    """
    value, end = _ber_value(data, 0, len(data), max_depth)
    return value + data[end:]


def _ber_value(data: bytes, pos: int, end: int, depth: int) -> tuple[bytes, int]:
    if depth <= 0:
        raise DerError("BER nested too deeply")
    if pos + 2 > end:
        raise DerTruncated("BER header runs past the end")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("high-tag-number form is not used by these structures")
    constructed = bool(tag & 0x20)
    first = data[pos + 1]
    pos += 2
    parts: list[bytes] = []
    if first == 0x80:
        if not constructed:
            raise DerError("indefinite length on a primitive value")
        while True:
            if pos + 2 > end:
                raise DerTruncated("BER value has no end-of-contents")
            if data[pos] == 0 and data[pos + 1] == 0:
                pos += 2
                break
            part, pos = _ber_value(data, pos, end, depth - 1)
            parts.append(part)
    else:
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if count > 4 or pos + count > end:
                raise DerError("bad BER length")
            length = int.from_bytes(data[pos : pos + count], "big")
            pos += count
        if pos + length > end:
            raise DerTruncated("BER content runs past the end")
        if not constructed:
            return data[pos - 2 - (first & 0x7F if first & 0x80 else 0) : pos + length], pos + length
        inner, stop = pos, pos + length
        while inner < stop:
            part, inner = _ber_value(data, inner, stop, depth - 1)
            parts.append(part)
        pos = stop
    if tag == 0x24:  # constructed OCTET STRING: join the primitive chunks
        chunks = []
        for part in parts:
            _, cs, ce = read_tlv(part, 0)
            chunks.append(part[cs:ce])
        return encode_tlv(OCTET_STRING, b"".join(chunks)), pos
    return encode_tlv(tag, b"".join(parts)), pos


def children(data: bytes, start: int, end: int, limit: int = 16) -> list[tuple[int, int, int, int]]:
    """Up to ``limit`` child TLVs of a constructed value: ``(tag, tlv_start, content_start, content_end)``."""
    out: list[tuple[int, int, int, int]] = []
    pos = start
    while pos < end and len(out) < limit:
        tag, cs, ce = read_tlv(data, pos, end)
        out.append((tag, pos, cs, ce))
        pos = ce
    return out


def decode_oid(body: bytes) -> str:
    """Dotted form of an OBJECT IDENTIFIER's content bytes."""
    if not body or len(body) > 64:
        raise DerError("bad OID length")
    parts: list[int] = []
    value = 0
    for b in body:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(value)
            value = 0
    if body[-1] & 0x80:
        raise DerError("OID ends mid-arc")
    first = parts[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(p) for p in head + parts[1:])


def encode_tlv(tag: int, content: bytes) -> bytes:
    """DER-encode one TLV (definite length)."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    size = (n.bit_length() + 7) // 8
    return bytes((tag, 0x80 | size)) + n.to_bytes(size, "big") + content


def encode_oid(dotted: str) -> bytes:
    """DER-encode an OBJECT IDENTIFIER."""
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray()
    for v in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [v & 0x7F]
        v >>= 7
        while v:
            chunk.append(0x80 | (v & 0x7F))
            v >>= 7
        out.extend(reversed(chunk))
    return encode_tlv(OID, bytes(out))


@dataclass(frozen=True)
class AlgorithmIdentifier:
    oid: str
    params: bytes | None
    """Raw TLV of the parameters, when present."""


def read_algorithm_identifier(data: bytes, start: int, end: int) -> AlgorithmIdentifier:
    """Parse the content of an AlgorithmIdentifier SEQUENCE."""
    tag, cs, ce = read_tlv(data, start, end)
    if tag != OID:
        raise DerError("AlgorithmIdentifier does not start with an OID")
    params = data[ce:end] if ce < end else None
    return AlgorithmIdentifier(decode_oid(data[cs:ce]), params)


# --------------------------------------------------------------------------- classification

# What a DER object is, decided from its shape only (tags and a few OIDs).
CERTIFICATE = "certificate"
CSR = "csr"
CRL = "crl"
PKCS7 = "pkcs7"
PKCS12 = "pkcs12"
SPKI = "spki"
PKCS8 = "pkcs8"
ENCRYPTED_PKCS8 = "encrypted-pkcs8"
RSA_PRIVATE = "rsa-private"
RSA_PUBLIC = "rsa-public"
EC_PRIVATE = "ec-private"
DSA_PRIVATE = "dsa-private"

CERT_KINDS = frozenset({CERTIFICATE, CSR, PKCS7, PKCS12})
KEY_KINDS = frozenset({SPKI, PKCS8, ENCRYPTED_PKCS8, RSA_PRIVATE, RSA_PUBLIC, EC_PRIVATE, DSA_PRIVATE})

_OID_PKCS7_SIGNED = "1.2.840.113549.1.7.2"
_OID_PKCS7_DATA = "1.2.840.113549.1.7.1"


@dataclass(frozen=True)
class DerShape:
    kind: str | None
    """One of the kinds above, or None when the bytes are not one of our structures."""
    truncated: bool = False
    trailing: int = 0
    """Bytes after the outer TLV (allowed: OpenSSL 'TRUSTED CERTIFICATE' appends aux data)."""


def _outer(data: bytes) -> tuple[int, int, bool]:
    """Content range of the outer SEQUENCE, and whether it is cut short."""
    if len(data) < 2 or data[0] != SEQUENCE:
        raise DerError("not a SEQUENCE")
    try:
        _, cs, ce = read_tlv(data, 0)
        return cs, ce, False
    except DerTruncated:
        first = data[1]
        if first < 0x80:
            return 2, len(data), True
        count = first & 0x7F
        if count == 0 or count > 4:
            raise DerError("bad outer length") from None
        return 2 + count, len(data), True


def _read_header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """Like :func:`read_tlv` but clips a content that runs past ``end`` (for truncated input)."""
    try:
        return read_tlv(data, pos, end)
    except DerTruncated:
        if pos + 2 > end:
            raise
        first = data[pos + 1]
        cs = pos + 2 + (first & 0x7F if first & 0x80 else 0)
        if cs > end:
            raise
        return data[pos], cs, end


def _tolerant_children(data: bytes, start: int, end: int, limit: int = 12) -> list[tuple[int, int, int, int]]:
    """Children of a value; the last one may be clipped (for truncated input)."""
    out: list[tuple[int, int, int, int]] = []
    pos = start
    while pos < end and len(out) < limit:
        try:
            tag, cs, ce = _read_header(data, pos, end)
        except DerTruncated:
            break
        out.append((tag, pos, cs, ce))
        pos = ce
    return out


def classify_der(data: bytes) -> DerShape:
    """Decide which structure a DER blob holds. Never raises; bounded work.

    ``truncated`` is also set for an unrecognised SEQUENCE whose length runs past the end.
    """
    try:
        shape = _classify(data)
    except (DerError, IndexError, ValueError):
        return DerShape(None)
    if shape.kind is None and not shape.truncated:
        try:
            if _outer(data)[2]:
                return DerShape(None, truncated=True)
        except (DerError, IndexError):
            pass
    return shape


def _classify(data: bytes) -> DerShape:
    cs, ce, truncated = _outer(data)
    trailing = 0 if truncated else len(data) - ce
    kids = _tolerant_children(data, cs, ce)
    if not kids:
        return DerShape(None)
    tags = [k[0] for k in kids]

    def shape(kind: str | None) -> DerShape:
        return DerShape(kind, truncated, trailing)

    def oid_at(i: int) -> str | None:
        _, _, s, e = kids[i]
        if tags[i] != OID:
            return None
        return decode_oid(data[s:e])

    def first_oid_in(i: int) -> str | None:
        _, _, s, e = kids[i]
        if s >= e or data[s] != OID:
            return None
        _, os_, oe = read_tlv(data, s, e)
        return decode_oid(data[os_:oe])

    if tags[0] == OID:
        oid = oid_at(0)
        if oid == _OID_PKCS7_SIGNED or (oid is None and truncated):
            return shape(PKCS7)
        return DerShape(None)
    if tags[0] == SEQUENCE:
        signed = len(tags) >= 2 and tags[1] == SEQUENCE and (len(tags) == 2 or tags[2] == BIT_STRING)
        if signed or (truncated and len(tags) == 1):
            # Signed structure: TBS, AlgorithmIdentifier, signature.
            _, _, s, e = kids[0]
            inner = _tolerant_children(data, s, e)
            itags = [k[0] for k in inner]
            if itags[:1] == [0xA0]:
                return shape(CERTIFICATE)
            if len(itags) >= 6 and itags[0] == INTEGER and itags[1] == SEQUENCE:
                return shape(CERTIFICATE)  # X.509 v1
            if (
                3 <= len(itags) <= 4
                and itags[:3] == [INTEGER, SEQUENCE, SEQUENCE]
                and (len(itags) == 3 or itags[3] == 0xA0)
            ):
                return shape(CSR)
            if signed and (itags[:2] == [INTEGER, SEQUENCE] or itags[:1] == [SEQUENCE]):
                return shape(CRL)
            if signed:
                return DerShape(None)
        if len(tags) == 2 and tags[1] == BIT_STRING and first_oid_in(0) is not None:
            return shape(SPKI)
        if len(tags) == 2 and tags[1] == OCTET_STRING and first_oid_in(0) is not None:
            return shape(ENCRYPTED_PKCS8)
        if truncated and len(tags) == 1 and first_oid_in(0) is not None:
            return shape(SPKI)
        return DerShape(None)
    if tags[0] == INTEGER:
        _, _, s, e = kids[0]
        version = int.from_bytes(data[s:e], "big") if s < e and e - s <= 4 else None
        if version in (0, 1) and len(tags) >= 3 and tags[1] == SEQUENCE and tags[2] == OCTET_STRING:
            return shape(PKCS8)
        if version == 3 and len(tags) >= 2 and tags[1] == SEQUENCE:
            oid = first_oid_in(1)
            if oid in (_OID_PKCS7_DATA, _OID_PKCS7_SIGNED) or (oid is None and truncated):
                return shape(PKCS12)
        if version == 1 and len(tags) >= 2 and tags[1] == OCTET_STRING:
            return shape(EC_PRIVATE)
        if version == 0 and all(t == INTEGER for t in tags):
            if len(tags) >= 9:
                return shape(RSA_PRIVATE)
            if len(tags) == 6:
                return shape(DSA_PRIVATE)
            if truncated and len(tags) >= 2:
                return shape(RSA_PRIVATE)
        if len(tags) == 2 and tags == [INTEGER, INTEGER] and not truncated and e - s >= 64:
            return shape(RSA_PUBLIC)
        return DerShape(None)
    return DerShape(None)


def looks_like_der_head(head: bytes) -> bool:
    """Cheap sniff for ``wants()``: a long-form DER SEQUENCE followed by a plausible child."""
    if len(head) < 4 or head[0] != SEQUENCE:
        return False
    first = head[1]
    if first == 0x81:
        child = 3
    elif first == 0x82:
        child = 4
    elif first == 0x83:
        child = 5
    elif first < 0x80:
        child = 2
    else:
        return False
    return len(head) > child and head[child] in (SEQUENCE, INTEGER, OID)


# --------------------------------------------------------------------------- SPKI / PKCS#8 by OID


@dataclass(frozen=True)
class KeyAlgorithm:
    name: str
    """Canonical catalog name, e.g. ``RSA``, ``ML-DSA-65``, ``SLH-DSA-SHA2-128s``."""
    usage: str
    """``signature`` or ``key-exchange``."""
    parameter_set: str | None = None
    note: str | None = None
    loadable: bool = True
    """Whether the bundled OpenSSL (via ``cryptography``) is expected to load keys of this type."""
    slh_n: int | None = None
    """SLH-DSA security parameter n in bytes (public key is 2n, private key 4n)."""


_SIG = "signature"
_KEX = "key-exchange"
_ANY = "unknown"  # RSA and EC keys serve both signatures and key exchange; context decides

_SLH = {
    20: ("SHA2-128s", 16),
    21: ("SHA2-128f", 16),
    22: ("SHA2-192s", 24),
    23: ("SHA2-192f", 24),
    24: ("SHA2-256s", 32),
    25: ("SHA2-256f", 32),
    26: ("SHAKE-128s", 16),
    27: ("SHAKE-128f", 16),
    28: ("SHAKE-192s", 24),
    29: ("SHAKE-192f", 24),
    30: ("SHAKE-256s", 32),
    31: ("SHAKE-256f", 32),
}


def _key_algorithms() -> dict[str, KeyAlgorithm]:
    t: dict[str, KeyAlgorithm] = {
        "1.2.840.113549.1.1.1": KeyAlgorithm("RSA", _ANY),
        "1.2.840.113549.1.1.10": KeyAlgorithm("RSA", _SIG, note="RSASSA-PSS key"),
        "1.2.840.113549.1.1.7": KeyAlgorithm("RSA", _KEX, note="RSAES-OAEP key", loadable=False),
        "1.2.840.10045.2.1": KeyAlgorithm("ECDSA", _ANY),
        "1.3.132.1.12": KeyAlgorithm("ECDH", _KEX, loadable=False),
        "1.2.840.10040.4.1": KeyAlgorithm("DSA", _SIG),
        "1.2.840.10046.2.1": KeyAlgorithm("DH", _KEX),
        "1.2.840.113549.1.3.1": KeyAlgorithm("DH", _KEX),
        "1.3.101.110": KeyAlgorithm("X25519", _KEX),
        "1.3.101.111": KeyAlgorithm("X448", _KEX),
        "1.3.101.112": KeyAlgorithm("Ed25519", _SIG),
        "1.3.101.113": KeyAlgorithm("Ed448", _SIG),
        # FIPS 204 / FIPS 203 OIDs from the NIST CSOR registry.
        "2.16.840.1.101.3.4.3.17": KeyAlgorithm("ML-DSA-44", _SIG, "44"),
        "2.16.840.1.101.3.4.3.18": KeyAlgorithm("ML-DSA-65", _SIG, "65"),
        "2.16.840.1.101.3.4.3.19": KeyAlgorithm("ML-DSA-87", _SIG, "87"),
        "2.16.840.1.101.3.4.3.32": KeyAlgorithm("ML-DSA-44", _SIG, "44", "HashML-DSA with SHA-512", False),
        "2.16.840.1.101.3.4.3.33": KeyAlgorithm("ML-DSA-65", _SIG, "65", "HashML-DSA with SHA-512", False),
        "2.16.840.1.101.3.4.3.34": KeyAlgorithm("ML-DSA-87", _SIG, "87", "HashML-DSA with SHA-512", False),
        "2.16.840.1.101.3.4.4.1": KeyAlgorithm("ML-KEM-512", _KEX, "512", loadable=False),
        "2.16.840.1.101.3.4.4.2": KeyAlgorithm("ML-KEM-768", _KEX, "768"),
        "2.16.840.1.101.3.4.4.3": KeyAlgorithm("ML-KEM-1024", _KEX, "1024"),
        "1.2.643.7.1.1.1.1": KeyAlgorithm("GOST R 34.10-2012", _SIG, "256", loadable=False),
        "1.2.643.7.1.1.1.2": KeyAlgorithm("GOST R 34.10-2012", _SIG, "512", loadable=False),
        "1.2.156.10197.1.301": KeyAlgorithm("SM2", _SIG, loadable=False),
    }
    for arc, (pset, n) in _SLH.items():
        t[f"2.16.840.1.101.3.4.3.{arc}"] = KeyAlgorithm(
            f"SLH-DSA-{pset}", _SIG, pset, loadable=False, slh_n=n
        )
    # FIPS 205 §10.2 pre-hash variants: HashSLH-DSA, OIDs 35–46 in the same order.
    for i, (pset, n) in enumerate(_SLH.values()):
        t[f"2.16.840.1.101.3.4.3.{35 + i}"] = KeyAlgorithm(
            f"SLH-DSA-{pset}", _SIG, pset, "HashSLH-DSA", loadable=False, slh_n=n
        )
    return t


KEY_ALGORITHMS = _key_algorithms()

HASH_OIDS = {
    "1.2.840.113549.2.2": "MD2",
    "1.2.840.113549.2.5": "MD5",
    "1.3.14.3.2.26": "SHA-1",
    "2.16.840.1.101.3.4.2.1": "SHA-256",
    "2.16.840.1.101.3.4.2.2": "SHA-384",
    "2.16.840.1.101.3.4.2.3": "SHA-512",
    "2.16.840.1.101.3.4.2.4": "SHA-224",
    "2.16.840.1.101.3.4.2.5": "SHA-512/224",
    "2.16.840.1.101.3.4.2.6": "SHA-512/256",
    "2.16.840.1.101.3.4.2.7": "SHA3-224",
    "2.16.840.1.101.3.4.2.8": "SHA3-256",
    "2.16.840.1.101.3.4.2.9": "SHA3-384",
    "2.16.840.1.101.3.4.2.10": "SHA3-512",
    "2.16.840.1.101.3.4.2.11": "SHAKE128",
    "2.16.840.1.101.3.4.2.12": "SHAKE256",
}


def _signature_algorithms() -> dict[str, tuple[str, str | None]]:
    rsa = "1.2.840.113549.1.1."
    t: dict[str, tuple[str, str | None]] = {
        rsa + "2": ("RSA", "MD2"),
        rsa + "3": ("RSA", "MD4"),
        rsa + "4": ("RSA", "MD5"),
        rsa + "5": ("RSA", "SHA-1"),
        rsa + "11": ("RSA", "SHA-256"),
        rsa + "12": ("RSA", "SHA-384"),
        rsa + "13": ("RSA", "SHA-512"),
        rsa + "14": ("RSA", "SHA-224"),
        rsa + "15": ("RSA", "SHA-512/224"),
        rsa + "16": ("RSA", "SHA-512/256"),
        "1.3.14.3.2.29": ("RSA", "SHA-1"),
        "1.2.840.10045.4.1": ("ECDSA", "SHA-1"),
        "1.2.840.10045.4.3.1": ("ECDSA", "SHA-224"),
        "1.2.840.10045.4.3.2": ("ECDSA", "SHA-256"),
        "1.2.840.10045.4.3.3": ("ECDSA", "SHA-384"),
        "1.2.840.10045.4.3.4": ("ECDSA", "SHA-512"),
        "1.2.840.10040.4.3": ("DSA", "SHA-1"),
        "2.16.840.1.101.3.4.3.1": ("DSA", "SHA-224"),
        "2.16.840.1.101.3.4.3.2": ("DSA", "SHA-256"),
        "2.16.840.1.101.3.4.3.3": ("DSA", "SHA-384"),
        "2.16.840.1.101.3.4.3.4": ("DSA", "SHA-512"),
        "2.16.840.1.101.3.4.3.9": ("ECDSA", "SHA3-224"),
        "2.16.840.1.101.3.4.3.10": ("ECDSA", "SHA3-256"),
        "2.16.840.1.101.3.4.3.11": ("ECDSA", "SHA3-384"),
        "2.16.840.1.101.3.4.3.12": ("ECDSA", "SHA3-512"),
        "2.16.840.1.101.3.4.3.13": ("RSA", "SHA3-224"),
        "2.16.840.1.101.3.4.3.14": ("RSA", "SHA3-256"),
        "2.16.840.1.101.3.4.3.15": ("RSA", "SHA3-384"),
        "2.16.840.1.101.3.4.3.16": ("RSA", "SHA3-512"),
        "1.3.101.112": ("Ed25519", None),
        "1.3.101.113": ("Ed448", None),
        "1.2.643.7.1.1.3.2": ("GOST R 34.10-2012", "GOST R 34.11-2012-256"),
        "1.2.643.7.1.1.3.3": ("GOST R 34.10-2012", "GOST R 34.11-2012-512"),
        "1.2.156.10197.1.501": ("SM2", "SM3"),
    }
    for oid, alg in KEY_ALGORITHMS.items():
        if oid.startswith("2.16.840.1.101.3.4.3."):
            prehash = "SHA-512" if alg.note and "Hash" in alg.note else None
            t[oid] = (alg.name, prehash)
    return t


SIGNATURE_ALGORITHMS = _signature_algorithms()
_OID_RSASSA_PSS = "1.2.840.113549.1.1.10"


def signature_algorithm(der_algorithm_identifier: bytes) -> tuple[str, str | None]:
    """(algorithm, hash) of a DER AlgorithmIdentifier used for a signature; OID when unknown."""
    _, cs, ce = read_tlv(der_algorithm_identifier, 0)
    alg = read_algorithm_identifier(der_algorithm_identifier, cs, ce)
    if alg.oid == _OID_RSASSA_PSS:
        return "RSASSA-PSS", _pss_hash(alg.params)
    return SIGNATURE_ALGORITHMS.get(alg.oid, (alg.oid, None))


def _pss_hash(params: bytes | None) -> str | None:
    # RFC 4055 §3.1: RSASSA-PSS-params; hashAlgorithm [0] defaults to SHA-1.
    if not params:
        return "SHA-1"
    try:
        tag, cs, ce = read_tlv(params, 0)
        if tag != SEQUENCE:
            return None
        for ktag, _, kcs, kce in children(params, cs, ce, 4):
            if ktag == 0xA0:
                _, acs, ace = read_tlv(params, kcs, kce)
                h = read_algorithm_identifier(params, acs, ace)
                return HASH_OIDS.get(h.oid, h.oid)
        return "SHA-1"
    except DerError:
        return None


@dataclass(frozen=True)
class SpkiView:
    """Algorithm and raw bytes of a SubjectPublicKeyInfo (parsed without ``cryptography``)."""

    oid: str
    params: bytes | None
    public_key: bytes
    """The BIT STRING's bits (public)."""
    der: bytes
    """The whole SPKI, for its fingerprint."""


def parse_spki(der: bytes) -> SpkiView:
    """Read an SPKI's algorithm OID; raises :class:`DerError` on malformed input."""
    tag, cs, ce = read_tlv(der, 0)
    if tag != SEQUENCE:
        raise DerError("SPKI is not a SEQUENCE")
    kids = children(der, cs, ce, 3)
    if len(kids) != 2 or kids[0][0] != SEQUENCE or kids[1][0] != BIT_STRING:
        raise DerError("SPKI has the wrong shape")
    alg = read_algorithm_identifier(der, kids[0][2], kids[0][3])
    bits = der[kids[1][2] : kids[1][3]]
    if not bits or bits[0] != 0:
        raise DerError("SPKI key is not a whole number of bytes")
    return SpkiView(alg.oid, alg.params, bits[1:], der[:ce])


@dataclass(frozen=True)
class Pkcs8View:
    oid: str
    public_spki: bytes | None
    """An SPKI rebuilt from public parts of the private key, when the format allows it."""


def parse_pkcs8(der: bytes) -> Pkcs8View:
    """Read a PKCS#8 PrivateKeyInfo's algorithm OID (RFC 5958); raises :class:`DerError`."""
    tag, cs, ce = read_tlv(der, 0)
    if tag != SEQUENCE:
        raise DerError("PKCS#8 is not a SEQUENCE")
    kids = children(der, cs, ce, 6)
    if len(kids) < 3 or kids[0][0] != INTEGER or kids[1][0] != SEQUENCE or kids[2][0] != OCTET_STRING:
        raise DerError("PKCS#8 has the wrong shape")
    alg = read_algorithm_identifier(der, kids[1][2], kids[1][3])
    spki: bytes | None = None
    for ktag, _, kcs, kce in kids[3:]:
        if ktag == 0x81:  # OneAsymmetricKey publicKey [1] IMPLICIT BIT STRING
            spki = encode_tlv(
                SEQUENCE, encode_tlv(SEQUENCE, encode_oid(alg.oid)) + encode_tlv(BIT_STRING, der[kcs:kce])
            )
    known = KEY_ALGORITHMS.get(alg.oid)
    if spki is None and known is not None and known.slh_n is not None:
        # FIPS 205 §9.1: SK = SK.seed ‖ SK.prf ‖ PK.seed ‖ PK.root; the public key is the last 2n bytes.
        raw = der[kids[2][2] : kids[2][3]]
        n = known.slh_n
        if len(raw) == 4 * n:
            spki = encode_tlv(
                SEQUENCE,
                encode_tlv(SEQUENCE, encode_oid(alg.oid)) + encode_tlv(BIT_STRING, b"\x00" + raw[2 * n :]),
            )
    return Pkcs8View(alg.oid, spki)


_PBE_NAMES = {
    "1.2.840.113549.1.5.13": "PBES2",
    "1.2.840.113549.1.5.3": "PBE-MD5-DES",
    "1.2.840.113549.1.5.10": "PBE-SHA1-DES",
    "1.2.840.113549.1.12.1.3": "PBE-SHA1-3DES",
    "1.2.840.113549.1.12.1.6": "PBE-SHA1-RC2-40",
}
_CIPHER_OIDS = {
    "2.16.840.1.101.3.4.1.2": "AES-128-CBC",
    "2.16.840.1.101.3.4.1.22": "AES-192-CBC",
    "2.16.840.1.101.3.4.1.42": "AES-256-CBC",
    "1.2.840.113549.3.7": "DES-EDE3-CBC",
    "1.3.14.3.2.7": "DES-CBC",
}


def encryption_scheme(der: bytes) -> str | None:
    """Name of an EncryptedPrivateKeyInfo's scheme (``PBES2/AES-256-CBC``), or None. Never raises."""
    try:
        _, cs, ce = read_tlv(der, 0)
        kids = children(der, cs, ce, 2)
        alg = read_algorithm_identifier(der, kids[0][2], kids[0][3])
        name = _PBE_NAMES.get(alg.oid)
        if name != "PBES2" or not alg.params:
            return name
        _, pcs, pce = read_tlv(alg.params, 0)
        pk = children(alg.params, pcs, pce, 2)
        enc = read_algorithm_identifier(alg.params, pk[1][2], pk[1][3])
        cipher = _CIPHER_OIDS.get(enc.oid)
        return f"PBES2/{cipher}" if cipher else "PBES2"
    except (DerError, IndexError):
        return None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- key facts


@functools.lru_cache(maxsize=64)
def ecdsa_name(curve: str | None) -> str:
    """Per-curve catalog name (``ECDSA-P256``) when the catalog has one, else ``ECDSA``."""
    if not curve:
        return "ECDSA"
    try:
        from qrisk.catalog import algorithms

        name = algorithms().ec("ECDSA", curve).name
    except Exception:  # a catalog being edited must not stop a scan; the engine resolves later
        return "ECDSA"
    return "ECDSA" if name == "unknown" else name


@functools.lru_cache(maxsize=256)
def canonical_name(name: str) -> str:
    """Canonical catalog name for ``name`` when the catalog knows it, else ``name`` as seen."""
    try:
        from qrisk.catalog import algorithms

        entry = algorithms().lookup(name)
    except Exception:  # see ecdsa_name
        return name
    return name if entry.name == "unknown" else entry.name


@dataclass(frozen=True)
class KeyFacts:
    """Public metadata of one key, whichever container it came from."""

    algorithm: str
    usage: Usage
    key_size: int | None = None
    curve: str | None = None
    parameter_set: str | None = None
    spki_der: bytes | None = None
    """DER SubjectPublicKeyInfo; its SHA-256 is the fingerprint."""
    loaded: bool = True
    """False when only the OID could be read (``cryptography`` does not support the key)."""
    note: str | None = None

    @property
    def fingerprint(self) -> str | None:
        return sha256_hex(self.spki_der) if self.spki_der else None


_USAGE = {_SIG: Usage.SIGNATURE, _KEX: Usage.KEY_EXCHANGE, _ANY: Usage.UNKNOWN}


def describe_public_key(key: object) -> KeyFacts:
    """Facts about a ``cryptography`` public key object; raises ``ValueError`` if not serialisable."""
    spki = key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    view = parse_spki(spki)
    alg = KEY_ALGORITHMS.get(view.oid)
    if alg is None:
        return KeyFacts(view.oid, Usage.UNKNOWN, spki_der=spki)
    usage = _USAGE[alg.usage]
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey | dh.DHPublicKey):
        return KeyFacts(alg.name, usage, key.key_size, spki_der=spki, note=alg.note)
    if isinstance(key, ec.EllipticCurvePublicKey):
        curve = key.curve.name
        return KeyFacts(ecdsa_name(curve), usage, key.curve.key_size, curve, spki_der=spki)
    if isinstance(key, ed25519.Ed25519PublicKey | x25519.X25519PublicKey):
        return KeyFacts(alg.name, usage, 256, spki_der=spki)
    if isinstance(key, ed448.Ed448PublicKey):
        return KeyFacts(alg.name, usage, 456, spki_der=spki)
    if isinstance(key, x448.X448PublicKey):
        return KeyFacts(alg.name, usage, 448, spki_der=spki)
    return KeyFacts(alg.name, usage, None, None, alg.parameter_set, spki, note=alg.note)


def describe_spki(raw: bytes) -> KeyFacts:
    """Facts about a DER SPKI; falls back to its OID when ``cryptography`` cannot load it.

    Raises :class:`DerError` when not even the OID can be read.
    """
    view = parse_spki(raw)
    alg = KEY_ALGORITHMS.get(view.oid)
    if alg is None or alg.loadable:
        try:
            return describe_public_key(serialization.load_der_public_key(view.der))
        except (ValueError, TypeError, UnsupportedAlgorithm):
            pass
    return facts_from_oid(view.oid, view.der, loaded=False)


def facts_from_oid(oid: str, spki_der: bytes | None, *, loaded: bool = False) -> KeyFacts:
    """Facts from an algorithm OID alone (unknown OIDs are reported as the dotted OID)."""
    alg = KEY_ALGORITHMS.get(oid)
    if alg is None:
        return KeyFacts(oid, Usage.UNKNOWN, spki_der=spki_der, loaded=loaded)
    name = alg.name
    return KeyFacts(name, _USAGE[alg.usage], None, None, alg.parameter_set, spki_der, loaded, alg.note)


def spki_of_certificate(der: bytes) -> tuple[bytes, bytes]:
    """(raw SPKI, raw signatureAlgorithm) TLVs of a DER certificate; raises :class:`DerError`."""
    tag, cs, ce = read_tlv(der, 0)
    if tag != SEQUENCE:
        raise DerError("certificate is not a SEQUENCE")
    outer = children(der, cs, ce, 3)
    if len(outer) != 3:
        raise DerError("certificate does not have three parts")
    _, _, tcs, tce = outer[0]
    tbs = children(der, tcs, tce, 10)
    index = 6 if tbs and tbs[0][0] == 0xA0 else 5
    if len(tbs) <= index or tbs[index][0] != SEQUENCE:
        raise DerError("certificate has no subjectPublicKeyInfo")
    spki_start, spki_end = tbs[index][1], tbs[index][3]
    sig_start, sig_end = outer[1][1], outer[1][3]
    return der[spki_start:spki_end], der[sig_start:sig_end]


def spki_of_csr(der: bytes) -> tuple[bytes, bytes]:
    """(raw SPKI, raw signatureAlgorithm) TLVs of a DER PKCS#10 request; raises :class:`DerError`."""
    tag, cs, ce = read_tlv(der, 0)
    if tag != SEQUENCE:
        raise DerError("request is not a SEQUENCE")
    outer = children(der, cs, ce, 3)
    if len(outer) != 3:
        raise DerError("request does not have three parts")
    info = children(der, outer[0][2], outer[0][3], 4)
    if len(info) < 3 or info[2][0] != SEQUENCE:
        raise DerError("request has no subjectPublicKeyInfo")
    return der[info[2][1] : info[2][3]], der[outer[1][1] : outer[1][3]]
