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

import contextlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from qrisk.errors import QriskError
from qrisk.model import Asset, SkippedFile

if TYPE_CHECKING:
    from qrisk.scan.detectors import Detector
    from qrisk.scan.engine import FileResult

_FLUSH_ROWS = 5000


@contextlib.contextmanager
def _staging_errors() -> Iterator[None]:
    """The temporary database's errors (a full temporary disk, above all) as one line."""
    try:
        yield
    except sqlite3.Error as exc:
        where = os.environ.get("SQLITE_TMPDIR") or tempfile.gettempdir()
        raise QriskError(f"temporary staging database in {where}: {exc} (set TMPDIR to a larger disk)") from None
# Below this many findings the stager keeps the results in memory and merges them like
# :func:`qrisk.scan.engine.build_assets` (the temporary database costs ≈40 µs a finding);
# past it, everything moves to disk. ~1.5 KB per finding: ≈150 MB at the threshold.
MEMORY_FINDINGS = 100_000


def _positional_codec() -> tuple[Any, Any]:
    from qrisk.scan.cache import _codec

    return _codec(Asset)


class AssetStager:
    """Receives :class:`FileResult` objects (``append``/``extend``, like the list the engine
    fills) without keeping them; yields merged assets and sorted skips at the end."""

    def __init__(
        self, root_systems: Sequence[str | None], detectors: Sequence[Detector], *, memory_findings: int | None = None
    ) -> None:
        self.root_systems = root_systems
        """Shared with the engine: endpoint results append their system before arriving."""
        self._detectors = list(detectors)
        self._rule_owner: dict[str, str] = {}
        self._enc, self._dec = _positional_codec()
        self._memory_findings = MEMORY_FINDINGS if memory_findings is None else memory_findings
        self._held: list[FileResult] | None = []
        """Results kept in memory while the scan is small; None once spilled to disk."""
        self._held_skips: list[SkippedFile] = []
        self._conn: sqlite3.Connection | None = None
        self._rows: list[tuple[Any, ...]] = []
        self._skips: list[tuple[str, str, str]] = []
        self._seq = 0
        self.files_scanned = 0
        self.bytes_scanned = 0
        self.findings = 0

    @property
    def spilled(self) -> bool:
        """Whether the stager moved to its temporary database."""
        return self._held is None

    def _open(self) -> sqlite3.Connection:
        with _staging_errors():
            return self._open_db()

    def _open_db(self) -> sqlite3.Connection:
        # "" = a private on-disk temporary database, removed when the connection closes
        self.conn = sqlite3.connect("", isolation_level=None)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -32768", "temp_store = FILE"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute(
            "CREATE TABLE stage (asset_id TEXT NOT NULL, k TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,"
            " fp TEXT, ski TEXT, subj TEXT)"
        )
        self.conn.execute("CREATE TABLE skip (location TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL)")
        self._conn = self.conn
        return self.conn

    def _spill(self) -> None:
        held, skips = self._held or [], self._held_skips
        self._held, self._held_skips = None, []
        self._open()
        for r in held:
            self._stage(r)
        self.add_skips(skips)

    # ---------------------------------------------------------------- intake

    def append(self, result: FileResult) -> None:
        if result.scanned:
            self.files_scanned += 1
            self.bytes_scanned += result.nbytes
        self.findings += len(result.findings)
        if self._held is not None:
            if result.findings or result.notes:
                self._held.append(result)
            if self.findings > self._memory_findings:
                self._spill()
            return
        self._stage(result)

    def _stage(self, result: FileResult) -> None:
        from qrisk.scan.engine import asset_from_finding

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
        if len(self._rows) >= _FLUSH_ROWS or len(self._skips) >= _FLUSH_ROWS:
            self.flush()

    def extend(self, results: Any) -> None:
        for r in results:
            self.append(r)

    def _owner(self, rule_id: str) -> str:
        owner = self._rule_owner.get(rule_id)
        if owner is None:
            from qrisk.scan.engine import _detector_for_rule

            owner = self._rule_owner[rule_id] = _detector_for_rule(rule_id, self._detectors)
        return owner

    def flush(self) -> None:
        if self._conn is None:
            return
        with _staging_errors():
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self.conn.executemany("INSERT INTO stage VALUES (?, ?, ?, ?, ?, ?, ?)", self._rows)
            self._rows = []
        if self._skips:
            self.conn.executemany("INSERT INTO skip VALUES (?, ?, ?)", self._skips)
            self._skips = []

    def add_skips(self, skips: Sequence[SkippedFile]) -> None:
        """Skips recorded outside the examined files (walk, plan, probing)."""
        if self._held is not None:
            self._held_skips.extend(skips)
            return
        self._skips.extend((s.location, s.reason, s.detail) for s in skips)
        self.flush()

    # ---------------------------------------------------------------- output

    def skipped(self) -> Iterator[SkippedFile]:
        if self._held is not None:
            notes = [*self._held_skips, *(n for r in self._held for n in r.notes)]
            yield from sorted(notes, key=lambda s: (s.location, s.reason, s.detail))
            return
        self.flush()
        with _staging_errors():
            for loc, reason, detail in self.conn.execute("SELECT * FROM skip ORDER BY location, reason, detail"):
                yield SkippedFile(loc, reason, detail)

    def assets(self) -> Iterator[Asset]:
        """The merged, linked assets in the inventory's order (see the module docstring)."""
        from qrisk.scan.engine import build_assets

        if self._held is not None:
            yield from build_assets(self._held, self.root_systems, self._detectors)
            return
        self.flush()
        with _staging_errors():
            yield from self._merged()

    def _merged(self) -> Iterator[Asset]:
        from qrisk.scan.engine import _Group

        # Link tables, as qrisk.scan.engine._link builds them: from each asset's base row (its
        # first, which the merge keeps), first seen first. SQLite takes the bare columns of
        # an aggregate query with a lone min() from the row holding the minimum.
        self.conn.execute("DROP TABLE IF EXISTS base")
        self.conn.execute(
            "CREATE TEMP TABLE base AS SELECT asset_id, fp, ski, subj, min(seq) AS seq FROM stage GROUP BY asset_id"
        )
        by_ski: dict[str, str] = {}
        for ski, aid in self.conn.execute("SELECT ski, asset_id FROM base WHERE ski IS NOT NULL ORDER BY seq"):
            by_ski.setdefault(ski, aid)
        by_subject: dict[str, str] = {}
        for subj, aid in self.conn.execute("SELECT subj, asset_id FROM base WHERE subj IS NOT NULL ORDER BY seq"):
            by_subject.setdefault(subj, aid)
        by_fp: dict[str, list[str]] = {}
        for fp, aid in self.conn.execute(
            "SELECT fp, asset_id FROM base WHERE fp IN (SELECT fp FROM base WHERE fp IS NOT NULL GROUP BY fp"
            " HAVING count(*) > 1) ORDER BY seq"
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
        if self._conn is not None:
            self._conn.close()
            self._conn = None


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
