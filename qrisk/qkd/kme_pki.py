"""A small demo PKI for the ETSI GS QKD 014 key managers: one CA, KME server and SAE client certificates.

ETSI GS QKD 014 V1.1.1: SAEs and KMEs authenticate each other with mutual
TLS (TLS 1.2 or later); the KME identifies the calling SAE by its client certificate. Here the SAE
ID is the certificate's subject common name. Keys are EC P-256 (fast to make; every TLS stack
accepts them). Private keys are written with mode 0600 and never printed.

File names in the PKI folder (ID ``KME_A`` → stem ``kme-a``)::

    ca.crt  ca.key                  the demo CA (keep ca.key private; it can issue more certificates)
    kme-a.crt  kme-a.key            KME_A's server certificate (SANs: 127.0.0.1, ::1, localhost)
    kme-b.crt  kme-b.key            KME_B's server certificate
    sae-a.crt  sae-a.key            SAE_A's client certificate (CN=SAE_A)
    sae-b.crt  sae-b.key            SAE_B's client certificate (CN=SAE_B)
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from qrisk.errors import QriskError

DEMO_KME_IDS: tuple[str, str] = ("KME_A", "KME_B")
DEMO_SAE_IDS: tuple[str, str] = ("SAE_A", "SAE_B")
DEFAULT_HOSTS: tuple[str, ...] = ("127.0.0.1", "::1", "localhost")
CA_STEM = "ca"
_VALIDITY_DAYS = 365


class PkiError(QriskError):
    """The PKI folder cannot be created, read or written."""


def file_stem(entity_id: str) -> str:
    """``KME_A`` → ``kme-a``: the file-name stem of an entity's certificate and key."""
    return entity_id.strip().lower().replace("_", "-")


@dataclass(frozen=True)
class CertPaths:
    """Where one entity's certificate and private key are."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class DemoPki:
    """The files of a demo PKI (paths only; no key material is held here)."""

    directory: Path
    ca: CertPaths
    kmes: dict[str, CertPaths]
    saes: dict[str, CertPaths]
    created: bool
    """False when valid files already present were reused."""

    @property
    def ca_cert(self) -> Path:
        return self.ca.cert


@dataclass(frozen=True, repr=False)
class CertificateAuthority:
    """A CA that can issue certificates (the private key stays in memory)."""

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey

    def __repr__(self) -> str:
        return f"CertificateAuthority({self.certificate.subject.rfc4514_string()}, private_key=<redacted>)"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(common_name: str, org: str = "qrisk demo") -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def new_ca(common_name: str = "qrisk demo QKD CA", *, days: int = _VALIDITY_DAYS) -> CertificateAuthority:
    """A fresh self-signed CA (RFC 5280 §4.2.1.9: basicConstraints CA with pathLen 0)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    name = _name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(cert, key)


def _san_entries(hosts: Iterable[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for host in dict.fromkeys(h.strip() for h in hosts if h.strip()):
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            out.append(x509.DNSName(host))
    return out


def issue_certificate(
    ca: CertificateAuthority,
    common_name: str,
    *,
    server: bool,
    hosts: Sequence[str] = DEFAULT_HOSTS,
    days: int = _VALIDITY_DAYS,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A leaf certificate: a KME server certificate (``server=True``, SANs = ``hosts``) or an SAE client one."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    eku = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()), critical=False
        )
    )
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName(_san_entries(hosts)), critical=False)
    return builder.sign(ca.private_key, hashes.SHA256()), key


def _write_private(path: Path, data: bytes) -> None:
    """Write a private key readable by the owner only (0600), replacing any old file."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_cert_and_key(
    directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> CertPaths:
    """Write ``STEM.crt`` (PEM) and ``STEM.key`` (unencrypted PKCS#8 PEM, mode 0600)."""
    paths = CertPaths(directory / f"{stem}.crt", directory / f"{stem}.key")
    _write_private(
        paths.key,
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return paths


def _layout(directory: Path, kme_ids: Sequence[str], sae_ids: Sequence[str]) -> tuple[CertPaths, dict, dict]:
    def p(stem: str) -> CertPaths:
        return CertPaths(directory / f"{stem}.crt", directory / f"{stem}.key")

    return (
        p(CA_STEM),
        {k: p(file_stem(k)) for k in kme_ids},
        {s: p(file_stem(s)) for s in sae_ids},
    )


def _reusable(ca: CertPaths, kmes: dict[str, CertPaths], saes: dict[str, CertPaths], hosts: Sequence[str]) -> bool:
    """All files present, signed by the CA on disk, valid for a day more, with the wanted SANs and CNs."""
    try:
        ca_cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
        ca_key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
        if ca_key.public_key() != ca_cert.public_key():
            return False
        horizon = _now() + dt.timedelta(days=1)
        if ca_cert.not_valid_after_utc < horizon:
            return False
        wanted = {str(e.value) for e in _san_entries(hosts)}
        for entity, paths in [*kmes.items(), *saes.items()]:
            cert = x509.load_pem_x509_certificate(paths.cert.read_bytes())
            key = serialization.load_pem_private_key(paths.key.read_bytes(), password=None)
            if key.public_key() != cert.public_key() or cert.not_valid_after_utc < horizon:
                return False
            cert.verify_directly_issued_by(ca_cert)
            cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            if not cns or cns[0].value != entity:
                return False
            if entity in kmes:
                san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                have = {str(v) for v in san.get_values_for_type(x509.IPAddress)}
                have |= set(san.get_values_for_type(x509.DNSName))
                if not wanted <= have:
                    return False
    except Exception:  # any missing, unreadable or invalid file: make a new PKI
        return False
    return True


def ensure_demo_pki(
    directory: Path | str,
    *,
    kme_ids: Sequence[str] = DEMO_KME_IDS,
    sae_ids: Sequence[str] = DEMO_SAE_IDS,
    hosts: Sequence[str] = DEFAULT_HOSTS,
    force: bool = False,
) -> DemoPki:
    """Create (or reuse, when complete and valid) a CA with KME server and SAE client certificates.

    Reuse keeps SAE certificates handed out earlier working across ``qrisk kme serve --demo`` runs.
    """
    folder = Path(directory).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PkiError(f"cannot create PKI folder {folder}: {exc.strerror or exc}") from None
    if not folder.is_dir():
        raise PkiError(f"PKI path {folder} is not a folder")
    ca_paths, kme_paths, sae_paths = _layout(folder, kme_ids, sae_ids)
    all_hosts = tuple(dict.fromkeys([*DEFAULT_HOSTS, *hosts]))
    if not force and _reusable(ca_paths, kme_paths, sae_paths, all_hosts):
        return DemoPki(folder, ca_paths, kme_paths, sae_paths, created=False)
    try:
        ca = new_ca()
        write_cert_and_key(folder, CA_STEM, ca.certificate, ca.private_key)
        for kme in kme_ids:
            cert, key = issue_certificate(ca, kme, server=True, hosts=all_hosts)
            write_cert_and_key(folder, file_stem(kme), cert, key)
        for sae in sae_ids:
            cert, key = issue_certificate(ca, sae, server=False)
            write_cert_and_key(folder, file_stem(sae), cert, key)
    except OSError as exc:
        raise PkiError(f"cannot write the PKI in {folder}: {exc.strerror or exc}") from None
    return DemoPki(folder, ca_paths, kme_paths, sae_paths, created=True)
