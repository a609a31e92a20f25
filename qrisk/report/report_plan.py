"""The report's migration-plan section: the rows of the Gantt chart and ``plan.csv``.

With the planner (``qrisk.plan``) installed the section shows its waves, from the same
serialiser ``qrisk plan -f json`` uses. Without it, a provisional schedule is shown and says so:
every system with assets starts migrating at ``now`` and takes its migration time y, ordered by
risk rank, against the policy deadlines its assets face and the CRQC dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from qrisk.model import Inventory
from qrisk.report.tabular import csv_cell
from qrisk.risk.compliance import ComplianceResult, PolicyFile, Verdict
from qrisk.risk.crqc import add_years
from qrisk.risk.mosca import Assessment

PROVISIONAL_NOTE = (
    "Provisional schedule: the planner (qrisk plan) is not available in this installation, so every "
    "system starts now and takes its migration time y (from the manifest or the migration priors), "
    "in order of risk rank. Waves, dependencies and QKD placement come from qrisk plan."
)
MAX_ACTIONS_WITH_REASONS = 500
"""Above this many actions the page leaves out each action's reason text (plan.csv keeps it)."""
PLAN_CSV_COLUMNS = ("wave", "rank", "system", "name", "start", "end", "migration_years", "migration_source",
                    "probability_exposed", "next_deadline", "next_deadline_policy", "source")


PLAN_CODED = frozenset({
    "kind", "system", "purpose", "source_algorithms", "target", "target_form", "urgency", "start", "end",
    "next_deadline", "next_deadline_policy", "deadline_status", "policy_deadline", "mosca_need_by",
})
"""Action fields whose values repeat across a plan: stored once in a string table."""


def columnar(records: Sequence[dict[str, Any]], coded: frozenset[str]) -> dict[str, Any]:
    """Records as ``{"columns", "coded", "strings", "rows"}``: one array per record, the values of
    ``coded`` columns as positions in ``strings``. The page's script decodes it; so does :func:`decode`."""
    columns = list(records[0]) if records else []
    strings: list[str] = []
    pos: dict[str, int] = {}

    def code(value: str) -> int:
        k = pos.get(value)
        if k is None:
            k = pos[value] = len(strings)
            strings.append(value)
        return k

    coded_cols = [c for c in columns if c in coded]
    rows = [[code(rec[c]) if c in coded else rec[c] for c in columns] for rec in records]
    return {"columns": columns, "coded": coded_cols, "strings": strings, "rows": rows}


def decode(table: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of a :func:`columnar` table."""
    coded = set(table["coded"])
    strings = table["strings"]
    return [{c: strings[v] if c in coded else v for c, v in zip(table["columns"], row, strict=True)}
            for row in table["rows"]]


def policy_deadlines(compliance: ComplianceResult) -> list[dict[str, Any]]:
    """Distinct (deadline, policy) pairs of rules that some asset violates, earliest first."""
    frame = compliance.verdicts
    if frame.empty:
        return []
    bad = frame[frame["verdict"].astype(str).isin([Verdict.NON_COMPLIANT.value, Verdict.NON_COMPLIANT_FROM.value])]
    bad = bad[bad["deadline"].astype(str) != ""]
    if bad.empty:
        return []
    pairs = bad.astype({"deadline": str, "policy": str}).groupby(["deadline", "policy"], observed=True).size()
    out = [{"date": d, "label": f"{p} ({n} asset{'s' if n != 1 else ''})", "kind": "policy", "policy": p, "assets": int(n)}
           for (d, p), n in pairs.items()]
    out.sort(key=lambda r: (r["date"], r["policy"]))
    return out


def _next_deadline_by_system(compliance: ComplianceResult, now: dt.date) -> dict[str, tuple[str, str]]:
    frame = compliance.verdicts
    if frame.empty:
        return {}
    bad = frame[frame["verdict"].astype(str).isin([Verdict.NON_COMPLIANT.value, Verdict.NON_COMPLIANT_FROM.value])]
    bad = bad[bad["deadline"].astype(str) != ""]
    if bad.empty:
        return {}
    bad = bad.astype({"deadline": str, "policy": str, "system": str}).sort_values(["deadline", "policy"], kind="stable")
    first = bad.drop_duplicates("system")
    return {r["system"]: (r["deadline"], r["policy"]) for r in first.to_dict("records")}


def provisional_section(assessment: Assessment, compliance: ComplianceResult, now: dt.date) -> Any:
    from qrisk.report.report_data import PlanSection

    threshold = assessment.options.threshold
    nxt = _next_deadline_by_system(compliance, now)
    rows = []
    for s in assessment.systems:
        if s.probability_exposed >= threshold or s.mosca_exposed:
            group = "exposed"
        elif s.assets_at_risk:
            group = "at risk"
        else:
            group = "not at risk"
        end = add_years(now, s.migration_years)
        deadline, policy = nxt.get(s.system, ("", ""))
        rows.append({
            "wave": group, "rank": s.rank, "system": s.system, "label": s.name or s.system,
            "start": now.isoformat(), "end": end.isoformat(), "migration_years": s.migration_years,
            "migration_source": s.migration_source, "probability_exposed": round(s.probability_exposed, 6),
            "next_deadline": deadline, "next_deadline_policy": policy,
            "late": bool(deadline) and end.isoformat() > deadline,
        })
    deadlines = policy_deadlines(compliance)
    for label, years in (("CRQC median", assessment.z_median_years),
                         (f"CRQC {assessment.options.quantile:g} quantile", assessment.z_quantile_years)):
        if years is not None and years == years and years != float("inf"):
            deadlines.append({"date": add_years(now, years).isoformat(), "label": label, "kind": "crqc"})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(PLAN_CSV_COLUMNS)
    for r in rows:
        w.writerow(csv_cell(v) for v in (
            r["wave"], r["rank"], r["system"], r["label"], r["start"], r["end"], f"{r['migration_years']:g}",
            r["migration_source"], f"{r['probability_exposed']:.6g}", r["next_deadline"], r["next_deadline_policy"],
            "provisional"))
    data = {"schema": "qrisk.report.plan/provisional", "actions": columnar(rows, PLAN_CODED | {"wave"}),
            "deadlines": deadlines, "waves": []}
    return PlanSection(source="provisional", data=data, csv=buf.getvalue(), note=PROVISIONAL_NOTE)


def planner_section(
    inventory: Inventory, policies: Sequence[PolicyFile], compliance: ComplianceResult, *, crqc: str, now: dt.date,
    assessment: Assessment,
) -> Any | None:
    """The planner's plan for the Gantt chart, or None when ``qrisk.plan`` is not installed.

    Built as ``qrisk plan`` builds it (same policies, CRQC curve and date, its own defaults), and
    serialised by ``plan_to_dict`` so the page shows the figures ``qrisk plan -f json`` prints.
    """
    try:
        from qrisk.plan import build_plan, plan_to_csv, plan_to_dict
    except ImportError:
        return None
    from qrisk.report.report_data import PlanSection

    plan = build_plan(inventory, policies=list(policies), crqc=crqc, now=now)
    body = plan_to_dict(plan)
    small = len(plan.actions) <= MAX_ACTIONS_WITH_REASONS
    rows = []
    for a in body["actions"]:
        rows.append({
            "id": a["id"], "rank": a["rank"], "wave_number": a["wave"], "kind": a["kind"], "system": a["system"],
            "purpose": a["purpose"], "source_algorithms": ", ".join(a["source_algorithms"]),
            "target": a["target"]["name"], "target_form": a["target"]["form"], "nist_level": a["target"]["nist_level"],
            "urgency": a["urgency"], "assets": len(a["asset_ids"]), "probability_exposed": a["probability_exposed"],
            "risk": a["risk"], "start": a["start"], "end": a["end"], "duration_years": a["duration_years"],
            "next_deadline": a["deadline"] or "", "next_deadline_policy": a["deadline_source"],
            "deadline_status": a["deadline_status"], "policy_deadline": a["policy_deadline"] or "",
            "mosca_need_by": a["mosca_need_by"] or "", "effort_days": a["effort_days"],
            "title": a["title"] if small else "", "reason": a["reason"] if small else "",
        })
    deadlines = policy_deadlines(compliance)
    for label, years in (("CRQC median", assessment.z_median_years),
                         (f"CRQC {assessment.options.quantile:g} quantile", assessment.z_quantile_years)):
        if years is not None and years == years and years != float("inf"):
            deadlines.append({"date": add_years(now, years).isoformat(), "label": label, "kind": "crqc"})
    data = {
        "schema": body["schema"], "actions": columnar(rows, PLAN_CODED), "deadlines": deadlines, "summary": body["summary"],
        "waves": body["waves"], "qkd": body["qkd"], "accepted_risks": len(body["accepted_risks"]),
        "review": len(body["review"]), "inputs": {k: body["inputs"][k] for k in ("now", "quantile", "migration_speed")},
    }
    return PlanSection(source="planner", data=data, csv=plan_to_csv(plan))
