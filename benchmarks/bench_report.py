"""Benchmark of the HTML report: a synthetic inventory of 100,000 assets in 1,000 systems.

Measures (wall clock, median and best of ``--repeat``):

* rendering ``index.html`` (risk, compliance and plan stages included; target < 10 s),
* the stages alone (assess, compliance, plan), the SARIF and CSV files, and the CycloneDX CBOM
  (on a smaller estate: cyclonedx-python-lib's dependency registration is quadratic),
* the size of ``index.html`` (target < 15 MB),
* opening it in headless Chromium: first contentful paint (the executive summary, target < 3 s)
  and the moment the script has drawn every table and chart (``performance.mark('qrisk-ready')``).

    python benchmarks/bench_report.py                       # defaults: 100k assets, 1k systems
    python benchmarks/bench_report.py --assets 20000 --systems 200 --repeat 1 --json

Chromium is Debian's (``/usr/bin/chromium``, or ``$QRISK_CHROMIUM``) driven by Playwright.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from qrisk.model import (
    Asset,
    AssetKind,
    CertificateInfo,
    Criticality,
    DataClass,
    Inventory,
    KeyMaterial,
    MigrationEffort,
    Occurrence,
    Primitive,
    QuantumStatus,
    ScanInfo,
    System,
    Usage,
    make_asset_id,
)

NOW = dt.date(2026, 1, 1)
# (kind, algorithm, primitive, status, usage, key size, curve, detector:rule, snippet, share)
MIX = [
    (AssetKind.ALGORITHM, "RSA", Primitive.PKE, QuantumStatus.BROKEN, Usage.ENCRYPTION, 2048, None,
     "python:QR-PY-001", "key = rsa.generate_private_key(public_exponent=65537, key_size=2048)", 0.20),
    (AssetKind.CERTIFICATE, "RSA", Primitive.SIGNATURE, QuantumStatus.BROKEN, Usage.SIGNATURE, 2048, None,
     "x509:QR-X509-001", "-----BEGIN CERTIFICATE-----", 0.10),
    (AssetKind.KEY, "ECDSA-P256", Primitive.SIGNATURE, QuantumStatus.BROKEN, Usage.SIGNATURE, 256, "P-256",
     "keys:QR-KEY-001", "-----BEGIN EC PRIVATE KEY-----", 0.10),
    (AssetKind.ALGORITHM, "ECDH-P256", Primitive.KEY_AGREE, QuantumStatus.BROKEN, Usage.KEY_EXCHANGE, 256, "P-256",
     "java:QR-JAVA-004", 'KeyAgreement.getInstance("ECDH")', 0.10),
    (AssetKind.ALGORITHM, "X25519", Primitive.KEY_AGREE, QuantumStatus.BROKEN, Usage.KEY_EXCHANGE, 256, None,
     "go:QR-GO-002", "ecdh.X25519().GenerateKey(rand.Reader)", 0.08),
    (AssetKind.ALGORITHM, "AES-128", Primitive.BLOCK_CIPHER, QuantumStatus.WEAKENED, Usage.ENCRYPTION, 128, None,
     "java:QR-JAVA-001", 'Cipher.getInstance("AES/GCM/NoPadding")', 0.12),
    (AssetKind.ALGORITHM, "AES-256", Primitive.BLOCK_CIPHER, QuantumStatus.SAFE, Usage.ENCRYPTION, 256, None,
     "python:QR-PY-010", "AESGCM(key)", 0.10),
    (AssetKind.ALGORITHM, "SHA-256", Primitive.HASH, QuantumStatus.WEAKENED, Usage.HASHING, None, None,
     "python:QR-PY-020", "hashlib.sha256(data).hexdigest()", 0.08),
    (AssetKind.ALGORITHM, "ML-KEM-768", Primitive.KEM, QuantumStatus.SAFE, Usage.KEY_EXCHANGE, None, None,
     "config:QR-TLS-009", "ssl_ecdh_curve X25519MLKEM768:X25519;", 0.05),
    (AssetKind.ALGORITHM, "MD5", Primitive.HASH, QuantumStatus.CLASSICALLY_BROKEN, Usage.HASHING, None, None,
     "python:QR-PY-021", "hashlib.md5(payload)", 0.04),
    (AssetKind.ALGORITHM, "unknown", Primitive.UNKNOWN, QuantumStatus.UNKNOWN, Usage.UNKNOWN, None, None,
     "generic:QR-GEN-001", "cipher = load_cipher(cfg.algorithm)", 0.03),
]
DATA_CLASSES = [("finance", 7.0), ("health", 30.0), ("personal-data-eu", 10.0), ("trade-secret", 20.0), ("card", 5.0)]
CATEGORIES = ["web-cloud", "networking", "software-signing", "operating-system", "legacy", None]


def synthetic_inventory(n_assets: int, n_systems: int, seed: int = 7) -> Inventory:
    """A deterministic estate: ``n_assets`` assets spread over ``n_systems`` systems, one occurrence each."""
    import random

    rng = random.Random(seed)
    crit = list(Criticality)
    efforts = list(MigrationEffort)
    systems = []
    for i in range(n_systems):
        dc_name, years = DATA_CLASSES[i % len(DATA_CLASSES)]
        systems.append(System(
            id=f"sys-{i:04d}", name=f"Service {i:04d}", owner=f"team-{i % 37}@example.org", paths=(f"svc-{i:04d}",),
            data_classes=(DataClass(dc_name, years, "synthetic"),),
            migration_years=float(rng.choice([1, 2, 3, 4, 5, 7, 10])) if i % 3 else None,
            migration_effort=efforts[i % len(efforts)], criticality=crit[i % len(crit)],
            category=CATEGORIES[i % len(CATEGORIES)], jurisdictions=("US",) if i % 2 else ("DE", "EU"),
            high_value=i % 11 == 0,
        ))
    weights = [m[-1] for m in MIX]
    not_after = dt.datetime(2028, 6, 30, tzinfo=dt.UTC)
    assets = []
    for k in range(n_assets):
        kind, alg, prim, status, usage, size, curve, rule, snippet, _ = rng.choices(MIX, weights)[0]
        sys_i = k % n_systems
        location = f"svc-{sys_i:04d}/src/pkg{k % 13}/module_{k // n_systems:04d}.py"
        detector, rule_id = rule.split(":")
        occ = Occurrence(location=location, detector=detector, rule_id=rule_id, line=1 + (k * 7919) % 900,
                         snippet=snippet)
        fp = hashlib.sha256(f"key-{k}".encode()).hexdigest() if kind in (AssetKind.KEY, AssetKind.CERTIFICATE) else None
        cert = CertificateInfo(
            subject=f"CN=host-{k}.example.org", issuer="CN=Example Issuing CA", serial_number=f"{k:x}",
            not_before=dt.datetime(2025, 6, 30, tzinfo=dt.UTC), not_after=not_after, signature_algorithm="RSA",
            signature_hash="SHA-256", sha256_fingerprint=fp or "",
        ) if kind is AssetKind.CERTIFICATE else None
        assets.append(Asset(
            asset_id=make_asset_id(kind, alg, key_size=size, curve=curve, fingerprint=fp, location=location,
                                   rule_id=rule_id),
            kind=kind, algorithm=alg, primitive=prim, quantum_status=status, usage=usage, key_size=size, curve=curve,
            occurrences=(occ,), system=f"sys-{sys_i:04d}", fingerprint_sha256=fp, certificate=cert,
            key_material=KeyMaterial.PRIVATE if kind is AssetKind.KEY else None,
            name=f"host-{k}.example.org" if cert else (f"key-{k}.pem" if kind is AssetKind.KEY else ""),
        ))
    stamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    scan = ScanInfo(targets=("synthetic",), started=stamp, finished=stamp, files_seen=n_assets,
                    files_scanned=n_assets, bytes_scanned=n_assets * 2048, tool_version="bench",
                    organisation="Synthetic Corp")
    return Inventory(assets=tuple(assets), systems=tuple(systems), scan=scan)


def timed(fn: Any, repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def open_in_chromium(path: Path, repeat: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    exe = os.environ.get("QRISK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    args = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    fcp, ready, load = [], [], []
    requests: list[str] = []
    with sync_playwright() as pw:
        for _ in range(repeat):
            profile = tempfile.mkdtemp(prefix="qrisk-bench-chromium-")
            ctx = pw.chromium.launch_persistent_context(profile, executable_path=exe, headless=True, args=args,
                                                        viewport={"width": 1280, "height": 900})
            try:
                page = ctx.new_page()
                page.on("request", lambda r: requests.append(r.url))
                page.goto(path.resolve().as_uri(), timeout=120_000)
                page.wait_for_selector("html[data-ready='1']", timeout=120_000)
                t = page.evaluate("""() => ({
                    fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime,
                    ready: (performance.getEntriesByName('qrisk-ready')[0] || {}).startTime,
                    load: performance.getEntriesByType('navigation')[0].loadEventEnd,
                    summary: !!document.querySelector('#summary .tile'),
                })""")
                assert t["summary"], "the summary is not in the page"
                fcp.append(t["fcp"] / 1000)
                ready.append(t["ready"] / 1000)
                load.append(t["load"] / 1000)
            finally:
                ctx.close()
                shutil.rmtree(profile, ignore_errors=True)
    return {"first_contentful_paint_s": fcp, "script_ready_s": ready, "load_event_s": load,
            "requests": sorted(set(requests))}


def summary(xs: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(xs), 3), "best": round(min(xs), 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assets", type=int, default=100_000)
    ap.add_argument("--systems", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cbom-assets", type=int, default=4000, help="Estate size for the CBOM timing.")
    ap.add_argument("--no-browser", action="store_true", help="Skip the Chromium measurement.")
    ap.add_argument("--keep", type=Path, default=None, help="Write the report folder here and keep it.")
    ap.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = ap.parse_args(argv)

    from qrisk.report.cbom import format_cbom
    from qrisk.report.html import render_html
    from qrisk.report.report_data import build_report
    from qrisk.report.sarif import format_sarif
    from qrisk.report.tabular import format_csv
    from qrisk.risk.formats import format_compliance_csv
    from qrisk.scan.detectors import all_rules

    t0 = time.perf_counter()
    inv = synthetic_inventory(args.assets, args.systems)
    build_s = time.perf_counter() - t0
    stages_times, report = timed(lambda: build_report(inv, now=NOW), args.repeat)
    html_times, html = timed(lambda: render_html(build_report(inv, now=NOW)), args.repeat)
    other_times, others = timed(lambda: {
        "findings.sarif": format_sarif(inv, all_rules()), "inventory.csv": format_csv(inv),
        "plan.csv": report.plan.csv, "compliance.csv": format_compliance_csv(report.compliance)}, 1)
    # cyclonedx-python-lib registers dependencies with a linear scan per component (quadratic):
    # the CBOM is timed on a smaller estate to show how it scales.
    cbom_inv = synthetic_inventory(args.cbom_assets, max(1, args.cbom_assets // 100))
    cbom_times, _ = timed(lambda: format_cbom(cbom_inv), 1)
    out = args.keep or Path(tempfile.mkdtemp(prefix="qrisk-bench-report-"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.html").write_text(html, encoding="utf-8")
    size = (out / "index.html").stat().st_size
    figures: dict[str, Any] = {
        "assets": args.assets, "systems": args.systems, "repeat": args.repeat,
        "inventory_build_s": round(build_s, 3),
        "stages_s": summary(stages_times),
        "render_index_html_s": summary(html_times),
        "sarif_and_csv_files_s": round(other_times[0], 3),
        "cbom": {"assets": args.cbom_assets, "seconds": round(cbom_times[0], 3)},
        "index_html_bytes": size, "index_html_mb": round(size / 1e6, 2),
        "other_file_bytes": {name: len(text.encode()) for name, text in others.items()},
        "plan_source": report.plan.source, "plan_actions": len(report.plan.data["actions"]["rows"]),
        "machine": {"cpus": os.cpu_count(), "cpu": _cpu_model(), "python": platform.python_version(),
                    "platform": platform.platform()},
    }
    if not args.no_browser:
        browser = open_in_chromium(out / "index.html", args.repeat)
        figures["chromium"] = {k: summary(v) if k != "requests" else v for k, v in browser.items()}
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"{args.assets:,} assets in {args.systems:,} systems (inventory built in {build_s:.2f} s)")
    print(f"render index.html:     median {figures['render_index_html_s']['median']:.2f} s, "
          f"best {figures['render_index_html_s']['best']:.2f} s  (target < 10 s)")
    print(f"  of which stages:     median {figures['stages_s']['median']:.2f} s (assess, compliance, plan, QKD)")
    print(f"SARIF + CSV files:     {figures['sarif_and_csv_files_s']:.2f} s")
    print(f"CBOM ({args.cbom_assets:,} assets):  {figures['cbom']['seconds']:.2f} s (cyclonedx-python-lib, quadratic)")
    print(f"index.html size:       {size / 1e6:.2f} MB  (target < 15 MB)")
    if "chromium" in figures:
        c = figures["chromium"]
        print(f"Chromium first paint:  median {c['first_contentful_paint_s']['median']:.2f} s, "
              f"best {c['first_contentful_paint_s']['best']:.2f} s  (target < 3 s)")
        print(f"Chromium script ready: median {c['script_ready_s']['median']:.2f} s (every table and chart drawn)")
        print(f"requests made:         {c['requests']}")
    print(f"machine: {figures['machine']['cpus']} CPUs, {figures['machine']['cpu']}, Python {platform.python_version()}")
    return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
