"""The keys detector against keys from cryptography, openssl and ssh-keygen."""

from __future__ import annotations

import base64
import hashlib
import os
import random
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from keyfactory import (
    OID_ML_KEM_512,
    OID_SLH_DSA_SHAKE_256F,
    PASSPHRASE,
    der_private,
    leaked_runs,
    make_certificate,
    openssl,
    output_strings,
    pem_body,
    pem_private,
    pem_public,
    private_key,
    putty_ppk_v3,
    raw_pkcs8,
    raw_spki,
    slh_dsa_keys,
    spki_fingerprint,
    ssh_fingerprint_of_line,
    ssh_keygen,
    ssh_keygen_fingerprint,
    ssh_keygen_key,
    ssh_public_line,
    to_pem,
    write_key_tree,
)

from qrisk.model import AssetKind, Confidence, KeyMaterial, Usage
from qrisk.scan.detectors import FileNote, Finding
from qrisk.scan.detectors.certificates import CertificateDetector
from qrisk.scan.detectors.keys import KeyDetector

DETECTOR = KeyDetector()
CATCH_ALL = "the rest of this file was not examined"


def scan(path: str, data: bytes, *, check_wants: bool = True) -> list[Finding | FileNote]:
    if check_wants:
        assert DETECTOR.wants(path, data[:4096]), path
    out = list(DETECTOR.detect(path, data))
    assert all(isinstance(o, Finding | FileNote) for o in out)
    assert not any(isinstance(o, FileNote) and CATCH_ALL in o.detail for o in out), out
    return out


def findings(out: list[Finding | FileNote]) -> list[Finding]:
    return [o for o in out if isinstance(o, Finding)]


def notes(out: list[Finding | FileNote]) -> list[FileNote]:
    return [o for o in out if isinstance(o, FileNote)]


def one(out: list[Finding | FileNote]) -> Finding:
    assert not notes(out), notes(out)
    [f] = findings(out)
    return f


# (kind, algorithm prefix, key size, curve, parameter set, usage)
EXPECTED = {
    "rsa1024": ("RSA", 1024, None, None, Usage.UNKNOWN),  # dual-use: signature or key exchange
    "rsa2048": ("RSA", 2048, None, None, Usage.UNKNOWN),  # dual-use: signature or key exchange
    "rsa3072": ("RSA", 3072, None, None, Usage.UNKNOWN),  # dual-use: signature or key exchange
    "rsa4096": ("RSA", 4096, None, None, Usage.UNKNOWN),  # dual-use: signature or key exchange
    "p256": ("ECDSA", 256, "secp256r1", None, Usage.UNKNOWN),  # dual-use: signature or key exchange
    "p384": ("ECDSA", 384, "secp384r1", None, Usage.UNKNOWN),  # dual-use: signature or key exchange
    "p521": ("ECDSA", 521, "secp521r1", None, Usage.UNKNOWN),  # dual-use: signature or key exchange
    "secp256k1": ("ECDSA", 256, "secp256k1", None, Usage.UNKNOWN),  # dual-use: signature or key exchange
    "ed25519": ("Ed25519", 256, None, None, Usage.SIGNATURE),
    "ed448": ("Ed448", 456, None, None, Usage.SIGNATURE),
    "x25519": ("X25519", 256, None, None, Usage.KEY_EXCHANGE),
    "x448": ("X448", 448, None, None, Usage.KEY_EXCHANGE),
    "dsa2048": ("DSA", 2048, None, None, Usage.SIGNATURE),
    "mldsa44": ("ML-DSA-44", None, None, "44", Usage.SIGNATURE),
    "mldsa65": ("ML-DSA-65", None, None, "65", Usage.SIGNATURE),
    "mldsa87": ("ML-DSA-87", None, None, "87", Usage.SIGNATURE),
    "mlkem768": ("ML-KEM-768", None, None, "768", Usage.KEY_EXCHANGE),
    "mlkem1024": ("ML-KEM-1024", None, None, "1024", Usage.KEY_EXCHANGE),
}


def check(f: Finding, kind: str, material: KeyMaterial, *, ssh: bool = False) -> None:
    algorithm, size, curve, pset, usage = EXPECTED[kind]
    if ssh:  # an SSH key authenticates: signatures, whatever the key type
        usage = Usage.SIGNATURE
    assert f.kind is AssetKind.KEY
    assert f.algorithm.startswith(algorithm), f.algorithm
    assert (f.key_size, f.curve, f.parameter_set, f.usage) == (size, curve, pset, usage)
    assert f.key_material is material
    assert f.fingerprint_sha256 == spki_fingerprint(private_key(kind))
    assert f.confidence is Confidence.HIGH


def test_metadata_registry() -> None:
    assert DETECTOR.id == "keys"
    assert DETECTOR.handles_binary
    assert set(DETECTOR.rules) == {f"QR-KEY-00{i}" for i in range(1, 7)}


# --------------------------------------------------------------------------- PEM / DER from cryptography


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_pkcs8_pem_der_and_public(kind: str) -> None:
    key = private_key(kind)
    f = one(scan("keys/private.pem", pem_private(key, "pkcs8")))
    check(f, kind, KeyMaterial.PRIVATE)
    assert (f.rule_id, f.line, f.snippet, f.encrypted) == (
        "QR-KEY-001",
        1,
        "-----BEGIN PRIVATE KEY-----",
        False,
    )
    assert f.name == "private.pem"
    g = one(scan("keys/private.der", der_private(key, "pkcs8")))
    check(g, kind, KeyMaterial.PRIVATE)
    assert g.line is None
    h = one(scan("keys/public.pem", pem_public(key)))
    check(h, kind, KeyMaterial.PUBLIC)
    assert (h.rule_id, h.snippet) == ("QR-KEY-002", "-----BEGIN PUBLIC KEY-----")
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    check(one(scan("keys/public.der", spki)), kind, KeyMaterial.PUBLIC)


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("rsa2048", "RSA PRIVATE KEY"),
        ("rsa4096", "RSA PRIVATE KEY"),
        ("p256", "EC PRIVATE KEY"),
        ("secp256k1", "EC PRIVATE KEY"),
        ("dsa2048", "DSA PRIVATE KEY"),
    ],
)
def test_traditional_pem_and_der(kind: str, label: str) -> None:
    key = private_key(kind)
    pem = pem_private(key, "traditional")
    assert pem.startswith(f"-----BEGIN {label}-----".encode())
    f = one(scan("server.key", pem))
    check(f, kind, KeyMaterial.PRIVATE)
    assert f.snippet == f"-----BEGIN {label}-----"
    check(one(scan("server.der", der_private(key, "traditional"))), kind, KeyMaterial.PRIVATE)


def test_pkcs1_rsa_public_key() -> None:
    key = private_key("rsa3072")
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    f = one(scan("rsa_pub.pem", pem))
    check(f, "rsa3072", KeyMaterial.PUBLIC)
    assert f.snippet == "-----BEGIN RSA PUBLIC KEY-----"


def test_openssl_generated_keys(tmp_path: Path) -> None:
    for algorithm, args, expected in (
        ("RSA", ["-pkeyopt", "rsa_keygen_bits:2048"], ("RSA", 2048, None)),
        ("EC", ["-pkeyopt", "ec_paramgen_curve:P-521"], ("ECDSA", 521, "secp521r1")),
        ("ED448", [], ("Ed448", 456, None)),
        ("X25519", [], ("X25519", 256, None)),
    ):
        pem = openssl("genpkey", "-algorithm", algorithm, *args)
        f = one(scan("openssl.key", pem))
        assert (f.algorithm.split("-")[0], f.key_size, f.curve) == expected
        loaded = serialization.load_pem_private_key(pem, None)
        assert f.fingerprint_sha256 == spki_fingerprint(loaded)


# --------------------------------------------------------------------------- encrypted


def test_encrypted_pkcs8_hides_the_algorithm() -> None:
    for kind in ("rsa2048", "p384", "ed25519", "mldsa65"):
        pem = pem_private(private_key(kind), "pkcs8", PASSPHRASE)
        f = one(scan("enc.pem", pem))
        assert (f.algorithm, f.encrypted, f.rule_id) == ("unknown", True, "QR-KEY-003")
        assert f.key_material is KeyMaterial.PRIVATE
        assert f.fingerprint_sha256 is None
        assert any("PBES2" in n for n in f.notes)
        assert not leaked_runs(output_strings([f]), [pem_body(pem), PASSPHRASE])


def test_encrypted_pkcs8_der_and_openssl(tmp_path: Path) -> None:
    plain = pem_private(private_key("p256"), "pkcs8")
    der = openssl(
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-128-cbc",
        "-outform",
        "DER",
        "-passout",
        f"pass:{PASSPHRASE}",
        stdin=plain,
    )
    f = one(scan("enc.p8", der))
    assert (f.algorithm, f.encrypted) == ("unknown", True)
    assert "encrypted PKCS#8 (PBES2/AES-128-CBC)" in f.notes


@pytest.mark.parametrize(
    ("kind", "label", "algorithm", "tool"),
    [
        ("rsa2048", "RSA PRIVATE KEY", "RSA", "cryptography"),
        ("p256", "EC PRIVATE KEY", "ECDSA", "cryptography"),
        ("rsa2048", "RSA PRIVATE KEY", "RSA", "openssl"),
        ("dsa2048", "DSA PRIVATE KEY", "DSA", "openssl"),
    ],
)
def test_legacy_proc_type_encryption(kind: str, label: str, algorithm: str, tool: str) -> None:
    key = private_key(kind)
    if tool == "cryptography":
        pem = pem_private(key, "traditional", PASSPHRASE)
    else:
        sub = "rsa" if kind.startswith("rsa") else "dsa"
        plain = pem_private(key, "traditional")
        extra = ["-traditional"] if sub == "rsa" else []  # openssl rsa defaults to PKCS#8 since 3.0
        pem = openssl(sub, "-des3", *extra, "-passout", f"pass:{PASSPHRASE}", stdin=plain)
    assert b"Proc-Type: 4,ENCRYPTED" in pem
    f = one(scan("legacy.pem", pem))
    assert (f.algorithm, f.encrypted, f.rule_id, f.snippet) == (
        algorithm,
        True,
        "QR-KEY-001",
        f"-----BEGIN {label}-----",
    )
    assert any("legacy PEM encryption" in n for n in f.notes)
    assert not leaked_runs(output_strings([f]), [pem_body(pem), PASSPHRASE])


# --------------------------------------------------------------------------- OpenSSH


@pytest.fixture(scope="module")
def ssh_keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ssh")
    keys = {}
    for key_type, bits in (("rsa", 2048), ("ecdsa", 384), ("ed25519", None), ("dsa", None)):
        for passphrase in ("", PASSPHRASE):
            try:
                keys[(key_type, bool(passphrase))] = ssh_keygen_key(
                    directory, key_type, passphrase=passphrase, bits=bits
                )
            except RuntimeError:
                if key_type != "dsa":  # newer OpenSSH builds drop DSA
                    raise
    return keys


@pytest.mark.parametrize("key_type", ["rsa", "ecdsa", "ed25519", "dsa"])
@pytest.mark.parametrize("protected", [False, True])
@pytest.mark.filterwarnings("ignore:SSH DSA keys are deprecated")
def test_ssh_keygen_private_keys(ssh_keys, key_type: str, protected: bool) -> None:
    if (key_type, protected) not in ssh_keys:
        pytest.skip("this OpenSSH cannot generate DSA keys")
    path = ssh_keys[(key_type, protected)]
    data = path.read_bytes()
    f = one(scan(path.name, data))
    assert (f.rule_id, f.line, f.snippet) == ("QR-KEY-001", 1, "-----BEGIN OPENSSH PRIVATE KEY-----")
    assert f.key_material is KeyMaterial.PRIVATE
    assert f.encrypted is protected
    assert f.usage is Usage.SIGNATURE
    expected = {
        "rsa": ("RSA", 2048),
        "ecdsa": ("ECDSA-P384", 384),
        "ed25519": ("Ed25519", 256),
        "dsa": ("DSA", 1024),
    }
    algorithm, size = expected[key_type]
    assert f.algorithm in (algorithm, algorithm.split("-")[0])
    assert f.key_size == size
    # The SSH fingerprint equals ssh-keygen's, also for passphrase-protected keys.
    pub = path.with_suffix(".pub")
    assert ssh_keygen_fingerprint(pub) in f.notes
    # The SPKI fingerprint is the same as for any other form of the key.
    assert f.fingerprint_sha256 == spki_fingerprint(serialization.load_ssh_public_key(pub.read_bytes()))
    assert not leaked_runs(output_strings([f]), [pem_body(data), PASSPHRASE])
    # And the .pub file gives the same key.
    g = one(scan(pub.name, pub.read_bytes()))
    assert (g.rule_id, g.key_material, g.line) == ("QR-KEY-002", KeyMaterial.PUBLIC, 1)
    assert g.fingerprint_sha256 == f.fingerprint_sha256
    assert g.snippet == f"{pub.read_text().split()[0]} qrisk@test"
    assert g.name == "qrisk@test"


def test_same_key_same_fingerprint_across_every_form(tmp_path: Path) -> None:
    path = ssh_keygen_key(tmp_path, "rsa", bits=2048)
    pkcs8 = tmp_path / "copy"
    pkcs8.write_bytes(path.read_bytes())
    pkcs8.chmod(0o600)
    ssh_keygen("-p", "-N", "", "-P", "", "-m", "PKCS8", "-f", pkcs8)
    key = serialization.load_pem_private_key(pkcs8.read_bytes(), None)
    cert = make_certificate(key, "same-key.example")
    cert_fp = findings(
        list(CertificateDetector().detect("c.pem", cert.public_bytes(serialization.Encoding.PEM)))
    )[0]
    fps = {
        one(scan("id_rsa", path.read_bytes())).fingerprint_sha256,
        one(scan("id_rsa.pub", path.with_suffix(".pub").read_bytes())).fingerprint_sha256,
        one(scan("copy.pem", pkcs8.read_bytes())).fingerprint_sha256,
        cert_fp.fingerprint_sha256,
    }
    assert fps == {spki_fingerprint(key)}


def test_cryptography_openssh_format_and_ed448_skipped_types() -> None:
    for kind in ("ed25519", "p256", "rsa2048"):
        key = private_key(kind)
        f = one(scan("id_key", pem_private(key, "openssh")))
        check(f, kind, KeyMaterial.PRIVATE, ssh=True)
        assert ssh_fingerprint_of_line(ssh_public_line(key)) in f.notes


def test_openssh_certificate(tmp_path: Path) -> None:
    ca = ssh_keygen_key(tmp_path, "ed25519", comment="ca")
    (tmp_path / "user").mkdir()
    user = ssh_keygen_key(tmp_path / "user", "ecdsa", bits=256, comment="alice@laptop")
    ssh_keygen("-q", "-s", ca, "-I", "alice", "-n", "alice", "-V", "+52w", user.with_suffix(".pub"))
    cert_path = user.parent / (user.name + "-cert.pub")
    f = one(scan(cert_path.name, cert_path.read_bytes()))
    assert f.snippet.startswith("ecdsa-sha2-nistp256-cert-v01@openssh.com")
    assert f.curve == "secp256r1"
    assert ssh_keygen_fingerprint(cert_path) in f.notes
    user_pub = serialization.load_ssh_public_key(user.with_suffix(".pub").read_bytes())
    assert f.fingerprint_sha256 == spki_fingerprint(user_pub)
    ca_pub = serialization.load_ssh_public_key(ca.with_suffix(".pub").read_bytes())
    assert f.related_fingerprints == (spki_fingerprint(ca_pub),)
    assert any(
        ssh_keygen_fingerprint(ca.with_suffix(".pub")) in n and "user certificate" in n for n in f.notes
    )


def test_rfc4716_public_key(ssh_keys, tmp_path: Path) -> None:
    pub = ssh_keys[("ed25519", False)].with_suffix(".pub")
    exported = ssh_keygen("-e", "-f", pub)
    assert exported.startswith(b"---- BEGIN SSH2 PUBLIC KEY ----")
    f = one(scan("key.ssh2", b"# exported\n" + exported))
    assert f.line == 2
    assert f.rule_id == "QR-KEY-002"
    assert ssh_keygen_fingerprint(pub) in f.notes


def test_putty_key_files() -> None:
    key = private_key("ed25519")
    for encrypted in (False, True):
        ppk = putty_ppk_v3(key, "bob@putty", encrypted=encrypted)
        f = one(scan("bob.ppk", ppk))
        check(f, "ed25519", KeyMaterial.PRIVATE)
        assert f.encrypted is encrypted
        assert f.snippet == "ssh-ed25519 bob@putty"
        private_b64 = "".join(ppk.decode().split("Private-Lines: ")[1].splitlines()[1:-1])
        assert not leaked_runs(output_strings([f]), [private_b64])


# --------------------------------------------------------------------------- authorized_keys / known_hosts


def test_authorized_keys_with_options(ssh_keys) -> None:
    rsa_line = ssh_keys[("rsa", False)].with_suffix(".pub").read_text().strip()
    ed_line = ssh_keys[("ed25519", True)].with_suffix(".pub").read_text().strip()
    ec_line = ssh_keys[("ecdsa", False)].with_suffix(".pub").read_text().strip()
    text = (
        "# managed by config management\n"
        f"{rsa_line}\n"
        "\n"
        f'command="/usr/bin/backup --from \\"x y\\"",no-pty,no-port-forwarding,from="10.0.0.0/8" {ed_line}\n'
        f'restrict,environment="A=B C" {ec_line} with a long comment\n'
        "this line is junk\n"
    )
    out = scan("home/alice/.ssh/authorized_keys", text.encode())
    fs = findings(out)
    assert [f.line for f in fs] == [2, 4, 5]
    assert {f.rule_id for f in fs} == {"QR-KEY-004"}
    assert [f.algorithm.split("-")[0] for f in fs] == ["RSA", "Ed25519", "ECDSA"]
    assert "entry has login options" not in fs[0].notes
    assert "entry has login options" in fs[1].notes
    assert fs[2].snippet == "ecdsa-sha2-nistp384 qrisk@test with a long comment"
    for f, line in zip(fs, (rsa_line, ed_line, ec_line), strict=True):
        assert ssh_fingerprint_of_line(line) in f.notes
    [note] = notes(out)
    assert note.reason == "malformed" and "line 6" in note.detail


def test_known_hosts_plain_hashed_and_markers(ssh_keys, tmp_path: Path) -> None:
    rsa_pub = ssh_keys[("rsa", False)].with_suffix(".pub").read_text().split()
    ed_pub = ssh_keys[("ed25519", False)].with_suffix(".pub").read_text().split()
    ec_pub = ssh_keys[("ecdsa", False)].with_suffix(".pub").read_text().split()
    known = tmp_path / "known_hosts"
    known.write_text(
        f"git.example.com,192.0.2.10 {rsa_pub[0]} {rsa_pub[1]}\n"
        f"[bastion.example.com]:2222 {ed_pub[0]} {ed_pub[1]}\n"
    )
    ssh_keygen("-H", "-f", known)  # hash the host names with the real tool
    hashed = known.read_text()
    assert hashed.count("|1|") == 3  # ssh-keygen -H writes one line per host name
    text = (
        hashed
        + f"@cert-authority *.example.com {ed_pub[0]} {ed_pub[1]}\n@revoked * {ec_pub[0]} {ec_pub[1]}\n"
    )
    fs = findings(scan(".ssh/known_hosts", text.encode()))
    assert len(fs) == 5
    assert {f.rule_id for f in fs} == {"QR-KEY-005"}
    assert all("hashed host name" in f.notes for f in fs[:3])
    assert any("@cert-authority" in n for n in fs[3].notes)
    assert any("@revoked" in n for n in fs[4].notes)
    assert [f.line for f in fs] == [1, 2, 3, 4, 5]
    assert ssh_keygen_fingerprint(ssh_keys[("rsa", False)].with_suffix(".pub")) in fs[0].notes
    # Hashed host names are not copied into the output.
    assert not leaked_runs(output_strings(fs), [h.split()[0] for h in hashed.splitlines()], run=20)


def test_ssh_keys_embedded_in_config_files() -> None:
    line = ssh_public_line(private_key("ed25519"), "deploy@ci")
    yaml = (
        "#cloud-config\nusers:\n  - name: deploy\n    ssh_authorized_keys:\n"
        f'      - "{line}"\n'
        f'resource = {{ key = "{ssh_public_line(private_key("rsa2048"))} password=hunter2" }}\n'
    ).encode()
    fs = findings(scan("cloud-init.yaml", yaml))
    assert [(f.rule_id, f.line, f.confidence) for f in fs] == [
        ("QR-KEY-006", 5, Confidence.MEDIUM),
        ("QR-KEY-006", 6, Confidence.MEDIUM),
    ]
    assert fs[0].snippet == "ssh-ed25519 deploy@ci"
    assert fs[1].snippet == "ssh-rsa"  # only user@host labels are copied from other files
    assert not any("hunter2" in s for s in output_strings(fs))


# --------------------------------------------------------------------------- post-quantum by OID


def test_slh_dsa_spki_and_pkcs8_by_oid() -> None:
    spki, pkcs8, _ = slh_dsa_keys()
    f = one(scan("slh.pub.pem", to_pem("PUBLIC KEY", spki)))
    assert (f.algorithm, f.parameter_set, f.confidence) == (
        "SLH-DSA-SHA2-128s",
        "SHA2-128s",
        Confidence.MEDIUM,
    )
    assert f.fingerprint_sha256 == hashlib.sha256(spki).hexdigest()
    g = one(scan("slh.key", to_pem("PRIVATE KEY", pkcs8)))
    assert (g.algorithm, g.key_material) == ("SLH-DSA-SHA2-128s", KeyMaterial.PRIVATE)
    # FIPS 205: the public key is the tail of the private key, so the fingerprints agree.
    assert g.fingerprint_sha256 == f.fingerprint_sha256
    assert not leaked_runs(output_strings([g]), [base64.b64encode(pkcs8).decode()])
    shake_spki, _, _ = slh_dsa_keys(OID_SLH_DSA_SHAKE_256F, 32)
    assert one(scan("shake.der", shake_spki)).algorithm == "SLH-DSA-SHAKE-256f"


def test_ml_kem_512_and_unknown_oids() -> None:
    f = one(scan("kem.pem", to_pem("PUBLIC KEY", raw_spki(OID_ML_KEM_512, os.urandom(800)))))
    assert (f.algorithm, f.usage) == ("ML-KEM-512", Usage.KEY_EXCHANGE)
    g = one(scan("odd.key", to_pem("PRIVATE KEY", raw_pkcs8("1.3.6.1.4.1.2.267.12.4.4", os.urandom(64)))))
    assert g.algorithm == "1.3.6.1.4.1.2.267.12.4.4"
    assert g.fingerprint_sha256 is None


def test_ml_dsa_expanded_private_key_form() -> None:
    # RFC 9881 allows expandedKey (no seed); if cryptography refuses it we still name the algorithm.
    expanded = raw_pkcs8("2.16.840.1.101.3.4.3.18", b"\x04\x82\x0f\xc0" + os.urandom(4032))
    f = one(scan("mldsa-expanded.key", to_pem("PRIVATE KEY", expanded)))
    assert f.algorithm == "ML-DSA-65"


def test_broken_classical_key_is_malformed_not_guessed() -> None:
    broken = raw_pkcs8("1.2.840.113549.1.1.1", b"\x30\x03\x02\x01\x00")
    out = scan("broken.key", to_pem("PRIVATE KEY", broken))
    assert not findings(out)
    assert [n.reason for n in notes(out)] == ["malformed"]


# --------------------------------------------------------------------------- hostile input and detection


def test_files_without_telling_extensions() -> None:
    pem = pem_private(private_key("rsa2048"), "traditional")
    for name in ("id_rsa", "server.key.bak", "backup/old_key", "README"):
        assert findings(scan(name, b"junk before\n" + pem if name == "README" else pem))


def test_kubernetes_secret_with_base64_pem_key() -> None:
    pem = pem_private(private_key("p256"), "traditional")
    yaml = f"apiVersion: v1\nkind: Secret\ndata:\n  tls.key: {base64.b64encode(pem).decode()}\n".encode()
    f = one(scan("secret.yaml", yaml))
    check(f, "p256", KeyMaterial.PRIVATE)
    assert f.line == 4
    assert not leaked_runs(output_strings([f]), [pem_body(pem), base64.b64encode(pem).decode()])


def test_garbage_truncated_and_other_blocks_survive() -> None:
    good = pem_private(private_key("ed25519"))
    junk = b"-----BEGIN RSA PRIVATE KEY-----\nthis is not base64 ~~~\n-----END RSA PRIVATE KEY-----\n"
    random_body = to_pem("EC PRIVATE KEY", os.urandom(120))
    cut = pem_private(private_key("rsa2048"))[:300]
    out = scan("mess.pem", junk + random_body + good + cut)
    assert [f.algorithm for f in findings(out)] == ["Ed25519"]
    assert [n.reason for n in notes(out)] == ["malformed", "malformed", "truncated"]


def test_truncated_der_and_openssh() -> None:
    der = der_private(private_key("rsa2048"))
    assert [n.reason for n in scan("k.der", der[:500])] == ["truncated"]
    ossh = pem_private(private_key("ed25519"), "openssh")
    body = base64.b64decode(pem_body(ossh))
    cut = to_pem("OPENSSH PRIVATE KEY", body[:60])
    assert [n.reason for n in scan("id_ed25519", cut)] == ["malformed"]
    # Hostile key count in the container header.
    hostile = body[:15] + body[15:].replace(b"\x00\x00\x00\x01", b"\xff\xff\xff\xff", 1)
    assert [n.reason for n in scan("id_x", to_pem("OPENSSH PRIVATE KEY", hostile))] == ["malformed"]


def test_random_10mb_pem_empty_and_binary_named_like_keys() -> None:
    out = scan("huge.pem", os.urandom(10 * 1024 * 1024))
    assert not findings(out)
    assert scan("empty.key", b"") == []
    assert scan("authorized_keys", b"") == []
    assert [n.reason for n in scan("id_rsa", os.urandom(2000))] == ["malformed"]


def test_mutated_keys_never_break_the_detector(ssh_keys) -> None:
    rng = random.Random(99)
    samples = [
        pem_private(private_key("rsa2048"), "traditional"),
        der_private(private_key("p256")),
        pem_private(private_key("mldsa44")),
        pem_public(private_key("ed448")),
        ssh_keys[("ecdsa", True)].read_bytes(),
        ssh_keys[("rsa", False)].with_suffix(".pub").read_bytes(),
        putty_ppk_v3(private_key("ed25519"), "x"),
    ]
    for _ in range(400):
        data = bytearray(rng.choice(samples))
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        scan("id_fuzz", bytes(data), check_wants=False)
        scan("id_fuzz", bytes(data[: rng.randrange(len(data))]), check_wants=False)


def test_wants() -> None:
    assert DETECTOR.wants("x/id_ed25519", b"")
    assert DETECTOR.wants("authorized_keys2", b"")
    assert DETECTOR.wants(".ssh/known_hosts", b"")
    assert DETECTOR.wants("a.txt", b"xx\n-----BEGIN PRIVATE KEY-----")
    assert DETECTOR.wants("deploy.sh", b"echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI' >> keys")
    assert DETECTOR.wants("blob", der_private(private_key("p256"))[:64])
    assert not DETECTOR.wants("main.py", b"import os\n")
    assert not DETECTOR.wants("id_mapping.csv", b"a,b\n")
    assert not DETECTOR.wants("docs/authorized_keys.md", b"# How to\n")
    assert DETECTOR.wants("settings.yaml", b"a: b\n")  # keys may come after the head
    assert not DETECTOR.wants("logo.png", b"\x89PNG\r\n\x1a\n")


# --------------------------------------------------------------------------- the whole tree


def test_key_tree_no_secret_leaves(tmp_path: Path) -> None:
    """Every private-key format through both detectors: found, right fingerprint, nothing leaked."""
    tree = write_key_tree(tmp_path / "estate")
    detectors = [CertificateDetector(), KeyDetector()]
    outputs: list[Finding | FileNote] = []
    for path in tree.bodies:
        data = path.read_bytes()
        rel = path.relative_to(tmp_path).as_posix()
        got = []
        for det in detectors:
            if det.wants(rel, data[:4096]):
                got.extend(det.detect(rel, data))
        keys = [o for o in got if isinstance(o, Finding) and o.kind is AssetKind.KEY]
        assert keys, rel
        assert all(k.key_material is KeyMaterial.PRIVATE for k in keys), rel
        if path in tree.fingerprints:
            assert tree.fingerprints[path] in {k.fingerprint_sha256 for k in keys}, rel
        assert not any(isinstance(o, FileNote) and o.reason in ("malformed", "truncated") for o in got), (
            rel,
            got,
        )
        outputs.extend(got)
    texts = output_strings(outputs)
    assert not leaked_runs(texts, list(tree.bodies.values()))
    assert not leaked_runs(texts, list(tree.passwords))
    assert not leaked_runs(texts, list(tree.scalars_hex))
