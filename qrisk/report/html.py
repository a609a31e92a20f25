"""The self-contained HTML report: one ``index.html`` with inline CSS, one inline script and a
JSON data island, under a strict Content-Security-Policy.

The policy is ``default-src 'none'; img-src data:; style-src 'unsafe-inline';
script-src 'sha256-…'; base-uri 'none'; form-action 'none'``: the only script that may run is
the one whose SHA-256 (computed here over its exact text) is in the policy, and the page can
load nothing (no CDN, fonts, images or requests). The data island is
``<script type="application/json">``, which browsers never execute; its JSON escapes ``<``,
``>``, ``&`` and U+2028/U+2029 so no value can close the element. Charts for many systems are
drawn in the browser from the island, so the page grows with the data, not with the charts.

Templates live in the top-level ``templates/`` folder, shipped in the wheel as
``qrisk/templates`` and found through :mod:`importlib.resources`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from qrisk.errors import QriskError
from qrisk.report.report_data import Report, report_data
from qrisk.report.report_text import fmt_fixed, fmt_int, fmt_pct, visible

TEMPLATE = "report.html.j2"
SCRIPT = "report.js"
STYLE = "report.css"
CSP_BASE = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src {script}; base-uri 'none'; form-action 'none'"
_JSON_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def templates_dir() -> Traversable:
    """The report templates: ``qrisk/templates`` in an installed wheel, else the checkout's ``templates/``."""
    packaged = resources.files("qrisk").joinpath("templates")
    if packaged.joinpath(TEMPLATE).is_file():
        return packaged
    checkout = Path(__file__).resolve().parent.parent.parent / "templates"
    if (checkout / TEMPLATE).is_file():
        return checkout
    raise QriskError("report templates not found: the installation is incomplete (qrisk/templates is missing)")


@functools.cache
def _environment() -> tuple[jinja2.Environment, str, str]:
    folder = templates_dir()
    sources = {e.name: e.read_text(encoding="utf-8") for e in folder.iterdir() if e.name.endswith((".j2", ".html"))}
    env = jinja2.Environment(
        loader=jinja2.DictLoader(sources),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fint=fmt_int, pct=fmt_pct, fixed=fmt_fixed, visible=visible)
    # HTML parsing turns CR LF into LF before the browser hashes the script: hash what it will see.
    script = _lf(folder.joinpath(SCRIPT).read_text(encoding="utf-8"))
    style = _lf(folder.joinpath(STYLE).read_text(encoding="utf-8"))
    for name, text, bad in ((SCRIPT, script, "</script"), (STYLE, style, "</style")):
        if bad in text.lower() or "<!--" in text:
            raise QriskError(f"template {name} contains {bad!r} or '<!--' and cannot be inlined")
    return env, script, style


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}`` output: estate strings get their invisible characters made visible."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return visible(value)


def json_for_script(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">`` (cannot close the element)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # Outside strings JSON has none of these characters, so escaping them everywhere is safe.
    for char, escaped in _JSON_ESCAPES:
        text = text.replace(char, escaped)
    return text


def script_hash(script: str) -> str:
    """The CSP source for an inline script: ``'sha256-<base64 of SHA-256 over its UTF-8 text>'``."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(script: str) -> str:
    return CSP_BASE.format(script=script_hash(script))


def render_html(report: Report) -> str:
    """The report page as one HTML string (pure: no file system, no clock)."""
    env, script, style = _environment()
    data = report_data(report)
    qkd = report.qkd
    context = {
        "d": data,
        "csp": Markup(content_security_policy(script)),  # our own text: no " < > &
        "script": Markup(script),
        "style": Markup(style),
        "data_json": Markup(json_for_script(data)),
        "qkd_map_svg": Markup(qkd.map_svg) if qkd else None,
        "qkd_rate_svg": Markup(qkd.rate_svg) if qkd else None,
        "qkd_rate_caption": qkd.rate_caption if qkd else "",
        "crqc_svg": Markup(crqc_chart_svg(data)),
    }
    return env.get_template(TEMPLATE).render(**context)


def crqc_chart_svg(data: dict[str, Any]) -> str:
    """P(CRQC within t years of now) against calendar time, with the median and the quantile marked."""
    from xml.sax.saxutils import escape

    curve = data["crqc_curve"]
    a = data["assessment"]
    now_year = int(data["meta"]["now"][:4]) + (int(data["meta"]["now"][5:7]) - 1) / 12.0
    ts, ps = curve["t"], curve["p"]
    end_t = min(ts[-1], 40.0)
    width, height, left, right, top, bottom = 640, 260, 52, 16, 20, 40
    pw, ph = width - left - right, height - top - bottom

    def px(t: float) -> float:
        return left + t / end_t * pw

    def py(p: float) -> float:
        return top + (1 - p) * ph

    pts = " ".join(f"{px(t):.1f},{py(p):.1f}" for t, p in zip(ts, ps, strict=True) if t <= end_t)
    spec = str(a["crqc"].get("spec", ""))
    z = a["z"]
    label = (f"Probability that a CRQC exists within t years of {data['meta']['now']} ({spec}); "
             f"median {z.get('median_date') or 'never'}, {z['quantile']:g} quantile {z.get('quantile_date') or 'never'}.")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{escape(visible(label), {chr(34): "&quot;"})}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(visible(label))}</title>",
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fff" stroke="#666"/>',
    ]
    for p in (0.25, 0.5, 0.75, 1.0):
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{py(p):.1f}" y2="{py(p):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 4}" y="{py(p) + 4:.1f}" text-anchor="end">{p:.0%}</text>')
    step = 5
    for t in range(0, int(end_t) + 1, step):
        out.append(f'<text x="{px(t):.1f}" y="{top + ph + 14}" text-anchor="middle">{int(now_year + t)}</text>')
    out.append(f'<polyline fill="none" stroke="#0072B2" stroke-width="2" points="{pts}"/>')
    for key, name, colour in (("median_years", "median", "#D55E00"), ("quantile_years", f"q={z['quantile']:g}", "#CC79A7")):
        v = z.get(key)
        if v is not None and v <= end_t:
            out.append(f'<line x1="{px(v):.1f}" x2="{px(v):.1f}" y1="{top}" y2="{top + ph}" stroke="{colour}" stroke-dasharray="4 3"/>')
            out.append(f'<text x="{px(v) + 3:.1f}" y="{top + 12}" fill="{colour}">{escape(name)}</text>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 6}" text-anchor="middle">year (probability conditioned on no CRQC before {data["meta"]["now"]})</text>')
    out.append("</svg>")
    return "\n".join(out)
