"""Key pools and the simulated link, without HTTP: fill rate, identical ends, once-only delivery, abort."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kmehelp import FAST_MC, network_config

from qrisk.errors import InputError
from qrisk.qkd.kme import (
    EtsiError,
    KeyManager,
    KeyPool,
    KmeMode,
    LinkConfig,
    assess_link,
    build_network,
    canonical_key_id,
    load_network_config,
)


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _link(**kw: object) -> LinkConfig:
    base = {"between": ("KME_A", "KME_B"), "pairs": [("SAE_A", "SAE_B")]}
    return LinkConfig.model_validate({**base, **kw})


def _pool(rate_bps: float, clock: FakeClock, **kw: object) -> KeyPool:
    return KeyPool(_link(**kw), "SAE_A", "SAE_B", "KME_A", "KME_B", rate_bps, clock=clock)


def test_pool_fills_at_the_link_rate_and_stops_at_capacity() -> None:
    clock = FakeClock()
    pool = _pool(1000.0, clock, max_key_count=10, key_size=256)
    assert pool.stored_bits() == 0
    clock.t += 1.0
    assert pool.stored_bits() == 1000  # 125 whole bytes
    clock.t += 0.5
    assert pool.stored_bits() == 1496  # 187 whole bytes; 4 bits carry over
    clock.t += 3600
    assert pool.stored_bits() == 10 * 256  # capacity: max_key_count keys of key_size bits
    assert pool.seconds_until(256) == 0.0


def test_fractional_bits_carry_over() -> None:
    clock = FakeClock()
    pool = _pool(3.0, clock)  # 3 bit/s: a byte every 8/3 s
    for _ in range(8):
        clock.t += 1.0
        pool.stored_bits()
    assert pool.stored_bits() == 24


def test_both_ends_hold_the_same_key_under_the_same_key_id_delivered_once() -> None:
    clock = FakeClock()
    pool = _pool(1e6, clock)
    clock.t += 1.0
    issued = pool.reserve(3, 512)
    assert len({kid for kid, _ in issued}) == 3
    assert all(len(k) == 64 for _, k in issued)
    assert all(canonical_key_id(kid) == kid for kid, _ in issued)
    got = pool.collect([kid for kid, _ in issued])
    assert got == issued
    assert pool.collect([issued[0][0]]) is None  # replay: gone
    assert pool.delivered_to_master == pool.delivered_to_slave == 3


def test_collect_is_all_or_nothing() -> None:
    clock = FakeClock()
    pool = _pool(1e6, clock)
    clock.t += 1.0
    [(kid, key)] = pool.reserve(1, 256)
    assert pool.collect([kid, "00000000-0000-4000-8000-000000000000"]) is None
    assert pool.collect([kid]) == [(kid, key)]


def test_empty_pool_is_503_and_says_how_much_is_missing() -> None:
    clock = FakeClock()
    pool = _pool(100.0, clock)
    clock.t += 1.0
    with pytest.raises(EtsiError) as exc:
        pool.reserve(1, 256)
    assert exc.value.status == 503
    assert exc.value.details and exc.value.details[0]["stored_bits"] == 96  # 12 whole bytes
    assert math.isclose(pool.seconds_until(256), 1.6)


def test_keys_waiting_for_the_slave_are_bounded() -> None:
    clock = FakeClock()
    pool = _pool(1e9, clock, max_key_count=5)
    clock.t += 1.0
    pool.reserve(5, 8)
    with pytest.raises(EtsiError) as exc:
        pool.reserve(1, 8)
    assert exc.value.status == 503 and "waiting for slave" in exc.value.message


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["reserve", "collect", "tick"]), st.integers(1, 6),
                          st.sampled_from([64, 128, 256, 1024])), max_size=40))
def test_property_no_key_twice_none_altered(ops: list[tuple[str, int, int]]) -> None:
    clock = FakeClock()
    pool = _pool(4096.0, clock, max_key_count=64)
    issued: dict[str, bytes] = {}
    collected: set[str] = set()
    for op, n, size in ops:
        if op == "tick":
            clock.t += n * 0.25
        elif op == "reserve":
            try:
                for kid, key in pool.reserve(n, size):
                    assert kid not in issued
                    assert len(key) == size // 8
                    issued[kid] = key
            except EtsiError as exc:
                assert exc.status == 503
        else:
            waiting = [k for k in issued if k not in collected][:n]
            if waiting:
                got = pool.collect(waiting)
                assert got == [(k, issued[k]) for k in waiting]
                collected.update(waiting)
                assert pool.collect(waiting[:1]) is None
    delivered_bits = 8 * sum(len(k) for k in issued.values())
    assert delivered_bits <= 4096.0 * (clock.t - 1000.0) + 1e-9  # never more than the link made


def test_longer_links_fill_more_slowly() -> None:
    rates = [assess_link(_link(distance_km=d, mc_pulses=FAST_MC, seed=1)).secret_key_rate_bps
             for d in (10, 50, 100, 150)]
    assert all(a > b > 0 for a, b in itertools.pairwise(rates))
    far = assess_link(_link(distance_km=250, mc_pulses=FAST_MC, seed=1))
    assert far.secret_key_rate_bps == 0 and not far.aborted and far.state == "no-key"


def test_intercept_resend_over_threshold_aborts_and_stops_the_flow(pki) -> None:  # type: ignore[no-untyped-def]
    a = assess_link(_link(eve="intercept-resend:0.6", mc_pulses=1_000_000, seed=3))
    assert a.aborted and a.qber_measured and a.mc_qber > a.abort_qber
    assert a.secret_key_rate_bps == 0 and a.state == "aborted"
    net = build_network(network_config(pki, eve="intercept-resend:0.6", mc_pulses=1_000_000, prefill_s=60))
    manager = net.managers["KME_A"]
    with pytest.raises(EtsiError) as exc:
        manager.enc_keys("SAE_A", "SAE_B", {})
    assert exc.value.status == 503 and "aborted" in exc.value.message
    assert manager.status("SAE_A", "SAE_B")["stored_key_count"] == 0


def test_weak_eavesdropper_lowers_the_rate_without_abort() -> None:
    clean = assess_link(_link(mc_pulses=1_000_000, seed=3))
    weak = assess_link(_link(eve="intercept-resend:0.05", mc_pulses=1_000_000, seed=3))
    assert not weak.aborted and not clean.aborted
    assert 0 < weak.secret_key_rate_bps < clean.secret_key_rate_bps
    assert weak.mc_qber > clean.mc_qber


def test_only_intercept_resend_is_modelled_on_kme_links() -> None:
    with pytest.raises(InputError, match="intercept-resend"):
        assess_link(_link(eve="pns:0.5", mc_pulses=FAST_MC))


def test_pools_per_pair_share_the_link_rate(pki) -> None:  # type: ignore[no-untyped-def]
    net = build_network(network_config(pki))
    assert len(net.pools) == 2
    total = net.links[0].secret_key_rate_bps
    assert all(math.isclose(p.rate_bps, total / 2) for p in net.pools)
    a, b = net.managers["KME_A"], net.managers["KME_B"]
    assert set(a.as_master) == {("SAE_A", "SAE_B"), ("SAE_A", "SAE_C")} and not a.as_slave
    assert set(b.as_slave) == set(a.as_master) and not b.as_master


def test_manager_authorisation_and_lenient_doctor_pattern(pki) -> None:  # type: ignore[no-untyped-def]
    net = build_network(network_config(pki))
    a, b = net.managers["KME_A"], net.managers["KME_B"]
    for call in (lambda: a.status("SAE_B", "SAE_A"), lambda: b.enc_keys("SAE_B", "SAE_A", {}),
                 lambda: a.status(None, "SAE_B"), lambda: a.dec_keys("SAE_A", "SAE_B", {"key_IDs": []})):
        with pytest.raises(EtsiError) as exc:
            call()
        assert exc.value.status == 401
    lenient = KeyManager("KME_A", ["SAE_A"], KmeMode.LENIENT)
    lenient.as_master = a.as_master
    [key] = a.enc_keys("SAE_A", "SAE_B", {"number": 1})["keys"]
    assert lenient.dec_keys("SAE_A", "SAE_B", {"key_IDs": [{"key_ID": key["key_ID"]}]})["keys"] == [key]
    with pytest.raises(EtsiError) as exc:  # the slave's copy was the one handed out
        b.dec_keys("SAE_B", "SAE_A", {"key_IDs": [{"key_ID": key["key_ID"]}]})
    assert exc.value.status == 400


@pytest.mark.parametrize(("value", "expected"), [
    ("550e8400-e29b-41d4-a716-446655440000", "550e8400-e29b-41d4-a716-446655440000"),
    ("550E8400-E29B-41D4-A716-446655440000", "550e8400-e29b-41d4-a716-446655440000"),
    ("{550e8400-e29b-41d4-a716-446655440000}", None),
    ("550e8400e29b41d4a716446655440000", None),
    ("urn:uuid:550e8400-e29b-41d4-a716-446655440000", None),
    (12, None),
    (None, None),
])
def test_key_ids_must_be_rfc4122_text(value: object, expected: str | None) -> None:
    assert canonical_key_id(value) == expected


def test_config_file_errors_name_the_field(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "kme.yaml"
    p.write_text("schema: qrisk.kme/1\nca: ca.crt\nkmes:\n  KME_A: {port: 1, cert: a, key: b, saes: [X]}\n"
                 "  KME_B: {port: 2, cert: a, key: b, saes: [Y]}\nlinks:\n"
                 "  - {between: [KME_A, KME_B], pairs: [[X, Z]]}\n")
    with pytest.raises(InputError, match="not attached"):
        load_network_config(p)
    p.write_text("schema: qrisk.kme/1\nkmes: [\n")
    with pytest.raises(InputError, match="line"):
        load_network_config(p)
    p.write_text("schema: other/1\n")
    with pytest.raises(InputError, match="schema"):
        load_network_config(p)
    p.write_text("schema: qrisk.kme/1\nca: ca.crt\nkmes:\n  KME_A: {port: 1, cert: a, key: b, saes: [X]}\n"
                 "  KME_B: {port: 2, cert: a, key: b, saes: [Y]}\nlinks:\n"
                 "  - {between: [KME_A, KME_B], pairs: [[X, Y]], key_size: 250}\n")
    with pytest.raises(InputError, match="key_size"):
        load_network_config(p)


def test_config_paths_are_relative_to_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "sub").mkdir()
    p = tmp_path / "sub" / "kme.yaml"
    p.write_text("schema: qrisk.kme/1\nca: pki/ca.crt\nkmes:\n  KME_A: {port: 1, cert: pki/a.crt, key: pki/a.key, "
                 "saes: [X]}\n  KME_B: {port: 2, cert: /abs/b.crt, key: b.key, saes: [Y]}\nlinks:\n"
                 "  - {between: [KME_A, KME_B], pairs: [[X, Y], [Y, X]], distance_km: 50}\n")
    cfg = load_network_config(p)
    assert cfg.ca == tmp_path / "sub" / "pki" / "ca.crt"
    assert cfg.kmes["KME_A"].cert == tmp_path / "sub" / "pki" / "a.crt"
    assert str(cfg.kmes["KME_B"].cert) == "/abs/b.crt"
    assert cfg.mode is KmeMode.STRICT and cfg.host == "127.0.0.1"


def test_link_channel_overrides_are_checked() -> None:
    assert _link(channel={"loss_db_per_km": 0.16}).channel == {"loss_db_per_km": 0.16}
    with pytest.raises(ValueError, match="unknown channel field"):
        _link(channel={"loss_per_km": 0.16})
    ull = assess_link(_link(distance_km=100, channel={"loss_db_per_km": 0.16}, mc_pulses=FAST_MC, seed=1))
    std = assess_link(_link(distance_km=100, mc_pulses=FAST_MC, seed=1))
    assert ull.secret_key_rate_bps > std.secret_key_rate_bps and math.isclose(ull.channel_loss_db, 16.0)


MANIFEST = """schema: qrisk.manifest/1
organisation: {name: Example}
sites:
  - {id: hq, name: HQ, trusted: true}
  - {id: dc, name: DC, trusted: true}
qkd_links:
  - {id: hq-dc, a: hq, b: dc, length_km: 60, loss_db_per_km: 0.18, extra_loss_db: 1.5, protocol: decoy-bb84}
  - {id: hq-dc-cv, a: hq, b: dc, length_km: 20, protocol: cv-gg02}
"""


def test_a_link_can_come_from_the_manifest(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "net.yaml").write_text(MANIFEST)
    cfg = tmp_path / "kme.yaml"
    cfg.write_text("schema: qrisk.kme/1\nca: ca.crt\nkmes:\n  KME_A: {port: 0, cert: a, key: b, saes: [X]}\n"
                   "  KME_B: {port: 0, cert: a, key: b, saes: [Y]}\nlinks:\n"
                   "  - {between: [KME_A, KME_B], pairs: [[X, Y]], manifest: net.yaml, qkd_link: hq-dc,"
                   " mc_pulses: 200000, seed: 1}\n")
    link = load_network_config(cfg).links[0]
    assert link.manifest == tmp_path / "net.yaml"
    a = assess_link(link)
    assert a.distance_km == 60 and math.isclose(a.channel_loss_db, 60 * 0.18 + 1.5)
    assert a.secret_key_rate_bps > 0
    with pytest.raises(InputError, match="BB84-family"):
        assess_link(link.model_copy(update={"qkd_link": "hq-dc-cv"}))
    with pytest.raises(InputError, match="no qkd_links entry"):
        assess_link(link.model_copy(update={"qkd_link": "nope"}))
    with pytest.raises(ValueError, match="taken from the manifest"):
        _link(manifest="net.yaml", qkd_link="hq-dc", distance_km=5)
    with pytest.raises(ValueError, match="go together"):
        _link(qkd_link="hq-dc")
