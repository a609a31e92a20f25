"""Loads ``qrisk/catalog/qkd.yaml``: fibre presets, hardware sets, protocol defaults, validation points.

Every parameter set names its source; code asks this module instead of hard-coding figures.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qrisk.catalog import safe_load as fast_yaml

QKD_CATALOG_SCHEMA = "qrisk.catalog.qkd/1"


class QkdCatalogError(RuntimeError):
    """``qkd.yaml`` is malformed (a bug in the shipped data)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Sourced(_Strict):
    source: str

    @field_validator("source")
    @classmethod
    def _source_present(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("every QKD catalog entry must name its source")
        return v


class FibrePreset(_Sourced):
    """A fibre type: attenuation at 1550 nm."""

    loss_db_per_km: float = Field(ge=0, le=10)


class Hardware(_Sourced):
    """Receiver, source and post-processing figures of a named system class."""

    loss_db_per_km: float = Field(ge=0, le=10)
    detector_efficiency: float = Field(gt=0, le=1)
    dark_count_prob: float = Field(default=0.0, ge=0, lt=1)
    misalignment: float = Field(default=0.0, ge=0, le=0.5)
    ec_efficiency: float = Field(default=1.16, ge=1, le=10)
    rep_rate_hz: float = Field(gt=0)
    excess_noise_snu: float | None = Field(default=None, ge=0)
    electronic_noise_snu: float | None = Field(default=None, ge=0)
    reconciliation_efficiency: float | None = Field(default=None, gt=0, le=1)


class ProtocolDefaults(_Sourced):
    """Which hardware set and protocol options a protocol uses by default."""

    hardware: str
    basis_bias: float | None = Field(default=None, ge=0.5, lt=1)
    weak_decoy_mu: float | None = Field(default=None, gt=0, lt=1)
    decoys: Literal["infinite", "vacuum-weak"] | None = None
    detection: Literal["homodyne", "heterodyne"] | None = None


class FiniteKeyDefaults(_Sourced):
    """Security parameters and decoy settings for the finite-key bound (Lim et al. 2014)."""

    epsilon_sec: float = Field(gt=0, lt=1)
    epsilon_cor: float = Field(gt=0, lt=1)
    signal_prob: float = Field(gt=0, lt=1)
    weak_prob: float = Field(gt=0, lt=1)
    vacuum_prob: float = Field(gt=0, lt=1)
    weak_decoy_mu: float = Field(gt=0, lt=1)
    vacuum_mu: float = Field(ge=0, lt=1)


class SimulationDefaults(_Sourced):
    """Settings of the pulse-level Monte Carlo."""

    signal_mu: float = Field(gt=0, lt=2)
    basis_bias: float = Field(ge=0.5, lt=1)
    cascade_passes: int = Field(ge=1, le=16)


class SecurityDefaults(_Strict):
    abort_qber: float = Field(gt=0, lt=0.5)
    abort_qber_source: str


class SatelliteDefaults(_Sourced):
    """Loss-budget inputs of a satellite-to-ground downlink."""

    altitude_km: float = Field(gt=0)
    wavelength_nm: float = Field(gt=0)
    tx_aperture_m: float = Field(gt=0)
    rx_aperture_m: float = Field(gt=0)
    divergence_urad: float = Field(gt=0)
    pointing_jitter_urad: float = Field(ge=0)
    atmosphere_zenith_transmittance: float = Field(gt=0, le=1)
    rx_optics_loss_db: float = Field(ge=0)
    detector_efficiency: float = Field(gt=0, le=1)
    background_prob: float = Field(ge=0, lt=1)
    misalignment: float = Field(ge=0, le=0.5)
    ec_efficiency: float = Field(ge=1)
    rep_rate_hz: float = Field(gt=0)


class ModelPoint(BaseModel):
    """A value computed from the published formulas that the models must reproduce."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    kind: Literal["rate_per_pulse", "max_distance_km", "plob"]
    expected: float
    rel_tol: float = Field(gt=0, lt=1)
    source: str

    def params(self) -> dict[str, Any]:
        """The extra (model-input) fields of the point."""
        return dict(self.model_extra or {})


class Experiment(BaseModel):
    """A published experiment with the parameters it states and the rate it reported."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    work: str
    protocol: str
    factor: float = Field(gt=1)
    reported_bps: float | None = None
    reported_bits_per_pulse: float | None = None
    source: str

    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class _Validation(_Strict):
    model_points: list[ModelPoint]
    experiments: list[Experiment]


class _QkdFile(_Strict):
    schema_: str = Field(alias="schema")
    fibre_presets: dict[str, FibrePreset]
    hardware: dict[str, Hardware]
    protocols: dict[str, ProtocolDefaults]
    finite_key: FiniteKeyDefaults
    simulation: SimulationDefaults
    security: SecurityDefaults
    satellite: SatelliteDefaults
    validation: _Validation


@dataclass(frozen=True)
class QkdCatalog:
    """The parsed QKD catalog."""

    fibre_presets: dict[str, FibrePreset]
    hardware: dict[str, Hardware]
    protocols: dict[str, ProtocolDefaults]
    finite_key: FiniteKeyDefaults
    simulation: SimulationDefaults
    security: SecurityDefaults
    satellite: SatelliteDefaults
    model_points: tuple[ModelPoint, ...]
    experiments: tuple[Experiment, ...]

    def hardware_for(self, protocol: str) -> Hardware:
        """The default hardware set of a protocol."""
        return self.hardware[self.protocols[protocol].hardware]


def parse_qkd_catalog(data: Any) -> QkdCatalog:
    """Validate an already-parsed ``qkd.yaml`` document."""
    try:
        doc = _QkdFile.model_validate(data)
    except ValidationError as exc:
        raise QkdCatalogError(f"QKD catalog is malformed: {exc}") from None
    if doc.schema_.split("/")[0] != QKD_CATALOG_SCHEMA.split("/")[0]:
        raise QkdCatalogError(f"unexpected QKD catalog schema {doc.schema_!r}")
    for name, proto in doc.protocols.items():
        if proto.hardware not in doc.hardware:
            raise QkdCatalogError(f"protocol {name!r} names unknown hardware set {proto.hardware!r}")
    fk = doc.finite_key
    if abs(fk.signal_prob + fk.weak_prob + fk.vacuum_prob - 1.0) > 1e-9:
        raise QkdCatalogError("finite_key: signal_prob + weak_prob + vacuum_prob must be 1")
    return QkdCatalog(
        fibre_presets=doc.fibre_presets,
        hardware=doc.hardware,
        protocols=doc.protocols,
        finite_key=doc.finite_key,
        simulation=doc.simulation,
        security=doc.security,
        satellite=doc.satellite,
        model_points=tuple(doc.validation.model_points),
        experiments=tuple(doc.validation.experiments),
    )


@functools.cache
def qkd_catalog() -> QkdCatalog:
    """The shipped QKD catalog (cached)."""
    text = resources.files("qrisk.catalog").joinpath("qkd.yaml").read_text(encoding="utf-8")
    return parse_qkd_catalog(fast_yaml(text))
