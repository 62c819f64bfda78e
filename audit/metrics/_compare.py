"""Each group against its grouping's reference group, and the spread across groups.

What it is for: from one grouping's confusion counts and its reference group, the per-group
``difference`` and ``ratio`` of every compared rate with ordinary (not simultaneous) intervals —
Newcombe's hybrid score interval for differences, the Miettinen–Nurminen score interval for ratios
(the impact ratio included) — the signed excess of wrongful blacklistings with its interval, the
z / Fisher tests against the reference, the k×2 homogeneity tests, and the between-groups range
with its simultaneous interval. Every interval is a function of the counts only: renaming or
reordering groups changes no number.
What it must not do: choose the reference group (``audit.core.choose_reference``), judge a
verdict (``_verdict``), or see rows.

A rate is compared only where it is *sufficient*: its own denominator (``METRICS[m].trials``) is at
least ``min_group_size`` in the group and in the reference group. Elsewhere it is ``None`` and the
metric is listed in the group's ``insufficient``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from audit.core import METRICS
from audit.metrics._intervals import (
    bonferroni,
    homogeneity_test,
    newcombe_difference,
    range_intervals,
    ratio_interval,
)
from audit.metrics._rates import aggregate
from audit.metrics._stats import compare_proportions

__all__ = [
    "COMPARED",
    "DISPARITIES",
    "TESTED",
    "between_groups",
    "exact_ratio",
    "excess_wrongful",
    "interval",
    "homogeneity",
    "sufficient",
    "tests_against_reference",
    "to_reference",
]

#: Rates every group gets a difference and a ratio to the reference for (favourable_rate's ratio
#: is the impact ratio).
COMPARED = ("adverse_rate", "favourable_rate", "fpr", "fnr", "ppv")
#: Rates tested against the reference (z / Fisher) and for homogeneity (k×2), in one Holm family.
TESTED = ("adverse_rate", "fpr")
#: Rates whose between-groups range (fairlearn's difference and ratio) is reported.
DISPARITIES = ("adverse_rate", "favourable_rate", "fpr", "fnr", "ppv", "for", "accuracy")
#: Besag-Clifford h of the Monte Carlo homogeneity test: stop at the h-th exceedance.
SEQUENTIAL_H = 20
#: Decimal places kept for interval bounds; point estimates keep all.
CI_DECIMALS = 6


def interval(low: float, high: float) -> list[float | None] | None:
    """An interval for audit.json: rounded bounds, ``None`` for an unbounded end (+inf), or None
    when undefined (NaN)."""
    if np.isnan(low) or np.isnan(high):
        return None
    return [
        round(float(low), CI_DECIMALS),
        None if np.isinf(high) else round(float(high), CI_DECIMALS),
    ]


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _rounded(x: float) -> float | None:
    """A comparison's point estimate, to the decimals of its interval (rates keep all)."""
    return None if not np.isfinite(x) else round(float(x), CI_DECIMALS)


def exact_ratio(metric, cells: np.ndarray, ref: int | None) -> np.ndarray:
    """``metric`` of each group over the reference group's, as one correctly rounded division of
    Python integers (so a ratio equals fairlearn's to the last bit); NaN where undefined."""
    out = np.full(len(cells), np.nan)
    if ref is None:
        return out
    x = [int(v) for v in metric.successes(cells)]
    t = [int(v) for v in metric.trials(cells)]
    if x[ref] == 0 or t[ref] == 0:
        return out
    for i in range(len(cells)):  # over groups, not people
        if t[i] > 0:
            out[i] = (x[i] * t[ref]) / (t[i] * x[ref])
    return out


def sufficient(cells: np.ndarray, min_size: int) -> dict[str, np.ndarray]:
    """Per metric, which groups have a denominator of at least ``min_size`` (and n ≥ min_size)."""
    big = cells.sum(axis=1) >= max(min_size, 1)
    return {m: big & (metric.trials(cells) >= max(min_size, 1)) for m, metric in METRICS.items()}


def to_reference(
    cells: np.ndarray, ref: int | None, ok: Mapping[str, np.ndarray], confidence: float
) -> dict[str, dict[str, list]]:
    """Difference and ratio of each :data:`COMPARED` rate to the reference, with intervals.

    Returns ``{"difference": {m: [...]}, "ratio": {...}, "ci_difference": {...}, "ci_ratio":
    {...}}``, each list one entry per group (None where not comparable; the reference gets 0 / 1).
    Point estimates are rounded to :data:`CI_DECIMALS` like their intervals (the exact impact
    ratio stays in ``impact_ratio``). All rates' intervals come from one vectorised call per
    method.
    """
    keys = ("difference", "ratio", "ci_difference", "ci_ratio")
    out: dict[str, dict[str, list]] = {k: {} for k in keys}
    if ref is None:
        return {k: {m: [None] * len(cells) for m in COMPARED} for k in keys}
    x = np.stack([METRICS[m].successes(cells) for m in COMPARED])  # (metrics, groups)
    t = np.stack([METRICS[m].trials(cells) for m in COMPARED])
    xr, tr = x[:, [ref]], t[:, [ref]]
    d_lo, d_hi = newcombe_difference(x, t, xr, tr, confidence)
    r_lo, r_hi = ratio_interval(x, t, xr, tr, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = x / t - xr / tr
    for k, m in enumerate(COMPARED):
        comparable = ok[m] & ok[m][ref]
        ratio = exact_ratio(METRICS[m], cells, ref)

        def each(values, comparable=comparable):
            return [v if c else None for v, c in zip(values, comparable, strict=True)]

        out["difference"][m] = each(_rounded(v) for v in diff[k])
        out["ratio"][m] = each(_rounded(v) for v in ratio)
        out["ci_difference"][m] = each(
            interval(a, b) for a, b in zip(d_lo[k], d_hi[k], strict=True)
        )
        out["ci_ratio"][m] = each(interval(a, b) for a, b in zip(r_lo[k], r_hi[k], strict=True))
    return out


def excess_wrongful(
    cells: np.ndarray,
    ref: int | None,
    ok: Mapping[str, np.ndarray],
    confidence: float,
    family: int | None = None,
) -> tuple[list[dict | None], dict | None]:
    """Signed excess wrongful blacklistings of each group, and their total, with intervals.

    ``excess_g = not_adverse_g × (fpr_g − fpr_ref)``: how many more (negative: fewer) of the group's
    people with a non-adverse label were wrongly blacklisted than at the reference group's rate. Its
    interval is ``not_adverse_g`` × the Newcombe interval of the FPR difference (``not_adverse_g``
    is fixed by the labels, so this is exact). The total over non-reference groups,
    ``FP_rest − fpr_ref × not_adverse_rest``, is ``not_adverse_rest × (pooled fpr_rest − fpr_ref)``;
    its interval treats the pooled wrongful count of the other groups as one binomial, which is
    conservative (a sum of binomials with unequal rates has at most the binomial variance).

    ``family``: the number of groupings whose totals are read together (the single attributes);
    the total then also gets ``ci_simultaneous``, the same interval at the Bonferroni level
    :func:`bonferroni` (``confidence``, ``family``), so that every grouping's total covers together
    with probability >= ``confidence``: what the headline may claim a number of people from.
    """
    fpr = METRICS["fpr"]
    x, t = fpr.successes(cells), fpr.trials(cells)
    usable = ok["fpr"].copy()
    if ref is None or not usable[ref]:
        return [None] * len(cells), None
    lo, hi = newcombe_difference(x, t, x[ref], t[ref], confidence)
    p_ref = x[ref] / t[ref]
    groups: list[dict | None] = []
    for i in range(len(cells)):
        if not usable[i]:
            groups.append(None)
            continue
        if i == ref:  # by definition
            groups.append({"value": 0.0, "ci": [0.0, 0.0]})
            continue
        value = float(x[i] - p_ref * t[i])
        groups.append({"value": value, "ci": interval(t[i] * lo[i], t[i] * hi[i])})
    rest = usable.copy()
    rest[ref] = False
    if not rest.any():
        return groups, None
    xr, tr = int(x[rest].sum()), int(t[rest].sum())
    t_lo, t_hi = newcombe_difference(xr, tr, x[ref], t[ref], confidence)
    total = {
        "value": float(xr - p_ref * tr),
        "ci": interval(tr * float(np.asarray(t_lo)), tr * float(np.asarray(t_hi))),
        "groups": int(rest.sum()),
    }
    if family is not None:
        level = bonferroni(confidence, family)
        s_lo, s_hi = newcombe_difference(xr, tr, x[ref], t[ref], level)
        total["ci_simultaneous"] = interval(
            tr * float(np.asarray(s_lo)), tr * float(np.asarray(s_hi))
        )
        total["simultaneous_over"] = int(family)
    return groups, total


def tests_against_reference(
    cells: np.ndarray, ref: int | None, ok: Mapping[str, np.ndarray], against: str | None
) -> list[dict[str, dict]]:
    """z / Fisher tests of each :data:`TESTED` rate against the reference (``p_holm`` left empty)."""
    tests: list[dict[str, dict]] = [{} for _ in range(len(cells))]
    if ref is None:
        return tests
    for m in TESTED:
        metric = METRICS[m]
        x, t = metric.successes(cells), metric.trials(cells)
        stat, p, method = compare_proportions(x, t, x[ref], t[ref])
        for i in range(len(cells)):
            if i == ref or not (ok[m][i] and ok[m][ref]) or not method[i]:
                continue
            tests[i][m] = {
                "statistic": _num(stat[i]),
                "p_value": float(p[i]),
                "p_holm": None,
                "method": str(method[i]),
                "against": against,
            }
    return tests


def homogeneity(
    cells: np.ndarray, ok: Mapping[str, np.ndarray], rng: np.random.Generator
) -> dict[str, dict | None]:
    """The k×2 homogeneity test of each :data:`TESTED` rate over the sufficient groups."""
    out: dict[str, dict | None] = {}
    for m in TESTED:
        metric = METRICS[m]
        keep = ok[m]
        x, t = metric.successes(cells)[keep], metric.trials(cells)[keep]
        order = np.lexsort((x, t))  # a canonical order: the Monte Carlo draw ignores group names
        stat, df, p, method = homogeneity_test(x[order], t[order], rng=rng, stop_after=SEQUENTIAL_H)
        out[m] = None if not method else {
            "statistic": _num(stat), "df": int(df), "p_value": float(p), "p_holm": None,
            "method": method, "groups": int(keep.sum()),
        }  # fmt: skip
    return out


def between_groups(
    cells: np.ndarray, ok: Mapping[str, np.ndarray], confidence: float
) -> tuple[dict, dict]:
    """fairlearn's ``difference`` / ``ratio`` (between_groups and to_overall) of each
    :data:`DISPARITIES` rate over the sufficient groups, with the simultaneous interval of the
    between-groups range (:func:`range_intervals`, all rates in one pass); ``to_overall`` carries
    no interval (the overall rate contains each group)."""
    x = np.stack([np.where(ok[m], METRICS[m].successes(cells), 0) for m in DISPARITIES])
    t = np.stack([np.where(ok[m], METRICS[m].trials(cells), 0) for m in DISPARITIES])
    spreads = range_intervals(x, t, confidence)  # groups with t = 0 are left out
    differences: dict = {}
    ratios: dict = {}
    for m, spread in zip(DISPARITIES, spreads, strict=True):
        metric = METRICS[m]
        point = np.where(ok[m], metric(cells), np.nan)
        overall = metric(cells.sum(axis=0))
        for kind, out in (("difference", differences), ("ratio", ratios)):
            _, low, high = spread[kind]
            between = _num(float(aggregate(point, overall, kind=kind, method="between_groups")))
            out[m] = {
                "between_groups": between,
                "to_overall": _num(
                    float(aggregate(point, overall, kind=kind, method="to_overall"))
                ),
                "ci": {
                    "between_groups": None if between is None else interval(low, high),
                    "to_overall": None,
                },
            }
    return differences, ratios
