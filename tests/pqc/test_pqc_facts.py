"""catalog/pqc.yaml: well-formed, sourced, keyed by algorithms.yaml names, consistent with the standards."""

from __future__ import annotations

import pytest
import yaml

from qrisk.catalog import algorithms
from qrisk.pqc.facts import CostClass, Kind, PqcFactsError, StandardStatus, all_facts, facts, parse_facts


def test_every_entry_names_a_source_and_a_standard() -> None:
    for f in all_facts().values():
        assert f.source.strip(), f.id
        assert f.standard.strip(), f.id


def test_names_exist_in_the_algorithm_catalog() -> None:
    catalog = algorithms()
    missing = sorted({f.name for f in all_facts().values() if catalog.get(f.name).name != f.name})
    assert not missing, f"pqc.yaml names missing from algorithms.yaml: {missing}"


@pytest.mark.parametrize(
    ("alg", "pk", "ct_or_sig", "level"),
    [
        # FIPS 203 Table 3, FIPS 204 Table 2, FIPS 205 Table 2.
        ("ML-KEM-512", 800, 768, 1),
        ("ML-KEM-768", 1184, 1088, 3),
        ("ML-KEM-1024", 1568, 1568, 5),
        ("ML-DSA-44", 1312, 2420, 2),
        ("ML-DSA-65", 1952, 3309, 3),
        ("ML-DSA-87", 2592, 4627, 5),
        ("SLH-DSA-SHA2-128s", 32, 7856, 1),
        ("SLH-DSA-SHA2-256f", 64, 49856, 5),
        ("X-Wing", 1216, 1120, 3),
        ("X25519MLKEM768", 1216, 1120, 3),
    ],
)
def test_standard_sizes(alg: str, pk: int, ct_or_sig: int, level: int) -> None:
    f = facts(alg)
    assert f.sizes.public_key_bytes == pk
    assert (f.sizes.ciphertext_bytes or f.sizes.signature_bytes) == ct_or_sig
    assert f.nist_level == level


def test_status_vocabulary_covers_the_standards_track() -> None:
    status = {f.id: f.status for f in all_facts().values()}
    assert status["ML-KEM-768"] is StandardStatus.STANDARD
    assert status["FN-DSA-512"] is StandardStatus.DRAFT_STANDARD
    assert status["HQC-128"] is StandardStatus.SELECTED
    assert status["X-Wing"] is StandardStatus.INTERNET_DRAFT
    assert "SP 800-208" in facts("LMS").standard and "SP 800-208" in facts("XMSS").standard
    assert "FIPS 205" in facts("SLH-DSA-SHA2-128s").standard


def test_handshake_bytes_and_cost_weigh_wire_and_cpu() -> None:
    mlkem, mce = facts("ML-KEM-768"), facts("Classic-McEliece-348864")
    assert mlkem.handshake_bytes() == 1184 + 1088
    assert mce.handshake_bytes() > 100 * mlkem.handshake_bytes()
    assert mce.cost["keygen"] is CostClass.VERY_HIGH
    assert facts("SLH-DSA-SHA2-128s").cost_rank() > facts("ML-DSA-44").cost_rank()
    assert all(f.kind in (Kind.KEM, Kind.SIGNATURE) for f in all_facts().values())


def test_malformed_documents_are_rejected() -> None:
    good = {
        "schema": "qrisk.catalog.pqc/1",
        "cost_source": "x",
        "algorithms": [
            {
                "id": "K",
                "name": "K",
                "kind": "kem",
                "nist_level": 1,
                "status": "standard",
                "standard": "S",
                "sizes": {"public_key_bytes": 1, "ciphertext_bytes": 1, "shared_secret_bytes": 1},
                "cost": {"keygen": "low", "encaps": "low", "decaps": "low"},
                "source": "src",
            }
        ],
    }
    assert "K" in parse_facts(good)
    for mutate in (
        lambda d: d["algorithms"][0].update(source=" "),
        lambda d: d["algorithms"][0].update(cost={"keygen": "low"}),
        lambda d: d["algorithms"][0]["sizes"].pop("ciphertext_bytes"),
        lambda d: d["algorithms"][0].update(surprise=1),
        lambda d: d["algorithms"].append(dict(d["algorithms"][0])),
        lambda d: d.update(schema="other/1"),
    ):
        doc = yaml.safe_load(yaml.safe_dump(good))
        mutate(doc)
        with pytest.raises(PqcFactsError):
            parse_facts(doc)
