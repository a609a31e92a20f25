"""Benchmark the ETSI GS QKD 014 KMEs: requests/s and latency with many SAE clients over mTLS keep-alive.

Usage:
    python benchmarks/bench_kme.py [--seconds 10] [--repeat 3] [--pairs 25] [--json FILE]

Starts ``qrisk kme serve --config`` (both KMEs in one server process) on 127.0.0.1, then drives
PAIRS master SAEs (enc_keys on KME_A) and PAIRS slave SAEs (dec_keys on KME_B, one call per
key_ID the master hands over), each on its own mutual-TLS keep-alive connection, from this
process. Every run also checks that no key was delivered twice or lost. Prints a Markdown table
for benchmarks/BENCHMARKS.md with the machine it ran on. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from importlib import metadata
from pathlib import Path

try:
    import qrisk  # noqa: F401
except ModuleNotFoundError:  # run from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qrisk.qkd.kme_load import LoadPair, LoadResult, make_load_setup, run_load, server_process


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def _scenario(pairs: int, seconds: float, repeat: int) -> tuple[list[LoadResult], list[int | None]]:
    with tempfile.TemporaryDirectory(prefix="qrisk-bench-kme-") as tmp:
        setup = make_load_setup(Path(tmp), pairs=pairs)
        with server_process(setup.config) as server:
            load_pairs = [LoadPair(m, server.urls["KME_A"], s, server.urls["KME_B"]) for m, s in setup.pairs]
            run_load(load_pairs, setup.ca, seconds=min(2.0, seconds))  # warm-up, not counted
            results, rss = [], []
            for i in range(repeat):
                r = run_load(load_pairs, setup.ca, seconds=seconds)
                bad = r.duplicate_key_ids + r.lost_key_ids + r.mismatched_keys
                if bad or r.errors:
                    raise SystemExit(f"run {i + 1}: correctness failure: {r.summary()}")
                results.append(r)
                rss.append(server.rss_bytes())
                print(f"# {2 * pairs} clients, run {i + 1}/{repeat}: {r.requests_per_s:,.0f} req/s, "
                      f"p99 {r.percentile_ms(99):.1f} ms", file=sys.stderr, flush=True)
    return results, rss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per run (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario; the median is reported")
    parser.add_argument("--pairs", type=int, default=25, help="master/slave SAE pairs (default 25 = 50 clients)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    rows = []
    report: dict[str, object] = {
        "schema": "qrisk.bench.kme/1",
        "machine": {"cpu": _cpu_model(), "nproc": os.cpu_count(), "python": platform.python_version(),
                    "uvicorn": _version("uvicorn"), "fastapi": _version("fastapi"), "h11": _version("h11")},
        "scenarios": [],
    }
    for pairs in sorted({1, args.pairs}):
        results, rss = _scenario(pairs, args.seconds, args.repeat)
        rps = statistics.median(r.requests_per_s for r in results)
        p50 = statistics.median(r.percentile_ms(50) for r in results)
        p99 = statistics.median(r.percentile_ms(99) for r in results)
        keys = statistics.median(r.keys_delivered_to_masters / r.seconds for r in results)
        mem = max((m for m in rss if m is not None), default=None)
        rows.append((2 * pairs, rps, p50, p99, keys, mem))
        report["scenarios"].append({  # type: ignore[attr-defined]
            "clients": 2 * pairs, "seconds": args.seconds, "runs": [r.summary() for r in results],
            "median_requests_per_s": rps, "median_p50_ms": p50, "median_p99_ms": p99,
            "median_keys_per_s": keys, "max_rss_bytes": mem,
        })
    m = report["machine"]
    print(f"Machine: {m['cpu']} ({m['nproc']} CPUs), Python {m['python']}, "  # type: ignore[index]
          f"uvicorn {m['uvicorn']} (h11 {m['h11']}), fastapi {m['fastapi']}.")  # type: ignore[index]
    print(f"{args.repeat} runs of {args.seconds:g} s per scenario after a warm-up; medians.\n")
    print("| SAE clients (mTLS keep-alive) | requests/s | p50 ms | p99 ms | keys/s (each fetched once by its slave) | server RSS |")
    print("|---|---|---|---|---|---|")
    for clients, rps, p50, p99, keys, mem in rows:
        mem_text = f"{mem / 2**20:.0f} MiB" if mem else "-"
        print(f"| {clients} | {rps:,.0f} | {p50:.1f} | {p99:.1f} | {keys:,.0f} | {mem_text} |")
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
