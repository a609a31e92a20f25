"""Runs the models against the catalog's validation data: computed reference points and experiments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qrisk.qkd.channel import Channel
from qrisk.qkd.params import Experiment, ModelPoint, qkd_catalog
from qrisk.qkd.rates import FiniteKey, key_rate, max_distance_km, plob_bound

_OPTION_KEYS = ("decoys", "weak_decoy_mu", "detection", "modulation_variance_snu", "basis_bias", "mu")


@dataclass(frozen=True)
class ValidationRow:
    """One comparison of the model with a published or computed value."""

    id: str
    quantity: str
    """``bits/pulse``, ``km`` or ``b/s``."""
    model: float
    expected: float
    ratio: float
    passed: bool
    tolerance: str
    source: str


def _split(params: dict[str, Any]) -> tuple[str | None, dict[str, Any], dict[str, Any]]:
    params = dict(params)
    hardware = params.pop("hardware", None)
    if "distance_km" in params:
        params["length_km"] = params.pop("distance_km")
    options = {k: params.pop(k) for k in list(params) if k in _OPTION_KEYS}
    if "block_pulses" in params:
        options["finite_key"] = FiniteKey.default(float(params.pop("block_pulses")))
    return hardware, params, options


def evaluate_point(point: ModelPoint) -> ValidationRow:
    params = point.params()
    if point.kind == "plob":
        value = plob_bound(Channel(total_loss_db=params["total_loss_db"]).channel_transmittance)
        quantity = "bits/use"
    else:
        protocol = params.pop("protocol")
        hardware, ch_params, options = _split(params)
        channel = Channel.for_protocol(protocol, hardware=hardware, **ch_params)
        if point.kind == "rate_per_pulse":
            value = key_rate(protocol, channel, **options).secret_key_rate_bits_per_pulse
            quantity = "bits/pulse"
        else:
            value = max_distance_km(protocol, channel, **options)
            quantity = "km"
    ratio = value / point.expected
    return ValidationRow(
        point.id, quantity, value, point.expected, ratio, abs(ratio - 1) <= point.rel_tol,
        f"±{point.rel_tol:.0%}", point.source,
    )


def evaluate_experiment(exp: Experiment) -> ValidationRow:
    hardware, ch_params, options = _split(exp.params())
    channel = Channel.for_protocol(exp.protocol, hardware=hardware, **ch_params)
    rate = key_rate(exp.protocol, channel, **options)
    if exp.reported_bps is not None:
        value, expected, quantity = rate.secret_key_rate_bps, exp.reported_bps, "b/s"
    elif exp.reported_bits_per_pulse is not None:
        value, expected, quantity = rate.secret_key_rate_bits_per_pulse, exp.reported_bits_per_pulse, "bits/pulse"
    else:  # pragma: no cover - catalog validation guarantees one of them
        raise ValueError(f"{exp.id}: no reported rate")
    ratio = value / expected
    return ValidationRow(
        exp.id, quantity, value, expected, ratio, 1 / exp.factor <= ratio <= exp.factor,
        f"×{exp.factor:g}", f"{exp.work}; {exp.source}",
    )


def validation_rows() -> list[ValidationRow]:
    cat = qkd_catalog()
    return [evaluate_point(p) for p in cat.model_points] + [evaluate_experiment(e) for e in cat.experiments]
