"""Inverse-CDF transforms of the block noise, checked against scipy.stats as the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from audit.population._noise import categorical_ppf, poisson_ppf


@pytest.mark.parametrize("rate", [0.01, 0.7, 5.0, 36.0, 45.0, 120.0, 720.0, 1000.0])
def test_poisson_ppf_matches_scipy(rate):
    # high rates matter: sesame's on_time_repayments reaches rates of about 60, the generator
    # caps rates at 1000, and exp(-rate) underflows above about 745
    u = np.random.default_rng(0).random(5_000)
    expected = stats.poisson.ppf(u, rate).astype(np.int64)
    np.testing.assert_array_equal(poisson_ppf(u, np.full(u.size, rate)), expected)


def test_poisson_ppf_is_monotone_in_rate_for_fixed_noise():
    u = np.random.default_rng(1).random(2_000)
    low, high = poisson_ppf(u, np.full(u.size, 40.0)), poisson_ppf(u, np.full(u.size, 80.0))
    assert (high >= low).all()


def test_categorical_ppf_never_draws_a_zero_share_category():
    u = np.array([0.0, 0.2999, 0.3, 0.9999])
    cum = np.cumsum([0.3, 0.0, 0.7])[None, :]
    # by hand: [0, 0.3) -> 0, [0.3, 1) -> 2 (category 1 has share 0)
    np.testing.assert_array_equal(categorical_ppf(u, cum), [0, 0, 2, 2])
