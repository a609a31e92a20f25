"""The migration plan's data model: frozen dataclasses and closed vocabularies (``str`` enums).

A :class:`MigrationPlan` says, for an inventory under the policies in force, what to change, to
what, in what order, by when, and where a QKD link is worth it. It records every input that
shaped it (:class:`PlanInputs`) so a run can be reproduced. The model knows nothing about output
formats; :mod:`qrisk.plan.formats` turns it into JSON (``"schema": "qrisk.plan/1"``), CSV or a table.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

PLAN_SCHEMA = "qrisk.plan/1"


class Purpose(enum.StrEnum):
    """What an asset is for, as far as choosing its replacement goes."""

    KEY_EXCHANGE = "key-exchange"
    """Key agreement or KEM in a protocol or in code (harvest now, decrypt later)."""
    ENCRYPTION = "encryption"
    """Public-key encryption or key transport (RSA-OAEP, ElGamal)."""
    SIGNATURE = "signature"
    """Signatures and authentication keys not tied to a certificate or a signing service."""
    DUAL_USE = "dual-use"
    """Usage unknown on a primitive that does both (RSA)."""
    CERTIFICATE = "certificate"
    """An end-entity certificate and its key."""
    CERTIFICATE_AUTHORITY = "certificate-authority"
    """A CA certificate (root or intermediate) and its key."""
    CODE_SIGNING = "code-signing"
    """Signing in a software-signing system."""
    FIRMWARE_SIGNING = "firmware-signing"
    """Signing of firmware images devices verify for their lifetime."""
    SYMMETRIC = "symmetric"
    """Block/stream ciphers and AEADs."""
    HASH = "hash"
    MAC = "mac"
    LIBRARY = "library"
    """A cryptographic library (kind ``library``)."""
    PROTOCOL = "protocol"
    """A protocol endpoint (kind ``protocol``): an anchor for the algorithm assets seen there."""
    OTHER = "other"
    """KDFs, DRBGs and anything else."""


class Protocol(enum.StrEnum):
    """The protocol an asset is used in, when the evidence says."""

    TLS = "tls"
    SSH = "ssh"
    IPSEC = "ipsec"
    NONE = "none"
    """Application code, files, or unknown."""


class ActionKind(enum.StrEnum):
    """What kind of work an action is."""

    UPGRADE_LIBRARY = "upgrade-library"
    RECONFIGURE = "reconfigure"
    """Change a protocol configuration (TLS groups, SSH KexAlgorithms, IKE proposals)."""
    REISSUE_CERTIFICATE = "reissue-certificate"
    REKEY_CA = "rekey-ca"
    ROTATE_KEY = "rotate-key"
    CHANGE_CODE = "change-code"
    REPLACE_DEVICE = "replace-device"
    """No candidate fits the system's constraints: hardware or protocol refresh."""
    DEPLOY_QKD = "deploy-qkd"


class Urgency(enum.StrEnum):
    IMMEDIATE = "immediate"
    """Classically broken: exploitable today, whatever the quantum timeline."""
    PLANNED = "planned"


class Disposition(enum.StrEnum):
    """What the plan does with one asset."""

    ACTION = "action"
    ACCEPTED_RISK = "accepted-risk"
    REVIEW = "review"
    """Algorithm not in the catalog: not assessed, never guessed."""
    SAFE = "safe"
    """Nothing to do under the policies in force."""


class DeadlineStatus(enum.StrEnum):
    """How an action's end compares with its deadline."""

    MEETS = "meets"
    MISSES = "misses"
    """The action ends after a deadline that is still ahead."""
    OVERDUE = "overdue"
    """The deadline had already passed at ``now``."""
    NONE = "none"
    """No policy deadline and no Mosca need-by date applies."""


class HybridStance(enum.StrEnum):
    """A policy's view of hybrid (classical + PQ) schemes; precedence is the declaration order."""

    REQUIRED = "required"
    PURE_PREFERRED = "pure-preferred"
    """Pure PQ (CNSA 2.0: hybrids not required, and not in its algorithm table outside IKEv2)."""
    RECOMMENDED = "recommended"
    OPTIONAL = "optional"


class QkdStance(enum.StrEnum):
    """A policy's view of QKD; precedence is the reverse declaration order (strictest last)."""

    ACCEPTED = "accepted"
    COMPLEMENT_ONLY = "complement-only"
    """Only alongside PQC (the planner only ever recommends QKD+PQC, so this accepts)."""
    NOT_ENDORSED = "not-endorsed"


class RelayPolicy(enum.StrEnum):
    """Which QKD trusted nodes may relay keys; strictest last."""

    ANY_TRUSTED = "any-trusted"
    """Any site marked relay and trusted."""
    OWN_ONLY = "own-only"
    """Only relays owned by the organisation (no third-party trusted nodes)."""
    NONE = "none"
    """Direct links only."""


class QkdMode(enum.StrEnum):
    QKD_PQC = "qkd+pqc"
    """QKD keys combined with an ML-KEM secret (never QKD alone)."""
    PQC_ONLY = "pqc-only"


class QkdReason(enum.StrEnum):
    """The constraint that decided a QKD decision."""

    CAPACITY_COVERS_DEMAND = "capacity-covers-demand"
    NETWORK = "network"
    """A site of the pair is not in the QKD network."""
    SHELF_LIFE = "shelf-life"
    VALUE = "value"
    POLICY = "policy"
    """A policy in force does not endorse QKD."""
    RELAY = "relay"
    """Capacity would cover the demand only through relays the policy refuses."""
    CAPACITY = "capacity"
    """End-to-end key capacity is below the demand."""
    BUDGET = "budget"


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Budget:
    """What-if limits (``--budget``)."""

    qkd_eur: float | None = None
    """Capital available for QKD links; pairs beyond it get PQC-only (reason ``budget``)."""
    effort_days_per_year: float | None = None
    """Person-days of migration work per calendar year; actions wait for capacity."""


@dataclass(frozen=True)
class Stance:
    """The combined view of the policies that apply to a system."""

    hybrid: HybridStance
    min_level: int
    """Lowest NIST category a target may have."""
    prefer_level: int
    """Category to choose when constraints allow."""
    firmware_hash_based: bool
    """Firmware signing must use LMS/XMSS (CNSA 2.0)."""
    slh_dsa: bool
    """SLH-DSA is acceptable."""
    require_256_bit: bool
    """256-bit symmetric and hash strength required (Grover counts)."""
    qkd: QkdStance
    relays: RelayPolicy
    policies: tuple[str, ...]
    """Ids of the policies that apply (empty: the default stance)."""

    @property
    def level(self) -> int:
        return max(self.min_level, self.prefer_level)


@dataclass(frozen=True)
class PlanInputs:
    """Everything a plan depends on, so that a run can be reproduced."""

    now: dt.date
    crqc: dict[str, Any]
    """The ``--crqc`` arrival as :meth:`qrisk.risk.crqc.Arrival.describe` gives it."""
    policies: tuple[dict[str, Any], ...]
    """Id, edition, status and sha256 of each policy in force."""
    budget: Budget
    migration_speed: float
    quantile: float
    """Quantile of the CRQC arrival used for Mosca need-by dates."""
    relay_policy: RelayPolicy | None
    """``--qkd-relays`` when given (else the policies' stance)."""
    qkd_network: dict[str, Any]
    """Where the QKD network came from: label, sha256, sites, links."""
    inventory: dict[str, Any]
    """Counts and a fingerprint (sha256 over asset ids and system ids)."""
    catalogs: dict[str, str]
    """sha256 of each catalog file the plan read."""
    tool_version: str


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Target:
    """What an asset moves to."""

    name: str
    """Display name: ``X25519MLKEM768``, ``ML-DSA-65+ECDSA-P256``, ``OpenSSL >= 3.5.0``."""
    algorithm: str | None
    """Canonical catalog name of the post-quantum (or target) algorithm; None for libraries."""
    form: str
    """pure | hybrid | composite | additional-key-exchange | symmetric | library | catalog."""
    standard: str
    combined_with: str | None = None
    nist_level: int | None = None
    wire_bytes: int | None = None
    """Bytes per handshake under the purpose's handshake model (None where not applicable)."""
    alternatives: tuple[str, ...] = ()
    """Other targets when the asset's usage is not known."""


@dataclass(frozen=True)
class Rejection:
    """A candidate a constraint ruled out."""

    candidate: str
    constraint: str
    """``max_handshake_bytes``, ``mtu_bytes``, ``cpu``, ``level`` or ``unknown-size``."""
    detail: str


@dataclass(frozen=True)
class Action:
    """One piece of work: a group of assets of one system moving to the same target."""

    id: str
    """Stable id (hash of the grouping key): the same inputs give the same ids."""
    rank: int
    """1 = first in priority order (urgency, risk with what depends on it, deadline)."""
    kind: ActionKind
    system: str
    purpose: Purpose
    protocol: Protocol
    title: str
    source_algorithms: tuple[str, ...]
    target: Target
    rule_id: str
    reason: str
    """Why this target: the rule, the policies and the constraints that decided."""
    rule_source: str
    urgency: Urgency
    asset_ids: tuple[str, ...]
    locations: tuple[str, ...]
    """Up to 50 locations (paths or endpoints) of the assets."""
    locations_total: int
    probability_exposed: float
    """Highest P(CRQC before the asset's horizon) among the assets (1 when classically broken)."""
    value: float
    risk: float
    """probability_exposed x value."""
    policy_deadline: dt.date | None
    """Earliest last-compliant day among the assets' non-compliant verdicts."""
    policy_deadline_source: str
    mosca_need_by: dt.date | None
    """Latest end that keeps the data (or signatures) safe at the chosen CRQC quantile."""
    deadline: dt.date | None
    """The earlier of the two."""
    deadline_source: str
    depends_on: tuple[str, ...]
    sync_group: str | None
    """Actions in one sync group (both ends of a protocol) start together."""
    start: dt.date
    end: dt.date
    start_year: int
    end_year: int
    duration_years: float
    effort_days: float
    deadline_status: DeadlineStatus
    wave: int
    rejected: tuple[Rejection, ...] = ()
    cost_eur: float | None = None
    """For deploy-qkd: capital cost of the links and nodes this pair adds."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AcceptedRisk:
    """Vulnerable (or policy-weak) assets the plan deliberately leaves, with the reason."""

    id: str
    system: str
    algorithm: str
    purpose: Purpose
    rule_id: str
    reason: str
    source: str
    asset_ids: tuple[str, ...]
    probability_exposed: float
    review_by: dt.date | None
    """When to look again (the earliest policy deadline that could change the answer), if any."""


@dataclass(frozen=True)
class Wave:
    """Actions that start in the same calendar year, in priority order."""

    number: int
    start_year: int
    end_year: int
    action_ids: tuple[str, ...]
    assets: int
    risk: float
    deadlines_missed: int
    overdue: int
    summary: str


@dataclass(frozen=True)
class QkdCost:
    """Capital and running cost of QKD for one site pair (``qrisk/catalog/qkd_costs.yaml``)."""

    currency: str
    links: tuple[str, ...]
    fibre_km: float
    trusted_nodes: tuple[str, ...]
    hardware: float
    fibre: float
    nodes: float
    endpoints: float
    capex: float
    """Capital this pair adds (links and nodes already paid for by an earlier pair are not counted)."""
    annual: float
    """capex / service life + opex."""
    per_tunnel_annual: float
    shared_with: tuple[str, ...] = ()
    """Pairs whose links or nodes this pair reuses."""


@dataclass(frozen=True)
class QkdDecision:
    """QKD+PQC or PQC-only for one site pair, and which constraint decided."""

    id: str
    """``a--b`` with the site ids sorted."""
    a: str
    b: str
    flows: tuple[str, ...]
    systems: tuple[str, ...]
    demand_bps: float
    shelf_life_years: float
    value: float
    mode: QkdMode
    reason: QkdReason
    detail: str
    relay_policy: RelayPolicy
    policies: tuple[str, ...]
    capacity_bps: float
    """Max-flow under the relay policy (after pairs decided earlier took their share)."""
    capacity_any_relay_bps: float
    """Max-flow if every relay site could relay (what the relay policy costs)."""
    widest_path_bps: float
    paths: tuple[tuple[tuple[str, ...], float], ...]
    """Paths (sites) that would carry the demand and the key rate each takes: fewest relays first."""
    relays: tuple[str, ...]
    """Trusted nodes on those paths: each sees the key."""
    refused_relays: tuple[str, ...]
    keying: str
    """How the key is made: the QKD+PQC combiner, or the PQC key exchange alone."""
    cost: QkdCost | None
    checks: dict[str, bool] = field(default_factory=dict)
    """Each constraint and whether it passed (network, shelf-life, value, policy, relay, capacity, budget)."""


@dataclass(frozen=True)
class PlanSummary:
    assets: int
    vulnerable: int
    """Assets that must change: quantum-broken, classically broken, or weakened under a 256-bit policy."""
    with_action: int
    accepted_risk: int
    review: int
    safe: int
    actions: int
    waves: int
    deadlines_met: int
    deadlines_missed: int
    overdue: int
    first_year: int | None
    last_year: int | None
    """Year the last action ends."""
    qkd_pairs: int
    qkd_recommended: int
    qkd_capex: float
    by_kind: dict[str, int]


@dataclass(frozen=True)
class MigrationPlan:
    """The result of :func:`qrisk.plan.build_plan`."""

    inputs: PlanInputs
    summary: PlanSummary
    stances: dict[str, Stance]
    """Per system id: the combined stance of the policies that apply."""
    actions: tuple[Action, ...]
    """In priority order (rank)."""
    waves: tuple[Wave, ...]
    accepted_risks: tuple[AcceptedRisk, ...]
    review: tuple[str, ...]
    """Asset ids not assessed (unknown algorithm)."""
    qkd: tuple[QkdDecision, ...]

    def disposition(self, asset_id: str) -> Disposition:
        """What the plan does with one asset (linear scan; for tests and small plans)."""
        for a in self.actions:
            if asset_id in a.asset_ids:
                return Disposition.ACTION
        for r in self.accepted_risks:
            if asset_id in r.asset_ids:
                return Disposition.ACCEPTED_RISK
        if asset_id in self.review:
            return Disposition.REVIEW
        return Disposition.SAFE

    def action(self, action_id: str) -> Action:
        for a in self.actions:
            if a.id == action_id:
                return a
        raise KeyError(action_id)
