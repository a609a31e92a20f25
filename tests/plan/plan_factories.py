"""Factories for the planner tests: assets, systems, networks and inventories from model objects.

A plain module (not conftest) with a name unique across the test tree, imported by the tests.
Algorithms take their primitive and quantum status from the shipped catalog, so a test names
only what it cares about.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from qrisk.catalog import UNKNOWN, algorithms
from qrisk.model import (
    Asset,
    AssetKind,
    CertificateInfo,
    Criticality,
    DataClass,
    DataFlow,
    Inventory,
    Occurrence,
    Primitive,
    QkdLink,
    QuantumStatus,
    ScanInfo,
    Site,
    System,
    Usage,
    make_asset_id,
)

NOW = dt.date(2026, 1, 1)
_counter = itertools.count()

# Where evidence comes from, by protocol: (location template, detector, rule id).
EVIDENCE = {
    "tls-endpoint": ("tls://api{n}.example.org:443", "tls", "QR-TLS-002"),
    "tls-config": ("etc/nginx/site{n}.conf", "nginx", "QR-CFG-NGINX-002"),
    "ssh-endpoint": ("ssh://bastion{n}.example.org:22", "ssh", "QR-SSH-002"),
    "ssh-keys": ("home/ops/.ssh/authorized_keys{n}", "keys", "QR-KEY-004"),
    "ipsec": ("etc/swanctl/conf{n}.conf", "ipsec", "QR-CFG-IPSEC-001"),
    "code": ("src/crypto{n}.py", "source-python", "QR-PY-001"),
    "cert": ("pki/cert{n}.pem", "x509", "QR-X509-001"),
    "key": ("pki/key{n}.pem", "keys", "QR-KEY-001"),
    "deps": ("Cargo{n}.lock", "dependencies", "QR-DEP-CARGO-001"),
}


def asset(
    algorithm: str,
    *,
    kind: AssetKind = AssetKind.ALGORITHM,
    usage: Usage | None = None,
    system: str | None = "s1",
    where: str = "code",
    location: str | None = None,
    status: QuantumStatus | None = None,
    primitive: Primitive | None = None,
    key_size: int | None = None,
    certificate: CertificateInfo | None = None,
    related: tuple[str, ...] = (),
    asset_id: str | None = None,
    **extra: Any,
) -> Asset:
    """An asset with catalog facts; ``where`` picks the evidence (see :data:`EVIDENCE`)."""
    n = next(_counter)
    entry = algorithms().get(algorithm)
    if entry is UNKNOWN:
        entry = algorithms().lookup(algorithm)
    template, detector, rule = EVIDENCE[where]
    loc = location or template.format(n=n)
    prim = primitive or (entry.primitive if entry is not UNKNOWN else Primitive.UNKNOWN)
    st = status or (entry.quantum_status if entry is not UNKNOWN else QuantumStatus.UNKNOWN)
    if usage is None:
        usage = {
            Primitive.KEY_AGREE: Usage.KEY_EXCHANGE, Primitive.KEM: Usage.KEY_EXCHANGE,
            Primitive.SIGNATURE: Usage.SIGNATURE, Primitive.BLOCK_CIPHER: Usage.ENCRYPTION,
            Primitive.AE: Usage.ENCRYPTION, Primitive.HASH: Usage.HASHING, Primitive.MAC: Usage.AUTHENTICATION,
        }.get(prim, Usage.UNKNOWN)
    return Asset(
        asset_id=asset_id or make_asset_id(kind, algorithm, key_size=key_size, location=loc, rule_id=f"{rule}#{n}"),
        kind=kind, algorithm=entry.name if entry is not UNKNOWN else algorithm, primitive=prim, quantum_status=st,
        usage=usage, key_size=key_size, occurrences=(Occurrence(loc, detector, rule),), system=system,
        certificate=certificate, related=related, **extra,
    )


def certificate(
    algorithm: str = "RSA", *, is_ca: bool = False, self_signed: bool = False, system: str | None = "s1",
    issuer: Asset | None = None, subject: str = "", not_after: dt.datetime | None = None, **kw: Any,
) -> Asset:
    n = next(_counter)
    info = CertificateInfo(
        subject=subject or f"CN=cert{n}", issuer=(issuer.certificate.subject if issuer and issuer.certificate
                                                  else subject or f"CN=cert{n}"),
        serial_number=str(n), not_before=dt.datetime(2025, 1, 1), not_after=not_after or dt.datetime(2027, 1, 1),
        signature_algorithm="RSA", is_ca=is_ca, self_signed=self_signed,
    )
    return asset(algorithm, kind=AssetKind.CERTIFICATE, usage=Usage.SIGNATURE, system=system, where="cert",
                 certificate=info, related=(issuer.asset_id,) if issuer else (), **kw)


def library(name: str = "openssl", version: str = "3.0.13", status: str = "not pqc-capable",
            system: str | None = "s1") -> Asset:
    return asset(f"library:{name}@{version}", kind=AssetKind.LIBRARY, where="deps", system=system, name=name,
                 version=version, status=QuantumStatus.UNKNOWN, primitive=Primitive.OTHER,
                 notes=(status, "PQC from 3.5.0", name, "source: catalog"))


def system(
    sid: str = "s1", *, jurisdictions: tuple[str, ...] = (), retention: float = 10.0, data_class: str = "finance",
    category: str | None = "web-cloud", criticality: Criticality = Criticality.HIGH, migration_years: float = 2.0,
    **kw: Any,
) -> System:
    return System(
        id=sid, name=kw.pop("name", sid), data_classes=(DataClass(data_class, retention),),
        migration_years=migration_years, criticality=criticality, category=category, jurisdictions=jurisdictions,
        **kw,
    )


def inventory(
    assets: list[Asset] | tuple[Asset, ...], systems: list[System] | tuple[System, ...] = (),
    *, sites: tuple[Site, ...] = (), links: tuple[QkdLink, ...] = (), flows: tuple[DataFlow, ...] = (),
    organisation: str = "Example Org",
) -> Inventory:
    systems = tuple(systems) or (system(),)
    return Inventory(assets=tuple(assets), systems=systems, sites=sites, qkd_links=links, data_flows=flows,
                     scan=ScanInfo(targets=("tests",), organisation=organisation))


def demand_flow(a: str, b: str, bps: float, systems: tuple[str, ...] = ("s1",), fid: str = "f1") -> DataFlow:
    """A flow needing ``bps`` bits of key per second (256-bit keys, rekeyed every second)."""
    tunnels = max(1, round(bps / 256))
    return DataFlow(fid, a, b, systems=systems, tunnels=tunnels, rekey_seconds=1.0, key_bits=256)
