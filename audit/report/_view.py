"""Building blocks of the view dict: cells, tables, free-form key/value trees, safe dict access.

What it must not do: compute statistics or emit HTML. A cell holds display text and a sort key; a
table holds column labels and rows of cells; the templates render both the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.report import _format as f


def get(d: Any, *path: str, default: Any = None) -> Any:
    """``d[path[0]][path[1]]...`` or `default` when any step is missing or not a dict."""
    for key in path:
        if not isinstance(d, Mapping) or key not in d:
            return default
        d = d[key]
    return d


def mapping(value: Any) -> dict:
    """`value` if it is a non-empty dict, else an empty dict (audit.json sections may be null)."""
    return dict(value) if isinstance(value, Mapping) else {}


def cell(
    display: Any, sort: Any = None, cls: str = "", title: str | None = None, limit: int = 200
) -> dict:
    """A table cell: display text (cut to `limit` characters, full text in ``title``), sort key, class."""
    txt = display if isinstance(display, str) else f.text(display)
    full = title if title is not None else txt
    shown = f.short(txt, limit)
    if isinstance(sort, bool):
        sort = int(sort)
    if isinstance(sort, float):
        # six significant digits order any two displayed values; keeps the page small
        sort = float(f"{sort:.6g}") if f.is_num(sort) else None
    if isinstance(sort, str) and sort == shown:
        sort = None  # the script sorts by the cell's text when there is no key
    return {"text": shown, "sort": sort, "cls": cls, "title": full if shown != full else ""}


def num_cell(x: Any, fmt=f.pct, cls: str = "") -> dict:
    """A numeric cell: `x` formatted with `fmt`, sorted by `x` (blank sort key when undefined)."""
    return cell(fmt(x), x if f.is_num(x) else None, cls)


def interval_cell(pair: Any, fmt=f.pct) -> dict:
    text = f.interval(pair, fmt)
    return cell(text, pair[0] if text != f.DASH else None)


#: what a rate reads when its own denominator is below the minimum group size (never 0 or 1)
INSUFFICIENT = "insufficient data"


def insufficient(g: Any, metric: str) -> bool:
    """True when the group is too small, or the rate's own denominator is below the minimum."""
    return isinstance(g, Mapping) and bool(
        g.get("small") or metric in (g.get("insufficient") or [])
    )


def rate_cell(g: Any, metric: str, fmt=f.pct) -> dict:
    """A group's rate: "insufficient data" where its denominator is too small, else the number."""
    if insufficient(g, metric):
        return cell(INSUFFICIENT, cls="small")
    return num_cell(get(g, metric), fmt)


def rate_interval_cell(g: Any, metric: str) -> dict:
    return cell(f.DASH) if insufficient(g, metric) else interval_cell(get(g, "ci", metric))


def table(
    caption: str,
    columns: list[str],
    rows: list[list[dict]],
    *,
    note: str = "",
    sortable: bool = True,
) -> dict:
    """A table. A column label ending in '#' marks a numeric (right-aligned) column.

    Long grids (histograms, sweeps) pass ``sortable=False``: no sort keys, a smaller page.
    """
    cols = [{"label": c[:-1] if c.endswith("#") else c, "num": c.endswith("#")} for c in columns]
    for row in rows:
        if len(row) != len(cols):
            raise ValueError(
                f"table {caption!r}: a row has {len(row)} cells for {len(cols)} columns"
            )
    if not sortable:
        rows = [[{**c, "sort": None} for c in row] for row in rows]
    return {"caption": caption, "columns": cols, "rows": rows, "note": note, "sortable": sortable}


def unavailable(reason: str) -> dict:
    """A section that cannot be shown, and why (the template prints 'Not available: <reason>.')."""
    return {"available": False, "reason": reason}


def kv_tree(value: Any, depth: int = 0) -> list[dict]:
    """Any JSON value as nested label/text items, for parts whose shape is free-form."""
    if isinstance(value, Mapping):
        pairs = [(f.humanize(k), value[k]) for k in sorted(value, key=str)]
    elif isinstance(value, list):
        pairs = [(str(i), v) for i, v in enumerate(value[:50], 1)]
    else:
        return [{"label": "", "text": f.short(f.text(value), 400), "children": []}]
    items = []
    for label, v in pairs:
        nested = isinstance(v, Mapping) or (
            isinstance(v, list) and any(isinstance(x, Mapping | list) for x in v)
        )
        if nested and depth < 3 and v:
            items.append({"label": label, "text": "", "children": kv_tree(v, depth + 1)})
        else:
            items.append({"label": label, "text": f.short(compact(v), 400), "children": []})
    return items


def compact(value: Any, depth: int = 0) -> str:
    """A JSON value as one line of text: ``by: ethnicity; weights: {Hui: 0.4, Tibetan: 0.8}``."""
    if isinstance(value, Mapping):
        if not value:
            return "none"
        inner = "; ".join(f"{k}: {compact(v, depth + 1)}" for k, v in value.items())
        return f"{{{inner}}}" if depth else inner
    if isinstance(value, list):
        return "[" + ", ".join(compact(v, depth + 1) for v in value) + "]"
    return f.text(value)


# --- reading audit.json -----------------------------------------------------------------------------

#: most groups drawn in one chart (the table under it lists them all)
MAX_CHART_GROUPS = 20
#: intersectional groups drawn in a section's chart of the extremes
TOP_INTERSECTIONS = 15


def usable(block: Any) -> bool:
    return isinstance(block, Mapping) and not block.get("small")


#: how each reference rule reads (``reference_rule`` of every grouping)
REFERENCE_RULES = {
    "named": "named by the user or the scenario",
    "combined": "the combination of its attributes' reference groups",
    "largest": "the largest group (most people)",
}


def reference_words(section: Any) -> str:
    """``Han, named by the user or the scenario``: a grouping's reference group and why."""
    rule = get(section, "reference_rule")
    why = REFERENCE_RULES.get(rule, f.text(rule)) if rule is not None else ""
    ref = f.short(get(section, "reference"), 200)
    return f"{ref}, {why}" if why else ref


def confidence(data: Mapping) -> Any:
    """The audit's confidence level (``meta.confidence``), or None."""
    return get(data, "meta", "confidence")


def groups_of(section: Any) -> dict:
    return mapping(get(section, "groups"))


def is_synthetic(data: Mapping) -> bool:
    """True when the audit has an observed-label block beside the ground truth."""
    return bool(mapping(get(data, "observed", "attributes")))


def chart_label(s: Any, limit: int = 40) -> str:
    """A chart label: short, so a 10 kB group name does not stretch the figure (the table has it all)."""
    return f.short(f.text(s), limit)


def groupings(data: Mapping) -> dict:
    return {**mapping(data.get("attributes")), **mapping(data.get("intersections"))}


def aggregate(section: Any, kind: str, metric: str) -> tuple[Any, Any]:
    """(value, interval) of ``differences``/``ratios`` for a metric, between groups."""
    entry = get(section, kind, metric)
    if isinstance(entry, Mapping):
        return entry.get("between_groups"), get(entry, "ci", "between_groups")
    return entry, None
