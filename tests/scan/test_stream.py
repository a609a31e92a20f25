"""Bounded-memory scans (``qrisk/scan/stream.py``, ``scan_streamed``): the streamed
inventory equals the in-memory one, byte for byte, for any sequence of findings; the
history database gets the same rows; a failure while writing leaves no half file and an
``incomplete`` scan."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk.cli import main
from qrisk.model import (
    AssetKind,
    CertificateInfo,
    Confidence,
    KeyMaterial,
    SkippedFile,
    Usage,
    inventory_to_json,
    write_inventory_json,
)
from qrisk.scan import stream
from qrisk.scan.detectors import builtin_detectors
from qrisk.scan.detectors.base import Finding
from qrisk.scan.engine import FileResult, ScanOptions, build_assets, run_scan, scan_streamed
from qrisk.scan.stream import AssetStager
from qrisk.store import Store

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "inventories" / "acme-bank"
DETECTORS = builtin_detectors()
RULES = [*sorted({r for d in DETECTORS for r in d.rules})[:6], "QR-UNKNOWN-1"]

DAY = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
small = st.sampled_from(["a", "b", "c", "ca", "root"])
certs = st.builds(
    CertificateInfo,
    subject=small, issuer=small, serial_number=st.just("1"), not_before=st.just(DAY), not_after=st.just(DAY),
    signature_algorithm=st.just("sha256WithRSAEncryption"), signature_hash=st.none() | st.just("SHA-1"),
    is_ca=st.booleans(), self_signed=st.booleans(), subject_key_id=st.none() | small,
    authority_key_id=st.none() | small, sha256_fingerprint=st.sampled_from(["c1", "c2", "c3"]),
)
findings = st.builds(
    Finding,
    kind=st.sampled_from([AssetKind.KEY, AssetKind.CERTIFICATE, AssetKind.ALGORITHM, AssetKind.PROTOCOL]),
    algorithm=st.sampled_from(["RSA", "ECDSA", "AES", "SHA-1", "ML-KEM-768", "no-such-algo"]),
    rule_id=st.sampled_from(RULES),
    line=st.none() | st.integers(1, 5),
    usage=st.sampled_from(Usage),
    key_size=st.none() | st.sampled_from([1024, 2048, 256]),
    curve=st.none() | st.sampled_from(["secp384r1", "prime256v1"]),
    fingerprint_sha256=st.none() | st.sampled_from(["f1", "f2"]),
    key_material=st.none() | st.sampled_from(KeyMaterial),
    encrypted=st.booleans(),
    certificate=st.none() | certs,
    name=st.sampled_from(["", "n"]),
    confidence=st.sampled_from(Confidence),
    snippet=st.just("x"),
    notes=st.lists(st.sampled_from(["n1", "n2"]), max_size=2).map(tuple),
)
results = st.builds(
    FileResult,
    location=st.sampled_from(["x.pem", "y/z.py", "y/a.key", "é/ü.conf", "tls://h:443"]),
    root_index=st.integers(0, 3),
    findings=st.lists(findings, max_size=3),
    notes=st.lists(st.builds(SkippedFile, location=small, reason=small, detail=small), max_size=2),
    scanned=st.booleans(),
    nbytes=st.integers(0, 100),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(results, max_size=12),
    st.lists(st.none() | st.sampled_from(["s1", "s2"]), min_size=3, max_size=3),
    st.sampled_from([0, 3, 10_000]),
)
def test_staged_assets_equal_the_in_memory_merge(
    batch: list[FileResult], systems: list[str | None], memory_findings: int
) -> None:
    # memory_findings 0: everything through the temporary database; 3: spilled midway
    expected = build_assets(batch, systems, DETECTORS)
    stager = AssetStager(systems, DETECTORS, memory_findings=memory_findings)
    try:
        stager.extend(batch)
        if memory_findings == 0 and any(r.findings for r in batch):
            assert stager.spilled
        assert list(stager.assets()) == expected
        skips = sorted((n for r in batch for n in r.notes), key=lambda s: (s.location, s.reason, s.detail))
        assert list(stager.skipped()) == skips
        assert stager.files_scanned == sum(1 for r in batch if r.scanned)
    finally:
        stager.close()


def _comparable(text: str) -> dict[str, object]:
    data = json.loads(text)
    data["scan"].pop("started")
    data["scan"].pop("finished")
    return data


def _both(target: str, **kw: object) -> tuple[str, str]:
    options = ScanOptions(probe_endpoints=False, jobs=1, **kw)  # type: ignore[arg-type]
    memory = inventory_to_json(run_scan([target], options))
    with scan_streamed([target], options) as streamed:
        pieces: list[str] = []
        streamed.write_json(pieces.append)
    return memory, "".join(pieces)


@pytest.mark.parametrize("spill", [False, True])
@pytest.mark.parametrize("target", [str(SAMPLE / "manifest.yaml"), str(ROOT / "tests" / "corpus")])
def test_streamed_scan_equals_in_memory_scan(target: str, spill: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if spill:  # every finding through the temporary database
        monkeypatch.setattr(stream, "MEMORY_FINDINGS", 0)
    memory, streamed = _both(target)
    assert _comparable(streamed) == _comparable(memory)


def test_streamed_json_is_the_in_memory_json_byte_for_byte() -> None:
    inv = run_scan([str(SAMPLE / "manifest.yaml")], ScanOptions(probe_endpoints=False, jobs=1))
    pieces: list[str] = []
    head = dataclasses.replace(inv, assets=(), skipped=())
    write_inventory_json(pieces.append, head, iter(inv.assets), iter(inv.skipped))
    assert "".join(pieces) == inventory_to_json(inv)
    empty: list[str] = []
    write_inventory_json(empty.append, head, iter(()), iter(()))
    assert "".join(empty) == inventory_to_json(head)


@pytest.mark.parametrize("spill", [False, True])
def test_streamed_scan_records_the_same_history(tmp_path: Path, spill: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if spill:
        monkeypatch.setattr(stream, "MEMORY_FINDINGS", 0)
    tree = tmp_path / "estate"
    shutil.copytree(SAMPLE, tree)
    manifest = str(tree / "manifest.yaml")
    memory = run_scan([manifest], ScanOptions(probe_endpoints=False, db=str(tmp_path / "a.db"), jobs=1))
    with scan_streamed([manifest], ScanOptions(probe_endpoints=False, db=str(tmp_path / "b.db"), jobs=1)) as s:
        s.write_json(lambda _piece: None)
        s.commit()
    with Store(tmp_path / "a.db", create=False) as a, Store(tmp_path / "b.db", create=False) as b:
        ia, ib = a.load_inventory(1), b.load_inventory(1)
        assert ia.assets == ib.assets == memory.assets
        assert ia.skipped == ib.skipped
        assert a.scan(1).status == b.scan(1).status == "complete"


def test_cli_json_is_streamed_and_fail_on_still_works(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "inv.json"
    res = runner.invoke(main, ["scan", str(SAMPLE / "manifest.yaml"), "--no-probe", "-f", "json", "-o", str(out),
                               "--fail-on", "broken"])
    assert res.exit_code == 1, res.output  # the sample holds quantum-vulnerable assets
    memory = run_scan([str(SAMPLE / "manifest.yaml")], ScanOptions(probe_endpoints=False))
    assert _comparable(out.read_text(encoding="utf-8")) == _comparable(inventory_to_json(memory))
    res = runner.invoke(main, ["scan", str(SAMPLE / "manifest.yaml"), "--no-probe", "-f", "json"])
    assert res.exit_code == 0
    assert _comparable(res.stdout) == _comparable(inventory_to_json(memory))


def test_a_failure_while_writing_leaves_no_file_and_an_incomplete_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qrisk.model

    original = qrisk.model.write_inventory_json

    def explode_midway(write, head, assets=None, skipped=None):  # type: ignore[no-untyped-def]
        def counting():  # type: ignore[no-untyped-def]
            for i, a in enumerate(assets):
                if i == 3:
                    raise OSError(28, "No space left on device")
                yield a

        original(write, head, counting(), skipped)

    monkeypatch.setattr(qrisk.model, "write_inventory_json", explode_midway)
    out = tmp_path / "inv.json"
    out.write_text("previous\n")
    db = tmp_path / "h.db"
    res = CliRunner().invoke(main, ["scan", str(SAMPLE / "manifest.yaml"), "--no-probe", "-f", "json", "-o", str(out),
                                    "--db", str(db)])
    assert res.exit_code == 2
    assert "No space left" in res.output and "Traceback" not in res.output
    assert out.read_text() == "previous\n"  # untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".inv.json")] == []
    with sqlite3.connect(db) as conn:
        status, assets = conn.execute("SELECT status, (SELECT count(*) FROM assets) FROM scans").fetchone()
    assert (status, assets) == ("incomplete", 0)


def test_no_write_lock_is_held_on_the_history_while_the_output_is_written(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    locked: list[bool] = []

    def slow_reader(piece: str) -> None:  # a consumer that takes its time (``| less``)
        if not locked and piece.startswith(",\n    {"):  # between two assets
            other = sqlite3.connect(db, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")  # another scan wanting to write
                other.execute("ROLLBACK")
                locked.append(False)
            except sqlite3.OperationalError:
                locked.append(True)
            finally:
                other.close()

    with scan_streamed([str(SAMPLE / "manifest.yaml")], ScanOptions(probe_endpoints=False, db=str(db), jobs=1)) as s:
        s.write_json(slow_reader)
        s.commit()
    assert locked == [False]
    with Store(db, create=False) as store:
        assert store.scan(1).status == "complete"


def test_a_failure_finishing_the_output_file_leaves_the_scan_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qrisk.clicommon

    def no_rename(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(qrisk.clicommon.os, "replace", no_rename)
    db = tmp_path / "h.db"
    res = CliRunner().invoke(main, ["scan", str(SAMPLE / "manifest.yaml"), "--no-probe", "-f", "json", "-o",
                                    str(tmp_path / "inv.json"), "--db", str(db)])
    assert res.exit_code == 2 and "No space left" in res.output
    assert not (tmp_path / "inv.json").exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status, (SELECT count(*) FROM assets) FROM scans").fetchone() == ("incomplete", 0)


def test_a_full_temporary_disk_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from qrisk.errors import QriskError

    original = AssetStager._open_db

    def tiny(self: AssetStager) -> sqlite3.Connection:
        conn = original(self)
        conn.execute("PRAGMA max_page_count = 3")  # as if the temporary folder's disk were full
        return conn

    monkeypatch.setattr(AssetStager, "_open_db", tiny)
    monkeypatch.setattr(stream, "MEMORY_FINDINGS", 0)
    options = ScanOptions(probe_endpoints=False, jobs=1)
    with pytest.raises(QriskError, match=r"temporary staging database in .*full"), scan_streamed(
        [str(ROOT / "tests" / "corpus")], options
    ) as s:
        s.write_json(lambda _piece: None)
