"""Trusted-node networks: max-flow beyond the widest path, exposure, policy, OTP relay, key pools."""

from __future__ import annotations

import numpy as np
import pytest

from qrisk.errors import InputError
from qrisk.model import QkdLink, Site
from qrisk.qkd.network import (
    Demand,
    QkdNetwork,
    parse_demand,
    relay_one_time_pad,
    simulate_key_pool,
)


def _diamond(**relay_owner: str) -> QkdNetwork:
    """s - {u, v} - t with one short and one long arm: the widest single path is below the max-flow."""
    sites = [
        Site("s", owner="org"), Site("t", owner="org"),
        Site("u", owner=relay_owner.get("u", "org"), relay=True),
        Site("v", owner=relay_owner.get("v", "org"), relay=True),
    ]
    links = [
        QkdLink("s-u", "s", "u", 20.0), QkdLink("u-t", "u", "t", 20.0),
        QkdLink("s-v", "s", "v", 60.0), QkdLink("v-t", "v", "t", 60.0),
    ]
    return QkdNetwork.build(sites, links, organisation="org")


def test_diamond_max_flow_exceeds_widest_path() -> None:
    net = _diamond()
    cap = net.capacity("s", "t")
    r20 = net.rates["s-u"].secret_key_rate_bps
    r60 = net.rates["s-v"].secret_key_rate_bps
    assert cap.widest_path_bps == pytest.approx(r20)
    assert cap.max_flow_bps == pytest.approx(r20 + r60, rel=1e-6)
    assert cap.widest_path_bps < cap.max_flow_bps
    assert sorted(p.sites for p in cap.paths) == [("s", "u", "t"), ("s", "v", "t")]
    assert cap.exposed_sites == ("u", "v")
    assert cap.relay_overhead == pytest.approx(2.0)
    assert cap.link_key_consumed_bps == pytest.approx(2 * cap.max_flow_bps, rel=1e-6)


def test_policy_forbids_relays_the_organisation_does_not_own() -> None:
    net = _diamond(v="carrier")
    open_ = net.capacity("s", "t")
    own = net.capacity("s", "t", own_relays_only=True)
    assert "v" in open_.exposed_sites
    assert own.exposed_sites == ("u",)
    assert own.excluded_relays == ("v",)
    assert own.max_flow_bps == pytest.approx(net.rates["s-u"].secret_key_rate_bps, rel=1e-6)


def test_non_relay_and_untrusted_sites_never_relay() -> None:
    sites = [Site("a"), Site("b"), Site("mid", relay=False), Site("bad", relay=True, trusted=False)]
    links = [QkdLink("a-mid", "a", "mid", 10), QkdLink("mid-b", "mid", "b", 10),
             QkdLink("a-bad", "a", "bad", 10), QkdLink("bad-b", "bad", "b", 10)]
    cap = QkdNetwork.build(sites, links).capacity("a", "b")
    assert cap.max_flow_bps == 0
    assert cap.paths == ()
    assert set(cap.excluded_relays) == {"mid", "bad"}


def test_parallel_links_add_up_but_not_in_the_widest_path() -> None:
    sites = [Site("a"), Site("b")]
    links = [QkdLink("one", "a", "b", 30), QkdLink("two", "a", "b", 30, protocol="efficient-bb84")]
    net = QkdNetwork.build(sites, links)
    cap = net.capacity("a", "b")
    total = net.rates["one"].secret_key_rate_bps + net.rates["two"].secret_key_rate_bps
    assert cap.max_flow_bps == pytest.approx(total, rel=1e-6)
    assert cap.widest_path_bps == pytest.approx(net.rates["two"].secret_key_rate_bps)
    assert cap.exposed_sites == ()


def test_unknown_sites_are_input_errors() -> None:
    net = _diamond()
    with pytest.raises(InputError, match="unknown site"):
        net.capacity("s", "nowhere")
    with pytest.raises(InputError, match="unknown site"):
        QkdNetwork.build([Site("a")], [QkdLink("x", "a", "b", 1)])


def test_one_time_pad_relay_delivers_the_key_and_relays_see_it() -> None:
    rng = np.random.default_rng(1)
    key = rng.integers(0, 2, 256, dtype=np.uint8)
    hops = [rng.integers(0, 2, 256, dtype=np.uint8) for _ in range(3)]
    delivered, seen = relay_one_time_pad(key, hops)
    assert np.array_equal(delivered, key)
    assert len(seen) == 2 and all(np.array_equal(s, key) for s in seen)


def test_partly_met_demand_gives_a_fraction_strictly_between_0_and_1() -> None:
    demand = Demand(tunnels=100, period_s=60)  # 100 AES-256 rekeys a minute = 426.7 b/s
    half = simulate_key_pool(demand.demand_bps / 2, demand, horizon_s=3600)
    assert 0 < half.fraction_of_requests_met < 1
    assert half.fraction_of_requests_met == pytest.approx(0.5, abs=0.02)
    full = simulate_key_pool(demand.demand_bps * 1.01, demand, horizon_s=3600, initial_bits=10_000)
    assert full.fraction_of_requests_met == 1.0 and full.fraction_of_time_met == 1.0
    none = simulate_key_pool(0.0, demand, horizon_s=600)
    assert none.fraction_of_requests_met == 0.0


def test_pool_buffers_an_outage() -> None:
    demand = Demand(tunnels=10, period_s=10)  # 256 b/s
    supply = np.full(3600, 512.0)
    supply[1800:2400] = 0.0  # ten-minute link outage
    pool = simulate_key_pool(supply, demand, horizon_s=3600, pool_capacity_bits=256 * 10 * 70)
    assert pool.fraction_of_requests_met == 1.0  # the pool filled up before the outage
    small = simulate_key_pool(supply, demand, horizon_s=3600, pool_capacity_bits=256 * 20)
    assert 0 < small.fraction_of_requests_met < 1


@pytest.mark.parametrize("spec", ["100", "x/60", "10/0", "0/60"])
def test_bad_demand(spec: str) -> None:
    with pytest.raises(InputError, match="demand"):
        parse_demand(spec)
    assert parse_demand("100/60s").demand_bps == pytest.approx(100 * 256 / 60)
