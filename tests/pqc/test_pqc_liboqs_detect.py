"""liboqs detection: found before ``oqs`` is imported, with a clear reason when it is not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qrisk.pqc.liboqs import find_liboqs
from qrisk.pqc.providers import OqsProvider


def _probe(env: dict[str, str], *, dirs: list[Path] | None = None, package: bool = True):
    return find_liboqs(env, standard_dirs=dirs or [], ldconfig=lambda: [], package_installed=lambda: package)


def test_fake_install_path_without_library_is_unavailable_with_reason(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libssl.so.3").write_bytes(b"not liboqs")
    probe = _probe({"OQS_INSTALL_PATH": str(tmp_path)})
    assert not probe.available
    assert probe.library is None
    assert "liboqs shared library not found" in (probe.reason or "")
    assert str(tmp_path) in (probe.reason or "")  # says where it looked
    assert "OQS_INSTALL_PATH" in (probe.reason or "")


def test_searches_ld_library_path_and_standard_dirs(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    probe = _probe({"LD_LIBRARY_PATH": str(a)}, dirs=[b])
    assert f"LD_LIBRARY_PATH {a}" in probe.searched
    assert str(b) in probe.searched
    assert "ldconfig -p" in probe.searched


def test_a_file_that_is_not_a_loadable_library_is_reported(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "liboqs.so.9").write_bytes(b"\x7fELF but truncated")
    probe = _probe({"OQS_INSTALL_PATH": str(tmp_path)})
    assert not probe.available
    assert "liboqs.so.9" in (probe.reason or "")


def test_library_that_is_not_liboqs_is_rejected(tmp_path: Path) -> None:
    # A real shared library under liboqs's name loads but lacks OQS_version.
    import ctypes.util

    libc = ctypes.util.find_library("c")
    real = next((p for p in (Path("/lib/x86_64-linux-gnu/libc.so.6"), Path("/usr/lib/libc.so.6")) if p.exists()), None)
    if real is None and libc is None:  # not Linux/glibc: nothing to stand in for liboqs
        return
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "liboqs.so").symlink_to(real or Path(libc))  # type: ignore[arg-type]
    probe = _probe({"OQS_INSTALL_PATH": str(tmp_path)})
    assert not probe.available
    assert "OQS_version" in (probe.reason or "")


def test_oqs_provider_reports_unavailable_without_importing_oqs(tmp_path: Path) -> None:
    probe = _probe({"OQS_INSTALL_PATH": str(tmp_path)})
    provider = OqsProvider(probe=lambda: probe)
    status = provider.status()
    assert not status.available
    assert status.reason == probe.reason
    assert status.kems == () and status.signatures == ()


def test_importing_qrisk_pqc_never_imports_oqs() -> None:
    code = (
        "import sys\n"
        "import qrisk.pqc, qrisk.pqc.providers, qrisk.pqc.hybrid, qrisk.pqc.bench, qrisk.pqc.cli, qrisk.pqc.facts\n"
        "from qrisk.pqc.providers import provider_statuses\n"
        "import os\n"
        "statuses = provider_statuses()\n"
        "oqs = [s for s in statuses if s.name == 'oqs'][0]\n"
        "assert oqs.available or 'oqs' not in sys.modules, 'oqs imported although liboqs is missing'\n"
        "print('ok', oqs.available)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "OQS_INSTALL_PATH": "/nonexistent-qrisk-test", "LD_LIBRARY_PATH": ""}
    import os

    env["HOME"] = os.environ.get("HOME", "/tmp")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")
    # And the module-level import alone never touches oqs.
    out = subprocess.run(
        [sys.executable, "-c", "import sys, qrisk.pqc.providers, qrisk.pqc.cli; print('oqs' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.stdout.strip() == "False", out.stderr
