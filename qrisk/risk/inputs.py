"""The risk stage's input: columns built once from an inventory (or directly, for benchmarks).

Per system it resolves x (shelf life: the longest retention of its data classes), y (migration
time: the manifest's, or a prior by system type and effort from ``qrisk/catalog/migration.yaml``)
and the signature trust horizon, each with the source it came from. Per asset it keeps the few
attributes the exposure model and the compliance rules read, as pandas columns (categoricals for
strings), so that both stages work on arrays rather than on a million Python objects.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qrisk.catalog import UNKNOWN, AlgorithmCatalog, algorithms, normalise, retention_class
from qrisk.catalog import safe_load as fast_yaml
from qrisk.errors import InputError
from qrisk.model import Criticality, Inventory, MigrationEffort, Primitive, QuantumStatus, System, Usage

MIGRATION_SCHEMA = "qrisk.catalog.migration/1"
UNASSIGNED = "(unassigned)"
"""System id for assets no manifest system claims (a manifest id cannot contain parentheses)."""
UNSPECIFIED = "unspecified"
"""System category when the manifest does not give one."""

CATEGORIES = ("software-signing", "networking", "web-cloud", "operating-system", "niche", "legacy")
"""CNSA 2.0 system categories as the manifest spells them."""


class Role(enum.StrEnum):
    """Which horizon drives an asset's quantum exposure."""

    RETENTION = "retention"
    """Confidentiality (key exchange, encryption): harvest now, decrypt later; x counts."""
    TRUST = "trust"
    """Integrity/authenticity (signatures, hashes, MACs): forgery after a CRQC; the trust horizon counts."""
    BOTH = "both"
    """Usage unknown and the primitive serves both (RSA, unknown): the longer horizon counts."""


def role_for_usage(usage: Usage) -> Role | None:
    """Role implied by a usage; None when the usage does not say and the primitive decides."""
    match usage:
        case Usage.KEY_EXCHANGE | Usage.ENCRYPTION | Usage.KEY_DERIVATION | Usage.RANDOM:
            return Role.RETENTION
        case Usage.SIGNATURE | Usage.HASHING | Usage.AUTHENTICATION:
            return Role.TRUST
        case Usage.UNKNOWN:
            return None
    raise AssertionError(f"unhandled usage {usage!r}")  # pragma: no cover


def role_for_primitive(primitive: Primitive) -> Role:
    """Role implied by a primitive when the usage is unknown (prudent: BOTH when it could be either)."""
    match primitive:
        case (
            Primitive.KEM | Primitive.KEY_AGREE | Primitive.BLOCK_CIPHER | Primitive.STREAM_CIPHER
            | Primitive.AE | Primitive.KDF | Primitive.DRBG | Primitive.XOF
        ):
            return Role.RETENTION
        case Primitive.SIGNATURE | Primitive.HASH | Primitive.MAC:
            return Role.TRUST
        case Primitive.PKE | Primitive.COMBINER | Primitive.OTHER | Primitive.UNKNOWN:
            return Role.BOTH
    raise AssertionError(f"unhandled primitive {primitive!r}")  # pragma: no cover


def derive_roles(usage: pd.Series, primitive: pd.Series) -> pd.Categorical:
    """Vectorised role: the usage's when it says, else the primitive's."""
    by_usage = {u.value: (r.value if (r := role_for_usage(u)) else "") for u in Usage}
    by_prim = {p.value: role_for_primitive(p).value for p in Primitive}
    u = usage.astype(str).map(by_usage).fillna("").to_numpy(dtype=object)
    p = primitive.astype(str).map(by_prim).fillna(Role.BOTH.value).to_numpy(dtype=object)
    out = np.where(u != "", u, p)
    return pd.Categorical(out, categories=[r.value for r in Role])


# --------------------------------------------------------------------------- migration priors


class _Cat(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str
    migration_years: float = Field(ge=0, le=100)
    source: str = Field(min_length=1)


class _Eff(BaseModel):
    model_config = ConfigDict(extra="forbid")
    effort: MigrationEffort
    migration_years: float = Field(ge=0, le=100)
    source: str = Field(min_length=1)


class _Trust(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str
    trust_years: float = Field(ge=0, le=1000)
    source: str = Field(min_length=1)


class _Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    migration_years: float = Field(ge=0, le=100)
    migration_source: str = Field(min_length=1)
    shelf_life_years: float = Field(ge=0, le=1000)
    shelf_life_source: str = Field(min_length=1)


class _MigrationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_: str = Field(alias="schema")
    categories: list[_Cat]
    efforts: list[_Eff]
    effort_factors: dict[MigrationEffort, float]
    effort_factors_source: str = Field(min_length=1)
    trust_horizons: list[_Trust] = []
    defaults: _Defaults


@dataclass(frozen=True)
class Prior:
    """A value with the source it came from."""

    value: float
    source: str


@dataclass(frozen=True)
class MigrationPriors:
    """``qrisk/catalog/migration.yaml``: y by category and effort, trust horizons, defaults."""

    by_category: Mapping[str, Prior]
    by_effort: Mapping[MigrationEffort, Prior]
    effort_factors: Mapping[MigrationEffort, float]
    effort_factors_source: str
    trust_by_category: Mapping[str, Prior]
    default_migration: Prior
    default_shelf_life: Prior

    def migration_for(self, category: str | None, effort: MigrationEffort | None) -> Prior:
        """y for a system the manifest gives no migration years for."""
        if category and category in self.by_category:
            base = self.by_category[category]
            if effort is None:
                return base
            factor = self.effort_factors[effort]
            return Prior(base.value * factor, f"{base.source}; x{factor:g} for {effort.value} effort "
                         f"({self.effort_factors_source})")
        if effort is not None:
            return self.by_effort[effort]
        return self.default_migration

    def trust_for(self, category: str | None) -> Prior:
        if category and category in self.trust_by_category:
            return self.trust_by_category[category]
        return Prior(0.0, "no trust horizon stated: live authentication (forgery matters while the key is in use)")


def parse_migration_priors(data: Any, where: str = "migration.yaml") -> MigrationPriors:
    try:
        doc = _MigrationFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(f"{where}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    if doc.schema_ != MIGRATION_SCHEMA:
        raise InputError(f"{where}: unexpected schema {doc.schema_!r}")
    for c in (*doc.categories, *doc.trust_horizons):
        if c.category not in CATEGORIES:
            raise InputError(f"{where}: unknown category {c.category!r} (one of {', '.join(CATEGORIES)})")
    missing = set(MigrationEffort) - {e.effort for e in doc.efforts}
    if missing or set(MigrationEffort) - set(doc.effort_factors):
        raise InputError(f"{where}: every effort level needs a prior and a factor")
    return MigrationPriors(
        by_category={c.category: Prior(c.migration_years, c.source) for c in doc.categories},
        by_effort={e.effort: Prior(e.migration_years, e.source) for e in doc.efforts},
        effort_factors=dict(doc.effort_factors),
        effort_factors_source=doc.effort_factors_source,
        trust_by_category={t.category: Prior(t.trust_years, t.source) for t in doc.trust_horizons},
        default_migration=Prior(doc.defaults.migration_years, doc.defaults.migration_source),
        default_shelf_life=Prior(doc.defaults.shelf_life_years, doc.defaults.shelf_life_source),
    )


@functools.cache
def migration_priors() -> MigrationPriors:
    """The shipped priors (cached)."""
    text = resources.files("qrisk.catalog").joinpath("migration.yaml").read_text(encoding="utf-8")
    return parse_migration_priors(fast_yaml(text))


# --------------------------------------------------------------------------- years and classes


def check_years(value: float, what: str) -> float:
    """A number of years: finite and >= 0, else an error naming the value."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{what}: {value!r} is not a number of years")
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{what}: {value!r} is not a number of years >= 0")
    return float(value)


def shelf_life_from(text: str | float, what: str = "--shelf-life") -> Prior:
    """Years (``7``, ``7.5``) or a data class name from ``retention.yaml`` (``health``)."""
    if isinstance(text, int | float):
        return Prior(check_years(text, what), "given")
    raw = str(text).strip()
    try:
        years = float(raw)
    except ValueError:
        rc = retention_class(raw)
        if rc is None:
            raise InputError(
                f"{what} {raw!r}: unknown data class (give years or a class from qrisk/catalog/retention.yaml)"
            ) from None
        return Prior(rc.retention_years, f"{rc.name}: {rc.anchor}")
    return Prior(check_years(years, f"{what} {raw}"), "given")


# --------------------------------------------------------------------------- per system


@dataclass(frozen=True)
class SystemParams:
    """A system's resolved risk parameters, each with its source."""

    id: str
    name: str
    shelf_life: Prior
    """x: longest retention of the data classes."""
    migration: Prior
    """y."""
    trust: Prior
    """Signature trust horizon in years."""
    category: str
    criticality: Criticality
    high_value: bool
    jurisdictions: tuple[str, ...]
    data_classes: tuple[str, ...]
    """Normalised names of the data classes (catalog canonical name where the catalog knows it)."""
    declared: bool
    """Whether the manifest describes the system (False: unassigned or unknown id)."""


def resolve_system(system: System, priors: MigrationPriors, default_shelf_life: Prior) -> SystemParams:
    """x, y and the trust horizon for one manifest system; bad values raise naming the field."""
    where = f"system {system.id!r}"
    best: Prior | None = None
    classes = []
    for dc in system.data_classes:
        years = dc.retention_years
        source = dc.retention_source or "manifest"
        rc = retention_class(dc.name)
        if isinstance(years, float) and math.isnan(years):
            if rc is None:
                raise InputError(f"{where}: unknown data class {dc.name!r} and no retention_years given")
            years, source = rc.retention_years, rc.anchor
        check_years(years, f"{where}: data class {dc.name!r} retention_years")
        classes.append(normalise(rc.name if rc else dc.name))
        if best is None or years > best.value:
            best = Prior(float(years), f"{dc.name}: {source}")
    shelf = best or Prior(default_shelf_life.value, f"no data classes: default ({default_shelf_life.source})")
    if system.migration_years is not None:
        migration = Prior(check_years(system.migration_years, f"{where}: migration years"), "manifest")
    else:
        migration = priors.migration_for(system.category, system.migration_effort)
    if system.signature_trust_years is not None:
        trust = Prior(check_years(system.signature_trust_years, f"{where}: signature_trust_years"), "manifest")
    else:
        trust = priors.trust_for(system.category)
    return SystemParams(
        id=system.id,
        name=system.name or system.id,
        shelf_life=shelf,
        migration=migration,
        trust=trust,
        category=system.category or UNSPECIFIED,
        criticality=system.criticality,
        high_value=system.high_value,
        jurisdictions=tuple(j.strip().upper() for j in system.jurisdictions),
        data_classes=tuple(classes),
        declared=True,
    )


def default_system(system_id: str, priors: MigrationPriors, default_shelf_life: Prior) -> SystemParams:
    """Parameters for assets whose system the manifest does not describe."""
    return SystemParams(
        id=system_id,
        name=system_id,
        shelf_life=Prior(default_shelf_life.value, f"not in the manifest: default ({default_shelf_life.source})"),
        migration=priors.default_migration,
        trust=priors.trust_for(None),
        category=UNSPECIFIED,
        criticality=Criticality.MEDIUM,
        high_value=False,
        jurisdictions=(),
        data_classes=(),
        declared=False,
    )


# --------------------------------------------------------------------------- the columns

ASSET_COLUMNS = (
    "asset_id", "system", "algorithm", "family", "kind", "primitive", "usage", "quantum_status",
    "key_size", "security_bits", "nist_level", "cert_not_after", "occurrences",
)
"""Columns of :attr:`RiskInput.assets` (``role`` is derived from usage and primitive)."""

_CATEGORICAL = ("algorithm", "family", "kind", "primitive", "usage", "quantum_status")


@dataclass(frozen=True)
class RiskInput:
    """Columns for the risk and compliance stages: one row per asset, one per system."""

    assets: pd.DataFrame
    """Asset columns (:data:`ASSET_COLUMNS` + ``role``); ``system`` is categorical over ``systems.index``."""
    systems: pd.DataFrame
    """One row per system id (index): name, shelf_life_years/source, migration_years/source,
    trust_years/source, category, criticality, high_value, priority_high, jurisdictions, data_classes,
    declared."""
    inventory: Inventory | None = None
    """The inventory the columns came from, for inventory-level compliance checks."""

    @property
    def system_codes(self) -> np.ndarray:
        """Row position in :attr:`systems` of each asset's system."""
        return self.assets["system"].cat.codes.to_numpy()

    def per_asset(self, system_column: str) -> np.ndarray:
        """A system column broadcast to the assets."""
        return self.systems[system_column].to_numpy()[self.system_codes]

    def __len__(self) -> int:
        return len(self.assets)


def systems_frame(params: Iterable[SystemParams]) -> pd.DataFrame:
    rows = [
        {
            "id": p.id,
            "name": p.name,
            "shelf_life_years": p.shelf_life.value,
            "shelf_life_source": p.shelf_life.source,
            "migration_years": p.migration.value,
            "migration_source": p.migration.source,
            "trust_years": p.trust.value,
            "trust_source": p.trust.source,
            "category": p.category,
            "criticality": p.criticality.value,
            "high_value": p.high_value,
            "priority_high": p.high_value or p.criticality in (Criticality.HIGH, Criticality.CRITICAL),
            "jurisdictions": p.jurisdictions,
            "data_classes": p.data_classes,
            "declared": p.declared,
        }
        for p in params
    ]
    frame = pd.DataFrame(rows, columns=[
        "id", "name", "shelf_life_years", "shelf_life_source", "migration_years", "migration_source",
        "trust_years", "trust_source", "category", "criticality", "high_value", "priority_high",
        "jurisdictions", "data_classes", "declared",
    ])
    return frame.set_index("id", drop=False)


def from_columns(assets: pd.DataFrame, systems: pd.DataFrame, inventory: Inventory | None = None) -> RiskInput:
    """Wrap prepared columns (the 1M-asset benchmark builds them directly); checks and fills."""
    missing = [c for c in ASSET_COLUMNS if c not in assets.columns]
    if missing:
        raise InputError(f"asset columns missing: {', '.join(missing)}")
    assets = assets.copy(deep=False)
    for col in _CATEGORICAL:
        if not isinstance(assets[col].dtype, pd.CategoricalDtype):
            assets[col] = assets[col].astype("category")
    known = pd.Index(systems.index)
    sys_col = assets["system"]
    if not isinstance(sys_col.dtype, pd.CategoricalDtype) or not sys_col.cat.categories.equals(known):
        values = np.asarray(sys_col, dtype=object)
        codes = known.get_indexer(values)
        if (codes < 0).any():
            raise InputError(f"asset system {values[codes < 0][0]!r} is not in the systems table")
        sys_col = pd.Categorical.from_codes(codes, categories=known)
    assets["system"] = sys_col
    for col in ("key_size", "security_bits", "nist_level", "cert_not_after"):
        assets[col] = assets[col].astype(float)
    if "role" not in assets.columns:
        assets["role"] = derive_roles(assets["usage"], assets["primitive"])
    return RiskInput(assets, systems, inventory)


_SYMMETRIC = {Primitive.BLOCK_CIPHER, Primitive.STREAM_CIPHER, Primitive.AE}


def from_inventory(
    inventory: Inventory,
    *,
    default_shelf_life: Prior | None = None,
    priors: MigrationPriors | None = None,
    catalog: AlgorithmCatalog | None = None,
) -> RiskInput:
    """Build the columns from an inventory (one pass over its assets).

    ``catalog`` (default: the shipped one) gives each algorithm's family and key-size strength.
    """
    priors = priors or migration_priors()
    default_x = default_shelf_life or priors.default_shelf_life
    params: dict[str, SystemParams] = {}
    for system in inventory.systems:
        params[system.id] = resolve_system(system, priors, default_x)
    catalog = catalog or algorithms()
    entry_cache: dict[str, Any] = {}
    bits_cache: dict[tuple[str, int | None], float] = {}
    cols: dict[str, list[Any]] = {c: [] for c in ASSET_COLUMNS}
    for a in inventory.assets:
        entry = entry_cache.get(a.algorithm)
        if entry is None:
            entry = catalog.get(a.algorithm)
            if entry is UNKNOWN:
                entry = catalog.lookup(a.algorithm)
            entry_cache[a.algorithm] = entry
        sid = a.system or UNASSIGNED
        if sid not in params:
            params[sid] = default_system(sid, priors, default_x)
        if a.classical_security_bits is not None:
            bits = float(a.classical_security_bits)
        else:
            key = (a.algorithm, a.key_size)
            cached = bits_cache.get(key)
            if cached is None:
                b = entry.security_bits_for(a.key_size) if entry is not UNKNOWN else None
                if b is None and a.primitive in _SYMMETRIC and a.key_size:
                    b = a.key_size  # a symmetric key's classical strength is its length
                cached = bits_cache[key] = float("nan") if b is None else float(b)
            bits = cached
        cols["asset_id"].append(a.asset_id)
        cols["system"].append(sid)
        cols["algorithm"].append(a.algorithm)
        cols["family"].append(entry.family if entry is not UNKNOWN else "unknown")
        cols["kind"].append(a.kind.value)
        cols["primitive"].append(a.primitive.value)
        cols["usage"].append(a.usage.value)
        status = a.quantum_status
        # A key too short for its family (RSA-512) is broken today, whatever the scanner said.
        if (entry is not UNKNOWN and a.key_size is not None
                and entry.status_for(a.key_size) is QuantumStatus.CLASSICALLY_BROKEN):
            status = QuantumStatus.CLASSICALLY_BROKEN
        cols["quantum_status"].append(status.value)
        cols["key_size"].append(np.nan if a.key_size is None else a.key_size)
        cols["security_bits"].append(bits)
        level = a.nist_quantum_level if a.nist_quantum_level is not None else entry.nist_quantum_level
        cols["nist_level"].append(np.nan if level is None else level)
        cert = a.certificate
        cols["cert_not_after"].append(np.nan if cert is None else float(cert.not_after.date().toordinal()))
        cols["occurrences"].append(len(a.occurrences))
    assets = pd.DataFrame(cols)
    assets["occurrences"] = assets["occurrences"].astype(np.int32)
    return from_columns(assets, systems_frame(params.values()), inventory)


def decimal_years(ordinals: np.ndarray) -> np.ndarray:
    """Vectorised :func:`qrisk.risk.crqc.decimal_year` over proleptic ordinals (NaN stays NaN)."""
    ords = np.asarray(ordinals, dtype=float)
    ok = np.isfinite(ords)
    days = np.where(ok, ords, 719163.0).astype(np.int64) - 719163  # ordinal of 1970-01-01
    dates = np.datetime64("1970-01-01", "D") + days.astype("timedelta64[D]")
    year_start = dates.astype("datetime64[Y]")
    next_start = (year_start + np.timedelta64(1, "Y")).astype("datetime64[D]")
    length = (next_start - year_start.astype("datetime64[D]")).astype(float)
    frac = (dates - year_start.astype("datetime64[D]")).astype(float) / length
    out = year_start.astype(np.int64) + 1970 + frac
    return np.where(ok, out, np.nan)


def cert_remaining_years(inp: RiskInput, now: dt.date) -> np.ndarray:
    """Years from ``now`` until each certificate's notAfter (0 when expired, NaN when not a certificate)."""
    from qrisk.risk.crqc import decimal_year

    ordinals = inp.assets["cert_not_after"].to_numpy(float)
    if not np.isfinite(ordinals).any():
        return np.full(len(ordinals), np.nan)
    return np.maximum(decimal_years(ordinals) - decimal_year(now), 0.0)
