"""The numbers behind the HTML report, computed once by the same stage functions the CLI uses.

:func:`build_report` runs the risk stage exactly as ``qrisk assess`` and ``qrisk compliance`` do
(same defaults, same serialisers), adds the migration plan, the QKD network where there is
one and the scan history's trend where a database was read, and :func:`report_data` turns all
of it into the JSON data island the page draws from.
Nothing here reads the clock or touches the file system.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import qrisk
from qrisk.model import Asset, Inventory, QuantumStatus, to_dict
from qrisk.report.report_trend import TrendSection, trend_data
from qrisk.report.tabular import parameters
from qrisk.risk.compliance import (
    ComplianceResult,
    PolicyFile,
    Verdict,
    evaluate,
    requires_256_bit,
    resolve_policies,
)
from qrisk.risk.crqc import DEFAULT_CRQC, Arrival, resolve_crqc
from qrisk.risk.formats import assessment_to_dict, compliance_to_dict
from qrisk.risk.inputs import Prior, from_inventory
from qrisk.risk.mosca import Assessment, AssessOptions, Threat
from qrisk.risk.mosca import assess as run_assess

REPORT_SCHEMA = "qrisk.report/1"
MAX_OCCURRENCES = 5
"""Occurrences per asset carried into the page (the CBOM and SARIF files keep all of them)."""
MAX_SNIPPET_CHARS = 160
MAX_SKIPPED = 2000
"""Skipped files listed in the page; the total is always shown."""
CURVE_STEP_YEARS = 0.25

THREATS = [t.value for t in Threat]
STATUSES = [s.value for s in QuantumStatus]
VERDICTS = [v.value for v in Verdict]
ASSET_COLUMNS = (
    "id", "system", "kind", "algorithm", "params", "status", "usage", "threat", "exposure", "compliance", "name",
    "occurrences", "occurrence_count", "extra",
)
"""Layout of one row of ``assets.rows`` in the data island (indices into ``dict`` where noted). The last
two are left out when the row lists every occurrence and has no details."""


@dataclass(frozen=True)
class PlanSection:
    """What the Gantt chart and ``plan.csv`` show."""

    source: str
    """``planner`` (``qrisk plan``'s own result) or ``provisional`` (systems by risk rank)."""
    data: dict[str, Any]
    """JSON-ready: ``rows`` (label, start, end, group, detail) and ``deadlines`` (date, label)."""
    csv: str
    note: str = ""


@dataclass(frozen=True)
class QkdSection:
    """The QKD network's figures and its two charts (small: rendered on the server)."""

    links: list[dict[str, Any]]
    flows: list[dict[str, Any]]
    sites: list[dict[str, Any]]
    map_svg: str
    rate_svg: str
    rate_caption: str


@dataclass(frozen=True)
class Report:
    """Everything one report shows, computed for one ``now``."""

    inventory: Inventory
    now: dt.date
    arrival: Arrival
    policies: tuple[PolicyFile, ...]
    assessment: Assessment
    compliance: ComplianceResult
    plan: PlanSection
    qkd: QkdSection | None = None
    options: dict[str, Any] = field(default_factory=dict)
    trend: TrendSection | None = None
    """The scan history's trend (:func:`qrisk.report.report_trend.load_trend`); None without a database."""


def build_report(
    inventory: Inventory,
    *,
    policies: str | Sequence[str] | Sequence[PolicyFile] | None = None,
    crqc: str = DEFAULT_CRQC,
    now: dt.date,
    default_shelf_life: Prior | None = None,
    quantile: float = 0.1,
    threshold: float = 0.5,
    trend: TrendSection | None = None,
) -> Report:
    """Assess, check compliance, plan and model the QKD network for one inventory.

    ``policies`` is what ``--policy`` takes (ids, aliases or YAML paths; None: every shipped
    policy) or already-loaded policies. As in ``qrisk assess --policy``, a policy's 256-bit
    requirement makes Grover-weakened assets count only when policies are named explicitly.
    ``trend`` is the scan history read beforehand (this module touches no file).
    """
    named = policies is not None and not (isinstance(policies, str) and not policies.strip())
    if named and policies and not isinstance(policies, str) and isinstance(next(iter(policies)), PolicyFile):
        policy_list = list(policies)  # type: ignore[arg-type]
    else:
        policy_list = resolve_policies(policies)  # type: ignore[arg-type]
    arrival = resolve_crqc(crqc, now)
    need_256 = requires_256_bit(policy_list) if named else False
    options = AssessOptions(quantile=quantile, threshold=threshold, require_256_bit=need_256)
    risk_input = from_inventory(inventory, default_shelf_life=default_shelf_life)
    assessment = run_assess(risk_input, arrival, options)
    compliance = evaluate(risk_input, policy_list, now)
    qkd_section = build_qkd_section(inventory) if inventory.qkd_links else None
    plan = build_plan_section(inventory, assessment, compliance, policy_list, crqc=crqc, now=now)
    return Report(
        inventory=inventory, now=now, arrival=arrival, policies=tuple(policy_list), assessment=assessment,
        compliance=compliance, plan=plan, qkd=qkd_section, trend=trend,
        options={"crqc": crqc, "policies": [p.id for p in policy_list], "policies_named": named,
                 "require_256_bit": need_256, "quantile": quantile, "threshold": threshold},
    )


# --------------------------------------------------------------------------- plan


def build_plan_section(
    inventory: Inventory, assessment: Assessment, compliance: ComplianceResult, policies: Sequence[PolicyFile],
    *, crqc: str, now: dt.date,
) -> PlanSection:
    """The migration plan: ``qrisk plan``'s result when the planner is installed, else a provisional one."""
    from qrisk.report import report_plan

    planned = report_plan.planner_section(inventory, policies, compliance, crqc=crqc, now=now, assessment=assessment)
    if planned is not None:
        return planned
    return report_plan.provisional_section(assessment, compliance, now)


# --------------------------------------------------------------------------- QKD


def build_qkd_section(inventory: Inventory) -> QkdSection:
    """Link rates, capacity against each data flow's key demand, the map and the rate chart."""
    from qrisk.report.report_qkd import qkd_section

    return qkd_section(inventory)


# --------------------------------------------------------------------------- the data island


class _Index(dict[str, int]):
    """A string table: values in first-seen order; calling it gives a value's position."""

    def __missing__(self, value: str) -> int:
        pos = self[value] = len(self)
        return pos

    __call__ = dict.__getitem__

    @property
    def values(self) -> list[str]:  # type: ignore[override]
        return list(self.keys())


def _num(value: Any, digits: int = 6) -> Any:
    """The value as ``qrisk assess -f json`` writes it: rounded to 6 digits, None for NaN."""
    if value is None:
        return None
    f = float(value)
    if not math.isfinite(f):
        return None
    r = round(f, digits)
    return int(r) if r == int(r) and abs(r) < 2**53 else r


def _split_location(location: str) -> tuple[str, str]:
    if "://" in location or "/" not in location:
        return "", location
    head, _, tail = location.rpartition("/")
    return head, tail


def _extra(asset: Asset, texts: _Index) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    cert = asset.certificate
    if cert is not None:
        # issuers and signature algorithms repeat across an estate: shared through the text table
        out["cert"] = [cert.subject, texts(cert.issuer), cert.not_after.date().isoformat(),
                       texts(cert.signature_algorithm)]
    if asset.fingerprint_sha256:
        out["fp"] = asset.fingerprint_sha256
    if asset.key_material is not None:
        out["km"] = asset.key_material.value
    if asset.encrypted:
        out["enc"] = 1
    if asset.notes:
        out["notes"] = list(asset.notes)
    return out or None


def distinct_rows(matrix: np.ndarray) -> np.ndarray:
    """For each row of an integer matrix, the number of its distinct value in first-seen order.

    Column by column: the key so far and the next column are combined and re-factorised, so the
    key never overflows (hash-based, linear; ``np.unique(axis=0)`` sorts and is several times slower).
    """
    key = np.zeros(len(matrix), dtype=np.int64)
    for j in range(matrix.shape[1]):
        col, _ = pd.factorize(matrix[:, j])
        key, _ = pd.factorize(key * (int(col.max()) + 1 if len(col) else 1) + col)
    return key


def _compliance_profiles(result: ComplianceResult, n_assets: int) -> tuple[list[str], list[list[Any]], list[list[int]], np.ndarray]:
    """Per asset one profile index: the (verdict, rule) pair under each policy, deduplicated.

    Returns the policy ids (matrix columns), the rule table, the profiles and the per-asset index.
    """
    frame = result.verdicts
    if frame.empty or n_assets == 0:
        return [], [], [], np.full(n_assets, -1, dtype=np.int64)
    policies = [str(p) for p in pd.unique(frame["policy"].astype(str))]
    rules: list[list[Any]] = []
    rule_pos: dict[tuple[str, str], int] = {}
    columns = []
    offset = 0
    for pid in policies:
        part = frame.iloc[offset: offset + n_assets]
        offset += n_assets
        verdict = pd.Categorical(part["verdict"].astype(str), categories=VERDICTS).codes.astype(np.int64)
        rule_col = part["rule_id"].astype(str).to_numpy()
        uniq, first, inverse = np.unique(rule_col, return_index=True, return_inverse=True)
        glob = np.empty(len(uniq), dtype=np.int64)
        for k, rid in enumerate(uniq):
            if not rid:
                glob[k] = -1
                continue
            key = (pid, str(rid))
            if key not in rule_pos:
                row = part.iloc[int(first[k])]
                rule_pos[key] = len(rules)
                rules.append([pid, str(rid), str(row["kind"]), str(row["deadline"]), str(row["source"]),
                              bool(row["binding"]), bool(row["draft"])])
            glob[k] = rule_pos[key]
        columns.append(verdict)
        columns.append(glob[inverse.reshape(-1)])
    matrix = np.stack(columns, axis=1)
    inverse = distinct_rows(matrix)
    _, first_of = np.unique(inverse, return_index=True)  # the first asset with each distinct row
    return policies, rules, matrix[first_of].tolist(), inverse


def _exposure_profiles(frame: pd.DataFrame) -> tuple[list[list[Any]], np.ndarray]:
    """Distinct (probability_exposed, expected_years_exposed, mosca_exposed) rows and each asset's index.

    Assets of one system and threat share their figures, so the table is far shorter than the
    inventory. Values are rounded as ``qrisk assess -f json`` rounds them (None for not assessed).
    """
    if frame.empty:
        return [], np.zeros(0, dtype=np.int64)
    p = frame["probability_exposed"].to_numpy(float).round(6)
    e = frame["expected_years_exposed"].to_numpy(float).round(6)
    m = frame["mosca_exposed"].to_numpy(bool).astype(float)
    # NaN (not assessed) is coded as -1, which no probability or year count takes.
    p = np.where(np.isnan(p), -1.0, p)
    e = np.where(np.isnan(e), -1.0, e)
    codes = np.stack([pd.factorize(p)[0], pd.factorize(e)[0], m.astype(np.int64)], axis=1)
    inverse = distinct_rows(codes)
    _, first_of = np.unique(inverse, return_index=True)  # the first asset with each distinct row
    table = [[None if p[i] < 0 else _num(p[i]), None if e[i] < 0 else _num(e[i]), int(m[i])] for i in first_of.tolist()]
    return table, inverse


def _threat_heatmap(assessment: Assessment, system_ids: list[str]) -> list[list[int]]:
    f = assessment.exposures
    if f.empty:
        return [[0] * len(THREATS) for _ in system_ids]
    sys_codes = pd.Categorical(f["system"].astype(str), categories=system_ids).codes
    thr = pd.Categorical(f["threat"].astype(str), categories=THREATS).codes
    counts = np.zeros((len(system_ids), len(THREATS)), dtype=np.int64)
    ok = (sys_codes >= 0) & (thr >= 0)
    np.add.at(counts, (sys_codes[ok], thr[ok]), 1)
    return counts.tolist()


def _crqc_curve(report: Report, systems: list[dict[str, Any]]) -> dict[str, Any]:
    longest = max((float(s.get("horizon_years") or 0.0) for s in systems), default=0.0)
    longest = max(longest, max((float(s.get("shelf_life_years") or 0) + float(s.get("migration_years") or 0)
                                for s in systems), default=0.0))
    end = min(200.0, max(40.0, math.ceil(longest / 5.0) * 5.0 + 5.0))
    t = np.arange(0.0, end + CURVE_STEP_YEARS / 2, CURVE_STEP_YEARS)
    p = report.arrival.probability_within(t)
    return {"t": [_num(v, 4) for v in t], "p": [_num(v, 6) for v in p]}


def nearest_deadlines(result: ComplianceResult, limit: int = 6) -> list[dict[str, Any]]:
    """Upcoming deadlines (non-compliant from a date), nearest first, with the assets they hit."""
    frame = result.verdicts
    out: list[dict[str, Any]] = []
    if not frame.empty:
        later = frame[frame["verdict"].astype(str) == Verdict.NON_COMPLIANT_FROM.value]
        if len(later):
            keys = ["policy", "deadline", "effective_from", "rule_id"]
            g = later.astype({k: str for k in keys}).groupby(keys, observed=True, sort=False)
            agg = g.agg(assets=("asset_id", "size"), days_left=("days_left", "min"), source=("source", "first"),
                        systems=("system", lambda s: int(pd.Series(s.astype(str)).nunique()))).reset_index()
            for rec in agg.to_dict("records"):
                out.append({"policy": rec["policy"], "deadline": rec["deadline"],
                            "effective_from": rec["effective_from"], "rule_id": rec["rule_id"],
                            "days_left": int(rec["days_left"]), "assets": int(rec["assets"]),
                            "systems": int(rec["systems"]), "source": rec["source"], "kind": "asset"})
    for c in result.inventory_checks:
        if c.verdict is Verdict.NON_COMPLIANT_FROM and c.deadline is not None and c.days_left is not None:
            out.append({"policy": c.policy, "deadline": c.deadline.isoformat(),
                        "effective_from": c.effective_from.isoformat() if c.effective_from else "",
                        "rule_id": c.check_id, "days_left": int(c.days_left), "assets": 0, "systems": 0,
                        "source": c.source, "kind": "inventory-check"})
    out.sort(key=lambda d: (d["days_left"], d["policy"], d["rule_id"]))
    return out[:limit]


def non_compliant_now(result: ComplianceResult) -> dict[str, int]:
    """Assets (distinct) and policies with a verdict ``non-compliant`` today."""
    frame = result.verdicts
    if frame.empty:
        assets = policies = 0
    else:
        bad = frame[frame["verdict"].astype(str) == Verdict.NON_COMPLIANT.value]
        assets = int(bad["asset_id"].astype(str).nunique())
        policies = int(bad["policy"].astype(str).nunique())
    checks = sum(1 for c in result.inventory_checks if c.verdict is Verdict.NON_COMPLIANT)
    return {"assets": assets, "policies": policies, "inventory_checks": checks}


def report_data(report: Report) -> dict[str, Any]:
    """The JSON data island: every number the page shows, from the stage serialisers."""
    inv = report.inventory
    a_dict = assessment_to_dict(report.assessment, include_assets=False)
    systems = a_dict["systems"]
    declared = {s.id: s for s in inv.systems}
    system_ids = [s["system"] for s in systems]
    seen = set(system_ids)
    frame = report.assessment.exposures
    for sid in pd.unique(frame["system"].astype(str)) if len(frame) else []:
        if sid not in seen:  # cannot happen (every asset's system is ranked); kept for safety
            system_ids.append(str(sid))
            seen.add(str(sid))
    sys_pos = {sid: i for i, sid in enumerate(system_ids)}
    for s in systems:
        d = declared.get(s["system"])
        s["owner"] = d.owner if d else ""
        s["description"] = d.description if d else ""
        s["endpoints"] = list(d.endpoints) if d else []
        s["data_classes"] = [[c.name, _num(c.retention_years), c.retention_source] for c in d.data_classes] if d else []
        s["sites"] = list(d.sites) if d else []

    kinds, algs, usages, params, dirs, files, snippets, rules_used, texts = (_Index() for _ in range(9))
    policies, rules, profiles, profile_idx = _compliance_profiles(report.compliance, len(inv.assets))
    exposure_table, exposure_idx = _exposure_profiles(frame)
    n = len(inv.assets)
    status_pos = {s: i for i, s in enumerate(STATUSES)}
    threat_pos = {t: i for i, t in enumerate(THREATS)}
    unknown = status_pos[QuantumStatus.UNKNOWN.value]
    status_col = [status_pos.get(v, unknown) for v in frame["quantum_status"].astype(str)] if n else []
    threat_col = [threat_pos[v] for v in frame["threat"].astype(str)] if n else []
    system_col = [sys_pos[v] for v in frame["system"].astype(str)] if n else []
    exposure_col = exposure_idx.tolist()
    profile_col = profile_idx.tolist()
    # Bound methods and dict.get in locals: this loop runs once per asset (100,000 in the benchmark).
    kind_of, alg_of, usage_of, params_of = kinds, algs, usages, params
    dir_of, file_of, snippet_of, rule_of = dirs, files, snippets, rules_used
    split_cache: dict[str, tuple[int, int]] = {}
    rows: list[list[Any]] = []
    append = rows.append
    for i, a in enumerate(inv.assets):
        occ = []
        for o in a.occurrences[:MAX_OCCURRENCES]:
            loc = split_cache.get(o.location)
            if loc is None:
                head, tail = _split_location(o.location)
                loc = split_cache[o.location] = (dir_of(head), file_of(tail))
            snippet = o.snippet if len(o.snippet) <= MAX_SNIPPET_CHARS else o.snippet[: MAX_SNIPPET_CHARS - 1] + "…"
            occ.append([loc[0], loc[1], o.line, snippet_of(snippet), rule_of(o.detector + ":" + o.rule_id)])
        row = [
            a.asset_id, system_col[i], kind_of(a.kind.value), alg_of(a.algorithm), params_of(parameters(a)),
            status_col[i], usage_of(a.usage.value), threat_col[i], exposure_col[i], profile_col[i], a.name, occ,
        ]
        # trailing fields only when they say something: occurrence count beyond those listed, details
        extra = _extra(a, texts)
        if extra is not None or len(a.occurrences) != len(occ):
            row.append(len(a.occurrences))
            if extra is not None:
                row.append(extra)
        append(row)

    c_dict = compliance_to_dict(report.compliance, include_assets=False)
    summary_by_policy = {rec["policy"]: rec for rec in c_dict["summary"]}
    policy_info = []
    nearest_by_policy: dict[str, dict[str, Any]] = {}
    for d in nearest_deadlines(report.compliance, limit=10**6):
        nearest_by_policy.setdefault(d["policy"], d)
    loaded = {p.id: p for p in report.policies}
    for info in c_dict["policies"]:
        pid = info["id"]
        pf = loaded.get(pid)
        policy_info.append({
            **info,
            "issuer": pf.issuer if pf else "",
            "has_rules": pid in policies,
            "counts": {v: int(summary_by_policy.get(pid, {}).get(v, 0) or 0) for v in VERDICTS},
            "nearest": nearest_by_policy.get(pid),
        })
    skipped = inv.skipped
    scan = inv.scan
    assessment_meta = {k: v for k, v in a_dict.items() if k not in ("systems",)}
    return {
        "schema": REPORT_SCHEMA,
        "meta": {
            "tool": "qrisk",
            "tool_version": scan.tool_version or qrisk.__version__,
            "report_tool_version": qrisk.__version__,
            "now": report.now.isoformat(),
            "organisation": scan.organisation,
            "scan": {
                "targets": list(scan.targets),
                "started": scan.started.isoformat() if scan.started else None,
                "finished": scan.finished.isoformat() if scan.finished else None,
                "files_seen": scan.files_seen, "files_scanned": scan.files_scanned,
                "bytes_scanned": scan.bytes_scanned, "manifest": scan.manifest,
            },
            "options": report.options,
        },
        "assessment": assessment_meta,
        "systems": systems,
        "heatmap": {"threats": THREATS, "counts": _threat_heatmap(report.assessment, system_ids)},
        "crqc_curve": _crqc_curve(report, systems),
        "dict": {"status": STATUSES, "threat": THREATS, "kind": kinds.values, "algorithm": algs.values,
                 "usage": usages.values, "params": params.values, "dir": dirs.values, "file": files.values,
                 "snippet": snippets.values, "rule": rules_used.values, "text": texts.values, "verdict": VERDICTS},
        "exposure": {"columns": ["probability_exposed", "expected_years_exposed", "mosca_exposed"],
                     "rows": exposure_table},
        "assets": {"columns": list(ASSET_COLUMNS), "rows": rows},
        "compliance": {
            "policies": policy_info,
            "matrix_policies": policies,
            "rules": rules,
            "rule_columns": ["policy", "rule_id", "kind", "deadline", "source", "binding", "draft"],
            "profiles": profiles,
            "inventory_checks": c_dict["inventory_checks"],
            "nearest": nearest_deadlines(report.compliance),
            "non_compliant_now": non_compliant_now(report.compliance),
        },
        "plan": {"source": report.plan.source, "note": report.plan.note, **report.plan.data},
        "qkd": None if report.qkd is None else {
            "links": report.qkd.links, "flows": report.qkd.flows, "sites": report.qkd.sites,
        },
        "skipped": {"total": len(skipped), "rows": [[s.location, s.reason, s.detail] for s in skipped[:MAX_SKIPPED]]},
        "sites": [to_dict(s) for s in inv.sites],
        "trend": trend_data(report.trend),
    }

