"""Find the native liboqs library *before* anything imports ``oqs`` (liboqs-python).

Importing ``oqs`` without liboqs present counts down, runs ``git clone`` + ``cmake`` to build
liboqs from source and then exits the interpreter (liboqs-python ``oqs/oqs.py``,
``_load_liboqs``/``_install_liboqs``). A toolkit must never do that behind a user's back, so
qrisk looks for the shared library itself — ``OQS_INSTALL_PATH``, ``LD_LIBRARY_PATH``, the
dynamic loader's cache (``ldconfig -p``) and the standard library folders — and imports
``oqs`` only once the library is found, loads, and sits where liboqs-python will look.

Nothing here imports ``oqs``; :func:`import_oqs` is the one place that does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

#: File names of the shared library per platform (liboqs installs ``liboqs.so.<ver>`` + symlinks).
_LIB_GLOBS: dict[str, tuple[str, ...]] = {
    "linux": ("liboqs.so", "liboqs.so.*"),
    "darwin": ("liboqs.dylib", "liboqs.*.dylib"),
    "win32": ("oqs.dll", "liboqs.dll"),
}


def _default_standard_dirs() -> tuple[Path, ...]:
    """Folders the dynamic loader searches by default (plus the Debian multiarch one)."""
    dirs = ["/usr/local/lib", "/usr/local/lib64", "/usr/lib", "/usr/lib64", "/lib", "/lib64"]
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch:
        dirs[2:2] = [f"/usr/local/lib/{multiarch}", f"/usr/lib/{multiarch}", f"/lib/{multiarch}"]
    # liboqs-python's own default install prefix is ~/_oqs (older releases: ~/oqs).
    home = Path.home()
    return (*(Path(d) for d in dirs), home / "_oqs" / "lib", home / "_oqs" / "lib64", home / "oqs" / "lib")


def _ldconfig_entries() -> list[Path]:
    """liboqs entries in the loader cache (``ldconfig -p``); empty when ldconfig is absent."""
    for exe in ("ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig"):
        try:
            out = subprocess.run(
                [exe, "-p"], capture_output=True, text=True, timeout=10, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        found = []
        for line in out.splitlines():
            # "\tliboqs.so.8 (libc6,x86-64) => /usr/local/lib/liboqs.so.8"
            if "liboqs" in line and "=>" in line:
                found.append(Path(line.split("=>", 1)[1].strip()))
        return found
    return []


@dataclass(frozen=True)
class LiboqsProbe:
    """What the search for liboqs found, and why the ``oqs`` provider can or cannot run."""

    library: Path | None
    """The shared library file that loaded, or None."""
    version: str | None
    """``OQS_version()`` of that library."""
    searched: tuple[str, ...]
    """Every place looked at, in order (for the error message)."""
    python_package: bool
    """Whether the ``oqs`` module (liboqs-python) is installed (found without importing it)."""
    install_path_for_oqs: Path | None
    """Prefix to export as ``OQS_INSTALL_PATH`` so liboqs-python finds the same library."""
    reason: str | None = None
    """Why the provider is unavailable; None when it can be used."""
    notes: tuple[str, ...] = field(default=())

    @property
    def available(self) -> bool:
        return self.reason is None


def _glob_dir(folder: Path, patterns: Sequence[str]) -> list[Path]:
    try:
        if not folder.is_dir():
            return []
    except OSError:
        return []
    hits: list[Path] = []
    for pattern in patterns:
        hits.extend(sorted(p for p in folder.glob(pattern) if p.is_file()))
    return hits


def _try_load(path: Path) -> tuple[str | None, str | None]:
    """Load the library with ctypes (this does not import ``oqs``); return (version, error)."""
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as exc:
        return None, str(exc)
    try:
        fn = lib.OQS_version
    except AttributeError:
        return None, "it does not export OQS_version (not liboqs?)"
    fn.restype = ctypes.c_char_p
    raw = fn()
    return (raw.decode("ascii", "replace") if raw else "unknown"), None


def find_liboqs(
    env: Mapping[str, str] | None = None,
    *,
    standard_dirs: Iterable[Path] | None = None,
    ldconfig: Callable[[], list[Path]] | None = None,
    platform: str | None = None,
    package_installed: Callable[[], bool] | None = None,
) -> LiboqsProbe:
    """Look for liboqs in the order the loader and liboqs-python would, without importing ``oqs``.

    Every argument is injectable so tests can run against fake folders.
    """
    env = os.environ if env is None else env
    plat = platform or ("linux" if sys.platform.startswith("linux") else sys.platform)
    patterns = _LIB_GLOBS.get(plat, _LIB_GLOBS["linux"])
    searched: list[str] = []
    candidates: list[Path] = []
    notes: list[str] = []

    install = env.get("OQS_INSTALL_PATH", "").strip()
    if install:
        prefix = Path(install).expanduser()
        for sub in ("lib", "lib64", "bin", "."):
            folder = prefix / sub if sub != "." else prefix
            searched.append(f"OQS_INSTALL_PATH {folder}")
            candidates.extend(_glob_dir(folder, patterns))
        if not candidates:
            notes.append(f"OQS_INSTALL_PATH={install} holds no {patterns[0]}")
    for part in env.get("LD_LIBRARY_PATH", "").split(os.pathsep):
        if part.strip():
            searched.append(f"LD_LIBRARY_PATH {part}")
            candidates.extend(_glob_dir(Path(part), patterns))
    searched.append("ldconfig -p")
    candidates.extend(p for p in (ldconfig or _ldconfig_entries)() if p.is_file())
    for folder in standard_dirs if standard_dirs is not None else _default_standard_dirs():
        searched.append(str(folder))
        candidates.extend(_glob_dir(Path(folder), patterns))

    has_package = (package_installed or _oqs_package_installed)()
    library = version = None
    errors: list[str] = []
    seen: set[Path] = set()
    for cand in candidates:
        if cand in seen:
            continue
        seen.add(cand)
        version, err = _try_load(cand)
        if err is None:
            library = cand
            break
        errors.append(f"{cand}: {err}")

    where = "; ".join(searched)
    if library is None:
        detail = f" ({'; '.join(errors)})" if errors else ""
        reason = (
            f"liboqs shared library not found{detail}; searched {where}. "
            "Build liboqs with -DBUILD_SHARED_LIBS=ON and set OQS_INSTALL_PATH to its install prefix"
        )
        if notes:
            reason = f"{notes[0]}: {reason}"
        return LiboqsProbe(None, None, tuple(searched), has_package, None, reason, tuple(notes))

    prefix = _install_prefix_for(library, env)
    if not has_package:
        reason = (
            f"liboqs {version} found at {library}, but the liboqs-python package (module 'oqs') "
            "is not installed: pip install 'qrisk-pqc[oqs]'"
        )
        return LiboqsProbe(library, version, tuple(searched), False, prefix, reason, tuple(notes))
    if prefix is None and not _loader_finds_oqs():
        reason = (
            f"liboqs {version} found at {library}, but liboqs-python would not find it there "
            "(and would try to download and build liboqs): set OQS_INSTALL_PATH to its prefix"
        )
        return LiboqsProbe(library, version, tuple(searched), True, None, reason, tuple(notes))
    return LiboqsProbe(library, version, tuple(searched), True, prefix, None, tuple(notes))


def _install_prefix_for(library: Path, env: Mapping[str, str]) -> Path | None:
    """The prefix liboqs-python should get as OQS_INSTALL_PATH (it looks in PREFIX/lib*)."""
    if env.get("OQS_INSTALL_PATH", "").strip():
        return Path(env["OQS_INSTALL_PATH"]).expanduser()
    if library.parent.name in ("lib", "lib64"):
        return library.parent.parent
    return None


def _loader_finds_oqs() -> bool:
    return ctypes.util.find_library("oqs") is not None


def _oqs_package_installed() -> bool:
    # find_spec on a top-level name locates the package without executing it.
    try:
        return importlib.util.find_spec("oqs") is not None
    except (ImportError, ValueError):
        return False


class LiboqsUnavailable(RuntimeError):
    """liboqs or liboqs-python is missing; the message says which and where qrisk looked."""


def import_oqs(probe: LiboqsProbe | None = None) -> ModuleType:
    """Import ``oqs`` — only after :func:`find_liboqs` says liboqs is present and findable."""
    if "oqs" in sys.modules:
        return sys.modules["oqs"]
    probe = probe or find_liboqs()
    if not probe.available:
        raise LiboqsUnavailable(probe.reason or "liboqs unavailable")
    if probe.install_path_for_oqs is not None and not os.environ.get("OQS_INSTALL_PATH"):
        # liboqs-python searches OQS_INSTALL_PATH/lib before falling back to its download.
        os.environ["OQS_INSTALL_PATH"] = str(probe.install_path_for_oqs)
    try:
        import oqs  # deliberately lazy: see the module docstring
    except SystemExit as exc:  # liboqs-python calls sys.exit() when loading fails
        raise LiboqsUnavailable(f"importing oqs failed ({exc})") from None
    except Exception as exc:
        raise LiboqsUnavailable(f"importing oqs failed: {exc}") from None
    return oqs
