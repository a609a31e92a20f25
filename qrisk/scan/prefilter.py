"""One pass over a file's bytes finds which detectors' keywords occur (case-insensitively).

The confirm stage (a detector's ``detect``) runs only for detectors with a hit, so files
without any candidate are never parsed. Backends: a compiled alternation regex
(standard library); faster multi-pattern engines can replace it behind the same API.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qrisk.scan.detectors.base import Detector


class Prefilter:
    """Maps keyword hits in a buffer to the indexes of detectors that declared them."""

    def __init__(self, detectors: Sequence[Detector]) -> None:
        self._owners: dict[bytes, set[int]] = {}
        self.unfiltered: frozenset[int] = frozenset(i for i, d in enumerate(detectors) if not d.keywords)
        for i, d in enumerate(detectors):
            for k in d.keywords:
                self._owners.setdefault(k.lower(), set()).add(i)
        words = sorted(self._owners, key=len, reverse=True)
        self._regex = re.compile(b"|".join(re.escape(w) for w in words), re.IGNORECASE) if words else None

    def detectors_hit(self, data: bytes, candidates: Sequence[int]) -> set[int]:
        """Indexes among ``candidates`` whose keywords occur in ``data`` (or that have none)."""
        wanted = set(candidates)
        out = wanted & self.unfiltered
        pending = wanted - out
        if not pending or self._regex is None:
            return out
        for m in self._regex.finditer(data):
            owners = self._owners.get(m.group().lower())
            if owners:
                hit = owners & pending
                if hit:
                    out |= hit
                    pending -= hit
                    if not pending:
                        break
        return out
