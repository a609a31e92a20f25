"""The model's JSON form round-trips, and bad documents get a clear error."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk.model import (
    INVENTORY_SCHEMA,
    Asset,
    AssetKind,
    CertificateInfo,
    Confidence,
    DataClass,
    Inventory,
    InventoryFormatError,
    KeyMaterial,
    Occurrence,
    Primitive,
    QkdLink,
    QuantumStatus,
    ScanInfo,
    Site,
    SkippedFile,
    System,
    Usage,
    inventory_from_json,
    inventory_to_json,
    make_asset_id,
)

text = st.text(max_size=30)
opt_int = st.none() | st.integers(min_value=0, max_value=100_000)
dates = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
)

occurrences = st.builds(
    Occurrence,
    location=text,
    detector=text,
    rule_id=text,
    line=st.none() | st.integers(min_value=1, max_value=10**6),
    confidence=st.sampled_from(Confidence),
    snippet=text,
)
certs = st.builds(
    CertificateInfo,
    subject=text, issuer=text, serial_number=text, not_before=dates, not_after=dates,
    signature_algorithm=text, signature_hash=st.none() | text, is_ca=st.booleans(), self_signed=st.booleans(),
    subject_key_id=st.none() | text, authority_key_id=st.none() | text, sha256_fingerprint=text,
)
assets = st.builds(
    Asset,
    asset_id=text, kind=st.sampled_from(AssetKind), algorithm=text, primitive=st.sampled_from(Primitive),
    quantum_status=st.sampled_from(QuantumStatus), usage=st.sampled_from(Usage), key_size=opt_int,
    curve=st.none() | text, parameter_set=st.none() | text, mode=st.none() | text,
    classical_security_bits=opt_int, nist_quantum_level=st.none() | st.integers(0, 5),
    occurrences=st.lists(occurrences, max_size=3).map(tuple), system=st.none() | text,
    fingerprint_sha256=st.none() | text, key_material=st.none() | st.sampled_from(KeyMaterial),
    encrypted=st.booleans(), certificate=st.none() | certs, name=text, version=st.none() | text,
    related=st.lists(text, max_size=2).map(tuple), notes=st.lists(text, max_size=2).map(tuple),
)
finite = st.floats(min_value=0, max_value=1000, allow_nan=False)
systems = st.builds(
    System,
    id=text, name=text, owner=text, paths=st.lists(text, max_size=2).map(tuple),
    data_classes=st.lists(st.builds(DataClass, name=text, retention_years=finite, retention_source=text),
                          max_size=2).map(tuple),
    migration_years=st.none() | finite, signature_trust_years=st.none() | finite,
    jurisdictions=st.lists(text, max_size=2).map(tuple), high_value=st.booleans(),
)
inventories = st.builds(
    Inventory,
    assets=st.lists(assets, max_size=4).map(tuple),
    systems=st.lists(systems, max_size=2).map(tuple),
    sites=st.lists(st.builds(Site, id=text, name=text, latitude=st.none() | st.floats(-90, 90)),
                   max_size=2).map(tuple),
    qkd_links=st.lists(st.builds(QkdLink, id=text, a=text, b=text, length_km=finite), max_size=2).map(tuple),
    skipped=st.lists(st.builds(SkippedFile, location=text, reason=text, detail=text), max_size=3).map(tuple),
    scan=st.builds(ScanInfo, targets=st.lists(text, max_size=2).map(tuple), started=st.none() | dates,
                   files_seen=st.integers(0, 10**6)),
)


@settings(max_examples=150, deadline=None)
@given(inventories)
def test_inventory_json_round_trip(inv: Inventory) -> None:
    text_form = inventory_to_json(inv)
    assert json.loads(text_form)["schema"] == INVENTORY_SCHEMA
    assert inventory_from_json(text_form) == inv


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "top level is not an object"),
        ('{"schema": "cyclonedx"}', "not a qrisk inventory"),
        ('{"schema": "qrisk.inventory/2"}', "not supported"),
        ('{"schema": "qrisk.inventory/1", "assets": 5}', "malformed"),
        ('{"schema": "qrisk.inventory/1", "assets": [{"asset_id": 1}]}', "malformed"),
        ('{"schema": "qrisk.inventory/1", "assets": [{"asset_id": "x", "kind": "nope"}]}', "malformed"),
    ],
)
def test_bad_inventory_documents(doc: str, message: str) -> None:
    with pytest.raises(InventoryFormatError, match=message):
        inventory_from_json(doc)


def test_asset_id_is_stable_and_discriminating() -> None:
    a = make_asset_id(AssetKind.KEY, "RSA", key_size=2048, fingerprint="ab")
    assert a == make_asset_id(AssetKind.KEY, "RSA", key_size=2048, fingerprint="ab")
    assert a != make_asset_id(AssetKind.CERTIFICATE, "RSA", key_size=2048, fingerprint="ab")
    assert a != make_asset_id(AssetKind.KEY, "RSA", key_size=3072, fingerprint="ab")
    # without a fingerprint, location and rule decide
    b = make_asset_id(AssetKind.ALGORITHM, "AES-128", location="a.py", rule_id="QR-1")
    assert b != make_asset_id(AssetKind.ALGORITHM, "AES-128", location="b.py", rule_id="QR-1")
    assert a.startswith("qr-") and len(a) == 35


def test_status_severity_order() -> None:
    order = [QuantumStatus.SAFE, QuantumStatus.UNKNOWN, QuantumStatus.WEAKENED, QuantumStatus.BROKEN,
             QuantumStatus.CLASSICALLY_BROKEN]
    assert [s.severity for s in order] == sorted(s.severity for s in order)


def test_system_retention_is_longest_data_class() -> None:
    s = System("s", "S", data_classes=(DataClass("a", 3), DataClass("b", 30), DataClass("c", 7)))
    assert s.retention_years == 30
    assert System("t", "T").retention_years is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_pretty_json_is_the_standard_indented_json(value: object) -> None:
    from qrisk.model import pretty_json

    assert pretty_json(value) == json.dumps(value, indent=2, ensure_ascii=False)
    assert pretty_json([value], "    ") == json.dumps([value], indent=2, ensure_ascii=False).replace("\n", "\n    ")
