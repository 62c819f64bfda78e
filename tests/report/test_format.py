"""How numbers and text read in the report: pinned by hand."""

import math

import pytest

from audit.report import _format as f


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1234, "12.3%"),
        (0.0, "0.0%"),
        (1.0, "100.0%"),
        (0.004, "0.40%"),  # under 1%: two decimals, so it does not read as 0.0%
        (None, "—"),
        (math.nan, "—"),
        (True, "—"),
        ("0.5", "—"),
    ],
)
def test_pct(value, expected):
    assert f.pct(value) == expected


def test_other_numbers():
    assert f.pp(0.031) == "+3.1 pp"
    assert f.pp(-0.2) == "-20.0 pp"
    assert f.ratio(0.756) == "0.76"
    assert f.count(1234567) == "1,234,567"
    assert f.count(4402.3) == "4,402"
    assert f.pvalue(0.0004) == "<0.001"
    assert f.pvalue(0.0341) == "0.034"
    assert f.points(-23.456) == "-23.5"
    assert f.num(511.74) == "511.7"
    assert f.num(0.123456) == "0.123"
    assert f.num(1_000_000) == "1,000,000"
    assert f.num(600.0) == "600"
    assert f.num(True) == "yes"


def test_interval():
    assert f.interval([0.101, 0.145]) == "10.1–14.5%"
    assert f.interval([0.71, 0.83], f.ratio) == "0.71–0.83"
    assert f.interval([-39.1, -32.9], f.points) == "-39.1 to -32.9"
    assert f.interval(None) == "—"
    assert f.interval([0.1]) == "—"
    assert f.interval([1.52, None], f.ratio) == "1.52–∞"  # unbounded above
    assert f.interval([None, 0.3]) == "—"


def test_confidence_level():
    assert f.level(0.95) == "95 %"
    assert f.level(0.9) == "90 %"
    assert f.level(0.999) == "99.9 %"
    assert f.ci_label(0.9) == "90 % CI"
    assert f.ci_label(None) == "CI"


def test_short_and_humanize():
    assert f.short("abc", 5) == "abc"
    assert f.short("abcdefgh", 5) == "abcd…"
    assert len(f.short("x" * 10_000)) == 200
    assert f.humanize("score_mapping") == "Score mapping"


def test_markdown_escapes_html_and_markdown():
    out = f.md('<img src=x onerror=alert(1)> | *bold* [link](javascript:x)\u2028next "q"')
    assert "<" not in out and ">" not in out
    assert "\u2028" not in out and "\n" not in out
    assert "\\|" in out and "\\*bold\\*" in out and "\\[link\\]" in out
    assert f.md("ethnicity & region (18-29)") == "ethnicity & region (18-29)"
    # no entity survives to be decoded into markup
    assert f.md("&lt;b&gt; &#60;") == "&amp;lt;b&amp;gt; &amp;#60;"
