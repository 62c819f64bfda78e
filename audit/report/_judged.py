"""The verdict's words for every section that shows it: criteria (named once, in
``audit.core.CRITERIA``), outcomes, and each group's judged ratio with the simultaneous bounds that
decided it.

What it must not do: judge anything (the outcomes are in audit.json), compute statistics, import
fairlearn or shap, or emit HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.core import CRITERIA, band
from audit.report import _format as f
from audit.report._view import (
    INSUFFICIENT,
    cell,
    confidence,
    get,
    insufficient,
    interval_cell,
    mapping,
    num_cell,
)

#: how each outcome reads: the word itself carries the state (colour only repeats it)
OUTCOMES = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE"}
#: the ratio each criterion judges, as a column label
RATIO_LABELS = {
    "favourable_rate": "Impact ratio",
    "adverse_rate": "Blacklisting ratio",
    "fpr": "Wrongful blacklisting ratio",
}


def title(name: Any) -> str:
    """A criterion's plain-language name (``CRITERIA[name].title``)."""
    crit = CRITERIA.get(str(name))
    return crit.title if crit else f.humanize(str(name))


def judged_names(data: Mapping) -> list[str]:
    """The criteria this audit judged, in the order of ``CRITERIA``."""
    judged = set(mapping(get(data, "verdict", "criteria"))) | set(
        get(data, "meta", "criteria", default=None) or []
    )
    return [name for name in CRITERIA if name in judged]


def threshold(data: Mapping, name: str) -> Any:
    """A criterion's threshold: from the verdict, else from ``thresholds`` (None: not judged)."""
    given = get(data, "verdict", "criteria", name, "threshold")
    return given if given is not None else get(data, "thresholds", CRITERIA[name].threshold)


def band_text(t: Any) -> str:
    """``0.8–1.25``: the acceptable band of a ratio for threshold ``t``."""
    if not f.is_num(t) or not 0 < t <= 1:
        return f.DASH
    low, high = band(t)
    return f"{low:g}–{high:.4g}"


def rule(name: str, t: Any) -> str:
    """What a criterion demands at threshold ``t`` (``Criterion.rule``), or "not judged"."""
    return CRITERIA[name].rule(t) if f.is_num(t) and 0 < t <= 1 else "not judged"


def outcome_cell(outcome: Any) -> dict:
    """PASS / FAIL / INCONCLUSIVE in words, with the outcome as its CSS class."""
    word = OUTCOMES.get(outcome)
    return cell(word, word, str(outcome)) if word else cell("not judged")


def bounds_label(data: Mapping, name: str) -> str:
    """Header of a judged ratio's interval column: the (simultaneous) bounds that decide the
    outcome when the criterion is judged, else the ordinary interval."""
    if name in judged_names(data):
        return f"{f.level(confidence(data))} bounds"
    return f.ci_label(confidence(data))


def ratio_columns(data: Mapping, name: str, label: str | None = None) -> list[str]:
    """Three column labels for a criterion: its ratio (``label``, default the ratio's name), the
    interval, the outcome."""
    label = label or RATIO_LABELS.get(CRITERIA[name].metric, title(name))
    return [f"{label}#", f"{bounds_label(data, name)}#", "Outcome"]


def ratio_note(data: Mapping, names: tuple[str, ...]) -> str:
    """What a table's judged columns mean, naming each criterion (``CRITERIA`` titles)."""
    judged = [n for n in names if n in judged_names(data)]
    if not judged:
        return "Ratios are to the reference group; no criterion was judged."
    return (
        "Ratios are to the reference group. Outcome: "
        + "; ".join(f"{title(n).lower()} (band {band_text(threshold(data, n))})" for n in judged)
        + f", judged on the {f.level(confidence(data))} bounds beside it: simultaneous over every "
        "judged comparison, so wider than an ordinary interval."
    )


def ratio_cells(section: Mapping, group: str, g: Any, name: str) -> list[dict]:
    """A group's ratio to its reference for a criterion, the interval, and the judged outcome.

    The interval is the simultaneous one that decided the outcome when the criterion was judged
    (else the ordinary one); a rate whose denominator is too small here or in the reference reads
    "insufficient data", a small group "too small"; never a number that was not given.
    """
    metric = CRITERIA[name].metric
    ref = get(section, "reference")
    if group == ref:
        return [num_cell(get(g, "ratio", metric), f.ratio), cell(f.DASH), cell("reference")]
    if isinstance(g, Mapping) and g.get("small"):
        return [cell("too small", cls="small"), cell(f.DASH), cell("too small", cls="small")]
    if insufficient(g, metric) or insufficient(get(section, "groups", ref), metric):
        return [cell(INSUFFICIENT, cls="small"), cell(f.DASH), cell(INSUFFICIENT, cls="small")]
    entry = get(g, "judged", name)
    value = get(g, "ratio", metric)
    shown = num_cell(value, f.ratio)
    if value is None:
        shown = cell("undefined", title="the reference group's rate is 0")
    if not isinstance(entry, Mapping):
        return [shown, interval_cell(get(g, "ci_ratio", metric), f.ratio), outcome_cell(None)]
    outcome = entry.get("outcome")
    shown["cls"] = outcome if outcome == "fail" else ""
    return [shown, interval_cell(entry.get("interval"), f.ratio), outcome_cell(outcome)]


def decided_by(item: Mapping) -> str:
    """What decided a FAIL: ``lower bound 1.97 above 1.25`` / ``upper bound 0.62 below 0.8``."""
    t = item.get("threshold")
    bound = item.get("bound")
    if not (f.is_num(t) and f.is_num(bound)):
        return f.DASH
    low, high = band(t)
    if item.get("direction") == "above":
        return f"lower bound {f.ratio(bound)} above {high:.4g}"
    if item.get("direction") == "below":
        return f"upper bound {f.ratio(bound)} below {low:g}"
    return f.DASH
