"""When a cryptographically relevant quantum computer (CRQC) may arrive: z as a distribution.

Curves are data (``qrisk/catalog/crqc/*.yaml``, or a user file of the same schema). A curve is a
cumulative distribution F(t) = P(CRQC within t years of its origin), surveyed at a few horizons.
qrisk turns it into the distribution of z, the years from ``now`` until a CRQC, in three steps:

1. **Interpolation** between the surveyed points, anchored at F(0) = 0 at the origin (1 January
   of the survey year): ``linear`` (default; the probability grows at a constant rate between two
   surveyed horizons, so no shape is invented) or ``pchip`` (Fritsch & Carlson 1980 monotone cubic,
   as in ``scipy.interpolate.PchipInterpolator``: smooth, monotone for monotone data). Both hit the
   surveyed points exactly. Past the last horizon the curve stays flat at its last value: the rest
   of the mass is "later than the survey asked about", never spread out by guesswork.
2. **Conditioning** on no CRQC before ``now`` (none exists): with s = years from the origin to
   now, P(z <= t) = (F(s + t) - F(s)) / (1 - F(s)).
3. **Shifts** for sensitivity analysis: z' = max(0, z - d) moves the arrival d years earlier
   (d < 0: later), so P(z' < h) = P(z < h + d) for h > 0.

A fixed year (``--crqc year:2033``) is a point mass at 1 January of that year (a year already
begun means z = 0). Years are decimal calendar years: 1 January 2026 to 1 January 2033 is exactly
7, so hand-computed Mosca cases come out exact.
"""

from __future__ import annotations

import abc
import datetime as dt
import enum
import functools
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from qrisk.catalog import safe_load as fast_yaml
from qrisk.errors import InputError

CRQC_SCHEMA = "qrisk.crqc/1"
DEFAULT_CRQC = "gri-2025:optimistic"
"""The newest survey's upper (prudent) estimate; see DESIGN.md "CRQC curves"."""

_GRID_STEP_YEARS = 1.0 / 512.0
"""Step of the table that integrates the CDF (expected years exposed); nodes are added exactly."""

FloatArray = NDArray[np.float64]


class Interpolation(enum.StrEnum):
    """How a curve is interpolated between surveyed horizons."""

    LINEAR = "linear"
    """Piecewise linear CDF (piecewise constant density)."""
    PCHIP = "pchip"
    """Monotone piecewise cubic Hermite (Fritsch-Carlson)."""


def decimal_year(day: dt.date) -> float:
    """A date as a decimal year: 1 January of Y is exactly Y, the year's days evenly spaced."""
    start = dt.date(day.year, 1, 1)
    length = (dt.date(day.year + 1, 1, 1) - start).days if day.year < 9999 else 365
    return day.year + (day - start).days / length


def years_between(start: dt.date, end: dt.date) -> float:
    """Fractional years from ``start`` to ``end`` (negative when ``end`` is earlier).

    Decimal-year difference, so 2026-01-01 to 2033-01-01 is exactly 7 (Mosca's z = 2033 - 2026).
    """
    return decimal_year(end) - decimal_year(start)


def add_years(start: dt.date, years: float) -> dt.date:
    """The date ``years`` (fractional) after ``start``; capped at 0001-01-01 and 9999-12-31."""
    target = decimal_year(start) + years
    if not math.isfinite(target) or target >= 9999.0:
        return dt.date.max
    if target < 1.0:
        return dt.date.min
    year = math.floor(target)
    first = dt.date(year, 1, 1)
    length = (dt.date(year + 1, 1, 1) - first).days
    return first + dt.timedelta(days=min(math.floor((target - year) * length + 1e-9), length - 1))


# --------------------------------------------------------------------------- curves


@dataclass(frozen=True)
class CrqcCurve:
    """One CDF of CRQC arrival: P(CRQC within t years of ``origin``) at surveyed horizons."""

    id: str
    """Reference as given to ``--crqc`` (``gri-2025:optimistic``, ``file.yaml:label``)."""
    horizons_years: tuple[float, ...]
    """Surveyed horizons, strictly increasing, > 0, counted from ``origin``."""
    probabilities: tuple[float, ...]
    """Cumulative probability at each horizon, non-decreasing, in [0, 1]."""
    origin: dt.date
    """Where horizons count from: 1 January of the survey year unless the file says otherwise."""
    interpolation: Interpolation = Interpolation.LINEAR
    title: str = ""
    meaning: str = ""
    """What the label means (e.g. "upper probability estimate")."""
    source: str = ""
    """Document, section and date the points come from."""
    _pchip: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        h = np.asarray(self.horizons_years, dtype=float)
        p = np.asarray(self.probabilities, dtype=float)
        if len(h) == 0 or len(h) != len(p):
            raise InputError(f"CRQC curve {self.id}: needs as many probabilities as horizons (at least one)")
        if not np.all(np.isfinite(h)) or np.any(h <= 0) or np.any(np.diff(h) <= 0):
            raise InputError(f"CRQC curve {self.id}: horizons must be finite, > 0 and strictly increasing")
        if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(p > 1) or np.any(np.diff(p) < 0):
            raise InputError(f"CRQC curve {self.id}: probabilities must lie in [0, 1] and never decrease")
        if self.interpolation is Interpolation.PCHIP:
            from scipy.interpolate import PchipInterpolator

            # Flat stretches make zero slopes; scipy divides by them and then discards the result.
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                spline = PchipInterpolator(np.r_[0.0, h], np.r_[0.0, p], extrapolate=False)
            object.__setattr__(self, "_pchip", spline)

    @property
    def max_probability(self) -> float:
        """The curve's value past its last horizon (it stays flat there)."""
        return float(self.probabilities[-1])

    @property
    def nodes(self) -> tuple[FloatArray, FloatArray]:
        """Horizons and probabilities with the (0, 0) anchor at the origin."""
        return (
            np.r_[0.0, np.asarray(self.horizons_years, dtype=float)],
            np.r_[0.0, np.asarray(self.probabilities, dtype=float)],
        )

    def cdf(self, t_years: ArrayLike) -> FloatArray:
        """P(CRQC within ``t_years`` of the origin): 0 before it, flat after the last horizon."""
        t = np.asarray(t_years, dtype=float)
        xs, ps = self.nodes
        if self._pchip is None:
            return np.interp(t, xs, ps)  # left: ps[0] = 0, right: flat at the last value
        inside = np.clip(t, 0.0, xs[-1])
        out = np.asarray(self._pchip(inside), dtype=float)
        out = np.where(t >= xs[-1], ps[-1], out)
        # PCHIP is monotone in exact arithmetic; clip rounding so the CDF stays in [0, max].
        return np.clip(np.where(t <= 0.0, 0.0, out), 0.0, ps[-1])


# --------------------------------------------------------------------------- z from now


class Arrival(abc.ABC):
    """The distribution of z, years from ``now`` to a CRQC, as every exposure figure uses it.

    ``shift_years`` d moves the arrival d years earlier (z' = max(0, z - d)); d < 0 is later.
    """

    now: dt.date
    spec: str
    """The ``--crqc`` value this arrival came from."""

    @abc.abstractmethod
    def probability_within(self, horizon_years: ArrayLike, shift_years: float = 0.0) -> FloatArray:
        """P(z' < h): the chance that a CRQC arrives before ``h`` years have passed.

        For the survey curves (continuous) this equals P(z' <= h). For a fixed year the strict
        inequality makes the boundary x + y = z *not* exposed, as in Mosca's x + y > z.
        """

    @abc.abstractmethod
    def expected_years_exposed(self, horizon_years: ArrayLike, shift_years: float = 0.0) -> FloatArray:
        """E[max(0, h - z')] = integral of P(z' < t) for t in [0, h]."""

    @abc.abstractmethod
    def quantile(self, q: float, shift_years: float = 0.0) -> float:
        """The q-quantile of z': the smallest t with P(z' <= t) >= q; ``inf`` when the curve never reaches q."""

    @property
    @abc.abstractmethod
    def max_probability(self) -> float:
        """sup over h of P(z < h): the curve's maximum after conditioning."""

    @abc.abstractmethod
    def describe(self) -> dict[str, Any]:
        """JSON-ready description (id, kind, source, conditioning)."""

    def arrival_date(self, z_years: float) -> dt.date | None:
        """The calendar date ``z_years`` after now (None for never)."""
        return None if not math.isfinite(z_years) else add_years(self.now, z_years)


class SurveyArrival(Arrival):
    """z from a survey curve, conditioned on no CRQC before ``now``."""

    def __init__(self, curve: CrqcCurve, now: dt.date, spec: str | None = None) -> None:
        self.curve = curve
        self.now = now
        self.spec = spec or curve.id
        self.elapsed_years = years_between(curve.origin, now)
        """s: years from the curve's origin to now (negative before the origin)."""
        self.prob_before_now = float(curve.cdf(max(self.elapsed_years, 0.0)))
        """F(s): the mass the curve put before now, removed by conditioning."""
        if self.prob_before_now >= 1.0:
            raise InputError(
                f"CRQC curve {curve.id}: probability 1 of a CRQC before {now.isoformat()}, "
                "but none exists; give a curve that leaves room after now"
            )
        self._knots, self._values, self._slopes = self._tabulate()
        self._cumulative: FloatArray | None = None

    # P(z <= t) for t >= 0, conditioned; 0 for t <= 0
    def _conditional_cdf(self, t: FloatArray) -> FloatArray:
        f = self.curve.cdf(self.elapsed_years + t)  # 0 for instants before the origin
        out = (f - self.prob_before_now) / (1.0 - self.prob_before_now)
        return np.where(t > 0.0, np.clip(out, 0.0, 1.0), 0.0)

    def _tabulate(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Knots t_k, conditional CDF values v_k and slopes of the integral G(t) = int_0^t P(z <= u) du.

        Linear curves: the knots are the curve's nodes after conditioning, where the CDF is exactly
        piecewise linear, so G is exactly piecewise quadratic. PCHIP curves: a uniform grid of
        ``_GRID_STEP_YEARS`` on which the CDF is treated as piecewise linear (error below 1e-6 years).
        """
        xs, _ = self.curve.nodes
        end = max(float(xs[-1]) - self.elapsed_years, 0.0)
        if self.curve.interpolation is Interpolation.LINEAR:
            inner = xs - self.elapsed_years
            knots = np.r_[0.0, inner[inner > 0.0]]
        else:
            knots = np.arange(0.0, end + 2 * _GRID_STEP_YEARS, _GRID_STEP_YEARS)
        if len(knots) < 2:
            knots = np.array([0.0, 1.0])
        values = np.where(knots > 0.0, self._conditional_cdf(knots), 0.0)
        return knots, values, np.diff(values) / np.diff(knots)

    def _integral_to(self, t: FloatArray) -> FloatArray:
        """G(t) = integral of the conditional CDF over [0, t], t >= 0 (vectorised, exact for linear)."""
        knots, values, slopes = self._knots, self._values, self._slopes
        if self._cumulative is None:
            seg = np.diff(knots) * (values[1:] + values[:-1]) / 2.0
            self._cumulative = np.r_[0.0, np.cumsum(seg)]
        t = np.maximum(np.asarray(t, dtype=float), 0.0)
        k = np.clip(np.searchsorted(knots, t, side="right") - 1, 0, len(knots) - 1)
        dt_ = t - knots[k]
        slope = np.r_[slopes, 0.0][k]  # flat after the last knot
        return self._cumulative[k] + values[k] * dt_ + 0.5 * slope * dt_ * dt_

    @property
    def max_probability(self) -> float:
        p0 = self.prob_before_now
        return (self.curve.max_probability - p0) / (1.0 - p0)

    def probability_within(self, horizon_years: ArrayLike, shift_years: float = 0.0) -> FloatArray:
        h = np.asarray(horizon_years, dtype=float)
        return np.where(h > 0.0, self._conditional_cdf(h + shift_years), 0.0)

    def expected_years_exposed(self, horizon_years: ArrayLike, shift_years: float = 0.0) -> FloatArray:
        h = np.asarray(horizon_years, dtype=float)
        d = float(shift_years)
        out = self._integral_to(np.maximum(h + d, 0.0)) - float(self._integral_to(np.asarray(max(d, 0.0))))
        return np.where(h > 0.0, out, 0.0)

    def quantile(self, q: float, shift_years: float = 0.0) -> float:
        if not 0.0 < q < 1.0:
            raise InputError(f"quantile {q!r} must lie strictly between 0 and 1")
        if q > self.max_probability + 1e-12:
            return math.inf
        lo, hi = 0.0, 1.0
        while float(self._conditional_cdf(np.asarray(hi))) < q:
            hi *= 2.0
            if hi > 1e4:  # the CDF is flat past the last horizon: unreachable q is handled above
                return math.inf
        for _ in range(100):
            mid = (lo + hi) / 2.0
            if float(self._conditional_cdf(np.asarray(mid))) >= q:
                hi = mid
            else:
                lo = mid
        return max(0.0, hi - shift_years)

    def describe(self) -> dict[str, Any]:
        c = self.curve
        return {
            "spec": self.spec,
            "kind": "survey-curve",
            "id": c.id,
            "title": c.title,
            "meaning": c.meaning,
            "source": c.source,
            "origin": c.origin.isoformat(),
            "interpolation": c.interpolation.value,
            "horizons_years": list(c.horizons_years),
            "probabilities": list(c.probabilities),
            "conditioned_on_no_crqc_before": self.now.isoformat(),
            "probability_removed_by_conditioning": round(self.prob_before_now, 6),
            "max_probability": round(self.max_probability, 6),
        }


class FixedYearArrival(Arrival):
    """A CRQC on 1 January of ``year`` for certain (Mosca's deterministic z)."""

    def __init__(self, year: int, now: dt.date, spec: str | None = None) -> None:
        if not 1900 <= year <= 9999:
            raise InputError(f"CRQC year {year} is out of range (1900-9999)")
        self.year = year
        self.now = now
        self.spec = spec or f"year:{year}"
        self.z_years = max(0.0, years_between(now, dt.date(year, 1, 1)))
        """z in years from now; a year already begun means z = 0 (a CRQC now)."""

    def _z(self, shift_years: float) -> float:
        return max(0.0, self.z_years - shift_years)

    @property
    def max_probability(self) -> float:
        return 1.0

    def probability_within(self, horizon_years: ArrayLike, shift_years: float = 0.0) -> FloatArray:
        h = np.asarray(horizon_years, dtype=float)
        return np.where(h > self._z(shift_years), 1.0, 0.0)

    def expected_years_exposed(self, horizon_years: ArrayLike, shift_years: float = 0.0) -> FloatArray:
        h = np.asarray(horizon_years, dtype=float)
        return np.maximum(h - self._z(shift_years), 0.0)

    def quantile(self, q: float, shift_years: float = 0.0) -> float:
        if not 0.0 < q < 1.0:
            raise InputError(f"quantile {q!r} must lie strictly between 0 and 1")
        return self._z(shift_years)

    def describe(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "kind": "fixed-year",
            "year": self.year,
            "date": dt.date(self.year, 1, 1).isoformat(),
            "z_years": round(self.z_years, 6),
            "source": "user-given year (Mosca's deterministic z)",
        }


# --------------------------------------------------------------------------- files


class _CurveEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meaning: str = ""
    points: dict[float, float] = Field(min_length=1)

    @field_validator("points")
    @classmethod
    def _points(cls, v: dict[float, float]) -> dict[float, float]:
        last_p = -1.0
        for h, p in sorted(v.items()):
            if not math.isfinite(h) or h <= 0:
                raise ValueError(f"horizon {h!r} must be a finite number of years > 0")
            if not math.isfinite(p) or not 0.0 <= p <= 1.0:
                raise ValueError(f"probability {p!r} at horizon {h:g} must lie in [0, 1]")
            if p < last_p:
                raise ValueError(f"probability {p!r} at horizon {h:g} is below an earlier horizon's {last_p!r}")
            last_p = p
        return v


class _CurveFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_: str = Field(alias="schema")
    id: str = Field(min_length=1)
    title: str = ""
    publisher: str = ""
    published: str = ""
    survey_year: int | None = Field(default=None, ge=1900, le=9999)
    origin: dt.date | None = None
    respondents: int | None = None
    question: str = ""
    source: str = Field(min_length=1)
    interpolation: Interpolation = Interpolation.LINEAR
    default: str | None = None
    curves: dict[str, _CurveEntry] = Field(min_length=1)

    @field_validator("schema_")
    @classmethod
    def _schema(cls, v: str) -> str:
        if v.split("/")[0] != CRQC_SCHEMA.split("/")[0] or v.split("/")[-1].split(".")[0] != "1":
            raise ValueError(f"unsupported schema {v!r} (expected {CRQC_SCHEMA})")
        return v

    @model_validator(mode="after")
    def _check(self) -> _CurveFile:
        if self.origin is None and self.survey_year is None:
            raise ValueError("give survey_year or origin (where horizons count from)")
        if self.default is not None and self.default not in self.curves:
            raise ValueError(f"default {self.default!r} is not one of the curves {sorted(self.curves)}")
        return self


@dataclass(frozen=True)
class CurveFile:
    """A parsed curve file: one or more labelled curves from one source."""

    id: str
    curves: dict[str, CrqcCurve]
    default: str
    title: str = ""
    source: str = ""
    published: str = ""
    respondents: int | None = None

    def curve(self, label: str | None, spec: str) -> CrqcCurve:
        name = label or self.default
        if name not in self.curves:
            raise InputError(f"--crqc {spec}: curve {name!r} is not in {self.id} (has {', '.join(sorted(self.curves))})")
        return self.curves[name]


def parse_curve_file(data: Any, where: str) -> CurveFile:
    """Validate a YAML-parsed curve document; errors name the file and the field."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: a CRQC curve file is a mapping with 'schema: {CRQC_SCHEMA}'")
    try:
        doc = _CurveFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise InputError(f"{where}: {loc}: {err['msg']}") from None
    origin = doc.origin or dt.date(doc.survey_year or 1970, 1, 1)
    curves = {}
    for label, entry in doc.curves.items():
        pts = sorted(entry.points.items())
        curves[label] = CrqcCurve(
            id=f"{doc.id}:{label}",
            horizons_years=tuple(float(h) for h, _ in pts),
            probabilities=tuple(float(p) for _, p in pts),
            origin=origin,
            interpolation=doc.interpolation,
            title=doc.title,
            meaning=entry.meaning,
            source=doc.source,
        )
    default = doc.default or next(iter(doc.curves))
    return CurveFile(doc.id, curves, default, doc.title, doc.source, doc.published, doc.respondents)


@functools.cache
def shipped_curves() -> dict[str, CurveFile]:
    """The curve files in ``qrisk/catalog/crqc/``, by id."""
    out: dict[str, CurveFile] = {}
    folder = resources.files("qrisk.catalog").joinpath("crqc")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith((".yaml", ".yml")):
            continue
        cf = parse_curve_file(fast_yaml(entry.read_text(encoding="utf-8")), f"crqc/{entry.name}")
        out[cf.id] = cf
    return out


def load_curve_file(path: Path) -> CurveFile:
    """Read a user curve file; every problem is an :class:`InputError` naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--crqc {path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"--crqc {path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    return parse_curve_file(data, f"--crqc {path}")


_YEAR_RE = re.compile(r"^year:(-?\d+)$")


def resolve_crqc(spec: str | None, now: dt.date) -> Arrival:
    """Turn a ``--crqc`` value into the distribution of z from ``now``.

    ``year:2033``; ``gri-2025`` or ``gri-2025:pessimistic``; ``curve.yaml`` or ``curve.yaml:label``.
    """
    spec = (spec or DEFAULT_CRQC).strip()
    m = _YEAR_RE.match(spec)
    if m:
        return FixedYearArrival(int(m.group(1)), now, spec)
    if spec.startswith("year:"):
        raise InputError(f"--crqc {spec}: expected year:YYYY, e.g. year:2033")
    name, _, label = spec.partition(":")
    shipped = shipped_curves()
    if name in shipped:
        return SurveyArrival(shipped[name].curve(label or None, spec), now, spec)
    path, label2 = Path(spec), None
    if not path.is_file() and ":" in spec:
        head, _, tail = spec.rpartition(":")
        path, label2 = Path(head), tail
    if path.is_file():
        cf = load_curve_file(path)
        return SurveyArrival(cf.curve(label2, spec), now, spec)
    known = ", ".join(f"{k}:{lab}" for k, v in shipped.items() for lab in v.curves)
    raise InputError(f"--crqc {spec}: unknown curve (not a file, not year:YYYY; shipped curves: {known})")
