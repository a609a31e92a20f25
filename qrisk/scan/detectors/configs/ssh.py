"""OpenSSH ``sshd_config``/``ssh_config`` (and files under ``sshd_config.d/``, ``ssh_config.d/``,
``~/.ssh/config``): ``KexAlgorithms``, ``Ciphers``, ``MACs``, ``HostKeyAlgorithms``,
``PubkeyAcceptedAlgorithms`` (``PubkeyAcceptedKeyTypes``), ``CASignatureAlgorithms`` and
``HostbasedAcceptedAlgorithms``.

Lists may start with ``+`` (append to the default), ``^`` (prepend) or ``-`` (remove from the
default: nothing listed is enabled, so nothing is reported). Keywords are case-insensitive and
may be written ``Keyword value`` or ``Keyword=value``; they apply inside ``Match``/``Host``
blocks as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import ClassVar

from qrisk.model import Usage
from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Gate
from qrisk.scan.detectors.configs import ciphersuites as cs
from qrisk.scan.detectors.configs._common import Emitter, basename, lines_of, parent, strip_comment
from qrisk.scan.detectors.configs.ciphersuites import Component

RULE_KEX = "QR-CFG-SSH-001"
RULE_CIPHERS = "QR-CFG-SSH-002"
RULE_MACS = "QR-CFG-SSH-003"
RULE_HOSTKEY = "QR-CFG-SSH-004"

_KEYWORDS: dict[str, tuple[str, Usage]] = {
    "kexalgorithms": (RULE_KEX, Usage.KEY_EXCHANGE),
    "ciphers": (RULE_CIPHERS, Usage.ENCRYPTION),
    "macs": (RULE_MACS, Usage.AUTHENTICATION),
    "hostkeyalgorithms": (RULE_HOSTKEY, Usage.SIGNATURE),
    "pubkeyacceptedalgorithms": (RULE_HOSTKEY, Usage.SIGNATURE),
    "pubkeyacceptedkeytypes": (RULE_HOSTKEY, Usage.SIGNATURE),
    "casignaturealgorithms": (RULE_HOSTKEY, Usage.SIGNATURE),
    "hostbasedacceptedalgorithms": (RULE_HOSTKEY, Usage.SIGNATURE),
    "hostbasedacceptedkeytypes": (RULE_HOSTKEY, Usage.SIGNATURE),
    "hostbasedkeytypes": (RULE_HOSTKEY, Usage.SIGNATURE),
}
_LINE_RE = re.compile(r"^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*?)\s*$")
_SIZE_RE = re.compile(r"(?:aes|camellia)(128|192|256)", re.IGNORECASE)


def _key_size(name: str) -> int | None:
    m = _SIZE_RE.search(name)
    if m:
        return int(m.group(1))
    if name.lower().startswith("chacha20"):
        return 256
    if name.lower().startswith("3des"):
        return 168
    return None


class SshConfigDetector(Detector):
    """Key exchange, ciphers, MACs and host-key algorithms configured for OpenSSH."""

    id = "ssh-config"
    description = "OpenSSH sshd_config/ssh_config: KexAlgorithms, Ciphers, MACs, HostKeyAlgorithms, PubkeyAcceptedAlgorithms"
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            RULE_KEX: "Key-exchange algorithm enabled by KexAlgorithms",
            RULE_CIPHERS: "Cipher enabled by Ciphers",
            RULE_MACS: "MAC enabled by MACs",
            RULE_HOSTKEY: "Signature algorithm enabled by HostKeyAlgorithms, PubkeyAcceptedAlgorithms or CASignatureAlgorithms",
        }
    )
    keywords = (b"kexalgorithms", b"ciphers", b"macs", b"hostkeyalgorithms", b"pubkeyaccepted", b"casignaturealgorithms",
                b"hostbased")

    gate = Gate(
        prefixes=("sshd_config", "ssh_config"),
        filenames=frozenset({"config"}),
        parents=frozenset({"sshd_config.d", "ssh_config.d"}),
    )

    def wants(self, path: str, head: bytes) -> bool:
        name = basename(path).lower()
        if name in ("sshd_config", "ssh_config") or name.startswith(("sshd_config", "ssh_config")):
            return True
        folder = parent(path).lower()
        if folder in ("sshd_config.d", "ssh_config.d") and name.endswith(".conf"):
            return True
        return name == "config" and folder == ".ssh"

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        em = Emitter(self.id)
        try:
            for n, raw in enumerate(lines_of(data), start=1):
                m = _LINE_RE.match(strip_comment(raw))
                if not m:
                    continue
                spec = _KEYWORDS.get(m.group(1).lower())
                if spec is not None:
                    self._list(n, raw, m.group(2), spec, em)
        except Exception as exc:  # a detector must never take the scan down
            return [*em.results(), FileNote("malformed", f"OpenSSH configuration could not be read ({type(exc).__name__})")]
        return em.results()

    def _list(self, n: int, raw: str, value: str, spec: tuple[str, Usage], em: Emitter) -> None:
        value = value.strip().strip("\"'")
        if not value or value.startswith("-"):
            return  # "-list" removes algorithms from the default set: it enables none
        note = ()
        if value[0] in "+^":
            note = ("added to OpenSSH's default list",)
            value = value[1:]
        rule, usage = spec
        for name in value.split(","):
            name = name.strip()
            if not name or "*" in name or not cs.known_algorithm(name):
                continue
            size = _key_size(name) if usage is Usage.ENCRYPTION else None
            em.algorithm(Component(name, usage, size), rule, n, raw, notes=note)


DETECTORS: list[type[Detector]] = [SshConfigDetector]
