"""Number and text formatting for the report: one place that decides how a rate, a count or an
interval reads, so the HTML, the Markdown summary and the compare report agree.

What it must not do: compute statistics, or escape for any output format (escaping belongs to the
renderer: Jinja2 autoescape for HTML, `md` below for Markdown).
"""

from __future__ import annotations

import math
import re
from typing import Any

DASH = "—"


def is_num(x: Any) -> bool:
    """True for a finite int or float (not bool)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def pct(x: Any, digits: int = 1) -> str:
    """A fraction in [0, 1] as a percentage: 0.1234 -> '12.3%'; small values keep two decimals."""
    if not is_num(x):
        return DASH
    value = 100 * x
    if 0 < abs(value) < 1:
        digits = max(digits, 2)
    return f"{value:.{digits}f}%"


def pp(x: Any) -> str:
    """A difference of two fractions in percentage points, signed: 0.031 -> '+3.1 pp'."""
    if not is_num(x):
        return DASH
    return f"{100 * x:+.1f} pp"


def ratio(x: Any) -> str:
    """A ratio with two decimals: 0.756 -> '0.76'."""
    return f"{x:.2f}" if is_num(x) else DASH


def count(x: Any) -> str:
    """An integer count with thousands separators: 1234567 -> '1,234,567'."""
    if not is_num(x):
        return DASH
    return f"{round(x):,}"


def num(x: Any, digits: int = 3) -> str:
    """A general number: integers as counts, floats with at most `digits` significant decimals."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return count(x)
    if not is_num(x):
        return DASH
    if float(x).is_integer() and abs(x) < 1e15 or abs(x) >= 10_000:
        return count(x)
    return f"{x:.{digits}g}" if abs(x) < 1 else f"{x:.{max(digits, 4)}g}"


def points(x: Any, signed: bool = True) -> str:
    """Score points: -23.456 -> '-23.5'."""
    if not is_num(x):
        return DASH
    return f"{x:+.1f}" if signed else f"{x:.1f}"


def interval(pair: Any, fmt=pct) -> str:
    """A [low, high] pair: '10.1–14.5%' for rates (unit once), '0.71–0.83' otherwise; a ``None``
    upper end is unbounded (a ratio over a reference rate of 0): '1.52–∞'."""
    if not (isinstance(pair, list | tuple) and len(pair) == 2 and is_num(pair[0])):
        return DASH
    if not (is_num(pair[1]) or pair[1] is None):
        return DASH
    low, high = fmt(pair[0]), ("∞" if pair[1] is None else fmt(pair[1]))
    if low.endswith("%") and high.endswith("%"):
        low = low[:-1]
    if low.startswith(("-", "+")) or high.startswith(("-", "+")):
        return f"{low} to {high}"
    return f"{low}–{high}"


def level(confidence: Any) -> str:
    """A confidence level as the report writes it: 0.95 -> '95 %', 0.999 -> '99.9 %'."""
    return f"{100 * confidence:.4g} %" if is_num(confidence) else DASH


def ci_label(confidence: Any) -> str:
    """The header of an interval column: '95 % CI' (just 'CI' when the level is unknown)."""
    return f"{level(confidence)} CI" if is_num(confidence) else "CI"


def pvalue(p: Any) -> str:
    """A p-value: '<0.001' below a thousandth, else three decimals."""
    if not is_num(p):
        return DASH
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def text(x: Any) -> str:
    """Any JSON value as plain display text (no escaping)."""
    if x is None:
        return DASH
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int | float):
        return num(x)
    if isinstance(x, list | tuple):
        return ", ".join(text(v) for v in x)
    return str(x)


def short(s: Any, limit: int = 200) -> str:
    """Cut a display string to `limit` characters with an ellipsis (the full text goes in a title)."""
    s = text(s)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def humanize(key: str) -> str:
    """A dict key as a label: 'score_mapping' -> 'Score mapping'."""
    s = str(key).replace("_", " ").strip()
    return s[:1].upper() + s[1:]


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(s: Any, limit: int = 120) -> str:
    """Plain text safe inside a Markdown table cell or sentence.

    ``<`` and ``>`` become entities (Markdown renderers pass raw HTML through), as does ``&`` where it
    would start an entity; the punctuation that makes emphasis, code, links or table cells is
    backslash-escaped; line breaks (including U+2028/2029) become spaces; the text is cut to `limit`
    characters. Sentences start with our own words, so line-start syntax (``#``, ``-``) cannot arise.
    """
    s = short(s, limit)
    s = re.sub(r"[\r\n\u2028\u2029\x85\x0b\x0c]+", " ", s)
    s = re.sub(r"&(?=#?\w+;)", "&amp;", s).replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)
