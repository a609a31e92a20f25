"""Detectors for cryptographic API usage in source code, one module per language family.

Every detector declares prefilter keywords (the engine runs ``detect`` only on files
where one occurs) and confirms candidates with a language-aware rule: Python's ``ast``,
and for the other languages a small lexer that blanks comments and locates string
literals before API-call shapes are matched (see :mod:`._lex`).
"""

from __future__ import annotations

from qrisk.scan.detectors.base import Detector
from qrisk.scan.detectors.source.clang import CSourceDetector
from qrisk.scan.detectors.source.dotnet import CSharpSourceDetector
from qrisk.scan.detectors.source.golang import GoSourceDetector
from qrisk.scan.detectors.source.javascript import JavaScriptSourceDetector
from qrisk.scan.detectors.source.jvm import JvmSourceDetector
from qrisk.scan.detectors.source.php import PhpSourceDetector
from qrisk.scan.detectors.source.python import PythonSourceDetector
from qrisk.scan.detectors.source.ruby import RubySourceDetector
from qrisk.scan.detectors.source.rust import RustSourceDetector

SOURCE_DETECTORS: list[type[Detector]] = [
    PythonSourceDetector,
    JvmSourceDetector,
    GoSourceDetector,
    JavaScriptSourceDetector,
    CSourceDetector,
    CSharpSourceDetector,
    RustSourceDetector,
    PhpSourceDetector,
    RubySourceDetector,
]


def source_detectors() -> list[Detector]:
    """A fresh instance of every source-code detector."""
    return [cls() for cls in SOURCE_DETECTORS]


__all__ = [
    "SOURCE_DETECTORS",
    "CSharpSourceDetector",
    "CSourceDetector",
    "GoSourceDetector",
    "JavaScriptSourceDetector",
    "JvmSourceDetector",
    "PhpSourceDetector",
    "PythonSourceDetector",
    "RubySourceDetector",
    "RustSourceDetector",
    "source_detectors",
]
