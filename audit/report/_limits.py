"""The limitations section of the report view: how the verdict was reached and what it cannot
say, what this audit could detect (per group, the smallest ratio that would FAIL with 80 % power),
and what would change the conclusions.

What it must not do: compute statistics (power figures are the metrics stage's), say anything the
audit did not do, import fairlearn or shap, or emit HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.report import _format as f
from audit.report._judged import judged_names, title
from audit.report._view import (
    INSUFFICIENT,
    cell,
    confidence,
    get,
    groupings,
    groups_of,
    insufficient,
    is_synthetic,
    mapping,
    num_cell,
    table,
)

#: what an underpowered comparison reads (never "fair")
UNDERPOWERED = "underpowered: cannot tell a ratio at the threshold from parity"
#: the rates whose power is reported: (metric, its denominator's cells, label)
POWERED = (
    ("adverse_rate", ("tn", "fp", "fn", "tp"), "blacklisting"),
    ("fpr", ("tn", "fp"), "wrongful blacklisting"),
)


def limitations_section(data: Mapping, view: Mapping) -> dict:
    """The limitations, the power table, and what would change the conclusions."""
    items = [_data_kind(data)]
    if mapping(data.get("scorer")):
        items.append(
            "The scorer was treated as a black box and queried through score(X) only."
            + (
                " A stand-in scorer trained on synthetic records is not any real institution's "
                "system."
                if is_synthetic(data)
                else ""
            )
        )
    if mapping(data.get("flip_test")):
        items.append(
            "The flip test changes only the protected attribute in each record: it measures the "
            "scorer's direct use of it, not the effect through features that depend on it (a "
            "proxy's share is under Why)."
        )
    items += _verdict_limits(data)
    items.append(_small(data))
    if get(view, "scores", "available"):
        items.append(
            "The verdict holds at the scorer's current threshold; the threshold sweep shows how "
            "the disparities move if it changes."
        )
    if get(view, "why", "available"):
        items.append(
            "SHAP attributions explain the scorer's output on a sample, not the world: a feature "
            "carrying a gap is evidence of a proxy, not proof of intent, and attributions depend "
            "on the background sample."
        )
    power = _power_table(data)
    return {
        "available": True,
        "items": [i for i in items if i],
        "power": power,
        "power_summary": _power_summary(power),
    }


def _data_kind(data: Mapping) -> str:
    if is_synthetic(data):
        return (
            "The population is synthetic: every magnitude in its scenario is an assumption chosen "
            "to exercise the audit, not a claim about any real group. The injected mechanisms "
            "listed under Data are what this audit should find; a finding with no mechanism behind "
            "it, or a mechanism with no finding, is a reason to doubt the audit."
        )
    return (
        "No ground truth: error rates are measured against recorded outcomes. If the records "
        "over-record adverse outcomes for a group, blacklisting that group looks justified and "
        "wrongful blacklisting is understated."
    )


def _verdict_limits(data: Mapping) -> list[str]:
    """How the verdict was reached, and what it does not say."""
    level = f.level(confidence(data))
    out = []
    names = judged_names(data)
    if names:
        m = get(data, "verdict", "family_size")
        family = f" over all {f.count(m)} judged comparisons" if f.is_num(m) else ""
        alpha = 1 - confidence(data) if f.is_num(confidence(data)) else None
        out.append(
            "How the verdict was reached: for every group of every attribute and intersection, "
            "each judged criterion ("
            + "; ".join(title(n).lower() for n in names)
            + ") compares the group's rate with its grouping's reference group's, on a "
            "MOVER-R interval of the ratio built from exact (Clopper–Pearson) intervals of the "
            f"two rates, at the Bonferroni level{family}, so that "
            f"all hold together with {level} confidence. If every true ratio lies inside its band, "
            f"the chance of a FAIL is at most {f.level(alpha)}, and so is the chance of a PASS "
            "when some true ratio lies outside. INCONCLUSIVE means the data cannot separate the "
            "two: it is a finding neither of bias nor of fairness."
        )
    out.append(
        "Point estimates beyond a threshold are described, not judged: with many groups some "
        "will fall outside the band by chance. Rates whose own denominator is below the minimum "
        "group size are insufficient data and never decide."
    )
    out.append(
        "Reference groups were fixed before looking at outcomes (named by the user or the "
        "scenario, the combination of an intersection's attributes' references, or the largest "
        "group); another reference changes every ratio, and can change the verdict."
    )
    out.append(
        "Fairness criteria conflict: when base rates differ between groups, equal wrongful "
        "blacklisting rates, equal missed-risk rates and equal predictive value cannot all hold "
        "at once (Chouldechova 2017; Kleinberg, Mullainathan and Raghavan 2016). This report "
        "judges the criteria named in the scope and shows the others; a different choice can "
        "change the verdict."
    )
    out.append(
        f"Other intervals in the tables are ordinary {level} intervals, each on its own, and "
        "p-values are Holm-corrected over every test of the audited label; with many groups some "
        "ordinary intervals will miss by chance."
    )
    return out


def _small(data: Mapping) -> str:
    small = [
        f"{f.short(attr, 60)}: {f.short(group, 60)}"
        for attr, sec in groupings(data).items()
        for group, g in groups_of(sec).items()
        if isinstance(g, Mapping) and g.get("small")
    ]
    if not small:
        return ""
    return (
        f"{f.count(len(small))} group(s) too small to report (every rate is insufficient data): "
        + "; ".join(small[:12])
        + (f"; and {f.count(len(small) - 12)} more" if len(small) > 12 else "")
        + ". Harm to small groups can be real and still invisible here."
    )


def _power_cells(g: Mapping, metric: str, denominator: tuple[str, ...]) -> list[dict]:
    counts = mapping(g.get("counts"))
    n = sum(counts.get(c, 0) for c in denominator) if counts else None
    entry = get(g, "power", metric)
    if insufficient(g, metric):
        return [num_cell(n, f.count), cell(INSUFFICIENT, cls="small")]
    if not isinstance(entry, Mapping):
        why = "the reference group's rate is 0 or 1, or has too few people"
        return [num_cell(n, f.count), cell("not computed", title=why)]
    failing = entry.get("failing_ratio")
    shown = f"{f.ratio(failing)} or more" if f.is_num(failing) else "none: too few people"
    return [num_cell(n, f.count), cell(shown, failing if f.is_num(failing) else None)]


def _status(g: Mapping) -> dict:
    weak = [label for metric, _, label in POWERED if get(g, "power", metric, "underpowered")]
    if not weak:
        return cell("can tell a ratio at the threshold from parity")
    which = " and ".join(weak)
    return cell(f"{UNDERPOWERED} ({which} rate)", cls="small")


def _power_table(data: Mapping) -> dict | None:
    rows = []
    for name, sec in groupings(data).items():
        for group, g in groups_of(sec).items():
            if group == sec.get("reference") or not isinstance(g, Mapping) or g.get("small"):
                continue
            if not isinstance(g.get("power"), Mapping):
                continue
            row = [cell(f.text(name)), cell(f.text(group))]
            for metric, denominator, _ in POWERED:
                row += _power_cells(g, metric, denominator)
            rows.append([*row, _status(g)])
    if not rows:
        return None
    return table(
        "What this audit could detect",
        [
            "Grouping",
            "Group",
            "People#",
            "Blacklisting ratio that would FAIL#",
            "People with a non-adverse label#",
            "Wrongful blacklisting ratio that would FAIL#",
            "What the audit can tell",
        ],
        rows,
        note="For each group against its reference group: the smallest ratio above the band at "
        "which the verdict would FAIL with 80 % power, given the group sizes and the family's "
        "simultaneous level (its own intervals, approximated at the expected counts). People: the rate's "
        "denominator. Underpowered: even a test of equality could not tell a ratio at the band's "
        "edge from 1 with 80 % power.",
    )


def _power_summary(power: Any) -> str:
    if not power:
        return ""
    rows = power["rows"]
    weak = sum(1 for r in rows if r[-1]["text"].startswith("underpowered"))
    return (
        f"{f.count(weak)} of {f.count(len(rows))} compared groups are underpowered for at least one "
        "rate: for them the audit cannot tell a ratio at the threshold from parity, so neither a "
        "PASS nor the absence of a FAIL says they are treated fairly."
    )
