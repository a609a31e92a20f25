"""Findings become assets: catalog resolution, identity, merging, status escalation."""

from __future__ import annotations

import subprocess
from pathlib import Path

from keyfactory import require_tool

from qrisk.model import AssetKind, QuantumStatus
from qrisk.scan.engine import ScanOptions, run_scan


def test_issued_certificate_signed_with_sha1_is_classically_broken(tmp_path: Path) -> None:
    openssl = require_tool("openssl")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=tmp_path, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
        "-subj", "/CN=test CA", "-sha256")
    run("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=leaf")
    run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem",
        "-days", "30", "-sha1")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "old.key", "-out", "old-root.pem", "-days", "30",
        "-subj", "/CN=old root", "-sha1")
    for name in ("ca.key", "leaf.key", "old.key", "leaf.csr", "ca.srl"):
        (tmp_path / name).unlink(missing_ok=True)
    inv = run_scan([str(tmp_path)], ScanOptions(jobs=1))
    certs = {a.occurrences[0].location: a for a in inv.assets if a.kind is AssetKind.CERTIFICATE}
    assert certs["leaf.pem"].quantum_status is QuantumStatus.CLASSICALLY_BROKEN
    assert any("SHA-1" in n for n in certs["leaf.pem"].notes)
    # a self-signed root's own SHA-1 signature is not relied on
    assert certs["old-root.pem"].quantum_status is QuantumStatus.BROKEN
    assert certs["ca.pem"].quantum_status is QuantumStatus.BROKEN
    # the leaf links to its issuer
    assert certs["ca.pem"].asset_id in certs["leaf.pem"].related


def test_rsa_below_2048_is_classically_broken(tmp_path: Path) -> None:
    openssl = require_tool("openssl")
    subprocess.run([openssl, "genrsa", "-out", str(tmp_path / "small.key"), "1024"], check=True, capture_output=True)
    (asset,) = run_scan([str(tmp_path)], ScanOptions(jobs=1)).assets
    assert (asset.algorithm, asset.key_size, asset.quantum_status) == ("RSA", 1024, QuantumStatus.CLASSICALLY_BROKEN)
    assert asset.classical_security_bits == 80
