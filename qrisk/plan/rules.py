"""The planner's knowledge: ``qrisk/catalog/migration_rules.yaml`` loaded, validated and queried.

Policy stances (hybrid, NIST level, firmware signing, QKD, relays) combine per system; rules pick
a target per asset from ordered candidates; constraints (handshake bytes, MTU, CPU cost class,
required level) rule candidates out with a recorded reason. Sizes and cost classes come from
``qrisk/catalog/pqc.yaml`` (:mod:`qrisk.pqc.facts`), never from code.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qrisk.catalog import UNKNOWN, algorithms, safe_load
from qrisk.errors import InputError
from qrisk.model import QuantumStatus
from qrisk.plan.model import (
    ActionKind,
    HybridStance,
    Protocol,
    Purpose,
    QkdStance,
    Rejection,
    RelayPolicy,
    Stance,
    Target,
)
from qrisk.pqc.facts import CostClass, Kind, PqcFacts, all_facts, facts_for_name

RULES_SCHEMA = "qrisk.catalog.migration_rules/1"
COSTS_SCHEMA = "qrisk.catalog.qkd_costs/1"

_HYBRID_ORDER = list(HybridStance)  # earlier wins
_QKD_ORDER = list(QkdStance)  # later wins
_RELAY_ORDER = list(RelayPolicy)  # later wins


class RulesError(RuntimeError):
    """The shipped migration rules are malformed (a bug in the data)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _StanceEntry(_Strict):
    policy: str = ""
    hybrid: HybridStance
    min_level: int = Field(ge=1, le=5)
    prefer_level: int = Field(ge=1, le=5)
    firmware_hash_based: bool
    slh_dsa: bool
    qkd: QkdStance
    relays: RelayPolicy
    source: str = Field(min_length=1)


class _ProtocolEntry(_Strict):
    protocol: Protocol
    location_schemes: list[str] = []
    detectors: list[str] = []
    rule_prefixes: list[str] = []
    algorithms: list[str] = []
    path_keywords: list[str] = []
    fragmentation: bool = False
    source: str = Field(min_length=1)


class _HandshakeShape(_Strict):
    public_keys: int = Field(ge=0)
    ciphertexts: int = Field(ge=0)
    signatures: int = Field(ge=0)


class _ActionKindEntry(_Strict):
    weight: float = Field(gt=0)
    effort_base_days: float = Field(ge=0)
    effort_per_asset_days: float = Field(ge=0)


class _TargetEntry(_Strict):
    algorithm: str
    form: Literal["pure", "hybrid", "composite", "additional-key-exchange", "symmetric"]
    standard: str = Field(min_length=1)
    with_: str | None = Field(default=None, alias="with")
    components: list[str] | None = None
    level_exempt: bool = False


class _When(_Strict):
    hybrid: list[HybridStance] | None = None
    level_at_least: int | None = None
    required_level_at_least: int | None = None
    require_256_bit: bool | None = None
    firmware_hash_based: bool | None = None
    slh_dsa: bool | None = None


class _Match(_Strict):
    purposes: list[Purpose] | None = None
    protocols: list[Protocol] | None = None
    quantum_status: list[QuantumStatus] | None = None
    algorithms: list[str] | None = None


class _Candidate(_Strict):
    target: str
    when: _When | None = None
    reason: str = Field(min_length=1)
    alternatives: list[str] = []
    deviation: str = ""


class _Rule(_Strict):
    id: str = Field(pattern=r"^PLAN-[A-Z0-9\-]+$")
    title: str = Field(min_length=1)
    match: _Match
    when: _When | None = None
    candidates: list[_Candidate] = []
    accept: bool = False
    reason: str = ""
    special: Literal["library", "catalog-replacement"] | None = None
    action: ActionKind | None = None
    infeasible: Literal["replace-device", "accept"] | None = None
    source: str = Field(min_length=1)


class _QkdKeying(_Strict):
    pqc: str
    pqc_level5: str
    combiner: str = Field(min_length=1)
    source: str = Field(min_length=1)


class _QkdRules(_Strict):
    min_shelf_life_years: float = Field(ge=0)
    min_value: float = Field(ge=0)
    capacity_margin: float = Field(gt=0)
    eligibility_source: str = Field(min_length=1)
    keying: _QkdKeying


class _RulesFile(_Strict):
    schema_: str = Field(alias="schema")
    as_of: str
    default_stance: _StanceEntry
    policy_stances: list[_StanceEntry]
    protocols: list[_ProtocolEntry]
    firmware_keywords: list[str]
    handshake_model: dict[Purpose, _HandshakeShape]
    handshake_model_source: str
    datagram_overhead_bytes: int = Field(ge=0)
    datagram_overhead_source: str
    cpu_budgets: dict[str, CostClass]
    cpu_budget_source: str
    device_operations: dict[Purpose, list[Literal["keygen", "encaps", "decaps", "sign", "verify"]]]
    compositions: dict[str, list[str]]
    compositions_source: str
    action_kinds: dict[ActionKind, _ActionKindEntry]
    action_kinds_source: str
    value_by_criticality: dict[str, float]
    high_value_factor: float = Field(ge=1)
    value_source: str
    qkd: _QkdRules
    targets: dict[str, _TargetEntry]
    rules: list[_Rule]

    @field_validator("schema_")
    @classmethod
    def _schema(cls, v: str) -> str:
        if v != RULES_SCHEMA:
            raise ValueError(f"unsupported schema {v!r} (expected {RULES_SCHEMA})")
        return v


@dataclass(frozen=True)
class Candidate:
    target: str
    when: _When | None
    reason: str
    alternatives: tuple[str, ...]
    deviation: str = ""


@dataclass(frozen=True)
class Rule:
    """One target rule (see the YAML header for the semantics)."""

    id: str
    title: str
    purposes: frozenset[Purpose] | None
    protocols: frozenset[Protocol] | None
    statuses: frozenset[QuantumStatus] | None
    algorithms: frozenset[str] | None
    when: _When | None
    candidates: tuple[Candidate, ...]
    accept: bool
    reason: str
    special: str | None
    action: ActionKind | None
    infeasible: str | None
    source: str

    def matches(self, purpose: Purpose, protocol: Protocol, status: QuantumStatus, algorithm: str) -> bool:
        return (
            (self.purposes is None or purpose in self.purposes)
            and (self.protocols is None or protocol in self.protocols)
            and (self.statuses is None or status in self.statuses)
            and (self.algorithms is None or algorithm in self.algorithms)
        )


@dataclass(frozen=True)
class ProtocolEvidence:
    protocol: Protocol
    schemes: tuple[str, ...]
    detectors: frozenset[str]
    rule_prefixes: tuple[str, ...]
    algorithms: frozenset[str]
    path_keywords: tuple[str, ...]
    fragmentation: bool


@dataclass(frozen=True)
class Choice:
    """The outcome of applying a rule to one asset class."""

    rule: Rule
    target: Target | None
    """None for accepted risk and for infeasible constraints."""
    reason: str
    rejected: tuple[Rejection, ...]
    accept: bool
    infeasible: bool
    deviation: str = ""


class MigrationRules:
    """The parsed rules file with the lookups the planner needs."""

    def __init__(self, doc: _RulesFile, sha256: str) -> None:
        self.doc = doc
        self.sha256 = sha256
        self.default_stance = doc.default_stance
        self.stances = {s.policy: s for s in doc.policy_stances}
        self.protocols = tuple(
            ProtocolEvidence(
                p.protocol, tuple(s.lower() for s in p.location_schemes), frozenset(p.detectors),
                tuple(p.rule_prefixes), frozenset(p.algorithms), tuple(k.lower() for k in p.path_keywords),
                p.fragmentation,
            )
            for p in doc.protocols
        )
        self.fragmentation = {p.protocol: p.fragmentation for p in self.protocols}
        self.rules = tuple(
            Rule(
                id=r.id, title=r.title,
                purposes=frozenset(r.match.purposes) if r.match.purposes is not None else None,
                protocols=frozenset(r.match.protocols) if r.match.protocols is not None else None,
                statuses=frozenset(r.match.quantum_status) if r.match.quantum_status is not None else None,
                algorithms=frozenset(r.match.algorithms) if r.match.algorithms is not None else None,
                when=r.when,
                candidates=tuple(Candidate(c.target, c.when, c.reason, tuple(c.alternatives), c.deviation)
                                 for c in r.candidates),
                accept=r.accept, reason=r.reason, special=r.special, action=r.action, infeasible=r.infeasible,
                source=r.source,
            )
            for r in doc.rules
        )
        self.firmware_keywords = tuple(k.lower() for k in doc.firmware_keywords)
        self.qkd = doc.qkd
        self.protocol_by_algorithm = {alg: ev.protocol for ev in reversed(self.protocols) for alg in ev.algorithms}
        self._evidence: dict[tuple[str, str, str], Protocol | None] = {}
        self._path_res = tuple(
            (ev.protocol, re.compile("|".join(re.escape(k) for k in ev.path_keywords), re.IGNORECASE))
            for ev in self.protocols if ev.path_keywords
        )

    def protocol_by_evidence(self, scheme: str, detector: str, rule_id: str) -> Protocol | None:
        """The first protocol whose endpoint scheme, detector or rule-id prefix matches (cached)."""
        key = (scheme, detector, rule_id)
        if key not in self._evidence:
            self._evidence[key] = next(
                (ev.protocol for ev in self.protocols
                 if (scheme and scheme in ev.schemes) or detector in ev.detectors
                 or rule_id.startswith(ev.rule_prefixes)),
                None,
            )
        return self._evidence[key]

    def protocol_by_path(self, location: str) -> Protocol | None:
        for protocol, regex in self._path_res:
            if regex.search(location):
                return protocol
        return None

    # ------------------------------------------------------------------ stances

    def stance(self, policy_ids: Iterable[str], require_256_bit: bool) -> Stance:
        """The combined stance of the policies that apply (strictest wins)."""
        ids = tuple(sorted(set(policy_ids)))
        entries = [self.stances[i] for i in ids if i in self.stances]
        if not entries:
            d = self.default_stance
            return Stance(d.hybrid, d.min_level, d.prefer_level, d.firmware_hash_based, d.slh_dsa,
                          require_256_bit, d.qkd, d.relays, ids)
        return Stance(
            hybrid=min((e.hybrid for e in entries), key=_HYBRID_ORDER.index),
            min_level=max(e.min_level for e in entries),
            prefer_level=max(e.prefer_level for e in entries),
            firmware_hash_based=any(e.firmware_hash_based for e in entries),
            slh_dsa=all(e.slh_dsa for e in entries),
            require_256_bit=require_256_bit,
            qkd=max((e.qkd for e in entries), key=_QKD_ORDER.index),
            relays=max((e.relays for e in entries), key=_RELAY_ORDER.index),
            policies=ids,
        )

    # ------------------------------------------------------------------ rules

    def rule_for(
        self, purpose: Purpose, protocol: Protocol, status: QuantumStatus, algorithm: str, stance: Stance
    ) -> Rule | None:
        for rule in self.rules:
            if rule.matches(purpose, protocol, status, algorithm) and _holds(rule.when, stance):
                return rule
        return None

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def choose(
        self, rule: Rule, purpose: Purpose, protocol: Protocol, stance: Stance, *,
        max_handshake_bytes: int | None, mtu_bytes: int | None, cpu_budget: CostClass | None,
    ) -> Choice:
        """The first candidate of ``rule`` whose conditions hold and that passes every constraint."""
        if rule.accept:
            return Choice(rule, None, rule.reason, (), True, False)
        rejected: list[Rejection] = []
        for cand in rule.candidates:
            if not _holds(cand.when, stance):
                continue
            target = self.target(cand.target, purpose, cand.alternatives)
            why = self._violations(target, purpose, protocol, stance, max_handshake_bytes, mtu_bytes, cpu_budget)
            if why:
                rejected.extend(why)
                continue
            return Choice(rule, target, cand.reason, tuple(rejected), False, False, cand.deviation)
        return Choice(rule, None, rule.title, tuple(rejected), rule.infeasible == "accept", True)

    def target(self, name: str, purpose: Purpose, alternatives: Iterable[str] = ()) -> Target:
        entry = self.doc.targets[name]
        alg = algorithms().get(entry.algorithm)
        parts = entry.components or self.doc.compositions.get(entry.algorithm) or [entry.algorithm]
        return Target(
            name=name,
            algorithm=entry.algorithm,
            form=entry.form,
            standard=entry.standard,
            combined_with=entry.with_,
            nist_level=alg.nist_quantum_level if alg is not UNKNOWN else None,
            wire_bytes=self.wire_bytes(parts, purpose),
            alternatives=tuple(alternatives),
        )

    # ------------------------------------------------------------------ constraints

    def _facts(self, parts: Iterable[str]) -> list[PqcFacts] | None:
        out = []
        for name in parts:
            f = all_facts().get(name) or next(iter(facts_for_name(name)), None)
            if f is None:
                return None
            out.append(f)
        return out

    def wire_bytes(self, parts: Iterable[str], purpose: Purpose) -> int | None:
        """Bytes per handshake for the purpose's handshake model; None when sizes are unknown."""
        shape = self.doc.handshake_model.get(purpose)
        facts = self._facts(parts)
        if shape is None or facts is None:
            return None
        total = 0
        for f in facts:
            s = f.sizes
            total += shape.public_keys * s.public_key_bytes
            if f.kind is Kind.KEM:
                total += shape.ciphertexts * (s.ciphertext_bytes or 0)
            else:
                total += shape.signatures * (s.signature_bytes or 0)
        return total

    def largest_message(self, parts: Iterable[str]) -> int | None:
        """The largest single key-exchange message (public key or ciphertext, all parts together)."""
        facts = self._facts(parts)
        if facts is None:
            return None
        pk = sum(f.sizes.public_key_bytes for f in facts)
        ct = sum((f.sizes.ciphertext_bytes or 0) for f in facts if f.kind is Kind.KEM)
        return max(pk, ct)

    def _parts(self, target: Target) -> list[str]:
        entry = self.doc.targets[target.name]
        return list(entry.components or self.doc.compositions.get(entry.algorithm) or [entry.algorithm])

    def _violations(
        self, target: Target, purpose: Purpose, protocol: Protocol, stance: Stance,
        max_handshake_bytes: int | None, mtu_bytes: int | None, cpu_budget: CostClass | None,
    ) -> list[Rejection]:
        out: list[Rejection] = []
        exempt = self.doc.targets[target.name].level_exempt if target.name in self.doc.targets else False
        if (target.form != "symmetric" and not exempt and target.nist_level is not None
                and target.nist_level < stance.min_level):
            out.append(Rejection(target.name, "level",
                                 f"NIST category {target.nist_level} < {stance.min_level} required by "
                                 f"{', '.join(stance.policies) or 'the default stance'}"))
        if max_handshake_bytes is not None and target.form != "symmetric":
            if target.wire_bytes is None:
                out.append(Rejection(target.name, "unknown-size", "no sizes in pqc.yaml to check the handshake budget"))
            elif target.wire_bytes > max_handshake_bytes:
                out.append(Rejection(target.name, "max_handshake_bytes",
                                     f"{target.wire_bytes:,} B per handshake > budget {max_handshake_bytes:,} B"))
        if mtu_bytes is not None and purpose in (Purpose.KEY_EXCHANGE, Purpose.ENCRYPTION):
            largest = self.largest_message(self._parts(target))
            room = mtu_bytes - self.doc.datagram_overhead_bytes
            if largest is not None and largest > room and not self.fragmentation.get(protocol, False):
                out.append(Rejection(target.name, "mtu_bytes",
                                     f"{largest:,} B key share > {room:,} B left in a {mtu_bytes:,} B MTU datagram"))
        if cpu_budget is not None and target.form != "symmetric":
            ops = self.doc.device_operations.get(purpose, [])
            facts = self._facts(self._parts(target)) or []
            worst: tuple[int, str, str] | None = None
            for f in facts:
                for op in ops:
                    cost = f.cost.get(op)
                    if cost is not None and (worst is None or cost.rank > worst[0]):
                        worst = (cost.rank, op, cost.value)
            if worst is not None and worst[0] > cpu_budget.rank:
                out.append(Rejection(target.name, "cpu",
                                     f"{worst[1]} costs '{worst[2]}' > the device budget '{cpu_budget.value}'"))
        return out

    # ------------------------------------------------------------------ other tables

    def action_kind(self, kind: ActionKind) -> _ActionKindEntry:
        return self.doc.action_kinds[kind]

    def value_for(self, criticality: str, high_value: bool, value: float | None) -> float:
        if value is not None:
            return float(value)
        base = self.doc.value_by_criticality.get(criticality, 1.0)
        return base * (self.doc.high_value_factor if high_value else 1.0)

    def cpu_budget(self, category: str | None) -> CostClass | None:
        return self.doc.cpu_budgets.get(category or "")


def _holds(when: _When | None, stance: Stance) -> bool:
    if when is None:
        return True
    if when.hybrid is not None and stance.hybrid not in when.hybrid:
        return False
    if when.level_at_least is not None and stance.level < when.level_at_least:
        return False
    if when.required_level_at_least is not None and stance.min_level < when.required_level_at_least:
        return False
    if when.require_256_bit is not None and stance.require_256_bit != when.require_256_bit:
        return False
    if when.firmware_hash_based is not None and stance.firmware_hash_based != when.firmware_hash_based:
        return False
    return not (when.slh_dsa is not None and stance.slh_dsa != when.slh_dsa)


def parse_rules(data: Any, sha256: str = "") -> MigrationRules:
    """Validate a parsed migration_rules.yaml; cross-check targets against the catalogs."""
    try:
        doc = _RulesFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise RulesError(f"migration_rules.yaml: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    cat = algorithms()
    for name, t in doc.targets.items():
        for alg in [t.algorithm, *(t.components or [])]:
            if cat.get(alg) is UNKNOWN:
                raise RulesError(f"migration_rules.yaml: target {name!r} names {alg!r}, not in algorithms.yaml")
    for r in doc.rules:
        if not (r.candidates or r.accept or r.special):
            raise RulesError(f"migration_rules.yaml: rule {r.id} has no candidates, accept or special")
        for c in r.candidates:
            if c.target not in doc.targets:
                raise RulesError(f"migration_rules.yaml: rule {r.id} names unknown target {c.target!r}")
            for alt in c.alternatives:
                if cat.get(alt) is UNKNOWN:
                    raise RulesError(f"migration_rules.yaml: rule {r.id} alternative {alt!r} not in algorithms.yaml")
    ids = [r.id for r in doc.rules]
    if len(ids) != len(set(ids)):
        raise RulesError("migration_rules.yaml: duplicate rule ids")
    missing = set(ActionKind) - set(doc.action_kinds)
    if missing:
        raise RulesError(f"migration_rules.yaml: action_kinds misses {', '.join(sorted(missing))}")
    return MigrationRules(doc, sha256)


def _catalog_text(name: str) -> str:
    return resources.files("qrisk.catalog").joinpath(name).read_text(encoding="utf-8")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def migration_rules() -> MigrationRules:
    """The shipped rules (cached)."""
    text = _catalog_text("migration_rules.yaml")
    return parse_rules(safe_load(text), sha256_text(text))


# --------------------------------------------------------------------------- QKD costs


class _CostsFile(_Strict):
    schema_: str = Field(alias="schema")
    currency: str = Field(min_length=1)
    price_year: int
    link_hardware_eur: dict[str, float]
    link_hardware_source: str = Field(min_length=1)
    fibre_eur_per_km: float = Field(ge=0)
    fibre_source: str = Field(min_length=1)
    trusted_node_eur: float = Field(ge=0)
    trusted_node_source: str = Field(min_length=1)
    endpoint_kms_eur: float = Field(ge=0)
    endpoint_kms_source: str = Field(min_length=1)
    annual_opex_fraction: float = Field(ge=0, le=10)
    opex_source: str = Field(min_length=1)
    service_life_years: float = Field(gt=0)
    service_life_source: str = Field(min_length=1)
    deployment_years: float = Field(gt=0)
    deployment_source: str = Field(min_length=1)

    @field_validator("schema_")
    @classmethod
    def _schema(cls, v: str) -> str:
        if v != COSTS_SCHEMA:
            raise ValueError(f"unsupported schema {v!r} (expected {COSTS_SCHEMA})")
        return v

    @field_validator("link_hardware_eur")
    @classmethod
    def _default(cls, v: dict[str, float]) -> dict[str, float]:
        if "default" not in v:
            raise ValueError("link_hardware_eur needs a 'default' entry")
        if any(x < 0 for x in v.values()):
            raise ValueError("link_hardware_eur values must be >= 0")
        return v


@dataclass(frozen=True)
class QkdCosts:
    doc: _CostsFile
    sha256: str
    label: str

    def link_hardware(self, protocol: str) -> float:
        table: Mapping[str, float] = self.doc.link_hardware_eur
        return float(table.get(protocol, table["default"]))


def parse_costs(data: Any, where: str, sha256: str = "", label: str = "") -> QkdCosts:
    try:
        doc = _CostsFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(f"{where}: {'.'.join(map(str, err['loc'])) or '(top level)'}: {err['msg']}") from None
    return QkdCosts(doc, sha256, label or where)


@functools.cache
def qkd_costs() -> QkdCosts:
    """The shipped cost model (cached)."""
    text = _catalog_text("qkd_costs.yaml")
    return parse_costs(safe_load(text), "qkd_costs.yaml", sha256_text(text), "qrisk/catalog/qkd_costs.yaml")


def load_costs_text(text: str, label: str) -> QkdCosts:
    """A user cost file (``--qkd-costs``); errors name the file and field."""
    try:
        data = safe_load(text)
    except Exception as exc:  # yaml errors of either loader
        raise InputError(f"{label}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise InputError(f"{label}: a cost file is a mapping with 'schema: {COSTS_SCHEMA}'")
    return parse_costs(data, label, sha256_text(text), label)
