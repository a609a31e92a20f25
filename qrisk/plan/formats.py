"""Renderers for a :class:`~qrisk.plan.model.MigrationPlan`: JSON (the one serialiser), CSV, table.

Pure functions from the plan to ``str``; only the CLI writes files. The JSON carries
``"schema": "qrisk.plan/1"`` and every input of the run; floats are rounded to 9 significant
digits so that the same inputs give byte-identical output.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import enum
import io
import json
import math
from collections.abc import Mapping
from typing import Any

from qrisk.plan.model import PLAN_SCHEMA, MigrationPlan
from qrisk.report.tabular import csv_cell


def _round(x: float) -> float | None:
    if not math.isfinite(x):
        return None
    return float(f"{x:.9g}")


_FIELDS: dict[type, tuple[str, ...]] = {}


def _encode(value: Any) -> Any:
    if value is None or (isinstance(value, bool | int) and not isinstance(value, enum.Enum)):
        return value
    if isinstance(value, str) and not isinstance(value, enum.Enum):
        return value
    cls = type(value)
    names = _FIELDS.get(cls)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: _encode(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return _round(value)
    if isinstance(value, tuple | list):
        if value and all(type(v) is str for v in value):
            return list(value)
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def plan_to_dict(plan: MigrationPlan) -> dict[str, Any]:
    """The plan as JSON-ready data (``schema`` first)."""
    body = _encode(plan)
    return {"schema": PLAN_SCHEMA, **body}


def plan_to_json(plan: MigrationPlan, *, indent: int | None = 2) -> str:
    """The canonical JSON of a plan (deterministic for the same inputs)."""
    return json.dumps(plan_to_dict(plan), indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


CSV_COLUMNS = (
    "rank", "wave", "id", "kind", "system", "purpose", "protocol", "source_algorithms", "target", "target_form",
    "nist_level", "rule_id", "urgency", "assets", "probability_exposed", "value", "risk", "start", "end",
    "start_year", "end_year", "deadline", "deadline_source", "deadline_status", "policy_deadline",
    "mosca_need_by", "depends_on", "sync_group", "effort_days", "cost_eur", "reason",
)


def plan_to_csv(plan: MigrationPlan) -> str:
    """One row per action, in priority order."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)

    def d(x: dt.date | None) -> str:
        return x.isoformat() if x else ""

    for a in plan.actions:
        w.writerow(csv_cell(v) if isinstance(v, str) else v for v in [
            a.rank, a.wave, a.id, a.kind.value, a.system, a.purpose.value, a.protocol.value,
            ";".join(a.source_algorithms), a.target.name, a.target.form,
            "" if a.target.nist_level is None else a.target.nist_level, a.rule_id, a.urgency.value,
            len(a.asset_ids), f"{a.probability_exposed:.6g}", f"{a.value:g}", f"{a.risk:.6g}", d(a.start), d(a.end),
            a.start_year, a.end_year, d(a.deadline), a.deadline_source, a.deadline_status.value,
            d(a.policy_deadline), d(a.mosca_need_by), ";".join(a.depends_on), a.sync_group or "",
            f"{a.effort_days:g}", "" if a.cost_eur is None else f"{a.cost_eur:.0f}", a.reason,
        ])
    return out.getvalue()


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def plan_to_table(plan: MigrationPlan, *, max_actions: int = 200) -> str:
    """A text summary for the terminal: totals, waves, actions, QKD decisions, accepted risks."""
    s = plan.summary
    i = plan.inputs
    lines = [
        f"Migration plan at {i.now.isoformat()}  (CRQC: {i.crqc.get('spec', '')}; policies: "
        f"{', '.join(p['id'] for p in i.policies) or 'none'}; speed x{i.migration_speed:g})",
        f"  {s.assets:,} assets: {s.vulnerable:,} vulnerable; {s.with_action:,} in {s.actions:,} actions, "
        f"{s.accepted_risk:,} accepted risk, {s.review:,} to review, {s.safe:,} nothing to do",
        f"  {s.waves} wave(s), {s.first_year or '-'}-{s.last_year or '-'}; deadlines met {s.deadlines_met}, "
        f"missed {s.deadlines_missed}, overdue {s.overdue}",
        "",
        "Waves:",
    ]
    for w in plan.waves:
        lines.append(f"  W{w.number} {w.start_year}-{w.end_year}: {w.summary}; {w.assets:,} assets, "
                     f"missed {w.deadlines_missed}, overdue {w.overdue}")
    lines += ["", "Actions (priority order):",
              f"  {'#':>4} {'W':>2} {'start':>5} {'end':>5} {'deadline':<10} {'status':<8} {'risk':>7}  action"]
    for a in plan.actions[:max_actions]:
        dl = a.deadline.isoformat() if a.deadline else "-"
        lines.append(f"  {a.rank:>4} {a.wave:>2} {a.start_year:>5} {a.end_year:>5} {dl:<10} "
                     f"{a.deadline_status.value:<8} {a.risk:>7.3g}  {_clip(a.title, 120)}")
    if len(plan.actions) > max_actions:
        lines.append(f"  … {len(plan.actions) - max_actions:,} more (use -f json or -f csv)")
    if plan.qkd:
        lines += ["", "QKD (site pairs with data flows):"]
        for q in plan.qkd:
            label = "capital" if q.mode.value == "qkd+pqc" else "QKD would cost"
            cost = f"; {label} {q.cost.capex:,.0f} {q.cost.currency}, {q.cost.annual:,.0f}/year" if q.cost else ""
            lines.append(f"  {q.a} <-> {q.b}: {q.mode.value} ({q.reason.value}){cost}")
            lines.append(f"    {_clip(q.detail, 160)}")
    if plan.accepted_risks:
        lines += ["", "Accepted risks:"]
        for r in plan.accepted_risks:
            lines.append(f"  {r.system}: {r.algorithm} ({len(r.asset_ids)} asset(s)), {r.rule_id}: {_clip(r.reason, 140)}")
    return "\n".join(lines) + "\n"
