"""Java keystores (JKS, JCEKS): entries, algorithms and sizes, protection, hostile files.

The keystores under tests/corpus/config/keystores were made with keytool (see the README there)
and are committed, so these tests need no JDK. Edge cases are built here byte by byte following
the JKS layout of sun.security.provider.JavaKeyStore.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import struct
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk.model import AssetKind, KeyMaterial, Usage, inventory_to_json
from qrisk.scan.detectors import keystores as ks
from qrisk.scan.detectors.base import FileNote, Finding
from qrisk.scan.detectors.certificates import CertificateDetector
from qrisk.scan.detectors.keystores import (
    MAGIC_JCEKS,
    MAGIC_JKS,
    KeystoreDetector,
    default_store_password,
    parse_keystore,
)
from qrisk.scan.engine import ScanOptions, run_scan

DETECTOR = KeystoreDetector()
KEYSTORES = Path(__file__).resolve().parents[1] / "corpus" / "config" / "keystores"


def read(name: str) -> bytes:
    return (KEYSTORES / name).read_bytes()


def scan(name: str, data: bytes | None = None) -> tuple[list[Finding], list[FileNote]]:
    data = read(name) if data is None else data
    assert DETECTOR.wants(name, data[:8192])
    out = list(DETECTOR.detect(name, data))
    return [o for o in out if isinstance(o, Finding)], [o for o in out if isinstance(o, FileNote)]


def rows(found: list[Finding]) -> list[tuple[AssetKind, str, int | None, str | None]]:
    return sorted((f.kind, f.algorithm, f.key_size, f.name) for f in found)


# --------------------------------------------------------------------------- keytool-made stores


def test_jks_private_key_entries_and_chains() -> None:
    found, notes = scan("server.jks")
    assert notes == []
    assert rows(found) == [
        (AssetKind.CERTIFICATE, "ECDSA-P256", 256, "corpus.example"),
        (AssetKind.CERTIFICATE, "RSA", 2048, "corpus.example"),
        (AssetKind.KEY, "ECDSA-P256", 256, "ec-server"),
        (AssetKind.KEY, "RSA", 2048, "rsa-server"),
    ]
    keys = [f for f in found if f.kind is AssetKind.KEY]
    assert all(f.key_material is KeyMaterial.PRIVATE and f.encrypted for f in keys)
    assert all(any("JKS proprietary key protection" in n for n in f.notes) for f in keys)
    # the key and its certificate share the public-key fingerprint
    certs = {f.fingerprint_sha256 for f in found if f.kind is AssetKind.CERTIFICATE}
    assert {f.fingerprint_sha256 for f in keys} == certs
    assert all(f.line is None for f in found)


def test_jks_truststore() -> None:
    found, notes = scan("trust.jks")
    assert notes == [] and rows(found) == [(AssetKind.CERTIFICATE, "RSA", 2048, "corpus.example")]


def test_jceks_secret_keys_open_with_the_default_password() -> None:
    found, notes = scan("secrets.jceks")
    assert notes == []
    secret = {f.name: f for f in found if f.key_material is KeyMaterial.SECRET}
    assert (secret["data-key"].algorithm, secret["data-key"].key_size) == ("AES", 256)
    assert (secret["mac-key"].algorithm, secret["mac-key"].key_size) == ("HmacSHA256", 256)
    assert secret["mac-key"].usage is Usage.AUTHENTICATION
    assert not secret["data-key"].encrypted
    assert all("default password" in f.notes[0] for f in secret.values())
    assert all(any("well-known default" in n for n in f.notes) for f in found)
    assert {(f.kind, f.algorithm) for f in found if f.name in ("signer", "corpus.example")} == {
        (AssetKind.KEY, "Ed25519"), (AssetKind.CERTIFICATE, "Ed25519"),
    }


def test_jceks_with_a_strong_password_stays_encrypted() -> None:
    [f], notes = scan("locked.jceks")
    assert notes == []
    assert (f.kind, f.algorithm, f.key_size, f.encrypted) == (AssetKind.KEY, "unknown", None, True)
    assert "encrypted" in f.notes[0] and "PBEWithMD5AndTripleDES" in f.notes[0]


def test_pkcs12_named_jks_belongs_to_the_certificate_detector() -> None:
    data = read("app.p12.jks")
    assert not DETECTOR.wants("app.p12.jks", data[:8192])
    assert CertificateDetector().wants("app.p12.jks", data[:8192])


def test_decoys_and_truncation() -> None:
    text = read("not-a-keystore.jks")
    assert not DETECTOR.wants("not-a-keystore.jks", text)
    found, notes = scan("truncated.jks")
    assert found == [] and [n.reason for n in notes] == ["truncated"]


def test_wants_by_magic_whatever_the_name() -> None:
    assert DETECTOR.wants("conf/cacerts", read("trust.jks")[:64])
    assert DETECTOR.wants("x.bin", struct.pack(">I", MAGIC_JCEKS) + b"\x00" * 8)
    assert not DETECTOR.wants("x.jks", b"\x30\x82\x01\x00")


def _secret_key_bytes() -> list[bytes]:
    """The raw secret keys inside secrets.jceks, unsealed here the way the detector does it."""
    _, entries, _, _ = parse_keystore(read("secrets.jceks"))
    out = []
    for e in entries:
        if e.sealed is None:
            continue
        salt, iterations = ks._pbe_params(e.sealed.fields["encodedParams"])  # type: ignore[misc]
        plain = ks._pbe_md5_3des_decrypt(e.sealed.fields["encryptedContent"], salt, iterations, "changeit")
        assert plain is not None
        spec = ks._Deserializer(ks._Reader(plain)).stream()
        out.append(spec.fields["key"])
    return out


def test_no_key_material_in_any_output() -> None:
    inv = run_scan([str(KEYSTORES)], ScanOptions(detectors=lambda: [KeystoreDetector(), CertificateDetector()], jobs=1))
    text = inventory_to_json(inv)
    assert "changeit" not in text and "PRIVATE KEY" not in text
    keys = _secret_key_bytes()
    assert len(keys) == 2 and {len(k) for k in keys} == {32}
    for key in keys:
        for form in (key.hex(), key.hex().upper(), base64.b64encode(key).decode()):
            assert form not in text


# --------------------------------------------------------------------------- edge cases built here


def _cert_der() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "edge.example")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def _utf(s: str) -> bytes:
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def _jks(entries: list[bytes], *, version: int = 2, magic: int = MAGIC_JKS) -> bytes:
    body = struct.pack(">III", magic, version, len(entries)) + b"".join(entries)
    return body + hashlib.sha1(body, usedforsecurity=False).digest()


def _trusted(alias: str, der: bytes, version: int = 2) -> bytes:
    ctype = _utf("X.509") if version == 2 else b""
    return struct.pack(">I", 2) + _utf(alias) + struct.pack(">Q", 0) + ctype + struct.pack(">I", len(der)) + der


def test_version_1_store_and_chainless_private_key() -> None:
    der = _cert_der()
    protected = bytes.fromhex("300e300a06062b0601040116") + b"\x04\x00"  # junk EncryptedPrivateKeyInfo
    private = struct.pack(">I", 1) + _utf("nochain") + struct.pack(">Q", 0) + struct.pack(">I", len(protected)) + protected
    private += struct.pack(">I", 0)
    data = _jks([_trusted("v1", der, version=1), private], version=1)
    found, notes = scan("edge.jks", data)
    assert notes == []
    assert rows(found) == [(AssetKind.CERTIFICATE, "RSA", 1024, "edge.example"), (AssetKind.KEY, "unknown", None, "nochain")]
    key = next(f for f in found if f.kind is AssetKind.KEY)
    assert key.encrypted and any("encrypted" in n for n in key.notes)


def test_unknown_entry_and_bad_headers() -> None:
    der = _cert_der()
    bad_tag = struct.pack(">I", 9) + _utf("x") + struct.pack(">Q", 0)
    found, notes = scan("a.jks", _jks([_trusted("ok", der), bad_tag]))
    assert len(found) == 1 and [n.reason for n in notes] == ["malformed"]
    for data in (struct.pack(">III", MAGIC_JKS, 7, 0), struct.pack(">III", MAGIC_JKS, 2, 10**9)):
        found, notes = scan("b.jks", data)
        assert found == [] and [n.reason for n in notes] == ["malformed"]


def test_hostile_serialization_in_a_jceks_secret_entry() -> None:
    # a TC_OBJECT chain nested far deeper than any SealedObject: refused, not a RecursionError
    deep = b"\xac\xed\x00\x05" + b"\x75" * 5000
    entry = struct.pack(">I", 3) + _utf("deep") + struct.pack(">Q", 0) + deep
    found, notes = scan("deep.jceks", _jks([entry], magic=MAGIC_JCEKS))
    assert found == [] and len(notes) == 1


@pytest.mark.parametrize("name", ["server.jks", "trust.jks", "secrets.jceks", "locked.jceks"])
def test_parse_reads_every_entry(name: str) -> None:
    data = read(name)
    fmt, entries, problem, end = parse_keystore(data)
    assert problem is None and fmt in ("JKS", "JCEKS") and entries
    assert end == len(data) - 20
    # keytool made every store but locked.jceks with the JDK's default password
    assert (default_store_password(data, end) is None) == (name == "locked.jceks")


@settings(max_examples=120, deadline=None)
@given(
    name=st.sampled_from(["server.jks", "trust.jks", "locked.jceks"]),
    cuts=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=12),
    truncate=st.integers(0, 4000),
)
def test_fuzz_mutated_keystores_never_raise(name: str, cuts: list[tuple[int, int]], truncate: int) -> None:
    data = bytearray(read(name))
    for pos, value in cuts:
        if pos < len(data):
            data[pos] = value
    blob = bytes(data[: max(truncate, 12)])
    out = list(DETECTOR.detect(name, blob))
    assert all(isinstance(o, Finding | FileNote) for o in out)


@settings(max_examples=300, deadline=None)
@given(
    magic=st.sampled_from([MAGIC_JKS, MAGIC_JCEKS]),
    version=st.sampled_from([1, 2, 3]),
    count=st.integers(0, 5),
    body=st.binary(max_size=600),
)
def test_fuzz_random_entries_never_raise(magic: int, version: int, count: int, body: bytes) -> None:
    data = struct.pack(">III", magic, version, count) + body
    out = list(DETECTOR.detect("fuzz.ks", data))
    assert all(isinstance(o, Finding | FileNote) for o in out)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=400))
def test_fuzz_java_serialization_reader(body: bytes) -> None:
    with contextlib.suppress(ks.KeystoreError):  # a clear refusal is fine; nothing else may escape
        ks._Deserializer(ks._Reader(b"\xac\xed\x00\x05" + body)).stream()
