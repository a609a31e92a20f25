"""A self-contained SVG line chart (log-scale rate vs distance), written by hand: no plotting dependency."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


@dataclass(frozen=True)
class Series:
    label: str
    x: Sequence[float]
    y: Sequence[float]
    """Values <= 0 are gaps (no key)."""
    dashed: bool = False
    colour: str | None = None


def log_line_chart(
    series: Sequence[Series], *, title: str, x_label: str, y_label: str, width: int = 760, height: int = 460
) -> str:
    """Render series on linear x / log10 y axes."""
    left, right, top, bottom = 78, 190, 40, 52
    pw, ph = width - left - right, height - top - bottom
    xs = [x for s in series for x in s.x]
    ys = [y for s in series for y in s.y if y > 0 and math.isfinite(y)]
    x_min, x_max = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x_max <= x_min:
        x_max = x_min + 1.0
    y_lo = math.floor(math.log10(min(ys))) if ys else -6
    y_hi = math.ceil(math.log10(max(ys))) if ys else 0
    if y_hi <= y_lo:
        y_hi = y_lo + 1

    def px(x: float) -> float:
        return left + (x - x_min) / (x_max - x_min) * pw

    def py(y: float) -> float:
        return top + (y_hi - math.log10(y)) / (y_hi - y_lo) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left + pw / 2:.1f}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
    ]
    step = max(1, math.ceil((y_hi - y_lo) / 12))
    for e in range(y_lo, y_hi + 1, step):
        y = py(10.0**e)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#e0e0e0"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">1e{e}</text>')
    for x in _nice_ticks(x_min, x_max):
        xp = px(x)
        out.append(f'<line x1="{xp:.1f}" y1="{top}" x2="{xp:.1f}" y2="{top + ph}" stroke="#f0f0f0"/>')
        out.append(f'<text x="{xp:.1f}" y="{top + ph + 16}" text-anchor="middle">{x:g}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 12}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(
        f'<text x="18" y="{top + ph / 2:.1f}" text-anchor="middle" transform="rotate(-90 18 {top + ph / 2:.1f})">'
        f"{escape(y_label)}</text>"
    )
    for i, s in enumerate(series):
        colour = s.colour or PALETTE[i % len(PALETTE)]
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        for run in _runs(s.x, s.y):
            pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in run)
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{pts}"/>')
        ly = top + 14 + 18 * i
        out.append(f'<line x1="{left + pw + 12}" y1="{ly}" x2="{left + pw + 40}" y2="{ly}" stroke="{colour}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{left + pw + 46}" y="{ly + 4}">{escape(s.label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _runs(xs: Sequence[float], ys: Sequence[float]) -> list[list[tuple[float, float]]]:
    runs: list[list[tuple[float, float]]] = []
    cur: list[tuple[float, float]] = []
    for x, y in zip(xs, ys, strict=True):
        if y > 0 and math.isfinite(y):
            cur.append((x, y))
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return runs


def _nice_ticks(lo: float, hi: float, target: int = 8) -> list[float]:
    raw = (hi - lo) / target
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    n = int((hi - first) / step + 1e-9) + 1
    return [round(first + i * step, 10) for i in range(n)]
