"""Intervals and tests of single rates computed from counts: Wilson, z / Fisher tests, Holm.

What it is for: the uncertainty around every rate the audit reports and the tests of each group
against its reference, vectorised over groups (two-rate intervals, homogeneity and power live in
``_intervals``).
What it must not do: see rows, decide which groups are compared, or format results.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import stats

__all__ = ["compare_proportions", "holm", "wilson_interval"]

#: Below this expected count in any cell of the 2x2 table, Fisher's exact test replaces the z test.
FISHER_BELOW = 5.0


@lru_cache(maxsize=8)
def _z(confidence: float) -> float:
    return float(stats.norm.isf((1 - confidence) / 2))


def wilson_interval(
    successes: np.ndarray, trials: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (no continuity correction).

    The same interval as ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``, computed
    in closed form for whole arrays at once.

    Parameters
    ----------
    successes, trials : array-like of int
        Numerator and denominator of each proportion.
    confidence : float or array-like of float, default 0.95
        Level (or one level per proportion).

    Returns
    -------
    low, high : numpy.ndarray
        NaN where ``trials`` is 0.

    Examples
    --------
    >>> low, high = wilson_interval(3, 10)
    >>> round(float(low), 4), round(float(high), 4)
    (0.1078, 0.6032)
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if np.ndim(confidence) == 0:
        z = _z(float(confidence))
    else:  # one level per interval
        z = stats.norm.isf((1 - np.asarray(confidence, dtype=np.float64)) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
        high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    undefined = n <= 0
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def compare_proportions(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-sided test that two proportions are equal, for arrays of pairs.

    The pooled two-proportion z test; Fisher's exact test
    (:func:`scipy.stats.fisher_exact`) instead wherever an expected count of the 2x2 table is
    below 5 (then the statistic is the sample odds ratio, NaN when infinite).

    Returns
    -------
    statistic, p_value : numpy.ndarray of float
        NaN where either proportion has no trials.
    method : numpy.ndarray of str
        ``"z"`` or ``"fisher"`` (``""`` where not tested).

    Examples
    --------
    >>> s, p, m = compare_proportions([30], [100], [20], [100])
    >>> m.tolist(), round(float(p[0]), 4)
    (['z'], 0.1025)
    """
    x1, n1, x2, n2 = (np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in (x1, n1, x2, n2))
    x1, n1, x2, n2 = np.broadcast_arrays(x1, n1, x2, n2)
    stat = np.full(x1.shape, np.nan)
    pval = np.full(x1.shape, np.nan)
    method = np.full(x1.shape, "", dtype=object)
    ok = (n1 > 0) & (n2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        expected = np.minimum(np.minimum(n1, n2) * pooled, np.minimum(n1, n2) * (1 - pooled))
        z = (x1 / n1 - x2 / n2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    small = ok & ~(expected >= FISHER_BELOW)
    use_z = ok & ~small
    stat[use_z] = z[use_z]
    pval[use_z] = 2 * stats.norm.sf(np.abs(z[use_z]))
    method[use_z] = "z"
    for i in np.flatnonzero(small):  # one call per compared group, never per row
        table = [[x1[i], n1[i] - x1[i]], [x2[i], n2[i] - x2[i]]]
        odds, p = stats.fisher_exact(np.asarray(table, dtype=np.int64))
        stat[i] = odds if np.isfinite(odds) else np.nan
        pval[i] = p
        method[i] = "fisher"
    return stat, np.minimum(pval, 1.0), method


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (NaN entries are left out).

    Examples
    --------
    >>> holm(np.array([0.01, 0.04, 0.03])).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = len(valid)
    if m == 0:
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adjusted, 1.0)
    return out
