"""Verdicts of an inventory against published policies (``qrisk/catalog/policies/*.yaml``).

A policy is data: rules over algorithm families, canonical names, parameters, usage and system
category, each with a kind (deprecated, disallowed, exclusive use required), a deadline, binding
vs guidance, a draft flag and its source. Per asset and policy the verdict is ``compliant``,
``non-compliant`` (now), ``non-compliant-from`` (a date) or ``not-applicable``, with the governing
rule, its source and the days left relative to an injected ``now``. Process requirements
(PCI DSS 12.3.3 inventory, OMB M-23-02 fields) are checked once per policy on the inventory.

Rules are evaluated as masks over the columns of :class:`~qrisk.risk.inputs.RiskInput`.

Deadline convention: ``deadline`` is the **last day** on which use is still compliant, as the
documents state it ("by 2030", "after 2030", "end of 2031" -> 2030-12-31, 2030-12-31,
2031-12-31). The asset is non-compliant from the next day. No deadline: already in force.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from qrisk.catalog import normalise, retention_class
from qrisk.catalog import safe_load as fast_yaml
from qrisk.errors import InputError
from qrisk.model import AssetKind, Primitive, QuantumStatus, Usage
from qrisk.risk.crqc import years_between
from qrisk.risk.inputs import CATEGORIES, UNASSIGNED, UNSPECIFIED, RiskInput, Role, cert_remaining_years

POLICY_SCHEMA = "qrisk.policy/1"
_RULE_ID_RE = r"^[A-Z0-9][A-Z0-9.\-]{1,63}$"
PUBLIC_KEY_PRIMITIVES = (Primitive.SIGNATURE, Primitive.PKE, Primitive.KEM, Primitive.KEY_AGREE)


class RuleKind(enum.StrEnum):
    """What a rule does after its deadline."""

    DEPRECATED = "deprecated"
    """Still usable with accepted risk; no new use (NIST SP 800-131A vocabulary)."""
    DISALLOWED = "disallowed"
    """Not to be used."""
    EXCLUSIVE_USE_REQUIRED = "exclusive-use-required"
    """Only the listed algorithms may be used (CNSA 2.0 "exclusively use")."""

    @property
    def severity(self) -> int:
        return {RuleKind.DEPRECATED: 0, RuleKind.EXCLUSIVE_USE_REQUIRED: 1, RuleKind.DISALLOWED: 2}[self]


class Verdict(enum.StrEnum):
    """An asset's standing under one policy."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non-compliant"
    """Non-compliant now."""
    NON_COMPLIANT_FROM = "non-compliant-from"
    """Compliant today, non-compliant from ``effective_from``."""
    NOT_APPLICABLE = "not-applicable"


class CheckKind(enum.StrEnum):
    """Inventory-level (process) checks."""

    INVENTORY_PRESENT = "inventory-present"
    """A cryptographic inventory exists (discovery done)."""
    INVENTORY_COMPLETE = "inventory-complete"
    """Every asset has a known algorithm, a purpose (usage) and where it is used (PCI DSS 12.3.3)."""
    INVENTORY_FRESH = "inventory-fresh"
    """The inventory was taken (reviewed) within ``max_age_days`` of now."""
    FIELDS_PRESENT = "fields-present"
    """The listed inventory fields are filled (OMB M-23-02)."""


FieldName = Literal["system", "algorithm", "key_size", "usage", "data_classes", "location"]


# --------------------------------------------------------------------------- schema


class Source(BaseModel):
    """Where a policy, rule or check comes from."""

    model_config = ConfigDict(extra="forbid")
    document: str = Field(min_length=1)
    section: str = Field(min_length=1)
    date: str = ""
    url: str = ""
    reading: Literal["S", "P", "R"] = "P"
    """S: read in the source; P: a third party's reading of it; R: recalled (verify)."""


class Criteria(BaseModel):
    """Conditions on an asset; all given fields must hold, a list matches any of its items."""

    model_config = ConfigDict(extra="forbid")
    families: list[str] | None = None
    algorithms: list[str] | None = None
    """Canonical catalog names (matched case- and punctuation-insensitively)."""
    primitives: list[Primitive] | None = None
    usages: list[Usage] | None = None
    roles: list[Literal["key-establishment", "signature"]] | None = None
    """key-establishment: confidentiality role (usage, or primitive when usage is unknown);
    signature: authenticity role. An asset whose role is unknown matches both."""
    quantum_status: list[QuantumStatus] | None = None
    kinds: list[AssetKind] | None = None
    min_security_bits: int | None = None
    max_security_bits: int | None = None
    min_key_size: int | None = None
    max_key_size: int | None = None
    categories: list[str] | None = None
    """System categories (CNSA 2.0) or ``unspecified``."""
    priority: Literal["high", "normal"] | None = None
    """high: high-value system or criticality high/critical."""
    high_value: bool | None = None
    data_classes: list[str] | None = None
    needs_protection_beyond: dt.date | None = None
    """The asset must stay secure (x, or the trust horizon for signatures) past this date."""

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: list[str] | None) -> list[str] | None:
        for c in v or ():
            if c not in (*CATEGORIES, UNSPECIFIED):
                raise ValueError(f"unknown category {c!r} (one of {', '.join((*CATEGORIES, UNSPECIFIED))})")
        return v

    @field_validator("data_classes")
    @classmethod
    def _classes(cls, v: list[str] | None) -> list[str] | None:
        for c in v or ():
            if retention_class(c) is None:
                raise ValueError(f"unknown data class {c!r} (not in retention.yaml)")
        return v


class Rule(BaseModel):
    """An algorithm rule: which assets it covers, which of them violate it, and from when."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=_RULE_ID_RE)
    title: str = Field(min_length=1)
    applies_to: Criteria = Criteria()
    """Assets the rule speaks about (in scope: compliant unless they violate)."""
    affected: list[Criteria] | None = None
    """In-scope assets matching any of these violate the rule (a deny list)."""
    allowed: list[Criteria] | None = None
    """In-scope assets matching none of these violate the rule (an allow list)."""
    kind: RuleKind
    deadline: dt.date | None
    """Last compliant day; null: in force already."""
    binding: bool | None = None
    draft: bool | None = None
    source: Source
    notes: str = ""

    @model_validator(mode="after")
    def _one_list(self) -> Rule:
        if (self.affected is None) == (self.allowed is None):
            raise ValueError(f"rule {self.id}: give exactly one of 'affected' (deny list) or 'allowed' (allow list)")
        return self


class Check(BaseModel):
    """A process requirement checked once per policy on the whole inventory."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=_RULE_ID_RE)
    title: str = Field(min_length=1)
    check: CheckKind
    max_age_days: int | None = Field(default=None, ge=1)
    fields: list[FieldName] | None = None
    deadline: dt.date | None
    """The requirement is in force after this day; null: already in force."""
    binding: bool | None = None
    draft: bool | None = None
    source: Source

    @model_validator(mode="after")
    def _params(self) -> Check:
        if self.check is CheckKind.INVENTORY_FRESH and self.max_age_days is None:
            raise ValueError(f"check {self.id}: inventory-fresh needs max_age_days")
        if self.check is CheckKind.FIELDS_PRESENT and not self.fields:
            raise ValueError(f"check {self.id}: fields-present needs fields")
        return self


class PolicyFile(BaseModel):
    """``qrisk.policy/1``: one published policy."""

    model_config = ConfigDict(extra="forbid")
    schema_: str = Field(alias="schema")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]{1,63}$")
    aliases: list[str] = []
    title: str = Field(min_length=1)
    issuer: str = Field(min_length=1)
    edition: str = Field(min_length=1)
    status: Literal["final", "draft"]
    binding: bool
    """Binding (mandatory for those in scope) or guidance."""
    scope: str = Field(min_length=1)
    jurisdictions: list[str] = []
    """Where the policy applies; empty: everywhere. A system that lists jurisdictions none of which
    is here is not in scope."""
    requires_256_bit_symmetric: bool = False
    """Whether the policy requires 256-bit symmetric/hash strength (then AES-128 and SHA-256 count)."""
    source: Source
    rules: list[Rule] = []
    checks: list[Check] = []
    notes: str = ""

    @field_validator("schema_")
    @classmethod
    def _schema(cls, v: str) -> str:
        if v != POLICY_SCHEMA:
            raise ValueError(f"unsupported schema {v!r} (expected {POLICY_SCHEMA})")
        return v

    @model_validator(mode="after")
    def _unique(self) -> PolicyFile:
        ids = [r.id for r in self.rules] + [c.id for c in self.checks]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate rule/check ids: {', '.join(sorted(dup))}")
        if not self.rules and not self.checks:
            raise ValueError("a policy needs at least one rule or check")
        return self


def parse_policy(data: Any, where: str) -> PolicyFile:
    """Validate a YAML-parsed policy; errors name the file and field."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: a policy is a mapping with 'schema: {POLICY_SCHEMA}'")
    try:
        return PolicyFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise InputError(f"{where}: {loc}: {err['msg']}{more}") from None


@functools.cache
def shipped_policies() -> dict[str, PolicyFile]:
    """The policies in ``qrisk/catalog/policies/``, by id."""
    out: dict[str, PolicyFile] = {}
    folder = resources.files("qrisk.catalog").joinpath("policies")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            pol = parse_policy(fast_yaml(entry.read_text(encoding="utf-8")), f"policies/{entry.name}")
            out[pol.id] = pol
    return out


def _policy_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for pid, pol in shipped_policies().items():
        for name in (pid, *pol.aliases):
            index[normalise(name)] = pid
    return index


def load_policy_file(path: Path) -> PolicyFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--policy {path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"--policy {path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    return parse_policy(data, f"--policy {path}")


def resolve_policies(spec: str | Sequence[str] | None) -> list[PolicyFile]:
    """Policies from ``cnsa-2.0,nist-ir-8547`` (ids, aliases or YAML paths); all shipped when empty."""
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return list(shipped_policies().values())
    items = spec.split(",") if isinstance(spec, str) else [p for s in spec for p in s.split(",")]
    index = _policy_index()
    out: list[PolicyFile] = []
    for raw in items:
        name = raw.strip()
        if not name:
            continue
        if name.lower() == "all":
            out.extend(shipped_policies().values())
            continue
        pid = index.get(normalise(name))
        if pid is not None:
            out.append(shipped_policies()[pid])
        elif name.endswith((".yaml", ".yml")) and Path(name).is_file():
            out.append(load_policy_file(Path(name)))
        else:
            raise InputError(f"--policy {name!r}: unknown policy (known: {', '.join(sorted(shipped_policies()))})")
    seen: set[str] = set()
    return [p for p in out if not (p.id in seen or seen.add(p.id))]


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class InventoryVerdict:
    """The result of one process check of a policy."""

    policy: str
    check_id: str
    title: str
    verdict: Verdict
    deadline: dt.date | None
    effective_from: dt.date | None
    days_left: int | None
    details: str
    binding: bool
    draft: bool
    source: str


@dataclass(frozen=True)
class PolicyInfo:
    id: str
    title: str
    edition: str
    status: str
    binding: bool
    scope: str
    source: str


@dataclass(frozen=True)
class ComplianceResult:
    """Verdicts per asset x policy and per policy's inventory checks."""

    now: dt.date
    policies: tuple[PolicyInfo, ...]
    verdicts: pd.DataFrame
    """Columns: :data:`VERDICT_COLUMNS`."""
    inventory_checks: tuple[InventoryVerdict, ...]

    def summary(self) -> pd.DataFrame:
        """Counts of each verdict per policy."""
        if self.verdicts.empty:
            return pd.DataFrame(columns=["policy", *[v.value for v in Verdict]])
        table = pd.crosstab(self.verdicts["policy"], self.verdicts["verdict"])
        for v in Verdict:
            if v.value not in table.columns:
                table[v.value] = 0
        return table[[v.value for v in Verdict]].reset_index()

    def any_non_compliant(self, include_future: bool = False) -> bool:
        bad = {Verdict.NON_COMPLIANT.value} | ({Verdict.NON_COMPLIANT_FROM.value} if include_future else set())
        if self.verdicts["verdict"].astype(str).isin(bad).any():
            return True
        return any(c.verdict.value in bad for c in self.inventory_checks)


VERDICT_COLUMNS = (
    "asset_id", "system", "algorithm", "policy", "verdict", "rule_id", "kind", "deadline",
    "effective_from", "days_left", "binding", "draft", "source",
)


def source_text(src: Source) -> str:
    parts = [src.document, src.section]
    if src.date:
        parts.append(src.date)
    return ", ".join(parts) + f" [{src.reading}]"


class _Context:
    """Per-asset arrays every rule reads, computed once per evaluation."""

    def __init__(self, inp: RiskInput, now: dt.date) -> None:
        a = inp.assets
        self.n = len(a)
        self.now = now
        self.codes = inp.system_codes
        self.inp = inp
        self.security_bits = a["security_bits"].to_numpy(float)
        self.key_size = a["key_size"].to_numpy(float)
        rc = a["role"].cat.codes.to_numpy()
        rcats = list(a["role"].cat.categories)
        self.role_ke = rc != rcats.index(Role.TRUST.value)
        self.role_sig = rc != rcats.index(Role.RETENTION.value)
        x = inp.per_asset("shelf_life_years").astype(float)
        trust = inp.per_asset("trust_years").astype(float)
        trust = np.fmax(trust, np.nan_to_num(cert_remaining_years(inp, now), nan=0.0))
        self.protection_years = np.where(
            rc == rcats.index(Role.RETENTION.value), x,
            np.where(rc == rcats.index(Role.TRUST.value), trust, np.maximum(x, trust)),
        )
        self._cache: dict[tuple[str, frozenset[str]], np.ndarray] = {}

    def cat_in(self, column: str, values: Iterable[str]) -> np.ndarray:
        wanted = frozenset(normalise(str(v)) for v in values)
        key = (column, wanted)
        hit = self._cache.get(key)
        if hit is None:
            col = self.inp.assets[column]
            cats = col.cat.categories
            per_cat = np.fromiter((normalise(str(c)) in wanted for c in cats), dtype=bool, count=len(cats))
            codes = col.cat.codes.to_numpy()
            hit = np.where(codes >= 0, per_cat[np.clip(codes, 0, None)] if len(cats) else False, False)
            self._cache[key] = hit
        return hit

    def per_system(self, values: np.ndarray) -> np.ndarray:
        return values[self.codes]


def _systems_mask(inp: RiskInput, pred: Any) -> np.ndarray:
    return np.fromiter((bool(pred(row)) for _, row in inp.systems.iterrows()), dtype=bool, count=len(inp.systems))


def _criteria_mask(c: Criteria, ctx: _Context) -> np.ndarray:
    m = np.ones(ctx.n, dtype=bool)
    if c.families is not None:
        m &= ctx.cat_in("family", c.families)
    if c.algorithms is not None:
        m &= ctx.cat_in("algorithm", c.algorithms)
    if c.primitives is not None:
        m &= ctx.cat_in("primitive", [p.value for p in c.primitives])
    if c.usages is not None:
        m &= ctx.cat_in("usage", [u.value for u in c.usages])
    if c.quantum_status is not None:
        m &= ctx.cat_in("quantum_status", [q.value for q in c.quantum_status])
    if c.kinds is not None:
        m &= ctx.cat_in("kind", [k.value for k in c.kinds])
    if c.roles is not None:
        rm = np.zeros(ctx.n, dtype=bool)
        if "key-establishment" in c.roles:
            rm |= ctx.role_ke
        if "signature" in c.roles:
            rm |= ctx.role_sig
        m &= rm
    # Unknown strength or size never satisfies a threshold (NaN comparisons are False).
    with np.errstate(invalid="ignore"):
        if c.min_security_bits is not None:
            m &= ctx.security_bits >= c.min_security_bits
        if c.max_security_bits is not None:
            m &= ctx.security_bits <= c.max_security_bits
        if c.min_key_size is not None:
            m &= ctx.key_size >= c.min_key_size
        if c.max_key_size is not None:
            m &= ctx.key_size <= c.max_key_size
    systems = ctx.inp.systems
    if c.categories is not None:
        m &= ctx.per_system(systems["category"].isin(c.categories).to_numpy())
    if c.priority is not None:
        high = systems["priority_high"].to_numpy(bool)
        m &= ctx.per_system(high if c.priority == "high" else ~high)
    if c.high_value is not None:
        m &= ctx.per_system(systems["high_value"].to_numpy(bool) == c.high_value)
    if c.data_classes is not None:
        wanted = set()
        for name in c.data_classes:
            rc = retention_class(name)
            wanted.add(normalise(rc.name if rc else name))
        m &= ctx.per_system(_systems_mask(ctx.inp, lambda r: bool(wanted & set(r["data_classes"]))))
    if c.needs_protection_beyond is not None:
        gap = years_between(ctx.now, c.needs_protection_beyond)
        m &= ctx.protection_years > gap
    return m


def _applicable(policy: PolicyFile, ctx: _Context) -> np.ndarray:
    if not policy.jurisdictions:
        return np.ones(ctx.n, dtype=bool)
    wanted = {j.upper() for j in policy.jurisdictions}
    per_sys = _systems_mask(ctx.inp, lambda r: not r["jurisdictions"] or bool(wanted & set(r["jurisdictions"])))
    return ctx.per_system(per_sys)


_NO_DEADLINE = -(10**9)  # "in force already": earlier than any date
_NONE = np.iinfo(np.int64).max


def _evaluate_policy(policy: PolicyFile, ctx: _Context) -> pd.DataFrame:
    n = ctx.n
    applicable = _applicable(policy, ctx)
    in_scope = np.zeros(n, dtype=bool)
    first_scope = np.full(n, -1, dtype=np.int64)
    best_rule = np.full(n, -1, dtype=np.int64)
    best_deadline = np.full(n, _NONE, dtype=np.int64)
    best_sev = np.full(n, -1, dtype=np.int64)
    for j, rule in enumerate(policy.rules):
        scope = applicable & _criteria_mask(rule.applies_to, ctx)
        if not scope.any():
            continue
        if rule.affected is not None:
            hit = np.zeros(n, dtype=bool)
            for c in rule.affected:
                hit |= _criteria_mask(c, ctx)
            violates = scope & hit
        else:
            ok = np.zeros(n, dtype=bool)
            for c in rule.allowed or ():
                ok |= _criteria_mask(c, ctx)
            violates = scope & ~ok
        first_scope = np.where(scope & (first_scope < 0), j, first_scope)
        in_scope |= scope
        dl = rule.deadline.toordinal() if rule.deadline else _NO_DEADLINE
        sev = rule.kind.severity
        better = violates & ((dl < best_deadline) | ((dl == best_deadline) & (sev > best_sev)))
        best_rule = np.where(better, j, best_rule)
        best_deadline = np.where(better, dl, best_deadline)
        best_sev = np.where(better, sev, best_sev)

    now_ord = ctx.now.toordinal()
    violating = best_rule >= 0
    verdict = np.full(n, 3, dtype=np.int8)  # not applicable
    verdict[in_scope] = 0
    verdict[violating & (best_deadline >= now_ord)] = 2
    verdict[violating & (best_deadline < now_ord)] = 1
    rule_idx = np.where(violating, best_rule, first_scope)

    # Per-rule attributes, shared as categoricals through the rule index (last slot: no rule).
    rules = policy.rules
    idx = np.where(rule_idx >= 0, rule_idx, len(rules))

    def per_rule(values: list[str]) -> pd.Categorical:
        uniq, inverse = np.unique(np.array([*values, ""], dtype=object).astype(str), return_inverse=True)
        return pd.Categorical.from_codes(inverse[idx], categories=uniq)

    effective = [(r.deadline + dt.timedelta(days=1)).isoformat() if r.deadline else "" for r in rules]
    effective_col = per_rule(effective)
    blank = list(effective_col.categories).index("")  # always there: the no-rule slot
    codes = np.where(verdict == 2, effective_col.codes, blank)  # a date only for "non-compliant from"
    binding = np.array([policy.binding if r.binding is None else r.binding for r in rules] + [False])
    draft = np.array([(policy.status == "draft") if r.draft is None else r.draft for r in rules] + [False])
    has_days = violating & (best_deadline != _NO_DEADLINE)
    days = pd.arrays.IntegerArray(np.where(has_days, best_deadline - now_ord, 0).astype(np.int64), ~has_days)
    verdict_cats = [Verdict.COMPLIANT.value, Verdict.NON_COMPLIANT.value, Verdict.NON_COMPLIANT_FROM.value,
                    Verdict.NOT_APPLICABLE.value]
    a = ctx.inp.assets
    return pd.DataFrame({
        "asset_id": a["asset_id"].array,
        "system": a["system"].array,
        "algorithm": a["algorithm"].array,
        "policy": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[policy.id]),
        "verdict": pd.Categorical.from_codes(verdict, categories=verdict_cats),
        "rule_id": per_rule([r.id for r in rules]),
        "kind": per_rule([r.kind.value for r in rules]),
        "deadline": per_rule([r.deadline.isoformat() if r.deadline else "" for r in rules]),
        "effective_from": pd.Categorical.from_codes(codes, categories=effective_col.categories),
        "days_left": days,
        "binding": binding[idx],
        "draft": draft[idx],
        "source": per_rule([source_text(r.source) for r in rules]),
    })


# --------------------------------------------------------------------------- process checks


def _scan_date(inp: RiskInput) -> dt.date | None:
    inv = inp.inventory
    if inv is None:
        return None
    stamp = inv.scan.finished or inv.scan.started
    return stamp.date() if stamp else None


def _field_gaps(fields: Iterable[str], inp: RiskInput) -> list[str]:
    a = inp.assets
    gaps = []
    for f in fields:
        match f:
            case "system":
                declared = inp.per_asset("declared").astype(bool)
                missing = int((~declared | (a["system"].astype(str) == UNASSIGNED).to_numpy()).sum())
            case "algorithm":
                missing = int((a["quantum_status"].astype(str) == QuantumStatus.UNKNOWN.value).sum())
            case "key_size":
                pk = a["primitive"].astype(str).isin([p.value for p in PUBLIC_KEY_PRIMITIVES]).to_numpy()
                missing = int((pk & np.isnan(a["security_bits"].to_numpy(float))).sum())
            case "usage":
                missing = int((a["usage"].astype(str) == Usage.UNKNOWN.value).sum())
            case "location":
                missing = int((a["occurrences"].to_numpy() == 0).sum())
            case "data_classes":
                sysf = inp.systems.loc[inp.systems["declared"].astype(bool).to_numpy()]
                missing = int(sum(1 for dcs in sysf["data_classes"] if not dcs))
                if missing:
                    gaps.append(f"{missing} system(s) without data classes (time to live)")
                continue
            case _:  # pragma: no cover - Literal enforced by the schema
                raise AssertionError(f)
        if missing:
            gaps.append(f"{missing} asset(s) without {f.replace('_', ' ')}")
    return gaps


def _run_check(policy: PolicyFile, check: Check, inp: RiskInput, now: dt.date) -> InventoryVerdict:
    ok: bool
    details: str
    due: dt.date | None = None
    match check.check:
        case CheckKind.INVENTORY_PRESENT:
            ok = len(inp) > 0
            details = f"{len(inp)} asset(s) inventoried" if ok else "the inventory holds no assets"
        case CheckKind.INVENTORY_COMPLETE:
            gaps = _field_gaps(("algorithm", "usage", "location"), inp)
            skipped = len(inp.inventory.skipped) if inp.inventory else 0
            ok = not gaps
            details = "; ".join(gaps) if gaps else f"all {len(inp)} asset(s) have algorithm, purpose and location"
            if skipped:
                details += f" ({skipped} file(s) skipped by the scan; see the inventory)"
        case CheckKind.INVENTORY_FRESH:
            taken = _scan_date(inp)
            max_age = check.max_age_days or 365
            if taken is None:
                ok, details = False, "the inventory carries no scan date"
            else:
                due = taken + dt.timedelta(days=max_age)
                ok = now <= due
                details = f"inventory of {taken.isoformat()}; next review due {due.isoformat()}"
        case CheckKind.FIELDS_PRESENT:
            gaps = _field_gaps(check.fields or (), inp)
            ok = not gaps
            details = "; ".join(gaps) if gaps else "all required fields present: " + ", ".join(check.fields or ())
    in_force = check.deadline is None or now > check.deadline
    if ok:
        verdict = Verdict.COMPLIANT
        effective = None
        days = (due - now).days if due else None
    elif in_force:
        verdict, effective, days = Verdict.NON_COMPLIANT, None, None
    else:
        assert check.deadline is not None
        verdict = Verdict.NON_COMPLIANT_FROM
        effective = check.deadline + dt.timedelta(days=1)
        days = (check.deadline - now).days
    return InventoryVerdict(
        policy=policy.id, check_id=check.id, title=check.title, verdict=verdict, deadline=check.deadline,
        effective_from=effective, days_left=days, details=details,
        binding=policy.binding if check.binding is None else check.binding,
        draft=(policy.status == "draft") if check.draft is None else check.draft,
        source=source_text(check.source),
    )


def evaluate(inp: RiskInput, policies: Sequence[PolicyFile], now: dt.date) -> ComplianceResult:
    """Verdicts for every asset under every policy, and each policy's inventory checks."""
    ctx = _Context(inp, now)
    frames = [_evaluate_policy(p, ctx) for p in policies if p.rules]
    verdicts = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(VERDICT_COLUMNS))
    )
    checks = tuple(_run_check(p, c, inp, now) for p in policies for c in p.checks)
    infos = tuple(
        PolicyInfo(p.id, p.title, p.edition, p.status, p.binding, p.scope, source_text(p.source)) for p in policies
    )
    return ComplianceResult(now=now, policies=infos, verdicts=verdicts, inventory_checks=checks)


def requires_256_bit(policies: Iterable[PolicyFile]) -> bool:
    """Whether any of the policies requires 256-bit symmetric strength (Grover counts)."""
    return any(p.requires_256_bit_symmetric for p in policies)

