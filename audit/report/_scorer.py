"""The scorer section of the report view: what the model is, what it reads, whether it reads a
protected attribute directly (and what the flip test found), and whether its scores point the right
way at the label.

What it must not do: compute statistics, import fairlearn or shap, or emit HTML. Every number shown
is taken from audit.json (``scorer``, ``flip_test``, ``direction``).
"""

from __future__ import annotations

from collections.abc import Mapping

from audit.report import _format as f
from audit.report._view import (
    cell,
    compact,
    interval_cell,
    kv_tree,
    mapping,
    num_cell,
    table,
    unavailable,
)

KNOWN = {
    "model": "Model",
    "kind": "Kind",
    "threshold": "Blacklisting threshold",
    "score_range": "Score range",
    "score_mapping": "Score mapping",
    "queried": "How it was queried",
    "include_protected": "Uses protected attributes directly",
}


def scorer_section(data: Mapping) -> dict:
    scorer = mapping(data.get("scorer"))
    if not scorer:
        return unavailable(
            "this audit has only the recorded decisions; nothing is known here of the scorer that made them"
        )
    facts = []
    for key, label in KNOWN.items():
        if key not in scorer or (key == "kind" and scorer.get("model")):  # the model says more
            continue
        text = f.short(compact(scorer[key]), 600)
        if key == "threshold" and f.is_num(scorer[key]):
            text += " points (scores run 350–950; blacklisted below the threshold)"
        facts.append((label, text))
    rules = scorer.get("rules")
    rules_table = None
    if isinstance(rules, list) and rules and all(isinstance(r, Mapping) for r in rules):
        keys = list(dict.fromkeys(k for r in rules for k in r))
        rules_table = table(
            "Rules applied besides the score",
            [f.humanize(k) for k in keys],
            [[cell(f.short(compact(r.get(k)), 400)) for k in keys] for r in rules],
        )
    direct = scorer.get("direct_use")
    features = scorer.get("features", scorer.get("feature_names"))
    feature_txt = ""
    if isinstance(features, list):
        used = mapping(direct)
        feature_txt = ", ".join(f"{c} (DIRECT USE)" if c in used else str(c) for c in features)
    shown = set(KNOWN) | {"features", "feature_names", "direct_use"}
    shown |= {"rules"} if rules_table else set()
    return {
        "available": True,
        "facts": facts,
        "features": f.short(feature_txt, 2000),
        "direct": _direct(direct, data),
        "flips": _flips(mapping(data.get("flip_test"))),
        "direction": _direction(mapping(data.get("direction"))),
        "rules": rules_table,
        "other": kv_tree({k: v for k, v in scorer.items() if k not in shown}),
    }


def _direct(direct: object, data: Mapping) -> str:
    """One sentence on direct use of protected attributes ("" when the audit did not look)."""
    if not isinstance(direct, Mapping):
        return ""
    if not direct:
        protected = ", ".join(map(str, (data.get("meta") or {}).get("protected") or []))
        return (
            f"No protected attribute ({f.short(protected, 200)}) is among the model's inputs; "
            "it can still score by one through other features (suspected proxies, under Why)."
        )
    parts = [
        f"{f.short(a, 80)}"
        + (f" (model columns: {f.short(', '.join(map(str, cols)), 300)})" if cols != [a] else "")
        for a, cols in direct.items()
    ]
    return (
        f"DIRECT USE of a protected attribute: the model reads {'; '.join(parts)}. That is not a "
        "proxy: the decision can change with the attribute itself, all else equal — the flip test "
        "below measures how often it does."
    )


def _flips(flip: Mapping) -> dict | None:
    rows = [
        [
            cell(f.text(attr)),
            cell(f.text(t.get("reference"))),
            num_cell(t.get("n_blacklisted"), f.count),
            num_cell(t.get("n_flipped"), f.count),
            num_cell(t.get("share_flipped")),
            interval_cell(t.get("ci")),
        ]
        for attr, t in mapping(flip.get("attributes")).items()
        if isinstance(t, Mapping)
    ]
    if not rows:
        return None
    return table(
        "Flip test: would the blacklisted have been spared with the reference group's value?",
        [
            "Attribute",
            "Set to (reference)",
            "Blacklisted outside the reference group#",
            "Decision flips#",
            "Share#",
            f"{f.ci_label(flip.get('confidence'))}#",
        ],
        rows,
        note=f"{f.text(flip.get('note'))}. {f.text(flip.get('method'))}.",
    )


def _direction(d: Mapping) -> dict | None:
    """The direction guard's table: the AUC and the blacklisting share, each with its verdict."""
    if not d:
        return None
    auc, bl, limits = mapping(d.get("auc")), mapping(d.get("blacklisted")), mapping(d.get("limits"))
    codes = {w.get("code") for w in d.get("warnings") or [] if isinstance(w, Mapping)}
    rows = []
    if auc:
        rows.append([
            cell("AUC of the score for the label (low score = adverse)"),
            num_cell(auc.get("value"), f.num),
            interval_cell(auc.get("ci"), f.num),
            cell(f"{f.count(auc.get('n_adverse'))} adverse, {f.count(auc.get('n_not_adverse'))} not"),
            cell("BACKWARDS" if "inverted" in codes else "right way round",
                 cls="fail" if "inverted" in codes else ""),
        ])  # fmt: skip
    if bl:
        odd = codes & {"blacklists_nearly_everyone", "blacklists_nearly_no_one"}
        rows.append([
            cell("Share of everyone blacklisted"),
            num_cell(bl.get("share")),
            interval_cell(bl.get("ci")),
            cell(f"{f.count(bl.get('count'))} of {f.count(bl.get('n'))}"),
            cell("NEARLY EVERYONE" if "blacklists_nearly_everyone" in odd else
                 "NEARLY NO ONE" if odd else "within limits", cls="fail" if odd else ""),
        ])  # fmt: skip
    return table(
        f"Does the score point the right way at the label “{f.short(d.get('label'), 80)}”?",
        ["Check", "Value#", f"{f.ci_label(d.get('confidence'))}#", "People", "Reading"],
        rows,
        note=(
            f"Warned when a one-sided test finds the people with the adverse label scoring "
            f"higher at level {f.num(limits.get('backwards_level'))} (the label is probably "
            f"coded the other way round), or when more than "
            f"{f.pct(limits.get('share_above'))} or fewer than {f.pct(limits.get('share_below'))} "
            f"are blacklisted. {f.text(auc.get('method'))}; the share: "
            f"{f.text(bl.get('method'))}."
        ),
    )
