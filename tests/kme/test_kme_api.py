"""The ETSI GS QKD 014 V1.1.1 REST API over real mutual TLS on 127.0.0.1: objects, codes, authorisation."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from kmehelp import KmePki, Reply, assert_etsi_error, sae

from qrisk.qkd.kme import KmeMode
from qrisk.qkd.kme_server import KmeCluster

STATUS_FIELDS = {  # ETSI GS QKD 014 V1.1.1 §6 Status data format
    "source_KME_ID": str, "target_KME_ID": str, "master_SAE_ID": str, "slave_SAE_ID": str, "key_size": int,
    "stored_key_count": int, "max_key_count": int, "max_key_per_request": int, "max_key_size": int,
    "min_key_size": int, "max_SAE_ID_count": int,
}


def _keys(reply: Reply) -> list[tuple[str, bytes]]:
    assert reply.status == 200, reply.body
    assert set(reply.body) == {"keys"}
    out = []
    for item in reply.body["keys"]:
        assert set(item) == {"key_ID", "key"}
        assert str(uuid.UUID(item["key_ID"])) == item["key_ID"]
        out.append((item["key_ID"], base64.b64decode(item["key"], validate=True)))
    return out


@pytest.fixture
def kmes(strict_kmes: tuple[KmeCluster, KmePki]) -> tuple[KmeCluster, KmePki]:
    return strict_kmes


def test_status_object(kmes: tuple[KmeCluster, KmePki]) -> None:
    cluster, pki = kmes
    r = sae(cluster, "KME_A", pki, "SAE_A").get("/api/v1/keys/SAE_B/status")
    assert r.status == 200 and r.content_type.startswith("application/json")
    for name, tp in STATUS_FIELDS.items():
        assert isinstance(r.body[name], tp), name
    assert set(r.body) <= set(STATUS_FIELDS) | {"status_extension"}
    assert (r.body["source_KME_ID"], r.body["target_KME_ID"]) == ("KME_A", "KME_B")
    assert (r.body["master_SAE_ID"], r.body["slave_SAE_ID"]) == ("SAE_A", "SAE_B")
    assert r.body["min_key_size"] <= r.body["key_size"] <= r.body["max_key_size"]
    assert 0 < r.body["stored_key_count"] <= r.body["max_key_count"]
    assert r.body["max_SAE_ID_count"] == 0
    assert r.body["status_extension"]["qrisk_link"]["state"] == "up"


def test_get_and_post_enc_keys_with_number_and_size_then_dec_keys_by_the_slave(
    kmes: tuple[KmeCluster, KmePki],
) -> None:
    cluster, pki = kmes
    alice, bob = sae(cluster, "KME_A", pki, "SAE_A"), sae(cluster, "KME_B", pki, "SAE_B")
    default = _keys(alice.get("/api/v1/keys/SAE_B/enc_keys"))
    assert len(default) == 1 and len(default[0][1]) == 32  # key_size 256 bits
    got = _keys(alice.get("/api/v1/keys/SAE_B/enc_keys?number=3&size=512"))
    assert len(got) == 3 and all(len(k) == 64 for _, k in got)
    posted = _keys(alice.enc("SAE_B", number=2, size=128))
    assert len(posted) == 2 and all(len(k) == 16 for _, k in posted)
    issued = default + got + posted
    assert len({kid for kid, _ in issued}) == len(issued)
    # Bob's SAE collects them from KME_B, by POST (several at once) and by GET (one key_ID).
    by_post = _keys(bob.dec("SAE_A", [kid for kid, _ in got + posted]))
    assert by_post == got + posted
    by_get = _keys(bob.get(f"/api/v1/keys/SAE_A/dec_keys?key_ID={default[0][0]}"))
    assert by_get == default
    # Each key left each KME once: a replayed key_ID is an error.
    for kid, _ in issued:
        assert_etsi_error(bob.dec("SAE_A", [kid]), 400)


def test_a_slave_cannot_fetch_keys_meant_for_another_sae(kmes: tuple[KmeCluster, KmePki]) -> None:
    cluster, pki = kmes
    [(kid, key)] = _keys(sae(cluster, "KME_A", pki, "SAE_A").enc("SAE_B"))
    carol = sae(cluster, "KME_B", pki, "SAE_C")
    r = carol.dec("SAE_A", [kid])
    assert_etsi_error(r, 400)
    assert "key" not in r.body
    assert _keys(sae(cluster, "KME_B", pki, "SAE_B").dec("SAE_A", [kid])) == [(kid, key)]


def test_unknown_key_id_and_partial_requests_deliver_nothing(kmes: tuple[KmeCluster, KmePki]) -> None:
    cluster, pki = kmes
    [(kid, key)] = _keys(sae(cluster, "KME_A", pki, "SAE_A").enc("SAE_B"))
    bob = sae(cluster, "KME_B", pki, "SAE_B")
    assert_etsi_error(bob.dec("SAE_A", [str(uuid.uuid4())]), 400)
    assert_etsi_error(bob.dec("SAE_A", [kid, str(uuid.uuid4())]), 400)
    assert _keys(bob.dec("SAE_A", [kid])) == [(kid, key)]


def test_sae_b_cannot_be_master_for_sae_a_unless_configured(
    kmes: tuple[KmeCluster, KmePki], start_kmes, pki: KmePki,  # type: ignore[no-untyped-def]
) -> None:
    session_pki = pki
    cluster, pki = kmes  # the module's PKI from here on
    bob_at_b = sae(cluster, "KME_B", pki, "SAE_B")
    assert_etsi_error(bob_at_b.enc("SAE_A"), 401)
    assert_etsi_error(bob_at_b.get("/api/v1/keys/SAE_A/status"), 401)
    assert_etsi_error(bob_at_b.get("/api/v1/keys/SAE_A/enc_keys"), 401)
    # SAE_B is not attached to KME_A at all
    bob_at_a = sae(cluster, "KME_A", pki, "SAE_B")
    assert_etsi_error(bob_at_a.enc("SAE_B"), 401)
    assert_etsi_error(bob_at_a.get("/api/v1/keys/SAE_B/status"), 401)
    assert_etsi_error(bob_at_a.dec("SAE_A", [str(uuid.uuid4())]), 401)
    # configured both ways, the reverse pool exists
    both = start_kmes(pairs=[("SAE_A", "SAE_B"), ("SAE_B", "SAE_A")])
    [(kid, key)] = _keys(sae(both, "KME_B", session_pki, "SAE_B").enc("SAE_A"))
    assert _keys(sae(both, "KME_A", session_pki, "SAE_A").dec("SAE_B", [kid])) == [(kid, key)]


OVERSIZED = b'{"number": 1, "pad": "' + b"x" * (70 * 1024) + b'"}'


@pytest.mark.parametrize(("body", "ctype", "why"), [
    (b'{"number": 1', "application/json", "malformed JSON"),
    (b"[1, 2]", "application/json", "not an object"),
    (b"", "application/json", "empty body"),
    (b"\xff\xfe{}", "application/json", "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", "nesting (also oversized)"),
    (b"[" * 5000 + b"]" * 5000, "application/json", "deep nesting"),
    (OVERSIZED, "application/json", "oversized"),
    (b'{"number": 1}', "text/plain", "wrong content type"),
    (b'{"number": 1}', "application/x-www-form-urlencoded", "form content type"),
    (b'{"number": 1}', "", "no content type"),
    (b'{"number": 1, "number": 2}', "application/json", "duplicate member"),
    (b'{"number": 0}', "application/json", "number 0"),
    (b'{"number": 129}', "application/json", "number over max_key_per_request"),
    (b'{"number": -1}', "application/json", "negative number"),
    (b'{"number": "1"}', "application/json", "number as string"),
    (b'{"number": true}', "application/json", "number as boolean"),
    (b'{"number": 1.5}', "application/json", "fractional number"),
    (b'{"size": 257}', "application/json", "size not a multiple of 8"),
    (b'{"size": 0}', "application/json", "size 0"),
    (b'{"size": 56}', "application/json", "size under min_key_size"),
    (b'{"size": 8200}', "application/json", "size over max_key_size"),
    (b'{"size": 1e3}', "application/json", "size as float"),
    (b'{"numbr": 1}', "application/json", "unknown field"),
    (b'{"extension_mandatory": [{"abc_route_type": "direct"}]}', "application/json", "mandatory extension"),
    (b'{"extension_mandatory": {"abc": 1}}', "application/json", "extension not an array"),
    (b'{"additional_slave_SAE_IDs": ["SAE_C"]}', "application/json", "multicast"),
])
def test_bad_key_requests_are_400_with_an_etsi_error(
    kmes: tuple[KmeCluster, KmePki], body: bytes, ctype: str, why: str,
) -> None:
    cluster, pki = kmes
    alice = sae(cluster, "KME_A", pki, "SAE_A")
    headers = {"Content-Type": ctype} if ctype else {}
    before = alice.get("/api/v1/keys/SAE_B/status").body["stored_key_count"]
    r = alice.request("POST", "/api/v1/keys/SAE_B/enc_keys", body, headers)
    assert_etsi_error(r, 400)
    assert "keys" not in r.body, why
    # nothing was taken from the pool (status counts whole default-size keys; allow refill)
    assert alice.get("/api/v1/keys/SAE_B/status").body["stored_key_count"] >= before


@pytest.mark.parametrize("query", [
    "number=0", "number=abc", "number=1&number=2", "size=257", "size=-8", "number=999999999999", "count=1",
])
def test_bad_get_key_queries_are_400(kmes: tuple[KmeCluster, KmePki], query: str) -> None:
    cluster, pki = kmes
    assert_etsi_error(sae(cluster, "KME_A", pki, "SAE_A").get(f"/api/v1/keys/SAE_B/enc_keys?{query}"), 400)


@pytest.mark.parametrize(("body", "why"), [
    ({"key_IDs": []}, "empty"),
    ({"key_IDs": "550e8400-e29b-41d4-a716-446655440000"}, "not an array"),
    ({"key_IDs": [{"key_ID": "not-a-uuid"}]}, "not a UUID"),
    ({"key_IDs": [{"key_ID": 42}]}, "number"),
    ({"key_IDs": [{"keyID": "550e8400-e29b-41d4-a716-446655440000"}]}, "misspelt member"),
    ({"key_IDs": [{"key_ID": "550e8400-e29b-41d4-a716-446655440000"}] * 2}, "duplicate key_ID"),
    ({"key_IDs": [{"key_ID": str(uuid.uuid4())} for _ in range(129)]}, "over max_key_per_request"),
    ({"key_ids": [{"key_ID": "550e8400-e29b-41d4-a716-446655440000"}]}, "wrong case"),
])
def test_bad_key_ids_requests_are_400(kmes: tuple[KmeCluster, KmePki], body: dict, why: str) -> None:
    cluster, pki = kmes
    r = sae(cluster, "KME_B", pki, "SAE_B").post("/api/v1/keys/SAE_A/dec_keys", body)
    assert_etsi_error(r, 400)


def test_get_dec_keys_needs_one_key_id(kmes: tuple[KmeCluster, KmePki]) -> None:
    cluster, pki = kmes
    bob = sae(cluster, "KME_B", pki, "SAE_B")
    assert_etsi_error(bob.get("/api/v1/keys/SAE_A/dec_keys"), 400)
    kid = str(uuid.uuid4())
    assert_etsi_error(bob.get(f"/api/v1/keys/SAE_A/dec_keys?key_ID={kid}&key_ID={kid}"), 400)


def test_optional_extensions_are_accepted(kmes: tuple[KmeCluster, KmePki]) -> None:
    cluster, pki = kmes
    r = sae(cluster, "KME_A", pki, "SAE_A").enc("SAE_B", number=1, size=256,
                                                  extension_optional=[{"abc_max_age": 30000}])
    assert len(_keys(r)) == 1


def test_unknown_routes_and_methods_answer_with_an_error_object(kmes: tuple[KmeCluster, KmePki]) -> None:
    cluster, pki = kmes
    alice = sae(cluster, "KME_A", pki, "SAE_A")
    assert_etsi_error(alice.get("/api/v1/keys/SAE_B/nothing"), 404)
    assert_etsi_error(alice.get("/"), 404)
    assert_etsi_error(alice.request("DELETE", "/api/v1/keys/SAE_B/enc_keys"), 405)
    assert_etsi_error(alice.request("POST", "/api/v1/keys/SAE_B/status", b"{}",
                                    {"Content-Type": "application/json"}), 405)
    assert alice.get("/docs").status == 404 and alice.get("/openapi.json").status == 404


def test_key_containers_are_not_cacheable(kmes: tuple[KmeCluster, KmePki]) -> None:
    import http.client
    import ssl

    cluster, pki = kmes
    host, port = cluster.urls["KME_A"].removeprefix("https://").rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    ctx.load_cert_chain(str(pki.sae("SAE_A").cert), str(pki.sae("SAE_A").key))
    conn = http.client.HTTPSConnection(host, int(port), context=ctx)
    conn.request("GET", "/api/v1/keys/SAE_B/enc_keys")
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 200 and resp.getheader("cache-control") == "no-store"
    conn.close()


def test_empty_pool_is_503(start_kmes, pki: KmePki) -> None:  # type: ignore[no-untyped-def]
    far = start_kmes(distance_km=250, prefill_s=0)
    alice = sae(far, "KME_A", pki, "SAE_A")
    assert alice.get("/api/v1/keys/SAE_B/status").body["stored_key_count"] == 0
    r = alice.enc("SAE_B")
    assert_etsi_error(r, 503)
    assert r.body["details"][0]["stored_bits"] == 0
    slow = start_kmes(distance_km=200, prefill_s=0)  # ~0.3 kbit/s per pool: a 4096-bit key is not there yet
    assert_etsi_error(sae(slow, "KME_A", pki, "SAE_A").enc("SAE_B", size=4096), 503)


def test_aborted_link_is_503(start_kmes, pki: KmePki) -> None:  # type: ignore[no-untyped-def]
    cluster = start_kmes(eve="intercept-resend:0.6", mc_pulses=1_000_000, prefill_s=10)
    alice = sae(cluster, "KME_A", pki, "SAE_A")
    status = alice.get("/api/v1/keys/SAE_B/status").body
    assert status["stored_key_count"] == 0
    assert status["status_extension"]["qrisk_link"]["state"] == "aborted"
    r = alice.enc("SAE_B")
    assert_etsi_error(r, 503)
    assert "aborted" in r.message and "QBER" in r.message.upper()


def test_lenient_mode(start_kmes, pki: KmePki) -> None:  # type: ignore[no-untyped-def]
    cluster = start_kmes(mode=KmeMode.LENIENT)
    alice, bob = sae(cluster, "KME_A", pki, "SAE_A"), sae(cluster, "KME_B", pki, "SAE_B")
    # unknown key_ID: 404 (what qkdsec's doctor expects)
    assert_etsi_error(bob.dec("SAE_A", [str(uuid.uuid4())]), 404)
    # a single extension object instead of an array, and no content type, are accepted
    assert len(_keys(alice.enc("SAE_B", extension_optional={"abc_max_age": 1}))) == 1
    assert len(_keys(alice.request("POST", "/api/v1/keys/SAE_B/enc_keys", b'{"number": 2}'))) == 2
    # the doctor's self round trip: the master names the slave in dec_keys on its own KME
    [(kid, key)] = _keys(alice.enc("SAE_B"))
    assert _keys(alice.dec("SAE_B", [kid])) == [(kid, key)]
    assert_etsi_error(bob.dec("SAE_A", [kid]), 404)  # that was the slave's copy: delivered once
    # still refused in lenient mode: sizes, numbers, mandatory extensions, strangers
    assert_etsi_error(alice.enc("SAE_B", size=257), 400)
    assert_etsi_error(alice.enc("SAE_B", number=129), 400)
    assert_etsi_error(alice.enc("SAE_B", extension_mandatory=[{"x": 1}]), 400)
    assert_etsi_error(sae(cluster, "KME_B", pki, "SAE_C").dec("SAE_B", [kid]), 401)


def test_strict_mode_refuses_the_doctor_round_trip(kmes: tuple[KmeCluster, KmePki]) -> None:
    cluster, pki = kmes
    alice = sae(cluster, "KME_A", pki, "SAE_A")
    [(kid, _)] = _keys(alice.enc("SAE_B"))
    assert_etsi_error(alice.dec("SAE_B", [kid]), 401)
    assert len(_keys(sae(cluster, "KME_B", pki, "SAE_B").dec("SAE_A", [kid]))) == 1


def test_error_bodies_never_carry_key_material(kmes: tuple[KmeCluster, KmePki]) -> None:
    cluster, pki = kmes
    alice, bob = sae(cluster, "KME_A", pki, "SAE_A"), sae(cluster, "KME_B", pki, "SAE_B")
    [(kid, key)] = _keys(alice.enc("SAE_B"))
    _keys(bob.dec("SAE_A", [kid]))
    replay = bob.dec("SAE_A", [kid])
    text = json.dumps(replay.body)
    assert base64.b64encode(key).decode() not in text and key.hex() not in text
