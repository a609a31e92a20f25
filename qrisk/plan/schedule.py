"""Schedule actions into years: dependencies first, then priority, within an effort budget.

Time is measured in (decimal) years from ``now``. An action's duration is its share of its
system's migration time y (Mosca's y: the manifest's, or the prior of
``qrisk/catalog/migration.yaml``) along the system's own dependency chain, divided by
``--migration-speed``: a system whose work is library -> CA -> leaves splits y over those steps.
Actions that must move together (both ends of a protocol) form one unit and start together.
Units are placed by list scheduling: a unit is ready once everything it depends on has ended;
among ready units the most urgent goes first (classically broken, then the highest risk of the
unit and everything that waits for it, then the earliest deadline). With ``--budget
effort=DAYS`` a unit also waits until each calendar year it spans has the person-days its work
needs (its effort spread evenly over its duration); work that can never fit in a year is
stretched to the budget's pace. Waves are the calendar years in which actions start.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_MAX_YEARS = 200
"""Planning horizon for the capacity table; work that cannot fit before it is placed at its end."""


@dataclass
class Job:
    """An action as the scheduler sees it (mutable: the scheduler fills start/end)."""

    id: str
    system: str
    weight: float
    effort_days: float
    deps: set[str]
    priority: tuple[Any, ...]
    """Sort key: smaller is more urgent."""
    sync: str | None = None
    fixed_years: float | None = None
    """Duration independent of the system's y (QKD deployment)."""
    start: float = 0.0
    end: float = 0.0
    duration: float = 0.0
    notes: list[str] = field(default_factory=list)


class _Capacity:
    """Person-days per calendar year; year k spans [k - f0, k + 1 - f0) in years from now."""

    def __init__(self, per_year: float, f0: float) -> None:
        self.per_year = per_year
        self.f0 = f0
        self.used = [0.0] * (_MAX_YEARS + 2)

    def cap(self, k: int) -> float:
        length = 1.0 - self.f0 if k == 0 else 1.0
        return self.per_year * length

    def _years(self, s: float, e: float) -> list[tuple[int, float]]:
        out = []
        k = max(math.floor(s + self.f0), 0)
        while k - self.f0 < e and k <= _MAX_YEARS:
            lo, hi = max(s, k - self.f0), min(e, k + 1 - self.f0)
            if hi > lo:
                out.append((k, hi - lo))
            k += 1
        return out

    def fits(self, s: float, parts: Sequence[tuple[float, float]]) -> bool:
        """``parts``: (duration, rate in days per year) of each member starting at ``s``."""
        need: dict[int, float] = {}
        for d, rate in parts:
            for k, overlap in self._years(s, s + d):
                need[k] = need.get(k, 0.0) + rate * overlap
        return all(self.used[k] + v <= self.cap(k) + 1e-9 for k, v in need.items())

    def take(self, s: float, parts: Sequence[tuple[float, float]]) -> None:
        for d, rate in parts:
            for k, overlap in self._years(s, s + d):
                self.used[k] += rate * overlap

    def next_boundary(self, s: float) -> float:
        return math.floor(s + self.f0 + 1e-12) + 1 - self.f0


def _topological(jobs: dict[str, Job]) -> list[str]:
    """Kahn's order over the dependency graph; back edges of any cycle are dropped (with a note)."""
    indeg = {j: 0 for j in jobs}
    succ: dict[str, list[str]] = {j: [] for j in jobs}
    for j in jobs.values():
        for d in sorted(j.deps):
            if d in jobs:
                indeg[j.id] += 1
                succ[d].append(j.id)
    ready = sorted(j for j, n in indeg.items() if n == 0)
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        u = heapq.heappop(ready)
        order.append(u)
        for v in succ[u]:
            indeg[v] -= 1
            if indeg[v] == 0:
                heapq.heappush(ready, v)
    if len(order) < len(jobs):  # a cycle: keep going in id order, ignoring the unfinished dependencies
        rest = sorted(set(jobs) - set(order))
        for j in rest:
            jobs[j].notes.append("dependency cycle: scheduled without waiting for " + ", ".join(
                sorted(d for d in jobs[j].deps if d in rest)))
            jobs[j].deps = {d for d in jobs[j].deps if d in order}
        order += rest
    return order


def schedule(
    jobs: Sequence[Job], *, system_years: dict[str, float], speed: float,
    effort_per_year: float | None, year_fraction_at_now: float,
) -> None:
    """Fill ``start``, ``end`` and ``duration`` of every job (see the module docstring)."""
    by_id = {j.id: j for j in jobs}
    for j in jobs:
        j.deps = {d for d in j.deps if d in by_id and d != j.id}
    order = _topological(by_id)

    # Durations: each system's y split along its own longest chain of weights.
    chain: dict[str, float] = {}
    for jid in order:
        j = by_id[jid]
        inner = [chain[d] for d in j.deps if by_id[d].system == j.system and d in chain]
        chain[jid] = j.weight + max(inner, default=0.0)
    longest: dict[str, float] = {}
    for jid, c in chain.items():
        s = by_id[jid].system
        if by_id[jid].fixed_years is None:
            longest[s] = max(longest.get(s, 0.0), c)
    for j in jobs:
        if j.fixed_years is not None:
            j.duration = j.fixed_years / speed
        else:
            y = system_years.get(j.system, 0.0)
            j.duration = y * j.weight / longest[j.system] / speed if longest.get(j.system) else 0.0

    # Units: sync groups start together.
    unit_of: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for jid in order:
        key = by_id[jid].sync or jid
        unit_of[jid] = key
        members.setdefault(key, []).append(jid)
    unit_deps: dict[str, set[str]] = {u: set() for u in members}
    for u, ms in members.items():
        for m in ms:
            unit_deps[u] |= {unit_of[d] for d in by_id[m].deps if unit_of[d] != u}
    # A sync group that closes a cycle with its own dependencies falls back to single jobs.
    succ: dict[str, set[str]] = {u: set() for u in members}
    for u, ds in unit_deps.items():
        for d in ds:
            succ[d].add(u)
    prio = {u: min(by_id[m].priority for m in ms) for u, ms in members.items()}
    inherited = dict(prio)
    for u in _unit_reverse_order(members, unit_deps, succ):
        for s in succ[u]:
            if inherited[s] < inherited[u]:
                inherited[u] = inherited[s]

    cap = _Capacity(effort_per_year, year_fraction_at_now) if effort_per_year else None
    waiting = {u: len(ds) for u, ds in unit_deps.items()}
    heap = [(inherited[u], u) for u, n in waiting.items() if n == 0]
    heapq.heapify(heap)
    done: set[str] = set()
    while heap or len(done) < len(members):
        if not heap:  # a unit cycle: release the lowest remaining unit
            u = min(set(members) - done)
            for m in members[u]:
                by_id[m].notes.append("synchronised ends wait on each other: scheduled without waiting")
        else:
            _, u = heapq.heappop(heap)
            if u in done:
                continue
        ms = [by_id[m] for m in members[u]]
        earliest = max((by_id[d].end for m in ms for d in m.deps if unit_of[d] in done), default=0.0)
        start = _place(earliest, ms, cap)
        for m in ms:
            m.start = start
            m.end = start + m.duration
        done.add(u)
        for s in sorted(succ[u]):
            waiting[s] -= 1
            if waiting[s] == 0 and s not in done:
                heapq.heappush(heap, (inherited[s], s))


def _unit_reverse_order(
    members: dict[str, list[str]], deps: dict[str, set[str]], succ: dict[str, set[str]]
) -> list[str]:
    """Units in reverse topological order (successors first), cycles broken by id order."""
    indeg = {u: len(deps[u]) for u in members}
    ready = sorted(u for u, n in indeg.items() if n == 0)
    order: list[str] = []
    seen: set[str] = set()
    while ready:
        u = ready.pop()
        if u in seen:
            continue
        seen.add(u)
        order.append(u)
        for s in sorted(succ[u]):
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    order += sorted(set(members) - seen)
    return list(reversed(order))


def _place(earliest: float, ms: Sequence[Job], cap: _Capacity | None) -> float:
    if cap is None:
        return earliest
    parts = []
    for m in ms:
        if m.duration <= 0 or m.effort_days <= 0:
            continue
        rate = m.effort_days / m.duration
        longest_year = cap.per_year
        if rate > longest_year:  # never fits: stretch to the budget's pace
            m.duration = m.effort_days / longest_year
            m.notes.append(f"stretched to {m.duration:.2f} years by the effort budget")
            rate = longest_year
        parts.append((m.duration, rate))
    if not parts:
        return earliest
    s = earliest
    for _ in range(_MAX_YEARS + 1):
        if cap.fits(s, parts):
            cap.take(s, parts)
            return s
        s = cap.next_boundary(s)
    for m in ms:
        m.notes.append(f"the effort budget has no room within {_MAX_YEARS} years")
    return s
