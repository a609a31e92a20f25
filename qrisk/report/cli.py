"""``qrisk report``: the report folder people act on, and :func:`write_report_dir` for
``qrisk scan MANIFEST --report DIR``.

The folder holds ``index.html`` (self-contained, strict CSP), ``cbom.json`` (CycloneDX 1.6),
``findings.sarif`` (SARIF 2.1.0), ``inventory.csv``, ``plan.csv`` and ``compliance.csv``. Every
file is rendered first and then written atomically, so a failure leaves no half a report.
With a scan-history database (``--db``), the page also shows the trend of quantum-vulnerable
assets per system over the database's complete scans (:mod:`qrisk.report.report_trend`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from qrisk.clicommon import parse_now, user_errors
from qrisk.errors import QriskError
from qrisk.model import Inventory
from qrisk.risk.crqc import DEFAULT_CRQC
from qrisk.store import DB_ENV

if TYPE_CHECKING:
    from qrisk.report.report_trend import TrendSection

F = TypeVar("F", bound=Callable[..., Any])

REPORT_FILES = ("index.html", "cbom.json", "findings.sarif", "inventory.csv", "plan.csv", "compliance.csv")


def render_report_files(
    inventory: Inventory,
    *,
    policies: str | None = None,
    crqc: str = DEFAULT_CRQC,
    now: dt.date | None = None,
    default_shelf_life: str | None = None,
    trend: TrendSection | None = None,
) -> dict[str, str]:
    """Every file of the report folder as text, by file name (pure: nothing is written).

    ``trend`` is the scan history read by :func:`qrisk.report.report_trend.load_trend`; without
    it the page's trend section says that no history database was given."""
    from qrisk.report.cbom import format_cbom
    from qrisk.report.html import render_html
    from qrisk.report.report_data import build_report
    from qrisk.report.sarif import format_sarif
    from qrisk.report.tabular import format_csv
    from qrisk.risk.formats import format_compliance_csv
    from qrisk.risk.inputs import shelf_life_from
    from qrisk.scan.detectors import all_rules

    when = now if now is not None else dt.date.today()
    default_x = shelf_life_from(default_shelf_life, "--default-shelf-life") if default_shelf_life else None
    report = build_report(inventory, policies=policies, crqc=crqc, now=when, default_shelf_life=default_x,
                          trend=trend)
    return {
        "index.html": render_html(report),
        "cbom.json": format_cbom(inventory) + "\n",
        "findings.sarif": format_sarif(inventory, all_rules()) + "\n",
        "inventory.csv": format_csv(inventory),
        "plan.csv": report.plan.csv,
        "compliance.csv": format_compliance_csv(report.compliance),
    }


def write_report_dir(
    inventory: Inventory,
    out_dir: str | os.PathLike[str],
    *,
    policies: str | None = None,
    crqc: str = DEFAULT_CRQC,
    now: dt.date | None = None,
    default_shelf_life: str | None = None,
    history: str | os.PathLike[str] | None = None,
    trend: TrendSection | None = None,
) -> list[Path]:
    """Render the report of ``inventory`` into ``out_dir`` (created if missing); returns the files.

    ``policies`` and ``crqc`` take what ``--policy`` and ``--crqc`` take; ``now`` defaults to today.
    ``history`` is a scan-history database to draw the trend from (or pass ``trend`` already read).
    Raises :class:`QriskError` when the folder cannot be written or ``history`` cannot be read.
    """
    if trend is None and history is not None:
        from qrisk.report.report_trend import load_trend

        trend = load_trend(history)
    files = render_report_files(inventory, policies=policies, crqc=crqc, now=now, default_shelf_life=default_shelf_life,
                                trend=trend)
    target = Path(out_dir).expanduser()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QriskError(f"cannot create report folder {out_dir}: {exc.strerror or exc}") from None
    if not target.is_dir():
        raise QriskError(f"cannot write the report: {out_dir} is not a folder")
    written = []
    for name in REPORT_FILES:
        written.append(_write_atomic(target / name, files[name]))
    return written


def _write_atomic(path: Path, text: str) -> Path:
    from qrisk.clicommon import write_atomic

    write_atomic(path, text.encode("utf-8"))
    return path


@click.command("report")
@click.argument("target")
@click.option("--html", "html_dir", required=True, metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write index.html, cbom.json, findings.sarif and the CSV files into.")
@click.option("--policy", "policy_spec", default=None, metavar="IDS",
              help="Comma-separated policy ids or YAML files (default: all shipped policies).")
@click.option("--crqc", default=DEFAULT_CRQC, show_default=True,
              help="CRQC arrival: year:2033, gri-2025:optimistic, gri-2024:pessimistic, or a curve YAML file[:label].")
@click.option("--now", "now_text", default=None, metavar="YYYY-MM-DD",
              help="Date to assess at (default: today).")
@click.option("--default-shelf-life", default=None, metavar="YEARS|CLASS",
              help="x for assets with no system in the manifest.")
@click.option("--db", type=click.Path(dir_okay=False), envvar=DB_ENV, default=None, metavar="FILE",
              help="Scan-history database (env QRISK_DB): add the trend of quantum-vulnerable assets per "
              "system over its complete scans. Scans are recorded by `qrisk scan --db FILE`; this command "
              "records none.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
@user_errors
def report(target: str, html_dir: Path, policy_spec: str | None, crqc: str, now_text: str | None,
           default_shelf_life: str | None, db: str | None, quiet: bool) -> None:
    """Write the report of TARGET (a folder or manifest to scan, or an inventory JSON) into DIR.

    The numbers are those of `qrisk assess` and `qrisk compliance` for the same input, --crqc,
    --policy and --now. Open DIR/index.html in a browser; it makes no network request.
    With --db, the trend section's numbers are those of `qrisk history --trend -f json`.

    \b
    Examples:
      qrisk report inventories/acme-bank/manifest.yaml --html report/
      qrisk report inventory.json --html out/ --policy cnsa-2.0,nist-ir-8547 --now 2026-01-01
      qrisk report ./estate --html report/ --db scans.db
    """
    from qrisk.clicommon import load_inventory_or_scan
    from qrisk.report.report_trend import load_trend

    now = parse_now(now_text)
    trend = load_trend(db) if db else None  # a bad database fails before a long scan
    inventory = load_inventory_or_scan(target)  # a manifest's data flows come with the scan
    written = write_report_dir(inventory, html_dir, policies=policy_spec, crqc=crqc, now=now,
                               default_shelf_life=default_shelf_life, trend=trend)
    if not quiet:
        click.echo(f"report written to {written[0]} (and {', '.join(p.name for p in written[1:])})")
