"""Scan history: schema and migrations, recording scans, ``qrisk history``, ``qrisk diff``
and the trend, against a real SQLite database."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from storekit import cert_pem, mldsa_cert_pem

from qrisk.cli import QriskGroup, main
from qrisk.history_cli import diff, history
from qrisk.model import inventory_to_json
from qrisk.scan.engine import ScanOptions, run_scan
from qrisk.store import MIGRATIONS, SCHEMA_VERSION, Store, StoreError, connect, default_db_path


def scan(manifest: Path, db: Path, *extra: str) -> dict:
    result = CliRunner().invoke(
        main, ["scan", str(manifest), "--db", str(db), "--no-probe", "-q", "-f", "json", *extra], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# the commands as ``qrisk history`` / ``qrisk diff`` run them (QriskGroup turns errors into exit 2)
HISTORY_CLI = QriskGroup("qrisk", commands=[history, diff])


def invoke(command, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(HISTORY_CLI, [command.name, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def comparable(inventory_json: str | dict) -> dict:
    data = json.loads(inventory_json) if isinstance(inventory_json, str) else dict(inventory_json)
    data["scan"] = {k: v for k, v in data["scan"].items() if k not in ("started", "finished")}
    return data


# --------------------------------------------------------------------------- schema


def test_new_database_is_wal_and_current(db: Path) -> None:
    conn = connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"scans", "findings", "assets", "skipped", "file_cache", "meta"} <= tables
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_migration_from_version_1_keeps_history(db: Path, estate: Path) -> None:
    # a database as the first schema left it, with one recorded scan
    db.parent.mkdir(parents=True)
    raw = sqlite3.connect(db, isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    for statement in MIGRATIONS[0]:
        raw.execute(statement)
    raw.execute("PRAGMA user_version = 1")
    raw.execute(
        "INSERT INTO scans (status, started, finished, heartbeat, host, pid, tool_version, targets)"
        " VALUES ('complete', '2025-01-01T00:00:00+00:00', '2025-01-01T00:01:00+00:00', '2025-01-01T00:01:00+00:00',"
        " 'old-host', 1, '0.0.1', '[\"old\"]')"
    )
    raw.close()
    with Store(db) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        (old,) = store.scans()
        assert old.status == "complete" and old.targets == ("old",)
    scan(estate, db)  # the migrated database records new scans (and uses the new cache table)
    with Store(db) as store:
        assert [r.status for r in store.scans()] == ["complete", "complete"]
        assert store.conn.execute("SELECT count(*) FROM file_cache").fetchone()[0] > 0


def test_newer_schema_is_refused(db: Path) -> None:
    connect(db).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer"):
        connect(db)


def test_garbage_file_is_a_clean_error(tmp_path: Path) -> None:
    bad = tmp_path / "not.db"
    bad.write_bytes(b"this is not a database" * 100)
    code, _, err = invoke(history, "--db", str(bad))
    assert code == 2 and "not a usable qrisk database" in err and "Traceback" not in err


def test_history_without_database_says_how_to_start(tmp_path: Path) -> None:
    code, _, err = invoke(history, "--db", str(tmp_path / "none.db"))
    assert code == 2 and "no scan history" in err
    assert not (tmp_path / "none.db").exists()


def test_default_path_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_db_path() == tmp_path / "xdg" / "qrisk" / "qrisk.db"
    monkeypatch.setenv("QRISK_DB", str(tmp_path / "env.db"))
    assert default_db_path() == tmp_path / "env.db"


def test_qrisk_db_env_records_scans(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, estate: Path) -> None:
    monkeypatch.setenv("QRISK_DB", str(tmp_path / "env.db"))
    result = CliRunner().invoke(main, ["scan", str(estate), "--no-probe", "-q"], catch_exceptions=False)
    assert result.exit_code == 0
    with Store(tmp_path / "env.db") as store:
        assert [r.status for r in store.scans()] == ["complete"]


def test_save_uses_default_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, estate: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    result = CliRunner().invoke(main, ["scan", str(estate), "--no-probe", "-q", "--save"], catch_exceptions=False)
    assert result.exit_code == 0
    assert (tmp_path / "xdg" / "qrisk" / "qrisk.db").is_file()


def test_scan_without_db_records_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, estate: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    CliRunner().invoke(main, ["scan", str(estate), "--no-probe", "-q"], catch_exceptions=False)
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


# --------------------------------------------------------------------------- recording


def test_recorded_scan_equals_printed_inventory(db: Path, estate: Path) -> None:
    printed = scan(estate, db)
    with Store(db) as store:
        (record,) = store.scans()
        assert record.status == "complete"
        assert record.assets == len(printed["assets"])
        assert record.files_seen == printed["scan"]["files_seen"]
        assert record.findings == store.conn.execute("SELECT count(*) FROM findings").fetchone()[0] > 0
        loaded = store.load_inventory(record.scan_id)
    assert comparable(inventory_to_json(loaded)) == comparable(printed)


def test_recording_does_not_change_the_result(db: Path, estate: Path) -> None:
    options = {"jobs": 1, "probe_endpoints": False}
    plain = run_scan([str(estate)], ScanOptions(**options))  # type: ignore[arg-type]
    recorded = run_scan([str(estate)], ScanOptions(db=str(db), **options))  # type: ignore[arg-type]
    rescanned = run_scan([str(estate)], ScanOptions(db=str(db), **options))  # type: ignore[arg-type]
    assert comparable(inventory_to_json(plain)) == comparable(inventory_to_json(recorded))
    assert comparable(inventory_to_json(plain)) == comparable(inventory_to_json(rescanned))


def test_history_lists_scans(db: Path, estate: Path) -> None:
    printed = scan(estate, db)
    scan(estate, db)
    vulnerable = sum(a["quantum_status"] in ("broken", "classically-broken") for a in printed["assets"])
    code, out, _ = invoke(history, "--db", str(db))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["SCAN", "STATUS"]
    assert [line.split()[1] for line in lines[1:]] == ["complete", "complete"]
    code, out, _ = invoke(history, "--db", str(db), "--json")
    data = json.loads(out)
    assert data["schema"] == "qrisk.history/1"
    assert [s["scan_id"] for s in data["scans"]] == [1, 2]
    assert data["scans"][0]["vulnerable"] == vulnerable > 0


# --------------------------------------------------------------------------- diff


def test_diff_rotation_addition_removal(db: Path, estate: Path) -> None:
    base = estate.parent
    scan(estate, db)
    # rotate the payments server certificate from RSA-2048 to ML-DSA-65, add a key, drop one
    (base / "payments" / "tls" / "server.crt").write_bytes(mldsa_cert_pem("payments.acme-bank.example"))
    (base / "payments" / "tls" / "extra.key").write_bytes((base / "records" / "keys" / "records.key").read_bytes())
    (base / "payments" / "tls" / "server.key").unlink()
    scan(estate, db)

    code, out, _ = invoke(diff, "--db", str(db), "--json")
    assert code == 0
    d = json.loads(out)["diff"]
    assert (d["a"], d["b"]) == (1, 2)
    rotated = [c for c in d["changed"] if c["after"]["location"] == "payments/tls/server.crt"]
    assert len(rotated) == 1
    assert rotated[0]["before"]["algorithm"] == "RSA" and rotated[0]["before"]["quantum_status"] == "broken"
    assert rotated[0]["after"]["algorithm"] == "ML-DSA-65" and rotated[0]["after"]["quantum_status"] == "safe"
    assert "algorithm" in rotated[0]["fields"]
    # the same EC key now also lives in payments: same asset id (public-key fingerprint), one more
    # location, and its first location's system is now payments
    moved = [c for c in d["changed"] if c["after"]["location"] == "payments/tls/extra.key"]
    assert len(moved) == 1 and moved[0]["before"]["asset_id"] == moved[0]["after"]["asset_id"]
    assert moved[0]["fields"] == ["system"] and len(moved[0]["after"]["locations"]) == 2
    assert not d["added"]
    removed = {(r["kind"], r["location"]) for r in d["removed"]}
    assert ("key", "payments/tls/server.key") in removed

    code, out, _ = invoke(diff, "--db", str(db))
    assert "~ certificate RSA-2048" in out and "-> certificate ML-DSA-65" in out
    assert "- key RSA-2048" in out

    # CI gate: nothing vulnerable was introduced or got worse (a safe certificate did appear)
    assert invoke(diff, "--db", str(db), "--fail-on", "broken")[0] == 0
    assert invoke(diff, "--db", str(db), "--fail-on", "any")[0] == 0
    # back to RSA: the certificate at that location is broken again
    (base / "payments" / "tls" / "server.crt").write_bytes(cert_pem("rsa", "payments.acme-bank.example"))
    scan(estate, db)
    assert invoke(diff, "--db", str(db), "--fail-on", "broken")[0] == 1
    assert invoke(diff, "--db", str(db), "--fail-on", "classically-broken")[0] == 0


def test_diff_of_identical_scans_is_empty(db: Path, estate: Path) -> None:
    printed = scan(estate, db)
    scan(estate, db)
    with Store(db) as store:
        d = store.diff(1, 2)
    assert not d.added and not d.removed and not d.changed and d.unchanged == len(printed["assets"])


def test_diff_references(db: Path, estate: Path) -> None:
    with pytest.raises(StoreError):
        Store(db).resolve("latest")
    scan(estate, db)
    scan(estate, db)
    scan(estate, db)
    with Store(db) as store:
        assert store.resolve("latest") == 3 and store.resolve("previous") == 2 and store.resolve("1") == 1
        with pytest.raises(StoreError):
            store.resolve(9)
    code, _, err = invoke(diff, "nonsense", "latest", "--db", str(db))
    assert code == 2 and "not a scan id" in err


# --------------------------------------------------------------------------- trend


def test_trend_per_system(db: Path, estate: Path) -> None:
    base = estate.parent
    scan(estate, db)
    (base / "payments" / "tls" / "server.crt").write_bytes(mldsa_cert_pem("payments.acme-bank.example"))
    scan(estate, db)
    with Store(db) as store:
        points = {(p.scan_id, p.system): p for p in store.trend()}
        only = store.trend(["payments"])
    assert points[(1, "payments")].vulnerable == points[(2, "payments")].vulnerable + 1
    assert points[(2, "payments")].safe == points[(1, "payments")].safe + 1
    assert points[(1, "hr-portal")].vulnerable == points[(2, "hr-portal")].vulnerable
    assert {p.system for p in only} == {"payments"}
    code, out, _ = invoke(history, "--db", str(db), "--trend", "--system", "payments", "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "qrisk.trend/1"
    first = points[(1, "payments")].vulnerable
    assert [p["vulnerable"] for p in data["trend"]] == [first, first - 1]


def test_database_file_permissions_follow_umask(db: Path, estate: Path) -> None:
    scan(estate, db)
    assert db.is_file() and os.access(db, os.R_OK | os.W_OK)


def test_fast_encoder_matches_the_model_serialiser(estate: Path) -> None:
    from qrisk.model import Asset, to_dict
    from qrisk.scan.cache import named_encoder

    inv = run_scan([str(estate)], ScanOptions(jobs=1, probe_endpoints=False))
    encode = named_encoder(Asset)
    assert inv.assets
    for asset in inv.assets:
        assert json.dumps(encode(asset)) == json.dumps(to_dict(asset))
