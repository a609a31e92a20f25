"""Link physics: fibre and free-space loss budgets, and the receiver model the key-rate models use.

The detector model is gated and afterpulsing-free: in each gate a detector clicks with probability
``1 - (1 - p_dark) * exp(-eta * n)`` for ``n`` arriving photons on average, independently of earlier
gates (no afterpulsing, no dead time), as in Ma, Qi, Zhao, Lo, PRA 72, 012326 (2005).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from qrisk.errors import InputError
from qrisk.model import QkdLink
from qrisk.qkd.params import Hardware, qkd_catalog

EARTH_RADIUS_KM = 6371.0  # IUGG mean Earth radius


class ParameterError(InputError):
    """A physical parameter is out of range; ``parameter`` names it (``detector_efficiency``…)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.detail = message


def _check(name: str, value: float | None, lo: float, hi: float, *, lo_open: bool = False,
           hi_open: bool = False) -> None:
    if value is None:
        return
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        raise ParameterError(name, f"must be a number (got {value!r})")
    below = value <= lo if lo_open else value < lo
    above = value >= hi if hi_open else value > hi
    if below or above:
        lb = "(" if lo_open else "["
        rb = ")" if hi_open else "]"
        raise ParameterError(name, f"must be in {lb}{lo:g}, {hi:g}{rb} (got {value:g})")


def fibre_preset(name: str) -> float:
    """Attenuation in dB/km of a named fibre preset (``standard``, ``ultra-low-loss``…)."""
    presets = qkd_catalog().fibre_presets
    if name not in presets:
        raise ParameterError("fibre", f"unknown fibre preset {name!r} (known: {', '.join(sorted(presets))})")
    return presets[name].loss_db_per_km


def db_to_transmittance(loss_db: float) -> float:
    """``10^(-loss/10)``."""
    return 10.0 ** (-loss_db / 10.0)


def transmittance_to_db(transmittance: float) -> float:
    return -10.0 * math.log10(transmittance)


@dataclass(frozen=True)
class Channel:
    """One QKD link: the optical channel plus the receiver and post-processing figures.

    ``channel_transmittance`` is what an eavesdropper may control (fibre, connectors, free
    space); the detector efficiency is inside Bob's trusted lab and multiplies it for the
    detection models. The PLOB bound is taken on the channel transmittance.
    """

    length_km: float = 0.0
    """Fibre length (for TF-QKD: Alice to Bob, with the relay in the middle)."""
    loss_db_per_km: float = 0.2
    extra_loss_db: float = 0.0
    """Connector, splice and insertion losses on top of the fibre."""
    total_loss_db: float | None = None
    """When set, the whole channel loss in dB (replaces fibre + extra loss)."""
    detector_efficiency: float = 0.2
    """Detection efficiency including Bob's internal optical loss (homodyne efficiency for CV)."""
    dark_count_prob: float = 1e-6
    """Dark-count (plus background) probability per gate, all detectors together (Y0)."""
    misalignment: float = 0.01
    """Probability that a photon hits the wrong detector (optical misalignment, e_det)."""
    ec_efficiency: float = 1.16
    """Error-correction inefficiency f >= 1: leaked bits = f * n * H2(QBER)."""
    rep_rate_hz: float = 1e9
    """Pulse (or CV symbol) repetition rate."""
    excess_noise_snu: float = 0.01
    """CV only: excess noise referred to the channel input, shot-noise units."""
    electronic_noise_snu: float = 0.1
    """CV only: trusted electronic noise of the homodyne/heterodyne detector, shot-noise units."""
    reconciliation_efficiency: float = 0.95
    """CV only: beta, the fraction of I_AB kept by reverse reconciliation."""
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _check("length_km", self.length_km, 0.0, 1e6)
        _check("loss_db_per_km", self.loss_db_per_km, 0.0, 10.0)
        _check("extra_loss_db", self.extra_loss_db, 0.0, 1000.0)
        _check("total_loss_db", self.total_loss_db, 0.0, 1000.0)
        _check("detector_efficiency", self.detector_efficiency, 0.0, 1.0, lo_open=True)
        _check("dark_count_prob", self.dark_count_prob, 0.0, 1.0, hi_open=True)
        _check("misalignment", self.misalignment, 0.0, 0.5)
        _check("ec_efficiency", self.ec_efficiency, 1.0, 10.0)
        _check("rep_rate_hz", self.rep_rate_hz, 0.0, 1e13, lo_open=True)
        _check("excess_noise_snu", self.excess_noise_snu, 0.0, 10.0)
        _check("electronic_noise_snu", self.electronic_noise_snu, 0.0, 100.0)
        _check("reconciliation_efficiency", self.reconciliation_efficiency, 0.0, 1.0, lo_open=True)

    # ----------------------------------------------------------------- loss budget

    @property
    def channel_loss_db(self) -> float:
        """Loss between the two ends (fibre + extra, or the given total)."""
        if self.total_loss_db is not None:
            return self.total_loss_db
        return self.length_km * self.loss_db_per_km + self.extra_loss_db

    @property
    def channel_transmittance(self) -> float:
        """eta_channel = 10^(-loss/10)."""
        return db_to_transmittance(self.channel_loss_db)

    @property
    def transmittance(self) -> float:
        """eta = eta_channel * eta_detector, the overall detection probability of one photon."""
        return self.channel_transmittance * self.detector_efficiency

    def with_length(self, length_km: float) -> Channel:
        """The same hardware over another fibre length (``total_loss_db`` is dropped)."""
        return replace(self, length_km=length_km, total_loss_db=None)

    # ----------------------------------------------------------------- builders

    @classmethod
    def from_hardware(cls, hw: Hardware, **overrides: Any) -> Channel:
        """A channel with a catalog hardware set's figures, then ``overrides`` (None = keep)."""
        values: dict[str, Any] = {
            "loss_db_per_km": hw.loss_db_per_km,
            "detector_efficiency": hw.detector_efficiency,
            "dark_count_prob": hw.dark_count_prob,
            "misalignment": hw.misalignment,
            "ec_efficiency": hw.ec_efficiency,
            "rep_rate_hz": hw.rep_rate_hz,
        }
        for name in ("excess_noise_snu", "electronic_noise_snu", "reconciliation_efficiency"):
            v = getattr(hw, name)
            if v is not None:
                values[name] = v
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def for_protocol(cls, protocol: str, *, hardware: str | None = None, **overrides: Any) -> Channel:
        """A channel with the protocol's default hardware set (or the named one) and overrides."""
        cat = qkd_catalog()
        if hardware is not None:
            if hardware not in cat.hardware:
                raise ParameterError(
                    "hardware", f"unknown hardware set {hardware!r} (known: {', '.join(sorted(cat.hardware))})"
                )
            hw = cat.hardware[hardware]
        else:
            if protocol not in cat.protocols:
                raise ParameterError(
                    "protocol", f"unknown protocol {protocol!r} (known: {', '.join(sorted(cat.protocols))})"
                )
            hw = cat.hardware_for(protocol)
        return cls.from_hardware(hw, **overrides)

    @classmethod
    def from_link(cls, link: QkdLink) -> Channel:
        """The channel of a manifest link: unset hardware fields take the protocol's defaults.

        For ``cv-gg02`` a link's ``ec_efficiency`` f is read as the reconciliation efficiency
        beta = 1/f (the manifest keeps one field, f >= 1, for both families).
        """
        overrides: dict[str, Any] = {
            "length_km": link.length_km,
            "loss_db_per_km": link.loss_db_per_km,
            "extra_loss_db": link.extra_loss_db,
            "detector_efficiency": link.detector_efficiency,
            "dark_count_prob": link.dark_count_prob,
            "misalignment": link.misalignment,
            "rep_rate_hz": link.rep_rate_hz,
            "label": link.id,
        }
        if link.protocol == "cv-gg02":
            if link.ec_efficiency is not None:
                overrides["reconciliation_efficiency"] = 1.0 / link.ec_efficiency
        else:
            overrides["ec_efficiency"] = link.ec_efficiency
        return cls.for_protocol(link.protocol, **overrides)


# --------------------------------------------------------------------------- free space


@dataclass(frozen=True)
class FreeSpaceDownlink:
    """A satellite-to-ground (or any free-space) downlink with an explicit loss budget.

    Loss terms (Bourgoin et al., NJP 15, 023006 (2013) style): geometric loss of a Gaussian beam
    of far-field half-angle divergence ``divergence_urad`` (broadened by pointing jitter) caught
    by the receiver aperture, atmospheric extinction ``T_zenith^(1/sin(elevation))``, and a fixed
    receiver-optics loss. The slant range follows from the orbit altitude and elevation.
    """

    altitude_km: float
    tx_aperture_m: float
    rx_aperture_m: float
    divergence_urad: float
    pointing_jitter_urad: float
    atmosphere_zenith_transmittance: float
    rx_optics_loss_db: float
    wavelength_nm: float = 850.0
    detector_efficiency: float = 0.5
    background_prob: float = 1e-6
    misalignment: float = 0.01
    ec_efficiency: float = 1.16
    rep_rate_hz: float = 1e8

    def __post_init__(self) -> None:
        _check("altitude_km", self.altitude_km, 0.0, 1e6, lo_open=True)
        _check("rx_aperture_m", self.rx_aperture_m, 0.0, 100.0, lo_open=True)
        _check("tx_aperture_m", self.tx_aperture_m, 0.0, 100.0, lo_open=True)
        _check("divergence_urad", self.divergence_urad, 0.0, 1e6, lo_open=True)
        _check("pointing_jitter_urad", self.pointing_jitter_urad, 0.0, 1e6)
        _check("atmosphere_zenith_transmittance", self.atmosphere_zenith_transmittance, 0.0, 1.0, lo_open=True)
        _check("rx_optics_loss_db", self.rx_optics_loss_db, 0.0, 1000.0)
        _check("detector_efficiency", self.detector_efficiency, 0.0, 1.0, lo_open=True)
        _check("background_prob", self.background_prob, 0.0, 1.0, hi_open=True)

    @classmethod
    def micius_like(cls, **overrides: Any) -> FreeSpaceDownlink:
        """The catalog's satellite defaults (a Micius-class downlink), with overrides."""
        s = qkd_catalog().satellite
        values = s.model_dump(exclude={"source"})
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def slant_range_km(self, elevation_deg: float) -> float:
        """Distance satellite-ground at an elevation angle (spherical Earth)."""
        _check("elevation_deg", elevation_deg, 0.0, 90.0, lo_open=True)
        e = math.radians(elevation_deg)
        r, h = EARTH_RADIUS_KM, self.altitude_km
        return math.sqrt((r + h) ** 2 - (r * math.cos(e)) ** 2) - r * math.sin(e)

    def geometric_loss_db(self, elevation_deg: float) -> float:
        """Fraction of a Gaussian beam caught by the receiver: 1 - exp(-2 a^2 / w^2)."""
        range_m = self.slant_range_km(elevation_deg) * 1e3
        theta = math.hypot(self.divergence_urad, self.pointing_jitter_urad) * 1e-6
        w = self.tx_aperture_m / 2.0 + range_m * theta  # beam radius at the receiver
        a = self.rx_aperture_m / 2.0
        captured = 1.0 - math.exp(-2.0 * a * a / (w * w))
        return transmittance_to_db(captured)

    def atmosphere_loss_db(self, elevation_deg: float) -> float:
        """Extinction scales with air mass ~ 1/sin(elevation) (plane-parallel atmosphere)."""
        airmass = 1.0 / math.sin(math.radians(elevation_deg))
        return transmittance_to_db(self.atmosphere_zenith_transmittance**airmass)

    def loss_db(self, elevation_deg: float) -> float:
        """Total channel loss: geometric + atmosphere + receiver optics."""
        return self.geometric_loss_db(elevation_deg) + self.atmosphere_loss_db(elevation_deg) + self.rx_optics_loss_db

    def channel(self, elevation_deg: float) -> Channel:
        """The equivalent :class:`Channel` at one elevation, for the key-rate models."""
        return Channel(
            length_km=self.slant_range_km(elevation_deg),
            total_loss_db=self.loss_db(elevation_deg),
            detector_efficiency=self.detector_efficiency,
            dark_count_prob=self.background_prob,
            misalignment=self.misalignment,
            ec_efficiency=self.ec_efficiency,
            rep_rate_hz=self.rep_rate_hz,
            label=f"downlink@{elevation_deg:g}deg",
        )
