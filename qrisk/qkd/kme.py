"""ETSI GS QKD 014 V1.1.1 key managers (KMEs) fed by a simulated QKD link.

Two KMEs (one per site) share, per (master SAE, slave SAE) pair, a pool of key filled at the
link's analytic secret-key rate (:func:`qrisk.qkd.rates.key_rate`); a pulse-level BB84 Monte
Carlo (:func:`qrisk.qkd.montecarlo.simulate`) measures the error rate and decides whether the
link aborts (an eavesdropper that pushes the QBER over the threshold stops the flow). Both ends
of a pool receive identical key material; when the master KME hands out a key it assigns the
key_ID and tells the slave KME which bytes it used (a sync message with the key_ID, offset and
length — never key material), so the slave KME holds the same key under the same key_ID.

This module holds the configuration (``qrisk.kme/1`` files), the link simulation, the pools and
the API logic (:class:`KeyManager`); :mod:`qrisk.qkd.kme_http` is the REST API (ETSI GS QKD 014
V1.1.1 §5) as a FastAPI app per KME, :mod:`qrisk.qkd.kme_server` runs the apps with uvicorn over
mutual TLS and puts the client certificate's identity into the request scope, and
:mod:`qrisk.qkd.kme_pki` makes the demo certificates. Modes:

* ``strict`` (default): the spec as written — dec_keys is called by the slave SAE with the
  master's SAE_ID in the URL; unknown or used key_IDs are 400; POST bodies must be
  ``application/json``; unknown query parameters and duplicate JSON members are 400.
* ``lenient``: also accepts what the qkdsec conformance "doctor" sends — dec_keys by the
  *master* SAE with the *slave's* SAE_ID in the URL (a self round trip: the key then comes out
  of the slave's copy, so it is still delivered once per side), 404 for an unknown key_ID,
  single extension objects where the spec has arrays, a missing content type on POST.

Key material is never logged or put into error messages.
"""

from __future__ import annotations

import base64
import enum
import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from qrisk.errors import InputError, QriskError

if TYPE_CHECKING:  # pragma: no cover
    from qrisk.qkd.kme_pki import DemoPki

API_PREFIX = "/api/v1/keys"
"""ETSI GS QKD 014 V1.1.1 §5: https://{KME_hostname}/api/v1/keys/{SAE_ID}/{method}."""
CONFIG_SCHEMA = "qrisk.kme/1"
PEER_STATE_KEY = "qrisk_tls_peer"
"""Key in the ASGI scope's ``state`` under which the server puts the client certificate identity."""
MAX_BODY_BYTES = 64 * 1024
"""Largest request body accepted; a Key IDs object for max_key_per_request keys is far smaller."""
Clock = Callable[[], float]
MIN_TEST_BITS = 100
"""Fewest disclosed test-basis bits for the Monte Carlo's QBER to decide an abort."""


class KmeMode(enum.StrEnum):
    STRICT = "strict"
    """ETSI GS QKD 014 V1.1.1 as written."""
    LENIENT = "lenient"
    """Also accept the request patterns of the qkdsec conformance doctor (see the module docstring)."""


class EtsiError(Exception):
    """An API error: HTTP status plus the ETSI GS QKD 014 V1.1.1 §6 Error object (``message``, ``details``)."""

    def __init__(self, status: int, message: str, details: Sequence[Mapping[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = list(details) if details else None

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.details:
            out["details"] = self.details
        return out


def bad_request(message: str, **detail: Any) -> EtsiError:
    """400: ETSI GS QKD 014 V1.1.1 §5 status codes — bad request format."""
    return EtsiError(400, message, [detail] if detail else None)


def unauthorized(message: str) -> EtsiError:
    """401: ETSI GS QKD 014 V1.1.1 §5 status codes — unauthorized."""
    return EtsiError(401, message)


def unavailable(message: str, **detail: Any) -> EtsiError:
    """503: ETSI GS QKD 014 V1.1.1 §5 status codes — error on the server side (here: not enough key)."""
    return EtsiError(503, message, [detail] if detail else None)


# =========================================================================== configuration


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_id(value: str) -> str:
    v = value.strip()
    if not v or len(v) > 128 or any(c in v for c in "/?#%\\ \t\r\n"):
        raise ValueError(f"{value!r} is not a usable ID (1-128 characters, no '/', '?', '#', '%', spaces)")
    return v


class KmeConfig(_Strict):
    """One KME: where it listens, its server certificate, and the SAEs attached to it."""

    port: int = Field(ge=0, le=65535)
    """TCP port (0 = any free port)."""
    cert: Path
    key: Path
    saes: list[str] = Field(min_length=1)
    host: str | None = None
    """Bind address; defaults to the file's ``host`` (127.0.0.1)."""

    @field_validator("saes")
    @classmethod
    def _sae_ids(cls, v: list[str]) -> list[str]:
        ids = [_check_id(s) for s in v]
        if len(set(ids)) != len(ids):
            raise ValueError("SAE IDs must be unique")
        return ids


CHANNEL_OVERRIDES = frozenset({
    "loss_db_per_km", "extra_loss_db", "detector_efficiency", "dark_count_prob", "misalignment",
    "ec_efficiency", "rep_rate_hz",
})
"""Fields of :class:`qrisk.qkd.channel.Channel` a link may override (the rest come from the catalog)."""


class LinkConfig(_Strict):
    """A simulated QKD link between two KMEs, and the key pools it fills."""

    between: tuple[str, str]
    """The two KME IDs."""
    manifest: Path | None = None
    """A qrisk manifest whose ``qkd_links`` entry ``qkd_link`` describes this fibre (the QKD topology
    has one schema: the manifest's). Then distance, protocol and hardware come from there."""
    qkd_link: str | None = None
    pairs: list[tuple[str, str]] = Field(min_length=1)
    """(master SAE, slave SAE) pools; list both directions to let either side be master."""
    distance_km: float = Field(default=20.0, ge=0, le=1000)
    protocol: Literal["decoy-bb84", "efficient-bb84", "bb84-no-decoy"] = "decoy-bb84"
    """Key-rate model; the Monte Carlo that measures the QBER is decoy-state BB84 on the same channel."""
    eve: str | None = None
    """``intercept-resend:FRACTION`` on this link."""
    channel: dict[str, float] = Field(default_factory=dict)
    """Overrides of :class:`qrisk.qkd.channel.Channel` fields (``loss_db_per_km``, ``detector_efficiency``…)."""
    key_size: int = Field(default=256, ge=8, le=1 << 16, multiple_of=8)
    min_key_size: int = Field(default=64, ge=8, multiple_of=8)
    max_key_size: int = Field(default=4096, le=1 << 16, multiple_of=8)
    max_key_per_request: int = Field(default=128, ge=1, le=4096)
    max_key_count: int = Field(default=10_000, ge=1, le=10_000_000)
    """Pool capacity in keys of ``key_size`` bits, per pair (and the cap on keys awaiting their slave)."""
    prefill_s: float = Field(default=0.0, ge=0, le=86_400)
    """Start as if the link had already run this long (the pool starts partly filled)."""
    mc_pulses: int | None = Field(default=None, ge=10_000, le=200_000_000)
    """Pulses of the Monte Carlo run that measures the QBER (default: enough for ~10^5 detections)."""
    seed: int | None = None

    @field_validator("channel")
    @classmethod
    def _channel_fields(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - CHANNEL_OVERRIDES)
        if unknown:
            raise ValueError(f"unknown channel field(s) {', '.join(unknown)} (known: {', '.join(sorted(CHANNEL_OVERRIDES))})")
        return v

    @model_validator(mode="after")
    def _sizes(self) -> LinkConfig:
        if not self.min_key_size <= self.key_size <= self.max_key_size:
            raise ValueError("need min_key_size <= key_size <= max_key_size")
        if self.between[0] == self.between[1]:
            raise ValueError("a link joins two different KMEs")
        if len(set(self.pairs)) != len(self.pairs):
            raise ValueError("pairs must be unique")
        if (self.manifest is None) != (self.qkd_link is None):
            raise ValueError("manifest and qkd_link go together (the manifest file and the link's id in it)")
        if self.manifest is not None:
            clash = sorted({"distance_km", "protocol", "channel"} & self.model_fields_set)
            if clash:
                raise ValueError(f"{', '.join(clash)}: taken from the manifest's link; do not set them here")
        return self


class KmeNetworkConfig(_Strict):
    """A ``qrisk.kme/1`` file: KMEs, the CA that issued every certificate, and the links."""

    schema_: Literal["qrisk.kme/1"] = Field(alias="schema")
    mode: KmeMode = KmeMode.STRICT
    host: str = "127.0.0.1"
    ca: Path
    """CA certificate(s) that SAE client certificates must chain to."""
    kmes: dict[str, KmeConfig] = Field(min_length=1)
    links: list[LinkConfig] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _consistent(self) -> KmeNetworkConfig:
        for kme_id in self.kmes:
            _check_id(kme_id)
        owner: dict[str, str] = {}
        for kme_id, kme in self.kmes.items():
            for sae in kme.saes:
                if sae in owner:
                    raise ValueError(f"SAE {sae} is attached to both {owner[sae]} and {kme_id}")
                owner[sae] = kme_id
        seen_pairs: set[tuple[str, str]] = set()
        for i, link in enumerate(self.links):
            for kme_id in link.between:
                if kme_id not in self.kmes:
                    raise ValueError(f"links[{i}]: unknown KME {kme_id!r}")
            for master, slave in link.pairs:
                for sae in (master, slave):
                    if sae not in owner:
                        raise ValueError(f"links[{i}]: SAE {sae!r} is not attached to any KME")
                ends = {owner[master], owner[slave]}
                if ends != set(link.between):
                    raise ValueError(
                        f"links[{i}]: pair {master}→{slave} is not across this link "
                        f"({master} at {owner[master]}, {slave} at {owner[slave]})"
                    )
                if (master, slave) in seen_pairs:
                    raise ValueError(f"links[{i}]: pair {master}→{slave} is served by two links")
                seen_pairs.add((master, slave))
        return self

    def sae_home(self) -> dict[str, str]:
        """SAE ID → the KME it is attached to."""
        return {sae: kme_id for kme_id, kme in self.kmes.items() for sae in kme.saes}


def load_network_config(path: str | Path) -> KmeNetworkConfig:
    """Read a ``qrisk.kme/1`` YAML file; relative paths in it are relative to the file."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputError(f"{path}: not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping with 'schema: {CONFIG_SCHEMA}'")
    if data.get("schema") != CONFIG_SCHEMA:
        raise InputError(f"{path}: schema must be {CONFIG_SCHEMA!r} (got {data.get('schema')!r})")
    try:
        cfg = KmeNetworkConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        raise InputError(f"{path}: {loc}: {err['msg']}") from None
    return resolve_paths(cfg, p.parent)


def resolve_paths(cfg: KmeNetworkConfig, base: Path) -> KmeNetworkConfig:
    """Make the certificate paths absolute against ``base`` (the config file's folder)."""

    def r(x: Path) -> Path:
        x = x.expanduser()
        return x if x.is_absolute() else (base / x)

    kmes = {k: v.model_copy(update={"cert": r(v.cert), "key": r(v.key)}) for k, v in cfg.kmes.items()}
    links = [ln.model_copy(update={"manifest": r(ln.manifest)}) if ln.manifest is not None else ln
             for ln in cfg.links]
    return cfg.model_copy(update={"ca": r(cfg.ca), "kmes": kmes, "links": links})


# =========================================================================== the simulated link


@dataclass(frozen=True)
class LinkAssessment:
    """What the physics says about one link: key rate, Monte Carlo QBER, abort decision. No key material."""

    protocol: str
    distance_km: float
    channel_loss_db: float
    analytic_rate_bps: float
    """Secret-key rate without an eavesdropper (GLLP / decoy-state, qrisk.qkd.rates)."""
    secret_key_rate_bps: float
    """Rate that fills the pools: 0 after an abort; lowered by the eavesdropper's extra errors otherwise."""
    analytic_qber: float | None
    mc_pulses: int
    mc_detections: int
    mc_sifted_x_bits: int
    mc_qber: float
    """QBER measured by the Monte Carlo on the disclosed test-basis bits."""
    qber_measured: bool
    """False when the run disclosed fewer than MIN_TEST_BITS test bits (no abort decision from it)."""
    abort_qber: float
    aborted: bool
    abort_reason: str
    eve: str | None
    mc_seconds: float

    @property
    def state(self) -> str:
        if self.aborted:
            return "aborted"
        return "up" if self.secret_key_rate_bps > 0 else "no-key"


def _parse_link_eve(spec: str | None) -> Any:
    from qrisk.qkd.montecarlo import EveKind, parse_eve

    if spec is None or not str(spec).strip():
        return None
    eve = parse_eve(str(spec).strip())
    if eve.kind is not EveKind.INTERCEPT_RESEND:
        raise InputError(
            f"eve: the KME link models intercept-resend only (got {spec!r}); "
            "use 'qrisk qkd simulate' for photon-number splitting"
        )
    return eve


def assess_link(link: LinkConfig) -> LinkAssessment:
    """Analytic secret-key rate of the link plus one pulse-level Monte Carlo run for QBER and abort.

    The Monte Carlo is the abort authority: the link stops when its measured QBER exceeds the
    threshold of the QKD catalog (Shor–Preskill ≈ 11 %). Its finite-size outcomes for a small
    block (no secret key yet, too few detections) are not aborts — the pools are filled at the
    asymptotic analytic rate, as the shared design asks.
    """
    from qrisk.qkd.montecarlo import simulate
    from qrisk.qkd.params import qkd_catalog
    from qrisk.qkd.rates import key_rate

    eve = _parse_link_eve(link.eve)
    protocol, channel = _link_channel(link)
    clean = key_rate(protocol, channel)
    threshold = qkd_catalog().security.abort_qber
    pulses = link.mc_pulses or _default_mc_pulses(clean.gain)
    t0 = time.perf_counter()
    run = simulate(pulses, channel, eve=eve, seed=link.seed)
    mc_seconds = time.perf_counter() - t0
    res = run.result
    # Too few disclosed test bits say nothing about the QBER (and distil no key either).
    qber_measured = res.sifted_x_bits >= MIN_TEST_BITS
    aborted = qber_measured and res.abort_reason.startswith("qber-above-threshold")
    rate = clean.secret_key_rate_bps
    if aborted:
        rate = 0.0
    elif eve is not None and eve.fraction > 0:
        # Intercept-resend in a random basis flips 1/4 of the attacked sifted bits (Bennett,
        # Brassard 1984); with misalignment e_d an error needs exactly one of the two flips.
        e_d = channel.misalignment
        e_eff = min(0.5, e_d + 0.25 * eve.fraction * (1 - 2 * e_d))
        rate = key_rate(protocol, replace(channel, misalignment=e_eff)).secret_key_rate_bps
    return LinkAssessment(
        protocol=protocol,
        distance_km=channel.length_km,
        channel_loss_db=channel.channel_loss_db,
        analytic_rate_bps=clean.secret_key_rate_bps,
        secret_key_rate_bps=max(0.0, rate),
        analytic_qber=clean.qber,
        mc_pulses=pulses,
        mc_detections=res.detections,
        mc_sifted_x_bits=res.sifted_x_bits,
        mc_qber=res.qber_x,
        qber_measured=qber_measured,
        abort_qber=threshold,
        aborted=aborted,
        abort_reason=res.abort_reason if aborted else "",
        eve=link.eve,
        mc_seconds=mc_seconds,
    )


BB84_FAMILY = ("decoy-bb84", "efficient-bb84", "bb84-no-decoy")


def _link_channel(link: LinkConfig) -> tuple[str, Any]:
    """(protocol, Channel) of a link: from its manifest entry, or from its own fields."""
    from qrisk.qkd.channel import Channel

    if link.manifest is None:
        return link.protocol, Channel.for_protocol(link.protocol, length_km=link.distance_km, **link.channel)
    from qrisk.manifest import load_manifest

    manifest = load_manifest(link.manifest)
    found = [q for q in manifest.qkd_links if q.id == link.qkd_link]
    if not found:
        known = ", ".join(q.id for q in manifest.qkd_links) or "none"
        raise InputError(f"{link.manifest}: no qkd_links entry {link.qkd_link!r} (known: {known})")
    qlink = found[0]
    if qlink.protocol not in BB84_FAMILY:
        raise InputError(
            f"qkd_link {qlink.id}: protocol {qlink.protocol} — the KME link simulates BB84-family links "
            f"({', '.join(BB84_FAMILY)})"
        )
    return qlink.protocol, Channel.from_link(qlink)


def _default_mc_pulses(gain: float | None, target_detections: float = 1e5) -> int:
    """Enough pulses for about ``target_detections`` clicks, between 2·10^5 and 2·10^7 (≈1 s)."""
    if not gain or gain <= 0 or not math.isfinite(gain):
        return 20_000_000
    return int(min(2e7, max(2e5, target_detections / gain)))


# =========================================================================== key pools


class _KeyStream:
    """One KME's copy of a pool's distilled key: a FIFO of bytes with an absolute read offset."""

    __slots__ = ("_buf", "_start", "offset")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._start = 0
        self.offset = 0
        """Absolute position (bytes since the link started) of the next unused byte."""

    def available(self) -> int:
        return len(self._buf) - self._start

    def append(self, data: bytes) -> None:
        self._buf += data

    def take(self, n: int) -> bytes:
        out = bytes(self._buf[self._start : self._start + n])
        self._start += n
        self.offset += n
        if self._start >= 1 << 16 and self._start * 2 >= len(self._buf):
            del self._buf[: self._start]  # compact: bounded memory, amortised O(1)
            self._start = 0
        return out

    def wipe(self) -> None:
        self._buf[:] = b"\x00" * len(self._buf)
        self._buf.clear()
        self._start = 0


@dataclass(frozen=True)
class KeySync:
    """Master KME → slave KME: 'key_ID is the next LENGTH bytes at OFFSET of our shared pool'.

    This is all that crosses between the KMEs per key: identifiers and positions, no key bytes.
    """

    key_id: str
    offset: int
    length: int


class KeyPool:
    """The key of one (master SAE, slave SAE) pair: a copy at each KME, plus keys awaiting the slave."""

    def __init__(
        self,
        link: LinkConfig,
        master_sae: str,
        slave_sae: str,
        master_kme: str,
        slave_kme: str,
        rate_bps: float,
        *,
        assessment: LinkAssessment | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.link = link
        self.assessment = assessment
        self.master_sae, self.slave_sae = master_sae, slave_sae
        self.master_kme, self.slave_kme = master_kme, slave_kme
        self.rate_bps = rate_bps
        self.capacity_bits = link.max_key_count * link.key_size
        self._clock = clock
        self._lock = threading.Lock()
        self._master_end = _KeyStream()
        self._slave_end = _KeyStream()
        self._pending: dict[str, bytes] = {}
        """At the slave KME: key_ID → key, until the slave SAE collects it."""
        self._frac_bits = 0.0
        self._last = clock() - link.prefill_s
        self.delivered_to_master = 0
        self.delivered_to_slave = 0

    def __repr__(self) -> str:
        return f"KeyPool({self.master_sae}→{self.slave_sae}, {self.rate_bps:.3g} bit/s)"

    # -- filling ------------------------------------------------------------------------

    def _refill(self) -> None:
        now = self._clock()
        elapsed = now - self._last
        self._last = now
        if elapsed <= 0 or self.rate_bps <= 0:
            return
        room = self.capacity_bits - 8 * self._master_end.available()
        if room <= 0:
            self._frac_bits = 0.0
            return
        bits = min(self._frac_bits + self.rate_bps * elapsed, float(room))
        nbytes = int(bits // 8)
        self._frac_bits = bits - 8 * nbytes
        if nbytes:
            # Stand-in for distilled QKD key: the same bytes reach both ends of the link.
            data = os.urandom(nbytes)
            self._master_end.append(data)
            self._slave_end.append(data)

    def stored_bits(self) -> int:
        with self._lock:
            self._refill()
            return 8 * self._master_end.available()

    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending)

    def seconds_until(self, bits: int) -> float:
        """How long until ``bits`` are stored, at the current rate (inf when the link makes no key)."""
        missing = bits - self.stored_bits()
        if missing <= 0:
            return 0.0
        return math.inf if self.rate_bps <= 0 else missing / self.rate_bps

    # -- delivering ---------------------------------------------------------------------

    def _sync_to_slave(self, msg: KeySync) -> None:
        """The slave KME takes the same bytes off its own copy and keeps them under the key_ID."""
        if msg.offset != self._slave_end.offset:  # pragma: no cover - in-order delivery is guaranteed here
            raise unavailable("KME key stores out of step")
        self._pending[msg.key_id] = self._slave_end.take(msg.length)

    def reserve(self, number: int, size_bits: int) -> list[tuple[str, bytes]]:
        """Master side of Get key: ``number`` keys of ``size_bits``, each synced to the slave KME."""
        nbytes = size_bits // 8
        with self._lock:
            self._refill()
            have = self._master_end.available()
            if have < number * nbytes:
                raise unavailable(
                    f"not enough key: {8 * have} bits stored, {number * size_bits} requested",
                    stored_bits=8 * have,
                    requested_bits=number * size_bits,
                    secret_key_rate_bps=round(self.rate_bps, 3),
                )
            if len(self._pending) + number > self.link.max_key_count:
                raise unavailable(
                    f"{len(self._pending)} keys are waiting for slave SAE {self.slave_sae}; "
                    f"the KME keeps at most {self.link.max_key_count}"
                )
            out = []
            for _ in range(number):
                key_id = str(uuid.uuid4())  # ETSI GS QKD 014 V1.1.1 §6 (Key container): key_ID is a UUID
                offset = self._master_end.offset
                key = self._master_end.take(nbytes)
                self._sync_to_slave(KeySync(key_id, offset, nbytes))
                out.append((key_id, key))
            self.delivered_to_master += number
            return out

    def collect(self, key_ids: Sequence[str]) -> list[tuple[str, bytes]] | None:
        """Slave side of Get key with key IDs: all the keys, each deleted once delivered; None if any is unknown."""
        with self._lock:
            if any(k not in self._pending for k in key_ids):
                return None
            out = [(k, self._pending.pop(k)) for k in key_ids]
            self.delivered_to_slave += len(out)
            return out

    def wipe(self) -> None:
        with self._lock:
            self._master_end.wipe()
            self._slave_end.wipe()
            self._pending.clear()


# =========================================================================== the key manager


def canonical_key_id(value: Any) -> str | None:
    """The RFC 4122 text form of a key_ID, or None when it is not a UUID string."""
    if not isinstance(value, str) or len(value) != 36:
        return None
    try:
        u = uuid.UUID(value)
    except ValueError:
        return None
    text = str(u)
    return text if text == value.lower() else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class KeyManager:
    """One KME's API logic (ETSI GS QKD 014 V1.1.1 §5.2-5.4), independent of HTTP."""

    def __init__(self, kme_id: str, saes: Sequence[str], mode: KmeMode = KmeMode.STRICT) -> None:
        self.kme_id = kme_id
        self.saes = frozenset(saes)
        self.mode = mode
        self.as_master: dict[tuple[str, str], KeyPool] = {}
        """(master SAE here, slave SAE elsewhere) → pool."""
        self.as_slave: dict[tuple[str, str], KeyPool] = {}
        """(master SAE elsewhere, slave SAE here) → pool."""
        self.links: list[LinkAssessment] = []

    def __repr__(self) -> str:
        return f"KeyManager({self.kme_id}, SAEs={sorted(self.saes)}, {self.mode})"

    @property
    def lenient(self) -> bool:
        return self.mode is KmeMode.LENIENT

    # -- who may do what ----------------------------------------------------------------

    def authorize_sae(self, caller: str | None) -> str:
        if not caller:
            raise unauthorized("no SAE identity in the client certificate")
        if caller not in self.saes:
            raise unauthorized(f"SAE {caller} is not registered at {self.kme_id}")
        return caller

    def authorize_master(self, caller: str | None, slave: str) -> KeyPool:
        master = self.authorize_sae(caller)
        pool = self.as_master.get((master, slave))
        if pool is None:
            raise unauthorized(f"SAE {master} may not request keys for slave SAE {slave} at {self.kme_id}")
        return pool

    # -- §5.2 Get status ----------------------------------------------------------------

    def status(self, caller: str | None, slave: str) -> dict[str, Any]:
        pool = self.authorize_master(caller, slave)
        link = pool.link
        stored = pool.stored_bits()
        assessment = pool.assessment
        body: dict[str, Any] = {
            "source_KME_ID": pool.master_kme,
            "target_KME_ID": pool.slave_kme,
            "master_SAE_ID": pool.master_sae,
            "slave_SAE_ID": pool.slave_sae,
            "key_size": link.key_size,
            "stored_key_count": stored // link.key_size,
            "max_key_count": link.max_key_count,
            "max_key_per_request": link.max_key_per_request,
            "max_key_size": link.max_key_size,
            "min_key_size": link.min_key_size,
            "max_SAE_ID_count": 0,  # no key multicast (additional_slave_SAE_IDs)
        }
        if assessment is not None:
            body["status_extension"] = {
                "qrisk_link": {
                    "state": assessment.state,
                    "distance_km": assessment.distance_km,
                    "protocol": assessment.protocol,
                    "secret_key_rate_bps": round(pool.rate_bps, 3),
                    "qber": round(assessment.mc_qber, 5),
                    "abort_qber": assessment.abort_qber,
                }
            }
        return body

    # -- §5.3 Get key -------------------------------------------------------------------

    def enc_keys(self, caller: str | None, slave: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """Key request → Key container (§6 data formats). ``request`` is the decoded JSON or query."""
        pool = self.authorize_master(caller, slave)
        link = pool.link
        allowed = {"number", "size", "additional_slave_SAE_IDs", "extension_mandatory", "extension_optional"}
        unknown = sorted(set(request) - allowed)
        if unknown and not self.lenient:
            raise bad_request(f"unknown Key request field(s): {', '.join(unknown)}", unknown_fields=unknown)
        number = request.get("number", 1)
        size = request.get("size", link.key_size)
        if number is None:
            number = 1
        if size is None:
            size = link.key_size
        if not _is_int(number) or not 1 <= number <= link.max_key_per_request:
            raise bad_request(
                f"number must be an integer from 1 to max_key_per_request={link.max_key_per_request}",
                parameter="number",
            )
        if not _is_int(size) or size % 8 or not link.min_key_size <= size <= link.max_key_size:
            raise bad_request(
                f"size must be a multiple of 8 bits from min_key_size={link.min_key_size} "
                f"to max_key_size={link.max_key_size}",
                parameter="size",
            )
        extra_slaves = request.get("additional_slave_SAE_IDs")
        if extra_slaves not in (None, []):
            if not isinstance(extra_slaves, list) or not all(isinstance(s, str) for s in extra_slaves):
                raise bad_request("additional_slave_SAE_IDs must be an array of SAE IDs")
            raise bad_request("this KME does not support key multicast (max_SAE_ID_count is 0)",
                              parameter="additional_slave_SAE_IDs")
        mandatory = self._extensions(request.get("extension_mandatory"), "extension_mandatory")
        self._extensions(request.get("extension_optional"), "extension_optional")  # may be ignored (§6, Key request)
        if mandatory:
            # §6 Key request: extension_mandatory parameters "KME shall handle or return an error".
            raise bad_request(
                "not all extension_mandatory parameters are supported",
                extension_mandatory_unsupported=mandatory,
            )
        assessment = pool.assessment
        if assessment is not None and assessment.aborted:
            raise unavailable(
                f"QKD link {pool.master_kme}–{pool.slave_kme} aborted: {assessment.abort_reason}",
                qber=round(assessment.mc_qber, 5),
                abort_qber=assessment.abort_qber,
            )
        keys = pool.reserve(number, size)
        return {"keys": [{"key_ID": kid, "key": base64.b64encode(k).decode("ascii")} for kid, k in keys]}

    def _extensions(self, value: Any, name: str) -> list[dict[str, Any]]:
        """§6 Key request: an array of name/value objects; lenient mode also takes one object."""
        if value is None:
            return []
        if isinstance(value, dict) and self.lenient:
            value = [value]
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            raise bad_request(f"{name} must be an array of objects", parameter=name)
        return [x for x in value if x]

    # -- §5.4 Get key with key IDs ------------------------------------------------------

    def dec_keys(self, caller: str | None, master: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """Key IDs → Key container (§6 data formats); each key leaves the KME once."""
        sae = self.authorize_sae(caller)
        pool = self.as_slave.get((master, sae))
        if pool is None and self.lenient:
            # qkdsec doctor: the master calls dec_keys on its own KME, naming the slave in the URL.
            pool = self.as_master.get((sae, master))
        if pool is None:
            raise unauthorized(f"SAE {sae} is not a slave of SAE {master} at {self.kme_id}")
        allowed = {"key_IDs", "key_IDs_extension"}
        unknown = sorted(set(request) - allowed)
        if unknown and not self.lenient:
            raise bad_request(f"unknown Key IDs field(s): {', '.join(unknown)}", unknown_fields=unknown)
        items = request.get("key_IDs")
        if not isinstance(items, list) or not items:
            raise bad_request("key_IDs must be a non-empty array of {\"key_ID\": UUID} objects", parameter="key_IDs")
        if len(items) > pool.link.max_key_per_request:
            raise bad_request(
                f"at most max_key_per_request={pool.link.max_key_per_request} key_IDs per request",
                parameter="key_IDs",
            )
        ids: list[str] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or "key_ID" not in item:
                raise bad_request(f"key_IDs[{i}] must be an object with a key_ID", parameter="key_IDs")
            if set(item) - {"key_ID", "key_ID_extension"} and not self.lenient:
                raise bad_request(f"key_IDs[{i}] has unknown fields", parameter="key_IDs")
            kid = canonical_key_id(item["key_ID"])
            if kid is None:
                raise bad_request(f"key_IDs[{i}].key_ID is not a UUID", parameter="key_ID")
            ids.append(kid)
        if len(set(ids)) != len(ids):
            raise bad_request("a key_ID appears twice in the request", parameter="key_IDs")
        keys = pool.collect(ids)
        if keys is None:
            # One message for unknown, already delivered and someone else's key: no oracle.
            status = 404 if self.lenient else 400
            raise EtsiError(status, "key_ID unknown, already delivered, or not shared with this SAE")
        return {"keys": [{"key_ID": kid, "key": base64.b64encode(k).decode("ascii")} for kid, k in keys]}


# =========================================================================== the network


@dataclass
class KmeNetwork:
    """The KMEs of a config with their pools wired to the simulated links."""

    config: KmeNetworkConfig
    managers: dict[str, KeyManager]
    pools: list[KeyPool]
    links: list[LinkAssessment] = field(default_factory=list)

    def wipe(self) -> None:
        """Overwrite and drop all key material (on shutdown)."""
        for pool in self.pools:
            pool.wipe()


def build_network(
    cfg: KmeNetworkConfig,
    *,
    clock: Clock = time.monotonic,
    assess: Callable[[LinkConfig], LinkAssessment] = assess_link,
) -> KmeNetwork:
    """Key managers for every KME, and one pool per configured pair, fed at the link's rate."""
    home = cfg.sae_home()
    managers = {k: KeyManager(k, v.saes, cfg.mode) for k, v in cfg.kmes.items()}
    pools: list[KeyPool] = []
    assessments: list[LinkAssessment] = []
    for link in cfg.links:
        assessment = assess(link)
        assessments.append(assessment)
        share = assessment.secret_key_rate_bps / len(link.pairs)  # the link's key is split evenly
        for master, slave in link.pairs:
            pool = KeyPool(link, master, slave, home[master], home[slave], share, assessment=assessment, clock=clock)
            pools.append(pool)
            managers[home[master]].as_master[(master, slave)] = pool
            managers[home[slave]].as_slave[(master, slave)] = pool
        for kme_id in link.between:
            managers[kme_id].links.append(assessment)
    return KmeNetwork(cfg, managers, pools, assessments)


def demo_network_config(
    pki: DemoPki,
    *,
    port: int = 8443,
    host: str = "127.0.0.1",
    distance_km: float = 20.0,
    protocol: str = "decoy-bb84",
    eve: str | None = None,
    mode: KmeMode = KmeMode.STRICT,
    bidirectional: bool = False,
    prefill_s: float = 0.0,
    mc_pulses: int | None = None,
    seed: int | None = None,
    **link_options: Any,
) -> KmeNetworkConfig:
    """Two KMEs on ``port`` and ``port + 1`` (0 = free ports), SAE_A at KME_A, SAE_B at KME_B, one link.

    The pool SAE_A → SAE_B always exists; ``bidirectional`` adds SAE_B → SAE_A.
    """
    (kme_a, kme_b), (sae_a, sae_b) = list(pki.kmes), list(pki.saes)
    pairs = [(sae_a, sae_b)] + ([(sae_b, sae_a)] if bidirectional else [])
    port_b = 0 if port == 0 else port + 1
    try:
        return KmeNetworkConfig.model_validate({
            "schema": CONFIG_SCHEMA,
            "mode": mode,
            "host": host,
            "ca": pki.ca.cert,
            "kmes": {
                kme_a: {"port": port, "cert": pki.kmes[kme_a].cert, "key": pki.kmes[kme_a].key, "saes": [sae_a]},
                kme_b: {"port": port_b, "cert": pki.kmes[kme_b].cert, "key": pki.kmes[kme_b].key, "saes": [sae_b]},
            },
            "links": [{
                "between": [kme_a, kme_b], "pairs": pairs, "distance_km": distance_km, "protocol": protocol,
                "eve": eve, "prefill_s": prefill_s, "mc_pulses": mc_pulses, "seed": seed, **link_options,
            }],
        })
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"] if not isinstance(x, int)) or "options"
        raise InputError(f"{loc.split('.')[-1]}: {err['msg']}") from None


class KmeError(QriskError):
    """The KME cannot start (bad certificates, port in use…)."""
