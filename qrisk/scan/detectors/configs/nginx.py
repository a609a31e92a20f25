"""nginx TLS settings: protocol versions, cipher suites, key-exchange groups and signature
algorithms of ``ssl_*``, ``proxy_ssl_*``, ``grpc_ssl_*`` and ``uwsgi_ssl_*`` directives, and the
OpenSSL commands passed through ``ssl_conf_command``.

The file is tokenised the way nginx reads it (quotes, ``#`` comments, statements ending in ``;``
and possibly spanning lines), so blank lines, comments and line breaks never change the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import ClassVar

from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Gate
from qrisk.scan.detectors.configs import ciphersuites as cs
from qrisk.scan.detectors.configs._common import (
    Emitter,
    basename,
    conf_command,
    lines_of,
    parent,
    protocols_from_list,
)

RULE_PROTOCOLS = "QR-CFG-NGINX-001"
RULE_CIPHERS = "QR-CFG-NGINX-002"
RULE_GROUPS = "QR-CFG-NGINX-003"
RULE_SIGALGS = "QR-CFG-NGINX-004"

_PREFIXES = ("ssl_", "proxy_ssl_", "grpc_ssl_", "uwsgi_ssl_", "zone_sync_ssl_")
_FOLDERS = frozenset({"nginx", "conf.d", "sites-available", "sites-enabled", "snippets", "http.d", "stream.d"})


class Token:
    __slots__ = ("line", "text")

    def __init__(self, text: str, line: int) -> None:
        self.text = text
        self.line = line


_TOKEN_RE = re.compile(r"""\n|#[^\n]*|"((?:\\.|[^"\\])*)"?|'((?:\\.|[^'\\])*)'?|[;{}]|[^\s;{}#"']+""")


def statements(text: str) -> Iterator[list[Token]]:
    """nginx statements as token lists (``{``/``}`` end a statement too). Never raises."""
    cur: list[Token] = []
    line = 1
    for m in _TOKEN_RE.finditer(text):
        tok = m.group(0)
        first = tok[0]
        if first == "\n":
            line += 1
        elif first == "#":
            continue
        elif first in ";{}":
            if cur:
                yield cur
                cur = []
        elif first in "\"'":
            body = m.group(1) if first == '"' else m.group(2)
            body = re.sub(r"\\(.)", r"\1", body or "")
            cur.append(Token(body, line))
            line += tok.count("\n")
        else:
            cur.append(Token(tok, line))
    if cur:
        yield cur


class NginxDetector(Detector):
    """TLS versions, suites, groups and signature algorithms configured in nginx."""

    id = "nginx"
    description = "nginx TLS settings (ssl_protocols, ssl_ciphers, ssl_ecdh_curve, ssl_conf_command, proxy_ssl_*)"
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            RULE_PROTOCOLS: "TLS/SSL protocol version enabled by ssl_protocols (or proxy_/grpc_/uwsgi_ssl_protocols, MinProtocol)",
            RULE_CIPHERS: "Cipher-suite algorithm enabled by ssl_ciphers or ssl_conf_command Ciphersuites",
            RULE_GROUPS: "Key-exchange group enabled by ssl_ecdh_curve or ssl_conf_command Groups/Curves",
            RULE_SIGALGS: "Signature algorithm enabled by ssl_conf_command SignatureAlgorithms",
        }
    )
    keywords = (b"ssl_protocols", b"ssl_ciphers", b"ssl_ecdh_curve", b"ssl_conf_command")

    gate = Gate(extensions=frozenset({".conf", ".nginx", ".vhost"}), prefixes=("nginx",), parents=_FOLDERS)

    def wants(self, path: str, head: bytes) -> bool:
        name = basename(path).lower()
        if name.startswith("nginx") and (name.endswith(".conf") or name == "nginx.conf" or "." not in name):
            return True
        if name.endswith((".conf", ".nginx", ".vhost")):
            return True
        return parent(path).lower() in _FOLDERS and not name.endswith((".md", ".txt", ".html"))

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        em = Emitter(self.id)
        try:
            lines = lines_of(data)
            text = "\n".join(lines)
            for st in statements(text):
                self._statement(st, lines, em)
        except Exception as exc:  # a detector must never take the scan down
            return [*em.results(), FileNote("malformed", f"nginx configuration could not be read ({type(exc).__name__})")]
        return em.results()

    def _statement(self, st: list[Token], lines: list[str], em: Emitter) -> None:
        name = st[0].text.lower()
        if not name.startswith(_PREFIXES):
            return
        args = st[1:]
        if not args or args[0].text == "=":
            return  # `key = value` is another program's syntax (Dovecot), never nginx's
        line = st[0].line
        src = lines[line - 1] if 0 < line <= len(lines) else name
        suffix = name.split("ssl_", 1)[1]
        pieces = [(chunk, line_no) for tok in args for chunk, line_no in _per_line(tok)]
        if suffix == "protocols":
            for chunk, n in pieces:
                em.protocols(protocols_from_list(chunk.split()), RULE_PROTOCOLS, n, _line(lines, n, src))
        elif suffix == "ciphers":
            for chunk, n in pieces:
                em.components(cs.expand_cipher_list(chunk), RULE_CIPHERS, n, _line(lines, n, src))
        elif suffix == "ecdh_curve":
            for chunk, n in pieces:
                em.components(cs.expand_groups(chunk), RULE_GROUPS, n, _line(lines, n, src))
        elif suffix == "conf_command" and len(args) >= 2:
            conf_command(args[0].text, " ".join(a.text for a in args[1:]), args[1].line,
                         _line(lines, args[1].line, src), em,
                         (RULE_PROTOCOLS, RULE_CIPHERS, RULE_GROUPS, RULE_SIGALGS))


def _per_line(tok: Token) -> Iterator[tuple[str, int]]:
    """A (quoted) argument split at its line breaks, each piece with its own line number."""
    for i, chunk in enumerate(tok.text.split("\n")):
        if chunk.strip():
            yield chunk, tok.line + i


def _line(lines: list[str], n: int, default: str) -> str:
    return lines[n - 1] if 0 < n <= len(lines) else default


DETECTORS: list[type[Detector]] = [NginxDetector]
