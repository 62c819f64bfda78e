"""The case-file section of the report view: wrongful blacklistings by group and cause, counterfactual
twins, and the first case files (all of them go to cases.csv).

What it must not do: compute statistics (it selects, orders, labels and formats numbers given in
audit.json), import fairlearn or shap, or emit HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.report import _format as f
from audit.report._view import (
    cell,
    get,
    mapping,
    num_cell,
    table,
    unavailable,
)

CASES_IN_HTML = 50

#: The one sentence a report without the generator's traces shows instead of causes and failure modes.
NO_CAUSES = (
    "Causes and failure modes are not shown: they come from the traces of the bias mechanisms a "
    "synthetic population injects, and these records have none."
)


def cases_section(data: Mapping, tables: Mapping | None) -> dict:
    """Wrongful blacklistings by group, cause and failure mode, the twins, and the first case
    files; or why there are none."""
    cases = mapping(data.get("cases"))
    frame = (tables or {}).get("cases")
    if not cases and frame is None:
        reason = (
            "case files need a scorer to explain each decision, and this audit has none"
            if not mapping(data.get("scorer"))
            else "the case-file stage did not run for this audit"
        )
        return unavailable(reason)
    cf = mapping(cases.get("case_files"))
    notes = [f.text(cases["label_note"])] if cases.get("label_note") else []
    if cf.get("reasons_note"):
        notes.append("Reasons: " + f.text(cf["reasons_note"]) + ".")
    total = cases.get("n_wrongful", cases.get("total"))
    traced = bool(cases.get("mechanisms")) or bool(mapping(cf.get("by_failure_mode")))
    return {
        "available": True,
        "total": f.count(total) if f.is_num(total) else None,
        "by_group": _by_group(cases),
        "by_cause": _by_cause(cases) if traced else None,
        "by_mode": _by_mode(cf) if traced else None,
        "no_causes": "" if traced else NO_CAUSES,
        "twins": _twins(cf),
        "files": _case_files(frame, data, cases),
        "notes": notes,
    }


def _by_group(cases: Mapping) -> dict | None:
    detail, counts = mapping(cases.get("groups")), mapping(cases.get("count"))
    rows = []
    for attr in dict.fromkeys([*detail, *counts]):
        for group in dict.fromkeys([*mapping(detail.get(attr)), *mapping(counts.get(attr))]):
            d = mapping(get(detail, attr, group))
            rows.append(
                [
                    cell(f.text(attr)),
                    cell(f.text(group)),
                    num_cell(d.get("wrongful", get(counts, attr, group)), f.count),
                    num_cell(d.get("not_adverse"), f.count),
                    num_cell(d.get("rate")),
                ]
            )
    if not rows:
        return None
    return table(
        "Wrongful blacklistings by group",
        ["Attribute", "Group", "Wrongly blacklisted#", "People with a non-adverse label#", "Rate#"],
        rows,
        note="The excess over the reference group's rate, with its interval, is under Error rates.",
    )


def _by_cause(cases: Mapping) -> dict | None:
    causes = mapping(cases.get("by_cause_total"))
    if not causes:
        return None
    return table(
        "Wrongful blacklistings by cause (the first injected mechanism that touched the person)",
        ["Cause", "People#"],
        [
            [cell(f.humanize(c)), num_cell(n, f.count)]
            for c, n in sorted(causes.items(), key=lambda t: (-(t[1] or 0), t[0]))
        ],
    )


def _by_mode(cf: Mapping) -> dict | None:
    modes = mapping(cf.get("by_failure_mode"))
    if not modes:
        return None
    return table(
        "Case files by failure mode",
        ["Failure mode", "Case files#"],
        [[cell(f.text(m)), num_cell(n, f.count)] for m, n in modes.items()],
    )


def _twins(cf: Mapping) -> dict | None:
    rows = [
        [
            cell(f.text(a)),
            cell(f.text(get(t, "reference"))),
            num_cell(get(t, "n"), f.count),
            num_cell(get(t, "not_blacklisted"), f.count),
            num_cell(get(t, "share_not_blacklisted")),
        ]
        for a, t in mapping(cf.get("twins")).items()
    ]
    if not rows:
        return None
    return table(
        "Counterfactual twins: the same person with the reference group's value, scored again",
        ["Attribute", "Twin's group", "Case files with a twin#", "Twin not blacklisted#", "Share#"],
        rows,
        note=f.text(cf.get("twin_note")) if cf.get("twin_note") else "",
    )


def _plain(v: Any) -> Any:
    """A table value as a plain Python value (numpy scalars have .item(); pandas NA becomes None)."""
    try:
        if v is None or v != v:  # NaN, NaT
            return None
    except (TypeError, ValueError):  # pandas NA raises on comparison
        return None
    item = getattr(v, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            return str(v)
    return v


def _case_files(frame: Any, data: Mapping, cases: Mapping) -> dict | None:
    """The first `CASES_IN_HTML` case files as a table (all of them are in cases.csv)."""
    if frame is None or not hasattr(frame, "columns") or not hasattr(frame, "head"):
        return None
    head = frame.head(CASES_IN_HTML)
    columns = [str(c) for c in head.columns]
    records = [
        dict(zip(columns, map(_plain, values), strict=True))
        for values in head.itertuples(index=False, name=None)
    ]
    protected = [a for a in (get(data, "meta", "protected") or []) if str(a) in columns]
    known = {"case_id", "score", "reasons"} <= set(columns)
    modes = "failure_mode" in columns
    if known:
        refs = mapping(cases.get("reference"))
        cols = ["Case", "Who", "Score#", "Reasons the scorer gave", "Records behind them"]
        cols += ["Failure mode"] * modes + ["Twin in the reference group"]
        body = []
        for r in records:
            who = " · ".join(f.text(r.get(str(a))) for a in protected)
            thr = r.get("threshold")
            score = f.num(r.get("score"))
            if f.is_num(thr):
                score += f" (< {f.num(thr)})"
            made = any(f"twin_{a}_blacklisted" in r for a in protected)
            twins = [(a, r.get(f"twin_{a}_blacklisted")) for a in protected]
            twins = sorted(((a, b) for a, b in twins if isinstance(b, bool)), key=lambda t: t[1])
            twin_txt = "; ".join(
                f"as {f.text(refs.get(a, a))}: {'still blacklisted' if b else 'CLEARED'}"
                for a, b in twins
            ) or ("none: in the reference group" if made else "")
            row = [
                cell(f.text(r.get("case_id")), cls="nowrap"),
                cell(who or f.DASH),
                cell(score, r.get("score") if f.is_num(r.get("score")) else None),
                cell(f.text(r.get("reasons"))),
                cell(f.text(r.get("key_records")) if r.get("key_records") else f.DASH),
            ]
            row += [cell(f.text(r.get("failure_mode")))] * modes
            row += [cell(twin_txt or f.DASH, cls="fail" if any(not b for _, b in twins) else "")]
            body.append(row)
    else:
        shown = columns[:12]
        numeric = [all(f.is_num(r[c]) for r in records) and bool(records) for c in shown]
        cols = [c + ("#" if n else "") for c, n in zip(shown, numeric, strict=True)]
        body = [
            [cell(f.text(r[c]), r[c] if f.is_num(r[c]) else None) for c in shown] for r in records
        ]
    n_rows = len(frame)
    note = (
        f"Showing {f.count(len(body))} of {f.count(n_rows)} case files; all are in cases.csv beside this report"
        if n_rows > len(body)
        else "All case files are shown; they are also in cases.csv beside this report"
    )
    note += (
        ", with every column (key records, reason points, twins' scores"
        + (", mechanisms)." if modes else ").")
        if known
        else "."
    )
    return table("Case files: people wrongly blacklisted", cols, body, note=note)
