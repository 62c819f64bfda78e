"""Direction guard: does the scorer point the right way at the audited label?

What this is for: an audit of a scorer against a label coded the other way round (1 = good where the
audit reads 1 = adverse), or of a scorer that blacklists nearly everyone or no one, produces numbers
that look like findings and are none. Two checks, on everyone, from the scores and the label:

- **ranking**: the AUC of the scores for the adverse label, with low scores counted as the risky end
  (the probability that a random person with an adverse label scores below a random person without
  one, ties counted half). Its interval uses DeLong's variance (DeLong, DeLong & Clarke-Pearson 1988,
  *Biometrics* 44:837) computed from midranks (Sun & Xu 2014, *IEEE Signal Process. Lett.*
  21:1389), on the logit scale (Pepe 2003, *The Statistical Evaluation of Medical Tests*, 5.2;
  Qin & Hotilovac 2008, *Stat Methods Med Res* 17:207): the plain Wald interval covered 84-92 %
  with 10 adverse people (benchmarks/bench_direction.py). The scores rank the label **backwards**
  when a one-sided Mann-Whitney test (Mann & Whitney 1947; ``scipy.stats.mannwhitneyu``: exact
  without ties in small samples, else normal with the tie correction) finds the adverse people
  scoring higher at level (1 - confidence) / 2: it holds that level for any sample size, where
  "the DeLong interval lies below 0.5" warned 3.4-4.0 % of scorers with no ranking power at all.
- **blacklisting share**: the share of everyone blacklisted, with a Wilson interval (Wilson 1927).
  Nearly everyone (point estimate above ``SHARE_HIGH`` = 95 %) or nearly no one (below ``SHARE_LOW``
  = 0.5 %) is flagged: at such shares the group rates and their ratios say more about the threshold
  than about the groups. These limits describe, they do not test.

Must not import the metrics, cases, report, population or scoring stages; computes on arrays only.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import mannwhitneyu, norm, rankdata

__all__ = ["SHARE_HIGH", "SHARE_LOW", "check_direction", "delong_auc", "wilson"]

#: Blacklisting shares beyond which the audit warns (point estimates; see the module docstring).
SHARE_HIGH = 0.95
SHARE_LOW = 0.005

AUC_METHOD = (
    "AUC of the scores for the adverse label (low score = risky end; ties half), interval from "
    "DeLong's variance (DeLong, DeLong & Clarke-Pearson 1988) by midranks (Sun & Xu 2014) on the "
    "logit scale (Pepe 2003); backwards when a one-sided Mann-Whitney test (1947) finds the adverse "
    "people scoring higher"
)
SHARE_METHOD = "Wilson score interval (Wilson 1927)"


def wilson(k: int, n: int, confidence: float = 0.95) -> list[float] | None:
    """Wilson score interval of a proportion ``k / n`` (None when ``n`` is 0).

    Examples
    --------
    >>> [round(x, 4) for x in wilson(81, 263)]  # Newcombe (1998), Table I, example (c)
    [0.2553, 0.3662]
    """
    if n <= 0:
        return None
    z = float(norm.ppf(0.5 + confidence / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return [float(max(0.0, centre - half)), float(min(1.0, centre + half))]


def delong_auc(
    scores: np.ndarray, adverse: np.ndarray, confidence: float = 0.95
) -> tuple[float, list[float], float] | None:
    """AUC of ``scores`` for ``adverse`` (low score = adverse), its DeLong interval and standard
    error; None when either class is empty.

    The placement values of DeLong et al. (1988) come from midranks (Sun & Xu 2014): for an adverse
    person, the share of non-adverse people scoring higher (ties half); for a non-adverse person,
    the share of adverse people scoring lower. The AUC is their mean; its variance is
    ``var(V10) / m + var(V01) / n``; the interval is ``logit(AUC) -+ z se / (AUC (1 - AUC))``
    transformed back (a Wald interval, clipped, when the AUC is 0 or 1).
    """
    risk = -np.asarray(scores, dtype=np.float64)
    adverse = np.asarray(adverse, dtype=bool)
    m, n = int(adverse.sum()), int((~adverse).sum())
    if m == 0 or n == 0:
        return None
    ranks = rankdata(risk)
    v10 = (ranks[adverse] - rankdata(risk[adverse])) / n
    v01 = 1.0 - (ranks[~adverse] - rankdata(risk[~adverse])) / m
    auc = float(v10.mean())
    var = (v10.var(ddof=1) / m if m > 1 else 0.0) + (v01.var(ddof=1) / n if n > 1 else 0.0)
    se = float(np.sqrt(var))
    z = float(norm.ppf(0.5 + confidence / 2))
    if not 0.0 < auc < 1.0:  # no logit: a perfect (or perfectly inverted) ranking
        return auc, [max(0.0, auc - z * se), min(1.0, auc + z * se)], se
    logit, half = np.log(auc / (1 - auc)), z * se / (auc * (1 - auc))
    low, high = (float(1 / (1 + np.exp(-v))) for v in (logit - half, logit + half))
    return auc, [low, high], se


def check_direction(
    scores: np.ndarray,
    adverse: np.ndarray,
    blacklisted: np.ndarray,
    *,
    label: str,
    confidence: float = 0.95,
) -> dict:
    """The ``direction`` section of audit.json: the AUC and blacklisting share, and the warnings.

    Parameters
    ----------
    scores : array of float
        Everyone's score (higher = more trustworthy).
    adverse : array of bool
        Whose label is adverse.
    blacklisted : array of bool
        Who was blacklisted.
    label : str
        The label column's name, for the warning text.

    Returns
    -------
    dict
        ``auc`` (value, ``ci``, ``se``, ``n_adverse``, ``n_not_adverse``, ``method``),
        ``blacklisted`` (``n``, ``count``, ``share``, ``ci``, ``method``), ``limits`` and
        ``warnings`` (each a ``code`` and a ``message``; empty when the scorer looks the right way).

    Examples
    --------
    >>> out = check_direction(np.array([400.0, 500, 600, 700]), np.array([0, 0, 1, 1], bool),
    ...                       np.array([1, 1, 0, 0], bool), label="defaulted")
    >>> out["auc"]["value"], [w["code"] for w in out["warnings"]]
    (0.0, ['inverted'])
    """
    adverse = np.asarray(adverse, dtype=bool)
    blacklisted = np.asarray(blacklisted, dtype=bool)
    N, k = len(blacklisted), int(blacklisted.sum())
    found = delong_auc(scores, adverse, confidence)
    auc = None
    if found is not None:
        value, ci, se = found
        scores = np.asarray(scores, dtype=np.float64)
        p = float(mannwhitneyu(scores[adverse], scores[~adverse], alternative="greater").pvalue)
        auc = {"value": value, "ci": ci, "se": se, "p_backwards": p, "method": AUC_METHOD}
        auc |= {"n_adverse": int(adverse.sum()), "n_not_adverse": int((~adverse).sum())}
    share = k / N if N else None
    out = {
        "label": label,
        "confidence": float(confidence),
        "auc": auc,
        "blacklisted": {
            "n": N,
            "count": k,
            "share": share,
            "ci": wilson(k, N, confidence),
            "method": SHARE_METHOD,
        },
        "limits": {
            "backwards_level": (1 - float(confidence)) / 2,
            "share_above": SHARE_HIGH,
            "share_below": SHARE_LOW,
        },
    }
    out["warnings"] = _warnings(out, label)
    return out


def _warnings(out: dict, label: str) -> list[dict]:
    warnings = []
    auc, bl = out["auc"], out["blacklisted"]
    level = f"{out['confidence']:.0%}"
    if auc is not None and auc["p_backwards"] < out["limits"]["backwards_level"]:
        warnings.append({
            "code": "inverted",
            "message": (
                f"The scores rank the label {label!r} backwards: AUC {auc['value']:.3f} ({level} "
                f"CI {auc['ci'][0]:.3f}–{auc['ci'][1]:.3f}, {auc['n_adverse']:,} adverse and "
                f"{auc['n_not_adverse']:,} non-adverse people; one-sided Mann-Whitney p = "
                f"{auc['p_backwards']:.2g}) — people with the adverse label score HIGHER. Check that the adverse value (--positive) is the bad "
                "outcome in the label's coding and that the model's class 1 is the bad outcome; "
                "the rates in this audit are otherwise inverted."
            ),
        })  # fmt: skip
    share = bl["share"]
    if share is not None and (share > SHARE_HIGH or share < SHARE_LOW):
        which = "nearly everyone" if share > SHARE_HIGH else "nearly no one"
        warnings.append({
            "code": "blacklists_nearly_everyone" if share > SHARE_HIGH
            else "blacklists_nearly_no_one",
            "message": (
                f"The scorer blacklists {which}: {bl['count']:,} of {bl['n']:,} people "
                f"({share:.1%}, {level} CI {bl['ci'][0]:.1%}–{bl['ci'][1]:.1%}; warned above "
                f"{SHARE_HIGH:.0%} or below {SHARE_LOW:.1%}). Check the threshold (in score "
                "points, 350–950) and the direction of the model's classes."
            ),
        })  # fmt: skip
    return warnings
