"""Benchmark of the migration planner: a plan for 100,000 assets in 500 systems.

The inventory is synthetic but shaped like an estate: per system a mix of TLS/SSH endpoint
algorithms, configuration findings, source-code findings, certificates under a two-level PKI
(one root and one issuing CA per ten systems), keys bound to certificates, libraries, symmetric
ciphers and hashes; systems carry categories, jurisdictions, criticality and retention; ten site
pairs exchange data over a small QKD network. Figures: the median and best of ``--repeat`` runs
of :func:`qrisk.plan.build_plan` (risk, compliance, recommendation, QKD, schedule), and of the
JSON serialiser, wall clock. Building the ``Inventory`` (frozen dataclasses) is not timed.

    python benchmarks/bench_plan.py                       # defaults: 100k assets, 500 systems
    python benchmarks/bench_plan.py --assets 20000 --json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qrisk.model import (
    Asset,
    AssetKind,
    CertificateInfo,
    Criticality,
    DataClass,
    DataFlow,
    Inventory,
    MigrationEffort,
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
from qrisk.plan import Budget, build_plan, plan_to_json

NOW = dt.date(2026, 1, 1)
CATEGORIES = ["web-cloud", "networking", "software-signing", "operating-system", "niche", "legacy", None]
JURISDICTIONS = [("EU", "DE"), ("US",), ("UK",), ("FR",), ("AU",), ()]
CLASSES = ["finance", "health", "personal-data-eu", "card", "trade-secret"]

# (kind, algorithm, primitive, status, usage, detector, rule id, location template, key size, share)
MIX: list[tuple[AssetKind, str, Primitive, QuantumStatus, Usage, str, str, str, int | None, float]] = [
    (AssetKind.ALGORITHM, "X25519", Primitive.KEY_AGREE, QuantumStatus.BROKEN, Usage.KEY_EXCHANGE,
     "tls", "QR-TLS-002", "tls://h{h}.s{s}.example:443", None, 0.12),
    (AssetKind.ALGORITHM, "ECDH-P256", Primitive.KEY_AGREE, QuantumStatus.BROKEN, Usage.KEY_EXCHANGE,
     "nginx", "QR-CFG-NGINX-001", "s{s}/etc/nginx/site{h}.conf", None, 0.10),
    (AssetKind.ALGORITHM, "X25519", Primitive.KEY_AGREE, QuantumStatus.BROKEN, Usage.KEY_EXCHANGE,
     "ssh", "QR-SSH-002", "ssh://h{h}.s{s}.example:22", None, 0.06),
    (AssetKind.ALGORITHM, "DH", Primitive.KEY_AGREE, QuantumStatus.BROKEN, Usage.KEY_EXCHANGE,
     "ipsec", "QR-CFG-IPSEC-001", "s{s}/etc/swanctl/conf{h}.conf", 2048, 0.04),
    (AssetKind.ALGORITHM, "RSA", Primitive.PKE, QuantumStatus.BROKEN, Usage.ENCRYPTION,
     "source-python", "QR-PY-001", "s{s}/src/mod{h}.py", 2048, 0.10),
    (AssetKind.ALGORITHM, "ECDSA-P256", Primitive.SIGNATURE, QuantumStatus.BROKEN, Usage.SIGNATURE,
     "source-go", "QR-GO-001", "s{s}/cmd/tool{h}.go", None, 0.08),
    (AssetKind.ALGORITHM, "AES-128", Primitive.BLOCK_CIPHER, QuantumStatus.WEAKENED, Usage.ENCRYPTION,
     "source-jvm", "QR-JAVA-002", "s{s}/src/Crypto{h}.java", 128, 0.10),
    (AssetKind.ALGORITHM, "SHA-256", Primitive.HASH, QuantumStatus.WEAKENED, Usage.HASHING,
     "source-python", "QR-PY-003", "s{s}/src/hash{h}.py", None, 0.06),
    (AssetKind.ALGORITHM, "MD5", Primitive.HASH, QuantumStatus.CLASSICALLY_BROKEN, Usage.HASHING,
     "source-php", "QR-PHP-003", "s{s}/web/legacy{h}.php", None, 0.03),
    (AssetKind.ALGORITHM, "AES-256", Primitive.BLOCK_CIPHER, QuantumStatus.SAFE, Usage.ENCRYPTION,
     "source-rust", "QR-RS-002", "s{s}/src/aead{h}.rs", 256, 0.06),
    (AssetKind.ALGORITHM, "ML-KEM-768", Primitive.KEM, QuantumStatus.SAFE, Usage.KEY_EXCHANGE,
     "source-go", "QR-GO-005", "s{s}/pkg/pq{h}.go", None, 0.03),
    (AssetKind.KEY, "Ed25519", Primitive.SIGNATURE, QuantumStatus.BROKEN, Usage.SIGNATURE,
     "keys", "QR-KEY-004", "s{s}/home/u{h}/.ssh/authorized_keys", 256, 0.05),
    (AssetKind.LIBRARY, "library:openssl@3.0.13", Primitive.OTHER, QuantumStatus.UNKNOWN, Usage.UNKNOWN,
     "dependencies", "QR-DEP-CARGO-001", "s{s}/Cargo{h}.lock", None, 0.02),
    (AssetKind.ALGORITHM, "mystery-cipher", Primitive.UNKNOWN, QuantumStatus.UNKNOWN, Usage.UNKNOWN,
     "source-c", "QR-C-001", "s{s}/src/x{h}.c", None, 0.01),
]
CERT_SHARE = 0.14  # leaf certificates + their keys (half each)


def _asset(kind: AssetKind, alg: str, prim: Primitive, status: QuantumStatus, usage: Usage, det: str, rule: str,
           loc: str, key_size: int | None, system: str, **extra: Any) -> Asset:
    fp = extra.pop("fingerprint", None)
    return Asset(
        asset_id=make_asset_id(kind, alg, key_size=key_size, fingerprint=fp, location=loc, rule_id=rule),
        kind=kind, algorithm=alg, primitive=prim, quantum_status=status, usage=usage, key_size=key_size,
        occurrences=(Occurrence(loc, det, rule),), system=system, fingerprint_sha256=fp, **extra,
    )


def make_inventory(n_assets: int, n_systems: int, seed: int = 7) -> Inventory:
    rng = random.Random(seed)
    systems = []
    for i in range(n_systems):
        systems.append(System(
            id=f"sys-{i:04d}", name=f"System {i}", category=CATEGORIES[i % len(CATEGORIES)],
            data_classes=(DataClass(CLASSES[i % len(CLASSES)], float(rng.choice([5, 7, 10, 25, 30]))),),
            migration_effort=list(MigrationEffort)[i % 4], criticality=list(Criticality)[i % 4],
            jurisdictions=JURISDICTIONS[i % len(JURISDICTIONS)], value=float(rng.randint(1, 10)),
            high_value=i % 17 == 0, max_handshake_bytes=6000 if i % 23 == 0 else None,
            mtu_bytes=1280 if i % 29 == 0 else None, sites=(f"site-{i % 20:02d}",),
            endpoints=(f"tls://h0.s{(i + 1) % n_systems}.example:443",) if i % 11 == 0 else (),
        ))
    assets: list[Asset] = []
    # PKI: a root and an issuing CA per ten systems.
    cas: dict[int, tuple[str, str]] = {}
    for g in range(0, n_systems, 10):
        sid = f"sys-{g:04d}"
        root_fp, ica_fp = f"{g:08x}" + "r" * 56, f"{g:08x}" + "i" * 56
        nb, na = dt.datetime(2025, 1, 1), dt.datetime(2045, 1, 1)
        root = _asset(AssetKind.CERTIFICATE, "RSA", Primitive.PKE, QuantumStatus.BROKEN, Usage.SIGNATURE, "x509",
                      "QR-X509-001", f"s{g}/pki/root.pem", 4096, sid, fingerprint=root_fp,
                      certificate=CertificateInfo(f"CN=Root {g}", f"CN=Root {g}", "1", nb, na, "RSA", "SHA-384",
                                                  is_ca=True, self_signed=True))
        ica = _asset(AssetKind.CERTIFICATE, "ECDSA-P384", Primitive.SIGNATURE, QuantumStatus.BROKEN, Usage.SIGNATURE,
                     "x509", "QR-X509-001", f"s{g}/pki/ica.pem", 384, sid, fingerprint=ica_fp, related=(root.asset_id,),
                     certificate=CertificateInfo(f"CN=ICA {g}", f"CN=Root {g}", "2", nb, na, "RSA", "SHA-384",
                                                 is_ca=True))
        assets += [root, ica]
        cas[g] = (root.asset_id, ica.asset_id)
    n_certs = int(n_assets * CERT_SHARE) // 2
    shares = [m[-1] for m in MIX]
    total_share = sum(shares)
    rest = n_assets - len(assets) - 2 * n_certs
    counts = [int(rest * s / total_share) for s in shares]
    counts[0] += rest - sum(counts)
    h = 0
    for (kind, alg, prim, status, usage, det, rule, loc, ks, _), count in zip(MIX, counts, strict=True):
        for _ in range(count):
            s = h % n_systems
            extra: dict[str, Any] = {}
            if kind is AssetKind.LIBRARY:
                extra = {"name": "openssl", "version": "3.0.13",
                         "notes": ("not pqc-capable", "PQC from 3.5.0", "OpenSSL", "source: catalog")}
            assets.append(_asset(kind, alg, prim, status, usage, det, rule, loc.format(h=h, s=s), ks,
                                 f"sys-{s:04d}", **extra))
            h += 1
    for c in range(n_certs):
        s = c % n_systems
        _, ica_id = cas[(s // 10) * 10]
        fp = f"{c:08x}" + "l" * 56
        cert = _asset(AssetKind.CERTIFICATE, "RSA", Primitive.PKE, QuantumStatus.BROKEN, Usage.SIGNATURE, "x509",
                      "QR-X509-001", f"s{s}/tls/leaf{c}.pem", 2048, f"sys-{s:04d}", fingerprint=fp,
                      certificate=CertificateInfo(f"CN=leaf{c}", f"CN=ICA {(s // 10) * 10}", str(c),
                                                  dt.datetime(2025, 6, 1), dt.datetime(2026, 6, 1), "ECDSA", "SHA-384"))
        key = _asset(AssetKind.KEY, "RSA", Primitive.PKE, QuantumStatus.BROKEN, Usage.UNKNOWN, "keys", "QR-KEY-001",
                     f"s{s}/tls/leaf{c}.key", 2048, f"sys-{s:04d}", fingerprint=fp, related=(cert.asset_id,))
        cert = Asset(**{**cert.__dict__, "related": (ica_id, key.asset_id)})
        assets += [cert, key]
    sites = (*(Site(f"site-{i:02d}", owner="Bench Org") for i in range(20)),
             Site("relay-a", owner="Carrier", relay=True), Site("relay-b", owner="Bench Org", relay=True))
    links = tuple(QkdLink(f"l{i}", f"site-{i:02d}", "relay-a" if i % 2 else "relay-b", 20.0 + i * 3) for i in range(20))
    flows = tuple(DataFlow(f"f{i}", f"site-{i:02d}", f"site-{(i + 1) % 20:02d}", systems=(f"sys-{i:04d}",),
                           tunnels=4 + i, rekey_seconds=60) for i in range(10))
    return Inventory(assets=tuple(assets), systems=tuple(systems), sites=sites, qkd_links=links, data_flows=flows,
                     scan=ScanInfo(targets=("bench",), organisation="Bench Org"))


def _time(fn: Any, repeat: int) -> tuple[float, float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assets", type=int, default=100_000)
    ap.add_argument("--systems", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    args = ap.parse_args(argv)

    t = time.perf_counter()
    inv = make_inventory(args.assets, args.systems)
    build_s = time.perf_counter() - t
    rows = []
    for label, kw in (
        ("default policies, gri-2025:optimistic", {}),
        ("cnsa-2.0 + bsi, year:2032, effort budget 2000 d/y", {
            "policies": "cnsa-2.0,bsi", "crqc": "year:2032", "budget": Budget(effort_days_per_year=2000.0)}),
    ):
        med, best, plan = _time(lambda kw=kw: build_plan(inv, now=NOW, **kw), args.repeat)
        rows.append({"case": f"build_plan, {len(inv.assets):,} assets, {len(inv.systems)} systems, {label}",
                     "median_s": round(med, 3), "best_s": round(best, 3), "actions": len(plan.actions),
                     "waves": len(plan.waves), "last_year": plan.summary.last_year,
                     "qkd_pairs": len(plan.qkd)})
    med, best, text = _time(lambda: plan_to_json(plan), args.repeat)
    rows.append({"case": f"plan_to_json ({len(text) / 1e6:.1f} MB)", "median_s": round(med, 3), "best_s": round(best, 3)})
    machine = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0],
               "cpu": platform.processor() or platform.machine(), "inventory_build_s": round(build_s, 2)}
    if args.json:
        print(json.dumps({"machine": machine, "results": rows}, indent=2))
    else:
        print(f"machine: {machine}")
        for r in rows:
            extra = "".join(f", {k} {r[k]}" for k in ("actions", "waves", "last_year", "qkd_pairs") if k in r)
            print(f"  {r['case']}: median {r['median_s']:.3f} s, best {r['best_s']:.3f} s{extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
