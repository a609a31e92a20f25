"""Key-rate models: published points, PLOB bound, monotonicity, finite size, TF scaling."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk.qkd.channel import Channel
from qrisk.qkd.params import qkd_catalog
from qrisk.qkd.rates import FiniteKey, Protocol, key_rate, max_distance_km, plob_bound
from qrisk.qkd.validation import evaluate_experiment, evaluate_point

REPEATERLESS = [p for p in Protocol if p.repeaterless]


@pytest.mark.parametrize("point", qkd_catalog().model_points, ids=lambda p: p.id)
def test_reference_points_within_tolerance(point) -> None:  # type: ignore[no-untyped-def]
    row = evaluate_point(point)
    assert row.passed, f"{row.id}: model {row.model:.4g} vs {row.expected:.4g} ({row.source})"


@pytest.mark.parametrize("exp", qkd_catalog().experiments, ids=lambda e: e.id)
def test_published_experiments_within_an_order_of_magnitude(exp) -> None:  # type: ignore[no-untyped-def]
    row = evaluate_experiment(exp)
    assert row.passed, f"{row.id}: model {row.model:.4g} vs reported {row.expected:.4g}"


def test_plob_values() -> None:
    assert plob_bound(0.01) == pytest.approx(1.45e-2, rel=0.01)
    assert plob_bound(0.0) == 0.0
    assert math.isinf(plob_bound(1.0))


channels = st.builds(
    Channel,
    length_km=st.floats(0, 400),
    loss_db_per_km=st.floats(0.15, 0.4),
    extra_loss_db=st.floats(0, 5),
    detector_efficiency=st.floats(0.01, 1.0),
    dark_count_prob=st.floats(0, 1e-4),
    misalignment=st.floats(0, 0.1),
    ec_efficiency=st.floats(1.0, 1.5),
    excess_noise_snu=st.floats(0, 0.05),
    electronic_noise_snu=st.floats(0, 0.2),
    reconciliation_efficiency=st.floats(0.8, 1.0),
)


@given(channels, st.sampled_from(REPEATERLESS), st.sampled_from(["homodyne", "heterodyne"]))
@settings(max_examples=150, deadline=None)
def test_no_repeaterless_rate_exceeds_plob(ch: Channel, protocol: Protocol, detection: str) -> None:
    r = key_rate(protocol, ch, detection=detection if protocol is Protocol.CV_GG02 else None)
    assert r.secret_key_rate_bits_per_pulse <= r.plob_bound_bits_per_pulse
    assert not r.exceeds_plob


@given(st.sampled_from(list(Protocol)), st.floats(0, 300), st.floats(1, 100))
@settings(max_examples=40, deadline=None)
def test_rate_never_grows_with_distance(protocol: Protocol, d: float, extra: float) -> None:
    ch = Channel.for_protocol(protocol.value, length_km=d)
    near = key_rate(protocol, ch).secret_key_rate_bits_per_pulse
    far = key_rate(protocol, ch.with_length(d + extra)).secret_key_rate_bits_per_pulse
    assert far <= near * (1 + 1e-6) + 1e-15


def test_decoys_help_and_efficient_bb84_beats_standard() -> None:
    ch = Channel.for_protocol("decoy-bb84", length_km=40)
    decoy = key_rate("decoy-bb84", ch).secret_key_rate_bits_per_pulse
    vw = key_rate("decoy-bb84", ch, decoys="vacuum-weak").secret_key_rate_bits_per_pulse
    none = key_rate("bb84-no-decoy", ch).secret_key_rate_bits_per_pulse
    eff = key_rate("efficient-bb84", ch).secret_key_rate_bits_per_pulse
    assert none < vw <= decoy < eff
    assert key_rate("decoy-bb84", ch).optimal_mu == pytest.approx(0.5, abs=0.35)


def test_finite_key_is_below_asymptotic_and_approaches_it() -> None:
    ch = Channel.for_protocol("efficient-bb84", length_km=25)
    asym = key_rate("efficient-bb84", ch).secret_key_rate_bits_per_pulse
    small = key_rate("efficient-bb84", ch, finite_key=FiniteKey.default(1e9))
    large = key_rate("efficient-bb84", ch, finite_key=FiniteKey.default(1e13))
    assert 0 < small.secret_key_rate_bits_per_pulse < large.secret_key_rate_bits_per_pulse < asym
    assert large.secret_key_rate_bits_per_pulse > 0.5 * asym
    assert small.asymptotic_rate_bits_per_pulse == pytest.approx(asym)
    for proto in ("bb84-no-decoy", "tf-qkd", "cv-gg02"):
        ch = Channel.for_protocol(proto, length_km=10)
        fin = key_rate(proto, ch, finite_key=FiniteKey.default(1e10)).secret_key_rate_bits_per_pulse
        assert fin < key_rate(proto, ch).secret_key_rate_bits_per_pulse


def test_tf_qkd_scales_as_sqrt_eta_and_beats_plob_far_away() -> None:
    ch = Channel.for_protocol("tf-qkd", length_km=300)
    r300 = key_rate("tf-qkd", ch).secret_key_rate_bits_per_pulse
    r500 = key_rate("tf-qkd", ch.with_length(500)).secret_key_rate_bits_per_pulse
    slope = math.log10(r300 / r500) / ((500 - 300) * ch.loss_db_per_km / 10)  # decades of rate per decade of eta
    assert 0.4 < slope < 0.75
    assert key_rate("tf-qkd", ch.with_length(500)).exceeds_plob
    assert not key_rate("tf-qkd", ch.with_length(10)).exceeds_plob


def test_bb84_max_distance_with_default_hardware_is_realistic() -> None:
    ch = Channel.for_protocol("decoy-bb84")
    assert 150 < max_distance_km("decoy-bb84", ch) < 300
    assert max_distance_km("bb84-no-decoy", ch) < max_distance_km("decoy-bb84", ch)


def test_cv_heterodyne_and_homodyne_and_fixed_variance() -> None:
    ch = Channel.for_protocol("cv-gg02", length_km=25)
    hom = key_rate("cv-gg02", ch, detection="homodyne")
    het = key_rate("cv-gg02", ch, detection="heterodyne")
    fixed = key_rate("cv-gg02", ch, modulation_variance_snu=4.0)
    assert hom.secret_key_rate_bits_per_pulse > 0 and het.secret_key_rate_bits_per_pulse > 0
    assert fixed.secret_key_rate_bits_per_pulse <= hom.secret_key_rate_bits_per_pulse + 1e-12
    assert hom.modulation_variance_snu is not None
    assert hom.optimal_mu is None


def test_rate_per_second_uses_the_repetition_rate() -> None:
    ch = Channel.for_protocol("decoy-bb84", length_km=20, rep_rate_hz=5e8)
    r = key_rate("decoy-bb84", ch)
    assert r.secret_key_rate_bps == pytest.approx(r.secret_key_rate_bits_per_pulse * 5e8)
