"""Certificate/key scanning throughput: files/s and MB/s on a generated tree.

Generates N certificate and key files (PEM and DER certificates, PKCS#8/PKCS#1/SEC1
keys, OpenSSH keys and .pub files, PKCS#7 bundles) in a temporary folder, then times
``qrisk scan`` end to end (walk + detectors + asset building) in one process and with
all cores, and as a baseline in the same run ``rg -c BEGIN`` over the same tree
(when ripgrep is installed). Usage::

    python benchmarks/bench_scan.py [--files 10000] [--repeat 3] [--json]

Target (issue "Foundation"): >= 2,000 certificate/key files per second per core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qrisk.scan.engine import ScanOptions, run_scan  # noqa: E402


def make_tree(root: Path, n_files: int) -> int:
    """Write ``n_files`` files cycling through formats; a small pool of keys is reused so
    generation stays fast (every file is still parsed in full by the scan)."""
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=s) for s in (2048, 3072)]
    keys += [ec.generate_private_key(c) for c in (ec.SECP256R1(), ec.SECP384R1())]
    keys += [ed25519.Ed25519PrivateKey.generate()]
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    certs = []
    for i, k in enumerate(keys):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"bench-{i}")])
        b = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
             .serial_number(i + 1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=365)))
        certs.append(b.sign(k, None if isinstance(k, ed25519.Ed25519PrivateKey) else hashes.SHA256()))
    nopw = serialization.NoEncryption()
    blobs: list[tuple[str, bytes]] = []
    for i, (k, c) in enumerate(zip(keys, certs, strict=True)):
        blobs.append((f"c{i}.pem", c.public_bytes(serialization.Encoding.PEM)))
        blobs.append((f"c{i}.der", c.public_bytes(serialization.Encoding.DER)))
        blobs.append((f"k{i}.key", k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, nopw)))
        blobs.append((f"k{i}.pub", k.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH) + b" bench\n"))
        blobs.append((f"id_{i}", k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, nopw)))
    blobs.append(("chain.p7b", pkcs7.serialize_certificates(certs[:2], serialization.Encoding.PEM)))
    total = 0
    for i in range(n_files):
        name, data = blobs[i % len(blobs)]
        d = root / f"d{i // 500:03d}"
        d.mkdir(exist_ok=True)
        (d / f"{i:05d}-{name}").write_bytes(data)
        total += len(data)
    return total


def time_runs(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cpus = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="qrisk-bench-") as tmp:
        root = Path(tmp)
        nbytes = make_tree(root, args.files)
        assets = {}

        def scan(jobs: int) -> None:
            inv = run_scan([str(root)], ScanOptions(jobs=jobs))
            assets[jobs] = (len(inv.assets), inv.scan.files_scanned, len(inv.skipped))

        scan(1)  # warm the page cache and imports
        single = time_runs(lambda: scan(1), args.repeat)
        multi = time_runs(lambda: scan(cpus), args.repeat)
        rg = shutil.which("rg")
        rg_times = (
            time_runs(lambda: subprocess.run([rg, "-uuu", "-c", "BEGIN", str(root)], capture_output=True), args.repeat)
            if rg else []
        )
    med1, medn = statistics.median(single), statistics.median(multi)
    result = {
        "machine": {"cpus": cpus, "cpu": _cpu_model(), "python": platform.python_version()},
        "files": args.files,
        "megabytes": round(nbytes / 1e6, 2),
        "single_process": {"median_s": round(med1, 3), "files_per_s": round(args.files / med1),
                           "mb_per_s": round(nbytes / 1e6 / med1, 2)},
        f"jobs_{cpus}": {"median_s": round(medn, 3), "files_per_s": round(args.files / medn),
                          "files_per_s_per_core": round(args.files / medn / cpus)},
        "ripgrep_median_s": round(statistics.median(rg_times), 3) if rg_times else None,
        "assets_files_skips": assets[1],
        "identical_results_1_vs_n": assets[1] == assets[cpus],
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    main()
