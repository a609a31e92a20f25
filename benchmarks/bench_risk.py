"""Benchmark of the risk stage: exposure for 1,000,000 assets, and the from-Inventory path.

The 1M-asset case builds its input columns directly (pandas categoricals and numpy arrays), as a
scanner feeding the risk stage in bulk would: creating a million frozen ``Asset`` dataclasses
alone takes about 2 s, which would measure the model objects, not the risk engine. The
from-Inventory path (``qrisk.risk.inputs.from_inventory`` + ``assess``) is measured separately at
a smaller size. Figures: the median and best of ``--repeat`` runs, wall clock.

    python benchmarks/bench_risk.py                      # defaults: 1M columns, 100k from Inventory
    python benchmarks/bench_risk.py --assets 200000 --json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from qrisk.model import Asset, AssetKind, Criticality, Inventory, Primitive, QuantumStatus, System, Usage
from qrisk.risk.compliance import evaluate, resolve_policies
from qrisk.risk.crqc import resolve_crqc
from qrisk.risk.inputs import (
    CATEGORIES,
    Prior,
    SystemParams,
    derive_roles,
    from_columns,
    from_inventory,
    systems_frame,
)
from qrisk.risk.mosca import AssessOptions, assess

NOW = dt.date(2026, 1, 1)

# (algorithm, family, primitive, status, security bits, share of the estate)
MIX = [
    ("RSA", "RSA", Primitive.PKE, QuantumStatus.BROKEN, 112, 0.25),
    ("ECDSA-P256", "EC", Primitive.SIGNATURE, QuantumStatus.BROKEN, 128, 0.15),
    ("ECDH-P256", "EC", Primitive.KEY_AGREE, QuantumStatus.BROKEN, 128, 0.10),
    ("X25519", "EC", Primitive.KEY_AGREE, QuantumStatus.BROKEN, 128, 0.08),
    ("AES-128", "AES", Primitive.BLOCK_CIPHER, QuantumStatus.WEAKENED, 128, 0.12),
    ("AES-256", "AES", Primitive.BLOCK_CIPHER, QuantumStatus.SAFE, 256, 0.10),
    ("SHA-256", "SHA-2", Primitive.HASH, QuantumStatus.WEAKENED, 128, 0.08),
    ("ML-KEM-768", "ML-KEM", Primitive.KEM, QuantumStatus.SAFE, 192, 0.05),
    ("MD5", "MD", Primitive.HASH, QuantumStatus.CLASSICALLY_BROKEN, 18, 0.04),
    ("mystery", "unknown", Primitive.UNKNOWN, QuantumStatus.UNKNOWN, np.nan, 0.03),
]
USAGES = [Usage.KEY_EXCHANGE, Usage.SIGNATURE, Usage.ENCRYPTION, Usage.HASHING, Usage.UNKNOWN]


def make_systems(n: int, rng: np.random.Generator) -> pd.DataFrame:
    crit = list(Criticality)
    params = [
        SystemParams(
            id=f"sys-{i:05d}", name=f"System {i}",
            shelf_life=Prior(float(rng.choice([1, 5, 7, 10, 25, 30, 100])), "bench"),
            migration=Prior(float(rng.uniform(1, 12)), "bench"),
            trust=Prior(float(rng.choice([0, 0, 5, 10, 20])), "bench"),
            category=str(rng.choice([*CATEGORIES, "unspecified"])), criticality=crit[i % len(crit)],
            high_value=bool(i % 7 == 0), jurisdictions=("US",) if i % 2 else ("DE",), data_classes=(),
            declared=True,
        )
        for i in range(n)
    ]
    return systems_frame(params)


def make_columns(n_assets: int, n_systems: int, seed: int = 7) -> Any:
    """Asset columns built directly: categorical codes and numpy arrays, no Asset objects."""
    rng = np.random.default_rng(seed)
    systems = make_systems(n_systems, rng)
    shares = np.array([m[5] for m in MIX])
    pick = rng.choice(len(MIX), size=n_assets, p=shares / shares.sum())

    def cat(values: list[Any]) -> pd.Categorical:
        uniq = list(dict.fromkeys(str(v) for v in values))
        lookup = np.array([uniq.index(str(v)) for v in values])
        return pd.Categorical.from_codes(lookup[pick], categories=uniq)

    usage_codes = rng.integers(0, len(USAGES), size=n_assets)
    assets = pd.DataFrame({
        "asset_id": pd.Index(np.char.add("qr-", np.arange(n_assets).astype(str))),
        "system": pd.Categorical.from_codes(rng.integers(0, n_systems, size=n_assets), categories=systems.index),
        "algorithm": cat([m[0] for m in MIX]),
        "family": cat([m[1] for m in MIX]),
        "kind": pd.Categorical.from_codes(np.zeros(n_assets, dtype=np.int8), categories=[AssetKind.ALGORITHM.value]),
        "primitive": cat([m[2].value for m in MIX]),
        "usage": pd.Categorical.from_codes(usage_codes, categories=[u.value for u in USAGES]),
        "quantum_status": cat([m[3].value for m in MIX]),
        "key_size": np.where(pick == 0, 2048.0, np.nan),
        "security_bits": np.array([m[4] for m in MIX], dtype=float)[pick],
        "nist_level": np.nan,
        "cert_not_after": np.nan,
        "occurrences": np.ones(n_assets, dtype=np.int32),
    })
    assets["role"] = derive_roles(assets["usage"], assets["primitive"])
    return from_columns(assets, systems)


def make_inventory(n_assets: int, n_systems: int, seed: int = 11) -> Inventory:
    rng = np.random.default_rng(seed)
    systems = tuple(System(id=f"sys-{i:05d}", name=f"System {i}", migration_years=float(rng.uniform(1, 12)))
                    for i in range(n_systems))
    assets = []
    for i in range(n_assets):
        alg, _, prim, status, bits, _ = MIX[i % len(MIX)]
        assets.append(Asset(
            asset_id=f"qr-{i}", kind=AssetKind.ALGORITHM, algorithm=alg, primitive=prim, quantum_status=status,
            usage=USAGES[i % len(USAGES)], classical_security_bits=None if np.isnan(bits) else int(bits),
            system=f"sys-{i % n_systems:05d}",
        ))
    return Inventory(assets=tuple(assets), systems=systems)


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "best_s": min(times), "runs": repeat}


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "nproc": os.cpu_count(), "python": sys.version.split()[0], "numpy": np.__version__,
            "pandas": pd.__version__}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assets", type=int, default=1_000_000)
    ap.add_argument("--systems", type=int, default=1_000)
    ap.add_argument("--inventory-assets", type=int, default=100_000)
    ap.add_argument("--compliance-assets", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    results: dict[str, Any] = {"machine": machine(), "cases": {}}
    curve = resolve_crqc("gri-2025:optimistic", NOW)
    inp = make_columns(args.assets, args.systems)
    cases = results["cases"]
    cases[f"assess columns {args.assets:,} (with sensitivity)"] = timed(lambda: assess(inp, curve), args.repeat)
    cases[f"assess columns {args.assets:,} (no sensitivity)"] = timed(
        lambda: assess(inp, curve, AssessOptions(sensitivity=False)), args.repeat)
    fixed = resolve_crqc("year:2033", NOW)
    cases[f"assess columns {args.assets:,} year:2033"] = timed(lambda: assess(inp, fixed), args.repeat)

    policies = resolve_policies("nist-ir-8547,cnsa-2.0,bsi-tr-02102-1")
    cinp = inp if args.compliance_assets == args.assets else make_columns(args.compliance_assets, args.systems)
    cases[f"compliance columns {args.compliance_assets:,} x 3 policies"] = timed(
        lambda: evaluate(cinp, policies, NOW), max(1, args.repeat // 2))

    t0 = time.perf_counter()
    inv = make_inventory(args.inventory_assets, min(args.systems, args.inventory_assets))
    build = time.perf_counter() - t0
    cases[f"create {args.inventory_assets:,} Asset objects (not the risk stage)"] = {
        "median_s": build, "best_s": build, "runs": 1}
    cases[f"from_inventory + assess {args.inventory_assets:,}"] = timed(
        lambda: assess(from_inventory(inv), curve), max(1, args.repeat // 2))

    if args.json:
        print(json.dumps(results, indent=2))
    else:
        m = results["machine"]
        print(f"{m['cpu']} ({m['nproc']} CPUs), Python {m['python']}, numpy {m['numpy']}, pandas {m['pandas']}")
        width = max(len(k) for k in cases)
        for name, r in cases.items():
            print(f"{name.ljust(width)}  median {r['median_s']:.3f} s  best {r['best_s']:.3f} s  ({r['runs']} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
