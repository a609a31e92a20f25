"""``qrisk plan``: formats, what-if options, the standalone QKD network, errors as one line with exit 2."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from plan_factories import asset, certificate, demand_flow, inventory, library, system

from qrisk.errors import InputError
from qrisk.model import Criticality, QkdLink, Site, inventory_to_json
from qrisk.plan import Budget, RelayPolicy
from qrisk.plan.cli import parse_budget, plan
from qrisk.plan.formats import CSV_COLUMNS

REPO = Path(__file__).resolve().parents[2]
ORG = "CLI Org"


@pytest.fixture()
def inventory_file(tmp_path: Path) -> Path:
    root = certificate("RSA", is_ca=True, self_signed=True, system="s1")
    inv = inventory(
        [root, certificate("ECDSA-P256", issuer=root), asset("X25519", where="tls-config"), library(), asset("MD5")],
        [system("s1", jurisdictions=("US",), retention=30.0, data_class="health", criticality=Criticality.CRITICAL)],
        sites=(Site("a", owner=ORG), Site("b", owner=ORG)), links=(QkdLink("ab", "a", "b", 100),),
        flows=(demand_flow("a", "b", 1_000_000.0),), organisation=ORG,
    )
    path = tmp_path / "inventory.json"
    path.write_text(inventory_to_json(inv), encoding="utf-8")
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(plan, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_json_output_with_inputs(inventory_file: Path) -> None:
    code, out, _ = _run(str(inventory_file), "--policy", "nist-ir-8547", "--now", "2026-01-01", "--crqc",
                        "year:2034", "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "qrisk.plan/1"
    assert data["inputs"]["now"] == "2026-01-01" and data["inputs"]["crqc"]["spec"] == "year:2034"
    assert data["summary"]["actions"] == len(data["actions"]) > 0
    assert data["qkd"][0]["reason"] == "capacity"  # 100 km cannot carry 1 Mb/s


def test_json_shorthand_and_output_file(inventory_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    code, out, _ = _run(str(inventory_file), "--now", "2026-01-01", "--json", "-o", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["schema"] == "qrisk.plan/1"


def test_csv_and_table(inventory_file: Path) -> None:
    code, out, _ = _run(str(inventory_file), "--now", "2026-01-01", "-f", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) > 1
    code, out, _ = _run(str(inventory_file), "--now", "2026-01-01")
    assert code == 0
    assert "Waves:" in out and "Actions (priority order):" in out and "QKD" in out


def test_what_ifs_change_the_plan(inventory_file: Path) -> None:
    def summary(*extra: str) -> dict:  # type: ignore[type-arg]
        code, out, err = _run(str(inventory_file), "--now", "2026-01-01", "--policy", "nist-ir-8547", "-f", "json",
                              *extra)
        assert code == 0, err
        return json.loads(out)

    base = summary("--crqc", "year:2040")
    early = summary("--crqc", "year:2027")

    def need_by(p: dict) -> list[str]:  # type: ignore[type-arg]
        return sorted(a["mosca_need_by"] for a in p["actions"] if a["mosca_need_by"])

    pairs = list(zip(need_by(early), need_by(base), strict=True))
    assert all(e <= b for e, b in pairs) and any(e < b for e, b in pairs)
    slow = summary("--crqc", "year:2040", "--budget", "effort=5")
    assert slow["summary"]["last_year"] > base["summary"]["last_year"]
    assert slow["inputs"]["budget"]["effort_days_per_year"] == 5.0
    fast = summary("--crqc", "year:2040", "--migration-speed", "4")
    assert fast["summary"]["last_year"] < base["summary"]["last_year"]
    cnsa = summary("--crqc", "year:2040", "--policy", "cnsa-2.0")
    targets = {a["target"]["name"] for a in cnsa["actions"]}
    assert "ML-KEM-1024" in targets


def test_standalone_qkd_network_wins(inventory_file: Path, tmp_path: Path) -> None:
    net = tmp_path / "metro.yaml"
    net.write_text(
        "schema: qrisk.manifest/1\norganisation: {name: CLI Org}\n"
        "sites:\n  - {id: a, owner: CLI Org}\n  - {id: b, owner: CLI Org}\n"
        "qkd_links:\n  - {id: ab-short, a: a, b: b, length_km: 20}\n",
        encoding="utf-8",
    )
    code, out, err = _run(str(inventory_file), "--now", "2026-01-01", "--policy", "nist-ir-8547",
                          "--qkd-network", str(net), "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["qkd"][0]["mode"] == "qkd+pqc"
    assert data["inputs"]["qkd_network"]["label"] == "metro.yaml"
    assert len(data["inputs"]["qkd_network"]["sha256"]) == 64
    code, out, _ = _run(str(inventory_file), "--now", "2026-01-01", "--policy", "nist-ir-8547",
                        "--qkd-network", str(net), "--qkd-relays", "none", "--budget", "qkd=1000", "-f", "json")
    data = json.loads(out)
    assert data["qkd"][0]["reason"] == "budget" and data["inputs"]["relay_policy"] == "none"


def test_custom_cost_file(inventory_file: Path, tmp_path: Path) -> None:
    text = (REPO / "qrisk" / "catalog" / "qkd_costs.yaml").read_text(encoding="utf-8")
    cheap = tmp_path / "quotes.yaml"
    cheap.write_text(text.replace("fibre_eur_per_km: 3000", "fibre_eur_per_km: 0"), encoding="utf-8")
    code, out, err = _run(str(inventory_file), "--now", "2026-01-01", "--qkd-costs", str(cheap), "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["qkd"][0]["cost"]["fibre"] == 0 and data["inputs"]["catalogs"]["qkd_costs_label"] == "quotes.yaml"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--budget", "effort=-3"], "--budget effort"),
        (["--budget", "money=3"], "unknown budget"),
        (["--migration-speed", "0"], "--migration-speed"),
        (["--quantile", "1.5"], "--quantile"),
        (["--now", "yesterday"], "--now"),
        (["--policy", "no-such-policy"], "unknown policy"),
        (["--crqc", "year:abc"], "--crqc"),
    ],
)
def test_bad_options_are_one_line_exit_2(inventory_file: Path, args: list[str], message: str) -> None:
    code, out, err = _run(str(inventory_file), *args)
    assert code == 2
    assert err.startswith("qrisk: error:") and message in err and err.count("\n") == 1
    assert "Traceback" not in out + err


def test_bad_network_and_cost_files(inventory_file: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("schema: qrisk.manifest/1\nsites: [{id: a}]\n", encoding="utf-8")
    code, _, err = _run(str(inventory_file), "--qkd-network", str(empty))
    assert code == 2 and "no qkd_links" in err
    bad = tmp_path / "costs.yaml"
    bad.write_text("schema: qrisk.catalog.qkd_costs/1\ncurrency: EUR\n", encoding="utf-8")
    code, _, err = _run(str(inventory_file), "--qkd-costs", str(bad))
    assert code == 2 and "costs.yaml" in err


def test_parse_budget() -> None:
    assert parse_budget(None) == Budget()
    assert parse_budget("2.5M") == Budget(qkd_eur=2.5e6)
    assert parse_budget("qkd=750k, effort=300") == Budget(qkd_eur=750e3, effort_days_per_year=300.0)
    with pytest.raises(InputError):
        parse_budget("effort=0")


def test_manifest_target_plans_end_to_end() -> None:
    """The sample estate: scanned, assessed and planned; its data flows reach the QKD decision."""
    manifest = REPO / "inventories" / "acme-bank" / "manifest.yaml"
    code, out, err = _run(str(manifest), "--now", "2026-01-01", "--policy", "bsi,eu-pqc-roadmap,pci", "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"]["actions"] > 0
    (pair,) = data["qkd"]
    assert {pair["a"], pair["b"]} == {"fra-dc1", "fra-dc2"}
    assert pair["mode"] == "qkd+pqc" and pair["relays"] == []  # the carrier hut is untrusted: direct link
    assert "wiesbaden-relay" not in json.dumps(pair["paths"])
    fw = [a for a in data["actions"] if a["system"] == "firmware-signing"]
    assert fw and all(a["target"]["name"] == "LMS" for a in fw)  # 4 KiB budget rules out SLH-DSA


def test_relay_policy_enum_values() -> None:
    assert [r.value for r in RelayPolicy] == ["any-trusted", "own-only", "none"]
