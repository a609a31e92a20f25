"""QKD decisions: capacity vs demand, relays the policy refuses, policy stance, eligibility, cost, budget."""

from __future__ import annotations

import pytest
from plan_factories import NOW, asset, demand_flow, inventory, system

from qrisk.model import Criticality, QkdLink, Site
from qrisk.plan import Budget, NetworkInput, QkdMode, QkdReason, RelayPolicy, build_plan
from qrisk.plan.rules import qkd_costs
from qrisk.qkd.network import QkdNetwork

ORG = "Example Org"
DEMAND_BPS = 1_000_000.0
"""Between the key rate of a 50 km and a 100 km decoy-BB84 link (about 2.6 Mb/s and 0.25 Mb/s)."""


def _rate(km: float) -> float:
    net = QkdNetwork.build([Site("a"), Site("b")], [QkdLink("l", "a", "b", km)])
    return net.rates["l"].secret_key_rate_bps


def _health_system(**kw: object) -> object:
    return system("s1", jurisdictions=("EU",), retention=30.0, data_class="health", criticality=Criticality.CRITICAL,
                  **kw)


def _plan(links: tuple[QkdLink, ...], sites: tuple[Site, ...], *, policies: str = "eu-pqc-roadmap",
          relay: RelayPolicy | None = None, budget: Budget | None = None, sys_obj: object | None = None,
          demand: float = DEMAND_BPS, network: NetworkInput | None = None):  # type: ignore[no-untyped-def]
    inv = inventory([asset("ECDH-P256", where="tls-config")], [sys_obj or _health_system()], sites=sites,
                    links=links, flows=(demand_flow("dc-a", "dc-b", demand),), organisation=ORG)
    return build_plan(inv, policies=policies, now=NOW, crqc="year:2035", relay_policy=relay, budget=budget,
                      qkd_network=network)


SITES = (Site("dc-a", owner=ORG), Site("dc-b", owner=ORG))


def test_demand_sits_between_the_two_distances() -> None:
    assert _rate(100) < DEMAND_BPS < _rate(50)


def test_ample_capacity_gets_qkd_plus_pqc() -> None:
    plan = _plan((QkdLink("direct", "dc-a", "dc-b", 50),), SITES)
    (d,) = plan.qkd
    assert d.mode is QkdMode.QKD_PQC
    assert d.reason is QkdReason.CAPACITY_COVERS_DEMAND
    assert d.capacity_bps >= d.demand_bps
    assert "ML-KEM" in d.keying and "key_ID" in d.keying
    deploy = [a for a in plan.actions if a.kind.value == "deploy-qkd"]
    assert len(deploy) == 1 and deploy[0].cost_eur == d.cost.capex  # type: ignore[union-attr]


def test_twice_the_distance_gets_pqc_only_for_capacity() -> None:
    plan = _plan((QkdLink("direct", "dc-a", "dc-b", 100),), SITES)
    (d,) = plan.qkd
    assert d.mode is QkdMode.PQC_ONLY
    assert d.reason is QkdReason.CAPACITY
    assert d.reason.value == "capacity"
    assert d.capacity_bps < d.demand_bps
    assert d.checks["capacity"] is False and d.checks["policy"] is True
    assert not [a for a in plan.actions if a.kind.value == "deploy-qkd"]


CARRIER_SITES = (Site("dc-a", owner=ORG), Site("dc-b", owner=ORG),
                 Site("hut", owner="Metro Carrier", relay=True, trusted=True))
RELAYED = (QkdLink("a-hut", "dc-a", "hut", 25), QkdLink("hut-b", "hut", "dc-b", 25))


def test_relay_path_accepted_when_policy_allows_trusted_nodes() -> None:
    plan = _plan(RELAYED, CARRIER_SITES, relay=RelayPolicy.ANY_TRUSTED)
    (d,) = plan.qkd
    assert d.mode is QkdMode.QKD_PQC
    assert d.relays == ("hut",)
    assert d.cost is not None and d.cost.trusted_nodes == ("hut",) and d.cost.nodes > 0


def test_untrusted_relay_refused_under_no_untrusted_relay_policy() -> None:
    plan = _plan(RELAYED, CARRIER_SITES, relay=RelayPolicy.OWN_ONLY)
    (d,) = plan.qkd
    assert d.mode is QkdMode.PQC_ONLY
    assert d.reason is QkdReason.RELAY
    assert d.refused_relays == ("hut",)
    assert d.capacity_bps == 0 and d.capacity_any_relay_bps >= d.demand_bps
    assert "hut" in d.detail


def test_relay_the_site_itself_distrusts_is_refused() -> None:
    sites = (SITES[0], SITES[1], Site("hut", owner=ORG, relay=True, trusted=False))
    plan = _plan(RELAYED, sites)
    (d,) = plan.qkd
    assert d.reason is QkdReason.RELAY and d.refused_relays == ("hut",)


def test_relays_forbidden_altogether() -> None:
    sites = (SITES[0], SITES[1], Site("hut", owner=ORG, relay=True))
    assert _plan(RELAYED, sites).qkd[0].mode is QkdMode.QKD_PQC
    assert _plan(RELAYED, sites, relay=RelayPolicy.NONE).qkd[0].reason is QkdReason.RELAY


def test_policy_that_does_not_endorse_qkd_decides() -> None:
    sys_obj = system("s1", jurisdictions=("US",), retention=30.0, criticality=Criticality.CRITICAL)
    plan = _plan((QkdLink("direct", "dc-a", "dc-b", 20),), SITES, policies="cnsa-2.0", sys_obj=sys_obj)
    (d,) = plan.qkd
    assert d.reason is QkdReason.POLICY and "cnsa-2.0" in d.detail
    assert d.keying.startswith("ML-KEM-1024")  # level-5 PQC alone


def test_short_shelf_life_is_not_worth_qkd() -> None:
    sys_obj = system("s1", jurisdictions=("EU",), retention=2.0, criticality=Criticality.CRITICAL)
    plan = _plan((QkdLink("direct", "dc-a", "dc-b", 20),), SITES, sys_obj=sys_obj)
    assert plan.qkd[0].reason is QkdReason.SHELF_LIFE


def test_low_value_is_not_worth_qkd() -> None:
    sys_obj = system("s1", jurisdictions=("EU",), retention=30.0, criticality=Criticality.LOW)
    plan = _plan((QkdLink("direct", "dc-a", "dc-b", 20),), SITES, sys_obj=sys_obj)
    assert plan.qkd[0].reason is QkdReason.VALUE


def test_site_outside_the_network() -> None:
    plan = _plan((QkdLink("other", "dc-a", "elsewhere", 20),), (*SITES, Site("elsewhere")))
    assert plan.qkd[0].reason is QkdReason.NETWORK


def test_budget_decides_and_cost_model_adds_up() -> None:
    costs = qkd_costs().doc
    plan = _plan((QkdLink("direct", "dc-a", "dc-b", 20),), SITES)
    cost = plan.qkd[0].cost
    assert cost is not None
    expected = costs.link_hardware_eur["decoy-bb84"] + 20 * costs.fibre_eur_per_km + 2 * costs.endpoint_kms_eur
    assert cost.capex == pytest.approx(expected)
    assert cost.annual == pytest.approx(expected / costs.service_life_years + expected * costs.annual_opex_fraction)
    poor = _plan((QkdLink("direct", "dc-a", "dc-b", 20),), SITES, budget=Budget(qkd_eur=expected - 1))
    assert poor.qkd[0].reason is QkdReason.BUDGET and poor.qkd[0].mode is QkdMode.PQC_ONLY
    rich = _plan((QkdLink("direct", "dc-a", "dc-b", 20),), SITES, budget=Budget(qkd_eur=expected))
    assert rich.qkd[0].mode is QkdMode.QKD_PQC


def test_standalone_network_wins_over_the_inventory() -> None:
    net = NetworkInput(SITES, (QkdLink("direct", "dc-a", "dc-b", 50),), ORG, "metro.yaml", "0" * 64)
    plan = _plan((QkdLink("direct", "dc-a", "dc-b", 100),), SITES, network=net)
    assert plan.qkd[0].mode is QkdMode.QKD_PQC
    assert plan.inputs.qkd_network["label"] == "metro.yaml"


def test_second_pair_sees_what_the_first_left() -> None:
    sites = (Site("dc-a", owner=ORG), Site("dc-b", owner=ORG), Site("dc-c", owner=ORG),
             Site("hub", owner=ORG, relay=True))
    links = (QkdLink("a-hub", "dc-a", "hub", 50), QkdLink("hub-b", "hub", "dc-b", 5), QkdLink("hub-c", "hub", "dc-c", 5))
    rate = _rate(50)
    s1 = system("s1", jurisdictions=("EU",), retention=30.0, criticality=Criticality.CRITICAL, value=10.0)
    s2 = system("s2", jurisdictions=("EU",), retention=30.0, criticality=Criticality.CRITICAL, value=5.0)
    flows = (demand_flow("dc-a", "dc-b", 0.7 * rate, ("s1",), "f1"), demand_flow("dc-a", "dc-c", 0.7 * rate, ("s2",), "f2"))
    inv = inventory([asset("ECDH-P256", system="s1"), asset("ECDH-P256", system="s2")], [s1, s2], sites=sites,
                    links=links, flows=flows, organisation=ORG)
    plan = build_plan(inv, policies="eu-pqc-roadmap", now=NOW, crqc="year:2035")
    by_id = {d.id: d for d in plan.qkd}
    assert by_id["dc-a--dc-b"].mode is QkdMode.QKD_PQC  # the higher-value pair goes first
    second = by_id["dc-a--dc-c"]
    assert second.reason is QkdReason.CAPACITY
    assert second.capacity_bps == pytest.approx(0.3 * rate, rel=1e-3)
    assert second.cost is not None and "dc-a--dc-b" in second.cost.shared_with
