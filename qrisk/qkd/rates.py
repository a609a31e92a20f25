"""Secret-key-rate models (asymptotic and finite-size) and the PLOB bound, per pulse and per second.

Models, all with the signal intensity (or modulation variance) optimised per distance:

* decoy-state BB84 with infinitely many decoys and with vacuum + weak decoy
  (Lo, Ma, Chen, PRL 94, 230504 (2005); Ma, Qi, Zhao, Lo, PRA 72, 012326 (2005));
* efficient BB84 with biased bases (Lo, Chau, Ardehali, J. Cryptol. 18, 133 (2005));
* BB84 without decoys, GLLP (Gottesman, Lo, Lutkenhaus, Preskill, QIC 4, 325 (2004));
* sending-or-not-sending twin-field QKD, infinite-decoy limit (Wang, Yu, Hu, PRA 98, 062323 (2018));
* CV-QKD GG02 with reverse reconciliation, homodyne or heterodyne, trusted detector noise
  (Grosshans, Grangier, PRL 88, 057902 (2002); Lodewyck et al., PRA 76, 042305 (2007));
* the repeaterless bound -log2(1 - eta) (Pirandola, Laurenza, Ottaviani, Banchi, Nat. Commun. 8,
  15043 (2017)).

Finite size: decoy BB84 uses the bound of Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307 (2014);
the other protocols subtract the simpler penalty 7*sqrt(log2(2/eps)/n) + (2/n)*log2(1/eps) per
sifted bit or symbol (Scarani, Renner, PRL 100, 200501 (2008); Leverrier, Grosshans, Grangier,
PRA 81, 062343 (2010)).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, assert_never

import numpy as np
from scipy import optimize, special

from qrisk.model import to_dict
from qrisk.qkd.channel import Channel, ParameterError
from qrisk.qkd.params import qkd_catalog

E0 = 0.5
"""Error rate of a background (dark) count: a random bit."""


class Protocol(enum.StrEnum):
    """Key-rate models qrisk knows."""

    DECOY_BB84 = "decoy-bb84"
    EFFICIENT_BB84 = "efficient-bb84"
    BB84_NO_DECOY = "bb84-no-decoy"
    TF_QKD = "tf-qkd"
    CV_GG02 = "cv-gg02"

    @property
    def repeaterless(self) -> bool:
        """Point-to-point protocols, bound by PLOB; TF-QKD has a middle node and may beat it."""
        return self is not Protocol.TF_QKD


class DecoyMethod(enum.StrEnum):
    INFINITE = "infinite"
    """Idealised: infinitely many decoy intensities give Y1 and e1 exactly."""
    VACUUM_WEAK = "vacuum-weak"
    """Vacuum + one weak decoy (Ma, Qi, Zhao, Lo 2005, Eqs. for Y1^L and e1^U)."""


class CvDetection(enum.StrEnum):
    HOMODYNE = "homodyne"
    HETERODYNE = "heterodyne"


def parse_protocol(name: str) -> Protocol:
    try:
        return Protocol(name)
    except ValueError:
        known = ", ".join(p.value for p in Protocol)
        raise ParameterError("protocol", f"unknown protocol {name!r} (known: {known})") from None


# --------------------------------------------------------------------------- helpers


def h2(x: Any) -> Any:
    """Binary entropy in bits (0 at 0 and 1; x clipped to [0, 1])."""
    x = np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -x * np.log2(np.where(x > 0, x, 1.0)) - (1 - x) * np.log2(np.where(x < 1, 1 - x, 1.0))
    return out if out.ndim else float(out)


def plob_bound(transmittance: float) -> float:
    """Repeaterless secret-key capacity -log2(1 - eta) bits per channel use (PLOB 2017)."""
    if not 0.0 <= transmittance <= 1.0:
        raise ParameterError("transmittance", f"must be in [0, 1] (got {transmittance:g})")
    if transmittance >= 1.0:
        return math.inf
    return -math.log1p(-transmittance) / math.log(2.0)


def _optimise_1d(fn: Callable[[np.ndarray], np.ndarray], lo: float, hi: float, points: int = 96) -> tuple[float, float]:
    """Maximise ``fn`` over [lo, hi] on a log grid, then refine with bounded Brent."""
    grid = np.geomspace(lo, hi, points)
    values = fn(grid)
    i = int(np.nanargmax(values))
    best_x, best_v = float(grid[i]), float(values[i])
    a = float(grid[max(i - 1, 0)])
    b = float(grid[min(i + 1, points - 1)])
    if b > a:
        res = optimize.minimize_scalar(
            lambda x: -float(fn(np.array([x]))[0]), bounds=(a, b), method="bounded",
            options={"xatol": max(a * 1e-6, 1e-12)},
        )
        if res.success and -res.fun > best_v:
            best_x, best_v = float(res.x), float(-res.fun)
    return best_v, best_x


# --------------------------------------------------------------------------- DV models


def _gain_and_errors(eta: float, mu: np.ndarray, ch: Channel) -> tuple[np.ndarray, np.ndarray]:
    """Gain Q_mu and error gain E_mu*Q_mu (Ma et al. 2005, Eqs. (2)-(3))."""
    y0 = ch.dark_count_prob
    signal = -np.expm1(-eta * mu)
    q = y0 + signal
    eq = E0 * y0 + ch.misalignment * signal
    return q, eq


def _single_photon_infinite(eta: float, mu: np.ndarray, ch: Channel) -> tuple[np.ndarray, np.ndarray]:
    """Q1 and e1 known exactly (infinite decoys)."""
    y0 = ch.dark_count_prob
    y1 = y0 + eta - y0 * eta
    e1 = (E0 * y0 + ch.misalignment * eta) / y1
    return y1 * mu * np.exp(-mu), np.broadcast_to(e1, mu.shape)


def _single_photon_vacuum_weak(eta: float, mu: np.ndarray, nu: float, ch: Channel) -> tuple[np.ndarray, np.ndarray]:
    """Lower bound Q1^L and upper bound e1^U from vacuum + weak decoy nu (Ma et al. 2005)."""
    y0 = ch.dark_count_prob
    q_mu, _ = _gain_and_errors(eta, mu, ch)
    q_nu, eq_nu = _gain_and_errors(eta, np.array([nu]), ch)
    y1_l = mu / (mu * nu - nu**2) * (
        q_nu * math.exp(nu) - q_mu * np.exp(mu) * nu**2 / mu**2 - (mu**2 - nu**2) / mu**2 * y0
    )
    y1_l = np.maximum(y1_l, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        e1_u = np.where(y1_l > 0, (eq_nu * math.exp(nu) - E0 * y0) / (y1_l * nu), 0.5)
    return y1_l * mu * np.exp(-mu), np.clip(e1_u, 0.0, 0.5)


def _sifting(protocol: Protocol, basis_bias: float) -> float:
    """Fraction of detections kept: both bases carry key, each with its own error estimate
    (Lo, Chau, Ardehali 2005); 1/2 for standard BB84, -> 1 as the bias -> 1."""
    match protocol:
        case Protocol.DECOY_BB84 | Protocol.BB84_NO_DECOY | Protocol.EFFICIENT_BB84:
            return basis_bias**2 + (1.0 - basis_bias) ** 2
        case Protocol.TF_QKD | Protocol.CV_GG02:
            return 1.0
        case _:
            assert_never(protocol)


def _decoy_rate(mu: np.ndarray, ch: Channel, decoys: DecoyMethod, nu: float, sift: float) -> np.ndarray:
    eta = ch.transmittance
    q, eq = _gain_and_errors(eta, mu, ch)
    e = eq / q
    match decoys:
        case DecoyMethod.INFINITE:
            q1, e1 = _single_photon_infinite(eta, mu, ch)
        case DecoyMethod.VACUUM_WEAK:
            q1, e1 = _single_photon_vacuum_weak(eta, mu, nu, ch)
        case _:
            assert_never(decoys)
    # GLLP with decoys: R = q{-Q f H2(E) + Q1 [1 - H2(e1)]} (Ma et al. 2005, Eq. (1))
    return sift * (q1 * (1.0 - h2(e1)) - q * ch.ec_efficiency * h2(e))


def _gllp_rate(mu: np.ndarray, ch: Channel, sift: float) -> np.ndarray:
    """No decoys: every multi-photon pulse is assumed detected and tagged (GLLP 2004)."""
    eta = ch.transmittance
    q, eq = _gain_and_errors(eta, mu, ch)
    e = eq / q
    p_multi = 1.0 - (1.0 + mu) * np.exp(-mu)
    q1 = q - p_multi
    with np.errstate(divide="ignore", invalid="ignore"):
        e1 = np.where(q1 > 0, eq / q1, 0.5)
    r = sift * (q1 * (1.0 - h2(np.clip(e1, 0, 0.5))) - q * ch.ec_efficiency * h2(e))
    return np.where(q1 > 0, r, -1.0)


# --------------------------------------------------------------------------- TF-QKD (SNS)


@dataclass(frozen=True)
class _SnsPoint:
    rate: np.ndarray
    gain: np.ndarray
    qber: np.ndarray


def _sns_rate(mu: np.ndarray, eps: np.ndarray, ch: Channel, aopp: bool = True) -> _SnsPoint:
    """Sending-or-not-sending TF-QKD, infinite decoys, symmetric arms (Wang, Yu, Hu 2018).

    Each side sends a phase-randomised coherent pulse mu with probability eps in the Z window.
    Effective event: exactly one of Charlie's two detectors clicks. Bit errors: both or neither
    sent. With ``aopp`` the better of plain SNS and SNS with actively-odd-parity pairing is
    taken (Xu, Yu, Jiang, Hu, Wang, PRA 101, 042330 (2020)), in a simplified asymptotic form:
    Bob pairs bits of opposite value, a pair survives when Alice's parity is odd too, its bit
    error is E0*E1/kept and its phase error 2*e1*(1-e1); only pairs of two untagged bits count.
    """
    arm = 10.0 ** (-ch.channel_loss_db / 20.0) * ch.detector_efficiency  # per-arm eta_s incl. detector
    pd = ch.dark_count_prob / 2.0  # per detector
    x = arm * mu
    none = 2.0 * pd * (1.0 - pd)
    one = 2.0 * (1.0 - pd) * np.exp(-x / 2.0) * (1.0 - (1.0 - pd) * np.exp(-x / 2.0))
    # both sent, random relative phase: E[e^{-x(1-cos t)}] = e^{-x} I0(x) = i0e(x)
    both = 2.0 * (1.0 - pd) * special.i0e(x) - 2.0 * (1.0 - pd) ** 2 * np.exp(-2.0 * x)
    n_bob0 = eps * (1 - eps) * one + (1 - eps) ** 2 * none  # Alice sent alone, or nobody (error)
    n_bob1 = eps * (1 - eps) * one + eps**2 * both  # Bob sent alone, or both (error)
    err0 = (1 - eps) ** 2 * none
    err1 = eps**2 * both
    s_z = n_bob0 + n_bob1
    e_z = (err0 + err1) / s_z
    s1 = arm * (1.0 - pd) + (1.0 - arm) * 2.0 * pd * (1.0 - pd)
    e1 = (ch.misalignment * arm * (1.0 - pd) + (1.0 - arm) * pd * (1.0 - pd)) / s1
    untagged_one_side = eps * (1.0 - eps) * mu * np.exp(-mu) * s1
    rate = 2.0 * untagged_one_side * (1.0 - h2(e1)) - ch.ec_efficiency * s_z * h2(e_z)
    if aopp:
        e0, e1b = err0 / n_bob0, err1 / n_bob1
        pairs = np.minimum(n_bob0, n_bob1)
        kept = (1 - e0) * (1 - e1b) + e0 * e1b
        both_untagged = (untagged_one_side / n_bob0) * (untagged_one_side / n_bob1)
        paired = pairs * (
            both_untagged * (1.0 - h2(2 * e1 * (1 - e1))) - kept * ch.ec_efficiency * h2(e0 * e1b / kept)
        )
        rate = np.maximum(rate, paired)
    return _SnsPoint(rate, s_z, e_z)


def _optimise_sns(ch: Channel, aopp: bool) -> tuple[float, float, float, float, float]:
    """Best (rate, mu, eps, gain, qber) over the intensity and the sending probability."""
    mus = np.geomspace(1e-3, 2.0, 64)
    epss = np.geomspace(1e-5, 0.5, 64)
    m, e = np.meshgrid(mus, epss)
    pt = _sns_rate(m, e, ch, aopp)
    i = np.unravel_index(int(np.nanargmax(pt.rate)), pt.rate.shape)
    x0 = np.log([m[i], e[i]])

    def neg(v: np.ndarray) -> float:
        mu_, eps_ = np.exp(v)
        if not (1e-4 < mu_ < 5 and 1e-7 < eps_ < 0.5):
            return 1.0
        return -float(_sns_rate(np.array(mu_), np.array(eps_), ch, aopp).rate)

    res = optimize.minimize(neg, x0, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-30, "maxiter": 400})
    mu_b, eps_b = (np.exp(res.x) if -res.fun > pt.rate[i] else (m[i], e[i]))
    best = _sns_rate(np.array(mu_b), np.array(eps_b), ch, aopp)
    return float(best.rate), float(mu_b), float(eps_b), float(best.gain), float(best.qber)


# --------------------------------------------------------------------------- CV-QKD (GG02)


GG02_MIN_TRANSMITTANCE = 1e-11


def _g(x: np.ndarray) -> np.ndarray:
    """Von Neumann entropy of a thermal state with mean photon number x: (x+1)log2(x+1) - x log2 x."""
    x = np.maximum(x, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 1e-300, (x + 1) * np.log2(x + 1) - x * np.log2(np.where(x > 0, x, 1.0)), 0.0)


def gg02_rate(
    modulation_variance_snu: Any,
    transmittance: float,
    *,
    excess_noise_snu: float,
    detector_efficiency: float,
    electronic_noise_snu: float,
    reconciliation_efficiency: float,
    detection: CvDetection = CvDetection.HOMODYNE,
) -> Any:
    """K = beta I_AB - chi_BE bits per symbol, reverse reconciliation, collective attacks,
    trusted detector noise (Lodewyck et al. 2007; heterodyne terms from Fossier et al. 2009)."""
    va = np.asarray(modulation_variance_snu, dtype=float)
    t = transmittance
    if t < GG02_MIN_TRANSMITTANCE:
        # Beyond 110 dB the eigenvalue differences fall below double precision (the rate
        # drifted above PLOB at 115 dB in a property test); CV systems stop near 20 dB anyway.
        return np.zeros_like(va)
    v = va + 1.0
    eta, vel = detector_efficiency, electronic_noise_snu
    chi_line = 1.0 / t - 1.0 + excess_noise_snu
    match detection:
        case CvDetection.HOMODYNE:
            chi_det = (1.0 - eta + vel) / eta
            mi_factor = 0.5
        case CvDetection.HETERODYNE:
            chi_det = (1.0 + (1.0 - eta) + 2.0 * vel) / eta
            mi_factor = 1.0
        case _:
            assert_never(detection)
    chi_tot = chi_line + chi_det / t
    i_ab = mi_factor * np.log2((v + chi_tot) / (1.0 + chi_tot))
    a = v**2 * (1 - 2 * t) + 2 * t + t**2 * (v + chi_line) ** 2
    b = t**2 * (v * chi_line + 1) ** 2
    disc = np.sqrt(np.maximum(a**2 - 4 * b, 0.0))
    l1 = np.sqrt((a + disc) / 2)
    l2 = np.sqrt(np.maximum((a - disc) / 2, 0.0))
    sb = np.sqrt(b)
    match detection:
        case CvDetection.HOMODYNE:
            c = (v * sb + t * (v + chi_line) + a * chi_det) / (t * (v + chi_tot))
            d = sb * (v + sb * chi_det) / (t * (v + chi_tot))
        case CvDetection.HETERODYNE:
            c = (a * chi_det**2 + b + 1 + 2 * chi_det * (v * sb + t * (v + chi_line)) + 2 * t * (v**2 - 1)) / (
                t * (v + chi_tot)
            ) ** 2
            d = ((v + sb * chi_det) / (t * (v + chi_tot))) ** 2
        case _:
            assert_never(detection)
    disc2 = np.sqrt(np.maximum(c**2 - 4 * d, 0.0))
    l3 = np.sqrt((c + disc2) / 2)
    l4 = np.sqrt(np.maximum((c - disc2) / 2, 0.0))
    chi_be = _g((l1 - 1) / 2) + _g((l2 - 1) / 2) - _g((l3 - 1) / 2) - _g((l4 - 1) / 2)
    k = reconciliation_efficiency * i_ab - chi_be
    # The eigenvalues come from differences of terms that grow like V^2; in double precision a
    # key below ~1e-9 of the terms' size is rounding noise (it exceeded PLOB at ~115 dB loss
    # in a property test), so report no key there. Real CV systems stop near 100 km anyway.
    # Absolute error grows with V^2 (the a^2 - 4b cancellation), hence the second term.
    noise = 1e-9 * (np.abs(i_ab) + np.abs(chi_be)) + 1e-13 * v**2 + 1e-300
    return np.where(k > noise, k, np.minimum(k, 0.0))


# --------------------------------------------------------------------------- finite key (Lim 2014)


@dataclass(frozen=True)
class FiniteKey:
    """Finite-size option: a block of ``block_pulses`` sent pulses (or CV symbols), composable epsilons."""

    block_pulses: float
    epsilon_sec: float = 1e-10
    epsilon_cor: float = 1e-15

    def __post_init__(self) -> None:
        if not self.block_pulses >= 1:
            raise ParameterError("block_pulses", f"must be at least 1 (got {self.block_pulses:g})")
        for name in ("epsilon_sec", "epsilon_cor"):
            v = getattr(self, name)
            if not 0 < v < 1:
                raise ParameterError(name, f"must be in (0, 1) (got {v:g})")

    @classmethod
    def default(cls, block_pulses: float, epsilon_sec: float | None = None) -> FiniteKey:
        fk = qkd_catalog().finite_key
        return cls(block_pulses, epsilon_sec if epsilon_sec is not None else fk.epsilon_sec, fk.epsilon_cor)


@dataclass(frozen=True)
class DecoyCounts:
    """Observed (or expected) detections per intensity in the key basis Z and the test basis X."""

    intensities: tuple[float, float, float]
    """mu1 > mu2 + mu3, mu2 > mu3 >= 0 (signal, weak decoy, vacuum-like decoy)."""
    probabilities: tuple[float, float, float]
    n_z: tuple[float, float, float]
    n_x: tuple[float, float, float]
    m_x: tuple[float, float, float]
    """Bit errors in the X basis, per intensity."""


@dataclass(frozen=True)
class LimBound:
    """Lim et al. 2014 estimates and the resulting secret key length."""

    s_z0_lower: float
    s_z1_lower: float
    s_x1_lower: float
    v_x1_upper: float
    phase_error_upper: float
    key_length_bits: float
    """Before flooring; <= 0 means no key."""


def _gamma(a: float, b: float, c: float, d: float) -> float:
    """Serfling-type term gamma(a, b, c, d) of Lim et al. 2014, Eq. (5)."""
    if c <= 0 or d <= 0 or not 0 < b < 1:
        return math.inf if b < 0.5 else 0.0
    inner = (c + d) / (c * d * (1 - b) * b) * (21.0**2) / (a**2)
    return math.sqrt((c + d) * (1 - b) * b / (c * d * math.log(2.0)) * math.log2(inner))


def lim2014_bound(counts: DecoyCounts, *, leak_ec_bits: float, epsilon_sec: float, epsilon_cor: float) -> LimBound:
    """Secret key length of decoy BB84 with three intensities (Lim et al., PRA 89, 022307 (2014), Eqs. (1)-(5))."""
    mu1, mu2, mu3 = counts.intensities
    p = counts.probabilities
    if not (mu1 > mu2 + mu3 and mu2 > mu3 >= 0):
        raise ParameterError("intensities", "need mu1 > mu2 + mu3 and mu2 > mu3 >= 0")
    ln_term = math.log(21.0 / epsilon_sec)

    def bounds(n: tuple[float, float, float]) -> tuple[list[float], list[float]]:
        total = sum(n)
        delta = math.sqrt(total / 2.0 * ln_term)
        lo = [math.exp(mu) / pk * (nk - delta) for mu, pk, nk in zip((mu1, mu2, mu3), p, n, strict=True)]
        hi = [math.exp(mu) / pk * (nk + delta) for mu, pk, nk in zip((mu1, mu2, mu3), p, n, strict=True)]
        return lo, hi

    def tau(k: int) -> float:
        return sum(math.exp(-mu) * mu**k * pk / math.factorial(k) for mu, pk in zip((mu1, mu2, mu3), p, strict=True))

    def s0_s1(n: tuple[float, float, float]) -> tuple[float, float]:
        lo, hi = bounds(n)
        s0 = tau(0) * (mu2 * lo[2] - mu3 * hi[1]) / (mu2 - mu3)
        s0 = max(s0, 0.0)
        s1 = (
            tau(1) * mu1 * (lo[1] - hi[2] - (mu2**2 - mu3**2) / mu1**2 * (hi[0] - s0 / tau(0)))
            / (mu1 * (mu2 - mu3) - mu2**2 + mu3**2)
        )
        return s0, max(s1, 0.0)

    s_z0, s_z1 = s0_s1(counts.n_z)
    _, s_x1 = s0_s1(counts.n_x)
    mlo, mhi = bounds(counts.m_x)
    v_x1 = tau(1) * (mhi[1] - mlo[2]) / (mu2 - mu3)
    v_x1 = max(v_x1, 0.0)
    if s_x1 <= 0 or s_z1 <= 0:
        phi = 0.5
    else:
        ratio = min(v_x1 / s_x1, 0.5)
        phi = min(ratio + _gamma(epsilon_sec, max(ratio, 1e-12), s_z1, s_x1), 0.5)
    ell = (
        s_z0 + s_z1 * (1.0 - float(h2(phi))) - leak_ec_bits
        - 6.0 * math.log2(21.0 / epsilon_sec) - math.log2(2.0 / epsilon_cor)
    )
    return LimBound(s_z0, s_z1, s_x1, v_x1, phi, ell)


def expected_decoy_counts(
    ch: Channel, mu1: float, *, block_pulses: float, basis_bias: float,
    mu2: float, mu3: float, probabilities: tuple[float, float, float],
) -> tuple[DecoyCounts, float, float]:
    """Expected counts for N pulses; also returns (n_Z total, Z error rate)."""
    eta = ch.transmittance
    mus = np.array([mu1, mu2, mu3])
    q, eq = _gain_and_errors(eta, mus, ch)
    pz2 = basis_bias**2
    px2 = (1.0 - basis_bias) ** 2
    pk = np.array(probabilities)
    n_z = block_pulses * pk * pz2 * q
    n_x = block_pulses * pk * px2 * q
    m_x = block_pulses * pk * px2 * eq
    m_z = block_pulses * pk * pz2 * eq
    counts = DecoyCounts(
        (mu1, mu2, mu3), probabilities,
        tuple(float(v) for v in n_z), tuple(float(v) for v in n_x), tuple(float(v) for v in m_x),  # type: ignore[arg-type]
    )
    return counts, float(n_z.sum()), float(m_z.sum() / n_z.sum())


def _finite_decoy_rate(mu1: float, ch: Channel, fk: FiniteKey, basis_bias: float) -> float:
    cat = qkd_catalog().finite_key
    mu2, mu3 = cat.weak_decoy_mu, cat.vacuum_mu
    if mu1 <= mu2 + mu3:
        return -1.0
    counts, n_z, e_z = expected_decoy_counts(
        ch, mu1, block_pulses=fk.block_pulses, basis_bias=basis_bias, mu2=mu2, mu3=mu3,
        probabilities=(cat.signal_prob, cat.weak_prob, cat.vacuum_prob),
    )
    leak = ch.ec_efficiency * n_z * float(h2(e_z))
    bound = lim2014_bound(counts, leak_ec_bits=leak, epsilon_sec=fk.epsilon_sec, epsilon_cor=fk.epsilon_cor)
    return bound.key_length_bits / fk.block_pulses


def _optimise_finite_decoy(
    ch: Channel, fk: FiniteKey, bias: float, *, optimise_bias: bool, mu: float | None
) -> tuple[float, float, float]:
    """Best finite-key rate over mu1 (unless given) and, for efficient BB84, the basis bias."""
    cat = qkd_catalog().finite_key
    lo = cat.weak_decoy_mu + cat.vacuum_mu + 1e-3
    mus = np.array([mu]) if mu is not None else np.geomspace(lo, 1.5, 24)
    biases = np.linspace(0.5, 0.98, 17) if optimise_bias else np.array([bias])
    best = (-math.inf, float(mus[0]), float(biases[0]))
    for b in biases:
        for m in mus:
            r = _finite_decoy_rate(float(m), ch, fk, float(b))
            if r > best[0]:
                best = (r, float(m), float(b))
    if best[0] <= 0 or (mu is not None and not optimise_bias):
        return best
    x0 = np.array([best[1], best[2]])

    def neg(v: np.ndarray) -> float:
        m = float(v[0]) if mu is None else mu
        b = float(v[1]) if optimise_bias else bias
        if not (lo <= m <= 2.0 and 0.5 <= b < 0.999):
            return math.inf
        return -_finite_decoy_rate(m, ch, fk, b)

    res = optimize.minimize(neg, x0, method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-30, "maxiter": 300})
    if res.success and -res.fun > best[0]:
        m = float(res.x[0]) if mu is None else mu
        b = float(res.x[1]) if optimise_bias else bias
        return float(-res.fun), m, b
    return best


def simple_finite_penalty_bits(n: float, epsilon: float) -> float:
    """Delta(n) = 7 sqrt(log2(2/eps)/n) + (2/n) log2(1/eps) per bit/symbol (Leverrier et al. 2010)."""
    if n <= 0:
        return math.inf
    return 7.0 * math.sqrt(math.log2(2.0 / epsilon) / n) + 2.0 / n * math.log2(1.0 / epsilon)


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class KeyRate:
    """The secret key rate of one link under one protocol."""

    protocol: Protocol
    distance_km: float
    channel_loss_db: float
    channel_transmittance: float
    secret_key_rate_bits_per_pulse: float
    """Secret bits per sent pulse (per symbol for CV); 0 when no key can be made."""
    secret_key_rate_bps: float
    plob_bound_bits_per_pulse: float
    """-log2(1 - eta_channel): no repeaterless protocol exceeds it."""
    plob_bound_bps: float
    exceeds_plob: bool
    """Only possible for TF-QKD (a middle node)."""
    optimal_mu: float | None = None
    """Optimised signal intensity (mean photon number); None for CV."""
    send_probability: float | None = None
    """TF-QKD (SNS): optimised sending probability."""
    modulation_variance_snu: float | None = None
    """CV: optimised (or given) modulation variance V_A."""
    gain: float | None = None
    """Detection probability per signal pulse (effective events for TF)."""
    qber: float | None = None
    """Bit error rate of the signal (TF-QKD: of the Z window, before odd-parity pairing)."""
    decoys: DecoyMethod | None = None
    detection: CvDetection | None = None
    basis_bias: float | None = None
    finite_key: FiniteKey | None = None
    asymptotic_rate_bits_per_pulse: float | None = None
    """With a finite key: the asymptotic rate, for comparison."""
    channel: Channel | None = None

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]


def key_rate(
    protocol: Protocol | str,
    channel: Channel,
    *,
    decoys: DecoyMethod | str | None = None,
    weak_decoy_mu: float | None = None,
    basis_bias: float | None = None,
    detection: CvDetection | str | None = None,
    mu: float | None = None,
    modulation_variance_snu: float | None = None,
    finite_key: FiniteKey | None = None,
    aopp: bool = True,
) -> KeyRate:
    """Secret key rate of ``protocol`` over ``channel``; intensity optimised unless ``mu`` is given.

    ``aopp`` (TF-QKD only): allow actively-odd-parity pairing, as the distance records do.
    """
    proto = parse_protocol(protocol) if isinstance(protocol, str) else protocol
    defaults = qkd_catalog().protocols[proto.value]
    dec = DecoyMethod(decoys) if decoys is not None else DecoyMethod(defaults.decoys or "infinite")
    nu = weak_decoy_mu if weak_decoy_mu is not None else (defaults.weak_decoy_mu or 0.1)
    bias = basis_bias if basis_bias is not None else (defaults.basis_bias or 0.5)
    det = CvDetection(detection) if detection is not None else CvDetection(defaults.detection or "homodyne")
    if mu is not None and not 0 < mu < 50:
        raise ParameterError("mu", f"must be in (0, 50) (got {mu:g})")
    if not 0.5 <= bias < 1:
        raise ParameterError("basis_bias", f"must be in [0.5, 1) (got {bias:g})")
    if not 0 < nu < 1:
        raise ParameterError("weak_decoy_mu", f"must be in (0, 1) (got {nu:g})")

    eta_ch = channel.channel_transmittance
    plob = plob_bound(eta_ch)
    base: dict[str, Any] = {
        "protocol": proto,
        "distance_km": channel.length_km,
        "channel_loss_db": channel.channel_loss_db,
        "channel_transmittance": eta_ch,
        "plob_bound_bits_per_pulse": plob,
        "plob_bound_bps": plob * channel.rep_rate_hz,
        "finite_key": finite_key,
        "channel": channel,
    }
    sift = _sifting(proto, bias)
    extra: dict[str, Any] = {}
    match proto:
        case Protocol.DECOY_BB84 | Protocol.EFFICIENT_BB84:
            lo = nu * 1.0001 if dec is DecoyMethod.VACUUM_WEAK else 1e-4
            hi = 2.0

            def fn(m: np.ndarray) -> np.ndarray:
                return _decoy_rate(m, channel, dec, nu, sift)

            rate, best_mu = (float(fn(np.array([mu]))[0]), mu) if mu is not None else _optimise_1d(fn, lo, hi)
            q, eq = _gain_and_errors(channel.transmittance, np.array([best_mu]), channel)
            extra = {"optimal_mu": best_mu, "gain": float(q[0]), "qber": float(eq[0] / q[0]),
                     "decoys": dec, "basis_bias": bias}
            if finite_key is not None:
                asym = rate
                rate, best_mu, bias = _optimise_finite_decoy(
                    channel, finite_key, bias,
                    optimise_bias=proto is Protocol.EFFICIENT_BB84 and basis_bias is None, mu=mu,
                )
                q, eq = _gain_and_errors(channel.transmittance, np.array([best_mu]), channel)
                extra.update(optimal_mu=best_mu, gain=float(q[0]), qber=float(eq[0] / q[0]), basis_bias=bias,
                             asymptotic_rate_bits_per_pulse=max(asym, 0.0))
        case Protocol.BB84_NO_DECOY:

            def fn(m: np.ndarray) -> np.ndarray:
                return _gllp_rate(m, channel, sift)

            rate, best_mu = (float(fn(np.array([mu]))[0]), mu) if mu is not None else _optimise_1d(fn, 1e-7, 2.0, 160)
            q, eq = _gain_and_errors(channel.transmittance, np.array([best_mu]), channel)
            extra = {"optimal_mu": best_mu, "gain": float(q[0]), "qber": float(eq[0] / q[0]), "basis_bias": bias}
            if finite_key is not None:
                extra["asymptotic_rate_bits_per_pulse"] = max(rate, 0.0)
                n = finite_key.block_pulses * float(q[0]) * sift
                rate -= float(q[0]) * sift * simple_finite_penalty_bits(n, finite_key.epsilon_sec)
        case Protocol.TF_QKD:
            if mu is not None:
                epss = np.geomspace(1e-5, 0.5, 400)
                pt = _sns_rate(np.full_like(epss, mu), epss, channel, aopp)
                j = int(np.nanargmax(pt.rate))
                rate, best_mu, eps, gain, qber = float(pt.rate[j]), mu, float(epss[j]), float(pt.gain[j]), float(pt.qber[j])
            else:
                rate, best_mu, eps, gain, qber = _optimise_sns(channel, aopp)
            extra = {"optimal_mu": best_mu, "send_probability": eps, "gain": gain, "qber": qber}
            if finite_key is not None:
                extra["asymptotic_rate_bits_per_pulse"] = max(rate, 0.0)
                n = finite_key.block_pulses * gain
                rate -= gain * simple_finite_penalty_bits(n, finite_key.epsilon_sec)
        case Protocol.CV_GG02:

            def fn(v: np.ndarray) -> np.ndarray:
                return gg02_rate(
                    v, eta_ch, excess_noise_snu=channel.excess_noise_snu,
                    detector_efficiency=channel.detector_efficiency,
                    electronic_noise_snu=channel.electronic_noise_snu,
                    reconciliation_efficiency=channel.reconciliation_efficiency, detection=det,
                )

            if modulation_variance_snu is not None:
                if not 0 < modulation_variance_snu <= 1e4:
                    raise ParameterError("modulation_variance_snu", f"must be in (0, 1e4] (got {modulation_variance_snu:g})")
                rate, va = float(fn(np.array([modulation_variance_snu]))[0]), modulation_variance_snu
            else:
                rate, va = _optimise_1d(fn, 1e-2, 1e3, 120) if eta_ch > 0 else (0.0, 1.0)
            extra = {"modulation_variance_snu": va, "detection": det}
            if finite_key is not None:
                extra["asymptotic_rate_bits_per_pulse"] = max(rate, 0.0)
                rate -= simple_finite_penalty_bits(finite_key.block_pulses, finite_key.epsilon_sec)
        case _:
            assert_never(proto)
    rate = max(float(rate), 0.0) if math.isfinite(rate) else 0.0
    return KeyRate(
        **base,
        **extra,
        secret_key_rate_bits_per_pulse=rate,
        secret_key_rate_bps=rate * channel.rep_rate_hz,
        exceeds_plob=rate > plob,
    )


def max_distance_km(protocol: Protocol | str, channel: Channel, *, upper_km: float = 5000.0, **options: Any) -> float:
    """Longest fibre length with a positive key rate (bisection; rates fall with distance)."""

    def positive(length: float) -> bool:
        return key_rate(protocol, channel.with_length(length), **options).secret_key_rate_bits_per_pulse > 0

    if not positive(0.0):
        return 0.0
    lo, hi = 0.0, 25.0
    while positive(hi):
        lo, hi = hi, hi * 2
        if hi > upper_km:
            return math.inf
    while hi - lo > 0.01:
        mid = (lo + hi) / 2
        if positive(mid):
            lo = mid
        else:
            hi = mid
    return lo


def sweep(
    protocols: list[Protocol], channels: dict[Protocol, Channel], distances_km: list[float], **options: Any
) -> list[KeyRate]:
    """Rates for every (protocol, distance) pair, each protocol with its own channel hardware."""
    out = []
    for proto in protocols:
        ch = channels[proto]
        for d in distances_km:
            out.append(key_rate(proto, replace(ch, length_km=d, total_loss_db=None), **options))
    return out
