"""``qrisk history`` and ``qrisk diff``: read the scan history database (:mod:`qrisk.store`).

The database is ``--db FILE``, else ``$QRISK_DB``, else ``~/.local/share/qrisk/qrisk.db``;
scans are recorded there by ``qrisk scan --db FILE`` (or ``--save``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from qrisk.clicommon import EXIT_FINDINGS, emit, output_options, resolve_format
from qrisk.model import QuantumStatus, to_dict
from qrisk.store import AssetSummary, ScanDiff, ScanRecord, Store, TrendPoint, default_db_path

HISTORY_SCHEMA = "qrisk.history/1"
DIFF_SCHEMA = "qrisk.diff/1"
TREND_SCHEMA = "qrisk.trend/1"

_FAIL_ON = {
    "classically-broken": QuantumStatus.CLASSICALLY_BROKEN.severity,
    "broken": QuantumStatus.BROKEN.severity,
    "weakened": QuantumStatus.WEAKENED.severity,
    "any": QuantumStatus.UNKNOWN.severity,
}


def _db_option(func):  # type: ignore[no-untyped-def]
    return click.option(
        "--db", type=click.Path(dir_okay=False), default=None, metavar="FILE",
        help="History database (default: $QRISK_DB, else ~/.local/share/qrisk/qrisk.db).",
    )(func)


def _open(db: str | None) -> Store:
    return Store(db or default_db_path(), create=False)


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if hasattr(value, "strftime") else "-"


# --------------------------------------------------------------------------- formatters (pure)


def format_history_table(records: list[ScanRecord]) -> str:
    if not records:
        return "no scans recorded yet\n"
    head = ("SCAN", "STATUS", "STARTED (UTC)", "FINISHED (UTC)", "FILES", "ASSETS", "VULNERABLE", "SKIPPED", "TARGETS")
    rows = [head]
    for r in records:
        files = str(r.files_seen) if r.status == "complete" else f"{r.files_examined} (partial)"
        rows.append((
            str(r.scan_id), r.status, _when(r.started), _when(r.finished), files,
            "-" if r.assets is None else str(r.assets),
            "-" if r.vulnerable is None else str(r.vulnerable),
            "-" if r.skipped is None else str(r.skipped),
            " ".join(r.targets),
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1] for row in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _describe(s: AssetSummary) -> str:
    where = s.location + (f" (+{len(s.locations) - 1} more)" if len(s.locations) > 1 else "")
    system = f" [{s.system}]" if s.system else ""
    return f"{s.label}: {s.quantum_status} at {where}{system}"


def format_diff_table(diff: ScanDiff) -> str:
    lines = [
        f"scan {diff.a} -> scan {diff.b}: {len(diff.added)} added, {len(diff.removed)} removed, "
        f"{len(diff.changed)} changed, {diff.unchanged} unchanged"
    ]
    for s in diff.added:
        lines.append(f"+ {_describe(s)}")
    for s in diff.removed:
        lines.append(f"- {_describe(s)}")
    for c in diff.changed:
        what = ", ".join(f for f in c.fields if f != "asset_id") or "identity"
        lines.append(f"~ {_describe(c.before)}")
        lines.append(f"  -> {_describe(c.after)}  ({what})")
    return "\n".join(lines) + "\n"


def format_trend_table(points: list[TrendPoint]) -> str:
    if not points:
        return "no complete scans recorded yet\n"
    head = ("SCAN", "FINISHED (UTC)", "SYSTEM", "VULNERABLE", "WEAKENED", "SAFE", "UNKNOWN", "TOTAL")
    rows = [head] + [
        (str(p.scan_id), _when(p.finished), p.system or "(none)", str(p.vulnerable), str(p.weakened), str(p.safe),
         str(p.unknown), str(p.total))
        for p in points
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows) + "\n"


def _json(schema: str, key: str, value: object) -> str:
    return json.dumps({"schema": schema, key: to_dict(value)}, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- commands


@click.command("history")
@_db_option
@click.option("--trend", is_flag=True, help="Per scan and system: quantum-vulnerable assets over time.")
@click.option("--system", "systems", multiple=True, metavar="ID", help="With --trend: only these systems.")
@output_options(["table", "json"], "table")
def history(db: str | None, trend: bool, systems: tuple[str, ...], fmt: str, as_json: bool, output: Path | None) -> None:
    """List recorded scans (status, files, assets, quantum-vulnerable assets), or the trend.

    A scan that was killed or interrupted shows as ``incomplete``: its counts are partial.

    \b
    Examples:
      qrisk history
      qrisk history --trend -f json -o trend.json
    """
    fmt = resolve_format(fmt, as_json)
    with _open(db) as store:
        if trend:
            points = store.trend(systems or None)
            emit(_json(TREND_SCHEMA, "trend", points) if fmt == "json" else format_trend_table(points), output)
            return
        records = store.scans()
    emit(_json(HISTORY_SCHEMA, "scans", records) if fmt == "json" else format_history_table(records), output)


@click.command("diff")
@click.argument("scan_a", required=False, default="previous")
@click.argument("scan_b", required=False, default="latest")
@_db_option
@click.option("--allow-incomplete", is_flag=True,
              help="Also compare incomplete scans (their missing files show up as removed assets).")
@click.option("--fail-on", type=click.Choice(list(_FAIL_ON)), default=None,
              help="Exit 1 if an asset at or above this status was added or got worse.")
@output_options(["table", "json"], "table")
def diff(
    scan_a: str, scan_b: str, db: str | None, allow_incomplete: bool, fail_on: str | None,
    fmt: str, as_json: bool, output: Path | None,
) -> None:
    """Assets added, removed and changed between two scans (ids, 'latest', 'previous').

    Assets are matched by asset_id; an asset replaced at the same location (a certificate
    rotated from RSA to ML-DSA) is reported as changed.

    \b
    Examples:
      qrisk diff                 # previous complete scan -> latest complete scan
      qrisk diff 12 15 --json
      qrisk diff previous latest --fail-on broken
    """
    fmt = resolve_format(fmt, as_json)
    with _open(db) as store:
        a, b = store.resolve(scan_a), store.resolve(scan_b)
        result = store.diff(a, b, allow_incomplete=allow_incomplete)
    emit(_json(DIFF_SCHEMA, "diff", result) if fmt == "json" else format_diff_table(result), output)
    if fail_on and introduced(result, _FAIL_ON[fail_on]):
        sys.exit(EXIT_FINDINGS)


def introduced(result: ScanDiff, level: int) -> list[AssetSummary]:
    """Assets at or above severity ``level`` that scan ``b`` added, or whose status got worse
    (a key merely seen in one more system, or a certificate renewed with the same algorithm,
    is not new risk)."""
    def severity(s: AssetSummary) -> int:
        return QuantumStatus(s.quantum_status).severity

    out = [s for s in result.added if severity(s) >= level]
    out += [c.after for c in result.changed if severity(c.after) >= level and severity(c.after) > severity(c.before)]
    return out


__all__ = ["diff", "format_diff_table", "format_history_table", "format_trend_table", "history", "introduced"]
