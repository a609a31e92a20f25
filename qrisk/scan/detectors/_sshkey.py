"""SSH key formats read without ``cryptography``'s help, public parts only.

- the SSH wire encoding of public keys and OpenSSH certificates (RFC 4253 §6.6,
  RFC 5656 §3.1, RFC 8709, OpenSSH PROTOCOL.certkeys / PROTOCOL.u2f);
- the ``openssh-key-v1`` private-key container (OpenSSH PROTOCOL.key), whose public
  keys are stored unencrypted, so algorithm and fingerprint are known even behind a passphrase;
- PuTTY ``.ppk`` files (v2/v3), whose ``Public-Lines`` are unencrypted too;
- public-key lines (``.pub``, ``authorized_keys`` with options, ``known_hosts``).

The private sections are never decoded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

OPENSSH_MAGIC = b"openssh-key-v1\x00"


class SshKeyError(ValueError):
    """Not the SSH structure expected (the message never contains key bytes)."""


class _Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes, pos: int = 0) -> None:
        self.buf = buf
        self.pos = pos

    def u32(self) -> int:
        if self.pos + 4 > len(self.buf):
            raise SshKeyError("SSH data truncated")
        v = int.from_bytes(self.buf[self.pos : self.pos + 4], "big")
        self.pos += 4
        return v

    def u64(self) -> int:
        if self.pos + 8 > len(self.buf):
            raise SshKeyError("SSH data truncated")
        v = int.from_bytes(self.buf[self.pos : self.pos + 8], "big")
        self.pos += 8
        return v

    def string(self) -> bytes:
        n = self.u32()
        if self.pos + n > len(self.buf):
            raise SshKeyError("SSH string runs past the end")
        v = self.buf[self.pos : self.pos + n]
        self.pos += n
        return v

    def mpint(self) -> int:
        raw = self.string()
        if raw and raw[0] & 0x80:
            raise SshKeyError("negative mpint")
        return int.from_bytes(raw, "big")


# RFC 5656 §10.1 curve identifiers.
_SSH_CURVES: dict[str, tuple[str, ec.EllipticCurve]] = {
    "nistp256": ("secp256r1", ec.SECP256R1()),
    "nistp384": ("secp384r1", ec.SECP384R1()),
    "nistp521": ("secp521r1", ec.SECP521R1()),
}

_CERT_SUFFIX = "-cert-v01@openssh.com"


@dataclass(frozen=True)
class SshPublicKey:
    """Public metadata of one SSH public key (or OpenSSH certificate)."""

    key_type: str
    """Type string as in the blob, e.g. ``ssh-ed25519`` or ``ssh-rsa-cert-v01@openssh.com``."""
    algorithm: str
    """``RSA``, ``DSA``, ``ECDSA``, ``Ed25519``, ``Ed448``; the type string when unknown."""
    key_size: int | None
    curve: str | None
    spki_der: bytes | None
    """DER SubjectPublicKeyInfo of the same key, when ``cryptography`` can build one."""
    ssh_fingerprint: str
    """OpenSSH-style ``SHA256:<base64>`` of the (plain) public-key blob, as ``ssh-keygen -lf``."""
    blob_sha256: str
    """Hex SHA-256 of the plain public-key blob."""
    certificate: bool = False
    security_key: bool = False
    certificate_kind: str | None = None
    """``user`` or ``host`` for OpenSSH certificates."""
    ca_fingerprint: str | None = None
    """``SHA256:…`` of the CA key that signed an OpenSSH certificate."""
    ca_spki_der: bytes | None = None


def ssh_fingerprint(blob: bytes) -> str:
    """``SHA256:`` + unpadded base64 of SHA-256 over the public-key blob (OpenSSH ≥ 6.8)."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


def _spki(key: object) -> bytes | None:
    try:
        return key.public_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None


def _key_fields(base: str, r: _Reader) -> tuple[str, int | None, str | None, bytes | None]:
    """Read the public fields of a plain key type; (algorithm, size, curve, spki)."""
    try:
        if base == "ssh-rsa":
            e = r.mpint()
            n = r.mpint()
            try:
                spki = _spki(rsa.RSAPublicNumbers(e, n).public_key())
            except ValueError:
                spki = None
            return "RSA", n.bit_length(), None, spki
        if base == "ssh-dss":
            p, q, g, y = r.mpint(), r.mpint(), r.mpint(), r.mpint()
            try:
                spki = _spki(dsa.DSAPublicNumbers(y, dsa.DSAParameterNumbers(p, q, g)).public_key())
            except ValueError:
                spki = None
            return "DSA", p.bit_length(), None, spki
        if base.startswith("ecdsa-sha2-") or base.startswith("sk-ecdsa-sha2-"):
            ident = r.string().decode("ascii", "replace")
            point = r.string()
            if base.startswith("sk-"):
                r.string()  # application
            curve = _SSH_CURVES.get(ident)
            if curve is None:
                return "ECDSA", None, ident, None
            try:
                spki = _spki(ec.EllipticCurvePublicKey.from_encoded_point(curve[1], point))
            except ValueError:
                spki = None
            return "ECDSA", curve[1].key_size, curve[0], spki
        if base in ("ssh-ed25519", "sk-ssh-ed25519@openssh.com"):
            pk = r.string()
            if base.startswith("sk-"):
                r.string()  # application
            try:
                spki = _spki(ed25519.Ed25519PublicKey.from_public_bytes(pk))
            except ValueError:
                spki = None
            return "Ed25519", 256, None, spki
        if base == "ssh-ed448":
            pk = r.string()
            try:
                spki = _spki(ed448.Ed448PublicKey.from_public_bytes(pk))
            except ValueError:
                spki = None
            return "Ed448", 456, None, spki
    except (UnsupportedAlgorithm, OverflowError) as exc:
        raise SshKeyError("unsupported SSH key parameters") from exc
    # Unknown (e.g. a post-quantum type from a newer OpenSSH): report the name as seen.
    return base, None, None, None


def _plain_type(key_type: str) -> str:
    if key_type.endswith(_CERT_SUFFIX):
        base = key_type[: -len(_CERT_SUFFIX)]
        return base + "@openssh.com" if base.startswith("sk-") else base
    return key_type


def parse_public_blob(blob: bytes, *, allow_certificate: bool = True) -> SshPublicKey:
    """Parse an SSH public-key blob; raises :class:`SshKeyError` when it is not one."""
    if len(blob) > 1 << 20:
        raise SshKeyError("SSH public key blob is implausibly large")
    r = _Reader(blob)
    raw_type = r.string()
    if not raw_type or len(raw_type) > 100 or not raw_type.isascii():
        raise SshKeyError("SSH key type is not printable")
    key_type = raw_type.decode("ascii")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9@._+-]*", key_type):
        raise SshKeyError("SSH key type is not printable")
    is_cert = key_type.endswith(_CERT_SUFFIX)
    if is_cert and not allow_certificate:
        raise SshKeyError("an OpenSSH certificate cannot be signed by a certificate")
    base = _plain_type(key_type)
    if is_cert:
        r.string()  # nonce
    fields_start = r.pos
    algorithm, size, curve, spki = _key_fields(base, r)
    fields = blob[fields_start : r.pos]
    plain_blob = blob if not is_cert else _ssh_string(base.encode("ascii")) + fields
    kind = None
    ca_fp = None
    ca_spki = None
    if is_cert:
        r.u64()  # serial
        cert_type = r.u32()
        kind = {1: "user", 2: "host"}.get(cert_type, "unknown")
        r.string()  # key id
        r.string()  # valid principals
        r.u64()  # valid after
        r.u64()  # valid before
        r.string()  # critical options
        r.string()  # extensions
        r.string()  # reserved
        ca_blob = r.string()
        ca_fp = ssh_fingerprint(ca_blob)
        try:
            ca_spki = parse_public_blob(ca_blob, allow_certificate=False).spki_der
        except SshKeyError:
            ca_spki = None
    return SshPublicKey(
        key_type=key_type,
        algorithm=algorithm,
        key_size=size,
        curve=curve,
        spki_der=spki,
        ssh_fingerprint=ssh_fingerprint(plain_blob),
        blob_sha256=hashlib.sha256(plain_blob).hexdigest(),
        certificate=is_cert,
        security_key=base.startswith("sk-"),
        certificate_kind=kind,
        ca_fingerprint=ca_fp,
        ca_spki_der=ca_spki,
    )


def _ssh_string(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


# --------------------------------------------------------------------------- openssh-key-v1


@dataclass(frozen=True)
class OpenSshPrivateKey:
    """Public view of an ``openssh-key-v1`` container."""

    cipher: str
    """``none`` when not passphrase-protected."""
    kdf: str
    public_keys: tuple[SshPublicKey, ...]

    @property
    def encrypted(self) -> bool:
        return self.cipher != "none"


def parse_openssh_private(der: bytes) -> OpenSshPrivateKey:
    """Read the unencrypted header of an OpenSSH private key (PROTOCOL.key)."""
    if not der.startswith(OPENSSH_MAGIC):
        raise SshKeyError("not an openssh-key-v1 container")
    r = _Reader(der, len(OPENSSH_MAGIC))
    cipher = r.string().decode("ascii", "replace")[:40]
    kdf = r.string().decode("ascii", "replace")[:40]
    r.string()  # kdf options (salt, rounds): not secret, not needed
    count = r.u32()
    if count == 0 or count > 64:
        raise SshKeyError("implausible number of keys in an OpenSSH private key")
    keys = tuple(parse_public_blob(r.string()) for _ in range(count))
    return OpenSshPrivateKey(cipher, kdf, keys)


# --------------------------------------------------------------------------- PuTTY .ppk

PPK_MARK = b"PuTTY-User-Key-File-"
_PPK_HEADER_RE = re.compile(rb"^PuTTY-User-Key-File-(\d+):[ \t]*(\S+)[ \t]*$", re.M)


@dataclass(frozen=True)
class PuttyKey:
    version: int
    key_type: str
    encryption: str
    comment: str
    public: SshPublicKey


def parse_ppk(data: bytes) -> PuttyKey:
    """Read a PuTTY private key's public half (the private lines are never decoded)."""
    m = _PPK_HEADER_RE.search(data)
    if m is None:
        raise SshKeyError("no PuTTY-User-Key-File header")
    version = int(m.group(1)[:3])
    key_type = m.group(2).decode("ascii", "replace")[:100]
    lines = data[m.end() :].splitlines()
    encryption = "unknown"
    comment = ""
    public_b64: bytes | None = None
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith(b"Encryption:"):
            encryption = line.split(b":", 1)[1].strip().decode("ascii", "replace")[:40]
        elif line.startswith(b"Comment:"):
            comment = line.split(b":", 1)[1].strip().decode("utf-8", "replace")
        elif line.startswith(b"Public-Lines:"):
            try:
                count = int(line.split(b":", 1)[1].strip())
            except ValueError as exc:
                raise SshKeyError("bad Public-Lines count") from exc
            if count < 0 or count > 1000 or i + count >= len(lines) + 1:
                raise SshKeyError("bad Public-Lines count")
            public_b64 = b"".join(x.strip() for x in lines[i + 1 : i + 1 + count])
            break
        i += 1
    if public_b64 is None:
        raise SshKeyError("no Public-Lines in PuTTY key")
    try:
        blob = binascii.a2b_base64(public_b64, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise SshKeyError("PuTTY public lines are not base64") from exc
    return PuttyKey(version, key_type, encryption, comment, parse_public_blob(blob))


# --------------------------------------------------------------------------- text lines

# A key type token followed by a base64 blob. Every blob starts with a 4-byte length
# below 2^24, so its base64 starts with "AAAA": we search for that literal (fast) and then
# look back for the type token.
_BLOB_RE = re.compile(rb"AAAA[A-Za-z0-9+/]{8,}={0,3}(?![A-Za-z0-9+/=])")
_TOKEN_BEFORE_RE = re.compile(rb"(?<![A-Za-z0-9@._+-])([a-z][a-z0-9@._+-]{2,80})[ \t]+$")


@dataclass(frozen=True)
class KeyLine:
    """One public-key entry found in text."""

    start: int
    """Byte offset of the key type token."""
    end: int
    """Byte offset just after the base64 blob."""
    key: SshPublicKey


def find_key_lines(data: bytes) -> list[KeyLine]:
    """Every ``<type> <base64>`` public key in ``data`` whose blob names the same type."""
    out: list[KeyLine] = []
    for m in _BLOB_RE.finditer(data):
        start = m.start()
        if start == 0 or data[start - 1] not in b" \t":
            continue
        before = _TOKEN_BEFORE_RE.search(data, max(0, start - 96), start)
        if before is None:
            continue
        token = before.group(1)
        b64 = m.group(0)
        if len(b64) > 1 << 21:
            continue
        try:
            head = binascii.a2b_base64(b64[:8])
        except (binascii.Error, ValueError):
            continue
        if int.from_bytes(head[:4], "big") != len(token):
            continue
        try:
            blob = binascii.a2b_base64(b64 + b"=" * (-len(b64) % 4))
        except (binascii.Error, ValueError):
            continue
        if blob[4 : 4 + len(token)] != token:
            continue
        try:
            key = parse_public_blob(blob)
        except SshKeyError:
            continue
        out.append(KeyLine(before.start(1), m.end(), key))
    return out
