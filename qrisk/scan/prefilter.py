"""One pass over a file's bytes finds which detectors' keywords occur (case-insensitively).

The confirm stage (a detector's ``detect``) runs only for detectors with a hit, so files
without any candidate are never parsed. Backends, fastest first: Hyperscan (x86-64;
≈1 GB/s per core here, one compiled database for every keyword), then a compiled
alternation regex from the standard library (the portable fallback).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from typing import Any

from qrisk.scan.detectors.base import Detector, Gate

try:  # pragma: no cover - depends on the platform
    import hyperscan as _hs
except ImportError:  # pragma: no cover
    _hs = None


def _escape(word: bytes) -> bytes:
    """Literal pattern for both backends: alphanumerics as they are, every other byte as \\xHH."""
    return b"".join(bytes([c]) if chr(c).isalnum() and c < 128 else b"\\x%02x" % c for c in word)


def _append_id(pattern_id: int, start: int, end: int, flags: int, ctx: list[int]) -> None:
    ctx.append(pattern_id)


class _GateIndex:
    """Every detector's :class:`Gate`, merged into lookup tables (a handful of dict lookups
    and substring tests per file instead of one ``wants`` call per detector)."""

    def __init__(self, gated: Sequence[tuple[int, Gate]]) -> None:
        self.by_ext: dict[str, set[int]] = {}
        self.by_name: dict[str, set[int]] = {}
        self.by_parent: dict[str, set[int]] = {}
        self.prefixes: list[tuple[str, int]] = []
        self.words: list[tuple[str, int]] = []
        marks: dict[bytes, set[int]] = {}
        self.starts: list[tuple[bytes, int]] = []
        self.tests: list[tuple[Any, int]] = []
        for i, g in gated:
            for ext in g.extensions:
                self.by_ext.setdefault(ext.lower(), set()).add(i)
            for n in g.filenames:
                self.by_name.setdefault(n.lower(), set()).add(i)
            for n in g.parents:
                self.by_parent.setdefault(n.lower(), set()).add(i)
            self.prefixes.extend((p.lower(), i) for p in g.prefixes)
            self.words.extend((w.lower(), i) for w in g.path_words)
            for m in g.head_marks:
                marks.setdefault(m, set()).add(i)
            self.starts.extend((s, i) for s in g.head_starts)
            if g.name_test is not None:
                self.tests.append((g.name_test, i))
        self.all_prefixes = tuple(p for p, _ in self.prefixes)
        self.marks = [(m, frozenset(ids)) for m, ids in marks.items()]
        # one Hyperscan pass finds every head mark (≈4x faster than one ``in`` per mark)
        self._marks_db: Any = None
        if self.marks and _hs is not None:
            db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
            db.compile(
                expressions=[_escape(m) for m, _ in self.marks],
                ids=list(range(len(self.marks))),
                elements=len(self.marks),
                flags=[_hs.HS_FLAG_SINGLEMATCH] * len(self.marks),
            )
            self._marks_db = db
        self.all_starts = tuple(s for s, _ in self.starts)

    def passing(self, location: str, head: bytes) -> list[int]:
        """Indexes of the gated detectors whose gate ``(location, head)`` passes, sorted."""
        # the same name and parent the detectors compute (``/`` or ``\\`` separated)
        name = location.rpartition("/")[2].rpartition("\\")[2].lower()
        out: set[int] = set()
        dot = name.rfind(".")
        if dot >= 0:  # a dot-file named like an extension (``.conf``) too: wants() may accept it
            hit = self.by_ext.get(name[dot:])
            if hit:
                out |= hit
        hit = self.by_name.get(name)
        if hit:
            out |= hit
        if self.by_parent:
            folder = location.replace("\\", "/").rpartition("/")[0].rpartition("/")[2].lower()
            hit = self.by_parent.get(folder)
            if hit:
                out |= hit
        if self.all_prefixes and name.startswith(self.all_prefixes):
            out.update(i for p, i in self.prefixes if name.startswith(p))
        if self.words:
            low = location.lower()
            out.update(i for w, i in self.words if w in low)
        if head:
            if self._marks_db is not None:
                found: list[int] = []
                self._marks_db.scan(head, match_event_handler=_append_id, context=found)
                for k in found:
                    out |= self.marks[k][1]
            else:
                for m, ids in self.marks:
                    if not ids <= out and m in head:
                        out |= ids
        if self.all_starts and head.startswith(self.all_starts):
            out.update(i for s, i in self.starts if head.startswith(s))
        for test, i in self.tests:
            if i not in out and test(name):
                out.add(i)
        return sorted(out)


class Prefilter:
    """Maps keyword hits in a buffer to the indexes of detectors that declared them."""

    def __init__(self, detectors: Sequence[Detector], *, backend: str = "auto") -> None:
        # Detectors chosen by file name alone (``name_only``) are dispatched through a map of
        # extensions and file names instead of one ``wants`` call each per file.
        self.by_extension: dict[str, list[int]] = {}
        self.by_filename: dict[str, list[int]] = {}
        self.ask: list[int] = []
        """Detectors without a gate: asked about every file."""
        gated: list[tuple[int, Gate]] = []
        for i, d in enumerate(detectors):
            if getattr(d, "name_only", False):
                for ext in getattr(d, "extensions", ()):
                    self.by_extension.setdefault(ext, []).append(i)
                for fname in getattr(d, "filenames", ()):
                    self.by_filename.setdefault(fname, []).append(i)
            elif isinstance(getattr(d, "gate", None), Gate):
                gated.append((i, d.gate))  # type: ignore[arg-type]
            else:
                self.ask.append(i)
        self._gates = _GateIndex(gated)
        owners: dict[bytes, set[int]] = {}
        self.unfiltered: frozenset[int] = frozenset(i for i, d in enumerate(detectors) if not d.keywords)
        for i, d in enumerate(detectors):
            for k in d.keywords:
                owners.setdefault(k.lower(), set()).add(i)
        self._words = sorted(owners, key=len, reverse=True)
        self._owners = [frozenset(owners[w]) for w in self._words]
        # A match of a word also credits every keyword it contains (the regex backend reports
        # one word per position).
        self._by_word = {
            w: frozenset().union(*(owners[o] for o in self._words if o in w)) for w in self._words
        }
        self._hs_db: Any = None
        self._regex: re.Pattern[bytes] | None = None
        if not self._words:
            self.backend = "none"
        elif backend in ("auto", "hyperscan") and _hs is not None:
            db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
            db.compile(
                expressions=[_escape(w) for w in self._words],
                ids=list(range(len(self._words))),
                elements=len(self._words),
                flags=[_hs.HS_FLAG_CASELESS | _hs.HS_FLAG_SINGLEMATCH] * len(self._words),
            )
            self._hs_db = db
            self.backend = "hyperscan"
        else:
            if backend == "hyperscan":
                raise RuntimeError("hyperscan is not installed")
            # a lookahead finds overlapping occurrences, one candidate per position
            self._regex = re.compile(b"(?=(" + b"|".join(_escape(w) for w in self._words) + b"))", re.IGNORECASE)
            self.backend = "re"

    def named(self, location: str) -> list[int]:
        """Indexes of the ``name_only`` detectors that want a file of this name."""
        name = location.rsplit("/", 1)[-1].lower()
        dot = name.rfind(".")
        out = list(self.by_extension.get(name[dot:], ())) if dot > 0 else []
        out.extend(self.by_filename.get(name, ()))
        return out

    def to_ask(self, location: str, head: bytes) -> list[int]:
        """Indexes of the detectors whose ``wants`` must be asked about this file: those
        without a gate, and the gated ones whose gate it passes, in detector order."""
        gated = self._gates.passing(location, head)
        if not self.ask:
            return gated
        return sorted({*self.ask, *gated})

    def detectors_hit(self, data: bytes, candidates: Sequence[int]) -> set[int]:
        """Indexes among ``candidates`` whose keywords occur in ``data`` (or that have none)."""
        wanted = set(candidates)
        out = wanted & self.unfiltered
        pending = wanted - out
        if not pending or self.backend == "none":
            return out
        if self._hs_db is not None:
            state = [out, pending]

            def on_match(pattern_id: int, start: int, end: int, flags: int, ctx: list[set[int]]) -> bool | None:
                hit = self._owners[pattern_id] & ctx[1]
                if hit:
                    ctx[0] |= hit
                    ctx[1] -= hit
                    if not ctx[1]:
                        return True  # every candidate decided: stop scanning
                return None

            with contextlib.suppress(_hs.ScanTerminated):
                self._hs_db.scan(data, match_event_handler=on_match, context=state)
            return out
        assert self._regex is not None
        for m in self._regex.finditer(data):
            owner = self._by_word.get(m.group(1).lower())
            if owner:
                hit = owner & pending
                if hit:
                    out |= hit
                    pending -= hit
                    if not pending:
                        break
        return out
