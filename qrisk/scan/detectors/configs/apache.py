"""Apache httpd mod_ssl settings: ``SSLProtocol``/``SSLProxyProtocol`` (with ``all``, ``+``/``-``
arithmetic), ``SSLCipherSuite``/``SSLProxyCipherSuite`` (including the ``TLSv1.3`` form) and the
OpenSSL commands of ``SSLOpenSSLConfCmd``.

Directive names are case-insensitive; ``#`` starts a comment only at the beginning of a line
(httpd's rule); a trailing backslash continues a directive on the next line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import ClassVar

from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Gate
from qrisk.scan.detectors.configs import ciphersuites as cs
from qrisk.scan.detectors.configs._common import Emitter, basename, conf_command, lines_of, parent

RULE_PROTOCOLS = "QR-CFG-APACHE-001"
RULE_CIPHERS = "QR-CFG-APACHE-002"
RULE_GROUPS = "QR-CFG-APACHE-003"
RULE_SIGALGS = "QR-CFG-APACHE-004"

_FOLDERS = frozenset(
    {"apache2", "httpd", "conf.d", "conf-available", "conf-enabled", "sites-available", "sites-enabled",
     "mods-available", "mods-enabled", "extra", "conf.modules.d", "vhosts.d"}
)
# mod_ssl: "all" is "+SSLv3 +TLSv1 +TLSv1.1 +TLSv1.2", plus TLSv1.3 with OpenSSL 1.1.1 (httpd 2.4.36+).
_ALL = ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")


def directives(lines: list[str]) -> Iterator[tuple[int, str, list[str]]]:
    """(line, lower-case name, arguments) of every directive, continuations joined."""
    i = 0
    n = len(lines)
    while i < n:
        start = i
        text = lines[i]
        while text.endswith("\\") and i + 1 < n:
            i += 1
            text = text[:-1] + " " + lines[i]
        i += 1
        stripped = text.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("<"):
            continue
        parts = _split_args(stripped)
        if parts:
            yield start + 1, parts[0].lower(), parts[1:]


def _split_args(text: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
            else:
                cur.append(ch)
        elif ch in "\"'":
            quote = ch
        elif ch.isspace():
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur))
    return out


def ssl_protocol(args: list[str]) -> list[str]:
    """Versions enabled by ``SSLProtocol`` arguments (mod_ssl's ``all``/``+``/``-`` arithmetic)."""
    enabled: list[str] = []
    for arg in args:
        sign = arg[0] if arg[:1] in "+-" else ""
        name = arg[1:] if sign else arg
        versions = list(_ALL) if name.lower() == "all" else ([v] if (v := cs.tls_version(name)) else [])
        for v in versions:
            if sign == "-":
                if v in enabled:
                    enabled.remove(v)
            elif v not in enabled:
                enabled.append(v)
    return [v for v in cs.PROTOCOLS if v in enabled]


class ApacheDetector(Detector):
    """TLS versions, suites, groups and signature algorithms configured in Apache httpd."""

    id = "apache"
    description = "Apache httpd mod_ssl settings (SSLProtocol, SSLCipherSuite, SSLOpenSSLConfCmd, SSLProxy*)"
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            RULE_PROTOCOLS: "TLS/SSL protocol version enabled by SSLProtocol or SSLProxyProtocol",
            RULE_CIPHERS: "Cipher-suite algorithm enabled by SSLCipherSuite or SSLProxyCipherSuite",
            RULE_GROUPS: "Key-exchange group enabled by SSLOpenSSLConfCmd Groups/Curves",
            RULE_SIGALGS: "Signature algorithm enabled by SSLOpenSSLConfCmd SignatureAlgorithms",
        }
    )
    keywords = (b"sslprotocol", b"sslciphersuite", b"sslopensslconfcmd", b"sslproxyprotocol", b"sslproxyciphersuite")

    gate = Gate(
        filenames=frozenset({"httpd.conf", "apache2.conf", "ssl.conf", "httpd-ssl.conf", ".htaccess"}),
        extensions=frozenset({".conf", ".vhost"}),
        parents=_FOLDERS,
    )

    def wants(self, path: str, head: bytes) -> bool:
        name = basename(path).lower()
        if name in ("httpd.conf", "apache2.conf", "ssl.conf", "httpd-ssl.conf", ".htaccess"):
            return True
        if name.endswith((".conf", ".vhost")):
            return True
        return parent(path).lower() in _FOLDERS and not name.endswith((".md", ".txt", ".html"))

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        em = Emitter(self.id)
        try:
            lines = lines_of(data)
            for line, name, args in directives(lines):
                if args:
                    self._directive(line, name, args, lines[line - 1], em)
        except Exception as exc:  # a detector must never take the scan down
            return [*em.results(), FileNote("malformed", f"Apache configuration could not be read ({type(exc).__name__})")]
        return em.results()

    def _directive(self, line: int, name: str, args: list[str], text: str, em: Emitter) -> None:
        if name in ("sslprotocol", "sslproxyprotocol"):
            em.protocols(ssl_protocol(args), RULE_PROTOCOLS, line, text)
        elif name in ("sslciphersuite", "sslproxyciphersuite"):
            # Two-argument form: SSLCipherSuite TLSv1.3 TLS_AES_256_GCM_SHA384 (or SSL for <= 1.2).
            value = " ".join(args[1:]) if len(args) > 1 and args[0].upper() in ("SSL", "TLSV1.3") else " ".join(args)
            em.components(cs.expand_cipher_list(value), RULE_CIPHERS, line, text)
        elif name in ("sslopensslconfcmd", "sslproxyopensslconfcmd") and len(args) >= 2:
            conf_command(args[0], " ".join(args[1:]), line, text, em,
                         (RULE_PROTOCOLS, RULE_CIPHERS, RULE_GROUPS, RULE_SIGALGS))


DETECTORS: list[type[Detector]] = [ApacheDetector]
