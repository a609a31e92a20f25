"""``qrisk qkd`` commands through click's runner, including the sample networks via the manifest loader."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from qrisk.errors import InputError
from qrisk.qkd.cli import qkd

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str, BaseException | None]:
    res = CliRunner().invoke(qkd, list(args))
    return res.exit_code, res.output, res.exception


@pytest.mark.parametrize("protocol", ["decoy-bb84", "efficient-bb84", "bb84-no-decoy", "tf-qkd", "cv-gg02"])
def test_rate_json(protocol: str) -> None:
    code, out, exc = run("rate", "--protocol", protocol, "--distance-km", "30", "--json")
    assert code == 0, exc
    body = json.loads(out)
    for key in ("secret_key_rate_bits_per_pulse", "secret_key_rate_bps", "plob_bound_bits_per_pulse", "optimal_mu"):
        assert key in body
    assert body["secret_key_rate_bits_per_pulse"] > 0
    assert (body["optimal_mu"] is None) == (protocol == "cv-gg02")


def test_rate_options_reach_the_model() -> None:
    _, out, _ = run("rate", "--protocol", "decoy-bb84", "--distance-km", "1", "--hardware", "gys", "--json")
    assert json.loads(out)["secret_key_rate_bits_per_pulse"] == pytest.approx(2.3e-3, rel=0.1)
    _, out, _ = run("rate", "--protocol", "decoy-bb84", "--total-loss-db", "20", "--decoys", "vacuum-weak",
                    "--rep-rate-hz", "1e8", "--finite-block", "1e11", "--json")
    body = json.loads(out)
    assert body["channel_loss_db"] == 20
    assert body["secret_key_rate_bps"] == pytest.approx(body["secret_key_rate_bits_per_pulse"] * 1e8)
    assert body["finite_key"]["block_pulses"] == 1e11
    code, out, _ = run("rate", "--protocol", "efficient-bb84", "--distance-km", "50")
    assert code == 0 and "PLOB bound" in out and "optimal mu" in out


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--distance-km", "-5"], "--distance-km"),
        (["--distance-km", "5", "--detector-efficiency", "1.5"], "--detector-efficiency"),
        (["--distance-km", "5", "--dark-count-prob", "-1e-6"], "--dark-count-prob"),
        (["--distance-km", "5", "--misalignment", "0.7"], "--misalignment"),
        (["--distance-km", "5", "--ec-efficiency", "0.5"], "--ec-efficiency"),
        (["--distance-km", "5", "--hardware", "nope"], "--hardware"),
        (["--distance-km", "5", "--fibre", "copper"], "--fibre"),
        ([], "--distance-km"),
    ],
)
def test_bad_parameters_are_named(args: list[str], named: str) -> None:
    _code, _, exc = run("rate", "--protocol", "decoy-bb84", *args)
    assert isinstance(exc, InputError)
    assert named in str(exc)


def test_unknown_protocol_is_a_usage_error() -> None:
    code, out, _ = run("rate", "--protocol", "e91", "--distance-km", "5")
    assert code == 2 and "--protocol" in out


def test_sweep_table_csv_svg_json(tmp_path: Path) -> None:
    args = ["sweep", "--protocols", "decoy-bb84,tf-qkd,cv-gg02", "--max-km", "200", "--step-km", "50"]
    code, out, exc = run(*args)
    assert code == 0, exc
    assert "PLOB" in out and "tf-qkd" in out
    _, out, _ = run(*args, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 3 * 5
    assert all(float(r["secret_key_rate_bits_per_pulse"]) <= float(r["plob_bound_bits_per_pulse"])
               for r in rows if r["protocol"] != "tf-qkd")
    svg_path = tmp_path / "sweep.svg"
    code, _, exc = run(*args, "-f", "svg", "-o", str(svg_path))
    assert code == 0, exc
    root = ET.fromstring(svg_path.read_text())
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "PLOB bound" in texts and "cv-gg02" in texts
    assert len(list(root.iter("{http://www.w3.org/2000/svg}polyline"))) >= 4
    _, out, _ = run(*args, "--json")
    assert len(json.loads(out)) == 15
    _, _, exc = run("sweep", "--protocols", "decoy-bb84,bogus")
    assert isinstance(exc, InputError) and "--protocols" in str(exc)


def test_simulate_json_and_eve() -> None:
    code, out, exc = run("simulate", "--pulses", "2e7", "--distance-km", "10", "--seed", "3", "--json")
    assert code == 0, exc
    body = json.loads(out)
    for key in ("sifted_z_bits", "qber_x", "qber_z", "leaked_bits_ec", "final_key_bits", "aborted"):
        assert key in body
    assert not body["aborted"] and body["final_key_bits"] > 0 and body["keys_identical"]
    assert "key" not in body and "alice_key" not in body  # no key material in the output
    code, out, exc = run("simulate", "--pulses", "1e6", "--distance-km", "10", "--eve", "intercept-resend:1",
                         "--seed", "1")
    assert code == 0, exc
    assert "ABORT" in out and "qber-above-threshold" in out
    _, _, exc = run("simulate", "--pulses", "1e6", "--distance-km", "10", "--eve", "bogus:1")
    assert isinstance(exc, InputError) and "--eve" in str(exc)
    code, out, _ = run("simulate", "--pulses", "-3", "--distance-km", "10")
    assert code == 2 and "--pulses" in out


@pytest.mark.parametrize("name", ["qkd-metro.yaml", "qkd-backbone.yaml"])
def test_sample_networks_load_through_the_manifest(name: str) -> None:
    code, out, exc = run("network", str(ROOT / "inventories" / name), "--json")
    assert code == 0, exc
    body = json.loads(out)
    assert body["links"] and all(link["secret_key_rate_bps"] > 0 for link in body["links"])
    assert body["capacities"]


def test_metro_network_policy_and_demand() -> None:
    path = str(ROOT / "inventories" / "qkd-metro.yaml")
    code, out, exc = run("network", path, "--from", "hongo", "--to", "koganei", "--demand", "20/60", "--json")
    assert code == 0, exc
    body = json.loads(out)
    cap = body["capacities"][0]
    assert cap["max_flow_bps"] > cap["widest_path_bps"] > 0  # two systems on the Koganei span
    assert cap["exposed_sites"] == ["otemachi"]
    assert body["key_pool"]["fraction_of_requests_met"] == 1.0
    _, out, _ = run("network", path, "--from", "hongo", "--to", "koganei", "--own-relays-only", "--json")
    assert json.loads(out)["capacities"][0]["max_flow_bps"] == 0


def test_backbone_exposes_every_relay_and_demand_can_be_partly_met() -> None:
    path = str(ROOT / "inventories" / "qkd-backbone.yaml")
    code, out, exc = run("network", path, "--from", "beijing", "--to", "shanghai", "--demand", "2000/1", "--json")
    assert code == 0, exc
    body = json.loads(out)
    cap = body["capacities"][0]
    assert len(cap["exposed_sites"]) >= 20
    assert 0 < body["key_pool"]["fraction_of_requests_met"] < 1


def test_network_errors(tmp_path: Path) -> None:
    path = str(ROOT / "inventories" / "qkd-metro.yaml")
    _, _, exc = run("network", path, "--from", "hongo")
    assert isinstance(exc, InputError)
    _, _, exc = run("network", path, "--from", "hongo", "--to", "atlantis")
    assert isinstance(exc, InputError) and "atlantis" in str(exc)
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema: qrisk.manifest/1\nsites:\n  - {id: a}\nqkd_links:\n  - {a: a, b: zz, length_km: 3}\n")
    _, _, exc = run("network", str(bad))
    assert isinstance(exc, InputError) and "qkd_links" in str(exc)


def test_validate_command() -> None:
    code, out, exc = run("validate", "--json")
    assert code == 0, exc
    rows = json.loads(out)
    assert rows and all(r["passed"] for r in rows)
