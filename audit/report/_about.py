"""The cover, scope and data sections of the report view: what was audited, how, and
with which methods, in plain words.

What it must not do: compute statistics, import fairlearn or shap, or emit HTML. Every number shown
is taken from audit.json.
"""

from __future__ import annotations

from collections.abc import Mapping

from audit.core import CRITERIA
from audit.report import _format as f
from audit.report._judged import band_text, rule, threshold, title
from audit.report._view import (
    REFERENCE_RULES,
    cell,
    compact,
    get,
    groupings,
    groups_of,
    is_synthetic,
    kv_tree,
    mapping,
    num_cell,
    rate_cell,
    table,
    unavailable,
)

DEFINITIONS = [
    ("Adverse rate", "share of a group given the adverse decision (blacklisted)."),
    (
        "Impact ratio",
        "a group's favourable-outcome rate (not blacklisted) divided by the reference group's; "
        "1 is parity, below 0.8 is evidence of adverse impact under the US EEOC four-fifths rule.",
    ),
    (
        "Blacklisting ratio",
        "a group's adverse rate (blacklisted) divided by the reference group's: 2.5 means "
        "blacklisted 2.5 times as often.",
    ),
    (
        "Wrongful blacklisting rate (FPR)",
        "of the people whose outcome label is not adverse, the share blacklisted anyway.",
    ),
    (
        "Excess wrongful blacklistings",
        "the people with a non-adverse label in a group times (its wrongful blacklisting rate "
        "minus the reference group's): how many more (or, below 0, fewer) were wrongly "
        "blacklisted than at the reference group's rate.",
    ),
    (
        "Missed-risk rate (FNR)",
        "of the people whose outcome label is adverse, the share not blacklisted.",
    ),
    ("PPV / FDR", "of those blacklisted, the share rightly (PPV) and wrongly (FDR) blacklisted."),
    ("FOR", "of those not blacklisted, the share whose outcome label is adverse."),
    ("Base rate", "share of a group whose outcome label is adverse."),
]

#: ``meta.methods``: each key's label, and each method code in plain words (unknown codes are
#: shown as given)
METHOD_LABELS = {
    "rate_interval": "Each group's rates",
    "difference_interval": "Difference to the reference group",
    "ratio_interval": "Ratio to the reference group (the impact ratio included)",
    "range_interval": "Largest difference and smallest ratio between groups",
    "tests": "Tests",
    "correction": "Many tests at once",
    "verdict": "Verdict",
    "reference_rule": "Reference groups",
}
METHOD_WORDS = {
    "wilson": "Wilson score interval (Wilson 1927).",
    "newcombe_hybrid_score": "Newcombe's hybrid score interval (Newcombe 1998).",
    "miettinen_nurminen_score": "Miettinen–Nurminen score interval (Miettinen and Nurminen 1985).",
    "pairwise_bonferroni_mover_clopper_pearson": "a simultaneous interval from the MOVER "
    "intervals (Zou and Donner 2008) of every pair of groups, built from exact Clopper–Pearson "
    "intervals of each rate (Clopper and Pearson 1934), each at the Bonferroni level (Dunn 1961).",
    "z (pooled) / fisher_exact against the reference; k x 2 chi2 / monte_carlo_exact": "each "
    "group against its reference group by the pooled two-proportion z test (Fisher's exact test "
    "where an expected count is below 5); all groups of a grouping at once by the k×2 χ² test "
    "of homogeneity (a Monte Carlo exact test where an expected count is below 5).",
    "holm over every test of the primary label": "Holm's step-down correction (Holm 1979) over "
    "every test of the audited label together; p-values shown are Holm-adjusted.",
    "simultaneous mover_r_clopper_pearson ratio intervals, bonferroni over all judged": "every "
    "judged ratio's MOVER-R interval (Zou and Donner 2008) from exact Clopper–Pearson intervals "
    "of the two rates, at the Bonferroni level (Dunn 1961) over all judged "
    "comparisons, so that they hold together at the stated confidence; FAIL when an interval "
    "lies wholly outside the band, PASS when every one lies wholly inside, else INCONCLUSIVE.",
}


def cover(data: Mapping) -> dict:
    meta = mapping(data.get("meta"))
    pop = mapping(data.get("population"))
    scorer = mapping(data.get("scorer"))
    scenario = pop.get("name", pop.get("scenario"))
    source = meta.get("source")
    if scenario:
        subject = f"scenario “{f.short(scenario, 80)}” (synthetic population)"
    elif source and scorer:
        subject = f"the scorer's decisions on the people in {f.short(source, 80)}"
    elif source:
        subject = f"decisions from {f.short(source, 80)}"
    else:
        subject = "recorded decisions"
    what = []
    if scorer.get("model") or scorer.get("kind"):
        what.append(("Scorer", f.short(scorer.get("model") or scorer["kind"], 200)))
    what.append(("Audited", subject))
    if f.is_num(scorer.get("threshold")):
        what.append(("Decision", _decision(data, meta)))
    elif meta.get("decision") is not None:
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
        ("Confidence level", f.level(meta.get("confidence"))),
    ]
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
        "warnings": [
            f.short(f.text(w.get("message")), 1000)
            for w in get(data, "direction", "warnings", default=None) or []
            if isinstance(w, Mapping)
        ],
    }


def _methods(meta: Mapping) -> list[tuple[str, str]]:
    """``meta.methods`` in plain words: (what, how)."""
    out = []
    methods = mapping(meta.get("methods"))
    for key in sorted(
        methods,
        key=lambda k: (
            list(METHOD_LABELS).index(k) if k in METHOD_LABELS else len(METHOD_LABELS),
            k,
        ),
    ):
        code = methods[key]
        words = METHOD_WORDS.get(str(code))
        if key == "reference_rule":
            words = (
                "named by the user or the scenario; else, for an intersection, the combination "
                "of its attributes' reference groups; else the largest group. Chosen from group "
                "sizes and names, never from outcomes."
            )
        out.append((METHOD_LABELS.get(key, f.humanize(key)), words or f.short(f.text(code), 400)))
    return out


def _label_text(data: Mapping, meta: Mapping) -> str:
    label = meta.get("label")
    if is_synthetic(data):
        return (
            f"Error rates are measured against the ground truth (column “{f.short(label, 80)}”: "
            "who in truth defaults or violates), known because the population is synthetic; the "
            "same rates against the recorded label are shown beside them."
        )
    if label is not None:
        return (
            f"Error rates are measured against the recorded label “{f.short(label, 80)}”. No "
            "ground truth is available: if the records are themselves biased, so are these error "
            "rates."
        )
    return "No outcome label was given: error rates cannot be measured."


def _decision(data: Mapping, meta: Mapping) -> str:
    """The decision audited: the scorer's (no column of the user's names it), else the column."""
    threshold = get(data, "scorer", "threshold")
    if f.is_num(threshold):
        return f"the scorer's: blacklisted when the score is below {f.num(threshold)}"
    return f.short(meta.get("decision"), 80)


def scope_section(data: Mapping) -> dict:
    meta = mapping(data.get("meta"))
    refs = [
        [
            cell(f.text(name)),
            cell(f.text(sec.get("reference"))),
            cell(REFERENCE_RULES.get(sec.get("reference_rule"), f.text(sec.get("reference_rule")))),
        ]
        for name, sec in groupings(data).items()
    ]
    crit_rows = []
    for name in CRITERIA:
        t = threshold(data, name)
        crit_rows.append(
            [
                cell(title(name)),
                num_cell(t, f.text) if f.is_num(t) else cell("not set"),
                cell(band_text(t)),
                cell(rule(name, t)),
            ]
        )
    return {
        "available": True,
        "decision": _decision(data, meta),
        "positive": f.short(f.text(meta.get("positive")), 80),
        "label_txt": _label_text(data, meta),
        "definitions": DEFINITIONS,
        "criteria": table(
            "Criteria judged",
            ["Criterion", "Threshold t#", "Band [t, 1/t]", "What it demands"],
            crit_rows,
            note="Each criterion judges every group's ratio to its grouping's reference group: "
            "the ratio must lie in the band, neither group's rate below t times the other's.",
        ),
        "references": table(
            "Reference groups, fixed before looking at outcomes",
            ["Grouping", "Reference group", "Why this group"],
            refs,
        )
        if refs
        else None,
        "confidence": f.level(meta.get("confidence")) if f.is_num(meta.get("confidence")) else None,
        "methods": _methods(meta),
    }


def data_section(data: Mapping) -> dict:
    meta = mapping(data.get("meta"))
    attrs = mapping(data.get("attributes"))
    if not attrs:
        return unavailable("the audit result has no attributes block")
    tables = []
    for attr, sec in attrs.items():
        rows = []
        for group, g in groups_of(sec).items():
            status = "too small: rates are insufficient data" if g.get("small") else ""
            if group == sec.get("reference"):
                status = "reference" + (f"; {status}" if status else "")
            rows.append(
                [
                    cell(f.text(group)),
                    num_cell(g.get("n"), f.count),
                    num_cell(g.get("share")),
                    rate_cell(g, "base_rate"),
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
        f"Groups with fewer than {f.count(mgs)} people are too small, and so is any rate whose "
        f"own denominator is below {f.count(mgs)} (e.g. for the wrongful blacklisting rate, the "
        "people with a non-adverse label): such rates read “insufficient data”, never 0 or 1, "
        "and never decide the verdict."
        if f.is_num(mgs)
        else "No minimum group size was recorded."
    )
    missing = meta.get("missing")
    missing_txt = {
        "unknown": "Missing protected values are counted as their own group, “unknown”.",
        "error": "Missing protected values were not allowed.",
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
