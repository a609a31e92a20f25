"""Mosca's exposure model with a probabilistic z, over whole inventories as columns.

Mosca (IACR ePrint 2015/1075; IEEE S&P 16(5), 2018): with x the years data must stay secret,
y the years a migration takes and z the years until a CRQC, "if x + y > z" the data cannot be
kept secret for x years. qrisk reads z as a distribution (:mod:`qrisk.risk.crqc`) and reports,
per asset, ``probability_exposed`` = P(z < h) for the asset's horizon h, the years exposed at the
median and at a chosen quantile of z, the expected years exposed E[max(0, h - z)], and the
deterministic verdict h > z for a fixed year.

The horizon h depends on the threat (reference/risk.md §1, §5):

* key exchange and encryption with Shor-broken public keys: harvest now, decrypt later;
  h = x + y (the data's shelf life counts);
* signatures with Shor-broken keys: forgery once a CRQC exists; h = trust + y, where trust is how
  long signatures must stay trustworthy (certificate validity, root/firmware lifetime, archive);
* usage unknown on a primitive that does both (RSA): h = max(x, trust) + y (prudent);
* AES-128, SHA-256 and other Grover-weakened primitives: not exposed, unless a chosen policy
  requires 256-bit strength, then treated like the first two cases;
* classically broken algorithms (MD5, SHA-1 signatures, DES, RSA-512): exposed now (z = 0),
  whatever the quantum timeline.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qrisk.errors import InputError
from qrisk.model import Criticality, QuantumStatus
from qrisk.risk.crqc import Arrival, FixedYearArrival, years_between
from qrisk.risk.inputs import RiskInput, Role, cert_remaining_years

DEFAULT_QUANTILE = 0.1
"""Default "early arrival" quantile of z: a one-in-ten chance the CRQC comes sooner."""
DEFAULT_THRESHOLD = 0.5
"""An asset or system counts as exposed when probability_exposed >= this (i.e. at the median of z)."""

_CRITICALITY_WEIGHT = {Criticality.LOW.value: 0, Criticality.MEDIUM.value: 1,
                       Criticality.HIGH.value: 2, Criticality.CRITICAL.value: 3}


class Threat(enum.StrEnum):
    """What a CRQC (or a classical attacker) does to an asset."""

    HARVEST_NOW_DECRYPT_LATER = "harvest-now-decrypt-later"
    """Recorded ciphertext is decrypted once a CRQC exists (Shor on key exchange/encryption)."""
    FORGERY = "forgery"
    """Signatures are forged once a CRQC exists (Shor on signature keys)."""
    GROVER = "grover"
    """Grover halves symmetric/hash strength; exposed only under a policy requiring 256-bit strength."""
    CLASSICALLY_BROKEN = "classically-broken"
    """Broken today, quantum or not."""
    NONE = "none"
    """Believed quantum-safe."""
    UNKNOWN = "unknown"
    """Algorithm not in the catalog: not assessed, never guessed."""


def mosca_exposed(shelf_life_years: Any, migration_years: Any, crqc_years: Any) -> Any:
    """Mosca's deterministic verdict x + y > z (strict: x + y = z is not exposed)."""
    return np.asarray(shelf_life_years) + np.asarray(migration_years) > np.asarray(crqc_years)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class AssessOptions:
    """Knobs of an assessment (all have defensible defaults)."""

    quantile: float = DEFAULT_QUANTILE
    """Quantile of z for ``years_exposed_quantile`` (lower = earlier CRQC = more prudent)."""
    threshold: float = DEFAULT_THRESHOLD
    """probability_exposed at or above which an asset/system counts as exposed."""
    mosca_year: int | None = None
    """Fixed CRQC year for the deterministic verdict; None: the ``year:`` of ``--crqc``, else the
    calendar year in which the median of z falls."""
    require_256_bit: bool = False
    """Treat Grover-weakened primitives (AES-128, SHA-256) as exposed (CNSA 2.0, ASD ISM)."""
    sensitivity: bool = True
    """Compute the sensitivity scenarios."""
    z_shift_years: float = 5.0
    """Sensitivity: move the CRQC this many years earlier and later."""
    migration_factor: float = 0.5
    """Sensitivity: scale y by 1 - f and 1 + f."""

    def __post_init__(self) -> None:
        if not 0.0 < self.quantile < 1.0:
            raise InputError(f"--quantile {self.quantile!r}: must lie strictly between 0 and 1")
        if not 0.0 < self.threshold <= 1.0:
            raise InputError(f"--threshold {self.threshold!r}: must lie in (0, 1]")
        if not (math.isfinite(self.z_shift_years) and self.z_shift_years >= 0):
            raise InputError(f"z shift {self.z_shift_years!r}: must be >= 0 years")
        if not 0.0 <= self.migration_factor < 1.0:
            raise InputError(f"migration factor {self.migration_factor!r}: must lie in [0, 1)")


@dataclass(frozen=True)
class Exposure:
    """One asset's exposure (for small inventories and reports; large ones stay in the frame)."""

    asset_id: str
    system: str
    algorithm: str
    threat: Threat
    quantum_status: QuantumStatus
    shelf_life_years: float
    """x."""
    migration_years: float
    """y."""
    trust_years: float
    """Signature trust horizon."""
    horizon_years: float
    """h: x + y, trust + y, or max(x, trust) + y by threat."""
    probability_exposed: float | None
    """P(z < h); None when not assessed (unknown algorithm)."""
    years_exposed_median: float | None
    """max(0, h - median z)."""
    years_exposed_quantile: float | None
    """max(0, h - z at the chosen quantile)."""
    expected_years_exposed: float | None
    """E[max(0, h - z)]."""
    mosca_exposed: bool
    """h > z for the fixed year (deterministic Mosca verdict)."""


@dataclass(frozen=True)
class SystemRisk:
    """A system's exposure: the worst of its assets (they share one z, so the union is the max)."""

    rank: int
    """1 = riskiest (by expected years exposed, then probability, then criticality)."""
    system: str
    name: str
    assets: int
    assets_at_risk: int
    """Assets with a quantum or classical threat."""
    assets_exposed: int
    """Assets with probability_exposed >= threshold."""
    probability_exposed: float
    """P(any asset of the system is exposed) = max over its assets."""
    expected_years_exposed: float
    """max over assets of E[max(0, h - z)]."""
    expected_data_years: float
    """E[max(0, x + y - z)] for the system's data when a confidentiality asset is at risk, else 0."""
    years_exposed_median: float
    horizon_years: float
    mosca_exposed: bool
    criticality: str
    category: str
    shelf_life_years: float
    shelf_life_source: str
    migration_years: float
    migration_source: str
    trust_years: float
    trust_source: str
    ranks: dict[str, int] = field(default_factory=dict)
    """Rank under each sensitivity scenario."""


@dataclass(frozen=True)
class Portfolio:
    """Totals a risk committee reads first."""

    assets: int
    assets_unknown: int
    """Not assessed: algorithm not in the catalog."""
    assets_quantum_safe: int
    assets_at_risk: int
    assets_exposed: int
    """probability_exposed >= threshold."""
    expected_assets_exposed: float
    """Sum of probability_exposed."""
    assets_mosca_exposed: int
    assets_by_threat: dict[str, int]
    systems: int
    systems_at_risk: int
    systems_exposed: int
    systems_mosca_exposed: int
    expected_exposed_data_years: float
    """Sum over systems of E[max(0, x + y - z)] (systems with a confidentiality asset at risk)."""
    threshold: float


@dataclass(frozen=True)
class Scenario:
    """How the totals and the ranking move when z or y is perturbed."""

    name: str
    description: str
    z_shift_years: float
    """> 0: CRQC earlier."""
    migration_factor: float
    """y multiplied by this."""
    expected_assets_exposed: float
    assets_exposed: int
    systems_exposed: int
    expected_exposed_data_years: float
    systems_rank_changed: int
    max_rank_shift: int
    kendall_tau: float | None
    """Rank correlation with the base ranking (1 = same order; None with < 2 systems)."""


@dataclass(frozen=True)
class Assessment:
    """The result of :func:`assess`."""

    now: dt.date
    crqc: dict[str, Any]
    options: AssessOptions
    z_median_years: float
    """Median of z from now (inf when the curve never reaches 0.5)."""
    z_quantile_years: float
    mosca_year: int | None
    mosca_z_years: float | None
    exposures: pd.DataFrame
    """One row per asset (see :data:`EXPOSURE_COLUMNS`)."""
    portfolio: Portfolio
    systems: tuple[SystemRisk, ...]
    sensitivity: tuple[Scenario, ...]

    def iter_exposures(self) -> Iterator[Exposure]:
        """Rows as :class:`Exposure` objects (fine for thousands, not for millions)."""
        f = self.exposures

        def opt(v: Any) -> float | None:
            return None if pd.isna(v) else float(v)

        for row in f.itertuples(index=False):
            yield Exposure(
                asset_id=row.asset_id, system=str(row.system), algorithm=str(row.algorithm),
                threat=Threat(row.threat), quantum_status=QuantumStatus(row.quantum_status),
                shelf_life_years=float(row.shelf_life_years), migration_years=float(row.migration_years),
                trust_years=float(row.trust_years), horizon_years=float(row.horizon_years),
                probability_exposed=opt(row.probability_exposed),
                years_exposed_median=opt(row.years_exposed_median),
                years_exposed_quantile=opt(row.years_exposed_quantile),
                expected_years_exposed=opt(row.expected_years_exposed),
                mosca_exposed=bool(row.mosca_exposed),
            )


EXPOSURE_COLUMNS = (
    "asset_id", "system", "algorithm", "kind", "usage", "primitive", "quantum_status", "threat",
    "role", "shelf_life_years", "migration_years", "trust_years", "horizon_years",
    "probability_exposed", "years_exposed_median", "years_exposed_quantile", "expected_years_exposed",
    "mosca_exposed", "shelf_life_source", "migration_source",
)


# --------------------------------------------------------------------------- the model


def _threats(inp: RiskInput, x: np.ndarray, trust: np.ndarray, require_256: bool) -> tuple[np.ndarray, ...]:
    """Per asset: threat codes, flagged, classical, unknown, role arrays."""
    qs = inp.assets["quantum_status"]
    cats = list(qs.cat.categories)
    codes = qs.cat.codes.to_numpy()

    def is_status(s: QuantumStatus) -> np.ndarray:
        return codes == cats.index(s.value) if s.value in cats else np.zeros(len(codes), bool)

    classical = is_status(QuantumStatus.CLASSICALLY_BROKEN)
    broken = is_status(QuantumStatus.BROKEN)
    weakened = is_status(QuantumStatus.WEAKENED)
    safe = is_status(QuantumStatus.SAFE)
    unknown = ~(classical | broken | weakened | safe)
    role_codes = inp.assets["role"].cat.codes.to_numpy()
    rcats = list(inp.assets["role"].cat.categories)
    is_trust = role_codes == rcats.index(Role.TRUST.value)
    is_ret = role_codes == rcats.index(Role.RETENTION.value)
    # For "both": the threat is the one whose horizon is longer (ties: confidentiality).
    forgery_driven = is_trust | (~is_ret & (trust > x))
    threat = np.full(len(codes), 4, dtype=np.int8)  # Threat order below
    threat[broken & ~forgery_driven] = 0
    threat[broken & forgery_driven] = 1
    threat[weakened] = 2
    threat[classical] = 3
    threat[unknown] = 5
    flagged = broken | classical | (weakened & require_256)
    return threat, flagged, classical, unknown, is_trust, is_ret


_THREAT_ORDER = [Threat.HARVEST_NOW_DECRYPT_LATER, Threat.FORGERY, Threat.GROVER,
                 Threat.CLASSICALLY_BROKEN, Threat.NONE, Threat.UNKNOWN]


def _horizon(x: np.ndarray, y: np.ndarray, trust: np.ndarray, is_trust: np.ndarray, is_ret: np.ndarray) -> np.ndarray:
    return y + np.where(is_ret, x, np.where(is_trust, trust, np.maximum(x, trust)))


def _probabilities(
    h: np.ndarray, flagged: np.ndarray, classical: np.ndarray, unknown: np.ndarray, arrival: Arrival, d: float
) -> tuple[np.ndarray, np.ndarray]:
    p = np.where(flagged, arrival.probability_within(h, d), 0.0)
    e = np.where(flagged, arrival.expected_years_exposed(h, d), 0.0)
    p[classical] = 1.0
    e[classical] = h[classical]
    p[unknown] = np.nan
    e[unknown] = np.nan
    return p, e


class _Groups:
    """Per-system reductions over asset arrays: one stable sort by system, then ``reduceat``."""

    def __init__(self, codes: np.ndarray, n: int) -> None:
        self.n = n
        self.codes = codes
        self.order = np.argsort(codes, kind="stable")
        ordered = codes[self.order]
        if len(ordered):
            self.starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
            self.ids = ordered[self.starts]
        else:
            self.starts = self.ids = np.zeros(0, dtype=np.int64)

    def max(self, values: np.ndarray) -> np.ndarray:
        """Max per system, NaN ignored; 0 for systems with no (or only NaN) values."""
        out = np.zeros(self.n)
        if len(self.starts):
            m = np.fmax.reduceat(np.asarray(values, dtype=float)[self.order], self.starts)
            out[self.ids] = np.where(np.isnan(m), 0.0, m)
        return out

    def sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes, weights=np.asarray(values, dtype=float), minlength=self.n)[: self.n]


def _per_system_categorical(values: pd.Series, codes: np.ndarray) -> pd.Categorical:
    uniq, inverse = np.unique(values.to_numpy(dtype=object).astype(str), return_inverse=True)
    return pd.Categorical.from_codes(inverse[codes], categories=uniq)


def _rank(
    expected: np.ndarray, prob: np.ndarray, crit: np.ndarray, ids: np.ndarray, present: np.ndarray
) -> np.ndarray:
    """Rank 1..n: expected years exposed, then probability, then criticality (desc), then id.

    Systems without assets (``present`` False) come last.
    """
    order = np.lexsort((ids, -crit, -np.round(prob, 12), -np.round(expected, 9), ~present))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def default_mosca_year(arrival: Arrival, z_median: float) -> int | None:
    """The ``year:`` of ``--crqc``; else the calendar year in which the median arrival falls."""
    if isinstance(arrival, FixedYearArrival):
        return arrival.year
    date = arrival.arrival_date(z_median)
    return None if date is None else date.year


def assess(inp: RiskInput, arrival: Arrival, options: AssessOptions | None = None) -> Assessment:
    """Exposure per asset and per system, portfolio totals and sensitivity, all on columns."""
    opts = options or AssessOptions()
    now = arrival.now
    codes = inp.system_codes
    n_sys = len(inp.systems)
    x = inp.per_asset("shelf_life_years").astype(float)
    y = inp.per_asset("migration_years").astype(float)
    trust_sys = inp.per_asset("trust_years").astype(float)
    cert = cert_remaining_years(inp, now)
    trust = np.fmax(trust_sys, cert)  # a certificate is trusted until notAfter (fmax skips NaN)
    threat, flagged, classical, unknown, is_trust, is_ret = _threats(inp, x, trust, opts.require_256_bit)
    h = _horizon(x, y, trust, is_trust, is_ret)

    z_med = arrival.quantile(0.5)
    z_q = arrival.quantile(opts.quantile)
    mosca_year = opts.mosca_year if opts.mosca_year is not None else default_mosca_year(arrival, z_med)
    mosca_z = None if mosca_year is None else max(0.0, years_between(now, dt.date(mosca_year, 1, 1)))

    p, e = _probabilities(h, flagged, classical, unknown, arrival, 0.0)

    def years_at(z: float) -> np.ndarray:
        out = np.where(flagged, np.maximum(h - z, 0.0) if math.isfinite(z) else 0.0, 0.0)
        out[classical] = h[classical]
        out[unknown] = np.nan
        return out

    ye_med = years_at(z_med)
    ye_q = years_at(z_q)
    mosca = (flagged & (h > mosca_z)) if mosca_z is not None else np.zeros(len(h), bool)
    mosca = mosca | classical

    sys_frame = inp.systems
    groups = _Groups(codes, n_sys)
    # Sources are per system: share the strings through categorical codes (no per-asset copies).
    src_x = _per_system_categorical(sys_frame["shelf_life_source"], codes)
    src_y = _per_system_categorical(sys_frame["migration_source"], codes)
    exposures = pd.DataFrame({
        "asset_id": inp.assets["asset_id"].array,
        "system": inp.assets["system"].array,
        "algorithm": inp.assets["algorithm"].array,
        "kind": inp.assets["kind"].array,
        "usage": inp.assets["usage"].array,
        "primitive": inp.assets["primitive"].array,
        "quantum_status": inp.assets["quantum_status"].array,
        "threat": pd.Categorical.from_codes(threat, categories=[t.value for t in _THREAT_ORDER]),
        "role": inp.assets["role"].array,
        "shelf_life_years": x,
        "migration_years": y,
        "trust_years": trust,
        "horizon_years": h,
        "probability_exposed": p,
        "years_exposed_median": ye_med,
        "years_exposed_quantile": ye_q,
        "expected_years_exposed": e,
        "mosca_exposed": mosca,
        "shelf_life_source": src_x,
        "migration_source": src_y,
    })

    # ---- systems
    conf = flagged & ~is_trust  # a confidentiality (retention or both) asset at risk
    conf_classical = classical & ~is_trust
    has_conf = groups.sum(conf) > 0
    has_conf_classical = groups.sum(conf_classical) > 0

    def system_figures(pp: np.ndarray, ee: np.ndarray, d: float, yf: float) -> dict[str, np.ndarray]:
        sys_p = groups.max(pp)
        sys_e = groups.max(ee)
        data_h = sys_frame["shelf_life_years"].to_numpy(float) + yf * sys_frame["migration_years"].to_numpy(float)
        data_years = np.where(has_conf, arrival.expected_years_exposed(data_h, d), 0.0)
        data_years = np.where(has_conf_classical, data_h, data_years)
        exposed_assets = groups.sum(pp >= opts.threshold)  # NaN compares False
        return {"p": sys_p, "e": sys_e, "data": data_years, "exposed_assets": exposed_assets}

    base = system_figures(p, e, 0.0, 1.0)
    crit = sys_frame["criticality"].map(_CRITICALITY_WEIGHT).fillna(1).to_numpy(float)
    ids = sys_frame.index.to_numpy().astype(str)
    n_assets = np.bincount(codes, minlength=n_sys)[:n_sys]
    present = n_assets > 0
    base_rank = _rank(base["e"], base["p"], crit, ids, present)
    at_risk = groups.sum(flagged).astype(int)
    ye_med_sys = groups.max(ye_med)
    h_sys = groups.max(np.where(flagged, h, 0.0))
    mosca_sys = groups.sum(mosca) > 0

    # ---- sensitivity
    scenarios: list[Scenario] = []
    scenario_ranks: dict[str, np.ndarray] = {}
    if opts.sensitivity:
        dz, f = opts.z_shift_years, opts.migration_factor
        variants = [
            (f"crqc-{dz:g}y-earlier", f"CRQC {dz:g} years earlier (z - {dz:g})", dz, 1.0),
            (f"crqc-{dz:g}y-later", f"CRQC {dz:g} years later (z + {dz:g})", -dz, 1.0),
            (f"migration-{f:.0%}-shorter", f"migration time y x {1 - f:g}", 0.0, 1.0 - f),
            (f"migration-{f:.0%}-longer", f"migration time y x {1 + f:g}", 0.0, 1.0 + f),
        ]
        from scipy.stats import kendalltau

        for name, desc, d, yf in variants:
            h2 = h + (yf - 1.0) * y
            p2, e2 = _probabilities(h2, flagged, classical, unknown, arrival, d)
            fig = system_figures(p2, e2, d, yf)
            r2 = _rank(fig["e"], fig["p"], crit, ids, present)
            scenario_ranks[name] = r2
            moved = np.abs(r2 - base_rank)[present]
            tau = None
            if present.sum() >= 2:
                t = kendalltau(base_rank[present], r2[present]).statistic
                tau = None if t is None or not math.isfinite(t) else round(float(t), 6)
            scenarios.append(Scenario(
                name=name, description=desc, z_shift_years=d, migration_factor=yf,
                expected_assets_exposed=float(np.nansum(p2)),
                assets_exposed=int((p2 >= opts.threshold).sum()),
                systems_exposed=int((fig["p"][present] >= opts.threshold).sum()),
                expected_exposed_data_years=float(fig["data"].sum()),
                systems_rank_changed=int((moved > 0).sum()),
                max_rank_shift=int(moved.max()) if len(moved) else 0,
                kendall_tau=tau,
            ))

    cols = {c: sys_frame[c].tolist() for c in (
        "name", "criticality", "category", "shelf_life_years", "shelf_life_source", "migration_years",
        "migration_source", "trust_years", "trust_source")}
    systems = []
    for i in np.argsort(base_rank):
        if n_assets[i] == 0:
            continue
        systems.append(SystemRisk(
            rank=int(base_rank[i]), system=str(ids[i]), name=str(cols["name"][i]), assets=int(n_assets[i]),
            assets_at_risk=int(at_risk[i]), assets_exposed=int(base["exposed_assets"][i]),
            probability_exposed=float(base["p"][i]), expected_years_exposed=float(base["e"][i]),
            expected_data_years=float(base["data"][i]), years_exposed_median=float(ye_med_sys[i]),
            horizon_years=float(h_sys[i]), mosca_exposed=bool(mosca_sys[i]),
            criticality=str(cols["criticality"][i]), category=str(cols["category"][i]),
            shelf_life_years=float(cols["shelf_life_years"][i]), shelf_life_source=str(cols["shelf_life_source"][i]),
            migration_years=float(cols["migration_years"][i]), migration_source=str(cols["migration_source"][i]),
            trust_years=float(cols["trust_years"][i]), trust_source=str(cols["trust_source"][i]),
            ranks={name: int(r[i]) for name, r in scenario_ranks.items()},
        ))
    counts = np.bincount(threat, minlength=len(_THREAT_ORDER))
    portfolio = Portfolio(
        assets=len(h),
        assets_unknown=int(unknown.sum()),
        assets_quantum_safe=int(counts[_THREAT_ORDER.index(Threat.NONE)]),
        assets_at_risk=int(flagged.sum()),
        assets_exposed=int((p >= opts.threshold).sum()),
        expected_assets_exposed=float(np.nansum(p)),
        assets_mosca_exposed=int(mosca.sum()),
        assets_by_threat={t.value: int(c) for t, c in zip(_THREAT_ORDER, counts, strict=True)},
        systems=int(present.sum()),
        systems_at_risk=int(((at_risk > 0) & present).sum()),
        systems_exposed=int(((base["p"] >= opts.threshold) & present).sum()),
        systems_mosca_exposed=int((mosca_sys & present).sum()),
        expected_exposed_data_years=float(base["data"].sum()),
        threshold=opts.threshold,
    )
    return Assessment(
        now=now, crqc=arrival.describe(), options=opts, z_median_years=z_med, z_quantile_years=z_q,
        mosca_year=mosca_year, mosca_z_years=mosca_z, exposures=exposures, portfolio=portfolio,
        systems=tuple(systems), sensitivity=tuple(scenarios),
    )


# --------------------------------------------------------------------------- one case


@dataclass(frozen=True)
class MoscaCase:
    """The calculator's answer for one (x, y) pair (``qrisk mosca``)."""

    shelf_life_years: float
    migration_years: float
    horizon_years: float
    probability_exposed: float
    years_exposed_median: float
    years_exposed_quantile: float
    quantile: float
    expected_years_exposed: float
    z_median_years: float
    z_quantile_years: float
    mosca_year: int | None
    mosca_z_years: float | None
    exposed: bool | None
    """Deterministic x + y > z for the fixed year; None when no fixed year can be named."""
    crqc: dict[str, Any]
    now: dt.date


def mosca_case(
    shelf_life_years: float,
    migration_years: float,
    arrival: Arrival,
    *,
    quantile: float = DEFAULT_QUANTILE,
    mosca_year: int | None = None,
) -> MoscaCase:
    """Exposure of one asset with horizon x + y (harvest now, decrypt later)."""
    for value, what in ((shelf_life_years, "--shelf-life"), (migration_years, "--migration")):
        if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            raise InputError(f"{what} {value!r}: years must be a number >= 0")
    if not 0.0 < quantile < 1.0:
        raise InputError(f"--quantile {quantile!r}: must lie strictly between 0 and 1")
    h = float(shelf_life_years) + float(migration_years)
    z_med = arrival.quantile(0.5)
    z_q = arrival.quantile(quantile)
    year = mosca_year if mosca_year is not None else default_mosca_year(arrival, z_med)
    mosca_z = None if year is None else max(0.0, years_between(arrival.now, dt.date(year, 1, 1)))
    return MoscaCase(
        shelf_life_years=float(shelf_life_years),
        migration_years=float(migration_years),
        horizon_years=h,
        probability_exposed=float(arrival.probability_within(h)),
        years_exposed_median=max(0.0, h - z_med) if math.isfinite(z_med) else 0.0,
        years_exposed_quantile=max(0.0, h - z_q) if math.isfinite(z_q) else 0.0,
        quantile=quantile,
        expected_years_exposed=float(arrival.expected_years_exposed(h)),
        z_median_years=z_med,
        z_quantile_years=z_q,
        mosca_year=year,
        mosca_z_years=mosca_z,
        exposed=None if mosca_z is None else bool(mosca_exposed(shelf_life_years, migration_years, mosca_z)),
        crqc=arrival.describe(),
        now=arrival.now,
    )
