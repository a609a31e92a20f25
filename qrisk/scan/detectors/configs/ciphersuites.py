"""Break the names found in protocol configurations into the algorithms they use.

Cipher-suite names (OpenSSL and IANA spellings), OpenSSL cipher strings (``ECDHE+AESGCM:!aNULL``),
TLS group and signature-algorithm lists, TLS protocol versions, IPsec proposals, named cloud TLS
policies and cloud key specifications (``RSA_2048``, ``EC_SIGN_P256_SHA256``). The knowledge lives
in ``qrisk/catalog/ciphersuites.yaml``; this module only reads it. Every function here is total:
any string in, a result out (possibly empty or None), never an exception.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qrisk import catalog
from qrisk.model import Usage

SCHEMA = "qrisk.catalog.ciphersuites/1"

# Values in the suite table that are not algorithms (see the YAML header).
NOT_ALGORITHMS = frozenset({"any", "none", "PSK", "SRP", "AEAD"})

# Protocol versions, oldest first; names as qrisk reports them (algorithm "TLSv1.2", version "1.2").
PROTOCOLS: tuple[str, ...] = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_PROTOCOL_VERSION = {"SSLv2": "2.0", "SSLv3": "3.0", "TLSv1.0": "1.0", "TLSv1.1": "1.1", "TLSv1.2": "1.2", "TLSv1.3": "1.3"}

# Spellings seen in the wild: TLSv1.2, TLSv1_2 (Envoy), TLS1_2 (Azure), TLS_1_2 (GCP, API Gateway),
# VersionTLS12 (Go, Kubernetes), TLSV1_2 (Istio), tls1.2, TLS 1.2, SSLv3, 1.2 (only when allowed).
_VERSION_RE = re.compile(
    r"^(?:version)?(?P<fam>tls|ssl)[\s_-]*v?(?P<maj>\d)(?:[._]?(?P<min>\d))?$", re.IGNORECASE
)
_BARE_VERSION_RE = re.compile(r"^(?P<maj>1)\.(?P<min>[0-3])$")


@dataclass(frozen=True)
class Component:
    """One algorithm a configured name stands for."""

    algorithm: str
    """Catalog name or alias."""
    usage: Usage
    key_size: int | None = None
    mode: str | None = None
    source: str = ""
    """The configured name it came from (e.g. the cipher suite)."""


class _Suite(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    iana: str
    openssl: str | None = None
    aliases: list[str] = []
    version: str
    kx: str
    au: str
    enc: str | None = None
    bits: int | None = None
    mode: str | None = None
    mac: str
    prf: str | None = None


class _KeywordPart(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    alg: str
    usage: Usage
    bits: int | None = None
    mode: str | None = None


class _Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str
    protocols: list[str] = []
    groups: list[str] = []


class _KeyPattern(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str
    alg: str | None = None
    bits: int | str | None = None
    curve: str | None = None
    mode: str | None = None
    usage: Usage | None = None
    hash: str | None = None


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_: str = Field(alias="schema")
    suites_source: str
    suites: list[_Suite]
    openssl_keywords_source: str
    openssl_keywords: dict[str, list[_KeywordPart]]
    openssl_ignored: list[str]
    ipsec_source: str
    ipsec_tokens: dict[str, _KeywordPart]
    ipsec_auth: dict[str, str]
    tls_policies_source: str
    tls_policies: list[_Policy]
    cloud_keys_source: str
    cloud_keys: dict[str, list[_KeyPattern]]


@dataclass(frozen=True)
class Suite:
    """A TLS cipher suite and the algorithms it fixes."""

    code: str
    iana: str
    openssl: str | None
    version: str
    components: tuple[Component, ...]


@dataclass(frozen=True)
class Tables:
    suites: dict[str, Suite]
    """By upper-case IANA name, OpenSSL name and alias."""
    keywords: dict[str, tuple[Component, ...]]
    """OpenSSL cipher-string keywords by upper-case name."""
    ignored: frozenset[str]
    ipsec: dict[str, Component]
    ipsec_auth: dict[str, str]
    policies: tuple[tuple[re.Pattern[str], tuple[str, ...], tuple[str, ...]], ...]
    all_suites: tuple[Suite, ...]
    cloud_keys: dict[str, tuple[tuple[re.Pattern[str], _KeyPattern], ...]]


class CipherSuiteCatalogError(RuntimeError):
    """The shipped cipher-suite table is malformed (a bug in the data)."""


def _suite_components(s: _Suite) -> tuple[Component, ...]:
    name = s.openssl or s.iana
    out: list[Component] = []
    if s.kx not in NOT_ALGORITHMS:
        out.append(Component(s.kx, Usage.KEY_EXCHANGE, source=name))
    if s.au not in NOT_ALGORITHMS and s.au != s.kx:
        out.append(Component(s.au, Usage.AUTHENTICATION, source=name))
    if s.enc:
        out.append(Component(s.enc, Usage.ENCRYPTION, s.bits, s.mode, source=name))
    if s.mac not in NOT_ALGORITHMS:
        out.append(Component(s.mac, Usage.AUTHENTICATION, source=name))
    if s.prf:
        out.append(Component(s.prf, Usage.KEY_DERIVATION, source=name))
    return tuple(out)


def _part(p: _KeywordPart, source: str) -> Component:
    return Component(p.alg, p.usage, p.bits, p.mode, source=source)


def parse_tables(data: Any) -> Tables:
    """Validate and index a cipher-suite document (already YAML-parsed)."""
    try:
        doc = _File.model_validate(data)
    except ValidationError as exc:
        raise CipherSuiteCatalogError(f"cipher-suite catalog is malformed: {exc}") from None
    if doc.schema_.split("/")[0] != SCHEMA.split("/")[0]:
        raise CipherSuiteCatalogError(f"unexpected cipher-suite catalog schema {doc.schema_!r}")
    suites: dict[str, Suite] = {}
    all_suites: list[Suite] = []
    for s in doc.suites:
        suite = Suite(s.code, s.iana, s.openssl, s.version, _suite_components(s))
        all_suites.append(suite)
        for name in (s.iana, s.openssl, *s.aliases):
            if not name:
                continue
            key = name.upper()
            if key in suites and suites[key] != suite:
                raise CipherSuiteCatalogError(f"suite name {name!r} is listed twice")
            suites[key] = suite
    keywords = {
        k.upper(): tuple(_part(p, k) for p in parts) for k, parts in doc.openssl_keywords.items()
    }
    ipsec = {k.lower(): _part(p, k) for k, p in doc.ipsec_tokens.items()}
    policies = tuple(
        (re.compile(p.match), tuple(p.protocols), tuple(p.groups)) for p in doc.tls_policies
    )
    return Tables(
        suites=suites,
        keywords=keywords,
        ignored=frozenset(k.upper() for k in doc.openssl_ignored),
        ipsec=ipsec,
        ipsec_auth={k.lower(): v for k, v in doc.ipsec_auth.items()},
        policies=policies,
        all_suites=tuple(all_suites),
        cloud_keys={
            provider: tuple((re.compile(p.match, re.IGNORECASE), p) for p in patterns)
            for provider, patterns in doc.cloud_keys.items()
        },
    )


@functools.cache
def tables() -> Tables:
    """The shipped cipher-suite tables (cached)."""
    text = resources.files("qrisk.catalog").joinpath("ciphersuites.yaml").read_text(encoding="utf-8")
    return parse_tables(catalog.safe_load(text))


# --------------------------------------------------------------------------- protocol versions


def tls_version(token: str, *, bare: bool = False) -> str | None:
    """Canonical protocol name (``TLSv1.2``) for a spelling of a TLS/SSL version, else None.

    ``bare`` also accepts ``1.2``-style numbers (for keys that only ever hold TLS versions).
    """
    t = token.strip().strip("\"'").strip()
    if not t or len(t) > 24:
        return None
    m = _VERSION_RE.match(t)
    if m:
        fam = m.group("fam").lower()
        major = m.group("maj")
        minor = m.group("min")
        if fam == "ssl":
            return {"2": "SSLv2", "3": "SSLv3"}.get(major) if minor in (None, "0") else None
        if major == "1":
            name = f"TLSv1.{minor or '0'}"
            return name if name in _PROTOCOL_VERSION else None
        return None
    if bare:
        m = _BARE_VERSION_RE.match(t)
        if m:
            return f"TLSv1.{m.group('min')}"
    return None


def protocol_version(name: str) -> str:
    """The version number of a canonical protocol name: ``TLSv1.2`` → ``1.2``."""
    return _PROTOCOL_VERSION.get(name, "")


def protocol_range(low: str | None, high: str | None = None) -> list[str]:
    """Canonical versions from ``low`` to ``high`` inclusive (``high`` defaults to TLS 1.3)."""
    lo = PROTOCOLS.index(low) if low in PROTOCOLS else 0
    hi = PROTOCOLS.index(high) if high in PROTOCOLS else len(PROTOCOLS) - 1
    return list(PROTOCOLS[lo : hi + 1])


# --------------------------------------------------------------------------- cipher suites

_LIST_SPLIT_RE = re.compile(r"[:,\s]+")


def suite(name: str) -> Suite | None:
    """A cipher suite by IANA or OpenSSL name (case-insensitive)."""
    return tables().suites.get(name.strip().upper())


def expand_cipher_list(value: str) -> list[Component]:
    """Algorithms enabled by an OpenSSL cipher string or a list of suite names.

    Excluded entries (``!X``, ``-X``) and set keywords (``HIGH``, ``DEFAULT``) contribute nothing:
    a deny list is never an inventory of what is used.
    """
    t = tables()
    out: list[Component] = []
    for raw in _LIST_SPLIT_RE.split(value.strip().strip("\"'")):
        token = raw.strip().strip("\"'[]|")
        if not token or token[0] in "!-@":
            continue
        token = token.lstrip("+")
        if not token:
            continue
        found = t.suites.get(token.upper())
        if found is not None:
            out.extend(found.components)
            continue
        # `A+B+C` selects suites that have all of A, B and C: each part names an algorithm.
        for part in token.split("+"):
            key = part.split("=", 1)[0].upper()
            if not key or key in t.ignored:
                continue
            comps = t.keywords.get(key)
            if comps:
                out.extend(comps)
            else:
                found = t.suites.get(key)
                if found is not None:
                    out.extend(found.components)
    return out


# --------------------------------------------------------------------------- groups, signatures

_GROUP_SPLIT_RE = re.compile(r"[:,\s/]+")


def known_algorithm(name: str) -> bool:
    """Whether the catalog knows ``name`` (alias, OID or canonical name)."""
    return catalog.algorithms().lookup(name).name != "unknown"


def expand_groups(value: str) -> list[Component]:
    """Key-exchange groups in a TLS group/curve list (OpenSSL ``Groups``, nginx ``ssl_ecdh_curve``,
    Envoy ``ecdh_curves``...). OpenSSL 3.5 tuple syntax (``?*X25519MLKEM768 / X25519``) and
    ``-name`` removals are understood; names the catalog does not know are left out."""
    out: list[Component] = []
    for raw in _GROUP_SPLIT_RE.split(value.strip().strip("\"'")):
        token = raw.strip().strip("\"'[]")
        if not token or token.startswith("-"):
            continue
        token = token.lstrip("?*+")
        if not token or token.upper() in ("DEFAULT", "AUTO"):
            continue
        if known_algorithm(token):
            out.append(Component(token, Usage.KEY_EXCHANGE, source=token))
    return out


def expand_sigalgs(value: str) -> list[Component]:
    """Signature algorithms in a TLS signature-algorithm list (``ECDSA+SHA256:rsa_pss_rsae_sha256``)."""
    out: list[Component] = []
    for raw in _LIST_SPLIT_RE.split(value.strip().strip("\"'")):
        token = raw.strip().strip("\"'[]").lstrip("?")
        if not token or token.startswith(("!", "-")):
            continue
        name = token.split("+", 1)[0] if "+" in token else token
        if name.upper() == "RSA-PSS":
            name = "RSASSA-PSS"
        if known_algorithm(name):
            out.append(Component(name, Usage.SIGNATURE, source=token))
    return out


# --------------------------------------------------------------------------- IPsec

_PROPOSAL_SPLIT_RE = re.compile(r"[,\s]+")
_TOKEN_SPLIT_RE = re.compile(r"[-;+]+")
_KE_PREFIX_RE = re.compile(r"^ke[1-7]_", re.IGNORECASE)


def expand_ipsec_proposals(value: str) -> list[Component]:
    """Algorithms in strongSwan/libreswan proposals (``aes256gcm16-prfsha384-ecp384-ke1_mlkem768``)."""
    t = tables()
    out: list[Component] = []
    for proposal in _PROPOSAL_SPLIT_RE.split(value.strip().strip("\"'")):
        proposal = proposal.strip().rstrip("!")
        if not proposal:
            continue
        for raw in _TOKEN_SPLIT_RE.split(proposal):
            token = _KE_PREFIX_RE.sub("", raw.strip().lower())
            comp = t.ipsec.get(token)
            if comp is not None:
                out.append(Component(comp.algorithm, comp.usage, comp.key_size, comp.mode, source=raw))
    return out


def ipsec_auth(value: str) -> Component | None:
    """The signature scheme named by an IPsec authentication setting (``rsasig``, ``ecdsa-384``)."""
    v = value.strip().strip("\"'").lower()
    if not v:
        return None
    t = tables()
    size: int | None = None
    m = re.match(r"^(.*?)-(\d{3,4})$", v)
    if m and m.group(1) in t.ipsec_auth:
        v, size = m.group(1), int(m.group(2))
    alg = t.ipsec_auth.get(v)
    if alg is None:
        return None
    return Component(alg, Usage.AUTHENTICATION, size, source=value.strip())


# --------------------------------------------------------------------------- named TLS policies


def tls_policy(name: str) -> tuple[list[str], list[str]] | None:
    """(protocol versions, hybrid groups) enabled by a named cloud TLS policy; None if unknown."""
    protocols: list[str] = []
    groups: list[str] = []
    matched = False
    for pattern, protos, grps in tables().policies:
        if pattern.search(name):
            matched = True
            if protos and not protocols:
                protocols = list(protos)
            groups.extend(g for g in grps if g not in groups)
    return (protocols, groups) if matched else None


# --------------------------------------------------------------------------- cloud key specs


@dataclass(frozen=True)
class CloudKey:
    """What a cloud key specification (``RSA_2048``, ``EC_SIGN_P256_SHA256``) stands for."""

    algorithm: str | None
    key_size: int | None = None
    curve: str | None = None
    mode: str | None = None
    usage: Usage | None = None
    hash: str | None = None


def cloud_key(provider: str, value: str) -> CloudKey | None:
    """The key a provider's key specification names (``aws_kms``, ``aws_certificate``,
    ``aws_signing``, ``gcp_kms``, ``azure_key_type``, ``azure_curve``); None when unknown."""
    v = value.strip().strip("\"'")
    for pattern, spec in tables().cloud_keys.get(provider, ()):
        m = pattern.fullmatch(v)
        if not m:
            continue

        def fill(text: str | int | None, m: re.Match[str] = m) -> str | None:
            if text is None:
                return None
            return re.sub(r"\$(\d)", lambda g: m.group(int(g.group(1))) or "", str(text))

        bits = fill(spec.bits)
        return CloudKey(
            algorithm=fill(spec.alg),
            key_size=int(bits) if bits and bits.isdigit() else None,
            curve=fill(spec.curve),
            mode=fill(spec.mode),
            usage=spec.usage,
            hash=fill(spec.hash),
        )
    return None
