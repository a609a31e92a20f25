"""The x509 detector against real certificates from cryptography and openssl."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest
from cryptography import x509
from keyfactory import (
    P12_DEFAULT_PASSWORD,
    P12_UNKNOWN_PASSWORD,
    cert_der,
    cert_pem,
    der_to_indefinite_ber,
    leaked_runs,
    make_certificate,
    openssl,
    output_strings,
    pem_body,
    pem_private,
    pkcs7_bundle,
    pkcs12_store,
    pq_certificate,
    private_key,
    raw_spki,
    slh_dsa_keys,
    spki_der,
    spki_fingerprint,
    to_pem,
)

from qrisk.model import AssetKind, KeyMaterial, Usage
from qrisk.scan.detectors import FileNote, Finding
from qrisk.scan.detectors.certificates import CertificateDetector
from qrisk.scan.detectors.keys import KeyDetector

DETECTOR = CertificateDetector()
CATCH_ALL = "the rest of this file was not examined"


def scan(path: str, data: bytes, *, check_wants: bool = True) -> list[Finding | FileNote]:
    if check_wants:
        assert DETECTOR.wants(path, data[:4096]), path
    out = list(DETECTOR.detect(path, data))
    assert all(isinstance(o, Finding | FileNote) for o in out)
    # The broad safety net must never be what handled an input: every failure is expected.
    assert not any(isinstance(o, FileNote) and CATCH_ALL in o.detail for o in out), out
    return out


def findings(out: list[Finding | FileNote]) -> list[Finding]:
    return [o for o in out if isinstance(o, Finding)]


def notes(out: list[Finding | FileNote]) -> list[FileNote]:
    return [o for o in out if isinstance(o, FileNote)]


def ski_hex(cert: x509.Certificate) -> str:
    return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex()


@pytest.fixture(scope="module")
def pki():
    """An RSA root, an ECDSA P-384 intermediate and leaves of several key types."""
    root_key = private_key("rsa4096")
    root = make_certificate(root_key, "qrisk Root CA", ca=True, serial=1)
    inter_key = private_key("p384")
    inter = make_certificate(
        inter_key, "qrisk EC Issuing CA", issuer_key=root_key, issuer_cert=root, ca=True, serial=2
    )
    leaf_rsa = make_certificate(
        private_key("rsa2048"), "rsa.example", issuer_key=inter_key, issuer_cert=inter, serial=0xABCDEF
    )
    leaf_ec = make_certificate(
        private_key("p256"), "ec.example", issuer_key=root_key, issuer_cert=root, serial=3
    )
    leaf_ed = make_certificate(private_key("ed25519"), "ed.example", serial=4)
    return {
        "root_key": root_key,
        "root": root,
        "inter_key": inter_key,
        "inter": inter,
        "leaf_rsa": leaf_rsa,
        "leaf_ec": leaf_ec,
        "leaf_ed": leaf_ed,
    }


# --------------------------------------------------------------------------- metadata


def test_metadata_registry() -> None:
    assert DETECTOR.id == "x509"
    assert DETECTOR.handles_binary
    assert set(DETECTOR.rules) == {f"QR-X509-00{i}" for i in range(1, 6)}
    assert all(r.startswith("QR-X509-") and d for r, d in DETECTOR.rules.items())


# --------------------------------------------------------------------------- PEM


@pytest.mark.parametrize("kind", ["rsa1024", "rsa2048", "rsa3072", "rsa4096"])
def test_self_signed_rsa_pem(kind: str) -> None:
    key = private_key(kind)
    cert = make_certificate(key, f"{kind}.example", ca=True, serial=0x0DEADBEEF)
    out = scan("certs/server.crt", cert_pem(cert))
    [f] = findings(out)
    assert not notes(out)
    assert f.kind is AssetKind.CERTIFICATE
    assert f.rule_id == "QR-X509-001"
    assert f.algorithm == "RSA"
    assert f.key_size == int(kind[3:])
    assert f.usage is Usage.SIGNATURE
    assert f.line == 1
    assert f.snippet == "-----BEGIN CERTIFICATE-----"
    assert f.fingerprint_sha256 == spki_fingerprint(key)
    assert f.related_fingerprints == (spki_fingerprint(key),)
    assert f.name == f"{kind}.example"
    info = f.certificate
    assert info is not None
    assert info.subject == f"CN={kind}.example,O=qrisk tests"
    assert info.issuer == info.subject
    assert info.serial_number == "deadbeef"
    assert info.not_before == dt.datetime(2025, 1, 15, 12, 0, tzinfo=dt.UTC)
    assert info.not_after.tzinfo is not None and info.not_after.utcoffset() == dt.timedelta(0)
    assert info.signature_algorithm == "RSA"
    assert info.signature_hash == "SHA-256"
    assert info.is_ca and info.self_signed
    assert info.subject_key_id == ski_hex(cert)
    assert info.sha256_fingerprint == hashlib.sha256(cert_der(cert)).hexdigest()


@pytest.mark.parametrize(
    ("kind", "curve", "size", "sig_hash"),
    [
        ("p256", "secp256r1", 256, "SHA-256"),
        ("p384", "secp384r1", 384, "SHA-384"),
        ("p521", "secp521r1", 521, "SHA-384"),
        ("secp256k1", "secp256k1", 256, "SHA-256"),
    ],
)
def test_self_signed_ec(kind: str, curve: str, size: int, sig_hash: str) -> None:
    key = private_key(kind)
    cert = make_certificate(key, "ec.example")
    [f] = findings(scan("ec.pem", cert_pem(cert)))
    assert f.algorithm.startswith("ECDSA")
    assert f.curve == curve
    assert f.key_size == size
    assert f.certificate is not None
    assert f.certificate.signature_algorithm == "ECDSA"
    assert f.certificate.signature_hash == sig_hash
    assert f.fingerprint_sha256 == spki_fingerprint(key)


@pytest.mark.parametrize(("kind", "algorithm"), [("ed25519", "Ed25519"), ("ed448", "Ed448")])
def test_eddsa_certificates(kind: str, algorithm: str) -> None:
    key = private_key(kind)
    [f] = findings(scan("ed.cer", cert_pem(make_certificate(key, "ed.example"))))
    assert f.algorithm == algorithm
    assert f.certificate is not None
    assert f.certificate.signature_algorithm == algorithm
    assert f.certificate.signature_hash is None


def test_dsa_certificate() -> None:
    key = private_key("dsa2048")
    [f] = findings(scan("dsa.crt", cert_pem(make_certificate(key, "dsa.example"))))
    assert f.algorithm == "DSA"
    assert f.key_size == 2048
    assert f.certificate is not None
    assert f.certificate.signature_algorithm == "DSA"


def test_ca_issued_chain_links_by_key_ids(pki) -> None:
    bundle = b"".join(cert_pem(pki[k]) for k in ("leaf_rsa", "inter", "root"))
    fs = findings(scan("chain.pem", bundle))
    assert [f.name for f in fs] == ["rsa.example", "qrisk EC Issuing CA", "qrisk Root CA"]
    leaf, inter, root = (f.certificate for f in fs)
    assert leaf is not None and inter is not None and root is not None
    assert not leaf.is_ca and not leaf.self_signed
    assert leaf.issuer == "CN=qrisk EC Issuing CA,O=qrisk tests"
    assert leaf.authority_key_id == inter.subject_key_id == ski_hex(pki["inter"])
    assert leaf.signature_algorithm == "ECDSA" and leaf.signature_hash == "SHA-384"
    assert inter.is_ca and not inter.self_signed
    assert inter.authority_key_id == root.subject_key_id
    assert inter.signature_algorithm == "RSA" and inter.signature_hash == "SHA-256"
    assert root.self_signed and root.is_ca
    assert fs[0].fingerprint_sha256 == spki_fingerprint(private_key("rsa2048"))
    assert fs[1].curve == "secp384r1"


def test_bundle_with_text_around_and_line_numbers(pki) -> None:
    leaf = cert_pem(pki["leaf_ec"]).decode()
    root = cert_pem(pki["root"]).decode()
    text = (
        "# CA bundle generated for tests\n"
        "subject=CN=ec.example\n"
        f"{leaf}"
        "\n"
        "Certificate:\n    Data: (openssl x509 -text output here)\n"
        f"{root}"
        "trailing words\n"
    )
    fs = findings(scan("bundle.ca-bundle", text.encode()))
    assert [f.line for f in fs] == [3, 3 + leaf.count("\n") + 3]
    assert [f.name for f in fs] == ["ec.example", "qrisk Root CA"]


def test_indented_and_crlf_pem_in_yaml(pki) -> None:
    pem = cert_pem(pki["leaf_ed"]).decode()
    indented = "".join("      " + ln + "\r\n" for ln in pem.splitlines())
    text = "apiVersion: v1\r\nkind: ConfigMap\r\ndata:\r\n  ca.crt: |\r\n" + indented
    [f] = findings(scan("configmap.yaml", text.encode()))
    assert f.line == 5
    assert f.algorithm == "Ed25519"


def test_pem_with_escaped_newlines_in_json(pki) -> None:
    pem = cert_pem(pki["leaf_ec"]).decode().replace("\n", "\\n")
    data = ('{"name": "x", "certificate": "' + pem + '"}\n').encode()
    [f] = findings(scan("terraform.tfstate", data))
    assert f.line == 1
    assert f.name == "ec.example"


def test_kubernetes_secret_base64_pem(pki) -> None:
    import base64

    b64 = base64.b64encode(cert_pem(pki["leaf_rsa"])).decode()
    data = f"apiVersion: v1\nkind: Secret\ndata:\n  tls.crt: {b64}\n".encode()
    [f] = findings(scan("secret.yaml", data))
    assert f.line == 4
    assert f.name == "rsa.example"


def test_trusted_certificate_label(pki) -> None:
    # OpenSSL appends trust settings after the certificate in this form.
    out = openssl("x509", "-addtrust", "serverAuth", "-trustout", stdin=cert_pem(pki["root"]))
    assert b"BEGIN TRUSTED CERTIFICATE" in out
    [f] = findings(scan("root.pem", out))
    assert f.name == "qrisk Root CA"
    assert f.certificate is not None
    assert f.certificate.sha256_fingerprint == hashlib.sha256(cert_der(pki["root"])).hexdigest()


def test_openssl_generated_certificate(tmp_path: Path) -> None:
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes",
        "-keyout", key, "-out", crt, "-subj", "/CN=openssl.example/O=qrisk", "-days", "30", "-sha384",
    )  # fmt: skip
    [f] = findings(scan("c.pem", crt.read_bytes()))
    assert f.curve == "secp384r1"
    assert f.certificate is not None
    assert f.certificate.subject == "O=qrisk,CN=openssl.example"
    assert f.certificate.signature_hash == "SHA-384"
    assert f.certificate.self_signed
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    assert f.fingerprint_sha256 == spki_fingerprint(load_pem_private_key(key.read_bytes(), None))


def test_rsa_pss_and_sha1_signatures(tmp_path: Path) -> None:
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
        "-subj", "/CN=pss", "-sigopt", "rsa_padding_mode:pss", "-sha384", "-days", "2",
    )  # fmt: skip
    [f] = findings(scan("pss.crt", crt.read_bytes()))
    assert f.certificate is not None
    assert f.certificate.signature_algorithm in ("RSA", "RSASSA-PSS")
    assert f.certificate.signature_hash == "SHA-384"
    openssl(
        "req", "-x509", "-key", key, "-out", crt, "-subj", "/CN=sha1", "-sha1", "-days", "2",
    )  # fmt: skip
    [g] = findings(scan("sha1.crt", crt.read_bytes()))
    assert g.certificate is not None
    assert (g.certificate.signature_algorithm, g.certificate.signature_hash) == ("RSA", "SHA-1")


# --------------------------------------------------------------------------- DER, PKCS#7


def test_der_certificate_without_extension(pki) -> None:
    der = cert_der(pki["leaf_ec"])
    [f] = findings(scan("certs/leaf", der))
    assert f.line is None
    assert f.snippet == "DER certificate"
    assert f.name == "ec.example"
    assert f.certificate is not None
    assert f.certificate.sha256_fingerprint == hashlib.sha256(der).hexdigest()


@pytest.mark.parametrize("encoding", ["pem", "der"])
def test_pkcs7_bundles(pki, encoding: str) -> None:
    certs = [pki["leaf_rsa"], pki["inter"], pki["root"]]
    data = pkcs7_bundle(certs, encoding)
    fs = findings(scan(f"chain.p7{'b' if encoding == 'pem' else 'c'}", data))
    assert sorted(f.name for f in fs) == sorted(["rsa.example", "qrisk EC Issuing CA", "qrisk Root CA"])
    assert {f.rule_id for f in fs} == {"QR-X509-002"}
    assert {f.line for f in fs} == ({1} if encoding == "pem" else {None})


def test_pkcs7_from_openssl_crl2pkcs7(pki, tmp_path: Path) -> None:
    chain = tmp_path / "chain.pem"
    chain.write_bytes(cert_pem(pki["leaf_ec"]) + cert_pem(pki["root"]))
    der = openssl("crl2pkcs7", "-nocrl", "-certfile", chain, "-outform", "DER")
    fs = findings(scan("bundle.p7b", der))
    assert sorted(f.name for f in fs) == ["ec.example", "qrisk Root CA"]


# --------------------------------------------------------------------------- PKCS#12


def _p12_findings(out):
    certs = [f for f in findings(out) if f.kind is AssetKind.CERTIFICATE]
    keys = [f for f in findings(out) if f.kind is AssetKind.KEY]
    return certs, keys


@pytest.mark.parametrize("password", [None, P12_DEFAULT_PASSWORD, "password", "123456"])
def test_pkcs12_opened_without_or_with_default_password(pki, password: str | None) -> None:
    key = private_key("rsa2048")
    data = pkcs12_store(key, pki["leaf_rsa"], password, cas=[pki["inter"]])
    out = scan("keystore.p12", data)
    certs, keys = _p12_findings(out)
    assert sorted(c.name for c in certs) == ["qrisk EC Issuing CA", "rsa.example"]
    assert {c.rule_id for c in certs} == {"QR-X509-003"}
    [k] = keys
    assert k.rule_id == "QR-X509-004"
    assert k.key_material is KeyMaterial.PRIVATE
    assert not k.encrypted
    assert (k.algorithm, k.key_size) == ("RSA", 2048)
    assert k.fingerprint_sha256 == spki_fingerprint(key)
    expected = "not encrypted" if password is None else "well-known default password"
    assert all(any(expected in n for n in f.notes) for f in certs + keys)
    assert not notes(out)
    if password and password != "password":  # that one is a word of the note itself
        assert not leaked_runs(output_strings(out), [password])


def test_pkcs12_unknown_password(pki) -> None:
    data = pkcs12_store(private_key("p256"), pki["leaf_ec"], P12_UNKNOWN_PASSWORD)
    out = scan("client.pfx", data)
    [note] = notes(out)
    assert note.reason == "encrypted"
    assert "PKCS#12" in note.detail and "not opened" in note.detail
    [k] = findings(out)
    assert (k.algorithm, k.encrypted, k.kind, k.rule_id) == ("unknown", True, AssetKind.KEY, "QR-X509-004")
    assert not leaked_runs(output_strings(out), [P12_UNKNOWN_PASSWORD])


@pytest.mark.parametrize(
    ("args", "expected_note"),
    [
        (["-passout", "pass:"], "empty password"),
        (["-passout", f"pass:{P12_DEFAULT_PASSWORD}"], "well-known default password"),
        (["-passout", f"pass:{P12_DEFAULT_PASSWORD}", "-legacy"], "well-known default password"),
        (["-passout", f"pass:{P12_DEFAULT_PASSWORD}", "-descert"], "well-known default password"),
        (["-passout", "pass:whatever", "-keypbe", "NONE", "-certpbe", "NONE"], "not encrypted"),
        (["-passout", "pass:", "-keypbe", "NONE", "-certpbe", "NONE", "-nomac"], "not"),
    ],
)
def test_pkcs12_from_openssl(pki, tmp_path: Path, args: list[str], expected_note: str) -> None:
    key = private_key("p384")
    cert = make_certificate(key, "openssl-p12.example")
    src = tmp_path / "in.pem"
    src.write_bytes(cert_pem(cert) + pem_private(key, "traditional"))
    data = openssl("pkcs12", "-export", "-in", src, *args)
    out = scan("store.pfx", data)
    certs, keys = _p12_findings(out)
    assert [c.name for c in certs] == ["openssl-p12.example"]
    [k] = keys
    assert k.curve == "secp384r1"
    assert k.fingerprint_sha256 == certs[0].fingerprint_sha256 == spki_fingerprint(key)
    assert any(expected_note in n for n in k.notes)
    assert not leaked_runs(
        output_strings(out), [P12_DEFAULT_PASSWORD, pem_body(pem_private(key, "traditional"))]
    )


def test_pkcs12_openssl_unknown_password(tmp_path: Path) -> None:
    key = private_key("rsa2048")
    src = tmp_path / "in.pem"
    src.write_bytes(cert_pem(make_certificate(key, "x")) + pem_private(key, "traditional"))
    for extra in ([], ["-legacy"]):
        data = openssl("pkcs12", "-export", "-in", src, "-passout", f"pass:{P12_UNKNOWN_PASSWORD}", *extra)
        out = scan("store.p12", data)
        assert [n.reason for n in notes(out)] == ["encrypted"]
        [k] = findings(out)
        assert k.algorithm == "unknown" and k.encrypted


@pytest.mark.parametrize("password", [None, P12_DEFAULT_PASSWORD])
def test_pkcs12_ber_indefinite_lengths(pki, password: str | None) -> None:
    """Windows exports PFX in BER with indefinite lengths and chunked OCTET STRINGs."""
    key = private_key("p256")
    cert = make_certificate(key, "windows.example")
    ber = der_to_indefinite_ber(pkcs12_store(key, cert, password))
    assert ber[:2] == b"\x30\x80"
    out = scan("exported.pfx", ber)
    certs, keys = _p12_findings(out)
    assert [c.name for c in certs] == ["windows.example"]
    assert [k.fingerprint_sha256 for k in keys] == [spki_fingerprint(key)]
    assert [n.reason for n in scan("cut.pfx", ber[:-40])] == ["truncated"]


def test_pkcs12_truncated_and_garbage(pki) -> None:
    data = pkcs12_store(private_key("rsa2048"), pki["leaf_rsa"], P12_DEFAULT_PASSWORD)
    assert [n.reason for n in scan("cut.p12", data[: len(data) // 2])] == ["truncated"]
    assert [n.reason for n in scan("junk.p12", os.urandom(3000))] == ["malformed"]


# --------------------------------------------------------------------------- post-quantum


@pytest.mark.parametrize("pset", ["44", "65", "87"])
def test_ml_dsa_certificate_issued_by_ec_ca(pki, pset: str) -> None:
    ml = private_key(f"mldsa{pset}")
    der = pq_certificate(
        spki_der(ml.public_key()),
        f"mldsa{pset}.example",
        issuer_key=pki["inter_key"],
        issuer_cert=pki["inter"],
    )
    x509.load_der_x509_certificate(der)  # cryptography itself accepts what we built
    for data, path in ((der, "pq.der"), (to_pem("CERTIFICATE", der), "pq.pem")):
        [f] = findings(scan(path, data))
        assert f.algorithm == f"ML-DSA-{pset}"
        assert f.parameter_set == pset
        assert f.usage is Usage.SIGNATURE
        assert f.fingerprint_sha256 == spki_fingerprint(ml)
        assert f.certificate is not None
        assert f.certificate.signature_algorithm == "ECDSA"
        assert f.certificate.authority_key_id == ski_hex(pki["inter"])
        assert not f.certificate.self_signed


def test_self_signed_ml_dsa_certificate() -> None:
    ml = private_key("mldsa65")
    der = pq_certificate(spki_der(ml.public_key()), "pq-root", issuer_key=ml, mldsa_set="65")
    [f] = findings(scan("pq-root.crt", to_pem("CERTIFICATE", der)))
    assert f.algorithm == "ML-DSA-65"
    assert f.certificate is not None
    assert f.certificate.signature_algorithm == "ML-DSA-65"
    assert f.certificate.signature_hash is None
    assert f.certificate.self_signed


def test_slh_dsa_certificate_read_by_oid(pki) -> None:
    spki, _, _ = slh_dsa_keys()
    der = pq_certificate(spki, "slh.example", issuer_key=pki["inter_key"], issuer_cert=pki["inter"])
    [f] = findings(scan("slh.der", der))
    assert f.algorithm == "SLH-DSA-SHA2-128s"
    assert f.fingerprint_sha256 == hashlib.sha256(spki).hexdigest()
    assert any("OID" in n for n in f.notes)


def test_unknown_key_algorithm_reported_as_oid(pki) -> None:
    spki = raw_spki("1.3.6.1.4.1.99999.1.2", os.urandom(40))
    der = pq_certificate(spki, "odd.example", issuer_key=pki["inter_key"], issuer_cert=pki["inter"])
    [f] = findings(scan("odd.crt", der))
    assert f.algorithm == "1.3.6.1.4.1.99999.1.2"


# --------------------------------------------------------------------------- CSR


def test_certificate_signing_request(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    csr = openssl("req", "-new", "-newkey", "rsa:3072", "-nodes", "-keyout", key, "-subj", "/CN=csr.example")
    [f] = findings(scan("request.csr", csr))
    assert f.rule_id == "QR-X509-005"
    assert f.kind is AssetKind.KEY and f.key_material is KeyMaterial.PUBLIC
    assert (f.algorithm, f.key_size) == ("RSA", 3072)
    assert f.name == "csr.example"
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    assert f.fingerprint_sha256 == spki_fingerprint(load_pem_private_key(key.read_bytes(), None))


# --------------------------------------------------------------------------- division of labour


def test_cert_and_key_in_one_file_each_detector_reports_its_own(pki) -> None:
    key = private_key("rsa2048")
    data = cert_pem(pki["leaf_rsa"]) + pem_private(key, "traditional")
    cert_out = findings(scan("fullchain.pem", data))
    key_out = [o for o in KeyDetector().detect("fullchain.pem", data) if isinstance(o, Finding)]
    assert [f.kind for f in cert_out] == [AssetKind.CERTIFICATE]
    assert [f.kind for f in key_out] == [AssetKind.KEY]
    assert cert_out[0].fingerprint_sha256 == key_out[0].fingerprint_sha256


def test_key_only_files_are_not_reported_by_x509() -> None:
    key = private_key("p256")
    assert scan("only.key.pem", pem_private(key), check_wants=False) == []
    from keyfactory import der_private

    assert scan("only.der", der_private(key), check_wants=False) == []


# --------------------------------------------------------------------------- hostile input


def test_garbage_inside_begin_line_and_other_blocks_survive(pki) -> None:
    good = cert_pem(pki["leaf_ec"])
    bad = b"-----BEGIN CERTIFICATE-----\n!!!! not base64 at all !!!!\n-----END CERTIFICATE-----\n"
    wrong = to_pem("CERTIFICATE", os.urandom(300))
    out = scan("mixed.pem", bad + wrong + good)
    assert [f.name for f in findings(out)] == ["ec.example"]
    assert [n.reason for n in notes(out)] == ["malformed", "malformed"]
    assert all("line" in n.detail for n in notes(out))


def test_truncated_pem_and_der(pki) -> None:
    pem = cert_pem(pki["root"])
    out = scan("cut.pem", pem[: len(pem) // 2])
    assert [n.reason for n in notes(out)] == ["truncated"]
    der = cert_der(pki["root"])
    for cut in (len(der) - 1, len(der) // 2, 40, 8):
        out = scan("cut.der", der[:cut])
        assert [n.reason for n in notes(out)] == ["truncated"], cut
    # A complete PEM block whose DER is cut short.
    out = scan("cut2.pem", to_pem("CERTIFICATE", der[:-20]))
    assert [n.reason for n in notes(out)] == ["malformed"]


def test_random_10mb_pem_and_empty_file() -> None:
    data = os.urandom(10 * 1024 * 1024)
    out = scan("huge.pem", data)
    assert not findings(out)
    assert [n.reason for n in notes(out)] == ["malformed"]
    assert scan("empty.pem", b"") == []


def test_random_bytes_with_begin_line() -> None:
    data = (
        os.urandom(5000)
        + b"\n-----BEGIN CERTIFICATE-----\n"
        + os.urandom(5000)
        + b"\n-----END CERTIFICATE-----\n"
    )
    out = scan("noise.crt", data)
    assert not findings(out)
    assert {n.reason for n in notes(out)} <= {"malformed", "truncated"}


def test_mutated_certificates_never_break_the_detector(pki) -> None:
    import random

    rng = random.Random(1234)
    der = cert_der(pki["leaf_rsa"])
    pem = cert_pem(pki["leaf_rsa"])
    for _ in range(300):
        for original in (der, pem):
            data = bytearray(original)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            scan("fuzz.crt", bytes(data), check_wants=False)


def test_thousands_of_begin_lines_stay_linear_and_capped() -> None:
    data = b"-----BEGIN CERTIFICATE-----\n" * 200_000
    out = scan("hostile.pem", data)
    assert len(out) <= 22
    assert "too many unreadable PEM blocks" in out[-1].detail


def test_wants_is_cheap_and_selective(pki) -> None:
    assert DETECTOR.wants("a/b/server.crt", b"")
    assert DETECTOR.wants("store.PFX", b"\x30\x82")
    assert DETECTOR.wants("noext", cert_der(pki["root"])[:512])
    assert DETECTOR.wants("notes.txt", b"hello\n-----BEGIN CERTIFICATE-----\n")
    assert not DETECTOR.wants("notes.txt", b"hello world")
    assert not DETECTOR.wants("image.png", b"\x89PNG\r\n\x1a\n")
    assert DETECTOR.wants("config.yaml", b"key: value\n")  # PEM may come after the head
    assert scan("config.yaml", b"key: value\n") == []


def test_catalog_names() -> None:
    """Names the detector emits resolve in the catalog once it holds them (never guessed)."""
    from qrisk.catalog import algorithms

    catalog = algorithms()
    for name in ("RSA", "ML-DSA-65"):
        assert catalog.lookup(name).name == name
