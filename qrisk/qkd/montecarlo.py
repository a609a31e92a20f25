"""Pulse-level Monte Carlo of decoy-state BB84, from the laser to identical final keys.

Alice emits phase-randomised weak coherent pulses (signal / weak decoy / vacuum, biased basis);
the fibre and Bob's gated, afterpulsing-free detectors turn them into clicks; an optional
eavesdropper intercepts-and-resends or splits photon numbers. Alice and Bob then share only
messages on an authenticated public channel (every message is recorded in a transcript):
sifting, decoy-state parameter estimation (Lim et al., PRA 89, 022307 (2014)), Cascade error
correction (Brassard, Salvail, EUROCRYPT 1993), a universal-hash check, and privacy
amplification with a Toeplitz matrix applied by FFT convolution.

Speed: each pulse's intensity, basis and bit are drawn (bit-packed where they are bits); the
detection process is sampled exactly but sparsely. A pulse clicks with a probability of at most
``c_max``; candidate pulses are drawn as a Bernoulli(c_max) process (geometric gaps) and each
candidate's outcome is drawn with the conditional probabilities ``P(outcome)/c_max`` for that
pulse's state. This is the same distribution as one Bernoulli trial per pulse, without touching
the pulses that cannot click. The photon-number-splitting attack needs photon numbers of every
pulse, so it runs dense (c_max = 1).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, assert_never

import numpy as np
from scipy import fft

from qrisk.model import to_dict
from qrisk.qkd.channel import Channel, ParameterError
from qrisk.qkd.params import qkd_catalog
from qrisk.qkd.rates import DecoyCounts, LimBound, h2, lim2014_bound

Z, X = 0, 1
"""Basis codes: one bit per pulse, X = 1."""


class EveKind(enum.StrEnum):
    INTERCEPT_RESEND = "intercept-resend"
    """Eve measures a fraction of pulses in a random basis and resends a single photon."""
    PNS = "pns"
    """Photon-number splitting: blocks single photons, keeps one of several, forwards the rest losslessly."""


@dataclass(frozen=True)
class Eavesdropper:
    kind: EveKind
    fraction: float = 1.0
    """Fraction of pulses attacked."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction <= 1.0:
            raise ParameterError("eve", f"attacked fraction must be in [0, 1] (got {self.fraction:g})")


def parse_eve(spec: str) -> Eavesdropper:
    """``intercept-resend:0.2``, ``pns``, ``pns:0.5``."""
    kind, _, frac = spec.partition(":")
    try:
        k = EveKind(kind.strip())
    except ValueError:
        raise ParameterError(
            "eve", f"unknown attack {kind!r} (known: {', '.join(e.value for e in EveKind)}; e.g. intercept-resend:0.2)"
        ) from None
    try:
        fraction = float(frac) if frac else 1.0
    except ValueError:
        raise ParameterError("eve", f"attacked fraction {frac!r} is not a number") from None
    return Eavesdropper(k, fraction)


# --------------------------------------------------------------------------- public channel


@dataclass
class ClassicalChannel:
    """Authenticated public channel: Alice and Bob exchange only what passes through here."""

    transcript: list[tuple[str, str, int]] = field(default_factory=list)
    """(sender, message kind, size in bits) of every message; Eve sees all of them."""

    def send(self, sender: str, kind: str, payload: Any, bits: int) -> Any:
        self.transcript.append((sender, kind, int(bits)))
        if isinstance(payload, np.ndarray):
            return payload.copy()  # the receiver gets a copy, never a reference to the sender's state
        if isinstance(payload, tuple):
            return tuple(p.copy() if isinstance(p, np.ndarray) else p for p in payload)
        return payload

    @property
    def total_bits(self) -> int:
        return sum(b for _, _, b in self.transcript)


# --------------------------------------------------------------------------- hashing


def toeplitz_hash(seed_bits: np.ndarray, x_bits: np.ndarray, out_len: int) -> np.ndarray:
    """y = T x mod 2 for the Toeplitz matrix T[i, j] = seed[i - j + n - 1] (n = len(x)).

    T is (out_len x n) and fixed by n + out_len - 1 seed bits; the product is one linear
    convolution, computed with real FFTs (Krawczyk, CRYPTO 1994: Toeplitz hashing is universal).
    """
    n = int(x_bits.size)
    if out_len <= 0 or n == 0:
        return np.zeros(max(out_len, 0), dtype=np.uint8)
    if seed_bits.size != n + out_len - 1:
        raise ValueError("seed must have n + out_len - 1 bits")
    size = fft.next_fast_len(n + out_len - 1, real=True)
    s = fft.rfft(seed_bits.astype(np.float64), size)
    v = fft.rfft(x_bits.astype(np.float64), size)
    conv = fft.irfft(s * v, size)[n - 1 : n - 1 + out_len]
    rounded = np.rint(conv)
    if float(np.max(np.abs(conv - rounded), initial=0.0)) > 0.25:  # pragma: no cover - guard, never seen
        raise ArithmeticError("FFT rounding error too large for an exact GF(2) product")
    return (rounded.astype(np.int64) & 1).astype(np.uint8)


# --------------------------------------------------------------------------- Alice and Bob


@dataclass
class _PulseBatch:
    """The states Alice put on the fibre for one chunk of pulses (what the quantum channel carries)."""

    start: int
    size: int
    intensity_class: np.ndarray  # uint8 per pulse: 0 signal, 1 weak decoy, 2 vacuum decoy
    basis_packed: np.ndarray  # 1 bit per pulse, X = 1, little bit order
    value_packed: np.ndarray  # 1 bit per pulse


def _bits_at(packed: np.ndarray, pos: np.ndarray) -> np.ndarray:
    return ((packed[pos >> 3] >> (pos & 7).astype(np.uint8)) & 1).astype(np.uint8)


@dataclass
class _SiftedRecord:
    """One side's sifted data: per kept detection, intensity class, basis and bit."""

    classes: list[np.ndarray] = field(default_factory=list)
    bases: list[np.ndarray] = field(default_factory=list)
    bits: list[np.ndarray] = field(default_factory=list)

    def add(self, classes: np.ndarray, bases: np.ndarray, bits: np.ndarray) -> None:
        self.classes.append(classes)
        self.bases.append(bases)
        self.bits.append(bits)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        def cat(parts: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)

        return cat(self.classes), cat(self.bases), cat(self.bits)


class Alice:
    """Alice's private state: her random choices and, after sifting, her sifted bits."""

    def __init__(self, rng: np.random.Generator, probabilities: tuple[float, float, float], basis_bias: float) -> None:
        self._rng = rng
        cum = np.cumsum(probabilities)
        self._class_thresholds = (np.uint32(round(cum[0] * 2**32)), np.uint32(min(round(cum[1] * 2**32), 2**32 - 1)))
        self._z_threshold = np.uint32(min(round(basis_bias * 2**32), 2**32 - 1))
        self._batch: _PulseBatch | None = None
        self.sifted = _SiftedRecord()
        self.pulses_sent = 0

    def emit(self, start: int, size: int) -> _PulseBatch:
        rng = self._rng
        r = rng.integers(0, 2**32, size, dtype=np.uint32)
        cls = (r >= self._class_thresholds[0]).view(np.uint8) + (r >= self._class_thresholds[1]).view(np.uint8)
        b = rng.integers(0, 2**32, size, dtype=np.uint32) >= self._z_threshold  # True = X basis
        basis_packed = np.packbits(b, bitorder="little")
        value_packed = np.frombuffer(rng.bytes((size + 7) // 8), dtype=np.uint8)
        self._batch = _PulseBatch(start, size, cls, basis_packed, value_packed)
        self.pulses_sent += size
        return self._batch

    def answer_detections(self, indices: np.ndarray, bob_bases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Reply to Bob's detection list with her bases and intensity classes; keep her sifted bits."""
        batch = self._batch
        assert batch is not None
        local = indices - batch.start
        bases = _bits_at(batch.basis_packed, local)
        classes = batch.intensity_class[local]
        keep = bases == bob_bases
        self.sifted.add(classes[keep], bases[keep], _bits_at(batch.value_packed, local[keep]))
        self._batch = None  # the chunk's raw choices are no longer needed
        return bases, classes


class Bob:
    """Bob's private state: his basis choices and measurement results."""

    def __init__(self, rng: np.random.Generator, basis_bias: float) -> None:
        self._rng = rng
        self._z_prob = basis_bias
        self._pending: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.sifted = _SiftedRecord()
        self.detections = 0

    def choose_bases(self, n: int) -> np.ndarray:
        return (self._rng.random(n) >= self._z_prob).astype(np.uint8)

    def random_bits(self, n: int) -> np.ndarray:
        return self._rng.integers(0, 2, n, dtype=np.uint8)

    def record(self, indices: np.ndarray, bases: np.ndarray, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keep the clicks; return the public part (indices, bases) for the detection message."""
        self._pending = (indices, bases, bits)
        self.detections += int(indices.size)
        return indices, bases

    def sift(self, alice_bases: np.ndarray, alice_classes: np.ndarray) -> None:
        assert self._pending is not None
        _, bases, bits = self._pending
        keep = alice_bases == bases
        self.sifted.add(alice_classes[keep], bases[keep], bits[keep])
        self._pending = None


# --------------------------------------------------------------------------- physics


@dataclass(frozen=True)
class _Physics:
    """Click probabilities of the channel and Bob's two detectors."""

    eta: float  # channel x detector
    eta_channel: float
    eta_detector: float
    dark: float  # per detector per gate
    misalignment: float
    mus: tuple[float, float, float]
    eve: Eavesdropper | None

    @classmethod
    def of(cls, ch: Channel, mus: tuple[float, float, float], eve: Eavesdropper | None) -> _Physics:
        return cls(ch.transmittance, ch.channel_transmittance, ch.detector_efficiency,
                   ch.dark_count_prob / 2.0, ch.misalignment, mus, eve)

    @property
    def c_max(self) -> float:
        """Upper bound of the click probability of any pulse."""
        silent = (1 - self.dark) ** 2
        honest = 1.0 - silent * math.exp(-self.eta * max(self.mus))
        if self.eve is None or self.eve.fraction == 0.0:
            return honest
        match self.eve.kind:
            case EveKind.INTERCEPT_RESEND:
                return max(honest, 1.0 - silent * (1.0 - self.eta))
            case EveKind.PNS:
                return 1.0
            case _:
                assert_never(self.eve.kind)


def _candidates(rng: np.random.Generator, n: int, c: float) -> np.ndarray:
    """Positions of a Bernoulli(c) process over n pulses (exact, by geometric gaps)."""
    if c >= 0.25:
        keep = rng.random(n) < c if c < 1.0 else np.ones(n, dtype=bool)
        return np.flatnonzero(keep)
    out: list[np.ndarray] = []
    pos = -1
    expect = n * c
    while True:
        k = int(expect + 6 * math.sqrt(expect) + 16)
        gaps = rng.geometric(c, k)
        p = pos + np.cumsum(gaps)
        out.append(p[p < n])
        if p[-1] >= n:
            break
        pos = int(p[-1])
        expect = (n - pos) * c
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def _silence(ph: _Physics, lam_c: np.ndarray, lam_w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(correct detector silent), P(wrong silent), P(both silent) for Poisson photon arrivals."""
    sc = (1 - ph.dark) * np.exp(-lam_c)
    sw = (1 - ph.dark) * np.exp(-lam_w)
    return sc, sw, sc * sw


def _detect_chunk(
    batch: _PulseBatch, bob: Bob, ph: _Physics, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run one chunk of pulses through the channel and Bob's detectors; returns Bob's clicks."""
    c_max = ph.c_max
    pos = _candidates(rng, batch.size, c_max)
    k = pos.size
    cls = batch.intensity_class[pos]
    mu = np.asarray(ph.mus)[cls]
    state_basis = _bits_at(batch.basis_packed, pos)
    state_value = _bits_at(batch.value_packed, pos)
    bob_basis = bob.choose_bases(k)  # Bob's choice happens before the photon arrives

    match_ = state_basis == bob_basis
    q_c = np.where(match_, 1.0 - ph.misalignment, 0.5)
    sc, sw, sboth = _silence(ph, ph.eta * mu * q_c, ph.eta * mu * (1.0 - q_c))

    if ph.eve is not None and ph.eve.fraction > 0:
        attacked = rng.random(k) < ph.eve.fraction
        match ph.eve.kind:
            case EveKind.INTERCEPT_RESEND:
                a = np.flatnonzero(attacked)
                eve_basis = rng.integers(0, 2, a.size, dtype=np.uint8)
                eve_clicked = rng.random(a.size) < -np.expm1(-mu[a])  # ideal detector at Alice's door
                eve_value = np.where(eve_basis == state_basis[a], state_value[a],
                                     rng.integers(0, 2, a.size, dtype=np.uint8))
                state_basis[a], state_value[a] = eve_basis, eve_value
                match_a = eve_basis == bob_basis[a]
                qa = np.where(match_a, 1.0 - ph.misalignment, 0.5)
                # one photon resent through the fibre, detected with eta in total
                sc_a = (1 - ph.dark) * (1 - ph.eta * qa)
                sw_a = (1 - ph.dark) * (1 - ph.eta * (1 - qa))
                sb_a = (1 - ph.dark) ** 2 * (1 - ph.eta)
                none = (1 - ph.dark) * np.ones(a.size)
                sc[a] = np.where(eve_clicked, sc_a, none)
                sw[a] = np.where(eve_clicked, sw_a, none)
                sboth[a] = np.where(eve_clicked, sb_a, none**2)
            case EveKind.PNS:
                a = np.flatnonzero(attacked)
                photons = rng.poisson(mu[a])
                fwd = np.maximum(photons - 1, 0)  # keeps one, forwards the rest; single photons blocked
                qa = q_c[a]
                d = ph.eta_detector
                sc[a] = (1 - ph.dark) * (1 - d * qa) ** fwd
                sw[a] = (1 - ph.dark) * (1 - d * (1 - qa)) ** fwd
                sboth[a] = (1 - ph.dark) ** 2 * (1 - d) ** fwd
            case _:
                assert_never(ph.eve.kind)

    only_c = sw - sboth
    only_w = sc - sboth
    both = 1.0 - sc - sw + sboth
    v = rng.random(k) * c_max
    click_c = v < only_c
    click_w = (~click_c) & (v < only_c + only_w)
    click_both = (~click_c) & (~click_w) & (v < only_c + only_w + both)
    clicked = click_c | click_w | click_both
    bit = np.where(click_c, state_value, 1 - state_value).astype(np.uint8)
    dbl = np.flatnonzero(click_both)
    bit[dbl] = bob.random_bits(dbl.size)  # double click: random bit (squashing model)
    return pos[clicked] + batch.start, bob_basis[clicked], bit[clicked]


# --------------------------------------------------------------------------- Cascade


class _ParityOracle:
    """Alice's side of Cascade: answers parity questions about her own bits, through the channel."""

    def __init__(self, bits: np.ndarray, channel: ClassicalChannel) -> None:
        self._bits = bits
        self._channel = channel
        self._prefix: dict[int, np.ndarray] = {}
        self.disclosed = 0

    def set_permutations(self, perms: list[np.ndarray]) -> None:
        for i, perm in enumerate(perms):
            acc = np.bitwise_xor.accumulate(self._bits[perm]) if perm.size else np.zeros(0, np.uint8)
            self._prefix[i] = np.concatenate([np.zeros(1, np.uint8), acc])

    def parities(self, pass_id: int, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        p = self._prefix[pass_id]
        answer = p[ends] ^ p[starts]
        self.disclosed += int(answer.size)
        return self._channel.send("alice", f"cascade-parities-pass{pass_id}", answer, answer.size)  # type: ignore[no-any-return]


def _prefix(bits: np.ndarray, perm: np.ndarray) -> np.ndarray:
    acc = np.bitwise_xor.accumulate(bits[perm]) if perm.size else np.zeros(0, np.uint8)
    return np.concatenate([np.zeros(1, np.uint8), acc])


def cascade(
    oracle: _ParityOracle, bob_bits: np.ndarray, qber_estimate: float, *, passes: int,
    seed: int, channel: ClassicalChannel,
) -> tuple[np.ndarray, int]:
    """Bob's side of Cascade; returns his corrected bits and the parity bits disclosed.

    Pass 1 uses blocks of 0.73/QBER bits, each later pass doubles the block and shuffles the
    bits with a public permutation; a corrected bit re-opens the blocks that contain it in
    earlier passes (the cascade). All odd blocks of a round are bisected in parallel.
    """
    n = int(bob_bits.size)
    bits = bob_bits.copy()
    if n == 0:
        return bits, 0
    seed = channel.send("alice", "cascade-permutation-seed", seed, 64)
    prng = np.random.default_rng(seed)
    perms = [np.arange(n)] + [prng.permutation(n) for _ in range(passes - 1)]
    oracle.set_permutations(perms)
    k1 = max(4, int(0.73 / max(qber_estimate, 1e-3)))
    tops: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for p in range(passes):
        k = min(k1 * 2**p, n)
        starts = np.arange(0, n, k)
        ends = np.minimum(starts + k, n)
        tops.append((starts, ends, oracle.parities(p, starts, ends)))
        while True:
            fixes: list[np.ndarray] = []
            for q in range(p + 1):
                s_q, e_q, alice_top = tops[q]
                pb = _prefix(bits, perms[q])
                odd = np.flatnonzero((pb[e_q] ^ pb[s_q]) != alice_top)
                if odd.size == 0:
                    continue
                s, e = s_q[odd].copy(), e_q[odd].copy()
                while True:
                    active = np.flatnonzero(e - s > 1)
                    if active.size == 0:
                        break
                    sa, ea = s[active], e[active]
                    mid = (sa + ea) // 2
                    left_alice = oracle.parities(q, sa, mid)
                    left_bob = pb[mid] ^ pb[sa]
                    go_left = left_alice != left_bob
                    e[active] = np.where(go_left, mid, ea)
                    s[active] = np.where(go_left, sa, mid)
                fixes.append(perms[q][s])
            if not fixes:
                break
            bits[np.unique(np.concatenate(fixes))] ^= 1
    return bits, oracle.disclosed


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class SimulationResult:
    """What a run produced; no key material (see :class:`SimulationRun` for the keys)."""

    pulses: int
    distance_km: float
    channel_loss_db: float
    eve: Eavesdropper | None
    detections: int
    sifted_bits: int
    """Sifted detections, both bases."""
    sifted_z_bits: int
    """Key-basis bits that enter error correction."""
    sifted_x_bits: int
    """Test-basis bits, all disclosed for parameter estimation."""
    qber_x: float
    """Error rate measured on the disclosed X-basis bits."""
    qber_z: float
    """Error rate of the key bits, known after error correction (Bob counts his flips)."""
    phase_error_upper: float
    single_photon_z_lower: float
    leaked_bits_ec: int
    """Parity bits disclosed by Cascade."""
    verification_bits: int
    final_key_bits: int
    key_rate_bits_per_pulse: float
    aborted: bool
    abort_reason: str
    keys_identical: bool
    classical_bits: int
    """Size of the public transcript."""

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class SimulationRun:
    result: SimulationResult
    alice_key: np.ndarray = field(repr=False)
    """Alice's final key bits (0/1 per element); empty after an abort."""
    bob_key: np.ndarray = field(repr=False)
    transcript: tuple[tuple[str, str, int], ...] = field(repr=False, default=())


@dataclass(frozen=True)
class QuantumRecords:
    """Everything left after the quantum phase and sifting."""

    alice: Alice
    bob: Bob
    channel: ClassicalChannel
    pulses: int


def run_quantum(
    pulses: int, channel: Channel, *, eve: Eavesdropper | None = None, seed: int | None = None,
    intensities: tuple[float, float, float] | None = None, probabilities: tuple[float, float, float] | None = None,
    basis_bias: float | None = None, chunk_pulses: int = 1 << 22,
) -> QuantumRecords:
    """Source, channel, detectors and sifting for ``pulses`` pulses."""
    if pulses < 1:
        raise ParameterError("pulses", f"must be at least 1 (got {pulses})")
    mus, probs, bias = _settings(intensities, probabilities, basis_bias)
    ss = np.random.SeedSequence(seed)
    a_seed, b_seed, nature_seed = ss.spawn(3)
    alice = Alice(np.random.default_rng(a_seed), probs, bias)
    bob = Bob(np.random.default_rng(b_seed), bias)
    nature = np.random.default_rng(nature_seed)
    ph = _Physics.of(channel, mus, eve)
    public = ClassicalChannel()
    for start, size in _chunks(pulses, chunk_pulses):
        batch = alice.emit(start, size)
        idx, b_bases, b_bits = _detect_chunk(batch, bob, ph, nature)
        idx_pub, bases_pub = public.send("bob", "detections", bob.record(idx, b_bases, b_bits),
                                         idx.size * (64 + 1))
        a_bases, a_classes = alice.answer_detections(idx_pub, bases_pub)
        a_bases, a_classes = public.send("alice", "bases-and-intensities", (a_bases, a_classes), idx.size * 3)
        bob.sift(a_bases, a_classes)
    return QuantumRecords(alice, bob, public, pulses)


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    start = 0
    while start < total:
        n = min(size, total - start)
        yield start, n
        start += n


def _settings(
    intensities: tuple[float, float, float] | None, probabilities: tuple[float, float, float] | None,
    basis_bias: float | None,
) -> tuple[tuple[float, float, float], tuple[float, float, float], float]:
    cat = qkd_catalog()
    fk, sim = cat.finite_key, cat.simulation
    mus = intensities or (sim.signal_mu, fk.weak_decoy_mu, fk.vacuum_mu)
    probs = probabilities or (fk.signal_prob, fk.weak_prob, fk.vacuum_prob)
    bias = basis_bias if basis_bias is not None else sim.basis_bias
    if not (mus[0] > mus[1] + mus[2] and mus[1] > mus[2] >= 0):
        raise ParameterError("intensities", "need signal > weak + vacuum and weak > vacuum >= 0")
    if abs(sum(probs) - 1) > 1e-9 or min(probs) <= 0:
        raise ParameterError("probabilities", "intensity probabilities must be positive and sum to 1")
    if not 0.5 <= bias < 1:
        raise ParameterError("basis_bias", f"must be in [0.5, 1) (got {bias:g})")
    return tuple(mus), tuple(probs), bias  # type: ignore[return-value]


def simulate(
    pulses: int, channel: Channel, *, eve: Eavesdropper | None = None, seed: int | None = None,
    intensities: tuple[float, float, float] | None = None, probabilities: tuple[float, float, float] | None = None,
    basis_bias: float | None = None, epsilon_sec: float | None = None, epsilon_cor: float | None = None,
    abort_qber: float | None = None, cascade_passes: int | None = None, chunk_pulses: int = 1 << 22,
) -> SimulationRun:
    """A whole BB84 run: quantum phase, sifting, estimation, Cascade, verification, privacy amplification."""
    cat = qkd_catalog()
    mus, probs, bias = _settings(intensities, probabilities, basis_bias)
    eps_sec = epsilon_sec if epsilon_sec is not None else cat.finite_key.epsilon_sec
    eps_cor = epsilon_cor if epsilon_cor is not None else cat.finite_key.epsilon_cor
    threshold = abort_qber if abort_qber is not None else cat.security.abort_qber
    passes = cascade_passes if cascade_passes is not None else cat.simulation.cascade_passes
    rec = run_quantum(pulses, channel, eve=eve, seed=seed, intensities=mus, probabilities=probs,
                      basis_bias=bias, chunk_pulses=chunk_pulses)
    public = rec.channel
    # Alice's coin flips for the public seeds come from her own generator.
    alice_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(4)[3])

    a_cls, a_bases, a_bits = rec.alice.sifted.arrays()
    _b_cls, b_bases, b_bits = rec.bob.sifted.arrays()
    # --- parameter estimation: Bob discloses his X bits; Alice counts errors per intensity
    bx = b_bases == X
    bob_x_bits = public.send("bob", "x-basis-bits", b_bits[bx], int(bx.sum()))
    ax = a_bases == X
    x_err = a_bits[ax] != bob_x_bits
    m_x = tuple(int(np.count_nonzero(x_err[a_cls[ax] == c])) for c in range(3))
    m_x = public.send("alice", "x-error-counts", m_x, 3 * 64)
    n_z = tuple(int(np.count_nonzero((a_bases == Z) & (a_cls == c))) for c in range(3))
    n_x = tuple(int(np.count_nonzero(ax & (a_cls == c))) for c in range(3))
    n_x_total = sum(n_x)
    qber_x = sum(m_x) / n_x_total if n_x_total else 0.5

    a_key = a_bits[a_bases == Z]
    b_key = b_bits[b_bases == Z]

    def finish(reason: str, *, leak: int = 0, verification: int = 0, bound: LimBound | None = None,
               qber_z: float = float("nan"), final: tuple[np.ndarray, np.ndarray] | None = None) -> SimulationRun:
        ak, bk = final if final is not None else (np.zeros(0, np.uint8), np.zeros(0, np.uint8))
        result = SimulationResult(
            pulses=pulses, distance_km=channel.length_km, channel_loss_db=channel.channel_loss_db, eve=eve,
            detections=rec.bob.detections, sifted_bits=int(a_bits.size), sifted_z_bits=int(a_key.size),
            sifted_x_bits=n_x_total, qber_x=float(qber_x), qber_z=float(qber_z),
            phase_error_upper=float(bound.phase_error_upper) if bound else float("nan"),
            single_photon_z_lower=float(bound.s_z1_lower) if bound else 0.0,
            leaked_bits_ec=int(leak), verification_bits=int(verification), final_key_bits=int(ak.size),
            key_rate_bits_per_pulse=ak.size / pulses, aborted=bool(reason), abort_reason=reason,
            keys_identical=bool(final is not None and np.array_equal(ak, bk)),
            classical_bits=public.total_bits,
        )
        return SimulationRun(result, ak, bk, tuple(public.transcript))

    if a_key.size < 16 or n_x_total == 0:
        return finish("too-few-detections")
    if qber_x > threshold:
        return finish(f"qber-above-threshold ({qber_x:.2%} > {threshold:.0%})")

    # --- error correction (Cascade): only parities cross the channel
    oracle = _ParityOracle(a_key, public)
    b_corrected, leak = cascade(oracle, b_key, qber_x, passes=passes,
                                seed=int(alice_rng.integers(0, 2**63)), channel=public)
    qber_z = float(np.count_nonzero(b_corrected != b_key)) / b_key.size

    # --- verification: a 2-universal hash of t bits (Lim et al. 2014: epsilon_cor = 2^-t)
    t = math.ceil(math.log2(1.0 / eps_cor))
    h_seed = alice_rng.integers(0, 2, a_key.size + t - 1, dtype=np.uint8)
    tag_a = toeplitz_hash(h_seed, a_key, t)
    h_seed_b, tag_a_b = public.send("alice", "verification-hash", (h_seed, tag_a), h_seed.size + t)
    if not np.array_equal(toeplitz_hash(h_seed_b, b_corrected, t), tag_a_b):
        return finish("ec-verification-failed", leak=leak, verification=t, qber_z=qber_z)

    # --- key length from the decoy-state bound on public data only
    counts = DecoyCounts(mus, probs, n_z, n_x, m_x)  # type: ignore[arg-type]
    bound = lim2014_bound(counts, leak_ec_bits=leak, epsilon_sec=eps_sec, epsilon_cor=eps_cor)
    ell = math.floor(bound.key_length_bits)
    if ell <= 0:
        return finish("no-secret-key (decoy bound <= 0)", leak=leak, verification=t, bound=bound, qber_z=qber_z)

    # --- privacy amplification: Toeplitz matrix from a fresh public seed
    pa_seed = alice_rng.integers(0, 2, a_key.size + ell - 1, dtype=np.uint8)
    pa_seed_b = public.send("alice", "privacy-amplification-seed", pa_seed, pa_seed.size)
    alice_final = toeplitz_hash(pa_seed, a_key, ell)
    bob_final = toeplitz_hash(pa_seed_b, b_corrected, ell)
    return finish("", leak=leak, verification=t, bound=bound, qber_z=qber_z, final=(alice_final, bob_final))


def shannon_leak_floor(n: int, qber: float) -> float:
    """n * H2(QBER): no error correction can disclose less (Slepian-Wolf)."""
    return n * float(h2(qber))
