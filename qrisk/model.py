"""The data model every stage shares: frozen dataclasses, ``str`` enums and one JSON serialiser.

The model knows nothing about output formats; ``to_json``/``from_json`` give the one
canonical JSON form (``"schema": "qrisk.inventory/1"``) that other formats start from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import json
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

INVENTORY_SCHEMA = "qrisk.inventory/1"


class QuantumStatus(enum.StrEnum):
    """How an algorithm fares against a cryptographically relevant quantum computer."""

    CLASSICALLY_BROKEN = "classically-broken"
    """Broken without a quantum computer (MD5, SHA-1 signatures, DES, RC4, RSA-512…)."""
    BROKEN = "broken"
    """Broken by Shor's algorithm (RSA, DH, ECDSA, ECDH, EdDSA…)."""
    WEAKENED = "weakened"
    """Weakened by Grover or below a policy's required strength (AES-128, SHA-256…)."""
    SAFE = "safe"
    """Believed to resist a CRQC (ML-KEM, ML-DSA, SLH-DSA, AES-256, SHA-384…)."""
    UNKNOWN = "unknown"
    """Not in the catalog: never guessed."""

    @property
    def severity(self) -> int:
        """Order for ``--fail-on``: higher is worse."""
        return _SEVERITY[self]


_SEVERITY = {
    QuantumStatus.SAFE: 0,
    QuantumStatus.UNKNOWN: 1,
    QuantumStatus.WEAKENED: 2,
    QuantumStatus.BROKEN: 3,
    QuantumStatus.CLASSICALLY_BROKEN: 4,
}


class Primitive(enum.StrEnum):
    """Cryptographic primitive, in the CycloneDX 1.6 ``algorithmProperties.primitive`` vocabulary."""

    DRBG = "drbg"
    MAC = "mac"
    BLOCK_CIPHER = "block-cipher"
    STREAM_CIPHER = "stream-cipher"
    SIGNATURE = "signature"
    HASH = "hash"
    PKE = "pke"
    XOF = "xof"
    KDF = "kdf"
    KEY_AGREE = "key-agree"
    KEM = "kem"
    AE = "ae"
    COMBINER = "combiner"
    OTHER = "other"
    UNKNOWN = "unknown"


class AssetKind(enum.StrEnum):
    """What sort of cryptographic asset was found."""

    ALGORITHM = "algorithm"
    CERTIFICATE = "certificate"
    KEY = "key"
    PROTOCOL = "protocol"
    LIBRARY = "library"


class Usage(enum.StrEnum):
    """What the cryptography is used for; drives the threat model."""

    KEY_EXCHANGE = "key-exchange"
    SIGNATURE = "signature"
    ENCRYPTION = "encryption"
    HASHING = "hashing"
    AUTHENTICATION = "authentication"
    KEY_DERIVATION = "key-derivation"
    RANDOM = "random"
    UNKNOWN = "unknown"


class Confidence(enum.StrEnum):
    """How sure a detector is that the evidence is real cryptography."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class KeyMaterial(enum.StrEnum):
    """For assets of kind ``key``: which half of the key pair the evidence holds."""

    PRIVATE = "private"
    PUBLIC = "public"
    SECRET = "secret"
    """A symmetric secret (reported, never copied)."""


class Criticality(enum.StrEnum):
    """Business criticality of a system, from the manifest."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class MigrationEffort(enum.StrEnum):
    """Rough migration effort of a system, from the manifest."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very-high"


# --------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class Algorithm:
    """A catalog entry (``qrisk/catalog/algorithms.yaml``)."""

    name: str
    """Canonical name, e.g. ``ML-KEM-768``, ``RSA``, ``ECDSA-P256``."""
    family: str
    """Family, e.g. ``RSA``, ``EC``, ``AES``, ``ML-KEM``."""
    primitive: Primitive
    quantum_status: QuantumStatus
    classical_security_bits: int | None = None
    """Classical security strength in bits (SP 800-57 Pt 1 Table 2), when fixed by the entry."""
    nist_quantum_level: int | None = None
    """NIST PQC security category 1–5; 0 when broken by a CRQC; None when not applicable."""
    aliases: tuple[str, ...] = ()
    """Names as they appear in code, configs, OIDs and protocols."""
    oids: tuple[str, ...] = ()
    replacements: tuple[str, ...] = ()
    """Canonical names of recommended quantum-safe replacements."""
    security_by_key_size: tuple[tuple[int, int], ...] = ()
    """(key size in bits, classical security bits), for key-size-parameterised entries (RSA, DH, DSA)."""
    min_safe_key_size: int | None = None
    """Key sizes below this are classically broken (e.g. RSA < 1024)."""
    usages: tuple[Usage, ...] = ()
    """Typical usages of the algorithm."""
    curve: str | None = None
    """Named curve for per-curve entries (``P-256``, ``secp256k1``…)."""
    parameter_set: str | None = None
    source: str = ""
    """Where the facts come from (standard, section, date)."""
    notes: str = ""

    def security_bits_for(self, key_size: int | None) -> int | None:
        """Classical security for a key size, taking the largest tabulated size not above it."""
        if not self.security_by_key_size or key_size is None:
            return self.classical_security_bits
        best: int | None = None
        for size, bits in self.security_by_key_size:
            if key_size >= size:
                best = bits
        return best if best is not None else 0

    def status_for(self, key_size: int | None) -> QuantumStatus:
        """Quantum status for a concrete key size (a tiny RSA key is classically broken)."""
        if key_size is not None and self.min_safe_key_size and key_size < self.min_safe_key_size:
            return QuantumStatus.CLASSICALLY_BROKEN
        return self.quantum_status


# --------------------------------------------------------------------------- evidence


@dataclass(frozen=True)
class Occurrence:
    """Where evidence of an asset was seen."""

    location: str
    """Path relative to the scan target's root (first segment = root name with several targets),
    or an endpoint ``tls://host:port`` / ``ssh://host:port``."""
    detector: str
    """Detector id, e.g. ``x509``."""
    rule_id: str
    """Stable rule id, ``QR-…``; never changes once released."""
    line: int | None = None
    """1-based line, where the format has lines."""
    confidence: Confidence = Confidence.HIGH
    snippet: str = ""
    """A short, redacted excerpt: never secret material."""


@dataclass(frozen=True)
class CertificateInfo:
    """Public metadata of an X.509 certificate."""

    subject: str
    issuer: str
    serial_number: str
    not_before: dt.datetime
    not_after: dt.datetime
    signature_algorithm: str
    """Canonical catalog name of the algorithm the issuer signed with (e.g. ``RSA``, ``ML-DSA-65``)."""
    signature_hash: str | None = None
    """Hash used in the signature, when separate (``SHA-256``)."""
    is_ca: bool = False
    self_signed: bool = False
    format: str = "X.509"
    subject_key_id: str | None = None
    authority_key_id: str | None = None
    sha256_fingerprint: str = ""
    """SHA-256 of the DER certificate."""


@dataclass(frozen=True)
class Asset:
    """One cryptographic asset with all the places it was seen."""

    asset_id: str
    """Stable id (see :func:`make_asset_id`); CBOM bom-ref, SARIF fingerprint basis, diff key."""
    kind: AssetKind
    algorithm: str
    """Canonical catalog name (``unknown`` when the catalog does not know it)."""
    primitive: Primitive
    quantum_status: QuantumStatus
    usage: Usage = Usage.UNKNOWN
    key_size: int | None = None
    """Key size in bits (RSA modulus, EC field size, symmetric key length)."""
    curve: str | None = None
    parameter_set: str | None = None
    mode: str | None = None
    classical_security_bits: int | None = None
    nist_quantum_level: int | None = None
    occurrences: tuple[Occurrence, ...] = ()
    system: str | None = None
    """Manifest system id the asset belongs to, when known."""
    fingerprint_sha256: str | None = None
    """SHA-256 of the DER SubjectPublicKeyInfo (keys, certificates); never of private material."""
    key_material: KeyMaterial | None = None
    encrypted: bool = False
    """The container was password-protected and not opened."""
    certificate: CertificateInfo | None = None
    name: str = ""
    """Human label (certificate subject CN, key file name, library name)."""
    version: str | None = None
    """Library or protocol version."""
    related: tuple[str, ...] = ()
    """asset_ids this asset depends on (e.g. issuer certificate, signature algorithm)."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataClass:
    """A class of data a system holds, with how long it must stay confidential."""

    name: str
    retention_years: float
    """Shelf life x in years."""
    retention_source: str = ""
    """Where the retention comes from (manifest, or the catalog's legal anchor)."""


@dataclass(frozen=True)
class System:
    """A system from the manifest."""

    id: str
    name: str
    owner: str = ""
    paths: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    data_classes: tuple[DataClass, ...] = ()
    migration_years: float | None = None
    """Migration time y in years, when the manifest states it."""
    migration_effort: MigrationEffort | None = None
    criticality: Criticality = Criticality.MEDIUM
    sites: tuple[str, ...] = ()
    description: str = ""
    category: str | None = None
    """System type, in CNSA 2.0's categories where they apply: ``software-signing``, ``networking``,
    ``web-cloud``, ``operating-system``, ``niche``, ``legacy`` (None: not stated)."""
    signature_trust_years: float | None = None
    """How long signatures made by the system must stay trustworthy (root, firmware, archive)."""
    jurisdictions: tuple[str, ...] = ()
    """Where the system is regulated (``US``, ``EU``, ``UK``, ``DE``, ``FR``, ``AU``, ``CA``…)."""
    high_value: bool = False
    """A high-value asset (US HVA / high-impact) or equivalent."""
    value: float | None = None
    """Relative business value of the system (manifest 1.1; any positive scale, used to rank risk)."""
    max_handshake_bytes: int | None = None
    """Budget for a key-exchange/authentication handshake on the wire (constrained devices; manifest 1.1)."""
    mtu_bytes: int | None = None
    """Path MTU of a datagram protocol the system speaks (UDP/MTU-bound protocols; manifest 1.1)."""

    @property
    def retention_years(self) -> float | None:
        """x: the longest retention of the system's data classes."""
        return max((d.retention_years for d in self.data_classes), default=None)


@dataclass(frozen=True)
class Site:
    """A physical site (data centre, branch, relay hut) from the manifest."""

    id: str
    name: str = ""
    owner: str = ""
    """Who operates the site; relays through sites the organisation does not own can be forbidden."""
    trusted: bool = True
    """Whether the organisation trusts the site to see relayed QKD keys."""
    relay: bool = False
    """Whether the site is a QKD trusted node that relays keys (hop-by-hop one-time pad)."""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class QkdLink:
    """A fibre (or free-space) link between two sites that carries, or could carry, QKD.

    Unset hardware fields mean "use the protocol's default parameter set" (see ``qrisk/qkd``).
    """

    id: str
    a: str
    """Site id of one end."""
    b: str
    """Site id of the other end."""
    length_km: float
    loss_db_per_km: float | None = None
    """Fibre attenuation; None means the standard-fibre preset."""
    extra_loss_db: float = 0.0
    """Connector, splice and insertion losses in dB on top of the fibre."""
    protocol: str = "decoy-bb84"
    """Key-rate model: decoy-bb84, efficient-bb84, bb84-no-decoy, tf-qkd, cv-gg02."""
    detector_efficiency: float | None = None
    dark_count_prob: float | None = None
    misalignment: float | None = None
    ec_efficiency: float | None = None
    rep_rate_hz: float | None = None
    owner: str = ""
    source: str = ""
    """Where the link's figures come from (for sample networks modelled on published ones)."""


@dataclass(frozen=True)
class DataFlow:
    """Data exchanged between two sites that keys must protect (manifest 1.1).

    Key demand: ``tunnels`` encrypted tunnels each rekeying a ``key_bits`` key every
    ``rekey_seconds`` seconds.
    """

    id: str
    a: str
    """Site id of one end."""
    b: str
    """Site id of the other end."""
    systems: tuple[str, ...] = ()
    """Systems whose data the flow carries (their shelf life and value count)."""
    tunnels: int = 1
    rekey_seconds: float = 3600.0
    key_bits: int = 256
    description: str = ""

    @property
    def key_demand_bps(self) -> float:
        """Secret key bits per second the flow consumes."""
        return self.tunnels * self.key_bits / self.rekey_seconds


@dataclass(frozen=True)
class SkippedFile:
    """A file (or endpoint) the scan did not fully examine, and why."""

    location: str
    reason: str
    """Short machine-friendly reason: ``binary``, ``too-large``, ``permission-denied``,
    ``symlink-loop``, ``outside-root``, ``unreadable``, ``detector-error``, ``encrypted``…"""
    detail: str = ""


@dataclass(frozen=True)
class ScanInfo:
    """What was scanned and how."""

    targets: tuple[str, ...] = ()
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    files_seen: int = 0
    files_scanned: int = 0
    bytes_scanned: int = 0
    tool: str = "qrisk"
    tool_version: str = ""
    organisation: str = ""
    manifest: str | None = None


@dataclass(frozen=True)
class Inventory:
    """The result of a scan: assets, systems from the manifest, and scan metadata."""

    assets: tuple[Asset, ...] = ()
    systems: tuple[System, ...] = ()
    sites: tuple[Site, ...] = ()
    qkd_links: tuple[QkdLink, ...] = ()
    data_flows: tuple[DataFlow, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    scan: ScanInfo = field(default_factory=ScanInfo)


# --------------------------------------------------------------------------- identity


def make_asset_id(
    kind: AssetKind,
    algorithm: str,
    *,
    key_size: int | None = None,
    curve: str | None = None,
    parameter_set: str | None = None,
    mode: str | None = None,
    fingerprint: str | None = None,
    location: str | None = None,
    rule_id: str | None = None,
) -> str:
    """Stable hash of (kind, canonical algorithm, parameters, and the public-key fingerprint
    for keys/certificates, else location + rule id)."""
    parts: list[str] = [kind.value, algorithm, str(key_size or ""), curve or "", parameter_set or "", mode or ""]
    if fingerprint:
        parts.append("fp:" + fingerprint)
    else:
        parts.append("loc:" + (location or "") + "#" + (rule_id or ""))
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return "qr-" + digest[:32]


# --------------------------------------------------------------------------- serialiser

T = TypeVar("T")


_SCALARS = frozenset({str, int, float, bool, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _encode(value: Any) -> Any:
    # dispatch on the exact type first: an inventory has ~10^5 nodes, mostly scalars
    cls = type(value)
    if cls in _SCALARS:
        return value
    names = _FIELD_NAMES.get(cls)
    if names is None and dataclasses.is_dataclass(cls):
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    if names is not None:
        return {n: _encode(getattr(value, n)) for n in names}
    if cls is tuple or cls is list:
        return [_encode(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def to_dict(obj: Any) -> Any:
    """The canonical JSON-ready form of any model object."""
    return _encode(obj)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _decode(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        if len(args) == 1:
            return _decode(args[0], value)
        for a in args:  # first matching member
            try:
                return _decode(a, value)
            except (TypeError, ValueError):
                continue
        raise ValueError(f"cannot decode {value!r} as {tp}")
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list for {tp}, got {type(value).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in value)
        return tuple(_decode(a, v) for a, v in zip(args, value, strict=True))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise TypeError(f"expected an object for {tp.__name__}")
        hints = _hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in value:
                kwargs[f.name] = _decode(hints[f.name], value[f.name])
        return tp(**kwargs)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if tp is dt.datetime:
        if not isinstance(value, str):
            raise TypeError("expected an ISO 8601 string")
        return dt.datetime.fromisoformat(value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError("expected a number")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("expected an integer")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise TypeError("expected a string")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise TypeError("expected a boolean")
        return value
    return value


def from_dict(cls: type[T], data: Any) -> T:
    """Inverse of :func:`to_dict` for the dataclass ``cls``."""
    return typing.cast(T, _decode(cls, data))


_ESCAPE = json.encoder.encode_basestring  # the C string encoder (non-ASCII kept, as ensure_ascii=False)


def _float_json(v: float) -> str:
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    return float.__repr__(v)


def _scalar_json(value: Any) -> str | None:
    t = type(value)
    if t is str:
        return _ESCAPE(value)
    if value is None:
        return "null"
    if t is int:
        return int.__repr__(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if t is float:
        return _float_json(value)
    return None


def pretty_json(value: Any, indent: str = "") -> str:
    """Exactly ``json.dumps(value, indent=2, ensure_ascii=False)`` for the JSON-ready values
    :func:`to_dict` returns (nested further by ``indent``), faster: the standard library's
    indenting encoder is pure Python (only the compact one is in C)."""
    t = type(value)
    if t is dict:
        if not value:
            return "{}"
        inner = indent + "  "
        parts = []
        for k, v in value.items():
            text = _scalar_json(v)
            parts.append(f"{inner}{_ESCAPE(str(k))}: {pretty_json(v, inner) if text is None else text}")
        return "{\n" + ",\n".join(parts) + "\n" + indent + "}"
    if t is list or t is tuple:
        if not value:
            return "[]"
        inner = indent + "  "
        parts = []
        for v in value:
            text = _scalar_json(v)
            parts.append(inner + (pretty_json(v, inner) if text is None else text))
        return "[\n" + ",\n".join(parts) + "\n" + indent + "]"
    text = _scalar_json(value)
    if text is not None:
        return text
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("\n", "\n" + indent) if indent else text


def inventory_to_json(inventory: Inventory, *, indent: int | None = 2) -> str:
    """Serialise an inventory with its schema tag."""
    body = {"schema": INVENTORY_SCHEMA, **to_dict(inventory)}
    if indent == 2:
        return pretty_json(body)
    return json.dumps(body, indent=indent, ensure_ascii=False, sort_keys=False)


def write_inventory_json(
    write: Callable[[str], Any],
    inventory: Inventory,
    assets: Iterable[Asset] | None = None,
    skipped: Iterable[SkippedFile] | None = None,
) -> None:
    """Write exactly :func:`inventory_to_json` (indent 2) of ``inventory`` piece by piece,
    taking the assets and skipped files from the iterables when given (so an inventory of
    a million assets never sits in memory as one document)."""
    streamed = {"assets": assets, "skipped": skipped}
    write('{\n  "schema": ' + json.dumps(INVENTORY_SCHEMA))
    for f in dataclasses.fields(Inventory):
        source = streamed.get(f.name)
        write(f",\n  {json.dumps(f.name)}: ")
        if source is None:
            write(pretty_json(_encode(getattr(inventory, f.name)), "  "))
            continue
        first = True
        for item in source:
            write(("[\n    " if first else ",\n    ") + pretty_json(_encode(item), "    "))
            first = False
        write("[]" if first else "\n  ]")
    write("\n}")


class InventoryFormatError(ValueError):
    """A JSON document is not a qrisk inventory this version can read."""


def inventory_from_json(text: str | bytes) -> Inventory:
    """Parse :func:`inventory_to_json` output; raises :class:`InventoryFormatError` on bad input."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InventoryFormatError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InventoryFormatError("not a qrisk inventory: top level is not an object")
    schema = data.get("schema", "")
    if not isinstance(schema, str) or not schema.startswith("qrisk.inventory/"):
        raise InventoryFormatError(f"not a qrisk inventory (schema {schema!r})")
    major = schema.split("/", 1)[1].split(".", 1)[0]
    if major != INVENTORY_SCHEMA.split("/", 1)[1]:
        raise InventoryFormatError(f"inventory schema {schema} is not supported by this version")
    body = {k: v for k, v in data.items() if k != "schema"}
    try:
        return from_dict(Inventory, body)
    except (TypeError, ValueError, KeyError) as exc:
        raise InventoryFormatError(f"malformed inventory: {exc}") from None
