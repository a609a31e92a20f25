"""The parallel scan (walker process + examiner processes, ``qrisk/scan/pipeline.py``):
same inventory as one process whatever the batch size and process count, walk skips
carried back from the walker, and a dying process is an error, not a hang."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

import pytest

from qrisk.scan import engine, pipeline
from qrisk.scan.detectors import builtin_detectors
from qrisk.scan.detectors.base import Detector, DetectorOutput, Gate

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "inventories" / "acme-bank"

pytestmark = pytest.mark.skipif(not pipeline.available(), reason="needs the fork start method")


def _tree(tmp_path: Path, copies: int = 3) -> Path:
    import shutil

    for i in range(copies):
        shutil.copytree(SAMPLE, tmp_path / f"copy{i}")
    (tmp_path / "copy0" / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "copy0" / "big.bin").write_bytes(b"x" * 2048)
    return tmp_path


@pytest.mark.parametrize(("jobs", "chunk"), [(2, 1), (2, 7), (3, 64)])
def test_parallel_equals_single_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int, chunk: int) -> None:
    tree = _tree(tmp_path)
    one = engine.run_scan([str(tree)], engine.ScanOptions(jobs=1, probe_endpoints=False, max_file_size=1024))
    monkeypatch.setattr(engine, "POOL_MIN_FILES", 5)
    monkeypatch.setattr(engine, "CHUNK", chunk)
    many = engine.run_scan([str(tree)], engine.ScanOptions(jobs=jobs, probe_endpoints=False, max_file_size=1024))
    assert many.assets == one.assets
    assert many.skipped == one.skipped  # includes the walker's broken-symlink and too-large skips
    assert {s.reason for s in many.skipped} >= {"broken-symlink", "too-large"}
    assert many.scan.files_seen == one.scan.files_seen
    assert many.scan.files_scanned == one.scan.files_scanned
    assert many.scan.bytes_scanned == one.scan.bytes_scanned


class _Dies(Detector):
    """Kills its process on one file (as the OOM killer would)."""

    id = "dies"
    description = "test detector"
    rules: ClassVar[dict[str, str]] = {}

    def wants(self, path: str, head: bytes) -> bool:
        return True

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        if path.endswith("victim.txt"):
            os._exit(137)
        return ()


def _with_dies() -> list[Detector]:
    return [*builtin_detectors(), _Dies()]


def test_a_dead_examiner_is_an_error_not_a_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _tree(tmp_path, copies=1)
    (tree / "victim.txt").write_text("bye\n")
    monkeypatch.setattr(engine, "POOL_MIN_FILES", 5)
    t0 = time.monotonic()
    with pytest.raises(pipeline.ScanWorkerError, match="scan process died"):
        engine.run_scan([str(tree)], engine.ScanOptions(jobs=2, probe_endpoints=False, detectors=_with_dies))
    assert time.monotonic() - t0 < 60
    # every child was reaped: none is left running
    import multiprocessing

    assert multiprocessing.active_children() == []


def test_a_walk_that_ends_within_the_first_batches_does_not_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the walker finds nothing more and sends its end-of-work markers at once: they must not
    # overtake the batches the scanning process already had (a lost batch used to hang)
    for i in range(6):
        (tmp_path / f"f{i}.txt").write_text("plain\n")
    monkeypatch.setattr(engine, "POOL_MIN_FILES", 6)
    monkeypatch.setattr(engine, "CHUNK", 1)
    for _ in range(5):
        inv = engine.run_scan([str(tmp_path)], engine.ScanOptions(jobs=2, probe_endpoints=False))
        assert inv.scan.files_scanned == 6


class _BrokenGate(Detector):
    """A gate that raises outside the per-detector isolation (a plugin bug)."""

    id = "broken-gate"
    description = "test detector"
    rules: ClassVar[dict[str, str]] = {}

    def _boom(name: str) -> bool:  # type: ignore[misc]
        raise ValueError("gate exploded")

    gate = Gate(name_test=_boom)

    def wants(self, path: str, head: bytes) -> bool:
        return False

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        return ()


def test_an_error_in_a_scan_process_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    tree = _tree(tmp_path, copies=1)
    monkeypatch.setattr(engine, "POOL_MIN_FILES", 5)
    with pytest.raises(pipeline.ScanWorkerError, match=r"scan process failed: ValueError$"):
        engine.run_scan([str(tree)], engine.ScanOptions(
            jobs=2, probe_endpoints=False, detectors=lambda: [*builtin_detectors(), _BrokenGate()]))
    assert "Traceback" not in capfd.readouterr().err


def test_the_walker_finishing_first_with_a_full_queue_does_not_deadlock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The walker ends while its queue still holds batches (flushed on its way out); that
    # needs the examiners, which need the scanning process reading their results. Waiting
    # for the walker there used to hang every scan of a large tree.
    import threading

    _tree(tmp_path, copies=150)
    monkeypatch.setattr(engine, "POOL_MIN_FILES", 5)
    monkeypatch.setattr(engine, "CHUNK", 1)
    out: list[object] = []
    worker = threading.Thread(
        target=lambda: out.append(engine.run_scan([str(tmp_path)], engine.ScanOptions(jobs=2, probe_endpoints=False))),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the parallel scan hung"
    assert out and out[0].scan.files_seen > 2000  # type: ignore[attr-defined]
