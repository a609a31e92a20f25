"""Templates ship with the wheel: build qrisk's wheel, install it into a fresh virtual
environment (no index, dependencies from this interpreter's site-packages), and render the
report from there, far from the checkout's ``templates/`` folder."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from reportkit import ROOT, SAMPLE_SNAPSHOT

pytestmark = pytest.mark.slow

RENDER = r"""
import datetime as dt, json, sys
from pathlib import Path
import qrisk
from qrisk.model import inventory_from_json
from qrisk.report import html
from qrisk.report.cli import write_report_dir
inv = inventory_from_json(Path(sys.argv[1]).read_bytes())
files = write_report_dir(inv, sys.argv[2], now=dt.date(2026, 1, 1))
print(json.dumps({"qrisk": qrisk.__file__, "templates": str(html.templates_dir()), "files": [f.name for f in files]}))
"""


def test_installed_wheel_renders_the_report(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(wheels), *isolation],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert {"qrisk/templates/report.html.j2", "qrisk/templates/report.js", "qrisk/templates/report.css"} <= names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True,
                   timeout=120)
    py = venv / "bin" / "python"
    target = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    proc = subprocess.run([str(py), "-c", RENDER, str(SAMPLE_SNAPSHOT), str(tmp_path / "out")], cwd=workdir,
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(info["qrisk"]).is_relative_to(venv), info  # the installed copy, not the checkout
    assert Path(info["templates"]).is_relative_to(venv) and Path(info["templates"]).name == "templates"
    html = (tmp_path / "out" / "index.html").read_text()
    assert "Content-Security-Policy" in html and 'id="qrisk-data"' in html
    assert len(info["files"]) == 6
