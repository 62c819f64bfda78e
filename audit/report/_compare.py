"""Compare two audits (two audit.json dicts): what changed, and whether the comparison is fair.

`compare_audits` returns the deltas as plain data (written as ``compare.json``): the methodology
fields that differ (a different label, adverse value, minimum group size, criteria judged,
thresholds, methods, schema, protected attributes, reference groups or the rule that chose them
makes the numbers not like for like, and is flagged), the verdicts (PASS / FAIL / INCONCLUSIVE,
overall and per criterion, with the counts of failing and inconclusive comparisons), and per group
of every grouping both audits share: the adverse rate, impact ratio and wrongful blacklisting rate
in A and in B and their difference, and each judged outcome in A and in B. `write_comparison`
renders that as a small HTML report with the same machinery as the audit report.

What it must not do: compute statistics beyond B minus A of numbers both audits give, or import
fairlearn or shap.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from audit.core import CRITERIA
from audit.exceptions import InvalidInputError
from audit.report import _format as f
from audit.report._html import render_page
from audit.report._judged import OUTCOMES, outcome_cell, title
from audit.report._summarize import _ordered
from audit.report._view import cell, get, mapping, num_cell, table
from audit.report._write import _atomic_dir_write, as_audit_dict

#: (dotted path, label): a difference here means the two audits did not measure the same thing
METHODOLOGY = [
    ("schema_version", "Schema version"),
    ("meta.label", "Outcome label"),
    ("meta.label_kind", "Kind of label"),
    ("meta.observed_label", "Recorded label"),
    ("meta.positive", "Adverse value"),
    ("meta.protected", "Protected attributes"),
    ("meta.min_group_size", "Minimum group size"),
    ("meta.criteria", "Criteria judged"),
    ("meta.missing", "Missing-value policy"),
    ("meta.confidence", "Confidence level"),
    ("thresholds", "Thresholds"),
    ("meta.methods", "Methods"),
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
#: the counts of each criterion's comparisons compared between the audits
COUNTS = ("fail", "inconclusive", "pass")


def _path(data: Mapping, dotted: str) -> Any:
    return get(data, *dotted.split("."))


def _delta(a: Any, b: Any) -> float | None:
    return b - a if f.is_num(a) and f.is_num(b) else None


def _pair(a: Any, b: Any, label: str, dotted: str) -> dict:
    return {"field": dotted, "label": label, "a": a, "b": b, "changed": a != b}


def _groupings(data: Mapping) -> dict:
    ordered = _ordered(data)
    return {**mapping(ordered.get("attributes")), **mapping(ordered.get("intersections"))}


def _methodology(da: Mapping, db: Mapping, ga: Mapping, gb: Mapping) -> list[dict]:
    """Every field that must match for the numbers to compare like for like."""
    out = [_pair(_path(da, d), _path(db, d), label, d) for d, label in METHODOLOGY]
    for name in [n for n in ga if n in gb]:
        for key, words in (("reference", "Reference group"), ("reference_rule", "Reference rule")):
            out.append(
                _pair(get(ga[name], key), get(gb[name], key), f"{words} of {name}", f"{key}.{name}")
            )
    return out


def _criteria_outcomes(d: Mapping) -> dict:
    return {
        name: {k: get(c, k) for k in ("outcome", *COUNTS)}
        for name, c in mapping(get(d, "verdict", "criteria")).items()
    }


def _verdicts(da: Mapping, db: Mapping) -> dict:
    """The outcomes of both audits, overall and per criterion (with their counts)."""
    ca, cb = _criteria_outcomes(da), _criteria_outcomes(db)
    names = [n for n in CRITERIA if n in ca or n in cb]
    names += [n for n in dict.fromkeys([*ca, *cb]) if n not in names]
    return {
        "a": get(da, "verdict", "outcome"),
        "b": get(db, "verdict", "outcome"),
        "criteria": {n: {"a": ca.get(n), "b": cb.get(n)} for n in names},
    }


def _overall(da: Mapping, db: Mapping) -> dict:
    overall = {}
    for metric in ("adverse_rate", "fpr", "fnr", "ppv"):
        va, vb = get(da, "overall", metric), get(db, "overall", metric)
        overall[metric] = {"a": va, "b": vb, "delta": _delta(va, vb)}
    fa, fb = get(da, "overall", "counts", "fp"), get(db, "overall", "counts", "fp")
    overall["wrongly_blacklisted"] = {"a": fa, "b": fb, "delta": _delta(fa, fb)}
    return overall


def _group_entry(xa: Mapping, xb: Mapping) -> dict:
    entry: dict = {"n": {"a": xa.get("n"), "b": xb.get("n")}}
    for metric, _ in METRICS:
        va, vb = xa.get(metric), xb.get(metric)
        entry[metric] = {"a": va, "b": vb, "delta": _delta(va, vb)}
    ja, jb = mapping(xa.get("judged")), mapping(xb.get("judged"))
    entry["judged"] = {
        name: {"a": get(ja, name, "outcome"), "b": get(jb, name, "outcome")}
        for name in CRITERIA
        if name in ja or name in jb
    }
    return entry


def _group_deltas(ga: Mapping, gb: Mapping) -> dict:
    """Per grouping and group: A, B and B − A of each metric; each judged outcome in A and B."""
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
            groups[group] = _group_entry(xa, xb)
        groupings[name] = {
            "only_in": None,
            "reference": {"a": get(ga[name], "reference"), "b": get(gb[name], "reference")},
            "groups": groups,
        }
    return groupings


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
        ``methodology_changed`` (bool), ``context``, ``verdict`` (the outcome of each audit, and
        per criterion its outcome and counts of failing, inconclusive and passing comparisons),
        ``overall`` and ``groupings`` (per shared grouping and group: A, B and B − A of each
        metric, and each judged outcome in A and B; groups in only one audit).

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
        msg = f"labels must name the two audits, e.g. ('A', 'B'). Got {list(labels)!r} instead."
        raise InvalidInputError(msg)
    ga, gb = _groupings(da), _groupings(db)
    methodology = _methodology(da, db, ga, gb)
    return {
        "labels": [str(labels[0]), str(labels[1])],
        "methodology": methodology,
        "methodology_changed": any(m["changed"] for m in methodology),
        "context": [_pair(_path(da, d), _path(db, d), label, d) for d, label in CONTEXT],
        "verdict": _verdicts(da, db),
        "overall": _overall(da, db),
        "groupings": _group_deltas(ga, gb),
    }


# --- the comparison page ----------------------------------------------------------------------


def _shown(value: Any) -> str:
    if isinstance(value, Mapping | list):
        return f.short(json.dumps(value, sort_keys=True, ensure_ascii=False), 300)
    return f.short(f.text(value), 300)


def _verdict_text(outcome: Any) -> str:
    return OUTCOMES.get(outcome, "no verdict")


def _fields_table(caption: str, fields: list[dict], la: str, lb: str, flag: bool) -> dict:
    rows = []
    for m in fields:
        changed = m["changed"]
        mark = (
            cell("CHANGED", 1, "fail")
            if changed and flag
            else cell("changed" if changed else "same")
        )
        rows.append([cell(m["label"]), cell(_shown(m["a"])), cell(_shown(m["b"])), mark])
    return table(caption, ["Field", la, lb, "Same?"], rows)


def _verdict_table(verdict: Mapping, la: str, lb: str) -> dict:
    rows = [[cell("Verdict"), outcome_cell(verdict["a"]), outcome_cell(verdict["b"])]]
    for name, pair in verdict["criteria"].items():
        a, b = mapping(pair["a"]), mapping(pair["b"])
        rows.append(
            [cell(title(name)), outcome_cell(a.get("outcome")), outcome_cell(b.get("outcome"))]
        )
        for k in COUNTS:
            rows.append(
                [
                    cell(f"{title(name)}: {k} comparisons"),
                    num_cell(a.get(k), f.count),
                    num_cell(b.get(k), f.count),
                ]
            )
    return table("Verdicts", ["Measure", la, lb], rows)


def _overall_table(overall: Mapping, la: str, lb: str) -> dict:
    rows = []
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
        e = overall[metric]
        rows.append(
            [cell(label), num_cell(e["a"], fmt), num_cell(e["b"], fmt), num_cell(e["delta"], dfmt)]
        )
    return table("Overall", ["Measure", f"{la}#", f"{lb}#", "Change#"], rows)


def _changed_judgements(groupings: Mapping, la: str, lb: str) -> dict | None:
    """Every group and criterion whose judged outcome differs between the audits."""
    rows = []
    for name, g in groupings.items():
        for group, e in mapping(g.get("groups")).items():
            for crit, pair in mapping(e.get("judged")).items():
                if pair["a"] != pair["b"]:
                    rows.append(
                        [
                            cell(f.text(name)),
                            cell(f.text(group)),
                            cell(title(crit)),
                            outcome_cell(pair["a"]),
                            outcome_cell(pair["b"]),
                        ]
                    )
    if not rows:
        return None
    return table("Judgements that changed", ["Grouping", "Group", "Criterion", la, lb], rows)


def _metric_cells(e: Mapping) -> list[dict]:
    row = []
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
    return row


def _fpr_chart(pid: str, name: str, cats: list, fa: list, fb: list, la: str, lb: str) -> dict:
    return {
        "kind": "bars",
        "id": pid,
        "alt": f"Bar chart: wrongful blacklisting rate by {f.short(name, 80)} in both audits; the "
        "table gives the numbers.",
        "categories": cats,
        "series": [
            {"label": f.short(la, 40), "values": fa, "low": None, "high": None, "role": "truth"},
            {"label": f.short(lb, 40), "values": fb, "low": None, "high": None, "role": "records"},
        ],
        "marks": ["main"] * len(cats),
        "xlabel": "wrongful blacklisting rate (FPR)",
        "percent": True,
    }


def _group_part(i: int, name: str, g: Mapping, la: str, lb: str) -> dict:
    part = {
        "id": f"cmp-{i}",
        "title": f.short(name, 200),
        "only": None,
        "chart": None,
        "table": None,
    }
    if g["only_in"]:
        return {**part, "only": la if g["only_in"] == "a" else lb}
    rows, cats, fa, fb = [], [], [], []
    for group, e in g["groups"].items():
        if e.get("only_in"):
            side = la if e["only_in"] == "a" else lb
            rows.append([cell(f.text(group)), cell(f"only in {side}")] + [cell(f.DASH)] * 10)
            continue
        n = e["n"]
        rows.append(
            [
                cell(f.text(group)),
                num_cell(n["a"], f.count),
                num_cell(n["b"], f.count),
                *_metric_cells(e),
            ]
        )
        if f.is_num(e["fpr"]["a"]) and f.is_num(e["fpr"]["b"]) and len(cats) < 20:
            cats.append(f.short(group, 40))
            fa.append(e["fpr"]["a"])
            fb.append(e["fpr"]["b"])
    cols = ["Group", f"People: {la}#", f"People: {lb}#"]
    for _, label in METRICS:
        cols += [f"{label}: {la}#", f"{label}: {lb}#", "Change#"]
    part["table"] = table(
        f"{f.short(name, 80)}: {la} against {lb}",
        cols,
        rows,
        note="Change: the second audit minus the first (percentage points for rates).",
    )
    if cats and i < 8:
        part["chart"] = _fpr_chart(f"cmp-{i}", name, cats, fa, fb, la, lb)
    return part


def compare_view(deltas: Mapping) -> dict:
    """The view dict of the comparison page (see `compare_audits` for the input)."""
    la, lb = (f.short(x, 120) for x in deltas["labels"])
    return {
        "title": "Comparison of two bias audits",
        "labels": [la, lb],
        "changed": [m["label"] for m in deltas["methodology"] if m["changed"]],
        "methodology": _fields_table(
            "Methodology of each audit", deltas["methodology"], la, lb, True
        ),
        "context": _fields_table("What was audited", deltas["context"], la, lb, False),
        "verdict": _verdict_table(deltas["verdict"], la, lb),
        "judgements": _changed_judgements(deltas["groupings"], la, lb),
        "overall": _overall_table(deltas["overall"], la, lb),
        "parts": [
            _group_part(i, name, g, la, lb)
            for i, (name, g) in enumerate(deltas["groupings"].items())
        ],
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
    verdict = deltas["verdict"]
    lines += [f"- Verdict: {_verdict_text(verdict['a'])} → {_verdict_text(verdict['b'])}"]
    for name, pair in verdict["criteria"].items():
        a, b = (_verdict_text(mapping(pair[k]).get("outcome")) for k in ("a", "b"))
        lines.append(f"- {f.md(title(name), 80)}: {a} → {b}")
    o = deltas["overall"]
    lines += [
        f"- Wrongful blacklisting rate: {f.pct(o['fpr']['a'])} → {f.pct(o['fpr']['b'])} ({f.pp(o['fpr']['delta'])})",
        f"- People wrongly blacklisted: {f.count(o['wrongly_blacklisted']['a'])} → {f.count(o['wrongly_blacklisted']['b'])}",
        "",
        "Full comparison: `index.html`; every number: `compare.json`.",
        "",
    ]
    return "\n".join(lines)
