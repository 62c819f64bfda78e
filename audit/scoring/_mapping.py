"""The score scale: probability of default → points in [350, 950], as credit scorecards do.

This module only does arithmetic on arrays and validates the scale's constants. It must not know
about estimators, rules or data frames.

The scale is the scorecard "points to double the odds" scale::

    factor = pdo / ln 2
    offset = base_score − factor · ln(base_odds)
    score  = offset − factor · ln(odds of default)          odds of default = p / (1 − p)
           = offset + factor · ln(good:bad odds)

then clipped to [SCORE_MIN, SCORE_MAX] = [350, 950]. Higher = more trustworthy. With the defaults
(base_score 700 at good:bad odds 20:1, pdo 40):

======================  ==============  ====================================
probability of default  good:bad odds   score
======================  ==============  ====================================
≤ 0.066 %               ≥ 1522 : 1      950 (the ceiling)
1/41 ≈ 2.44 %           40 : 1          740 (anchor + pdo)
1/21 ≈ 4.76 %           20 : 1          700 (anchor)
1/11 ≈ 9.09 %           10 : 1          660 (anchor − pdo)
1/2 = 50 %              1 : 1           ≈ 527.12 (the offset)
8/13 ≈ 61.5 %           5 : 8           500 (default blacklist threshold)
≥ 95.6 %                ≤ 0.0465 : 1    350 (the floor)
======================  ==============  ====================================
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from audit.exceptions import InvalidInputError

__all__ = [
    "BASE_ODDS",
    "BASE_SCORE",
    "PDO",
    "SCORE_MAX",
    "SCORE_MIN",
    "check_scale",
    "check_threshold",
    "proba_to_score",
    "scale_constants",
]

SCORE_MIN = 350.0
"""Lowest possible score (the floor; also what the court-list rule forces)."""
SCORE_MAX = 950.0
"""Highest possible score."""
BASE_SCORE = 700.0
"""Score given at the anchor odds ``BASE_ODDS``."""
BASE_ODDS = 20.0
"""Anchor good:bad odds (20:1, a probability of default of 1/21 ≈ 4.76 %)."""
PDO = 40.0
"""Points to double the odds: +40 points ⇔ good:bad odds twice as high."""


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def check_threshold(threshold: object, *, owner: str = "SocialCreditScorer") -> float:
    """Return ``threshold`` as a float, or raise if it is not a number in [350, 950].

    Raises
    ------
    InvalidInputError
        Naming the parameter, the allowed range and what was given.
    """
    if not _is_real(threshold) or not math.isfinite(float(threshold)):
        raise InvalidInputError(
            f"The 'threshold' parameter of {owner} must be a number in "
            f"[{SCORE_MIN:g}, {SCORE_MAX:g}]. Got {threshold!r} ({type(threshold).__name__}) instead."
        )
    value = float(threshold)
    if not SCORE_MIN <= value <= SCORE_MAX:
        raise InvalidInputError(
            f"The 'threshold' parameter of {owner} must be in [{SCORE_MIN:g}, {SCORE_MAX:g}] "
            f"(the score range). Got {value:g} instead."
        )
    return value


def check_scale(
    base_score: object, base_odds: object, pdo: object, *, owner: str = "SocialCreditScorer"
) -> tuple[float, float, float]:
    """Validate the scale's constants and return them as floats.

    ``base_score`` must lie in [350, 950]; ``base_odds`` and ``pdo`` must be finite and > 0.
    """
    checks = (
        ("base_score", base_score, "a number in [350, 950]"),
        ("base_odds", base_odds, "a finite number > 0 (good:bad odds, e.g. 20 for 20:1)"),
        ("pdo", pdo, "a finite number > 0 (points to double the odds)"),
    )
    out = []
    for name, value, expected in checks:
        ok = _is_real(value) and math.isfinite(float(value))
        if ok and name == "base_score":
            ok = SCORE_MIN <= float(value) <= SCORE_MAX
        elif ok:
            ok = float(value) > 0
        if not ok:
            raise InvalidInputError(
                f"The '{name}' parameter of {owner} must be {expected}. Got {value!r} instead."
            )
        out.append(float(value))
    return out[0], out[1], out[2]


def scale_constants(
    base_score: float = BASE_SCORE, base_odds: float = BASE_ODDS, pdo: float = PDO
) -> tuple[float, float]:
    """Return ``(offset, factor)`` of the scale: ``score = offset − factor · ln(p / (1 − p))``.

    Examples
    --------
    >>> offset, factor = scale_constants(700, 20, 40)
    >>> round(factor, 4), round(offset, 4)
    (57.7078, 527.1229)
    """
    base_score, base_odds, pdo = check_scale(base_score, base_odds, pdo)
    factor = pdo / math.log(2.0)
    offset = base_score - factor * math.log(base_odds)
    return offset, factor


def proba_to_score(
    proba: np.ndarray,
    *,
    base_score: float = BASE_SCORE,
    base_odds: float = BASE_ODDS,
    pdo: float = PDO,
    clip: bool = True,
) -> np.ndarray:
    """Map probabilities of default to scorecard points (higher = more trustworthy).

    Parameters
    ----------
    proba : array-like of float in [0, 1]
        Probability of the adverse outcome (default) per person.
    base_score, base_odds, pdo : float
        The anchor: good:bad odds ``base_odds`` score ``base_score``; every ``pdo`` points the odds
        double. See the module docstring for the table of anchor points.
    clip : bool, default True
        Clip to [350, 950]. ``p = 0`` maps to 950 and ``p = 1`` to 350.

    Returns
    -------
    numpy.ndarray of float64
        Strictly decreasing in ``proba`` before clipping.

    Examples
    --------
    >>> proba_to_score([1 / 21, 1 / 41, 1 / 11]).round(6).tolist()
    [700.0, 740.0, 660.0]
    """
    offset, factor = scale_constants(base_score, base_odds, pdo)
    p = np.asarray(proba, dtype=np.float64)
    with np.errstate(divide="ignore"):
        score = offset + factor * (np.log1p(-p) - np.log(p))
    if clip:
        np.clip(score, SCORE_MIN, SCORE_MAX, out=score)
    return score
