"""What a detector is: an id, metadata, and one method over a file's bytes.

Detectors return :class:`Finding` objects (evidence with the algorithm name as seen)
and :class:`FileNote` objects (something about the file that limits what could be
seen, e.g. "encrypted"). The engine resolves names through the catalog, builds
:class:`~qrisk.model.Asset` objects with stable ids, and merges duplicates.

A detector never returns secret material: no private-key bytes, no passwords, no
symmetric keys; fingerprints are of the *public* key only.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from qrisk.model import AssetKind, CertificateInfo, Confidence, KeyMaterial, Usage


@dataclass(frozen=True)
class Finding:
    """Evidence of one cryptographic asset inside one file."""

    kind: AssetKind
    algorithm: str
    """Name as seen, or a canonical catalog name; the engine resolves it."""
    rule_id: str
    """Stable ``QR-…`` id of the rule that matched."""
    line: int | None = None
    usage: Usage = Usage.UNKNOWN
    key_size: int | None = None
    curve: str | None = None
    """Curve name in any spelling (``prime256v1``, ``secp384r1``…); normalised by the engine."""
    parameter_set: str | None = None
    mode: str | None = None
    fingerprint_sha256: str | None = None
    """Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo (or the SSH public-key blob)."""
    key_material: KeyMaterial | None = None
    encrypted: bool = False
    certificate: CertificateInfo | None = None
    name: str = ""
    version: str | None = None
    confidence: Confidence = Confidence.HIGH
    snippet: str = ""
    """Redacted excerpt, at most ~120 characters; never key bytes or secrets."""
    notes: tuple[str, ...] = ()
    related_fingerprints: tuple[str, ...] = ()
    """Public-key fingerprints of assets this one relates to (e.g. a certificate's key)."""


@dataclass(frozen=True)
class FileNote:
    """Something that limited what a detector could see in a file (recorded as a skip)."""

    reason: str
    """Short reason, e.g. ``encrypted``, ``malformed``, ``truncated``."""
    detail: str = ""


DetectorOutput = Finding | FileNote


@dataclass(frozen=True)
class Gate:
    """Which files a detector's :meth:`Detector.wants` can possibly accept, declared so the
    engine can dispatch by table lookups instead of one ``wants`` call per file and detector.

    A gate is a *superset*: ``wants`` is called only for files that pass it (any one test
    below), and still decides. Names are the lower-case last path segment; the extension is
    from its last dot (none for a dot-file); the parent is the lower-case name of the folder
    holding the file. ``tests/scan/test_gates.py`` checks the superset property for every
    built-in detector.
    """

    extensions: frozenset[str] = frozenset()
    filenames: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    """Name prefixes."""
    parents: frozenset[str] = frozenset()
    path_words: tuple[str, ...] = ()
    """Substrings of the whole lower-case relative path."""
    head_marks: tuple[bytes, ...] = ()
    """Byte strings any of which in the first bytes of the file passes it."""
    head_starts: tuple[bytes, ...] = ()
    """Byte strings the file may start with."""
    name_test: Callable[[str], bool] | None = None
    """Last resort, called with the lower-case name."""


class Detector(abc.ABC):
    """Base class of built-in detectors (registered in :mod:`qrisk.scan.detectors`)."""

    id: ClassVar[str]
    """Short stable id, e.g. ``x509``."""
    description: ClassVar[str]
    rules: ClassVar[Mapping[str, str]]
    """Rule id → one-line description, for SARIF and documentation."""
    handles_binary: ClassVar[bool] = False
    """Whether the detector wants files that look binary (DER, PKCS#12, keystores)."""
    name_only: ClassVar[bool] = False
    """True when :meth:`wants` depends only on the file name (``extensions``/``filenames``
    class sets): the engine then dispatches by lookup without calling it."""
    gate: ClassVar[Gate | None] = None
    """A superset of the files :meth:`wants` accepts (see :class:`Gate`); None: ask
    ``wants`` about every file."""
    keywords: ClassVar[tuple[bytes, ...]] = ()
    """Prefilter: lower-case literals of which at least one must occur (case-insensitively)
    in a file for :meth:`detect` to run. The engine matches all detectors' keywords in one
    pass over the bytes. Empty: :meth:`wants` alone decides."""

    @abc.abstractmethod
    def wants(self, path: str, head: bytes) -> bool:
        """Cheap test on the relative path and the first bytes: should :meth:`detect` run?"""

    @abc.abstractmethod
    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        """Examine a whole file. ``path`` is relative to the scan root, for messages only."""
