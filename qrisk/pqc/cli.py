"""``qrisk pqc …`` and ``qrisk bench pqc``: list the PQC providers, benchmark the algorithms.

The lead registers the two groups, :data:`pqc` and :data:`bench`, into the main ``qrisk``
group. They turn :class:`~qrisk.errors.QriskError` into a one-line error and exit 2 on their
own too, so they behave the same when invoked directly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from qrisk.clicommon import QriskGroup, emit, output_options, resolve_format


@click.group(cls=QriskGroup)
def pqc() -> None:
    """Post-quantum cryptography engine: providers and algorithms."""


@pqc.command("providers")
@output_options(["text", "json"], "text")
def providers_cmd(fmt: str, as_json: bool, output: Path | None) -> None:
    """List the PQC providers, what each offers, and why one is unavailable."""
    from qrisk.pqc.providers import provider_statuses

    statuses = provider_statuses()
    if resolve_format(fmt, as_json) == "json":
        doc = {
            "schema": "qrisk.pqc.providers/1",
            "providers": [
                {
                    "name": s.name,
                    "available": s.available,
                    "reason": s.reason,
                    "version": s.version,
                    "kems": list(s.kems),
                    "signatures": list(s.signatures),
                }
                for s in statuses
            ],
        }
        emit(json.dumps(doc, indent=2) + "\n", output)
        return
    lines: list[str] = []
    for s in statuses:
        mark = "available" if s.available else "unavailable"
        version = f" {s.version}" if s.version else ""
        lines.append(f"{s.name}{version}: {mark}")
        lines.append(f"  {'backend' if s.available else 'reason'}: {s.reason}")
        if s.available:
            lines.append(f"  KEMs ({len(s.kems)}): {', '.join(s.kems)}")
            lines.append(f"  signatures ({len(s.signatures)}): {', '.join(s.signatures)}")
    emit("\n".join(lines) + "\n", output)


@pqc.command("algorithms")
@output_options(["text", "json"], "text")
def algorithms_cmd(fmt: str, as_json: bool, output: Path | None) -> None:
    """Algorithm facts: sizes, NIST category, standard status and cost classes (catalog/pqc.yaml)."""
    from qrisk.pqc.facts import all_facts

    facts = list(all_facts().values())
    if resolve_format(fmt, as_json) == "json":
        doc = {
            "schema": "qrisk.pqc.algorithms/1",
            "algorithms": [
                {
                    "id": f.id,
                    "name": f.name,
                    "kind": str(f.kind),
                    "key_size": f.key_size,
                    "nist_level": f.nist_level,
                    "status": str(f.status),
                    "standard": f.standard,
                    "sizes": {k: v for k, v in vars(f.sizes).items()},
                    "handshake_bytes": f.handshake_bytes(),
                    "cost": {k: str(v) for k, v in f.cost.items()},
                    "source": f.source,
                }
                for f in facts
            ],
        }
        emit(json.dumps(doc, indent=2) + "\n", output)
        return
    header = f"{'id':<26} {'kind':<9} {'NIST':>4} {'status':<15} {'pk B':>8} {'ct/sig B':>8} {'wire B':>8}  cost"
    lines = [header, "-" * len(header)]
    for f in facts:
        wire = f.sizes.ciphertext_bytes or f.sizes.signature_bytes or 0
        level = "-" if f.nist_level is None else str(f.nist_level)
        cost = "/".join(str(c) for c in f.cost.values())
        lines.append(
            f"{f.id:<26} {f.kind!s:<9} {level:>4} {f.status!s:<15} {f.sizes.public_key_bytes:>8} "
            f"{wire:>8} {f.handshake_bytes():>8}  {cost}"
        )
    emit("\n".join(lines) + "\n", output)


@click.group(cls=QriskGroup)
def bench() -> None:
    """Measure performance on this machine."""


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


@bench.command("pqc")
@click.option(
    "-a",
    "--algorithms",
    multiple=True,
    metavar="NAMES",
    help="Algorithms to run (comma-separated or repeated); default: every algorithm of every provider.",
)
@click.option(
    "-p", "--provider", "providers", multiple=True, metavar="NAME", help="Only these providers (oqs, cryptography)."
)
@click.option(
    "--time-per-op",
    type=click.FloatRange(0.01, 60.0),
    default=0.2,
    show_default=True,
    help="Seconds spent timing each operation (wrapper and direct together).",
)
@output_options(["text", "json", "markdown"], "text")
def bench_pqc_cmd(
    algorithms: tuple[str, ...],
    providers: tuple[str, ...],
    time_per_op: float,
    fmt: str,
    as_json: bool,
    output: Path | None,
) -> None:
    """ops/s of keygen/encaps/decaps/sign/verify and sizes per algorithm and provider, with
    qrisk's wrapper overhead against calling the provider library directly."""
    from qrisk.pqc.bench import format_markdown, format_text, run_bench

    def progress(what: str) -> None:
        if sys.stderr.isatty():
            click.echo(f"benchmarking {what}…", err=True)

    report = run_bench(_split(algorithms) or None, _split(providers) or None, time_per_op, progress)
    kind = resolve_format(fmt, as_json)
    if kind == "json":
        doc = {"schema": "qrisk.bench.pqc/1", **report.to_dict()}
        emit(json.dumps(doc, indent=2) + "\n", output)
    elif kind == "markdown":
        emit(format_markdown(report), output)
    else:
        emit(format_text(report), output)
