"""A history database that cannot be used: damaged past its header, another program's SQLite
file, or busy. Every command that reads or writes it ends with one line on stderr and exit 2
(never a traceback), a foreign file is left byte for byte as it was; and a complete scan that
found no assets still has its place in the trend."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from qrisk.cli import main
from qrisk.report.report_trend import load_trend, trend_data
from qrisk.store import ScanRecorder, Store, StoreError, connect

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "inventories" / "acme-bank"


def run(*args: str) -> Result:
    # catch_exceptions=False: an exception that escapes the CLI fails the test with its traceback
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def scan(target: Path, db: Path, *extra: str) -> Result:
    return run("scan", str(target), "--db", str(db), "--no-probe", "-q", "-j", "1", "-f", "json", *extra)


def one_line_error(result: Result, *wanted: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    err = result.stderr
    assert err.startswith("qrisk: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in result.output
    for text in wanted:
        assert text in err, err
    return err


@pytest.fixture(scope="module")
def history_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two complete scans of the sample estate (the database closed, its WAL checkpointed)."""
    root = tmp_path_factory.mktemp("damage")
    estate = root / "estate"
    shutil.copytree(SAMPLE, estate)
    db = root / "history.db"
    for _ in range(2):
        result = scan(estate / "manifest.yaml", db)
        assert result.exit_code == 0, result.stderr
    assert not Path(f"{db}-wal").exists()
    return db


def _pages(db: Path) -> tuple[int, dict[str, int]]:
    with open(db, "rb") as fh:
        header = fh.read(100)
    assert header.startswith(b"SQLite format 3\0")
    page_size = int.from_bytes(header[16:18], "big")
    conn = sqlite3.connect(db)
    try:
        roots = dict(conn.execute("SELECT name, rootpage FROM sqlite_master"))
    finally:
        conn.close()
    return page_size, roots


def damaged(db: Path, folder: Path, how: str) -> Path:
    """A copy of ``db`` whose header and schema page are intact but later pages are garbage:
    ``tail`` every page after the first, ``scans`` the root page of the scans table,
    ``cache`` the root page of the per-file cache table."""
    page_size, roots = _pages(db)
    bad = folder / f"damaged-{how}.db"
    shutil.copy(db, bad)
    with open(bad, "r+b") as fh:
        if how == "tail":
            size = bad.stat().st_size
            fh.seek(page_size)
            fh.write(b"\xff" * (size - page_size))
        else:
            table = {"scans": "scans", "cache": "file_cache"}[how]
            fh.seek((roots[table] - 1) * page_size)
            fh.write(b"\xa5" * page_size)
    return bad


# --------------------------------------------------------------------------- damaged past the header


COMMANDS: dict[str, Callable[[Path, Path], Result]] = {
    "history": lambda bad, tmp: run("history", "--db", str(bad)),
    "history --trend": lambda bad, tmp: run("history", "--trend", "--db", str(bad)),
    "history --trend -f json": lambda bad, tmp: run("history", "--trend", "-f", "json", "--db", str(bad)),
    "diff 1 2": lambda bad, tmp: run("diff", "1", "2", "--db", str(bad)),
    "diff": lambda bad, tmp: run("diff", "--db", str(bad)),
    "scan": lambda bad, tmp: scan(SAMPLE / "manifest.yaml", bad),
    "scan --report": lambda bad, tmp: scan(SAMPLE / "manifest.yaml", bad, "--report", str(tmp / "out")),
    "report --db": lambda bad, tmp: run(
        "report", str(SAMPLE / "manifest.yaml"), "--html", str(tmp / "out"), "--db", str(bad), "--now", "2026-01-01",
        "-q",
    ),
}


@pytest.mark.parametrize("how", ["tail", "scans"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_damaged_database_is_a_one_line_error(history_db: Path, tmp_path: Path, how: str, command: str) -> None:
    bad = damaged(history_db, tmp_path, how)
    result = COMMANDS[command](bad, tmp_path)
    one_line_error(result, f"{bad}: not a usable qrisk database: ", "malformed")
    assert not (tmp_path / "out").exists(), "nothing is written when the database cannot be used"


def test_damaged_database_in_a_real_process(history_db: Path, tmp_path: Path) -> None:
    bad = damaged(history_db, tmp_path, "tail")
    proc = subprocess.run(
        [sys.executable, "-m", "qrisk.cli", "history", "--trend", "--db", str(bad)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"qrisk: error: {bad}: not a usable qrisk database: ")


def test_damaged_cache_table_stops_the_scan_and_keeps_the_history(history_db: Path, tmp_path: Path) -> None:
    # the per-file cache (qrisk.scan.cache) shares the database and its errors
    bad = damaged(history_db, tmp_path, "cache")
    one_line_error(scan(SAMPLE / "manifest.yaml", bad), f"{bad}: not a usable qrisk database: ")
    result = run("history", "-f", "json", "--db", str(bad))
    assert result.exit_code == 0, result.stderr
    scans = json.loads(result.stdout)["scans"]
    assert [s["status"] for s in scans] == ["complete", "complete", "incomplete"]


STORE_CALLS: dict[str, Callable[[Store], Any]] = {
    "scans": lambda s: s.scans(),
    "scan": lambda s: s.scan(1),
    "resolve": lambda s: s.resolve("latest"),
    "trend": lambda s: s.trend(),
    "trend(systems)": lambda s: s.trend(["payments"]),
    "diff": lambda s: s.diff(1, 2),
    "load_inventory": lambda s: s.load_inventory(1),
    "assets": lambda s: list(s.assets(1)),
    "asset_summaries": lambda s: s.asset_summaries(1),
    "findings_of": lambda s: s.findings_of(1),
    "start_scan": lambda s: s.start_scan(["x"]),
    "abort_scan": lambda s: s.abort_scan(1, "stop"),
}


@pytest.mark.parametrize("call", list(STORE_CALLS))
def test_every_store_entry_point_raises_store_error(history_db: Path, tmp_path: Path, call: str) -> None:
    bad = damaged(history_db, tmp_path, "tail")
    with Store(bad, create=False) as store, pytest.raises(StoreError) as caught:
        STORE_CALLS[call](store)
    assert str(caught.value).startswith(f"{bad}: not a usable qrisk database: ")
    assert "\n" not in str(caught.value)


def test_recorder_and_load_trend_raise_store_error(history_db: Path, tmp_path: Path) -> None:
    import datetime as dt

    bad = damaged(history_db, tmp_path, "tail")
    with pytest.raises(StoreError, match="not a usable qrisk database"):
        ScanRecorder.start(bad, ["x"], dt.datetime.now(dt.UTC))
    with pytest.raises(StoreError, match="not a usable qrisk database"):
        load_trend(bad)


def test_busy_database_is_a_clear_error(history_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "busy.db"
    shutil.copy(history_db, db)
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        with Store(db) as store:
            store.conn.execute("PRAGMA busy_timeout = 0")  # instead of waiting a minute
            with pytest.raises(StoreError) as caught:
                store.start_scan(["x"])
            # a reader is not blocked by the writer (WAL)
            assert [r.scan_id for r in store.scans()] == [1, 2]
    finally:
        other.execute("ROLLBACK")
        other.close()
    message = str(caught.value)
    assert message.startswith(f"{db}: the database is in use by another process (database is locked)"), message
    assert "not a usable" not in message
    with Store(db) as store:  # nothing was left half-written
        assert [r.status for r in store.scans()] == ["complete", "complete"]


# --------------------------------------------------------------------------- another program's database


def foreign_db(path: Path, *, user_version: int = 0, table: str = "users") -> bytes:
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute(f"INSERT INTO {table} (name) VALUES ('alice'), ('bob')")
    conn.execute(f"PRAGMA user_version = {user_version}")
    conn.commit()
    conn.close()
    return path.read_bytes()


def assert_untouched(path: Path, before: bytes) -> None:
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    conn = sqlite3.connect(path)
    try:
        assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master")} <= {"users", "meta"}
    finally:
        conn.close()


@pytest.mark.parametrize(("user_version", "table"), [(0, "users"), (2, "users"), (0, "meta")])
@pytest.mark.parametrize("command", ["history", "history --trend", "diff", "scan", "report --db"])
def test_foreign_sqlite_database_is_refused_and_left_as_it_was(
    tmp_path: Path, user_version: int, table: str, command: str
) -> None:
    other = tmp_path / "app.db"
    before = foreign_db(other, user_version=user_version, table=table)
    result = COMMANDS[command](other, tmp_path)
    one_line_error(result, f"{other}: not a qrisk database (it holds other tables)")
    assert_untouched(other, before)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("create", [False, True])
def test_connect_refuses_a_foreign_database(tmp_path: Path, create: bool) -> None:
    other = tmp_path / "app.db"
    before = foreign_db(other)
    with pytest.raises(StoreError, match=r"not a qrisk database \(it holds other tables\)"):
        connect(other, create=create)
    with pytest.raises(StoreError, match="not a qrisk database"):
        Store(other, create=create)
    assert_untouched(other, before)


def test_empty_files_are_still_initialised(tmp_path: Path) -> None:
    new = tmp_path / "sub" / "new.db"
    connect(new).close()
    empty = tmp_path / "empty.db"
    empty.touch()
    for path in (new, empty):
        with Store(path, create=False) as store:
            assert store.scans() == []
            assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_file_that_is_not_sqlite_still_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all\n" * 300)
    before = junk.read_bytes()
    one_line_error(run("history", "--db", str(junk)), f"{junk}: not a usable qrisk database: ")
    one_line_error(scan(SAMPLE / "manifest.yaml", junk), f"{junk}: not a usable qrisk database: ")
    assert junk.read_bytes() == before


# --------------------------------------------------------------------------- a scan without assets


def test_scan_without_assets_is_in_the_trend(tmp_path: Path) -> None:
    estate = tmp_path / "estate"
    shutil.copytree(SAMPLE, estate)
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    (nothing / "README.txt").write_text("no cryptography here\n")
    db = tmp_path / "h.db"
    for target in (estate / "manifest.yaml", nothing, estate / "manifest.yaml"):
        result = scan(target, db)
        assert result.exit_code == 0, result.stderr
    history = json.loads(run("history", "-f", "json", "--db", str(db)).stdout)["scans"]
    assert [(s["status"], s["assets"] > 0) for s in history] == [("complete", True), ("complete", False),
                                                                 ("complete", True)]

    result = run("history", "--trend", "-f", "json", "--db", str(db))
    assert result.exit_code == 0, result.stderr
    points = json.loads(result.stdout)["trend"]
    assert sorted({p["scan_id"] for p in points}) == [1, 2, 3]
    empty = [p for p in points if p["scan_id"] == 2]
    assert empty == [{**empty[0], "system": "", "vulnerable": 0, "weakened": 0, "safe": 0, "unknown": 0, "total": 0}]
    assert empty[0]["finished"]
    totals = {sid: sum(p["total"] for p in points if p["scan_id"] == sid) for sid in (1, 2, 3)}
    assert totals == {s["scan_id"]: s["assets"] for s in history}

    table = run("history", "--trend", "--db", str(db)).stdout.splitlines()
    assert any(line.split()[:1] == ["2"] and "(none)" in line for line in table), table

    # one system asked for: one point per complete scan, zeros where it has no assets
    result = run("history", "--trend", "--system", "payments", "-f", "json", "--db", str(db))
    payments = json.loads(result.stdout)["trend"]
    assert [(p["scan_id"], p["system"]) for p in payments] == [(1, "payments"), (2, "payments"), (3, "payments")]
    assert payments[1]["total"] == 0 and payments[0]["vulnerable"] == payments[2]["vulnerable"] > 0

    # the report's trend: the scan is a step of every line, and adds no line of its own
    data = trend_data(load_trend(db))
    assert data is not None
    assert data["scans"]["id"] == [1, 2, 3]
    assert data["total"][1] == 0 and data["total"][0] == data["total"][2] > 0
    assert all(series["values"][1] == 0 for series in data["series"])
    unassigned = sum(p["total"] for p in points if p["system"] == "" and p["scan_id"] != 2)
    assert ("" in {s["system"] for s in data["series"]}) == (unassigned > 0)
