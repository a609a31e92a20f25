"""The explicit registry of built-in detectors (third-party plugins use the
``qrisk.detectors`` entry-point group; built-ins are listed here)."""

from __future__ import annotations

from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Finding


def builtin_detectors() -> list[Detector]:
    """A fresh instance of every built-in detector, in a fixed order."""
    from qrisk.scan.detectors.certificates import CertificateDetector
    from qrisk.scan.detectors.keys import KeyDetector

    return [CertificateDetector(), KeyDetector()]


__all__ = ["Detector", "DetectorOutput", "FileNote", "Finding", "builtin_detectors"]
