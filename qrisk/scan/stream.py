"""Bounded-memory assembly of a scan's assets and skips.

:func:`qrisk.scan.engine.build_assets` holds every finding and asset of a scan in memory,
which does not fit a million-file estate. An :class:`AssetStager` instead turns each
examined file's findings into one-occurrence assets as the file arrives and parks them,
with the file's skips, in a private temporary SQLite database (deleted when closed).
At the end one sorted query hands the rows back grouped by asset, in the inventory's
order; groups are merged and linked exactly as :func:`build_assets` does, so the streamed
inventory equals the in-memory one (tests compare them byte for byte).

Order of the inventory: assets by (first occurrence's location, its line, asset id),
each asset's occurrences by (location, line, rule id); skips by (location, reason, detail).
Merging keeps the first asset seen in walk order (``seq``) as the group's base, like the
in-memory path.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from qrisk.model import Asset, SkippedFile

if TYPE_CHECKING:
    from qrisk.scan.detectors import Detector
    from qrisk.scan.engine import FileResult

_FLUSH_ROWS = 5000


def _positional_codec() -> tuple[Any, Any]:
    from qrisk.scan.cache import _codec

    return _codec(Asset)


class AssetStager:
    """Receives :class:`FileResult` objects (``append``/``extend``, like the list the engine
    fills) without keeping them; yields merged assets and sorted skips at the end."""

    def __init__(self, root_systems: Sequence[str | None], detectors: Sequence[Detector]) -> None:
        self.root_systems = root_systems
        """Shared with the engine: endpoint results append their system before arriving."""
        self._detectors = list(detectors)
        self._rule_owner: dict[str, str] = {}
        self._enc, self._dec = _positional_codec()
        # "" = a private on-disk temporary database, removed when the connection closes
        self.conn = sqlite3.connect("", isolation_level=None)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -32768", "temp_store = FILE"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute(
            "CREATE TABLE stage (asset_id TEXT NOT NULL, k TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,"
            " fp TEXT, ski TEXT, subj TEXT)"
        )
        self.conn.execute("CREATE TABLE skip (location TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL)")
        self._rows: list[tuple[Any, ...]] = []
        self._skips: list[tuple[str, str, str]] = []
        self._seq = 0
        self.files_scanned = 0
        self.bytes_scanned = 0
        self.findings = 0

    # ---------------------------------------------------------------- intake

    def append(self, result: FileResult) -> None:
        from qrisk.scan.engine import asset_from_finding

        if result.scanned:
            self.files_scanned += 1
            self.bytes_scanned += result.nbytes
        if result.notes:
            self._skips.extend((n.location, n.reason, n.detail) for n in result.notes)
        if result.findings:
            idx = result.root_index
            system = self.root_systems[idx] if idx < len(self.root_systems) else None
            for f in result.findings:
                a = asset_from_finding(f, result.location, self._owner(f.rule_id), system)
                occ = a.occurrences[0]
                cert = a.certificate
                self._rows.append((
                    a.asset_id,
                    f"{occ.location}\x00{occ.line or 0:020d}",
                    self._seq,
                    json.dumps(self._enc(a), ensure_ascii=False, separators=(",", ":")),
                    a.fingerprint_sha256,
                    cert.subject_key_id if cert else None,
                    cert.subject if cert and (cert.is_ca or cert.self_signed) else None,
                ))
                self._seq += 1
                self.findings += 1
        if len(self._rows) >= _FLUSH_ROWS or len(self._skips) >= _FLUSH_ROWS:
            self.flush()

    def extend(self, results: Any) -> None:
        for r in results:
            self.append(r)

    def _owner(self, rule_id: str) -> str:
        owner = self._rule_owner.get(rule_id)
        if owner is None:
            from qrisk.scan.engine import _detector_for_rule

            owner = _detector_for_rule(rule_id, self._detectors)
            if owner == "unknown":
                from qrisk.scan.network.probe import network_detectors

                owner = _detector_for_rule(rule_id, network_detectors())  # type: ignore[arg-type]
            self._rule_owner[rule_id] = owner
        return owner

    def flush(self) -> None:
        if self._rows:
            self.conn.executemany("INSERT INTO stage VALUES (?, ?, ?, ?, ?, ?, ?)", self._rows)
            self._rows = []
        if self._skips:
            self.conn.executemany("INSERT INTO skip VALUES (?, ?, ?)", self._skips)
            self._skips = []

    def add_skips(self, skips: Sequence[SkippedFile]) -> None:
        """Skips recorded outside the examined files (walk, plan, probing)."""
        self._skips.extend((s.location, s.reason, s.detail) for s in skips)
        self.flush()

    # ---------------------------------------------------------------- output

    def count_skipped(self) -> int:
        self.flush()
        return int(self.conn.execute("SELECT count(*) FROM skip").fetchone()[0])

    def skipped(self) -> Iterator[SkippedFile]:
        self.flush()
        for loc, reason, detail in self.conn.execute("SELECT * FROM skip ORDER BY location, reason, detail"):
            yield SkippedFile(loc, reason, detail)

    def _first_rows(self, column: str) -> list[tuple[str, str, int]]:
        """(value, asset id) of each asset whose base row has ``column``, first seen first."""
        return self.conn.execute(
            f"SELECT {column}, asset_id, min(seq) AS s FROM stage WHERE {column} IS NOT NULL"
            f" GROUP BY asset_id ORDER BY s"
        ).fetchall()

    def assets(self) -> Iterator[Asset]:
        """The merged, linked assets in the inventory's order (see the module docstring)."""
        from qrisk.scan.engine import _Group

        self.flush()
        # link tables, as qrisk.scan.engine._link builds them (first seen wins)
        by_ski: dict[str, str] = {}
        for ski, aid, _ in self._first_rows("ski"):
            by_ski.setdefault(ski, aid)
        by_subject: dict[str, str] = {}
        for subj, aid, _ in self._first_rows("subj"):
            by_subject.setdefault(subj, aid)
        by_fp: dict[str, list[str]] = {}
        for fp, aid, _ in self.conn.execute(
            "SELECT fp, asset_id, min(seq) AS s FROM stage WHERE fp IN (SELECT fp FROM stage WHERE fp IS NOT NULL"
            " GROUP BY fp HAVING count(DISTINCT asset_id) > 1) GROUP BY asset_id ORDER BY s"
        ):
            by_fp.setdefault(fp, []).append(aid)
        cursor = self.conn.execute(
            "SELECT asset_id, body FROM (SELECT asset_id, seq, body, min(k) OVER (PARTITION BY asset_id) AS gk"
            " FROM stage) ORDER BY gk, asset_id, seq"
        )
        group: _Group | None = None
        for asset_id, body in cursor:
            a = self._dec(json.loads(body))
            if group is not None and group.first.asset_id == asset_id:
                group.add(a)
                continue
            if group is not None:
                yield _linked(group.asset(), by_ski, by_subject, by_fp)
            group = _Group(a)
        if group is not None:
            yield _linked(group.asset(), by_ski, by_subject, by_fp)

    def close(self) -> None:
        self.conn.close()


def _linked(a: Asset, by_ski: dict[str, str], by_subject: dict[str, str], by_fp: dict[str, list[str]]) -> Asset:
    """:func:`qrisk.scan.engine._link` for one asset, from prebuilt tables."""
    related: list[str] = list(a.related)
    if a.certificate and not a.certificate.self_signed:
        aki = a.certificate.authority_key_id
        issuer = by_ski.get(aki) if aki else by_subject.get(a.certificate.issuer)
        if issuer and issuer != a.asset_id and issuer not in related:
            related.append(issuer)
    if a.fingerprint_sha256:
        for other in by_fp.get(a.fingerprint_sha256, ()):
            if other != a.asset_id and other not in related:
                related.append(other)
    return replace(a, related=tuple(related)) if related != list(a.related) else a


__all__ = ["AssetStager"]
