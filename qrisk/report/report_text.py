"""Text helpers shared by the HTML report's server side and mirrored by its script.

Estate strings (file names, manifest fields, evidence) are shown as text: escaped by jinja's
autoescaping, and with invisible direction and control characters replaced by a visible
``[U+202E]`` marker, so a right-to-left override in a file name cannot reorder what an auditor
reads (Boucher & Anderson, "Trojan Source", CVE-2021-42574). The script's ``clean()`` does the
same in the browser; the number formats below are the ones its ``fmt*`` functions reproduce.
"""

from __future__ import annotations

import math
import re
from typing import Any

# Bidi embedding/override/isolate controls, marks, and C0/C1 controls except tab and newline.
_INVISIBLE = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\u0000-\u0008\u000b-\u001f\u007f-\u009f]")
JS_INVISIBLE_CLASS = r"[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\u0000-\u0008\u000b-\u001f\u007f-\u009f]"
"""The same class for the script (kept beside the Python one so the two cannot drift apart)."""


def visible(text: str) -> str:
    """``text`` with bidi controls and control characters replaced by ``[U+XXXX]``."""
    return _INVISIBLE.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def fmt_int(n: Any) -> str:
    """``100,000``."""
    return "–" if n is None else f"{int(n):,}"


def fmt_fixed(x: Any, digits: int = 1) -> str:
    """Fixed decimals, Python's rounding (the script reproduces ties-to-even)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{float(x):.{digits}f}"


def fmt_pct(p: Any, digits: int = 1) -> str:
    """A probability or share as a percentage: ``88.5%``."""
    if p is None or (isinstance(p, float) and not math.isfinite(p)):
        return "–"
    return f"{100.0 * float(p):.{digits}f}%"
