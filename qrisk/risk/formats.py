"""Pure formatters for the risk stage: assessment, compliance and the one-case calculator.

One serialiser per result (``*_to_dict``) feeds JSON; CSV and the text table read the same
frames. Nothing here touches the file system or the clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from qrisk.risk.compliance import ComplianceResult, Verdict
from qrisk.risk.mosca import EXPOSURE_COLUMNS, Assessment, MoscaCase

ASSESSMENT_SCHEMA = "qrisk.assessment/1"
COMPLIANCE_SCHEMA = "qrisk.compliance/1"
MOSCA_SCHEMA = "qrisk.mosca/1"
_DIGITS = 6


def _clean(value: Any) -> Any:
    """JSON-safe scalars: rounded floats, None for NaN/inf, ISO dates, plain containers."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return round(f, _DIGITS) if math.isfinite(f) else None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is pd.NA or value is None:
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _clean(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
        elif pd.api.types.is_float_dtype(out[col].dtype):
            out[col] = out[col].round(_DIGITS)
    out = out.astype(object).where(out.notna(), None)
    return [{k: _clean(v) for k, v in rec.items()} for rec in out.to_dict("records")]


def _csv(frame: pd.DataFrame) -> str:
    from qrisk.report.tabular import csv_cell

    # text columns may carry file names and manifest fields: neutralise spreadsheet formulas
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: csv_cell(v) if isinstance(v, str) else v)
    buf = io.StringIO()
    frame.to_csv(buf, index=False, float_format=f"%.{_DIGITS}g", lineterminator="\n")
    return buf.getvalue()


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[int] = ()) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for k, r in enumerate(cells):
        parts = [(c.rjust(w) if i in right else c.ljust(w)) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        lines.append("  ".join(parts).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _years(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "never"
    return f"{v:.1f}"


def _pct(v: float | None) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{100 * v:.1f}%"


# --------------------------------------------------------------------------- assessment


def assessment_to_dict(a: Assessment, *, include_assets: bool = True) -> dict[str, Any]:
    """The canonical JSON form of an assessment."""
    body: dict[str, Any] = {
        "schema": ASSESSMENT_SCHEMA,
        "now": a.now.isoformat(),
        "crqc": _clean(a.crqc),
        "options": _clean(a.options),
        "z": {
            "median_years": _clean(a.z_median_years),
            "median_date": _clean(_date_after(a.now, a.z_median_years)),
            "quantile": a.options.quantile,
            "quantile_years": _clean(a.z_quantile_years),
            "quantile_date": _clean(_date_after(a.now, a.z_quantile_years)),
            "mosca_year": a.mosca_year,
            "mosca_z_years": _clean(a.mosca_z_years),
        },
        "portfolio": _clean(a.portfolio),
        "systems": [_clean(s) for s in a.systems],
        "sensitivity": [_clean(s) for s in a.sensitivity],
    }
    if include_assets:
        body["assets"] = _records(a.exposures.loc[:, list(EXPOSURE_COLUMNS)])
    return body


def _date_after(now: dt.date, years: float | None) -> dt.date | None:
    from qrisk.risk.crqc import add_years

    if years is None or not math.isfinite(years):
        return None
    return add_years(now, years)


def format_assessment_json(a: Assessment) -> str:
    return json.dumps(assessment_to_dict(a), indent=2, ensure_ascii=False) + "\n"


def format_assessment_csv(a: Assessment) -> str:
    """One row per asset."""
    return _csv(a.exposures.loc[:, list(EXPOSURE_COLUMNS)])


def format_assessment_table(a: Assessment, *, top: int = 20) -> str:
    p = a.portfolio
    crqc = a.crqc
    lines = [
        f"Quantum exposure as of {a.now.isoformat()}  (CRQC: {crqc.get('spec')}"
        + (f", {crqc.get('meaning')}" if crqc.get("meaning") else "") + ")",
        f"  median z {_years(a.z_median_years)} y; z at q={a.options.quantile:g}: {_years(a.z_quantile_years)} y; "
        f"Mosca verdict for CRQC in {a.mosca_year if a.mosca_year is not None else 'n/a'}",
        "",
        f"Assets: {p.assets}  at risk {p.assets_at_risk}  exposed (p>={p.threshold:g}) {p.assets_exposed}  "
        f"expected exposed {p.expected_assets_exposed:.1f}  Mosca-exposed {p.assets_mosca_exposed}  "
        f"quantum-safe {p.assets_quantum_safe}  not assessed {p.assets_unknown}",
        f"Systems: {p.systems}  at risk {p.systems_at_risk}  exposed {p.systems_exposed}  "
        f"Mosca-exposed {p.systems_mosca_exposed}  expected exposed data-years {p.expected_exposed_data_years:.1f}",
        "Threats: " + ", ".join(f"{k} {v}" for k, v in p.assets_by_threat.items() if v),
        "",
        "Systems ranked by risk",
    ]
    rows = [
        (s.rank, s.system, s.assets, s.assets_at_risk, _pct(s.probability_exposed), f"{s.expected_years_exposed:.1f}",
         f"{s.expected_data_years:.1f}", f"{s.shelf_life_years:g}", f"{s.migration_years:g}", s.criticality)
        for s in a.systems[:top]
    ]
    lines.append(_table(["#", "system", "assets", "at risk", "P(exposed)", "E[years]", "E[data-yrs]", "x", "y",
                         "criticality"], rows, right=(0, 2, 3, 4, 5, 6, 7, 8)))
    if len(a.systems) > top:
        lines.append(f"... {len(a.systems) - top} more system(s); use -f json or -f csv")
    if a.sensitivity:
        lines += ["", "Sensitivity"]
        srows = [("base", f"{p.expected_assets_exposed:.1f}", p.assets_exposed, p.systems_exposed,
                  f"{p.expected_exposed_data_years:.1f}", "", "", "")]
        srows += [(s.name, f"{s.expected_assets_exposed:.1f}", s.assets_exposed, s.systems_exposed,
                   f"{s.expected_exposed_data_years:.1f}", s.systems_rank_changed, s.max_rank_shift,
                   "" if s.kendall_tau is None else f"{s.kendall_tau:.2f}") for s in a.sensitivity]
        lines.append(_table(["scenario", "E[exposed]", "exposed", "systems", "E[data-yrs]", "rank moves",
                             "max shift", "tau"], srows, right=(1, 2, 3, 4, 5, 6, 7)))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- compliance


def compliance_to_dict(r: ComplianceResult, *, include_assets: bool = True) -> dict[str, Any]:
    summary = r.summary()
    body: dict[str, Any] = {
        "schema": COMPLIANCE_SCHEMA,
        "now": r.now.isoformat(),
        "policies": [_clean(p) for p in r.policies],
        "summary": _records(summary),
        "inventory_checks": [_clean(c) for c in r.inventory_checks],
    }
    if include_assets:
        body["verdicts"] = _records(r.verdicts)
    return body


def format_compliance_json(r: ComplianceResult) -> str:
    return json.dumps(compliance_to_dict(r), indent=2, ensure_ascii=False) + "\n"


def format_compliance_csv(r: ComplianceResult) -> str:
    """One row per asset x policy, then one per inventory check (asset_id empty)."""
    frame = r.verdicts.copy()
    if r.inventory_checks:
        checks = pd.DataFrame([{
            "asset_id": "", "system": "", "algorithm": "", "policy": c.policy, "verdict": c.verdict.value,
            "rule_id": c.check_id, "kind": "inventory-check",
            "deadline": c.deadline.isoformat() if c.deadline else "",
            "effective_from": c.effective_from.isoformat() if c.effective_from else "",
            "days_left": c.days_left, "binding": c.binding, "draft": c.draft, "source": c.source,
        } for c in r.inventory_checks])
        frame = pd.concat([frame.astype(object), checks.astype(object)], ignore_index=True)
    return _csv(frame)


def format_compliance_table(r: ComplianceResult, *, top: int = 40) -> str:
    lines = [f"Compliance as of {r.now.isoformat()}", ""]
    summary = r.summary()
    info = {p.id: p for p in r.policies}
    rows = []
    for rec in summary.to_dict("records"):
        p = info.get(rec["policy"])
        flags = ("binding" if p and p.binding else "guidance") + (", draft" if p and p.status == "draft" else "")
        rows.append((rec["policy"], flags, rec[Verdict.COMPLIANT.value], rec[Verdict.NON_COMPLIANT.value],
                     rec[Verdict.NON_COMPLIANT_FROM.value], rec[Verdict.NOT_APPLICABLE.value]))
    lines.append(_table(["policy", "status", "compliant", "non-compliant now", "non-compliant later",
                         "not applicable"], rows, right=(2, 3, 4, 5)))
    if r.inventory_checks:
        lines += ["", "Inventory checks"]
        crow = [(c.policy, c.check_id, _verdict_text(c.verdict.value, c.effective_from), c.details)
                for c in r.inventory_checks]
        lines.append(_table(["policy", "check", "verdict", "details"], crow))
    v = r.verdicts
    bad = v[v["verdict"].astype(str).isin([Verdict.NON_COMPLIANT.value, Verdict.NON_COMPLIANT_FROM.value])]
    if len(bad):
        bad = bad.assign(_order=bad["days_left"].astype("Float64").fillna(-1e9)).sort_values(
            ["_order", "policy", "system", "asset_id"], kind="stable")
        lines += ["", "Findings (earliest deadline first)"]
        frows = [
            (rec["policy"], rec["system"], rec["algorithm"], rec["asset_id"][:14],
             _verdict_text(str(rec["verdict"]), rec["effective_from"] or None), rec["rule_id"],
             "" if rec["days_left"] is pd.NA or rec["days_left"] is None else rec["days_left"])
            for rec in bad.head(top).to_dict("records")
        ]
        lines.append(_table(["policy", "system", "algorithm", "asset", "verdict", "rule", "days left"], frows,
                            right=(6,)))
        if len(bad) > top:
            lines.append(f"... {len(bad) - top} more finding(s); use -f csv or -f json")
    return "\n".join(lines) + "\n"


def _verdict_text(verdict: str, effective: Any) -> str:
    if verdict == Verdict.NON_COMPLIANT_FROM.value and effective:
        return f"non-compliant from {effective if isinstance(effective, str) else effective.isoformat()}"
    return verdict


# --------------------------------------------------------------------------- one case


def mosca_to_dict(c: MoscaCase) -> dict[str, Any]:
    return {
        "schema": MOSCA_SCHEMA,
        "now": c.now.isoformat(),
        "shelf_life_years": _clean(c.shelf_life_years),
        "migration_years": _clean(c.migration_years),
        "horizon_years": _clean(c.horizon_years),
        "probability_exposed": _clean(c.probability_exposed),
        "years_exposed": {
            "median": _clean(c.years_exposed_median),
            "quantile": c.quantile,
            "at_quantile": _clean(c.years_exposed_quantile),
            "expected": _clean(c.expected_years_exposed),
        },
        "z": {
            "median_years": _clean(c.z_median_years),
            "quantile_years": _clean(c.z_quantile_years),
            "mosca_year": c.mosca_year,
            "mosca_z_years": _clean(c.mosca_z_years),
        },
        "exposed": c.exposed,
        "crqc": _clean(c.crqc),
    }


def format_mosca_json(c: MoscaCase) -> str:
    return json.dumps(mosca_to_dict(c), indent=2, ensure_ascii=False) + "\n"


def format_mosca_table(c: MoscaCase) -> str:
    verdict = "n/a" if c.exposed is None else ("EXPOSED" if c.exposed else "not exposed")
    lines = [
        f"x (shelf life) {c.shelf_life_years:g} y + y (migration) {c.migration_years:g} y = {c.horizon_years:g} y",
        f"CRQC: {c.crqc.get('spec')} (as of {c.now.isoformat()})",
        f"P(CRQC within {c.horizon_years:g} y) = probability_exposed: {_pct(c.probability_exposed)}",
        f"years exposed: {c.years_exposed_median:.2f} at the median of z ({_years(c.z_median_years)} y), "
        f"{c.years_exposed_quantile:.2f} at q={c.quantile:g} ({_years(c.z_quantile_years)} y); "
        f"expected {c.expected_years_exposed:.2f}",
        f"Mosca x + y > z with CRQC in {c.mosca_year if c.mosca_year is not None else 'n/a'}: {verdict}",
    ]
    return "\n".join(lines) + "\n"
