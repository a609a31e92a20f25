"""Incremental rescans: a file unchanged since an earlier scan is not read or parsed again;
its stored :class:`~qrisk.scan.engine.FileResult` is reused.

"Unchanged" follows git's index: the stat key (size, mtime_ns, ctime_ns, inode) equals the
one recorded when the file was examined, and the file was not modified within
:data:`RACY_NS` of that moment (a write in the same timestamp tick would leave the stat
key unchanged: git's "racily clean" problem). When the stat key differs, or the entry is
racy, the file's content digest decides: same digest, same result (a ``touch``, a
``git checkout`` of the same blob, a copy with new timestamps) and the stat key is
refreshed; otherwise the file is examined again.

Entries are only valid for the detector code that produced them: :func:`config_fingerprint`
hashes the qrisk version, the detector classes and the source of the scan stage and the
catalog, and rows of another configuration are ignored (and dropped).

The digest is a keyed BLAKE2b (the key is random per database), so the database holds no
unkeyed hash of any file — no confirmable fingerprint of a secret file's content.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import inspect
import json
import os
import secrets
import sqlite3
import time
import types
import typing
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import qrisk
from qrisk.model import SkippedFile
from qrisk.scan.detectors.base import Detector, Finding
from qrisk.scan.walk import WalkedFile

# Coarsest timestamp granularity among common file systems (FAT: 2 s; ext3, HFS+: 1 s):
# an entry recorded less than this after the file's mtime is re-verified by digest.
RACY_NS = 2_000_000_000
FLUSH_ENTRIES = 2000
_READ = 1 << 20


# --------------------------------------------------------------------------- compact codec


def _codec(tp: Any) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """(encode, decode) for a type in the model's vocabulary: positional lists for
    dataclasses. ~10x faster than :func:`qrisk.model.from_dict`; positions are safe because
    :func:`config_fingerprint` covers the model's source, so a changed field list
    invalidates every entry."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"no compact codec for {tp}")
        enc, dec = _codec(args[0])
        return (lambda v: None if v is None else enc(v)), (lambda v: None if v is None else dec(v))
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"no compact codec for {tp}")
        enc, dec = _codec(args[0])
        return (lambda v: [enc(x) for x in v]), (lambda v: tuple(dec(x) for x in v))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        names = [f.name for f in dataclasses.fields(tp)]
        codecs = [_codec(hints[n]) for n in names]
        encs = [c[0] for c in codecs]
        decs = [c[1] for c in codecs]
        cls = tp

        def enc_dc(v: Any) -> list[Any]:
            return [e(getattr(v, n)) for e, n in zip(encs, names, strict=True)]

        def dec_dc(v: list[Any]) -> Any:
            return cls(*[d(x) for d, x in zip(decs, v, strict=True)])

        return enc_dc, dec_dc
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return (lambda v: v.value), tp
    if tp is dt.datetime:
        return (lambda v: v.isoformat()), dt.datetime.fromisoformat
    if tp in (str, int, float, bool):
        return (lambda v: v), (lambda v: v)
    raise TypeError(f"no compact codec for {tp}")


_FINDING_ENC, _FINDING_DEC = _codec(Finding)
_NOTE_ENC, _NOTE_DEC = _codec(SkippedFile)


def named_encoder(tp: Any) -> Callable[[Any], Any]:
    """A precompiled encoder giving exactly :func:`qrisk.model.to_dict`'s output for values
    of type ``tp`` (field order kept), about 10x faster: the store writes one per finding
    and asset."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) != 1:
            from qrisk.model import to_dict

            return to_dict
        enc = named_encoder(args[0])
        return lambda v: None if v is None else enc(v)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            enc = named_encoder(args[0])
            return lambda v: [enc(x) for x in v]
        from qrisk.model import to_dict

        return to_dict
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        pairs = [(f.name, named_encoder(hints[f.name])) for f in dataclasses.fields(tp)]
        return lambda v: {n: e(getattr(v, n)) for n, e in pairs}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return lambda v: v.value
    if tp is dt.datetime:
        return lambda v: v.isoformat()
    if tp in (str, int, float, bool):
        return lambda v: v
    from qrisk.model import to_dict

    return to_dict


def encode_result(result: Any) -> str | None:
    """A FileResult's content (findings, notes, scanned, nbytes) as compact JSON; None for
    a clean scanned file (the common case: stored as NULL, its size in ``nbytes``)."""
    if not result.findings and not result.notes and result.scanned:
        return None
    return json.dumps(
        [
            [_FINDING_ENC(f) for f in result.findings] or None,
            [_NOTE_ENC(n) for n in result.notes] or None,
            result.scanned,
            result.nbytes,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )


def decode_result(text: str | None, file: WalkedFile, clean_nbytes: int = 0) -> Any:
    from qrisk.scan.engine import FileResult

    if text is None:
        return FileResult(file.location, file.root_index, [], [], True, clean_nbytes)
    findings, notes, scanned, nbytes = json.loads(text)
    return FileResult(
        file.location,
        file.root_index,
        [_FINDING_DEC(f) for f in findings] if findings else [],
        [_NOTE_DEC(n) for n in notes] if notes else [],
        scanned,
        nbytes,
    )


# --------------------------------------------------------------------------- fingerprints


def config_fingerprint(detectors: Sequence[Detector]) -> str:
    """Hash of everything a file's result depends on besides its bytes and location."""
    h = hashlib.sha256(f"qrisk {qrisk.__version__}\n".encode())
    package = Path(qrisk.__file__).resolve().parent
    files = sorted(package.glob("scan/**/*.py")) + sorted(package.glob("catalog/**/*.yaml"))
    files.append(package / "model.py")
    for d in detectors:
        cls = type(d)
        h.update(f"detector {cls.__module__}.{cls.__qualname__} {d.id}\n".encode())
        src = inspect.getsourcefile(cls)
        if src:
            files.append(Path(src).resolve())
    for path in dict.fromkeys(files):  # unique, in order
        try:
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        except OSError:
            h.update(b"missing " + path.name.encode())
    return h.hexdigest()[:32]


def stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def content_digest(path: bytes, salt: bytes) -> bytes | None:
    """Keyed BLAKE2b of a file's content; None if it cannot be read."""
    h = hashlib.blake2b(key=salt, digest_size=32)
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_READ):
                h.update(chunk)
    except OSError:
        return None
    return h.digest()


@dataclass(frozen=True)
class Entry:
    """A file's cache row as produced by a worker (examined + fingerprinted)."""

    path: bytes
    location: str
    key: tuple[int, int, int, int]
    digest: bytes
    verified_ns: int
    result: str | None
    nbytes: int


def examine_fingerprinted(
    file: WalkedFile, detectors: Sequence[Detector], prefilter: Any, salt: bytes
) -> tuple[Any, Entry | None]:
    """Examine a file and fingerprint it for the cache. The entry is dropped when the file
    changed while it was being read (stat before and after differ)."""
    from qrisk.scan.engine import examine

    verified_ns = time.time_ns()
    try:
        before = os.stat(file.path)
    except OSError:
        before = None
    digest = content_digest(file.path, salt) if before is not None else None
    result = examine(file, detectors, prefilter)
    entry = None
    if before is not None and digest is not None:
        try:
            after = os.stat(file.path)
        except OSError:
            after = None
        if after is not None and stat_key(after) == stat_key(before):
            entry = Entry(
                file.path, file.location, stat_key(before), digest, verified_ns, encode_result(result), result.nbytes
            )
    return result, entry


def examine_batch_fingerprinted(files: list[WalkedFile], salt: bytes) -> list[tuple[Any, Entry | None]]:
    """Pool task: the engine's worker initialiser has built the detectors in this process."""
    from qrisk.scan import engine

    assert engine._DETECTORS is not None
    return [examine_fingerprinted(f, engine._DETECTORS, engine._PREFILTER, salt) for f in files]


# --------------------------------------------------------------------------- the cache


class FileCache:
    """Lookups happen in the scanning process (one stat per file, one indexed query);
    misses are examined where the engine examines files and their entries are written
    back here in batches."""

    def __init__(
        self, conn: sqlite3.Connection, config: str, salt: bytes, *, reuse: bool = True, path: str | None = None
    ) -> None:
        self.conn = conn
        self.path = path
        """The database file (lets worker processes open their own :class:`CacheReader`)."""
        self.config = config
        self.salt = salt
        self.reuse = reuse
        """False: examine every file again (``--no-incremental``) but still refresh the entries."""
        self.hits = 0
        self.misses = 0
        self._pending: list[tuple[Any, ...]] = []

    @classmethod
    def open(cls, db: str | os.PathLike[str], detectors: Sequence[Detector], *, reuse: bool = True) -> FileCache:
        from qrisk.store import connect, transaction

        conn = connect(db)
        config = config_fingerprint(detectors)
        with transaction(conn):
            row = conn.execute("SELECT value FROM meta WHERE key = 'cache_salt'").fetchone()
            if row is None:
                salt_hex = secrets.token_hex(32)
                conn.execute("INSERT INTO meta (key, value) VALUES ('cache_salt', ?)", (salt_hex,))
            else:
                salt_hex = row[0]
            # entries of other detector code can never hit again
            conn.execute("DELETE FROM file_cache WHERE config != ?", (config,))
        return cls(conn, config, bytes.fromhex(salt_hex), reuse=reuse, path=os.fspath(db))

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.conn.close()

    # ---------------------------------------------------------------- lookups

    _COLUMNS = "path, location, config, size, mtime_ns, ctime_ns, inode, digest, verified_ns, result, nbytes"

    def lookup(self, file: WalkedFile) -> Any | None:
        """The stored result of ``file`` if it is unchanged, else None."""
        if not self.reuse:
            self.misses += 1
            return None
        row = self.conn.execute(f"SELECT {self._COLUMNS} FROM file_cache WHERE path = ?", (file.path,)).fetchone()
        return self._check(file, row)

    def lookup_many(self, files: Sequence[WalkedFile]) -> list[Any | None]:
        """:meth:`lookup` for a batch, with one query per 500 files (per-statement overhead
        dominates a rescan of unchanged files)."""
        if not self.reuse:
            self.misses += len(files)
            return [None] * len(files)
        rows: dict[bytes, tuple[Any, ...]] = {}
        for start in range(0, len(files), 500):
            chunk = files[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT {self._COLUMNS} FROM file_cache WHERE path IN ({marks})", [f.path for f in chunk]
            ):
                rows[row[0]] = row
        return [self._check(f, rows.get(f.path)) for f in files]

    def _check(self, file: WalkedFile, row: tuple[Any, ...] | None) -> Any | None:
        if row is None or row[1] != file.location or row[2] != self.config:
            self.misses += 1
            return None
        _, _, _, size, mtime_ns, ctime_ns, inode, stored_digest, verified_ns, text, nbytes = row
        try:
            st = os.stat(file.path)
        except OSError:
            self.misses += 1
            return None  # examine() records why
        key = stat_key(st)
        if key != (size, mtime_ns, ctime_ns, inode) or st.st_mtime_ns + RACY_NS > verified_ns:
            now = time.time_ns()
            digest = content_digest(file.path, self.salt)
            if digest is None or digest != stored_digest:
                self.misses += 1
                return None
            try:
                if stat_key(os.stat(file.path)) != key:  # changed while hashing
                    self.misses += 1
                    return None
            except OSError:
                self.misses += 1
                return None
            self._queue((file.path, file.location, self.config, *key, digest, now, text, nbytes))
        self.hits += 1
        return decode_result(text, file, nbytes)

    def examine(self, file: WalkedFile, detectors: Sequence[Detector], prefilter: Any) -> Any:
        """Single-process path: the cached result, or examine and record."""
        hit = self.lookup(file)
        return hit if hit is not None else self._examine_miss(file, detectors, prefilter)

    def examine_batch(self, files: Sequence[WalkedFile], detectors: Sequence[Detector], prefilter: Any) -> list[Any]:
        """:meth:`examine` for a batch, with one lookup query (a worker's path)."""
        return [
            hit if hit is not None else self._examine_miss(f, detectors, prefilter)
            for f, hit in zip(files, self.lookup_many(files), strict=True)
        ]

    def _examine_miss(self, file: WalkedFile, detectors: Sequence[Detector], prefilter: Any) -> Any:
        result, entry = examine_fingerprinted(file, detectors, prefilter, self.salt)
        self.record(entry)
        return result

    def submit(self, pool: Executor, batch: list[WalkedFile]) -> PendingBatch:
        """Pool path: look the batch up here, send only the misses to the pool."""
        hits = self.lookup_many(batch)
        misses = [f for f, h in zip(batch, hits, strict=True) if h is None]
        future = pool.submit(examine_batch_fingerprinted, misses, self.salt) if misses else None
        return PendingBatch(self, hits, future)

    # ---------------------------------------------------------------- writes

    def record(self, entry: Entry | None) -> None:
        if entry is None:
            return
        self._queue((
            entry.path, entry.location, self.config, *entry.key, entry.digest, entry.verified_ns, entry.result,
            entry.nbytes,
        ))

    def write_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows a :class:`CacheReader` collected in a worker process."""
        self._pending.extend(rows)
        if len(self._pending) >= FLUSH_ENTRIES:
            self.flush()

    def _queue(self, row: tuple[Any, ...]) -> None:
        self._pending.append(row)
        if len(self._pending) >= FLUSH_ENTRIES:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        from qrisk.store import transaction

        with transaction(self.conn):
            self.conn.executemany(
                f"INSERT OR REPLACE INTO file_cache ({self._COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self._pending,
            )
        self._pending = []


class CacheReader(FileCache):
    """A worker process's read-only view of the cache. Lookups work as in
    :class:`FileCache`; the rows it would write (entries of the files it examined,
    refreshed stat keys of files re-verified by digest) collect in :attr:`outbox` and are
    written by the scanning process (SQLite has one writer)."""

    def __init__(self, conn: sqlite3.Connection, config: str, salt: bytes, *, reuse: bool = True) -> None:
        super().__init__(conn, config, salt, reuse=reuse)
        self.outbox: list[tuple[Any, ...]] = []

    @classmethod
    def open_reader(cls, path: str, config: str, salt: bytes, reuse: bool) -> CacheReader:
        from qrisk.store import connect_reader

        return cls(connect_reader(path), config, salt, reuse=reuse)

    def _queue(self, row: tuple[Any, ...]) -> None:
        self.outbox.append(row)

    def flush(self) -> None:
        pass

    def take(self) -> tuple[list[tuple[Any, ...]], int, int]:
        """(rows to write, hits, misses) since the last call."""
        rows, hits, misses = self.outbox, self.hits, self.misses
        self.outbox, self.hits, self.misses = [], 0, 0
        return rows, hits, misses


class PendingBatch:
    """A batch whose cached results are known and whose misses are being examined; its
    :meth:`result` (called by the engine in walk order) records the new entries."""

    def __init__(self, cache: FileCache, hits: list[Any | None], future: Future[Any] | None) -> None:
        self._cache = cache
        self._hits = hits
        self._future = future

    def result(self) -> list[Any]:
        examined = iter(self._future.result() if self._future is not None else ())
        out = []
        for hit in self._hits:
            if hit is not None:
                out.append(hit)
                continue
            result, entry = next(examined)
            self._cache.record(entry)
            out.append(result)
        return out


__all__ = [
    "CacheReader",
    "Entry",
    "FileCache",
    "PendingBatch",
    "config_fingerprint",
    "content_digest",
    "decode_result",
    "encode_result",
    "examine_fingerprinted",
    "named_encoder",
]
