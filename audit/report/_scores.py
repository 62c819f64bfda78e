"""The score section of the report view: score histograms, the threshold sweep (and the data the
page's threshold explorer reads) and calibration by score band.

What it must not do: compute statistics (it selects, orders, labels and formats numbers given in
audit.json), import fairlearn or shap, or emit HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.report import _format as f
from audit.report._view import (
    MAX_CHART_GROUPS,
    cell,
    chart_label,
    get,
    kv_tree,
    mapping,
    num_cell,
    table,
    unavailable,
)


def scores_section(data: Mapping) -> dict:
    attrs = mapping(data.get("attributes"))
    kinds = ("score_histogram", "threshold_sweep", "calibration")
    if not any(isinstance(sec.get(k), Mapping) for sec in attrs.values() for k in kinds):
        if get(data, "meta", "score", default="") is None:
            return unavailable("no score column was given: only yes/no decisions were audited")
        return unavailable("the audit result has no score histograms or threshold sweeps")
    threshold = get(data, "scorer", "threshold")
    parts, sweeps = [], []
    for i, (attr, sec) in enumerate(attrs.items()):
        current = get(sec, "threshold_sweep", "threshold", default=threshold)
        sweep, island = _sweep(f"sweep-{i}", attr, sec.get("threshold_sweep"), len(sweeps), current)
        if island:
            sweeps.append(island)
        parts.append(
            {
                "id": f"scores-{i}",
                "title": f.short(attr, 200),
                "histogram": _histogram(f"hist-{i}", attr, sec.get("score_histogram"), current),
                "sweep": sweep,
                "calibration": _calibration(f"calib-{i}", attr, sec.get("calibration")),
            }
        )
    rule = next(
        (
            get(sec, "threshold_sweep", "rule")
            for sec in attrs.values()
            if get(sec, "threshold_sweep", "rule")
        ),
        None,
    )
    return {
        "available": True,
        "parts": parts,
        "sweeps": sweeps,
        "threshold": f.num(threshold) if f.is_num(threshold) else None,
        "rule": f.text(rule) if rule else None,
    }


def _counts_of(value: Any, k: int) -> list | None:
    """Per-bin counts of one group: a list, or ``{"not_adverse": [...], "adverse": [...]}`` added up."""
    if isinstance(value, list) and len(value) == k and all(f.is_num(v) for v in value):
        return value
    if isinstance(value, Mapping):
        parts = [v for v in value.values() if isinstance(v, list) and len(v) == k]
        if parts and all(f.is_num(x) for p in parts for x in p):
            return [sum(col) for col in zip(*parts, strict=True)]
    return None


def _histogram(pid: str, attr: str, h: Any, current: Any) -> dict | None:
    if not isinstance(h, Mapping):
        return None
    edges = h.get("edges")
    if not (isinstance(edges, list) and len(edges) >= 2 and all(f.is_num(e) for e in edges)):
        return {"tree": kv_tree(h), "chart": None, "table": None}
    k = len(edges) - 1
    usable = {
        g: c for g, v in mapping(h.get("groups")).items() if (c := _counts_of(v, k)) is not None
    }
    if not usable:
        return {"tree": kv_tree(h), "chart": None, "table": None}
    body = [
        [cell(f"{f.num(edges[j])}–{f.num(edges[j + 1])}", edges[j])]
        + [num_cell(c[j], f.count) for c in usable.values()]
        for j in range(k)
    ]
    return {
        "tree": None,
        "chart": {
            "kind": "hist",
            "id": pid,
            "alt": f"Line chart: how each {f.short(attr, 80)} group's scores are spread; the table gives the counts.",
            "edges": edges,
            "series": [
                {"label": chart_label(g), "values": c}
                for g, c in list(usable.items())[:MAX_CHART_GROUPS]
            ],
            "vline": current if f.is_num(current) else None,
            "xlabel": "score (higher = more trustworthy)",
        },
        "table": table(
            f"People per score bin by {f.short(attr, 80)}",
            ["Score bin#"] + [f"{f.short(g, 60)}#" for g in usable],
            body,
            sortable=False,
        ),
    }


SWEEP_METRICS = ("adverse_rate", "fpr", "impact_ratio")

SWEEP_LABELS = {
    "adverse_rate": "adverse rate",
    "fpr": "wrongful blacklisting rate",
    "impact_ratio": "impact ratio",
}


def _sweep(
    pid: str, attr: str, s: Any, index: int, current: Any
) -> tuple[dict | None, dict | None]:
    if not isinstance(s, Mapping):
        return None, None
    thresholds = s.get("thresholds")
    if not (isinstance(thresholds, list) and thresholds and all(f.is_num(t) for t in thresholds)):
        return {"tree": kv_tree(s)}, None
    k = len(thresholds)
    groups = {g: v for g, v in mapping(s.get("groups")).items() if isinstance(v, Mapping)}
    metrics = [
        m
        for m in SWEEP_METRICS
        if groups and all(isinstance(v.get(m), list) and len(v[m]) == k for v in groups.values())
    ]
    if "fpr" not in metrics and "adverse_rate" not in metrics:
        return {"tree": kv_tree(s)}, None
    main = "fpr" if "fpr" in metrics else "adverse_rate"
    shown = [m for m in metrics if m != "impact_ratio"]
    body = [
        [num_cell(thresholds[j], f.num)]
        + [num_cell(v[m][j]) for v in groups.values() for m in shown]
        for j in range(k)
    ]
    start = 0
    if f.is_num(current):
        start = min(range(k), key=lambda j: (abs(thresholds[j] - current), j))
    chart = {
        "kind": "lines",
        "id": pid,
        "alt": (
            f"Line chart: {SWEEP_LABELS[main]} of each {f.short(attr, 80)} group as the blacklisting threshold "
            "moves; the table gives the numbers."
        ),
        "x": thresholds,
        "series": [
            {"label": chart_label(g), "values": v[main]}
            for g, v in list(groups.items())[:MAX_CHART_GROUPS]
        ],
        "vline": current if f.is_num(current) else None,
        "xlabel": "blacklisting threshold",
        "ylabel": SWEEP_LABELS[main],
        "percent": True,
    }
    island = {
        "thresholds": thresholds,
        "start": start,
        "metrics": metrics,
        "formats": ["ratio" if m == "impact_ratio" else "pct" for m in metrics],
        "groups": [{"label": f.text(g), **{m: v[m] for m in metrics}} for g, v in groups.items()],
    }
    return {
        "tree": None,
        "index": index,
        "chart": chart,
        "table": table(
            f"Threshold sweep by {f.short(attr, 80)}",
            ["Threshold#"]
            + [f"{f.short(g, 60)}: {SWEEP_LABELS[m]}#" for g in groups for m in shown],
            body,
            sortable=False,
        ),
        "metric_labels": [SWEEP_LABELS[m] for m in metrics],
    }, island


def _calibration(pid: str, attr: str, c: Any) -> dict | None:
    if not isinstance(c, Mapping):
        return None
    bands = c.get("bands")
    groups = {g: v for g, v in mapping(c.get("groups")).items() if isinstance(v, Mapping)}
    ok = (
        isinstance(bands, list)
        and bands
        and all(isinstance(b, list) and len(b) == 2 and all(f.is_num(x) for x in b) for b in bands)
        and groups
        and all(
            isinstance(v.get("adverse_label_rate"), list)
            and len(v["adverse_label_rate"]) == len(bands)
            for v in groups.values()
        )
    )
    if not ok:
        return {"tree": kv_tree(c), "chart": None, "table": None}
    mids = [(lo + hi) / 2 for lo, hi in bands]
    body = [
        [cell(f"{f.num(lo)}–{f.num(hi)}", lo)]
        + [num_cell(v["adverse_label_rate"][j]) for v in groups.values()]
        for j, (lo, hi) in enumerate(bands)
    ]
    return {
        "tree": None,
        "chart": {
            "kind": "xy",
            "id": pid,
            "alt": (
                f"Line chart: share with an adverse outcome label in each score band, by {f.short(attr, 80)} "
                "group; the table gives the numbers."
            ),
            "series": [
                {"label": chart_label(g), "x": mids, "values": v["adverse_label_rate"]}
                for g, v in list(groups.items())[:MAX_CHART_GROUPS]
            ],
            "xlabel": "score band",
            "ylabel": "share with adverse outcome",
            "percent": True,
        },
        "table": table(
            f"Outcome rate by score band and {f.short(attr, 80)}",
            ["Score band#"] + [f"{f.short(g, 60)}#" for g in groups],
            body,
            sortable=False,
            note="At a well-calibrated score, groups with the same score have the same outcome rate. "
            "Blank: too few people in the band.",
        ),
    }
