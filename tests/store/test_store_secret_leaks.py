"""Secrets never leave the estate, the history database included: scan a tree of private
keys in every supported format with ``--db`` (twice: history, findings, assets and the
file cache are all written), then search every row and the raw database files (main, WAL)
for key bodies, private scalars in hex and the passwords used."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from keyfactory import KeyTree, leaked_runs, write_key_tree

from qrisk.cli import main


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[KeyTree, Path, list[str]]:
    root = tmp_path_factory.mktemp("keys")
    kt = write_key_tree(root)
    db = tmp_path_factory.mktemp("db") / "qrisk.db"
    runner = CliRunner()
    for extra in ([], ["-j", "2"]):  # cold cache, then warm cache (entries rewritten)
        result = runner.invoke(main, ["scan", str(root), "--db", str(db), "-q", "-f", "json", *extra],
                               catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
    texts = []
    # every row of every table, as SQL text
    conn = sqlite3.connect(db)
    texts.append("\n".join(conn.iterdump()))
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in conn.execute(f"SELECT * FROM {table}"):  # table names come from sqlite_master
            texts.append(" ".join(v.hex() if isinstance(v, bytes) else str(v) for v in row))
            texts.extend(v.decode("latin-1") for v in row if isinstance(v, bytes))
    conn.close()
    # and the raw files, before and after a checkpoint (free pages may hold old rows)
    for p in sorted(db.parent.iterdir()):
        texts.append(p.read_bytes().decode("latin-1"))
    return kt, db, texts


def test_database_holds_the_scan(recorded: tuple[KeyTree, Path, list[str]]) -> None:
    kt, db, _ = recorded
    conn = sqlite3.connect(db)
    bodies = [json.loads(b) for (b,) in conn.execute("SELECT body FROM assets WHERE scan_id = 2")]
    cached = conn.execute("SELECT count(*) FROM file_cache").fetchone()[0]
    conn.close()
    fingerprints = {a["fingerprint_sha256"] for a in bodies if a["fingerprint_sha256"]}
    missing = {p.name for p, fp in kt.fingerprints.items() if fp not in fingerprints}
    assert not missing, f"keys not recorded: {sorted(missing)}"  # a leak test over an empty database proves nothing
    assert cached >= len(kt.bodies)


def test_no_key_body_in_database(recorded: tuple[KeyTree, Path, list[str]]) -> None:
    kt, _, texts = recorded
    hits = leaked_runs(texts, list(kt.bodies.values()))
    assert not hits, f"the database contains private key material: {hits[:2]}"


def test_no_scalar_or_password_in_database(recorded: tuple[KeyTree, Path, list[str]]) -> None:
    kt, _, texts = recorded
    for text in texts:
        low = text.lower()
        for scalar in kt.scalars_hex:
            assert scalar not in low, "the database contains a private scalar"
        for password in kt.passwords:
            assert password not in text, "the database contains a password"
