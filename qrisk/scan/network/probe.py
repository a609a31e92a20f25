"""The entry point the scan engine calls for live endpoints.

Parses ``host:port[/tls|/ssh]`` (and the manifest's ``tls://host:port``), resolves each
host once, probes every endpoint with bounded concurrency (the one place that limit is
set), and turns each profile into :class:`~qrisk.scan.detectors.base.Finding` objects:
one ``protocol`` finding per endpoint, ``algorithm`` findings for what the server accepts,
``certificate`` findings for the TLS chain and ``key`` findings for SSH host keys. An
endpoint that fails yields a :class:`~qrisk.model.SkippedFile` and never stops the rest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import ipaddress
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import MappingProxyType

from qrisk import catalog
from qrisk.errors import InputError
from qrisk.model import (
    Algorithm,
    AssetKind,
    Confidence,
    KeyMaterial,
    Primitive,
    QuantumStatus,
    SkippedFile,
    Usage,
)
from qrisk.scan.detectors import _pem
from qrisk.scan.detectors.base import FileNote, Finding
from qrisk.scan.network import Address, Counters, ErrorReason, Limits, ProbeError, resolve
from qrisk.scan.network import ssh as ssh_mod
from qrisk.scan.network import tls as tls_mod

# --------------------------------------------------------------------------- rules

RULE_TLS_PROTOCOL = "QR-TLS-001"
RULE_TLS_GROUP = "QR-TLS-002"
RULE_TLS_RSA_KX = "QR-TLS-003"
RULE_TLS_DHE = "QR-TLS-004"
RULE_TLS_CIPHER = "QR-TLS-005"
RULE_TLS_MAC = "QR-TLS-006"
RULE_TLS_AUTH = "QR-TLS-007"
RULE_TLS_CERT = "QR-TLS-008"

RULE_SSH_PROTOCOL = "QR-SSH-001"
RULE_SSH_KEX = "QR-SSH-002"
RULE_SSH_HOSTKEY_ALG = "QR-SSH-003"
RULE_SSH_CIPHER = "QR-SSH-004"
RULE_SSH_MAC = "QR-SSH-005"
RULE_SSH_HOSTKEY = "QR-SSH-006"


@dataclass(frozen=True)
class NetworkDetector:
    """Detector-like metadata (id, rules) so the engine can map a rule id to its detector id."""

    id: str
    description: str
    rules: Mapping[str, str]


TLS_DETECTOR = NetworkDetector(
    "tls",
    "Live TLS endpoint: versions, key-exchange groups (incl. hybrid ML-KEM), cipher suites, certificate chain",
    MappingProxyType(
        {
            RULE_TLS_PROTOCOL: "TLS endpoint profile (highest version; versions, groups and suites in notes)",
            RULE_TLS_GROUP: "Key-exchange group the server accepts (TLS 1.3 named group or TLS 1.2 ECDHE curve)",
            RULE_TLS_RSA_KX: "RSA key transport accepted (TLS ≤ 1.2, no forward secrecy)",
            RULE_TLS_DHE: "Finite-field DHE with server-chosen parameters (TLS ≤ 1.2)",
            RULE_TLS_CIPHER: "Bulk cipher of an accepted cipher suite",
            RULE_TLS_MAC: "Record MAC of an accepted non-AEAD cipher suite",
            RULE_TLS_AUTH: "Server authentication algorithm of accepted TLS ≤ 1.2 cipher suites",
            RULE_TLS_CERT: "Certificate the server presents (leaf or chain)",
        }
    ),
)
SSH_DETECTOR = NetworkDetector(
    "ssh",
    "Live SSH endpoint: key exchange (incl. PQ hybrids), host-key algorithms, ciphers, MACs, host keys",
    MappingProxyType(
        {
            RULE_SSH_PROTOCOL: "SSH endpoint profile (protocol version; software and lists in notes)",
            RULE_SSH_KEX: "Key-exchange algorithm the server offers",
            RULE_SSH_HOSTKEY_ALG: "Host-key (signature) algorithm the server offers",
            RULE_SSH_CIPHER: "Cipher the server offers",
            RULE_SSH_MAC: "MAC the server offers",
            RULE_SSH_HOSTKEY: "Host key the server presented in a key exchange",
        }
    ),
)


def network_detectors() -> list[NetworkDetector]:
    """Metadata of the endpoint probers, in a fixed order."""
    return [TLS_DETECTOR, SSH_DETECTOR]


# --------------------------------------------------------------------------- endpoints


class Protocol(enum.StrEnum):
    TLS = "tls"
    SSH = "ssh"


@dataclass(frozen=True)
class Endpoint:
    """One endpoint the user named."""

    host: str
    """Name or literal address (IPv6 without brackets)."""
    port: int
    protocol: Protocol

    @property
    def location(self) -> str:
        """``tls://host:port`` / ``ssh://[v6]:port``: the occurrence location of its findings."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.protocol.value}://{host}:{self.port}"

    @property
    def hostport(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


_ENDPOINT_RE = re.compile(
    r"^(?:(?P<scheme>tls|ssh)://)?(?:\[(?P<v6>[0-9A-Fa-f:.%A-Za-z]+)\]|(?P<host>[A-Za-z0-9._-]+)):(?P<port>\d{1,5})"
    r"(?:/(?P<proto>tls|ssh))?$",
    re.IGNORECASE,
)
_LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def parse_endpoint(text: str) -> Endpoint:
    """``host:port[/tls|/ssh]``, ``tls://host:port`` or ``ssh://host:port``; IPv6 as ``[::1]:443``.

    Without a protocol, port 22 means SSH and any other port TLS. Ranges, wildcards and
    networks are refused: only named endpoints are contacted. Raises :class:`InputError`.
    """
    raw = text.strip()
    m = _ENDPOINT_RE.match(raw)
    if not m:
        raise InputError(f"endpoint {raw[:100]!r} is not HOST:PORT[/tls|/ssh] (IPv6 as [ADDR]:PORT; no ranges)")
    scheme, proto = m.group("scheme"), m.group("proto")
    if scheme and proto and scheme.lower() != proto.lower():
        raise InputError(f"endpoint {raw!r} names two protocols")
    port = int(m.group("port"))
    if not 0 < port < 65536:
        raise InputError(f"endpoint {raw!r}: port {port} is not in 1..65535")
    if m.group("v6") is not None:
        host = m.group("v6")
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise InputError(f"endpoint {raw!r}: {host!r} is not an IPv6 address") from None
    else:
        host = m.group("host")
        if not _valid_host(host):
            raise InputError(f"endpoint {raw!r}: {host!r} is not a host name or IPv4 address")
    chosen = (scheme or proto or ("ssh" if port == 22 else "tls")).lower()
    return Endpoint(host, port, Protocol(chosen))


def _valid_host(host: str) -> bool:
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    # RFC 3696 §2: a top-level label is never all-numeric; "10.0.0.1-20" is a range, not a name.
    if re.fullmatch(r"[0-9-]+", labels[-1]):
        return False
    return 0 < len(name) <= 253 and all(_LABEL_RE.match(label) for label in labels)


def read_endpoints_file(text: str, source: str = "endpoints file") -> list[Endpoint]:
    """One endpoint per line; blank lines and ``#`` comments are ignored. Errors name the line."""
    out: list[Endpoint] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        try:
            out.append(parse_endpoint(body))
        except InputError as exc:
            raise InputError(f"{source}:{lineno}: {exc}") from None
    return out


# --------------------------------------------------------------------------- options and results


@dataclass(frozen=True)
class ProbeOptions:
    """How to probe endpoints."""

    timeout_s: float = 5.0
    """Connect and read timeout, unless set separately below."""
    connect_timeout_s: float | None = None
    read_timeout_s: float | None = None
    """Longest wait for one complete answer (a deadline per request, not an idle timer)."""
    concurrency: int = 16
    """Endpoints probed at once; each endpoint's probes run one after another."""
    retries: int = 0
    """Extra connection attempts after a connect timeout or refusal (off by default)."""
    budget_s: float | None = None
    """Longest one endpoint's profile may take (default: 12 × the read timeout)."""

    def limits(self) -> Limits:
        read = self.read_timeout_s or self.timeout_s
        return Limits(
            connect_timeout_s=self.connect_timeout_s or self.timeout_s,
            read_timeout_s=read,
            retries=max(0, self.retries),
            budget_s=self.budget_s or 12 * read,
        )


class KeyExchangeClass(enum.StrEnum):
    """What a current client negotiates with the endpoint, against a quantum adversary."""

    SAFE_HYBRID = "quantum-safe (hybrid)"
    SAFE_PQ = "quantum-safe (post-quantum only)"
    VULNERABLE = "quantum-vulnerable"
    UNKNOWN = "unknown"


@dataclass
class EndpointResult:
    """The outcome of probing one endpoint."""

    endpoint: Endpoint | None
    location: str
    """``tls://host:port`` or ``ssh://host:port`` (the text as given when it did not parse)."""
    findings: list[Finding] = field(default_factory=list)
    error: SkippedFile | None = None
    """Why the endpoint was not (fully) profiled; findings may still hold what was learned."""
    address: str | None = None
    """The numeric address the host resolved to (once)."""
    key_exchange: KeyExchangeClass = KeyExchangeClass.UNKNOWN
    key_exchange_detail: str = ""
    connections: int = 0
    round_trips: int = 0
    duration_s: float = 0.0
    profile: tls_mod.TlsProfile | ssh_mod.SshProfile | None = None


def protocol_quantum_status(result: EndpointResult) -> QuantumStatus:
    """The quantum status of an endpoint's ``protocol`` asset: that of the key exchange a
    current client negotiates (the catalog cannot know it: it depends on the server)."""
    if result.key_exchange in (KeyExchangeClass.SAFE_HYBRID, KeyExchangeClass.SAFE_PQ):
        return QuantumStatus.SAFE
    if result.key_exchange is KeyExchangeClass.VULNERABLE:
        return QuantumStatus.BROKEN
    return QuantumStatus.UNKNOWN


# --------------------------------------------------------------------------- probing


def probe_endpoints(
    endpoints: Sequence[str | Endpoint],
    *,
    timeout_s: float = 5.0,
    concurrency: int = 16,
    retries: int = 0,
    options: ProbeOptions | None = None,
) -> list[EndpointResult]:
    """Probe each endpoint once (duplicates are merged) and return results in input order.

    Never raises for a bad endpoint: unparseable text, unresolvable names and every
    network or protocol failure become an :attr:`EndpointResult.error`.
    """
    opts = options or ProbeOptions(timeout_s=timeout_s, concurrency=concurrency, retries=retries)
    limits = opts.limits()
    parsed: list[Endpoint | EndpointResult] = []
    seen: set[str] = set()
    for item in endpoints:
        if isinstance(item, Endpoint):
            ep: Endpoint | EndpointResult = item
        else:
            try:
                ep = parse_endpoint(item)
            except InputError as exc:
                ep = EndpointResult(None, str(item)[:200], error=SkippedFile(str(item)[:200], ErrorReason.INVALID.value, str(exc)))
        key = ep.location
        if key in seen:
            continue
        seen.add(key)
        parsed.append(ep)

    hosts = sorted({p.host for p in parsed if isinstance(p, Endpoint)})
    workers = max(1, min(opts.concurrency, len(parsed) or 1))
    # The one place concurrency is bounded: name resolution and probes share this pool.
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qrisk-probe") as pool:
        resolved = dict(zip(hosts, pool.map(_resolve_host, hosts), strict=True))
        jobs = [
            pool.submit(_probe_one, p, resolved[p.host], limits) if isinstance(p, Endpoint) else None for p in parsed
        ]
        results = []
        for p, job in zip(parsed, jobs, strict=True):
            results.append(job.result() if job is not None else p)  # type: ignore[arg-type]
    return results  # type: ignore[return-value]


def _resolve_host(host: str) -> Address | ProbeError:
    try:
        # The port is filled in per endpoint; resolution depends on the host only.
        return resolve(host, 0)
    except ProbeError as exc:
        return exc


def _probe_one(ep: Endpoint, resolved: Address | ProbeError, limits: Limits) -> EndpointResult:
    started = time.monotonic()
    result = EndpointResult(ep, ep.location)
    counters = Counters()
    try:
        if isinstance(resolved, ProbeError):
            raise resolved
        sockaddr = (resolved.sockaddr[0], ep.port, *resolved.sockaddr[2:])
        address = Address(ep.host, ep.port, resolved.family, sockaddr, resolved.ip)
        result.address = address.ip
        if ep.protocol is Protocol.TLS:
            tls_profile = tls_mod.profile_tls(address, limits, counters)
            result.profile = tls_profile
            _tls_result(ep, tls_profile, result)
        else:
            ssh_profile = ssh_mod.profile_ssh(address, limits, counters)
            result.profile = ssh_profile
            _ssh_result(ep, ssh_profile, result)
    except ProbeError as exc:
        result.error = SkippedFile(ep.location, exc.reason.value, exc.detail)
    except Exception as exc:  # a prober bug must not stop the scan; say where it happened
        result.error = SkippedFile(ep.location, "prober-error", f"{type(exc).__name__} while probing")
    result.connections, result.round_trips = counters.connections, counters.round_trips
    result.duration_s = time.monotonic() - started
    return result


def _error(ep: Endpoint, err: ProbeError, learned: bool) -> SkippedFile:
    detail = err.detail if not learned else f"{err.detail} (profile incomplete; what was learned is reported)"
    return SkippedFile(ep.location, err.reason.value, detail)


# --------------------------------------------------------------------------- TLS findings


def classify_tls(profile: tls_mod.TlsProfile) -> tuple[KeyExchangeClass, str]:
    """What a current client (offering X25519MLKEM768 first) ends up with."""
    groups = {r.group.code: r for r in profile.groups}
    chosen: tls_mod.Group | None = None
    if profile.modern_group is not None:
        chosen = tls_mod.GROUPS_BY_CODE.get(profile.modern_group)
    elif profile.groups:
        chosen = min(profile.groups, key=lambda r: r.rank or 10**6).group
    pq = [r.group for r in profile.groups if r.group.kind in tls_mod.PQ_KINDS]
    if chosen is None:
        if profile.versions:
            return KeyExchangeClass.VULNERABLE, "classical key exchange only (" + _kx12_summary(profile) + ")"
        return KeyExchangeClass.UNKNOWN, "no key exchange learned"
    if chosen.kind in tls_mod.PQ_KINDS:
        confirmed = groups.get(chosen.code)
        how = " (confirmed with a valid key share)" if confirmed and confirmed.key_share_confirmed else ""
        cls = KeyExchangeClass.SAFE_HYBRID if chosen.kind is tls_mod.GroupKind.HYBRID else KeyExchangeClass.SAFE_PQ
        return cls, f"{chosen.name} is negotiated by a client that offers it{how}"
    if pq:
        names = ", ".join(g.name for g in pq)
        return KeyExchangeClass.VULNERABLE, f"{chosen.name} is negotiated although {names} is accepted"
    return KeyExchangeClass.VULNERABLE, f"classical key exchange only ({chosen.name} preferred)"


def _kx12_summary(profile: tls_mod.TlsProfile) -> str:
    kinds = []
    for r in profile.suites:
        if r.suite.kx not in kinds and not r.suite.tls13:
            kinds.append(r.suite.kx)
    return ", ".join(kinds) or "none seen"


def _v(version: int) -> str:
    return tls_mod.VERSION_NAMES.get(version, f"0x{version:04x}")


def _tls_result(ep: Endpoint, profile: tls_mod.TlsProfile, result: EndpointResult) -> None:
    learned = bool(profile.versions)
    if profile.error is not None:
        if not learned:
            raise profile.error
        result.error = _error(ep, profile.error, learned)
    cls, detail = classify_tls(profile)
    result.key_exchange, result.key_exchange_detail = cls, detail
    result.findings = tls_findings(ep, profile, cls, detail, result.address)


def tls_findings(
    ep: Endpoint,
    profile: tls_mod.TlsProfile,
    cls: KeyExchangeClass | None = None,
    detail: str = "",
    address: str | None = None,
) -> list[Finding]:
    """Findings for a TLS profile (see the module docstring)."""
    if cls is None:
        cls, detail = classify_tls(profile)
    out: list[Finding] = []
    notes: list[str] = [f"versions: {', '.join(_v(v) for v in profile.versions) or 'none'} (SSL 3.0 not probed)"]
    old = [_v(v) for v in profile.versions if v in (tls_mod.TLS10, tls_mod.TLS11)]
    if old:
        notes.append(f"deprecated versions accepted: {', '.join(old)} (RFC 8996)")
    notes.append(f"key exchange: {cls.value}: {detail}")
    groups13 = [r for r in profile.groups if tls_mod.TLS13 in r.versions]
    if groups13:
        order = {True: "server preference order", False: "the server follows the client's order",
                 None: "order the server picked them"}[profile.server_orders_groups]
        notes.append(f"TLS 1.3 groups ({order}): " + ", ".join(r.group.name for r in groups13))
    if profile.modern_version is not None:
        suite = tls_mod.SUITES_BY_CODE.get(profile.modern_suite or -1)
        group = tls_mod.GROUPS_BY_CODE.get(profile.modern_group or -1)
        notes.append(
            "a client offering X25519MLKEM768 and X25519 key shares gets "
            + _v(profile.modern_version)
            + (f" with {group.name}" if group else "")
            + (f" and {suite.name}" if suite else "")
        )
    s13 = [r.suite.name for r in profile.suites if r.suite.tls13]
    s12 = [r.suite.name for r in profile.suites if not r.suite.tls13]
    if s13:
        notes.append("TLS 1.3 suites: " + ", ".join(s13))
    if s12:
        order = {True: "server order", False: "client order", None: "order picked"}[profile.server_orders_suites]
        notes.append(f"TLS 1.2 suites ({order}): " + ", ".join(s12))
    if any(r.suite.cipher == "NULL" for r in profile.suites):
        notes.append("NULL cipher suites accepted: traffic is not encrypted")
    if any(r.suite.auth == "anon" for r in profile.suites):
        notes.append("anonymous cipher suites accepted: the server is not authenticated")
    if any(r.suite.kx == "RSA_EXPORT" for r in profile.suites):
        notes.append("export-grade RSA suites accepted (FREAK, RFC 7568 era)")
    notes.extend(profile.notes)
    if profile.chain_note:
        notes.append(profile.chain_note)
    if address and address != ep.host:
        notes.append(f"address: {address}")
    notes.append(f"probe: {profile.round_trips} round trips over {profile.connections} connections")
    if profile.error is not None:
        notes.append(f"incomplete: {profile.error.reason.value}: {profile.error.detail}")
    top = profile.versions[0] if profile.versions else None
    out.append(
        Finding(
            kind=AssetKind.PROTOCOL,
            algorithm="TLS",
            rule_id=RULE_TLS_PROTOCOL,
            usage=Usage.KEY_EXCHANGE,
            version=tls_mod.VERSION_NUMBERS.get(top) if top else None,
            name=ep.hostport,
            snippet=f"{_v(top) if top else 'TLS'}; key exchange {cls.value}"[:120],
            notes=tuple(notes),
        )
    )

    # Key-exchange groups.
    preferred_rank = min((r.rank for r in groups13), default=None)
    for r in profile.groups:
        g = r.group
        gnotes: list[str] = [f"TLS NamedGroup 0x{g.code:04x}"]
        if tls_mod.TLS13 in r.versions:
            if r.rank == preferred_rank and profile.server_orders_groups is not False:
                gnotes.append("the server's preferred group")
            elif r.rank == preferred_rank:
                gnotes.append("picked first from a client offer that lists it first")
            else:
                gnotes.append(f"rank {r.rank} in the order the server picks groups")
        else:
            gnotes.append("TLS 1.2 ECDHE curve (from ServerKeyExchange)")
        if g.kind is tls_mod.GroupKind.HYBRID:
            gnotes.append("hybrid: classical ECDH combined with ML-KEM (safe while either holds)")
        if r.key_share_confirmed:
            gnotes.append("confirmed: a valid key share got a well-formed ServerHello key share")
        if r.note:
            gnotes.append(r.note)
        out.append(
            Finding(
                kind=AssetKind.ALGORITHM,
                algorithm=g.name,
                rule_id=RULE_TLS_GROUP,
                usage=Usage.KEY_EXCHANGE,
                snippet=f"{g.name} accepted in {', '.join(_v(v) for v in r.versions)}",
                notes=tuple(gnotes),
            )
        )

    leaf_facts = _leaf_key(profile.chain)
    suites12 = [r for r in profile.suites if not r.suite.tls13]
    rsa_kx = [r.suite.name for r in suites12 if r.suite.kx in ("RSA", "RSA_EXPORT")]
    if rsa_kx:
        key_size = leaf_facts[1] if leaf_facts and leaf_facts[0] == "RSA" else None
        out.append(
            Finding(
                kind=AssetKind.ALGORITHM,
                algorithm="RSA",
                rule_id=RULE_TLS_RSA_KX,
                usage=Usage.KEY_EXCHANGE,
                key_size=key_size,
                snippet="RSA key transport accepted (no forward secrecy)",
                notes=("RSA key transport: recorded traffic is exposed once the server key is broken",
                       "suites: " + ", ".join(rsa_kx)),
            )
        )
    dh_by_bits: dict[int | None, list[str]] = {}
    for r in suites12:
        if r.suite.kx in ("DHE", "DH_anon"):
            dh_by_bits.setdefault(r.dh_bits, []).append(r.suite.name)
    for bits, names in dh_by_bits.items():
        out.append(
            Finding(
                kind=AssetKind.ALGORITHM,
                algorithm="DH",
                rule_id=RULE_TLS_DHE,
                usage=Usage.KEY_EXCHANGE,
                key_size=bits,
                snippet=f"finite-field DHE, {bits or '?'}-bit group chosen by the server",
                notes=("suites: " + ", ".join(names),),
            )
        )

    # Bulk ciphers and MACs, one finding per (cipher, mode) with the suites that use it.
    ciphers: dict[tuple[str, str | None], list[str]] = {}
    macs: dict[str, list[str]] = {}
    auths: dict[str, list[str]] = {}
    for r in profile.suites:
        s = r.suite
        if s.cipher != "NULL":
            ciphers.setdefault((s.cipher, s.mode), []).append(f"{s.name} ({_v(r.version)})")
        if s.mac:
            macs.setdefault(s.mac, []).append(s.name)
        if not s.tls13 and s.auth not in ("anon", "cert"):
            auths.setdefault(s.auth, []).append(s.name)
    for (cipher, mode), names in ciphers.items():
        out.append(
            Finding(
                kind=AssetKind.ALGORITHM,
                algorithm=cipher,
                rule_id=RULE_TLS_CIPHER,
                usage=Usage.ENCRYPTION,
                mode=mode,
                snippet=f"{cipher}{'-' + mode if mode else ''} in accepted cipher suites",
                notes=("suites: " + ", ".join(names),),
            )
        )
    for mac, names in macs.items():
        out.append(
            Finding(
                kind=AssetKind.ALGORITHM,
                algorithm=mac,
                rule_id=RULE_TLS_MAC,
                usage=Usage.AUTHENTICATION,
                snippet=f"{mac} record MAC in accepted cipher suites",
                notes=("suites: " + ", ".join(names),),
            )
        )
    for auth, names in auths.items():
        key_size = curve = None
        if leaf_facts and (leaf_facts[0] == auth or leaf_facts[0].startswith(auth)):
            key_size, curve = leaf_facts[1], leaf_facts[2]
        out.append(
            Finding(
                kind=AssetKind.ALGORITHM,
                algorithm=auth,
                rule_id=RULE_TLS_AUTH,
                usage=Usage.AUTHENTICATION,
                key_size=key_size,
                curve=curve,
                snippet=f"{auth} server authentication in accepted TLS 1.2 suites",
                notes=("suites: " + ", ".join(names),),
            )
        )

    out.extend(certificate_findings(ep, profile.chain, "chain from a full handshake"))
    for i, chain in enumerate(profile.other_chains, 2):
        out.extend(certificate_findings(ep, chain, f"chain {i}, sent with other TLS 1.2 suites"))
    return out


def _leaf_key(chain: Sequence[bytes]) -> tuple[str, int | None, str | None] | None:
    if not chain:
        return None
    try:
        raw_spki, _ = _pem.spki_of_certificate(chain[0])
        facts = _pem.describe_spki(raw_spki)
    except Exception:  # an unparseable leaf is reported by certificate_findings
        return None
    family = "ECDSA" if facts.algorithm.startswith("ECDSA") else facts.algorithm
    return family, facts.key_size, facts.curve


def certificate_findings(ep: Endpoint, chain: Sequence[bytes], origin: str) -> list[Finding]:
    """The foundation's certificate detector run on each DER certificate, re-labelled with the
    endpoint rule and chain position, so endpoint and file certificates share fingerprints."""
    from qrisk.scan.detectors.certificates import CertificateDetector

    detector = CertificateDetector()
    now = dt.datetime.now(dt.UTC)
    out: list[Finding] = []
    for i, der in enumerate(chain):
        position = "leaf" if i == 0 else f"chain certificate {i}"
        for item in detector.detect(f"{ep.location}#{i}", der):
            if isinstance(item, FileNote):
                out.append(_unreadable_certificate(ep, position, origin, item))
                continue
            notes = [f"{position} presented by {ep.location} ({origin})", *item.notes]
            cert = item.certificate
            if cert is not None:
                notes.append(f"signed with {cert.signature_algorithm}" + (f"/{cert.signature_hash}" if cert.signature_hash else ""))
                if cert.not_after < now:
                    notes.append(f"expired on {cert.not_after.date().isoformat()}")
                else:
                    notes.append(f"valid until {cert.not_after.date().isoformat()}")
            out.append(
                dataclasses.replace(
                    item,
                    rule_id=RULE_TLS_CERT,
                    line=None,
                    snippet=f"{position} certificate: {item.name}"[:120],
                    notes=tuple(notes),
                )
            )
    return out


def _unreadable_certificate(ep: Endpoint, position: str, origin: str, note: FileNote) -> Finding:
    return Finding(
        kind=AssetKind.CERTIFICATE,
        algorithm="unknown",
        rule_id=RULE_TLS_CERT,
        usage=Usage.SIGNATURE,
        confidence=Confidence.LOW,
        snippet=f"{position} certificate (unreadable)",
        notes=(f"{position} presented by {ep.location} ({origin}) could not be parsed: {note.reason}: {note.detail}",),
    )


# --------------------------------------------------------------------------- SSH findings


def classify_ssh(profile: ssh_mod.SshProfile) -> tuple[KeyExchangeClass, str]:
    """SSH negotiates the first *client* algorithm the server also lists (RFC 4253 §7.1):
    a server offering a PQ hybrid gives it to every client that asks for it."""
    kex = profile.kex
    if not kex:
        return KeyExchangeClass.UNKNOWN, "no key exchange learned"
    cat = catalog.algorithms()
    pq = [k for k in kex if _is_pq(cat.lookup(k))]
    if not pq:
        return KeyExchangeClass.VULNERABLE, f"classical key exchange only ({kex[0]} first in the server's list)"
    hybrid = [k for k in pq if cat.lookup(k).family == "hybrid"]
    first = kex[0]
    where = "first in the server's list" if first in pq else f"offered ({first} is first in the server's list)"
    cls = KeyExchangeClass.SAFE_HYBRID if hybrid else KeyExchangeClass.SAFE_PQ
    return cls, f"{', '.join(pq)} {where}; negotiated by clients that offer it"


def _is_pq(entry: Algorithm) -> bool:
    return entry.quantum_status is QuantumStatus.SAFE and entry.primitive in (Primitive.KEM, Primitive.KEY_AGREE)


def _ssh_result(ep: Endpoint, profile: ssh_mod.SshProfile, result: EndpointResult) -> None:
    learned = profile.kexinit is not None
    if profile.error is not None:
        if not learned:
            raise profile.error
        result.error = _error(ep, profile.error, learned)
    cls, detail = classify_ssh(profile)
    result.key_exchange, result.key_exchange_detail = cls, detail
    result.findings = ssh_findings(ep, profile, cls, detail, result.address)


_SSH_MODES = (("-ctr", "CTR"), ("-cbc", "CBC"), ("-gcm", "GCM"))


def ssh_findings(
    ep: Endpoint,
    profile: ssh_mod.SshProfile,
    cls: KeyExchangeClass | None = None,
    detail: str = "",
    address: str | None = None,
) -> list[Finding]:
    """Findings for an SSH profile (see the module docstring)."""
    if cls is None:
        cls, detail = classify_ssh(profile)
    k = profile.kexinit
    ident = profile.identification
    out: list[Finding] = []
    notes: list[str] = []
    if ident is not None:
        notes.append(f"identification: {ident.line[:200]}")
    notes.append(f"key exchange: {cls.value}: {detail}")
    if k is not None:
        notes.append("key exchange (server order): " + ", ".join(profile.kex))
        notes.append("host-key algorithms: " + ", ".join(k.host_key))
        notes.append("ciphers: " + ", ".join(_union(k.ciphers_c2s, k.ciphers_s2c)))
        notes.append("MACs: " + ", ".join(_union(k.macs_c2s, k.macs_s2c)))
        notes.append("compression: " + ", ".join(_union(k.compression_c2s, k.compression_s2c)))
        if profile.strict_kex:
            notes.append("strict key exchange offered (Terrapin countermeasure, CVE-2023-48795)")
    notes.extend(profile.notes)
    if address and address != ep.host:
        notes.append(f"address: {address}")
    notes.append(f"probe: {profile.round_trips} round trips over {profile.connections} connections")
    if profile.error is not None:
        notes.append(f"incomplete: {profile.error.reason.value}: {profile.error.detail}")
    out.append(
        Finding(
            kind=AssetKind.PROTOCOL,
            algorithm="SSH",
            rule_id=RULE_SSH_PROTOCOL,
            usage=Usage.KEY_EXCHANGE,
            version=ident.proto_version if ident else None,
            name=(ident.software if ident else ep.hostport)[:120],
            snippet=(ident.line if ident else f"SSH at {ep.hostport}")[:120],
            notes=tuple(notes),
        )
    )
    if k is None:
        return out
    for i, name in enumerate(profile.kex, 1):
        knotes = [f"position {i} in the server's key-exchange list"]
        key_size = None
        if "group-exchange" in name and profile.gex_bits:
            key_size = profile.gex_bits
            knotes.append(f"group exchange: the server sent a {profile.gex_bits}-bit group")
        out.append(
            Finding(kind=AssetKind.ALGORITHM, algorithm=name, rule_id=RULE_SSH_KEX, usage=Usage.KEY_EXCHANGE,
                    key_size=key_size, snippet=name, notes=tuple(knotes))
        )
    keys = {ssh_mod.key_type_of(h.algorithm): h for h in profile.host_keys}
    for i, name in enumerate(k.host_key, 1):
        hk = keys.get(ssh_mod.key_type_of(name))
        key = hk.key if hk else None
        base = name.removesuffix("-cert-v01@openssh.com")
        hnotes = [f"position {i} in the server's host-key list"]
        if base != name:
            hnotes.append("OpenSSH host certificate")
        out.append(
            Finding(
                kind=AssetKind.ALGORITHM,
                algorithm=base,
                rule_id=RULE_SSH_HOSTKEY_ALG,
                usage=Usage.SIGNATURE,
                key_size=key.key_size if key else None,
                curve=key.curve if key else None,
                snippet=name,
                notes=tuple(hnotes),
            )
        )
    for name in _union(k.ciphers_c2s, k.ciphers_s2c):
        mode = next((m for suffix, m in _SSH_MODES if suffix in name), None)
        out.append(
            Finding(kind=AssetKind.ALGORITHM, algorithm=name, rule_id=RULE_SSH_CIPHER, usage=Usage.ENCRYPTION,
                    mode=mode, snippet=name, notes=_direction(name, k.ciphers_c2s, k.ciphers_s2c))
        )
    for name in _union(k.macs_c2s, k.macs_s2c):
        mnotes = _direction(name, k.macs_c2s, k.macs_s2c)
        if "-etm@" in name:
            mnotes = (*mnotes, "encrypt-then-MAC")
        out.append(
            Finding(kind=AssetKind.ALGORITHM, algorithm=name, rule_id=RULE_SSH_MAC, usage=Usage.AUTHENTICATION,
                    snippet=name, notes=mnotes)
        )
    for hk in profile.host_keys:
        out.append(_host_key_finding(ep, hk))
    return out


def _union(a: Iterable[str], b: Iterable[str]) -> list[str]:
    out: list[str] = []
    for x in (*a, *b):
        if x not in out:
            out.append(x)
    return out


def _direction(name: str, c2s: Sequence[str], s2c: Sequence[str]) -> tuple[str, ...]:
    if name in c2s and name not in s2c:
        return ("client-to-server only",)
    if name in s2c and name not in c2s:
        return ("server-to-client only",)
    return ()


def _host_key_finding(ep: Endpoint, hk: ssh_mod.HostKey) -> Finding:
    key = hk.key
    offered = "offered as " + ", ".join(hk.offered_as)
    if key is None:
        return Finding(
            kind=AssetKind.KEY,
            algorithm=ssh_mod.key_type_of(hk.algorithm).removesuffix("-cert-v01@openssh.com"),
            rule_id=RULE_SSH_HOSTKEY,
            usage=Usage.SIGNATURE,
            key_material=KeyMaterial.PUBLIC,
            confidence=Confidence.MEDIUM,
            snippet=f"host key {hk.algorithm} (not fetched)",
            notes=(offered, hk.note) if hk.note else (offered,),
        )
    # Same identity as the keys detector gives a host key found in a file
    # (qrisk.scan.detectors.keys: SPKI SHA-256 where cryptography can build one).
    algorithm = _pem.ecdsa_name(key.curve) if key.algorithm == "ECDSA" else key.algorithm
    fingerprint = _pem.sha256_hex(key.spki_der) if key.spki_der else key.blob_sha256
    notes = [key.ssh_fingerprint, f"host key of {ep.location}", offered]
    related: tuple[str, ...] = ()
    if key.certificate:
        notes.append(f"OpenSSH {key.certificate_kind} certificate signed by CA key {key.ca_fingerprint}")
        if key.ca_spki_der:
            related = (_pem.sha256_hex(key.ca_spki_der),)
    if hk.note:
        notes.append(hk.note)
    return Finding(
        kind=AssetKind.KEY,
        algorithm=algorithm,
        rule_id=RULE_SSH_HOSTKEY,
        usage=Usage.SIGNATURE,
        key_size=key.key_size,
        curve=key.curve,
        fingerprint_sha256=fingerprint,
        key_material=KeyMaterial.PUBLIC,
        name=f"{ep.hostport} {key.key_type}"[:120],
        snippet=f"{key.key_type} {key.ssh_fingerprint}"[:120],
        notes=tuple(notes),
        related_fingerprints=related,
    )


__all__ = [
    "SSH_DETECTOR",
    "TLS_DETECTOR",
    "Endpoint",
    "EndpointResult",
    "KeyExchangeClass",
    "NetworkDetector",
    "ProbeOptions",
    "Protocol",
    "certificate_findings",
    "classify_ssh",
    "classify_tls",
    "network_detectors",
    "parse_endpoint",
    "probe_endpoints",
    "protocol_quantum_status",
    "read_endpoints_file",
    "ssh_findings",
    "tls_findings",
]
