"""Hostile strings in every user-string slot: none appears raw, nothing can run (browser: see
test_browser.py). The "combined" render puts every payload in every slot at once."""

import json
import re

import pytest

from audit.report import build_report
from tests.report.hostile import MARKUP, MODES, hostile_result
from tests.report.htmlcheck import Page, json_island, structural_problems


@pytest.fixture(scope="module", params=MODES, ids=str)
def hostile(request):
    data, tables, names = hostile_result(request.param)
    return data, names, build_report(data, tables=tables)


def test_no_markup_payload_appears_raw(hostile):
    _, _, files = hostile
    html = files["index.html"]
    for payload in MARKUP:
        assert payload not in html, payload


def test_only_our_markup(hostile):
    _, _, files = hostile
    assert structural_problems(files["index.html"]) == []


def test_chart_text_is_escaped(hostile):
    _, _, files = hostile
    svg = "".join(re.findall(r"<svg.*?</svg>", files["index.html"], re.S))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert texts
    for t in texts:
        assert '"' not in t and "'" not in t and "\u2028" not in t, t[:80]


def test_script_elements_hold_no_raw_separator_or_markup(hostile):
    data, names, files = hostile
    html = files["index.html"]
    island = json_island(html)
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in island
    # the data survives exactly: the group names handed to the script are the hostile names
    sweeps = json.loads(island)["sweeps"]
    assert sweeps[0]["groups"][0]["label"] == names["Han"]


def test_text_reads_back_exactly(hostile):
    """Escaping must not mangle: the page's text holds every (short) hostile name verbatim."""
    _, names, files = hostile
    text = "".join(Page(files["index.html"]).texts)
    for slot in ("Han", "Uyghur", "sesame"):
        name = names[slot]
        if len(name) < 200:  # longer names are cut in cells (the full text is in the title)
            assert name in text, slot


def test_companion_files(hostile):
    data, _, files = hostile
    assert json.loads(files["audit.json"]) == data
    md = files["summary.md"]
    for payload in MARKUP:  # quotes are inert in Markdown; angle brackets would be raw HTML
        if "<" in payload or ">" in payload:
            assert payload not in md
    assert "<" not in md.replace("<0.001", "") and "\u2028" not in md
