"""Turn an audit (its audit.json dict) into the *view dict* the templates render.

The view dict is plain data: per section a title, sentences, tables of display strings (each cell with
a sort key) and chart specs (the numbers a chart draws). It is tested on its own, apart from the HTML.

What this module must not do: compute statistics, import fairlearn or shap, or emit HTML. Every number
shown is taken from the dict; the only arithmetic is for display (truth minus records in percentage
points, a histogram's two label columns added, a band's midpoint, picking the worst of given values).
A section whose data is absent says so plainly: ``available: False`` and a ``reason``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.report import _format as f
from audit.report._view import (
    cell,
    compact,
    get,
    interval_cell,
    kv_tree,
    mapping,
    num_cell,
    table,
    unavailable,
)

CASES_IN_HTML = 50
MAX_CHART_GROUPS = 20
TOP_INTERSECTIONS = 15

#: criterion name -> (label, what it demands); names the engine may use for the same criterion
CRITERIA = {
    "impact_ratio": (
        "Four-fifths rule (impact ratio)",
        "every group's favourable-outcome rate at least {t} × the reference group's",
    ),
    "fpr_ratio": (
        "Wrongful blacklisting ratio",
        "lowest ÷ highest wrongful blacklisting rate between groups at least {t}",
    ),
    "fnr_ratio": (
        "Missed-risk ratio",
        "lowest ÷ highest missed-risk rate between groups at least {t}",
    ),
    "fpr_difference": (
        "Wrongful blacklisting difference",
        "largest gap in wrongful blacklisting rates between groups at most {t}",
    ),
    "adverse_rate_difference": (
        "Adverse rate difference",
        "largest gap in adverse rates between groups at most {t}",
    ),
}
ALIASES = {"four_fifths": "impact_ratio"}

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

DEFINITIONS = [
    ("Adverse rate", "share of a group given the adverse decision (blacklisted)."),
    (
        "Impact ratio",
        "a group's favourable-outcome rate (not blacklisted) divided by the reference group's; "
        "1 is parity, below 0.8 is evidence of adverse impact under the US EEOC four-fifths rule.",
    ),
    (
        "Wrongful blacklisting rate (FPR)",
        "of the people whose outcome label is not adverse, the share blacklisted anyway.",
    ),
    (
        "Missed-risk rate (FNR)",
        "of the people whose outcome label is adverse, the share not blacklisted.",
    ),
    ("PPV / FDR", "of those blacklisted, the share rightly (PPV) and wrongly (FDR) blacklisted."),
    ("FOR", "of those not blacklisted, the share whose outcome label is adverse."),
    ("Base rate", "share of a group whose outcome label is adverse."),
]


# --- helpers ----------------------------------------------------------------------------------------


def _usable(block: Any) -> bool:
    return isinstance(block, Mapping) and not block.get("small")


def _groups(section: Any) -> dict:
    return mapping(get(section, "groups"))


def _synthetic(data: Mapping) -> bool:
    """True when the audit has an observed-label block beside the ground truth."""
    return bool(mapping(get(data, "observed", "attributes")))


def _criterion(name: Any) -> str:
    return ALIASES.get(str(name), str(name))


def _criterion_label(name: Any) -> str:
    key = _criterion(name)
    return CRITERIA.get(key, (f.humanize(key), ""))[0]


def _criterion_rule(name: Any, threshold: Any) -> str:
    rule = CRITERIA.get(_criterion(name), ("", ""))[1]
    return rule.format(t=f.text(threshold)) if rule and threshold is not None else ""


def _label(s: Any, limit: int = 40) -> str:
    """A chart label: short, so a 10 kB group name does not stretch the figure (the table has it all)."""
    return f.short(f.text(s), limit)


def _groupings(data: Mapping) -> dict:
    return {**mapping(data.get("attributes")), **mapping(data.get("intersections"))}


def _aggregate(section: Any, kind: str, metric: str) -> tuple[Any, Any]:
    """(value, interval) of ``differences``/``ratios`` for a metric, between groups."""
    entry = get(section, kind, metric)
    if isinstance(entry, Mapping):
        return entry.get("between_groups"), get(entry, "ci", "between_groups")
    return entry, None


def _ordered(data: Mapping) -> dict:
    """A shallow copy with groupings in the order of ``meta.protected`` and each reference group first.

    audit.json is written with sorted keys, so its own order is alphabetical; readers expect the
    attributes in the order the audit named them, and the reference group at the top of every table.
    """
    protected = [str(a) for a in get(data, "meta", "protected", default=None) or []]
    rank = {a: i for i, a in enumerate(protected)}

    def key(name: str) -> tuple:
        parts = str(name).split(" & ")
        return (len(parts), [rank.get(p, len(rank)) for p in parts], str(name))

    def order_sections(sections: Any) -> Any:
        if not isinstance(sections, Mapping):
            return sections
        out = {}
        for name in sorted(sections, key=key):
            sec = sections[name]
            groups = get(sec, "groups")
            ref = get(sec, "reference")
            if isinstance(groups, Mapping) and ref in groups:
                sec = {
                    **sec,
                    "groups": {ref: groups[ref], **{g: v for g, v in groups.items() if g != ref}},
                }
            out[name] = sec
        return out

    out = dict(data)
    for k in ("attributes", "intersections"):
        out[k] = order_sections(data.get(k))
    if isinstance(data.get("observed"), Mapping):
        out["observed"] = {
            **data["observed"],
            **{k: order_sections(data["observed"].get(k)) for k in ("attributes", "intersections")},
        }
    explain = data.get("explain")
    if isinstance(explain, Mapping) and isinstance(explain.get("attributes"), Mapping):
        out["explain"] = {**explain, "attributes": order_sections(explain["attributes"])}
    return out


# --- cover and summary ------------------------------------------------------------------------------


def _cover(data: Mapping) -> dict:
    meta = mapping(data.get("meta"))
    pop = mapping(data.get("population"))
    scorer = mapping(data.get("scorer"))
    scenario = pop.get("name", pop.get("scenario"))
    source = meta.get("source")
    if scenario:
        subject = f"scenario “{f.short(scenario, 80)}” (synthetic population)"
    elif source:
        subject = f"decisions from {f.short(source, 80)}"
    else:
        subject = "recorded decisions"
    what = []
    if scorer.get("kind"):
        what.append(("Scorer", f.short(scorer["kind"], 200)))
    what.append(("Audited", subject))
    if meta.get("decision") is not None:
        what.append(
            (
                "Decision",
                f"column “{f.short(meta['decision'], 80)}”, adverse value {f.short(f.text(meta.get('positive')), 40)}",
            )
        )
    if meta.get("label") is not None:
        label = f"column “{f.short(meta['label'], 80)}”"
        if meta.get("observed_label"):
            label += f" (ground truth); records: “{f.short(meta['observed_label'], 80)}”"
        what.append(("Outcome label", label))
    if meta.get("protected"):
        what.append(("Protected attributes", f.short(", ".join(map(str, meta["protected"])), 400)))
    if f.is_num(meta.get("n")):
        what.append(("People", f.count(meta["n"])))
    if meta.get("created"):
        what.append(("Run at", f.text(meta["created"])))
    versions = mapping(meta.get("versions"))
    seed = meta.get("seed")
    repro = [
        ("Seed", f.text(seed) if seed is not None else "none"),
        ("Data SHA-256", f.text(meta.get("data_sha256"))),
        ("Tool version", f"audit {f.text(versions.get('audit'))}"),
        ("Schema version", f.text(data.get("schema_version"))),
        ("Source", f.short(f.text(source), 400)),
        ("Confidence level", f.pct(meta.get("confidence"), 0)),
    ]
    if f.is_num(meta.get("bootstrap_replicates")):
        repro.append(("Bootstrap replicates", f.count(meta["bootstrap_replicates"])))
    repro += [(str(k), f.short(f.text(v), 80)) for k, v in sorted(versions.items()) if k != "audit"]
    sha = f.text(meta.get("data_sha256"))
    line = [
        f"seed {f.text(seed)}" if seed is not None else "no seed",
        f"data {sha[:8]}…" if len(sha) > 16 else f"data {sha}",
        f"audit {f.text(versions.get('audit'))}",
    ]
    return {
        "title": "Bias audit: who does this scorer wrongly blacklist?",
        "subject": subject,
        "what": what,
        "repro": repro,
        "repro_line": " · ".join(line),
    }


def _worst(data: Mapping, name: str) -> tuple[str, Any] | None:
    """Where a criterion is closest to failing: (where, value), from the numbers in the dict."""
    found = None
    if name == "impact_ratio":
        for attr, sec in _groupings(data).items():
            for group, g in _groups(sec).items():
                v = g.get("impact_ratio") if _usable(g) else None
                if f.is_num(v) and (found is None or v < found[1]):
                    found = (f"{f.short(attr, 60)}: {f.short(group, 60)}", v)
        return found
    for kind, suffix, lowest in (("ratios", "_ratio", True), ("differences", "_difference", False)):
        if name.endswith(suffix):
            metric = name.removesuffix(suffix)
            for attr, sec in _groupings(data).items():
                v, _ = _aggregate(sec, kind, metric)
                if f.is_num(v) and (found is None or (v < found[1] if lowest else v > found[1])):
                    found = (f.short(attr, 60), v)
    return found


def _summary(data: Mapping) -> dict:
    verdict = mapping(data.get("verdict"))
    thresholds = {_criterion(k): v for k, v in mapping(data.get("thresholds")).items()}
    violations = [v for v in verdict.get("violations") or [] if isinstance(v, Mapping)]
    names = list(thresholds)
    names += [
        c
        for c in dict.fromkeys(_criterion(v.get("criterion")) for v in violations)
        if c not in names
    ]
    judged = _criterion(get(data, "meta", "criterion")) if get(data, "meta", "criterion") else None
    rows = []
    for name in names:
        mine = [v for v in violations if _criterion(v.get("criterion")) == name]
        threshold = thresholds.get(name, mine[0].get("threshold") if mine else None)
        worst = _worst(data, name)
        worst_txt = f"{worst[0]} = {f.ratio(worst[1])}" if worst else f.DASH
        if mine:
            result, cls = "FAIL", "fail"
        elif threshold is None:
            result, cls = "not judged", ""
        else:
            result, cls = "pass", "pass"
        label = _criterion_label(name) + (" (judged)" if name == judged else "")
        rows.append(
            [
                cell(label, title=_criterion_rule(name, threshold) or label),
                num_cell(threshold, f.text) if threshold is not None else cell("not set"),
                cell(result, result, cls),
                num_cell(len(mine), f.count),
                cell(worst_txt),
            ]
        )
    passed = verdict.get("passed")
    if passed is True:
        headline, vcls = "PASS: no fairness criterion is violated at the thresholds set.", "pass"
    elif passed is False:
        crit = list(dict.fromkeys(_criterion(v.get("criterion")) for v in violations))
        parts = [
            f"{_criterion_label(c)} ({f.count(sum(1 for v in violations if _criterion(v.get('criterion')) == c))} violations)"
            for c in crit
        ]
        judged_n = sum(1 for n in names if thresholds.get(n) is not None or n in crit)
        headline = (
            f"FAIL: {f.count(len(crit))} of {f.count(max(judged_n, len(crit)))} criteria violated — "
            + ("; ".join(parts) + ".")
        )
        vcls = "fail"
    else:
        headline, vcls = "No verdict: the audit result carries no pass/fail decision.", "na"
    criteria = (
        table(
            "Criteria against their thresholds",
            ["Criterion", "Threshold#", "Result", "Violations#", "Worst value"],
            rows,
            note="Worst value: the group (or grouping) closest to failing the criterion.",
        )
        if rows
        else None
    )
    return {
        "available": True,
        "headline": headline,
        "verdict_cls": vcls,
        "criteria": criteria,
        "harm": _harm(data),
        "violations": _violations_table(violations),
    }


def _violations_table(violations: list) -> dict | None:
    if not violations:
        return None
    rows = []
    for v in violations:
        group = v.get("group")
        rows.append(
            [
                cell(_criterion_label(v.get("criterion"))),
                cell(f.text(v.get("attribute"))),
                cell(f.text(group) if group is not None else "between groups"),
                num_cell(v.get("value"), f.ratio, "fail"),
                num_cell(v.get("threshold"), f.text),
                num_cell(v.get("p_holm"), f.pvalue),
            ]
        )
    return table(
        "Every violation",
        ["Criterion", "Grouping", "Group", "Value#", "Threshold#", "p (Holm)#"],
        rows,
    )


def _harm(data: Mapping) -> list[str]:
    """The harm in people, as sentences built from counts given in the dict."""
    out = []
    overall = mapping(data.get("overall"))
    fp = get(overall, "counts", "fp")
    synthetic = _synthetic(data)
    if f.is_num(fp):
        base = (
            "in truth would not have defaulted or violated"
            if synthetic
            else "have no adverse outcome on record"
        )
        rate = (
            f", a wrongful blacklisting rate of {f.pct(overall.get('fpr'))}"
            if f.is_num(overall.get("fpr"))
            else ""
        )
        out.append(f"{f.count(fp)} people were blacklisted although they {base}{rate}.")
    cases = mapping(data.get("cases"))
    excess = mapping(cases.get("excess"))
    totals = mapping(cases.get("excess_total"))
    items = []
    for attr, groups in excess.items():
        for group, x in mapping(groups).items():
            if f.is_num(x) and x >= 0.5:
                items.append((x, attr, group))
    items.sort(key=lambda t: (-t[0], str(t[1]), str(t[2])))
    reference = mapping(cases.get("reference"))
    for x, attr, group in items[:3]:
        ref = reference.get(attr, get(data, "attributes", attr, "reference"))
        vs = f" ({f.short(ref, 60)})" if ref is not None else ""
        total = totals.get(attr)
        tail = (
            f" ({f.count(total)} across all {f.short(attr, 60)} groups)"
            if f.is_num(total) and total > x + 0.5
            else ""
        )
        out.append(
            f"{f.short(attr, 60)} = {f.short(group, 60)}: about {f.count(x)} more people wrongly blacklisted than "
            f"at the reference group's{vs} rate{tail}."
        )
    worst = _highest_fpr(data)
    if worst:
        attr, group, rate, ref, ref_rate = worst
        out.append(
            f"Highest wrongful blacklisting rate by {f.short(attr, 60)}: {f.short(group, 60)}, {f.pct(rate)}, "
            f"against {f.pct(ref_rate)} for the reference group ({f.short(ref, 60)})."
        )
    gap = _largest_record_gap(data)
    if gap:
        attr, group, seen, true = gap
        out.append(
            f"Records understate the harm: for {f.short(attr, 60)} = {f.short(group, 60)} the records show a "
            f"wrongful blacklisting rate of {f.pct(seen)}; the truth is {f.pct(true)}."
        )
    twins = []
    for attr, t in mapping(get(cases, "case_files", "twins")).items():
        t = mapping(t)
        n, cleared = t.get("n"), t.get("not_blacklisted")
        if f.is_num(n) and n > 0 and f.is_num(cleared) and cleared > 0:
            twins.append((-cleared / n, str(attr), attr, t))
    if twins:
        parts = [
            f"{f.count(t['not_blacklisted'])} of {f.count(t['n'])} as {f.short(t.get('reference'), 60)} "
            f"({f.short(attr, 60)})"
            for *_, attr, t in sorted(twins, key=lambda x: x[:2])[:3]
        ]
        out.append(
            "Counterfactual twins (the same wrongly blacklisted people scored again, only the protected "
            "attribute set to the reference group's) would not have been blacklisted: "
            + "; ".join(parts)
            + "."
        )
    return out


def _highest_fpr(data: Mapping) -> tuple | None:
    """In the attribute with the smallest wrongful blacklisting ratio, the group with the highest rate."""
    best = None
    for attr, sec in mapping(data.get("attributes")).items():
        r, _ = _aggregate(sec, "ratios", "fpr")
        if f.is_num(r) and (best is None or r < best[0]):
            best = (r, attr, sec)
    if best is None:
        return None
    _, attr, sec = best
    ref = sec.get("reference")
    ref_rate = get(sec, "groups", ref, "fpr")
    rates = [
        (g.get("fpr"), group)
        for group, g in _groups(sec).items()
        if _usable(g) and f.is_num(g.get("fpr"))
    ]
    if not rates or not f.is_num(ref_rate):
        return None
    rate, group = max(rates, key=lambda t: (t[0], str(t[1])))
    return None if group == ref else (attr, group, rate, ref, ref_rate)


def _largest_record_gap(data: Mapping) -> tuple | None:
    """The group whose wrongful blacklisting rate the records understate most (truth minus records)."""
    best = None
    obs = mapping(get(data, "observed", "attributes"))
    for attr, sec in mapping(data.get("attributes")).items():
        for group, g in _groups(sec).items():
            seen = get(obs, attr, "groups", group, "fpr")
            true = g.get("fpr") if _usable(g) else None
            if (
                f.is_num(seen)
                and f.is_num(true)
                and true - seen > 0.005
                and (best is None or true - seen > best[3] - best[2])
            ):
                best = (attr, group, seen, true)
    return best


# --- scope, data, scorer ----------------------------------------------------------------------------


def _scope(data: Mapping) -> dict:
    meta = mapping(data.get("meta"))
    thresholds = {_criterion(k): v for k, v in mapping(data.get("thresholds")).items()}
    judged = _criterion(meta["criterion"]) if meta.get("criterion") else None
    refs = []
    for attr, sec in _groupings(data).items():
        rule = sec.get("reference_rule")
        why = {
            "most_favoured": "most favoured group (highest favourable rate)",
            "user": "named by the user",
        }.get(rule, f.text(rule))
        refs.append([cell(f.text(attr)), cell(f.text(sec.get("reference"))), cell(why)])
    thr_rows = [
        [
            cell(_criterion_label(k)),
            num_cell(v, f.text) if v is not None else cell("not set"),
            cell(_criterion_rule(k, v) or "not judged"),
        ]
        for k, v in thresholds.items()
    ]
    label = meta.get("label")
    if _synthetic(data):
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
    if judged:
        rule = _criterion_rule(judged, thresholds.get(judged))
        judged_txt = f"The verdict is judged by {_criterion_label(judged)}" + (
            f": {rule}." if rule else "."
        )
        others = [
            _criterion_label(k) for k, v in thresholds.items() if k != judged and v is not None
        ]
        if others:
            judged_txt += " Also judged: " + ", ".join(others) + "."
    else:
        judged_txt = "No single criterion was named as the one judged; every criterion with a threshold counts."
    tests = mapping(meta.get("tests"))
    return {
        "available": True,
        "decision": f.short(meta.get("decision"), 80),
        "positive": f.short(f.text(meta.get("positive")), 80),
        "label_txt": label_txt,
        "definitions": DEFINITIONS,
        "judged": judged_txt,
        "thresholds": table("Thresholds", ["Criterion", "Threshold#", "Meaning"], thr_rows)
        if thr_rows
        else None,
        "references": table("Reference groups", ["Grouping", "Reference group", "Why"], refs)
        if refs
        else None,
        "confidence": f.pct(meta.get("confidence"), 0)
        if f.is_num(meta.get("confidence"))
        else None,
        "correction": f.text(tests.get("correction")) if tests.get("correction") else "Holm",
    }


def _data(data: Mapping) -> dict:
    meta = mapping(data.get("meta"))
    attrs = mapping(data.get("attributes"))
    if not attrs:
        return unavailable("the audit result has no attributes block")
    tables = []
    for attr, sec in attrs.items():
        rows = []
        for group, g in _groups(sec).items():
            status = "too small: rates suppressed" if g.get("small") else ""
            if group == sec.get("reference"):
                status = "reference" + (f"; {status}" if status else "")
            rows.append(
                [
                    cell(f.text(group)),
                    num_cell(g.get("n"), f.count),
                    num_cell(g.get("share")),
                    num_cell(g.get("base_rate")),
                    cell(status, cls="small" if g.get("small") else ""),
                ]
            )
        unknown = sec.get("unknown")
        note = (
            f"{f.count(unknown)} people with no recorded value are counted as their own group."
            if f.is_num(unknown) and unknown > 0
            else "No missing values."
        )
        tables.append(
            table(
                f"People by {f.short(attr, 80)}",
                ["Group", "People#", "Share#", "Base rate#", "Status"],
                rows,
                note=note,
            )
        )
    mgs = meta.get("min_group_size")
    policy = (
        f"Groups with fewer than {f.count(mgs)} people are reported as too small: their rates are "
        "suppressed (shown as —), never as 0 or 1."
        if f.is_num(mgs)
        else "No minimum group size was recorded."
    )
    missing = meta.get("missing")
    missing_txt = {
        "unknown": "Missing protected values are counted as their own group, “unknown”.",
        "error": "Missing protected values were not allowed.",
        "drop": "Rows with missing protected values were dropped.",
    }.get(missing, f"Missing-value policy: {f.text(missing)}.")
    return {
        "available": True,
        "tables": tables,
        "policy": policy,
        "missing": missing_txt,
        "population": _population(mapping(data.get("population"))),
    }


def _population(pop: dict) -> dict | None:
    if not pop:
        return None
    rows = []
    for name, m in mapping(pop.get("mechanisms")).items():
        m = m if isinstance(m, Mapping) else {"magnitude": m}
        what = " ".join(f.text(m[k]) for k in ("description", "note") if m.get(k))
        on = m.get("on")
        rows.append(
            [
                cell(f.humanize(name)),
                cell("on" if on is True else ("off" if on is False else f.DASH), f.text(on)),
                num_cell(m.get("magnitude"), f.num),
                num_cell(m.get("touched"), f.count),
                cell(what or f.DASH, limit=600),
                cell(compact(m["settings"]) if "settings" in m else f.DASH, limit=400),
            ]
        )
    shown = {"name", "scenario", "description", "mechanisms", "n", "seed"}
    facts = []
    for key, label, fmt in (
        ("n", "People generated", f.count),
        ("seed", "Seed", f.text),
        ("base_rate_truth", "Share who default or violate, in truth", f.pct),
        ("base_rate_observed", "Share who default or violate, on record", f.pct),
    ):
        if f.is_num(pop.get(key)):
            facts.append((label, fmt(pop[key])))
            shown.add(key)
    return {
        "name": f.short(pop.get("name", pop.get("scenario")), 200),
        "facts": facts,
        "description": f.short(pop.get("description"), 1000) if pop.get("description") else "",
        "mechanisms": table(
            "Bias mechanisms injected into the synthetic population: what this audit should find",
            ["Mechanism", "On", "Magnitude#", "People touched#", "What it does", "Settings"],
            rows,
            note="Every magnitude is an assumption chosen to exercise the audit, not a claim about any real group.",
        )
        if rows
        else None,
        "other": kv_tree({k: v for k, v in pop.items() if k not in shown}),
    }


def _scorer(data: Mapping) -> dict:
    scorer = mapping(data.get("scorer"))
    if not scorer:
        return unavailable(
            "this audit has only the recorded decisions; nothing is known here of the scorer that made them"
        )
    known = {
        "kind": "Kind",
        "threshold": "Blacklisting threshold",
        "score_range": "Score range",
        "score_mapping": "Score mapping",
        "queried": "How it was queried",
        "include_protected": "Uses protected attributes directly",
    }
    facts = [(label, f.short(compact(scorer[k]), 600)) for k, label in known.items() if k in scorer]
    rules = scorer.get("rules")
    rules_table = None
    if isinstance(rules, list) and rules and all(isinstance(r, Mapping) for r in rules):
        keys = list(dict.fromkeys(k for r in rules for k in r))
        rules_table = table(
            "Rules applied besides the score",
            [f.humanize(k) for k in keys],
            [[cell(f.short(compact(r.get(k)), 400)) for k in keys] for r in rules],
        )
    features = scorer.get("features", scorer.get("feature_names"))
    feature_txt = ", ".join(map(str, features)) if isinstance(features, list) else ""
    shown = set(known) | {"features", "feature_names"} | ({"rules"} if rules_table else set())
    return {
        "available": True,
        "facts": facts,
        "features": f.short(feature_txt, 2000),
        "rules": rules_table,
        "other": kv_tree({k: v for k, v in scorer.items() if k not in shown}),
    }


# --- disparate impact -------------------------------------------------------------------------------


def _impact(data: Mapping) -> dict:
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
    for group, g in _groups(sec).items():
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
    for group, g in _groups(sec).items():
        if not (_usable(g) and f.is_num(g.get("adverse_rate"))) or len(cats) >= MAX_CHART_GROUPS:
            continue
        ci = get(g, "ci", "adverse_rate")
        ok = f.interval(ci) != f.DASH
        cats.append(_label(group))
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
            d, dci = _aggregate(sec, "differences", metric)
            r, rci = _aggregate(sec, "ratios", metric)
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
        for group, g in _groups(sec).items():
            v = g.get("impact_ratio")
            if _usable(g) and f.is_num(v) and group != ref:
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
        "categories": [_label(group, 48) for _, _, group, _ in top],
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


# --- error rates ------------------------------------------------------------------------------------


def _errors(data: Mapping) -> dict:
    attrs = mapping(data.get("attributes"))
    if not attrs:
        return unavailable("the audit result has no attributes block")
    if "label" in mapping(data.get("meta")) and get(data, "meta", "label") is None:
        return unavailable("no outcome label was given, so no error can be counted")
    both = _synthetic(data)
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
    obs_groups = _groups(obs_sec)
    rows = []
    for group, g in _groups(sec).items():
        counts = mapping(g.get("counts"))
        fpr = g.get("fpr") if _usable(g) else None
        row = [
            cell(f.text(group) + (" (reference)" if group == ref else ""), f.text(group)),
            num_cell(counts.get("fp"), f.count),
            num_cell(fpr),
            interval_cell(get(g, "ci", "fpr")),
        ]
        if both:
            o = obs_groups.get(group)
            seen = o.get("fpr") if _usable(o) else None
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
    obs_groups = _groups(obs_sec)
    cats, truth, lows, highs, seen, marks = [], [], [], [], [], []
    for group, g in _groups(sec).items():
        fpr = g.get("fpr") if _usable(g) else None
        if not f.is_num(fpr) or len(cats) >= MAX_CHART_GROUPS:
            continue
        ci = get(g, "ci", "fpr")
        ok = f.interval(ci) != f.DASH
        o = obs_groups.get(group)
        o_fpr = o.get("fpr") if _usable(o) else None
        cats.append(_label(group))
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
        for group, g in _groups(sec).items():
            v = g.get("fpr") if _usable(g) else None
            if f.is_num(v):
                o = get(obs_inter, name, "groups", group)
                seen = o.get("fpr") if _usable(o) else None
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
        "categories": [_label(t[2], 48) for t in top],
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


# --- scores -----------------------------------------------------------------------------------------


def _scores(data: Mapping) -> dict:
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
                {"label": _label(g), "values": c}
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
            {"label": _label(g), "values": v[main]}
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
                {"label": _label(g), "x": mids, "values": v["adverse_label_rate"]}
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


# --- why --------------------------------------------------------------------------------------------


def _why(data: Mapping) -> dict:
    explain = mapping(data.get("explain"))
    if not explain:
        reason = (
            "no scorer was available to query, so the scores cannot be explained"
            if not mapping(data.get("scorer"))
            else "the explanation stage did not run for this audit"
        )
        return unavailable(reason)
    parts = [
        _why_part(f"why-{i}", attr, sec)
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
        "proxies": _proxies(explain.get("proxies"), explain.get("proxy_method")),
        "other": kv_tree({k: v for k, v in explain.items() if k not in shown}),
    }


def _why_part(pid: str, attr: str, sec: Any) -> dict:
    ref = get(sec, "reference")
    rows, best = [], None
    for group, g in _groups(sec).items():
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
    chart, features_table, group_name = None, None, ""
    if best:
        group, gap, ranked = best
        ranked = [kv for kv in ranked if abs(kv[1]) >= 0.05][:12] or ranked[:12]
        group_name = f.short(group, 200)
        chart = {
            "kind": "bars",
            "id": pid,
            "alt": (
                f"Bar chart: the features that make up the score gap between {f.short(group, 80)} and the "
                f"reference group of {f.short(attr, 80)}; the table gives the numbers."
            ),
            "categories": [_label(k) for k, _ in ranked],
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
            "xlabel": f"score points (negative: lowers {_label(group)} against the reference)",
            "percent": False,
            "zero": True,
        }
        features_table = table(
            f"Score gap of {f.short(group, 80)} by feature",
            ["Feature", "Score points#"],
            [[cell(f.text(k)), num_cell(v, f.points)] for k, v in ranked],
        )
    return {
        "id": pid,
        "title": f.short(attr, 200),
        "reference": f.short(ref, 200),
        "chart": chart,
        "chart_group": group_name,
        "features": features_table,
        "table": table(
            f"Score gap against the reference group, by {f.short(attr, 80)}",
            [
                "Group",
                "People explained#",
                "Score gap (points)#",
                "95% CI",
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
                f"{_label(p.get('feature'), 28)} ({_label(p.get('group', p.get('attribute')), 20)})"
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


# --- cases ------------------------------------------------------------------------------------------


def _cases(data: Mapping, tables: Mapping | None) -> dict:
    cases = mapping(data.get("cases"))
    frame = (tables or {}).get("cases")
    if not cases and frame is None:
        reason = (
            "case files need a scorer to explain each decision, and this audit has none"
            if not mapping(data.get("scorer"))
            else "the case-file stage did not run for this audit"
        )
        return unavailable(reason)
    detail = mapping(cases.get("groups"))
    counts = mapping(cases.get("count"))
    excess = mapping(cases.get("excess"))
    rows = []
    for attr in dict.fromkeys([*detail, *counts, *excess]):
        groups = dict.fromkeys(
            [*mapping(detail.get(attr)), *mapping(counts.get(attr)), *mapping(excess.get(attr))]
        )
        for group in groups:
            d = mapping(get(detail, attr, group))
            n = d.get("wrongful", get(counts, attr, group))
            x = d.get("excess", get(excess, attr, group))
            rows.append(
                [
                    cell(f.text(attr)),
                    cell(f.text(group)),
                    num_cell(n, f.count),
                    num_cell(d.get("rate")),
                    num_cell(d.get("expected_at_reference_rate"), f.count),
                    num_cell(x, f.count, "fail" if f.is_num(x) and x >= 0.5 else ""),
                ]
            )
    by_group = (
        table(
            "Wrongful blacklistings by group",
            [
                "Attribute",
                "Group",
                "Wrongly blacklisted#",
                "Rate#",
                "Expected at reference rate#",
                "Excess#",
            ],
            rows,
            note="Excess: wrongly blacklisted people beyond what the reference group's wrongful blacklisting "
            "rate would give this group.",
        )
        if rows
        else None
    )
    causes = mapping(cases.get("by_cause_total"))
    by_cause = (
        table(
            "Wrongful blacklistings by cause (the first injected mechanism that touched the person)",
            ["Cause", "People#"],
            [
                [cell(f.humanize(c)), num_cell(n, f.count)]
                for c, n in sorted(causes.items(), key=lambda t: (-(t[1] or 0), t[0]))
            ],
        )
        if causes
        else None
    )
    cf = mapping(cases.get("case_files"))
    modes = mapping(cf.get("by_failure_mode"))
    by_mode = (
        table(
            "Case files by failure mode",
            ["Failure mode", "Case files#"],
            [[cell(f.text(m)), num_cell(n, f.count)] for m, n in modes.items()],
        )
        if modes
        else None
    )
    twins = mapping(cf.get("twins"))
    twin_rows = [
        [
            cell(f.text(a)),
            cell(f.text(get(t, "reference"))),
            num_cell(get(t, "n"), f.count),
            num_cell(get(t, "not_blacklisted"), f.count),
            num_cell(get(t, "share_not_blacklisted")),
        ]
        for a, t in twins.items()
    ]
    twin_table = (
        table(
            "Counterfactual twins: the same person with the reference group's value, scored again",
            [
                "Attribute",
                "Twin's group",
                "Case files with a twin#",
                "Twin not blacklisted#",
                "Share#",
            ],
            twin_rows,
            note=f.text(cf.get("twin_note")) if cf.get("twin_note") else "",
        )
        if twin_rows
        else None
    )
    files = _case_files(frame, data, cases)
    notes = [f.text(cases[k]) for k in ("label_note", "excess_definition") if cases.get(k)]
    if cf.get("reasons_note"):
        notes.append("Reasons: " + f.text(cf["reasons_note"]) + ".")
    total = cases.get("n_wrongful", cases.get("total"))
    return {
        "available": True,
        "total": f.count(total) if f.is_num(total) else None,
        "by_group": by_group,
        "by_cause": by_cause,
        "by_mode": by_mode,
        "twins": twin_table,
        "files": files,
        "notes": notes,
    }


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
    if known:
        refs = mapping(cases.get("reference"))
        cols = [
            "Case",
            "Who",
            "Score#",
            "Reasons the scorer gave",
            "Records behind them",
            "Failure mode",
            "Twin in the reference group",
        ]
        body = []
        for r in records:
            who = " · ".join(f.text(r.get(str(a))) for a in protected)
            thr = r.get("threshold")
            score = f.num(r.get("score"))
            if f.is_num(thr):
                score += f" (< {f.num(thr)})"
            twins = [(a, r.get(f"twin_{a}_blacklisted")) for a in protected]
            twins = sorted(((a, b) for a, b in twins if isinstance(b, bool)), key=lambda t: t[1])
            twin_txt = "; ".join(
                f"as {f.text(refs.get(a, a))}: {'still blacklisted' if b else 'CLEARED'}"
                for a, b in twins
            )
            body.append(
                [
                    cell(f.text(r.get("case_id")), cls="nowrap"),
                    cell(who or f.DASH),
                    cell(score, r.get("score") if f.is_num(r.get("score")) else None),
                    cell(f.text(r.get("reasons"))),
                    cell(f.text(r.get("key_records")) if r.get("key_records") else f.DASH),
                    cell(f.text(r.get("failure_mode")) if "failure_mode" in r else f.DASH),
                    cell(twin_txt or f.DASH, cls="fail" if any(not b for _, b in twins) else ""),
                ]
            )
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
        ", with every column (key records, mechanisms, reason points, twins' scores)."
        if known
        else "."
    )
    return table("Case files: people wrongly blacklisted", cols, body, note=note)


# --- limitations ------------------------------------------------------------------------------------


def _limitations(data: Mapping, view: Mapping) -> list[str]:
    out = []
    if _synthetic(data):
        out.append(
            "The population is synthetic: every magnitude in its scenario is an assumption chosen to exercise "
            "the audit, not a claim about any real group. The injected mechanisms listed under Data are what "
            "this audit should find; a finding with no mechanism behind it, or a mechanism with no finding, "
            "is a reason to doubt the audit."
        )
    else:
        out.append(
            "No ground truth: error rates are measured against recorded outcomes. If the records over-record "
            "adverse outcomes for a group, blacklisting that group looks justified and wrongful blacklisting "
            "is understated."
        )
    if mapping(data.get("scorer")):
        out.append(
            "The scorer was treated as a black box and queried through score(X) only. A stand-in scorer "
            "trained on synthetic records is not any real institution's system."
        )
    out.append(
        "Fairness criteria conflict: when base rates differ between groups, equal wrongful blacklisting "
        "rates, equal missed-risk rates and equal predictive value cannot all hold at once (Chouldechova "
        "2017; Kleinberg, Mullainathan and Raghavan 2016). This report judges by the criterion named in the "
        "scope and shows the others; a different choice can change the verdict."
    )
    small = [
        f"{f.short(attr, 60)}: {f.short(group, 60)}"
        for attr, sec in _groupings(data).items()
        for group, g in _groups(sec).items()
        if isinstance(g, Mapping) and g.get("small")
    ]
    if small:
        out.append(
            f"{f.count(len(small))} group(s) too small to report (rates suppressed): "
            + "; ".join(small[:12])
            + (f"; and {f.count(len(small) - 12)} more" if len(small) > 12 else "")
            + ". Harm to small groups can be real and still invisible here."
        )
    moved = [
        f.short(attr, 60)
        for attr, sec in mapping(data.get("attributes")).items()
        if get(sec, "ll144", "changes_reference")
    ]
    out.append(
        "Impact ratios depend on the reference group: the most favoured group unless one was named."
        + (
            " Excluding categories under the NYC Local Law 144 minimum share changes the reference for: "
            + ", ".join(moved)
            + "."
            if moved
            else " Excluding small categories as NYC Local Law 144 allows would change no reference here."
        )
    )
    if view["scores"].get("available"):
        out.append(
            "The verdict holds at the scorer's current threshold; the threshold sweep shows how the "
            "disparities move if it changes."
        )
    if view["why"].get("available"):
        out.append(
            "SHAP attributions explain the scorer's output on a sample, not the world: a feature carrying a "
            "gap is evidence of a proxy, not proof of intent, and attributions depend on the background sample."
        )
    out.append(
        "Intervals are at the stated confidence level and p-values are corrected for multiple comparisons "
        "within the audit; with many groups some intervals will still miss by chance."
    )
    return out


SECTIONS = [
    ("summary", "Executive summary"),
    ("scope", "Scope and definitions"),
    ("data", "Data"),
    ("scorer", "The scorer"),
    ("impact", "Disparate impact"),
    ("errors", "Error rates by group"),
    ("scores", "Scores and threshold"),
    ("why", "Why"),
    ("cases", "Case files"),
    ("limitations", "Limitations"),
]


def summarize(data: Mapping, tables: Mapping | None = None) -> dict:
    """Build the report's view dict from an audit.json dict.

    Parameters
    ----------
    data : Mapping
        The audit.json dict (``AuditResult.to_dict()``). Any section may be missing or null.
    tables : Mapping of str to DataFrame, optional
        Big tables written beside audit.json; ``"cases"`` fills the case-file table (first 50 rows).

    Returns
    -------
    dict
        Plain data for the templates: ``cover``, one entry per section in ``toc`` (each with
        ``available`` and, when False, a ``reason``), ``limitations`` and ``island`` (the JSON handed to
        the page's script).

    Examples
    --------
    >>> view = summarize({"schema_version": 1, "meta": {"n": 10}})
    >>> view["impact"]["available"], view["impact"]["reason"]
    (False, 'the audit result has no attributes block')
    """
    if not isinstance(data, Mapping):
        from audit.exceptions import InvalidInputError

        raise InvalidInputError(
            f"The audit result must be the audit.json dict. Got {type(data).__name__} instead."
        )
    data = _ordered(data)
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
    view["limitations"] = _limitations(data, view)
    view["toc"] = [{"id": sid, "title": title} for sid, title in SECTIONS]
    view["island"] = {"sweeps": view["scores"].get("sweeps", [])}
    return view
