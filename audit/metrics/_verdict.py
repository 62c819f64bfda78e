"""The verdict: PASS, FAIL or INCONCLUSIVE, judged on simultaneous confidence bounds.

What it is for: every judged quantity — for each criterion of :data:`audit.core.CRITERIA` with a
threshold ``t``, the ratio of each group's rate to its grouping's reference group's rate, in every
attribute and intersection — forms ONE family of ``m`` comparisons. Each ratio gets a MOVER-R
interval built from the two rates' exact Clopper–Pearson intervals (Zou & Donner 2008; Clopper &
Pearson 1934) at the Bonferroni level ``1 − (1 − confidence) / m`` (Dunn 1961), so all ``m``
intervals hold together with probability at least ``confidence``. Exact tails matter here: with
hundreds of comparisons the level sits far in the tail (z ≈ 3.8), where the score interval's normal
tail is too thin for a small group with a rare outcome (a Monte Carlo with 100 groups of 150 people
found 23 % joint non-coverage with Miettinen–Nurminen intervals, under 1 % with these; see
``benchmarks/RESULTS.md``). A comparison

* FAILS when its interval lies wholly outside the band ``[t, 1/t]`` (the bound nearest the band
  decides, and is recorded as ``bound``),
* PASSES when its interval lies wholly inside the band,
* is INCONCLUSIVE otherwise.

The audit FAILS if any comparison fails, else is INCONCLUSIVE if any is inconclusive, else PASSES.
So the chance that a fair system (every true ratio inside the band) gets FAIL, or an unfair one
(some true ratio outside) gets PASS, is at most ``1 − confidence``. A rate whose denominator is
below ``min_group_size`` in the group or the reference is *insufficient*: it is not in the family
and never decides. The point-estimate rule (ratio outside the band) is kept as a description.

It also says what the audit could detect: per group, the smallest ratio that would FAIL with 80 %
power at the family's level (these intervals' half-width at the expected counts, see
``_intervals.failing_ratio``), and the smallest ratio a test of equality would detect
(``detectable_ratio``).
What it must not do: choose reference groups, or see rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from audit.core import CRITERIA, METRICS, band
from audit.metrics._compare import interval
from audit.metrics._intervals import bonferroni, detectable_ratio, failing_ratio, mover_ratio

__all__ = ["POWER", "JudgedSection", "judge"]

#: Power the "what this audit could detect" figures are computed for.
POWER = 0.8
#: Rates whose detectable ratios are reported per group.
POWER_METRICS = ("adverse_rate", "fpr")


@dataclass
class JudgedSection:
    """What the verdict needs of one grouping: its counts, reference and JSON section."""

    kind: str  # "attributes" or "intersections"
    name: str
    names: list[str]
    cells: np.ndarray
    ref: int | None
    ok: dict[str, np.ndarray]
    section: dict = field(repr=False)


@dataclass
class _Family:
    """Every judged comparison, as parallel arrays (one entry per comparison)."""

    where: list[tuple[int, int, str]] = field(default_factory=list)  # section, group, criterion
    x: list[int] = field(default_factory=list)
    t: list[int] = field(default_factory=list)
    x_ref: list[int] = field(default_factory=list)
    t_ref: list[int] = field(default_factory=list)


def _family(sections: Sequence[JudgedSection], judged: Sequence[str]) -> tuple[_Family, dict]:
    fam, insufficient = _Family(), {c: 0 for c in judged}
    for s, sec in enumerate(sections):
        if sec.ref is None:
            continue
        for name in judged:
            metric = METRICS[CRITERIA[name].metric]
            x, t = metric.successes(sec.cells), metric.trials(sec.cells)
            ok = sec.ok[metric.name]
            for g in range(len(sec.names)):
                if g == sec.ref:
                    continue
                if not (ok[g] and ok[sec.ref]):
                    insufficient[name] += 1
                    continue
                fam.where.append((s, g, name))
                fam.x.append(int(x[g]))
                fam.t.append(int(t[g]))
                fam.x_ref.append(int(x[sec.ref]))
                fam.t_ref.append(int(t[sec.ref]))
    return fam, insufficient


def _outcome(low: float, high: float, t: float) -> tuple[str, float | None, str | None]:
    """(outcome, deciding bound, direction) of one simultaneous interval against the band."""
    lo_band, hi_band = band(t)
    if np.isnan(low) or np.isnan(high):
        return "inconclusive", None, None
    if high < lo_band:
        return "fail", float(high), "below"
    if low > hi_band:
        return "fail", float(low), "above"
    if low >= lo_band and high <= hi_band:
        nearest = low if (low - lo_band) <= (hi_band - high) else high
        return "pass", float(nearest), None
    return "inconclusive", None, None


def judge(sections: Sequence[JudgedSection], thresholds: dict[str, float | None],
          confidence: float) -> dict:  # fmt: skip
    """Judge every criterion with a threshold; write ``judged``, ``four_fifths`` and ``power``
    into the group blocks of ``sections``; return the ``verdict`` block of audit.json."""
    judged = [c.name for c in CRITERIA.values() if thresholds.get(c.threshold) is not None]
    fam, insufficient = _family(sections, judged)
    m = len(fam.where)
    level = bonferroni(confidence, max(m, 1))
    x, t, xr, tr = (np.asarray(a, dtype=np.int64) for a in (fam.x, fam.t, fam.x_ref, fam.t_ref))
    low, high = mover_ratio(x, t, xr, tr, level) if m else (np.empty(0), np.empty(0))
    counts = {c: {"pass": 0, "fail": 0, "inconclusive": 0, "insufficient": insufficient[c]}
              for c in judged}  # fmt: skip
    items: dict[str, list[dict]] = {"fail": [], "inconclusive": [], "descriptive": []}
    for k, (s, g, name) in enumerate(fam.where):
        sec, crit = sections[s], CRITERIA[name]
        thr = float(thresholds[crit.threshold])
        outcome, bound, direction = _outcome(low[k], high[k], thr)
        counts[name][outcome] += 1
        group = sec.section["groups"][sec.names[g]]
        entry = {
            "outcome": outcome,
            "value": group["ratio"][crit.metric],  # the exact ratio of counts
            "interval": interval(low[k], high[k]),
            "bound": bound,
            "direction": direction,
        }
        group.setdefault("judged", {})[name] = entry
        if name == "four_fifths":
            group["four_fifths"] = outcome
        if outcome in ("fail", "inconclusive"):
            items[outcome].append(_item(sec, g, name, thr, entry))
        lo_band, hi_band = band(thr)
        if entry["value"] is not None and not lo_band <= entry["value"] <= hi_band:
            items["descriptive"].append(_item(sec, g, name, thr, entry))
    _add_power(sections, thresholds, confidence, max(m, 1))
    return _verdict(judged, counts, items, thresholds, confidence, m, level)


def _item(sec: JudgedSection, g: int, name: str, threshold: float, entry: dict) -> dict:
    """One line of ``verdict.violations`` / ``inconclusive`` / ``descriptive``."""
    group = sec.section["groups"][sec.names[g]]
    metric = CRITERIA[name].metric
    tested = "adverse_rate" if metric == "favourable_rate" else metric  # the same test
    test = (group.get("tests") or {}).get(tested, {})
    return {
        "criterion": name,
        "attribute": sec.name,
        "group": sec.names[g],
        "against": sec.names[sec.ref] if sec.ref is not None else None,
        "value": entry["value"],
        "threshold": threshold,
        "interval": entry["interval"],
        "bound": entry["bound"],
        "direction": entry["direction"],
        "p_holm": test.get("p_holm"),
    }


def _overall(counts: dict) -> str | None:
    if not counts:
        return None
    total = {k: sum(c[k] for c in counts.values()) for k in ("pass", "fail", "inconclusive")}
    if total["fail"]:
        return "fail"
    if total["inconclusive"] or not total["pass"]:
        return "inconclusive"
    return "pass"


def _verdict(judged, counts, items, thresholds, confidence, m, level) -> dict:
    criteria = {}
    for name in judged:
        thr = float(thresholds[CRITERIA[name].threshold])
        criteria[name] = {
            "threshold": thr,
            "band": list(band(thr)),
            "outcome": _overall({name: counts[name]}),
            **counts[name],
        }
    outcome = _overall(counts)
    return {
        "outcome": outcome,
        "passed": outcome == "pass",
        "method": "simultaneous_intervals",
        "confidence": float(confidence),
        "family_size": int(m),
        "interval_level": float(level),
        "interval_method": "mover_r_clopper_pearson",
        "multiplicity": "bonferroni",
        "criteria": criteria,
        "violations": items["fail"],
        "inconclusive": items["inconclusive"],
        "point_estimate_rule": items["descriptive"],
    }


def _ratio(x: float) -> float | None:
    """A detectable ratio for audit.json: 4 decimals, None when no ratio is detectable."""
    return round(float(x), 4) if np.isfinite(x) else None


def _add_power(sections: Sequence[JudgedSection], thresholds: dict, confidence: float,
               m: int) -> None:  # fmt: skip
    """Per group, the smallest ratio the audit would FAIL and a test would detect (80 % power)."""
    alpha = 1 - confidence
    limits = {c.metric: thresholds.get(c.threshold) for c in CRITERIA.values()}
    for sec in sections:
        if sec.ref is None:
            continue
        for m_name in POWER_METRICS:
            metric = METRICS[m_name]
            x, t = metric.successes(sec.cells), metric.trials(sec.cells)
            ok = sec.ok[m_name] & sec.ok[m_name][sec.ref]
            if not ok.any() or x[sec.ref] in (0, t[sec.ref]):  # a reference rate of 0 or 1
                continue
            p_ref = x[sec.ref] / t[sec.ref]
            thr = limits.get(m_name) or 0.8
            kw = {"alpha": alpha, "power": POWER, "comparisons": m}
            fail = failing_ratio(p_ref, t, t[sec.ref], threshold=thr, **kw)
            detect = detectable_ratio(p_ref, t, t[sec.ref], **kw)
            for g in np.flatnonzero(ok):
                if g == sec.ref:
                    continue
                block = sec.section["groups"][sec.names[g]].setdefault("power", {})
                block[m_name] = {
                    "failing_ratio": _ratio(fail[g]),
                    "detectable_ratio": _ratio(detect[g]),
                    "underpowered": bool(not np.isfinite(detect[g]) or detect[g] > 1 / thr),
                }
