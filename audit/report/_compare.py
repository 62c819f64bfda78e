"""Compare two audits (two audit.json dicts): what changed, and whether the comparison is fair.

`compare_audits` returns the deltas as plain data (written as ``compare.json``): the methodology fields
that differ (a different label, adverse value, minimum group size, criterion, schema, protected
attributes or reference groups makes the numbers not like for like, and is flagged), the verdicts, and
per group of every grouping both audits share: the adverse rate, impact ratio and wrongful blacklisting
rate in A and in B and their difference. `write_comparison` renders that as a small HTML report with
the same machinery as the audit report.

What it must not do: compute statistics beyond B minus A of numbers both audits give, or import
fairlearn or shap.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from audit.exceptions import InvalidInputError
from audit.report import _format as f
from audit.report._html import render_page
from audit.report._summarize import ALIASES, _criterion_label, _ordered
from audit.report._view import cell, get, mapping, num_cell, table
from audit.report._write import _atomic_dir_write, as_audit_dict, check_json_ready

#: (dotted path, label): a difference here means the two audits did not measure the same thing
METHODOLOGY = [
    ("schema_version", "Schema version"),
    ("meta.label", "Outcome label"),
    ("meta.observed_label", "Recorded label"),
    ("meta.positive", "Adverse value"),
    ("meta.protected", "Protected attributes"),
    ("meta.min_group_size", "Minimum group size"),
    ("meta.criterion", "Criterion judged"),
    ("meta.missing", "Missing-value policy"),
    ("meta.confidence", "Confidence level"),
    ("thresholds", "Thresholds"),
]
#: (dotted path, label): differences here are expected (they are what is being compared)
CONTEXT = [
    ("meta.n", "People"),
    ("meta.seed", "Seed"),
    ("meta.source", "Source"),
    ("meta.data_sha256", "Data SHA-256"),
    ("meta.decision", "Decision column"),
    ("meta.versions.audit", "Tool version"),
    ("population.name", "Scenario"),
    ("scorer.kind", "Scorer"),
    ("scorer.threshold", "Blacklisting threshold"),
]
METRICS = [
    ("adverse_rate", "Adverse rate"),
    ("impact_ratio", "Impact ratio"),
    ("fpr", "Wrongful blacklisting"),
]


def _path(data: Mapping, dotted: str) -> Any:
    return get(data, *dotted.split("."))


def _norm(value: Any, dotted: str) -> Any:
    if dotted == "meta.criterion" and isinstance(value, str):
        return ALIASES.get(value, value)
    if dotted == "thresholds" and isinstance(value, Mapping):
        return {ALIASES.get(k, k): v for k, v in value.items()}
    return value


def _delta(a: Any, b: Any) -> float | None:
    return b - a if f.is_num(a) and f.is_num(b) else None


def compare_audits(a: Any, b: Any, *, labels: Sequence[str] = ("A", "B")) -> dict:
    """The differences between two audits, as plain JSON-ready data.

    Parameters
    ----------
    a, b : AuditResult or dict
        The two audits (``AuditResult`` or their audit.json dicts). B is compared against A.
    labels : pair of str
        Names for A and B in the report (e.g. the two file paths).

    Returns
    -------
    dict
        ``labels``, ``methodology`` (each field with A's and B's value and ``changed``),
        ``methodology_changed`` (bool), ``context``, ``verdict``, ``overall`` and ``groupings``
        (per shared grouping and group: A, B and B − A of each metric; groups in only one audit).

    Examples
    --------
    >>> d = compare_audits({"schema_version": 1, "meta": {"label": "truth"}},
    ...                    {"schema_version": 1, "meta": {"label": "observed"}})
    >>> d["methodology_changed"], [m["field"] for m in d["methodology"] if m["changed"]]
    (True, ['meta.label'])
    """
    da, _ = as_audit_dict(a)
    db, _ = as_audit_dict(b)
    if len(labels) != 2:
        raise InvalidInputError(
            f"labels must name the two audits, e.g. ('A', 'B'). Got {list(labels)!r} instead."
        )
    methodology = []
    for dotted, label in METHODOLOGY:
        va, vb = _norm(_path(da, dotted), dotted), _norm(_path(db, dotted), dotted)
        methodology.append({"field": dotted, "label": label, "a": va, "b": vb, "changed": va != vb})
    ga = {**mapping(_ordered(da).get("attributes")), **mapping(_ordered(da).get("intersections"))}
    gb = {**mapping(_ordered(db).get("attributes")), **mapping(_ordered(db).get("intersections"))}
    for name in [n for n in ga if n in gb]:
        ra, rb = get(ga[name], "reference"), get(gb[name], "reference")
        methodology.append(
            {
                "field": f"reference.{name}",
                "label": f"Reference group of {name}",
                "a": ra,
                "b": rb,
                "changed": ra != rb,
            }
        )
    context = [
        {
            "field": d,
            "label": label,
            "a": _path(da, d),
            "b": _path(db, d),
            "changed": _path(da, d) != _path(db, d),
        }
        for d, label in CONTEXT
    ]
    groupings = {}
    for name in dict.fromkeys([*ga, *gb]):
        if name not in ga or name not in gb:
            groupings[name] = {"only_in": "a" if name in ga else "b", "groups": {}}
            continue
        groups_a, groups_b = mapping(ga[name].get("groups")), mapping(gb[name].get("groups"))
        groups = {}
        for group in dict.fromkeys([*groups_a, *groups_b]):
            xa, xb = groups_a.get(group), groups_b.get(group)
            if not isinstance(xa, Mapping) or not isinstance(xb, Mapping):
                groups[group] = {"only_in": "a" if isinstance(xa, Mapping) else "b"}
                continue
            entry = {"n": {"a": xa.get("n"), "b": xb.get("n")}}
            for metric, _ in METRICS:
                va, vb = xa.get(metric), xb.get(metric)
                entry[metric] = {"a": va, "b": vb, "delta": _delta(va, vb)}
            entry["four_fifths"] = {"a": xa.get("four_fifths"), "b": xb.get("four_fifths")}
            groups[group] = entry
        groupings[name] = {
            "only_in": None,
            "reference": {"a": get(ga[name], "reference"), "b": get(gb[name], "reference")},
            "groups": groups,
        }
    overall = {}
    for metric in ("adverse_rate", "fpr", "fnr", "ppv"):
        va, vb = get(da, "overall", metric), get(db, "overall", metric)
        overall[metric] = {"a": va, "b": vb, "delta": _delta(va, vb)}
    fa, fb = get(da, "overall", "counts", "fp"), get(db, "overall", "counts", "fp")
    overall["wrongly_blacklisted"] = {"a": fa, "b": fb, "delta": _delta(fa, fb)}
    violations = {}
    for side, d in (("a", da), ("b", db)):
        for v in get(d, "verdict", "violations", default=None) or []:
            if isinstance(v, Mapping):
                key = ALIASES.get(str(v.get("criterion")), str(v.get("criterion")))
                violations.setdefault(key, {"a": 0, "b": 0})[side] += 1
    out = {
        "labels": [str(labels[0]), str(labels[1])],
        "methodology": methodology,
        "methodology_changed": any(m["changed"] for m in methodology),
        "context": context,
        "verdict": {
            "a": get(da, "verdict", "passed"),
            "b": get(db, "verdict", "passed"),
            "violations": violations,
        },
        "overall": overall,
        "groupings": groupings,
    }
    check_json_ready(out, "compare")
    return out


def _shown(value: Any) -> str:
    if isinstance(value, Mapping | list):
        return f.short(json.dumps(value, sort_keys=True, ensure_ascii=False), 300)
    return f.short(f.text(value), 300)


def _verdict_text(passed: Any) -> tuple[str, str]:
    return {True: ("PASS", "pass"), False: ("FAIL", "fail")}.get(passed, ("no verdict", ""))


def compare_view(deltas: Mapping) -> dict:
    """The view dict of the comparison page (see `compare_audits` for the input)."""
    la, lb = (f.short(x, 120) for x in deltas["labels"])
    meth_rows = [
        [
            cell(m["label"]),
            cell(_shown(m["a"])),
            cell(_shown(m["b"])),
            cell(
                "CHANGED" if m["changed"] else "same",
                int(m["changed"]),
                "fail" if m["changed"] else "",
            ),
        ]
        for m in deltas["methodology"]
    ]
    ctx_rows = [
        [
            cell(m["label"]),
            cell(_shown(m["a"])),
            cell(_shown(m["b"])),
            cell("changed" if m["changed"] else "same"),
        ]
        for m in deltas["context"]
    ]
    changed = [m["label"] for m in deltas["methodology"] if m["changed"]]
    va, ca = _verdict_text(deltas["verdict"]["a"])
    vb, cb = _verdict_text(deltas["verdict"]["b"])
    verdict_rows = [[cell("Verdict"), cell(va, cls=ca), cell(vb, cls=cb)]]
    for crit, n in sorted(deltas["verdict"]["violations"].items()):
        verdict_rows.append(
            [
                cell(f"{_criterion_label(crit)}: violations"),
                num_cell(n["a"], f.count),
                num_cell(n["b"], f.count),
            ]
        )
    overall_rows = []
    for metric, label, fmt, dfmt in (
        ("adverse_rate", "Adverse rate", f.pct, f.pp),
        ("fpr", "Wrongful blacklisting rate", f.pct, f.pp),
        ("fnr", "Missed-risk rate", f.pct, f.pp),
        ("ppv", "Precision (PPV)", f.pct, f.pp),
        (
            "wrongly_blacklisted",
            "People wrongly blacklisted",
            f.count,
            lambda x: f"{x:+,.0f}" if f.is_num(x) else f.DASH,
        ),
    ):
        e = deltas["overall"][metric]
        overall_rows.append(
            [cell(label), num_cell(e["a"], fmt), num_cell(e["b"], fmt), num_cell(e["delta"], dfmt)]
        )
    parts = []
    for i, (name, g) in enumerate(deltas["groupings"].items()):
        if g["only_in"]:
            parts.append(
                {
                    "id": f"cmp-{i}",
                    "title": f.short(name, 200),
                    "only": la if g["only_in"] == "a" else lb,
                    "chart": None,
                    "table": None,
                }
            )
            continue
        rows, cats, fa, fb = [], [], [], []
        for group, e in g["groups"].items():
            if e.get("only_in"):
                side = la if e["only_in"] == "a" else lb
                rows.append([cell(f.text(group))] + [cell(f"only in {side}")] + [cell(f.DASH)] * 10)
                continue
            row = [
                cell(f.text(group)),
                num_cell(e["n"]["a"], f.count),
                num_cell(e["n"]["b"], f.count),
            ]
            for metric, _ in METRICS:
                fmt, dfmt = (
                    (f.ratio, lambda x: f"{x:+.2f}" if f.is_num(x) else f.DASH)
                    if metric == "impact_ratio"
                    else (f.pct, f.pp)
                )
                m = e[metric]
                worse = f.is_num(m["delta"]) and (
                    m["delta"] < -0.02 if metric == "impact_ratio" else m["delta"] > 0.01
                )
                row += [
                    num_cell(m["a"], fmt),
                    num_cell(m["b"], fmt),
                    num_cell(m["delta"], dfmt, "fail" if worse else ""),
                ]
            rows.append(row)
            if f.is_num(e["fpr"]["a"]) and f.is_num(e["fpr"]["b"]) and len(cats) < 20:
                cats.append(f.short(group, 40))
                fa.append(e["fpr"]["a"])
                fb.append(e["fpr"]["b"])
        cols = ["Group", f"People: {la}#", f"People: {lb}#"]
        for _, label in METRICS:
            cols += [f"{label}: {la}#", f"{label}: {lb}#", "Change#"]
        chart = None
        if cats and i < 8:
            chart = {
                "kind": "bars",
                "id": f"cmp-{i}",
                "alt": f"Bar chart: wrongful blacklisting rate by {f.short(name, 80)} in both audits; the table gives the numbers.",
                "categories": cats,
                "series": [
                    {
                        "label": f.short(la, 40),
                        "values": fa,
                        "low": None,
                        "high": None,
                        "role": "truth",
                    },
                    {
                        "label": f.short(lb, 40),
                        "values": fb,
                        "low": None,
                        "high": None,
                        "role": "records",
                    },
                ],
                "marks": ["main"] * len(cats),
                "xlabel": "wrongful blacklisting rate (FPR)",
                "percent": True,
            }
        parts.append(
            {
                "id": f"cmp-{i}",
                "title": f.short(name, 200),
                "only": None,
                "chart": chart,
                "table": table(
                    f"{f.short(name, 80)}: {la} against {lb}",
                    cols,
                    rows,
                    note="Change: the second audit minus the first (percentage points for rates).",
                ),
            }
        )
    return {
        "title": "Comparison of two bias audits",
        "labels": [la, lb],
        "changed": changed,
        "methodology": table("Methodology of each audit", ["Field", la, lb, "Same?"], meth_rows),
        "context": table("What was audited", ["Field", la, lb, "Same?"], ctx_rows),
        "verdict": table("Verdicts", ["Measure", la, lb], verdict_rows),
        "overall": table("Overall", ["Measure", f"{la}#", f"{lb}#", "Change#"], overall_rows),
        "parts": parts,
        "island": {"sweeps": []},
    }


def write_comparison(
    a: Any, b: Any, out_dir: str | os.PathLike, *, labels: Sequence[str] = ("A", "B")
) -> Path:
    """Write the comparison of two audits: ``index.html``, ``compare.json`` and ``summary.md``.

    Parameters
    ----------
    a, b : AuditResult or dict
        The two audits; B is compared against A.
    out_dir : str or path
        Directory to write to (created if missing); files appear atomically.
    labels : pair of str
        Names of A and B shown in the report.

    Returns
    -------
    Path
        The path of ``index.html``.

    Examples
    --------
    >>> import tempfile
    >>> a = {"schema_version": 1, "meta": {"min_group_size": 30}}
    >>> b = {"schema_version": 1, "meta": {"min_group_size": 50}}
    >>> write_comparison(a, b, tempfile.mkdtemp(), labels=("before", "after")).name
    'index.html'
    """
    deltas = compare_audits(a, b, labels=labels)
    view = compare_view(deltas)
    files = {
        "index.html": render_page("compare.html.j2", view),
        "compare.json": json.dumps(
            deltas, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False
        )
        + "\n",
        "summary.md": _markdown(deltas),
    }
    out = Path(out_dir)
    _atomic_dir_write(out, files)
    return out / "index.html"


def read_audit_json(path: str | os.PathLike) -> dict:
    """Load an audit.json file, with an error naming the file when it is not one.

    Raises
    ------
    InvalidInputError
        The file is missing, is not JSON, or is not an object with ``schema_version``.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInputError(
            f"{p}: no such file; pass the audit.json of a report directory."
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InvalidInputError(
            f"{p} is not valid JSON ({e}); pass an audit.json written by audit."
        ) from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise InvalidInputError(
            f"{p} is not an audit.json: it must be an object with 'schema_version'."
        )
    return data


def _markdown(deltas: Mapping) -> str:
    la, lb = (f.md(x, 80) for x in deltas["labels"])
    lines = [f"# Comparison: {la} → {lb}", ""]
    if deltas["methodology_changed"]:
        changed = ", ".join(f.md(m["label"], 80) for m in deltas["methodology"] if m["changed"])
        lines += [f"**Methodology changed ({changed}): the numbers are not like for like.**", ""]
    else:
        lines += ["Same methodology in both audits.", ""]
    va, _ = _verdict_text(deltas["verdict"]["a"])
    vb, _ = _verdict_text(deltas["verdict"]["b"])
    lines += [f"- Verdict: {va} → {vb}"]
    o = deltas["overall"]
    lines += [
        f"- Wrongful blacklisting rate: {f.pct(o['fpr']['a'])} → {f.pct(o['fpr']['b'])} ({f.pp(o['fpr']['delta'])})",
        f"- People wrongly blacklisted: {f.count(o['wrongly_blacklisted']['a'])} → {f.count(o['wrongly_blacklisted']['b'])}",
        "",
        "Full comparison: `index.html`; every number: `compare.json`.",
        "",
    ]
    return "\n".join(lines)
