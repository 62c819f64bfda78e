"""The error-rate section of the report view: wrongful blacklisting first (its rate in truth and in
the records, the excess in people over the reference group's rate, and the wrongful-blacklisting
ratio with its judged outcome), then the other error rates; per attribute a chart and tables, and
the intersections.

What it must not do: compute statistics (the only arithmetic is truth minus records, in percentage
points), import fairlearn or shap, or emit HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.report import _format as f
from audit.report._judged import ratio_cells, ratio_columns, ratio_note
from audit.report._view import (
    INSUFFICIENT,
    MAX_CHART_GROUPS,
    TOP_INTERSECTIONS,
    cell,
    chart_label,
    confidence,
    get,
    groups_of,
    insufficient,
    is_synthetic,
    mapping,
    num_cell,
    rate_cell,
    rate_interval_cell,
    table,
    unavailable,
    usable,
)

#: the other error rates, in a second table
OTHERS = (("fnr", "FNR#"), ("ppv", "PPV#"), ("fdr", "FDR#"), ("for", "FOR#"))


def errors_section(data: Mapping) -> dict:
    attrs = mapping(data.get("attributes"))
    if not attrs:
        return unavailable("the audit result has no attributes block")
    if "label" in mapping(data.get("meta")) and get(data, "meta", "label") is None:
        return unavailable("no outcome label was given, so no error can be counted")
    both = is_synthetic(data)
    obs = mapping(get(data, "observed", "attributes"))
    obs_inter = mapping(get(data, "observed", "intersections"))
    parts = [
        {
            "id": f"errors-{i}",
            "title": f.short(attr, 200),
            "chart": _chart(f"errors-{i}", attr, sec, get(obs, attr), both, confidence(data)),
            "table": _wrongful_table(attr, sec, get(obs, attr), both, data),
            "others": _others_table(attr, sec),
        }
        for i, (attr, sec) in enumerate(attrs.items())
    ]
    inter = mapping(data.get("intersections"))
    inter_tables = [
        {
            "title": f.short(name, 200),
            "table": _wrongful_table(name, sec, get(obs_inter, name), both, data),
            "others": _others_table(name, sec),
        }
        for name, sec in inter.items()
    ]
    return {
        "available": True,
        "both": both,
        "intro": _intro(both),
        "parts": parts,
        "intersections": inter_tables,
        "inter_chart": _highest_fpr_intersections(inter, obs_inter, both),
    }


def _intro(both: bool) -> str:
    if both:
        return (
            "Truth: who in truth would default or violate, known because the population is "
            "synthetic. Records: the label an auditor would find in the institution's files. Where "
            "defaults are over-recorded for a group, blacklisting that group looks justified on "
            "paper; the gap column is the harm an audit from records alone would miss."
        )
    return (
        "Measured against the recorded label only: no ground truth is available, so these rates "
        "inherit any bias in the records."
    )


def _signed(people: float) -> str:
    """A signed whole number of people: +6,128, -3, 0."""
    whole = round(people)
    return f"{whole:+,d}" if whole else "0"


def _excess_cells(sec: Mapping, group: Any, g: Mapping) -> list[dict]:
    """The signed excess of wrongful blacklistings in people: a number only where its interval
    excludes 0, else "indistinguishable from 0"; the interval beside it."""
    if group == sec.get("reference"):
        return [cell("reference"), cell(f.DASH)]
    est = g.get("excess_wrongful")
    if insufficient(g, "fpr") or not isinstance(est, Mapping):
        return [cell(INSUFFICIENT, cls="small"), cell(f.DASH)]
    ci = est.get("ci")
    bounded = isinstance(ci, list | tuple) and len(ci) == 2 and all(f.is_num(v) for v in ci)
    if not bounded:
        return [cell(f.DASH), cell(f.DASH)]
    interval = cell(f"{_signed(ci[0])} to {_signed(ci[1])}", ci[0])
    if ci[0] > 0 or ci[1] < 0:
        value = est.get("value")
        return [cell(_signed(value), value, "fail" if value > 0 else ""), interval]
    return [cell("indistinguishable from 0", 0), interval]


def _wrongful_table(name: str, sec: Mapping, obs_sec: Any, both: bool, data: Mapping) -> dict:
    ref = sec.get("reference")
    obs_groups = groups_of(obs_sec)
    rows = []
    for group, g in groups_of(sec).items():
        fpr = g.get("fpr") if usable(g) else None
        row = [
            cell(f.text(group) + (" (reference)" if group == ref else ""), f.text(group)),
            num_cell(get(g, "counts", "fp"), f.count),
            rate_cell(g, "fpr"),
            rate_interval_cell(g, "fpr"),
        ]
        if both:
            o = obs_groups.get(group)
            seen = o.get("fpr") if usable(o) else None
            gap = fpr - seen if f.is_num(fpr) and f.is_num(seen) else None
            row += [
                rate_cell(o, "fpr") if isinstance(o, Mapping) else cell(f.DASH),
                num_cell(gap, f.pp, "fail" if f.is_num(gap) and gap > 0.01 else ""),
            ]
        row += _excess_cells(sec, group, g) + ratio_cells(sec, group, g, "fpr_ratio")
        rows.append([*row, num_cell(get(g, "tests", "fpr", "p_holm"), f.pvalue)])
    level = f.ci_label(confidence(data))
    cols = ["Group", "Wrongly blacklisted#"]
    if both:
        cols += ["Rate (truth)#", f"{level}#", "Rate (records)#", "Gap#"]
    else:
        cols += ["Rate (FPR)#", f"{level}#"]
    cols += ["Excess (people)#", f"{level}#", *ratio_columns(data, "fpr_ratio", "Ratio")]
    note = (
        "Gap: wrongful blacklisting rate in truth minus in the records, in percentage points. "
        if both
        else ""
    )
    note += (
        "Rate: wrongful blacklisting rate (FPR). Excess: people with a non-adverse label in the "
        "group times its wrongful blacklisting rate minus the reference group's; a number only "
        "where its interval excludes 0. Ratio: wrongful blacklisting rate over the reference "
        "group's. "
        + ratio_note(data, ("fpr_ratio",))
        + " p: test of the group's wrongful blacklisting rate against the reference group's, "
        "Holm-adjusted."
    )
    return table(
        f"Wrongful blacklisting by {f.short(name, 80)}", [*cols, "p (Holm)#"], rows, note=note
    )


def _others_table(name: str, sec: Mapping) -> dict:
    rows = [
        [
            cell(f.text(group)),
            *[rate_cell(g, m) for m, _ in OTHERS],
            num_cell(g.get("auc"), f.ratio),
        ]
        for group, g in groups_of(sec).items()
    ]
    return table(
        f"Other error rates by {f.short(name, 80)}",
        ["Group", *[label for _, label in OTHERS], "AUC#"],
        rows,
        note="FNR: missed-risk rate. PPV / FDR: share of blacklistings that were right / wrong. "
        "FOR: share of the not blacklisted whose label is adverse. AUC: how well the score ranks "
        "people of this group.",
    )


def _chart(pid: str, attr: str, sec: Mapping, obs_sec: Any, both: bool, level: Any) -> dict | None:
    ref = sec.get("reference")
    obs_groups = groups_of(obs_sec)
    cats, truth, lows, highs, seen, marks = [], [], [], [], [], []
    for group, g in groups_of(sec).items():
        fpr = g.get("fpr") if usable(g) else None
        if not f.is_num(fpr) or len(cats) >= MAX_CHART_GROUPS:
            continue
        ci = get(g, "ci", "fpr")
        ok = f.interval(ci) != f.DASH and f.is_num(ci[1])
        o = obs_groups.get(group)
        o_fpr = o.get("fpr") if usable(o) else None
        cats.append(chart_label(group))
        truth.append(fpr)
        lows.append(ci[0] if ok else None)
        highs.append(ci[1] if ok else None)
        seen.append(o_fpr if f.is_num(o_fpr) else None)
        marks.append("ref" if group == ref else "main")
    if not cats:
        return None
    series = [
        {
            "label": "truth" if both else "wrongful blacklisting rate",
            "values": truth,
            "low": lows,
            "high": highs,
            "role": "truth",
        }
    ]
    if both:
        series.append(
            {"label": "records", "values": seen, "low": None, "high": None, "role": "records"}
        )
    return {
        "kind": "bars",
        "id": pid,
        "alt": (
            f"Bar chart: wrongful blacklisting rate by {f.short(attr, 80)} with its "
            f"{f.ci_label(level)}"
            + (", truth beside records" if both else "")
            + ". The table below gives the numbers."
        ),
        "categories": cats,
        "series": series,
        "marks": marks,
        "xlabel": f"wrongful blacklisting rate (FPR; bars: {f.ci_label(level)})",
        "percent": True,
    }


def _highest_fpr_intersections(inter: Mapping, obs_inter: Mapping, both: bool) -> dict | None:
    items = []
    for name, sec in inter.items():
        for group, g in groups_of(sec).items():
            v = g.get("fpr") if usable(g) else None
            if f.is_num(v):
                o = get(obs_inter, name, "groups", group)
                seen = o.get("fpr") if usable(o) else None
                items.append((v, str(name), str(group), seen if f.is_num(seen) else None))
    if not items:
        return None
    items.sort(key=lambda t: (-t[0], t[1], t[2]))
    top = items[:TOP_INTERSECTIONS]
    series = [
        {
            "label": "truth" if both else "wrongful blacklisting rate",
            "values": [t[0] for t in top],
            "low": None,
            "high": None,
            "role": "truth",
        }
    ]
    if both:
        series.append(
            {
                "label": "records",
                "values": [t[3] for t in top],
                "low": None,
                "high": None,
                "role": "records",
            }
        )
    cols = ["Intersection", "Group", "Wrongful rate (truth)#" if both else "Wrongful rate (FPR)#"]
    cols += ["Wrongful rate (records)#"] if both else []
    return {
        "kind": "bars",
        "id": "errors-inter",
        "alt": (
            f"Bar chart: the {len(top)} intersectional groups with the highest wrongful "
            "blacklisting rates"
            + (", truth beside records" if both else "")
            + ". The tables below give every group."
        ),
        "categories": [chart_label(t[2], 48) for t in top],
        "series": series,
        "marks": ["main"] * len(top),
        "xlabel": "wrongful blacklisting rate (FPR)",
        "percent": True,
        "caption": f"The {len(top)} intersectional groups most often wrongly blacklisted",
        "table": table(
            f"The {len(top)} highest wrongful blacklisting rates across intersections",
            cols,
            [
                [cell(n), cell(g), num_cell(v)] + ([num_cell(s)] if both else [])
                for v, n, g, s in top
            ],
        ),
    }
