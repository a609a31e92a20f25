"""Factories for the risk tests: assets, systems and inventories built from model objects.

A plain module (not conftest) with a name unique across the test tree, imported by the tests.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from qrisk.catalog import AlgorithmCatalog, parse_algorithms
from qrisk.model import (
    Asset,
    AssetKind,
    CertificateInfo,
    Criticality,
    DataClass,
    Inventory,
    MigrationEffort,
    Occurrence,
    Primitive,
    QuantumStatus,
    ScanInfo,
    System,
    Usage,
)

_counter = itertools.count()

# Shorthands for the algorithms the tests use; families follow the catalog's naming.
ALGS: dict[str, tuple[Primitive, QuantumStatus, int | None]] = {
    "RSA": (Primitive.PKE, QuantumStatus.BROKEN, None),
    "ECDSA-P256": (Primitive.SIGNATURE, QuantumStatus.BROKEN, 128),
    "ECDH-P256": (Primitive.KEY_AGREE, QuantumStatus.BROKEN, 128),
    "ECDH-P384": (Primitive.KEY_AGREE, QuantumStatus.BROKEN, 192),
    "X25519": (Primitive.KEY_AGREE, QuantumStatus.BROKEN, 128),
    "Ed25519": (Primitive.SIGNATURE, QuantumStatus.BROKEN, 128),
    "ML-KEM-512": (Primitive.KEM, QuantumStatus.SAFE, 128),
    "ML-KEM-768": (Primitive.KEM, QuantumStatus.SAFE, 192),
    "ML-KEM-1024": (Primitive.KEM, QuantumStatus.SAFE, 256),
    "ML-DSA-65": (Primitive.SIGNATURE, QuantumStatus.SAFE, 192),
    "ML-DSA-87": (Primitive.SIGNATURE, QuantumStatus.SAFE, 256),
    "AES-128": (Primitive.BLOCK_CIPHER, QuantumStatus.WEAKENED, 128),
    "AES-256": (Primitive.BLOCK_CIPHER, QuantumStatus.SAFE, 256),
    "SHA-256": (Primitive.HASH, QuantumStatus.WEAKENED, 128),
    "SHA-384": (Primitive.HASH, QuantumStatus.SAFE, 192),
    "MD5": (Primitive.HASH, QuantumStatus.CLASSICALLY_BROKEN, 18),
    "DES": (Primitive.BLOCK_CIPHER, QuantumStatus.CLASSICALLY_BROKEN, 56),
    "mystery-cipher": (Primitive.UNKNOWN, QuantumStatus.UNKNOWN, None),
}

FAMILIES = {
    "RSA": "RSA", "ECDSA-P256": "EC", "ECDH-P256": "EC", "ECDH-P384": "EC", "X25519": "X25519",
    "Ed25519": "EdDSA", "ML-KEM-512": "ML-KEM", "ML-KEM-768": "ML-KEM", "ML-KEM-1024": "ML-KEM",
    "ML-DSA-65": "ML-DSA", "ML-DSA-87": "ML-DSA", "AES-128": "AES", "AES-256": "AES", "SHA-256": "SHA-2",
    "SHA-384": "SHA-2", "MD5": "MD5", "DES": "DES",
}


def catalog_for_tests() -> AlgorithmCatalog:
    """A small catalog with the families the tests rely on (independent of the shipped one)."""
    entries = []
    for name, family in FAMILIES.items():
        primitive, status, bits = ALGS[name]
        entry: dict[str, Any] = {
            "name": name, "family": family, "primitive": primitive.value, "quantum_status": status.value,
            "classical_security_bits": bits, "source": "test",
        }
        if name == "RSA":
            entry["security_by_key_size"] = RSA_BITS
            entry["classical_security_bits"] = None
            entry["min_safe_key_size"] = 1024
        entries.append(entry)
    return parse_algorithms({"schema": "qrisk.catalog.algorithms/1", "algorithms": entries})


RSA_BITS = {512: 56, 1024: 80, 2048: 112, 3072: 128, 7680: 192}


def make_asset(
    algorithm: str,
    *,
    usage: Usage = Usage.UNKNOWN,
    system: str | None = None,
    key_size: int | None = None,
    kind: AssetKind = AssetKind.ALGORITHM,
    not_after: dt.datetime | None = None,
    bits: int | None = None,
    located: bool = True,
) -> Asset:
    """An asset with the primitive, status and strength the algorithm has in the catalog."""
    primitive, status, default_bits = ALGS[algorithm]
    if algorithm == "RSA" and key_size is not None and bits is None:
        bits = max((b for k, b in RSA_BITS.items() if key_size >= k), default=0)
        if key_size < 1024:
            status = QuantumStatus.CLASSICALLY_BROKEN
    cert = None
    if not_after is not None:
        kind = AssetKind.CERTIFICATE
        cert = CertificateInfo(
            subject="CN=test", issuer="CN=test", serial_number="01",
            not_before=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), not_after=not_after,
            signature_algorithm=algorithm,
        )
    n = next(_counter)
    occ = (Occurrence(location=f"src/file{n}.py", detector="test", rule_id="QR-TEST-1", line=1),) if located else ()
    return Asset(
        asset_id=f"qr-test-{n:06d}",
        kind=kind,
        algorithm=algorithm,
        primitive=primitive,
        quantum_status=status,
        usage=usage,
        key_size=key_size,
        classical_security_bits=bits if bits is not None else default_bits,
        occurrences=occ,
        system=system,
        certificate=cert,
    )


def make_system(
    system_id: str,
    *,
    retention: float | dict[str, float] | None = None,
    migration: float | None = None,
    effort: MigrationEffort | None = None,
    category: str | None = None,
    trust: float | None = None,
    criticality: Criticality = Criticality.MEDIUM,
    jurisdictions: tuple[str, ...] = (),
    high_value: bool = False,
) -> System:
    if isinstance(retention, dict):
        classes = tuple(DataClass(name, float(years), "manifest") for name, years in retention.items())
    elif retention is not None:
        classes = (DataClass("custom", float(retention), "manifest"),)
    else:
        classes = ()
    return System(
        id=system_id, name=system_id.title(), data_classes=classes, migration_years=migration,
        migration_effort=effort, category=category, signature_trust_years=trust, criticality=criticality,
        jurisdictions=jurisdictions, high_value=high_value,
    )


def make_inventory(assets: list[Asset], systems: list[System] = (), *, scanned: dt.datetime | None = None,
                   **kw: Any) -> Inventory:
    scan = ScanInfo(targets=("estate",), started=scanned, finished=scanned, tool_version="test")
    return Inventory(assets=tuple(assets), systems=tuple(systems), scan=scan, **kw)


def columns(inv: Inventory, **kw: Any) -> Any:
    """RiskInput from an inventory with the test catalog."""
    from qrisk.risk.inputs import from_inventory

    return from_inventory(inv, catalog=catalog_for_tests(), **kw)
