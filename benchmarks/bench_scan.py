"""Scan throughput, two modes.

``certs`` — certificate/key scanning on a generated tree. Generates N certificate and key files (PEM and DER certificates, PKCS#8/PKCS#1/SEC1
keys, OpenSSH keys and .pub files, PKCS#7 bundles) in a temporary folder, then times
``qrisk scan`` end to end (walk + detectors + asset building) in one process and with
all cores, and as a baseline in the same run ``rg -c BEGIN`` over the same tree
(when ripgrep is installed). Target: >= 2,000 certificate/key files per second per core.

``stdlib`` — the whole library folder of the running interpreter
(``sysconfig.get_paths()["stdlib"]``, as installed, warm cache) scanned end to end with all
detectors, timed with hyperfine in the same run as (a) ripgrep searching the same keyword
set (the union of every detector's prefilter keywords) over the same tree and (b) the
open-source peers cryptoagility, pqc-audit and qday-time-machine, installed into a
throwaway virtual environment under a temporary folder (never project dependencies).
Peak RSS comes from ``/usr/bin/time -v``. Targets: within 2x of ripgrep's wall time, at
least 5x faster than the fastest peer, peak RSS < 500 MB.

Usage::

    python benchmarks/bench_scan.py certs [--files 10000] [--repeat 3] [--json]
    python benchmarks/bench_scan.py stdlib [--runs 5] [--peer-runs 2] [--no-peers] [--json]
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

from qrisk.scan.engine import ScanOptions, run_scan


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


def bench_certs(args: argparse.Namespace) -> None:
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


PEERS = {
    "cryptoagility": ("cryptoagility", lambda venv, tree: [f"{venv}/bin/cryptoagility", tree, "--exit-zero"]),
    "pqc-audit": ("pqc-audit", lambda venv, tree: [f"{venv}/bin/pqc-audit", "--json", tree]),
    "qday-time-machine": ("qday-time-machine", lambda venv, tree: [f"{venv}/bin/qday", "scan", "--path", tree, "--json"]),
}


def _tree_stats(tree: str) -> tuple[int, int]:
    files = size = 0
    for dirpath, _dirs, names in os.walk(tree):
        for n in names:
            try:
                st = os.lstat(os.path.join(dirpath, n))
            except OSError:
                continue
            files += 1
            size += st.st_size
    return files, size


def _peak_rss_kb(cmd: list[str]) -> tuple[int, int]:
    """(peak RSS in KB, exit code) of one run under /usr/bin/time -v."""
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    for line in proc.stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.split(":")[1]), proc.returncode
    return -1, proc.returncode


def bench_stdlib(args: argparse.Namespace) -> None:
    import sysconfig

    from qrisk.scan.detectors import builtin_detectors

    tree = sysconfig.get_paths()["stdlib"]
    n_files, n_bytes = _tree_stats(tree)
    hyperfine = shutil.which("hyperfine")
    rg = shutil.which("rg")
    if not hyperfine or not rg:
        sys.exit("needs hyperfine and ripgrep (Debian packages 'hyperfine' and 'ripgrep')")
    keywords = sorted({k.decode("latin-1") for d in builtin_detectors() for k in d.keywords})
    with tempfile.TemporaryDirectory(prefix="qrisk-bench-") as tmp:
        kw_file = Path(tmp, "keywords.txt")
        kw_file.write_text("\n".join(keywords) + "\n", encoding="latin-1")
        out = Path(tmp, "inventory.json")
        commands: dict[str, list[str]] = {
            "qrisk": [sys.executable, "-m", "qrisk", "scan", tree, "-q", "-f", "json", "-o", str(out)],
            "ripgrep": [rg, "-uuu", "-c", "-i", "-F", "-f", str(kw_file), tree],
        }
        peer_cmds: dict[str, list[str]] = {}
        if not args.no_peers:
            venv = Path(tmp, "peers")
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            for name, (package, make) in PEERS.items():
                r = subprocess.run([f"{venv}/bin/pip", "install", "-q", package], capture_output=True, text=True)
                if r.returncode == 0:
                    peer_cmds[name] = make(str(venv), tree)
                else:
                    print(f"peer {name} could not be installed: {r.stderr.strip()[-200:]}", file=sys.stderr)
        results: dict[str, dict[str, object]] = {}
        for name, cmd, runs in [*((n, c, args.runs) for n, c in commands.items()),
                                *((n, c, args.peer_runs) for n, c in peer_cmds.items())]:
            export = Path(tmp, f"{name}.json")
            shell_cmd = " ".join(_quote(c) for c in cmd)
            subprocess.run(
                [hyperfine, "--warmup", "1", "--runs", str(runs), "-N", "-i", "--export-json", str(export), shell_cmd],
                capture_output=True, check=True,
            )
            data = json.loads(export.read_text())["results"][0]
            rss, code = _peak_rss_kb(cmd)
            results[name] = {"median_s": round(data["median"], 3), "runs": runs, "peak_rss_mb": round(rss / 1024, 1),
                             "exit_code": code}
        if out.exists():
            inv = json.loads(out.read_text())
            results["qrisk"]["assets"] = len(inv["assets"])
            results["qrisk"]["files_scanned"] = inv["scan"]["files_scanned"]
            results["qrisk"]["skipped"] = len(inv["skipped"])
    q = results["qrisk"]["median_s"]
    summary = {
        "machine": {"cpus": os.cpu_count(), "cpu": _cpu_model(), "python": platform.python_version(),
                    "load_average": os.getloadavg()},
        "tree": {"path_kind": "sysconfig stdlib", "files": n_files, "megabytes": round(n_bytes / 1e6, 1),
                 "keywords": len(keywords)},
        "results": results,
        "qrisk_vs_ripgrep": round(q / results["ripgrep"]["median_s"], 2),  # type: ignore[operator]
    }
    peers_ok = [r["median_s"] for n, r in results.items() if n in PEERS and r["exit_code"] == 0]
    if peers_ok:
        summary["fastest_peer_vs_qrisk"] = round(min(peers_ok) / q, 1)  # type: ignore[operator]
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"tree: {n_files} files, {n_bytes / 1e6:.0f} MB; machine: {summary['machine']}")
        print("| tool | median wall s | MB/s | peak RSS MB | exit |")
        print("|---|---|---|---|---|")
        for name, r in results.items():
            mbps = n_bytes / 1e6 / r["median_s"]  # type: ignore[operator]
            print(f"| {name} | {r['median_s']} | {mbps:.0f} | {r['peak_rss_mb']} | {r['exit_code']} |")
        print({k: v for k, v in summary.items() if k not in ("results", "machine", "tree")})


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("certs", help="generated certificate/key tree")
    c.add_argument("--files", type=int, default=10_000)
    c.add_argument("--repeat", type=int, default=3)
    c.add_argument("--json", action="store_true")
    t = sub.add_parser("stdlib", help="the interpreter's library folder vs ripgrep and peers")
    t.add_argument("--runs", type=int, default=5)
    t.add_argument("--peer-runs", type=int, default=2)
    t.add_argument("--no-peers", action="store_true")
    t.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.mode == "certs":
        bench_certs(args)
    else:
        bench_stdlib(args)


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
