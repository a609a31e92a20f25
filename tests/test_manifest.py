"""Manifest validation: good manifests load; every error names the field and the YAML line."""

from __future__ import annotations

import contextlib
import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk.errors import InputError
from qrisk.manifest import load_manifest, looks_like_manifest, manifest_json_schema, parse_manifest
from qrisk.model import Criticality, MigrationEffort

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "inventories" / "acme-bank" / "manifest.yaml"

GOOD = textwrap.dedent(
    """\
    schema: qrisk.manifest/1
    organisation: {name: Example}
    sites:
      - id: a
      - id: b
        relay: true
        trusted: false
    systems:
      - id: web
        name: Web shop
        paths: [src]
        endpoints: ["shop.example:443", "ssh://10.0.0.1:2222", "[::1]:8443"]
        data:
          - class: health
          - class: custom-logs
            retention_years: 3
        migration: {years: 2.5, effort: high}
        criticality: critical
    qkd_links:
      - {a: a, b: b, length_km: 50}
    """
)


def test_good_manifest() -> None:
    m = parse_manifest(GOOD, "m.yaml")
    (web,) = m.systems
    assert web.endpoints == ("tls://shop.example:443", "ssh://10.0.0.1:2222", "tls://[::1]:8443")
    assert [d.retention_years for d in web.data_classes] == [30, 3]
    assert web.retention_years == 30
    assert "HIPAA" in web.data_classes[0].retention_source
    assert web.migration_years == 2.5 and web.migration_effort is MigrationEffort.HIGH
    assert web.criticality is Criticality.CRITICAL
    assert m.qkd_links[0].id == "a--b" and m.qkd_links[0].protocol == "decoy-bb84"
    assert m.sites[1].relay and not m.sites[1].trusted


def test_data_flows_and_1_1_fields() -> None:
    text = GOOD + (
        "data_flows:\n  - {a: a, b: b, systems: [web], tunnels: 4, rekey_seconds: 60}\n"
    )
    text = text.replace("    criticality: critical\n", "    criticality: critical\n    value: 3\n    mtu_bytes: 1280\n")
    m = parse_manifest(text, "m.yaml")
    (flow,) = m.data_flows
    assert flow.id == "a->b" and flow.key_demand_bps == pytest.approx(4 * 256 / 60)
    assert m.systems[0].value == 3 and m.systems[0].mtu_bytes == 1280
    bad = GOOD + "data_flows:\n  - {a: a, b: b, systems: [nope]}\n"
    assert "m.yaml:22: data_flows[0].systems[0]: unknown system 'nope'" in _err(bad)
    assert "mtu_bytes" in _err(GOOD.replace("    criticality: critical\n", "    criticality: critical\n    mtu_bytes: 9\n"))


def test_sample_manifest_loads() -> None:
    m = load_manifest(SAMPLE)
    assert {s.id for s in m.systems} == {"payments", "patient-records", "firmware-signing", "hr-portal"}
    assert looks_like_manifest(SAMPLE)


def _err(text: str) -> str:
    with pytest.raises(InputError) as exc:
        parse_manifest(text, "m.yaml")
    return str(exc.value)


@pytest.mark.parametrize(
    ("old", "new", "expect"),
    [
        ("length_km: 50", "length_km: -5", "m.yaml:20: qkd_links[0].length_km"),
        ("years: 2.5", "years: many", "m.yaml:17: systems[0].migration.years"),
        ("criticality: critical", "criticality: extreme", "m.yaml:18: systems[0].criticality"),
        ("retention_years: 3", "retention_yeers: 3", "m.yaml:16: systems[0].data[1].retention_yeers: unknown field"),
        ("class: health", "class: astrology", "m.yaml:14: systems[0].data[0].class: unknown data class 'astrology'"),
        ('"shop.example:443"', '"shop.example"', "m.yaml:12: systems[0].endpoints"),
        ("{a: a, b: b,", "{a: a, b: zz,", "m.yaml:20: qkd_links[0].b: unknown site 'zz'"),
        ("- id: web", "- id: 'bad id!'", "m.yaml:9: systems[0].id"),
        ("schema: qrisk.manifest/1", "schema: qrisk.manifest/9", "m.yaml:1: schema"),
    ],
)
def test_errors_name_field_and_line(old: str, new: str, expect: str) -> None:
    assert old in GOOD
    assert expect in _err(GOOD.replace(old, new, 1))


def test_structural_errors() -> None:
    assert "m.yaml:1: schema: missing" in _err("organisation: {name: x}\n")
    assert "mapping with a 'schema' key" in _err("- a\n- b\n")
    assert "duplicate key 'systems'" in _err("schema: qrisk.manifest/1\nsystems: []\nsystems: []\n")
    assert "m.yaml:4: yaml" in _err("schema: qrisk.manifest/1\nsystems:\n  - id: [unclosed\n")
    assert "duplicate system id" in _err("schema: qrisk.manifest/1\nsystems:\n  - id: a\n  - id: a\n")
    assert "two different sites" in _err(
        "schema: qrisk.manifest/1\nsites: [{id: a}]\nqkd_links: [{a: a, b: a, length_km: 1}]\n"
    )


def test_hostile_yaml() -> None:
    bomb = "schema: qrisk.manifest/1\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        prev = "a" if i == 1 else f"a{i - 1}"
        bomb += f"a{i}: &a{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    assert "YAML nodes" in _err(bomb)
    assert "yaml" in _err("schema: !!python/object/apply:os.system ['true']\n")
    assert "merge keys" in _err("schema: qrisk.manifest/1\nbase: &b {x: 1}\norganisation:\n  <<: *b\n")
    deep = "schema: qrisk.manifest/1\nx: " + "[" * 5000 + "]" * 5000 + "\n"
    assert "m.yaml" in _err(deep)


def test_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"schema: qrisk.manifest/1\norganisation: {name: \xe9}\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_manifest(bad)
    with pytest.raises(InputError, match="cannot read"):
        load_manifest(tmp_path / "missing.yaml")
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as fh:
        fh.write(b"schema: qrisk.manifest/1\n")
        fh.truncate(9 * 1024 * 1024)
    with pytest.raises(InputError, match="limit"):
        load_manifest(huge)


def test_json_schema_export_is_current() -> None:
    shipped = ROOT / "qrisk" / "schemas" / "manifest.schema.json"
    assert json.loads(shipped.read_text()) == manifest_json_schema(), (
        "regenerate with: qrisk manifest schema -o qrisk/schemas/manifest.schema.json"
    )


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_never_raises_anything_but_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_manifest("schema: qrisk.manifest/1\n" + text, "f.yaml")
    with contextlib.suppress(InputError):
        parse_manifest(text, "f.yaml")


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
        lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
        max_leaves=12,
    )
)
def test_fuzz_structured_documents(value: object) -> None:
    doc = {"schema": "qrisk.manifest/1", "systems": [{"id": "s", "data": value}], "sites": value}
    with contextlib.suppress(InputError):
        parse_manifest(json.dumps(doc), "f.yaml")
