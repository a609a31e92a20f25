"""Trusted-node QKD networks: per-link rates, end-to-end capacity, relay accounting, key pools, exposure.

The topology is the manifest's (``sites`` and ``qkd_links``). Keys travel between two sites
hop by hop: each trusted node decrypts the incoming key with one link key and re-encrypts it
with the next (one-time pad), so every relay on a path sees the end-to-end key. The capacity
between two sites is the maximum flow over all relay paths (links carry key in either
direction, sharing their rate), not only the widest single path.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from qrisk.errors import InputError
from qrisk.model import QkdLink, Site, to_dict
from qrisk.qkd.channel import Channel
from qrisk.qkd.rates import key_rate

_SCALE = 1000.0
"""Flow arithmetic in milli-bits per second (integers for the network simplex)."""


@dataclass(frozen=True)
class LinkRate:
    """The secret key rate of one link."""

    id: str
    a: str
    b: str
    protocol: str
    length_km: float
    channel_loss_db: float
    secret_key_rate_bps: float
    plob_bound_bps: float
    owner: str = ""
    source: str = ""


@dataclass(frozen=True)
class PathFlow:
    """One path of the flow decomposition and the key rate it carries."""

    sites: tuple[str, ...]
    rate_bps: float

    @property
    def relays(self) -> tuple[str, ...]:
        """Intermediate trusted nodes: each sees the end-to-end key on this path."""
        return self.sites[1:-1]


@dataclass(frozen=True)
class LinkUse:
    """Key consumed on one link by an end-to-end flow (one link-key bit per relayed bit per hop)."""

    id: str
    used_bps: float
    capacity_bps: float


@dataclass(frozen=True)
class Capacity:
    """End-to-end key capacity between two sites over trusted relays."""

    source: str
    target: str
    max_flow_bps: float
    """Maximum flow over all allowed relay paths."""
    widest_path_bps: float
    """Bottleneck rate of the single best path, for comparison."""
    widest_path: tuple[str, ...]
    paths: tuple[PathFlow, ...]
    exposed_sites: tuple[str, ...]
    """Every relay that sees some of the end-to-end key."""
    link_use: tuple[LinkUse, ...]
    link_key_consumed_bps: float
    """Sum over links of key consumed: the hop-by-hop one-time-pad cost."""
    relay_overhead: float
    """link_key_consumed / max_flow (1 for a direct link, h for h hops)."""
    excluded_relays: tuple[str, ...] = ()
    """Sites that could not relay (not a relay, not trusted, or forbidden by policy)."""


@dataclass(frozen=True)
class Demand:
    """Key demand: ``tunnels`` tunnels each rekeying with ``key_bits`` every ``period_s`` seconds."""

    tunnels: int
    period_s: float
    key_bits: int = 256

    def __post_init__(self) -> None:
        if self.tunnels < 1:
            raise InputError(f"--demand: the number of tunnels must be at least 1 (got {self.tunnels})")
        if not self.period_s > 0:
            raise InputError(f"--demand: the rekey period must be positive (got {self.period_s:g} s)")
        if self.key_bits < 1:
            raise InputError(f"--key-bits: must be at least 1 (got {self.key_bits})")

    @property
    def demand_bps(self) -> float:
        return self.tunnels * self.key_bits / self.period_s


def parse_demand(spec: str, key_bits: int = 256) -> Demand:
    """``N/T``: N tunnels rekeying every T seconds (e.g. ``100/60``)."""
    tunnels, sep, period = spec.partition("/")
    try:
        if not sep:
            raise ValueError
        return Demand(int(tunnels), float(period.rstrip("s")), key_bits)
    except ValueError:
        raise InputError(f"--demand: expected TUNNELS/SECONDS such as 100/60 (got {spec!r})") from None


@dataclass(frozen=True)
class PoolResult:
    """Key-pool buffering against a demand."""

    supply_bps: float
    demand_bps: float
    horizon_s: float
    pool_capacity_bits: float
    requests: int
    requests_met: int
    fraction_of_requests_met: float
    fraction_of_time_met: float
    """Share of time steps in which every rekey request found key in the pool."""
    final_pool_bits: float
    min_pool_bits: float


def simulate_key_pool(
    supply_bps: float | Sequence[float], demand: Demand, *, horizon_s: float | None = None,
    pool_capacity_bits: float | None = None, initial_bits: float = 0.0, step_s: float = 1.0,
) -> PoolResult:
    """Fill a key pool at ``supply_bps`` (constant, or one value per step) and serve rekeys.

    Tunnel i rekeys at times (i / tunnels + m) * period; a request takes ``key_bits`` from the
    pool if present, otherwise it is not met at that time (the tunnel keeps its old key). The
    pool holds at most ``pool_capacity_bits`` (default: one hour of demand).
    """
    horizon = horizon_s if horizon_s is not None else max(3600.0, 100 * demand.period_s)
    steps = max(1, math.ceil(horizon / step_s))
    supply = np.broadcast_to(np.asarray(supply_bps, dtype=float), (steps,)) if np.ndim(supply_bps) == 0 else np.asarray(
        supply_bps, dtype=float
    )
    if supply.size != steps:
        raise InputError(f"supply profile has {supply.size} steps, expected {steps}")
    cap = pool_capacity_bits if pool_capacity_bits is not None else demand.demand_bps * 3600.0
    # requests per step, from each tunnel's phase
    phases = (np.arange(demand.tunnels) / demand.tunnels) * demand.period_s
    times = (phases[:, None] + demand.period_s * np.arange(math.ceil(horizon / demand.period_s) + 1)[None, :]).ravel()
    times = times[times < steps * step_s]
    per_step = np.bincount((times // step_s).astype(np.int64), minlength=steps)[:steps]
    pool = min(initial_bits, cap)
    met = 0
    steps_met = 0
    min_pool = pool
    kb = demand.key_bits
    for i in range(steps):
        pool = min(pool + supply[i] * step_s, cap)
        want = int(per_step[i])
        served = min(want, int(pool // kb))
        pool -= served * kb
        met += served
        steps_met += served == want
        min_pool = min(min_pool, pool)
    total = int(per_step.sum())
    return PoolResult(
        supply_bps=float(np.mean(supply)), demand_bps=demand.demand_bps, horizon_s=steps * step_s,
        pool_capacity_bits=cap, requests=total, requests_met=met,
        fraction_of_requests_met=met / total if total else 1.0, fraction_of_time_met=steps_met / steps,
        final_pool_bits=pool, min_pool_bits=min_pool,
    )


def relay_one_time_pad(key: np.ndarray, hop_keys: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Hop-by-hop relay of ``key`` over len(hop_keys) links; returns (key at the far end, what each relay decrypted).

    Hop i carries key XOR hop_keys[i]; the relay between hop i and i+1 decrypts with hop_keys[i]
    (so it learns the key) and re-encrypts with hop_keys[i+1].
    """
    if not hop_keys:
        raise InputError("a relay path needs at least one hop")
    seen: list[np.ndarray] = []
    ciphertext = key ^ hop_keys[0]
    for i in range(1, len(hop_keys)):
        plain = ciphertext ^ hop_keys[i - 1]
        seen.append(plain)
        ciphertext = plain ^ hop_keys[i]
    return ciphertext ^ hop_keys[-1], seen


@dataclass
class QkdNetwork:
    """Sites, links and their rates, with the relay policy."""

    sites: dict[str, Site]
    links: tuple[QkdLink, ...]
    organisation: str = ""
    rates: dict[str, LinkRate] = field(default_factory=dict)

    @classmethod
    def build(cls, sites: Iterable[Site], links: Iterable[QkdLink], organisation: str = "") -> QkdNetwork:
        site_map = {s.id: s for s in sites}
        link_list = tuple(links)
        for link in link_list:
            for end in (link.a, link.b):
                if end not in site_map:
                    raise InputError(f"qkd_links: link {link.id!r} names unknown site {end!r}")
        net = cls(site_map, link_list, organisation)
        for link in link_list:
            ch = Channel.from_link(link)
            r = key_rate(link.protocol, ch)
            net.rates[link.id] = LinkRate(
                link.id, link.a, link.b, link.protocol, link.length_km, ch.channel_loss_db,
                r.secret_key_rate_bps, r.plob_bound_bps, link.owner, link.source,
            )
        return net

    def can_relay(self, site_id: str, *, own_relays_only: bool) -> bool:
        site = self.sites[site_id]
        if not (site.relay and site.trusted):
            return False
        return not (own_relays_only and (not self.organisation or site.owner != self.organisation))

    def graph(self, source: str, target: str, *, own_relays_only: bool = False) -> tuple[nx.DiGraph, list[str]]:
        """Directed graph for a flow between two sites; each link gives two opposite arcs of its rate.

        Parallel links between the same sites add up. Sites that may not relay keep only
        their role as endpoints.
        """
        excluded = [s for s in self.sites if s not in (source, target) and not self.can_relay(s, own_relays_only=own_relays_only)]
        g = nx.DiGraph()
        g.add_nodes_from(s for s in self.sites if s not in excluded)
        for link in self.links:
            if link.a in excluded or link.b in excluded:
                continue
            rate = self.rates[link.id].secret_key_rate_bps
            for u, v in ((link.a, link.b), (link.b, link.a)):
                if g.has_edge(u, v):
                    g[u][v]["capacity"] += rate
                    g[u][v]["best_single"] = max(g[u][v]["best_single"], rate)
                    g[u][v]["links"].append(link.id)
                else:
                    g.add_edge(u, v, capacity=rate, best_single=rate, links=[link.id], weight=1)
        return g, excluded

    def capacity(self, source: str, target: str, *, own_relays_only: bool = False) -> Capacity:
        for s in (source, target):
            if s not in self.sites:
                raise InputError(f"--from/--to: unknown site {s!r} (known: {', '.join(sorted(self.sites))})")
        if source == target:
            raise InputError("--from and --to name the same site")
        g, excluded = self.graph(source, target, own_relays_only=own_relays_only)
        # Max-flow with the least total link-key use (every edge costs one hop): among all
        # maximum flows, the one whose hop-by-hop one-time pad consumes the least link key.
        # Network simplex wants integers: capacities in milli-bits per second.
        for _, _, data in g.edges(data=True):
            data["capacity_mbps"] = int(data["capacity"] * _SCALE)
        flow = nx.max_flow_min_cost(g, source, target, capacity="capacity_mbps", weight="weight")
        value = sum(flow[source].values()) / _SCALE - sum(flow[u].get(source, 0) for u in g.predecessors(source)) / _SCALE
        net_flow: dict[tuple[str, str], float] = {}
        for u, nbrs in flow.items():
            for v, f in nbrs.items():
                back = flow.get(v, {}).get(u, 0)
                if f > back:
                    net_flow[(u, v)] = (f - back) / _SCALE
        paths = _decompose(net_flow, source, target, value)
        widest_rate, widest = _widest_path(g, source, target)
        used: dict[tuple[str, str], float] = {}
        for p in paths:
            for u, v in zip(p.sites, p.sites[1:], strict=False):
                used[(u, v)] = used.get((u, v), 0.0) + p.rate_bps
        uses = [LinkUse("+".join(g[u][v]["links"]), f, g[u][v]["capacity"]) for (u, v), f in sorted(used.items())]
        consumed = sum(used.values())
        carried = sum(p.rate_bps for p in paths)
        exposed = sorted({r for p in paths for r in p.relays})
        return Capacity(
            source, target, carried, widest_rate, widest, tuple(paths), tuple(exposed), tuple(uses),
            consumed, consumed / carried if carried > 0 else 0.0, tuple(sorted(excluded)),
        )

    def end_sites(self) -> list[str]:
        """Sites that are not pure relays (the endpoints users care about)."""
        return [s.id for s in self.sites.values() if not s.relay]

    def to_dict(self) -> dict[str, Any]:
        return {
            "organisation": self.organisation,
            "sites": [to_dict(s) for s in self.sites.values()],
            "links": [to_dict(r) for r in self.rates.values()],
        }


def _decompose(net_flow: dict[tuple[str, str], float], source: str, target: str, value: float) -> list[PathFlow]:
    """Flow decomposition into source-target paths (greedy, bottleneck first)."""
    remaining = dict(net_flow)
    paths: list[PathFlow] = []
    tol = 1e-9 * max(value, 1.0)
    while True:
        adj: dict[str, list[tuple[float, str]]] = {}
        for (u, v), f in remaining.items():
            if f > tol:
                adj.setdefault(u, []).append((f, v))
        path = [source]
        seen = {source}
        while path[-1] != target:
            options = sorted(adj.get(path[-1], []), reverse=True)
            nxt = next((v for _, v in options if v not in seen), None)
            if nxt is None:
                break
            path.append(nxt)
            seen.add(nxt)
        if path[-1] != target:
            break
        bottleneck = min(remaining[(u, v)] for u, v in itertools.pairwise(path))
        for u, v in itertools.pairwise(path):
            remaining[(u, v)] -= bottleneck
        paths.append(PathFlow(tuple(path), bottleneck))
    return paths


def _widest_path(g: nx.DiGraph, source: str, target: str) -> tuple[float, tuple[str, ...]]:
    """Maximum-bottleneck path using one link per hop (modified Dijkstra)."""
    import heapq

    best = {source: math.inf}
    prev: dict[str, str] = {}
    heap = [(-math.inf, source)]
    done: set[str] = set()
    while heap:
        neg, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        if u == target:
            break
        for v, data in g[u].items():
            w = min(-neg, data["best_single"])  # one link per hop: parallel systems do not add
            if w > best.get(v, 0.0):
                best[v] = w
                prev[v] = u
                heapq.heappush(heap, (-w, v))
    if target not in best:
        return 0.0, ()
    path = [target]
    while path[-1] != source:
        path.append(prev[path[-1]])
    return float(best[target]), tuple(reversed(path))
