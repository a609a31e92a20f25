"""SARIF 2.1.0 output (OASIS SARIF v2.1.0, 27 March 2020) for code-scanning dashboards.

One result per asset at its first occurrence (other occurrences as ``relatedLocations``),
with a stable ``partialFingerprints`` entry built on the asset id, and the level from the
quantum status: classically broken and broken → ``error``, weakened → ``warning``,
unknown → ``note``, safe → ``none``. Files the scan passed over are reported as
tool-execution notifications, so a dashboard shows what was not examined.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from qrisk.model import Asset, Inventory, Occurrence, QuantumStatus

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/qrisk-pqc/qrisk"

LEVEL = {
    QuantumStatus.CLASSICALLY_BROKEN: "error",
    QuantumStatus.BROKEN: "error",
    QuantumStatus.WEAKENED: "warning",
    QuantumStatus.UNKNOWN: "note",
    QuantumStatus.SAFE: "none",
}


def _uri(location: str) -> str:
    if "://" in location:  # endpoints: tls://host:port
        return location
    return quote(location, safe="/:@!$&'()*+,;=-._~")


def _location(occ: Occurrence) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(occ.location)}}
    if "://" not in occ.location:
        physical["artifactLocation"]["uriBaseId"] = "SCANROOT"
    if occ.line:
        physical["region"] = {"startLine": occ.line}
        if occ.snippet:
            physical["region"]["snippet"] = {"text": occ.snippet}
    return {"physicalLocation": physical}


def _message(asset: Asset) -> str:
    what = asset.algorithm
    if asset.key_size and str(asset.key_size) not in what:
        what += f" ({asset.key_size}-bit)"
    elif asset.curve and asset.curve not in what:
        what += f" ({asset.curve})"
    kind = asset.kind.value
    status = asset.quantum_status
    advice = {
        QuantumStatus.CLASSICALLY_BROKEN: "is broken today, without a quantum computer; replace it now",
        QuantumStatus.BROKEN: "is broken by a cryptographically relevant quantum computer (Shor)",
        QuantumStatus.WEAKENED: "is weakened (Grover) or below the strength some policies require",
        QuantumStatus.UNKNOWN: "is not in the qrisk catalog; review it",
        QuantumStatus.SAFE: "is considered quantum-safe",
    }[status]
    name = f" '{asset.name}'" if asset.name else ""
    text = f"{kind.capitalize()}{name}: {what} {advice}."
    from qrisk import catalog

    repl = catalog.algorithms().get(asset.algorithm).replacements
    if repl and status is not QuantumStatus.SAFE:
        text += " Migrate to " + " or ".join(repl) + "."
    return text


def build_sarif(inventory: Inventory, rules: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The SARIF log as a dict (validated against the OASIS schema in the tests)."""
    rules = rules or {}
    used: list[str] = []
    for a in inventory.assets:
        for o in a.occurrences:
            if o.rule_id not in used:
                used.append(o.rule_id)
    used.sort()
    index = {r: i for i, r in enumerate(used)}
    sarif_rules = [
        {
            "id": r,
            "name": r.replace("-", ""),
            "shortDescription": {"text": rules.get(r, r)},
            "helpUri": INFORMATION_URI,
            "properties": {"tags": ["cryptography", "post-quantum"]},
        }
        for r in used
    ]
    results = []
    for a in inventory.assets:
        if not a.occurrences:
            continue
        first, *rest = a.occurrences
        result: dict[str, Any] = {
            "ruleId": first.rule_id,
            "ruleIndex": index[first.rule_id],
            "level": LEVEL[a.quantum_status],
            "message": {"text": _message(a)},
            "locations": [_location(first)],
            "partialFingerprints": {"qriskAssetId/v1": a.asset_id},
            "properties": {
                "assetId": a.asset_id,
                "kind": a.kind.value,
                "algorithm": a.algorithm,
                "quantumStatus": a.quantum_status.value,
                "usage": a.usage.value,
                **({"keySize": a.key_size} if a.key_size else {}),
                **({"curve": a.curve} if a.curve else {}),
                **({"system": a.system} if a.system else {}),
                **({"publicKeySha256": a.fingerprint_sha256} if a.fingerprint_sha256 else {}),
            },
        }
        if rest:
            result["relatedLocations"] = [{"id": i + 1, **_location(o)} for i, o in enumerate(rest)]
        results.append(result)
    notifications = [
        {
            "level": "note",
            "message": {"text": f"skipped ({s.reason}){': ' + s.detail if s.detail else ''}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(s.location)}}}],
            "descriptor": {"id": f"skip/{s.reason}"},
        }
        for s in inventory.skipped
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "qrisk",
                "version": inventory.scan.tool_version or "0",
                "informationUri": INFORMATION_URI,
                "rules": sarif_rules,
            }
        },
        "originalUriBaseIds": {
            "SCANROOT": {"description": {"text": "The scan target's root: " + ", ".join(inventory.scan.targets)}}
        },
        "invocations": [
            {
                "executionSuccessful": True,
                **({"startTimeUtc": inventory.scan.started.isoformat()} if inventory.scan.started else {}),
                **({"endTimeUtc": inventory.scan.finished.isoformat()} if inventory.scan.finished else {}),
                "toolExecutionNotifications": notifications,
            }
        ],
        "results": results,
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def format_sarif(inventory: Inventory, rules: Mapping[str, str] | None = None) -> str:
    """SARIF 2.1.0 JSON text."""
    return json.dumps(build_sarif(inventory, rules), indent=2, ensure_ascii=False)
