"""Helpers for the report tests (a uniquely named module: several test folders have a conftest.py).

In CI (``CI=true``) a missing Chromium or Playwright fails the test instead of skipping it.
Golden files (and the frozen sample inventory they start from) are regenerated with
``QRISK_UPDATE_GOLDEN=1``. Screenshots and PDFs go to ``$QRISK_TEST_ARTIFACTS`` (default
``build/test-artifacts/report`` in the checkout, which git ignores).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from qrisk.model import Inventory

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
GOLDEN = HERE / "golden"
SAMPLE_MANIFEST = ROOT / "inventories" / "acme-bank" / "manifest.yaml"
SAMPLE_SNAPSHOT = GOLDEN / "acme-bank.inventory.json"
NOW = dt.date(2026, 1, 1)
UPDATE_GOLDEN = os.environ.get("QRISK_UPDATE_GOLDEN", "") == "1"
IN_CI = os.environ.get("CI", "").lower() == "true"
FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)
GOLDEN_VERSION = "0.0.0+golden"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]

# keyfactory (key material for the secret-leak test) lives beside the scan tests, storekit
# (certificates for the trend's rescans) beside the store tests.
sys.path.insert(0, str(ROOT / "tests" / "scan"))
sys.path.insert(0, str(ROOT / "tests" / "store"))


def missing(what: str) -> None:
    """A required component is absent: fail in CI, skip elsewhere."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI (.ci/run installs it)")
    pytest.skip(f"{what} is not installed")


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("QRISK_TEST_ARTIFACTS") or ROOT / "build" / "test-artifacts" / "report")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def normalise_inventory(inv: Inventory) -> Inventory:
    """A scan of the sample with the clock, the machine and the version taken out."""
    scan = dataclasses.replace(
        inv.scan, started=FIXED_TIME, finished=FIXED_TIME, tool_version=GOLDEN_VERSION,
        targets=("inventories/acme-bank/manifest.yaml",), manifest="inventories/acme-bank/manifest.yaml",
    )
    inv = dataclasses.replace(inv, scan=scan)
    if not inv.data_flows:
        # The scan did not carry the manifest's data flows (manifest 1.1) into the inventory.
        from qrisk.manifest import load_manifest

        inv = dataclasses.replace(inv, data_flows=load_manifest(SAMPLE_MANIFEST).data_flows)
    return inv


def chromium_path() -> str | None:
    explicit = os.environ.get("QRISK_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclasses.dataclass
class OpenedPage:
    """A report opened in the browser, with everything it tried to do."""

    page: Any
    url: str
    console: list[tuple[str, str]]
    errors: list[str]
    requests: list[str]
    dialogs: list[str]

    def console_errors(self) -> list[str]:
        return [text for kind, text in self.console if kind in ("error", "assert")] + self.errors
