"""Per asset: what it is for, which protocol it lives in, and the target the rules give it.

The classification reads only the model (kind, usage, primitive, certificate, occurrences,
related assets) and the rules' evidence tables; the choice of target is
:meth:`qrisk.plan.rules.MigrationRules.choose`. Decisions are cached per (system, purpose,
protocol, status, algorithm), so a large inventory costs one rule evaluation per distinct class.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qrisk.catalog import UNKNOWN, algorithms
from qrisk.model import Asset, AssetKind, Primitive, QuantumStatus, System, Usage
from qrisk.plan.model import ActionKind, Protocol, Purpose, Rejection, Stance, Target
from qrisk.plan.rules import Choice, MigrationRules, Rule


def purpose_of(asset: Asset, signing: Purpose | None) -> Purpose:
    """What the asset is for; ``signing`` is the system's signing purpose (firmware/code) if any."""
    match asset.kind:
        case AssetKind.LIBRARY:
            return Purpose.LIBRARY
        case AssetKind.PROTOCOL:
            return Purpose.PROTOCOL
        case AssetKind.CERTIFICATE:
            if asset.certificate is not None and asset.certificate.is_ca:
                return Purpose.CERTIFICATE_AUTHORITY
            return signing or Purpose.CERTIFICATE
        case AssetKind.KEY | AssetKind.ALGORITHM:
            return _by_primitive(asset.primitive, asset.usage, signing)
    raise AssertionError(f"unhandled asset kind {asset.kind!r}")  # pragma: no cover


def _by_primitive(primitive: Primitive, usage: Usage, signing: Purpose | None) -> Purpose:
    match primitive:
        case Primitive.BLOCK_CIPHER | Primitive.STREAM_CIPHER | Primitive.AE:
            return Purpose.SYMMETRIC
        case Primitive.HASH:
            return Purpose.HASH
        case Primitive.MAC:
            return Purpose.MAC
        case Primitive.KDF | Primitive.DRBG | Primitive.XOF | Primitive.COMBINER | Primitive.OTHER:
            return Purpose.OTHER
        case Primitive.KEM | Primitive.KEY_AGREE:
            return Purpose.KEY_EXCHANGE
        case Primitive.SIGNATURE:
            return signing or Purpose.SIGNATURE
        case Primitive.PKE | Primitive.UNKNOWN:
            return _by_usage(usage, signing, dual=primitive is Primitive.PKE)
    raise AssertionError(f"unhandled primitive {primitive!r}")  # pragma: no cover


def _by_usage(usage: Usage, signing: Purpose | None, *, dual: bool) -> Purpose:
    match usage:
        case Usage.KEY_EXCHANGE:
            return Purpose.KEY_EXCHANGE
        case Usage.ENCRYPTION:
            return Purpose.ENCRYPTION
        case Usage.SIGNATURE | Usage.AUTHENTICATION:
            return signing or Purpose.SIGNATURE
        case Usage.HASHING:
            return Purpose.HASH
        case Usage.KEY_DERIVATION | Usage.RANDOM:
            return Purpose.OTHER
        case Usage.UNKNOWN:
            return Purpose.DUAL_USE if dual else Purpose.OTHER
    raise AssertionError(f"unhandled usage {usage!r}")  # pragma: no cover


def signing_purpose(system: System | None, rules: MigrationRules) -> Purpose | None:
    """Firmware or code signing for systems of CNSA 2.0's software-signing category."""
    if system is None or system.category != "software-signing":
        return None
    text = " ".join((system.id, system.name, system.description)).lower()
    if any(k in text for k in rules.firmware_keywords):
        return Purpose.FIRMWARE_SIGNING
    return Purpose.CODE_SIGNING


def protocol_of(asset: Asset, rules: MigrationRules) -> Protocol:
    """The protocol the evidence names: algorithm name, endpoint scheme, detector, rule id, then path keyword."""
    by_alg = rules.protocol_by_algorithm.get(asset.algorithm)
    if by_alg is not None:
        return by_alg
    for occ in asset.occurrences:
        loc = occ.location
        scheme = loc.split("://", 1)[0].lower() if "://" in loc else ""
        hit = rules.protocol_by_evidence(scheme, occ.detector, occ.rule_id)
        if hit is not None:
            return hit
    for occ in asset.occurrences:
        hit = rules.protocol_by_path(occ.location)
        if hit is not None:
            return hit
    return Protocol.NONE


def from_code(asset: Asset) -> bool:
    """Evidence from source code (a code change, not a configuration change)."""
    return any(o.detector.startswith("source-") for o in asset.occurrences)


def action_kind_for(kind: AssetKind, purpose: Purpose, *, in_code: bool, cert_bound: bool) -> ActionKind:
    """The kind of work that moves an asset of this kind and purpose."""
    match purpose:
        case Purpose.LIBRARY:
            return ActionKind.UPGRADE_LIBRARY
        case Purpose.CERTIFICATE_AUTHORITY:
            return ActionKind.REKEY_CA
        case Purpose.CERTIFICATE:
            return ActionKind.REISSUE_CERTIFICATE
        case Purpose.CODE_SIGNING | Purpose.FIRMWARE_SIGNING if kind is AssetKind.CERTIFICATE or cert_bound:
            return ActionKind.REISSUE_CERTIFICATE
        case _:
            pass
    match kind:
        case AssetKind.KEY:
            return ActionKind.ROTATE_KEY
        case AssetKind.PROTOCOL:
            return ActionKind.RECONFIGURE
        case AssetKind.CERTIFICATE:
            return ActionKind.REISSUE_CERTIFICATE
        case AssetKind.ALGORITHM:
            return ActionKind.CHANGE_CODE if in_code else ActionKind.RECONFIGURE
        case AssetKind.LIBRARY:
            return ActionKind.UPGRADE_LIBRARY
    raise AssertionError(f"unhandled asset kind {kind!r}")  # pragma: no cover


# --------------------------------------------------------------------------- libraries


@dataclass(frozen=True)
class LibraryFacts:
    id: str
    name: str
    pqc_since: str | None
    pqc: tuple[str, ...]
    source: str
    as_of: str


@functools.cache
def _library_index() -> dict[str, LibraryFacts]:
    """Libraries by id from qrisk/catalog/libraries.yaml (through the scanner's loader)."""
    try:
        from qrisk.scan.detectors.dependencies import libraries
    except ImportError:  # pragma: no cover - the dependency detector is optional
        return {}
    out: dict[str, LibraryFacts] = {}
    for lib in libraries().values():
        out.setdefault(lib.id, LibraryFacts(lib.id, lib.name, lib.pqc_since, tuple(lib.pqc), lib.source, lib.as_of))
    return out


def library_status(asset: Asset) -> str:
    """``pqc-capable``, ``not pqc-capable``, ``pqc-capable from X`` or ``unknown`` (from the scanner's notes)."""
    for note in asset.notes[:1]:
        if note == "pqc-capable" or note == "not pqc-capable" or note.startswith("pqc-capable from "):
            return note
    return "unknown"


def library_choice(asset: Asset, rule: Rule) -> Choice | None:
    """The upgrade for a library asset; None when it already can do PQC (or nothing is known)."""
    status = library_status(asset)
    if status == "pqc-capable":
        return None
    lib = _library_index().get(asset.name)
    label = lib.name if lib else (asset.name or asset.algorithm)
    if status == "unknown" and lib is None:
        return None
    since = lib.pqc_since if lib else None
    version = asset.version or "unpinned"
    if lib is not None and since is None:
        target = Target(name=f"a PQC-capable replacement for {label}", algorithm=None, form="library",
                        standard=lib.source)
        reason = (f"{label} {version}: no release implements ML-KEM/ML-DSA/SLH-DSA (as of {lib.as_of}); "
                  "move to a library that does before the code changes that need it")
        return Choice(rule, target, reason, (), False, False)
    if lib is not None and since == "any":
        return None
    if status.startswith("pqc-capable from "):
        since = since or status.removeprefix("pqc-capable from ")
        reason = f"{label} {version}: the constraint allows releases before {since}; pin >= {since} to get PQC"
    else:
        reason = f"{label} {version} cannot do PQC; {since or 'a later release'} adds it"
        if lib is not None and lib.pqc:
            reason += f" ({', '.join(lib.pqc)})"
    target = Target(name=f"{label} >= {since}" if since else f"{label}: a PQC-capable release", algorithm=None,
                    form="library", standard=lib.source if lib else "qrisk/catalog/libraries.yaml")
    return Choice(rule, target, reason, (), False, False)


def catalog_choice(asset_algorithm: str, purpose: Purpose, rule: Rule, rules: MigrationRules) -> Choice:
    """The catalog's first replacement (rule ``special: catalog-replacement``)."""
    entry = algorithms().get(asset_algorithm)
    reps = entry.replacements if entry is not UNKNOWN else ()
    if not reps:
        return Choice(rule, None, f"{asset_algorithm}: no rule and no catalog replacement; review by hand",
                      (), True, False)
    rep = algorithms().get(reps[0])
    target = Target(name=reps[0], algorithm=reps[0], form="catalog", standard=rep.source if rep is not UNKNOWN else "",
                    nist_level=rep.nist_quantum_level if rep is not UNKNOWN else None,
                    wire_bytes=rules.wire_bytes([reps[0]], purpose), alternatives=tuple(reps[1:]))
    return Choice(rule, target, f"the catalog's replacement for {asset_algorithm}: {', '.join(reps)}", (), False, False)


# --------------------------------------------------------------------------- per-asset decision


@dataclass(frozen=True)
class Decision:
    """One class of assets: its rule, target (or acceptance) and the constraints that decided."""

    purpose: Purpose
    protocol: Protocol
    choice: Choice | None
    """None: safe (no rule) or review (unknown algorithm)."""


class Recommender:
    """Applies the rules to assets of one inventory, caching per decision class."""

    def __init__(self, rules: MigrationRules, systems: dict[str, System], stances: dict[str, Stance]) -> None:
        self.rules = rules
        self.systems = systems
        self.stances = stances
        self._cache: dict[tuple[Any, ...], Choice | None] = {}
        self._signing: dict[str, Purpose | None] = {}

    def signing(self, system_id: str) -> Purpose | None:
        if system_id not in self._signing:
            self._signing[system_id] = signing_purpose(self.systems.get(system_id), self.rules)
        return self._signing[system_id]

    def choose(self, asset: Asset, system_id: str, purpose: Purpose, protocol: Protocol,
               status: QuantumStatus) -> Choice | None:
        """The rule's choice for the asset, or None when no rule applies (safe, unknown)."""
        stance = self.stances[system_id]
        if purpose is Purpose.LIBRARY:
            rule = self.rules.rule_for(purpose, protocol, status, asset.algorithm, stance)
            return library_choice(asset, rule) if rule is not None else None
        if status is QuantumStatus.UNKNOWN:
            return None
        key = (system_id, purpose, protocol, status, asset.algorithm)
        if key in self._cache:
            return self._cache[key]
        rule = self.rules.rule_for(purpose, protocol, status, asset.algorithm, stance)
        choice: Choice | None
        if rule is None:
            choice = None
        elif rule.special == "catalog-replacement":
            choice = catalog_choice(asset.algorithm, purpose, rule, self.rules)
        else:
            system = self.systems.get(system_id)
            choice = self.rules.choose(
                rule, purpose, protocol, stance,
                max_handshake_bytes=system.max_handshake_bytes if system else None,
                mtu_bytes=system.mtu_bytes if system else None,
                cpu_budget=self.rules.cpu_budget(system.category if system else None),
            )
        self._cache[key] = choice
        return choice


def describe_rejections(rejected: Sequence[Rejection]) -> str:
    return "; ".join(f"{r.candidate} ruled out ({r.constraint}: {r.detail})" for r in rejected)
