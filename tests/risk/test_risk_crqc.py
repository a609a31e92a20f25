"""CRQC arrival curves: shipped data, interpolation, conditioning, fixed years, bad input."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk.errors import InputError
from qrisk.risk.crqc import (
    DEFAULT_CRQC,
    CrqcCurve,
    FixedYearArrival,
    Interpolation,
    SurveyArrival,
    add_years,
    resolve_crqc,
    shipped_curves,
    years_between,
)

# reference/risk.md §1, GRI survey table (pessimistic, optimistic) by horizon in years.
GRI_REFERENCE = {
    "gri-2025": {5: (0.05, 0.15), 10: (0.28, 0.49), 15: (0.51, 0.70), 20: (0.69, 0.86), 30: (0.81, 0.93)},
    "gri-2024": {5: (0.05, 0.14), 10: (0.19, 0.34), 15: (0.39, 0.62), 20: (0.60, 0.82), 30: (0.77, 0.92)},
}
SURVEY_YEAR = {"gri-2025": 2025, "gri-2024": 2024}


def curve(points: dict[float, float], origin: dt.date = dt.date(2025, 1, 1),
          interpolation: Interpolation = Interpolation.LINEAR) -> CrqcCurve:
    pts = sorted(points.items())
    return CrqcCurve("test", tuple(h for h, _ in pts), tuple(p for _, p in pts), origin, interpolation)


# --------------------------------------------------------------------------- shipped data


@pytest.mark.parametrize("survey", sorted(GRI_REFERENCE))
def test_shipped_curves_match_the_reference_table(survey: str) -> None:
    cf = shipped_curves()[survey]
    assert cf.source and "Global Risk Institute" in cf.source
    pess, opt = cf.curves["pessimistic"], cf.curves["optimistic"]
    assert pess.origin == opt.origin == dt.date(SURVEY_YEAR[survey], 1, 1)
    for horizon, (p_lo, p_hi) in GRI_REFERENCE[survey].items():
        assert float(pess.cdf(horizon)) == pytest.approx(p_lo, abs=1e-12)
        assert float(opt.cdf(horizon)) == pytest.approx(p_hi, abs=1e-12)
    assert pess.horizons_years == opt.horizons_years == tuple(float(h) for h in GRI_REFERENCE[survey])


def test_survey_labels_keep_their_meaning() -> None:
    # DESIGN: "pessimistic" is the lower probability estimate, "optimistic" the upper one.
    for cf in shipped_curves().values():
        lo, hi = cf.curves["pessimistic"], cf.curves["optimistic"]
        assert all(a <= b for a, b in zip(lo.probabilities, hi.probabilities, strict=True))
        assert "lower" in lo.meaning.lower() and "upper" in hi.meaning.lower()


def test_default_is_newest_optimistic() -> None:
    assert DEFAULT_CRQC == "gri-2025:optimistic"
    newest = max(shipped_curves(), key=lambda k: shipped_curves()[k].curves["optimistic"].origin)
    assert DEFAULT_CRQC.startswith(newest + ":")
    arrival = resolve_crqc(None, dt.date(2025, 1, 1))
    assert isinstance(arrival, SurveyArrival) and arrival.curve.id == "gri-2025:optimistic"
    assert resolve_crqc("gri-2024", dt.date(2025, 1, 1)).curve.id == "gri-2024:optimistic"


# --------------------------------------------------------------------------- interpolation


def test_linear_interpolation_by_hand() -> None:
    c = shipped_curves()["gri-2025"].curves["optimistic"]
    # between (5, 0.15) and (10, 0.49): 0.15 + 0.34 * 2.5/5 = 0.32
    assert float(c.cdf(7.5)) == pytest.approx(0.32)
    # from the origin anchor (0, 0) to (5, 0.15)
    assert float(c.cdf(2.0)) == pytest.approx(0.06)
    assert float(c.cdf(-3.0)) == 0.0
    # flat past the last horizon
    assert float(c.cdf(31)) == float(c.cdf(300)) == pytest.approx(0.93)


def test_conditioning_by_hand() -> None:
    # now = 2027-01-01: s = 2 years after the 2025 origin; F(2) = 0.06.
    arrival = resolve_crqc("gri-2025:optimistic", dt.date(2027, 1, 1))
    assert arrival.prob_before_now == pytest.approx(0.06)
    # P(z <= 8) = (F(10) - F(2)) / (1 - F(2)) = (0.49 - 0.06) / 0.94
    assert float(arrival.probability_within(8.0)) == pytest.approx(0.43 / 0.94)
    assert arrival.max_probability == pytest.approx((0.93 - 0.06) / 0.94)


def test_expected_years_by_hand() -> None:
    arrival = resolve_crqc("gri-2025:optimistic", dt.date(2025, 1, 1))
    # integral of 0.03 t over [0, 5] = 0.375; plus over [5, 10] of 0.15 + 0.068 (t - 5) = 0.75 + 0.85
    assert float(arrival.expected_years_exposed(5.0)) == pytest.approx(0.375, abs=1e-9)
    assert float(arrival.expected_years_exposed(10.0)) == pytest.approx(1.975, abs=1e-9)
    # beyond the last horizon the integrand is flat at 0.93
    g30 = float(arrival.expected_years_exposed(30.0))
    assert float(arrival.expected_years_exposed(40.0)) == pytest.approx(g30 + 9.3, abs=1e-9)


def test_quantiles_by_hand() -> None:
    arrival = resolve_crqc("gri-2025:optimistic", dt.date(2025, 1, 1))
    # median: 0.49 at 10, 0.70 at 15 -> 10 + 5 * 0.01 / 0.21
    assert arrival.quantile(0.5) == pytest.approx(10 + 5 * 0.01 / 0.21, abs=1e-9)
    assert arrival.quantile(0.15) == pytest.approx(5.0, abs=1e-9)
    assert arrival.quantile(0.95) == math.inf  # the curve stops at 0.93
    assert arrival.quantile(0.5, shift_years=5.0) == pytest.approx(5 + 5 * 0.01 / 0.21, abs=1e-9)


def test_fixed_year_is_a_point_mass() -> None:
    a = resolve_crqc("year:2033", dt.date(2026, 1, 1))
    assert isinstance(a, FixedYearArrival) and a.z_years == 7.0
    assert list(a.probability_within([6.9, 7.0, 7.1])) == [0.0, 0.0, 1.0]  # Mosca: strict x + y > z
    assert float(a.expected_years_exposed(10.0)) == pytest.approx(3.0)
    assert a.quantile(0.5) == a.quantile(0.01) == 7.0
    past = resolve_crqc("year:2020", dt.date(2026, 1, 1))
    assert past.z_years == 0.0 and float(past.probability_within(0.5)) == 1.0


def test_decimal_years() -> None:
    assert years_between(dt.date(2026, 1, 1), dt.date(2033, 1, 1)) == 7.0
    assert years_between(dt.date(2026, 7, 2), dt.date(2026, 1, 1)) < 0
    assert add_years(dt.date(2026, 1, 1), 7.0) == dt.date(2033, 1, 1)
    assert add_years(dt.date(2026, 1, 1), math.inf) == dt.date.max


@pytest.mark.parametrize("interp", list(Interpolation))
def test_user_curve_file(tmp_path: Path, interp: Interpolation) -> None:
    path = tmp_path / "curve.yaml"
    path.write_text(yaml.safe_dump({
        "schema": "qrisk.crqc/1", "id": "mine", "source": "our board, 2026", "survey_year": 2026,
        "interpolation": interp.value,
        "curves": {"board": {"points": {10: 0.5, 40: 0.99}}},
    }))
    a = resolve_crqc(str(path), dt.date(2026, 1, 1))
    assert isinstance(a, SurveyArrival)
    assert float(a.probability_within(10.0)) == pytest.approx(0.5)
    assert float(a.probability_within(40.0)) == pytest.approx(0.99)
    assert float(a.probability_within(35.0)) < 0.99
    assert resolve_crqc(f"{path}:board", dt.date(2026, 1, 1)).curve.id == "mine:board"


# --------------------------------------------------------------------------- properties

curve_points = st.lists(
    st.tuples(st.floats(0.5, 60, allow_nan=False), st.floats(0, 1, allow_nan=False)), min_size=1, max_size=7
).map(lambda pts: dict(zip(sorted({round(h, 3) for h, _ in pts}), sorted(p for _, p in pts), strict=False)))


@settings(max_examples=150, deadline=None)
@given(curve_points, st.sampled_from(list(Interpolation)))
def test_interpolated_cdf_is_monotone_and_hits_points(points: dict[float, float], interp: Interpolation) -> None:
    c = curve(points, interpolation=interp)
    hs = np.array(sorted(points))
    assert np.allclose(c.cdf(hs), [points[h] for h in hs], atol=1e-12)
    grid = np.linspace(-5, hs[-1] + 10, 2001)
    values = c.cdf(grid)
    assert np.all(np.diff(values) >= -1e-12)
    assert values[0] == 0.0 and values[-1] == pytest.approx(points[hs[-1]])


@settings(max_examples=150, deadline=None)
@given(
    curve_points,
    st.sampled_from(list(Interpolation)),
    st.floats(0, 20),  # years since the origin
    st.lists(st.floats(0, 120, allow_nan=False), min_size=2, max_size=30),
    st.floats(0, 15),
)
def test_probability_properties(points: dict[float, float], interp: Interpolation, elapsed: float,
                                horizons: list[float], shift: float) -> None:
    c = curve(points, interpolation=interp)
    now = add_years(c.origin, elapsed)
    if float(c.cdf(years_between(c.origin, now))) >= 1.0:
        with pytest.raises(InputError):
            SurveyArrival(c, now)
        return
    a = SurveyArrival(c, now)
    h = np.sort(np.asarray(horizons))
    p = a.probability_within(h)
    assert np.all(np.diff(p) >= -1e-12)  # never decreases as x + y grows
    assert float(a.probability_within(0.0)) == 0.0  # x + y = 0: nothing to expose
    assert float(a.probability_within(1e6)) == pytest.approx(a.max_probability, abs=1e-12)
    assert np.all(a.probability_within(h, shift) >= p - 1e-12)  # earlier CRQC: never less exposed
    e = a.expected_years_exposed(h)
    assert np.all(np.diff(e) >= -1e-9) and np.all(e <= h + 1e-9) and np.all(e >= 0)


@settings(max_examples=80, deadline=None)
@given(curve_points, st.floats(0.05, 0.95), st.floats(0, 60))
def test_earlier_curve_is_never_less_exposed(points: dict[float, float], factor: float, horizon: float) -> None:
    # The same probabilities reached at earlier horizons (now = origin, so no conditioning).
    earlier = {round(h * factor, 6) or 1e-3: p for h, p in points.items()}
    if len(earlier) != len(points):
        return
    base, sooner = curve(points), curve(earlier)
    now = base.origin
    assert float(SurveyArrival(sooner, now).probability_within(horizon)) >= float(
        SurveyArrival(base, now).probability_within(horizon)
    ) - 1e-12


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"curves": {"a": {"points": {5: 0.5, 10: 0.4}}}}, "0.4"),
        ({"curves": {"a": {"points": {5: 1.5}}}}, "1.5"),
        ({"curves": {"a": {"points": {0: 0.1}}}}, "horizon 0"),
        ({"curves": {"a": {"points": {-5: 0.1}}}}, "horizon -5"),
        ({"curves": {}}, "curves"),
        ({"curves": {"a": {"points": {5: 0.1}}}, "survey_year": None}, "survey_year or origin"),
        ({"curves": {"a": {"points": {5: 0.1}}}, "source": ""}, "source"),
        ({"curves": {"a": {"points": {5: 0.1}}}, "schema": "qrisk.crqc/9"}, "qrisk.crqc/9"),
        ({"curves": {"a": {"points": {5: 0.1}}}, "interpolation": "spline"}, "interpolation"),
        ({"curves": {"a": {"points": {5: 0.1}}}, "colour": "red"}, "colour"),
    ],
)
def test_malformed_curve_files_name_the_problem(tmp_path: Path, doc: dict, needle: str) -> None:
    base = {"schema": "qrisk.crqc/1", "id": "bad", "source": "test", "survey_year": 2025}
    base.update(doc)
    if base.get("survey_year") is None:
        base.pop("survey_year")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(base))
    with pytest.raises(InputError) as err:
        resolve_crqc(str(path), dt.date(2026, 1, 1))
    assert needle in str(err.value) and str(path) in str(err.value)


def test_bad_specs(tmp_path: Path) -> None:
    now = dt.date(2026, 1, 1)
    for spec, needle in [("gri-2031", "gri-2031"), ("year:20x3", "year:20x3"), ("gri-2025:median", "median"),
                         ("year:99999", "99999")]:
        with pytest.raises(InputError, match=needle):
            resolve_crqc(spec, now)
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema: [unclosed\n")
    with pytest.raises(InputError, match="not valid YAML"):
        resolve_crqc(str(broken), now)
    certain = tmp_path / "certain.yaml"
    certain.write_text(yaml.safe_dump({"schema": "qrisk.crqc/1", "id": "c", "source": "s", "survey_year": 2020,
                                       "curves": {"a": {"points": {1: 1.0}}}}))
    with pytest.raises(InputError, match="none exists"):
        resolve_crqc(str(certain), now)
