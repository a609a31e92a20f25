"""Property tests: whatever a client sends, the KME answers with keys or an ETSI error — never a crash,
and an error never takes key material out of the pool."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kmehelp import KmePki, network_config

from qrisk.qkd.kme import EtsiError, KmeMode, KmeNetwork, build_network
from qrisk.qkd.kme_http import parse_json_body

json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(
    max_size=20)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
request_keys = st.sampled_from(["number", "size", "additional_slave_SAE_IDs", "extension_mandatory",
                                "extension_optional", "key_IDs", "key_IDs_extension", "x"])
requests = st.dictionaries(request_keys, json_values | st.integers(0, 5000), max_size=4)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200), ctype=st.sampled_from(["application/json", "application/json; charset=utf-8",
                                                              "text/plain", "", "application/xml"]),
       lenient=st.booleans())
def test_any_body_parses_to_an_object_or_a_400(body: bytes, ctype: str, lenient: bool) -> None:
    try:
        out = parse_json_body(body, ctype, lenient=lenient)
    except EtsiError as exc:
        assert exc.status == 400 and exc.message
    else:
        assert isinstance(out, dict)


@settings(max_examples=300, deadline=None)
@given(doc=json_values)
def test_any_json_document_is_handled(doc: object) -> None:
    body = json.dumps(doc).encode()
    try:
        out = parse_json_body(body, "application/json", lenient=False)
    except EtsiError as exc:
        assert exc.status == 400
    else:
        assert isinstance(out, dict) and out == doc


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> dict[KmeMode, KmeNetwork]:
    from kmehelp import make_test_pki

    pki: KmePki = make_test_pki(tmp_path_factory.mktemp("fuzz-pki"))
    return {m: build_network(network_config(pki, mode=m, prefill_s=3600, max_key_count=100_000))
            for m in KmeMode}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(req=requests, mode=st.sampled_from(list(KmeMode)))
def test_any_key_request_yields_keys_or_an_etsi_error(network: dict[KmeMode, KmeNetwork], req: dict,
                                                      mode: KmeMode) -> None:
    net = network[mode]
    a = net.managers["KME_A"]
    pool = a.as_master[("SAE_A", "SAE_B")]
    before = pool.delivered_to_master
    try:
        out = a.enc_keys("SAE_A", "SAE_B", req)
    except EtsiError as exc:
        assert exc.status in (400, 503) and exc.message
        assert pool.delivered_to_master == before  # a refused request takes nothing
        json.dumps(exc.body())  # the error object is JSON
    else:
        n = req.get("number", 1) or 1
        assert len(out["keys"]) == n and pool.delivered_to_master == before + n


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(req=requests, mode=st.sampled_from(list(KmeMode)))
def test_any_key_ids_request_yields_keys_or_an_etsi_error(network: dict[KmeMode, KmeNetwork], req: dict,
                                                          mode: KmeMode) -> None:
    b = network[mode].managers["KME_B"]
    try:
        b.dec_keys("SAE_B", "SAE_A", req)
    except EtsiError as exc:
        assert exc.status in (400, 404) and exc.message
        assert exc.status != 404 or mode is KmeMode.LENIENT
