"""Analytic intervals, a homogeneity test and power for comparing groups' rates.

What it is for: the uncertainty around differences and ratios of adverse (blacklisting) rates
between groups, simultaneous intervals for fairlearn's between-groups range, a test that k rates
are equal, and how many people an audit needs to detect a disparity or to reach a FAIL verdict.
Everything works on counts and is vectorised over arrays of groups (or pairs of groups).
What it must not do: see rows, choose the reference group or the compared pairs, decide verdicts,
or import statsmodels (an oracle for the tests only).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from scipy import optimize, special, stats

from audit.exceptions import InvalidInputError
from audit.metrics._stats import wilson_interval

__all__ = [
    "bonferroni",
    "clopper_pearson_interval",
    "detectable_ratio",
    "failing_ratio",
    "homogeneity_test",
    "mover_difference",
    "mover_ratio",
    "n_to_detect",
    "n_to_fail",
    "newcombe_difference",
    "range_intervals",
    "ratio_interval",
]

#: Below this expected count in any cell, the Monte Carlo exact test replaces Pearson's chi-square.
COCHRAN_MIN = 5.0
#: numpy's multivariate hypergeometric sampler needs fewer people than this in all.
MAX_SIMULATED_PEOPLE = 10**9
#: Ratio bounds are searched for in [exp(-LOG_BRACKET), exp(LOG_BRACKET)].
LOG_BRACKET = 60.0
#: Bisection steps: 120 / 2**52 ~ 3e-14 on log(theta), so ~3e-14 relative.
BISECTIONS = 52


# --- argument checks ----------------------------------------------------------------------------


def _check_open_unit(value: object, name: str, caller: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 < float(value) < 1:
        msg = f"The '{name}' parameter of {caller} must be a number in (0, 1); got {value!r}."
        raise InvalidInputError(msg)
    return float(value)


def _check_levels(value: object, caller: str) -> float | np.ndarray:
    """A confidence level, or an array of levels (one per interval), each in (0, 1)."""
    if np.ndim(value) == 0:
        return _check_open_unit(value, "confidence", caller)
    levels = np.asarray(value, dtype=np.float64)
    if not np.all((levels > 0) & (levels < 1)):
        msg = f"The 'confidence' parameter of {caller} must hold levels in (0, 1); got {value!r}."
        raise InvalidInputError(msg)
    return levels


def _check_int(value: object, name: str, caller: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        msg = f"The '{name}' parameter of {caller} must be an integer >= {minimum}; got {value!r}."
        raise InvalidInputError(msg)
    return int(value)


def _check_counts(caller: str, **pairs: object) -> list[np.ndarray]:
    """Broadcast (successes, trials) arrays given as x1=, n1=, ...; 0 <= x <= n, all finite."""
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in pairs.values()))
    for (name, _), a in zip(pairs.items(), arrays, strict=True):
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            msg = f"The '{name}' parameter of {caller} must hold finite counts >= 0; got {a!r}."
            raise InvalidInputError(msg)
    values = dict(zip(pairs, arrays, strict=True))
    for name in pairs:
        if name.startswith("x") and np.any(values[name] > values["n" + name[1:]]):
            msg = (
                f"The '{name}' parameter of {caller} must not exceed 'n{name[1:]}' (more adverse "
                f"outcomes than people); got {values[name]!r} and {values['n' + name[1:]]!r}."
            )
            raise InvalidInputError(msg)
    return arrays


# --- intervals ----------------------------------------------------------------------------------


def newcombe_difference(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for the difference of two proportions p1 - p2 (Newcombe's hybrid score).

    Method 10 of Newcombe (1998), "Interval estimation for the difference between independent
    proportions: comparison of eleven methods", *Statistics in Medicine* 17:873-890: the square
    and add of the two Wilson intervals (no continuity correction),
    ``p1 - p2 - sqrt((p1 - l1)**2 + (u2 - p2)**2)`` to ``p1 - p2 + sqrt((u1 - p1)**2 +
    (p2 - l2)**2)``. It stays within [-1, 1] and is exactly antisymmetric under swapping groups.

    Parameters
    ----------
    x1, n1, x2, n2 : array-like of int
        Adverse outcomes and people in each group; broadcast together.
    confidence : float or array-like of float, default 0.95
        Level of each interval (an array is broadcast with the counts).

    Returns
    -------
    low, high : numpy.ndarray
        NaN where either group has no people.

    Examples
    --------
    Newcombe's example (a), 56/70 against 48/80:

    >>> low, high = newcombe_difference(56, 70, 48, 80)
    >>> round(float(low), 4), round(float(high), 4)
    (0.0524, 0.3339)
    """
    return mover_difference(x1, n1, x2, n2, confidence, method="wilson")


def _mn_score(
    theta: np.ndarray, x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
) -> np.ndarray:
    """Miettinen-Nurminen score statistic for H0: p1 = theta * p2 (decreasing in theta)."""
    n = n1 + n2
    b = n1 * theta + x1 + n2 + x2 * theta  # minus MN's B; A = n * theta, C = x1 + x2
    disc = np.maximum(b * b - 4 * n * theta * (x1 + x2), 0.0)
    p2 = np.clip(2 * (x1 + x2) / (b + np.sqrt(disc)), 0.0, 1.0)  # smaller root, no cancellation
    p1 = np.clip(theta * p2, 0.0, 1.0)
    var = (p1 * (1 - p1) / n1 + theta * theta * p2 * (1 - p2) / n2) * n / (n - 1)
    num = x1 / n1 - theta * x2 / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = num / np.sqrt(var)
    return np.where(num == 0, 0.0, z)  # 0 / 0 only where theta fits the data exactly


def _bisect_log(score, target: np.ndarray) -> np.ndarray:
    """theta with score(theta) = target, for a score decreasing in theta, by bisection on log."""
    lo = np.full(target.shape, -LOG_BRACKET)
    hi = np.full(target.shape, LOG_BRACKET)
    for _ in range(BISECTIONS):
        mid = (lo + hi) / 2
        above = score(np.exp(mid)) > target
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return np.exp((lo + hi) / 2)


def ratio_interval(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for the ratio of two proportions p1 / p2 (Miettinen-Nurminen score interval).

    Miettinen & Nurminen (1985), "Comparative analysis of two rates", *Statistics in Medicine*
    4:213-226: the set of ratios theta whose score statistic
    ``(p1 - theta * p2) / sqrt((p1~ (1 - p1~) / n1 + theta**2 p2~ (1 - p2~) / n2) * N / (N - 1))``
    lies within +-z, where p1~ = theta * p2~ is the maximum likelihood estimate under the ratio
    theta (a quadratic's root) and N = n1 + n2. The same interval as statsmodels'
    ``confint_proportions_2indep(..., method="score", compare="ratio", correction=True)``
    (statsmodels 0.15 itself fails when a group is all adverse, x = n; this does not).
    Both bounds are found by bisection on log(theta), all pairs at once. Zero cells need no
    special case: x1 = 0 gives low = 0, x2 = 0 gives high = inf, both give (0, inf).
    Swapping the groups gives the reciprocal interval.

    Parameters
    ----------
    x1, n1, x2, n2 : array-like of int
        Adverse outcomes and people in each group; broadcast together.
    confidence : float or array-like of float, default 0.95
        Level of each interval (an array broadcast with the counts: one call can serve
        intervals at several levels).

    Returns
    -------
    low, high : numpy.ndarray
        NaN where either group has no people.

    Examples
    --------
    >>> low, high = ratio_interval(7, 18, 1, 18)
    >>> round(float(low), 3), round(float(high), 3)
    (1.296, 42.544)
    >>> ratio_interval(0, 10, 3, 20)[0].item(), ratio_interval(3, 10, 0, 20)[1].item()
    (0.0, inf)
    """
    levels = _check_levels(confidence, "ratio_interval")
    x1, n1, x2, n2, levels = np.broadcast_arrays(
        *_check_counts("ratio_interval", x1=x1, n1=n1, x2=x2, n2=n2), levels
    )
    defined = (n1 > 0) & (n2 > 0)
    x1, x2 = np.where(defined, x1, 0.0), np.where(defined, x2, 0.0)
    n1, n2 = np.where(defined, n1, 1.0), np.where(defined, n2, 1.0)
    z = stats.norm.isf((1 - levels) / 2)
    target = np.stack([z, -z])  # low, high

    def score(theta: np.ndarray) -> np.ndarray:
        return _mn_score(theta, x1, n1, x2, n2)

    bounds = _bisect_log(score, target)
    low = np.where(score(np.full(x1.shape, math.exp(-LOG_BRACKET))) <= z, 0.0, bounds[0])
    high = np.where(score(np.full(x1.shape, math.exp(LOG_BRACKET))) >= -z, np.inf, bounds[1])
    return np.where(defined, low, np.nan), np.where(defined, high, np.nan)


def clopper_pearson_interval(
    successes: np.ndarray, trials: np.ndarray, confidence: float | np.ndarray = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """The exact (Clopper-Pearson 1934) interval of a binomial proportion, from beta quantiles.

    Clopper & Pearson (1934), "The use of confidence or fiducial limits illustrated in the case
    of the binomial", *Biometrika* 26:404-413: each tail holds at most (1 - confidence) / 2 for
    every true rate, however small the count, which is what a Bonferroni level far in the tail
    needs. The same interval as ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``.

    Examples
    --------
    >>> low, high = clopper_pearson_interval(1, 29)
    >>> round(float(low), 4), round(float(high), 4)
    (0.0009, 0.1776)
    """
    levels = _check_levels(confidence, "clopper_pearson_interval")
    k, n = _check_counts("clopper_pearson_interval", x=successes, n=trials)
    k, n, levels = np.broadcast_arrays(k, n, levels)
    tail = (1 - levels) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(k > 0, special.betaincinv(k, n - k + 1, tail), 0.0)
        high = np.where(k < n, special.betainccinv(k + 1, n - k, tail), 1.0)
    undefined = n <= 0
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def _bounds(x: np.ndarray, n: np.ndarray, confidence, method: str):
    if method == "wilson":
        return wilson_interval(x, n, confidence)
    if method == "clopper_pearson":
        return clopper_pearson_interval(x, n, confidence)
    msg = f"The 'method' parameter must be 'wilson' or 'clopper_pearson'; got {method!r} instead."
    raise InvalidInputError(msg)


def _two_rates(caller: str, x1, n1, x2, n2, confidence, method: str):
    """Checked counts, then each rate with its own interval: ``(p, low, high)`` twice."""
    confidence = _check_levels(confidence, caller)
    x1, n1, x2, n2 = _check_counts(caller, x1=x1, n1=n1, x2=x2, n2=n2)
    rates = []
    for x, n in ((x1, n1), (x2, n2)):
        with np.errstate(divide="ignore", invalid="ignore"):
            rates.append((x / n, *_bounds(x, n, confidence, method)))
    return x1, n1, x2, n2, rates[0], rates[1]


def mover_difference(
    x1, n1, x2, n2, confidence: float | np.ndarray = 0.95, *, method: str = "clopper_pearson"
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for p1 - p2 by the method of variance estimates recovery (MOVER-D).

    Zou & Donner (2008), "Construction of confidence limits about effect measures: a general
    approach", *Statistics in Medicine* 27:1693-1702: the difference's limits recovered from each
    rate's own interval, ``d - sqrt((p1 - l1)**2 + (u2 - p2)**2)`` to ``d + sqrt((u1 - p1)**2 +
    (p2 - l2)**2)``. With ``method="wilson"`` this is Newcombe's hybrid score interval
    (:func:`newcombe_difference`); with ``"clopper_pearson"`` each rate's tails are exact, which
    keeps a Bonferroni family far in the tails at its level when groups are small or events rare.

    Examples
    --------
    >>> low, high = mover_difference(56, 70, 48, 80, method="wilson")  # Newcombe's (a)
    >>> round(float(low), 4), round(float(high), 4)
    (0.0524, 0.3339)
    """
    x1, n1, x2, n2, (p1, l1, u1), (p2, l2, u2) = _two_rates(
        "mover_difference", x1, n1, x2, n2, confidence, method
    )
    d = p1 - p2
    return d - np.hypot(p1 - l1, u2 - p2), d + np.hypot(u1 - p1, p2 - l2)


def mover_ratio(
    x1, n1, x2, n2, confidence: float | np.ndarray = 0.95, *, method: str = "clopper_pearson"
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for p1 / p2 by the method of variance estimates recovery (MOVER-R).

    Donner & Zou (2012), "Closed-form confidence intervals for functions of the normal mean and
    standard deviation", *Statistical Methods in Medical Research* 21:347-359, and Zou & Donner
    (2008): the ratio's limits are the roots recovered from each rate's interval (l, u),
    ``(p1 p2 -+ sqrt((p1 p2)**2 - l1 u2 (2 p1 - l1)(2 p2 - u2))) / (u2 (2 p2 - u2))`` and its
    mirror for the upper limit. ``method="wilson"`` is Fagerland, Lydersen & Laake's MOVER-R
    Wilson interval; ``"clopper_pearson"`` (the default, used by the verdict) has exact tails for
    each rate. x1 = 0 gives low = 0; x2 = 0 gives high = inf. Swapping the groups gives the
    reciprocal interval.

    Examples
    --------
    Fagerland, Lydersen & Laake (2017), *Statistical Analysis of Contingency Tables*, ch. 4:
    7/34 against 1/34 (Perondi et al. 2004), MOVER-R Wilson:

    >>> low, high = mover_ratio(7, 34, 1, 34, method="wilson")
    >>> round(float(low), 4), round(float(high), 4)
    (1.1537, 41.9763)
    """
    x1, n1, x2, n2, (p1, l1, u1), (p2, l2, u2) = _two_rates(
        "mover_ratio", x1, n1, x2, n2, confidence, method
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        pp = p1 * p2
        low = (pp - np.sqrt(np.maximum(pp**2 - l1 * u2 * (2 * p1 - l1) * (2 * p2 - u2), 0))) / (
            u2 * (2 * p2 - u2)
        )
        high = (pp + np.sqrt(np.maximum(pp**2 - u1 * l2 * (2 * p1 - u1) * (2 * p2 - l2), 0))) / (
            l2 * (2 * p2 - l2)
        )
    low = np.where(x1 == 0, 0.0, np.maximum(low, 0.0))
    high = np.where((x2 == 0) | ~np.isfinite(high) | (high < 0), np.inf, high)
    undefined = (n1 <= 0) | (n2 <= 0)
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def bonferroni(confidence: float, m: int) -> float:
    """Per-interval confidence level that keeps a family of m intervals at ``confidence``.

    Dunn (1961), "Multiple comparisons among means", *Journal of the American Statistical
    Association* 56:52-64: ``1 - (1 - confidence) / m``. By Boole's inequality all m intervals
    cover together with probability at least ``confidence``, whatever their dependence.

    Examples
    --------
    >>> round(bonferroni(0.95, 10), 6)
    0.995
    """
    confidence = _check_open_unit(confidence, "confidence", "bonferroni")
    m = _check_int(m, "m", "bonferroni", minimum=1)
    return 1 - (1 - confidence) / m


def range_intervals(
    x: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> dict[str, tuple[float, float, float]] | list[dict[str, tuple[float, float, float]]]:
    """Simultaneous intervals for fairlearn's between-groups difference and ratio of rates.

    Over k groups with rates p_i = x_i / n_i (groups with n = 0 left out), the difference is
    ``max_i p_i - min_j p_j`` and the ratio ``min_i p_i / max_j p_j`` (fairlearn's
    ``method="between_groups"``). For each of the k(k-1)/2 unordered pairs an interval is built
    at the Bonferroni level (:func:`bonferroni`, Dunn 1961): the MOVER intervals of p_i - p_j and
    p_i / p_j built from exact Clopper-Pearson intervals of each rate (:func:`mover_difference`,
    :func:`mover_ratio`; exact tails, because a Bonferroni level over many pairs lies far in the
    tail; the interval of the ordered pair (j, i) is the mirror of (i, j)'s, so covering is one
    event per unordered pair). Then

    - difference in ``[max(0, max L_ij), max U_ij]`` over ordered pairs;
    - ratio in ``[min L_ij, min(1, min U_ij)]`` over ordered pairs.

    Why the coverage is at least ``confidence``: with probability >= ``confidence`` every
    pairwise interval covers its true value (Bonferroni). On that event, the true difference
    D = p_a - p_b (a the highest, b the lowest true rate) satisfies D >= p_i - p_j >= L_ij for
    every pair, D >= 0, and D <= U_ab <= max U; the true ratio R = p_b / p_a satisfies
    R <= p_i / p_j <= U_ij for every pair, R <= 1, and R >= L_ba >= min L. So both true values
    lie in their intervals whenever all pairwise intervals cover. The result does not depend on
    the order of the groups.

    Parameters
    ----------
    x, n : array-like of int, shape (k,) or (rows, k)
        Adverse outcomes and people per group; with two dimensions, one family per row (e.g. one
        per rate), all computed in one vectorised pass.
    confidence : float, default 0.95
        Simultaneous level of each family.

    Returns
    -------
    dict, or list of dict (one per row)
        ``{"difference": (value, low, high), "ratio": (value, low, high)}``; all NaN with fewer
        than two groups, and the ratio all NaN when no group has an adverse outcome (0 / 0).

    Examples
    --------
    >>> out = range_intervals([10, 20, 30], [100, 100, 100])
    >>> [round(v, 3) for v in out["difference"][:1] + out["ratio"][:1]]
    [0.2, 0.333]
    """
    confidence = _check_open_unit(confidence, "confidence", "range_intervals")
    x, n = _check_counts("range_intervals", x=x, n=n)
    rows = np.atleast_2d(x), np.atleast_2d(n)
    pairs = [_pairs(xr[nr > 0], nr[nr > 0], confidence) for xr, nr in zip(*rows, strict=True)]
    stacked = [np.concatenate(parts) for parts in zip(*(p[:5] for p in pairs), strict=True)]
    d_low, d_high = mover_difference(*stacked[:4], stacked[4])
    r_low, r_high = mover_ratio(*stacked[:4], stacked[4])
    out, start = [], 0
    for xr, nr, (_, _, _, _, levels) in zip(*rows, pairs, strict=True):
        stop = start + len(levels)
        span = slice(start, stop)
        out.append(_range(xr[nr > 0] / nr[nr > 0], d_low[span], d_high[span], r_low[span],
                          r_high[span]))  # fmt: skip
        start = stop
    return out if np.ndim(x) == 2 else out[0]


def _pairs(x: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, ...]:
    """The unordered pairs (i < j) of one family: x_i, n_i, x_j, n_j and their Bonferroni level."""
    k = len(n)
    i, j = np.triu_indices(k, 1)
    level = bonferroni(confidence, k * (k - 1) // 2) if k >= 2 else confidence
    return x[i], n[i], x[j], n[j], np.full(len(i), level)


def _range(p, d_low, d_high, r_low, r_high) -> dict[str, tuple[float, float, float]]:
    """Reduce one family's pairwise intervals (i < j) to the range's; (j, i) is the mirror."""
    undefined = (math.nan, math.nan, math.nan)
    if len(p) < 2:
        return {"difference": undefined, "ratio": undefined}
    d_lo = np.concatenate([d_low, -d_high])  # the interval of p_j - p_i is [-U_ij, -L_ij]
    d_hi = np.concatenate([d_high, -d_low])
    difference = (float(p.max() - p.min()), max(0.0, float(d_lo.max())), float(d_hi.max()))
    if p.max() == 0:
        return {"difference": difference, "ratio": undefined}
    with np.errstate(divide="ignore"):
        r_lo = np.concatenate([r_low, 1 / r_high])  # the interval of p_j / p_i is [1/U, 1/L]
        r_hi = np.concatenate([r_high, 1 / r_low])
    ratio = (float(p.min() / p.max()), float(r_lo.min()), min(1.0, float(r_hi.min())))
    return {"difference": difference, "ratio": ratio}


# --- homogeneity --------------------------------------------------------------------------------


def _pearson(x: np.ndarray, n: np.ndarray, pooled: float) -> np.ndarray:
    """Pearson's chi-square of k x 2 tables (last axis = groups) with a fixed pooled rate."""
    expected = n * pooled
    return np.sum((x - expected) ** 2 / (expected * (1 - pooled)), axis=-1)


def homogeneity_test(
    x: np.ndarray,
    n: np.ndarray,
    *,
    rng: np.random.Generator,
    n_sim: int = 10_000,
    stop_after: int | None = None,
) -> tuple[float, int, float, str]:
    """Test that k groups share one adverse rate (a k x 2 contingency table).

    Pearson's chi-square with k - 1 degrees of freedom when every expected count is at least 5
    (Cochran 1954, "Some methods for strengthening the common chi-square tests", *Biometrics*
    10:417-451). Otherwise a Monte Carlo exact conditional test (Hope 1968, "A simplified Monte
    Carlo significance test procedure", *Journal of the Royal Statistical Society B*
    30:582-598): ``n_sim`` tables with both margins fixed are drawn from the multivariate
    hypergeometric distribution and the p-value is ``(1 + #{simulated >= observed}) /
    (1 + n_sim)`` (Phipson & Smyth 2010, "Permutation p-values should never be zero",
    *Statistical Applications in Genetics and Molecular Biology* 9:39), with a relative
    tolerance of 1e-9 on ties. With ``stop_after=h`` the draws stop at the h-th simulated
    statistic at least as large as the observed one, after l draws, and p = h / l (Besag &
    Clifford 1991, "Sequential Monte Carlo p-values", *Biometrika* 78:301-304; exactly valid, and
    a table far from significance costs a few dozen draws instead of ``n_sim``).

    Parameters
    ----------
    x, n : array-like of int, shape (k,)
        Adverse outcomes and people per group; groups with n = 0 are left out.
    rng : numpy.random.Generator
        Used only by the Monte Carlo branch.
    n_sim : int, default 10_000
        Most tables drawn.
    stop_after : int, optional
        Besag and Clifford's h (e.g. 20); None draws all ``n_sim`` tables.

    Returns
    -------
    statistic : float
    df : int
    p_value : float
        NaN with fewer than two groups, or when nobody or everybody is adverse.
    method : str
        ``"chi2"``, ``"monte_carlo_exact"`` or ``""`` (not tested).

    Examples
    --------
    >>> stat, df, p, method = homogeneity_test([30, 20], [100, 100], rng=np.random.default_rng(0))
    >>> round(stat, 4), df, round(p, 4), method
    (2.6667, 1, 0.1025, 'chi2')
    """
    if not isinstance(rng, np.random.Generator):
        msg = f"The 'rng' parameter of homogeneity_test must be a numpy Generator; got {rng!r}."
        raise InvalidInputError(msg)
    n_sim = _check_int(n_sim, "n_sim", "homogeneity_test", minimum=1)
    if stop_after is not None:
        stop_after = _check_int(stop_after, "stop_after", "homogeneity_test", minimum=1)
    x, n = _check_counts("homogeneity_test", x=np.ravel(x), n=np.ravel(n))
    x, n = x[n > 0], n[n > 0]
    df = max(len(n) - 1, 0)
    total, people = float(x.sum()), float(n.sum())
    if len(n) < 2 or total in (0.0, people):
        return math.nan, df, math.nan, ""
    pooled = total / people
    statistic = float(_pearson(x, n, pooled))
    if min(pooled, 1 - pooled) * n.min() >= COCHRAN_MIN:
        return statistic, df, float(stats.chi2.sf(statistic, df)), "chi2"
    if people >= MAX_SIMULATED_PEOPLE:
        msg = (
            f"homogeneity_test needs a Monte Carlo exact test (an expected count is below "
            f"{COCHRAN_MIN:g}) but it supports fewer than {MAX_SIMULATED_PEOPLE:,} people; got "
            f"{people:,.0f}. Merge or drop the smallest groups."
        )
        raise InvalidInputError(msg)
    p = _monte_carlo_p(x, n, statistic, pooled, rng, n_sim, stop_after)
    return statistic, df, p, "monte_carlo_exact"


def _monte_carlo_p(x, n, statistic, pooled, rng, n_sim, stop_after) -> float:
    """The Monte Carlo p-value, drawn in growing batches; with ``stop_after`` = h, Besag and
    Clifford's (1991) sequential rule: stop at the h-th exceedance, after l draws, with p = h / l."""
    colors, total, tol = n.astype(np.int64), int(x.sum()), 1e-9 * abs(statistic)
    drawn, exceed, batch = 0, 0, 128 if stop_after else n_sim
    while drawn < n_sim:
        size = min(batch, n_sim - drawn)
        tables = rng.multivariate_hypergeometric(colors, total, size=size)
        hits = np.cumsum(_pearson(tables, n, pooled) >= statistic - tol) + exceed
        if stop_after and hits[-1] >= stop_after:
            draws = drawn + 1 + int(np.argmax(hits >= stop_after))
            return stop_after / draws
        exceed, drawn, batch = int(hits[-1]), drawn + size, batch * 2
    return (1 + exceed) / (1 + n_sim)


# --- power --------------------------------------------------------------------------------------


def _check_power_args(caller: str, alpha: object, power: object, comparisons: object) -> float:
    """Validate the shared power options; return the two-sided per-test critical z."""
    alpha = _check_open_unit(alpha, "alpha", caller)
    _check_open_unit(power, "power", caller)
    comparisons = _check_int(comparisons, "comparisons", caller, minimum=1)
    return float(stats.norm.isf(alpha / (2 * comparisons)))


def _check_p_ref(p_ref: object, caller: str) -> np.ndarray:
    p = np.asarray(p_ref, dtype=np.float64)
    if not np.all((p > 0) & (p < 1)):
        msg = f"The 'p_ref' parameter of {caller} must hold rates in (0, 1); got {p_ref!r}."
        raise InvalidInputError(msg)
    return p


def _check_ratio(p_ref: float, ratio: object, caller: str) -> float:
    if isinstance(ratio, bool) or not isinstance(ratio, Real) or not 0 < ratio * p_ref < 1:
        msg = (
            f"The 'ratio' parameter of {caller} must be > 0 with ratio * p_ref < 1 (a rate); "
            f"got ratio={ratio!r} with p_ref={p_ref!r}."
        )
        raise InvalidInputError(msg)
    return float(ratio)


def _standardised_effect(crit: float, power: float) -> float:
    """t >= 0 with Phi(t - crit) + Phi(-t - crit) = power (two tails, as statsmodels counts)."""
    if power <= 2 * stats.norm.sf(crit):  # reached with no data at all
        return 0.0

    def gap(t: float) -> float:
        return stats.norm.sf(crit - t) + stats.norm.cdf(-t - crit) - power

    one_tail = crit + float(stats.norm.ppf(power))  # gap(one_tail) >= 0
    return optimize.brentq(gap, 0.0, one_tail, xtol=1e-14, rtol=1e-15)


def _h(p: np.ndarray) -> np.ndarray:
    return 2 * np.arcsin(np.sqrt(p))


def n_to_detect(
    p_ref: float,
    ratio: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    comparisons: int = 1,
) -> int:
    """People per group (equal sizes) for a test of equal rates to detect ``ratio * p_ref``.

    The two-sided two-proportion test on the arcsine scale: Cohen's effect
    h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p2)) (Cohen 1988, *Statistical Power Analysis for the
    Behavioral Sciences*, 2nd ed., ch. 6) has standard error sqrt(2 / n); power counts both tails,
    ``Phi(|h| sqrt(n/2) - z) + Phi(-|h| sqrt(n/2) - z)`` with z at ``alpha / comparisons``
    (Bonferroni, Dunn 1961). Equals the ceiling of statsmodels' ``NormalIndPower().solve_power``
    with ``proportion_effectsize``.

    Parameters
    ----------
    p_ref : float
        Adverse rate of the reference group, in (0, 1).
    ratio : float
        Rate ratio to detect, > 0 and not 1, with ``ratio * p_ref < 1``.
    alpha : float, default 0.05
        Family-wise error rate.
    power : float, default 0.8
    comparisons : int, default 1
        Number of tests in the family (Bonferroni multiplicity).

    Returns
    -------
    int
        People in each of the two groups (at least 1).

    Examples
    --------
    >>> n_to_detect(0.1, 2.0)
    195
    """
    crit = _check_power_args("n_to_detect", alpha, power, comparisons)
    p_ref = float(_check_p_ref(p_ref, "n_to_detect"))
    ratio = _check_ratio(p_ref, ratio, "n_to_detect")
    if ratio == 1:
        msg = "The 'ratio' parameter of n_to_detect must differ from 1 (no effect); got 1."
        raise InvalidInputError(msg)
    h = abs(float(_h(ratio * p_ref) - _h(p_ref)))
    t = _standardised_effect(crit, power)
    return max(1, math.ceil(2 * (t / h) ** 2))


def detectable_ratio(
    p_ref: np.ndarray,
    n: np.ndarray,
    n_ref: np.ndarray,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    comparisons: int = 1,
) -> float | np.ndarray:
    """Smallest ratio Q > 1 that the arcsine test of :func:`n_to_detect` detects with ``power``.

    Groups of sizes ``n`` and ``n_ref``: h = 2 asin(sqrt(Q p_ref)) - 2 asin(sqrt(p_ref)) has
    standard error sqrt(1/n + 1/n_ref) (Cohen 1988). The power needs h / se = t, one t for all
    groups, so Q = sin(asin(sqrt(p_ref)) + t se / 2)**2 / p_ref; inf when even a rate of 1 is not
    enough (or a group is empty). Vectorised over ``p_ref``, ``n`` and ``n_ref``.

    Parameters
    ----------
    p_ref : array-like of float
        Adverse rate of the reference group, in (0, 1).
    n, n_ref : array-like
        People in the compared group and in the reference group.
    alpha, power, comparisons
        As in :func:`n_to_detect`.

    Returns
    -------
    float or numpy.ndarray
        Float for scalar inputs.

    Examples
    --------
    >>> detectable_ratio(0.1, 195, 195) <= 2.0 < detectable_ratio(0.1, 194, 194)
    True
    """
    crit = _check_power_args("detectable_ratio", alpha, power, comparisons)
    p_ref = _check_p_ref(p_ref, "detectable_ratio")
    n, n_ref = _check_counts("detectable_ratio", n=n, n_ref=n_ref)
    t = _standardised_effect(crit, power)
    with np.errstate(divide="ignore"):
        se = np.sqrt(1 / n + 1 / n_ref)
    angle = np.arcsin(np.sqrt(p_ref)) + t * se / 2
    q = np.where(angle <= np.pi / 2, np.sin(np.minimum(angle, np.pi / 2)) ** 2 / p_ref, np.inf)
    return float(q) if q.ndim == 0 else q


def _fail_terms(
    q: np.ndarray,
    p_ref: np.ndarray,
    n: np.ndarray,
    n_ref: np.ndarray,
    threshold: float,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What decides whether the verdict FAILS a group at ``q * p_ref`` against ``p_ref``.

    The verdict's interval for p / p_ref is MOVER-R from Clopper-Pearson bounds at level
    ``confidence`` (:func:`mover_ratio`). Its lower limit is the root theta of
    ``p - theta p_ref = sqrt((p - l)**2 + theta**2 (u_ref - p_ref)**2)`` (l: the group's lower
    Clopper-Pearson bound, u_ref: the reference's upper one), and the left side minus the right
    decreases in theta, so the interval lies wholly above the band's edge theta0 = 1 / threshold
    exactly when ``p - theta0 p_ref > sqrt((p - l)**2 + theta0**2 (u_ref - p_ref)**2)``; below
    theta0 = ``threshold`` (q < 1) when ``theta0 p_ref - p > sqrt((u - p)**2 + theta0**2
    (p_ref - l_ref)**2)``. At the expected counts n p and n_ref p_ref (the beta quantiles of the
    Clopper-Pearson bounds taken at these, non-integer, counts) the left side has mean ``delta``
    and variance ``v1``; the right side, MOVER's half-width, is ``w``. The chance of a FAIL is
    about ``Phi((delta - w) / sqrt(v1))``: Farrington & Manning's (1990, *Statistics in
    Medicine* 9:1447-1454) sample-size argument with MOVER's half-width where theirs has the
    score statistic's z sqrt(v0). Returns ``(delta, w, v1)``.
    """
    q, p_ref, n, n_ref = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (q, p_ref, n, n_ref))
    )
    above = q > 1
    theta = np.where(above, 1 / threshold, threshold)
    p = np.minimum(q * p_ref, 1.0)
    tail = (1 - confidence) / 2
    x, x_ref = n * p, n_ref * p_ref
    # each rate's Clopper-Pearson bound on the side facing the other rate (only that side: the
    # inverse incomplete beta is the cost of the power pass)
    own, ref = np.empty_like(p), np.empty_like(p)
    a, b = above, ~above
    with np.errstate(divide="ignore", invalid="ignore"):
        own[a] = p[a] - special.betaincinv(x[a], n[a] - x[a] + 1, tail)
        own[b] = special.betainccinv(x[b] + 1, n[b] - x[b], tail) - p[b]
        ref[a] = special.betainccinv(x_ref[a] + 1, n_ref[a] - x_ref[a], tail) - p_ref[a]
        ref[b] = p_ref[b] - special.betaincinv(x_ref[b], n_ref[b] - x_ref[b] + 1, tail)
        w = np.hypot(own, theta * ref)
        v1 = p * (1 - p) / n + theta**2 * p_ref * (1 - p_ref) / n_ref
    return np.abs(p - theta * p_ref), w, v1


def n_to_fail(
    p_ref: float,
    ratio: float,
    *,
    threshold: float = 0.8,
    alpha: float = 0.05,
    power: float = 0.8,
    comparisons: int = 1,
) -> int:
    """People per group (equal sizes) for a group at ``ratio * p_ref`` to get a FAIL verdict.

    A group fails when its simultaneous interval for p / p_ref — the verdict's MOVER-R interval
    from Clopper-Pearson bounds (:func:`mover_ratio`) at the Bonferroni level
    1 - alpha / comparisons — lies wholly above 1 / threshold or wholly below threshold. Its
    power is ``Phi((delta - w) / sqrt(v1))`` at the expected counts (see :func:`_fail_terms`):
    the gap between the ratio and the band's edge, MOVER's half-width there, and the gap's true
    variance. The smallest n reaching ``power``: by exact enumeration of both binomial counts
    the verdict then fails 79.7-81.0 % of such groups (rates 0.0085-0.5, ratios 0.3-4, 1-100
    comparisons; tests/metrics/test_intervals.py, benchmarks/RESULTS.md), where the
    Farrington-Manning n of the Miettinen-Nurminen score statistic (what the verdict used
    before) gives 77.2-82.7 % with these intervals.

    Parameters
    ----------
    p_ref, ratio, alpha, power, comparisons
        As in :func:`n_to_detect`.
    threshold : float, default 0.8
        The band [threshold, 1 / threshold] of acceptable ratios (0.8 is the four-fifths rule).

    Returns
    -------
    int
        People in each of the two groups (at least 1).

    Raises
    ------
    InvalidInputError
        When ``ratio`` lies within [threshold, 1 / threshold]: such a group never fails.

    Examples
    --------
    >>> n_to_fail(0.1, 2.0)
    452
    """
    _check_power_args("n_to_fail", alpha, power, comparisons)
    threshold = _check_open_unit(threshold, "threshold", "n_to_fail")
    p_ref = float(_check_p_ref(p_ref, "n_to_fail"))
    ratio = _check_ratio(p_ref, ratio, "n_to_fail")
    if abs(math.log(ratio)) <= math.log(1 / threshold):
        msg = (
            f"The 'ratio' parameter of n_to_fail must lie outside [threshold, 1/threshold] = "
            f"[{threshold}, {1 / threshold}] (a ratio inside the band never fails); got {ratio!r}."
        )
        raise InvalidInputError(msg)
    z_power = float(stats.norm.ppf(power))
    level = 1 - alpha / comparisons

    def reached(n: int) -> bool:
        delta, w, v1 = _fail_terms(np.float64(ratio), p_ref, n, n, threshold, level)
        return bool(delta - w >= z_power * math.sqrt(v1))

    high = 1  # doubling, then bisection: the smallest n that reaches the power
    while not reached(high):
        high *= 2
    low = high // 2  # not reached (or 0)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if reached(mid) else (mid, high)
    return high


def failing_ratio(
    p_ref: np.ndarray,
    n: np.ndarray,
    n_ref: np.ndarray,
    *,
    threshold: float = 0.8,
    alpha: float = 0.05,
    power: float = 0.8,
    comparisons: int = 1,
) -> float | np.ndarray:
    """Smallest ratio Q > 1 / threshold at which a group FAILS with probability ``power``.

    The verdict and its power are those of :func:`n_to_fail` (MOVER-R from Clopper-Pearson
    bounds, see :func:`_fail_terms`), with group sizes ``n`` and ``n_ref``: the root of
    ``delta(Q) - w(Q) = z_power sqrt(v1(Q))``, found by bisection on log Q. inf when no Q with
    Q p_ref <= 1 is enough (or a group is empty). Vectorised over ``p_ref``, ``n``, ``n_ref``.

    Parameters
    ----------
    p_ref, n, n_ref
        As in :func:`detectable_ratio`.
    threshold, alpha, power, comparisons
        As in :func:`n_to_fail`.

    Returns
    -------
    float or numpy.ndarray
        Float for scalar inputs.

    Examples
    --------
    >>> round(float(failing_ratio(0.1, 452, 452)), 2)
    2.0
    """
    _check_power_args("failing_ratio", alpha, power, comparisons)
    threshold = _check_open_unit(threshold, "threshold", "failing_ratio")
    p_ref = _check_p_ref(p_ref, "failing_ratio")
    n, n_ref = _check_counts("failing_ratio", n=n, n_ref=n_ref)
    p_ref, n, n_ref = np.broadcast_arrays(p_ref, n, n_ref)
    z_power = float(stats.norm.ppf(power))
    level = 1 - alpha / comparisons
    floor = math.log(1 / threshold)
    ceiling = np.log(1 / p_ref)
    empty = (n <= 0) | (n_ref <= 0)
    n, n_ref = np.where(empty, 1.0, n), np.where(empty, 1.0, n_ref)

    def gap(log_q: np.ndarray) -> np.ndarray:
        delta, w, v1 = _fail_terms(np.exp(log_q), p_ref, n, n_ref, threshold, level)
        return np.where(empty, -np.inf, delta - w - z_power * np.sqrt(v1))

    possible = ceiling > floor  # some rate below 1 lies beyond the band
    lo, hi = np.full(p_ref.shape, floor), np.where(possible, ceiling, floor)
    for _ in range(BISECTIONS):
        mid = (lo + hi) / 2
        short = gap(mid) < 0
        lo, hi = np.where(short, mid, lo), np.where(short, hi, mid)
    q = np.where(possible & (gap(np.where(possible, ceiling, floor)) >= 0), np.exp(hi), np.inf)
    return float(q) if q.ndim == 0 else q
