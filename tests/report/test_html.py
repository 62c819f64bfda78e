"""The rendered page, read as text and parsed: one self-contained, network-free, byte-stable file."""

import json
import re

import pytest

from audit.report import build_report, render_html, summarize
from audit.report._html import json_island
from tests.report.fixtures import (
    SECTIONS,
    inconclusive_result,
    pass_result,
    realistic_result,
    small_result,
)
from tests.report.htmlcheck import Page, csp_of, inline_script, script_hash, structural_problems
from tests.report.htmlcheck import json_island as island_of


@pytest.fixture(scope="module")
def small_files():
    data, tables = small_result()
    return build_report(data, tables=tables)


@pytest.fixture(scope="module")
def realistic_files():
    data, tables = realistic_result()
    return build_report(data, tables=tables)


def test_content_security_policy_allows_no_network_and_only_our_script(small_files):
    html = small_files["index.html"]
    csp = csp_of(html)
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"
    assert directives["style-src"] == "'unsafe-inline'"
    # the hash in the policy is the hash of the one inline script, so exactly that script may run
    assert directives["script-src"] == f"'{script_hash(inline_script(html))}'"
    assert "http" not in csp


def test_page_has_no_active_content_from_anywhere(small_files):
    assert structural_problems(small_files["index.html"]) == []


def test_no_network_reference_of_any_kind(realistic_files):
    html = realistic_files["index.html"]
    assert not re.search(r"(?i)\b(src|href)\s*=\s*[\"']?(https?:|//)", html)
    assert "@import" not in html and "url(http" not in html
    assert not re.search(r"url\((?!#)", html), "CSS/SVG url() other than a fragment"


def test_every_section_present_once(realistic_files):
    page = Page(realistic_files["index.html"])
    ids = [a.get("id") for t, a in page.tags if t == "section"]
    assert ids == SECTIONS


def test_every_chart_is_labelled_and_followed_by_a_table(realistic_files):
    html = realistic_files["index.html"]
    figures = [m.start() for m in re.finditer(r'<figure class="chart">', html)]
    assert len(figures) > 20
    for pos in figures:
        head = html[pos : pos + 400]
        assert re.search(r'<div role="img" aria-label="[^"]{20,}">', head)
        # the data table is the next table after the chart, before the next chart
        rest = html[pos + 10 :]
        next_fig = rest.find('<figure class="chart">')
        next_table = rest.find("<table")
        assert next_table >= 0 and (next_fig == -1 or next_table < next_fig), head[:200]
    svgs = re.findall(r"<svg[^>]*>", html)
    assert all('aria-hidden="true"' in s and "width=" not in s for s in svgs)


def test_svg_ids_are_unique_and_charts_use_css_variables(realistic_files):
    html = realistic_files["index.html"]
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    svg = "".join(re.findall(r"<svg.*?</svg>", html, re.S))
    assert not re.search(r"#0[0-9a]0[0-9a]0[0-9a]", svg), "a sentinel colour was not replaced"
    assert "var(--" in html and "font-family: 'DejaVu" not in svg
    assert "<style" not in svg and "<metadata" not in svg and "<dc:date" not in svg.lower()


def test_byte_stable(small):
    data, tables = small
    first = build_report(data, tables=tables)
    second = build_report(json.loads(json.dumps(data)), tables=tables)
    assert first == second


def test_size_budget(realistic_files):
    size = len(realistic_files["index.html"].encode())
    assert size < 700_000, f"{size:,} bytes"


def test_json_island_escapes_for_script_context():
    value = {"a": "</script><!-- & \u2028\u2029 <b> 'q'"}
    text = str(json_island(value))
    for raw in ("<", ">", "&", "'", "\u2028", "\u2029"):
        assert raw not in text
    assert json.loads(text) == value


def test_island_round_trips(realistic_files):
    island = json.loads(island_of(realistic_files["index.html"]))
    assert [g["label"] for g in island["sweeps"][0]["groups"]][0] == "Han"


def test_real_decisions_page_says_not_available(csv_data):
    html = render_html(summarize(csv_data))
    assert structural_problems(html) == []
    for reason in (
        "Not available: this audit has only the recorded decisions",
        "Not available: no score column was given",
        "Not available: no scorer was available to query",
        "Not available: case files need a scorer",
    ):
        assert reason in html


@pytest.mark.parametrize(
    ("fixture", "cls", "word"),
    [
        (lambda: realistic_result()[0], "fail", "FAIL:"),
        (inconclusive_result, "inconclusive", "INCONCLUSIVE:"),
        (pass_result, "pass", "PASS:"),
        (lambda: {"schema_version": 1}, "na", "No criterion was judged"),
    ],
)
def test_three_verdict_states_are_distinct_in_words_and_class(fixture, cls, word):
    html = render_html(summarize(fixture()))
    match = re.search(r'<p class="verdict ([a-z]+)">([^<]*)</p>', html)
    assert match and match.group(1) == cls and match.group(2).startswith(word)
    assert "No verdict" not in html or cls == "na"
    for outcome in ("pass", "fail", "inconclusive"):  # one class per state, in the page's CSS
        assert f".verdict.{outcome} {{" in html


def test_minimal_dict_renders():
    html = render_html(summarize({"schema_version": 1}))
    assert html.count("Not available:") >= 6
    assert structural_problems(html) == []


def test_summary_markdown(small_files):
    md = small_files["summary.md"]
    assert md.startswith("# Bias audit: who does this scorer wrongly blacklist?\n")
    assert "**FAIL: 2 of 3 criteria fail, their simultaneous bounds wholly outside the band" in md
    assert "Decided on simultaneous 95 % confidence bounds over 9 comparisons" in md
    assert "| Criterion | Band | Outcome | Fail | Inconclusive | Pass | Insufficient data |" in md
    assert "## What decided the FAIL" in md
    assert "lower bound 3.10 above 1.25" in md
    assert "- Seed: 0" in md


def test_cases_csv_has_every_case(realistic_files):
    lines = realistic_files["cases.csv"].splitlines()
    assert len(lines) == 121  # header + all 120 case files, though the page shows 50
    assert lines[0].startswith("case_id,sampled_for,ethnicity,sex,score")


@pytest.mark.parametrize(
    "bad",
    [
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        '<div onclick="alert(1)">x</div>',
        "<p>x</p><!-- comment -->",
        '<svg><use xlink:href="http://evil/x.svg#a"/></svg>',
        '<div style="background: url(http://evil/)">x</div>',
    ],
)
def test_the_checker_catches_active_content(bad):
    assert structural_problems(bad)
