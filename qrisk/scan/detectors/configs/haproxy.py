"""HAProxy TLS settings: ``ssl-default-bind-*``/``ssl-default-server-*`` globals and the
``ciphers``, ``ciphersuites``, ``curves``, ``ecdhe``, ``sigalgs``, ``ssl-min-ver``/``ssl-max-ver``
and ``force-tlsv1x`` keywords of ``bind`` and ``server`` lines; ``tune.ssl.default-dh-param``.

Without ``ssl-min-ver`` or ``force-*`` no version is reported: ``no-tlsv10`` alone only removes a
version from HAProxy's own default (TLS 1.2 and later since HAProxy 2.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import ClassVar

from qrisk.model import Usage
from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Gate
from qrisk.scan.detectors.configs import ciphersuites as cs
from qrisk.scan.detectors.configs._common import Emitter, basename, lines_of, strip_comment
from qrisk.scan.detectors.configs.ciphersuites import Component

RULE_PROTOCOLS = "QR-CFG-HAPROXY-001"
RULE_CIPHERS = "QR-CFG-HAPROXY-002"
RULE_GROUPS = "QR-CFG-HAPROXY-003"
RULE_SIGALGS = "QR-CFG-HAPROXY-004"
RULE_DH = "QR-CFG-HAPROXY-005"

_FORCE = {"force-sslv3": "SSLv3", "force-tlsv10": "TLSv1.0", "force-tlsv11": "TLSv1.1",
          "force-tlsv12": "TLSv1.2", "force-tlsv13": "TLSv1.3"}
_NO = {"no-sslv3": "SSLv3", "no-tlsv10": "TLSv1.0", "no-tlsv11": "TLSv1.1", "no-tlsv12": "TLSv1.2",
       "no-tlsv13": "TLSv1.3"}


def _options(words: list[str]) -> list[str]:
    """Versions enabled by HAProxy SSL options (``ssl-min-ver``, ``ssl-max-ver``, ``force-*``, ``no-*``)."""
    low = high = None
    forced: list[str] = []
    disabled: set[str] = set()
    for i, w in enumerate(words):
        lw = w.lower()
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if lw == "ssl-min-ver":
            low = cs.tls_version(nxt)
        elif lw == "ssl-max-ver":
            high = cs.tls_version(nxt)
        elif lw in _FORCE:
            forced.append(_FORCE[lw])
        elif lw in _NO:
            disabled.add(_NO[lw])
    if forced:
        return forced
    if low is None:
        return []
    return [v for v in cs.protocol_range(low, high) if v not in disabled]


class HaproxyDetector(Detector):
    """TLS versions, suites, groups and signature algorithms configured in HAProxy."""

    id = "haproxy"
    description = "HAProxy TLS settings (ssl-default-bind/server-*, bind/server ciphers, curves, ssl-min-ver)"
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            RULE_PROTOCOLS: "TLS/SSL protocol version enabled by ssl-min-ver/ssl-max-ver/force-* options",
            RULE_CIPHERS: "Cipher-suite algorithm enabled by ciphers/ciphersuites (bind, server or ssl-default-*)",
            RULE_GROUPS: "Key-exchange group enabled by curves/ecdhe (bind, server or ssl-default-*)",
            RULE_SIGALGS: "Signature algorithm enabled by sigalgs/client-sigalgs",
            RULE_DH: "Finite-field DH size set by tune.ssl.default-dh-param",
        }
    )
    keywords = (b"ssl-default-", b"ciphers", b"ssl-min-ver", b"curves", b"ecdhe", b"force-tlsv", b"default-dh-param",
                b"sigalgs")

    gate = Gate(extensions=frozenset({".cfg"}), path_words=("haproxy",))

    def wants(self, path: str, head: bytes) -> bool:
        name = basename(path).lower()
        return (name.endswith(".cfg") and "haproxy" in path.lower()) or name.startswith("haproxy") or (
            name.endswith(".cfg") and (b"\nfrontend " in head or b"\nbackend " in head or head.startswith(b"global"))
        )

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        em = Emitter(self.id)
        try:
            for n, raw in enumerate(lines_of(data), start=1):
                words = strip_comment(raw).split()
                if words:
                    self._line(n, raw, words, em)
        except Exception as exc:  # a detector must never take the scan down
            return [*em.results(), FileNote("malformed", f"HAProxy configuration could not be read ({type(exc).__name__})")]
        return em.results()

    def _line(self, n: int, raw: str, words: list[str], em: Emitter) -> None:
        key = words[0].lower()
        value = " ".join(words[1:])
        if key.startswith("ssl-default-"):
            what = key.split("-", 3)[-1]  # ciphers, ciphersuites, curves, sigalgs, client-sigalgs, options
            if what in ("ciphers", "ciphersuites"):
                em.components(cs.expand_cipher_list(value), RULE_CIPHERS, n, raw)
            elif what == "curves":
                em.components(cs.expand_groups(value), RULE_GROUPS, n, raw)
            elif what in ("sigalgs", "client-sigalgs"):
                em.components(cs.expand_sigalgs(value), RULE_SIGALGS, n, raw)
            elif what == "options":
                em.protocols(_options(words[1:]), RULE_PROTOCOLS, n, raw)
        elif key == "tune.ssl.default-dh-param" and len(words) > 1 and words[1].isdigit():
            em.algorithm(Component("DH", Usage.KEY_EXCHANGE, int(words[1])), RULE_DH, n, raw)
        elif key in ("bind", "server", "default-server"):
            for i, w in enumerate(words[:-1]):
                lw = w.lower()
                arg = words[i + 1]
                if lw in ("ciphers", "ciphersuites"):
                    em.components(cs.expand_cipher_list(arg), RULE_CIPHERS, n, raw)
                elif lw in ("curves", "ecdhe"):
                    em.components(cs.expand_groups(arg), RULE_GROUPS, n, raw)
                elif lw in ("sigalgs", "client-sigalgs"):
                    em.components(cs.expand_sigalgs(arg), RULE_SIGALGS, n, raw)
            em.protocols(_options(words[1:]), RULE_PROTOCOLS, n, raw)


DETECTORS: list[type[Detector]] = [HaproxyDetector]
