"""The report in a real headless Chromium (Debian's ``chromium`` through Playwright): it opens
with no console error and no request of any kind, every section is drawn, sorting and filtering
change the rows, the CSP blocks any other script, hostile estate strings stay text, and it
prints to a multi-page PDF."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from reportkit import NOW, SAMPLE_SNAPSHOT, artifacts_dir

from qrisk.model import (
    Asset,
    AssetKind,
    CertificateInfo,
    DataClass,
    DataFlow,
    Inventory,
    KeyMaterial,
    Occurrence,
    Primitive,
    QkdLink,
    QuantumStatus,
    ScanInfo,
    Site,
    SkippedFile,
    System,
    Usage,
    make_asset_id,
)
from qrisk.report.cli import write_report_dir
from qrisk.report.report_text import fmt_fixed, fmt_int, fmt_pct
from qrisk.risk.cli import assess

pytestmark = pytest.mark.slow

SECTIONS = ("summary", "mosca", "heatmap", "systems", "inventory", "compliance", "plan", "qkd", "methods")


def wait_until(page: Any, predicate: str, arg: Any = None, timeout_s: float = 20.0) -> None:
    """Poll a predicate through the DevTools protocol (the page's CSP forbids Playwright's eval-based waits)."""
    import time

    deadline = time.monotonic() + timeout_s
    while not page.evaluate(predicate, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        page.wait_for_timeout(50)


def rows(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('data-asset'))")


def test_sample_opens_clean_and_complete(open_report: Any, sample_report: Path, sample_inventory: Inventory) -> None:
    opened = open_report(sample_report / "index.html")
    page = opened.page
    assert opened.console_errors() == []
    assert opened.requests == [opened.url], "the report made a request"
    assert page.evaluate("window.__cspViolations") == []
    assert opened.dialogs == []
    for section in SECTIONS:
        assert page.locator(f"section#{section} > h2").is_visible(), section
    n_systems = len({a.system for a in sample_inventory.assets})
    n_assets = len(sample_inventory.assets)
    assert page.locator("#mosca-charts svg").count() == min(6, n_systems)
    assert page.locator("#heatmap-chart svg rect").count() >= n_systems * 6
    assert page.locator("#systems-list tbody tr").count() == n_systems
    assert page.locator("#system-details article.system").count() == n_systems
    assert page.locator("#system-details article.system svg").count() == n_systems  # a Mosca chart each
    assert page.locator("#inventory-rows tbody tr").count() == n_assets
    assert page.locator("#compliance-rows tbody tr").count() == n_assets
    assert page.locator("#gantt svg rect").count() >= n_systems
    assert page.locator("#qkd svg").count() == 2
    assert page.locator("#countdown .cd").count() >= 1
    # evidence: file:line and redacted snippets of every asset are in its system's detail
    details = page.locator("#system-details").inner_text()
    for a in sample_inventory.assets:
        o = a.occurrences[0]
        assert o.location.rsplit("/", 1)[-1] in details
    # every chart has a text alternative
    unlabeled = page.evaluate("""[...document.querySelectorAll('svg')].filter(s =>
        !s.getAttribute('aria-label') && !s.getAttribute('aria-labelledby') && !s.querySelector(':scope > title')).length""")
    assert unlabeled == 0
    shot = artifacts_dir() / "sample-report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000


def test_sort_filter_and_search_change_the_rows(open_report: Any, sample_report: Path,
                                                sample_inventory: Inventory) -> None:
    page = open_report(sample_report / "index.html").page
    sel = "#inventory-rows tbody tr"
    before = rows(page, sel)
    page.click("#inventory-rows button[data-sort='algorithm']")
    by_alg = rows(page, sel)
    assert sorted(by_alg) == sorted(before) and by_alg != before
    algs = page.eval_on_selector_all(f"{sel} td:nth-child(3)", "els => els.map(e => e.textContent.toLowerCase())")
    assert [a.split()[0] for a in algs] == sorted(a.split()[0] for a in algs)
    page.click("#inventory-rows button[data-sort='algorithm']")  # again: descending
    assert rows(page, sel) != by_alg
    assert page.get_attribute("#inventory-rows th:nth-child(3)", "aria-sort") == "descending"

    safe = [a.asset_id for a in sample_inventory.assets if a.quantum_status is QuantumStatus.SAFE]
    page.select_option("#inv-status", label="safe")
    assert sorted(rows(page, sel)) == sorted(safe)
    page.select_option("#inv-status", label="all")
    assert len(rows(page, sel)) == len(before)

    system = sample_inventory.assets[0].system
    page.select_option("#inv-system", label=system)
    assert sorted(rows(page, sel)) == sorted(a.asset_id for a in sample_inventory.assets if a.system == system)
    page.select_option("#inv-system", label="all")

    page.fill("#inv-search", "ed25519")
    wait_until(page, "n => document.querySelectorAll('#inventory-rows tbody tr').length < n", len(before))
    want = [a.asset_id for a in sample_inventory.assets if "ed25519" in a.algorithm.lower()]
    assert want and sorted(rows(page, sel)) == sorted(want)
    assert page.inner_text("#inv-count").startswith(f"{len(want)} of {len(before)}")

    page.select_option("#cm-verdict", value="non-compliant")
    n = len(rows(page, "#compliance-rows tbody tr"))
    assert 0 < n < len(before)
    assert page.locator("#compliance-rows td[data-verdict='non-compliant']").count() >= n


def test_shown_numbers_equal_assess_json(open_report: Any, sample_report: Path) -> None:
    """Numbers drawn by the script (systems table, inventory) equal ``qrisk assess -f json``."""
    result = CliRunner().invoke(assess, [str(SAMPLE_SNAPSHOT), "--now", NOW.isoformat(), "-f", "json"])
    cli = json.loads(result.stdout)
    page = open_report(sample_report / "index.html").page
    shown = page.eval_on_selector_all("#systems-list tbody tr", """trs => trs.map(tr => ({
        system: tr.getAttribute('data-system'),
        p: tr.querySelector("[data-field='probability_exposed']").textContent,
        e: tr.querySelector("[data-field='expected_years_exposed']").textContent,
        d: tr.querySelector("[data-field='expected_data_years']").textContent}))""")
    assert [s["system"] for s in shown] == [s["system"] for s in cli["systems"]]
    for s, ref in zip(shown, cli["systems"], strict=True):
        assert s["p"] == fmt_pct(ref["probability_exposed"])
        assert s["e"] == fmt_fixed(ref["expected_years_exposed"], 1)
        assert s["d"] == fmt_fixed(ref["expected_data_years"], 1)
    by_id = {a["asset_id"]: a for a in cli["assets"]}
    cells = page.eval_on_selector_all("#inventory-rows tbody tr", """trs => trs.map(tr => [tr.getAttribute('data-asset'),
        tr.children[6].textContent, tr.children[7].textContent])""")
    for asset_id, p, e in cells:
        ref = by_id[asset_id]
        assert p == fmt_pct(ref["probability_exposed"])
        assert e == fmt_fixed(ref["expected_years_exposed"], 1)
    assert page.inner_text("[data-field='portfolio.assets']") == fmt_int(cli["portfolio"]["assets"])


def test_script_formats_like_python(open_report: Any, tmp_path: Path) -> None:
    # Exact binary ties (2.25, 0.125) are where toFixed and Python's format disagree.
    write_report_dir(Inventory(), tmp_path, now=NOW)
    page = open_report(tmp_path / "index.html").page
    values = [2.25, 2.75, 0.125, 0.375, 1.05, 12.345, 0.884926, 0.0, 100.0, 1e-7, 0.5, 1.5, 30.85, 123456.75]
    for digits in (0, 1, 2):
        got = page.evaluate("([vs, d]) => vs.map(v => window.qriskFormat.fixed(v, d))", [values, digits])
        assert got == [fmt_fixed(v, digits) for v in values], digits
    got = page.evaluate("vs => vs.map(v => window.qriskFormat.pct(v))", [0.884926, 0.0625, 1.0, 0.00125])
    assert got == [fmt_pct(v) for v in (0.884926, 0.0625, 1.0, 0.00125)]
    ints = [0, 7, 1000, 123456789, 100000]
    assert page.evaluate("vs => vs.map(v => window.qriskFormat.int(v))", ints) == [fmt_int(v) for v in ints]
    from qrisk.report.report_text import visible

    sample = "".join(chr(c) for c in [*range(0, 0x30), *range(0x7f, 0xa1), 0x61c, *range(0x200b, 0x2070), 0xfeff])
    assert page.evaluate("t => window.qriskFormat.clean(t)", sample) == visible(sample)


def test_csp_blocks_any_other_script(open_report: Any, sample_report: Path, tmp_path: Path) -> None:
    html = (sample_report / "index.html").read_text()
    tampered = html.replace("</body>", "<script>window.__pwned = 1;</script><div id='x' onclick='1'></div></body>")
    (tmp_path / "index.html").write_text(tampered)
    opened = open_report(tmp_path / "index.html")
    page = opened.page
    assert page.evaluate("window.__pwned") is None
    assert page.get_attribute("html", "data-ready") == "1"  # the report's own script still ran
    violations = page.evaluate("window.__cspViolations")
    assert any(v.startswith("script-src") for v in violations)
    assert opened.requests == [opened.url]


def test_print_to_pdf_has_several_pages(open_report: Any, sample_report: Path) -> None:
    page = open_report(sample_report / "index.html").page
    for fmt in ("A4", "Letter"):
        pdf = page.pdf(format=fmt, print_background=True)
        assert pdf.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
        assert pages > 1, fmt
        (artifacts_dir() / f"sample-report-{fmt}.pdf").write_bytes(pdf)
    # print CSS hides the controls
    page.emulate_media(media="print")
    assert not page.locator("#inventory-controls").is_visible()
    assert not page.locator("nav.toc").is_visible()
    page.emulate_media(media="screen")


# --------------------------------------------------------------------------- injection

HOSTILE = [
    '<script>alert("s1")</script>',
    '"><img src=x onerror=alert("s2")>',
    "</script><script>alert('s3')</script>",
    "<svg onload=alert('s4')>",
    "' onmouseover='alert(5)' x='",
    "\u202egnp.exe",
    "javascript:alert(6)",
    "<!-- <b>bold</b> &amp; &lt;",
]


def hostile_inventory() -> Inventory:
    h = HOSTILE
    cert = CertificateInfo(
        subject="CN=" + h[0], issuer="CN=" + h[1], serial_number="01",
        not_before=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), not_after=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        signature_algorithm="RSA", sha256_fingerprint="00" * 32,
    )
    assets = []
    for i, text in enumerate(h):
        occ = Occurrence(location=f"dir{text}/file{text}.pem", detector="x509", rule_id="QR-X509-001", line=i + 1,
                         snippet=f"rsa = {text}")
        assets.append(Asset(
            asset_id=make_asset_id(AssetKind.CERTIFICATE, "RSA", key_size=2048, location=occ.location, rule_id="x"),
            kind=AssetKind.CERTIFICATE if i % 2 else AssetKind.KEY, algorithm="RSA", primitive=Primitive.SIGNATURE,
            quantum_status=QuantumStatus.BROKEN, usage=Usage.SIGNATURE, key_size=2048,
            occurrences=(occ, Occurrence(location=f"tls://{text}:443", detector="tls", rule_id="QR-TLS-001")),
            system=f"sys{i % 3}", name=text, certificate=cert if i % 2 else None,
            key_material=KeyMaterial.PUBLIC if i % 2 == 0 else None, notes=(text,),
        ))
    systems = tuple(
        System(id=f"sys{i}", name=h[i], owner=h[i + 1], description=h[i + 2], endpoints=(f"tls://{h[i]}:443",),
               data_classes=(DataClass(name=h[i + 3], retention_years=10.0, retention_source=h[i + 4]),),
               migration_years=3.0, sites=(h[5],))
        for i in range(3)
    )
    sites = (Site(id="a", name=h[0], owner=h[1]), Site(id="b", name=h[5], owner=h[2]),
             Site(id="r", name=h[3], owner=h[4], relay=True, trusted=False))
    links = (QkdLink(id="a-r", a="a", b="r", length_km=20.0, owner=h[1], source=h[2]),
             QkdLink(id="r-b", a="r", b="b", length_km=30.0))
    flows = (DataFlow(id="flow1", a="a", b="b", systems=("sys0",), description=h[0]),)
    skipped = tuple(SkippedFile(location=t, reason="binary", detail=t) for t in h)
    scan = ScanInfo(targets=tuple(h[:2]), organisation=h[1], tool_version="1.0", files_seen=1, files_scanned=1,
                    started=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), finished=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    return Inventory(assets=tuple(assets), systems=systems, sites=sites, qkd_links=links, data_flows=flows,
                     skipped=skipped, scan=scan)


def hostile_tree(root: Path) -> Path:
    """Real files whose names and contents carry the hostile strings, to scan."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from keyfactory import name as x509_name
    from keyfactory import private_key

    key = private_key("rsa2048")
    root.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(HOSTILE):
        # one certificate per file (distinct serials), so each file name is its own asset's location
        cert = (x509.CertificateBuilder().subject_name(x509_name(text)).issuer_name(x509_name(HOSTILE[1]))
                .public_key(key.public_key()).serial_number(100 + i)
                .not_valid_before(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
                .not_valid_after(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
                .sign(key, hashes.SHA256()))
        safe = text.replace("/", "\u2215")
        (root / f"{i}{safe}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (root / f"{i}{safe}.py").write_text(
            f"from cryptography.hazmat.primitives.asymmetric import rsa  # {text}\n"
            f"key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # {text}\n"
        )
    return root


def assert_inert(opened: Any, must_show: list[str]) -> None:
    page = opened.page
    assert opened.dialogs == [], opened.dialogs
    assert opened.console_errors() == []
    assert opened.requests == [opened.url]
    assert page.evaluate("window.__cspViolations") == []
    state = page.evaluate("""() => ({
        imgs: document.querySelectorAll('img').length,
        scripts: document.querySelectorAll('script').length,
        foreignSvg: document.querySelectorAll('svg[onload], svg svg').length,
        handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
        badLinks: [...document.querySelectorAll('a[href]')].filter(a => !a.getAttribute('href').startsWith('#')).length,
        bold: document.querySelectorAll('main b').length,
        text: document.body.innerText,
    })""")
    assert state["imgs"] == 0
    assert state["scripts"] == 2  # the data island and the report's own script
    assert state["foreignSvg"] == 0
    assert state["handlers"] == 0
    assert state["badLinks"] == 0
    assert state["bold"] == 0
    text = state["text"]
    assert "\u202e" not in text and "[U+202E]" in text
    for s in must_show:
        assert s in text, s


def test_hostile_strings_render_as_text(open_report: Any, tmp_path: Path) -> None:
    out = tmp_path / "r"
    write_report_dir(hostile_inventory(), out, now=NOW)
    html = (out / "index.html").read_text()
    assert html.count("</script>") == 2 and "<img" not in html
    opened = open_report(out / "index.html")
    page = opened.page
    # details of a system show evidence, snippets and manifest fields as text
    visible_strings = [HOSTILE[0], HOSTILE[1], HOSTILE[3], "<!-- <b>bold</b>"]
    assert_inert(opened, visible_strings)
    # drive the table too: search for the hostile text
    page.fill("#inv-search", "onerror")
    wait_until(page, "() => document.getElementById('inv-count').textContent.startsWith('1 of')")
    assert_inert(opened, [HOSTILE[1]])
    page.screenshot(path=str(artifacts_dir() / "hostile-report.png"), full_page=True)


def test_hostile_file_names_from_a_real_scan(open_report: Any, tmp_path: Path) -> None:
    from qrisk.scan.engine import ScanOptions, run_scan

    tree = hostile_tree(tmp_path / "tree")
    inv = run_scan([str(tree)], ScanOptions(jobs=1))
    locations = {o.location for a in inv.assets for o in a.occurrences}
    assert any("<script>" in loc for loc in locations) and any("\u202e" in loc for loc in locations)
    out = tmp_path / "r"
    write_report_dir(dataclasses.replace(inv, scan=dataclasses.replace(inv.scan, targets=("tree",))), out, now=NOW)
    opened = open_report(out / "index.html")
    assert_inert(opened, ['<script>alert("s1")</script>'])


def test_large_estate_pages_and_shows_one_system_at_a_time(open_report: Any, tmp_path: Path) -> None:
    """Past 30 systems the page draws one system's details at a time and pages every table."""
    import importlib.util

    from reportkit import ROOT

    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "benchmarks" / "bench_report.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    inv = bench.synthetic_inventory(3000, 60)
    write_report_dir(inv, tmp_path, now=NOW)
    opened = open_report(tmp_path / "index.html")
    page = opened.page
    assert opened.console_errors() == [] and opened.requests == [opened.url]
    sel = "#inventory-rows tbody tr"
    first = rows(page, sel)
    assert len(first) == 50
    assert page.inner_text("#inv-count").startswith("3,000 of 3,000")
    page.click("#inventory-pager button[aria-label='next page']")
    second = rows(page, sel)
    assert len(second) == 50 and not set(first) & set(second)
    page.select_option("#inv-pagesize", "500")
    assert len(rows(page, sel)) == 500
    # sorted by P(exposed), highest first
    shown = page.eval_on_selector_all(f"{sel} td:nth-child(7)", "els => els.map(e => parseFloat(e.textContent))")
    assert shown == sorted(shown, reverse=True)
    assert page.locator("#systems-list tbody tr").count() == 50
    assert page.locator("#system-details article.system").count() == 1
    page.click("#systems-list tbody tr:nth-child(7) a")
    wait_until(page, "() => !!document.getElementById('system-6')")
    assert page.locator("#system-details article.system").count() == 1
    assert page.locator("#system-6 svg").count() == 1
    system_id = page.get_attribute("#system-6", "data-system")
    expected = sum(1 for a in inv.assets if a.system == system_id)
    assert page.locator("#system-6 tbody tr").count() == min(50, expected)
    assert opened.console_errors() == []
