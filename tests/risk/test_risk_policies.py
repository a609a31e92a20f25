"""Policy files: each validated by the schema, each deadline checked against the reference table."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from qrisk.catalog import algorithms, normalise
from qrisk.risk.compliance import (
    PolicyFile,
    parse_policy,
    requires_256_bit,
    resolve_policies,
    shipped_policies,
)

POLICY_DIR = resources.files("qrisk.catalog").joinpath("policies")
POLICY_FILES = sorted(e.name for e in POLICY_DIR.iterdir() if e.name.endswith(".yaml"))

REQUIRED = {
    "nist-ir-8547", "cnsa-2.0", "us-eo-14412", "eu-pqc-roadmap", "uk-ncsc", "bsi-tr-02102-1", "anssi",
    "asd-ism", "canada-itsm-40-001", "pci-dss-4.0.1",
}

D = dt.date
# Every dated rule and check, transcribed from shared/reference/risk.md §2 (the row is named).
# Convention: the deadline is the last compliant day ("after 2030", "by 2030", "end 2030" -> 2030-12-31).
REFERENCE_DEADLINES: dict[tuple[str, str], dt.date | None] = {
    # NIST IR 8547 ipd: "112-bit: deprecated after 2030; all strengths disallowed after 2035"
    ("nist-ir-8547", "NIST8547-SIG-112"): D(2030, 12, 31),
    ("nist-ir-8547", "NIST8547-SIG-ALL"): D(2035, 12, 31),
    ("nist-ir-8547", "NIST8547-KE-112"): D(2030, 12, 31),
    ("nist-ir-8547", "NIST8547-KE-ALL"): D(2035, 12, 31),
    ("nist-ir-8547", "NIST800131A-SUB112"): None,  # SP 800-131A: < 112 bits already disallowed
    # CNSA 2.0 chart: SW/FW signing 2030; networking 2030; browsers/servers/cloud 2033; OS 2033;
    # niche 2033; custom/legacy 2033. FAQ v2.1: mandated 2031-12-31. AES-256/SHA-384 already (CNSA 1.0).
    ("cnsa-2.0", "CNSA2-SOFTWARE-SIGNING"): D(2030, 12, 31),
    ("cnsa-2.0", "CNSA2-NETWORKING"): D(2030, 12, 31),
    ("cnsa-2.0", "CNSA2-WEB-CLOUD"): D(2033, 12, 31),
    ("cnsa-2.0", "CNSA2-OPERATING-SYSTEM"): D(2033, 12, 31),
    ("cnsa-2.0", "CNSA2-NICHE"): D(2033, 12, 31),
    ("cnsa-2.0", "CNSA2-LEGACY"): D(2033, 12, 31),
    ("cnsa-2.0", "CNSA2-UNCATEGORISED"): D(2031, 12, 31),
    ("cnsa-2.0", "CNSA2-SYMMETRIC"): None,
    ("cnsa-2.0", "CNSA2-HASH"): None,
    # EO 14412: "KE 2030-12-31; sigs 2031-12-31"; NSM-10/M-23-02: 2035; inventory 4 May 2023 then annually
    ("us-eo-14412", "EO14412-KEY-ESTABLISHMENT"): D(2030, 12, 31),
    ("us-eo-14412", "EO14412-SIGNATURES"): D(2031, 12, 31),
    ("us-eo-14412", "NSM10-2035"): D(2035, 12, 31),
    ("us-eo-14412", "M2302-INVENTORY-FIELDS"): D(2023, 5, 4),
    ("us-eo-14412", "M2302-ANNUAL-INVENTORY"): D(2023, 5, 4),
    # EU roadmap: first steps end 2026; high-risk end 2030; medium-risk 2035
    ("eu-pqc-roadmap", "EU-FIRST-STEPS-2026"): D(2026, 12, 31),
    ("eu-pqc-roadmap", "EU-HIGH-RISK-2030"): D(2030, 12, 31),
    ("eu-pqc-roadmap", "EU-MEDIUM-RISK-2035"): D(2035, 12, 31),
    # UK NCSC: discovery + plan 2028; priority migrations 2031; complete 2035
    ("uk-ncsc", "NCSC-DISCOVERY-2028"): D(2028, 12, 31),
    ("uk-ncsc", "NCSC-PRIORITY-2031"): D(2031, 12, 31),
    ("uk-ncsc", "NCSC-COMPLETE-2035"): D(2035, 12, 31),
    # BSI TR-02102-1: KE sole use to end 2031 (very high protection end 2030); sigs to end 2035;
    # RSA/DH >= 3000 (2000-bit to end 2023), EC >= 250; ML-KEM-768/1024
    ("bsi-tr-02102-1", "BSI-KE-CLASSICAL-HIGH"): D(2030, 12, 31),
    ("bsi-tr-02102-1", "BSI-KE-CLASSICAL"): D(2031, 12, 31),
    ("bsi-tr-02102-1", "BSI-SIG-CLASSICAL"): D(2035, 12, 31),
    ("bsi-tr-02102-1", "BSI-RSA-DH-3000"): D(2023, 12, 31),
    ("bsi-tr-02102-1", "BSI-EC-250"): None,
    ("bsi-tr-02102-1", "BSI-MLKEM-768"): None,
    # ANSSI: long-lived (post-2030) products: hybrid now; hybrid necessary
    ("anssi", "ANSSI-HYBRID-LONG-LIVED"): None,
    ("anssi", "ANSSI-NO-STANDALONE-LATTICE"): None,
    # ASD ISM: not approved beyond 2030
    ("asd-ism", "ASD-ASYMMETRIC-2030"): D(2030, 12, 31),
    ("asd-ism", "ASD-SYMMETRIC-2030"): D(2030, 12, 31),
    ("asd-ism", "ASD-HASH-2030"): D(2030, 12, 31),
    # Canada ITSM.40.001: plan Apr 2026 + annual reports; high-priority end 2031; rest end 2035
    ("canada-itsm-40-001", "ITSM40001-PLAN-2026"): D(2026, 4, 1),
    ("canada-itsm-40-001", "ITSM40001-ANNUAL-REPORT"): D(2026, 4, 1),
    ("canada-itsm-40-001", "ITSM40001-HIGH-PRIORITY-2031"): D(2031, 12, 31),
    ("canada-itsm-40-001", "ITSM40001-ALL-2035"): D(2035, 12, 31),
    # PCI DSS v4.0.1: 12.3.3 mandatory from 31 Mar 2025, review every 12 months
    ("pci-dss-4.0.1", "PCI-12.3.3-INVENTORY"): D(2025, 3, 31),
    ("pci-dss-4.0.1", "PCI-12.3.3-REVIEW"): D(2025, 3, 31),
    ("pci-dss-4.0.1", "PCI-STRONG-CRYPTOGRAPHY"): None,
}


def _load(name: str) -> dict:
    return yaml.safe_load(POLICY_DIR.joinpath(name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", POLICY_FILES)
def test_policy_file_matches_the_schema(name: str) -> None:
    data = _load(name)
    # 1. the JSON Schema exported from the model (as a third-party validator reads it)
    schema = PolicyFile.model_json_schema(by_alias=True)
    jsonschema.validate(json.loads(json.dumps(data, default=str)), schema)
    # 2. the model itself, with its cross-field checks
    policy = parse_policy(data, name)
    assert name == f"{policy.id}.yaml"
    assert policy.source.document and policy.source.section
    for item in (*policy.rules, *policy.checks):
        assert item.source.document.strip() and item.source.section.strip(), item.id
        assert item.title.strip()


def test_the_required_policies_are_shipped() -> None:
    assert set(shipped_policies()) >= REQUIRED
    assert shipped_policies()["nist-ir-8547"].status == "draft"
    assert shipped_policies()["cnsa-2.0"].binding and not shipped_policies()["uk-ncsc"].binding
    assert requires_256_bit([shipped_policies()["cnsa-2.0"]]) and requires_256_bit([shipped_policies()["asd-ism"]])
    assert not requires_256_bit([shipped_policies()["nist-ir-8547"]])


def test_every_deadline_matches_the_reference_table() -> None:
    seen = {}
    for pid, policy in shipped_policies().items():
        for item in (*policy.rules, *policy.checks):
            seen[(pid, item.id)] = item.deadline
    assert seen == REFERENCE_DEADLINES


def test_aliases_and_unknown_policies() -> None:
    assert [p.id for p in resolve_policies("cnsa2, NIST-8547,pci")] == ["cnsa-2.0", "nist-ir-8547", "pci-dss-4.0.1"]
    assert len(resolve_policies(None)) == len(shipped_policies())
    assert len(resolve_policies("all,cnsa-2.0")) == len(shipped_policies())
    with pytest.raises(Exception, match="'nist-9999'"):
        resolve_policies("cnsa-2.0,nist-9999")
    owner: dict[str, str] = {}
    for p in shipped_policies().values():
        for alias in (p.id, *p.aliases):
            assert owner.setdefault(normalise(alias), p.id) == p.id, f"{alias} names two policies"


def _names(policy: PolicyFile) -> tuple[set[str], set[str]]:
    families, names = set(), set()
    for rule in policy.rules:
        for c in (rule.applies_to, *(rule.affected or ()), *(rule.allowed or ())):
            families |= set(c.families or ())
            names |= set(c.algorithms or ())
    return families, names


def test_policy_names_exist_in_the_shipped_catalog() -> None:
    catalog = algorithms()
    if len(catalog) < 40:  # the catalog is filled by its own issue; names are checked once it is
        pytest.skip(f"the shipped algorithm catalog has only {len(catalog)} entries so far")
    known_families = {normalise(a.family) for a in catalog}
    missing = []
    for policy in shipped_policies().values():
        families, names = _names(policy)
        missing += [f"{policy.id}: family {f}" for f in families if normalise(f) not in known_families]
        missing += [f"{policy.id}: algorithm {n}" for n in names if catalog.get(n).name != n]
    assert not missing, missing


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d["rules"][0].update(allowed=[{"algorithms": ["X"]}]), "exactly one of"),
        (lambda d: d["rules"][0].update(deadline="31/12/2030"), "rules.0.deadline"),
        (lambda d: d["rules"][0].update(kind="forbidden"), "rules.0.kind"),
        (lambda d: d["rules"][0]["applies_to"].update(data_classes=["moon-rocks"]), "moon-rocks"),
        (lambda d: d["rules"][0]["applies_to"].update(categories=["spaceship"]), "spaceship"),
        (lambda d: d["rules"][0].update(colour="red"), "colour"),
        (lambda d: d["rules"][0]["source"].pop("section"), "section"),
        (lambda d: d.update(schema="qrisk.policy/2"), "qrisk.policy/2"),
        (lambda d: d["rules"].append(dict(d["rules"][0])), "duplicate"),
    ],
)
def test_malformed_policy_files_name_the_field(tmp_path: Path, mutate, needle: str) -> None:
    data = _load("nist-ir-8547.yaml")
    mutate(data)
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(Exception) as err:
        resolve_policies(str(path))
    assert needle in str(err.value) and str(path) in str(err.value)


def test_user_policy_file(tmp_path: Path) -> None:
    data = _load("uk-ncsc.yaml")
    data["id"] = "our-board"
    path = tmp_path / "board.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert [p.id for p in resolve_policies(f"{path},cnsa-2.0")] == ["our-board", "cnsa-2.0"]
