"""Detector for X.509 certificates: PEM (bundles too), DER, PKCS#7 and PKCS#12 stores.

Each certificate is reported with its public key (algorithm, size, curve, SPKI
fingerprint) and its public metadata (subject, issuer, serial, validity, signature
algorithm, SKI/AKI). PKCS#12 stores are opened with no password and a short list of
well-known defaults; which password worked is never recorded, only that one did.
Private keys elsewhere belong to :mod:`qrisk.scan.detectors.keys`.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

from qrisk.model import AssetKind, CertificateInfo, Confidence, KeyMaterial, Usage
from qrisk.scan.detectors import _pem
from qrisk.scan.detectors._pem import DerError, KeyFacts
from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Finding, Gate

RULE_CERTIFICATE = "QR-X509-001"
RULE_PKCS7 = "QR-X509-002"
RULE_PKCS12_CERT = "QR-X509-003"
RULE_PKCS12_KEY = "QR-X509-004"
RULE_CSR = "QR-X509-005"

# Extensions that name certificate containers; a file with one of them that holds no
# certificate gets a "malformed" note from this detector (key extensions belong to ``keys``).
_CERT_EXTENSIONS = frozenset(
    {".pem", ".crt", ".cer", ".cert", ".der", ".p7b", ".p7c", ".p7s", ".spc", ".csr", ".req", ".ca-bundle"}
)
_PKCS12_EXTENSIONS = frozenset({".p12", ".pfx"})
_PKCS7_EXTENSIONS = frozenset({".p7b", ".p7c", ".p7s", ".spc"})
# Text formats where PEM is commonly embedded (Kubernetes, Terraform state, app configs).
_EMBEDDING_EXTENSIONS = _pem.EMBEDDING_EXTENSIONS
_PEM_CERT_LABELS = frozenset({"CERTIFICATE", "X509 CERTIFICATE", "X.509 CERTIFICATE", "TRUSTED CERTIFICATE"})
_PEM_PKCS7_LABELS = frozenset({"PKCS7", "PKCS #7 SIGNED DATA", "CMS"})
_PEM_CSR_LABELS = frozenset({"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"})

# Passwords that ship as defaults in JDK keystores, appliances, tutorials and tools, most
# common first: a store with a high iteration count only gets the first few. Never
# written to any output.
_DEFAULT_PASSWORDS: tuple[bytes, ...] = (
    b"changeit",
    b"password",
    b"changeme",
    b"secret",
    b"123456",
    b"12345678",
    b"1234",
    b"pass",
    b"test",
    b"admin",
    b"keystore",
    b"private",
)
# PBKDF2/PKCS#12-KDF iterations spent guessing per store (≈0.5 µs each): every default at
# OpenSSL's 2,048 iterations, ten at Java's 10,000, the empty password and the first five
# at cryptography's 20,000; a hostile iteration count cannot stall the scan.
_GUESS_ITERATION_BUDGET = 120_000
_MAX_ITERATIONS = 1_000_000
# Iterations spent decrypting the rest of a store once its password is known.
_STORE_ITERATION_LIMIT = 4_000_000


def _basename(path: str) -> str:
    return path.rpartition("/")[2].rpartition("\\")[2]


def _ext(path: str) -> str:
    """Lower-case extension of the last path segment (``.crt``), or ``""``."""
    stem, dot, ext = _basename(path).rpartition(".")
    return "." + ext.lower() if dot and stem else ""


class CertificateDetector(Detector):
    """X.509 certificates in PEM, DER, PKCS#7 and PKCS#12 form, and PKCS#10 requests."""

    id = "x509"
    description = "X.509 certificates (PEM, DER, PKCS#7, PKCS#12) and certificate signing requests"
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            RULE_CERTIFICATE: "X.509 certificate (PEM block or DER file)",
            RULE_PKCS7: "X.509 certificate inside a PKCS#7 bundle (.p7b/.p7c, PEM or DER)",
            RULE_PKCS12_CERT: "X.509 certificate inside a PKCS#12 store (.p12/.pfx)",
            RULE_PKCS12_KEY: "Private key inside a PKCS#12 store (algorithm 'unknown' when the store stays locked)",
            RULE_CSR: "Public key in a PKCS#10 certificate signing request",
        }
    )
    handles_binary = True

    gate = Gate(
        extensions=_CERT_EXTENSIONS | _PKCS12_EXTENSIONS | _EMBEDDING_EXTENSIONS,
        head_marks=(_pem.BEGIN_MARK, _pem.B64_PEM_MARK),
        head_starts=(bytes([_pem.SEQUENCE]),),  # DER
    )

    def wants(self, path: str, head: bytes) -> bool:
        ext = _ext(path)
        if ext in _CERT_EXTENSIONS or ext in _PKCS12_EXTENSIONS:
            return True
        if _pem.BEGIN_MARK in head or _pem.B64_PEM_MARK in head:
            return True
        if ext in _EMBEDDING_EXTENSIONS:
            return True  # PEM may sit past the head; detect() bails out fast without a marker
        return _pem.looks_like_der_head(head) and _pem.classify_der(head).kind in _pem.CERT_KINDS

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        out: list[DetectorOutput] = []
        try:
            with warnings.catch_warnings():
                # cryptography warns about non-positive serials (RFC 5280 §4.1.2.2) and BER
                # PKCS#7; such files are reported (with notes), not printed to stderr.
                warnings.simplefilter("ignore")
                self._detect(path, data, out)
        except Exception:  # a detector must never take the scan down; say what happened
            out.append(FileNote("malformed", "unexpected structure; the rest of this file was not examined"))
        return _pem.cap_notes(out)

    # ------------------------------------------------------------------ dispatch

    def _detect(self, path: str, data: bytes, out: list[DetectorOutput]) -> None:
        if not data:
            return
        ext = _ext(path)
        if _pem.BEGIN_MARK in data or _pem.B64_PEM_MARK in data:
            self._pem(data, out)
            return
        if data[:2] == b"\x30\x80" and ext in _PKCS12_EXTENSIONS | _PKCS7_EXTENSIONS:
            # BER with indefinite lengths (Windows exports): normalise, then read as usual.
            try:
                data = _pem.ber_to_der(data)
            except _pem.DerTruncated:
                out.append(FileNote("truncated", "BER structure is cut short"))
                return
            except _pem.PARSE_ERRORS:
                out.append(FileNote("malformed", "not a well-formed BER structure"))
                return
        shape = _pem.classify_der(data)
        if shape.kind == _pem.PKCS12 or (ext in _PKCS12_EXTENSIONS and shape.kind is None):
            if shape.kind is None:
                out.append(FileNote("malformed", "not a PKCS#12 store"))
                return
            if shape.truncated:
                out.append(FileNote("truncated", "PKCS#12 store is cut short"))
                return
            out.extend(_Pkcs12Reader(data, _basename(path)).findings())
            return
        if shape.kind == _pem.CERTIFICATE:
            if shape.truncated:
                out.append(FileNote("truncated", "DER certificate is cut short"))
            else:
                out.extend(
                    _certificate(
                        data[: len(data) - shape.trailing], RULE_CERTIFICATE, None, "DER certificate"
                    )
                )
            return
        if shape.kind == _pem.PKCS7:
            if shape.truncated:
                out.append(FileNote("truncated", "DER PKCS#7 bundle is cut short"))
            else:
                out.extend(_pkcs7(data, None, "DER PKCS#7 bundle"))
            return
        if shape.kind == _pem.CSR:
            if shape.truncated:
                out.append(FileNote("truncated", "DER certificate request is cut short"))
            else:
                out.extend(_csr(data, None, "DER certificate request"))
            return
        if shape.kind is None and ext in _CERT_EXTENSIONS:
            if shape.truncated:
                out.append(FileNote("truncated", "DER structure is cut short"))
            else:
                out.append(FileNote("malformed", "no PEM block or DER certificate structure found"))

    def _pem(self, data: bytes, out: list[DetectorOutput]) -> None:
        bad = 0
        for blk in _pem.iter_pem_blocks(data, _pem.CERT_LABELS):
            bad += blk.der is None
            if bad > _pem.MAX_BAD_BLOCKS:
                out.append(FileNote("malformed", "too many unreadable PEM blocks; the rest was not examined"))
                return
            where = f"{blk.label} block at line {blk.line}"
            try:
                self._pem_block(blk, where, out)
            except Exception as exc:  # one bad block must not hide the others
                out.append(FileNote("malformed", f"{where} could not be read ({type(exc).__name__})"))

    def _pem_block(self, blk: _pem.PemBlock, where: str, out: list[DetectorOutput]) -> None:
        if blk.der is None:
            if blk.problem == "truncated":
                out.append(FileNote("truncated", f"{where} has no END line"))
            else:
                out.append(FileNote("malformed", f"{where} is not valid base64"))
            return
        if blk.label in _PEM_CERT_LABELS:
            der = blk.der
            shape = _pem.classify_der(der)
            if shape.kind != _pem.CERTIFICATE or shape.truncated:
                out.append(FileNote("malformed", f"{where} does not hold a DER certificate"))
                return
            # OpenSSL "TRUSTED CERTIFICATE" appends trust settings after the certificate.
            der = der[: len(der) - shape.trailing]
            out.extend(_certificate(der, RULE_CERTIFICATE, blk.line, blk.begin_line, where=where))
        elif blk.label in _PEM_PKCS7_LABELS:
            out.extend(_pkcs7(blk.der, blk.line, blk.begin_line, where=where))
        elif blk.label in _PEM_CSR_LABELS:
            out.extend(_csr(blk.der, blk.line, blk.begin_line, where=where))


# --------------------------------------------------------------------------- certificates


def _certificate_usage(key_usage: Usage, is_ca: bool, key_exchange: bool) -> Usage:
    """What the certified key is for: a CA key signs; keyEncipherment/keyAgreement mean key
    exchange; otherwise the key type decides (signature when it is dual-use)."""
    if is_ca:
        return Usage.SIGNATURE
    if key_exchange and key_usage in (Usage.SIGNATURE, Usage.UNKNOWN, Usage.KEY_EXCHANGE):
        return Usage.KEY_EXCHANGE
    return key_usage if key_usage is not Usage.UNKNOWN else Usage.SIGNATURE


def _common_name(name: x509.Name) -> str | None:
    try:
        attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    except _pem.PARSE_ERRORS:
        return None
    if attrs:
        value = attrs[0].value
        return value if isinstance(value, str) else None
    return None


def _rfc4514(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except _pem.PARSE_ERRORS:
        return "<unparseable name>"


def _certificate(
    der: bytes,
    rule_id: str,
    line: int | None,
    snippet: str,
    *,
    notes: tuple[str, ...] = (),
    where: str | None = None,
    cert: x509.Certificate | None = None,
) -> list[DetectorOutput]:
    where = where or "certificate"
    try:
        raw_spki, raw_sig = _pem.spki_of_certificate(der)
        facts = _pem.describe_spki(raw_spki)
        sig_alg, sig_hash = _pem.signature_algorithm(raw_sig)
        if cert is None:
            cert = x509.load_der_x509_certificate(der)
        serial_number = cert.serial_number
        subject = _rfc4514(cert.subject)
        issuer = _rfc4514(cert.issuer)
        not_before = cert.not_valid_before_utc
        not_after = cert.not_valid_after_utc
    except _pem.PARSE_ERRORS:
        return [FileNote("malformed", f"{where}: not a valid X.509 certificate")]
    extra: list[str] = list(notes)
    if serial_number <= 0:
        extra.append("serial number is not positive (RFC 5280 §4.1.2.2)")
    serial = format(serial_number, "x")
    ski = aki = None
    is_ca = False
    key_exchange = False
    try:
        exts = cert.extensions
        for ext in exts:
            value = ext.value
            if isinstance(value, x509.BasicConstraints):
                is_ca = value.ca
            elif isinstance(value, x509.KeyUsage):
                # RFC 5280 §4.2.1.3: keyEncipherment (RSA key transport) and keyAgreement
                # (static (EC)DH) put the key in a key exchange: harvest-now-decrypt-later.
                key_exchange = value.key_encipherment or value.key_agreement
            elif isinstance(value, x509.SubjectKeyIdentifier):
                ski = value.digest.hex()
            elif isinstance(value, x509.AuthorityKeyIdentifier) and value.key_identifier is not None:
                aki = value.key_identifier.hex()
    except _pem.PARSE_ERRORS:
        extra.append("extensions could not be parsed")
    same_name = cert.subject == cert.issuer
    # Self-signed: issuer = subject and, when both key ids are present, AKI = SKI. The
    # signature itself is not verified (inventory, not validation; and it costs time).
    self_signed = same_name and (aki is None or ski is None or aki == ski)
    if not facts.loaded:
        extra.append("public key read from its algorithm OID only")
    if facts.note:
        extra.append(facts.note)
    fingerprint = facts.fingerprint
    info = CertificateInfo(
        subject=subject,
        issuer=issuer,
        serial_number=serial,
        not_before=not_before,
        not_after=not_after,
        signature_algorithm=_pem.canonical_name(sig_alg),
        signature_hash=sig_hash,
        is_ca=is_ca,
        self_signed=self_signed,
        subject_key_id=ski,
        authority_key_id=aki,
        sha256_fingerprint=hashlib.sha256(der).hexdigest(),
    )
    return [
        Finding(
            kind=AssetKind.CERTIFICATE,
            algorithm=facts.algorithm,
            rule_id=rule_id,
            line=line,
            usage=_certificate_usage(facts.usage, is_ca, key_exchange),
            key_size=facts.key_size,
            curve=facts.curve,
            parameter_set=facts.parameter_set,
            fingerprint_sha256=fingerprint,
            certificate=info,
            name=(_common_name(cert.subject) or subject)[:120],
            confidence=Confidence.HIGH if facts.loaded else Confidence.MEDIUM,
            snippet=snippet,
            notes=tuple(extra),
            related_fingerprints=(fingerprint,) if fingerprint else (),
        )
    ]


def _pkcs7(der: bytes, line: int | None, snippet: str, *, where: str | None = None) -> list[DetectorOutput]:
    where = where or "PKCS#7 bundle"
    try:
        certs = pkcs7.load_der_pkcs7_certificates(der)
    except _pem.PARSE_ERRORS:
        return [FileNote("malformed", f"{where}: not a PKCS#7 certificate bundle")]
    out: list[DetectorOutput] = []
    for cert in certs:
        cert_der = cert.public_bytes(serialization.Encoding.DER)
        out.extend(_certificate(cert_der, RULE_PKCS7, line, snippet, where=where, cert=cert))
    if not certs:
        out.append(FileNote("empty", f"{where} holds no certificates"))
    return out


def _csr(der: bytes, line: int | None, snippet: str, *, where: str | None = None) -> list[DetectorOutput]:
    where = where or "certificate request"
    try:
        raw_spki, raw_sig = _pem.spki_of_csr(der)
        facts = _pem.describe_spki(raw_spki)
        sig_alg, sig_hash = _pem.signature_algorithm(raw_sig)
        csr = x509.load_der_x509_csr(der)
        subject = _rfc4514(csr.subject)
    except _pem.PARSE_ERRORS:
        return [FileNote("malformed", f"{where}: not a valid PKCS#10 request")]
    sig = _pem.canonical_name(sig_alg) + (f" with {sig_hash}" if sig_hash else "")
    notes = ["certificate signing request (PKCS#10)", f"subject: {subject[:200]}", f"signed with {sig}"]
    if facts.note:
        notes.append(facts.note)
    return [
        Finding(
            kind=AssetKind.KEY,
            algorithm=facts.algorithm,
            rule_id=RULE_CSR,
            line=line,
            usage=facts.usage,
            key_size=facts.key_size,
            curve=facts.curve,
            parameter_set=facts.parameter_set,
            fingerprint_sha256=facts.fingerprint,
            key_material=KeyMaterial.PUBLIC,
            name=(_common_name(csr.subject) or subject)[:120],
            confidence=Confidence.HIGH if facts.loaded else Confidence.MEDIUM,
            snippet=snippet,
            notes=tuple(notes),
        )
    ]


# --------------------------------------------------------------------------- PKCS#12
#
# RFC 7292. We walk the structure ourselves instead of calling pkcs12.load_pkcs12 for
# two reasons: that function validates RSA private keys (≈39 ms for RSA-2048, ≈284 ms
# for RSA-4096) where we only need public metadata, and it cannot tell "no encryption,
# integrity MAC only" from "password-protected". Legacy RC2-40 stores fall back to it.

_OID_DATA = "1.2.840.113549.1.7.1"
_OID_ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
_BAG_KEY = "1.2.840.113549.1.12.10.1.1"
_BAG_SHROUDED_KEY = "1.2.840.113549.1.12.10.1.2"
_BAG_CERT = "1.2.840.113549.1.12.10.1.3"
_BAG_SAFE_CONTENTS = "1.2.840.113549.1.12.10.1.6"
_CERT_TYPE_X509 = "1.2.840.113549.1.9.22.1"
_OID_PBES2 = "1.2.840.113549.1.5.13"
_OID_PBKDF2 = "1.2.840.113549.1.5.12"
_PBE_SHA1_3DES = "1.2.840.113549.1.12.1.3"
_PBE_SHA1_2DES = "1.2.840.113549.1.12.1.4"
_PKCS12_PBE_ARC = "1.2.840.113549.1.12.1."
_PRF = {
    "1.2.840.113549.2.7": "sha1",
    "1.2.840.113549.2.8": "sha224",
    "1.2.840.113549.2.9": "sha256",
    "1.2.840.113549.2.10": "sha384",
    "1.2.840.113549.2.11": "sha512",
}
_PBES2_CIPHERS = {
    "2.16.840.1.101.3.4.1.2": ("aes", 16),
    "2.16.840.1.101.3.4.1.22": ("aes", 24),
    "2.16.840.1.101.3.4.1.42": ("aes", 32),
    "1.2.840.113549.3.7": ("3des", 24),
}


class _Unsupported(Exception):
    """An encryption scheme this reader does not implement (fall back to cryptography)."""


class _WrongPassword(Exception):
    """Decryption produced garbage: the password is wrong."""


@dataclass
class _Encrypted:
    algorithm: _pem.AlgorithmIdentifier
    ciphertext: bytes
    is_key: bool
    """A shrouded key bag (EncryptedPrivateKeyInfo) rather than an EncryptedData safe."""


@dataclass
class _Contents:
    certificates: list[bytes] = field(default_factory=list)
    private_keys: list[bytes] = field(default_factory=list)
    """PrivateKeyInfo DER (internal only; turned into public facts and dropped)."""
    locked: list[_Encrypted] = field(default_factory=list)


def _pkcs12_kdf(
    hash_name: str, password: bytes, salt: bytes, purpose: int, iterations: int, size: int
) -> bytes:
    """RFC 7292 Appendix B.2 key derivation (``password`` already BMPString-encoded)."""
    h = hashlib.new(hash_name)
    u, v = h.digest_size, h.block_size
    d = bytes([purpose]) * v

    def fill(b: bytes) -> bytes:
        if not b:
            return b""
        n = v * ((len(b) + v - 1) // v)
        return (b * (n // len(b) + 1))[:n]

    i_buf = bytearray(fill(salt) + fill(password))
    out = b""
    while len(out) < size:
        a = hashlib.new(hash_name, d + bytes(i_buf)).digest()
        for _ in range(iterations - 1):
            a = hashlib.new(hash_name, a).digest()
        out += a
        b = int.from_bytes((a * (v // u + 1))[:v], "big")
        for j in range(0, len(i_buf), v):
            block = (int.from_bytes(i_buf[j : j + v], "big") + b + 1) % (1 << (8 * v))
            i_buf[j : j + v] = block.to_bytes(v, "big")
    return out[:size]


def _iterations(alg: _pem.AlgorithmIdentifier) -> int:
    """Iteration count of a PBE scheme (for the guessing budget); raises :class:`_Unsupported`."""
    p = alg.params or b""
    try:
        if alg.oid == _OID_PBES2:
            _, cs, ce = _pem.read_tlv(p, 0)
            kdf = _pem.children(p, cs, ce, 2)[0]
            kdf_alg = _pem.read_algorithm_identifier(p, kdf[2], kdf[3])
            if kdf_alg.oid != _OID_PBKDF2 or not kdf_alg.params:
                raise _Unsupported
            kp = kdf_alg.params
            _, kcs, kce = _pem.read_tlv(kp, 0)
            kids = _pem.children(kp, kcs, kce, 4)
            return int.from_bytes(kp[kids[1][2] : kids[1][3]], "big")
        if alg.oid.startswith(_PKCS12_PBE_ARC):  # RFC 7292 App. C: pkcs-12PbeParams
            _, cs, ce = _pem.read_tlv(p, 0)
            kids = _pem.children(p, cs, ce, 2)
            return int.from_bytes(p[kids[1][2] : kids[1][3]], "big")
    except (DerError, IndexError) as exc:
        raise _Unsupported from exc
    raise _Unsupported


def _unpad(plain: bytes, block: int) -> bytes:
    if not plain or len(plain) % block:
        raise _WrongPassword
    n = plain[-1]
    if n < 1 or n > block or plain[-n:] != bytes([n]) * n:
        raise _WrongPassword
    return plain[:-n]


def _decrypt(alg: _pem.AlgorithmIdentifier, ciphertext: bytes, password: bytes, bmp: bytes) -> bytes:
    """Decrypt with PBES2 (PBKDF2 + AES/3DES-CBC) or PKCS#12 PBE-SHA1-3DES."""
    p = alg.params or b""
    try:
        if alg.oid == _OID_PBES2:
            _, cs, ce = _pem.read_tlv(p, 0)
            kdf, enc = _pem.children(p, cs, ce, 2)
            kdf_alg = _pem.read_algorithm_identifier(p, kdf[2], kdf[3])
            enc_alg = _pem.read_algorithm_identifier(p, enc[2], enc[3])
            if kdf_alg.oid != _OID_PBKDF2 or not kdf_alg.params or enc_alg.oid not in _PBES2_CIPHERS:
                raise _Unsupported
            kp = kdf_alg.params
            _, kcs, kce = _pem.read_tlv(kp, 0)
            kids = _pem.children(kp, kcs, kce, 4)
            salt = kp[kids[0][2] : kids[0][3]]
            iterations = int.from_bytes(kp[kids[1][2] : kids[1][3]], "big")
            prf = "sha1"
            for tag, _, s, e in kids[2:]:
                if tag == _pem.SEQUENCE:
                    prf_oid = _pem.read_algorithm_identifier(kp, s, e).oid
                    if prf_oid not in _PRF:
                        raise _Unsupported
                    prf = _PRF[prf_oid]
            kind, key_len = _PBES2_CIPHERS[enc_alg.oid]
            iv_tlv = enc_alg.params or b""
            _, ics, ice = _pem.read_tlv(iv_tlv, 0)
            iv = iv_tlv[ics:ice]
            if not 0 < iterations <= _MAX_ITERATIONS:
                raise _Unsupported
            key = hashlib.pbkdf2_hmac(prf, password, salt, iterations, key_len)
            if kind == "aes":
                cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
                block = 16
            else:
                cipher = Cipher(TripleDES(key), modes.CBC(iv))
                block = 8
        elif alg.oid in (_PBE_SHA1_3DES, _PBE_SHA1_2DES):
            _, cs, ce = _pem.read_tlv(p, 0)
            salt_t, iter_t = _pem.children(p, cs, ce, 2)
            salt = p[salt_t[2] : salt_t[3]]
            iterations = int.from_bytes(p[iter_t[2] : iter_t[3]], "big")
            if not 0 < iterations <= _MAX_ITERATIONS:
                raise _Unsupported
            key_len = 24 if alg.oid == _PBE_SHA1_3DES else 16
            key = _pkcs12_kdf("sha1", bmp, salt, 1, iterations, key_len)
            iv = _pkcs12_kdf("sha1", bmp, salt, 2, iterations, 8)
            cipher = Cipher(TripleDES(key), modes.CBC(iv))
            block = 8
        else:
            raise _Unsupported
    except (DerError, ValueError, IndexError) as exc:
        raise _Unsupported from exc
    if len(ciphertext) % block or not ciphertext:
        raise _WrongPassword
    dec = cipher.decryptor()
    plain = _unpad(dec.update(ciphertext) + dec.finalize(), block)
    # A wrong password passes the padding check 1 time in ~256: insist on whole DER.
    try:
        tag, _, end = _pem.read_tlv(plain, 0)
    except DerError as exc:
        raise _WrongPassword from exc
    if tag != _pem.SEQUENCE or end != len(plain):
        raise _WrongPassword
    return plain


def _bmp(password: bytes) -> bytes:
    """BMPString with terminator, as PKCS#12 PBE and MACs use (RFC 7292 B.1)."""
    return password.decode("utf-8").encode("utf-16-be") + b"\x00\x00"


class _Pkcs12Reader:
    def __init__(self, data: bytes, name: str = "") -> None:
        self.data = data
        self.name = name
        self.mac_iterations = _mac_iterations(data)
        self.guess_cost = self.mac_iterations
        """Work (KDF iterations) of one password guess, for the fallback's budget."""

    # structure ---------------------------------------------------------------

    def _auth_safe(self) -> list[tuple[str, bytes]]:
        d = self.data
        _, cs, ce = _pem.read_tlv(d, 0)
        kids = _pem.children(d, cs, ce, 3)
        if len(kids) < 2 or kids[1][0] != _pem.SEQUENCE:
            raise DerError("PFX has no authSafe")
        ci = _pem.children(d, kids[1][2], kids[1][3], 2)
        if len(ci) != 2 or ci[0][0] != _pem.OID or ci[1][0] != 0xA0:
            raise DerError("authSafe is not a ContentInfo")
        if _pem.decode_oid(d[ci[0][2] : ci[0][3]]) != _OID_DATA:
            raise _Unsupported  # public-key integrity mode (signedData) is rare
        tag, ocs, oce = _pem.read_tlv(d, ci[1][2], ci[1][3])
        if tag != _pem.OCTET_STRING:
            raise DerError("authSafe content is not an OCTET STRING")
        _, scs, sce = _pem.read_tlv(d, ocs, oce)
        infos: list[tuple[str, bytes]] = []
        for tag, _, s, e in _pem.children(d, scs, sce, 64):
            if tag != _pem.SEQUENCE:
                raise DerError("AuthenticatedSafe element is not a ContentInfo")
            parts = _pem.children(d, s, e, 2)
            if len(parts) != 2 or parts[0][0] != _pem.OID or parts[1][0] != 0xA0:
                raise DerError("bad ContentInfo")
            infos.append((_pem.decode_oid(d[parts[0][2] : parts[0][3]]), d[parts[1][2] : parts[1][3]]))
        return infos

    def _walk(self) -> _Contents:
        contents = _Contents()
        for oid, body in self._auth_safe():
            if oid == _OID_DATA:
                tag, s, e = _pem.read_tlv(body, 0)
                if tag != _pem.OCTET_STRING:
                    raise DerError("data content is not an OCTET STRING")
                self._safe_contents(body[s:e], contents, 0)
            elif oid == _OID_ENCRYPTED_DATA:
                # EncryptedData ::= SEQUENCE { version, EncryptedContentInfo }
                _, s, e = _pem.read_tlv(body, 0)
                ed = _pem.children(body, s, e, 3)
                eci = _pem.children(body, ed[1][2], ed[1][3], 3)
                alg = _pem.read_algorithm_identifier(body, eci[1][2], eci[1][3])
                if len(eci) < 3 or eci[2][0] not in (0x80, 0xA0):
                    raise DerError("EncryptedData has no content")
                ct = body[eci[2][2] : eci[2][3]]
                if eci[2][0] == 0xA0:  # constructed form: OCTET STRING chunks
                    ct = b"".join(body[c[2] : c[3]] for c in _pem.children(body, eci[2][2], eci[2][3], 4096))
                contents.locked.append(_Encrypted(alg, ct, is_key=False))
        return contents

    def _safe_contents(self, der: bytes, contents: _Contents, depth: int) -> None:
        if depth > 4:
            raise DerError("SafeContents nested too deeply")
        tag, cs, ce = _pem.read_tlv(der, 0)
        if tag != _pem.SEQUENCE:
            raise DerError("SafeContents is not a SEQUENCE")
        for btag, _, s, e in _pem.children(der, cs, ce, 256):
            if btag != _pem.SEQUENCE:
                raise DerError("SafeBag is not a SEQUENCE")
            parts = _pem.children(der, s, e, 3)
            if len(parts) < 2 or parts[0][0] != _pem.OID or parts[1][0] != 0xA0:
                raise DerError("bad SafeBag")
            bag_id = _pem.decode_oid(der[parts[0][2] : parts[0][3]])
            value_start, value_end = parts[1][2], parts[1][3]
            value = der[value_start:value_end]
            if bag_id == _BAG_KEY:
                contents.private_keys.append(value)
            elif bag_id == _BAG_SHROUDED_KEY:
                _, vs, ve = _pem.read_tlv(value, 0)
                epki = _pem.children(value, vs, ve, 2)
                alg = _pem.read_algorithm_identifier(value, epki[0][2], epki[0][3])
                contents.locked.append(_Encrypted(alg, value[epki[1][2] : epki[1][3]], is_key=True))
            elif bag_id == _BAG_CERT:
                _, vs, ve = _pem.read_tlv(value, 0)
                cb = _pem.children(value, vs, ve, 2)
                if _pem.decode_oid(value[cb[0][2] : cb[0][3]]) == _CERT_TYPE_X509:
                    _, os_, oe = _pem.read_tlv(value, cb[1][2], cb[1][3])
                    contents.certificates.append(value[os_:oe])
            elif bag_id == _BAG_SAFE_CONTENTS:
                self._safe_contents(value, contents, depth + 1)

    def _unlock(self, contents: _Contents) -> tuple[bool, str | None]:
        """Decrypt locked parts with the empty password or a default; (opened, which kind)."""
        if not contents.locked:
            return True, None
        first = contents.locked[0]
        pbes2 = first.algorithm.oid == _OID_PBES2
        # PKCS#12 PBE derives key and IV separately: twice the work per guess.
        cost = max(_iterations(first.algorithm), 1) * (1 if pbes2 else 2)
        self.guess_cost = cost + self.mac_iterations
        budget = _GUESS_ITERATION_BUDGET
        candidates: list[tuple[str, bytes, bytes]] = [("empty", b"", b"")]
        if not pbes2:  # PBES2 takes the raw password; PKCS#12 PBE has two empty encodings
            candidates.append(("empty", b"", b"\x00\x00"))
        candidates += [("default", pw, _bmp(pw)) for pw in _DEFAULT_PASSWORDS]
        for label, pw, bmp in candidates:
            budget -= cost
            if budget < 0:
                break
            try:
                plain = _decrypt(first.algorithm, first.ciphertext, pw, bmp)
            except _WrongPassword:
                continue
            self._absorb(first, plain, contents)
            rest, contents.locked = contents.locked[1:], []
            work = 0
            for item in rest:
                work += _iterations(item.algorithm)
                if work > _STORE_ITERATION_LIMIT:
                    contents.locked.append(item)
                    continue
                try:
                    self._absorb(item, _decrypt(item.algorithm, item.ciphertext, pw, bmp), contents)
                except _WrongPassword:
                    contents.locked.append(item)  # a second password guards it (openssl -twopass)
            return not contents.locked, label
        return False, None

    def _absorb(self, item: _Encrypted, plain: bytes, contents: _Contents) -> None:
        if item.is_key:
            contents.private_keys.append(plain)
        else:
            self._safe_contents(plain, contents, 1)

    # findings ----------------------------------------------------------------

    def findings(self) -> list[DetectorOutput]:
        try:
            contents = self._walk()
            opened, password_kind = self._unlock(contents)
        except _Unsupported:
            return _pkcs12_fallback(self.data, self.guess_cost, self.name)
        except _pem.PARSE_ERRORS:
            return [FileNote("malformed", "PKCS#12 store is not well-formed")]
        notes: tuple[str, ...]
        if not opened:
            notes = ()
        elif password_kind is None:
            notes = ("PKCS#12 store is not encrypted",)
        elif password_kind == "empty":
            notes = ("PKCS#12 store is protected only by an empty password",)
        else:
            notes = ("PKCS#12 store is protected only by a well-known default password",)
        return _pkcs12_outputs(contents.certificates, contents.private_keys, opened, notes, self.name)


def _private_key_facts(pkcs8: bytes) -> KeyFacts | None:
    try:
        key = serialization.load_der_private_key(pkcs8, None, unsafe_skip_rsa_key_validation=True)
        return _pem.describe_public_key(key.public_key())
    except _pem.PARSE_ERRORS:
        pass
    try:
        view = _pem.parse_pkcs8(pkcs8)
    except DerError:
        return None
    return _pem.facts_from_oid(view.oid, view.public_spki)


def _pkcs12_outputs(
    certificates: list[bytes],
    private_keys: list[bytes],
    opened: bool,
    notes: tuple[str, ...],
    name: str = "",
) -> list[DetectorOutput]:
    out: list[DetectorOutput] = []
    for der in certificates:
        out.extend(
            _certificate(
                der, RULE_PKCS12_CERT, None, "PKCS#12 store", notes=notes, where="PKCS#12 certificate"
            )
        )
    for pkcs8 in private_keys:
        facts = _private_key_facts(pkcs8)
        if facts is None:
            out.append(FileNote("malformed", "PKCS#12 store: a private key could not be read"))
            continue
        out.append(
            Finding(
                kind=AssetKind.KEY,
                algorithm=facts.algorithm,
                rule_id=RULE_PKCS12_KEY,
                usage=facts.usage,
                key_size=facts.key_size,
                curve=facts.curve,
                parameter_set=facts.parameter_set,
                fingerprint_sha256=facts.fingerprint,
                key_material=KeyMaterial.PRIVATE,
                name=name,
                confidence=Confidence.HIGH if facts.loaded else Confidence.MEDIUM,
                snippet="PKCS#12 store",
                notes=notes + ((facts.note,) if facts.note else ()),
            )
        )
    if not opened:
        out.append(
            FileNote(
                "encrypted",
                "PKCS#12 store not opened: password-protected, and none of the common default passwords opens it",
            )
        )
        out.append(
            Finding(
                kind=AssetKind.KEY,
                algorithm="unknown",
                rule_id=RULE_PKCS12_KEY,
                usage=Usage.UNKNOWN,
                key_material=KeyMaterial.PRIVATE,
                encrypted=True,
                name=name,
                confidence=Confidence.MEDIUM,
                snippet="PKCS#12 store",
                notes=("PKCS#12 store not opened; it may hold private keys",),
            )
        )
    return out


def _mac_iterations(data: bytes) -> int:
    """Iteration count of a PFX's MacData (RFC 7292 §4: default 1); 0 without a MAC."""
    try:
        _, cs, ce = _pem.read_tlv(data, 0)
        kids = _pem.children(data, cs, ce, 3)
        if len(kids) < 3:
            return 0
        mac = _pem.children(data, kids[2][2], kids[2][3], 3)
        if len(mac) < 3:
            return 1
        return int.from_bytes(data[mac[2][2] : mac[2][3]], "big")
    except (DerError, IndexError):
        return 0


def _pkcs12_fallback(data: bytes, guess_cost: int, name: str = "") -> list[DetectorOutput]:
    """Legacy stores (RC2-40, PBMAC1…) through cryptography; slower (validates RSA keys)."""
    candidates: list[tuple[str | None, bytes | None]] = [(None, None), ("empty", b"")]
    candidates += [("default", pw) for pw in _DEFAULT_PASSWORDS]
    if guess_cost > _MAX_ITERATIONS:
        candidates = []
    elif guess_cost > 0:
        candidates = candidates[: max(2, _GUESS_ITERATION_BUDGET // guess_cost)]
    for label, pw in candidates:
        try:
            p12 = pkcs12.load_pkcs12(data, pw)
        except _pem.PARSE_ERRORS:
            continue
        certs = []
        if p12.cert is not None:
            certs.append(p12.cert.certificate)
        certs.extend(c.certificate for c in p12.additional_certs)
        keys = []
        if p12.key is not None:
            keys.append(
                p12.key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        if label is None:
            notes: tuple[str, ...] = ("PKCS#12 store is not password-protected",)
        elif label == "empty":
            notes = ("PKCS#12 store is protected only by an empty password",)
        else:
            notes = ("PKCS#12 store is protected only by a well-known default password",)
        return _pkcs12_outputs(
            [c.public_bytes(serialization.Encoding.DER) for c in certs], keys, True, notes, name
        )
    return _pkcs12_outputs([], [], False, (), name)
