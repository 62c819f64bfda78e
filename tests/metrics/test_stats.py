"""Wilson, tests and Holm against scipy and by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from audit.metrics._stats import compare_proportions, holm, wilson_interval


@pytest.mark.parametrize("n", [1, 2, 7, 30, 101, 1000])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_equals_scipy(n, confidence):
    k = np.unique(np.linspace(0, n, min(n + 1, 40)).round().astype(int))
    low, high = wilson_interval(k, np.full_like(k, n), confidence)
    for i, ki in enumerate(k):
        ci = stats.binomtest(int(ki), n).proportion_ci(confidence_level=confidence, method="wilson")
        assert low[i] == pytest.approx(ci.low, abs=1e-12)
        assert high[i] == pytest.approx(ci.high, abs=1e-12)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
     (1, 29, 0.0061, 0.1718), (29, 29, 0.8830, 1.0)],
)  # fmt: skip
def test_wilson_published_examples(k, n, low, high):
    """Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
    seven methods", Stat Med 17:857-872, Table I, method 3 (score interval without continuity
    correction), to the 4 decimals printed there."""
    lo, hi = wilson_interval(k, n)
    assert (round(float(lo), 4), round(float(hi), 4)) == (low, high)


def test_wilson_undefined_without_trials():
    low, high = wilson_interval([0], [0])
    assert np.isnan(low[0]) and np.isnan(high[0])


@pytest.mark.parametrize("p_range", [(0.02, 0.98), (0.01, 0.1)])
def test_wilson_coverage_by_simulation(p_range):
    """A 95 % Wilson interval covers the true rate in about 95 % of draws.

    4,000 draws, each with its own true rate p (uniform over ``p_range``) and n (20 to 400):
    Monte Carlo standard error sqrt(.95 * .05 / 4000) = 0.0034. Wilson's coverage at a single
    (n, p) swings between about 0.93 and 0.975 (Brown, Cai & DasGupta 2001), but averaged over
    p it stays within about 0.005 of 0.95, so the band 0.935-0.965 is 0.005 + 3 standard errors.
    The test can fail: the Wald interval on the rare-rate design covers only about 0.83.
    """
    rng = np.random.default_rng(7)
    m = 4000
    p = rng.uniform(*p_range, m)
    n = rng.integers(20, 400, m)
    k = rng.binomial(n, p)
    low, high = wilson_interval(k, n)
    coverage = np.mean((low <= p) & (p <= high))
    assert 0.935 <= coverage <= 0.965, coverage
    if p_range == (0.01, 0.1):
        half = 1.96 * np.sqrt(k / n * (1 - k / n) / n)
        wald = np.mean((k / n - half <= p) & (p <= k / n + half))
        assert not 0.935 <= wald <= 0.965


def test_z_test_equals_chi_square_and_fisher_for_small_counts():
    stat, p, method = compare_proportions([36, 3, 0], [60, 10, 8], [14, 1, 0], [40, 12, 9])
    assert list(method) == ["z", "fisher", "fisher"]
    chi2 = stats.chi2_contingency([[36, 24], [14, 26]], correction=False)
    assert stat[0] ** 2 == pytest.approx(chi2.statistic, abs=1e-10)
    assert p[0] == pytest.approx(chi2.pvalue, abs=1e-12)
    odds, p_fisher = stats.fisher_exact([[3, 7], [1, 11]])
    assert p[1] == pytest.approx(p_fisher, abs=1e-15) and stat[1] == pytest.approx(odds)
    assert p[2] == 1.0  # nobody adverse in either group


def test_no_test_without_trials():
    stat, p, method = compare_proportions([0], [0], [3], [10])
    assert np.isnan(p[0]) and method[0] == ""


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 -> 3*0.01, 2*0.03, max(0.06, 1*0.04) = 0.03, 0.06, 0.06
    np.testing.assert_allclose(holm(np.array([0.01, 0.04, 0.03])), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(holm(np.array([0.5, np.nan, 0.6])), [1.0, np.nan, 1.0])
    assert holm(np.array([])).size == 0
