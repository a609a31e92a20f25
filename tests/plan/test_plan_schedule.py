"""Schedule: dependencies, both ends together, waves, deadlines, what-ifs and full coverage."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plan_factories import NOW, asset, certificate, inventory, library, system

from qrisk.model import AssetKind, QuantumStatus, Usage
from qrisk.plan import ActionKind, Budget, DeadlineStatus, Disposition, MigrationPlan, build_plan
from qrisk.risk.crqc import decimal_year


def _pki_estate():  # type: ignore[no-untyped-def]
    root = certificate("RSA", is_ca=True, self_signed=True, subject="CN=Root", system="pki")
    ica = certificate("ECDSA-P384", is_ca=True, issuer=root, subject="CN=Issuing", system="pki")
    leaf = certificate("RSA", issuer=ica, system="web")
    other_leaf = certificate("ECDSA-P256", issuer=ica, system="web", subject="CN=other")
    systems = [system("pki", jurisdictions=("US",), migration_years=4.0, category="niche"),
               system("web", jurisdictions=("US",), migration_years=2.0)]
    return inventory([root, ica, leaf, other_leaf], systems), root, ica, leaf


def _action_of(plan: MigrationPlan, asset_id: str):  # type: ignore[no-untyped-def]
    return next(a for a in plan.actions if asset_id in a.asset_ids)


def test_pki_roots_before_intermediates_before_leaves() -> None:
    inv, root, ica, leaf = _pki_estate()
    plan = build_plan(inv, policies="nist-ir-8547", now=NOW, crqc="year:2035")
    a_root, a_ica, a_leaf = (_action_of(plan, x.asset_id) for x in (root, ica, leaf))
    assert a_root.id != a_ica.id
    assert a_root.id in a_ica.depends_on and a_ica.id in a_leaf.depends_on
    assert a_root.end <= a_ica.start and a_ica.end <= a_leaf.start
    assert a_root.wave < a_ica.wave < a_leaf.wave
    # the pki system's y (4 years) is split along its chain root (weight 2) -> issuing CA (weight 2)
    assert a_root.duration_years == a_ica.duration_years == 2.0


def test_both_ends_of_a_protocol_start_together() -> None:
    server = asset("ECDH-P256", where="tls-endpoint", location="tls://api.example.org:443", system="server")
    lib = library(system="server")
    client = asset("X25519", where="tls-config", system="client")
    systems = [system("server", migration_years=1.0),
               system("client", migration_years=3.0, endpoints=("tls://api.example.org:443",))]
    plan = build_plan(inventory([server, lib, client], systems), policies="nist-ir-8547", now=NOW, crqc="year:2035")
    a_server, a_client = _action_of(plan, server.asset_id), _action_of(plan, client.asset_id)
    assert a_server.sync_group is not None and a_server.sync_group == a_client.sync_group
    assert a_server.start == a_client.start
    up = _action_of(plan, lib.asset_id)
    assert a_server.start >= up.end  # the server's library gates both ends


def test_waves_are_start_years_in_order() -> None:
    inv, *_ = _pki_estate()
    plan = build_plan(inv, policies="nist-ir-8547", now=NOW, crqc="year:2035")
    years = [w.start_year for w in plan.waves]
    assert years == sorted(years) and len(set(years)) == len(years)
    for w in plan.waves:
        for aid in w.action_ids:
            assert plan.action(aid).start_year == w.start_year and plan.action(aid).wave == w.number
    assert [a.rank for a in plan.actions] == list(range(1, len(plan.actions) + 1))


def test_deadline_status_matches_dates() -> None:
    inv, *_ = _pki_estate()
    plan = build_plan(inv, policies="nist-ir-8547,cnsa-2.0", now=NOW, crqc="year:2033")
    assert plan.actions
    for a in plan.actions:
        if a.deadline is None:
            assert a.deadline_status is DeadlineStatus.NONE
        elif a.deadline < NOW:
            assert a.deadline_status is DeadlineStatus.OVERDUE
        else:
            assert a.deadline_status is (DeadlineStatus.MEETS if a.end <= a.deadline else DeadlineStatus.MISSES)
        assert a.deadline == min(d for d in (a.policy_deadline, a.mosca_need_by) if d is not None)


def test_policy_deadline_comes_from_the_compliance_rules() -> None:
    leaf = certificate("RSA")
    plan = build_plan(inventory([leaf], [system("s1", jurisdictions=("US",), category="niche")]),
                      policies="cnsa-2.0", now=NOW, crqc="year:2060")
    a = _action_of(plan, leaf.asset_id)
    assert a.policy_deadline == dt.date(2033, 12, 31)
    assert a.policy_deadline_source == "cnsa-2.0 CNSA2-NICHE"


def test_earlier_crqc_moves_the_need_by_date() -> None:
    kex = asset("ECDH-P256", where="tls-config")
    inv = inventory([kex], [system("s1", retention=7.0)])
    late = build_plan(inv, policies="nist-ir-8547", now=NOW, crqc="year:2045")
    early = build_plan(inv, policies="nist-ir-8547", now=NOW, crqc="year:2030")
    a_late, a_early = late.actions[0], early.actions[0]
    assert a_late.mosca_need_by == dt.date(2038, 1, 1)  # 2045 - 7 years of shelf life
    assert a_early.mosca_need_by == dt.date(2023, 1, 1)
    assert a_early.deadline_status is DeadlineStatus.OVERDUE
    assert a_late.deadline_status is DeadlineStatus.MEETS
    assert late.inputs.crqc["spec"] == "year:2045" and early.inputs.crqc["spec"] == "year:2030"


def test_policy_changes_the_targets() -> None:
    kex = asset("X25519", where="tls-endpoint")
    inv_us = inventory([kex], [system("s1", jurisdictions=("US",))])
    assert build_plan(inv_us, policies="nist-ir-8547", now=NOW).actions[0].target.name == "X25519MLKEM768"
    assert build_plan(inv_us, policies="cnsa-2.0", now=NOW).actions[0].target.name == "ML-KEM-1024"


def test_migration_speed_shortens_the_plan() -> None:
    inv, *_ = _pki_estate()
    slow = build_plan(inv, policies="nist-ir-8547", now=NOW, crqc="year:2035")
    fast = build_plan(inv, policies="nist-ir-8547", now=NOW, crqc="year:2035", migration_speed=2.0)
    assert max(a.end for a in fast.actions) < max(a.end for a in slow.actions)
    for a in fast.actions:
        assert a.duration_years * 2 == slow.action(a.id).duration_years
    assert fast.inputs.migration_speed == 2.0


def test_effort_budget_delays_work_and_is_never_exceeded() -> None:
    assets = [asset("ECDH-P256", where="tls-config", system=f"s{i}") for i in range(6)]
    inv = inventory(assets, [system(f"s{i}", migration_years=1.0) for i in range(6)])
    free = build_plan(inv, policies="nist-ir-8547", now=NOW, crqc="year:2035")
    cap = 3.0
    tight = build_plan(inv, policies="nist-ir-8547", now=NOW, crqc="year:2035",
                       budget=Budget(effort_days_per_year=cap))
    assert len(free.waves) == 1 and len(tight.waves) > 1
    assert max(a.end for a in tight.actions) > max(a.end for a in free.actions)
    used: dict[int, float] = {}
    for a in tight.actions:
        s, e = decimal_year(a.start), decimal_year(a.end)
        rate = a.effort_days / max(e - s, 1e-9)
        for y in range(a.start_year, a.end_year + 1):
            overlap = max(0.0, min(e, y + 1) - max(s, y))
            used[y] = used.get(y, 0.0) + rate * overlap
    assert all(v <= cap + 0.05 for v in used.values()), used  # dates are whole days


def test_every_vulnerable_asset_has_an_action_or_accepted_risk_example() -> None:
    assets = [asset("AES-128"), asset("RSA", kind=AssetKind.KEY, where="key"), asset("DES"),
              asset("SHA-256"), asset("X25519", where="ssh-endpoint"), asset("ML-KEM-768"),
              asset("mystery-cipher", status=QuantumStatus.UNKNOWN)]
    plan = build_plan(inventory(assets), policies="nist-ir-8547", now=NOW, crqc="year:2035")
    _check_coverage(plan, inventory(assets).assets)
    assert plan.summary.with_action + plan.summary.accepted_risk + plan.summary.review + plan.summary.safe == 7


def _vulnerable(plan: MigrationPlan, a) -> bool:  # type: ignore[no-untyped-def]
    stance = plan.stances[a.system or "(unassigned)"]
    return a.quantum_status in (QuantumStatus.BROKEN, QuantumStatus.CLASSICALLY_BROKEN) or (
        a.quantum_status is QuantumStatus.WEAKENED and stance.require_256_bit)


def _check_coverage(plan: MigrationPlan, assets) -> None:  # type: ignore[no-untyped-def]
    in_actions = [i for a in plan.actions for i in a.asset_ids]
    in_accepted = [i for r in plan.accepted_risks for i in r.asset_ids]
    assert len(in_actions) == len(set(in_actions))  # one action per asset
    assert not set(in_actions) & set(in_accepted)
    for a in assets:
        if _vulnerable(plan, a):
            assert plan.disposition(a.asset_id) in (Disposition.ACTION, Disposition.ACCEPTED_RISK), a
    for r in plan.accepted_risks:
        assert r.reason.strip() and r.rule_id


_ALGS = ["RSA", "ECDSA-P256", "ECDH-P256", "X25519", "Ed25519", "DH", "DSA", "AES-128", "AES-256", "3DES", "MD5",
         "SHA-1", "SHA-256", "HMAC-SHA256", "ML-KEM-768", "ML-DSA-65", "X25519MLKEM768", "ChaCha20-Poly1305",
         "secp256k1", "ElGamal", "mystery-cipher"]
_WHERE = ["tls-endpoint", "tls-config", "ssh-endpoint", "ssh-keys", "ipsec", "code", "key"]
_POLICIES = ["nist-ir-8547", "cnsa-2.0", "bsi", "anssi", "asd-ism", "uk-ncsc", "eu-pqc-roadmap", "pci-dss-4.0.1",
             "cnsa-2.0,anssi", ""]
_JUR = [(), ("US",), ("DE",), ("FR",), ("AU",), ("UK",), ("EU", "DE")]


@st.composite
def _estates(draw):  # type: ignore[no-untyped-def]
    n_sys = draw(st.integers(1, 3))
    systems = [system(f"s{i}", jurisdictions=draw(st.sampled_from(_JUR)),
                      category=draw(st.sampled_from([None, "web-cloud", "software-signing", "niche", "networking"])),
                      max_handshake_bytes=draw(st.sampled_from([None, 1500, 4096, 20000])),
                      mtu_bytes=draw(st.sampled_from([None, 1280])), name=draw(st.sampled_from(["app", "firmware"])))
               for i in range(n_sys)]
    assets = []
    for _ in range(draw(st.integers(1, 10))):
        alg = draw(st.sampled_from(_ALGS))
        sid = f"s{draw(st.integers(0, n_sys - 1))}"
        kind = draw(st.sampled_from([AssetKind.ALGORITHM, AssetKind.KEY, AssetKind.CERTIFICATE]))
        if kind is AssetKind.CERTIFICATE and alg in ("RSA", "ECDSA-P256", "Ed25519", "ML-DSA-65"):
            assets.append(certificate(alg, is_ca=draw(st.booleans()), system=sid))
        else:
            status = QuantumStatus.UNKNOWN if alg == "mystery-cipher" else None
            usage = draw(st.sampled_from([None, Usage.UNKNOWN, Usage.KEY_EXCHANGE, Usage.SIGNATURE]))
            assets.append(asset(alg, kind=AssetKind.KEY if kind is AssetKind.KEY else AssetKind.ALGORITHM,
                                where=draw(st.sampled_from(_WHERE)), system=sid, status=status, usage=usage))
    if draw(st.booleans()):
        assets.append(library(system="s0"))
    return inventory(assets, systems), draw(st.sampled_from(_POLICIES))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_estates())
def test_every_vulnerable_asset_has_an_action_or_accepted_risk(estate) -> None:  # type: ignore[no-untyped-def]
    inv, policies = estate
    plan = build_plan(inv, policies=policies or None, now=NOW, crqc="gri-2025:optimistic")
    _check_coverage(plan, inv.assets)
    for a in plan.actions:
        assert a.reason and a.target.name
        assert a.start <= a.end
        for dep in a.depends_on:
            if plan.action(dep).sync_group is None or plan.action(dep).sync_group != a.sync_group:
                assert plan.action(dep).end <= a.start
        if a.kind is ActionKind.REPLACE_DEVICE:
            assert a.rejected
