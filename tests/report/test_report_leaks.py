"""Secrets never leave the estate, in the report folder either: scan a tree of private keys in
every supported format, write the report, and search every file of it (the HTML page, its data
island, the CBOM, SARIF and CSV files) for key bodies, private scalars and passwords."""

from __future__ import annotations

import json
import re

import pytest
from keyfactory import KeyTree, leaked_runs, write_key_tree
from reportkit import NOW

from qrisk.report.cli import REPORT_FILES, write_report_dir
from qrisk.scan.engine import ScanOptions, run_scan


@pytest.fixture(scope="module")
def keys_and_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[KeyTree, dict[str, str]]:
    root = tmp_path_factory.mktemp("keys")
    kt = write_key_tree(root)
    inv = run_scan([str(root)], ScanOptions(jobs=1))
    out = tmp_path_factory.mktemp("report")
    write_report_dir(inv, out, now=NOW)
    texts = {name: (out / name).read_text(encoding="utf-8") for name in REPORT_FILES}
    # the data island with its JSON escapes undone, as the browser sees it
    island = re.search(r'<script type="application/json" id="qrisk-data">(.*?)</script>', texts["index.html"], re.S)
    assert island
    texts["index.html:data"] = json.dumps(json.loads(island.group(1)), ensure_ascii=False)
    return kt, texts


def test_report_saw_the_keys(keys_and_report: tuple[KeyTree, dict[str, str]]) -> None:
    kt, texts = keys_and_report
    assert len(kt.bodies) >= 30
    found = [fp for fp in kt.fingerprints.values() if fp in texts["index.html"]]
    assert len(found) >= len(kt.fingerprints) // 2, "the report lists the keys by fingerprint"


def test_no_key_material_in_any_report_file(keys_and_report: tuple[KeyTree, dict[str, str]]) -> None:
    kt, texts = keys_and_report
    for name, text in texts.items():
        hits = leaked_runs([text], list(kt.bodies.values()))
        assert not hits, f"{name} contains private key material: {hits[:2]}"
        low = text.lower()
        for scalar in kt.scalars_hex:
            assert scalar not in low, f"{name} contains a private scalar"
        for password in kt.passwords:
            assert password not in text, f"{name} contains a password"
