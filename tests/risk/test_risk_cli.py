"""``qrisk assess``, ``qrisk compliance`` and ``qrisk mosca`` through click's runner."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from risk_factories import make_asset, make_inventory, make_system

from qrisk.model import Usage, inventory_to_json
from qrisk.risk.cli import assess, compliance, mosca

NOW = "2026-01-01"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def inventory_file(tmp_path: Path) -> Path:
    assets = [
        make_asset("RSA", usage=Usage.KEY_EXCHANGE, key_size=2048, system="bank"),
        make_asset("ECDSA-P256", usage=Usage.SIGNATURE, system="bank"),
        make_asset("ML-KEM-768", usage=Usage.KEY_EXCHANGE, system="web"),
        make_asset("AES-128", usage=Usage.ENCRYPTION, system="web"),
        make_asset("MD5", usage=Usage.HASHING),
    ]
    systems = [make_system("bank", retention={"finance": 7}, migration=4, jurisdictions=("US",)),
               make_system("web", category="web-cloud")]
    inv = make_inventory(assets, systems, scanned=dt.datetime(2025, 12, 1, tzinfo=dt.UTC))
    path = tmp_path / "inventory.json"
    path.write_text(inventory_to_json(inv))
    return path


# --------------------------------------------------------------------------- mosca


def test_mosca_json(runner: CliRunner) -> None:
    res = runner.invoke(mosca, ["--shelf-life", "4", "--migration", "3.5", "--crqc", "year:2033", "--now", NOW,
                                "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["probability_exposed"] == 1.0 and out["exposed"] is True
    assert out["years_exposed"]["median"] == pytest.approx(0.5)
    assert out["horizon_years"] == 7.5 and out["crqc"]["kind"] == "fixed-year"


def test_mosca_boundary_and_classes(runner: CliRunner) -> None:
    res = runner.invoke(mosca, ["--shelf-life", "4", "--migration", "3", "--crqc", "year:2033", "--now", NOW,
                                "-f", "json"])
    assert json.loads(res.stdout)["exposed"] is False
    res = runner.invoke(mosca, ["--shelf-life", "health", "--migration", "5", "--now", NOW])
    assert res.exit_code == 0 and "x (shelf life) 30 y" in res.stdout and "gri-2025:optimistic" in res.stdout
    out = json.loads(runner.invoke(mosca, ["--shelf-life", "0", "--migration", "0", "--now", NOW, "--json"]).stdout)
    assert out["probability_exposed"] == 0.0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--shelf-life", "-3", "--migration", "1"], "-3"),
        (["--shelf-life", "1", "--migration", "-0.5"], "-0.5"),
        (["--shelf-life", "martian-data", "--migration", "1"], "martian-data"),
        (["--shelf-life", "1", "--migration", "1", "--crqc", "gri-1999"], "gri-1999"),
        (["--shelf-life", "1", "--migration", "1", "--now", "01/01/2026"], "01/01/2026"),
        (["--shelf-life", "1", "--migration", "1", "--quantile", "1.5"], "1.5"),
    ],
)
def test_mosca_bad_input_exits_2(runner: CliRunner, args: list[str], needle: str) -> None:
    res = runner.invoke(mosca, [*args, "--now", NOW] if "--now" not in args else args)
    assert res.exit_code == 2
    assert res.stderr.startswith("qrisk: error:") and needle in res.stderr


def test_mosca_malformed_curve_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "curve.yaml"
    path.write_text(yaml.safe_dump({"schema": "qrisk.crqc/1", "id": "x", "source": "s", "survey_year": 2025,
                                    "curves": {"a": {"points": {5: 0.7, 10: 0.2}}}}))
    res = runner.invoke(mosca, ["--shelf-life", "1", "--migration", "1", "--crqc", str(path), "--now", NOW])
    assert res.exit_code == 2 and "0.2" in res.stderr and str(path) in res.stderr


# --------------------------------------------------------------------------- assess


def test_assess_json(runner: CliRunner, inventory_file: Path) -> None:
    res = runner.invoke(assess, [str(inventory_file), "--crqc", "year:2033", "--now", NOW, "-f", "json"])
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["schema"] == "qrisk.assessment/1" and out["now"] == NOW
    assert len(out["assets"]) == 5
    first = out["assets"][0]
    assert first["threat"] == "harvest-now-decrypt-later" and first["horizon_years"] == 11.0
    assert first["probability_exposed"] == 1.0 and first["mosca_exposed"] is True
    assert out["portfolio"]["assets"] == 5 and out["z"]["mosca_year"] == 2033
    assert out["systems"][0]["system"] == "bank"
    assert {s["name"] for s in out["sensitivity"]} >= {"crqc-5y-earlier", "migration-50%-longer"}
    assert out["assets"][2]["probability_exposed"] == 0.0


def test_assess_csv_table_and_output_file(runner: CliRunner, inventory_file: Path, tmp_path: Path) -> None:
    res = runner.invoke(assess, [str(inventory_file), "--now", NOW, "-f", "csv"])
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == 5 and "probability_exposed" in rows[0] and rows[0]["shelf_life_source"].startswith("finance")
    res = runner.invoke(assess, [str(inventory_file), "--now", NOW])
    assert res.exit_code == 0 and "Systems ranked by risk" in res.stdout and "Sensitivity" in res.stdout
    target = tmp_path / "out.json"
    res = runner.invoke(assess, [str(inventory_file), "--now", NOW, "--json", "-o", str(target)])
    assert res.exit_code == 0 and res.stdout == ""
    assert json.loads(target.read_text())["schema"] == "qrisk.assessment/1"


def test_assess_policy_turns_on_grover(runner: CliRunner, inventory_file: Path) -> None:
    base = json.loads(runner.invoke(assess, [str(inventory_file), "--now", NOW, "--json"]).stdout)
    strict = json.loads(runner.invoke(assess, [str(inventory_file), "--now", NOW, "--json", "--policy",
                                               "cnsa-2.0"]).stdout)
    assert base["assets"][3]["probability_exposed"] == 0.0
    assert strict["assets"][3]["probability_exposed"] > 0.0


def test_assess_fail_on(runner: CliRunner, inventory_file: Path) -> None:
    assert runner.invoke(assess, [str(inventory_file), "--now", NOW, "--fail-on", "exposed"]).exit_code == 1
    assert runner.invoke(assess, [str(inventory_file), "--now", NOW, "--fail-on", "classically-broken"]).exit_code == 1
    assert runner.invoke(assess, [str(inventory_file), "--now", NOW, "--threshold", "1.0", "--crqc", "year:2100",
                                  "--fail-on", "exposed"]).exit_code == 1  # MD5 is exposed whatever z is


def test_assess_bad_input(runner: CliRunner, inventory_file: Path, tmp_path: Path) -> None:
    res = runner.invoke(assess, [str(inventory_file), "--now", NOW, "--policy", "cnsa-9"])
    assert res.exit_code == 2 and "'cnsa-9'" in res.stderr
    res = runner.invoke(assess, [str(inventory_file), "--now", NOW, "--default-shelf-life", "moon-rocks"])
    assert res.exit_code == 2 and "moon-rocks" in res.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    res = runner.invoke(assess, [str(bad), "--now", NOW])
    assert res.exit_code == 2 and "bad.json" in res.stderr


# --------------------------------------------------------------------------- compliance


def test_compliance_formats(runner: CliRunner, inventory_file: Path) -> None:
    res = runner.invoke(compliance, [str(inventory_file), "--policy", "cnsa-2.0,nist-ir-8547,pci",
                                     "--now", NOW, "--json"])
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["schema"] == "qrisk.compliance/1"
    assert len(out["verdicts"]) == 5 * 3  # a verdict per asset x policy
    assert {c["check_id"] for c in out["inventory_checks"]} == {"PCI-12.3.3-INVENTORY", "PCI-12.3.3-REVIEW"}
    rsa = next(v for v in out["verdicts"] if v["policy"] == "nist-ir-8547" and v["algorithm"] == "RSA")
    assert rsa["verdict"] == "non-compliant-from" and rsa["effective_from"] == "2031-01-01"
    assert rsa["days_left"] == (dt.date(2030, 12, 31) - dt.date(2026, 1, 1)).days
    res = runner.invoke(compliance, [str(inventory_file), "--policy", "cnsa-2.0", "--now", NOW, "-f", "csv"])
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == 5 and rows[0]["policy"] == "cnsa-2.0"
    res = runner.invoke(compliance, [str(inventory_file), "--now", NOW])
    assert res.exit_code == 0 and "Findings" in res.stdout and "Inventory checks" in res.stdout


def test_compliance_fail_on_and_errors(runner: CliRunner, inventory_file: Path) -> None:
    args = [str(inventory_file), "--now", NOW, "--policy"]
    assert runner.invoke(compliance, [*args, "cnsa-2.0", "--fail-on", "non-compliant"]).exit_code == 1
    # NIST IR 8547 bites only from 2031 here: nothing is non-compliant yet
    assert runner.invoke(compliance, [*args, "nist-ir-8547", "--fail-on", "non-compliant"]).exit_code == 0
    assert runner.invoke(compliance, [*args, "nist-ir-8547", "--fail-on", "non-compliant-from"]).exit_code == 1
    res = runner.invoke(compliance, [*args, "gdpr"])
    assert res.exit_code == 2 and "'gdpr'" in res.stderr
