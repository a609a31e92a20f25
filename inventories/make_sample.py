"""Regenerate the sample estate ``inventories/acme-bank`` (certificates and keys).

The files are generated for qrisk's quick start and tests; none protects anything.
Run from the repository root: ``python inventories/make_sample.py``. Source code and
config files of the sample are written by hand and kept as they are.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parent / "acme-bank"
UTC = dt.UTC


def name(cn: str, ou: str = "Acme Bank") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme Bank AG"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def cert(subject_cn, subject_key, issuer_cn, issuer_key, *, ca=False, start=(2025, 1, 1), years=10,
         hash_alg=None, san=None, issuer_cert=None):  # type: ignore[no-untyped-def]
    b = (
        x509.CertificateBuilder()
        .subject_name(name(subject_cn))
        .issuer_name(issuer_cert.subject if issuer_cert else name(issuer_cn))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(*start, tzinfo=UTC))
        .not_valid_after(dt.datetime(start[0] + years, *start[1:], tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in san]), critical=False)
    if isinstance(issuer_key, ed25519.Ed25519PrivateKey):
        hash_alg = None
    elif hash_alg is None:
        hash_alg = hashes.SHA256()
    return b.sign(issuer_key, hash_alg)


def pem(c: x509.Certificate) -> bytes:
    return c.public_bytes(serialization.Encoding.PEM)


def pkcs8(key) -> bytes:  # type: ignore[no-untyped-def]
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def write(rel: str, data: bytes | str) -> None:
    p = ROOT / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)


def main() -> None:
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    root = cert("Acme Root CA 2025", root_key, "Acme Root CA 2025", root_key, ca=True, years=20)
    inter_key = ec.generate_private_key(ec.SECP384R1())
    inter = cert("Acme Issuing CA 1", inter_key, "", root_key, ca=True, years=10, issuer_cert=root,
                 hash_alg=hashes.SHA384())

    # payments: an RSA-2048 TLS server certificate from the issuing CA, with its key
    pay_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pay = cert("payments.acme-bank.example", pay_key, "", inter_key, start=(2026, 3, 1), years=1,
               issuer_cert=inter, san=["payments.acme-bank.example"])
    write("payments/tls/server.crt", pem(pay))
    write("payments/tls/chain.pem", b"# issuing CA, then root\n" + pem(inter) + pem(root))
    write("payments/tls/server.key", pkcs8(pay_key))
    ssh_key = ed25519.Ed25519PrivateKey.generate()
    write("payments/deploy/id_ed25519", ssh_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))
    write("payments/deploy/id_ed25519.pub", ssh_key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH) + b" deploy@payments\n")

    # records: ECDSA P-256 service certificate, SEC1 key, an encrypted PKCS#12 backup,
    # and a legacy RSA-1024 / SHA-1 root in DER
    rec_key = ec.generate_private_key(ec.SECP256R1())
    rec = cert("records.acme-bank.example", rec_key, "", inter_key, start=(2026, 1, 15), years=2,
               issuer_cert=inter, san=["records.acme-bank.example"])
    write("records/certs/records.pem", pem(rec))
    write("records/keys/records.key", rec_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    write("records/backup/archive.p12", pkcs12.serialize_key_and_certificates(
        b"records-archive", rec_key, rec, None,
        serialization.BestAvailableEncryption(b"Acme-Records-Archive-2026")))
    # cryptography refuses SHA-1 signatures, so the legacy root comes from the openssl CLI
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:1024", "-sha1", "-nodes", "-keyout", f"{tmp}/k.pem",
             "-out", f"{tmp}/c.der", "-outform", "DER", "-days", "7300",
             "-subj", "/C=DE/O=Acme Bank AG/CN=Acme Legacy Root"],
            check=True, capture_output=True,
        )
        write("records/legacy/legacy-root.der", Path(tmp, "c.der").read_bytes())

    # firmware: ECDSA P-384 code-signing certificate, an ML-DSA-65 key pair for the next generation
    fw_key = ec.generate_private_key(ec.SECP384R1())
    fw = cert("Acme Firmware Signing 2025", fw_key, "", inter_key, years=5, issuer_cert=inter,
              hash_alg=hashes.SHA384())
    write("firmware/signing/fw-signing.crt", pem(fw))
    ml_key = mldsa.MLDSA65PrivateKey.generate()
    write("firmware/signing/mldsa65-next.key", pkcs8(ml_key))
    write("firmware/signing/mldsa65-next.pub", ml_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    # hr: SSH access (RSA-3072, Ed25519) and a PKCS#7 bundle of the CA chain
    rsa_ssh = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    lines = [
        'from="10.20.0.0/16",no-agent-forwarding ' + rsa_ssh.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + " ops@hr",
        ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + " admin@hr",
    ]
    write("hr/ssh/authorized_keys", "\n".join(lines) + "\n")
    write("hr/tls/ca-bundle.p7b", pkcs7.serialize_certificates([inter, root], serialization.Encoding.PEM))


if __name__ == "__main__":
    main()
