"""Algorithm facts for the PQC engine: sizes, NIST categories, standard status, cost classes.

The facts live in ``qrisk/catalog/pqc.yaml`` (each entry with its source), keyed by the
canonical names of ``algorithms.yaml``. The recommender weighs bytes on the wire and CPU
with :meth:`PqcFacts.handshake_bytes` and :attr:`PqcFacts.cost`; live timings come from
``qrisk bench pqc``, never from here, so plans stay deterministic.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qrisk.catalog import safe_load as fast_yaml

PQC_SCHEMA = "qrisk.catalog.pqc/1"


class Kind(enum.StrEnum):
    """What an algorithm does, as far as the PQC engine is concerned."""

    KEM = "kem"
    """Key encapsulation (Diffie-Hellman groups are used as KEMs, as TLS key shares are)."""
    SIGNATURE = "signature"


class StandardStatus(enum.StrEnum):
    """How far an algorithm is along the standards track."""

    STANDARD = "standard"
    """A published final standard (FIPS 203/204/205, SP 800-208, RFC 7748, FIPS 186-5...)."""
    DRAFT_STANDARD = "draft-standard"
    """A published draft of a standard (FIPS 206 initial public draft for FN-DSA)."""
    SELECTED = "selected"
    """Selected for standardisation, no draft yet (HQC, NIST IR 8545)."""
    CANDIDATE = "candidate"
    """Proposed elsewhere or recommended by national agencies (FrodoKEM, Classic McEliece at ISO)."""
    INTERNET_DRAFT = "internet-draft"
    """An IETF Internet-Draft (X25519MLKEM768, X-Wing)."""


class CostClass(enum.StrEnum):
    """Order of magnitude of one operation on one modern core (see pqc.yaml header)."""

    VERY_LOW = "very-low"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very-high"

    @property
    def rank(self) -> int:
        """0 (cheapest) … 4 (dearest), for sorting and weighing."""
        return list(CostClass).index(self)


_KEM_OPS = ("keygen", "encaps", "decaps")
_SIG_OPS = ("keygen", "sign", "verify")


class _Sizes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    public_key_bytes: int = Field(gt=0)
    secret_key_bytes: int | None = Field(default=None, gt=0)
    seed_bytes: int | None = Field(default=None, gt=0)
    ciphertext_bytes: int | None = Field(default=None, gt=0)
    shared_secret_bytes: int | None = Field(default=None, gt=0)
    signature_bytes: int | None = Field(default=None, gt=0)
    signature_fixed: bool = True


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    kind: Kind
    key_size: int | None = None
    nist_level: int | None = Field(ge=0, le=5)
    status: StandardStatus
    standard: str
    parameters: str = ""
    sizes: _Sizes
    cost: dict[str, CostClass]
    source: str
    notes: str = ""

    @field_validator("source")
    @classmethod
    def _source_present(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("every entry must name its source")
        return v


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_: str = Field(alias="schema")
    cost_source: str
    algorithms: list[_Entry]


@dataclass(frozen=True)
class Sizes:
    """Sizes in bytes of the standard encodings."""

    public_key_bytes: int
    secret_key_bytes: int | None = None
    """Full secret-key encoding of the standard (None where implementation-specific)."""
    seed_bytes: int | None = None
    """Private seed a key can be stored as (FIPS 203 d||z, FIPS 204 xi)."""
    ciphertext_bytes: int | None = None
    shared_secret_bytes: int | None = None
    signature_bytes: int | None = None
    """Signature size; the maximum when ``signature_fixed`` is False."""
    signature_fixed: bool = True


@dataclass(frozen=True)
class PqcFacts:
    """Facts about one algorithm (or one key size of a parameterised family such as RSA)."""

    id: str
    """The PQC engine's name for it (provider ids, ``--algorithms``)."""
    name: str
    """Canonical name in algorithms.yaml."""
    kind: Kind
    nist_level: int | None
    """NIST PQC security category 1-5; 0 = none against a quantum adversary; None = not assigned."""
    status: StandardStatus
    standard: str
    """The document that standardises (or proposes) it."""
    sizes: Sizes
    cost: MappingProxyType[str, CostClass]
    """Cost class per operation: keygen/encaps/decaps or keygen/sign/verify."""
    source: str
    key_size: int | None = None
    parameters: str = ""
    notes: str = ""

    def handshake_bytes(self) -> int:
        """Bytes one use puts on the wire.

        KEM: public key one way plus ciphertext back (a key exchange). Signature: public key
        (in a certificate) plus one signature (at its maximum size).
        """
        s = self.sizes
        if self.kind is Kind.KEM:
            return s.public_key_bytes + (s.ciphertext_bytes or 0)
        return s.public_key_bytes + (s.signature_bytes or 0)

    def cost_rank(self) -> int:
        """Sum of the operations' cost ranks: a coarse CPU weight for comparing algorithms."""
        return sum(c.rank for c in self.cost.values())


class PqcFactsError(RuntimeError):
    """pqc.yaml is malformed (a bug in the shipped data)."""


def parse_facts(data: Any) -> dict[str, PqcFacts]:
    """Validate a parsed pqc.yaml document; return facts by id."""
    try:
        doc = _File.model_validate(data)
    except ValidationError as exc:
        raise PqcFactsError(f"pqc facts are malformed: {exc}") from None
    if doc.schema_.split("/")[0] != PQC_SCHEMA.split("/")[0]:
        raise PqcFactsError(f"unexpected pqc facts schema {doc.schema_!r}")
    out: dict[str, PqcFacts] = {}
    for e in doc.algorithms:
        if e.id in out:
            raise PqcFactsError(f"duplicate pqc facts id {e.id!r}")
        ops = _KEM_OPS if e.kind is Kind.KEM else _SIG_OPS
        if set(e.cost) != set(ops):
            raise PqcFactsError(f"{e.id}: cost must name exactly {', '.join(ops)}")
        s = e.sizes
        if e.kind is Kind.KEM and (s.ciphertext_bytes is None or s.shared_secret_bytes is None):
            raise PqcFactsError(f"{e.id}: a KEM needs ciphertext_bytes and shared_secret_bytes")
        if e.kind is Kind.SIGNATURE and s.signature_bytes is None:
            raise PqcFactsError(f"{e.id}: a signature needs signature_bytes")
        out[e.id] = PqcFacts(
            id=e.id,
            name=e.name,
            kind=e.kind,
            nist_level=e.nist_level,
            status=e.status,
            standard=e.standard,
            sizes=Sizes(**s.model_dump()),
            cost=MappingProxyType({op: e.cost[op] for op in ops}),
            source=e.source,
            key_size=e.key_size,
            parameters=e.parameters,
            notes=e.notes,
        )
    return out


@functools.cache
def all_facts() -> MappingProxyType[str, PqcFacts]:
    """The shipped facts by id (cached)."""
    text = resources.files("qrisk.catalog").joinpath("pqc.yaml").read_text(encoding="utf-8")
    return MappingProxyType(parse_facts(fast_yaml(text)))


def facts(algorithm_id: str) -> PqcFacts:
    """Facts for one id; KeyError names the id when it is not in pqc.yaml."""
    try:
        return all_facts()[algorithm_id]
    except KeyError:
        raise KeyError(f"no PQC facts for {algorithm_id!r} in qrisk/catalog/pqc.yaml") from None


def facts_for_name(name: str, key_size: int | None = None) -> list[PqcFacts]:
    """All facts entries for a canonical catalog name (optionally one key size)."""
    return [
        f for f in all_facts().values() if f.name == name and (key_size is None or f.key_size == key_size)
    ]


OpName = Literal["keygen", "encaps", "decaps", "sign", "verify"]


def ops_for(kind: Kind) -> tuple[OpName, ...]:
    """The three operations of a kind, in benchmark order."""
    return _KEM_OPS if kind is Kind.KEM else _SIG_OPS  # type: ignore[return-value]
