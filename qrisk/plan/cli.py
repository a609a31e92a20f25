"""``qrisk plan``: parse options, build the plan, hand it to a formatter.

The only clock read is the default of ``--now``. Helpers here (:func:`parse_budget`,
:func:`network_from_file`, :func:`plan_for_target`) are what ``qrisk scan --report`` reuses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from qrisk.clicommon import emit, output_options, parse_now, resolve_format, user_errors
from qrisk.errors import InputError
from qrisk.plan.model import Budget, MigrationPlan, RelayPolicy
from qrisk.plan.qkd import NetworkInput

F = TypeVar("F", bound=Callable[..., Any])

_CRQC_HELP = (
    "CRQC arrival: year:2033, gri-2025:optimistic (default; the survey's upper estimate), "
    "gri-2025:pessimistic, gri-2024:…, or a curve YAML file[:label]."
)






def _amount(text: str, what: str) -> float:
    raw = text.strip().replace("_", "").replace(",", "")
    mult = 1.0
    for suffix, m in (("k", 1e3), ("m", 1e6), ("g", 1e9)):
        if raw.lower().endswith(suffix):
            raw, mult = raw[:-1], m
            break
    try:
        value = float(raw) * mult
    except ValueError:
        raise InputError(f"--budget {what}: {text!r} is not a number") from None
    if not (math.isfinite(value) and value >= 0):
        raise InputError(f"--budget {what}: {text!r} must be a number >= 0")
    return value


def parse_budget(text: str | None) -> Budget:
    """``--budget``: ``qkd=2.5M``, ``effort=400`` (person-days per year), both comma-separated,
    or a bare amount (QKD capital)."""
    if text is None or not text.strip():
        return Budget()
    qkd: float | None = None
    effort: float | None = None
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, val = part.partition("=")
        if not sep:
            qkd = _amount(key, "qkd")
            continue
        match key.strip().lower():
            case "qkd":
                qkd = _amount(val, "qkd")
            case "effort":
                effort = _amount(val, "effort")
                if effort <= 0:
                    raise InputError("--budget effort: person-days per year must be > 0")
            case other:
                raise InputError(f"--budget {other!r}: unknown budget (use qkd=AMOUNT and/or effort=DAYS_PER_YEAR)")
    return Budget(qkd_eur=qkd, effort_days_per_year=effort)


def network_from_file(path: Path | str) -> NetworkInput:
    """A standalone QKD network (a manifest holding sites and qkd_links), labelled as given."""
    from qrisk.manifest import load_manifest

    p = Path(path)
    m = load_manifest(p)
    if not m.qkd_links:
        raise InputError(f"--qkd-network {path}: no qkd_links in this file")
    digest = hashlib.sha256(p.read_bytes()).hexdigest()
    return NetworkInput(m.sites, m.qkd_links, m.organisation, p.name, digest)



def plan_for_target(
    target: str, *, policy: str | None = None, crqc: str | None = None, now: dt.date,
    qkd_network: str | Path | None = None, budget: str | None = None, migration_speed: float = 1.0,
    quantile: float = 0.5, qkd_relays: str | None = None, qkd_costs: str | Path | None = None,
) -> MigrationPlan:
    """Load or scan TARGET and build its plan with CLI-style option values."""
    from qrisk.clicommon import load_inventory_or_scan
    from qrisk.plan.planner import build_plan
    from qrisk.plan.rules import load_costs_text

    costs = None
    if qkd_costs is not None:
        try:
            text = Path(qkd_costs).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"--qkd-costs {qkd_costs}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
        costs = load_costs_text(text, Path(qkd_costs).name)
    network = network_from_file(qkd_network) if qkd_network is not None else None
    relay = RelayPolicy(qkd_relays) if qkd_relays else None
    parsed_budget = parse_budget(budget)
    inventory = load_inventory_or_scan(target)  # a manifest's data flows come with the scan
    return build_plan(
        inventory, policies=policy, crqc=crqc, now=now, qkd_network=network, budget=parsed_budget,
        migration_speed=migration_speed, quantile=quantile, relay_policy=relay, costs=costs,
    )


@click.command("plan")
@click.argument("target")
@click.option("--policy", "policy_spec", default=None, metavar="IDS",
              help="Policies in force: ids, aliases or YAML files, comma-separated (default: every shipped "
                   "policy, each for the systems in its jurisdictions).")
@click.option("--crqc", default=None, metavar="SPEC", help=_CRQC_HELP)
@click.option("--now", "now_text", default=None, metavar="YYYY-MM-DD",
              help="Date the plan starts (default: today).")
@click.option("--qkd-network", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="QKD network (a manifest with sites and qkd_links); wins over the inventory's network.")
@click.option("--qkd-relays", type=click.Choice([r.value for r in RelayPolicy]), default=None,
              help="Which trusted nodes may relay QKD keys (default: the strictest stance of the policies).")
@click.option("--qkd-costs", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="QKD cost model (default: qrisk/catalog/qkd_costs.yaml).")
@click.option("--budget", default=None, metavar="SPEC",
              help="What-if limits: qkd=AMOUNT (QKD capital), effort=DAYS (person-days per year), comma-separated.")
@click.option("--migration-speed", type=float, default=1.0, show_default=True,
              help="Divide every migration time by this (2 = twice as fast).")
@click.option("--quantile", type=float, default=0.5, show_default=True,
              help="CRQC arrival quantile for Mosca need-by dates (lower = earlier CRQC = more prudent).")
@output_options(["table", "json", "csv"], "table")
@user_errors
def plan(
    target: str, policy_spec: str | None, crqc: str | None, now_text: str | None, qkd_network: str | None,
    qkd_relays: str | None, qkd_costs: str | None, budget: str | None, migration_speed: float, quantile: float,
    fmt: str, as_json: bool, output: Path | None,
) -> None:
    """What to change, to what, in what order, by when, and where QKD pays, for TARGET.

    TARGET is an inventory JSON (from qrisk scan -f json) or anything qrisk scan takes.

    \b
    Examples:
      qrisk plan inventory.json --policy cnsa-2.0 --now 2026-01-01 -f json
      qrisk plan inventories/acme-bank/manifest.yaml --qkd-network inventories/qkd-metro.yaml
      qrisk plan inventory.json --crqc year:2032 --budget effort=300 --migration-speed 1.5 -f csv
    """
    from qrisk.plan.formats import plan_to_csv, plan_to_json, plan_to_table

    fmt = resolve_format(fmt, as_json)
    result = plan_for_target(
        target, policy=policy_spec, crqc=crqc, now=parse_now(now_text), qkd_network=qkd_network, budget=budget,
        migration_speed=migration_speed, quantile=quantile, qkd_relays=qkd_relays, qkd_costs=qkd_costs,
    )
    render = {"json": plan_to_json, "csv": plan_to_csv}.get(fmt, plan_to_table)
    emit(render(result), output)
