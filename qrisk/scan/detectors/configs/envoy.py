"""Envoy (and Istio, which configures Envoy) TLS parameters in YAML or JSON.

Envoy ``tls_params`` (``tlsParams``) of ``common_tls_context`` in downstream/upstream TLS
contexts: ``tls_minimum_protocol_version``/``tls_maximum_protocol_version`` (``TLSv1_2``...),
``cipher_suites`` (BoringSSL names, ``[A|B]`` equal-preference groups), ``ecdh_curves`` and
``signature_algorithms``. Istio: ``minProtocolVersion``/``maxProtocolVersion``/``cipherSuites``
of a Gateway server's or DestinationRule's ``tls``, ``meshMTLS`` and ``tlsDefaults.ecdhCurves``.

The minimum version reports every version up to the maximum of the same block (TLS 1.3 when
none is set: Envoy's server default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import ClassVar

from yaml.nodes import MappingNode

from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Gate
from qrisk.scan.detectors.configs import _yaml
from qrisk.scan.detectors.configs import ciphersuites as cs
from qrisk.scan.detectors.configs._common import Emitter, basename, lines_of

RULE_PROTOCOLS = "QR-CFG-ENVOY-001"
RULE_CIPHERS = "QR-CFG-ENVOY-002"
RULE_GROUPS = "QR-CFG-ENVOY-003"
RULE_SIGALGS = "QR-CFG-ENVOY-004"

_ENVOY_BLOCKS = frozenset({"tls_params", "tlsParams"})
_ISTIO_BLOCKS = frozenset({"tls", "meshMTLS", "tlsDefaults"})
_MIN = ("tls_minimum_protocol_version", "tlsMinimumProtocolVersion", "minProtocolVersion")
_MAX = ("tls_maximum_protocol_version", "tlsMaximumProtocolVersion", "maxProtocolVersion")
_CIPHERS = ("cipher_suites", "cipherSuites")
_CURVES = ("ecdh_curves", "ecdhCurves")
_SIGALGS = ("signature_algorithms", "signatureAlgorithms")


class EnvoyDetector(Detector):
    """TLS versions, suites, curves and signature algorithms in Envoy and Istio configuration."""

    id = "envoy"
    description = "Envoy/Istio TLS parameters (tls_params, minProtocolVersion, cipherSuites, ecdhCurves)"
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            RULE_PROTOCOLS: "TLS protocol version enabled by tls_minimum/maximum_protocol_version (min/maxProtocolVersion)",
            RULE_CIPHERS: "Cipher-suite algorithm enabled by cipher_suites (cipherSuites)",
            RULE_GROUPS: "Key-exchange group enabled by ecdh_curves (ecdhCurves)",
            RULE_SIGALGS: "Signature algorithm enabled by signature_algorithms",
        }
    )
    keywords = (b"tls_params", b"tlsparams", b"minprotocolversion", b"ecdhcurves", b"ciphersuites")

    gate = Gate(extensions=frozenset({".yaml", ".yml", ".json"}))

    def wants(self, path: str, head: bytes) -> bool:
        return basename(path).lower().endswith((".yaml", ".yml", ".json"))

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        em = Emitter(self.id)
        try:
            docs = _yaml.compose_documents(data, json_like=path.lower().endswith(".json"))
        except Exception:  # not YAML: nothing of ours can be in it
            return []
        try:
            lines = lines_of(data)
            for doc in docs:
                for path_keys, mapping in _yaml.walk(doc):
                    parent_key = path_keys[-1] if path_keys else ""
                    if parent_key in _ENVOY_BLOCKS or (parent_key in _ISTIO_BLOCKS and self._istio(mapping)):
                        self._block(mapping, lines, em)
        except Exception as exc:  # a detector must never take the scan down
            return [*em.results(), FileNote("malformed", f"Envoy configuration could not be read ({type(exc).__name__})")]
        return em.results()

    @staticmethod
    def _istio(mapping: MappingNode) -> bool:
        keys = {k for k, _, _ in _yaml.items(mapping)}
        return bool(keys & {"minProtocolVersion", "maxProtocolVersion", "cipherSuites", "ecdhCurves"})

    def _block(self, mapping: MappingNode, lines: list[str], em: Emitter) -> None:
        def text(n: int) -> str:
            return lines[n - 1] if 0 < n <= len(lines) else ""

        low_node = _yaml.get(mapping, *_MIN)
        high = cs.tls_version(_yaml.scalar(_yaml.get(mapping, *_MAX)) or "")
        low = cs.tls_version(_yaml.scalar(low_node) or "")
        if low_node is not None and low:
            n = _yaml.line(low_node)
            em.protocols(cs.protocol_range(low, high), RULE_PROTOCOLS, n, text(n))
        for value, n in _yaml.strings(_yaml.get(mapping, *_CIPHERS)):
            em.components(cs.expand_cipher_list(value.replace("|", ":")), RULE_CIPHERS, n, text(n))
        for value, n in _yaml.strings(_yaml.get(mapping, *_CURVES)):
            em.components(cs.expand_groups(value), RULE_GROUPS, n, text(n))
        for value, n in _yaml.strings(_yaml.get(mapping, *_SIGALGS)):
            em.components(cs.expand_sigalgs(value), RULE_SIGALGS, n, text(n))


DETECTORS: list[type[Detector]] = [EnvoyDetector]
