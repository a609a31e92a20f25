"""The explicit registry of built-in detectors (third-party plugins use the
``qrisk.detectors`` entry-point group; built-ins are listed here)."""

from __future__ import annotations

from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Finding


def builtin_detectors() -> list[Detector]:
    """A fresh instance of every built-in detector, in a fixed order."""
    from qrisk.scan.detectors import configs, dependencies, iac, keystores
    from qrisk.scan.detectors.certificates import CertificateDetector
    from qrisk.scan.detectors.keys import KeyDetector
    from qrisk.scan.detectors.source import SOURCE_DETECTORS

    classes = [*SOURCE_DETECTORS, *configs.DETECTORS, *dependencies.DETECTORS, *iac.DETECTORS, *keystores.DETECTORS]
    return [CertificateDetector(), KeyDetector(), *(cls() for cls in classes)]


def all_rules() -> dict[str, str]:
    """Every built-in rule id with its description (for SARIF and documentation)."""
    rules: dict[str, str] = {}
    for d in builtin_detectors():
        rules.update(d.rules)
    return rules


__all__ = ["Detector", "DetectorOutput", "FileNote", "Finding", "all_rules", "builtin_detectors"]
