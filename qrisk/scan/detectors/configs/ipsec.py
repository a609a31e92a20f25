"""IPsec: strongSwan ``ipsec.conf`` and ``swanctl.conf``, libreswan ``ipsec.conf``/``ipsec.d``.

IKE and ESP/AH proposals (``ike=``, ``esp=``, ``ah=``, ``phase2alg=``, swanctl ``proposals``,
``esp_proposals``, ``ah_proposals``) are broken into encryption, integrity, PRF and key-exchange
algorithms, including RFC 9370 additional key exchanges (``ke1_mlkem768``); ``authby``,
``leftauth``/``rightauth`` and swanctl ``auth`` name the signature scheme; ``keyexchange``,
``ikev2`` and swanctl ``version`` the IKE version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import ClassVar

from qrisk.model import AssetKind, Confidence, Usage
from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Finding, Gate
from qrisk.scan.detectors.configs import ciphersuites as cs
from qrisk.scan.detectors.configs._common import Emitter, basename, lines_of, parent, snippet, strip_comment

RULE_IKE = "QR-CFG-IPSEC-001"
RULE_CHILD = "QR-CFG-IPSEC-002"
RULE_AUTH = "QR-CFG-IPSEC-003"
RULE_VERSION = "QR-CFG-IPSEC-004"

_ASSIGN_RE = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*=\s*(.*?)\s*$")
_IKE_KEYS = frozenset({"ike", "proposals"})
_CHILD_KEYS = frozenset({"esp", "ah", "phase2alg", "esp_proposals", "ah_proposals"})
_AUTH_KEYS = frozenset({"authby", "leftauth", "rightauth", "leftauth2", "rightauth2", "auth"})


class IpsecDetector(Detector):
    """IKE/ESP proposals, authentication and IKE versions of strongSwan and libreswan."""

    id = "ipsec"
    description = "IPsec: strongSwan ipsec.conf/swanctl.conf and libreswan proposals, authentication and IKE version"
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            RULE_IKE: "Algorithm of an IKE proposal (ike=, swanctl proposals)",
            RULE_CHILD: "Algorithm of an ESP/AH proposal (esp=, ah=, phase2alg=, swanctl esp_proposals/ah_proposals)",
            RULE_AUTH: "Signature scheme used for IKE authentication (authby=, leftauth=/rightauth=, swanctl auth)",
            RULE_VERSION: "IKE protocol version (keyexchange=, ikev2=, swanctl version)",
        }
    )
    keywords = (b"ike", b"esp", b"proposals", b"phase2alg", b"authby", b"auth", b"keyexchange", b"version")

    gate = Gate(
        filenames=frozenset({"ipsec.conf", "swanctl.conf"}),
        extensions=frozenset({".swanctl", ".ipsec"}),
        parents=frozenset({"ipsec.d", "conf.d", "swanctl", "strongswan", "libreswan"}),
    )

    def wants(self, path: str, head: bytes) -> bool:
        name = basename(path).lower()
        if name in ("ipsec.conf", "swanctl.conf") or name.endswith((".swanctl", ".ipsec")):
            return True
        folder = parent(path).lower()
        return name.endswith(".conf") and folder in ("ipsec.d", "conf.d", "swanctl", "strongswan", "libreswan") and (
            b"conn " in head or b"connections" in head or b"children" in head
        )

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        em = Emitter(self.id)
        try:
            for n, raw in enumerate(lines_of(data), start=1):
                # swanctl.conf allows several settings on one line inside braces: `a { x = y }`
                for part in re.split(r"[{}]", strip_comment(raw)):
                    m = _ASSIGN_RE.match(part)
                    if m:
                        self._setting(n, raw, m.group(1).lower(), m.group(2).strip().strip("\"'"), em)
        except Exception as exc:  # a detector must never take the scan down
            return [*em.results(), FileNote("malformed", f"IPsec configuration could not be read ({type(exc).__name__})")]
        return em.results()

    def _setting(self, n: int, raw: str, key: str, value: str, em: Emitter) -> None:
        if not value:
            return
        if key in _IKE_KEYS:
            em.components(cs.expand_ipsec_proposals(value), RULE_IKE, n, raw)
        elif key in _CHILD_KEYS:
            em.components(cs.expand_ipsec_proposals(value), RULE_CHILD, n, raw)
        elif key in _AUTH_KEYS:
            for part in re.split(r"[,|\s]+", value):
                comp = cs.ipsec_auth(part)
                if comp is not None:
                    em.algorithm(comp, RULE_AUTH, n, raw)
        elif key in ("keyexchange", "ikev2", "version"):
            version = _ike_version(key, value.lower())
            if version:
                em.raw(
                    Finding(
                        kind=AssetKind.PROTOCOL,
                        algorithm=f"IKEv{version}",
                        rule_id=RULE_VERSION,
                        line=n,
                        usage=Usage.KEY_EXCHANGE,
                        version=version,
                        confidence=Confidence.HIGH,
                        snippet=snippet(raw),
                    )
                )


def _ike_version(key: str, value: str) -> str | None:
    if key == "keyexchange":
        return {"ikev1": "1", "ikev2": "2"}.get(value)
    if key == "ikev2":  # libreswan: ikev2=no|never means IKEv1, insist|yes means IKEv2
        return {"no": "1", "never": "1", "insist": "2", "yes": "2"}.get(value)
    return {"1": "1", "2": "2"}.get(value)  # swanctl connections.<conn>.version


DETECTORS: list[type[Detector]] = [IpsecDetector]
