"""Fixtures of the history, cache and Dask tests."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SAMPLE = ROOT / "inventories" / "acme-bank"

# keyfactory (tests/scan) builds the key material of the secret-leak check and ML-DSA certificates
for folder in (HERE, HERE.parent / "scan"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_module(name: str) -> ModuleType:
    """Import a module a test needs; in CI (``CI=true``) a missing one fails instead of skipping."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if IN_CI:
            pytest.fail(f"{name} is required in CI but cannot be imported ({exc}); .ci/run should install it")
        pytest.skip(f"{name} is not installed")
    raise AssertionError("unreachable")


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    """A writable copy of the sample estate; returns its manifest."""
    dest = tmp_path / "estate"
    shutil.copytree(SAMPLE, dest)
    return dest / "manifest.yaml"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "history" / "qrisk.db"
