"""The HTML report without a browser: CSP and its script hash, safe JSON embedding, escaping,
the numbers against ``qrisk assess -f json`` / ``qrisk compliance -f json``, and the CLI."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from reportkit import NOW, SAMPLE_SNAPSHOT

from qrisk.model import Inventory
from qrisk.report import html as report_html
from qrisk.report.cli import REPORT_FILES, report, write_report_dir
from qrisk.report.report_data import build_report, report_data
from qrisk.report.report_text import JS_INVISIBLE_CLASS, fmt_fixed, fmt_int, fmt_pct, visible
from qrisk.risk.cli import assess, compliance

ISLAND_RE = re.compile(r'<script type="application/json" id="qrisk-data">(.*?)</script>', re.S)
SCRIPT_RE = re.compile(r"<script>(.*?)</script>", re.S)
CSP_RE = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


def island(html: str) -> dict:
    m = ISLAND_RE.search(html)
    assert m, "no data island"
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def sample_html(sample_report: Path) -> str:
    return (sample_report / "index.html").read_text(encoding="utf-8")


def test_folder_has_every_file(sample_report: Path) -> None:
    assert sorted(p.name for p in sample_report.iterdir()) == sorted(REPORT_FILES)


def test_csp_allows_exactly_the_one_inline_script(sample_html: str) -> None:
    csp = CSP_RE.search(sample_html)
    assert csp, "no CSP meta tag"
    policy = csp.group(1)
    assert policy.startswith("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-")
    assert "unsafe-eval" not in policy and "http" not in policy
    scripts = SCRIPT_RE.findall(sample_html)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy
    # the CSP comes before anything that could load or run
    head = sample_html.split("<head>", 1)[1]
    assert head.lstrip().startswith('<meta charset="utf-8">')
    assert head.index("Content-Security-Policy") < head.index("<style>")


def test_page_references_nothing_outside_itself(sample_html: str) -> None:
    for pattern in (r"\bsrc\s*=", r"<link\b", r"@import", r"url\(\s*['\"]?(?!data:)", r"<iframe", r"<object", r"<embed",
                    r"fetch\(", r"XMLHttpRequest", r"\beval\(", r"innerHTML", r"document\.write"):
        assert not re.search(pattern, sample_html), pattern
    # hrefs are in-page anchors only
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', sample_html))


@settings(max_examples=200, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.lists(st.sampled_from(
        [*list("<>&/'\"\\ascript!-\u2028\u2029\u202e\x00"), "</script>", "<!--", "]]>", "</SCRIPT "]), max_size=8).map("".join),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
))
def test_json_island_cannot_close_its_element(value: object) -> None:
    text = report_html.json_for_script(value)
    assert json.loads(text) == value
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text


def test_script_hash_matches_a_known_value() -> None:
    # echo -n "alert(1)" | openssl dgst -sha256 -binary | base64
    assert report_html.script_hash("alert(1)") == "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"


def test_templates_are_found_and_autoescape() -> None:
    folder = report_html.templates_dir()
    assert folder.joinpath("report.html.j2").is_file()
    env, script, _ = report_html._environment()
    assert env.autoescape is True
    out = env.from_string("{{ x }}").render(x='<b onclick="y">\u202e&')
    assert out == "&lt;b onclick=&#34;y&#34;&gt;[U+202E]&amp;"
    assert "</script" not in script.lower()


def test_script_and_python_agree_on_invisible_characters() -> None:
    _, script, _ = report_html._environment()
    assert JS_INVISIBLE_CLASS in script
    assert visible("a\u202eb\u2066c\u200fd\te\n") == "a[U+202E]b[U+2066]c[U+200F]d\te\n"


def test_number_formats() -> None:
    assert fmt_int(100000) == "100,000"
    assert fmt_pct(0.884926) == "88.5%"
    assert fmt_fixed(2.25, 1) == "2.2"  # ties to even, as the script reproduces
    assert fmt_pct(None) == "–"


def _cli_json(command, *args: str) -> dict:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(command, [*args, "-f", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_numbers_equal_assess_and_compliance_json(sample_html: str) -> None:
    """DESIGN: numbers shown in the HTML report equal those of qrisk assess / compliance -f json."""
    data = island(sample_html)
    cli = _cli_json(assess, str(SAMPLE_SNAPSHOT), "--now", NOW.isoformat())
    assert data["assessment"]["portfolio"] == cli["portfolio"]
    assert data["assessment"]["z"] == cli["z"]
    assert data["assessment"]["crqc"] == cli["crqc"]
    assert data["assessment"]["sensitivity"] == cli["sensitivity"]
    keys = set(cli["systems"][0])
    assert [{k: s[k] for k in keys} for s in data["systems"]] == cli["systems"]
    by_id = {a["asset_id"]: a for a in cli["assets"]}
    cols = data["assets"]["columns"]
    for row in data["assets"]["rows"]:
        rec = dict(zip(cols, row, strict=False))  # the last two columns are optional
        ref = by_id[rec["id"]]
        p, e, mosca = data["exposure"]["rows"][rec["exposure"]]
        assert p == ref["probability_exposed"]
        assert e == ref["expected_years_exposed"]
        assert bool(mosca) == ref["mosca_exposed"]
        assert data["dict"]["status"][rec["status"]] == ref["quantum_status"]
        assert data["dict"]["threat"][rec["threat"]] == ref["threat"]
        assert data["systems"][rec["system"]]["system"] == ref["system"]
    # the server-rendered summary shows those numbers
    p = cli["portfolio"]
    for field, text in (("portfolio.assets", fmt_int(p["assets"])),
                        ("portfolio.assets_at_risk", fmt_int(p["assets_at_risk"])),
                        ("portfolio.quantum_vulnerable_share", fmt_pct(p["assets_at_risk"] / p["assets"])),
                        ("portfolio.systems_at_risk", fmt_int(p["systems_at_risk"])),
                        ("portfolio.expected_exposed_data_years", fmt_fixed(p["expected_exposed_data_years"], 1)),
                        ("portfolio.assets_exposed", fmt_int(p["assets_exposed"])),
                        ("z.median_date", cli["z"]["median_date"])):
        assert re.search(rf'data-field="{re.escape(field)}">{re.escape(text)}<', sample_html), field

    comp = _cli_json(compliance, str(SAMPLE_SNAPSHOT), "--now", NOW.isoformat())
    assert data["compliance"]["inventory_checks"] == comp["inventory_checks"]
    counts = {rec["policy"]: rec for rec in comp["summary"]}
    for pol in data["compliance"]["policies"]:
        ref = counts.get(pol["id"])
        if ref is None:
            assert not pol["has_rules"]
            continue
        for verdict, n in pol["counts"].items():
            assert n == ref[verdict], (pol["id"], verdict)
    # every matrix cell is the CLI's verdict and rule for that asset and policy
    cm = data["compliance"]
    verdicts = {(v["asset_id"], v["policy"]): v for v in comp["verdicts"]}
    for row in data["assets"]["rows"]:
        profile = cm["profiles"][row[cols.index("compliance")]]
        for j, pid in enumerate(cm["matrix_policies"]):
            ref = verdicts[(row[0], pid)]
            assert data["dict"]["verdict"][profile[2 * j]] == ref["verdict"]
            rule = cm["rules"][profile[2 * j + 1]] if profile[2 * j + 1] >= 0 else None
            assert (rule[1] if rule else "") == ref["rule_id"]
            if rule:
                assert rule[3] == ref["deadline"] and rule[4] == ref["source"]
    # the countdown's days are the CLI's days_left
    for c in cm["nearest"]:
        if c["kind"] == "asset":
            days = [v["days_left"] for v in comp["verdicts"] if v["policy"] == c["policy"] and v["rule_id"] == c["rule_id"]
                    and v["verdict"] == "non-compliant-from"]
            assert c["days_left"] == min(days)


def test_policy_option_matches_assess_with_policy(sample_inventory: Inventory) -> None:
    # As with `qrisk assess --policy cnsa-2.0`, naming a 256-bit policy makes AES-128/SHA-256 count.
    rep = build_report(sample_inventory, policies="cnsa-2.0", now=NOW)
    cli = _cli_json(assess, str(SAMPLE_SNAPSHOT), "--now", NOW.isoformat(), "--policy", "cnsa-2.0")
    assert report_data(rep)["assessment"]["portfolio"] == cli["portfolio"]
    assert rep.options["require_256_bit"] is True
    assert [p.id for p in rep.policies] == ["cnsa-2.0"]


def test_rendering_is_deterministic(sample_inventory: Inventory) -> None:
    one = report_html.render_html(build_report(sample_inventory, now=NOW))
    two = report_html.render_html(build_report(sample_inventory, now=NOW))
    assert one == two


def test_every_section_is_in_the_page(sample_html: str) -> None:
    for section in ("summary", "mosca", "heatmap", "systems", "inventory", "compliance", "plan", "qkd", "methods"):
        assert f'<section class="block" id="{section}"' in sample_html, section
    data = island(sample_html)
    assert data["qkd"]["links"] and data["qkd"]["flows"]
    assert "PLOB bound" in sample_html and "QKD network map" in sample_html
    assert data["plan"]["actions"]["rows"]


def test_empty_inventory_renders(tmp_path: Path) -> None:
    files = write_report_dir(Inventory(), tmp_path / "r", now=NOW)
    html = files[0].read_text()
    assert island(html)["assessment"]["portfolio"]["assets"] == 0
    assert '<section class="block" id="qkd"' not in html


def test_report_command(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(report, [str(SAMPLE_SNAPSHOT), "--html", str(out), "--now", "2026-01-01",
                                         "--policy", "nist-ir-8547,cnsa-2.0", "--crqc", "year:2033"])
    assert result.exit_code == 0, result.output
    assert "index.html" in result.stdout
    data = island((out / "index.html").read_text())
    assert data["assessment"]["crqc"]["spec"] == "year:2033"
    assert [p["id"] for p in data["compliance"]["policies"]] == ["nist-ir-8547", "cnsa-2.0"]


def test_report_command_scans_a_manifest(tmp_path: Path) -> None:
    from reportkit import SAMPLE_MANIFEST

    out = tmp_path / "out"
    result = CliRunner().invoke(report, [str(SAMPLE_MANIFEST), "--html", str(out), "--now", "2026-01-01", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert island((out / "index.html").read_text())["assessment"]["portfolio"]["assets"] > 0


@pytest.mark.parametrize(("args", "message"), [
    (["--now", "yesterday"], "--now 'yesterday'"),
    (["--policy", "no-such-policy"], "unknown policy"),
    (["--crqc", "year:abc"], "--crqc"),
])
def test_report_command_input_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(report, [str(SAMPLE_SNAPSHOT), "--html", str(tmp_path / "o"), *args])
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_report_folder_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    result = CliRunner().invoke(report, [str(SAMPLE_SNAPSHOT), "--html", str(blocker), "--now", "2026-01-01"])
    assert result.exit_code == 2


def test_missing_target(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(report, [str(bad), "--html", str(tmp_path / "o")])
    assert result.exit_code == 2 and "qrisk: error:" in result.stderr


def test_now_is_not_the_clock(sample_inventory: Inventory) -> None:
    a = report_data(build_report(sample_inventory, now=dt.date(2026, 1, 1)))
    b = report_data(build_report(sample_inventory, now=dt.date(2030, 6, 1)))
    assert a["meta"]["now"] == "2026-01-01" and b["meta"]["now"] == "2030-06-01"
    assert a["assessment"]["portfolio"] != b["assessment"]["portfolio"]


def test_plan_equals_plan_json(sample_html: str) -> None:
    """DESIGN: the plan shown equals ``qrisk plan -f json`` for the same input."""
    data = island(sample_html)["plan"]
    try:
        from qrisk.plan.cli import plan as plan_command
    except ImportError:  # the planner is a separate stage; without it the page says the plan is provisional
        assert data["source"] == "provisional" and "qrisk plan" in data["note"]
        return
    cli = _cli_json(plan_command, str(SAMPLE_SNAPSHOT), "--now", NOW.isoformat())
    assert data["source"] == "planner" and data["schema"] == cli["schema"]
    assert data["summary"] == cli["summary"]
    assert data["waves"] == cli["waves"]
    assert data["qkd"] == cli["qkd"]
    from qrisk.report.report_plan import decode

    actions = decode(data["actions"])
    assert len(actions) == len(cli["actions"])
    for row, ref in zip(actions, cli["actions"], strict=True):
        assert row["id"] == ref["id"] and row["rank"] == ref["rank"]
        assert (row["start"], row["end"], row["wave_number"]) == (ref["start"], ref["end"], ref["wave"])
        assert (row["next_deadline"] or None, row["deadline_status"]) == (ref["deadline"], ref["deadline_status"])
        assert row["target"] == ref["target"]["name"] and row["probability_exposed"] == ref["probability_exposed"]
        assert row["assets"] == len(ref["asset_ids"])
    s = cli["summary"]
    for field in ("actions", "with_action", "deadlines_missed", "qkd_recommended"):
        assert re.search(rf'data-field="plan\.{field}">{re.escape(fmt_int(s[field]))}<', sample_html), field
