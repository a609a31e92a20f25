"""Scan history in an embedded SQLite database: every scan, its findings and assets, so
``qrisk history``, ``qrisk diff`` and the report's trend can look back.

Crash safety (DESIGN, "History"): a scan row is committed as ``running`` when the scan
starts, findings are committed in batches as files are examined, and one final
transaction writes the merged assets and marks the row ``complete``. The issue asked for
"one transaction per scan"; a single transaction spanning a long scan would keep
everything invisible until the end, hold the write lock for hours and lose all evidence
of a killed scan. With the start commit + batched findings + final commit, a kill at any
moment leaves a valid database (SQLite's WAL journal makes every commit atomic) whose
scan row is still ``running``; a ``running`` row whose process is gone *reads* as
``incomplete``, and only the final commit can make a scan ``complete``.

The database holds no key material: findings and assets carry what the detectors
report (algorithm, size, public-key fingerprints, redacted snippets), and the per-file
cache (:mod:`qrisk.scan.cache`) stores keyed content digests, never content.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import qrisk
from qrisk.errors import InputError, QriskError
from qrisk.model import (
    Asset,
    DataFlow,
    Inventory,
    QkdLink,
    QuantumStatus,
    ScanInfo,
    Site,
    SkippedFile,
    System,
    from_dict,
    to_dict,
)

if TYPE_CHECKING:
    from qrisk.scan.engine import FileResult

DB_ENV = "QRISK_DB"
"""Environment variable naming the history database."""

# Quantum statuses that count as "quantum-vulnerable" in history and trends: broken by a
# CRQC (Shor) or already broken classically. Grover-weakened symmetric crypto is counted
# separately (it is not harvest-now-decrypt-later exposed in the same way).
VULNERABLE = (QuantumStatus.BROKEN.value, QuantumStatus.CLASSICALLY_BROKEN.value)

# A ``running`` scan recorded by another host cannot be checked by process id; it reads
# as incomplete once it has not committed a batch for this long.
STALE_AFTER_SECONDS = 3600.0


class StoreError(QriskError):
    """The history database cannot be used (unreadable, newer schema, unknown scan)."""


def default_db_path() -> Path:
    """``$QRISK_DB``, else ``$XDG_DATA_HOME/qrisk/qrisk.db`` (``~/.local/share/qrisk/qrisk.db``)."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "qrisk" / "qrisk.db"


# --------------------------------------------------------------------------- schema

# Each migration moves the schema from version N-1 to N (``PRAGMA user_version``) and runs
# in one transaction with the version bump, so a crash mid-migration leaves the old
# schema. Never edit a released migration: append a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: scan history
    (
        """CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        """CREATE TABLE scans (
            scan_id INTEGER PRIMARY KEY AUTOINCREMENT,
            status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'incomplete')),
            started TEXT NOT NULL,
            finished TEXT,
            heartbeat TEXT NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            pid_start TEXT,
            tool_version TEXT NOT NULL,
            targets TEXT NOT NULL,
            options TEXT NOT NULL DEFAULT '{}',
            organisation TEXT NOT NULL DEFAULT '',
            manifest TEXT,
            files_seen INTEGER,
            files_scanned INTEGER,
            bytes_scanned INTEGER,
            files_examined INTEGER NOT NULL DEFAULT 0,
            findings INTEGER NOT NULL DEFAULT 0,
            assets INTEGER,
            skipped INTEGER,
            context TEXT,
            error TEXT
        )""",
        """CREATE TABLE findings (
            scan_id INTEGER NOT NULL REFERENCES scans (scan_id) ON DELETE CASCADE,
            location TEXT NOT NULL,
            line INTEGER,
            rule_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            algorithm TEXT NOT NULL,
            body TEXT NOT NULL
        )""",
        "CREATE INDEX findings_by_scan ON findings (scan_id, location)",
        """CREATE TABLE assets (
            scan_id INTEGER NOT NULL REFERENCES scans (scan_id) ON DELETE CASCADE,
            asset_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            algorithm TEXT NOT NULL,
            quantum_status TEXT NOT NULL,
            system TEXT,
            location TEXT NOT NULL,
            occurrences INTEGER NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (scan_id, asset_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX assets_by_system ON assets (scan_id, system, quantum_status)",
        """CREATE TABLE skipped (
            scan_id INTEGER NOT NULL REFERENCES scans (scan_id) ON DELETE CASCADE,
            location TEXT NOT NULL,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL
        )""",
        "CREATE INDEX skipped_by_scan ON skipped (scan_id)",
    ),
    # 2: per-file cache for incremental rescans (qrisk/scan/cache.py)
    (
        """CREATE TABLE file_cache (
            path BLOB PRIMARY KEY,
            location TEXT NOT NULL,
            config TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            ctime_ns INTEGER NOT NULL,
            inode INTEGER NOT NULL,
            digest BLOB NOT NULL,
            verified_ns INTEGER NOT NULL,
            result TEXT,
            nbytes INTEGER NOT NULL
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def connect_reader(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A read-only connection to an existing history database (for worker processes that
    only look things up; errors are :class:`StoreError` as with :func:`connect`)."""
    p = Path(path).expanduser().resolve()
    try:
        conn = sqlite3.connect(
            p.as_uri() + "?mode=ro", uri=True, timeout=60.0, isolation_level=None, check_same_thread=False,
            factory=_Connection,
        )
    except sqlite3.DatabaseError as exc:
        raise store_error(p, exc) from exc
    assert isinstance(conn, _Connection)
    conn.path = p
    conn.execute("PRAGMA busy_timeout = 60000")
    return conn


def connect(path: str | os.PathLike[str], *, create: bool = True) -> sqlite3.Connection:
    """Open (and create or migrate) the history database; WAL mode, foreign keys on.

    Every SQLite error on the returned connection, also one found later while reading or
    writing (pages damaged past the header show only then), is a :class:`StoreError` naming
    the file (:func:`store_error`). An existing SQLite file that holds other tables is
    refused without being written to.
    """
    p = Path(path).expanduser()
    if not p.exists():
        if not create:
            raise StoreError(f"no scan history at {p} (store scans with: qrisk scan --db {p} …)")
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {p.parent}: {exc.strerror or exc}") from None
    try:
        # isolation_level=None: no implicit transactions; every write below opens its own
        # BEGIN IMMEDIATE … COMMIT, so what is committed together is explicit.
        conn = sqlite3.connect(
            p, timeout=60.0, isolation_level=None, check_same_thread=False, factory=_Connection
        )
    except sqlite3.DatabaseError as exc:
        raise store_error(p, exc) from exc
    assert isinstance(conn, _Connection)
    conn.path = p
    try:
        conn.execute("PRAGMA busy_timeout = 60000")
        # before anything writes: switching to WAL alone rewrites the file header
        _check_ours(conn, p)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":  # pragma: no cover - e.g. a network file system
            raise StoreError(f"{p}: SQLite cannot use WAL mode here (journal_mode={mode})")
        # NORMAL is durable across process crashes in WAL mode (a power cut may lose the last
        # commits, never consistency); FULL would fsync every batch.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(conn, p)
    except BaseException:
        conn.close()
        raise
    return conn


def _check_ours(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a SQLite database some other program made: qrisk initialises only an empty one."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    names = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    if not names and version == 0:
        return  # new or empty: _migrate creates the schema
    if version == 0 or "meta" not in names:
        detail = "it holds other tables" if names else f"schema version {version} without qrisk's tables"
        raise StoreError(f"{path}: not a qrisk database ({detail})")


# SQLite's primary result codes (the low byte of an extended code) that say something other
# than "this file is damaged or not a database"
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_NO_WRITE = (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR)


def store_error(path: str | os.PathLike[str], exc: sqlite3.Error) -> StoreError:
    """The one-line :class:`StoreError` for a SQLite error on the database at ``path``."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in _BUSY:
        return StoreError(
            f"{path}: the database is in use by another process ({message}); try again when it has finished"
        )
    if primary in _NO_WRITE:
        return StoreError(f"{path}: cannot read or write the database: {message}")
    if primary == sqlite3.SQLITE_CANTOPEN:
        return StoreError(f"{path}: cannot open the database: {message}")
    return StoreError(f"{path}: not a usable qrisk database: {message}")


class _Cursor(sqlite3.Cursor):
    """A cursor whose SQLite errors, also those met while stepping through rows, are
    :class:`StoreError` (a ``ProgrammingError`` is a bug in qrisk and stays one)."""

    def _error(self, exc: sqlite3.DatabaseError) -> BaseException:
        if isinstance(exc, sqlite3.ProgrammingError):
            return exc
        return store_error(getattr(self.connection, "path", "the history database"), exc)

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        try:
            super().execute(sql, parameters)
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from exc
        return self

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> _Cursor:
        try:
            super().executemany(sql, seq_of_parameters)
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from exc
        return self

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from exc

    def fetchmany(self, size: int | None = None) -> list[Any]:
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from exc

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from exc


class _Connection(sqlite3.Connection):
    """The history database's connection (made by :func:`connect`): statements run on a
    :class:`_Cursor`, so a damaged or busy database is a :class:`StoreError` wherever it
    shows, in the store and in the per-file cache (:mod:`qrisk.scan.cache`) alike."""

    path: Path

    def cursor(self, factory: Any = None) -> Any:
        """A :class:`_Cursor`, unless another ``factory`` is given."""
        return super().cursor(factory or _Cursor)

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        cursor: _Cursor = self.cursor()
        return cursor.execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> _Cursor:
        cursor: _Cursor = self.cursor()
        return cursor.executemany(sql, seq_of_parameters)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: database schema {version} is newer than this qrisk ({qrisk.__version__}) understands "
            f"({SCHEMA_VERSION}); upgrade qrisk"
        )
    if version == SCHEMA_VERSION:
        return
    with transaction(conn):
        # re-read inside the write lock: another process may have migrated meanwhile
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[number - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_migrated_by', ?)", (qrisk.__version__,)
        )


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        # SQLite may have rolled back already (after some I/O and corruption errors); a failed
        # ROLLBACK must not hide the error that caused it
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error, StoreError):
                conn.execute("ROLLBACK")
        raise


# --------------------------------------------------------------------------- process identity


def _process_start(pid: int) -> str | None:
    """Start time of a process (``/proc/PID/stat`` field 22), so a reused pid is not taken
    for the scan that died; None where /proc is not available."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    # the command name (field 2) may contain spaces and parentheses: split after the last ')'
    fields = raw[raw.rfind(b")") + 2:].split()
    return fields[19].decode() if len(fields) > 19 else None


def _alive(pid: int, pid_start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    except OSError:  # pragma: no cover
        return False
    if pid_start is not None:
        now_start = _process_start(pid)
        if now_start is not None and now_start != pid_start:
            return False
    return True


_ENCODERS: dict[type, Any] = {}


def _body(obj: Any) -> str:
    """JSON of a finding or asset, equal to ``json.dumps(to_dict(obj))`` but built by a
    precompiled encoder (the generic one costs ~100 µs per asset)."""
    enc = _ENCODERS.get(type(obj))
    if enc is None:
        from qrisk.scan.cache import named_encoder

        enc = _ENCODERS[type(obj)] = named_encoder(type(obj))
    return json.dumps(enc(obj), ensure_ascii=False, separators=(",", ":"))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class ScanRecord:
    """One row of ``qrisk history``."""

    scan_id: int
    status: str
    """``complete``, ``running`` or ``incomplete`` (killed, interrupted or failed)."""
    started: dt.datetime
    finished: dt.datetime | None
    targets: tuple[str, ...]
    tool_version: str
    host: str
    files_seen: int | None
    files_scanned: int | None
    files_examined: int
    """Files whose results reached the database (for an incomplete scan: how far it got)."""
    findings: int
    assets: int | None
    vulnerable: int | None
    """Assets broken by a CRQC or already classically broken."""
    skipped: int | None
    error: str | None = None


@dataclass(frozen=True)
class AssetSummary:
    """What ``qrisk diff`` compares: an asset's identity and the attributes that matter."""

    asset_id: str
    kind: str
    algorithm: str
    quantum_status: str
    system: str | None
    location: str
    """First location (sorted) where the asset was seen."""
    locations: tuple[str, ...]
    key_size: int | None = None
    curve: str | None = None
    parameter_set: str | None = None
    name: str = ""

    @property
    def label(self) -> str:
        size = f"-{self.key_size}" if self.key_size and self.algorithm in ("RSA", "DSA", "DH") else ""
        return f"{self.kind} {self.algorithm}{size}" + (f" ({self.name})" if self.name else "")


@dataclass(frozen=True)
class AssetChange:
    """An asset present in both scans whose attributes changed, or a replacement: the asset
    at a location was removed and another of the same kind appeared there (e.g. a
    certificate rotated from RSA to ML-DSA gets a new id, since its DER hash changes)."""

    before: AssetSummary
    after: AssetSummary
    fields: tuple[str, ...]
    """Names of the attributes that differ."""


@dataclass(frozen=True)
class ScanDiff:
    """What changed from scan ``a`` to scan ``b``."""

    a: int
    b: int
    added: tuple[AssetSummary, ...] = ()
    removed: tuple[AssetSummary, ...] = ()
    changed: tuple[AssetChange, ...] = ()
    unchanged: int = 0


@dataclass(frozen=True)
class TrendPoint:
    """Counts of assets of one system in one complete scan (the report's trend section)."""

    scan_id: int
    finished: dt.datetime
    system: str
    """System id; ``""`` for assets outside any manifest system."""
    vulnerable: int
    """Broken by a CRQC or classically broken."""
    weakened: int
    safe: int
    unknown: int
    total: int


_DIFF_FIELDS = ("kind", "algorithm", "quantum_status", "system", "key_size", "curve", "parameter_set")


# --------------------------------------------------------------------------- the store


class Store:
    """The history database. Writers: :meth:`start_scan`, :meth:`add_findings`,
    :meth:`finish_scan`, :meth:`abort_scan`; readers for history, diff and trend."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path).expanduser()
        self.conn = connect(self.path, create=create)
        self._host = socket.gethostname()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- writers

    def start_scan(
        self, targets: Sequence[str], *, started: dt.datetime | None = None, options: Mapping[str, Any] | None = None
    ) -> int:
        """Commit a ``running`` scan row at once, so even a scan killed in its first second
        leaves a trace that reads as ``incomplete``."""
        started = started or _now()
        pid = os.getpid()
        with transaction(self.conn):
            cur = self.conn.execute(
                "INSERT INTO scans (status, started, heartbeat, host, pid, pid_start, tool_version, targets, options)"
                " VALUES ('running', ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _iso(started), _iso(_now()), self._host, pid, _process_start(pid), qrisk.__version__,
                    json.dumps(list(targets)), json.dumps(dict(options or {}), sort_keys=True),
                ),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def add_findings(self, scan_id: int, batch: Sequence[FileResult], clean_files: int = 0) -> int:
        """Commit the findings of a batch of examined files (one transaction), counting
        ``clean_files`` more examined files that had nothing; returns the number of
        findings written."""
        rows = [
            (scan_id, r.location, f.line, f.rule_id, f.kind.value, f.algorithm, _body(f))
            for r in batch
            for f in r.findings
        ]
        with transaction(self.conn):
            self._check_running(scan_id)
            self.conn.executemany(
                "INSERT INTO findings (scan_id, location, line, rule_id, kind, algorithm, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self.conn.execute(
                "UPDATE scans SET findings = findings + ?, files_examined = files_examined + ?, heartbeat = ?"
                " WHERE scan_id = ?",
                (len(rows), len(batch) + clean_files, _iso(_now()), scan_id),
            )
        return len(rows)

    def finish_scan(self, scan_id: int, inventory: Inventory) -> None:
        """Write the merged assets, the skipped files and the summary, and mark the scan
        ``complete``: the scan reads as complete only once all of it is there."""
        tap = self.begin_finish(scan_id)
        tap.take(inventory)
        self.complete_scan(tap, inventory)

    def begin_finish(self, scan_id: int) -> _FinishTap:
        """Start writing a running scan's merged assets and skips: pass them through
        ``tap.assets(…)`` and ``tap.skipped(…)`` as they stream past (rows are committed in
        short batches, so no write lock is held while the caller writes its output), then
        :meth:`complete_scan`. Until then the scan is ``running``; readers ignore the rows of
        a scan that is not complete, and :meth:`abort_scan` removes them."""
        self._check_running(scan_id)
        return _FinishTap(self.conn, scan_id)

    def complete_scan(self, tap: _FinishTap, head: Inventory) -> None:
        """The final commit: the last rows, the summary (``head`` gives the metadata and the
        manifest context; its assets and skipped are not read), status ``complete``."""
        scan = head.scan
        context = {
            "systems": to_dict(head.systems),
            "sites": to_dict(head.sites),
            "qkd_links": to_dict(head.qkd_links),
            "data_flows": to_dict(head.data_flows),
        }
        with transaction(self.conn):
            self._check_running(tap.scan_id)
            tap.write()
            self.conn.execute(
                "UPDATE scans SET status = 'complete', finished = ?, heartbeat = ?, organisation = ?, manifest = ?,"
                " targets = ?, files_seen = ?, files_scanned = ?, bytes_scanned = ?, assets = ?, skipped = ?,"
                " context = ? WHERE scan_id = ?",
                (
                    _iso(scan.finished or _now()), _iso(_now()), scan.organisation, scan.manifest,
                    json.dumps(list(scan.targets)), scan.files_seen, scan.files_scanned, scan.bytes_scanned,
                    tap.n_assets, tap.n_skipped, json.dumps(context), tap.scan_id,
                ),
            )

    def abort_scan(self, scan_id: int, error: str) -> None:
        """Mark a scan that stopped on an error or an interrupt ``incomplete`` (the findings it
        committed stay, labelled as partial; assets and skips of an unfinished final write are
        removed)."""
        with transaction(self.conn):
            cur = self.conn.execute(
                "UPDATE scans SET status = 'incomplete', finished = ?, error = ? WHERE scan_id = ? AND status = 'running'",
                (_iso(_now()), error[:500], scan_id),
            )
            if cur.rowcount:
                self.conn.execute("DELETE FROM assets WHERE scan_id = ?", (scan_id,))
                self.conn.execute("DELETE FROM skipped WHERE scan_id = ?", (scan_id,))

    def _check_running(self, scan_id: int) -> None:
        row = self.conn.execute("SELECT status FROM scans WHERE scan_id = ?", (scan_id,)).fetchone()
        if row is None or row[0] != "running":
            raise StoreError(f"scan {scan_id} is not running (status: {row[0] if row else 'missing'})")

    # ---------------------------------------------------------------- readers

    def _status(self, status: str, host: str, pid: int, pid_start: str | None, heartbeat: str | None) -> str:
        if status != "running":
            return status
        if host == self._host:
            return "running" if _alive(pid, pid_start) else "incomplete"
        beat = _parse(heartbeat)
        if beat is None or (_now() - beat).total_seconds() > STALE_AFTER_SECONDS:
            return "incomplete"
        return "running"

    _SCAN_COLUMNS = (
        "s.scan_id, s.status, s.host, s.pid, s.pid_start, s.heartbeat, s.started, s.finished, s.targets,"
        " s.tool_version, s.files_seen, s.files_scanned, s.files_examined, s.findings, s.assets, s.skipped, s.error,"
        " (SELECT count(*) FROM assets a WHERE a.scan_id = s.scan_id AND s.status = 'complete'"
        " AND a.quantum_status IN (?, ?))"
    )

    def _record(self, row: Sequence[Any]) -> ScanRecord:
        (scan_id, status, host, pid, pid_start, heartbeat, started, finished, targets, version, seen, scanned,
         examined, findings, assets, skipped, error, vulnerable) = row
        status = self._status(status, host, pid, pid_start, heartbeat)
        return ScanRecord(
            scan_id=scan_id,
            status=status,
            started=dt.datetime.fromisoformat(started),
            finished=_parse(finished),
            targets=tuple(json.loads(targets)),
            tool_version=version,
            host=host,
            files_seen=seen,
            files_scanned=scanned,
            files_examined=examined,
            findings=findings,
            assets=assets,
            vulnerable=vulnerable if status == "complete" else None,
            skipped=skipped,
            error=error or ("process ended before the scan finished" if status == "incomplete" else None),
        )

    def scans(self) -> list[ScanRecord]:
        """Every scan, oldest first, with its effective status."""
        rows = self.conn.execute(
            f"SELECT {self._SCAN_COLUMNS} FROM scans s ORDER BY s.scan_id", VULNERABLE
        ).fetchall()
        return [self._record(r) for r in rows]

    def scan(self, scan_id: int) -> ScanRecord:
        row = self.conn.execute(
            f"SELECT {self._SCAN_COLUMNS} FROM scans s WHERE s.scan_id = ?", (*VULNERABLE, scan_id)
        ).fetchone()
        if row is None:
            raise StoreError(f"no scan {scan_id} in {self.path}")
        return self._record(row)

    def resolve(self, ref: str | int) -> int:
        """A scan id from ``7``, ``latest`` (newest complete scan) or ``previous`` (the one before)."""
        if isinstance(ref, int) or str(ref).strip().isdigit():
            return self.scan(int(ref)).scan_id
        complete = [r.scan_id for r in self.scans() if r.status == "complete"]
        key = str(ref).strip().lower()
        if key in ("latest", "last"):
            if not complete:
                raise StoreError(f"no complete scan in {self.path}")
            return complete[-1]
        if key in ("previous", "prev"):
            if len(complete) < 2:
                raise StoreError(f"fewer than two complete scans in {self.path}")
            return complete[-2]
        raise InputError(f"scan reference {ref!r} is not a scan id, 'latest' or 'previous'")

    def assets(self, scan_id: int) -> Iterator[Asset]:
        """The merged assets of a complete scan, in the inventory's order."""
        for (body,) in self.conn.execute(
            "SELECT body FROM assets WHERE scan_id = ? ORDER BY location, asset_id", (scan_id,)
        ):
            yield from_dict(Asset, json.loads(body))

    def asset_summaries(self, scan_id: int) -> dict[str, AssetSummary]:
        out: dict[str, AssetSummary] = {}
        for (body,) in self.conn.execute("SELECT body FROM assets WHERE scan_id = ?", (scan_id,)):
            d = json.loads(body)
            locations = tuple(sorted({o["location"] for o in d.get("occurrences", ())}))
            out[d["asset_id"]] = AssetSummary(
                asset_id=d["asset_id"],
                kind=d["kind"],
                algorithm=d["algorithm"],
                quantum_status=d["quantum_status"],
                system=d.get("system"),
                location=locations[0] if locations else "",
                locations=locations,
                key_size=d.get("key_size"),
                curve=d.get("curve"),
                parameter_set=d.get("parameter_set"),
                name=d.get("name") or "",
            )
        return out

    def load_inventory(self, scan_id: int) -> Inventory:
        """The inventory a complete scan produced, rebuilt from the database."""
        rec = self.scan(scan_id)
        if rec.status != "complete":
            raise StoreError(f"scan {scan_id} is {rec.status}: it has no inventory")
        row = self.conn.execute(
            "SELECT organisation, manifest, bytes_scanned, context FROM scans WHERE scan_id = ?", (scan_id,)
        ).fetchone()
        organisation, manifest, nbytes, context_text = row
        context = json.loads(context_text or "{}")
        assets = sorted(self.assets(scan_id), key=_asset_order)
        skipped = tuple(
            SkippedFile(loc, reason, detail)
            for loc, reason, detail in self.conn.execute(
                "SELECT location, reason, detail FROM skipped WHERE scan_id = ? ORDER BY rowid", (scan_id,)
            )
        )
        return Inventory(
            assets=tuple(assets),
            systems=tuple(from_dict(System, s) for s in context.get("systems", ())),
            sites=tuple(from_dict(Site, s) for s in context.get("sites", ())),
            qkd_links=tuple(from_dict(QkdLink, s) for s in context.get("qkd_links", ())),
            data_flows=tuple(from_dict(DataFlow, s) for s in context.get("data_flows", ())),
            skipped=skipped,
            scan=ScanInfo(
                targets=rec.targets,
                started=rec.started,
                finished=rec.finished,
                files_seen=rec.files_seen or 0,
                files_scanned=rec.files_scanned or 0,
                bytes_scanned=nbytes or 0,
                tool="qrisk",
                tool_version=rec.tool_version,
                organisation=organisation,
                manifest=manifest,
            ),
        )

    def _require_complete(self, scan_id: int, allow_incomplete: bool) -> None:
        rec = self.scan(scan_id)
        if rec.status != "complete" and not allow_incomplete:
            raise StoreError(
                f"scan {scan_id} is {rec.status}: its findings are partial, so a diff would report "
                "assets as removed that were never looked for"
            )

    def diff(self, a: int, b: int, *, allow_incomplete: bool = False) -> ScanDiff:
        """Assets added, removed and changed from scan ``a`` to scan ``b``, keyed on ``asset_id``."""
        self._require_complete(a, allow_incomplete)
        self._require_complete(b, allow_incomplete)
        before = self._summaries_any(a)
        after = self._summaries_any(b)
        changed: list[AssetChange] = []
        unchanged = 0
        for aid in before.keys() & after.keys():
            fields_ = _changed_fields(before[aid], after[aid])
            if fields_:
                changed.append(AssetChange(before[aid], after[aid], fields_))
            else:
                unchanged += 1
        removed = [before[k] for k in before.keys() - after.keys()]
        added = [after[k] for k in after.keys() - before.keys()]
        # Replacements: a removed and an added asset of the same kind at the same location
        # (a rotated certificate, a re-generated key, an algorithm switched in a config line).
        by_place: dict[tuple[str, str], list[AssetSummary]] = {}
        for s in sorted(added, key=lambda s: s.asset_id):
            by_place.setdefault((s.kind, s.location), []).append(s)
        still_removed: list[AssetSummary] = []
        paired: set[str] = set()
        for s in sorted(removed, key=lambda s: (s.location, s.asset_id)):
            candidates = by_place.get((s.kind, s.location))
            if candidates:
                new = candidates.pop(0)
                paired.add(new.asset_id)
                changed.append(AssetChange(s, new, _changed_fields(s, new) or ("asset_id",)))
            else:
                still_removed.append(s)
        still_added = [s for s in added if s.asset_id not in paired]
        order = lambda s: (s.location, s.asset_id)  # noqa: E731
        return ScanDiff(
            a=a,
            b=b,
            added=tuple(sorted(still_added, key=order)),
            removed=tuple(sorted(still_removed, key=order)),
            changed=tuple(sorted(changed, key=lambda c: (c.after.location, c.after.asset_id))),
            unchanged=unchanged,
        )

    def _summaries_any(self, scan_id: int) -> dict[str, AssetSummary]:
        if self.scan(scan_id).status == "complete":
            return self.asset_summaries(scan_id)
        return self._partial_summaries(scan_id)

    def _partial_summaries(self, scan_id: int) -> dict[str, AssetSummary]:
        """Assets of an incomplete scan, rebuilt from its committed findings (for
        ``--allow-incomplete``); systems are unknown there."""
        from qrisk.scan.detectors.base import Finding
        from qrisk.scan.engine import asset_from_finding

        out: dict[str, AssetSummary] = {}
        for location, body in self.conn.execute(
            "SELECT location, body FROM findings WHERE scan_id = ? ORDER BY location, line", (scan_id,)
        ):
            f = from_dict(Finding, json.loads(body))
            a = asset_from_finding(f, location, "", None)
            prev = out.get(a.asset_id)
            locations = tuple(sorted({location, *(prev.locations if prev else ())}))
            out[a.asset_id] = AssetSummary(
                a.asset_id, a.kind.value, a.algorithm, a.quantum_status.value, None, locations[0], locations,
                a.key_size, a.curve, a.parameter_set, a.name,
            )
        return out

    def trend(self, systems: Iterable[str] | None = None) -> list[TrendPoint]:
        """Per complete scan and system: vulnerable, weakened, safe and unknown asset counts,
        oldest scan first (the HTML report's trend section).

        Every complete scan is there: one point per system it has assets in, and a point of
        zeros for system ``""`` when it has no assets at all. With ``systems``, every complete
        scan has one point per system asked for (zeros where that system has no assets)."""
        complete = {r.scan_id: r for r in self.scans() if r.status == "complete"}
        wanted = set(systems) if systems is not None else None
        counts: dict[tuple[int, str], dict[str, int]] = {}
        for scan_id, system, status, n in self.conn.execute(
            "SELECT scan_id, coalesce(system, ''), quantum_status, count(*) FROM assets"
            " GROUP BY scan_id, coalesce(system, ''), quantum_status"
        ):
            if scan_id not in complete or (wanted is not None and system not in wanted):
                continue
            counts.setdefault((scan_id, system), {})[status] = n
        if wanted is not None:
            for scan_id in complete:
                for system in wanted:
                    counts.setdefault((scan_id, system), {})
        else:
            for scan_id in complete.keys() - {scan_id for scan_id, _ in counts}:
                counts[(scan_id, "")] = {}  # a complete scan that found no assets
        points = []
        for (scan_id, system), by_status in sorted(counts.items()):
            vulnerable = sum(by_status.get(s, 0) for s in VULNERABLE)
            points.append(
                TrendPoint(
                    scan_id=scan_id,
                    finished=complete[scan_id].finished or complete[scan_id].started,
                    system=system,
                    vulnerable=vulnerable,
                    weakened=by_status.get(QuantumStatus.WEAKENED.value, 0),
                    safe=by_status.get(QuantumStatus.SAFE.value, 0),
                    unknown=by_status.get(QuantumStatus.UNKNOWN.value, 0),
                    total=sum(by_status.values()),
                )
            )
        return points

    def findings_of(self, scan_id: int) -> list[tuple[str, int | None, str]]:
        """(location, line, rule id) of every committed finding of a scan, in insertion order."""
        return [
            (loc, line, rule)
            for loc, line, rule in self.conn.execute(
                "SELECT location, line, rule_id FROM findings WHERE scan_id = ? ORDER BY rowid", (scan_id,)
            )
        ]


def _asset_order(a: Asset) -> tuple[str, int, str]:
    # the engine's order (qrisk.scan.engine.build_assets)
    return (a.occurrences[0].location if a.occurrences else "", (a.occurrences[0].line or 0) if a.occurrences else 0,
            a.asset_id)


def _changed_fields(a: AssetSummary, b: AssetSummary) -> tuple[str, ...]:
    return tuple(f for f in _DIFF_FIELDS if getattr(a, f) != getattr(b, f))


def trend_to_dict(points: Sequence[TrendPoint]) -> list[dict[str, Any]]:
    """JSON-ready trend (for the report's data island and ``qrisk history --trend -f json``)."""
    return [to_dict(p) for p in points]


def diff_to_dict(diff: ScanDiff) -> dict[str, Any]:
    return to_dict(diff)


class _FinishTap:
    """Writes the assets and skips that pass through it (see :meth:`Store.begin_finish`)."""

    _BATCH = 2000

    def __init__(self, conn: sqlite3.Connection, scan_id: int) -> None:
        self.conn = conn
        self.scan_id = scan_id
        self.n_assets = 0
        self.n_skipped = 0
        self._assets: list[tuple[Any, ...]] = []
        self._skipped: list[tuple[Any, ...]] = []

    def assets(self, assets: Iterable[Asset]) -> Iterator[Asset]:
        sid = self.scan_id
        for a in assets:
            self._assets.append((
                sid, a.asset_id, a.kind.value, a.algorithm, a.quantum_status.value, a.system,
                a.occurrences[0].location if a.occurrences else "", len(a.occurrences), _body(a),
            ))
            self.n_assets += 1
            if len(self._assets) >= self._BATCH:
                self.flush()
            yield a

    def take(self, inventory: Inventory) -> None:
        """All of an in-memory inventory's assets and skips."""
        for _ in self.assets(inventory.assets):
            pass
        for _ in self.skipped(inventory.skipped):
            pass

    def skipped(self, skipped: Iterable[SkippedFile]) -> Iterator[SkippedFile]:
        sid = self.scan_id
        for s in skipped:
            self._skipped.append((sid, s.location, s.reason, s.detail))
            self.n_skipped += 1
            if len(self._skipped) >= self._BATCH:
                self.flush()
            yield s

    def flush(self) -> None:
        """Commit the rows gathered so far (one short transaction)."""
        if self._assets or self._skipped:
            with transaction(self.conn):
                self.write()

    def write(self) -> None:
        """Insert the rows gathered so far (inside the caller's transaction)."""
        if self._assets:
            self.conn.executemany(
                "INSERT INTO assets (scan_id, asset_id, kind, algorithm, quantum_status, system, location,"
                " occurrences, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self._assets,
            )
            self._assets = []
        if self._skipped:
            self.conn.executemany(
                "INSERT INTO skipped (scan_id, location, reason, detail) VALUES (?, ?, ?, ?)", self._skipped
            )
            self._skipped = []


# --------------------------------------------------------------------------- the engine's recorder


@dataclass
class ScanRecorder:
    """Streams a running scan's results into the store in batches (the engine's hook:
    it calls :meth:`add` for every examined file). A batch is committed every
    ``flush_files`` files or ``flush_seconds`` seconds, whichever comes first, so a killed
    scan has its findings up to the last batch."""

    store: Store
    scan_id: int
    flush_files: int = 512
    flush_seconds: float = 1.0
    _pending: list[FileResult] = field(default_factory=list)
    _last_flush: float = field(default_factory=time.monotonic)
    _closed: bool = False
    _clean: int = 0

    @classmethod
    def start(
        cls, db: str | os.PathLike[str], targets: Sequence[str], started: dt.datetime,
        options: Mapping[str, Any] | None = None,
    ) -> ScanRecorder:
        store = Store(db)
        try:
            scan_id = store.start_scan(targets, started=started, options=options)
        except BaseException:
            store.close()
            raise
        return cls(store, scan_id)

    def add(self, result: FileResult) -> None:
        self._pending.append(result)
        if len(self._pending) >= self.flush_files or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def add_clean(self, files: int) -> None:
        """Files examined and found clean that are only counted (never sent as results)."""
        self._clean += files
        if time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        if self._pending or self._clean:
            self.store.add_findings(self.scan_id, self._pending, self._clean)
            self._pending = []
            self._clean = 0
        self._last_flush = time.monotonic()

    def finish(self, inventory: Inventory) -> None:
        try:
            tap = self.begin_finish()
            tap.take(inventory)
        except BaseException as exc:
            self.abort(exc)
            raise
        self.complete(tap, inventory)

    def begin_finish(self) -> _FinishTap:
        """See :meth:`Store.begin_finish`; the findings still pending are committed first."""
        self.flush()
        return self.store.begin_finish(self.scan_id)

    def complete(self, tap: _FinishTap, head: Inventory) -> None:
        """The final commit (:meth:`Store.complete_scan`); on failure the scan is aborted."""
        try:
            self.store.complete_scan(tap, head)
        except BaseException as exc:
            self.abort(exc)
            raise
        self._closed = True
        self.store.close()

    def abort(self, error: BaseException | str) -> None:
        """Keep what was examined, mark the scan incomplete; never raises over the original
        error. Does nothing once the scan was finished or aborted."""
        if self._closed:
            return
        self._closed = True
        try:
            with contextlib.suppress(Exception):
                self.flush()
            reason = error if isinstance(error, str) else (type(error).__name__ + (f": {error}" if str(error) else ""))
            self.store.abort_scan(self.scan_id, reason)
        except Exception:  # pragma: no cover - the database itself is broken; the scan error matters more
            pass
        finally:
            self.store.close()


def open_scan_history(options: Any, targets: Sequence[str], started: dt.datetime) -> tuple[ScanRecorder, Any]:
    """For :func:`qrisk.scan.engine.run_scan` with ``options.db``: start the scan row and open
    the per-file cache (:class:`qrisk.scan.cache.FileCache`) of the same database."""
    from qrisk.scan.cache import FileCache

    recorded = {"jobs": options.jobs, "dask": options.dask, "incremental": options.incremental,
                "excludes": list(options.excludes), "manifest": options.manifest}
    recorder = ScanRecorder.start(options.db, targets, started, recorded)
    try:
        cache = FileCache.open(options.db, options.detectors(), reuse=options.incremental)
    except BaseException as exc:
        recorder.abort(exc)
        raise
    return recorder, cache


__all__ = [
    "DB_ENV",
    "AssetChange",
    "AssetSummary",
    "ScanDiff",
    "ScanRecord",
    "ScanRecorder",
    "Store",
    "StoreError",
    "TrendPoint",
    "connect",
    "default_db_path",
    "diff_to_dict",
    "store_error",
    "trend_to_dict",
]
