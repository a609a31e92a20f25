"""Scale: incremental rescans, and time / peak memory / findings per second on large estates.

``generate`` writes a synthetic estate: folders of 500 files in which, per 100 files,
``--key-files`` are ``authorized_keys`` files holding two distinct Ed25519 public keys each
(two findings and two assets per file: random 32-byte keys, so every finding is its own
asset), 10 are certificates or private keys (PEM/OpenSSH, parsed in full: the costly
case), and the rest are source and text files without cryptographic evidence. File times
are set an hour back (a real estate's files are not seconds old; see the racy window in
``qrisk/scan/cache.py``).

``rescan`` (default 100,000 files, 1 % key files, 10 % parsed certificates and keys): times
``qrisk scan --db`` on a cold cache, then two rescans of the unchanged tree, and reports the
speed-up of the faster rescan over the first scan (target >= 10x) and over a scan without
a database.

``memory`` (default 1,000,000 files and 1,000,000 findings): times ``qrisk scan --db -f json
-o FILE`` and samples the resident memory of the whole process tree (qrisk and its
worker processes) every 50 ms; reports wall time, peak RSS (tree and largest process)
and findings per second (target: peak RSS < 1 GB).

Each scan runs as its own ``python -m qrisk`` process. Usage::

    python benchmarks/bench_scale.py rescan [--files 100000] [--jobs N] [--json]
    python benchmarks/bench_scale.py memory [--files 1000000] [--key-files 50] [--jobs N] [--json]
    python benchmarks/bench_scale.py generate DIR [--files N] [--key-files 50]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PER_FOLDER = 500


def _ssh_line(public: bytes, comment: str) -> bytes:
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + public
    return b"ssh-ed25519 " + base64.b64encode(blob) + b" " + comment.encode() + b"\n"


def _parsed_blobs() -> list[tuple[str, bytes]]:
    """Certificates and keys the detectors parse in full (a small pool, reused)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.x509.oid import NameOID

    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048), ec.generate_private_key(ec.SECP256R1()),
            ed25519.Ed25519PrivateKey.generate()]
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    out: list[tuple[str, bytes]] = []
    for i, k in enumerate(keys):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"scale-{i}")])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
                .serial_number(i + 1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=365))
                .sign(k, None if isinstance(k, ed25519.Ed25519PrivateKey) else hashes.SHA256()))
        out.append((f"c{i}.pem", cert.public_bytes(serialization.Encoding.PEM)))
        out.append((f"k{i}.key", k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption())))
    return out


_SOURCE = (
    b"def handler(event, context):\n    items = [x for x in event.get('items', [])]\n"
    b"    return {'count': len(items), 'status': 'ok'}\n"
)
_TEXT = b"# Notes\n\nNothing cryptographic here: release notes, build steps and a changelog.\n"


def generate(root: Path, n_files: int, key_files_pct: int = 50) -> dict[str, int]:
    """Write the estate; returns counts (files, expected findings from key files)."""
    root.mkdir(parents=True, exist_ok=True)
    parsed = _parsed_blobs()
    old = time.time_ns() - 3600 * 10**9
    findings = 0
    folder = None
    for i in range(n_files):
        if i % PER_FOLDER == 0:
            folder = root / f"repo{i // (PER_FOLDER * 20):04d}" / f"d{(i // PER_FOLDER) % 20:02d}"
            folder.mkdir(parents=True, exist_ok=True)
        assert folder is not None
        slot = i % 100
        if slot < key_files_pct:
            name, data = f"authorized_keys_{i}", _ssh_line(os.urandom(32), f"u{i}a") + _ssh_line(os.urandom(32), f"u{i}b")
            findings += 2
        elif slot < key_files_pct + 10:
            fname, data = parsed[i % len(parsed)]
            name = f"{i}-{fname}"
        elif slot % 2:
            name, data = f"m{i}.py", _SOURCE
        else:
            name, data = f"n{i}.md", _TEXT
        path = folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.utime(path, ns=(old, old))
    return {"files": n_files, "key_file_findings": findings}


class _TreeSampler(threading.Thread):
    """Peak resident memory of a process and its descendants (sum), sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_tree = 0
        self.peak_main = 0
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:  # pragma: no cover
            return
        try:
            proc = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._halt.is_set():
            try:
                main = proc.memory_info().rss
                total = main
                for child in proc.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        total += child.memory_info().rss
            except psutil.Error:
                break
            self.peak_main = max(self.peak_main, main)
            self.peak_tree = max(self.peak_tree, total)
            self._halt.wait(0.05)

    def stop(self) -> None:
        self._halt.set()
        self.join()


_SNAPSHOT: Path | None = None


def snapshot(work: Path) -> Path:
    """Run every scan from one copy of the package: the incremental cache is keyed on the
    scan stage's source, so an edit in the working tree between two runs (concurrent
    development) would rightly invalidate it and spoil the measurement."""
    global _SNAPSHOT
    dest = work / "src"
    shutil.copytree(ROOT / "qrisk", dest / "qrisk", ignore=shutil.ignore_patterns("__pycache__"))
    if (ROOT / "templates").is_dir():
        shutil.copytree(ROOT / "templates", dest / "templates")
    _SNAPSHOT = dest
    return dest


def run_qrisk(args: list[str]) -> dict[str, float]:
    """Run ``python -m qrisk ARGS``; wall time, exit code and memory."""
    src = _SNAPSHOT or ROOT
    env = dict(os.environ, PYTHONPATH=str(src) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    # cwd outside the working tree: ``python -m`` puts the cwd first on sys.path
    proc = subprocess.Popen([sys.executable, "-m", "qrisk", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, cwd=src.parent if _SNAPSHOT else None)
    sampler = _TreeSampler(proc.pid)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    sampler.stop()
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"qrisk {' '.join(args)} failed ({code}): {stderr[-2000:]}")
    return {
        "wall_s": wall,
        # ru_maxrss (KiB on Linux): the largest single process among qrisk and its waited children
        "max_process_rss_mb": usage.ru_maxrss / 1024,
        "peak_tree_rss_mb": sampler.peak_tree / 2**20,
        "peak_main_rss_mb": sampler.peak_main / 2**20,
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def bench_rescan(files: int, key_files_pct: int, jobs: int | None, work: Path) -> dict[str, object]:
    tree, db = work / "estate", work / "qrisk.db"
    t0 = time.perf_counter()
    counts = generate(tree, files, key_files_pct)
    gen_s = time.perf_counter() - t0
    jobs_args = ["-j", str(jobs)] if jobs else []
    common = ["scan", str(tree), "-q", "-f", "json", "-o", str(work / "out.json"), *jobs_args]
    plain = run_qrisk(common)  # no database: the scan as it was before this feature
    first = run_qrisk([*common, "--db", str(db)])
    rescan = run_qrisk([*common, "--db", str(db)])
    rescan2 = run_qrisk([*common, "--db", str(db)])
    with sqlite3.connect(db) as conn:
        statuses = [s for (s,) in conn.execute("SELECT status FROM scans")]
        assets = [a for (a,) in conn.execute("SELECT assets FROM scans")]
    assert statuses == ["complete"] * 3 and len(set(assets)) == 1, (statuses, assets)
    best_rescan = min(rescan["wall_s"], rescan2["wall_s"])
    return {
        "files": files, **counts, "generate_s": gen_s, "assets": assets[0],
        "no_db": plain, "first_scan": first, "rescan": rescan, "rescan_again": rescan2,
        "speedup_vs_first": first["wall_s"] / best_rescan,
        "speedup_vs_no_db": plain["wall_s"] / best_rescan,
    }


def bench_memory(files: int, key_files_pct: int, jobs: int | None, work: Path) -> dict[str, object]:
    tree, db = work / "estate", work / "qrisk.db"
    t0 = time.perf_counter()
    counts = generate(tree, files, key_files_pct)
    gen_s = time.perf_counter() - t0
    jobs_args = ["-j", str(jobs)] if jobs else []
    out = work / "inventory.json"
    stats = run_qrisk(["scan", str(tree), "-q", "--db", str(db), "-f", "json", "-o", str(out), *jobs_args])
    with sqlite3.connect(db) as conn:
        status, findings, assets = conn.execute("SELECT status, findings, assets FROM scans").fetchone()
    return {
        "files": files, **counts, "generate_s": gen_s, "status": status, "findings": findings, "assets": assets,
        "inventory_json_mb": out.stat().st_size / 2**20, "db_mb": db.stat().st_size / 2**20,
        **stats, "findings_per_s": findings / stats["wall_s"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("rescan")
    r.add_argument("--files", type=int, default=100_000)
    r.add_argument("--key-files", type=int, default=1, help="percent of files holding two keys each")
    m = sub.add_parser("memory")
    m.add_argument("--files", type=int, default=1_000_000)
    m.add_argument("--key-files", type=int, default=50, help="percent of files holding two keys each")
    g = sub.add_parser("generate")
    g.add_argument("dir", type=Path)
    g.add_argument("--files", type=int, default=10_000)
    g.add_argument("--key-files", type=int, default=50)
    for p in (r, m):
        p.add_argument("--jobs", type=int, default=None)
        p.add_argument("--json", action="store_true")
        p.add_argument("--keep", action="store_true", help="keep the generated estate")
    args = ap.parse_args()
    if args.mode == "generate":
        print(json.dumps(generate(args.dir, args.files, args.key_files)))
        return
    work = Path(tempfile.mkdtemp(prefix="qrisk-scale-"))
    try:
        snapshot(work)
        if args.mode == "rescan":
            result = bench_rescan(args.files, args.key_files, args.jobs, work)
        else:
            result = bench_memory(args.files, args.key_files, args.jobs, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    result["machine"] = machine()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{key}: " + ", ".join(f"{k}={v:.2f}" for k, v in value.items()))
        elif isinstance(value, float):
            print(f"{key}: {value:.2f}")
        else:
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
