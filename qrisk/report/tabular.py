"""Terminal table and CSV renderings of an inventory."""

from __future__ import annotations

import csv
import io
from collections import Counter

from rich import box
from rich.console import Console
from rich.table import Table

from qrisk.model import Asset, Inventory, QuantumStatus

STATUS_STYLE = {
    QuantumStatus.CLASSICALLY_BROKEN: "bold red",
    QuantumStatus.BROKEN: "red",
    QuantumStatus.WEAKENED: "yellow",
    QuantumStatus.SAFE: "green",
    QuantumStatus.UNKNOWN: "dim",
}

CSV_COLUMNS = [
    "asset_id", "kind", "algorithm", "primitive", "quantum_status", "usage", "key_size", "curve",
    "parameter_set", "classical_security_bits", "nist_quantum_level", "system", "name",
    "key_material", "encrypted", "fingerprint_sha256", "not_after", "signature_algorithm",
    "location", "line", "occurrences", "notes",
]


def parameters(asset: Asset) -> str:
    """Key size, curve or parameter set as one short string."""
    parts = []
    if asset.curve and asset.curve.lower() not in asset.algorithm.lower():
        parts.append(asset.curve)
    elif asset.key_size:
        parts.append(str(asset.key_size))
    if asset.parameter_set and asset.parameter_set not in asset.algorithm:
        parts.append(asset.parameter_set)
    if asset.mode:
        parts.append(asset.mode)
    return " ".join(parts)


def _where(asset: Asset) -> str:
    first = asset.occurrences[0] if asset.occurrences else None
    if first is None:
        return ""
    loc = f"{first.location}:{first.line}" if first.line else first.location
    more = len(asset.occurrences) - 1
    return loc + (f" (+{more})" if more else "")


def format_table(inventory: Inventory, *, color: bool = False, width: int | None = None) -> str:
    """A human summary: one row per asset, then counts and skips."""
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width or 160, highlight=False)
    table = Table(box=box.SIMPLE_HEAD, show_lines=False, pad_edge=False)
    for col in ("Status", "Kind", "Algorithm", "Params", "Usage", "System", "Where"):
        table.add_column(col, overflow="fold")
    for a in inventory.assets:
        status = a.quantum_status
        extra = []
        if a.key_material:
            extra.append(a.key_material.value)
        if a.encrypted:
            extra.append("encrypted")
        kind = a.kind.value + (f" ({', '.join(extra)})" if extra else "")
        table.add_row(
            f"[{STATUS_STYLE[status]}]{status.value}[/]",
            kind,
            a.algorithm,
            parameters(a),
            a.usage.value,
            a.system or "",
            _where(a),
        )
    if inventory.assets:
        console.print(table)
    counts = Counter(a.quantum_status for a in inventory.assets)
    summary = ", ".join(f"{counts[s]} {s.value}" for s in QuantumStatus if counts[s])
    scan = inventory.scan
    console.print(
        f"{len(inventory.assets)} asset(s){': ' + summary if summary else ''}. "
        f"{scan.files_scanned} file(s) scanned ({scan.bytes_scanned:,} bytes) of {scan.files_seen} seen."
    )
    if inventory.skipped:
        reasons = Counter(s.reason for s in inventory.skipped)
        console.print(
            f"Skipped {len(inventory.skipped)}: " + ", ".join(f"{n} {r}" for r, n in sorted(reasons.items()))
            + " (details: -f json)."
        )
    return buf.getvalue()


def csv_cell(value: object) -> str:
    """A CSV cell safe to open in a spreadsheet (OWASP "CSV injection"): a text value that
    starts with ``= + - @``, tab or CR gets a leading apostrophe; numbers are left alone."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text and text[0] in "=+-@\t\r":
        text = "'" + text
    return text



def format_csv(inventory: Inventory) -> str:
    """One row per asset (first occurrence; the count of all occurrences)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for a in inventory.assets:
        first = a.occurrences[0] if a.occurrences else None
        cert = a.certificate
        w.writerow(
            csv_cell(v)
            for v in (
                a.asset_id, a.kind.value, a.algorithm, a.primitive.value, a.quantum_status.value, a.usage.value,
                a.key_size, a.curve, a.parameter_set, a.classical_security_bits, a.nist_quantum_level, a.system,
                a.name, a.key_material.value if a.key_material else "", "yes" if a.encrypted else "",
                a.fingerprint_sha256, cert.not_after.isoformat() if cert else "",
                cert.signature_algorithm if cert else "", first.location if first else "",
                first.line if first and first.line else "", len(a.occurrences), "; ".join(a.notes),
            )
        )
    return buf.getvalue()
