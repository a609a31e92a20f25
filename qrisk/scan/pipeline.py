"""Parallel examination with the walk in its own process.

A ``ProcessPoolExecutor`` fed from the scanning process starves: its queue-management
and feeder threads need the GIL that the walk holds, so the workers wait for work (on two
cores a pool of two was barely faster than one process). Here the walk continues in a
forked *walker* process that writes batches of files straight into a pipe the *examiner*
processes read from; examiners write their results into a second pipe the scanning
process reads, reorders by batch number and hands on in walk order — so the inventory is
the same whatever the number of processes. No thread is involved; full pipes are the
back-pressure.

Only with the ``fork`` start method (Linux, and the BSDs): the walker inherits the
half-consumed walk generator. Elsewhere :func:`available` is False and the engine uses
its process pool.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections.abc import Callable, Iterator
from multiprocessing.queues import Queue, SimpleQueue
from typing import TYPE_CHECKING, Any

from qrisk.errors import QriskError
from qrisk.scan.walk import WalkedFile, WalkResult

if TYPE_CHECKING:
    from qrisk.scan.cache import FileCache
    from qrisk.scan.detectors import Detector
    from qrisk.scan.engine import FileResult, ProgressObserver
    from qrisk.scan.prefilter import Prefilter

# batches the walker may queue ahead of the examiners (64 files each: ≈25 MB at most)
_MAX_QUEUED = 1024
# seconds between liveness checks of the child processes while waiting for results
_POLL_S = 0.5


class ScanWorkerError(QriskError):
    """A scan process died (killed, or out of memory)."""


def available() -> bool:
    return "fork" in mp.get_all_start_methods()


def _quiet_child() -> None:
    # Ctrl-C reaches the whole process group; the scanning process stops the children.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _reporting_errors(body: Callable[..., None]) -> Callable[..., None]:
    """Run a child's body; an exception goes back to the scanning process as one line (shown
    to the user as the scan's error) instead of a traceback on stderr."""

    def run(*args: Any) -> None:
        _quiet_child()
        results: SimpleQueue[Any] = args[-1]
        try:
            body(*args)
        except BaseException as exc:  # a child must report, whatever it was
            try:
                results.put(("error", f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__))
            finally:
                os._exit(1)

    return run


def _walker(
    first: list[list[WalkedFile]], files: Iterator[WalkedFile], walk_result: WalkResult, batch_size: int,
    n_examiners: int, tasks: Queue[Any], results: SimpleQueue[Any],
) -> None:
    # one writer puts everything, in order: the end markers cannot overtake a batch
    for seq, batch in enumerate(first):
        tasks.put((seq, batch))
    seq = len(first)
    batch: list[WalkedFile] = []
    for f in files:
        batch.append(f)
        if len(batch) >= batch_size:
            tasks.put((seq, batch))
            results.put(("found", len(batch)))
            seq, batch = seq + 1, []
    if batch:
        tasks.put((seq, batch))
        results.put(("found", len(batch)))
        seq += 1
    for _ in range(n_examiners):
        tasks.put(None)
    results.put(("walked", seq, walk_result))


def _examiner(
    detectors: list[Detector], prefilter: Prefilter, cache_spec: tuple[str, str, bytes, bool] | None,
    tasks: Queue[Any], results: SimpleQueue[Any],
) -> None:
    from qrisk.scan.engine import examine

    reader = None
    if cache_spec is not None:
        from qrisk.scan.cache import CacheReader

        reader = CacheReader.open_reader(*cache_spec)
    while (item := tasks.get()) is not None:
        seq, batch = item
        examined = reader.examine_batch(batch, detectors, prefilter) if reader else [
            examine(f, detectors, prefilter) for f in batch
        ]
        # most files are scanned and clean: they travel back as two numbers, not as objects
        kept, clean, clean_bytes = [], 0, 0
        for r in examined:
            if r.findings or r.notes or not r.scanned:
                kept.append(r)
            else:
                clean += 1
                clean_bytes += r.nbytes
        cache_news = reader.take() if reader else None
        results.put(("examined", seq, kept, clean, clean_bytes, cache_news))


def examine_in_processes(
    first: list[WalkedFile],
    rest: Iterator[WalkedFile],
    walk_result: WalkResult,
    make_detectors: Callable[[], list[Detector]],
    jobs: int,
    batch_size: int,
    tally: list[int],
    progress: ProgressObserver | None = None,
    cache: FileCache | None = None,
    on_clean: Callable[[int], None] | None = None,
) -> Iterator[FileResult]:
    """Examine ``first`` then the files ``rest`` yields, in ``jobs`` processes; yield the
    results in walk order — except files that were scanned and hold nothing, which are only
    counted into ``tally`` ([files, bytes]). The rest of the walk happens in a child process; its skips
    and file count are copied into ``walk_result`` when it ends. The walker starts first and
    walks ahead (its task queue buffers up to :data:`_MAX_QUEUED` batches) while this process
    builds the detectors (≈0.4 s of CPU: catalogs, compiled patterns), which the examiners
    then inherit: the build no longer leaves the second core idle. With a ``cache`` (incremental rescans) each
    examiner looks its files up in its own read-only connection; the rows to write come
    back here, the one writer. ``on_clean(n)`` hears of the clean files that are only
    counted (for the history's progress counter)."""
    from qrisk.scan.prefilter import Prefilter

    ctx = mp.get_context("fork")
    # a Queue (its feeder thread buffers) so the walker is never held up by busy examiners
    tasks: Queue[Any] = ctx.Queue(maxsize=_MAX_QUEUED)
    results: SimpleQueue[Any] = ctx.SimpleQueue()
    first_batches = [first[i:i + batch_size] for i in range(0, len(first), batch_size)]
    spec = (cache.path, cache.config, cache.salt, cache.reuse) if cache is not None and cache.path else None
    walker = ctx.Process(
        target=_reporting_errors(_walker), args=(first_batches, rest, walk_result, batch_size, jobs, tasks, results),
        daemon=True,
    )
    procs = [walker]
    try:
        walker.start()
        if progress:
            progress.discovered(len(first))
        detectors = make_detectors()
        prefilter = Prefilter(detectors)
        for _ in range(jobs):
            p = ctx.Process(
                target=_reporting_errors(_examiner), args=(detectors, prefilter, spec, tasks, results), daemon=True
            )
            procs.append(p)
            p.start()
        pending: dict[int, list[FileResult]] = {}
        next_seq, total = 0, None
        while total is None or next_seq < total:
            if not results._reader.poll(_POLL_S):  # type: ignore[attr-defined]
                dead = [p for p in procs if p.exitcode not in (None, 0)]
                gone = all(p.exitcode is not None for p in procs)
                if dead or (gone and not results._reader.poll(0)):  # type: ignore[attr-defined]
                    raise ScanWorkerError(
                        "a scan process died (exit code "
                        + ", ".join(str(p.exitcode) for p in dead or [walker])
                        + "); no result was written. Out of memory? Try --jobs 1."
                    )
                continue
            msg = results.get()
            if msg[0] == "examined":
                _, seq, kept, clean, clean_bytes, cache_news = msg
                tally[0] += clean
                tally[1] += clean_bytes
                if on_clean and clean:
                    on_clean(clean)
                if cache is not None and cache_news is not None:
                    rows, hits, misses = cache_news
                    cache.hits += hits
                    cache.misses += misses
                    if rows:
                        cache.write_rows(rows)
                if progress:
                    progress.advance(len(kept) + clean, clean_bytes + sum(r.nbytes for r in kept))
                pending[seq] = kept
                while next_seq in pending:
                    yield from pending.pop(next_seq)
                    next_seq += 1
            elif msg[0] == "error":
                raise ScanWorkerError(f"a scan process failed: {msg[1]}")
            elif msg[0] == "found":
                if progress:
                    progress.discovered(msg[1])
            else:  # walked
                total = msg[1]
                done: WalkResult = msg[2]
                walk_result.skipped[:] = done.skipped
                walk_result.files_seen = done.files_seen
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join()
        tasks.close()
        tasks.join_thread()
        results.close()


__all__ = ["ScanWorkerError", "available", "examine_in_processes"]
