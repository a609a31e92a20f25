"""The ``qrisk`` command: each command parses options, calls a stage, and hands the result
to a formatter. Exit codes: 0 ok, 1 a ``--fail-on`` threshold was hit, 2 usage or input error.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import click

import qrisk
from qrisk.clicommon import EXIT_FINDINGS, QriskGroup, emit, emit_stream, output_options, resolve_format
from qrisk.model import Inventory, QuantumStatus, inventory_to_json
from qrisk.store import default_db_path

FAIL_ON = {
    "classically-broken": QuantumStatus.CLASSICALLY_BROKEN.severity,
    "broken": QuantumStatus.BROKEN.severity,
    "weakened": QuantumStatus.WEAKENED.severity,
    # "any": anything that is not known to be quantum-safe (unknown included)
    "any": QuantumStatus.UNKNOWN.severity,
}

_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
               "g": 1024**3, "gb": 1024**3, "gib": 1024**3}


class _Size(click.ParamType):
    name = "size"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        num = text.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = text[len(num):]
        try:
            n = float(num)
        except ValueError:
            self.fail(f"{value!r} is not a size like 512K, 16M or 1G", param, ctx)
        if unit not in _SIZE_UNITS or n <= 0:
            self.fail(f"{value!r} is not a size like 512K, 16M or 1G", param, ctx)
        return int(n * _SIZE_UNITS[unit])


class _RichProgress:
    """A progress bar on stderr for scans longer than a second (an observer, not in the logic)."""

    def __init__(self) -> None:
        self._progress = None
        self._task = None
        self._total = 0
        self._done = 0
        self._t0 = 0.0

    def start(self, total_files: int, total_bytes: int) -> None:
        self._total = total_files
        self._t0 = time.monotonic()

    def discovered(self, files: int) -> None:
        self._total += files

    def advance(self, files: int, nbytes: int) -> None:
        self._done += files
        if self._progress is None:
            if time.monotonic() - self._t0 < 1.0:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                TimeRemainingColumn(), console=Console(stderr=True), transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("scan", total=self._total, completed=self._done)
            return
        self._progress.update(self._task, completed=self._done, total=self._total or None)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()


@click.group(cls=QriskGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(qrisk.__version__, "-V", "--version", prog_name="qrisk")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def main(verbose: int) -> None:
    """qrisk: find the cryptography in an estate, assess its quantum risk, plan the migration."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="qrisk: %(levelname)s: %(message)s", stream=sys.stderr)


def scan_inventory(
    targets: tuple[str, ...],
    *,
    manifest: str | None = None,
    excludes: tuple[str, ...] = (),
    use_gitignore: bool = True,
    max_file_size: int = 16 * 1024 * 1024,
    jobs: int | None = None,
    quiet: bool = True,
    endpoints: tuple[str, ...] = (),
    endpoint_timeout_s: float = 5.0,
    endpoint_concurrency: int = 16,
    endpoint_retries: int = 0,
    probe: bool = True,
    db: str | None = None,
    incremental: bool = True,
    dask: str | None = None,
    stream: bool = False,
) -> Any:
    """Run a scan with the CLI's progress display (used by every command that takes TARGET)."""
    from qrisk.scan.engine import ScanOptions, run_scan, scan_streamed

    options = ScanOptions(
        excludes=excludes, use_gitignore=use_gitignore, max_file_size=max_file_size, jobs=jobs, manifest=manifest,
        endpoints=endpoints, endpoint_timeout_s=endpoint_timeout_s, endpoint_concurrency=endpoint_concurrency,
        endpoint_retries=endpoint_retries, probe_endpoints=probe, db=db, incremental=incremental, dask=dask,
    )
    show = not quiet and sys.stderr.isatty()
    progress = _RichProgress() if show else None
    if stream:
        return scan_streamed(list(targets), options, progress)
    return run_scan(list(targets), options, progress)


def fail_on_hit(inventory: Inventory, threshold: str | None) -> bool:
    """Whether any asset reaches the ``--fail-on`` threshold."""
    if not threshold:
        return False
    level = FAIL_ON[threshold]
    return any(a.quantum_status.severity >= level for a in inventory.assets)


def endpoint_list(endpoints: tuple[str, ...], endpoints_file: str | None) -> tuple[str, ...]:
    """``--endpoint`` values and ``--endpoints FILE`` lines, validated (InputError names the line)."""
    if not endpoints and not endpoints_file:
        return ()
    from qrisk.scan.network.probe import parse_endpoint, read_endpoints_file

    out = [parse_endpoint(e).location for e in endpoints]
    if endpoints_file:
        text = Path(endpoints_file).read_text(encoding="utf-8", errors="replace")
        out += [e.location for e in read_endpoints_file(text, endpoints_file)]
    return tuple(out)


@main.command()
@click.argument("targets", nargs=-1, required=False)
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Manifest describing systems (YAML with schema: qrisk.manifest/1).")
@output_options(["table", "json", "cbom", "csv", "sarif"], "table")
@click.option("--exclude", "excludes", multiple=True, metavar="GLOB",
              help="Leave out paths matching GLOB (gitignore syntax; repeatable).")
@click.option("--no-gitignore", is_flag=True, help="Do not honour .gitignore files.")
@click.option("--max-file-size", type=_Size(), default="16M", show_default=True,
              help="Skip (and record) larger files.")
@click.option("-j", "--jobs", type=click.IntRange(min=1, max=1024), default=None,
              help="Worker processes (default: number of CPUs).")
@click.option("--fail-on", type=click.Choice(list(FAIL_ON)), default=None,
              help="Exit 1 if an asset at or above this status is found.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar="DIR", help="Also assess, plan and write the report folder (index.html, cbom.json, "
              "findings.sarif, CSVs) into DIR; with --db or --save the page shows the history's trend.")
@click.option("--endpoint", "endpoints", multiple=True, metavar="HOST:PORT[/tls|/ssh]",
              help="Probe a live TLS or SSH endpoint (repeatable; port 22 means SSH, others TLS, unless /tls or /ssh).")
@click.option("--endpoints", "endpoints_file", type=click.Path(exists=True, dir_okay=False), default=None,
              metavar="FILE", help="File with one HOST:PORT[/tls|/ssh] per line (# comments).")
@click.option("--timeout", "endpoint_timeout", type=click.FloatRange(min=0.1, max=300), default=5.0,
              show_default=True, help="Connect and read timeout of each endpoint request, in seconds.")
@click.option("--concurrency", type=click.IntRange(min=1, max=256), default=16, show_default=True,
              help="Endpoints probed at once.")
@click.option("--retries", type=click.IntRange(min=0, max=5), default=0, show_default=True,
              help="Extra connection attempts after a refused or timed-out connect.")
@click.option("--no-probe", is_flag=True, help="Contact no endpoint; record them as not-probed.")
@click.option("--db", type=click.Path(dir_okay=False), envvar="QRISK_DB", default=None, metavar="FILE",
              help="Record the scan in this history database (SQLite; env QRISK_DB).")
@click.option("--save", is_flag=True,
              help="Record the scan in the default history database (~/.local/share/qrisk/qrisk.db).")
@click.option("--incremental/--no-incremental", default=True, show_default=True,
              help="With a history database: reuse the results of files unchanged since the last scan.")
@click.option("--dask", metavar="ADDRESS", default=None,
              help="Examine files on a Dask cluster (scheduler ADDRESS, or 'local' for a LocalCluster).")
def scan(
    targets: tuple[str, ...],
    manifest: str | None,
    fmt: str,
    as_json: bool,
    output: Path | None,
    excludes: tuple[str, ...],
    no_gitignore: bool,
    max_file_size: int,
    jobs: int | None,
    fail_on: str | None,
    quiet: bool,
    report_dir: Path | None,
    endpoints: tuple[str, ...],
    endpoints_file: str | None,
    endpoint_timeout: float,
    concurrency: int,
    retries: int,
    no_probe: bool,
    db: str | None,
    save: bool,
    incremental: bool,
    dask: str | None,
) -> None:
    """Inventory the cryptography in TARGETS: folders, files, or a manifest; and live endpoints.

    \b
    Examples:
      qrisk scan inventories/acme-bank/manifest.yaml
      qrisk scan ./repo --exclude 'tests/**' -f cbom -o bom.json
      qrisk scan ./certs --fail-on broken
      qrisk scan inventories/acme-bank/manifest.yaml --report report/
      qrisk scan --endpoint www.example.org:443 --endpoint git.example.org:22
    """
    fmt = resolve_format(fmt, as_json)
    eps = endpoint_list(endpoints, endpoints_file)
    if not targets and not eps and not manifest:
        raise click.UsageError("give a TARGET, --manifest, --endpoint or --endpoints")
    history_db = db or (str(default_db_path()) if save else None)
    # a damaged, busy or foreign history database is a StoreError (qrisk.store): one line, exit 2
    # JSON without a report is written as the assets stream out of the scan (bounded memory:
    # qrisk.scan.stream); every other format needs the whole inventory at once
    stream = fmt == "json" and report_dir is None
    result = scan_inventory(
        targets, manifest=manifest, excludes=excludes, use_gitignore=not no_gitignore,
        max_file_size=max_file_size, jobs=jobs, quiet=quiet, endpoints=eps, endpoint_timeout_s=endpoint_timeout,
        endpoint_concurrency=concurrency, endpoint_retries=retries, probe=not no_probe,
        db=history_db, incremental=incremental, dask=dask, stream=stream,
    )
    if stream:
        with result as streamed:
            emit_stream(streamed.write_json, output)
            streamed.commit()  # the history says complete only once the output is in place
        if fail_on and streamed.worst_severity >= FAIL_ON[fail_on]:
            sys.exit(EXIT_FINDINGS)
        return
    inventory = result
    emit(render_inventory(inventory, fmt, color=output is None and sys.stdout.isatty()), output)
    if report_dir is not None:
        # scan -> assess -> plan -> report, with every shipped policy and the default CRQC curve; with a
        # history database (this scan is its latest entry) the report also shows the trend
        from qrisk.report.cli import write_report_dir

        write_report_dir(inventory, report_dir, history=history_db)
        if not quiet:
            click.echo(f"qrisk: report written to {report_dir}/index.html", err=True)
    if fail_on_hit(inventory, fail_on):
        sys.exit(EXIT_FINDINGS)


def render_inventory(inventory: Inventory, fmt: str, *, color: bool = False) -> str:
    """Render an inventory in one of the scan formats."""
    if fmt == "json":
        return inventory_to_json(inventory) + "\n"
    if fmt == "cbom":
        from qrisk.report.cbom import format_cbom

        return format_cbom(inventory) + "\n"
    if fmt == "sarif":
        from qrisk.report.sarif import format_sarif
        from qrisk.scan.detectors import all_rules

        return format_sarif(inventory, all_rules()) + "\n"
    if fmt == "csv":
        from qrisk.report.tabular import format_csv

        return format_csv(inventory)
    from qrisk.report.tabular import format_table

    return format_table(inventory, color=color)


@main.group()
def manifest() -> None:
    """Work with manifests (systems, data, sites, QKD links)."""


@manifest.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
def manifest_check(path: str) -> None:
    """Validate a manifest; print a one-line summary, or the first error with its line."""
    from qrisk.manifest import load_manifest

    m = load_manifest(path)
    click.echo(
        f"{path}: ok ({m.schema}): {len(m.systems)} system(s), {len(m.sites)} site(s), {len(m.qkd_links)} QKD link(s)"
    )


@manifest.command("schema")
@output_options(["json"], "json")
def manifest_schema(fmt: str, as_json: bool, output: Path | None) -> None:
    """Print the manifest's JSON Schema."""
    import json

    from qrisk.manifest import manifest_json_schema

    emit(json.dumps(manifest_json_schema(), indent=2) + "\n", output)


# The pillars' commands are imported only when used, so ``qrisk scan`` does not pay for
# pandas, scipy, FastAPI… at start-up: name -> (module, attribute).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "assess": ("qrisk.risk.cli", "assess"),
    "compliance": ("qrisk.risk.cli", "compliance"),
    "mosca": ("qrisk.risk.cli", "mosca"),
    "plan": ("qrisk.plan.cli", "plan"),
    "report": ("qrisk.report.cli", "report"),
    "history": ("qrisk.history_cli", "history"),
    "diff": ("qrisk.history_cli", "diff"),
    "qkd": ("qrisk.qkd.cli", "qkd"),
    "kme": ("qrisk.kme_cli", "kme"),
    "demo": ("qrisk.kme_cli", "demo"),
    "pqc": ("qrisk.pqc.cli", "pqc"),
    "bench": ("qrisk.pqc.cli", "bench"),
}
main.lazy_commands = LAZY_COMMANDS  # type: ignore[attr-defined]


if __name__ == "__main__":  # pragma: no cover
    main()
