"""Plans are deterministic for the same inputs: a golden snapshot of the JSON, and its recorded inputs.

Regenerate the golden file after an intended change with ``QRISK_UPDATE_GOLDEN=1 pytest tests/plan``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path
from typing import Any

from plan_factories import NOW, asset, certificate, demand_flow, inventory, library, system

from qrisk.model import AssetKind, Criticality, QkdLink, QuantumStatus, Site
from qrisk.plan import PLAN_SCHEMA, Budget, build_plan, plan_to_json

GOLDEN = Path(__file__).parent / "golden" / "plan_snapshot.json"
ORG = "Snapshot Bank"


def _estate():  # type: ignore[no-untyped-def]
    root = certificate("RSA", is_ca=True, self_signed=True, subject="CN=Root", system="pki", asset_id="qr-root",
                       location="pki/root.pem")
    ica = certificate("ECDSA-P384", is_ca=True, issuer=root, subject="CN=Issuing", system="pki", asset_id="qr-ica",
                      location="pki/ica.pem")
    leaf = certificate("RSA", issuer=ica, system="payments", asset_id="qr-leaf", subject="CN=pay",
                       location="payments/tls/server.crt")
    key = asset("RSA", kind=AssetKind.KEY, where="key", related=("qr-leaf",), system="payments", asset_id="qr-leafkey",
                location="payments/tls/server.key")
    server = asset("ECDH-P256", where="tls-endpoint", location="tls://pay.example.org:443", system="payments",
                   asset_id="qr-kex-server")
    client = asset("X25519", where="tls-config", location="clients/nginx.conf", system="clients",
                   asset_id="qr-kex-client")
    lib = library(system="payments")
    lib = type(lib)(**{**lib.__dict__, "asset_id": "qr-openssl", "occurrences": (
        type(lib.occurrences[0])("payments/Cargo.lock", "dependencies", "QR-DEP-CARGO-001"),)})
    md5 = asset("MD5", system="clients", asset_id="qr-md5", location="clients/legacy.py")
    aes = asset("AES-128", system="clients", asset_id="qr-aes", location="clients/crypto.py")
    fw = asset("ECDSA-P384", kind=AssetKind.KEY, where="key", system="firmware", asset_id="qr-fw",
               location="firmware/sign.key")
    mystery = asset("mystery-cipher", status=QuantumStatus.UNKNOWN, system="clients", asset_id="qr-mystery",
                    location="clients/x.c")
    systems = [
        system("pki", jurisdictions=("EU", "DE"), migration_years=4.0, category="niche", value=8.0),
        system("payments", jurisdictions=("EU", "DE"), retention=30.0, data_class="health",
               criticality=Criticality.CRITICAL, value=10.0, sites=("dc1", "dc2")),
        system("clients", jurisdictions=("EU",), retention=5.0, migration_years=3.0,
               endpoints=("tls://pay.example.org:443",)),
        system("firmware", jurisdictions=("DE",), category="software-signing", name="Meter firmware signing",
               max_handshake_bytes=4096, migration_years=5.0, high_value=True),
    ]
    sites = (Site("dc1", owner=ORG), Site("dc2", owner=ORG), Site("hut", owner="Carrier", relay=True))
    links = (QkdLink("dc1-dc2", "dc1", "dc2", 30), QkdLink("dc1-hut", "dc1", "hut", 20),
             QkdLink("hut-dc2", "hut", "dc2", 20))
    flows = (demand_flow("dc1", "dc2", 5000.0, ("payments",), "replication"),)
    return inventory([root, ica, leaf, key, server, client, lib, md5, aes, fw, mystery], systems, sites=sites,
                     links=links, flows=flows, organisation=ORG)


def _plan():  # type: ignore[no-untyped-def]
    return build_plan(_estate(), policies="bsi,eu-pqc-roadmap", now=NOW, crqc="year:2034",
                      budget=Budget(qkd_eur=5e5, effort_days_per_year=40.0), migration_speed=1.25)


def _normalise(value: Any) -> Any:
    """Floats to 6 significant digits: the key-rate optimiser may differ in the last bits across platforms."""
    if isinstance(value, float):
        return float(f"{value:.6g}") if math.isfinite(value) else value
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


def test_same_inputs_same_json() -> None:
    assert plan_to_json(_plan()) == plan_to_json(_plan())
    inv = _estate()
    a = build_plan(inv, policies=None, now=NOW, crqc="gri-2025:optimistic")
    b = build_plan(inv, policies=None, now=NOW, crqc="gri-2025:optimistic")
    assert plan_to_json(a) == plan_to_json(b)


def test_snapshot_matches_golden() -> None:
    text = plan_to_json(_plan())
    if os.environ.get("QRISK_UPDATE_GOLDEN") == "1" or not GOLDEN.exists():
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert _normalise(json.loads(text)) == _normalise(golden), (
        "plan JSON changed; if intended, regenerate with QRISK_UPDATE_GOLDEN=1"
    )


def test_json_records_its_inputs() -> None:
    data = json.loads(plan_to_json(_plan()))
    assert data["schema"] == PLAN_SCHEMA
    inputs = data["inputs"]
    assert inputs["now"] == NOW.isoformat()
    assert inputs["crqc"]["spec"] == "year:2034"
    assert [p["id"] for p in inputs["policies"]] == ["bsi-tr-02102-1", "eu-pqc-roadmap"]
    assert all(len(p["sha256"]) == 64 for p in inputs["policies"])
    assert inputs["budget"] == {"qkd_eur": 500000.0, "effort_days_per_year": 40.0}
    assert inputs["migration_speed"] == 1.25 and inputs["quantile"] == 0.5
    assert inputs["qkd_network"]["label"] == "inventory" and inputs["qkd_network"]["links"] == 3
    assert inputs["inventory"]["assets"] == 11 and len(inputs["inventory"]["fingerprint"]) == 64
    assert set(inputs["catalogs"]) >= {"migration_rules.yaml", "qkd_costs"}
    dt.date.fromisoformat(data["actions"][0]["start"])
    assert data["summary"]["qkd_recommended"] == 1
    assert data["summary"]["review"] == 1 and data["review"] == ["qr-mystery"]
    assert any(r["rule_id"] == "PLAN-AES-GROVER-ACCEPT" for r in data["accepted_risks"])
