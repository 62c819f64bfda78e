"""Turn an audit (an `AuditResult` or its audit.json dict) into the *view dict* the templates render.

The view dict is plain data: sections with titles, sentences, tables of display strings (each cell with
a sort key) and chart specs (the numbers a chart draws). It is tested on its own, apart from the HTML.

What this module must not do: compute statistics (every number shown is taken from the dict; the only
arithmetic is for display: a difference of two given rates in percentage points, picking the worst of
given values), import fairlearn or shap, or emit HTML. A section whose data is absent says so plainly:
``available: False`` with a ``reason`` the reader can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.report import _format as f

CASES_IN_HTML = 50
MAX_CHART_GROUPS = 24

#: Criterion name -> (label, what it demands). Unknown names are shown as given.
CRITERIA = {
    "impact_ratio": (
        "Four-fifths rule (impact ratio)",
        "each group's favourable-outcome rate divided by the reference group's must be at least {t}",
    ),
    "fpr_ratio": (
        "Wrongful blacklisting ratio",
        "each group's wrongful blacklisting rate, relative to the reference group's, within {t} of parity",
    ),
    "fpr_difference": (
        "Wrongful blacklisting difference",
        "largest gap in wrongful blacklisting rates between groups at most {t}",
    ),
    "fnr_ratio": ("Missed-risk ratio", "missed-risk rates within {t} of parity"),
    "adverse_rate_difference": (
        "Adverse rate difference",
        "largest gap in adverse rates between groups at most {t}",
    ),
    "equalized_odds_difference": (
        "Equalized odds difference",
        "largest gap in wrongful blacklisting or missed-risk rates at most {t}",
    ),
}

DEFINITIONS = [
    ("Adverse rate", "share of a group given the adverse decision (blacklisted)."),
    (
        "Impact ratio",
        "a group's favourable-outcome rate (not blacklisted) divided by the reference group's; "
        "1 is parity, below 0.8 is evidence of adverse impact under the US EEOC four-fifths rule.",
    ),
    (
        "Wrongful blacklisting rate (FPR)",
        "share of the people who would in truth not default or violate whom the scorer blacklists anyway.",
    ),
    (
        "Missed-risk rate (FNR)",
        "share of the people who do default or violate whom the scorer does not blacklist.",
    ),
    ("PPV / FDR", "of those blacklisted, the share rightly (PPV) and wrongly (FDR) blacklisted."),
    ("FOR", "of those not blacklisted, the share who do default or violate."),
]


# --- small helpers ----------------------------------------------------------------------------------


def _get(d: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(d, Mapping) or key not in d:
            return default
        d = d[key]
    return d


def cell(display: Any, sort: Any = None, cls: str = "", title: str | None = None) -> dict:
    """A table cell: display text, a sort key (number or text) and an optional CSS class."""
    txt = display if isinstance(display, str) else f.text(display)
    full = title if title is not None else txt
    shown = f.short(txt)
    if sort is None:
        sort = txt
    if isinstance(sort, bool):
        sort = int(sort)
    if isinstance(sort, float) and not f.is_num(sort):
        sort = None
    return {"text": shown, "sort": sort, "cls": cls, "title": full if shown != full else ""}


def rate_cell(x: Any, fmt=f.pct) -> dict:
    return cell(fmt(x), x if f.is_num(x) else None)


def table(caption: str, columns: list, rows: list, *, note: str = "") -> dict:
    """A table: `columns` are labels (a trailing '#' marks a numeric column), rows lists of cells."""
    cols = [{"label": c.rstrip("#"), "num": c.endswith("#")} for c in columns]
    return {"caption": caption, "columns": cols, "rows": rows, "note": note}


def unavailable(reason: str) -> dict:
    return {"available": False, "reason": reason}


def kv_tree(value: Any, depth: int = 0) -> list[dict]:
    """Any JSON value as nested label/value items (for sections whose shape is free-form)."""
    if isinstance(value, Mapping):
        items = []
        for key in sorted(value, key=str):
            v = value[key]
            if isinstance(v, Mapping | list) and depth < 3 and not _flat_list(v):
                items.append(
                    {"label": f.humanize(key), "text": "", "children": kv_tree(v, depth + 1)}
                )
            else:
                items.append(
                    {"label": f.humanize(key), "text": f.short(f.text(v), 400), "children": []}
                )
        return items
    if isinstance(value, list):
        items = []
        for i, v in enumerate(value[:50], 1):
            if isinstance(v, Mapping) and depth < 3:
                items.append({"label": str(i), "text": "", "children": kv_tree(v, depth + 1)})
            else:
                items.append({"label": str(i), "text": f.short(f.text(v), 400), "children": []})
        return items
    return [{"label": "", "text": f.short(f.text(value), 400), "children": []}]


def _flat_list(v: Any) -> bool:
    return isinstance(v, list) and all(not isinstance(x, Mapping | list) for x in v)


def _usable(block: Any) -> bool:
    return isinstance(block, Mapping) and not block.get("small")


def _groups(attr_block: Any) -> dict:
    groups = _get(attr_block, "groups", default={})
    return groups if isinstance(groups, Mapping) else {}


def _blocks(data: Mapping, key: str) -> dict:
    value = data.get(key)
    return dict(value) if isinstance(value, Mapping) else {}


def _criterion_label(name: str) -> str:
    return CRITERIA.get(name, (f.humanize(name), ""))[0]


def _criterion_rule(name: str, threshold: Any) -> str:
    rule = CRITERIA.get(name, ("", ""))[1]
    return rule.format(t=f.text(threshold)) if rule else ""


# --- sections ---------------------------------------------------------------------------------------


def _cover(data: Mapping) -> dict:
    meta = _blocks(data, "meta")
    pop = _blocks(data, "population")
    scorer = _blocks(data, "scorer")
    scenario = pop.get("name")
    source = meta.get("source")
    synthetic = bool(pop) or "observed" in data
    if scenario:
        subject = f"scenario “{f.short(scenario, 80)}” (synthetic population)"
    elif source:
        subject = f"decisions from {f.short(source, 80)}"
    else:
        subject = "decisions"
    title = "Bias audit: who does this scorer wrongly blacklist?"
    what = []
    if scorer.get("kind"):
        what.append(("Scorer", f.short(scorer["kind"], 200)))
    what.append(("Audited", subject))
    if meta.get("decision") is not None:
        what.append(
            (
                "Decision",
                f"column “{f.short(meta['decision'], 80)}”, adverse value {f.text(meta.get('positive'))}",
            )
        )
    if meta.get("label") is not None:
        what.append(("Outcome label", f"column “{f.short(meta['label'], 80)}”"))
    if meta.get("protected"):
        what.append(("Protected attributes", f.short(", ".join(map(str, meta["protected"])), 400)))
    if f.is_num(meta.get("n")):
        what.append(("People", f.count(meta["n"])))
    if meta.get("created"):
        what.append(("Run at", f.text(meta["created"])))
    versions = meta.get("versions") if isinstance(meta.get("versions"), Mapping) else {}
    repro = [
        ("Seed", f.text(meta.get("seed")) if meta.get("seed") is not None else "none (real data)"),
        ("Data SHA-256", f.text(meta.get("data_sha256"))),
        ("Tool version", f"audit {f.text(versions.get('audit'))}"),
        ("Schema version", f.text(data.get("schema_version"))),
        ("Source", f.short(f.text(source), 400)),
        (
            "Confidence level",
            f.pct(meta.get("confidence"), 0) if meta.get("confidence") else f.DASH,
        ),
    ]
    repro += [(str(k), f.short(f.text(v), 80)) for k, v in sorted(versions.items()) if k != "audit"]
    sha = f.text(meta.get("data_sha256"))
    line = [
        f"seed {f.text(meta.get('seed'))}" if meta.get("seed") is not None else "no seed",
        f"data {sha[:8]}…{sha[-4:]}" if len(sha) > 16 else f"data {sha}",
        f"audit {f.text(versions.get('audit'))}",
    ]
    return {
        "title": title,
        "subject": subject,
        "synthetic": synthetic,
        "what": what,
        "repro": repro,
        "repro_line": " · ".join(line),
    }


def _worst_group_value(data: Mapping, metric: str) -> tuple[str, str, Any] | None:
    """The lowest value of a group-block metric over all attributes (e.g. the lowest impact ratio)."""
    best = None
    for attr, block in {**_blocks(data, "attributes"), **_blocks(data, "intersections")}.items():
        for group, g in _groups(block).items():
            v = g.get(metric) if _usable(g) else None
            if f.is_num(v) and (best is None or v < best[2]):
                best = (attr, group, v)
    return best


def _summary(data: Mapping) -> dict:
    verdict = _blocks(data, "verdict")
    thresholds = _blocks(data, "thresholds")
    violations = [v for v in verdict.get("violations") or [] if isinstance(v, Mapping)]
    names = list(thresholds)
    names += [v.get("criterion") for v in violations if v.get("criterion") not in names]
    judged = _get(data, "meta", "criterion")
    rows = []
    for name in names:
        mine = [v for v in violations if v.get("criterion") == name]
        threshold = thresholds.get(name, mine[0].get("threshold") if mine else None)
        if mine:
            worst = max(
                mine,
                key=lambda v: (
                    abs(v["value"] - v["threshold"])
                    if f.is_num(v.get("value")) and f.is_num(v.get("threshold"))
                    else 0
                ),
            )
            where = f"{f.short(worst.get('attribute'), 60)}: {f.short(worst.get('group'), 60)}"
            worst_txt = f"{where} = {f.num(worst.get('value'))}"
            result, cls = "fail", "fail"
        else:
            found = _worst_group_value(data, name)
            worst_txt = (
                f"lowest: {f.short(found[0], 60)}: {f.short(found[1], 60)} = {f.ratio(found[2])}"
                if found
                else f.DASH
            )
            result, cls = "pass", "pass"
        label = _criterion_label(str(name))
        if name == judged:
            label += " (judged)"
        rows.append(
            [
                cell(label, title=_criterion_rule(str(name), threshold) or label),
                cell(f.text(threshold), threshold if f.is_num(threshold) else None),
                cell(result.upper(), result, cls),
                cell(f.count(len(mine)), len(mine)),
                cell(worst_txt),
            ]
        )
    passed = verdict.get("passed")
    if passed is True:
        headline, vcls = "PASS: no fairness criterion is violated at the thresholds set.", "pass"
    elif passed is False:
        crit = list(dict.fromkeys(str(v.get("criterion")) for v in violations))
        parts = [
            f"{_criterion_label(c)} ({f.count(sum(1 for v in violations if str(v.get('criterion')) == c))} "
            "violations)"
            for c in crit
        ]
        headline = (
            f"FAIL: {f.count(len(crit))} of {f.count(max(len(names), len(crit)))} criteria violated: "
            + ("; ".join(parts) + ".")
        )
        vcls = "fail"
    else:
        headline, vcls = "No verdict: the audit result carries no pass/fail decision.", "na"
    crit_table = (
        table(
            "Criteria against their thresholds",
            ["Criterion", "Threshold#", "Result", "Violations#", "Worst group"],
            rows,
        )
        if rows
        else None
    )
    return {
        "headline": headline,
        "verdict_cls": vcls,
        "criteria": crit_table,
        "harm": _harm(data),
        "violations": _violations_table(violations),
    }


def _violations_table(violations: list) -> dict | None:
    if not violations:
        return None
    rows = [
        [
            cell(_criterion_label(str(v.get("criterion")))),
            cell(f.text(v.get("attribute"))),
            cell(f.text(v.get("group"))),
            cell(
                f.num(v.get("value")), v.get("value") if f.is_num(v.get("value")) else None, "fail"
            ),
            cell(
                f.text(v.get("threshold")),
                v.get("threshold") if f.is_num(v.get("threshold")) else None,
            ),
        ]
        for v in violations
    ]
    return table(
        "Every violation", ["Criterion", "Attribute", "Group", "Value#", "Threshold#"], rows
    )


def _harm(data: Mapping) -> list[str]:
    """The harm in people, as sentences built from given counts."""
    out = []
    overall = _blocks(data, "overall")
    fp = _get(overall, "counts", "fp")
    truth = "observed" in data
    if f.is_num(fp):
        base = (
            "in truth would not have defaulted or violated"
            if truth
            else "had no adverse outcome on record"
        )
        rate = (
            f" (a wrongful blacklisting rate of {f.pct(overall.get('fpr'))})"
            if f.is_num(overall.get("fpr"))
            else ""
        )
        out.append(f"{f.count(fp)} people were blacklisted although they {base}{rate}.")
    excess = _get(data, "cases", "excess")
    items = []
    if isinstance(excess, Mapping):
        for attr, groups in excess.items():
            if isinstance(groups, Mapping):
                for group, x in groups.items():
                    if f.is_num(x) and x > 0:
                        items.append((x, attr, group))
    for x, attr, group in sorted(items, key=lambda t: (-t[0], str(t[1]), str(t[2])))[:3]:
        ref = _get(data, "attributes", attr, "reference")
        vs = f" ({f.short(ref, 60)})" if ref is not None else ""
        out.append(
            f"{f.short(attr, 60)} = {f.short(group, 60)}: about {f.count(x)} more people wrongly blacklisted "
            f"than at the reference group's{vs} wrongful blacklisting rate."
        )
    gap = _largest_record_gap(data)
    if gap:
        attr, group, seen, true = gap
        out.append(
            f"Records understate the harm: for {f.short(attr, 60)} = {f.short(group, 60)} the records show a "
            f"wrongful blacklisting rate of {f.pct(seen)}, the truth is {f.pct(true)}."
        )
    return out


def _largest_record_gap(data: Mapping) -> tuple | None:
    """The group whose wrongful blacklisting rate the records understate most (truth minus records)."""
    best = None
    obs = _get(data, "observed", "attributes", default={})
    for attr, block in _blocks(data, "attributes").items():
        for group, g in _groups(block).items():
            seen = _get(obs, attr, "groups", group, "fpr")
            true = g.get("fpr") if _usable(g) else None
            if (
                f.is_num(seen)
                and f.is_num(true)
                and true - seen > 0.005
                and (best is None or true - seen > best[3] - best[2])
            ):
                best = (attr, group, seen, true)
    return best


def _scope(data: Mapping) -> dict:
    meta = _blocks(data, "meta")
    thresholds = _blocks(data, "thresholds")
    judged = meta.get("criterion")
    synthetic = "observed" in data
    refs = []
    for attr, block in {**_blocks(data, "attributes"), **_blocks(data, "intersections")}.items():
        rule = block.get("reference_rule")
        why = {
            "most_favoured": "most favoured group (highest favourable rate)",
            "user": "chosen by the user",
        }.get(rule, f.text(rule))
        refs.append([cell(f.text(attr)), cell(f.text(block.get("reference"))), cell(why)])
    thr_rows = [
        [
            cell(_criterion_label(str(k))),
            cell(f.text(v), v if f.is_num(v) else None),
            cell(_criterion_rule(str(k), v) or f.DASH),
        ]
        for k, v in thresholds.items()
    ]
    label = meta.get("label")
    if synthetic:
        label_txt = (
            f"Error rates are measured against the ground truth (column “{f.short(label, 80)}”: who in "
            "truth defaults or violates), known because the population is synthetic; the same rates "
            "against the recorded label are shown beside them."
        )
    elif label is not None:
        label_txt = (
            f"Error rates are measured against the recorded label “{f.short(label, 80)}”. No ground truth "
            "is available: if the records are themselves biased, so are these error rates."
        )
    else:
        label_txt = "No outcome label was given: error rates cannot be measured."
    judged_txt = (
        f"The verdict is judged by {_criterion_label(str(judged))}"
        + (
            f" ({_criterion_rule(str(judged), thresholds.get(judged))})."
            if judged in CRITERIA
            else "."
        )
        if judged
        else "No single criterion was named as the one judged; every criterion with a threshold counts."
    )
    return {
        "decision": f.short(meta.get("decision"), 80),
        "positive": f.text(meta.get("positive")),
        "label_txt": label_txt,
        "definitions": DEFINITIONS,
        "judged": judged_txt,
        "thresholds": table("Thresholds", ["Criterion", "Threshold#", "Meaning"], thr_rows)
        if thr_rows
        else None,
        "references": table("Reference groups", ["Attribute", "Reference group", "Why"], refs)
        if refs
        else None,
        "confidence": f.pct(meta.get("confidence"), 0)
        if f.is_num(meta.get("confidence"))
        else None,
    }


def _data(data: Mapping) -> dict:
    meta = _blocks(data, "meta")
    attrs = _blocks(data, "attributes")
    out = {
        "available": bool(attrs),
        "reason": "" if attrs else "the audit result has no attributes block",
    }
    tables = []
    for attr, block in attrs.items():
        rows = []
        for group, g in _groups(block).items():
            status = "too small: rates suppressed" if g.get("small") else ""
            if group == block.get("reference"):
                status = "reference" + (f"; {status}" if status else "")
            rows.append(
                [
                    cell(f.text(group)),
                    cell(f.count(g.get("n")), g.get("n")),
                    rate_cell(g.get("base_rate")),
                    cell(status, cls="small" if g.get("small") else ""),
                ]
            )
        unknown = block.get("unknown")
        note = (
            f"{f.count(unknown)} people with no recorded value are counted as their own group “unknown”."
            if f.is_num(unknown) and unknown > 0
            else "No missing values."
        )
        tables.append(
            table(
                f"People by {f.short(attr, 80)}",
                ["Group", "People#", "Base rate#", "Status"],
                rows,
                note=note,
            )
        )
    out["tables"] = tables
    mgs = meta.get("min_group_size")
    out["policy"] = (
        f"Groups with fewer than {f.count(mgs)} people are reported as too small: their rates are "
        "suppressed (shown as —), never as 0 or 1."
        if f.is_num(mgs)
        else "No minimum group size was recorded."
    )
    missing = meta.get("missing")
    out["missing"] = {
        "unknown": "Missing protected values are counted as their own group, “unknown”.",
        "error": "Missing protected values were not allowed (the audit would have stopped).",
        "drop": "Rows with missing protected values were dropped.",
    }.get(missing, f"Missing-value policy: {f.text(missing)}.")
    pop = _blocks(data, "population")
    if pop:
        mech = pop.get("mechanisms")
        rows = []
        if isinstance(mech, Mapping):
            for name, m in mech.items():
                m = m if isinstance(m, Mapping) else {"magnitude": m}
                extra = {k: v for k, v in m.items() if k not in ("magnitude", "description")}
                rows.append(
                    [
                        cell(f.humanize(name)),
                        cell(
                            f.num(m.get("magnitude")),
                            m.get("magnitude") if f.is_num(m.get("magnitude")) else None,
                        ),
                        cell(f.short(m.get("description"), 400)),
                        cell(
                            "; ".join(f"{k}: {f.text(v)}" for k, v in sorted(extra.items()))
                            or f.DASH
                        ),
                    ]
                )
        out["population"] = {
            "name": f.short(pop.get("name"), 200),
            "description": f.short(pop.get("description"), 1000) if pop.get("description") else "",
            "mechanisms": table(
                "Bias mechanisms injected into the synthetic population (the ground truth to grade this audit)",
                ["Mechanism", "Magnitude#", "What it does", "Details"],
                rows,
            )
            if rows
            else None,
            "other": kv_tree(
                {k: v for k, v in pop.items() if k not in ("name", "description", "mechanisms")}
            ),
        }
    else:
        out["population"] = None
    return out


def _scorer(data: Mapping) -> dict:
    scorer = _blocks(data, "scorer")
    if not scorer:
        return unavailable(
            "this audit was run on recorded decisions only; nothing is known here of the scorer that made them"
        )
    facts = []
    for key, label in (
        ("kind", "Kind"),
        ("threshold", "Blacklisting threshold"),
        ("score_mapping", "Score mapping"),
        ("queried", "How it was queried"),
        ("include_protected", "Uses protected attributes directly"),
    ):
        if key in scorer:
            facts.append((label, f.short(f.text(scorer[key]), 600)))
    rules = scorer.get("rules")
    rules_table = None
    if isinstance(rules, list) and rules and all(isinstance(r, Mapping) for r in rules):
        keys = sorted({k for r in rules for k in r}, key=str)
        rules_table = table(
            "Hard rules applied besides the score",
            [f.humanize(k) for k in keys],
            [[cell(f.text(r.get(k))) for k in keys] for r in rules],
        )
    shown = {"kind", "threshold", "score_mapping", "queried", "include_protected"}
    if rules_table:
        shown.add("rules")
    rest = {k: v for k, v in scorer.items() if k not in shown}
    return {"available": True, "facts": facts, "rules": rules_table, "other": kv_tree(rest)}


def _short_label(s: Any) -> str:
    return f.short(f.text(s), 40)


def _impact(data: Mapping) -> dict:
    attrs = _blocks(data, "attributes")
    if not attrs:
        return unavailable("the audit result has no attributes block")
    parts = []
    for i, (attr, block) in enumerate(attrs.items()):
        parts.append(_impact_part(f"impact-{i}", attr, block))
    inter = [
        _impact_part(f"impact-x{i}", name, block)
        for i, (name, block) in enumerate(_blocks(data, "intersections").items())
    ]
    return {"available": True, "parts": parts, "intersections": inter}


def _impact_part(pid: str, attr: str, block: Mapping) -> dict:
    ref = block.get("reference")
    rows, cats, rates, lows, highs, ratios, marks = [], [], [], [], [], [], []
    for group, g in _groups(block).items():
        ci = _get(g, "ci", "adverse_rate")
        ff = g.get("four_fifths")
        p = _get(g, "tests", "adverse_rate", "p_holm")
        name = f.text(group) + (" (reference)" if group == ref else "")
        rows.append(
            [
                cell(name, f.text(group)),
                cell(f.count(g.get("n")), g.get("n")),
                rate_cell(g.get("adverse_rate")),
                cell(f.interval(ci), ci[0] if f.interval(ci) != f.DASH else None),
                rate_cell(g.get("favourable_rate")),
                rate_cell(g.get("impact_ratio"), f.ratio),
                cell(
                    {"pass": "pass", "fail": "FAIL"}.get(
                        ff, "too small" if g.get("small") else f.DASH
                    ),
                    ff or "",
                    {"pass": "pass", "fail": "fail"}.get(ff, ""),
                ),
                cell(f.pvalue(p), p if f.is_num(p) else None),
            ]
        )
        if _usable(g) and f.is_num(g.get("adverse_rate")) and len(cats) < MAX_CHART_GROUPS:
            cats.append(_short_label(group))
            rates.append(g["adverse_rate"])
            ok = f.interval(ci) != f.DASH
            lows.append(ci[0] if ok else None)
            highs.append(ci[1] if ok else None)
            ratios.append(g.get("impact_ratio") if f.is_num(g.get("impact_ratio")) else None)
            marks.append("ref" if group == ref else ("fail" if ff == "fail" else "main"))
    tbl = table(
        f"Adverse decisions by {f.short(attr, 80)}",
        [
            "Group",
            "People#",
            "Adverse rate#",
            "95% CI#",
            "Favourable rate#",
            "Impact ratio#",
            "Four-fifths",
            "p (Holm)#",
        ],
        rows,
        note="p: test of the group's adverse rate against the reference group's, Holm-adjusted.",
    )
    chart = None
    if cats:
        chart = {
            "kind": "impact",
            "id": pid,
            "alt": (
                f"Bar charts for {f.short(attr, 80)}: adverse rate with confidence interval, and impact "
                "ratio against the 0.8 line, by group. The table below gives the numbers."
            ),
            "categories": cats,
            "rates": rates,
            "low": lows,
            "high": highs,
            "ratios": ratios,
            "marks": marks,
            "line": 0.8,
        }
    summary = []
    for key, label in (("differences", "largest difference"), ("ratios", "smallest ratio")):
        block_k = block.get(key)
        if isinstance(block_k, Mapping):
            for metric, v in block_k.items():
                if f.is_num(v):
                    fmt = f.pp(v) if key == "differences" else f.ratio(v)
                    summary.append(f"{f.humanize(metric)}: {label} between groups {fmt}")
    ll144 = block.get("ll144")
    return {
        "id": pid,
        "title": f.short(attr, 200),
        "reference": f.short(ref, 200),
        "chart": chart,
        "table": tbl,
        "summary": summary,
        "ll144": kv_tree(ll144) if ll144 else None,
    }


def _errors(data: Mapping) -> dict:
    attrs = _blocks(data, "attributes")
    if not attrs:
        return unavailable("the audit result has no attributes block")
    if _get(data, "meta", "label", default="") is None:
        return unavailable("no outcome label was given, so no error can be counted")
    obs = _get(data, "observed", "attributes", default={})
    obs_inter = _get(data, "observed", "intersections", default={})
    both = isinstance(obs, Mapping) and bool(obs)
    parts = [
        _errors_part(f"errors-{i}", attr, block, _get(obs, attr) if both else None, both)
        for i, (attr, block) in enumerate(attrs.items())
    ]
    inter = [
        _errors_part(f"errors-x{i}", name, block, _get(obs_inter, name) if both else None, both)
        for i, (name, block) in enumerate(_blocks(data, "intersections").items())
    ]
    if both:
        intro = (
            "Truth: who in truth would default or violate (known because the population is synthetic). "
            "Records: the label an auditor would find in the institution's files. Where records are biased "
            "(defaults over-recorded for a group), blacklisting that group looks justified on paper: the "
            "gap column is the harm an audit from records alone would miss."
        )
    else:
        intro = (
            "Measured against the recorded label only: no ground truth is available, so these rates "
            "inherit any bias in the records."
        )
    return {"available": True, "both": both, "intro": intro, "parts": parts, "intersections": inter}


def _errors_part(pid: str, attr: str, block: Mapping, obs_block: Any, both: bool) -> dict:
    ref = block.get("reference")
    obs_groups = _groups(obs_block) if both else {}
    rows, cats, truth, lows, highs, seen, marks = [], [], [], [], [], [], []
    for group, g in _groups(block).items():
        c = g.get("counts") if isinstance(g.get("counts"), Mapping) else {}
        ci = _get(g, "ci", "fpr")
        p = _get(g, "tests", "fpr", "p_holm")
        o = obs_groups.get(group) if isinstance(obs_groups.get(group), Mapping) else {}
        o_fpr = o.get("fpr") if _usable(o) else None
        fpr = g.get("fpr") if _usable(g) else None
        name = f.text(group) + (" (reference)" if group == ref else "")
        row = [
            cell(name, f.text(group)),
            cell(f.count(c.get("fp")), c.get("fp")),
            rate_cell(fpr),
            cell(f.interval(ci), ci[0] if f.interval(ci) != f.DASH else None),
        ]
        if both:
            gap = fpr - o_fpr if f.is_num(fpr) and f.is_num(o_fpr) else None
            row += [
                rate_cell(o_fpr),
                cell(f.pp(gap), gap, "fail" if f.is_num(gap) and gap > 0.01 else ""),
            ]
        row += [
            rate_cell(g.get("fnr")),
            rate_cell(g.get("ppv")),
            rate_cell(g.get("fdr")),
            rate_cell(g.get("for")),
            rate_cell(g.get("auc"), f.ratio),
            cell(f.pvalue(p), p if f.is_num(p) else None),
        ]
        rows.append(row)
        if f.is_num(fpr) and len(cats) < MAX_CHART_GROUPS:
            cats.append(_short_label(group))
            truth.append(fpr)
            ok = f.interval(ci) != f.DASH
            lows.append(ci[0] if ok else None)
            highs.append(ci[1] if ok else None)
            seen.append(o_fpr if f.is_num(o_fpr) else None)
            marks.append("ref" if group == ref else "main")
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
        "table": table(
            f"Error rates by {f.short(attr, 80)}",
            cols,
            rows,
            note=(
                "Gap: wrongful blacklisting rate in truth minus in the records, in percentage points. "
                if both
                else ""
            )
            + "FNR: missed-risk rate. p: test of the group's wrongful blacklisting rate against the "
            "reference group's, Holm-adjusted.",
        ),
    }


def _scores(data: Mapping) -> dict:
    meta = _blocks(data, "meta")
    attrs = _blocks(data, "attributes")
    has_any = any(
        isinstance(b.get(k), Mapping)
        for b in attrs.values()
        for k in ("score_histogram", "threshold_sweep")
    )
    if not has_any:
        if meta.get("score") is None and "score" in meta:
            return unavailable("no score column was given: only yes/no decisions were audited")
        return unavailable("the audit result has no score histograms or threshold sweeps")
    parts, sweeps = [], []
    for i, (attr, block) in enumerate(attrs.items()):
        part = {"id": f"scores-{i}", "title": f.short(attr, 200)}
        part["histogram"] = _histogram(f"hist-{i}", attr, block.get("score_histogram"))
        part["sweep"], island = _sweep(
            f"sweep-{i}", attr, block.get("threshold_sweep"), len(sweeps)
        )
        part["calibration"] = _calibration(f"calib-{i}", attr, block.get("calibration"))
        if island:
            sweeps.append(island)
        parts.append(part)
    threshold = _get(data, "scorer", "threshold")
    return {"available": True, "parts": parts, "sweeps": sweeps, "threshold": threshold}


def _edges(h: Mapping) -> list | None:
    for key in ("edges", "bins", "bin_edges"):
        e = h.get(key)
        if isinstance(e, list) and len(e) >= 2 and all(f.is_num(x) for x in e):
            return e
    return None


def _histogram(pid: str, attr: str, h: Any) -> dict | None:
    if not isinstance(h, Mapping):
        return None
    edges = _edges(h)
    groups = h.get("groups", h.get("counts"))
    if edges is None or not isinstance(groups, Mapping):
        return {"tree": kv_tree(h)}
    series, cols, body = [], ["Score bin"], []
    usable = {g: c for g, c in groups.items() if isinstance(c, list) and len(c) == len(edges) - 1}
    for group, counts in list(usable.items())[:MAX_CHART_GROUPS]:
        series.append({"label": _short_label(group), "values": counts})
    for group in usable:
        cols.append(f"{f.short(group, 60)}#")
    for j in range(len(edges) - 1):
        body.append(
            [cell(f"{f.num(edges[j])}–{f.num(edges[j + 1])}", edges[j])]
            + [cell(f.count(c[j]), c[j]) for c in usable.values()]
        )
    threshold = h.get("threshold")
    return {
        "chart": {
            "kind": "hist",
            "id": pid,
            "alt": f"Line chart: share of each {f.short(attr, 80)} group by score; the table gives the counts.",
            "edges": edges,
            "series": series,
            "vline": threshold if f.is_num(threshold) else None,
            "xlabel": "score (higher = more trustworthy)",
        }
        if series
        else None,
        "table": table(f"People per score bin by {f.short(attr, 80)}", cols, body),
    }


def _sweep(pid: str, attr: str, s: Any, index: int) -> tuple[dict | None, dict | None]:
    if not isinstance(s, Mapping):
        return None, None
    thresholds = s.get("thresholds")
    groups = s.get("groups")
    if not (isinstance(thresholds, list) and thresholds and isinstance(groups, Mapping)):
        return {"tree": kv_tree(s)}, None
    k = len(thresholds)
    metrics = [
        m
        for m in ("adverse_rate", "fpr")
        if any(isinstance(_get(g, m), list) for g in groups.values())
    ]
    usable = {
        g: v
        for g, v in groups.items()
        if isinstance(v, Mapping)
        and all(isinstance(v.get(m), list) and len(v[m]) == k for m in metrics)
    }
    if not metrics or not usable:
        return {"tree": kv_tree(s)}, None
    cols = ["Threshold#"] + [
        f"{f.short(g, 60)}: {'adverse' if m == 'adverse_rate' else 'wrongful'}#"
        for g in usable
        for m in metrics
    ]
    body = [
        [cell(f.num(thresholds[j]), thresholds[j])]
        + [rate_cell(v[m][j]) for v in usable.values() for m in metrics]
        for j in range(k)
    ]
    current = s.get("threshold")
    metric = "fpr" if "fpr" in metrics else metrics[0]
    chart = {
        "kind": "lines",
        "id": pid,
        "alt": (
            f"Line chart: {'wrongful blacklisting rate' if metric == 'fpr' else 'adverse rate'} by "
            f"{f.short(attr, 80)} group as the blacklisting threshold moves; the table gives the numbers."
        ),
        "x": thresholds,
        "series": [
            {"label": _short_label(g), "values": v[metric]}
            for g, v in list(usable.items())[:MAX_CHART_GROUPS]
        ],
        "vline": current if f.is_num(current) else None,
        "xlabel": "blacklisting threshold (score below it = blacklisted)",
        "ylabel": "wrongful blacklisting rate" if metric == "fpr" else "adverse rate",
        "percent": True,
    }
    start = 0
    if f.is_num(current):
        start = min(
            range(k),
            key=lambda j: abs(thresholds[j] - current) if f.is_num(thresholds[j]) else 1e300,
        )
    island = {
        "index": index,
        "thresholds": thresholds,
        "start": start,
        "metrics": metrics,
        "groups": [{"label": f.text(g), **{m: v[m] for m in metrics}} for g, v in usable.items()],
    }
    return {
        "index": index,
        "chart": chart,
        "table": table(f"Threshold sweep for {f.short(attr, 80)}", cols, body),
        "metric_labels": [
            "adverse rate" if m == "adverse_rate" else "wrongful blacklisting rate" for m in metrics
        ],
    }, island


def _calibration(pid: str, attr: str, c: Any) -> dict | None:
    if not isinstance(c, Mapping):
        return None
    groups = c.get("groups")
    if not isinstance(groups, Mapping):
        return {"tree": kv_tree(c)}
    rows, series = [], []
    for group, g in groups.items():
        xs, ys = _get(g, "mean_score"), _get(g, "label_rate")
        if not (isinstance(xs, list) and isinstance(ys, list) and len(xs) == len(ys)):
            return {"tree": kv_tree(c)}
        for x, y in zip(xs, ys, strict=True):
            rows.append([cell(f.text(group)), cell(f.num(x), x), rate_cell(y)])
        if len(series) < MAX_CHART_GROUPS:
            series.append({"label": _short_label(group), "x": xs, "values": ys})
    return {
        "chart": {
            "kind": "xy",
            "id": pid,
            "alt": f"Line chart: share with the adverse outcome by score, for each {f.short(attr, 80)} group.",
            "series": series,
            "xlabel": "mean score in bin",
            "ylabel": "share who default or violate",
            "percent": True,
        }
        if series
        else None,
        "table": table(
            f"Calibration by {f.short(attr, 80)}", ["Group", "Mean score#", "Outcome rate#"], rows
        ),
    }


def _why(data: Mapping) -> dict:
    explain = _blocks(data, "explain")
    if not explain:
        reason = (
            "no scorer was available to query, so the scores cannot be explained"
            if not _blocks(data, "scorer")
            else "the explanation stage did not run for this audit"
        )
        return unavailable(reason)
    parts = []
    for i, (attr, block) in enumerate(_blocks(explain, "attributes").items()):
        parts.append(
            _why_part(f"why-{i}", attr, block, _get(data, "attributes", attr, "reference"))
        )
    proxies = explain.get("proxies")
    proxy = None
    if isinstance(proxies, list) and proxies:
        rows, cats, vals = [], [], []
        for p in proxies:
            if not isinstance(p, Mapping):
                continue
            rows.append(
                [
                    cell(f.text(p.get("feature"))),
                    cell(f.text(p.get("attribute"))),
                    rate_cell(p.get("predictiveness"), f.ratio),
                    rate_cell(p.get("gap_share")),
                ]
            )
            if f.is_num(p.get("gap_share")) and len(cats) < 15:
                cats.append(
                    f"{_short_label(p.get('feature'))} → {_short_label(p.get('attribute'))}"
                )
                vals.append(p["gap_share"])
        proxy = {
            "table": table(
                "Suspected proxies",
                ["Feature", "Stands in for", "Predictiveness#", "Share of score gap#"],
                rows,
                note="Predictiveness: how well the feature alone predicts the protected attribute. "
                "Share of score gap: the part of that attribute's score gap attributed to the feature.",
            ),
            "chart": {
                "kind": "bars",
                "id": "proxies",
                "alt": "Bar chart: share of the score gap carried by each suspected proxy; the table gives the numbers.",
                "categories": cats,
                "series": [
                    {
                        "label": "share of score gap",
                        "values": vals,
                        "low": None,
                        "high": None,
                        "role": "truth",
                    }
                ],
                "marks": ["main"] * len(cats),
                "xlabel": "share of the score gap",
                "percent": True,
            }
            if cats
            else None,
        }
    rest = {k: v for k, v in explain.items() if k not in ("attributes", "proxies")}
    return {
        "available": True,
        "parts": parts,
        "proxies": proxy,
        "other": kv_tree(rest) if rest else [],
    }


def _why_part(pid: str, attr: str, block: Any, reference: Any) -> dict:
    rows, best = [], None
    for group, g in _groups(block).items():
        if not isinstance(g, Mapping):
            continue
        gap = g.get("score_gap")
        interval = g.get("interval", g.get("ci"))
        features = g.get("gap_by_feature")
        top = ""
        if isinstance(features, Mapping):
            ranked = sorted(
                ((k, v) for k, v in features.items() if f.is_num(v)),
                key=lambda kv: (-abs(kv[1]), str(kv[0])),
            )
            top = "; ".join(f"{f.short(k, 60)} {f.points(v)}" for k, v in ranked[:3])
            if f.is_num(gap) and (best is None or abs(gap) > abs(best[1])):
                best = (group, gap, ranked)
        rows.append(
            [
                cell(f.text(group)),
                cell(f.points(gap), gap if f.is_num(gap) else None),
                cell(f.interval(interval, f.points), None),
                cell(
                    f.points(g.get("score_gap_population")),
                    g.get("score_gap_population")
                    if f.is_num(g.get("score_gap_population"))
                    else None,
                ),
                cell(top or f.DASH),
            ]
        )
    ref = reference if reference is not None else _get(block, "reference")
    chart = None
    if best and best[2]:
        group, gap, ranked = best
        ranked = ranked[:12]
        chart = {
            "kind": "bars",
            "id": pid,
            "alt": (
                f"Bar chart: which features make up the score gap between {f.short(group, 80)} and the "
                f"reference group of {f.short(attr, 80)}; the table gives the numbers."
            ),
            "categories": [_short_label(k) for k, _ in ranked],
            "series": [
                {
                    "label": "points of score gap",
                    "values": [v for _, v in ranked],
                    "low": None,
                    "high": None,
                    "role": "truth",
                }
            ],
            "marks": ["fail" if v < 0 else "main" for _, v in ranked],
            "xlabel": f"score points (negative = lowers {_short_label(group)} against the reference)",
            "percent": False,
            "zero": True,
        }
        feature_rows = [[cell(f.text(k)), cell(f.points(v), v)] for k, v in ranked]
        feature_table = table(
            f"Score gap of {f.short(group, 80)} by feature",
            ["Feature", "Score points#"],
            feature_rows,
        )
    else:
        feature_table = None
    return {
        "id": pid,
        "title": f.short(attr, 200),
        "reference": f.short(ref, 200),
        "chart": chart,
        "chart_group": f.short(best[0], 200) if best else "",
        "features": feature_table,
        "table": table(
            f"Score gap against the reference group, by {f.short(attr, 80)}",
            [
                "Group",
                "Score gap (points)#",
                "Interval",
                "Gap in the whole population#",
                "Largest contributions",
            ],
            rows,
            note="Score gap: the group's mean score minus the reference group's, split by SHAP into the "
            "contribution of each feature.",
        ),
    }


def _cases(data: Mapping, tables: Mapping | None) -> dict:
    cases = _blocks(data, "cases")
    frame = (tables or {}).get("cases")
    if not cases and frame is None:
        reason = (
            "case files need a scorer to explain each decision and ground truth to know who was wronged"
            if "observed" not in data
            else "the case-file stage did not run for this audit"
        )
        return unavailable(reason)
    counts = cases.get("count") if isinstance(cases.get("count"), Mapping) else {}
    excess = cases.get("excess") if isinstance(cases.get("excess"), Mapping) else {}
    rows = []
    for attr in list(counts) + [a for a in excess if a not in counts]:
        groups = list(_get(counts, attr, default={}) or {})
        groups += [g for g in (_get(excess, attr, default={}) or {}) if g not in groups]
        for group in groups:
            n = _get(counts, attr, group)
            x = _get(excess, attr, group)
            rows.append(
                [
                    cell(f.text(attr)),
                    cell(f.text(group)),
                    cell(f.count(n), n if f.is_num(n) else None),
                    cell(
                        f.count(x),
                        x if f.is_num(x) else None,
                        "fail" if f.is_num(x) and x > 0 else "",
                    ),
                ]
            )
    by_group = (
        table(
            "Wrongful blacklistings by group",
            ["Attribute", "Group", "Wrongly blacklisted#", "Excess over the reference rate#"],
            rows,
            note="Excess: how many fewer people would have been wrongly blacklisted had the group had the "
            "reference group's wrongful blacklisting rate.",
        )
        if rows
        else None
    )
    files, shown, total = None, 0, cases.get("total")
    if frame is not None and hasattr(frame, "columns") and hasattr(frame, "head"):
        head = frame.head(CASES_IN_HTML)
        body = []
        for values in head.itertuples(index=False, name=None):
            body.append([cell(f.text(_plain(v)), _sort_key(v)) for v in values])
        numeric = [
            bool(body) and all(f.is_num(row[j]["sort"]) for row in body)
            for j in range(len(head.columns))
        ]
        columns = [
            f.text(c) + ("#" if is_num else "")
            for c, is_num in zip(head.columns, numeric, strict=True)
        ]
        shown = len(body)
        n_rows = len(frame)
        files = table(
            "Case files: people wrongly blacklisted",
            columns,
            body,
            note=(
                f"Showing {f.count(shown)} of {f.count(n_rows)} case files; all are in cases.csv beside this "
                "report."
                if n_rows > shown
                else "All case files are listed; they are also in cases.csv beside this report."
            ),
        )
        if not f.is_num(total):
            total = n_rows
    elif isinstance(cases.get("examples"), list):
        ex = [e for e in cases["examples"][:CASES_IN_HTML] if isinstance(e, Mapping)]
        keys = sorted({k for e in ex for k in e}, key=str)
        files = table(
            "Case files: people wrongly blacklisted",
            keys,
            [[cell(f.text(e.get(k))) for k in keys] for e in ex],
            note="The full list is in cases.csv beside this report.",
        )
        shown = len(ex)
    rest = {
        k: v
        for k, v in cases.items()
        if k not in ("count", "excess", "total", "examples", "columns")
    }
    return {
        "available": True,
        "total": f.count(total) if f.is_num(total) else None,
        "by_group": by_group,
        "files": files,
        "shown": shown,
        "other": kv_tree(rest) if rest else [],
    }


def _plain(v: Any) -> Any:
    """A table value as a plain Python value (numpy scalars have .item())."""
    item = getattr(v, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            return str(v)
    return v


def _sort_key(v: Any) -> Any:
    v = _plain(v)
    return v if f.is_num(v) else f.text(v)


def _limitations(data: Mapping, view: Mapping) -> list[str]:
    out = []
    synthetic = "observed" in data
    if synthetic:
        out.append(
            "The population is synthetic: every magnitude in its scenario is an assumption chosen to exercise "
            "the audit, not a claim about any real group. The injected mechanisms listed under Data are what "
            "this audit should find."
        )
    else:
        out.append(
            "No ground truth: error rates are measured against recorded outcomes. If the records over-record "
            "adverse outcomes for a group, blacklisting that group looks justified and wrongful blacklisting "
            "is understated."
        )
    if _blocks(data, "scorer"):
        out.append(
            "The scorer was treated as a black box and queried through score(X) only; a stand-in scorer "
            "trained on synthetic records is not any real institution's system."
        )
    out.append(
        "Fairness criteria conflict: when base rates differ between groups, equal wrongful blacklisting "
        "rates, equal missed-risk rates and equal predictive value cannot all hold at once (Chouldechova "
        "2017; Kleinberg, Mullainathan and Raghavan 2016). This report judges one criterion and shows the "
        "others; a different choice can change the verdict."
    )
    small = []
    for attr, block in {**_blocks(data, "attributes"), **_blocks(data, "intersections")}.items():
        for group, g in _groups(block).items():
            if isinstance(g, Mapping) and g.get("small"):
                small.append(f"{f.short(attr, 60)}: {f.short(group, 60)}")
    if small:
        out.append(
            "Too small to report (rates suppressed): "
            + "; ".join(small[:20])
            + (f"; and {len(small) - 20} more" if len(small) > 20 else "")
            + ". Harm to small groups can be real and still invisible here."
        )
    out.append(
        "The reference group is the most favoured group unless chosen; a different reference (e.g. after "
        "excluding categories under 2% as NYC Local Law 144 allows) changes every impact ratio."
    )
    if view["scores"].get("available"):
        out.append(
            "The verdict holds at the scorer's current threshold; the threshold sweep shows how the "
            "disparities move if it changes."
        )
    if view["why"].get("available"):
        out.append(
            "SHAP attributions explain the scorer's output, not the world: a feature carrying a gap is "
            "evidence of a proxy, not proof of intent, and attributions depend on the background sample."
        )
    out.append(
        "Intervals are at the stated confidence level and p-values are Holm-adjusted within the audit; "
        "with many groups some intervals will miss the true value by chance."
    )
    return out


SECTIONS = [
    ("summary", "Executive summary"),
    ("scope", "Scope and definitions"),
    ("data", "Data"),
    ("scorer", "The scorer"),
    ("impact", "Disparate impact"),
    ("errors", "Error rates by group"),
    ("scores", "Score distributions and threshold"),
    ("why", "Why: what drives the gaps"),
    ("cases", "Case files"),
    ("limitations", "Limitations"),
]


def summarize(data: Mapping, tables: Mapping | None = None) -> dict:
    """Build the report's view dict from an audit.json dict.

    Parameters
    ----------
    data : Mapping
        The audit.json dict (``AuditResult.to_dict()``). Any section may be missing.
    tables : Mapping of str to DataFrame, optional
        Big tables written beside audit.json; ``"cases"`` fills the case-file table (first 50 rows).

    Returns
    -------
    dict
        Plain data for the templates: ``cover``, one entry per section (each with ``available`` and,
        when False, a ``reason``), ``toc``, ``limitations`` and ``island`` (the JSON handed to the
        script).

    Examples
    --------
    >>> view = summarize({"schema_version": 1, "meta": {"n": 10}})
    >>> view["impact"]["available"], view["impact"]["reason"]
    (False, 'the audit result has no attributes block')
    """
    if not isinstance(data, Mapping):
        from audit.exceptions import InvalidInputError

        raise InvalidInputError(
            f"The audit result must be a dict (audit.json) or have .to_dict(). Got {type(data).__name__} instead."
        )
    view = {
        "cover": _cover(data),
        "summary": _summary(data),
        "scope": _scope(data),
        "data": _data(data),
        "scorer": _scorer(data),
        "impact": _impact(data),
        "errors": _errors(data),
        "scores": _scores(data),
        "why": _why(data),
        "cases": _cases(data, tables),
    }
    for key in ("summary", "scope"):
        view[key].setdefault("available", True)
    view["limitations"] = _limitations(data, view)
    view["toc"] = [{"id": sid, "title": title} for sid, title in SECTIONS]
    view["island"] = {"sweeps": view["scores"].get("sweeps", [])}
    return view
