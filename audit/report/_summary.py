"""The executive summary of the report view: the verdict (PASS, FAIL or INCONCLUSIVE, per criterion
and overall), how it was reached, what decided it, and the harm in people.

The verdict is read from audit.json's ``verdict`` block, never re-judged: every comparison's
simultaneous interval against the band [t, 1/t]. A number of people is stated only where its
interval excludes 0; point estimates outside the band are shown as a description, never as the
verdict.

What it must not do: compute statistics (the only arithmetic is counting the items given and
picking the largest of given values), import fairlearn or shap, or emit HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.core import CRITERIA, rank_violations
from audit.report import _format as f
from audit.report._judged import (
    OUTCOMES,
    band_text,
    decided_by,
    outcome_cell,
    rule,
    threshold,
    title,
)
from audit.report._view import (
    aggregate,
    cell,
    confidence,
    get,
    groups_of,
    interval_cell,
    is_synthetic,
    mapping,
    num_cell,
    table,
    usable,
)

#: most items listed in the page's inconclusive and described tables (audit.json has them all)
MAX_ITEMS = 200


def summary_section(data: Mapping) -> dict:
    """The executive summary: verdict, method, per-criterion outcomes, what decided, the harm."""
    verdict = mapping(data.get("verdict"))
    outcome = verdict.get("outcome")
    outcome = outcome if outcome in OUTCOMES else None
    items = {k: _items(verdict, k) for k in ("violations", "inconclusive", "point_estimate_rule")}
    items["violations"] = rank_violations(items["violations"])  # clearest first, as the terminal
    return {
        "available": True,
        "outcome": outcome or "none",
        "verdict_cls": outcome or "na",
        "headline": _headline(verdict, outcome, items),
        "method": _method(verdict) if outcome else "",
        "inconclusive_why": _why_inconclusive(data, verdict, items["inconclusive"]),
        "decided": _decided(items["violations"], data),
        "criteria": _criteria_table(data, verdict),
        "violations": _items_table("What decided the FAIL", items["violations"], data, True),
        "inconclusive": _items_table(
            "Inconclusive comparisons", items["inconclusive"], data, False
        ),
        "described": _described(items["point_estimate_rule"], data),
        "harm": _harm(data),
    }


def _items(verdict: Mapping, key: str) -> list[Mapping]:
    return [v for v in verdict.get(key) or [] if isinstance(v, Mapping)]


def _count(n: int, word: str) -> str:
    return f"{f.count(n)} {word}{'' if n == 1 else 's'}"


def _headline(verdict: Mapping, outcome: str | None, items: dict) -> str:
    m = verdict.get("family_size")
    m_txt = _count(m, "comparison") if f.is_num(m) else "the comparisons"
    if outcome == "fail":
        fails = items["violations"]
        named = {str(v.get("criterion")) for v in fails}
        crits = [c for c in CRITERIA if c in named] + sorted(named - set(CRITERIA))
        judged = len(mapping(verdict.get("criteria"))) or len(crits)
        parts = [
            f"{title(c)} ({_count(sum(1 for v in fails if v.get('criterion') == c), 'comparison')})"
            for c in crits
        ]
        return (
            f"FAIL: {f.count(len(crits))} of {f.count(max(judged, len(crits)))} criteria fail, "
            f"their simultaneous bounds wholly outside the band — {'; '.join(parts)}."
        )
    if outcome == "inconclusive":
        n = len(items["inconclusive"])
        return (
            f"INCONCLUSIVE: no comparison fails, but for {f.count(n)} of {m_txt} the data cannot "
            "tell a ratio inside the band from one outside."
        )
    if outcome == "pass":
        return f"PASS: all {m_txt} lie inside their bands, on simultaneous bounds."
    return "No criterion was judged, so this audit reaches no verdict."


def _method(verdict: Mapping) -> str:
    m = verdict.get("family_size")
    level = verdict.get("interval_level")
    each = f", each at the Bonferroni level {f.level(level)}" if f.is_num(level) else ""
    return (
        f"Decided on simultaneous {f.level(verdict.get('confidence'))} confidence bounds over "
        f"{_count(m, 'comparison') if f.is_num(m) else 'every comparison'}, each group against its "
        f"grouping's reference group (exact-tailed MOVER-R ratio intervals{each}). A comparison "
        "FAILS when its whole interval lies outside the acceptable band [t, 1/t], PASSES when it "
        "lies wholly inside, and is INCONCLUSIVE otherwise; the audit fails if any comparison "
        "fails, and passes only if every one passes."
    )


def _why_inconclusive(data: Mapping, verdict: Mapping, items: list[Mapping]) -> str:
    """Why comparisons are inconclusive, counted from the items given: how many are in
    intersections and how many in groups too small to tell a ratio at the threshold from parity."""
    if not items:
        return ""
    inter = mapping(data.get("intersections"))
    in_inter = sum(1 for v in items if v.get("attribute") in inter)
    weak = 0
    for v in items:
        g = get(
            data,
            "intersections" if v.get("attribute") in inter else "attributes",
            str(v.get("attribute")),
            "groups",
            str(v.get("group")),
        )
        metric = get(CRITERIA, str(v.get("criterion")))
        rate = "fpr" if metric is not None and metric.metric == "fpr" else "adverse_rate"
        weak += bool(get(g, "power", rate, "underpowered"))
    n = len(items)
    m = verdict.get("family_size")
    of = f" of {f.count(m)}" if f.is_num(m) else ""
    parts = []
    if in_inter:
        parts.append(f"{f.count(in_inter)} of them in intersections")
    if weak:
        parts.append(
            f"{f.count(weak)} in groups too small to tell a ratio at the threshold from parity"
        )
    detail = f" ({'; '.join(parts)})" if parts else ""
    return (
        f"{_count(n, 'comparison')}{of} are inconclusive{detail}: their intervals reach both "
        "inside and outside the band, so the data cannot tell a ratio inside the band from one "
        "outside. More people in those groups would settle them; they are not evidence of "
        "fairness."
    )


def _decided(fails: list[Mapping], data: Mapping) -> str:
    """The first comparisons that decided a FAIL, in words (all are in the table below it)."""
    if not fails:
        return ""
    level = f.level(confidence(data))
    shown = [
        f"{f.short(v.get('attribute'), 60)} = {f.short(v.get('group'), 60)} against "
        f"{f.short(v.get('against'), 60)}: {title(v.get('criterion')).lower()} "
        f"{f.ratio(v.get('value'))}, simultaneous {level} bounds "
        f"{f.interval(v.get('interval'), f.ratio)}, the {decided_by(v)}"
        for v in fails[:3]
    ]
    more = f" (and {f.count(len(fails) - 3)} more, listed below)" if len(fails) > 3 else ""
    return "Decided by: " + "; ".join(shown) + more + "."


def _criteria_table(data: Mapping, verdict: Mapping) -> dict | None:
    judged = mapping(verdict.get("criteria"))
    rows = []
    for name in CRITERIA:
        c = mapping(judged.get(name))
        t = threshold(data, name)
        if not c and not f.is_num(t):
            rows.append(
                [
                    cell(title(name), title=rule(name, t)),
                    cell(f.DASH),
                    cell("not judged"),
                    *[cell(f.DASH)] * 4,
                ]
            )
            continue
        rows.append(
            [
                cell(title(name), title=rule(name, t)),
                cell(band_text(t)),
                outcome_cell(c.get("outcome")),
                *[num_cell(c.get(k), f.count) for k in ("fail", "inconclusive", "pass")],
                num_cell(c.get("insufficient"), f.count),
            ]
        )
    if not judged and not verdict:
        return None
    return table(
        "Outcome of each criterion",
        ["Criterion", "Band", "Outcome", "Fail#", "Inconclusive#", "Pass#", "Insufficient data#"],
        rows,
        note="Counts of comparisons (each group against its grouping's reference group). "
        "Insufficient data: a rate whose denominator is below the minimum group size, in the "
        "group or the reference; it is not judged.",
    )


def _items_table(caption: str, items: list[Mapping], data: Mapping, deciding: bool) -> dict | None:
    if not items:
        return None
    level = f.level(confidence(data))
    rows = []
    for v in items[:MAX_ITEMS]:
        row = [
            cell(title(v.get("criterion"))),
            cell(f.text(v.get("attribute"))),
            cell(f.text(v.get("group"))),
            cell(f.text(v.get("against"))),
            num_cell(v.get("value"), f.ratio, "fail" if deciding else ""),
            interval_cell(v.get("interval"), f.ratio),
        ]
        if deciding:
            row.append(cell(decided_by(v), cls="fail"))
        rows.append([*row, num_cell(v.get("p_holm"), f.pvalue)])
    cols = [
        "Criterion",
        "Grouping",
        "Group",
        "Reference",
        "Ratio#",
        f"Simultaneous {level} bounds#",
    ]
    cols += ["The bound beyond the band"] if deciding else []
    more = len(items) - MAX_ITEMS
    note = (
        f"The first {MAX_ITEMS} of {f.count(len(items))}; audit.json lists all." if more > 0 else ""
    )
    return table(caption, [*cols, "p (Holm)#"], rows, note=note)


def _described(items: list[Mapping], data: Mapping) -> dict | None:
    """The point-estimate rule, as a labelled description: never the verdict."""
    if not items:
        return None
    examples = "; ".join(
        f"{f.short(v.get('attribute'), 60)} = {f.short(v.get('group'), 60)}, "
        f"{title(v.get('criterion')).lower()} {f.ratio(v.get('value'))}"
        for v in items[:3]
    )
    return {
        "text": (
            f"Point estimates outside the band: {_count(len(items), 'comparison')} (e.g. {examples}), "
            "not a finding on their own. A point estimate beyond a threshold can be noise; the "
            "verdict above decides on the simultaneous bounds."
        ),
        "table": _items_table(
            "Point estimates outside the band (a description)", items, data, False
        ),
    }


# --- the harm in people -----------------------------------------------------------------------


def _harm(data: Mapping) -> list[str]:
    """The harm in people, as sentences built from counts given in the dict."""
    out = []
    overall = mapping(data.get("overall"))
    fp = get(overall, "counts", "fp")
    if f.is_num(fp):
        base = (
            "in truth would not have defaulted or violated"
            if is_synthetic(data)
            else "have no adverse outcome on record"
        )
        rate = (
            f", a wrongful blacklisting rate of {f.pct(overall.get('fpr'))}"
            if f.is_num(overall.get("fpr"))
            else ""
        )
        out.append(f"{f.count(fp)} people were blacklisted although they {base}{rate}.")
    return out + harm_findings(data)


def _excludes_zero(estimate: Any) -> bool:
    ci = get(estimate, "ci")
    return (
        isinstance(ci, list | tuple)
        and len(ci) == 2
        and all(f.is_num(v) for v in ci)
        and (ci[0] > 0 or ci[1] < 0)
    )


def _people(estimate: Mapping, level: str, over: str = "") -> str:
    """``about 6,128 more people (95 % CI 5,958 to 6,298)``: only for an interval without 0."""
    value, (low, high) = estimate["value"], estimate["ci"]
    more = "more" if value > 0 else "fewer"
    low, high = sorted((abs(low), abs(high)))
    # an interval that excludes 0 must not print as "0 to ...": bounds under 1 keep a decimal
    near = f"{low:.1f}" if low < 0.95 else f.count(low)
    return f"about {f.count(abs(value))} {more} people ({level} CI {near} to {f.count(high)}{over})"


def _simultaneous(total: Mapping) -> tuple[Mapping, str]:
    """The total with its interval simultaneous over the attributes, when audit.json has it: the
    totals of all attributes are read together, so a claim needs all of them to cover together."""
    ci, m = total.get("ci_simultaneous"), total.get("simultaneous_over")
    if ci is None or not isinstance(m, int) or m < 2:
        return total, ""
    return {**total, "ci": ci}, f", simultaneous over the {m} attributes"


def _excess_sentence(attr: str, sec: Mapping, level: str) -> str | None:
    """One attribute's excess wrongful blacklistings over its reference group's rate."""
    total = sec.get("excess_wrongful_total")
    if not isinstance(total, Mapping):
        return None
    ref = f.short(sec.get("reference"), 60)
    where = f"{f.short(attr, 60)}: "
    total, over = _simultaneous(total)
    if not _excludes_zero(total):
        return (
            f"{where}against the reference group's ({ref}) rate, the excess of wrongful "
            "blacklistings in the other groups is not distinguishable from noise."
        )
    text = (
        f"{where}{_people(total, level, over)} wrongly blacklisted in the other groups than at the "
        f"reference group's ({ref}) rate"
    )
    worst = [
        (g["excess_wrongful"]["value"], str(group), g["excess_wrongful"])
        for group, g in groups_of(sec).items()
        if group != sec.get("reference") and _excludes_zero(g.get("excess_wrongful"))
    ]
    worst = [w for w in worst if w[0] > 0]
    if total["value"] > 0 and worst and (total.get("groups") or 0) > 1:
        _, group, est = max(worst, key=lambda w: (w[0], w[1]))
        text += f"; the most in {f.short(group, 60)}: {_people(est, level)}"
    return text + "."


def harm_findings(data: Mapping) -> list[str]:
    """The findings behind the headline count, as plain sentences (also printed by ``audit demo``).

    Per attribute, the excess of wrongful blacklistings over the reference group's rate (a number
    of people only where its interval, simultaneous over the attributes, excludes 0, with that
    interval; else "not distinguishable from noise"), the highest wrongful-blacklisting rate, where records understate the harm, and
    what the counterfactual twins show.

    Examples
    --------
    >>> sec = {"reference": "a", "excess_wrongful_total": {"value": 3.2, "ci": [-1.0, 7.5]}}
    >>> harm_findings({"meta": {"confidence": 0.95}, "attributes": {"g": sec}})
    ["g: against the reference group's (a) rate, the excess of wrongful blacklistings in the other groups is not distinguishable from noise."]
    """
    level = f.level(confidence(data))
    out = [
        s
        for attr, sec in mapping(data.get("attributes")).items()
        if (s := _excess_sentence(str(attr), mapping(sec), level))
    ]
    worst = _highest_fpr(data)
    if worst:
        attr, group, rate, ref, ref_rate = worst
        out.append(
            f"Highest wrongful blacklisting rate by {f.short(attr, 60)}: {f.short(group, 60)}, "
            f"{f.pct(rate)}, against {f.pct(ref_rate)} for the reference group ({f.short(ref, 60)})."
        )
    gap = _largest_record_gap(data)
    if gap:
        attr, group, seen, true = gap
        out.append(
            f"Records understate the harm: for {f.short(attr, 60)} = {f.short(group, 60)} the "
            f"records show a wrongful blacklisting rate of {f.pct(seen)}; the truth is {f.pct(true)}."
        )
    return out + (_flips(data) or _twins(data))


def _flips(data: Mapping) -> list[str]:
    """The flip test's finding per attribute the scorer reads directly, with n and interval."""
    flip = mapping(data.get("flip_test"))
    level = f.level(flip.get("confidence"))
    out = []
    for attr, t in mapping(flip.get("attributes")).items():
        t = mapping(t)
        if not f.is_num(t.get("n_blacklisted")) or not t["n_blacklisted"]:
            continue
        out.append(
            f"Flip test ({f.short(attr, 60)}, read directly by the scorer): of "
            f"{f.count(t['n_blacklisted'])} blacklisted people outside the reference group, "
            f"{f.count(t.get('n_flipped'))} ({f.pct(t.get('share_flipped'))}, {level} CI "
            f"{f.interval(t.get('ci'))}) would not have been blacklisted with "
            f"{f.short(attr, 60)} = {f.short(t.get('reference'), 60)}, the rest of their record "
            "unchanged."
        )
    return out


def _twins(data: Mapping) -> list[str]:
    twins = []
    for attr, t in mapping(get(data, "cases", "case_files", "twins")).items():
        t = mapping(t)
        n, cleared = t.get("n"), t.get("not_blacklisted")
        if f.is_num(n) and n > 0 and f.is_num(cleared) and cleared > 0:
            twins.append((-cleared / n, str(attr), attr, t))
    if not twins:
        return []
    parts = [
        f"{f.count(t['not_blacklisted'])} of {f.count(t['n'])} as {f.short(t.get('reference'), 60)} "
        f"({f.short(attr, 60)})"
        for *_, attr, t in sorted(twins, key=lambda x: x[:2])[:3]
    ]
    return [
        "Counterfactual twins (the same wrongly blacklisted people scored again, only the protected "
        "attribute set to the reference group's) would not have been blacklisted: "
        + "; ".join(parts)
        + "."
    ]


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
