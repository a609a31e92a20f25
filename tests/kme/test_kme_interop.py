"""Interop with two independent ETSI GS QKD 014 clients from PyPI: etsi-qkd-014-client (LIP6) and qkdsec.

Each client runs unmodified against the KMEs over mutual TLS on 127.0.0.1. qkdsec's conformance
"doctor" passes in lenient mode; in strict mode its dec_keys self round trip is refused, as the
spec requires (the caller of dec_keys must be the slave, naming the master).
"""

from __future__ import annotations

import asyncio
import ssl

import pytest
from kmehelp import KmePki, need_module

from qrisk.qkd.kme import KmeMode
from qrisk.qkd.kme_server import KmeCluster


def _hostport(cluster: KmeCluster, kme_id: str) -> str:
    return cluster.urls[kme_id].removeprefix("https://")


@pytest.fixture
def lip6(strict_kmes: tuple[KmeCluster, KmePki]):  # type: ignore[no-untyped-def]
    mod = need_module("etsi_qkd_014_client")
    cluster, pki = strict_kmes

    def client(kme_id: str, sae_id: str):  # type: ignore[no-untyped-def]
        creds = pki.sae(sae_id)
        return mod.QKD014Client(_hostport(cluster, kme_id), str(creds.cert), str(creds.key), str(pki.ca))

    return client


def test_etsi_qkd_014_client_status_keys_and_errors(lip6) -> None:  # type: ignore[no-untyped-def]
    data = need_module("etsi_qkd_014_client.data")
    alice, bob = lip6("KME_A", "SAE_A"), lip6("KME_B", "SAE_B")

    code, status = alice.get_status("SAE_B")
    assert code == 200 and isinstance(status, data.DataStatus)
    assert (status.source_kme_id, status.target_kme_id) == ("KME_A", "KME_B")
    assert (status.master_sae_id, status.slave_sae_id) == ("SAE_A", "SAE_B")
    assert status.key_size == 256 and status.max_sae_id_count == 0 and status.stored_key_count > 0

    code, simple = alice.get_key("SAE_B")  # no arguments: the client uses GET
    assert code == 200 and len(simple.keys) == 1
    code, many = alice.get_key("SAE_B", number=4, size=512)  # POST with number and size
    assert code == 200 and len(many.keys) == 4
    import base64

    assert all(len(base64.b64decode(k.key)) == 64 for k in many.keys)

    wanted = [k.key_id for k in simple.keys + many.keys]
    code, got = bob.get_key_with_key_IDs("SAE_A", wanted)
    assert code == 200
    assert [(k.key_id, k.key) for k in got.keys] == [(k.key_id, k.key) for k in simple.keys + many.keys]

    # errors come back as the spec's Error object, which the client parses
    code, err = bob.get_key_with_key_IDs("SAE_A", wanted[:1])  # replay
    assert code == 400 and isinstance(err, data.DataError) and err.message
    code, err = alice.get_key("SAE_B", number=10_000)
    assert code == 400 and "number" in err.message
    code, err = alice.get_key("SAE_B", size=12)
    assert code == 400 and "size" in err.message
    code, err = bob.get_status("SAE_A")  # SAE_B is not a master
    assert code == 401 and err.message
    code, err = alice.get_key("SAE_B", additional_slave_sae_ids=["SAE_C"])
    assert code == 400 and err.message


@pytest.fixture
def qkdsec_clients(strict_kmes: tuple[KmeCluster, KmePki]):  # type: ignore[no-untyped-def]
    client_mod = need_module("qkdsec.client")
    cluster, pki = strict_kmes

    def client(kme_id: str, sae_id: str):  # type: ignore[no-untyped-def]
        creds = pki.sae(sae_id)
        return client_mod.ETSI014Client(cluster.urls[kme_id], client_cert=(str(creds.cert), str(creds.key)),
                                        verify=str(pki.ca), timeout=10)

    return client_mod, client


def test_qkdsec_client_status_get_post_and_dec_keys(qkdsec_clients) -> None:  # type: ignore[no-untyped-def]
    mod, client = qkdsec_clients
    with client("KME_A", "SAE_A") as alice, client("KME_B", "SAE_B") as bob:
        st = alice.status("SAE_B")
        assert st.master_sae_id == "SAE_A" and st.max_key_per_request == 128
        by_get = alice.get_enc_keys("SAE_B", number=2, size=256)
        by_post = alice.get_enc_keys("SAE_B", number=3, size=1024, method="POST")
        assert [k.size_bits for k in by_get] == [256, 256] and [k.size_bits for k in by_post] == [1024] * 3
        with_ext = alice.get_enc_keys("SAE_B", number=1, size=256, extension_optional=[{"vendor_x": 1}])
        got = bob.get_dec_keys("SAE_A", key_ids=[k.key_id for k in by_get + by_post + with_ext])
        assert [(k.key_id, k.key) for k in got] == [(k.key_id, k.key) for k in by_get + by_post + with_ext]
        with pytest.raises(mod.KMEHTTPError) as exc:
            bob.get_dec_keys("SAE_A", key_ids=[by_get[0].key_id])
        assert exc.value.status_code == 400 and exc.value.message
        with pytest.raises(mod.KMEHTTPError) as exc:
            alice.get_enc_keys("SAE_B", number=1, size=257)
        assert exc.value.status_code == 400 and "size" in exc.value.message
        with pytest.raises(mod.KMEHTTPError) as exc:
            alice.get_enc_keys("SAE_B", number=1, extension_mandatory=[{"abc_route_type": "direct"}])
        assert exc.value.status_code == 400


def test_qkdsec_async_client(strict_kmes: tuple[KmeCluster, KmePki]) -> None:
    """qkdsec's httpx-based client. With httpx 0.28, ``verify=<path>`` makes httpx ignore ``cert=``
    (it returns the CA-only context early), so the client certificate goes in an SSLContext."""
    need_module("httpx")
    aio = need_module("qkdsec.client.aio")
    cluster, pki = strict_kmes

    def ctx(sae_id: str) -> ssl.SSLContext:
        c = ssl.create_default_context(cafile=str(pki.ca))
        c.load_cert_chain(str(pki.sae(sae_id).cert), str(pki.sae(sae_id).key))
        return c

    async def run() -> tuple[list, list]:
        async with aio.AsyncETSI014Client(cluster.urls["KME_A"], verify=ctx("SAE_A")) as alice, \
                aio.AsyncETSI014Client(cluster.urls["KME_B"], verify=ctx("SAE_B")) as bob:
            keys = await alice.get_enc_keys("SAE_B", number=2, size=512, method="POST")
            got = await bob.get_dec_keys("SAE_A", key_ids=[k.key_id for k in keys])
            with pytest.raises(aio.KMEHTTPError) as exc:
                await bob.get_dec_keys("SAE_A", key_ids=[keys[0].key_id])
            assert exc.value.status_code == 400
            return keys, got

    keys, got = asyncio.run(run())
    assert len(keys) == 2 and [(k.key_id, k.key) for k in keys] == [(k.key_id, k.key) for k in got]


def _doctor(cluster: KmeCluster, pki: KmePki):  # type: ignore[no-untyped-def]
    client_mod = need_module("qkdsec.client")
    doctor = need_module("qkdsec.doctor")
    a = pki.sae("SAE_A")
    with client_mod.ETSI014Client(cluster.urls["KME_A"], client_cert=(str(a.cert), str(a.key)),
                                  verify=str(pki.ca), timeout=10) as client:
        report = doctor.run_all(client, "SAE_B")
    return {r.name: r.status.value for r in report.results}, report


def test_qkdsec_doctor_passes_in_lenient_mode(start_kmes, pki: KmePki) -> None:  # type: ignore[no-untyped-def]
    statuses, report = _doctor(start_kmes(mode=KmeMode.LENIENT), pki)
    assert report.passed, statuses
    assert set(statuses.values()) == {"pass"}, statuses  # not even a warning
    assert {"reachability", "status_fields", "enc_keys_get", "enc_keys_post", "enc_keys_caps",
            "extensions_accepted", "dec_keys_roundtrip", "error_contract_404", "error_contract_400"} <= set(statuses)


def test_qkdsec_doctor_in_strict_mode_fails_only_its_self_round_trip(
    start_kmes, pki: KmePki,  # type: ignore[no-untyped-def]
) -> None:
    statuses, report = _doctor(start_kmes(mode=KmeMode.STRICT), pki)
    assert not report.passed
    assert statuses.pop("dec_keys_roundtrip") == "fail"
    # the doctor probes an unknown key_ID with the master's certificate and the slave's ID: 401, a WARN
    assert statuses.pop("error_contract_404") == "warn"
    assert set(statuses.values()) == {"pass"}, statuses
