"""``qrisk pqc providers``, ``qrisk pqc algorithms`` and ``qrisk bench pqc`` through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qrisk.pqc.cli import bench, pqc


def test_providers_text_lists_both_and_says_why() -> None:
    result = CliRunner().invoke(pqc, ["providers"])
    assert result.exit_code == 0, result.output
    assert "cryptography" in result.output and "ML-KEM-768" in result.output
    assert "oqs" in result.output
    assert "reason:" in result.output or "backend:" in result.output


def test_providers_json(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    result = CliRunner().invoke(pqc, ["providers", "--json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    by_name = {p["name"]: p for p in doc["providers"]}
    assert by_name["cryptography"]["available"] is True
    assert "ML-DSA-65" in by_name["cryptography"]["signatures"]
    oqs = by_name["oqs"]
    assert oqs["available"] or "liboqs" in oqs["reason"]


def test_algorithms_json_has_sizes_levels_status() -> None:
    result = CliRunner().invoke(pqc, ["algorithms", "-f", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    by_id = {a["id"]: a for a in doc["algorithms"]}
    assert by_id["ML-KEM-768"]["sizes"]["ciphertext_bytes"] == 1088
    assert by_id["FN-DSA-512"]["status"] == "draft-standard"


def test_bench_pqc_json_reports_ops_sizes_and_overhead() -> None:
    result = CliRunner().invoke(
        bench, ["pqc", "--algorithms", "ML-KEM-768,Ed25519", "--time-per-op", "0.02", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["schema"] == "qrisk.bench.pqc/1"
    names = {r["algorithm"]: r for r in doc["results"]}
    assert set(names) == {"ML-KEM-768", "Ed25519"}
    kem = names["ML-KEM-768"]
    assert [op["op"] for op in kem["ops"]] == ["keygen", "encaps", "decaps"]
    assert kem["sizes"]["ciphertext_bytes"] == 1088
    assert all(op["ops_per_s"] > 0 and op["overhead_pct"] is not None for op in kem["ops"])
    assert doc["machine"]["cryptography"]


def test_bench_pqc_markdown_and_hybrids() -> None:
    result = CliRunner().invoke(
        bench, ["pqc", "-a", "X25519MLKEM768", "-a", "X-Wing", "--time-per-op", "0.02", "-f", "markdown"]
    )
    assert result.exit_code == 0, result.output
    assert "| X25519MLKEM768 |" in result.output and "| X-Wing |" in result.output


def test_unknown_algorithm_is_a_one_line_error_exit_2() -> None:
    result = CliRunner().invoke(bench, ["pqc", "-a", "NoSuchAlg"])
    assert result.exit_code == 2
    assert result.output.strip().startswith("qrisk: error:") and "NoSuchAlg" in result.output
    assert "Traceback" not in result.output


def test_unknown_provider_is_exit_2() -> None:
    result = CliRunner().invoke(bench, ["pqc", "-p", "nope", "-a", "ML-KEM-768"])
    assert result.exit_code == 2
    assert "unknown PQC provider" in result.output
