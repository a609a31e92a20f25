"""``build_plan``: inventory + exposure + policies -> what to change, to what, in what order, by when.

Stages (each a function of typed data; no file system, no clock):

1. risk: :func:`qrisk.risk.mosca.assess` gives each asset's probability of exposure under the
   CRQC arrival; :func:`qrisk.risk.compliance.evaluate` gives each asset's earliest policy deadline;
2. recommend: each asset gets a purpose, a protocol and a target from the rules
   (``qrisk/catalog/migration_rules.yaml``), within its system's constraints and the combined
   stance of the policies that apply to the system;
3. group: assets of one system moving to the same target with the same kind of work form one
   action; dependencies link CA roots to what they issue, libraries to the changes that need
   them, and both ends of a protocol (sync groups);
4. QKD: site pairs with data flows get QKD+PQC or PQC-only (:mod:`qrisk.plan.qkd`);
5. schedule: :mod:`qrisk.plan.schedule` places the actions in years; waves are start years.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import qrisk
from qrisk.errors import InputError
from qrisk.model import Asset, AssetKind, Inventory, QuantumStatus, System
from qrisk.plan.model import (
    AcceptedRisk,
    Action,
    ActionKind,
    Budget,
    DeadlineStatus,
    MigrationPlan,
    PlanInputs,
    PlanSummary,
    Protocol,
    Purpose,
    QkdDecision,
    QkdMode,
    RelayPolicy,
    Stance,
    Target,
    Urgency,
    Wave,
)
from qrisk.plan.qkd import NetworkInput, SystemFacts, decide_qkd
from qrisk.plan.recommend import (
    Recommender,
    action_kind_for,
    describe_rejections,
    from_code,
    protocol_of,
    purpose_of,
)
from qrisk.plan.rules import MigrationRules, QkdCosts, migration_rules, qkd_costs, sha256_text
from qrisk.plan.schedule import Job, schedule
from qrisk.risk.compliance import PolicyFile, evaluate, requires_256_bit, resolve_policies
from qrisk.risk.crqc import Arrival, add_years, decimal_year, resolve_crqc
from qrisk.risk.inputs import UNASSIGNED, from_inventory, migration_priors
from qrisk.risk.mosca import AssessOptions, Threat, assess

_LOCATIONS_SHOWN = 50
_SIGNING = {Purpose.SIGNATURE, Purpose.DUAL_USE, Purpose.CODE_SIGNING, Purpose.FIRMWARE_SIGNING}
_CERT_PURPOSES = {Purpose.CERTIFICATE, Purpose.CERTIFICATE_AUTHORITY, Purpose.CODE_SIGNING, Purpose.FIRMWARE_SIGNING}
_KEX = {Purpose.KEY_EXCHANGE, Purpose.ENCRYPTION}
_PQ_FORMS = {"pure", "hybrid", "composite", "additional-key-exchange", "catalog"}
_ENDPOINT_SCHEMES = ("tls://", "ssh://")


def _hash(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()


@dataclass
class _Group:
    """Assets that become one action (or one accepted-risk entry)."""

    key: tuple[Any, ...]
    system: str
    purpose: Purpose
    protocol: Protocol
    kind: ActionKind | None
    """None: accepted risk."""
    target: Target | None
    rule_id: str
    rule_title: str
    rule_source: str
    reason: str
    rejected: tuple[Any, ...]
    urgency: Urgency
    ca_level: int
    indexes: list[int] = field(default_factory=list)
    deviation: str = ""


def _applicable(policy: PolicyFile, jurisdictions: tuple[str, ...]) -> bool:
    """Same scope rule as the compliance stage: no jurisdictions on either side means everywhere."""
    if not policy.jurisdictions or not jurisdictions:
        return True
    return bool({j.upper() for j in policy.jurisdictions} & set(jurisdictions))


@functools.lru_cache(maxsize=65536)
def _date(now: dt.date, years: float) -> dt.date:
    return add_years(now, years)


def _ca_levels(assets: Sequence[Asset], index: dict[str, int]) -> tuple[dict[int, int], dict[int, list[int]]]:
    """Per certificate: depth below a root (0 = root or unknown issuer), and its issuers' indexes."""
    issuers: dict[int, list[int]] = {}
    for i, a in enumerate(assets):
        if a.kind is AssetKind.CERTIFICATE:
            found = []
            for rid in a.related:
                j = index.get(rid)
                if j is not None and j != i and assets[j].kind is AssetKind.CERTIFICATE:
                    cert = assets[j].certificate
                    if cert is not None and cert.is_ca:
                        found.append(j)
            issuers[i] = found
    level: dict[int, int] = {}

    def depth(i: int, seen: frozenset[int]) -> int:
        if i in level:
            return level[i]
        cert = assets[i].certificate
        if cert is not None and cert.self_signed:
            level[i] = 0
            return 0
        parents = [p for p in issuers.get(i, []) if p not in seen]
        d = 0 if not parents else 1 + max(depth(p, seen | {i}) for p in parents)
        level[i] = min(d, 16)
        return level[i]

    for i in issuers:
        depth(i, frozenset())
    return level, issuers


def build_plan(
    inventory: Inventory,
    *,
    policies: Sequence[PolicyFile] | str | None = None,
    crqc: Arrival | str | None = None,
    now: dt.date,
    qkd_network: NetworkInput | None = None,
    budget: Budget | None = None,
    migration_speed: float = 1.0,
    quantile: float = 0.5,
    relay_policy: RelayPolicy | None = None,
    costs: QkdCosts | None = None,
    rules: MigrationRules | None = None,
) -> MigrationPlan:
    """The migration plan for ``inventory`` (see the module docstring).

    ``policies``: policy objects, a ``--policy`` spec (``cnsa-2.0,bsi``) or None for every shipped
    policy (each applies to the systems in its jurisdictions, as in ``qrisk compliance``).
    ``crqc``: an arrival or a ``--crqc`` spec (default: the newest survey's prudent curve).
    ``qkd_network``: a standalone network (wins over the inventory's sites and links).
    ``budget``: QKD capital and effort per year; ``migration_speed`` divides every duration.
    ``quantile``: CRQC quantile for Mosca need-by dates (0.5: the median arrival).
    ``relay_policy``: which trusted nodes may relay QKD keys (default: the policies' stance).
    """
    # The plan allocates many small objects that live until it returns: the cyclic collector
    # would rescan the whole inventory again and again for nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_plan(
            inventory, policies=policies, crqc=crqc, now=now, qkd_network=qkd_network, budget=budget,
            migration_speed=migration_speed, quantile=quantile, relay_policy=relay_policy, costs=costs, rules=rules,
        )
    finally:
        if enabled:
            gc.enable()


def _build_plan(
    inventory: Inventory,
    *,
    policies: Sequence[PolicyFile] | str | None = None,
    crqc: Arrival | str | None = None,
    now: dt.date,
    qkd_network: NetworkInput | None = None,
    budget: Budget | None = None,
    migration_speed: float = 1.0,
    quantile: float = 0.5,
    relay_policy: RelayPolicy | None = None,
    costs: QkdCosts | None = None,
    rules: MigrationRules | None = None,
) -> MigrationPlan:
    if not (isinstance(migration_speed, int | float) and math.isfinite(migration_speed) and migration_speed > 0):
        raise InputError(f"--migration-speed {migration_speed!r}: must be a number > 0")
    if not 0.0 < quantile < 1.0:
        raise InputError(f"--quantile {quantile!r}: must lie strictly between 0 and 1")
    budget = budget or Budget()
    rules = rules or migration_rules()
    costs = costs or qkd_costs()
    pols = list(policies) if isinstance(policies, list | tuple) else resolve_policies(policies)
    arrival = crqc if isinstance(crqc, Arrival) else resolve_crqc(crqc, now)
    if arrival.now != now:
        raise InputError(f"--crqc arrival is conditioned on {arrival.now}, not on --now {now}")

    # ---- 1. risk and compliance (columns)
    inp = from_inventory(inventory)
    assessment = assess(inp, arrival, AssessOptions(require_256_bit=requires_256_bit(pols), sensitivity=False))
    exp = assessment.exposures
    n = len(inventory.assets)
    prob = np.nan_to_num(exp["probability_exposed"].to_numpy(float), nan=0.0)
    status_col = inp.assets["quantum_status"].astype(str).to_numpy()
    sys_ids = np.asarray(inp.assets["system"].astype(str).to_numpy(), dtype=object)
    horizon = exp["horizon_years"].to_numpy(float)
    y_asset = exp["migration_years"].to_numpy(float)
    threat = exp["threat"].astype(str).to_numpy()
    z_q = arrival.quantile(quantile)
    flagged = np.isin(threat, [Threat.HARVEST_NOW_DECRYPT_LATER.value, Threat.FORGERY.value,
                               Threat.CLASSICALLY_BROKEN.value, Threat.GROVER.value])
    classical = threat == Threat.CLASSICALLY_BROKEN.value
    with np.errstate(invalid="ignore"):
        need_years = np.where(classical, -(horizon - y_asset),
                              (z_q if math.isfinite(z_q) else np.inf) - (horizon - y_asset))
    need_years = np.where(flagged, need_years, np.nan)

    dl_ord = np.full(n, np.inf)
    dl_pol = np.full(n, "", dtype=object)
    dl_rule = np.full(n, "", dtype=object)
    if pols and n:
        comp = evaluate(inp, pols, now)
        v = comp.verdicts
        bad = v["verdict"].astype(str).isin(["non-compliant", "non-compliant-from"]).to_numpy()
        if bad.any():
            ids = np.asarray(inp.assets["asset_id"].to_numpy(dtype=object))
            vid = v["asset_id"].to_numpy(dtype=object)
            blocks = len(v) // n if len(v) % n == 0 else 0
            # evaluate() emits one block per policy, each in the assets' order: check, then index.
            if blocks and (vid[:n] == ids).all() and all(
                vid[k * n] == ids[0] and vid[k * n + n - 1] == ids[-1] for k in range(blocks)
            ):
                pos = np.arange(len(v)) % n
            else:  # pragma: no cover - evaluate() keeps asset order per policy
                pos = pd.Index(ids).get_indexer(vid)
            rows = np.flatnonzero(bad)
            dcat = v["deadline"].astype("category")
            cat_ord = np.array([dt.date.fromisoformat(c).toordinal() if c else now.toordinal() - 1
                                for c in dcat.cat.categories.astype(str)], dtype=float)
            ords = cat_ord[dcat.cat.codes.to_numpy()[rows]] if len(cat_ord) else np.zeros(0)
            frame = pd.DataFrame({
                "pos": pos[rows], "ord": ords, "policy": v["policy"].to_numpy(dtype=object)[rows],
                "rule": v["rule_id"].to_numpy(dtype=object)[rows],
            })
            best = frame.sort_values(["pos", "ord", "policy", "rule"], kind="mergesort").drop_duplicates("pos")
            where = best["pos"].to_numpy()
            dl_ord[where] = best["ord"].to_numpy()
            dl_pol[where] = best["policy"].to_numpy(dtype=object)
            dl_rule[where] = best["rule"].to_numpy(dtype=object)

    # ---- 2. stances per system
    sysf = inp.systems
    systems_by_id: dict[str, System] = {s.id: s for s in inventory.systems}
    stances: dict[str, Stance] = {}
    for sid, jur in zip(sysf.index.astype(str), sysf["jurisdictions"], strict=True):
        applicable = [p for p in pols if _applicable(p, tuple(jur))]
        stances[sid] = rules.stance([p.id for p in applicable], requires_256_bit(applicable))
    default_stance = rules.stance([], False)
    values = {
        sid: rules.value_for(crit, bool(hv), systems_by_id[sid].value if sid in systems_by_id else None)
        for sid, crit, hv in zip(sysf.index.astype(str), sysf["criticality"], sysf["high_value"], strict=True)
    }
    sys_p: dict[str, float] = {}
    for sid, p in zip(sys_ids, prob, strict=True):
        if p > sys_p.get(sid, 0.0):
            sys_p[sid] = float(p)

    # ---- 3. recommend and group
    assets = inventory.assets
    index = {a.asset_id: i for i, a in enumerate(assets)}
    levels, issuers = _ca_levels(assets, index)
    rec = Recommender(rules, systems_by_id, stances)
    purposes: list[Purpose] = [Purpose.OTHER] * n
    for i, a in enumerate(assets):
        if a.kind is AssetKind.CERTIFICATE:
            purposes[i] = purpose_of(a, rec.signing(sys_ids[i]))
    groups: dict[tuple[Any, ...], _Group] = {}
    purpose_cache: dict[tuple[Any, ...], Purpose] = {}
    review: list[str] = []
    vulnerable = 0
    for i, a in enumerate(assets):
        sid = sys_ids[i]
        stance = stances[sid]
        status = QuantumStatus(status_col[i])
        cert_bound = False
        level = levels.get(i, -1)
        if a.kind is AssetKind.CERTIFICATE:
            purpose = purposes[i]
        else:
            pkey = (a.kind, a.primitive, a.usage, sid)
            purpose = purpose_cache.get(pkey)  # type: ignore[assignment]
            if purpose is None:
                purpose = purpose_cache[pkey] = purpose_of(a, rec.signing(sid))
            if a.kind is AssetKind.KEY and purpose in _SIGNING:
                for rid in a.related:
                    j = index.get(rid)
                    if j is not None and assets[j].kind is AssetKind.CERTIFICATE:
                        purpose, cert_bound, level = purposes[j], True, levels.get(j, -1)
                        break
        protocol = protocol_of(a, rules)
        is_vuln = status in (QuantumStatus.BROKEN, QuantumStatus.CLASSICALLY_BROKEN) or (
            status is QuantumStatus.WEAKENED and stance.require_256_bit)
        vulnerable += is_vuln
        choice = rec.choose(a, sid, purpose, protocol, status)
        urgency = Urgency.IMMEDIATE if status is QuantumStatus.CLASSICALLY_BROKEN else Urgency.PLANNED
        if choice is None:
            if is_vuln:
                key = ("accept", sid, "PLAN-NO-RULE", a.algorithm, purpose)
                g = groups.get(key) or groups.setdefault(key, _Group(
                    key, sid, purpose, protocol, None, None, "PLAN-NO-RULE", "No rule covers this asset",
                    "qrisk/catalog/migration_rules.yaml", "no rule covers this purpose and algorithm: review by hand",
                    (), urgency, -1))
                g.indexes.append(i)
            elif status is QuantumStatus.UNKNOWN and purpose not in (Purpose.LIBRARY, Purpose.PROTOCOL):
                review.append(a.asset_id)
            continue
        rule = choice.rule
        if choice.accept:
            key = ("accept", sid, rule.id, a.algorithm, purpose)
            g = groups.get(key) or groups.setdefault(key, _Group(
                key, sid, purpose, protocol, None, None, rule.id, rule.title, rule.source, choice.reason,
                choice.rejected, urgency, -1))
            g.indexes.append(i)
            continue
        if choice.infeasible:
            kind = ActionKind.REPLACE_DEVICE
            system = systems_by_id.get(sid)
            limits = []
            if system is not None and system.max_handshake_bytes is not None:
                limits.append(f"max_handshake_bytes {system.max_handshake_bytes:,}")
            if system is not None and system.mtu_bytes is not None:
                limits.append(f"mtu_bytes {system.mtu_bytes:,}")
            target = Target(name="no candidate fits: replace the device or the protocol", algorithm=None,
                            form="none", standard="")
            reason = (f"no candidate of {rule.id} fits the system's constraints ({', '.join(limits) or 'policy level'}): "
                      + describe_rejections(choice.rejected))
        else:
            assert choice.target is not None
            kind = rule.action or action_kind_for(a.kind, purpose, in_code=from_code(a), cert_bound=cert_bound)
            target = choice.target
            reason = choice.reason
        ca_level = level if purpose is Purpose.CERTIFICATE_AUTHORITY else -1
        key = ("act", sid, kind, purpose, protocol, target.name, rule.id, urgency, ca_level)
        g = groups.get(key) or groups.setdefault(key, _Group(
            key, sid, purpose, protocol, kind, target, rule.id, rule.title, rule.source, reason, choice.rejected,
            urgency, ca_level, deviation=choice.deviation))
        g.indexes.append(i)

    # ---- 4. drafts with risk and deadlines
    now_ord = now.toordinal()
    act_groups = sorted((g for g in groups.values() if g.kind is not None), key=lambda g: _hash(*g.key))
    acc_groups = sorted((g for g in groups.values() if g.kind is None), key=lambda g: _hash(*g.key))
    gid: dict[tuple[Any, ...], str] = {g.key: "act-" + _hash(*g.key)[:12] for g in act_groups}
    action_of_asset: dict[int, str] = {i: gid[g.key] for g in act_groups for i in g.indexes}

    drafts: dict[str, dict[str, Any]] = {}
    for g in act_groups:
        aid = gid[g.key]
        idx = np.asarray(g.indexes)
        if g.purpose is Purpose.LIBRARY:
            p = sys_p.get(g.system, 0.0)
        else:
            p = float(prob[idx].max()) if len(idx) else 0.0
        value = values.get(g.system, 1.0)
        o = dl_ord[idx].min() if len(idx) else np.inf
        dl_i = int(idx[np.argmin(dl_ord[idx])]) if len(idx) and math.isfinite(o) else None
        need = np.nanmin(need_years[idx]) if len(idx) and np.isfinite(need_years[idx]).any() else math.nan
        locs = sorted({occ.location for i in g.indexes for occ in assets[i].occurrences})
        drafts[aid] = {
            "group": g, "p": p, "value": value,
            "policy_deadline": dt.date.fromordinal(int(o)) if math.isfinite(o) else None,
            "policy_source": f"{dl_pol[dl_i]} {dl_rule[dl_i]}" if dl_i is not None else "",
            "need_years": None if math.isnan(need) else float(need),
            "locs": locs, "deps": set(), "sync": None,
        }

    # ---- 5. dependencies
    for g in act_groups:
        aid = gid[g.key]
        for i in g.indexes:
            for j in issuers.get(i, []):
                other = action_of_asset.get(j)
                if other is not None and other != aid:
                    drafts[aid]["deps"].add(other)
            if assets[i].kind is AssetKind.KEY:
                for rid in assets[i].related:
                    j = index.get(rid)
                    if j is not None:
                        for k in issuers.get(j, []):
                            other = action_of_asset.get(k)
                            if other is not None and other != aid:
                                drafts[aid]["deps"].add(other)
    libs_by_system: dict[str, list[str]] = {}
    for g in act_groups:
        if g.kind is ActionKind.UPGRADE_LIBRARY:
            libs_by_system.setdefault(g.system, []).append(gid[g.key])
    for g in act_groups:
        if g.kind is ActionKind.UPGRADE_LIBRARY or g.target is None or g.target.form not in _PQ_FORMS:
            continue
        drafts[gid[g.key]]["deps"].update(libs_by_system.get(g.system, []))

    # Both ends of a protocol: key-exchange actions sharing an endpoint or related across actions.
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    def union(x: str, y: str) -> None:
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)

    by_endpoint: dict[str, list[str]] = {}
    for g in act_groups:
        if g.purpose not in _KEX or g.kind is ActionKind.UPGRADE_LIBRARY:
            continue
        aid = gid[g.key]
        eps = {loc for loc in drafts[aid]["locs"] if loc.startswith(_ENDPOINT_SCHEMES)}
        system = systems_by_id.get(g.system)
        if system is not None and g.protocol in (Protocol.TLS, Protocol.SSH):
            eps |= {e for e in system.endpoints if e.startswith(f"{g.protocol.value}://")}
        for e in sorted(eps):
            by_endpoint.setdefault(e, []).append(aid)
        for i in g.indexes:
            for rid in assets[i].related:
                j = index.get(rid)
                other = action_of_asset.get(j) if j is not None else None
                if other is not None and other != aid and drafts[other]["group"].purpose in _KEX:
                    union(aid, other)
    for ids in by_endpoint.values():
        for other in ids[1:]:
            union(ids[0], other)
    sync_members: dict[str, list[str]] = {}
    for aid in drafts:
        sync_members.setdefault(find(aid), []).append(aid)
    for ms in sync_members.values():
        if len(ms) > 1:
            label = "sync-" + _hash(*sorted(ms))[:10]
            for m in ms:
                drafts[m]["sync"] = label

    # ---- 6. QKD
    network = qkd_network or NetworkInput(inventory.sites, inventory.qkd_links, inventory.scan.organisation,
                                          "inventory", "")
    facts = {
        sid: SystemFacts(float(x), values.get(sid, 0.0), bool(hv), sys_p.get(sid, 0.0))
        for sid, x, hv in zip(sysf.index.astype(str), sysf["shelf_life_years"], sysf["high_value"], strict=True)
    }
    decisions = decide_qkd(
        inventory.data_flows, network, system_facts=facts, stances=stances, default_stance=default_stance,
        rules=rules, costs=costs, budget=budget, relay_override=relay_policy,
    )

    # ---- 7. schedule
    priors = migration_priors()
    effort_factor: dict[str, float] = {}
    for sid in sysf.index.astype(str):
        s = systems_by_id.get(sid)
        eff = s.migration_effort if s is not None else None
        effort_factor[sid] = priors.effort_factors.get(eff, 1.0) if eff is not None else 1.0
    system_years = {sid: float(y) for sid, y in zip(sysf.index.astype(str), sysf["migration_years"], strict=True)}

    def priority(urgent: bool, risk: float, need_by: dt.date | None, aid: str) -> tuple[Any, ...]:
        return (0 if urgent else 1, -round(risk, 9), need_by.toordinal() if need_by else 10**9, aid)

    jobs: list[Job] = []
    for aid, d in drafts.items():
        g: _Group = d["group"]
        kind_cfg = rules.action_kind(g.kind)  # type: ignore[arg-type]
        effort = (kind_cfg.effort_base_days + kind_cfg.effort_per_asset_days * len(g.indexes)) * effort_factor.get(
            g.system, 1.0)
        need_by = _date(now, d["need_years"]) if d["need_years"] is not None and math.isfinite(d["need_years"]) else None
        d["mosca_need_by"] = need_by
        deadline, dsource = d["policy_deadline"], d["policy_source"]
        if need_by is not None and (deadline is None or need_by < deadline):
            deadline, dsource = need_by, f"mosca (CRQC quantile {quantile:g})"
        d["deadline"], d["deadline_source"] = deadline, dsource
        d["effort"] = effort
        d["risk"] = d["p"] * d["value"]
        jobs.append(Job(aid, g.system, kind_cfg.weight, effort, set(d["deps"]),
                        priority(g.urgency is Urgency.IMMEDIATE, d["risk"], deadline, aid), d["sync"]))
    qkd_jobs: dict[str, QkdDecision] = {}
    deploy = rules.action_kind(ActionKind.DEPLOY_QKD)
    for dec in decisions:
        if dec.mode is not QkdMode.QKD_PQC:
            continue
        aid = "act-" + _hash("deploy-qkd", dec.id)[:12]
        qkd_jobs[aid] = dec
        risk = max((sys_p.get(s, 0.0) for s in dec.systems), default=0.0) * dec.value
        sid = dec.systems[0] if dec.systems else UNASSIGNED
        jobs.append(Job(aid, f"qkd:{dec.id}", deploy.weight, deploy.effort_base_days, set(),
                        priority(False, risk, None, aid), None, fixed_years=costs.doc.deployment_years))
        drafts[aid] = {"qkd": dec, "risk": risk, "system": sid}
    effort_cap = budget.effort_days_per_year
    if effort_cap is not None and not (math.isfinite(effort_cap) and effort_cap > 0):
        raise InputError(f"--budget effort={effort_cap!r}: must be a number of person-days > 0")
    f0 = decimal_year(now) - now.year
    schedule(jobs, system_years=system_years, speed=float(migration_speed), effort_per_year=effort_cap,
             year_fraction_at_now=f0)

    # ---- 8. actions, ranks, waves
    job_by_id = {j.id: j for j in jobs}
    order = sorted(jobs, key=lambda j: (j.start, j.priority))
    rank = {j.id: r for r, j in enumerate(order, 1)}
    start_years = sorted({_date(now, j.start).year for j in jobs})
    wave_of_year = {y: k for k, y in enumerate(start_years, 1)}
    actions: list[Action] = []
    for j in order:
        d = drafts[j.id]
        start, end = _date(now, j.start), _date(now, j.end)
        if "qkd" in d:
            dec: QkdDecision = d["qkd"]
            cost = dec.cost
            target = Target(name="QKD+PQC hybrid keying", algorithm=None, form="qkd+pqc", standard=dec.keying)
            actions.append(Action(
                id=j.id, rank=rank[j.id], kind=ActionKind.DEPLOY_QKD, system=d["system"],
                purpose=Purpose.KEY_EXCHANGE, protocol=Protocol.NONE,
                title=f"Deploy QKD between {dec.a} and {dec.b} ({len(cost.links) if cost else 0} link(s))",
                source_algorithms=(), target=target, rule_id="PLAN-QKD", reason=dec.detail,
                rule_source=rules.qkd.eligibility_source, urgency=Urgency.PLANNED, asset_ids=(),
                locations=(dec.a, dec.b), locations_total=2, probability_exposed=0.0 if dec.value == 0 else
                round(d["risk"] / dec.value, 9), value=dec.value, risk=d["risk"], policy_deadline=None,
                policy_deadline_source="", mosca_need_by=None, deadline=None, deadline_source="", depends_on=(),
                sync_group=None, start=start, end=end, start_year=start.year, end_year=end.year,
                duration_years=round(j.duration, 6), effort_days=round(j.effort_days, 6),
                deadline_status=DeadlineStatus.NONE, wave=wave_of_year[start.year],
                cost_eur=cost.capex if cost else None, notes=tuple(j.notes),
            ))
            continue
        g = d["group"]
        deadline = d["deadline"]
        if deadline is None:
            status = DeadlineStatus.NONE
        elif deadline.toordinal() < now_ord:
            status = DeadlineStatus.OVERDUE
        elif end > deadline:
            status = DeadlineStatus.MISSES
        else:
            status = DeadlineStatus.MEETS
        sources = tuple(sorted({assets[i].algorithm for i in g.indexes}))
        stance = stances[g.system]
        reason = _reason(g, stance)
        locs = d["locs"]
        actions.append(Action(
            id=j.id, rank=rank[j.id], kind=g.kind, system=g.system, purpose=g.purpose, protocol=g.protocol,
            title=_title(g, sources), source_algorithms=sources, target=g.target, rule_id=g.rule_id,
            reason=reason, rule_source=g.rule_source, urgency=g.urgency,
            asset_ids=tuple(sorted(assets[i].asset_id for i in g.indexes)),
            locations=tuple(locs[:_LOCATIONS_SHOWN]), locations_total=len(locs),
            probability_exposed=round(d["p"], 9), value=d["value"], risk=round(d["risk"], 9),
            policy_deadline=d["policy_deadline"], policy_deadline_source=d["policy_source"],
            mosca_need_by=d["mosca_need_by"], deadline=deadline, deadline_source=d["deadline_source"],
            depends_on=tuple(sorted(job_by_id[x].id for x in j.deps)), sync_group=d["sync"],
            start=start, end=end, start_year=start.year, end_year=end.year,
            duration_years=round(j.duration, 6), effort_days=round(j.effort_days, 6), deadline_status=status,
            wave=wave_of_year[start.year], rejected=tuple(g.rejected),
            notes=((f"deviation: {g.deviation}",) if g.deviation else ()) + tuple(j.notes),
        ))
    waves = _waves(actions, wave_of_year)

    accepted: list[AcceptedRisk] = []
    for g in acc_groups:
        idx = np.asarray(g.indexes)
        o = dl_ord[idx].min()
        accepted.append(AcceptedRisk(
            id="acc-" + _hash(*g.key)[:12], system=g.system, algorithm=assets[g.indexes[0]].algorithm,
            purpose=g.purpose, rule_id=g.rule_id, reason=g.reason, source=g.rule_source,
            asset_ids=tuple(sorted(assets[i].asset_id for i in g.indexes)),
            probability_exposed=round(float(prob[idx].max()), 9),
            review_by=dt.date.fromordinal(int(max(o, now_ord))) if math.isfinite(o) else None,
        ))
    accepted.sort(key=lambda r: (r.system, r.rule_id, r.algorithm, r.id))

    with_action = sum(len(g.indexes) for g in act_groups)
    n_accepted = sum(len(g.indexes) for g in acc_groups)
    by_kind: dict[str, int] = {}
    for a in actions:
        by_kind[a.kind.value] = by_kind.get(a.kind.value, 0) + 1
    summary = PlanSummary(
        assets=n, vulnerable=int(vulnerable), with_action=with_action, accepted_risk=n_accepted,
        review=len(review), safe=n - with_action - n_accepted - len(review), actions=len(actions),
        waves=len(waves),
        deadlines_met=sum(a.deadline_status is DeadlineStatus.MEETS for a in actions),
        deadlines_missed=sum(a.deadline_status is DeadlineStatus.MISSES for a in actions),
        overdue=sum(a.deadline_status is DeadlineStatus.OVERDUE for a in actions),
        first_year=min((a.start_year for a in actions), default=None),
        last_year=max((a.end_year for a in actions), default=None),
        qkd_pairs=len(decisions), qkd_recommended=sum(d.mode is QkdMode.QKD_PQC for d in decisions),
        qkd_capex=sum(d.cost.capex for d in decisions if d.mode is QkdMode.QKD_PQC and d.cost is not None),
        by_kind=dict(sorted(by_kind.items())),
    )
    inputs = PlanInputs(
        now=now, crqc=arrival.describe(),
        policies=tuple({"id": p.id, "edition": p.edition, "status": p.status,
                        "sha256": _hash(p.model_dump_json(by_alias=True))} for p in pols),
        budget=budget, migration_speed=float(migration_speed), quantile=quantile, relay_policy=relay_policy,
        qkd_network={"label": network.label, "sha256": network.sha256, "sites": len(network.sites),
                     "links": len(network.links), "organisation": network.organisation},
        inventory={"assets": n, "systems": len(inventory.systems), "data_flows": len(inventory.data_flows),
                   "fingerprint": _hash(*(a.asset_id for a in assets), "|", *(s.id for s in inventory.systems)),
                   "targets": list(inventory.scan.targets)},
        catalogs={"migration_rules.yaml": rules.sha256, "qkd_costs": costs.sha256 or sha256_text(""),
                  "qkd_costs_label": costs.label},
        tool_version=qrisk.__version__,
    )
    used = {sid for sid in sys_ids} | {a.system for a in actions}
    return MigrationPlan(
        inputs=inputs, summary=summary, stances={k: v for k, v in sorted(stances.items()) if k in used},
        actions=tuple(actions), waves=waves, accepted_risks=tuple(accepted), review=tuple(sorted(review)),
        qkd=decisions,
    )


_VERB = {
    ActionKind.UPGRADE_LIBRARY: "Upgrade",
    ActionKind.RECONFIGURE: "Reconfigure",
    ActionKind.REISSUE_CERTIFICATE: "Reissue",
    ActionKind.REKEY_CA: "Re-key CA",
    ActionKind.ROTATE_KEY: "Rotate",
    ActionKind.CHANGE_CODE: "Change code",
    ActionKind.REPLACE_DEVICE: "Replace device",
    ActionKind.DEPLOY_QKD: "Deploy QKD",
}


def _title(g: _Group, sources: tuple[str, ...]) -> str:
    assert g.kind is not None and g.target is not None
    where = f" {g.protocol.value.upper()}" if g.protocol is not Protocol.NONE else ""
    what = f"{g.purpose.value}{where}"
    n = len(g.indexes)
    return f"{_VERB[g.kind]}: {what} ({', '.join(sources)}) -> {g.target.name} [{g.system}, {n} asset{'s' if n != 1 else ''}]"


def _reason(g: _Group, stance: Stance) -> str:
    parts = [f"{g.rule_title}: {g.reason}."]
    pol = ", ".join(stance.policies) if stance.policies else "none (default stance)"
    parts.append(f"Policies for {g.system}: {pol}; hybrid {stance.hybrid.value}, NIST category >= {stance.min_level}"
                 + (f" (prefer {stance.prefer_level})" if stance.prefer_level > stance.min_level else "") + ".")
    if g.rejected:
        parts.append("Ruled out: " + describe_rejections(g.rejected) + ".")
    if g.urgency is Urgency.IMMEDIATE:
        parts.append("Classically broken: replace now, whatever the CRQC timeline.")
    if g.target is not None and g.target.alternatives:
        parts.append("Alternatives: " + ", ".join(g.target.alternatives) + ".")
    if g.deviation:
        parts.append(f"Deviation: {g.deviation}.")
    return " ".join(parts)


def _waves(actions: Sequence[Action], wave_of_year: dict[int, int]) -> tuple[Wave, ...]:
    out = []
    for year, number in sorted(wave_of_year.items(), key=lambda t: t[1]):
        members = sorted((a for a in actions if a.start_year == year), key=lambda a: a.rank)
        kinds: dict[str, int] = {}
        for a in members:
            kinds[a.kind.value] = kinds.get(a.kind.value, 0) + 1
        summary = f"{len(members)} action(s) starting {year}: " + ", ".join(
            f"{k} x{v}" for k, v in sorted(kinds.items(), key=lambda t: (-t[1], t[0])))
        out.append(Wave(
            number=number, start_year=year, end_year=max(a.end_year for a in members),
            action_ids=tuple(a.id for a in members), assets=sum(len(a.asset_ids) for a in members),
            risk=round(sum(a.risk for a in members), 9),
            deadlines_missed=sum(a.deadline_status is DeadlineStatus.MISSES for a in members),
            overdue=sum(a.deadline_status is DeadlineStatus.OVERDUE for a in members), summary=summary,
        ))
    return tuple(out)
