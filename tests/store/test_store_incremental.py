"""Incremental rescans: unchanged files are not parsed again, changed ones always are, and
the inventory never differs from a full scan (property test over random edits)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storekit import count_calls, marker_detectors, write_estate, write_markers

from qrisk.model import inventory_to_json
from qrisk.scan import cache as cache_module
from qrisk.scan.cache import FileCache, config_fingerprint
from qrisk.scan.detectors import builtin_detectors
from qrisk.scan.engine import ScanOptions, run_scan
from qrisk.scan.walk import WalkedFile


def comparable(inv) -> dict:  # type: ignore[no-untyped-def]
    data = json.loads(inventory_to_json(inv))
    data["scan"] = {k: v for k, v in data["scan"].items() if k not in ("started", "finished")}
    return data


def scan(tree: Path, db: Path | None, counter: Path, **kw: object):  # type: ignore[no-untyped-def]
    factory = functools.partial(marker_detectors, count_dir=str(counter))
    options = ScanOptions(db=str(db) if db else None, detectors=factory, probe_endpoints=False, **kw)  # type: ignore[arg-type]
    return run_scan([str(tree)], options)


def backdate(tree: Path, seconds: int = 3600) -> None:
    """Make every file older than the racy window, as in a real estate."""
    for p in tree.rglob("*"):
        if p.is_file():
            st_ = p.stat()
            os.utime(p, ns=(st_.st_atime_ns - seconds * 10**9, st_.st_mtime_ns - seconds * 10**9))


def test_unchanged_files_are_not_parsed_again(tmp_path: Path) -> None:
    tree, db, counter = tmp_path / "tree", tmp_path / "h.db", tmp_path / "calls"
    counter.mkdir()
    write_markers(tree, 60)
    write_estate(tree / "certs", 40)
    backdate(tree)
    first = scan(tree, db, counter, jobs=1)
    assert count_calls(counter) == 60
    second = scan(tree, db, counter, jobs=1)
    assert count_calls(counter) == 60  # no detect() call at all on the rescan
    assert comparable(first) == comparable(second)


def test_content_change_is_seen_even_with_same_size_and_mtime(tmp_path: Path) -> None:
    tree, db, counter = tmp_path / "tree", tmp_path / "h.db", tmp_path / "calls"
    counter.mkdir()
    write_markers(tree, 10)
    backdate(tree)
    scan(tree, db, counter, jobs=1)
    target = next(tree.rglob("f00001.marker"))
    old = target.stat()
    assert target.read_text() == "ECDSA\n"
    target.write_text("MD5XY\n")  # same size
    os.utime(target, ns=(old.st_atime_ns, old.st_mtime_ns))  # same mtime: only ctime and content differ
    inv = scan(tree, db, counter, jobs=1)
    assert count_calls(counter) == 11
    assert any(a.algorithm == "unknown" or "MD5" in a.algorithm for a in inv.assets if "f00001" in a.occurrences[0].location)
    assert not any(a.algorithm.startswith("ECDSA") for a in inv.assets if "f00001" in a.occurrences[0].location)


def test_touched_file_is_verified_by_digest_not_parsed(tmp_path: Path) -> None:
    tree, db, counter = tmp_path / "tree", tmp_path / "h.db", tmp_path / "calls"
    counter.mkdir()
    write_markers(tree, 10)
    backdate(tree)
    scan(tree, db, counter, jobs=1)
    for p in tree.rglob("*.marker"):
        p.touch()  # new mtime, same content
    scan(tree, db, counter, jobs=1)
    assert count_calls(counter) == 10


def test_racy_entry_is_reverified(tmp_path: Path) -> None:
    """A same-size rewrite in the same timestamp tick as the examination leaves the stat key
    unchanged; an entry recorded within the racy window of the file's mtime is therefore
    checked by digest (git's "racily clean" rule)."""
    import sqlite3

    tree, db, counter = tmp_path / "tree", tmp_path / "h.db", tmp_path / "calls"
    counter.mkdir()
    write_markers(tree, 5)
    scan(tree, db, counter, jobs=1)
    target = next(tree.rglob("f00000.marker"))
    target.write_text("DSA\n")  # "RSA\n" -> "DSA\n": same size
    st_ = target.stat()
    # simulate the unobservable: the stored stat key equals the file's current one
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "UPDATE file_cache SET mtime_ns = ?, ctime_ns = ?, inode = ?, verified_ns = ? WHERE path = ?",
            (st_.st_mtime_ns, st_.st_ctime_ns, st_.st_ino, st_.st_mtime_ns + 1000, os.fsencode(target)),
        )
    conn.close()
    inv = scan(tree, db, counter, jobs=1)
    assert count_calls(counter) == 6
    assert any(a.algorithm == "DSA" for a in inv.assets)
    assert not any(a.algorithm == "RSA" for a in inv.assets)


def test_no_incremental_examines_everything(tmp_path: Path) -> None:
    tree, db, counter = tmp_path / "tree", tmp_path / "h.db", tmp_path / "calls"
    counter.mkdir()
    write_markers(tree, 10)
    backdate(tree)
    scan(tree, db, counter, jobs=1)
    scan(tree, db, counter, jobs=1, incremental=False)
    assert count_calls(counter) == 20


def test_other_detector_code_invalidates(tmp_path: Path) -> None:
    assert config_fingerprint(builtin_detectors()) != config_fingerprint(marker_detectors())
    assert config_fingerprint(builtin_detectors()) == config_fingerprint(builtin_detectors())
    tree, db, counter = tmp_path / "tree", tmp_path / "h.db", tmp_path / "calls"
    counter.mkdir()
    write_markers(tree, 10)
    backdate(tree)
    run_scan([str(tree)], ScanOptions(db=str(db), jobs=1))  # built-in detectors only
    scan(tree, db, counter, jobs=1)
    assert count_calls(counter) == 10  # entries of the other configuration were not reused


def test_parallel_incremental_equals_single_process(tmp_path: Path) -> None:
    # above the engine's pool threshold (256 files), so jobs=2 really uses the process pool
    tree, counter = tmp_path / "tree", tmp_path / "calls"
    counter.mkdir()
    write_markers(tree, 200)
    write_estate(tree / "certs", 200)
    backdate(tree)
    reference = comparable(scan(tree, None, counter, jobs=1))
    db = tmp_path / "h.db"
    assert comparable(scan(tree, db, counter, jobs=2)) == reference  # cold cache, pool
    before = count_calls(counter)
    assert comparable(scan(tree, db, counter, jobs=2)) == reference  # warm cache, pool
    assert count_calls(counter) == before
    (next(tree.rglob("f00007.marker"))).write_text("ML-DSA-87\n")
    changed = comparable(scan(tree, db, counter, jobs=2))
    assert count_calls(counter) == before + 1
    assert changed == comparable(scan(tree, None, counter, jobs=1))


def test_lookup_ignores_moved_file(tmp_path: Path) -> None:
    tree, db = tmp_path / "tree", tmp_path / "h.db"
    write_markers(tree, 3)
    backdate(tree)
    run_scan([str(tree)], ScanOptions(db=str(db), jobs=1, detectors=marker_detectors))
    detectors = marker_detectors()
    cache = FileCache.open(db, detectors)
    path = next(tree.rglob("f00000.marker"))
    rel = path.relative_to(tree).as_posix()
    assert cache.lookup(WalkedFile(os.fsencode(path), rel, 4, 0)) is not None
    assert cache.lookup(WalkedFile(os.fsencode(path), "other/" + rel, 4, 0)) is None  # location is part of the key
    cache.close()


# --------------------------------------------------------------------------- property

EDITS = st.lists(
    st.tuples(st.sampled_from(["modify", "touch", "delete", "create", "same-size"]), st.integers(0, 29)),
    max_size=8,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rounds=st.lists(EDITS, min_size=1, max_size=3))
def test_incremental_equals_full_scan_after_any_edits(rounds: list[list[tuple[str, int]]]) -> None:
    work = Path(tempfile.mkdtemp(prefix="qrisk-incr-"))
    try:
        tree, db = work / "tree", work / "h.db"
        write_markers(tree, 30)
        write_estate(tree / "c", 10)
        files = sorted(tree.rglob("*.marker"))
        run_scan([str(tree)], ScanOptions(db=str(db), jobs=1, detectors=marker_detectors))
        for edits in rounds:
            for op, i in edits:
                p = files[i]
                if op == "delete":
                    p.unlink(missing_ok=True)
                elif op == "create":
                    (p.parent / f"new{i}.marker").write_text("X25519\n")
                elif op == "touch" and p.exists():
                    p.touch()
                elif op == "same-size" and p.exists():
                    st_ = p.stat()
                    p.write_text("A" * (len(p.read_text()) - 1) + "\n")
                    os.utime(p, ns=(st_.st_atime_ns, st_.st_mtime_ns))
                elif op == "modify":
                    p.write_text("SHA-1\nmore\n")
            incremental = run_scan([str(tree)], ScanOptions(db=str(db), jobs=1, detectors=marker_detectors))
            full = run_scan([str(tree)], ScanOptions(jobs=1, detectors=marker_detectors))
            assert comparable(incremental) == comparable(full)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_racy_window_constant_is_conservative() -> None:
    assert cache_module.RACY_NS >= 2 * 10**9  # FAT's 2-second mtime granularity
