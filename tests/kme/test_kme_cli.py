"""``qrisk kme serve``: demo PKI files, loopback binding, printed URLs, clean stop; config errors."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from kmehelp import Sae

from qrisk.kme_cli import kme

PKI_FILES = ["ca.crt", "ca.key", "kme-a.crt", "kme-a.key", "kme-b.crt", "kme-b.key",
             "sae-a.crt", "sae-a.key", "sae-b.crt", "sae-b.key"]
SERVE = "import sys; from qrisk.kme_cli import kme; kme(sys.argv[1:])"


def _start(args: list[str]) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen([sys.executable, "-c", SERVE, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("  try: curl"):
            return proc, lines
    proc.kill()
    raise AssertionError(f"server did not come up: {lines} {proc.stderr.read() if proc.stderr else ''}")


def test_serve_demo_creates_the_pki_binds_loopback_prints_urls_and_stops(tmp_path: Path) -> None:
    pki = tmp_path / "pki"
    proc, lines = _start(["serve", "--demo", "--pki-dir", str(pki), "--port", "0", "--distance-km", "30"])
    try:
        assert sorted(p.name for p in pki.iterdir()) == sorted(PKI_FILES)
        for name in PKI_FILES:
            if name.endswith(".key"):
                assert (pki / name).stat().st_mode & 0o077 == 0, name
        urls = dict(re.findall(r"^\s+(KME_[AB])\s+(https://\S+?)/api/v1/keys/", "\n".join(lines), re.M))
        assert set(urls) == {"KME_A", "KME_B"}
        assert all(u.startswith("https://127.0.0.1:") for u in urls.values())
        assert any("30 km decoy-bb84" in line and "key flowing" in line for line in lines)
        from qrisk.qkd.kme_pki import CertPaths

        sae_a = CertPaths(pki / "sae-a.crt", pki / "sae-a.key")
        r = Sae(urls["KME_A"], sae_a, pki / "ca.crt").get("/api/v1/keys/SAE_B/status")
        assert r.status == 200 and r.body["master_SAE_ID"] == "SAE_A"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert rc == 0


def test_serve_demo_reuses_a_valid_pki(tmp_path: Path) -> None:
    from qrisk.qkd.kme_pki import ensure_demo_pki

    first = ensure_demo_pki(tmp_path)
    before = (tmp_path / "sae-a.crt").read_bytes()
    second = ensure_demo_pki(tmp_path)
    assert first.created and not second.created
    assert (tmp_path / "sae-a.crt").read_bytes() == before
    (tmp_path / "kme-a.key").write_text("garbage")
    assert ensure_demo_pki(tmp_path).created  # a broken file: all made anew


@pytest.mark.parametrize(("args", "message"), [
    (["serve"], "exactly one of --config"),
    (["serve", "--demo"], "--pki-dir"),
    (["serve", "--config", "missing.yaml"], "cannot read"),
])
def test_serve_usage_errors_are_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(kme, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_serve_config_errors_name_the_field(tmp_path: Path) -> None:
    cfg = tmp_path / "kme.yaml"
    cfg.write_text("schema: qrisk.kme/1\nca: ca.crt\nkmes: {}\nlinks: []\n")
    result = CliRunner().invoke(kme, ["serve", "--config", str(cfg)])
    assert result.exit_code == 2 and "kmes" in result.output
    cfg.write_text("schema: qrisk.kme/1\nca: ca.crt\nkmes:\n  KME_A: {port: 0, cert: a.crt, key: a.key, saes: [X]}\n"
                   "  KME_B: {port: 0, cert: b.crt, key: b.key, saes: [Y]}\n"
                   "links:\n  - {between: [KME_A, KME_B], pairs: [[X, Y]], mc_pulses: 100000}\n")
    result = CliRunner().invoke(kme, ["serve", "--config", str(cfg)])
    assert result.exit_code == 2 and "cannot load the TLS certificate" in result.output


def test_serve_refuses_a_port_in_use(tmp_path: Path) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = CliRunner().invoke(kme, ["serve", "--demo", "--pki-dir", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output
