"""Turn an audit (its audit.json dict) into the *view dict* the templates render.

The view dict is plain data: per section a title, sentences, tables of display strings (each cell with
a sort key) and chart specs (the numbers a chart draws). It is tested on its own, apart from the HTML.
This module builds the cover, summary, scope, data, scorer and limitations and assembles the rest from
`_impact` (disparate impact, error rates), `_scores`, `_why` and `_cases`.

What this module must not do: compute statistics, import fairlearn or shap, or emit HTML. Every number
shown is taken from the dict; the only arithmetic is for display (truth minus records in percentage
points, a histogram's two label columns added, a band's midpoint, picking the worst of given values).
A section whose data is absent says so plainly: ``available: False`` and a ``reason``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.report import _format as f
from audit.report._cases import cases_section
from audit.report._impact import errors_section, impact_section
from audit.report._scores import scores_section
from audit.report._view import (
    aggregate,
    cell,
    compact,
    get,
    groupings,
    groups_of,
    is_synthetic,
    kv_tree,
    mapping,
    num_cell,
    table,
    unavailable,
    usable,
)
from audit.report._why import why_section

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


def _criterion(name: Any) -> str:
    return ALIASES.get(str(name), str(name))


def _criterion_label(name: Any) -> str:
    key = _criterion(name)
    return CRITERIA.get(key, (f.humanize(key), ""))[0]


def _criterion_rule(name: Any, threshold: Any) -> str:
    rule = CRITERIA.get(_criterion(name), ("", ""))[1]
    return rule.format(t=f.text(threshold)) if rule and threshold is not None else ""


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
        for attr, sec in groupings(data).items():
            for group, g in groups_of(sec).items():
                v = g.get("impact_ratio") if usable(g) else None
                if f.is_num(v) and (found is None or v < found[1]):
                    found = (f"{f.short(attr, 60)}: {f.short(group, 60)}", v)
        return found
    for kind, suffix, lowest in (("ratios", "_ratio", True), ("differences", "_difference", False)):
        if name.endswith(suffix):
            metric = name.removesuffix(suffix)
            for attr, sec in groupings(data).items():
                v, _ = aggregate(sec, kind, metric)
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
        label = _criterion_label(name) + (" (primary)" if name == judged else "")
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
    synthetic = is_synthetic(data)
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
    return out + harm_findings(data)


def harm_findings(data: Mapping) -> list[str]:
    """The findings behind the headline count, as plain sentences (also printed by ``audit demo``):
    the largest excesses in people, the highest wrongful-blacklisting rate, where records understate
    the harm, and what the counterfactual twins show."""
    out = []
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
        r, _ = aggregate(sec, "ratios", "fpr")
        if f.is_num(r) and (best is None or r < best[0]):
            best = (r, attr, sec)
    if best is None:
        return None
    _, attr, sec = best
    ref = sec.get("reference")
    ref_rate = get(sec, "groups", ref, "fpr")
    rates = [
        (g.get("fpr"), group)
        for group, g in groups_of(sec).items()
        if usable(g) and f.is_num(g.get("fpr"))
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
        for group, g in groups_of(sec).items():
            seen = get(obs, attr, "groups", group, "fpr")
            true = g.get("fpr") if usable(g) else None
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
    for attr, sec in groupings(data).items():
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
    if is_synthetic(data):
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
        for group, g in groups_of(sec).items():
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


# --- limitations ------------------------------------------------------------------------------------


def _limitations(data: Mapping, view: Mapping) -> list[str]:
    out = []
    if is_synthetic(data):
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
        for attr, sec in groupings(data).items()
        for group, g in groups_of(sec).items()
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
        "impact": impact_section(data),
        "errors": errors_section(data),
        "scores": scores_section(data),
        "why": why_section(data),
        "cases": cases_section(data, tables),
    }
    view["limitations"] = _limitations(data, view)
    view["toc"] = [{"id": sid, "title": title} for sid, title in SECTIONS]
    view["island"] = {"sweeps": view["scores"].get("sweeps", [])}
    return view
