"""The report's QKD section: link rates, capacity against data-flow demand, a network map and
the rate-vs-distance chart with the PLOB bound (reusing :mod:`qrisk.qkd.svg`).

QKD networks are small (tens of sites), so both charts are drawn here as inline SVG; every
manifest string is escaped and has its bidirectional controls made visible.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any
from xml.sax.saxutils import escape

from qrisk.model import Inventory
from qrisk.report.report_text import visible

# Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
SWEEP_POINTS = 41
_HALO = 'stroke="#fff" stroke-width="4" paint-order="stroke"'


def _x(text: Any) -> str:
    """XML text: escaped, bidi controls made visible."""
    return escape(visible(str(text)), {'"': "&quot;"})


def rate_text(bps: float) -> str:
    """A key rate with a unit prefix (``1.23 kbit/s``)."""
    if not math.isfinite(bps) or bps <= 0:
        return "0 bit/s"
    for unit, scale in (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if bps >= scale:
            return f"{bps / scale:.3g} {unit}"
    return f"{bps:.3g} bit/s"


def qkd_section(inventory: Inventory) -> Any:
    from qrisk.qkd.network import QkdNetwork
    from qrisk.report.report_data import QkdSection

    net = QkdNetwork.build(inventory.sites, inventory.qkd_links, inventory.scan.organisation)
    links = [
        {"id": r.id, "a": r.a, "b": r.b, "protocol": r.protocol, "length_km": r.length_km,
         "channel_loss_db": round(r.channel_loss_db, 6), "secret_key_rate_bps": round(r.secret_key_rate_bps, 6),
         "plob_bound_bps": round(r.plob_bound_bps, 6), "owner": r.owner}
        for r in net.rates.values()
    ]
    flows = []
    for f in inventory.data_flows:
        entry: dict[str, Any] = {"id": f.id, "a": f.a, "b": f.b, "systems": list(f.systems),
                                 "demand_bps": round(f.key_demand_bps, 6), "description": f.description}
        if f.a in net.sites and f.b in net.sites and f.a != f.b:
            cap = net.capacity(f.a, f.b)
            entry.update(capacity_bps=round(cap.max_flow_bps, 6), widest_path_bps=round(cap.widest_path_bps, 6),
                         exposed_sites=list(cap.exposed_sites), relay_overhead=round(cap.relay_overhead, 6),
                         paths=[[list(p.sites), round(p.rate_bps, 6)] for p in cap.paths])
            entry["met"] = cap.max_flow_bps >= f.key_demand_bps
        else:
            entry.update(capacity_bps=None, met=None, exposed_sites=[], paths=[])
        flows.append(entry)
    # Several flows between the same two sites share one capacity.
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for f in flows:
        totals[tuple(sorted((f["a"], f["b"])))] += f["demand_bps"]  # type: ignore[index]
    for f in flows:
        pair = tuple(sorted((f["a"], f["b"])))
        f["pair_demand_bps"] = round(totals[pair], 6)  # type: ignore[index]
        f["pair_met"] = None if f["capacity_bps"] is None else f["capacity_bps"] >= totals[pair]  # type: ignore[index]
    sites = [{"id": s.id, "name": s.name, "owner": s.owner, "trusted": s.trusted, "relay": s.relay}
             for s in net.sites.values()]
    rate_svg, caption = rate_chart(inventory)
    return QkdSection(links=links, flows=flows, sites=sites, map_svg=network_map(net, inventory),
                      rate_svg=rate_svg, rate_caption=caption)


def _layout(net: Any) -> dict[str, tuple[float, float]]:
    sites = list(net.sites.values())
    if sites and all(s.latitude is not None and s.longitude is not None for s in sites) and len(sites) > 1:
        lats = [s.latitude for s in sites]
        lons = [s.longitude for s in sites]
        mid = math.cos(math.radians(sum(lats) / len(lats)))
        xs = [lon * mid for lon in lons]
        x0, x1, y0, y1 = min(xs), max(xs), min(lats), max(lats)
        span = max(x1 - x0, y1 - y0) or 1.0
        return {s.id: (0.08 + 0.84 * (x - x0) / span, 0.08 + 0.84 * (y1 - lat) / span)
                for s, x, lat in zip(sites, xs, lats, strict=True)}
    n = max(len(sites), 1)
    return {s.id: (0.5 + 0.38 * math.cos(2 * math.pi * i / n - math.pi / 2),
                   0.5 + 0.38 * math.sin(2 * math.pi * i / n - math.pi / 2)) for i, s in enumerate(sites)}


def network_map(net: Any, inventory: Inventory) -> str:
    """Sites (circles; relays as squares, untrusted dashed), links labelled with their key rate,
    data flows as dotted arcs."""
    width, height = 720, 440
    pos = _layout(net)

    def xy(site: str) -> tuple[float, float]:
        px, py = pos[site]
        return 40 + px * (width - 80), 30 + py * (height - 70)

    rates = [r.secret_key_rate_bps for r in net.rates.values() if r.secret_key_rate_bps > 0]
    top = max(rates, default=1.0)
    desc = [f"QKD network with {len(net.sites)} sites and {len(net.links)} links."]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="qkd-map-title qkd-map-desc" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        '<title id="qkd-map-title">QKD network map</title>',
    ]
    body = []
    for link in net.links:
        r = net.rates[link.id]
        (x1, y1), (x2, y2) = xy(link.a), xy(link.b)
        w = 1.5 + 5.0 * (math.log10(r.secret_key_rate_bps) / math.log10(top) if r.secret_key_rate_bps > 1 and top > 1 else 0)
        colour = OKABE_ITO[0] if r.secret_key_rate_bps > 0 else OKABE_ITO[1]
        dash = "" if r.secret_key_rate_bps > 0 else ' stroke-dasharray="4 3"'
        label = f"{link.id}: {link.length_km:g} km, {rate_text(r.secret_key_rate_bps)}"
        desc.append(f"Link {label} between {link.a} and {link.b}.")
        body.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
                    f'stroke-width="{max(w, 1.5):.1f}"{dash}><title>{_x(label)}</title></line>')
        body.append(f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2 - 6:.1f}" text-anchor="middle" '
                    f'{_HALO}>{_x(label)}</text>')
    for k, f in enumerate(inventory.data_flows):
        if f.a not in pos or f.b not in pos or f.a == f.b:
            continue
        (x1, y1), (x2, y2) = xy(f.a), xy(f.b)
        bend = 40 + 18 * k
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy) or 1.0
        cx, cy = mx - dy / norm * bend, my + dx / norm * bend
        label = f"data flow {f.id}: {rate_text(f.key_demand_bps)} of key"
        desc.append(label + f" between {f.a} and {f.b}.")
        body.append(f'<path d="M{x1:.1f},{y1:.1f} Q{cx:.1f},{cy:.1f} {x2:.1f},{y2:.1f}" fill="none" '
                    f'stroke="{OKABE_ITO[3]}" stroke-width="1.5" stroke-dasharray="2 3"><title>{_x(label)}</title></path>')
    for s in net.sites.values():
        x, y = xy(s.id)
        stroke = "#000" if s.trusted else OKABE_ITO[1]
        dash = "" if s.trusted else ' stroke-dasharray="3 2"'
        fill = "#fff" if s.relay else "#e8f1f8"
        role = ("trusted relay" if s.trusted else "UNTRUSTED relay") if s.relay else "site"
        tip = f"{s.id} ({s.name or s.id}), {role}" + (f", owner {s.owner}" if s.owner else "")
        desc.append(tip + ".")
        if s.relay:
            body.append(f'<rect x="{x - 9:.1f}" y="{y - 9:.1f}" width="18" height="18" fill="{fill}" '
                        f'stroke="{stroke}" stroke-width="2"{dash}><title>{_x(tip)}</title></rect>')
        else:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="10" fill="{fill}" stroke="{stroke}" '
                        f'stroke-width="2"{dash}><title>{_x(tip)}</title></circle>')
        # Label outward from the middle of the drawing, so it does not sit on the links.
        ux, uy = x - width / 2, y - height / 2
        norm = math.hypot(ux, uy) or 1.0
        lx, ly = x + ux / norm * 24, y + uy / norm * 24 + 4
        anchor = "middle" if abs(ux / norm) < 0.35 else ("start" if ux > 0 else "end")
        body.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" font-weight="bold" {_HALO}>{_x(s.id)}</text>')
        if s.relay and not s.trusted:
            body.append(f'<text x="{lx:.1f}" y="{ly + 14:.1f}" text-anchor="{anchor}" fill="{OKABE_ITO[1]}" {_HALO}>untrusted</text>')
    out.append(f'<desc id="qkd-map-desc">{_x(" ".join(desc))}</desc>')
    out.append(f'<rect width="{width}" height="{height}" fill="#fff"/>')
    out.extend(body)
    legend_y = height - 14
    out.append(f'<text x="10" y="{legend_y}" font-size="11">circle: site · square: relay (trusted node) · '
               'dashed outline: untrusted · line width: key rate · dotted arc: data flow</text>')
    out.append("</svg>")
    return "\n".join(out)


def rate_chart(inventory: Inventory) -> tuple[str, str]:
    """Secret key rate against distance for each protocol the links use, over the first such
    link's hardware, with the PLOB bound; returns the SVG and a caption."""
    from qrisk.qkd.channel import Channel
    from qrisk.qkd.rates import key_rate, plob_bound
    from qrisk.qkd.svg import Series, log_line_chart

    first: dict[str, Any] = {}
    for link in inventory.qkd_links:
        first.setdefault(link.protocol, link)
    longest = max((link.length_km for link in inventory.qkd_links), default=50.0)
    top = max(100.0, math.ceil(longest * 2.0 / 50.0) * 50.0)
    distances = [top * i / (SWEEP_POINTS - 1) for i in range(SWEEP_POINTS)]
    series = []
    plob: list[float] = []
    base = None
    for k, (protocol, link) in enumerate(first.items()):
        ch = Channel.from_link(link)
        ys = [key_rate(protocol, ch.with_length(d)).secret_key_rate_bps for d in distances]
        series.append(Series(protocol, distances, ys, colour=OKABE_ITO[k % 6]))
        if base is None:
            base = ch
    assert base is not None
    plob = [plob_bound(base.with_length(d).channel_transmittance) * base.rep_rate_hz for d in distances]
    series.append(Series("PLOB bound", distances, plob, dashed=True, colour="#000000"))
    svg = log_line_chart(series, title=f"Secret key rate vs distance ({base.loss_db_per_km:g} dB/km fibre)",
                         x_label="fibre length (km)", y_label="secret key rate (bit/s)")
    caption = (f"Secret key rate of {', '.join(first)} from 0 to {top:g} km, with each protocol's hardware taken "
               f"from its first link in the manifest, and the PLOB bound (repeaterless capacity, Pirandola et al. "
               f"2017) at {base.rep_rate_hz:g} pulses/s over the same fibre.")
    # Accessibility: the chart's own <title> plus an ARIA label; the link table gives the figures.
    svg = svg.replace("<svg ", '<svg class="chart" role="img" aria-label="' + _x(caption) + '" ', 1)
    return svg, caption
