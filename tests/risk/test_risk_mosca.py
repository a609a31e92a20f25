"""The exposure model: hand-computed cases, threats by usage, portfolio figures, properties."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from risk_factories import columns, make_asset, make_inventory, make_system

from qrisk.errors import InputError
from qrisk.model import DataClass, MigrationEffort, QuantumStatus, System, Usage
from qrisk.risk.crqc import resolve_crqc
from qrisk.risk.inputs import UNASSIGNED, Prior, from_columns, migration_priors, shelf_life_from
from qrisk.risk.mosca import AssessOptions, Exposure, Threat, assess, mosca_case, mosca_exposed

NOW = dt.date(2026, 1, 1)
Z2033 = resolve_crqc("year:2033", NOW)  # z = 7 exactly


# --------------------------------------------------------------------------- deterministic Mosca


@pytest.mark.parametrize(
    ("x", "y", "z", "exposed"),
    [
        (10, 5, 14, True),   # 15 > 14
        (10, 5, 15, False),  # boundary x + y = z: the data expires as the CRQC arrives
        (10, 5, 16, False),
        (0, 0, 0, False),
        (0, 0.5, 0, True),
        (25, 0, 24.999, True),
    ],
)
def test_mosca_inequality_by_hand(x: float, y: float, z: float, exposed: bool) -> None:
    assert bool(mosca_exposed(x, y, z)) is exposed


def test_calculator_with_a_fixed_year_boundary() -> None:
    at = mosca_case(4, 3, Z2033)  # x + y = 7 = z
    assert at.exposed is False and at.probability_exposed == 0.0
    assert at.years_exposed_median == 0.0 and at.expected_years_exposed == 0.0
    over = mosca_case(4, 3.5, Z2033)
    assert over.exposed is True and over.probability_exposed == 1.0
    assert over.years_exposed_median == pytest.approx(0.5)
    assert over.years_exposed_quantile == pytest.approx(0.5)
    assert over.expected_years_exposed == pytest.approx(0.5)
    assert over.mosca_year == 2033 and over.z_median_years == 7.0


def test_calculator_with_the_survey_curve_by_hand() -> None:
    arrival = resolve_crqc("gri-2025:optimistic", dt.date(2025, 1, 1))
    case = mosca_case(7, 3, arrival, quantile=0.15)
    assert case.probability_exposed == pytest.approx(0.49)  # P(z < 10) on the 2025 upper curve
    assert case.z_quantile_years == pytest.approx(5.0)
    assert case.years_exposed_quantile == pytest.approx(5.0)  # 10 - 5
    assert case.years_exposed_median == 0.0  # median z = 10.05 > 10
    assert case.expected_years_exposed == pytest.approx(1.975, abs=1e-9)
    assert case.mosca_year == 2035 and case.exposed is False  # 1 Jan 2035 is z = 10: not > 10
    assert mosca_case(7, 3.5, arrival).exposed is True


@pytest.mark.parametrize(("x", "y"), [(-1, 3), (3, -0.5), (math.nan, 1), (1, math.inf)])
def test_calculator_rejects_bad_years(x: float, y: float) -> None:
    with pytest.raises(InputError) as err:
        mosca_case(x, y, Z2033)
    assert repr(x if x < 0 or not math.isfinite(x) else y) in str(err.value)


# --------------------------------------------------------------------------- threats


def _estate() -> tuple:
    cert_end = dt.datetime(2036, 1, 1, tzinfo=dt.UTC)  # 10 years from NOW
    assets = [
        make_asset("RSA", usage=Usage.KEY_EXCHANGE, key_size=2048, system="bank"),         # 0 HNDL: 30 + 4
        make_asset("ECDSA-P256", usage=Usage.SIGNATURE, system="bank"),                    # 1 forgery: 0 + 4
        make_asset("RSA", key_size=3072, system="bank"),                                   # 2 both: max(30, 0) + 4
        make_asset("AES-128", usage=Usage.ENCRYPTION, system="bank"),                      # 3 grover
        make_asset("MD5", usage=Usage.HASHING, system="bank"),                             # 4 classical
        make_asset("ML-KEM-768", usage=Usage.KEY_EXCHANGE, system="bank"),                 # 5 none
        make_asset("mystery-cipher", system="bank"),                                       # 6 unknown
        make_asset("ECDSA-P256", usage=Usage.SIGNATURE, system="firmware"),                # 7 forgery: 10 + 5
        make_asset("RSA", usage=Usage.SIGNATURE, key_size=2048, not_after=cert_end, system="web"),  # 8 cert 10 + 8
        make_asset("X25519", usage=Usage.KEY_EXCHANGE),                                    # 9 unassigned: 10 + 3
    ]
    systems = [
        make_system("bank", retention={"finance": 7, "health": 30}, migration=4),
        make_system("firmware", category="software-signing"),
        make_system("web", category="web-cloud", retention=2),
        make_system("idle", retention=50, migration=1),  # no assets
    ]
    return assets, systems


def _assess(options: AssessOptions | None = None, arrival=Z2033):
    assets, systems = _estate()
    return assess(columns(make_inventory(assets, systems)), arrival, options)


def test_threats_and_horizons_by_usage() -> None:
    f = _assess().exposures
    assert list(f["threat"].astype(str)) == [
        Threat.HARVEST_NOW_DECRYPT_LATER, Threat.FORGERY, Threat.HARVEST_NOW_DECRYPT_LATER, Threat.GROVER,
        Threat.CLASSICALLY_BROKEN, Threat.NONE, Threat.UNKNOWN, Threat.FORGERY, Threat.FORGERY,
        Threat.HARVEST_NOW_DECRYPT_LATER,
    ]
    assert list(f["horizon_years"]) == pytest.approx([34, 4, 34, 34, 4, 34, 34, 15, 18, 13])
    assert f.loc[8, "trust_years"] == pytest.approx(10.0)  # certificate trusted until notAfter
    assert f.loc[7, "trust_years"] == 10.0  # software-signing prior
    assert list(f["shelf_life_years"])[:7] == [30.0] * 7  # longest data class
    assert f.loc[9, "system"] == UNASSIGNED and f.loc[9, "shelf_life_years"] == 10.0


def test_probabilities_for_a_fixed_year() -> None:
    f = _assess().exposures
    p = f["probability_exposed"]
    assert list(p.iloc[[0, 1, 2, 3, 4, 5]]) == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]  # forgery in 4 y < z = 7
    assert math.isnan(p.iloc[6])  # unknown algorithm: not assessed
    assert list(p.iloc[7:]) == [1.0, 1.0, 1.0]
    assert list(f["years_exposed_median"].iloc[[0, 1, 4, 7, 8, 9]]) == pytest.approx([27, 0, 4, 8, 11, 6])
    assert list(f["mosca_exposed"]) == [True, False, True, False, True, False, False, True, True, True]


def test_grover_counts_only_under_a_256_bit_policy() -> None:
    f = _assess(AssessOptions(require_256_bit=True)).exposures
    assert f.loc[3, "threat"] == Threat.GROVER and f.loc[3, "probability_exposed"] == 1.0
    assert f.loc[3, "years_exposed_median"] == pytest.approx(27.0)


def test_portfolio_figures_by_hand() -> None:
    a = _assess()
    p = a.portfolio
    assert (p.assets, p.assets_unknown, p.assets_quantum_safe) == (10, 1, 1)
    assert p.assets_at_risk == 7  # 0, 1, 2, 4, 7, 8, 9
    assert p.assets_exposed == 6 and p.expected_assets_exposed == pytest.approx(6.0)
    assert p.assets_mosca_exposed == 6
    assert p.assets_by_threat == {"harvest-now-decrypt-later": 3, "forgery": 3, "grover": 1,
                                  "classically-broken": 1, "none": 1, "unknown": 1}
    assert (p.systems, p.systems_at_risk, p.systems_exposed) == (4, 4, 4)
    # data-years: bank 30 + 4 - 7 = 27; unassigned 10 + 3 - 7 = 6; firmware/web sign only: 0
    assert p.expected_exposed_data_years == pytest.approx(33.0)
    ranked = [(s.system, s.expected_years_exposed) for s in a.systems]
    assert ranked == [("bank", pytest.approx(27)), ("web", pytest.approx(11)), ("firmware", pytest.approx(8)),
                      (UNASSIGNED, pytest.approx(6))]
    assert [s.rank for s in a.systems] == [1, 2, 3, 4]
    bank = a.systems[0]
    assert bank.probability_exposed == 1.0 and bank.assets == 7 and bank.assets_at_risk == 4
    assert bank.shelf_life_source.startswith("health") and bank.migration_source == "manifest"


def test_sensitivity_by_hand() -> None:
    a = _assess()
    s = {x.name: x for x in a.sensitivity}
    assert set(s) == {"crqc-5y-earlier", "crqc-5y-later", "migration-50%-shorter", "migration-50%-longer"}
    # z = 2: bank 32, unassigned 11; z = 12: bank 22, unassigned 1
    assert s["crqc-5y-earlier"].expected_exposed_data_years == pytest.approx(43.0)
    assert s["crqc-5y-later"].expected_exposed_data_years == pytest.approx(23.0)
    # y x 0.5: bank 30 + 2 - 7 = 25, unassigned 10 + 1.5 - 7 = 4.5; y x 1.5: 29 and 7.5
    assert s["migration-50%-shorter"].expected_exposed_data_years == pytest.approx(29.5)
    assert s["migration-50%-longer"].expected_exposed_data_years == pytest.approx(36.5)
    assert s["crqc-5y-earlier"].expected_assets_exposed >= a.portfolio.expected_assets_exposed
    assert s["crqc-5y-later"].expected_assets_exposed <= a.portfolio.expected_assets_exposed
    assert all(sys.ranks for sys in a.systems)
    assert s["crqc-5y-earlier"].kendall_tau is not None


def test_sensitivity_can_be_skipped_and_options_are_checked() -> None:
    assert _assess(AssessOptions(sensitivity=False)).sensitivity == ()
    for bad in ({"quantile": 0.0}, {"quantile": 1.0}, {"threshold": 0.0}, {"migration_factor": 1.0},
                {"z_shift_years": -1.0}):
        with pytest.raises(InputError):
            AssessOptions(**bad)


def test_survey_curve_assessment_is_consistent() -> None:
    a = _assess(arrival=resolve_crqc("gri-2025:optimistic", NOW))
    f = a.exposures
    # probability equals the arrival's probability at the horizon, for every assessed quantum asset
    arrival = resolve_crqc("gri-2025:optimistic", NOW)
    rows = f["threat"].isin([Threat.HARVEST_NOW_DECRYPT_LATER, Threat.FORGERY])
    assert np.allclose(f.loc[rows, "probability_exposed"], arrival.probability_within(f.loc[rows, "horizon_years"]))
    # a system's probability is the max over its assets (one z for all: nested events)
    bank = next(s for s in a.systems if s.system == "bank")
    assert bank.probability_exposed == pytest.approx(f.loc[f["system"] == "bank", "probability_exposed"].max())
    assert a.mosca_year == 2035
    exposures = list(a.iter_exposures())
    assert isinstance(exposures[0], Exposure) and exposures[6].probability_exposed is None


def test_short_keys_are_classically_broken_whatever_the_scanner_said() -> None:
    weak = dataclasses.replace(make_asset("RSA", usage=Usage.KEY_EXCHANGE, key_size=512),
                               quantum_status=QuantumStatus.BROKEN)
    f = assess(columns(make_inventory([weak])), resolve_crqc("year:2100", NOW)).exposures
    assert f.loc[0, "threat"] == Threat.CLASSICALLY_BROKEN and f.loc[0, "probability_exposed"] == 1.0


def test_empty_inventory() -> None:
    a = assess(columns(make_inventory([])), Z2033)
    assert a.portfolio.assets == 0 and a.systems == () and len(a.exposures) == 0
    assert a.portfolio.expected_exposed_data_years == 0.0


# --------------------------------------------------------------------------- inputs


def test_migration_priors() -> None:
    pri = migration_priors()
    assert pri.migration_for("web-cloud", None).value == 8
    assert pri.migration_for("web-cloud", MigrationEffort.HIGH).value == 12
    assert pri.migration_for(None, MigrationEffort.HIGH).value == 6
    assert pri.migration_for(None, None).value == 3
    for prior in (*pri.by_category.values(), *pri.by_effort.values(), pri.default_migration):
        assert prior.source
    # reference/risk.md §4: CNSA support -> exclusive gaps
    assert {k: v.value for k, v in pri.by_category.items() if k != "legacy"} == {
        "software-signing": 5, "networking": 4, "web-cloud": 8, "operating-system": 6, "niche": 3}


def test_columns_path_matches_inventory_path() -> None:
    assets, systems = _estate()
    inp = columns(make_inventory(assets, systems))
    direct = from_columns(inp.assets.drop(columns=["role"]).astype({"system": str}), inp.systems)
    a1, a2 = assess(inp, Z2033), assess(direct, Z2033)
    pd.testing.assert_frame_equal(a1.exposures, a2.exposures)
    with pytest.raises(InputError, match="nowhere"):
        from_columns(inp.assets.assign(system="nowhere"), inp.systems)


@pytest.mark.parametrize(
    ("system", "needle"),
    [
        (System("s", "S", data_classes=(DataClass("finance", -1.0),)), "-1.0"),
        (System("s", "S", data_classes=(DataClass("mystery-class", math.nan),)), "mystery-class"),
        (System("s", "S", migration_years=-2.0), "-2.0"),
        (System("s", "S", signature_trust_years=math.inf), "inf"),
    ],
)
def test_bad_system_values_name_the_value(system: System, needle: str) -> None:
    with pytest.raises(InputError) as err:
        columns(make_inventory([make_asset("RSA", system="s")], [system]))
    assert needle in str(err.value) and "'s'" in str(err.value)


def test_shelf_life_parsing() -> None:
    assert shelf_life_from("health").value == 30
    assert shelf_life_from("7.5") == Prior(7.5, "given")
    with pytest.raises(InputError, match="'nonsense'"):
        shelf_life_from("nonsense")
    with pytest.raises(InputError, match="-3"):
        shelf_life_from("-3")


def test_default_shelf_life_for_unassigned_assets() -> None:
    inv = make_inventory([make_asset("X25519", usage=Usage.KEY_EXCHANGE)])
    a = assess(columns(inv, default_shelf_life=shelf_life_from("genomic")), Z2033)
    assert a.exposures.loc[0, "shelf_life_years"] == 100.0


# --------------------------------------------------------------------------- properties

years = st.floats(0, 80, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(years, years, years), min_size=1, max_size=5),
    st.integers(0, 4), years, years,
    st.sampled_from(["gri-2025:optimistic", "gri-2024:pessimistic", "year:2034"]),
)
def test_growing_x_or_y_never_lowers_probability(
    params: list[tuple[float, float, float]], which: int, dx: float, dy: float, crqc: str
) -> None:
    which %= len(params)
    usages = [Usage.KEY_EXCHANGE, Usage.SIGNATURE, Usage.UNKNOWN]

    def build(extra_x: float, extra_y: float):
        systems, assets = [], []
        for i, (x, y, t) in enumerate(params):
            bump = i == which
            systems.append(make_system(f"s{i}", retention=x + (extra_x if bump else 0.0),
                                       migration=y + (extra_y if bump else 0.0), trust=t))
            assets += [make_asset("RSA", usage=u, key_size=2048, system=f"s{i}") for u in usages]
        return columns(make_inventory(assets, systems))

    arrival = resolve_crqc(crqc, NOW)
    base = assess(build(0, 0), arrival, AssessOptions(sensitivity=False)).exposures
    more = assess(build(dx, dy), arrival, AssessOptions(sensitivity=False)).exposures
    assert np.all(more["probability_exposed"].to_numpy() >= base["probability_exposed"].to_numpy() - 1e-12)
    assert np.all(more["expected_years_exposed"].to_numpy() >= base["expected_years_exposed"].to_numpy() - 1e-9)
    zero = assess(columns(make_inventory(
        [make_asset("RSA", usage=Usage.KEY_EXCHANGE, system="z")], [make_system("z", retention=0, migration=0)]
    )), arrival).exposures
    assert zero.loc[0, "probability_exposed"] == 0.0
