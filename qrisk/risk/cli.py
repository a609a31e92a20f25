"""``qrisk assess``, ``qrisk compliance`` and ``qrisk mosca``: parse options, call the risk stage,
hand the result to a formatter. The only clock read is the default of ``--now``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from qrisk.clicommon import EXIT_FINDINGS, emit, output_options, parse_now, resolve_format, user_errors
from qrisk.errors import InputError
from qrisk.model import Inventory, QuantumStatus
from qrisk.risk.crqc import DEFAULT_CRQC

F = TypeVar("F", bound=Callable[..., Any])

_CRQC_HELP = (
    "CRQC arrival: year:2033, gri-2025:optimistic (default; the survey's upper estimate), "
    "gri-2025:pessimistic, gri-2024:…, or a curve YAML file[:label]."
)
_NOW_HELP = "Date to assess at (default: today); probabilities are conditioned on no CRQC before it."

ASSESS_FAIL_ON = {
    "classically-broken": QuantumStatus.CLASSICALLY_BROKEN.severity,
    "broken": QuantumStatus.BROKEN.severity,
    "weakened": QuantumStatus.WEAKENED.severity,
    "any": QuantumStatus.UNKNOWN.severity,
    "exposed": -1,
}






def _years_option(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{what} {text!r}: not a number of years") from None
    if not (value >= 0 and value != float("inf")):
        raise InputError(f"{what} {text!r}: years must be a number >= 0")
    return value


def load_target(target: str) -> Inventory:
    """An inventory JSON is loaded; anything else is scanned (through the lead's CLI helper)."""
    try:
        from qrisk.clicommon import load_inventory_or_scan
    except ImportError:  # pragma: no cover - older trees without the helper
        load_inventory_or_scan = None
    if load_inventory_or_scan is not None:
        return load_inventory_or_scan(target)
    from qrisk.model import InventoryFormatError, inventory_from_json  # pragma: no cover

    try:  # pragma: no cover
        return inventory_from_json(Path(target).read_bytes())
    except (OSError, InventoryFormatError) as exc:  # pragma: no cover
        raise InputError(f"{target}: {exc}") from None


# --------------------------------------------------------------------------- assess


@click.command("assess")
@click.argument("target")
@click.option("--crqc", default=DEFAULT_CRQC, show_default=True, help=_CRQC_HELP)
@click.option("--now", "now_text", default=None, metavar="YYYY-MM-DD", help=_NOW_HELP)
@click.option("--quantile", type=float, default=0.1, show_default=True,
              help="Quantile of z for years_exposed (lower = earlier CRQC = more prudent).")
@click.option("--threshold", type=float, default=0.5, show_default=True,
              help="probability_exposed at or above which an asset or system counts as exposed.")
@click.option("--mosca-year", type=int, default=None,
              help="CRQC year for the deterministic Mosca verdict (default: --crqc year, else the median's year).")
@click.option("--policy", "policy_spec", default=None, metavar="IDS",
              help="Policies whose 256-bit requirement makes AES-128/SHA-256 count (e.g. cnsa-2.0).")
@click.option("--default-shelf-life", default=None, metavar="YEARS|CLASS",
              help="x for assets with no system in the manifest (default: migration.yaml defaults).")
@click.option("--no-sensitivity", is_flag=True, help="Skip the sensitivity scenarios.")
@click.option("--fail-on", type=click.Choice(list(ASSESS_FAIL_ON)), default=None,
              help="Exit 1 if an asset reaches this status ('exposed': probability >= threshold).")
@output_options(["table", "json", "csv"], "table")
@user_errors
def assess(
    target: str, crqc: str, now_text: str | None, quantile: float, threshold: float, mosca_year: int | None,
    policy_spec: str | None, default_shelf_life: str | None, no_sensitivity: bool, fail_on: str | None,
    fmt: str, as_json: bool, output: Path | None,
) -> None:
    """Quantum exposure of TARGET (a folder to scan, or an inventory JSON) per asset and system.

    \b
    Examples:
      qrisk assess inventory.json
      qrisk assess inventory.json --crqc year:2033 --now 2026-01-01 -f json
      qrisk assess ./estate --crqc gri-2024:pessimistic -f csv -o exposure.csv
    """
    from qrisk.risk.compliance import requires_256_bit, resolve_policies
    from qrisk.risk.crqc import resolve_crqc
    from qrisk.risk.formats import format_assessment_csv, format_assessment_json, format_assessment_table
    from qrisk.risk.inputs import from_inventory, shelf_life_from
    from qrisk.risk.mosca import AssessOptions
    from qrisk.risk.mosca import assess as run_assess

    fmt = resolve_format(fmt, as_json)
    now = parse_now(now_text)
    arrival = resolve_crqc(crqc, now)
    need_256 = requires_256_bit(resolve_policies(policy_spec)) if policy_spec else False
    options = AssessOptions(quantile=quantile, threshold=threshold, mosca_year=mosca_year,
                            require_256_bit=need_256, sensitivity=not no_sensitivity)
    default_x = shelf_life_from(default_shelf_life, "--default-shelf-life") if default_shelf_life else None
    inventory = load_target(target)
    result = run_assess(from_inventory(inventory, default_shelf_life=default_x), arrival, options)
    render = {"json": format_assessment_json, "csv": format_assessment_csv}.get(fmt, format_assessment_table)
    emit(render(result), output)
    if fail_on and _assess_fail(result, fail_on):
        sys.exit(EXIT_FINDINGS)


def _assess_fail(result: Any, fail_on: str) -> bool:
    frame = result.exposures
    if fail_on == "exposed":
        return bool((frame["probability_exposed"].fillna(0) >= result.options.threshold).any())
    level = ASSESS_FAIL_ON[fail_on]
    sev = frame["quantum_status"].astype(str).map(lambda s: QuantumStatus(s).severity)
    return bool((sev >= level).any())


# --------------------------------------------------------------------------- compliance


@click.command("compliance")
@click.argument("target")
@click.option("--policy", "policy_spec", default=None, metavar="IDS",
              help="Comma-separated policy ids or YAML files (default: all shipped policies).")
@click.option("--now", "now_text", default=None, metavar="YYYY-MM-DD", help="Date to judge deadlines at (default: today).")
@click.option("--default-shelf-life", default=None, metavar="YEARS|CLASS",
              help="x for assets with no system (used by rules about protection beyond a date).")
@click.option("--fail-on", type=click.Choice(["non-compliant", "non-compliant-from"]), default=None,
              help="Exit 1 on a verdict non-compliant now ('non-compliant-from': now or at a future date).")
@output_options(["table", "json", "csv"], "table")
@user_errors
def compliance(
    target: str, policy_spec: str | None, now_text: str | None, default_shelf_life: str | None,
    fail_on: str | None, fmt: str, as_json: bool, output: Path | None,
) -> None:
    """Verdicts of TARGET's assets against published policies (NIST IR 8547, CNSA 2.0, …).

    \b
    Examples:
      qrisk compliance inventory.json --policy cnsa-2.0,nist-ir-8547
      qrisk compliance inventory.json --now 2031-01-01 --fail-on non-compliant -f csv
    """
    from qrisk.risk.compliance import evaluate, resolve_policies
    from qrisk.risk.formats import format_compliance_csv, format_compliance_json, format_compliance_table
    from qrisk.risk.inputs import from_inventory, shelf_life_from

    fmt = resolve_format(fmt, as_json)
    now = parse_now(now_text)
    policies = resolve_policies(policy_spec)
    default_x = shelf_life_from(default_shelf_life, "--default-shelf-life") if default_shelf_life else None
    inventory = load_target(target)
    result = evaluate(from_inventory(inventory, default_shelf_life=default_x), policies, now)
    render = {"json": format_compliance_json, "csv": format_compliance_csv}.get(fmt, format_compliance_table)
    emit(render(result), output)
    if fail_on and result.any_non_compliant(include_future=fail_on == "non-compliant-from"):
        sys.exit(EXIT_FINDINGS)


# --------------------------------------------------------------------------- mosca


@click.command("mosca")
@click.option("--shelf-life", "shelf_life", required=True, metavar="YEARS|CLASS",
              help="x: years the data must stay secret, or a data class (health, finance, …).")
@click.option("--migration", required=True, metavar="YEARS", help="y: years the migration takes.")
@click.option("--crqc", default=DEFAULT_CRQC, show_default=True, help=_CRQC_HELP)
@click.option("--now", "now_text", default=None, metavar="YYYY-MM-DD", help=_NOW_HELP)
@click.option("--quantile", type=float, default=0.1, show_default=True, help="Quantile of z for years_exposed.")
@click.option("--mosca-year", type=int, default=None,
              help="CRQC year for the deterministic verdict (default: --crqc year, else the median's year).")
@output_options(["table", "json"], "table")
@user_errors
def mosca(
    shelf_life: str, migration: str, crqc: str, now_text: str | None, quantile: float, mosca_year: int | None,
    fmt: str, as_json: bool, output: Path | None,
) -> None:
    """Mosca's x + y > z for one case, with z from an expert-survey curve or a fixed year.

    \b
    Examples:
      qrisk mosca --shelf-life 10 --migration 5 --crqc year:2033 --json
      qrisk mosca --shelf-life health --migration 7
    """
    from qrisk.risk.crqc import resolve_crqc
    from qrisk.risk.formats import format_mosca_json, format_mosca_table
    from qrisk.risk.inputs import shelf_life_from
    from qrisk.risk.mosca import mosca_case

    fmt = resolve_format(fmt, as_json)
    x = shelf_life_from(shelf_life, "--shelf-life").value
    y = _years_option(migration, "--migration")
    now = parse_now(now_text)
    case = mosca_case(x, y, resolve_crqc(crqc, now), quantile=quantile, mosca_year=mosca_year)
    emit(format_mosca_json(case) if fmt == "json" else format_mosca_table(case), output)
