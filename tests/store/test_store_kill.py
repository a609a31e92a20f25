"""A scan killed (SIGKILL) or interrupted mid-way leaves a valid database in which the scan
reads as incomplete — never as complete — and the next scan works normally."""

from __future__ import annotations

import datetime as dt
import functools
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from storekit import marker_detectors, write_markers

from qrisk.cli import QriskGroup
from qrisk.history_cli import diff, history
from qrisk.scan.engine import ScanOptions, run_scan
from qrisk.store import Store, StoreError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
N_FILES = 300

CHILD = """
import functools, sys
sys.path[:0] = [{here!r}, {root!r}]
from storekit import marker_detectors
from qrisk.scan.engine import ScanOptions, run_scan
run_scan([{tree!r}], ScanOptions(jobs=1, db={db!r}, detectors=functools.partial(marker_detectors, sleep_s=0.02)))
print("finished")
"""


def _findings_committed(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("SELECT findings FROM scans ORDER BY scan_id DESC LIMIT 1").fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError:  # schema not created yet
        return 0
    return row[0] if row else 0


def test_killed_scan_reads_incomplete(tmp_path: Path) -> None:
    tree, db = tmp_path / "tree", tmp_path / "h.db"
    write_markers(tree, N_FILES)
    code = CHILD.format(here=str(HERE), root=str(ROOT), tree=str(tree), db=str(db))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # wait (no fixed sleep) until the child has committed at least one batch of findings
        deadline = time.monotonic() + 120
        while _findings_committed(db) == 0:
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else "child ended"
            assert time.monotonic() < deadline, "the scan committed nothing"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    out = child.stdout.read().decode() if child.stdout else ""
    assert "finished" not in out  # killed mid-scan, not after it

    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert raw.execute("SELECT status FROM scans").fetchall() == [("running",)]  # as the kill left it
    raw.close()
    with Store(db) as store:
        (rec,) = store.scans()
        assert rec.status == "incomplete"  # its process is gone
        assert 0 < rec.findings < N_FILES and rec.files_examined < N_FILES
        assert rec.assets is None and rec.vulnerable is None
        # the committed findings are whole batches: every one belongs to a distinct examined file
        findings = store.findings_of(rec.scan_id)
        assert len(findings) == rec.findings == len({loc for loc, _, _ in findings})
        assert store.conn.execute("SELECT count(*) FROM assets").fetchone()[0] == 0
        with pytest.raises(StoreError, match="no complete scan"):
            store.resolve("latest")
        with pytest.raises(StoreError, match="incomplete"):
            store.load_inventory(rec.scan_id)

    cli = QriskGroup("qrisk", commands=[history, diff])
    result = CliRunner().invoke(cli, ["history", "--db", str(db)])
    assert result.exit_code == 0 and "incomplete" in result.stdout and "(partial)" in result.stdout

    # the database goes on working: a new scan completes, and the killed one stays incomplete
    inv = run_scan([str(tree)], ScanOptions(jobs=1, db=str(db), detectors=marker_detectors))
    assert len(inv.assets) > 0
    with Store(db) as store:
        assert [r.status for r in store.scans()] == ["incomplete", "complete"]
        assert store.resolve("latest") == 2
        with pytest.raises(StoreError, match="incomplete"):
            store.diff(1, 2)
        partial = store.diff(1, 2, allow_incomplete=True)
        assert partial.added and not partial.removed  # what the killed scan never reached shows as added
    result = CliRunner().invoke(cli, ["diff", "1", "2", "--db", str(db)])
    assert result.exit_code == 2 and "partial" in result.stderr


class _InterruptAfter:
    """A progress observer that presses Ctrl-C after some files."""

    def __init__(self, files: int) -> None:
        self.files = files

    def start(self, total_files: int, total_bytes: int) -> None: ...
    def discovered(self, files: int) -> None: ...
    def finish(self) -> None: ...

    def advance(self, files: int, nbytes: int) -> None:
        self.files -= files
        if self.files <= 0:
            raise KeyboardInterrupt


def test_interrupted_scan_is_marked_incomplete(tmp_path: Path) -> None:
    tree, db = tmp_path / "tree", tmp_path / "h.db"
    write_markers(tree, 50)
    options = ScanOptions(jobs=1, db=str(db), detectors=marker_detectors)
    with pytest.raises(KeyboardInterrupt):
        run_scan([str(tree)], options, _InterruptAfter(20))
    with Store(db) as store:
        (rec,) = store.scans()
        # marked explicitly (not only by process liveness): this process is still alive
        assert store.conn.execute("SELECT status FROM scans").fetchone()[0] == "incomplete"
        assert rec.status == "incomplete" and rec.error == "KeyboardInterrupt"


def _insert_running(store: Store, **values: object) -> int:
    now = dt.datetime.now(dt.UTC).isoformat()
    row = {"status": "running", "started": now, "heartbeat": now, "host": socket.gethostname(), "pid": os.getpid(),
           "pid_start": None, "tool_version": "t", "targets": "[]"} | values
    cur = store.conn.execute(
        f"INSERT INTO scans ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


def test_running_status_follows_the_process(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=5)).isoformat()
    with Store(tmp_path / "h.db") as store:
        alive = _insert_running(store)
        gone = _insert_running(store, pid=dead.pid)
        reused = _insert_running(store, pid_start="1")  # our pid, but another process's start time
        remote_fresh = _insert_running(store, host="another-host", pid=1)
        remote_stale = _insert_running(store, host="another-host", pid=1, heartbeat=old)
        status = {r.scan_id: r.status for r in store.scans()}
    if Path("/proc/self/stat").exists():
        assert status[reused] == "incomplete"
    assert status[alive] == "running"
    assert status[gone] == "incomplete"
    assert status[remote_fresh] == "running"
    assert status[remote_stale] == "incomplete"


def test_finished_scan_cannot_be_written_again(tmp_path: Path) -> None:
    tree, db = tmp_path / "tree", tmp_path / "h.db"
    write_markers(tree, 5)
    inv = run_scan([str(tree)], ScanOptions(jobs=1, db=str(db), detectors=functools.partial(marker_detectors)))
    with Store(db) as store, pytest.raises(StoreError, match="not running"):
        store.finish_scan(1, inv)
