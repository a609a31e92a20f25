"""Parallel examination with the walk in its own process.

A ``ProcessPoolExecutor`` fed from the scanning process starves: its queue-management
and feeder threads need the GIL that the walk holds, so the workers wait for work (on two
cores a pool of two was barely faster than one process). Here the walk continues in a
forked *walker* process that writes batches of files straight into a pipe the *examiner*
processes read from; examiners write their results into a second pipe the scanning
process reads, reorders by batch number and hands on in walk order — so the inventory is
the same whatever the number of processes. No thread is involved; full pipes are the
back-pressure.

Only with the ``fork`` start method (Linux, the BSDs, macOS): the walker inherits the
half-consumed walk generator. Elsewhere (Windows) :func:`available` is False and the
engine uses its process pool. Each child has its own result pipe, dies with the scanning
process (Linux), and reports an exception as one line.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import TYPE_CHECKING, Any

from qrisk.errors import QriskError
from qrisk.scan.walk import WalkedFile, WalkResult

if TYPE_CHECKING:
    from qrisk.scan.cache import FileCache
    from qrisk.scan.detectors import Detector
    from qrisk.scan.engine import FileResult, ProgressObserver
    from qrisk.scan.prefilter import Prefilter

# batches the walker may queue ahead of the examiners (128 files each: ≈50 MB at most)
_MAX_QUEUED = 1024
# seconds between liveness checks of the child processes while waiting for results
_POLL_S = 0.5


class ScanWorkerError(QriskError):
    """A scan process died (killed, or out of memory)."""


def available() -> bool:
    return "fork" in mp.get_all_start_methods()


def _quiet_child(parent: int) -> None:
    # Ctrl-C reaches the whole process group; the scanning process stops the children.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # If the scanning process is killed (OOM killer, CI cancel), its children must not live
    # on blocked on a pipe, holding its stdout open: Linux delivers SIGKILL on the parent's
    # death (prctl PR_SET_PDEATHSIG); a parent already gone before that is caught by getppid.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # no libc prctl: getppid below still helps
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _reporting_errors(body: Callable[..., None], parent: int) -> Callable[..., None]:
    """Run a child's body; an exception goes back to the scanning process as one line (shown
    to the user as the scan's error) instead of a traceback on stderr. Only qrisk's own
    errors carry their message (others could quote file content); the rest give their type."""

    def run(*args: Any) -> None:
        _quiet_child(parent)
        out: Connection = args[-1]
        try:
            body(*args)
        except BaseException as exc:  # a child must report, whatever it was
            try:
                text = f"{type(exc).__name__}: {exc}" if isinstance(exc, QriskError) else type(exc).__name__
                out.send(("error", text))
            finally:
                os._exit(1)
        finally:
            out.close()

    return run


def _walker(
    first: list[list[WalkedFile]], files: Iterator[WalkedFile], walk_result: WalkResult, batch_size: int,
    n_examiners: int, tasks: Queue[Any], results: Connection,
) -> None:
    # one writer puts everything, in order: the end markers cannot overtake a batch
    for seq, batch in enumerate(first):
        tasks.put((seq, batch))
    from qrisk.scan.engine import _batches

    seq = len(first)
    for batch in _batches(files, batch_size):
        tasks.put((seq, batch))
        results.send(("found", len(batch)))
        seq += 1
    for _ in range(n_examiners):
        tasks.put(None)
    results.send(("walked", seq, walk_result))


def _examiner(
    detectors: list[Detector], prefilter: Prefilter, cache_spec: tuple[str, str, bytes, bool] | None,
    tasks: Queue[Any], results: Connection,
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
        results.send(("examined", seq, kept, clean, clean_bytes, cache_news))


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
    me = os.getpid()
    # a Queue (its feeder thread buffers) so the walker is never held up by busy examiners
    tasks: Queue[Any] = ctx.Queue(maxsize=_MAX_QUEUED)
    # one pipe per child: a child that dies mid-message ends its own pipe (an error here),
    # it cannot leave half a message in a pipe the others share
    channels: dict[Connection, BaseProcess] = {}
    first_batches = [first[i:i + batch_size] for i in range(0, len(first), batch_size)]
    spec = (cache.path, cache.config, cache.salt, cache.reuse) if cache is not None and cache.path else None
    procs: list[BaseProcess] = []

    def start(body: Callable[..., None], *args: Any) -> BaseProcess:
        reader, writer = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_reporting_errors(body, me), args=(*args, writer), daemon=True)
        procs.append(proc)
        proc.start()
        writer.close()  # the child's end only: EOF here once the child is gone
        channels[reader] = proc
        return proc

    def died(p: BaseProcess | None = None) -> ScanWorkerError:
        codes = ", ".join(str(q.exitcode) for q in ([p] if p else procs) if q.exitcode not in (None, 0))
        return ScanWorkerError(
            f"a scan process died{f' (exit code {codes})' if codes else ''} before the scan was complete."
            " Out of memory? Try --jobs 1."
        )

    try:
        start(_walker, first_batches, rest, walk_result, batch_size, jobs, tasks)
        if progress:
            progress.discovered(len(first))
        detectors = make_detectors()
        prefilter = Prefilter(detectors)
        for _ in range(jobs):
            start(_examiner, detectors, prefilter, spec, tasks)
        pending: dict[int, list[FileResult]] = {}
        next_seq, total = 0, None
        while total is None or next_seq < total:
            if not channels:
                raise died()  # every child has ended, and results are missing
            # a child's death shows as the end of its pipe, after whatever it sent before
            ready = wait(list(channels), timeout=_POLL_S)
            if not ready and any(p.exitcode not in (None, 0) for p in procs):
                raise died()  # e.g. the walker killed while its queue still held batches
            for conn in ready:
                try:
                    msg = conn.recv()  # type: ignore[union-attr]
                except (EOFError, OSError):
                    # The child closed its end. It may still be alive — the walker's queue
                    # flushes its last batches on the way out, which needs the examiners, which
                    # need us reading: never join here.
                    proc = channels.pop(conn)  # type: ignore[arg-type]
                    conn.close()  # type: ignore[union-attr]
                    if proc.exitcode not in (None, 0):
                        raise died(proc) from None
                    continue
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
        for conn in channels:
            conn.close()
        tasks.close()
        tasks.join_thread()


__all__ = ["ScanWorkerError", "available", "examine_in_processes"]
