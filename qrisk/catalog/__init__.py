"""Knowledge as data: the algorithm catalog, retention defaults and their loaders.

Every entry in the YAML files names its source. Code asks the catalog; it never
hard-codes an algorithm fact, a deadline or a retention period.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qrisk.model import Algorithm, Primitive, QuantumStatus, Usage

ALGORITHMS_SCHEMA = "qrisk.catalog.algorithms/1"
RETENTION_SCHEMA = "qrisk.catalog.retention/1"
NON_CRYPTO_SCHEMA = "qrisk.catalog.non_crypto/1"

UNKNOWN = Algorithm(
    name="unknown",
    family="unknown",
    primitive=Primitive.UNKNOWN,
    quantum_status=QuantumStatus.UNKNOWN,
    source="not in the qrisk catalog",
)

_OID_RE = re.compile(r"^[0-2](\.\d+)+$")
_STRIP_RE = re.compile(r"[\s\-_/.()\[\],:;'\"]+")
# Parameterised families whose key size may be glued to the name: RSA2048, DH-3072, dsa_1024.
_SIZED_RE = re.compile(r"^(rsa|dsa|dh|elgamal)(\d{3,5})$")


class CatalogError(RuntimeError):
    """A catalog file is malformed; a bug in the shipped data or a user override."""


def normalise(name: str) -> str:
    """Case- and punctuation-insensitive key for alias lookup."""
    return _STRIP_RE.sub("", name.strip().lower())


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    family: str
    primitive: Primitive
    quantum_status: QuantumStatus
    classical_security_bits: int | None = None
    nist_quantum_level: int | None = Field(default=None, ge=0, le=5)
    aliases: list[str] = []
    oids: list[str] = []
    replacements: list[str] = []
    security_by_key_size: dict[int, int] = {}
    min_safe_key_size: int | None = None
    usages: list[Usage] = []
    curve: str | None = None
    parameter_set: str | None = None
    source: str
    notes: str = ""

    @field_validator("source")
    @classmethod
    def _source_present(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("every catalog entry must name its source")
        return v

    @field_validator("oids")
    @classmethod
    def _oids_dotted(cls, v: list[str]) -> list[str]:
        for oid in v:
            if not _OID_RE.match(oid):
                raise ValueError(f"not a dotted OID: {oid!r}")
        return v


class _AlgorithmsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_: str = Field(alias="schema")
    algorithms: list[_Entry]


@dataclass(frozen=True)
class Resolution:
    """The result of resolving a name found in the wild."""

    algorithm: Algorithm
    key_size: int | None = None
    """A key size embedded in the name (``RSA-2048``), when there was one."""

    @property
    def known(self) -> bool:
        return self.algorithm is not UNKNOWN


class AlgorithmCatalog:
    """All algorithm entries with an alias index."""

    def __init__(self, entries: list[Algorithm]) -> None:
        self._by_name: dict[str, Algorithm] = {}
        self._by_alias: dict[str, Algorithm] = {}
        self._by_oid: dict[str, Algorithm] = {}
        for entry in entries:
            if entry.name in self._by_name:
                raise CatalogError(f"duplicate catalog entry {entry.name!r}")
            self._by_name[entry.name] = entry
        for entry in entries:
            for alias in (entry.name, *entry.aliases):
                key = normalise(alias)
                if not key:
                    raise CatalogError(f"{entry.name}: empty alias")
                other = self._by_alias.get(key)
                if other is not None and other is not entry:
                    raise CatalogError(
                        f"alias {alias!r} is ambiguous: {other.name} and {entry.name} both claim it"
                    )
                self._by_alias[key] = entry
            for oid in entry.oids:
                other = self._by_oid.get(oid)
                if other is not None and other is not entry:
                    raise CatalogError(f"OID {oid} is claimed by {other.name} and {entry.name}")
                self._by_oid[oid] = entry
        for entry in entries:
            for target in entry.replacements:
                if target not in self._by_name:
                    raise CatalogError(f"{entry.name}: replacement {target!r} is not a catalog entry")

    def __len__(self) -> int:
        return len(self._by_name)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_name.values())

    def get(self, canonical: str) -> Algorithm:
        """Entry by canonical name; :data:`UNKNOWN` when absent."""
        return self._by_name.get(canonical, UNKNOWN)

    def lookup(self, name: str) -> Algorithm:
        """Resolve any alias, OID or canonical name; :data:`UNKNOWN` when not known."""
        return self.resolve(name).algorithm

    def resolve(self, name: str) -> Resolution:
        """Resolve a name and any key size glued to it; never guesses."""
        if not name:
            return Resolution(UNKNOWN)
        stripped = name.strip()
        if _OID_RE.match(stripped):
            return Resolution(self._by_oid.get(stripped, UNKNOWN))
        key = normalise(stripped)
        entry = self._by_alias.get(key)
        if entry is not None:
            return Resolution(entry)
        m = _SIZED_RE.match(key)
        if m:
            entry = self._by_alias.get(m.group(1))
            if entry is not None and entry.security_by_key_size:
                return Resolution(entry, int(m.group(2)))
        return Resolution(UNKNOWN)

    def ec(self, prefix: str, curve: str) -> Algorithm:
        """Per-curve entry such as ``ECDSA-P256`` from a curve name in any spelling."""
        curve_entry = self.lookup(curve)
        canonical_curve = curve_entry.curve or curve
        entry = self._by_alias.get(normalise(f"{prefix}-{canonical_curve}"))
        if entry is not None:
            return entry
        return self._by_name.get(prefix, UNKNOWN)


def _entry_to_algorithm(e: _Entry) -> Algorithm:
    return Algorithm(
        name=e.name,
        family=e.family,
        primitive=e.primitive,
        quantum_status=e.quantum_status,
        classical_security_bits=e.classical_security_bits,
        nist_quantum_level=e.nist_quantum_level,
        aliases=tuple(e.aliases),
        oids=tuple(e.oids),
        replacements=tuple(e.replacements),
        security_by_key_size=tuple(sorted(e.security_by_key_size.items())),
        min_safe_key_size=e.min_safe_key_size,
        usages=tuple(e.usages),
        curve=e.curve,
        parameter_set=e.parameter_set,
        source=e.source,
        notes=e.notes,
    )


_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` through libyaml when available (≈10× faster on the big catalog files)."""
    return yaml.load(text, Loader=_SafeLoader)


def _read_yaml(name: str) -> Any:
    text = resources.files("qrisk.catalog").joinpath(name).read_text(encoding="utf-8")
    return safe_load(text)


def parse_algorithms(data: Any) -> AlgorithmCatalog:
    """Validate and index an algorithms document (already YAML-parsed)."""
    try:
        doc = _AlgorithmsFile.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(f"algorithm catalog is malformed: {exc}") from None
    if doc.schema_.split("/")[0] != ALGORITHMS_SCHEMA.split("/")[0]:
        raise CatalogError(f"unexpected algorithm catalog schema {doc.schema_!r}")
    return AlgorithmCatalog([_entry_to_algorithm(e) for e in doc.algorithms])


@functools.cache
def algorithms() -> AlgorithmCatalog:
    """The shipped algorithm catalog (cached)."""
    return parse_algorithms(_read_yaml("algorithms.yaml"))


def lookup(name: str) -> Algorithm:
    """Shorthand for ``algorithms().lookup(name)``."""
    return algorithms().lookup(name)


# --------------------------------------------------------------------------- non-cryptographic names


class _NonCryptoEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    reason: str
    seen_in: str = ""

    @field_validator("reason")
    @classmethod
    def _reason_present(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("every non-cryptographic name must say why it is not an algorithm")
        return v


class _NonCryptoFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_: str = Field(alias="schema")
    names: list[_NonCryptoEntry]


def _non_crypto_key(name: str) -> str:
    stripped = name.strip()
    return stripped if _OID_RE.match(stripped) else normalise(stripped)


@functools.cache
def non_crypto_names() -> dict[str, str]:
    """Reviewed names (normalised, or exact OIDs) that show up in algorithm lists but are not
    cryptographic algorithms for qrisk's purpose, each mapped to the reason."""
    try:
        doc = _NonCryptoFile.model_validate(_read_yaml("non_crypto.yaml"))
    except ValidationError as exc:
        raise CatalogError(f"non-cryptographic name list is malformed: {exc}") from None
    if doc.schema_.split("/")[0] != NON_CRYPTO_SCHEMA.split("/")[0]:
        raise CatalogError(f"unexpected non-cryptographic name list schema {doc.schema_!r}")
    out: dict[str, str] = {}
    for e in doc.names:
        key = _non_crypto_key(e.name)
        if not key or key in out:
            raise CatalogError(f"non-cryptographic name {e.name!r} is empty or listed twice")
        out[key] = e.reason
    return out


def non_crypto_reason(name: str) -> str | None:
    """Why ``name`` is not a cryptographic algorithm, or None when it is not on the reviewed list."""
    if not name:
        return None
    return non_crypto_names().get(_non_crypto_key(name))


# --------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class RetentionClass:
    """Default shelf life of a named data class, with its legal or normative anchor."""

    name: str
    retention_years: float
    anchor: str
    aliases: tuple[str, ...] = ()
    notes: str = ""


class _RetentionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    retention_years: float = Field(ge=0, le=1000)
    anchor: str
    aliases: list[str] = []
    notes: str = ""


class _RetentionFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_: str = Field(alias="schema")
    classes: list[_RetentionEntry]


@functools.cache
def retention_classes() -> dict[str, RetentionClass]:
    """Named data classes by normalised name and alias."""
    try:
        doc = _RetentionFile.model_validate(_read_yaml("retention.yaml"))
    except ValidationError as exc:
        raise CatalogError(f"retention catalog is malformed: {exc}") from None
    out: dict[str, RetentionClass] = {}
    for e in doc.classes:
        rc = RetentionClass(e.name, e.retention_years, e.anchor, tuple(e.aliases), e.notes)
        for key in (e.name, *e.aliases):
            k = normalise(key)
            if k in out:
                raise CatalogError(f"retention class name {key!r} is used twice")
            out[k] = rc
    return out


def retention_class(name: str) -> RetentionClass | None:
    """A named data class, or None when the catalog does not define it."""
    return retention_classes().get(normalise(name))
