"""Java security properties (``java.security``, ``*.security`` overrides, ``*.properties``,
``jvm.options``/``jvm.config`` with ``-Dkey=value``): the TLS settings that enable algorithms.

Reported: ``jdk.tls.client.protocols``/``jdk.tls.server.protocols``/``https.protocols``,
``jdk.tls.client.cipherSuites``/``jdk.tls.server.cipherSuites``, ``jdk.tls.namedGroups``,
``jdk.tls.client.SignatureSchemes``/``jdk.tls.server.SignatureSchemes``,
``jdk.tls.ephemeralDHKeySize`` and ``jdk.security.provider.preferred``.

Deny lists (``jdk.tls.disabledAlgorithms``, ``jdk.certpath.disabledAlgorithms``,
``jdk.jar.disabledAlgorithms``, ``jdk.security.legacyAlgorithms``, ``jdk.tls.legacyAlgorithms``)
name algorithms that are *not* (or only as a last resort) used: they are never reported.
Properties follow java.util.Properties: ``key=value``, ``key: value`` or ``key value``, ``#``/``!``
comments, backslash continuations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import ClassVar

from qrisk import catalog
from qrisk.model import Primitive, Usage
from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Gate
from qrisk.scan.detectors.configs import ciphersuites as cs
from qrisk.scan.detectors.configs._common import Emitter, basename, lines_of, protocols_from_list
from qrisk.scan.detectors.configs.ciphersuites import Component

RULE_PROTOCOLS = "QR-CFG-JAVA-001"
RULE_CIPHERS = "QR-CFG-JAVA-002"
RULE_GROUPS = "QR-CFG-JAVA-003"
RULE_SIGALGS = "QR-CFG-JAVA-004"
RULE_DH = "QR-CFG-JAVA-005"
RULE_PREFERRED = "QR-CFG-JAVA-006"

_PROP_RE = re.compile(r"^\s*([^\s=:#!][^\s=:]*)\s*[=:\s]\s*(.*)$")
_DEFINE_RE = re.compile(r"-D([A-Za-z][\w.]*)=(\"[^\"]*\"|'[^']*'|\S+)")
_PROTOCOL_KEYS = frozenset({"jdk.tls.client.protocols", "jdk.tls.server.protocols", "https.protocols"})
_CIPHER_KEYS = frozenset({"jdk.tls.client.ciphersuites", "jdk.tls.server.ciphersuites", "https.ciphersuites"})
_SIGALG_KEYS = frozenset({"jdk.tls.client.signatureschemes", "jdk.tls.server.signatureschemes"})
# jdk.security.provider.preferred entries are "Type.Algorithm:Provider" (java.security, JDK 9+).
_PREFERRED_RE = re.compile(r"^\s*([A-Za-z]+)\.([^:\s]+)\s*(?::.*)?$")
_PREFERRED_USAGE = {
    "cipher": Usage.ENCRYPTION,
    "messagedigest": Usage.HASHING,
    "signature": Usage.SIGNATURE,
    "mac": Usage.AUTHENTICATION,
    "keyagreement": Usage.KEY_EXCHANGE,
    "kem": Usage.KEY_EXCHANGE,
    "keypairgenerator": Usage.SIGNATURE,
}


def properties(lines: list[str]) -> Iterator[tuple[str, list[tuple[int, str, str]]]]:
    """(key, pieces) of every property; a piece is (line, value text on that line, raw line), so
    a list continued over several lines with backslashes keeps each entry's own line."""
    i, n = 0, len(lines)
    while i < n:
        raw = lines[i]
        text = raw.lstrip()
        i += 1
        if not text or text[0] in "#!":
            continue
        m = _PROP_RE.match(text)
        if not m:
            continue
        first = m.group(2)
        pieces = [(i, _unslash(first), raw)]
        while first.rstrip().endswith("\\") and not first.rstrip().endswith("\\\\") and i < n:
            first = lines[i]
            pieces.append((i + 1, _unslash(first.lstrip()), first))
            i += 1
        yield m.group(1), pieces


def _unslash(text: str) -> str:
    t = text.rstrip()
    return t[:-1] if t.endswith("\\") else t


class JavaSecurityDetector(Detector):
    """TLS protocol, cipher-suite, group and signature settings of the Java runtime."""

    id = "java-security"
    description = "Java security properties (java.security, -Djdk.tls.*): protocols, cipher suites, named groups"
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            RULE_PROTOCOLS: "TLS protocol version enabled by jdk.tls.client.protocols/jdk.tls.server.protocols/https.protocols",
            RULE_CIPHERS: "Cipher-suite algorithm enabled by jdk.tls.client.cipherSuites/jdk.tls.server.cipherSuites",
            RULE_GROUPS: "Key-exchange group enabled by jdk.tls.namedGroups",
            RULE_SIGALGS: "Signature scheme enabled by jdk.tls.client/server.SignatureSchemes",
            RULE_DH: "Ephemeral finite-field DH size set by jdk.tls.ephemeralDHKeySize",
            RULE_PREFERRED: "Algorithm given a preferred provider in jdk.security.provider.preferred",
        }
    )
    keywords = (b"jdk.tls.", b"https.protocols", b"https.ciphersuites", b"jdk.security.provider.preferred")

    gate = Gate(
        filenames=frozenset({"java.security", "jvm.options", "jvm.config", ".jvmopts", "setenv.sh", "setenv.bat"}),
        extensions=frozenset({".security", ".properties"}),
    )

    def wants(self, path: str, head: bytes) -> bool:
        name = basename(path).lower()
        return (
            name == "java.security"
            or name.endswith((".security", ".properties"))
            or name in ("jvm.options", "jvm.config", ".jvmopts", "setenv.sh", "setenv.bat")
        )

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        em = Emitter(self.id)
        try:
            lines = lines_of(data)
            name = basename(path).lower()
            if name.endswith((".security", ".properties")):
                for key, pieces in properties(lines):
                    for n, value, raw in pieces:
                        self._property(n, key, value, raw, em)
            for n, raw in enumerate(lines, start=1):
                if "-D" in raw and not raw.lstrip().startswith("#"):
                    for m in _DEFINE_RE.finditer(raw):
                        self._property(n, m.group(1), m.group(2).strip("\"'"), raw, em)
        except Exception as exc:  # a detector must never take the scan down
            return [*em.results(), FileNote("malformed", f"Java security properties could not be read ({type(exc).__name__})")]
        return em.results()

    def _property(self, n: int, key: str, value: str, raw: str, em: Emitter) -> None:
        k = key.lower()
        value = value.strip().strip("\"'")
        if not value:
            return
        if k in _PROTOCOL_KEYS:
            em.protocols(protocols_from_list(re.split(r"[,\s]+", value)), RULE_PROTOCOLS, n, raw)
        elif k in _CIPHER_KEYS:
            em.components(cs.expand_cipher_list(value), RULE_CIPHERS, n, raw)
        elif k == "jdk.tls.namedgroups":
            em.components(cs.expand_groups(value), RULE_GROUPS, n, raw)
        elif k in _SIGALG_KEYS:
            em.components(cs.expand_sigalgs(value), RULE_SIGALGS, n, raw)
        elif k == "jdk.tls.ephemeraldhkeysize" and value.isdigit():
            em.algorithm(Component("DH", Usage.KEY_EXCHANGE, int(value)), RULE_DH, n, raw)
        elif k == "jdk.security.provider.preferred":
            for entry in value.split(","):
                comp = _preferred(entry)
                if comp is not None:
                    em.algorithm(comp, RULE_PREFERRED, n, raw)


def _preferred(entry: str) -> Component | None:
    """``[Type.]Algorithm:Provider`` → the algorithm, its usage from the type or the catalog."""
    spec = entry.split(":", 1)[0].strip()
    if not spec:
        return None
    usage: Usage | None = None
    m = _PREFERRED_RE.match(spec)
    if m and m.group(1).lower() in _PREFERRED_USAGE:
        usage = _PREFERRED_USAGE[m.group(1).lower()]
        spec = m.group(2)
    entry_alg = catalog.algorithms().lookup(spec)
    if entry_alg.name == "unknown":
        return None
    if usage is None:
        usage = _PRIMITIVE_USAGE.get(entry_alg.primitive, Usage.UNKNOWN)
    return Component(spec, usage, source=entry.strip())


_PRIMITIVE_USAGE = {
    Primitive.BLOCK_CIPHER: Usage.ENCRYPTION,
    Primitive.STREAM_CIPHER: Usage.ENCRYPTION,
    Primitive.AE: Usage.ENCRYPTION,
    Primitive.PKE: Usage.ENCRYPTION,
    Primitive.HASH: Usage.HASHING,
    Primitive.XOF: Usage.HASHING,
    Primitive.SIGNATURE: Usage.SIGNATURE,
    Primitive.MAC: Usage.AUTHENTICATION,
    Primitive.KEY_AGREE: Usage.KEY_EXCHANGE,
    Primitive.KEM: Usage.KEY_EXCHANGE,
    Primitive.KDF: Usage.KEY_DERIVATION,
}


DETECTORS: list[type[Detector]] = [JavaSecurityDetector]
