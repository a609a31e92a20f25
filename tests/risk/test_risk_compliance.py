"""Verdicts per asset x policy, and inventory-level process checks, against an injected ``now``."""

from __future__ import annotations

import datetime as dt

import pytest
from risk_factories import columns, make_asset, make_inventory, make_system

from qrisk.model import Criticality, Usage
from qrisk.risk.compliance import ComplianceResult, Verdict, evaluate, resolve_policies

NOW = dt.date(2026, 6, 1)
SCANNED = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def _estate() -> tuple[list, list]:
    assets = [
        make_asset("RSA", usage=Usage.KEY_EXCHANGE, key_size=2048, system="core"),     # 0
        make_asset("RSA", usage=Usage.SIGNATURE, key_size=3072, system="core"),        # 1
        make_asset("RSA", usage=Usage.SIGNATURE, key_size=1024, system="core"),        # 2
        make_asset("ML-KEM-768", usage=Usage.KEY_EXCHANGE, system="core"),             # 3
        make_asset("AES-256", usage=Usage.ENCRYPTION, system="core"),                  # 4
        make_asset("ML-KEM-1024", usage=Usage.KEY_EXCHANGE, system="web"),             # 5
        make_asset("ML-KEM-768", usage=Usage.KEY_EXCHANGE, system="web"),              # 6
        make_asset("AES-128", usage=Usage.ENCRYPTION, system="web"),                   # 7
        make_asset("SHA-256", usage=Usage.HASHING, system="web"),                      # 8
        make_asset("SHA-384", usage=Usage.HASHING, system="web"),                      # 9
        make_asset("ECDSA-P256", usage=Usage.SIGNATURE, system="firmware"),            # 10
        make_asset("ECDH-P256", usage=Usage.KEY_EXCHANGE, system="hva"),               # 11
        make_asset("ECDH-P256", usage=Usage.KEY_EXCHANGE, system="de"),                # 12
        make_asset("ML-KEM-512", usage=Usage.KEY_EXCHANGE, system="de"),               # 13
        make_asset("ECDH-P384", usage=Usage.KEY_EXCHANGE, system="fr-archive"),        # 14
        make_asset("ECDH-P384", usage=Usage.KEY_EXCHANGE, system="fr-session"),        # 15
        make_asset("DES", usage=Usage.ENCRYPTION, system="cards"),                     # 16
        make_asset("AES-256", usage=Usage.ENCRYPTION, system="cards"),                 # 17
        make_asset("ML-KEM-768", usage=Usage.KEY_EXCHANGE, system="fr-session"),       # 18
    ]
    systems = [
        make_system("core", retention=10, jurisdictions=("US",)),
        make_system("web", retention=5, category="web-cloud", jurisdictions=("US",)),
        make_system("firmware", category="software-signing", jurisdictions=("US",)),
        make_system("hva", retention=10, high_value=True, jurisdictions=("US",)),
        make_system("de", retention=10, criticality=Criticality.CRITICAL, jurisdictions=("DE",)),
        make_system("fr-archive", retention=30, jurisdictions=("FR",)),
        make_system("fr-session", retention=1, jurisdictions=("FR",)),
        make_system("cards", retention={"card": 5}),
    ]
    return assets, systems


def _evaluate(policies: str, now: dt.date = NOW, **kw) -> ComplianceResult:
    assets, systems = _estate()
    inv = make_inventory(assets, systems, scanned=kw.pop("scanned", SCANNED))
    return evaluate(columns(inv), resolve_policies(policies), now)


def _row(result: ComplianceResult, policy: str, index: int) -> dict:
    v = result.verdicts
    rows = v[v["policy"] == policy].reset_index(drop=True)
    rec = rows.iloc[index].to_dict()
    return {k: (str(val) if hasattr(val, "dtype") else val) for k, val in rec.items()}


def test_nist_ir_8547_by_hand() -> None:
    r = _evaluate("nist-ir-8547")
    rsa2048 = _row(r, "nist-ir-8547", 0)
    assert rsa2048["verdict"] == Verdict.NON_COMPLIANT_FROM
    assert rsa2048["rule_id"] == "NIST8547-KE-112" and rsa2048["kind"] == "deprecated"
    assert rsa2048["deadline"] == "2030-12-31" and rsa2048["effective_from"] == "2031-01-01"
    assert rsa2048["days_left"] == (dt.date(2030, 12, 31) - NOW).days
    assert rsa2048["draft"] and not rsa2048["binding"]
    assert "Table 4" in rsa2048["source"]
    rsa3072 = _row(r, "nist-ir-8547", 1)
    assert (rsa3072["verdict"], rsa3072["rule_id"], rsa3072["effective_from"]) == (
        Verdict.NON_COMPLIANT_FROM, "NIST8547-SIG-ALL", "2036-01-01")
    rsa1024 = _row(r, "nist-ir-8547", 2)
    assert rsa1024["verdict"] == Verdict.NON_COMPLIANT and rsa1024["rule_id"] == "NIST800131A-SUB112"
    assert rsa1024["days_left"] is None or str(rsa1024["days_left"]) == "<NA>"
    assert _row(r, "nist-ir-8547", 3)["verdict"] == Verdict.COMPLIANT  # ML-KEM-768
    assert _row(r, "nist-ir-8547", 4)["verdict"] == Verdict.NOT_APPLICABLE  # AES-256
    # systems regulated only in DE or FR: the US guidance does not apply
    assert _row(r, "nist-ir-8547", 12)["verdict"] == Verdict.NOT_APPLICABLE
    # no jurisdiction stated: every policy applies
    assert _row(r, "nist-ir-8547", 16)["verdict"] == Verdict.NOT_APPLICABLE  # DES is not public-key


@pytest.mark.parametrize(
    ("now", "verdict", "days"),
    [(dt.date(2030, 12, 30), Verdict.NON_COMPLIANT_FROM, 1), (dt.date(2030, 12, 31), Verdict.NON_COMPLIANT_FROM, 0),
     (dt.date(2031, 1, 1), Verdict.NON_COMPLIANT, -1)],
)
def test_deadline_boundary(now: dt.date, verdict: Verdict, days: int) -> None:
    row = _row(_evaluate("nist-ir-8547", now), "nist-ir-8547", 0)
    assert row["verdict"] == verdict and row["days_left"] == days


def test_cnsa_by_category() -> None:
    r = _evaluate("cnsa-2.0")
    expect = {
        0: (Verdict.NON_COMPLIANT_FROM, "CNSA2-UNCATEGORISED", "2032-01-01"),
        3: (Verdict.NON_COMPLIANT_FROM, "CNSA2-UNCATEGORISED", "2032-01-01"),  # ML-KEM-768 is not CNSA 2.0
        4: (Verdict.COMPLIANT, "CNSA2-SYMMETRIC", ""),
        5: (Verdict.COMPLIANT, "CNSA2-WEB-CLOUD", ""),
        6: (Verdict.NON_COMPLIANT_FROM, "CNSA2-WEB-CLOUD", "2034-01-01"),
        7: (Verdict.NON_COMPLIANT, "CNSA2-SYMMETRIC", ""),  # AES-128: already not CNSA
        8: (Verdict.NON_COMPLIANT, "CNSA2-HASH", ""),
        9: (Verdict.COMPLIANT, "CNSA2-HASH", ""),
        10: (Verdict.NON_COMPLIANT_FROM, "CNSA2-SOFTWARE-SIGNING", "2031-01-01"),
    }
    for i, (verdict, rule, effective) in expect.items():
        row = _row(r, "cnsa-2.0", i)
        assert (row["verdict"], row["rule_id"], row["effective_from"]) == (verdict, rule, effective), i
    assert _row(r, "cnsa-2.0", 10)["kind"] == "exclusive-use-required"


def test_eo_14412_applies_its_dates_to_high_value_systems_only() -> None:
    r = _evaluate("us-eo-14412")
    hva = _row(r, "us-eo-14412", 11)
    assert (hva["rule_id"], hva["effective_from"], hva["binding"]) == ("EO14412-KEY-ESTABLISHMENT", "2031-01-01", True)
    other = _row(r, "us-eo-14412", 0)
    assert (other["rule_id"], other["effective_from"], other["binding"]) == ("NSM10-2035", "2036-01-01", False)


def test_bsi_and_eu_for_a_german_system() -> None:
    r = _evaluate("bsi-tr-02102-1,eu-pqc-roadmap")
    assert _row(r, "bsi-tr-02102-1", 12)["rule_id"] == "BSI-KE-CLASSICAL-HIGH"  # critical system: end 2030
    assert _row(r, "bsi-tr-02102-1", 13)["verdict"] == Verdict.NON_COMPLIANT  # ML-KEM-512
    assert _row(r, "bsi-tr-02102-1", 0)["verdict"] == Verdict.NOT_APPLICABLE  # US system
    assert _row(r, "bsi-tr-02102-1", 16)["verdict"] == Verdict.NOT_APPLICABLE  # no rule about DES
    eu = _row(r, "eu-pqc-roadmap", 12)
    assert (eu["rule_id"], eu["effective_from"]) == ("EU-HIGH-RISK-2030", "2031-01-01")
    # a system with no stated jurisdiction is judged by every policy: AES-256 has no BSI rule here
    assert _row(_evaluate("bsi"), "bsi-tr-02102-1", 17)["verdict"] == Verdict.NOT_APPLICABLE


def test_anssi_long_lived_data_and_standalone_lattice() -> None:
    r = _evaluate("anssi")
    assert _row(r, "anssi", 14)["verdict"] == Verdict.NON_COMPLIANT  # 30-year archive, classical ECDH
    assert _row(r, "anssi", 15)["verdict"] == Verdict.NOT_APPLICABLE  # 1-year session data
    assert _row(r, "anssi", 18)["rule_id"] == "ANSSI-NO-STANDALONE-LATTICE"
    assert _row(r, "anssi", 18)["verdict"] == Verdict.NON_COMPLIANT
    assert _row(r, "anssi", 3)["verdict"] == Verdict.NOT_APPLICABLE  # a US system


def test_asd_ism_after_2030() -> None:
    names = ["RSA", "ML-KEM-768", "ML-DSA-65", "AES-128", "SHA-256", "AES-256", "ML-KEM-1024", "ML-DSA-87",
             "SHA-384"]
    assets = [make_asset(n, key_size=2048 if n == "RSA" else None, system="au") for n in names]
    assets.append(make_asset("RSA", key_size=2048, system="us"))
    inv = make_inventory(assets, [make_system("au", jurisdictions=("AU",)), make_system("us", jurisdictions=("US",))])
    r = evaluate(columns(inv), resolve_policies("asd-ism"), NOW)
    for i in range(5):
        row = _row(r, "asd-ism", i)
        assert (row["verdict"], row["effective_from"]) == (Verdict.NON_COMPLIANT_FROM, "2031-01-01"), names[i]
    for i in range(5, 9):
        assert _row(r, "asd-ism", i)["verdict"] == Verdict.COMPLIANT, names[i]
    assert _row(r, "asd-ism", 9)["verdict"] == Verdict.NOT_APPLICABLE


def test_pci_strong_cryptography_and_inventory_checks() -> None:
    r = _evaluate("pci-dss-4.0.1")
    assert _row(r, "pci-dss-4.0.1", 16)["verdict"] == Verdict.NON_COMPLIANT  # DES in a card system
    assert _row(r, "pci-dss-4.0.1", 17)["verdict"] == Verdict.COMPLIANT
    assert _row(r, "pci-dss-4.0.1", 0)["verdict"] == Verdict.NOT_APPLICABLE  # no card data
    checks = {c.check_id: c for c in r.inventory_checks}
    assert checks["PCI-12.3.3-INVENTORY"].verdict == Verdict.COMPLIANT
    review = checks["PCI-12.3.3-REVIEW"]
    assert review.verdict == Verdict.COMPLIANT and review.days_left == (dt.date(2027, 5, 1) - NOW).days
    stale = {c.check_id: c for c in _evaluate("pci", scanned=dt.datetime(2025, 1, 2, tzinfo=dt.UTC)).inventory_checks}
    assert stale["PCI-12.3.3-REVIEW"].verdict == Verdict.NON_COMPLIANT
    # before the requirement became mandatory, the same gap is "non-compliant from"
    early = evaluate(columns(make_inventory([make_asset("RSA", system=None, located=False)])),
                     resolve_policies("pci"), dt.date(2025, 1, 15))
    c = {x.check_id: x for x in early.inventory_checks}
    assert c["PCI-12.3.3-INVENTORY"].verdict == Verdict.NON_COMPLIANT_FROM
    assert c["PCI-12.3.3-INVENTORY"].effective_from == dt.date(2025, 4, 1)
    assert "without usage" in c["PCI-12.3.3-INVENTORY"].details and "without location" in c[
        "PCI-12.3.3-INVENTORY"].details
    assert c["PCI-12.3.3-REVIEW"].details == "the inventory carries no scan date"


def test_omb_m_23_02_fields() -> None:
    r = _evaluate("us-eo-14412")
    fields = next(c for c in r.inventory_checks if c.check_id == "M2302-INVENTORY-FIELDS")
    assert fields.verdict == Verdict.NON_COMPLIANT and "system(s) without data classes" in fields.details
    assert len(r.inventory_checks) == 2  # once per policy, not per asset
    good = evaluate(columns(make_inventory(
        [make_asset("RSA", usage=Usage.KEY_EXCHANGE, key_size=2048, system="s")], [make_system("s", retention=7)],
        scanned=SCANNED)), resolve_policies("us-eo-14412"), NOW)
    assert all(c.verdict == Verdict.COMPLIANT for c in good.inventory_checks)


def test_summary_and_fail_flags() -> None:
    r = _evaluate("nist-ir-8547,cnsa-2.0")
    s = r.summary().set_index("policy")
    assert s.loc["nist-ir-8547"].sum() == 19 and s.loc["cnsa-2.0"].sum() == 19
    assert s.loc["nist-ir-8547", "non-compliant"] == 1
    assert r.any_non_compliant() and r.any_non_compliant(include_future=True)
    clean = evaluate(columns(make_inventory([make_asset("ML-KEM-768", usage=Usage.KEY_EXCHANGE)])),
                     resolve_policies("nist-ir-8547"), NOW)
    assert not clean.any_non_compliant(include_future=True)


def test_empty_inventory() -> None:
    r = evaluate(columns(make_inventory([])), resolve_policies(None), NOW)
    assert len(r.verdicts) == 0
    present = {c.check_id: c.verdict for c in r.inventory_checks}
    assert present["NCSC-DISCOVERY-2028"] == Verdict.NON_COMPLIANT_FROM  # nothing inventoried, due end 2028
    assert present["PCI-12.3.3-REVIEW"] == Verdict.NON_COMPLIANT  # no scan date
    assert r.any_non_compliant()
