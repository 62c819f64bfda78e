"""The disparate-impact section of the report view: per attribute a chart and a table of adverse
rates, impact ratios (four-fifths rule) and blacklisting ratios, each with its interval and judged
outcome; fairlearn-style aggregates, the homogeneity tests, the NYC LL144 view, and the
intersections (one chart of the extremes, a table each).

What it must not do: compute statistics (it selects, orders, labels and formats numbers given in
audit.json), import fairlearn or shap, or emit HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.report import _format as f
from audit.report._judged import outcome_cell, ratio_cells, ratio_columns, ratio_note, threshold
from audit.report._view import (
    MAX_CHART_GROUPS,
    TOP_INTERSECTIONS,
    aggregate,
    cell,
    chart_label,
    confidence,
    get,
    groups_of,
    interval_cell,
    kv_tree,
    mapping,
    num_cell,
    rate_cell,
    rate_interval_cell,
    reference_words,
    table,
    unavailable,
    usable,
)

#: the criteria this section shows beside the adverse rate
SHOWN = ("four_fifths", "adverse_ratio")

METRIC_LABELS = {
    "adverse_rate": "Adverse rate",
    "favourable_rate": "Favourable rate",
    "fpr": "Wrongful blacklisting rate (FPR)",
    "fnr": "Missed-risk rate (FNR)",
    "ppv": "Precision (PPV)",
    "fdr": "False discovery rate (FDR)",
    "for": "False omission rate (FOR)",
    "accuracy": "Accuracy",
}

WHY_BOTH = (
    "Both ratios are shown because, with a rare adverse outcome, favourable rates are all close "
    "to 1: a group blacklisted 10 % of the time against the reference's 4 % has an impact ratio "
    "of 0.90 ÷ 0.96 = 0.94 and passes the four-fifths rule, while it is blacklisted 2.5 times as "
    "often. The blacklisting ratio shows that directly."
)


def impact_section(data: Mapping) -> dict:
    attrs = mapping(data.get("attributes"))
    if not attrs:
        return unavailable("the audit result has no attributes block")
    parts = [
        _impact_part(f"impact-{i}", attr, sec, data) for i, (attr, sec) in enumerate(attrs.items())
    ]
    inter = mapping(data.get("intersections"))
    inter_tables = [
        {
            "title": f.short(name, 200),
            "reference": reference_words(sec),
            "table": _impact_table(name, sec, data),
        }
        for name, sec in inter.items()
    ]
    return {
        "available": True,
        "why_both": WHY_BOTH,
        "parts": parts,
        "intersections": inter_tables,
        "inter_chart": _highest_intersections(inter, _band_line(data)),
        "inter_summary": _aggregates_table(
            "Disparities within each intersection", inter, ("adverse_rate", "fpr"), data
        )
        if inter
        else None,
    }


def _band_line(data: Mapping) -> float:
    """Where the chart draws the band's upper end for the blacklisting ratio (1 / t)."""
    t = threshold(data, "adverse_ratio")
    t = t if f.is_num(t) and 0 < t <= 1 else 0.8
    return round(1 / t, 4)


def _impact_table(name: str, sec: Mapping, data: Mapping) -> dict:
    ref = sec.get("reference")
    rows = []
    for group, g in groups_of(sec).items():
        row = [
            cell(f.text(group) + (" (reference)" if group == ref else ""), f.text(group)),
            num_cell(g.get("n"), f.count),
            rate_cell(g, "adverse_rate"),
            rate_interval_cell(g, "adverse_rate"),
        ]
        for name_ in SHOWN:
            row += ratio_cells(sec, group, g, name_)
        rows.append([*row, num_cell(get(g, "tests", "adverse_rate", "p_holm"), f.pvalue)])
    columns = ["Group", "People#", "Adverse rate#", f"{f.ci_label(confidence(data))}#"]
    for name_ in SHOWN:
        columns += ratio_columns(data, name_)
    return table(
        f"Adverse decisions by {f.short(name, 80)}",
        [*columns, "p (Holm)#"],
        rows,
        note=ratio_note(data, SHOWN) + " p: test of the group's adverse rate against the "
        "reference group's, Holm-adjusted.",
    )


def _homogeneity(sec: Mapping) -> str:
    """Whether all groups could share one rate (the k×2 tests), in one sentence."""
    parts = []
    for metric, words in (("adverse_rate", "adverse rate"), ("fpr", "wrongful blacklisting rate")):
        test = get(sec, "homogeneity", metric)
        if isinstance(test, Mapping) and f.is_num(test.get("p_holm")):
            how = "χ²" if test.get("method") == "chi2" else "Monte Carlo exact"
            parts.append(f"one {words}: p (Holm) {f.pvalue(test['p_holm'])} ({how})")
    if not parts:
        return ""
    return "Test that every group shares " + "; ".join(parts) + "."


def _impact_part(pid: str, attr: str, sec: Mapping, data: Mapping) -> dict:
    return {
        "id": pid,
        "title": f.short(attr, 200),
        "reference": reference_words(sec),
        "chart": _impact_chart(pid, attr, sec, _band_line(data), confidence(data)),
        "table": _impact_table(attr, sec, data),
        "homogeneity": _homogeneity(sec),
        "aggregates": _aggregates_table(
            f"Disparities by {f.short(attr, 80)}", {attr: sec}, None, data
        ),
        "ll144": _ll144(attr, sec.get("ll144")),
    }


def _mark(group: Any, ref: Any, g: Mapping) -> str:
    if group == ref:
        return "ref"
    outcomes = [get(g, "judged", c, "outcome") for c in SHOWN]
    return "fail" if "fail" in outcomes else "main"


def _impact_chart(pid: str, attr: str, sec: Mapping, line: float, level: Any) -> dict | None:
    ref = sec.get("reference")
    cats, rates, lows, highs, ratios, marks = [], [], [], [], [], []
    for group, g in groups_of(sec).items():
        if not (usable(g) and f.is_num(g.get("adverse_rate"))) or len(cats) >= MAX_CHART_GROUPS:
            continue
        ci = get(g, "ci", "adverse_rate")
        ok = f.interval(ci) != f.DASH and f.is_num(ci[1])
        ratio = get(g, "ratio", "adverse_rate")
        cats.append(chart_label(group))
        rates.append(g["adverse_rate"])
        lows.append(ci[0] if ok else None)
        highs.append(ci[1] if ok else None)
        ratios.append(ratio if f.is_num(ratio) else None)
        marks.append(_mark(group, ref, g))
    if not cats:
        return None
    return {
        "kind": "impact",
        "id": pid,
        "alt": (
            f"Bar charts by {f.short(attr, 80)}: adverse rate with its {f.ci_label(level)}, and "
            f"the blacklisting ratio to the reference group against the line at {line:g}. The "
            "table below gives the numbers."
        ),
        "categories": cats,
        "rates": rates,
        "low": lows,
        "high": highs,
        "ratios": ratios,
        "marks": marks,
        "line": line,
        "rate_title": f"adverse rate ({f.ci_label(level)})",
        "ratio_title": f"blacklisting ratio (line at {line:g})",
    }


def _aggregates_table(
    caption: str, sections: Mapping, metrics: tuple | None, data: Mapping
) -> dict | None:
    """fairlearn-style aggregates: largest difference and smallest ratio between groups, with
    their simultaneous intervals."""
    rows = []
    for name, sec in sections.items():
        keys = list(
            dict.fromkeys([*mapping(get(sec, "differences")), *mapping(get(sec, "ratios"))])
        )
        for metric in keys:
            if metrics is not None and metric not in metrics:
                continue
            d, dci = aggregate(sec, "differences", metric)
            r, rci = aggregate(sec, "ratios", metric)
            lead = [cell(f.text(name))] if len(sections) > 1 else []
            rows.append(
                lead
                + [
                    cell(METRIC_LABELS.get(metric, f.humanize(metric))),
                    num_cell(d, f.pp),
                    interval_cell(dci, f.pp),
                    num_cell(r, f.ratio),
                    interval_cell(rci, f.ratio),
                ]
            )
    if not rows:
        return None
    lead = ["Grouping"] if len(sections) > 1 else []
    bounds = f"Simultaneous {f.level(confidence(data))} bounds#"
    return table(
        caption,
        lead + ["Metric", "Largest difference#", bounds, "Smallest ratio#", bounds],
        rows,
        note="Between the groups whose rate has enough data (fairlearn's between_groups "
        "aggregation). Each interval holds over every pair of groups at once: MOVER intervals "
        "of each pair from exact (Clopper–Pearson) rate intervals, at the Bonferroni level.",
    )


def _ll144(attr: str, ll: Any) -> dict | None:
    if not isinstance(ll, Mapping):
        return None
    rows_in = mapping(ll.get("rows"))
    if not rows_in:
        return {"tree": kv_tree(ll), "table": None, "note": ""}
    rows = [
        [
            cell(f.text(g)),
            num_cell(r.get("n"), f.count),
            num_cell(r.get("share")),
            cell("excluded" if r.get("excluded") else "", int(bool(r.get("excluded")))),
            num_cell(r.get("adverse_rate")),
            num_cell(r.get("impact_ratio"), f.ratio),
            num_cell(r.get("impact_ratio_excluding_small_categories"), f.ratio),
        ]
        for g, r in rows_in.items()
        if isinstance(r, Mapping)
    ]
    share = ll.get("min_share")
    note = (
        "A description in the regulator's terms, not part of the verdict: impact ratios here "
        "divide by the most favoured category (highest favourable rate), which is chosen after "
        f"seeing the outcomes. Categories under {f.pct(share, 0)} of people may be excluded. "
        f"Most favoured: {f.text(ll.get('reference'))}; excluding small categories: "
        f"{f.text(ll.get('reference_excluding_small_categories'))}"
        + (" (it changes)." if ll.get("changes_reference") else ".")
        + (
            f" {f.count(ll['unknown'])} people of unknown category."
            if f.is_num(ll.get("unknown"))
            else ""
        )
    )
    return {
        "tree": None,
        "table": table(
            f"NYC Local Law 144 view of {f.short(attr, 80)}",
            [
                "Category",
                "People#",
                "Share#",
                "Under the minimum share",
                "Adverse rate#",
                "Impact ratio#",
                "Impact ratio, small excluded#",
            ],
            rows,
        ),
        "note": note,
    }


def _highest_intersections(inter: Mapping, line: float) -> dict | None:
    """Chart of the intersectional groups blacklisted most often relative to their reference."""
    items = []
    for name, sec in inter.items():
        ref = sec.get("reference")
        for group, g in groups_of(sec).items():
            v = get(g, "ratio", "adverse_rate")
            if usable(g) and f.is_num(v) and group != ref:
                items.append(
                    (v, str(name), str(group), get(g, "judged", "adverse_ratio", "outcome"))
                )
    if not items:
        return None
    items.sort(key=lambda t: (-t[0], t[1], t[2]))
    top = items[:TOP_INTERSECTIONS]
    return {
        "kind": "bars",
        "id": "impact-inter",
        "alt": (
            f"Bar chart: the {len(top)} intersectional groups with the highest blacklisting "
            f"ratios, against the line at {line:g}. The tables below give every group."
        ),
        "categories": [chart_label(group, 48) for _, _, group, _ in top],
        "series": [
            {
                "label": "blacklisting ratio",
                "values": [v for v, *_ in top],
                "low": None,
                "high": None,
                "role": "truth",
            }
        ],
        "marks": ["fail" if o == "fail" else "main" for *_, o in top],
        "xlabel": "blacklisting ratio (adverse rate ÷ the reference group's)",
        "percent": False,
        "vline": line,
        "caption": f"The {len(top)} intersectional groups blacklisted most often relative to "
        "their reference group",
        "table": table(
            f"The {len(top)} highest blacklisting ratios across intersections",
            ["Intersection", "Group", "Blacklisting ratio#", "Judged"],
            [
                [
                    cell(n),
                    cell(g),
                    num_cell(v, f.ratio, "fail" if o == "fail" else ""),
                    outcome_cell(o),
                ]
                for v, n, g, o in top
            ],
        ),
    }
