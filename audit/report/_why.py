"""The 'why' section of the report view: SHAP score-gap decomposition per group and suspected proxies.

What it must not do: compute statistics (it selects, orders, labels and formats numbers given in
audit.json), import fairlearn or shap, or emit HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.report import _format as f
from audit.report._view import (
    cell,
    chart_label,
    get,
    groups_of,
    interval_cell,
    kv_tree,
    mapping,
    num_cell,
    reference_words,
    table,
    unavailable,
)


def why_section(data: Mapping) -> dict:
    explain = mapping(data.get("explain"))
    if not explain:
        reason = (
            "no scorer was available to query, so the scores cannot be explained"
            if not mapping(data.get("scorer"))
            else "the explanation stage did not run for this audit"
        )
        return unavailable(reason)
    # the explanation's own level (its intervals were computed at it), else the audit's
    level = explain.get("confidence", get(data, "meta", "confidence"))
    parts = [
        _why_part(f"why-{i}", attr, sec, level, get(data, "attributes", attr))
        for i, (attr, sec) in enumerate(mapping(explain.get("attributes")).items())
    ]
    method = []
    if explain.get("method"):
        method.append(
            f"Method: {f.text(explain['method'])}"
            + (f" ({f.text(explain['method_note'])})" if explain.get("method_note") else "")
            + "."
        )
    bg = mapping(explain.get("background"))
    if bg:
        method.append(
            f"Background sample: {f.count(bg.get('n'))} people ({f.text(bg.get('source'))})."
        )
    if f.is_num(explain.get("n_explained")):
        method.append(f"People explained: {f.count(explain['n_explained'])}.")
    if f.is_num(explain.get("base_value")):
        method.append(
            f"Mean score of the background: {f.points(explain['base_value'], signed=False)}."
        )
    direct = [str(a) for a in mapping(get(data, "scorer", "direct_use"))]
    shown = {
        "attributes",
        "proxies",
        "method",
        "method_note",
        "background",
        "n_explained",
        "base_value",
    }
    return {
        "available": True,
        "method": " ".join(method),
        "parts": parts,
        "direct": (
            f"DIRECT USE: the scorer reads {f.short(', '.join(direct), 300)} itself; the points "
            "that feature carries below are direct use of the protected attribute, and it is not "
            "listed as a proxy of itself."
            if direct
            else ""
        ),
        "proxies": _proxies(explain.get("proxies"), explain.get("proxy_method")),
        "other": kv_tree({k: v for k, v in explain.items() if k not in shown}),
    }


def _gap_chart(pid: str, attr: str, best: tuple) -> tuple[dict, dict, str]:
    """The chart and table of the features behind the largest score gap of a grouping."""
    group, _, ranked = best
    ranked = [kv for kv in ranked if abs(kv[1]) >= 0.05][:12] or ranked[:12]
    chart = {
        "kind": "bars",
        "id": pid,
        "alt": (
            f"Bar chart: the features that make up the score gap between {f.short(group, 80)} and the "
            f"reference group of {f.short(attr, 80)}; the table gives the numbers."
        ),
        "categories": [chart_label(k) for k, _ in ranked],
        "series": [
            {
                "label": "score points",
                "values": [v for _, v in ranked],
                "low": None,
                "high": None,
                "role": "truth",
            }
        ],
        "marks": ["fail" if v < 0 else "main" for _, v in ranked],
        "xlabel": f"score points (negative: lowers {chart_label(group)} against the reference)",
        "percent": False,
        "zero": True,
    }
    features_table = table(
        f"Score gap of {f.short(group, 80)} by feature",
        ["Feature", "Score points#"],
        [[cell(f.text(k)), num_cell(v, f.points)] for k, v in ranked],
    )
    return chart, features_table, f.short(group, 200)


def _why_part(pid: str, attr: str, sec: Any, level: Any, audited: Any) -> dict:
    ref = get(sec, "reference")
    # the audit's reference rule, when the explanation used the same reference group
    same = get(audited, "reference") == ref
    words = reference_words(
        {"reference": ref, "reference_rule": get(audited, "reference_rule")}
        if same
        else {"reference": ref}
    )
    rows, best = [], None
    for group, g in groups_of(sec).items():
        if group == ref or not isinstance(g, Mapping):
            continue
        gap = g.get("score_gap")
        features = mapping(g.get("gap_by_feature"))
        ranked = sorted(
            ((k, v) for k, v in features.items() if f.is_num(v)),
            key=lambda kv: (-abs(kv[1]), str(kv[0])),
        )
        top = "; ".join(f"{f.short(k, 60)} {f.points(v)}" for k, v in ranked[:3] if abs(v) >= 0.05)
        if f.is_num(gap) and ranked and (best is None or abs(gap) > abs(best[1])):
            best = (group, gap, ranked)
        rows.append(
            [
                cell(f.text(group)),
                num_cell(g.get("n_explained"), f.count),
                num_cell(gap, f.points),
                interval_cell(g.get("score_gap_ci", g.get("interval")), f.points),
                num_cell(g.get("score_gap_population"), f.points),
                cell(top or f.DASH),
            ]
        )
    chart, features_table, group_name = _gap_chart(pid, attr, best) if best else (None, None, "")
    return {
        "id": pid,
        "title": f.short(attr, 200),
        "reference": words,
        "chart": chart,
        "chart_group": group_name,
        "features": features_table,
        "table": table(
            f"Score gap against the reference group, by {f.short(attr, 80)}",
            [
                "Group",
                "People explained#",
                "Score gap (points)#",
                f.ci_label(level),
                "Gap, whole population#",
                "Largest contributions",
            ],
            rows,
            note="Score gap: the group's mean score minus the reference group's in the explained sample, "
            "split by SHAP into each feature's part; the whole-population gap checks the sample.",
        ),
    }


def _proxies(proxies: Any, method: Any) -> dict | None:
    items = [p for p in proxies if isinstance(p, Mapping)] if isinstance(proxies, list) else []
    if not items:
        return None
    rows = []
    for i, p in enumerate(items, 1):
        vs = (
            f"{f.text(p.get('group'))} vs {f.text(p.get('reference'))}"
            if p.get("group") is not None
            else f.DASH
        )
        rows.append(
            [
                num_cell(p.get("rank", i), f.count),
                cell(f.text(p.get("feature"))),
                cell(f.text(p.get("attribute"))),
                cell(vs),
                num_cell(p.get("predictiveness"), f.ratio),
                num_cell(p.get("gap_points"), f.points),
                num_cell(p.get("gap_share")),
            ]
        )
    top = items[:12]
    use_points = all(f.is_num(p.get("gap_points")) for p in top)
    key = "gap_points" if use_points else "gap_share"
    chart = None
    if all(f.is_num(p.get(key)) for p in top):
        chart = {
            "kind": "bars",
            "id": "proxies",
            "alt": "Bar chart: the score gap carried by each suspected proxy; the table gives the numbers.",
            "categories": [
                f"{chart_label(p.get('feature'), 28)} ({chart_label(p.get('group', p.get('attribute')), 20)})"
                for p in top
            ],
            "series": [
                {
                    "label": key,
                    "values": [p[key] for p in top],
                    "low": None,
                    "high": None,
                    "role": "truth",
                }
            ],
            "marks": ["fail"] * len(top),
            "xlabel": "score points of the group's gap" if use_points else "share of the score gap",
            "percent": not use_points,
            "zero": use_points,
        }
    note = "Predictiveness: how well the feature alone tells the group from the reference group (AUC, 0.5 = not at all)."
    if method:
        note += f" Ranking: {f.text(method)}."
    return {
        "chart": chart,
        "table": table(
            "Suspected proxies",
            [
                "Rank#",
                "Feature",
                "Stands in for",
                "Group",
                "Predictiveness#",
                "Points of gap#",
                "Share of gap#",
            ],
            rows,
            note=note,
        ),
    }
