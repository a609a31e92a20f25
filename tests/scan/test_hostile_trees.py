"""Hostile trees: huge single lines, NUL bytes, invalid UTF-8, deep nesting, 100k tiny
files. The scan finishes, exits 0 and reports each skip; no exception escapes a detector."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from click.testing import CliRunner

from qrisk.cli import main
from qrisk.scan.detectors import builtin_detectors
from qrisk.scan.detectors.base import Detector, DetectorOutput
from qrisk.scan.engine import ScanOptions, run_scan

PEM_GARBAGE = b"-----BEGIN CERTIFICATE-----\n" + b"A" * 64 + b"\n-----END CERTIFICATE-----\n"


def test_huge_line_nul_and_invalid_utf8(tmp_path: Path) -> None:
    with (tmp_path / "one-line.pem").open("wb") as fh:  # 100 MB in one line, with a PEM marker
        fh.write(b"-----BEGIN CERTIFICATE-----")
        chunk = b"Q" * (1024 * 1024)
        for _ in range(100):
            fh.write(chunk)
    (tmp_path / "nul.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\n\x00\x00\x00\n-----END PRIVATE KEY-----\n")
    (tmp_path / "latin1.key").write_bytes(b"\xe9\xff\xfe-----BEGIN RSA PRIVATE KEY-----\n\xc3\x28\n-----END RSA PRIVATE KEY-----\n")
    (tmp_path / "garbage.crt").write_bytes(PEM_GARBAGE)
    result = CliRunner().invoke(
        main, ["scan", str(tmp_path), "-f", "json", "--max-file-size", "200M"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    import json

    inv = json.loads(result.stdout)
    reasons = {s["location"]: s["reason"] for s in inv["skipped"]}
    assert reasons.get("garbage.crt") in ("malformed", "truncated")
    assert "one-line.pem" in reasons
    assert not [s for s in inv["skipped"] if s["reason"] == "detector-error"]


def test_deeply_nested_folders(tmp_path: Path) -> None:
    d = tmp_path
    for _ in range(400):
        d = d / "d"
    d.mkdir(parents=True)
    (d / "deep.pem").write_bytes(PEM_GARBAGE)
    inv = run_scan([str(tmp_path)], ScanOptions(jobs=1))
    assert inv.scan.files_seen == 1
    assert inv.skipped and inv.skipped[0].location.endswith("/deep.pem")


def test_hundred_thousand_tiny_files(tmp_path: Path) -> None:
    n = 100_000
    for i in range(n // 1000):
        sub = tmp_path / f"{i:03d}"
        sub.mkdir()
        for j in range(1000):
            with open(sub / f"{j}.txt", "wb") as fh:
                fh.write(b"x")
    inv = run_scan([str(tmp_path)], ScanOptions(jobs=2))
    assert inv.scan.files_seen == n
    assert inv.scan.files_scanned == n
    assert inv.assets == ()


class Exploding(Detector):
    id = "exploding"
    description = "raises on purpose"
    rules: ClassVar[dict[str, str]] = {"QR-TEST-001": "never emitted"}

    def wants(self, path: str, head: bytes) -> bool:
        if path.endswith(".wants"):
            raise ValueError("boom in wants")
        return True

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        raise RecursionError("boom in detect")


def test_detector_errors_are_counted_skips(tmp_path: Path) -> None:
    (tmp_path / "a.pem").write_bytes(PEM_GARBAGE)
    (tmp_path / "b.wants").write_bytes(b"text")
    inv = run_scan([str(tmp_path)], ScanOptions(jobs=1, detectors=lambda: [Exploding(), *builtin_detectors()]))
    errors = [(s.location, s.detail) for s in inv.skipped if s.reason == "detector-error"]
    assert ("a.pem", "exploding: RecursionError") in errors
    assert ("b.wants", "exploding.wants: ValueError") in errors
    # the other detectors still ran on the same file
    assert any(s.location == "a.pem" and s.reason != "detector-error" for s in inv.skipped)
    assert os.path.exists(tmp_path / "a.pem")


def test_a_file_replaced_by_a_fifo_after_the_walk_does_not_hang(tmp_path: Path) -> None:
    from qrisk.scan.detectors import builtin_detectors
    from qrisk.scan.engine import examine
    from qrisk.scan.walk import WalkedFile

    fifo = tmp_path / "was-a-file.pem"
    os.mkfifo(fifo)  # nobody ever writes to it: a blocking open would wait forever
    res = examine(WalkedFile(os.fsencode(fifo), "was-a-file.pem", 10, 0), builtin_detectors())
    assert not res.findings
    assert res.scanned or res.notes
