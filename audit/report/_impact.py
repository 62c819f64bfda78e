"""The disparate-impact and error-rate sections of the report view: per attribute a chart and a table,
fairlearn-style aggregates, the NYC LL144 view, and the intersections (one chart of the extremes, a
table each).

What it must not do: compute statistics (it selects, orders, labels and formats numbers given in
audit.json), import fairlearn or shap, or emit HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.report import _format as f
from audit.report._view import (
    MAX_CHART_GROUPS,
    aggregate,
    cell,
    chart_label,
    get,
    groups_of,
    interval_cell,
    is_synthetic,
    kv_tree,
    mapping,
    num_cell,
    table,
    unavailable,
    usable,
)

TOP_INTERSECTIONS = 15


METRIC_LABELS = {
    "adverse_rate": "Adverse rate",
    "favourable_rate": "Favourable rate",
    "fpr": "Wrongful blacklisting rate (FPR)",
    "fnr": "Missed-risk rate (FNR)",
    "ppv": "Precision (PPV)",
    "fdr": "False discovery rate (FDR)",
    "for": "False omission rate (FOR)",
    "accuracy": "Accuracy",
    "impact_ratio": "Impact ratio",
}


def impact_section(data: Mapping) -> dict:
    attrs = mapping(data.get("attributes"))
    if not attrs:
        return unavailable("the audit result has no attributes block")
    parts = [_impact_part(f"impact-{i}", attr, sec) for i, (attr, sec) in enumerate(attrs.items())]
    inter = mapping(data.get("intersections"))
    inter_tables = [
        {
            "title": f.short(name, 200),
            "reference": f.short(sec.get("reference"), 200),
            "table": _impact_table(name, sec),
        }
        for name, sec in inter.items()
    ]
    return {
        "available": True,
        "parts": parts,
        "intersections": inter_tables,
        "inter_chart": _lowest_intersections(inter),
        "inter_summary": _aggregates_table(
            "Disparities within each intersection", inter, ("adverse_rate", "fpr")
        )
        if inter
        else None,
    }


def _four_fifths_cell(g: Mapping) -> dict:
    ff = g.get("four_fifths")
    if ff == "fail":
        return cell("FAIL", "fail", "fail")
    if ff == "pass":
        return cell("pass", "pass", "pass")
    return cell("too small" if g.get("small") else f.DASH, "")


def _impact_table(name: str, sec: Mapping) -> dict:
    ref = sec.get("reference")
    rows = []
    for group, g in groups_of(sec).items():
        rows.append(
            [
                cell(f.text(group) + (" (reference)" if group == ref else ""), f.text(group)),
                num_cell(g.get("n"), f.count),
                num_cell(g.get("adverse_rate")),
                interval_cell(get(g, "ci", "adverse_rate")),
                num_cell(
                    g.get("impact_ratio"), f.ratio, "fail" if g.get("four_fifths") == "fail" else ""
                ),
                interval_cell(get(g, "ci", "impact_ratio"), f.ratio),
                _four_fifths_cell(g),
                num_cell(get(g, "tests", "adverse_rate", "p_holm"), f.pvalue),
            ]
        )
    return table(
        f"Adverse decisions by {f.short(name, 80)}",
        [
            "Group",
            "People#",
            "Adverse rate#",
            "95% CI#",
            "Impact ratio#",
            "95% CI#",
            "Four-fifths",
            "p (Holm)#",
        ],
        rows,
        note="p: test of the group's adverse rate against the reference group's, Holm-adjusted.",
    )


def _impact_part(pid: str, attr: str, sec: Mapping) -> dict:
    ref = sec.get("reference")
    cats, rates, lows, highs, ratios, marks = [], [], [], [], [], []
    for group, g in groups_of(sec).items():
        if not (usable(g) and f.is_num(g.get("adverse_rate"))) or len(cats) >= MAX_CHART_GROUPS:
            continue
        ci = get(g, "ci", "adverse_rate")
        ok = f.interval(ci) != f.DASH
        cats.append(chart_label(group))
        rates.append(g["adverse_rate"])
        lows.append(ci[0] if ok else None)
        highs.append(ci[1] if ok else None)
        ratios.append(g.get("impact_ratio") if f.is_num(g.get("impact_ratio")) else None)
        marks.append(
            "ref" if group == ref else ("fail" if g.get("four_fifths") == "fail" else "main")
        )
    chart = None
    if cats:
        chart = {
            "kind": "impact",
            "id": pid,
            "alt": (
                f"Bar charts by {f.short(attr, 80)}: adverse rate with its confidence interval, and the impact "
                "ratio against the 0.8 line. The table below gives the numbers."
            ),
            "categories": cats,
            "rates": rates,
            "low": lows,
            "high": highs,
            "ratios": ratios,
            "marks": marks,
            "line": 0.8,
        }
    return {
        "id": pid,
        "title": f.short(attr, 200),
        "reference": f.short(ref, 200),
        "chart": chart,
        "table": _impact_table(attr, sec),
        "aggregates": _aggregates_table(f"Disparities by {f.short(attr, 80)}", {attr: sec}, None),
        "ll144": _ll144(attr, sec.get("ll144")),
    }


def _aggregates_table(caption: str, sections: Mapping, metrics: tuple | None) -> dict | None:
    """fairlearn-style aggregates: largest difference and smallest ratio between groups, with intervals."""
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
    return table(
        caption,
        lead + ["Metric", "Largest difference#", "95% CI#", "Smallest ratio#", "95% CI#"],
        rows,
        note="Between the groups large enough to report (fairlearn's between_groups aggregation); "
        "intervals by bootstrap.",
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
        f"Categories under {f.pct(share, 0)} of people may be excluded from impact ratios. "
        f"Reference: {f.text(ll.get('reference'))}; excluding small categories: "
        f"{f.text(ll.get('reference_excluding_small_categories'))}"
        + (" (the reference changes)." if ll.get("changes_reference") else ".")
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


def _lowest_intersections(inter: Mapping) -> dict | None:
    """Chart of the intersectional groups with the lowest impact ratios, across every intersection."""
    items = []
    for name, sec in inter.items():
        ref = sec.get("reference")
        for group, g in groups_of(sec).items():
            v = g.get("impact_ratio")
            if usable(g) and f.is_num(v) and group != ref:
                items.append((v, str(name), str(group), g.get("four_fifths")))
    if not items:
        return None
    items.sort(key=lambda t: (t[0], t[1], t[2]))
    top = items[:TOP_INTERSECTIONS]
    return {
        "kind": "bars",
        "id": "impact-inter",
        "alt": (
            f"Bar chart: the {len(top)} intersectional groups with the lowest impact ratios, against the 0.8 line. "
            "The tables below give every group."
        ),
        "categories": [chart_label(group, 48) for _, _, group, _ in top],
        "series": [
            {
                "label": "impact ratio",
                "values": [v for v, *_ in top],
                "low": None,
                "high": None,
                "role": "truth",
            }
        ],
        "marks": ["fail" if ff == "fail" else "main" for *_, ff in top],
        "xlabel": "impact ratio (favourable rate ÷ the reference group's)",
        "percent": False,
        "vline": 0.8,
        "caption": f"The {len(top)} intersectional groups with the lowest impact ratios",
        "table": table(
            f"The {len(top)} lowest impact ratios across intersections",
            ["Intersection", "Group", "Impact ratio#"],
            [
                [cell(n), cell(g), num_cell(v, f.ratio, "fail" if ff == "fail" else "")]
                for v, n, g, ff in top
            ],
        ),
    }


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
        _errors_part(f"errors-{i}", attr, sec, get(obs, attr), both)
        for i, (attr, sec) in enumerate(attrs.items())
    ]
    inter = mapping(data.get("intersections"))
    inter_tables = [
        {"title": f.short(name, 200), "table": _errors_table(name, sec, get(obs_inter, name), both)}
        for name, sec in inter.items()
    ]
    if both:
        intro = (
            "Truth: who in truth would default or violate, known because the population is synthetic. "
            "Records: the label an auditor would find in the institution's files. Where defaults are "
            "over-recorded for a group, blacklisting that group looks justified on paper; the gap column "
            "is the harm an audit from records alone would miss."
        )
    else:
        intro = (
            "Measured against the recorded label only: no ground truth is available, so these rates "
            "inherit any bias in the records."
        )
    return {
        "available": True,
        "both": both,
        "intro": intro,
        "parts": parts,
        "intersections": inter_tables,
        "inter_chart": _highest_fpr_intersections(inter, obs_inter, both),
    }


def _errors_table(name: str, sec: Mapping, obs_sec: Any, both: bool) -> dict:
    ref = sec.get("reference")
    obs_groups = groups_of(obs_sec)
    rows = []
    for group, g in groups_of(sec).items():
        counts = mapping(g.get("counts"))
        fpr = g.get("fpr") if usable(g) else None
        row = [
            cell(f.text(group) + (" (reference)" if group == ref else ""), f.text(group)),
            num_cell(counts.get("fp"), f.count),
            num_cell(fpr),
            interval_cell(get(g, "ci", "fpr")),
        ]
        if both:
            o = obs_groups.get(group)
            seen = o.get("fpr") if usable(o) else None
            gap = fpr - seen if f.is_num(fpr) and f.is_num(seen) else None
            row += [
                num_cell(seen),
                num_cell(gap, f.pp, "fail" if f.is_num(gap) and gap > 0.01 else ""),
            ]
        row += [
            num_cell(g.get("fnr")),
            num_cell(g.get("ppv")),
            num_cell(g.get("fdr")),
            num_cell(g.get("for")),
            num_cell(g.get("auc"), f.ratio),
            num_cell(get(g, "tests", "fpr", "p_holm"), f.pvalue),
        ]
        rows.append(row)
    cols = ["Group", "Wrongly blacklisted#", "Wrongful rate (FPR)#", "95% CI#"]
    if both:
        cols = [
            "Group",
            "Wrongly blacklisted#",
            "Wrongful rate (truth)#",
            "95% CI#",
            "Wrongful rate (records)#",
            "Gap#",
        ]
    cols += ["FNR#", "PPV#", "FDR#", "FOR#", "AUC#", "p (Holm)#"]
    note = (
        "Gap: wrongful blacklisting rate in truth minus in the records, in percentage points. "
        if both
        else ""
    )
    note += (
        "FNR: missed-risk rate. AUC: how well the score ranks people of this group. p: test of the group's "
        "wrongful blacklisting rate against the reference group's, Holm-adjusted."
    )
    return table(f"Error rates by {f.short(name, 80)}", cols, rows, note=note)


def _errors_part(pid: str, attr: str, sec: Mapping, obs_sec: Any, both: bool) -> dict:
    ref = sec.get("reference")
    obs_groups = groups_of(obs_sec)
    cats, truth, lows, highs, seen, marks = [], [], [], [], [], []
    for group, g in groups_of(sec).items():
        fpr = g.get("fpr") if usable(g) else None
        if not f.is_num(fpr) or len(cats) >= MAX_CHART_GROUPS:
            continue
        ci = get(g, "ci", "fpr")
        ok = f.interval(ci) != f.DASH
        o = obs_groups.get(group)
        o_fpr = o.get("fpr") if usable(o) else None
        cats.append(chart_label(group))
        truth.append(fpr)
        lows.append(ci[0] if ok else None)
        highs.append(ci[1] if ok else None)
        seen.append(o_fpr if f.is_num(o_fpr) else None)
        marks.append("ref" if group == ref else "main")
    chart = None
    if cats:
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
        chart = {
            "kind": "bars",
            "id": pid,
            "alt": (
                f"Bar chart: wrongful blacklisting rate by {f.short(attr, 80)}"
                + (", truth beside records" if both else "")
                + ". The table below gives the numbers."
            ),
            "categories": cats,
            "series": series,
            "marks": marks,
            "xlabel": "wrongful blacklisting rate (FPR)",
            "percent": True,
        }
    return {
        "id": pid,
        "title": f.short(attr, 200),
        "chart": chart,
        "table": _errors_table(attr, sec, obs_sec, both),
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
            f"Bar chart: the {len(top)} intersectional groups with the highest wrongful blacklisting rates"
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
