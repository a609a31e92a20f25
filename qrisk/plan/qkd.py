"""Where a QKD link pays: QKD+PQC or PQC-only per site pair, with the constraint that decided.

For each pair of sites that exchange data (the manifest's ``data_flows``), the planner checks in
order: both sites are in the QKD network; the data's shelf life and value make QKD worth
considering; the policies in force accept QKD; the end-to-end key capacity (max-flow over the
trusted nodes the relay policy allows, :meth:`qrisk.qkd.network.QkdNetwork.capacity`) covers the
pair's key demand; the capital fits the budget. The first check that fails decides (``reason``).
Pairs are decided in order of value, and a pair that gets QKD takes its share of the link rates,
so later pairs see what is left. QKD keys are only ever combined with an ML-KEM secret
(never used alone): ETSI TS 103 744 CatKDF with the QKD key in the psk slot.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from qrisk.model import DataFlow, QkdLink, Site
from qrisk.plan.model import (
    Budget,
    QkdCost,
    QkdDecision,
    QkdMode,
    QkdReason,
    QkdStance,
    RelayPolicy,
    Stance,
)
from qrisk.plan.rules import MigrationRules, QkdCosts
from qrisk.qkd.network import Capacity, QkdNetwork

_RELAY_ORDER = list(RelayPolicy)
_QKD_ORDER = list(QkdStance)


@dataclass(frozen=True)
class NetworkInput:
    """A QKD network for the planner: the manifest's topology sections and where they came from."""

    sites: tuple[Site, ...]
    links: tuple[QkdLink, ...]
    organisation: str = ""
    label: str = "inventory"
    """Where the network came from (``inventory``, or the ``--qkd-network`` file as given)."""
    sha256: str = ""


@dataclass(frozen=True)
class SystemFacts:
    """What the QKD decision needs to know about a system."""

    shelf_life_years: float
    value: float
    high_value: bool
    probability_exposed: float


def _variant(net: QkdNetwork, sites: Mapping[str, Site], rates: Mapping[str, object] | None = None) -> QkdNetwork:
    return QkdNetwork(dict(sites), net.links, net.organisation, dict(rates if rates is not None else net.rates))  # type: ignore[arg-type]


def _capacity(net: QkdNetwork, a: str, b: str, relay: RelayPolicy) -> Capacity:
    match relay:
        case RelayPolicy.ANY_TRUSTED:
            return net.capacity(a, b)
        case RelayPolicy.OWN_ONLY:
            return net.capacity(a, b, own_relays_only=True)
        case RelayPolicy.NONE:
            direct = {k: dataclasses.replace(s, relay=False) for k, s in net.sites.items()}
            return _variant(net, direct).capacity(a, b)
    raise AssertionError(f"unhandled relay policy {relay!r}")  # pragma: no cover


def _capacity_any_relay(net: QkdNetwork, a: str, b: str) -> Capacity:
    """What the fibre could carry if every relay site were allowed to relay."""
    trusting = {k: dataclasses.replace(s, trusted=True) if s.relay else s for k, s in net.sites.items()}
    return _variant(net, trusting).capacity(a, b)


def _paths_for(cap: Capacity, need_bps: float) -> list[tuple[tuple[str, ...], float]]:
    """The paths that carry ``need_bps``: fewest relays first (each relay sees the key), then widest.

    Returns (sites, rate taken) per path; with no demand, the first path alone.
    """
    chosen: list[tuple[tuple[str, ...], float]] = []
    total = 0.0
    for p in sorted(cap.paths, key=lambda p: (len(p.sites), -p.rate_bps, p.sites)):
        if chosen and total >= need_bps:
            break
        take = min(p.rate_bps, need_bps - total) if need_bps > 0 else 0.0
        chosen.append((p.sites, take))
        total += take
    return chosen


def _links_between(net: QkdNetwork, u: str, v: str) -> list[QkdLink]:
    return sorted((lk for lk in net.links if {lk.a, lk.b} == {u, v}), key=lambda lk: lk.id)


def _cost(
    net: QkdNetwork, paths: Sequence[tuple[tuple[str, ...], float]], a: str, b: str, tunnels: int,
    costs: QkdCosts, paid: Mapping[str, str],
) -> QkdCost:
    """Capital and running cost of the links, trusted nodes and end-site KMEs ``paths`` need.

    ``paid`` maps link ids, ``node:`` and ``kms:`` site keys already paid for to the pair that paid.
    """
    d = costs.doc
    link_ids: list[str] = []
    for sites, _ in paths:
        for u, v in itertools.pairwise(sites):
            for lk in _links_between(net, u, v)[:1]:  # one system per hop carries the pair's key
                if lk.id not in link_ids:
                    link_ids.append(lk.id)
    relays = sorted({r for sites, _ in paths for r in sites[1:-1]})
    shared: set[str] = set()
    hardware = fibre = nodes = endpoints = 0.0
    km = 0.0
    by_id = {lk.id: lk for lk in net.links}
    for lid in link_ids:
        lk = by_id[lid]
        km += lk.length_km
        if lid in paid:
            shared.add(paid[lid])
            continue
        hardware += costs.link_hardware(lk.protocol)
        fibre += d.fibre_eur_per_km * lk.length_km
    for r in relays:
        if f"node:{r}" in paid:
            shared.add(paid[f"node:{r}"])
            continue
        nodes += d.trusted_node_eur
    for s in (a, b):
        if f"kms:{s}" in paid:
            shared.add(paid[f"kms:{s}"])
            continue
        endpoints += d.endpoint_kms_eur
    capex = hardware + fibre + nodes + endpoints
    annual = capex / d.service_life_years + capex * d.annual_opex_fraction
    return QkdCost(
        currency=d.currency, links=tuple(link_ids), fibre_km=round(km, 6), trusted_nodes=tuple(relays),
        hardware=hardware, fibre=fibre, nodes=nodes, endpoints=endpoints, capex=capex, annual=annual,
        per_tunnel_annual=annual / max(tunnels, 1), shared_with=tuple(sorted(shared)),
    )


def _reserve(net: QkdNetwork, paths: Sequence[tuple[tuple[str, ...], float]]) -> QkdNetwork:
    """The network left after ``paths`` carry their rates (parallel links share a hop pro rata)."""
    rates = dict(net.rates)
    for sites, taken in paths:
        for u, v in itertools.pairwise(sites):
            ids = [lk.id for lk in _links_between(net, u, v)]
            total = sum(rates[i].secret_key_rate_bps for i in ids) or 1.0
            for i in ids:
                r = rates[i]
                cut = taken * r.secret_key_rate_bps / total
                rates[i] = dataclasses.replace(r, secret_key_rate_bps=max(r.secret_key_rate_bps - cut, 0.0))
    return _variant(net, net.sites, rates)


def _fmt_bps(x: float) -> str:
    return f"{x:,.4g} b/s"


def decide_qkd(
    flows: Iterable[DataFlow],
    network: NetworkInput | None,
    *,
    system_facts: Mapping[str, SystemFacts],
    stances: Mapping[str, Stance],
    default_stance: Stance,
    rules: MigrationRules,
    costs: QkdCosts,
    budget: Budget,
    relay_override: RelayPolicy | None = None,
) -> tuple[QkdDecision, ...]:
    """One decision per site pair with data flows (see the module docstring for the order of checks)."""
    pairs: dict[tuple[str, str], list[DataFlow]] = {}
    for f in flows:
        if f.a == f.b:
            continue
        pairs.setdefault(tuple(sorted((f.a, f.b))), []).append(f)  # type: ignore[arg-type]
    if not pairs:
        return ()
    net = QkdNetwork.build(network.sites, network.links, network.organisation) if network and network.links else None
    q = rules.qkd

    def facts(sid: str) -> SystemFacts:
        return system_facts.get(sid) or SystemFacts(0.0, 0.0, False, 0.0)

    order = []
    for (a, b), fl in pairs.items():
        systems = tuple(sorted({s for f in fl for s in f.systems}))
        value = max((facts(s).value for s in systems), default=0.0)
        p = max((facts(s).probability_exposed for s in systems), default=0.0)
        order.append((-(value * max(p, 1e-9)), -value, f"{a}--{b}", (a, b), fl, systems))
    order.sort(key=lambda t: (t[0], t[1], t[2]))

    remaining = budget.qkd_eur
    paid: dict[str, str] = {}
    out: list[QkdDecision] = []
    for _, _, pair_id, (a, b), fl, systems in order:
        demand = sum(f.key_demand_bps for f in fl)
        need = demand * q.capacity_margin
        tunnels = sum(f.tunnels for f in fl)
        st = [stances.get(s, default_stance) for s in systems] or [default_stance]
        policies = tuple(sorted({p for s in st for p in s.policies}))
        qkd_stance = max((s.qkd for s in st), key=_QKD_ORDER.index)
        relay = relay_override or max((s.relays for s in st), key=_RELAY_ORDER.index)
        level5 = max(s.level for s in st) >= 5
        shelf = max((facts(s).shelf_life_years for s in systems), default=0.0)
        value = max((facts(s).value for s in systems), default=0.0)
        high_value = any(facts(s).high_value for s in systems)
        checks: dict[str, bool] = {}
        details: dict[str, str] = {}

        linked = {end for lk in net.links for end in (lk.a, lk.b)} if net is not None else set()
        in_net = net is not None and a in linked and b in linked
        checks["network"] = in_net
        if not in_net:
            missing = [s for s in (a, b) if s not in linked]
            details["network"] = (f"site(s) {', '.join(missing)} not in the QKD network ({network.label})"
                                  if net is not None and network is not None else "no QKD network given")
        checks["shelf-life"] = shelf >= q.min_shelf_life_years
        details["shelf-life"] = f"shelf life {shelf:g} y vs {q.min_shelf_life_years:g} y needed to consider QKD"
        checks["value"] = high_value or value >= q.min_value
        details["value"] = f"value {value:g} vs {q.min_value:g} needed (or a high-value system)"
        checks["policy"] = qkd_stance is not QkdStance.NOT_ENDORSED
        refusing = sorted(p for p in policies if rules.stances.get(p) is not None
                          and rules.stances[p].qkd is QkdStance.NOT_ENDORSED)
        details["policy"] = (f"{', '.join(refusing)} {'does' if len(refusing) == 1 else 'do'} not endorse QKD"
                             if refusing else f"QKD stance of the policies in force: {qkd_stance.value}")

        cap = cap_any = None
        if in_net and net is not None:
            cap = _capacity(net, a, b, relay)
            cap_any = _capacity_any_relay(net, a, b)
        c_pol = cap.max_flow_bps if cap else 0.0
        c_any = cap_any.max_flow_bps if cap_any else 0.0
        refused = tuple(sorted(set(cap_any.exposed_sites if cap_any else ()) - set(cap.exposed_sites if cap else ())))
        if in_net:
            checks["relay"] = not (c_pol < need <= c_any)
            details["relay"] = (
                f"{_fmt_bps(c_pol)} under relay policy '{relay.value}' without {', '.join(refused) or 'the refused relays'}; "
                f"{_fmt_bps(c_any)} if they could relay; demand {_fmt_bps(demand)}"
            )
            checks["capacity"] = c_pol >= need
            details["capacity"] = f"end-to-end capacity {_fmt_bps(c_pol)} vs demand {_fmt_bps(demand)}"
            if q.capacity_margin != 1.0:
                details["capacity"] += f" x margin {q.capacity_margin:g}"

        cost = None
        chosen: list[tuple[tuple[str, ...], float]] = []
        use_cap = cap if cap is not None and c_pol > 0 else (cap_any if cap_any is not None and c_any > 0 else None)
        if net is not None and use_cap is not None:
            chosen = _paths_for(use_cap, need)
            cost = _cost(net, chosen, a, b, tunnels, costs, paid)
        relays_used = tuple(sorted({r for sites, _ in chosen for r in sites[1:-1]}))
        passed_so_far = all(checks.get(k, True) for k in ("network", "shelf-life", "value", "policy", "relay", "capacity"))
        if passed_so_far and cost is not None and remaining is not None:
            checks["budget"] = cost.capex <= remaining + 1e-9
            details["budget"] = f"capital {cost.capex:,.0f} {cost.currency} vs {remaining:,.0f} left of the QKD budget"

        reason = QkdReason.CAPACITY_COVERS_DEMAND
        for key, r in (("network", QkdReason.NETWORK), ("shelf-life", QkdReason.SHELF_LIFE), ("value", QkdReason.VALUE),
                       ("policy", QkdReason.POLICY), ("relay", QkdReason.RELAY), ("capacity", QkdReason.CAPACITY),
                       ("budget", QkdReason.BUDGET)):
            if checks.get(key) is False:
                reason = r
                break
        mode = QkdMode.QKD_PQC if reason is QkdReason.CAPACITY_COVERS_DEMAND else QkdMode.PQC_ONLY
        pqc = q.keying.pqc_level5 if level5 else q.keying.pqc
        if mode is QkdMode.QKD_PQC:
            assert cap is not None and net is not None and cost is not None
            detail = (f"{details['capacity']}: QKD+PQC keying. " + details["policy"] + "."
                      + (f" Relays that see the key: {', '.join(relays_used)}." if relays_used else " Direct link."))
            keying = f"QKD key (ETSI GS QKD 014) combined with {pqc}: {q.keying.combiner}"
            if remaining is not None:
                remaining -= cost.capex
            for lid in cost.links:
                paid.setdefault(lid, pair_id)
            for r in cost.trusted_nodes:
                paid.setdefault(f"node:{r}", pair_id)
            for s in (a, b):
                paid.setdefault(f"kms:{s}", pair_id)
            net = _reserve(net, chosen)
        else:
            key = {QkdReason.NETWORK: "network", QkdReason.SHELF_LIFE: "shelf-life", QkdReason.VALUE: "value",
                   QkdReason.POLICY: "policy", QkdReason.RELAY: "relay", QkdReason.CAPACITY: "capacity",
                   QkdReason.BUDGET: "budget"}[reason]
            detail = f"PQC-only ({reason.value}): {details[key]}."
            keying = f"{pqc} key exchange alone (the systems' key-exchange targets); no QKD"
        paths = tuple((sites, round(rate, 6)) for sites, rate in chosen)
        out.append(QkdDecision(
            id=pair_id, a=a, b=b, flows=tuple(sorted(f.id for f in fl)), systems=systems, demand_bps=demand,
            shelf_life_years=shelf, value=value, mode=mode, reason=reason, detail=detail, relay_policy=relay,
            policies=policies, capacity_bps=c_pol, capacity_any_relay_bps=c_any,
            widest_path_bps=cap.widest_path_bps if cap else 0.0, paths=paths,
            relays=relays_used, refused_relays=refused, keying=keying, cost=cost,
            checks=dict(checks),
        ))
    return tuple(out)
