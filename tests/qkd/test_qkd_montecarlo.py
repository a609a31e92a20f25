"""Pulse-level BB84: identical keys, agreement with the analytic finite-key rate, honest leakage, attacks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import toeplitz

from qrisk.errors import InputError
from qrisk.qkd import montecarlo as mc
from qrisk.qkd.channel import Channel
from qrisk.qkd.rates import FiniteKey, h2, key_rate

PULSES = 20_000_000  # enough for a positive Lim et al. 2014 key at 10 km


@pytest.fixture(scope="module")
def channel() -> Channel:
    return Channel.for_protocol("efficient-bb84", length_km=10)


@pytest.fixture(scope="module")
def honest_run(channel: Channel) -> mc.SimulationRun:
    return mc.simulate(PULSES, channel, seed=11)


def test_both_sides_end_with_the_same_key(honest_run: mc.SimulationRun) -> None:
    r = honest_run.result
    assert not r.aborted, r.abort_reason
    assert r.final_key_bits > 10_000
    assert r.keys_identical
    assert np.array_equal(honest_run.alice_key, honest_run.bob_key)
    # the key is not trivially structured
    assert 0.45 < honest_run.alice_key.mean() < 0.55


def test_key_length_agrees_with_the_analytic_finite_key_rate(channel: Channel, honest_run: mc.SimulationRun) -> None:
    cat = mc.qkd_catalog()
    analytic = key_rate(
        "efficient-bb84", channel, finite_key=FiniteKey.default(PULSES), mu=cat.simulation.signal_mu,
        basis_bias=cat.simulation.basis_bias,
    )
    finite = analytic.secret_key_rate_bits_per_pulse
    asymptotic = analytic.asymptotic_rate_bits_per_pulse
    assert asymptotic is not None
    simulated = honest_run.result.key_rate_bits_per_pulse
    margin = asymptotic - finite  # the finite-size margin
    assert abs(simulated - finite) < 0.25 * finite < margin
    assert abs(simulated - asymptotic) <= margin


def test_qber_matches_the_channel_misalignment(channel: Channel, honest_run: mc.SimulationRun) -> None:
    r = honest_run.result
    assert r.qber_z == pytest.approx(channel.misalignment, abs=0.002)
    assert r.qber_x == pytest.approx(channel.misalignment, abs=0.004)


def test_leaked_bits_are_at_least_the_shannon_limit(honest_run: mc.SimulationRun) -> None:
    r = honest_run.result
    floor = mc.shannon_leak_floor(r.sifted_z_bits, r.qber_z)
    assert r.leaked_bits_ec >= floor
    assert r.leaked_bits_ec < 1.5 * floor  # Cascade is reasonably efficient


def test_leak_is_what_crossed_the_public_channel(honest_run: mc.SimulationRun) -> None:
    parity_bits = sum(b for who, kind, b in honest_run.transcript if kind.startswith("cascade-parities"))
    assert parity_bits == honest_run.result.leaked_bits_ec
    senders = {who for who, _, _ in honest_run.transcript}
    assert senders == {"alice", "bob"}


def test_alice_and_bob_share_only_messages() -> None:
    # neither party holds a reference to the other; messages arrive as copies
    alice = mc.Alice(np.random.default_rng(1), (0.5, 0.3, 0.2), 0.7)
    bob = mc.Bob(np.random.default_rng(2), 0.7)
    assert not any(isinstance(v, mc.Bob) for v in vars(alice).values())
    assert not any(isinstance(v, mc.Alice) for v in vars(bob).values())
    channel = mc.ClassicalChannel()
    payload = np.array([1, 0, 1], dtype=np.uint8)
    received = channel.send("alice", "test", payload, 3)
    received[0] = 0
    assert payload[0] == 1
    assert channel.transcript == [("alice", "test", 3)]


@given(st.integers(4000, 20000), st.floats(0.01, 0.08), st.integers(0, 2**32 - 1))
@settings(max_examples=25, deadline=None)
def test_cascade_corrects_and_leaks_at_least_n_h2(n: int, qber: float, seed: int) -> None:
    # n*H2 is a limit for the error distribution; blocks of thousands keep one draw close to it
    rng = np.random.default_rng(seed)
    alice = rng.integers(0, 2, n, dtype=np.uint8)
    errors = rng.random(n) < qber
    bob = alice ^ errors.astype(np.uint8)
    public = mc.ClassicalChannel()
    oracle = mc._ParityOracle(alice, public)
    corrected, leak = mc.cascade(oracle, bob, max(qber, 1e-3), passes=4, seed=seed, channel=public)
    actual = errors.mean()
    assert leak >= n * h2(actual)
    # Cascade can leave an undetected error pattern, rarely; the verification hash catches it
    assert np.count_nonzero(corrected != alice) <= max(2, n // 200)


@given(st.integers(1, 300), st.integers(1, 120), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_fft_toeplitz_hash_equals_the_matrix_product(n: int, m: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n, dtype=np.uint8)
    s = rng.integers(0, 2, n + m - 1, dtype=np.uint8)
    # T[i, j] = s[i - j + n - 1]: first column s[n-1:], first row s[n-1::-1]
    t = toeplitz(s[n - 1 :], s[n - 1 :: -1]).astype(np.int64)
    assert np.array_equal(mc.toeplitz_hash(s, x, m), (t @ x) % 2)


def test_toeplitz_hash_of_a_megabit_is_exact_at_its_ends() -> None:
    rng = np.random.default_rng(5)
    n, m = 1_000_000, 500_000
    x = rng.integers(0, 2, n, dtype=np.uint8)
    s = rng.integers(0, 2, n + m - 1, dtype=np.uint8)
    y = mc.toeplitz_hash(s, x, m)
    for i in (0, 1, m // 2, m - 1):
        row = s[i + n - 1 - np.arange(n)]
        assert y[i] == int(row.astype(np.int64) @ x) % 2


def test_intercept_resend_raises_qber_and_full_attack_aborts(channel: Channel) -> None:
    partial = mc.simulate(4_000_000, channel, seed=3, eve=mc.parse_eve("intercept-resend:0.2")).result
    full = mc.simulate(4_000_000, channel, seed=3, eve=mc.parse_eve("intercept-resend:1")).result
    # intercept-resend in a random basis: 25 % errors on the attacked detections
    assert partial.qber_x == pytest.approx(channel.misalignment + 0.2 * 0.25, abs=0.02)
    assert full.aborted and "qber-above-threshold" in full.abort_reason
    assert full.final_key_bits == 0


def test_photon_number_splitting_is_caught_by_the_decoys(channel: Channel) -> None:
    r = mc.simulate(2_000_000, channel, seed=4, eve=mc.parse_eve("pns")).result
    assert r.qber_x < 0.05  # PNS leaves no errors...
    assert r.aborted and r.final_key_bits == 0  # ...but the decoy bound leaves no single photons


def test_same_seed_same_run(channel: Channel) -> None:
    a = mc.simulate(300_000, channel, seed=9).result
    b = mc.simulate(300_000, channel, seed=9).result
    assert a == b


def test_sparse_detection_matches_click_probability(channel: Channel) -> None:
    rec = mc.run_quantum(5_000_000, channel, seed=2)
    cat = mc.qkd_catalog()
    mus = np.array([cat.simulation.signal_mu, cat.finite_key.weak_decoy_mu, cat.finite_key.vacuum_mu])
    probs = np.array([cat.finite_key.signal_prob, cat.finite_key.weak_prob, cat.finite_key.vacuum_prob])
    expected = 5_000_000 * float(probs @ (1 - (1 - channel.dark_count_prob / 2) ** 2 * np.exp(-channel.transmittance * mus)))
    assert rec.bob.detections == pytest.approx(expected, rel=5 * expected**-0.5)


@pytest.mark.parametrize("spec", ["man-in-the-middle:0.2", "intercept-resend:x", "intercept-resend:1.5"])
def test_bad_eve_specs(spec: str) -> None:
    with pytest.raises(InputError, match="eve"):
        mc.parse_eve(spec)
