"""The report's trend section against a real scan-history database: rescans of a small estate
between which certificates and keys change, the page's table (read in Chromium) against
``qrisk history --trend -f json``, the one-sentence messages without a usable history, and a
clean one-line error for a missing or damaged database."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from reportkit import NOW, SAMPLE_MANIFEST, SAMPLE_SNAPSHOT, artifacts_dir

from qrisk.cli import main
from qrisk.model import Inventory
from qrisk.report.cli import report, write_report_dir
from qrisk.report.report_trend import TOP_SYSTEMS, TrendScan, TrendSection, load_trend, trend_data
from qrisk.store import StoreError, TrendPoint

ISLAND_RE = re.compile(r'<script type="application/json" id="qrisk-data">(.*?)</script>', re.S)
SECTION_RE = re.compile(r'<section class="block" id="trend".*?</section>', re.S)


def island(html: str) -> dict[str, Any]:
    m = ISLAND_RE.search(html)
    assert m, "no data island"
    return json.loads(m.group(1))


def trend_section(html: str) -> str:
    m = SECTION_RE.search(html)
    assert m, "no trend section"
    return m.group(0)


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def scan(manifest: Path, db: Path, *extra: str) -> None:
    result = run("scan", str(manifest), "--db", str(db), "--no-probe", "-q", "-j", "1", "-f", "json", *extra)
    assert result.exit_code == 0, result.stderr


def history_trend(db: Path) -> list[dict[str, Any]]:
    result = run("history", "--db", str(db), "--trend", "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["trend"]


def history_scans(db: Path) -> list[dict[str, Any]]:
    result = run("history", "--db", str(db), "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["scans"]


@pytest.fixture(scope="module")
def rescanned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three real scans of a copy of the sample estate into one database: as shipped; with the
    payments certificate rotated to ML-DSA-65 and its RSA key removed; with a new RSA certificate
    in the HR system (the last one through ``qrisk scan --report DIR --db``)."""
    from storekit import cert_pem, mldsa_cert_pem

    root = tmp_path_factory.mktemp("trend")
    estate = root / "estate"
    shutil.copytree(SAMPLE_MANIFEST.parent, estate)
    manifest = estate / "manifest.yaml"
    db = root / "history" / "scans.db"
    scan(manifest, db)
    (estate / "payments" / "tls" / "server.crt").write_bytes(mldsa_cert_pem("payments.acme-bank.example"))
    (estate / "payments" / "tls" / "server.key").unlink()
    scan(manifest, db)
    (estate / "hr" / "tls" / "intranet.crt").write_bytes(cert_pem("rsa", "intranet.acme-bank.example", serial=4242))
    scan_report = root / "scan-report"
    scan(manifest, db, "--report", str(scan_report))
    report_dir = root / "report"
    result = run("report", str(manifest), "--html", str(report_dir), "--db", str(db), "--now", NOW.isoformat(), "-q")
    assert result.exit_code == 0, result.stderr
    return {"estate": estate, "db": db, "report": report_dir, "scan_report": scan_report}


# --------------------------------------------------------------------------- the data (pure)


def _point(scan_id: int, system: str, vulnerable: int) -> TrendPoint:
    when = dt.datetime(2026, 1, scan_id, tzinfo=dt.UTC)
    return TrendPoint(scan_id, when, system, vulnerable, 0, 0, 0, vulnerable)


def _scans(*ids: int) -> tuple[TrendScan, ...]:
    return tuple(TrendScan(i, dt.datetime(2026, 1, i, 12, 30, tzinfo=dt.UTC), (f"t{i}",)) for i in ids)


def test_trend_data_caps_the_lines_and_sums_the_rest() -> None:
    # 13 systems over scans 1, 2, 4 (scan 3 is incomplete: not in the section); "s00" has the most
    # in the latest scan, "gone" had many but none in the latest scan, "" holds unassigned assets
    systems = [f"s{i:02d}" for i in range(11)]
    points = [_point(sid, s, 20 - i + sid) for sid in (1, 2, 4) for i, s in enumerate(systems)]
    points += [_point(1, "gone", 50), _point(2, "gone", 40), _point(1, "", 1), _point(4, "", 2)]
    data = trend_data(TrendSection("h.db", _scans(1, 2, 4), tuple(points)))
    assert data is not None
    assert data["complete_scans"] == 3 and data["systems"] == 13
    assert data["scans"]["id"] == [1, 2, 4]
    assert data["scans"]["finished"][0] == "2026-01-01T12:30:00+00:00"
    assert [s["system"] for s in data["series"]] == systems[:TOP_SYSTEMS]
    assert data["series"][0]["values"] == [21, 22, 24]
    # summed as others: s10, "" and "gone" (ranked last: none in the latest scan, however many before)
    assert data["others"]["systems"] == 3
    assert data["others"]["values"] == [(20 - 10 + 1) + 50 + 1, (20 - 10 + 2) + 40 + 0, (20 - 10 + 4) + 0 + 2]
    by_scan: dict[int, int] = {}
    for p in points:
        by_scan[p.scan_id] = by_scan.get(p.scan_id, 0) + p.vulnerable
    assert data["total"] == [by_scan[1], by_scan[2], by_scan[4]]
    shown = sum(s["values"][2] for s in data["series"]) + data["others"]["values"][2]
    assert shown == data["total"][2]


def test_trend_data_shows_every_system_when_one_would_be_left_over() -> None:
    systems = [f"s{i:02d}" for i in range(TOP_SYSTEMS + 1)]
    points = [_point(sid, s, i) for sid in (1, 2) for i, s in enumerate(systems)]
    data = trend_data(TrendSection("h.db", _scans(1, 2), tuple(points)))
    assert data is not None and data["others"] is None
    assert len(data["series"]) == TOP_SYSTEMS + 1
    assert data["series"][0]["system"] == systems[-1]  # most vulnerable in the latest scan first


def test_trend_data_counts_a_scan_without_assets_as_zero() -> None:
    # Store.trend() gives a complete scan with no assets one point of zeros for system "": the
    # scan has its step on every line, and that point adds no line of its own
    points = (_point(1, "a", 3), _point(2, "", 0), _point(3, "a", 1))
    data = trend_data(TrendSection("h.db", _scans(1, 2, 3), points))
    assert data is not None
    assert data["series"] == [{"system": "a", "values": [3, 0, 1]}] and data["total"] == [3, 0, 1]
    assert data["systems"] == 1
    # a system missing from one scan counts 0 there
    gap = trend_data(TrendSection("h.db", _scans(1, 2, 3), (_point(1, "a", 3), _point(2, "b", 2), _point(3, "a", 1))))
    assert gap is not None
    assert gap["series"] == [{"system": "a", "values": [3, 0, 1]}, {"system": "b", "values": [0, 2, 0]}]


def test_trend_data_without_history() -> None:
    assert trend_data(None) is None
    one = trend_data(TrendSection("h.db", _scans(1), (_point(1, "a", 3),)))
    assert one is not None and one["complete_scans"] == 1 and one["series"] == [] and one["scans"]["id"] == []


# --------------------------------------------------------------------------- the page without a browser


def test_trend_island_equals_history_json(rescanned: dict[str, Path]) -> None:
    data = island((rescanned["report"] / "index.html").read_text(encoding="utf-8"))["trend"]
    points = history_trend(rescanned["db"])
    ids = sorted({p["scan_id"] for p in points})
    assert data["scans"]["id"] == ids == [1, 2, 3]
    assert data["database"] == "scans.db"
    for series in data["series"]:
        want = {p["scan_id"]: p["vulnerable"] for p in points if p["system"] == series["system"]}
        assert series["values"] == [want.get(i, 0) for i in ids], series["system"]
    assert data["total"] == [r["vulnerable"] for r in history_scans(rescanned["db"])]
    # the estate changed between the scans: three different totals, and payments went down
    assert len(set(data["total"])) == 3
    payments = next(s for s in data["series"] if s["system"] == "payments")["values"]
    assert payments[0] == payments[1] + 2 and payments[2] == payments[1]


def test_scan_report_uses_the_scans_own_database(rescanned: dict[str, Path]) -> None:
    html = (rescanned["scan_report"] / "index.html").read_text(encoding="utf-8")
    data = island(html)["trend"]
    # the report of the third scan already counts that scan
    assert data["scans"]["id"] == [1, 2, 3]
    assert data["total"] == island((rescanned["report"] / "index.html").read_text(encoding="utf-8"))["trend"]["total"]
    assert 'id="trend-chart"' in trend_section(html)


def test_no_database_says_so_in_one_sentence(sample_report: Path) -> None:
    html = (sample_report / "index.html").read_text(encoding="utf-8")
    section = trend_section(html)
    assert island(html)["trend"] is None
    assert 'id="trend-message"' in section and "No scan history was given" in section
    assert "trend-chart" not in section and "<svg" not in section
    message = re.search(r'<p class="empty" id="trend-message">(.*?)</p>', section, re.S)
    assert message and message.group(1).count(". ") == 0 and message.group(1).endswith(".")


def test_one_scan_says_so(tmp_path: Path) -> None:
    estate = tmp_path / "estate"
    shutil.copytree(SAMPLE_MANIFEST.parent, estate)
    db = tmp_path / "one.db"
    scan(estate / "manifest.yaml", db)
    out = tmp_path / "r"
    result = run("report", str(SAMPLE_SNAPSHOT), "--html", str(out), "--db", str(db), "--now", "2026-01-01", "-q")
    assert result.exit_code == 0, result.stderr
    html = (out / "index.html").read_text(encoding="utf-8")
    section = trend_section(html)
    assert "The scan history one.db holds 1 complete scan, and a trend needs at least 2." in section
    assert "trend-chart" not in section and "<svg" not in section
    assert island(html)["trend"]["complete_scans"] == 1


def test_database_from_the_environment(rescanned: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QRISK_DB", str(rescanned["db"]))
    result = run("report", str(SAMPLE_SNAPSHOT), "--html", str(tmp_path / "r"), "--now", "2026-01-01", "-q")
    assert result.exit_code == 0, result.stderr
    assert island((tmp_path / "r" / "index.html").read_text(encoding="utf-8"))["trend"]["scans"]["id"] == [1, 2, 3]


def test_report_help_explains_db() -> None:
    out = " ".join(CliRunner().invoke(report, ["--help"]).stdout.split())
    assert "--db FILE Scan-history database (env QRISK_DB)" in out and "recorded by `qrisk scan --db FILE`" in out


def _damaged_copies(db: Path, folder: Path) -> dict[str, Path]:
    """A file that is no database at all, one cut in half, one with pages overwritten."""
    garbage = folder / "garbage.db"
    garbage.write_bytes(b"this is not a database\n" * 200)
    half = folder / "half.db"
    shutil.copy(db, half)
    with open(half, "r+b") as fh:
        fh.truncate(half.stat().st_size // 2)
    scribbled = folder / "scribbled.db"
    shutil.copy(db, scribbled)
    with open(scribbled, "r+b") as fh:
        fh.seek(4096 * 3)
        fh.write(b"\xff" * 4096 * 4)
    return {"garbage": garbage, "half": half, "scribbled": scribbled, "missing": folder / "missing.db"}


@pytest.mark.parametrize("kind", ["garbage", "half", "scribbled", "missing"])
def test_bad_database_is_a_one_line_error(rescanned: dict[str, Path], tmp_path: Path, kind: str) -> None:
    bad = _damaged_copies(rescanned["db"], tmp_path)[kind]
    out = tmp_path / "r"
    result = run("report", str(SAMPLE_SNAPSHOT), "--html", str(out), "--db", str(bad), "--now", "2026-01-01")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("qrisk: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output and str(bad) in result.stderr
    assert ("no scan history" if kind == "missing" else "not a usable qrisk database") in result.stderr
    assert not out.exists(), "nothing is written when the database cannot be read"
    assert kind != "missing" or not bad.exists(), "a missing database is not created"
    with pytest.raises(StoreError):
        write_report_dir(Inventory(), tmp_path / "r2", now=NOW, history=bad)


@pytest.mark.parametrize("kind", ["garbage", "scribbled"])
def test_scan_report_with_a_bad_database_is_a_one_line_error(rescanned: dict[str, Path], tmp_path: Path, kind: str) -> None:
    bad = _damaged_copies(rescanned["db"], tmp_path)[kind]
    out = tmp_path / "r"
    result = run("scan", str(SAMPLE_MANIFEST), "--db", str(bad), "--no-probe", "-q", "-j", "1", "--report", str(out))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("qrisk: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "not a usable qrisk database" in result.stderr and not out.exists()


def test_page_holds_no_private_key_bytes(rescanned: dict[str, Path]) -> None:
    """The history adds scan ids, dates, targets and counts only: none of the estate's private keys."""
    bodies = []
    for path in rescanned["estate"].rglob("*"):
        if path.is_file() and b"PRIVATE KEY" in path.read_bytes():
            text = path.read_text(encoding="ascii", errors="ignore")
            bodies += [line for line in text.splitlines() if len(line) >= 40 and "-----" not in line]
    assert len(bodies) >= 3
    for folder in ("report", "scan_report"):
        html = (rescanned[folder] / "index.html").read_text(encoding="utf-8")
        assert not [b for b in bodies if b in html], folder
        section = json.dumps(island(html)["trend"])
        assert "PRIVATE" not in section


# --------------------------------------------------------------------------- in Chromium


@pytest.mark.slow
def test_trend_in_chromium_equals_history_json(open_report: Any, rescanned: dict[str, Path]) -> None:
    opened = open_report(rescanned["report"] / "index.html")
    page = opened.page
    assert opened.console_errors() == []
    assert opened.requests == [opened.url]
    assert page.evaluate("window.__cspViolations") == []
    assert page.locator("section#trend > h2").is_visible()
    points = history_trend(rescanned["db"])
    systems = sorted({p["system"] for p in points})
    # one line per system (four: no "others"), plus the all-systems line
    assert page.locator("#trend-chart svg g[data-series='system'] polyline").count() == len(systems)
    assert page.locator("#trend-chart svg g[data-series='total'] polyline").count() == 1
    assert page.locator("#trend-chart svg g[data-series='others']").count() == 0
    cells = page.eval_on_selector_all("#trend-rows tbody td[data-series]", """tds => tds.map(td => [
        Number(td.parentElement.getAttribute('data-scan')), td.getAttribute('data-series'),
        td.getAttribute('data-system'), td.textContent])""")
    shown = {(scan_id, system): int(text.replace(",", "")) for scan_id, series, system, text in cells if series == "system"}
    want = {(p["scan_id"], p["system"]): p["vulnerable"] for p in points}
    assert shown == want
    totals = {scan_id: int(text.replace(",", "")) for scan_id, series, _, text in cells if series == "total"}
    assert totals == {r["scan_id"]: r["vulnerable"] for r in history_scans(rescanned["db"])}
    assert len(set(totals.values())) == 3
    # newest first, with the scan ids history lists
    order = page.eval_on_selector_all("#trend-rows tbody tr", "trs => trs.map(tr => Number(tr.getAttribute('data-scan')))")
    assert order == [3, 2, 1]
    page.locator("section#trend").screenshot(path=str(artifacts_dir() / "trend-section.png"))


@pytest.mark.slow
def test_trend_messages_in_chromium(open_report: Any, sample_report: Path, tmp_path: Path) -> None:
    for_one = tmp_path / "one"
    write_report_dir(Inventory(), for_one, now=NOW, trend=TrendSection("one.db", _scans(1), (_point(1, "a", 2),)))
    for path, text in ((sample_report, "No scan history was given"), (for_one, "holds 1 complete scan")):
        opened = open_report(path / "index.html")
        assert opened.console_errors() == []
        assert text in opened.page.inner_text("#trend-message")
        assert opened.page.locator("section#trend svg").count() == 0


def test_load_trend_reads_what_history_reads(rescanned: dict[str, Path]) -> None:
    section = load_trend(rescanned["db"])
    assert [s.scan_id for s in section.scans] == [1, 2, 3]
    assert [(p.scan_id, p.system, p.vulnerable) for p in section.points] == [
        (p["scan_id"], p["system"], p["vulnerable"]) for p in history_trend(rescanned["db"])]
