"""Helpers for the KME tests: a test PKI, network configs, and a raw mTLS HTTP client that can
send malformed requests. Locally a missing third-party client skips its test; in CI it fails.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from qrisk.qkd.kme import CONFIG_SCHEMA, KmeMode, KmeNetworkConfig
from qrisk.qkd.kme_pki import (
    CertPaths,
    DemoPki,
    ensure_demo_pki,
    issue_certificate,
    new_ca,
    write_cert_and_key,
)
from qrisk.qkd.kme_server import KmeCluster

IN_CI = os.environ.get("CI", "").lower() == "true"
FAST_MC = 200_000  # Monte Carlo pulses: enough for a QBER estimate at 20 km, ~20 ms


def need_module(name: str) -> Any:
    """Import a third-party module; skip locally, fail in CI, when it is missing."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        if IN_CI:
            pytest.fail(f"{name} is required in CI but is not installed (.ci/run must install it)")
        pytest.skip(f"{name} is not installed")


def make_test_pki(folder: Path) -> KmePki:
    """Demo PKI with SAE_A, SAE_B, SAE_C, and an SAE_A certificate from a rogue CA."""
    demo = ensure_demo_pki(folder, sae_ids=("SAE_A", "SAE_B", "SAE_C"))
    rogue = new_ca("rogue CA")
    cert, key = issue_certificate(rogue, "SAE_A", server=False)
    return KmePki(demo, write_cert_and_key(folder, "rogue-sae-a", cert, key))


@dataclass(frozen=True)
class KmePki:
    demo: DemoPki
    rogue_sae_a: CertPaths
    """A certificate with CN=SAE_A from another CA."""

    @property
    def ca(self) -> Path:
        return self.demo.ca.cert

    def sae(self, sae_id: str) -> CertPaths:
        return self.demo.saes[sae_id]


def network_config(
    pki: KmePki, *, mode: KmeMode = KmeMode.STRICT, pairs: list[tuple[str, str]] | None = None,
    **link: Any,
) -> KmeNetworkConfig:
    """KME_A with SAE_A; KME_B with SAE_B and SAE_C; one link, pools SAE_A→SAE_B and SAE_A→SAE_C."""
    d = pki.demo
    link_cfg = {"between": ["KME_A", "KME_B"], "pairs": pairs or [("SAE_A", "SAE_B"), ("SAE_A", "SAE_C")],
                "distance_km": 20.0, "prefill_s": 1.0, "mc_pulses": FAST_MC, "seed": 7, **link}
    return KmeNetworkConfig.model_validate({
        "schema": CONFIG_SCHEMA, "mode": mode, "ca": d.ca.cert,
        "kmes": {
            "KME_A": {"port": 0, "cert": d.kmes["KME_A"].cert, "key": d.kmes["KME_A"].key, "saes": ["SAE_A"]},
            "KME_B": {"port": 0, "cert": d.kmes["KME_B"].cert, "key": d.kmes["KME_B"].key,
                      "saes": ["SAE_B", "SAE_C"]},
        },
        "links": [link_cfg],
    })


@dataclass
class Reply:
    status: int
    body: Any
    content_type: str

    @property
    def message(self) -> str:
        return self.body.get("message", "") if isinstance(self.body, dict) else ""


class Sae:
    """An SAE's raw mTLS HTTP access to a KME: sends exactly the bytes and headers given."""

    def __init__(self, url: str, creds: CertPaths | None, ca: Path) -> None:
        host, port = url.removeprefix("https://").rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.ctx = ssl.create_default_context(cafile=str(ca))
        if creds is not None:
            self.ctx.load_cert_chain(str(creds.cert), str(creds.key))

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            raw = resp.read()
            ctype = resp.getheader("content-type", "")
        finally:
            conn.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw
        return Reply(resp.status, data, ctype)

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, obj: Any, *, content_type: str = "application/json") -> Reply:
        return self.request("POST", path, json.dumps(obj).encode(), {"Content-Type": content_type})

    def enc(self, slave: str, **req: Any) -> Reply:
        return self.post(f"/api/v1/keys/{slave}/enc_keys", req)

    def dec(self, master: str, key_ids: list[str]) -> Reply:
        return self.post(f"/api/v1/keys/{master}/dec_keys", {"key_IDs": [{"key_ID": k} for k in key_ids]})


def sae(cluster: KmeCluster, kme_id: str, pki: KmePki, sae_id: str | None) -> Sae:
    return Sae(cluster.urls[kme_id], pki.sae(sae_id) if sae_id else None, pki.ca)


def assert_etsi_error(reply: Reply, status: int) -> None:
    """ETSI GS QKD 014 V1.1.1 §6 Error object: JSON with a non-empty 'message' (and optional 'details')."""
    assert reply.status == status, (reply.status, reply.body)
    assert reply.content_type.startswith("application/json")
    assert isinstance(reply.body, dict) and isinstance(reply.body.get("message"), str) and reply.body["message"]
    assert set(reply.body) <= {"message", "details"}
    if "details" in reply.body:
        assert isinstance(reply.body["details"], list)
        assert all(isinstance(d, dict) for d in reply.body["details"])
