"""Secrets never leave the estate: scan a tree of private keys in every supported format
and search every output (table, JSON, CBOM, CSV, stderr logs) for any 32-character run of
each key's base64 body, for private scalars in hex, and for the passwords used."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from keyfactory import KeyTree, leaked_runs, write_key_tree

from qrisk.cli import main


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, KeyTree]:
    root = tmp_path_factory.mktemp("keys")
    return root, write_key_tree(root)


@pytest.fixture(scope="module")
def outputs(tree: tuple[Path, KeyTree], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root, _ = tree
    out_dir = tmp_path_factory.mktemp("out")
    texts: dict[str, str] = {}
    runner = CliRunner()
    for fmt in ("table", "json", "cbom", "csv"):
        result = runner.invoke(main, ["-vv", "scan", str(root), "-f", fmt], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        texts[f"{fmt}:stdout"] = result.stdout
        texts[f"{fmt}:stderr"] = result.stderr
        target = out_dir / f"out.{fmt}"
        result = runner.invoke(main, ["scan", str(root), "-f", fmt, "-o", str(target)], catch_exceptions=False)
        assert result.exit_code == 0
        texts[f"{fmt}:file"] = target.read_text()
    return texts


def test_tree_is_complete(tree: tuple[Path, KeyTree], outputs: dict[str, str]) -> None:
    _, kt = tree
    assert len(kt.bodies) >= 30
    # the scan saw the keys (a leak test over an empty output would prove nothing)
    import json

    inv = json.loads(outputs["json:stdout"])
    fingerprints = {a["fingerprint_sha256"] for a in inv["assets"] if a["fingerprint_sha256"]}
    missing = {str(p.name) for p, fp in kt.fingerprints.items() if fp not in fingerprints}
    assert not missing, f"keys not found by the scan: {sorted(missing)}"


def test_no_key_body_in_any_output(tree: tuple[Path, KeyTree], outputs: dict[str, str]) -> None:
    _, kt = tree
    for name, text in outputs.items():
        hits = leaked_runs([text], list(kt.bodies.values()))
        assert not hits, f"{name} contains private key material: {hits[:2]}"


def test_no_scalar_or_password_in_any_output(tree: tuple[Path, KeyTree], outputs: dict[str, str]) -> None:
    _, kt = tree
    for name, text in outputs.items():
        low = text.lower()
        for scalar in kt.scalars_hex:
            assert scalar not in low, f"{name} contains a private scalar"
        for password in kt.passwords:
            assert password not in text, f"{name} contains a password"
