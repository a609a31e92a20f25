"""Fixtures for the report tests: the frozen sample inventory, a rendered report folder and a
real headless Chromium driven by Playwright (helpers and constants live in ``reportkit``).

In CI (``CI=true``) a missing Chromium or Playwright fails the test instead of skipping it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reportkit import (
    CHROMIUM_ARGS,
    GOLDEN,
    NOW,
    SAMPLE_MANIFEST,
    SAMPLE_SNAPSHOT,
    UPDATE_GOLDEN,
    OpenedPage,
    chromium_path,
    missing,
    normalise_inventory,
)

from qrisk.model import Inventory, inventory_from_json, inventory_to_json


@pytest.fixture(scope="session")
def sample_inventory() -> Inventory:
    """The sample estate's inventory, frozen in ``golden/`` so scanner changes do not move the goldens."""
    if UPDATE_GOLDEN or not SAMPLE_SNAPSHOT.is_file():
        from qrisk.scan.engine import ScanOptions, run_scan

        inv = normalise_inventory(run_scan([str(SAMPLE_MANIFEST)], ScanOptions(jobs=1)))
        GOLDEN.mkdir(exist_ok=True)
        SAMPLE_SNAPSHOT.write_text(inventory_to_json(inv) + "\n", encoding="utf-8")
    return inventory_from_json(SAMPLE_SNAPSHOT.read_bytes())


@pytest.fixture(scope="session")
def sample_report(sample_inventory: Inventory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's report folder (all policies, default CRQC curve, now = 2026-01-01)."""
    from qrisk.report.cli import write_report_dir

    out = tmp_path_factory.mktemp("sample-report")
    write_report_dir(sample_inventory, out, now=NOW)
    return out


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium (Debian's) with a fresh profile for the session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package")
    exe = chromium_path()
    if exe is None:
        missing("chromium")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=exe, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900}, offline=True,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def open_report(browser_context: Any) -> Iterator[Any]:
    """``open_report(path)`` loads an ``index.html`` and waits until its script has drawn everything."""
    pages = []

    def _open(path: Path, *, wait_ready: bool = True) -> OpenedPage:
        page = browser_context.new_page()
        pages.append(page)
        opened = OpenedPage(page, path.resolve().as_uri(), [], [], [], [])
        page.on("console", lambda m: opened.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: opened.errors.append(str(e)))
        page.on("request", lambda r: opened.requests.append(r.url))
        page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
        # The page itself may load; any other request is recorded and refused.
        def _route(route: Any) -> None:
            if route.request.url == opened.url:
                route.continue_()
            else:
                opened.requests.append("refused:" + route.request.url)
                route.abort()

        page.route("**/*", _route)
        page.add_init_script(
            "window.__cspViolations = [];"
            "document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push("
            "e.violatedDirective + ' ' + e.blockedURI));"
        )
        page.goto(opened.url)
        if wait_ready:
            page.wait_for_selector("html[data-ready='1']", timeout=60_000)
        return opened

    yield _open
    for page in pages:
        page.close()
