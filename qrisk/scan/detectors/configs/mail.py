"""Mail servers: Postfix ``main.cf``/``master.cf`` and Dovecot ``dovecot.conf``/``conf.d/*.conf``.

Postfix: ``*_tls_protocols``/``*_tls_mandatory_protocols`` (exclusion lists ``!SSLv3, !TLSv1``,
``>=TLSv1.2`` and plain lists), the ``tls_*_cipherlist`` cipher strings, ``tls_eecdh_*_curve(s)``
and ``tls_ffdhe_auto_groups``, ``*_tls_fingerprint_digest``; ``-o name=value`` overrides in
master.cf. ``*_tls_exclude_ciphers`` is an exclusion list and is never reported.

Dovecot: ``ssl_min_protocol``, ``ssl_protocols`` (2.2), ``ssl_cipher_list``, ``ssl_cipher_suites``
and ``ssl_curve_list``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import ClassVar

from qrisk.model import Usage
from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Gate
from qrisk.scan.detectors.configs import ciphersuites as cs
from qrisk.scan.detectors.configs._common import Emitter, basename, lines_of, parent
from qrisk.scan.detectors.configs.ciphersuites import Component

RULE_PF_PROTOCOLS = "QR-CFG-POSTFIX-001"
RULE_PF_CIPHERS = "QR-CFG-POSTFIX-002"
RULE_PF_GROUPS = "QR-CFG-POSTFIX-003"
RULE_PF_DIGEST = "QR-CFG-POSTFIX-004"
RULE_DC_PROTOCOLS = "QR-CFG-DOVECOT-001"
RULE_DC_CIPHERS = "QR-CFG-DOVECOT-002"
RULE_DC_GROUPS = "QR-CFG-DOVECOT-003"

_ASSIGN_RE = re.compile(r"^([A-Za-z_][\w]*)\s*=\s*(.*?)\s*$")
_OVERRIDE_RE = re.compile(r"-o\s+\{?\s*([A-Za-z_]\w*)\s*=\s*([^\s}]+(?:\s*,\s*[^\s}]+)*)")
_PF_PROTOCOLS_RE = re.compile(r"^\w*_tls_(?:mandatory_)?protocols$")
_PF_DIGEST_RE = re.compile(r"^\w*_tls_fingerprint_digest$")
# Postfix protocol exclusion lists start from every protocol its TLS library may offer.
_PF_ALL = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")


def postfix_protocols(value: str) -> list[str]:
    """Versions enabled by a Postfix protocol list (postconf(5), smtpd_tls_protocols)."""
    tokens = [t for t in re.split(r"[\s,:]+", value) if t]
    positives: list[str] = []
    excluded: set[str] = set()
    low: str | None = None
    high: str | None = None
    for t in tokens:
        if t.startswith("!"):
            v = cs.tls_version(t[1:])
            if v:
                excluded.add(v)
        elif t.startswith(">="):
            low = cs.tls_version(t[2:])
        elif t.startswith("<="):
            high = cs.tls_version(t[2:])
        else:
            v = cs.tls_version(t)
            if v:
                positives.append(v)
    if low or high:
        enabled = cs.protocol_range(low or "TLSv1.0", high)
    elif positives:
        enabled = positives
    elif excluded:
        enabled = list(_PF_ALL)
    else:
        return []
    return [v for v in cs.PROTOCOLS if v in enabled and v not in excluded]


class _MailBase(Detector):
    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        em = Emitter(self.id)
        try:
            self._scan(lines_of(data), em)
        except Exception as exc:  # a detector must never take the scan down
            return [*em.results(), FileNote("malformed", f"{self.description} could not be read ({type(exc).__name__})")]
        return em.results()

    def _scan(self, lines: list[str], em: Emitter) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class PostfixDetector(_MailBase):
    """TLS settings of the Postfix SMTP server and client."""

    id = "postfix"
    description = "Postfix TLS settings (main.cf, master.cf)"
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            RULE_PF_PROTOCOLS: "TLS/SSL protocol version enabled by *_tls_protocols / *_tls_mandatory_protocols",
            RULE_PF_CIPHERS: "Cipher-suite algorithm of a tls_*_cipherlist cipher string",
            RULE_PF_GROUPS: "Key-exchange group of tls_eecdh_auto_curves, tls_eecdh_strong/ultra_curve, tls_ffdhe_auto_groups",
            RULE_PF_DIGEST: "Digest of certificate/public-key fingerprints (*_tls_fingerprint_digest)",
        }
    )
    keywords = (b"_tls_protocols", b"_tls_mandatory_protocols", b"_cipherlist", b"tls_eecdh_", b"tls_ffdhe_",
                b"_fingerprint_digest")

    gate = Gate(
        filenames=frozenset({"main.cf", "master.cf"}), prefixes=("main.cf.", "master.cf."), parents=frozenset({"postfix"})
    )

    def wants(self, path: str, head: bytes) -> bool:
        name = basename(path).lower()
        return name in ("main.cf", "master.cf") or name.startswith(("main.cf.", "master.cf.")) or (
            name.endswith(".cf") and parent(path).lower() == "postfix"
        )

    def _scan(self, lines: list[str], em: Emitter) -> None:
        i, n = 0, len(lines)
        while i < n:
            start = i
            text = lines[i]
            i += 1
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            if text[0].isspace():
                # master.cf continuation lines carry "-o name=value" overrides.
                for m in _OVERRIDE_RE.finditer(text):
                    self._setting(start + 1, m.group(1).lower(), m.group(2), text, em)
                continue
            # main.cf: a value continues on following lines that start with whitespace.
            pieces = [(start + 1, text)]
            while i < n and lines[i][:1] in (" ", "\t") and lines[i].strip() and not lines[i].lstrip().startswith(("#", "-o")):
                pieces.append((i + 1, lines[i]))
                i += 1
            m = _ASSIGN_RE.match(text)
            if m:
                key = m.group(1).lower()
                self._setting(start + 1, key, m.group(2), text, em)
                for line_no, more in pieces[1:]:
                    self._setting(line_no, key, more.strip(), more, em)
            for m in _OVERRIDE_RE.finditer(text):
                self._setting(start + 1, m.group(1).lower(), m.group(2), text, em)

    def _setting(self, n: int, key: str, value: str, raw: str, em: Emitter) -> None:
        value = value.strip()
        if not value or value.startswith("$"):
            return
        if _PF_PROTOCOLS_RE.match(key):
            em.protocols(postfix_protocols(value), RULE_PF_PROTOCOLS, n, raw)
        elif re.match(r"^tls_(high|medium|low|export|null)_cipherlist$", key):
            em.components(cs.expand_cipher_list(value), RULE_PF_CIPHERS, n, raw)
        elif key in ("tls_eecdh_auto_curves", "tls_eecdh_strong_curve", "tls_eecdh_ultra_curve", "tls_ffdhe_auto_groups"):
            em.components(cs.expand_groups(value), RULE_PF_GROUPS, n, raw)
        elif _PF_DIGEST_RE.match(key) and cs.known_algorithm(value):
            em.algorithm(Component(value, Usage.HASHING), RULE_PF_DIGEST, n, raw)


class DovecotDetector(_MailBase):
    """TLS settings of the Dovecot IMAP/POP3 server."""

    id = "dovecot"
    description = "Dovecot TLS settings (dovecot.conf, conf.d/10-ssl.conf)"
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            RULE_DC_PROTOCOLS: "TLS/SSL protocol version enabled by ssl_min_protocol or ssl_protocols",
            RULE_DC_CIPHERS: "Cipher-suite algorithm enabled by ssl_cipher_list or ssl_cipher_suites",
            RULE_DC_GROUPS: "Key-exchange group enabled by ssl_curve_list",
        }
    )
    keywords = (b"ssl_min_protocol", b"ssl_protocols", b"ssl_cipher_list", b"ssl_cipher_suites", b"ssl_curve_list")

    gate = Gate(extensions=frozenset({".conf"}), path_words=("dovecot",))

    def wants(self, path: str, head: bytes) -> bool:
        name = basename(path).lower()
        return ("dovecot" in path.lower() and name.endswith(".conf")) or name == "dovecot.conf" or (
            name.endswith(".conf") and name[:2].isdigit() and name[2:3] == "-"
        )

    def _scan(self, lines: list[str], em: Emitter) -> None:
        for n, raw in enumerate(lines, start=1):
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            m = _ASSIGN_RE.match(text)
            if not m:
                continue
            key, value = m.group(1).lower(), m.group(2).split(" #", 1)[0].strip().strip("\"'")
            if not value:
                continue
            if key == "ssl_min_protocol":
                low = cs.tls_version(value)
                if low:
                    em.protocols(cs.protocol_range(low), RULE_DC_PROTOCOLS, n, raw)
            elif key == "ssl_protocols":
                em.protocols(postfix_protocols(value), RULE_DC_PROTOCOLS, n, raw)
            elif key in ("ssl_cipher_list", "ssl_cipher_suites"):
                em.components(cs.expand_cipher_list(value), RULE_DC_CIPHERS, n, raw)
            elif key == "ssl_curve_list":
                em.components(cs.expand_groups(value), RULE_DC_GROUPS, n, raw)


DETECTORS: list[type[Detector]] = [PostfixDetector, DovecotDetector]
