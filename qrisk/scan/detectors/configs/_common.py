"""Plumbing shared by the protocol-configuration detectors: text lines, names and an emitter
that turns expanded components into findings (one per line, algorithm and key size)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from qrisk import catalog
from qrisk.model import AssetKind, Confidence, Usage
from qrisk.scan.detectors.base import DetectorOutput, FileNote, Finding
from qrisk.scan.detectors.configs import ciphersuites as cs
from qrisk.scan.detectors.configs.ciphersuites import Component

MAX_SNIPPET = 120
# When one configured name stands for several usages of the same algorithm on one line (RSA as
# key exchange and as authentication), the finding keeps the one that matters most for the
# threat model: harvest-now-decrypt-later first.
_USAGE_RANK = {
    Usage.KEY_EXCHANGE: 0,
    Usage.ENCRYPTION: 1,
    Usage.SIGNATURE: 2,
    Usage.AUTHENTICATION: 3,
    Usage.KEY_DERIVATION: 4,
    Usage.HASHING: 5,
    Usage.RANDOM: 6,
    Usage.UNKNOWN: 7,
}
# Long base64/hex runs never belong in a snippet (keys, tokens, passwords).
_SECRETISH_RE = re.compile(r"[A-Za-z0-9+/=]{40,}")
_SECRET_WORDS_RE = re.compile(r"(passw|secret|token|private|passphrase|psk\b)", re.IGNORECASE)


def basename(path: str) -> str:
    """Last segment of a relative path (``/`` or ``\\`` separated)."""
    return path.rpartition("/")[2].rpartition("\\")[2]


def parent(path: str) -> str:
    """Name of the folder holding ``path`` (``""`` at the root)."""
    norm = path.replace("\\", "/")
    head = norm.rpartition("/")[0]
    return head.rpartition("/")[2]


def lines_of(data: bytes) -> list[str]:
    """The file's lines, split on LF only (so numbers agree with editors and ``grep -n``)."""
    text = data.decode("utf-8", "replace")
    return [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]


def snippet(text: str) -> str:
    """A short, safe excerpt of a configuration line."""
    s = " ".join(text.strip().split())
    if _SECRET_WORDS_RE.search(s):
        key = re.split(r"[=:\s]", s, maxsplit=1)[0]
        return f"{key[:60]} …"
    s = _SECRETISH_RE.sub(lambda m: m.group(0)[:12] + "…", s)
    return s if len(s) <= MAX_SNIPPET else s[: MAX_SNIPPET - 1] + "…"


@functools.lru_cache(maxsize=4096)
def canonical(name: str) -> str:
    """Catalog name for dedup purposes (the name as seen when the catalog does not know it)."""
    res = catalog.algorithms().resolve(name)
    return res.algorithm.name if res.known else name.strip().lower()


_DEPRECATED = frozenset({"SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"})


def _label(version: str) -> str:
    """``TLSv1.2`` → ``TLS 1.2`` (the prober's spelling)."""
    family = "SSL" if version.startswith("SSL") else "TLS"
    return f"{family} {cs.protocol_version(version)}"


@dataclass
class _ProtocolLine:
    text: str
    confidence: Confidence
    versions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Emitter:
    """Collects the findings of one file: one per (line, canonical algorithm, key size, kind)."""

    def __init__(self, detector_id: str) -> None:
        self.detector_id = detector_id
        self._findings: dict[tuple[object, ...], Finding] = {}
        self._protocols: dict[tuple[int, str], _ProtocolLine] = {}
        self.notes: list[FileNote] = []

    def algorithm(
        self,
        comp: Component,
        rule_id: str,
        line: int,
        text: str,
        *,
        notes: Sequence[str] = (),
        confidence: Confidence = Confidence.HIGH,
        curve: str | None = None,
    ) -> None:
        """One configured algorithm."""
        name = comp.algorithm
        key_size = comp.key_size
        key = (line, AssetKind.ALGORITHM, canonical(name), key_size)
        prev = self._findings.get(key)
        if prev is not None and _USAGE_RANK[prev.usage] <= _USAGE_RANK[comp.usage]:
            return
        extra = list(notes)
        if comp.source and comp.source.lower() != name.lower():
            extra.insert(0, f"from {comp.source[:80]}")
        self._findings[key] = Finding(
            kind=AssetKind.ALGORITHM,
            algorithm=name,
            rule_id=rule_id,
            line=line,
            usage=comp.usage,
            key_size=key_size,
            curve=curve,
            mode=comp.mode,
            confidence=confidence,
            snippet=snippet(text),
            notes=tuple(extra),
        )

    def components(
        self,
        comps: Iterable[Component],
        rule_id: str,
        line: int,
        text: str,
        *,
        notes: Sequence[str] = (),
        confidence: Confidence = Confidence.HIGH,
    ) -> None:
        for comp in comps:
            self.algorithm(comp, rule_id, line, text, notes=notes, confidence=confidence)

    def protocol(
        self,
        name: str,
        rule_id: str,
        line: int,
        text: str,
        *,
        notes: Sequence[str] = (),
        confidence: Confidence = Confidence.HIGH,
    ) -> None:
        """One enabled protocol version (``name`` canonical, e.g. ``TLSv1.2``). The versions a line
        enables become one finding, as the TLS prober reports an endpoint: algorithm ``TLS``
        (``SSL`` when only SSL 2/3), version the highest, and every version in the notes."""
        group = self._protocols.setdefault((line, rule_id), _ProtocolLine(text, confidence))
        if name not in group.versions:
            group.versions.append(name)
        for n in notes:
            if n not in group.notes:
                group.notes.append(n)

    def protocols(self, names: Iterable[str], rule_id: str, line: int, text: str, *, notes: Sequence[str] = ()) -> None:
        for n in names:
            self.protocol(n, rule_id, line, text, notes=notes)

    def _protocol_findings(self) -> list[Finding]:
        out = []
        for (line, rule_id), group in self._protocols.items():
            versions = [v for v in cs.PROTOCOLS if v in group.versions]
            top = versions[-1]
            family = "SSL" if top.startswith("SSL") else "TLS"
            labels = [_label(v) for v in versions]
            notes = [f"versions: {', '.join(labels)}"]
            old = [_label(v) for v in versions if v in _DEPRECATED]
            if old:
                notes.append(f"deprecated versions enabled: {', '.join(old)} (RFC 7568, RFC 8996)")
            out.append(
                Finding(
                    kind=AssetKind.PROTOCOL,
                    algorithm=family,
                    rule_id=rule_id,
                    line=line,
                    usage=Usage.KEY_EXCHANGE,
                    version=cs.protocol_version(top),
                    confidence=group.confidence,
                    snippet=snippet(group.text),
                    notes=(*notes, *group.notes),
                )
            )
        return out

    def raw(self, finding: Finding) -> None:
        """A finding built elsewhere (libraries, certificates): kept as is."""
        key = (finding.line, finding.kind, finding.algorithm, finding.key_size, finding.name, finding.rule_id)
        self._findings.setdefault(key, finding)

    def note(self, reason: str, detail: str) -> None:
        self.notes.append(FileNote(reason, detail))

    def results(self) -> list[DetectorOutput]:
        out: list[DetectorOutput] = [*self._findings.values(), *self._protocol_findings()]
        out.sort(key=lambda f: (f.line or 0, f.rule_id, f.algorithm) if isinstance(f, Finding) else (0, "", ""))
        return [*out, *self.notes]


def strip_comment(line: str, marks: str = "#") -> str:
    """``line`` without a trailing comment that starts at one of ``marks`` outside quotes."""
    if not any(m in line for m in marks):
        return line
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in marks and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def protocols_from_list(tokens: Sequence[str]) -> list[str]:
    """Versions enabled by a plain list of version names (``TLSv1.2 TLSv1.3``); ``!``/``-`` ignored."""
    out: list[str] = []
    for t in tokens:
        t = t.strip().strip("\"',;")
        if not t or t[0] in "!-":
            continue
        v = cs.tls_version(t.lstrip("+"))
        if v and v not in out:
            out.append(v)
    return out


def conf_command(
    command: str, value: str, line: int, text: str, em: Emitter, rules: tuple[str, str, str, str]
) -> None:
    """An OpenSSL ``SSL_CONF`` command (nginx ``ssl_conf_command``, Apache ``SSLOpenSSLConfCmd``)."""
    rule_protocols, rule_ciphers, rule_groups, rule_sigalgs = rules
    cmd = command.strip().lower()
    if cmd in ("ciphersuites", "cipherstring"):
        em.components(cs.expand_cipher_list(value), rule_ciphers, line, text)
    elif cmd in ("groups", "curves", "ecdhparameters"):
        em.components(cs.expand_groups(value), rule_groups, line, text)
    elif cmd in ("signaturealgorithms", "clientsignaturealgorithms", "sigalgs", "client_sigalgs"):
        em.components(cs.expand_sigalgs(value), rule_sigalgs, line, text)
    elif cmd == "minprotocol":
        low = cs.tls_version(value)
        if low:
            em.protocols(cs.protocol_range(low), rule_protocols, line, text)
    elif cmd == "protocol":
        em.protocols(protocols_from_list(re.split(r"[,\s]+", value)), rule_protocols, line, text)
