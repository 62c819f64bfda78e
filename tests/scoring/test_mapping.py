"""The points scale: documented anchor points hit exactly, monotone, bounded."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.exceptions import InvalidInputError
from audit.scoring import BASE_ODDS, BASE_SCORE, PDO, proba_to_score, scale_constants


def test_default_constants_are_the_documented_ones():
    assert (BASE_SCORE, BASE_ODDS, PDO) == (700.0, 20.0, 40.0)


# Hand-computed from the definition "odds 20:1 score 700, +40 points per doubling of the odds":
# p = 1/(1+odds); score = 700 + 40 * log2(odds / 20).
@pytest.mark.parametrize(
    ("proba", "expected"),
    [
        (1 / 21, 700.0),  # odds 20:1, the anchor
        (1 / 41, 740.0),  # odds 40:1, one doubling
        (1 / 81, 780.0),  # odds 80:1, two doublings
        (1 / 11, 660.0),  # odds 10:1, one halving
        (1 / 6, 620.0),  # odds 5:1, two halvings
        (1 / 2, 700.0 - 40.0 * 4.321928094887362),  # odds 1:1: 700 - 40 log2(20) = 527.1229
        (8 / 13, 500.0),  # odds 5:8 = 20 / 32: five halvings, the default threshold
    ],
)
def test_documented_anchor_points(proba, expected):
    assert proba_to_score([proba])[0] == pytest.approx(expected, abs=1e-9)


def test_classic_scorecard_anchor():
    # A textbook scorecard: 600 points at 50:1, 20 points to double the odds.
    s = proba_to_score([1 / 51, 1 / 101, 1 / 26], base_score=600, base_odds=50, pdo=20)
    np.testing.assert_allclose(s, [600.0, 620.0, 580.0], atol=1e-9)


def test_offset_and_factor():
    offset, factor = scale_constants(700, 20, 40)
    assert factor == pytest.approx(40 / math.log(2))
    assert offset == pytest.approx(700 - 40 / math.log(2) * math.log(20))


def test_floor_and_ceiling_of_the_documented_table():
    # 350 = 700 - 8.75 doublings: odds 20 / 2**8.75; 950 = 700 + 6.25 doublings: odds 20 * 2**6.25.
    floor_odds, ceiling_odds = 20 / 2**8.75, 20 * 2**6.25
    assert 1 / (1 + floor_odds) == pytest.approx(0.9556, abs=5e-5)
    assert 1 / (1 + ceiling_odds) == pytest.approx(0.00066, abs=5e-6)
    s = proba_to_score([1 / (1 + floor_odds), 1 / (1 + ceiling_odds)], clip=False)
    np.testing.assert_allclose(s, [350.0, 950.0], atol=1e-9)


def test_bounds_and_extremes():
    s = proba_to_score([0.0, 1e-300, 1.0, 1 - 1e-16, 0.999])
    assert s.tolist()[:4] == [950.0, 950.0, 350.0, 350.0]
    assert s[4] == 350.0  # odds 1:999 is far below the floor
    unclipped = proba_to_score([0.999], clip=False)
    assert unclipped[0] < 350


@given(st.lists(st.floats(0, 1), min_size=2, max_size=50))
def test_monotone_decreasing_and_bounded(probas):
    p = np.sort(np.array(probas))
    s = proba_to_score(p)
    assert np.all((s >= 350) & (s <= 950))
    assert np.all(np.diff(s) <= 0)


@given(st.floats(1e-6, 1 - 1e-6), st.floats(1e-6, 1 - 1e-6))
def test_strictly_decreasing_inside_range(p1, p2):
    # strict up to float64 rounding: probabilities one ulp apart may share a score
    s1, s2 = proba_to_score([min(p1, p2), max(p1, p2)], clip=False)
    assert s1 >= s2
    if abs(p1 - p2) > 1e-12:
        assert s1 > s2


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"base_score": 1000}, "base_score"),
        ({"base_odds": 0}, "base_odds"),
        ({"base_odds": -3}, "base_odds"),
        ({"pdo": float("nan")}, "pdo"),
        ({"pdo": True}, "pdo"),
    ],
)
def test_bad_scale_names_the_parameter(kwargs, name):
    with pytest.raises(InvalidInputError, match=f"'{name}'"):
        proba_to_score([0.5], **kwargs)
