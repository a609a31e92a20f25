"""Hermetic tests: no colour, no user config, no network beyond 127.0.0.1."""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import settings

IN_CI = os.environ.get("CI", "").lower() == "true"

# CI runs property tests with a fixed seed (reproducible, never flaky); locally they explore.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if IN_CI:
    settings.load_profile("ci")


def require_binary(name: str) -> str:
    """Path of a required external program; in CI a missing one fails the test instead of skipping."""
    path = shutil.which(name)
    if path:
        return path
    if IN_CI:
        pytest.fail(f"{name} is required in CI but is not installed (.ci/run should install it)")
    pytest.skip(f"{name} is not installed")


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.delenv("QRISK_DB", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
