"""Run detectors over the files of the scan targets and build an :class:`Inventory`.

Per file: read the first bytes, ask each detector whether it wants the file, read the
rest only if one does, and isolate every detector error as a recorded skip. Files are
examined in a process pool when there are many (``jobs``); results do not depend on
the number of processes. Findings become assets with stable ids (see
:func:`qrisk.model.make_asset_id`), merged across files by identity.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import qrisk
from qrisk import catalog
from qrisk.errors import InputError
from qrisk.manifest import Manifest, load_manifest, looks_like_manifest
from qrisk.model import (
    Algorithm,
    Asset,
    AssetKind,
    Inventory,
    Occurrence,
    Primitive,
    QuantumStatus,
    ScanInfo,
    SkippedFile,
    make_asset_id,
)
from qrisk.scan import pipeline
from qrisk.scan.detectors import Detector, FileNote, Finding, builtin_detectors
from qrisk.scan.prefilter import Prefilter
from qrisk.scan.stream import AssetStager
from qrisk.scan.walk import Root, WalkedFile, WalkOptions, WalkResult, display, walk

if TYPE_CHECKING:
    from qrisk.scan.network.probe import EndpointResult
    from qrisk.store import ScanRecorder

HEAD_BYTES = 8192
# Formats that never hold the evidence any detector reads (compiled code, media, archives):
# skipped as binary without being opened. Certificate, key and keystore formats are not here.
BINARY_EXTENSIONS = frozenset(
    {
        ".pyc", ".pyo", ".pyd", ".so", ".dll", ".dylib", ".exe", ".o", ".a", ".obj", ".lib", ".class",
        ".wasm", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tif", ".tiff", ".mp3",
        ".mp4", ".wav", ".ogg", ".flac", ".avi", ".mov", ".pdf", ".zip", ".gz", ".tgz", ".bz2", ".xz",
        ".zst", ".7z", ".rar", ".whl", ".egg", ".mo", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".npy",
        ".npz", ".pkl", ".pickle", ".parquet", ".sqlite", ".db",
    }
)
# Below this many files the pool's start-up costs more than it saves.
POOL_MIN_FILES = 256
CHUNK = 128


class ProgressObserver(Protocol):
    """Told about progress; the scan itself never prints (pip-audit's spinner pattern)."""

    def start(self, total_files: int, total_bytes: int) -> None:
        """Called once; ``total_files`` is 0 while discovery is still running."""

    def discovered(self, files: int) -> None:
        """More files were found (the total grows while the walk goes on)."""

    def advance(self, files: int, nbytes: int) -> None: ...
    def finish(self) -> None: ...


@dataclass
class ScanOptions:
    """How to scan."""

    excludes: Sequence[str] = ()
    use_gitignore: bool = True
    max_file_size: int = 16 * 1024 * 1024
    jobs: int | None = None
    """Worker processes; None = number of CPUs; 1 = in this process."""
    manifest: str | None = None
    """Path of a manifest given with ``--manifest`` (targets may also be manifests)."""
    detectors: Callable[[], list[Detector]] = builtin_detectors
    endpoints: Sequence[str] = ()
    """Live endpoints to probe (``host:port[/tls|/ssh]``) besides those the manifest lists."""
    endpoint_timeout_s: float = 5.0
    """Connect and read timeout of each endpoint request."""
    endpoint_concurrency: int = 16
    """Endpoints probed at once."""
    endpoint_retries: int = 0
    """Extra connection attempts after a refused or timed-out connect (off by default)."""
    probe_endpoints: bool = True
    """False (``--no-probe``): contact nothing; endpoints are recorded as ``not-probed``."""
    db: str | None = None
    """History database (:mod:`qrisk.store`) recording the scan and its file cache; None: not recorded."""
    incremental: bool = True
    """With ``db``: reuse the stored result of every file unchanged since it was last examined."""
    dask: str | None = None
    """Dask scheduler address, or ``local`` for a LocalCluster (:mod:`qrisk.scan.distributed`)."""


@dataclass
class FileResult:
    """What examining one file produced."""

    location: str
    root_index: int
    findings: list[Finding] = field(default_factory=list)
    notes: list[SkippedFile] = field(default_factory=list)
    scanned: bool = False
    nbytes: int = 0


# --------------------------------------------------------------------------- per file

_DETECTORS: list[Detector] | None = None
_PREFILTER: Prefilter | None = None


def _init_worker(factory: Callable[[], list[Detector]]) -> None:
    global _DETECTORS, _PREFILTER
    _DETECTORS = factory()
    _PREFILTER = Prefilter(_DETECTORS)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _read_rest(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def examine(file: WalkedFile, detectors: Sequence[Detector], prefilter: Prefilter | None = None) -> FileResult:
    """Run the detectors that want ``file`` and whose keywords occur in it; never raises."""
    res = FileResult(file.location, file.root_index)
    name = file.location.rpartition("/")[2]
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > 0 else ""
    if ext in BINARY_EXTENSIONS:
        res.notes.append(SkippedFile(file.location, "binary", f"{ext} files hold no cryptographic evidence qrisk reads"))
        return res
    if prefilter is None:
        prefilter = Prefilter(detectors)
    try:
        # a raw descriptor (no buffered file object: ≈5 µs less per file); O_NONBLOCK so a
        # file replaced by a FIFO after the walk cannot hang the scan
        fd = os.open(file.path, _OPEN_FLAGS)
        try:
            head = os.read(fd, HEAD_BYTES)
            binary = b"\x00" in head
            chosen = [] if binary else prefilter.named(file.location)
            for i in prefilter.to_ask(file.location, head):
                d = detectors[i]
                if binary and not d.handles_binary:
                    continue
                try:
                    if d.wants(file.location, head):
                        chosen.append(i)
                except Exception as exc:  # a detector bug must not stop the scan
                    res.notes.append(SkippedFile(file.location, "detector-error", f"{d.id}.wants: {type(exc).__name__}"))
            wanted = sorted(chosen)
            if not wanted:
                if binary:
                    res.notes.append(SkippedFile(file.location, "binary", "no detector reads this binary format"))
                else:
                    res.scanned = True
                    res.nbytes = len(head)
                return res
            data = head + _read_rest(fd) if len(head) == HEAD_BYTES else head
        finally:
            os.close(fd)
    except FileNotFoundError:
        res.notes.append(SkippedFile(file.location, "vanished", "file disappeared during the scan"))
        return res
    except PermissionError:
        res.notes.append(SkippedFile(file.location, "permission-denied", ""))
        return res
    except OSError as exc:
        res.notes.append(SkippedFile(file.location, "unreadable", str(exc.strerror or exc)))
        return res
    res.scanned = True
    res.nbytes = len(data)
    hit = prefilter.detectors_hit(data, wanted)
    for d in (detectors[i] for i in wanted if i in hit):
        try:
            for out in d.detect(file.location, data):
                if isinstance(out, Finding):
                    res.findings.append(out)
                elif isinstance(out, FileNote):
                    res.notes.append(SkippedFile(file.location, out.reason, f"{d.id}: {out.detail}"))
        except Exception as exc:  # isolate: a detector error is a counted skip naming detector and file
            res.notes.append(SkippedFile(file.location, "detector-error", f"{d.id}: {type(exc).__name__}"))
    return res


def _examine_batch(files: list[WalkedFile]) -> list[FileResult]:
    assert _DETECTORS is not None
    return [examine(f, _DETECTORS, _PREFILTER) for f in files]


def _collect(
    item: tuple[list[WalkedFile], Future[list[FileResult]]], results: list[FileResult], progress: ProgressObserver | None
) -> None:
    batch, future = item
    results.extend(future.result())
    if progress:
        progress.advance(len(batch), sum(f.size for f in batch))


# --------------------------------------------------------------------------- targets


@dataclass
class Plan:
    """Roots to walk, the system each belongs to, and the manifest if any."""

    roots: list[Root]
    root_systems: list[str | None]
    manifest: Manifest | None
    targets: list[str]
    notes: list[SkippedFile]
    endpoints: list[tuple[str, str | None]] = field(default_factory=list)
    """Endpoints the manifest lists (``tls://host:port``), with their system id."""


def plan_targets(targets: Sequence[str], manifest_path: str | None = None) -> Plan:
    """Decide what to walk: folders and files as given; a manifest's systems' paths."""
    manifests: list[Path] = []
    plain: list[Path] = []
    for t in targets:
        p = Path(t)
        if not os.path.lexists(p):
            raise InputError(f"target {t!r} does not exist")
        if p.is_file() and looks_like_manifest(p):
            manifests.append(p)
        else:
            plain.append(p)
    if manifest_path:
        manifests.insert(0, Path(manifest_path))
    if len(manifests) > 1:
        raise InputError("give at most one manifest per scan (found: " + ", ".join(map(str, manifests)) + ")")
    manifest = load_manifest(manifests[0]) if manifests else None

    roots: list[Root] = []
    systems: list[str | None] = []
    notes: list[SkippedFile] = []
    endpoints: list[tuple[str, str | None]] = []
    multi = len(plain) + (1 if manifest else 0) > 1
    for p in plain:
        prefix = (p.resolve().name or str(p)) if multi else ""
        roots.append(Root(p, prefix))
        systems.append(None)
    if manifest is not None:
        base = manifest.base_dir
        for system in manifest.systems:
            for raw in system.paths:
                rp = Path(raw) if Path(raw).is_absolute() else base / raw
                if not rp.exists():
                    notes.append(SkippedFile(raw, "missing-path", f"system {system.id}: path does not exist"))
                    continue
                try:
                    prefix = rp.resolve().relative_to(base.resolve()).as_posix()
                except ValueError:
                    prefix = rp.resolve().name
                roots.append(Root(rp, "" if prefix == "." else prefix))
                systems.append(system.id)
            endpoints.extend((ep, system.id) for ep in system.endpoints)
    target_names = [str(t) for t in targets] + ([manifest_path] if manifest_path else [])
    return Plan(roots, systems, manifest, target_names, notes, endpoints)


# --------------------------------------------------------------------------- main entry


def _batches(files: Iterator[WalkedFile], size: int) -> Iterator[list[WalkedFile]]:
    batch: list[WalkedFile] = []
    for f in files:
        batch.append(f)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Tee:
    """The sink the examination fills: hands every result to the history recorder (if any)
    and to the in-memory list or the streaming stager."""

    def __init__(self, recorder: ScanRecorder | None, sink: Any) -> None:
        self.recorder = recorder
        self.sink = sink

    def append(self, result: FileResult) -> None:
        if self.recorder is not None:
            self.recorder.add(result)
        self.sink.append(result)

    def extend(self, results: Iterable[FileResult]) -> None:
        for r in results:
            self.append(r)

    def add_clean(self, files: int) -> None:
        if self.recorder is not None:
            self.recorder.add_clean(files)


@dataclass
class _Examined:
    plan: Plan
    started: dt.datetime
    walk_result: WalkResult
    root_systems: list[str | None]
    endpoint_results: list[EndpointResult]
    clean_tally: list[int]
    recorder: ScanRecorder | None


def _examine_targets(
    targets: Sequence[str], options: ScanOptions, progress: ProgressObserver | None,
    make_sink: Callable[[list[str | None]], Any],
) -> _Examined:
    """Walk and examine ``targets``, then probe the endpoints; every result goes to the sink
    ``make_sink(root_systems)`` returns, in walk order (endpoints last)."""
    started = dt.datetime.now(dt.UTC)
    plan = plan_targets(targets, options.manifest)
    root_systems = list(plan.root_systems)
    sink = make_sink(root_systems)
    walk_result = WalkResult()
    walk_opts = WalkOptions(options.excludes, options.use_gitignore, options.max_file_size)
    walker = walk(plan.roots, walk_opts, walk_result)
    first = list(itertools.islice(walker, POOL_MIN_FILES))
    # with a history database: the scan row is committed now, results stream into it in
    # batches (the recorder), and unchanged files come from its cache (qrisk.store)
    recorder, cache = None, None
    if options.db:
        from qrisk.store import open_scan_history

        recorder, cache = open_scan_history(options, plan.targets, started)
    results = _Tee(recorder, sink)
    clean_tally = [0, 0]  # files scanned and found clean that never reach the sink: count, bytes
    jobs = options.jobs if options.jobs and options.jobs > 0 else (os.cpu_count() or 1)
    if progress:
        progress.start(0, 0)
    try:
        if options.dask:
            from qrisk.scan.distributed import examine_on_dask

            results.extend(examine_on_dask(
                itertools.chain(first, walker), options.dask, options.detectors,
                n_workers=options.jobs, cache=cache, progress=progress,
            ))
        elif jobs == 1 or len(first) < POOL_MIN_FILES:
            detectors = options.detectors()
            prefilter = Prefilter(detectors)
            for f in itertools.chain(first, walker):
                if progress:
                    progress.discovered(1)
                results.append(cache.examine(f, detectors, prefilter) if cache else examine(f, detectors, prefilter))
                if progress:
                    progress.advance(1, f.size)
        elif pipeline.available() and (cache is None or cache.path):
            # closing(): an error in the consumer must stop the children now, not when the
            # suspended generator is collected
            with contextlib.closing(pipeline.examine_in_processes(
                first, walker, walk_result, options.detectors, jobs, CHUNK, clean_tally, progress,
                cache=cache, on_clean=results.add_clean,
            )) as examined:
                results.extend(examined)
        else:
            import multiprocessing as mp

            ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
            with ProcessPoolExecutor(
                max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(options.detectors,)
            ) as pool:
                in_flight: collections.deque[tuple[list[WalkedFile], Future[list[FileResult]]]] = collections.deque()
                max_in_flight = 4 * jobs
                for batch in _batches(itertools.chain(first, walker), CHUNK):
                    if progress:
                        progress.discovered(len(batch))
                    in_flight.append((batch, cache.submit(pool, batch) if cache else pool.submit(_examine_batch, batch)))  # type: ignore[arg-type]
                    while len(in_flight) >= max_in_flight:
                        _collect(in_flight.popleft(), results, progress)
                while in_flight:
                    _collect(in_flight.popleft(), results, progress)
    except BaseException as exc:
        if recorder:
            recorder.abort(exc)  # what was committed stays, labelled incomplete
        raise
    finally:
        if cache:
            cache.close()
        if progress:
            progress.finish()
    try:
        endpoint_results = probe_endpoints_of(plan, options, root_systems, results)
    except BaseException as exc:
        if recorder:
            recorder.abort(exc)
        raise
    return _Examined(plan, started, walk_result, root_systems, endpoint_results, clean_tally, recorder)


def _inventory_head(ex: _Examined, files_scanned: int, bytes_scanned: int) -> Inventory:
    """The inventory without assets and skips: manifest context and scan metadata."""
    manifest = ex.plan.manifest
    return Inventory(
        systems=manifest.systems if manifest else (),
        sites=manifest.sites if manifest else (),
        qkd_links=manifest.qkd_links if manifest else (),
        data_flows=manifest.data_flows if manifest else (),
        scan=ScanInfo(
            targets=tuple(ex.plan.targets),
            started=ex.started,
            finished=dt.datetime.now(dt.UTC),
            files_seen=ex.walk_result.files_seen,
            files_scanned=files_scanned + ex.clean_tally[0],
            bytes_scanned=bytes_scanned + ex.clean_tally[1],
            tool="qrisk",
            tool_version=qrisk.__version__,
            organisation=manifest.organisation if manifest else "",
            manifest=str(manifest.path) if manifest else None,
        ),
    )


def _protocol_status(endpoint_results: Sequence[EndpointResult]) -> Callable[[Asset], Asset]:
    """A protocol asset's status is that of the key exchange the endpoint negotiates."""
    if not endpoint_results:
        return lambda a: a
    from qrisk.scan.network.probe import protocol_quantum_status

    status = {r.location: protocol_quantum_status(r) for r in endpoint_results}

    def fix(a: Asset) -> Asset:
        if a.kind is AssetKind.PROTOCOL and a.occurrences and a.occurrences[0].location in status:
            return replace(a, quantum_status=status[a.occurrences[0].location])
        return a

    return fix


def run_scan(
    targets: Sequence[str], options: ScanOptions | None = None, progress: ProgressObserver | None = None
) -> Inventory:
    """Scan ``targets`` (folders, files, at most one manifest) into an inventory in memory.

    Discovery and examination overlap (see :mod:`qrisk.scan.pipeline`); results are kept
    in walk order, so the inventory does not depend on the number of processes. For very
    large estates see :func:`scan_streamed`, which holds no asset in memory.
    """
    options = options or ScanOptions()
    results: list[FileResult] = []
    ex = _examine_targets(targets, options, progress, lambda _systems: results)
    try:
        skipped = list(ex.plan.notes) + ex.walk_result.skipped
        for r in results:
            skipped.extend(r.notes)
        fix = _protocol_status(ex.endpoint_results)
        assets = [fix(a) for a in build_assets(results, ex.root_systems, options.detectors())]
        head = _inventory_head(ex, sum(1 for r in results if r.scanned), sum(r.nbytes for r in results))
        inventory = replace(
            head, assets=tuple(assets), skipped=tuple(sorted(skipped, key=lambda s: (s.location, s.reason, s.detail)))
        )
        if ex.recorder:
            ex.recorder.finish(inventory)  # the final commit: assets, skips, status complete
    except BaseException as exc:
        if ex.recorder:
            ex.recorder.abort(exc)
        raise
    return inventory


class StreamedScan:
    """A finished scan whose assets and skips wait in a temporary database (see
    :mod:`qrisk.scan.stream`): write them out once with :meth:`write_json` then
    :meth:`commit` (which marks the scan complete in the history database, if one was
    given — after the output is safely written), or load them with :meth:`inventory`. Use
    as a context manager: the temporary database is removed, and a scan never committed is
    recorded as incomplete."""

    def __init__(self, ex: _Examined, stager: AssetStager) -> None:
        self._ex = ex
        self._stager = stager
        self.head = _inventory_head(ex, stager.files_scanned, stager.bytes_scanned)
        self.worst_severity = 0
        """Highest :attr:`QuantumStatus.severity` among the assets written (``--fail-on``)."""
        self.assets_written = 0
        self._fix = _protocol_status(ex.endpoint_results)
        self._written = False
        self._committed = False
        self._tap: Any = None

    def __enter__(self) -> StreamedScan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _assets(self) -> Iterator[Asset]:
        for a in self._stager.assets():
            a = self._fix(a)
            self.worst_severity = max(self.worst_severity, a.quantum_status.severity)
            self.assets_written += 1
            yield a

    def _streams(self) -> tuple[Iterator[Asset], Iterator[SkippedFile]]:
        if self._written:
            raise RuntimeError("a streamed scan is written once")
        self._written = True
        recorder = self._ex.recorder
        if recorder is None:
            return self._assets(), self._stager.skipped()
        # rows are committed in short batches as they pass: no write lock is held on the
        # history while the output is written (a slow reader of stdout must not block it)
        self._tap = recorder.begin_finish()
        return self._tap.assets(self._assets()), self._tap.skipped(self._stager.skipped())

    def write_json(self, write: Callable[[str], Any]) -> None:
        """Write the inventory JSON (exactly :func:`qrisk.model.inventory_to_json`) through
        ``write`` in pieces; with a history database, its rows go in on the same pass."""
        from qrisk.model import write_inventory_json

        assets, skipped = self._streams()
        write_inventory_json(write, self.head, assets, skipped)

    def commit(self) -> None:
        """Mark the scan complete in the history database (nothing to do without one)."""
        if self._ex.recorder is not None and not self._committed:
            if self._tap is None:
                raise RuntimeError("write the scan before committing it")
            self._ex.recorder.complete(self._tap, self.head)
        self._committed = True

    def inventory(self) -> Inventory:
        """Everything in memory (for the formats that need the whole inventory at once),
        committed to the history database."""
        assets_it, skipped_it = self._streams()
        inventory = replace(self.head, assets=tuple(assets_it), skipped=tuple(skipped_it))
        self.commit()
        return inventory

    def close(self) -> None:
        self._stager.close()
        if not self._committed and self._ex.recorder is not None:
            self._ex.recorder.abort("the scan's output was not written")


def scan_streamed(
    targets: Sequence[str], options: ScanOptions | None = None, progress: ProgressObserver | None = None
) -> StreamedScan:
    """:func:`run_scan` with bounded memory: findings become assets as files are examined
    and wait on disk; nothing grows with the estate but the temporary database."""
    options = options or ScanOptions()
    stager: AssetStager | None = None

    def make(root_systems: list[str | None]) -> AssetStager:
        nonlocal stager
        stager = AssetStager(root_systems, options.detectors())
        return stager

    try:
        ex = _examine_targets(targets, options, progress, make)
    except BaseException:
        if stager is not None:
            stager.close()
        raise
    assert stager is not None
    try:
        stager.add_skips([*ex.plan.notes, *ex.walk_result.skipped])
        return StreamedScan(ex, stager)
    except BaseException as exc:
        stager.close()
        if ex.recorder:
            ex.recorder.abort(exc)
        raise


def probe_endpoints_of(
    plan: Plan, options: ScanOptions, root_systems: list[str | None], results: list[FileResult]
) -> list[EndpointResult]:
    """Probe ``options.endpoints`` and the manifest's endpoints; append one FileResult per
    endpoint, whose root index points at the endpoint's system in ``root_systems``."""
    if not options.probe_endpoints:
        plan.notes.extend(SkippedFile(e, "not-probed", "--no-probe given") for e in options.endpoints)
        plan.notes.extend(SkippedFile(e, "not-probed", f"system {s}: --no-probe given") for e, s in plan.endpoints)
        return []
    if not options.endpoints and not plan.endpoints:
        return []
    from qrisk.scan.network.probe import ProbeOptions, parse_endpoint, probe_endpoints

    system_of: dict[str, str | None] = {}
    wanted = []
    for text, system in [*((e, None) for e in options.endpoints), *plan.endpoints]:
        ep = parse_endpoint(text)  # InputError (exit 2) for a malformed endpoint
        if system_of.get(ep.location) is None:
            system_of[ep.location] = system
        wanted.append(ep)
    if not wanted:
        return []
    found = probe_endpoints(
        wanted,
        options=ProbeOptions(
            timeout_s=options.endpoint_timeout_s,
            concurrency=options.endpoint_concurrency,
            retries=options.endpoint_retries,
        ),
    )
    for r in found:
        root_systems.append(system_of.get(r.location))
        results.append(
            FileResult(r.location, len(root_systems) - 1, findings=list(r.findings), notes=[r.error] if r.error else [])
        )
    return found


# --------------------------------------------------------------------------- assets


def resolve_algorithm(finding: Finding) -> tuple[Algorithm, int | None, str | None]:
    """Catalog entry, key size and canonical curve for a finding."""
    cat = catalog.algorithms()
    res = cat.resolve(finding.algorithm)
    entry = res.algorithm
    key_size = finding.key_size if finding.key_size is not None else res.key_size
    if key_size and entry.name != "unknown" and not entry.security_by_key_size:
        sized = cat.get(f"{entry.name}-{key_size}")
        if sized.name != "unknown":
            entry = sized
    curve = finding.curve
    if curve:
        if entry.family in ("EC", "ECDSA", "ECDH") or entry.name in ("ECDSA", "ECDH"):
            entry = cat.ec(entry.name.split("-")[0], curve)
        curve_entry = cat.lookup(curve)
        curve = curve_entry.curve or entry.curve or curve
    elif entry.curve:
        curve = entry.curve
    return entry, key_size, curve


def _library_asset(finding: Finding, location: str, detector_id: str, system: str | None) -> Asset:
    """A dependency is not a catalog algorithm: its identity is (name, version, where) and its
    status comes from the dependency detector's verdict (``pqc-capable`` → safe; a library
    that cannot do PQC, or whose version is unknown, is not known to be safe)."""
    verdict = finding.notes[0] if finding.notes else ""
    status = QuantumStatus.SAFE if verdict == "pqc-capable" else QuantumStatus.UNKNOWN
    asset_id = make_asset_id(AssetKind.LIBRARY, finding.algorithm, location=location, rule_id=finding.rule_id)
    occ = Occurrence(location, detector_id, finding.rule_id, finding.line, finding.confidence, finding.snippet[:160])
    return Asset(
        asset_id=asset_id, kind=AssetKind.LIBRARY, algorithm=finding.algorithm, primitive=Primitive.OTHER,
        quantum_status=status, usage=finding.usage, occurrences=(occ,), system=system, name=finding.name,
        version=finding.version, notes=finding.notes,
    )


def asset_from_finding(finding: Finding, location: str, detector_id: str, system: str | None) -> Asset:
    """Turn one finding into an asset (one occurrence), resolved through the catalog."""
    if finding.kind is AssetKind.LIBRARY:
        return _library_asset(finding, location, detector_id, system)
    entry, key_size, curve = resolve_algorithm(finding)
    status = entry.status_for(key_size)
    kind = finding.kind
    notes = finding.notes
    cert = finding.certificate
    if cert is not None and not cert.self_signed and cert.signature_hash:
        # An issued certificate signed over a collision-broken hash can be forged with a
        # chosen-prefix collision (MD5: Stevens et al. 2009 rogue CA; SHA-1: Leurent & Peyrin
        # 2020). A self-signed root's own signature is not relied on, so it is not flagged.
        sig_hash = catalog.algorithms().lookup(cert.signature_hash)
        if sig_hash.quantum_status is QuantumStatus.CLASSICALLY_BROKEN:
            status = QuantumStatus.CLASSICALLY_BROKEN
            notes = (*notes, f"signed with {sig_hash.name}: forgeable by chosen-prefix collision")
    asset_id = make_asset_id(
        kind,
        entry.name if entry.name != "unknown" else f"unknown:{finding.algorithm}",
        key_size=key_size,
        curve=curve,
        parameter_set=finding.parameter_set or entry.parameter_set,
        mode=finding.mode,
        # a certificate is identified by its own DER hash (a renewal with the same key is a new
        # certificate); keys by their public-key fingerprint
        fingerprint=(finding.certificate.sha256_fingerprint if finding.certificate else None)
        or finding.fingerprint_sha256,
        location=location,
        rule_id=finding.rule_id,
    )
    occ = Occurrence(
        location=location,
        detector=detector_id,
        rule_id=finding.rule_id,
        line=finding.line,
        confidence=finding.confidence,
        snippet=finding.snippet[:160],
    )
    if entry.name == "unknown" and finding.algorithm and finding.algorithm != "unknown":
        notes = (*notes, f"not in the qrisk catalog: {finding.algorithm[:80]}")
    return Asset(
        asset_id=asset_id,
        kind=kind,
        algorithm=entry.name,
        primitive=entry.primitive if entry.primitive else Primitive.UNKNOWN,
        quantum_status=status,
        usage=finding.usage,
        key_size=key_size,
        curve=curve,
        parameter_set=finding.parameter_set or entry.parameter_set,
        mode=finding.mode,
        classical_security_bits=entry.security_bits_for(key_size),
        nist_quantum_level=entry.nist_quantum_level,
        occurrences=(occ,),
        system=system,
        fingerprint_sha256=finding.fingerprint_sha256,
        key_material=finding.key_material,
        encrypted=finding.encrypted,
        certificate=finding.certificate,
        name=finding.name,
        version=finding.version,
        notes=tuple(notes),
    )


def _detector_for_rule(rule_id: str, detectors: Iterable[Detector]) -> str:
    """The id of the detector that owns ``rule_id``: among ``detectors``, else among the
    endpoint probers (imported only when a rule is not found first), else ``unknown``."""
    for d in detectors:
        if rule_id in d.rules:
            return d.id
    from qrisk.scan.network.probe import network_detectors

    for nd in network_detectors():
        if rule_id in nd.rules:
            return nd.id
    return "unknown"


class _Group:
    """The assets that share one id, merged once at the end (linear in the occurrences)."""

    __slots__ = ("encrypted", "first", "key_material", "name", "notes", "occurrences", "system")

    def __init__(self, asset: Asset) -> None:
        self.first = asset
        self.occurrences: dict[tuple[str, int | None, str], Occurrence] = {}
        self.notes: dict[str, None] = {}
        self.system = asset.system
        self.key_material = asset.key_material
        self.encrypted = asset.encrypted
        self.name = asset.name
        self.add(asset)

    def add(self, b: Asset) -> None:
        for o in b.occurrences:
            self.occurrences.setdefault((o.location, o.line, o.rule_id), o)
        for n in b.notes:
            self.notes.setdefault(n)
        if b.system and self.system and b.system != self.system:
            self.notes.setdefault(f"also used by system {b.system}")
        self.system = self.system or b.system
        # a private key and its public half share an id; private is the stronger statement
        if b.key_material is not None and (self.key_material is None or b.key_material.value == "private"):
            self.key_material = b.key_material
        self.encrypted = self.encrypted and b.encrypted
        self.name = self.name or b.name

    def asset(self) -> Asset:
        occs = sorted(self.occurrences.values(), key=lambda o: (o.location, o.line or 0, o.rule_id))
        return replace(
            self.first,
            occurrences=tuple(occs),
            notes=tuple(self.notes),
            system=self.system,
            key_material=self.key_material,
            encrypted=self.encrypted,
            name=self.name,
        )


def build_assets(
    results: Sequence[FileResult], root_systems: Sequence[str | None], detectors: Sequence[Detector] | None = None
) -> list[Asset]:
    """Merge findings by asset id; link certificates to issuers and keys to certificates."""
    if detectors is None:
        detectors = builtin_detectors()
    rule_to_detector: dict[str, str] = {}
    groups: dict[str, _Group] = {}
    for r in results:
        system = root_systems[r.root_index] if r.root_index < len(root_systems) else None
        for f in r.findings:
            det = rule_to_detector.get(f.rule_id)
            if det is None:
                det = rule_to_detector[f.rule_id] = _detector_for_rule(f.rule_id, detectors)
            asset = asset_from_finding(f, r.location, det, system)
            group = groups.get(asset.asset_id)
            if group is None:
                groups[asset.asset_id] = _Group(asset)
            else:
                group.add(asset)
    assets = _link([g.asset() for g in groups.values()])
    assets.sort(key=lambda a: (a.occurrences[0].location, a.occurrences[0].line or 0, a.asset_id))
    return assets


def _link(assets: list[Asset]) -> list[Asset]:
    by_ski: dict[str, str] = {}
    by_subject: dict[str, str] = {}
    by_fp: dict[str, list[str]] = {}
    for a in assets:
        if a.certificate and a.certificate.subject_key_id:
            by_ski.setdefault(a.certificate.subject_key_id, a.asset_id)
        if a.certificate and (a.certificate.is_ca or a.certificate.self_signed):
            by_subject.setdefault(a.certificate.subject, a.asset_id)
        if a.fingerprint_sha256:
            by_fp.setdefault(a.fingerprint_sha256, []).append(a.asset_id)
    out = []
    for a in assets:
        related: list[str] = list(a.related)
        if a.certificate and not a.certificate.self_signed:
            # RFC 5280 §4.2.1.1: the authority key identifier names the issuer's key; without
            # one (v1 certificates), fall back to the issuer's distinguished name.
            aki = a.certificate.authority_key_id
            issuer = by_ski.get(aki) if aki else by_subject.get(a.certificate.issuer)
            if issuer and issuer != a.asset_id and issuer not in related:
                related.append(issuer)
        if a.fingerprint_sha256:
            for other in by_fp.get(a.fingerprint_sha256, []):
                if other != a.asset_id and other not in related:
                    related.append(other)
        out.append(replace(a, related=tuple(related)) if related != list(a.related) else a)
    return out



__all__ = [
    "ProgressObserver", "ScanOptions", "StreamedScan", "build_assets", "display", "examine", "plan_targets", "run_scan",
    "scan_streamed",
]
