"""Loss budgets, presets, parameter validation and the free-space downlink."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk.errors import InputError
from qrisk.model import QkdLink
from qrisk.qkd.channel import Channel, FreeSpaceDownlink, ParameterError, fibre_preset
from qrisk.qkd.params import qkd_catalog


def test_fibre_loss_and_transmittance() -> None:
    ch = Channel(length_km=50, loss_db_per_km=0.2, extra_loss_db=1.0, detector_efficiency=0.5)
    assert ch.channel_loss_db == pytest.approx(11.0)
    assert ch.channel_transmittance == pytest.approx(10 ** -1.1)
    assert ch.transmittance == pytest.approx(0.5 * 10 ** -1.1)


def test_total_loss_overrides_fibre() -> None:
    ch = Channel(length_km=50, loss_db_per_km=0.2, total_loss_db=30.0)
    assert ch.channel_loss_db == 30.0
    assert ch.with_length(10).channel_loss_db == pytest.approx(2.0)


def test_presets_come_from_the_catalog() -> None:
    assert fibre_preset("standard") == qkd_catalog().fibre_presets["standard"].loss_db_per_km
    assert fibre_preset("ultra-low-loss") < fibre_preset("standard")
    with pytest.raises(ParameterError, match="fibre"):
        fibre_preset("copper")


@pytest.mark.parametrize(
    ("field", "value"),
    [("length_km", -1.0), ("detector_efficiency", 1.5), ("detector_efficiency", 0.0), ("dark_count_prob", 1.0),
     ("misalignment", 0.6), ("ec_efficiency", 0.9), ("rep_rate_hz", 0.0), ("loss_db_per_km", -0.1),
     ("length_km", math.nan)],
)
def test_bad_parameters_name_the_parameter(field: str, value: float) -> None:
    with pytest.raises(InputError, match=field) as exc:
        Channel(**{field: value})
    assert isinstance(exc.value, ParameterError)
    assert exc.value.parameter == field


def test_link_defaults_and_cv_reconciliation() -> None:
    link = QkdLink(id="l", a="x", b="y", length_km=20, protocol="decoy-bb84")
    ch = Channel.from_link(link)
    hw = qkd_catalog().hardware_for("decoy-bb84")
    assert ch.detector_efficiency == hw.detector_efficiency
    assert ch.loss_db_per_km == hw.loss_db_per_km
    cv = Channel.from_link(QkdLink(id="c", a="x", b="y", length_km=5, protocol="cv-gg02", ec_efficiency=1.25))
    assert cv.reconciliation_efficiency == pytest.approx(0.8)


def test_every_catalog_entry_names_a_source() -> None:
    cat = qkd_catalog()
    entries = [*cat.fibre_presets.values(), *cat.hardware.values(), *cat.protocols.values(), *cat.model_points,
               *cat.experiments, cat.finite_key, cat.simulation, cat.satellite]
    assert all(e.source.strip() for e in entries)


@given(st.floats(10, 89))
@settings(max_examples=40, deadline=None)
def test_downlink_loss_grows_as_the_satellite_sinks(elevation: float) -> None:
    link = FreeSpaceDownlink.micius_like()
    assert link.slant_range_km(elevation) >= link.slant_range_km(90) - 1e-6
    assert link.loss_db(elevation) >= link.loss_db(min(elevation + 1, 90)) - 1e-9


def test_downlink_budget_is_in_the_micius_range() -> None:
    link = FreeSpaceDownlink.micius_like()
    assert link.slant_range_km(90) == pytest.approx(500.0)
    # Micius-class downlinks lose a few tens of dB between zenith and low elevation.
    assert 15 < link.loss_db(90) < link.loss_db(20) < 60
    ch = link.channel(45)
    assert ch.total_loss_db == pytest.approx(link.loss_db(45))
