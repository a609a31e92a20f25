"""Scale a scan out to a Dask distributed cluster (``qrisk scan --dask ADDRESS``, or
``--dask local`` for a :class:`distributed.LocalCluster` on this machine).

The walk stays in the scanning process; the work sent to the cluster is per target and
per file batch (a batch never mixes two targets). Each batch is a task with a key made
of the scan's token and the batch index, so a batch has exactly one result however often
it runs: when a worker dies, the scheduler re-runs its tasks elsewhere (up to
``distributed.scheduler.allowed-failures`` times), and results are taken by batch index,
in walk order — nothing is lost and nothing is counted twice. A batch that keeps killing
workers is split into one task per file, and a file that still kills its worker is
recorded as skipped (reason ``worker-lost``) while the scan goes on.

Workers read the files themselves: on a multi-machine cluster the targets must be
mounted at the same paths on every worker (a shared file system).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qrisk.errors import QriskError
from qrisk.model import SkippedFile
from qrisk.scan.walk import WalkedFile

if TYPE_CHECKING:
    from qrisk.scan.cache import FileCache
    from qrisk.scan.detectors import Detector
    from qrisk.scan.engine import FileResult, ProgressObserver

log = logging.getLogger(__name__)

BATCH_FILES = 64
LOCAL = "local"


class DaskUnavailable(QriskError):
    """``--dask`` was asked for but ``dask.distributed`` is not installed or not reachable."""


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise DaskUnavailable(
            "--dask needs the dask distributed scheduler: pip install 'dask[distributed]'"
        ) from None
    return distributed


@contextlib.contextmanager
def connect(address: str, n_workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` for ``address``, or for a new LocalCluster when ``address``
    is ``local`` (``n_workers`` processes of one thread each; closed afterwards)."""
    distributed = _import_distributed()
    # Dask configures its loggers at INFO and they reach qrisk's stderr handler: follow
    # qrisk's own verbosity (-v/-vv) instead.
    logging.getLogger("distributed").setLevel(max(logging.getLogger().getEffectiveLevel(), logging.INFO))
    cluster = None
    try:
        if address == LOCAL:
            cluster = distributed.LocalCluster(
                n_workers=n_workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                # loopback only, on free ports: a local cluster serves nobody else
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
                silence_logs=logging.ERROR,
            )
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(address, timeout="30s")
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise DaskUnavailable(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------------------- worker side

_WORKER_DETECTORS: dict[str, tuple[list[Detector], Any]] = {}


def _detectors_for(token: str, factory: Callable[[], list[Detector]]) -> tuple[list[Detector], Any]:
    """Detectors built once per worker process and scan (the pool's initialiser, on Dask)."""
    found = _WORKER_DETECTORS.get(token)
    if found is None:
        from qrisk.scan.prefilter import Prefilter

        _WORKER_DETECTORS.clear()  # one scan at a time per worker is the common case
        detectors = factory()
        found = _WORKER_DETECTORS[token] = (detectors, Prefilter(detectors))
    return found


def examine_remote(
    files: list[WalkedFile], token: str, factory: Callable[[], list[Detector]], salt: bytes | None
) -> list[Any]:
    """The task: examine a batch; with a cache ``salt``, also fingerprint each file."""
    from qrisk.scan.cache import examine_fingerprinted
    from qrisk.scan.engine import examine

    detectors, prefilter = _detectors_for(token, factory)
    if salt is None:
        return [examine(f, detectors, prefilter) for f in files]
    return [examine_fingerprinted(f, detectors, prefilter, salt) for f in files]


# --------------------------------------------------------------------------- client side


def target_batches(files: Iterable[WalkedFile], size: int = BATCH_FILES) -> Iterator[list[WalkedFile]]:
    """Batches of at most ``size`` files, never mixing two targets (roots)."""
    batch: list[WalkedFile] = []
    for f in files:
        if batch and (len(batch) >= size or f.root_index != batch[-1].root_index):
            yield batch
            batch = []
        batch.append(f)
    if batch:
        yield batch


@dataclass
class _Pending:
    index: int
    batch: list[WalkedFile]
    hits: list[Any | None]
    misses: list[WalkedFile]
    future: Any | None


class DaskExaminer:
    """Examines file batches on a cluster and yields results in walk order."""

    def __init__(
        self,
        client: Any,
        factory: Callable[[], list[Detector]],
        *,
        cache: FileCache | None = None,
        batch_files: int = BATCH_FILES,
        in_flight_per_worker: int = 4,
    ) -> None:
        self.client = client
        self.factory = factory
        self.cache = cache
        self.batch_files = batch_files
        self.token = uuid.uuid4().hex
        workers = len(client.scheduler_info().get("workers", {})) or 1
        self.max_in_flight = max(2, in_flight_per_worker * workers)
        self.resubmitted_batches = 0

    def _submit(self, files: list[WalkedFile], key: str) -> Any:
        salt = self.cache.salt if self.cache is not None else None
        # pure=False with an explicit key: one task per batch index, never merged with or
        # confused for another scan's task
        return self.client.submit(examine_remote, files, self.token, self.factory, salt, key=key, pure=False)

    def examine(self, files: Iterable[WalkedFile], progress: ProgressObserver | None = None) -> Iterator[FileResult]:
        pending: collections.deque[_Pending] = collections.deque()
        for index, batch in enumerate(target_batches(files, self.batch_files)):
            if progress:
                progress.discovered(len(batch))
            hits: list[Any | None] = self.cache.lookup_many(batch) if self.cache else [None] * len(batch)
            misses = [f for f, h in zip(batch, hits, strict=True) if h is None]
            future = self._submit(misses, f"qrisk-examine-{self.token}-{index}") if misses else None
            pending.append(_Pending(index, batch, hits, misses, future))
            while len(pending) >= self.max_in_flight:
                yield from self._collect(pending.popleft(), progress)
        while pending:
            yield from self._collect(pending.popleft(), progress)

    def _collect(self, item: _Pending, progress: ProgressObserver | None) -> Iterator[FileResult]:
        examined: Sequence[Any] = self._result(item) if item.future is not None else ()
        it = iter(examined)
        for hit in item.hits:
            if hit is not None:
                yield hit
                continue
            out = next(it)
            if self.cache is not None:
                result, entry = out
                self.cache.record(entry)
                yield result
            else:
                yield out
        if progress:
            progress.advance(len(item.batch), sum(f.size for f in item.batch))

    def _result(self, item: _Pending) -> list[Any]:
        distributed = _import_distributed()
        try:
            return list(item.future.result())
        except distributed.scheduler.KilledWorker:
            log.warning("batch %d kept killing Dask workers; retrying its files one by one", item.index)
        except distributed.client.FutureCancelledError as exc:
            raise QriskError(f"the Dask cluster cancelled the scan: {exc}") from None
        self.resubmitted_batches += 1
        futures = [
            self._submit([f], f"qrisk-examine-{self.token}-{item.index}-file-{i}") for i, f in enumerate(item.misses)
        ]
        out = []
        for f, fut in zip(item.misses, futures, strict=True):
            try:
                out.append(fut.result()[0])
            except distributed.scheduler.KilledWorker:
                out.append(self._lost(f))
        return out

    def _lost(self, file: WalkedFile) -> Any:
        from qrisk.scan.engine import FileResult

        result = FileResult(
            file.location,
            file.root_index,
            notes=[SkippedFile(file.location, "worker-lost", "examining this file repeatedly ended the Dask worker")],
        )
        return (result, None) if self.cache is not None else result


def examine_on_dask(
    files: Iterable[WalkedFile],
    address: str,
    factory: Callable[[], list[Detector]],
    *,
    n_workers: int | None = None,
    cache: FileCache | None = None,
    progress: ProgressObserver | None = None,
) -> Iterator[FileResult]:
    """Examine ``files`` on the cluster at ``address`` (``local``: a LocalCluster of
    ``n_workers`` processes); results in walk order, one per file."""
    with connect(address, n_workers) as client:
        yield from DaskExaminer(client, factory, cache=cache).examine(files, progress)


__all__ = ["LOCAL", "DaskExaminer", "DaskUnavailable", "connect", "examine_on_dask", "target_batches"]
