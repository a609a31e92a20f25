"""The report's trend section: quantum-vulnerable assets per system over the complete scans of
the scan-history database (:mod:`qrisk.store`).

:func:`load_trend` is the only part that reads the database; :func:`trend_data` turns what it
read into the compact JSON the page draws its line chart and table from. The counts are
``Store.trend()``'s, so they equal ``qrisk history --trend -f json`` for the same database:
"vulnerable" is broken by a CRQC or already classically broken.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qrisk.store import Store, TrendPoint

TOP_SYSTEMS = 10
"""Systems drawn as their own line (by latest count); the rest are summed as "others"."""
MIN_SCANS = 2
"""Complete scans needed before there is a trend to draw."""


@dataclass(frozen=True)
class TrendScan:
    """One complete scan on the trend's time axis."""

    scan_id: int
    finished: dt.datetime
    targets: tuple[str, ...]


@dataclass(frozen=True)
class TrendSection:
    """What the history database holds for the trend (read once, before rendering)."""

    database: str
    """The database's file name (the page never shows the folder it lives in)."""
    scans: tuple[TrendScan, ...]
    """Every complete scan, oldest first (with its targets, which the points do not carry)."""
    points: tuple[TrendPoint, ...]


def load_trend(db: str | os.PathLike[str]) -> TrendSection:
    """Read the trend from an existing history database.

    Raises :class:`qrisk.store.StoreError` (one line, exit 2 in the CLI) when the file is missing,
    is not a qrisk database, or is damaged.
    """
    path = Path(db).expanduser()
    with Store(path, create=False) as store:
        records = store.scans()
        points = store.trend()
    scans = tuple(
        TrendScan(r.scan_id, r.finished or r.started, r.targets) for r in records if r.status == "complete"
    )
    return TrendSection(database=path.name, scans=scans, points=tuple(points))


def rank_systems(points: Sequence[TrendPoint], last_scan: int) -> list[str]:
    """System ids by vulnerable assets in the latest scan, then by their peak, then by id."""
    latest: dict[str, int] = {}
    peak: dict[str, int] = {}
    for p in points:
        peak[p.system] = max(peak.get(p.system, 0), p.vulnerable)
        if p.scan_id == last_scan:
            latest[p.system] = p.vulnerable
    return sorted(peak, key=lambda s: (-latest.get(s, 0), -peak[s], s))


def trend_data(section: TrendSection | None, *, top: int = TOP_SYSTEMS) -> dict[str, Any] | None:
    """The data island's ``trend``: None without a database; else the scans (oldest first), one
    series of vulnerable counts per shown system, "others" (the remaining systems summed, when
    there are more than ``top + 1``) and the total over all systems. A system with no assets in
    a scan counts 0 there."""
    if section is None:
        return None
    scans = section.scans
    # the point of zeros for system "" that Store.trend() gives a scan without assets marks
    # that scan (which `scans` holds anyway): it adds no count, and no line
    points = [p for p in section.points if p.system or p.total]
    out: dict[str, Any] = {
        "database": section.database,
        "complete_scans": len(scans),
        "min_scans": MIN_SCANS,
        "systems": len({p.system for p in points}),
        "scans": {"id": [], "finished": [], "targets": []},
        "series": [],
        "others": None,
        "total": [],
    }
    if len(scans) < MIN_SCANS:
        return out
    column = {s.scan_id: i for i, s in enumerate(scans)}
    values: dict[str, list[int]] = {}
    for p in points:
        i = column.get(p.scan_id)
        if i is not None:
            values.setdefault(p.system, [0] * len(scans))[i] = p.vulnerable
    ranked = rank_systems(points, scans[-1].scan_id)
    shown = ranked if len(ranked) <= top + 1 else ranked[:top]
    rest = ranked[len(shown):]
    out["scans"] = {
        "id": [s.scan_id for s in scans],
        "finished": [s.finished.astimezone(dt.UTC).isoformat(timespec="seconds") for s in scans],
        "targets": [list(s.targets) for s in scans],
    }
    out["series"] = [{"system": sid, "values": values.get(sid, [0] * len(scans))} for sid in shown]
    if rest:
        out["others"] = {"systems": len(rest), "values": [sum(values[sid][i] for sid in rest) for i in range(len(scans))]}
    out["total"] = [sum(v[i] for v in values.values()) for i in range(len(scans))]
    return out


__all__ = ["MIN_SCANS", "TOP_SYSTEMS", "TrendScan", "TrendSection", "load_trend", "rank_systems", "trend_data"]
