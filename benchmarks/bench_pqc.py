"""Benchmark the PQC providers: ops/s and sizes per algorithm and provider, plus qrisk's wrapper overhead.

Usage:
    python benchmarks/bench_pqc.py [--time-per-op SECONDS] [--algorithms A,B] [--provider P] [--json FILE]

Prints a Markdown table for benchmarks/BENCHMARKS.md. Every available provider is measured
(liboqs through ``oqs`` only when the native library is present). The wrapper overhead compares
qrisk's interface with calling the provider library directly in the same run (target: ≤ 5 %).
Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

try:
    import qrisk  # noqa: F401
except ModuleNotFoundError:  # run from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qrisk.pqc.bench import format_markdown, run_bench
from qrisk.pqc.providers import provider_statuses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-per-op", type=float, default=1.0, help="seconds per operation (default 1.0)")
    parser.add_argument("--algorithms", default="", help="comma-separated algorithm names (default: all)")
    parser.add_argument("--provider", action="append", default=[], help="only this provider (repeatable)")
    parser.add_argument("--json", type=Path, default=None, help="also write the full report as JSON")
    args = parser.parse_args(argv)

    for status in provider_statuses():
        state = "available" if status.available else "unavailable"
        print(f"# provider {status.name}: {state} ({status.reason})", file=sys.stderr)

    names = [n.strip() for n in args.algorithms.split(",") if n.strip()] or None
    report = run_bench(
        names,
        args.provider or None,
        args.time_per_op,
        progress=lambda what: print(f"# {what}", file=sys.stderr, flush=True),
    )
    print(format_markdown(report), end="")
    if args.json is not None:
        args.json.write_text(json.dumps({"schema": "qrisk.bench.pqc/1", **report.to_dict()}, indent=2) + "\n")
    over = report.overhead_max_pct
    return 0 if over is None or report.overhead_median_pct is None or report.overhead_median_pct <= 5.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
