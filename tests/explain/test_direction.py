"""The direction guard and the flip test, against independent oracles.

AUC: scikit-learn's ``roc_auc_score`` for the point value; DeLong's variance from its definition
(every adverse/non-adverse pair, O(m n), DeLong et al. 1988 eq. 3-4) for the interval. Wilson:
statsmodels' ``proportion_confint(method="wilson")``. The flip test: decisions recomputed by hand.
"""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.metrics import roc_auc_score
from statsmodels.stats.proportion import proportion_confint

from audit.explain import RecordTwins, check_direction, delong_auc, flip_test, wilson
from audit.explain._direction import SHARE_HIGH, SHARE_LOW


def delong_by_pairs(scores, adverse, confidence=0.95):
    """DeLong's AUC and interval from the definition: psi(x, y) over every pair."""
    x = -scores[adverse]  # risk of the adverse
    y = -scores[~adverse]
    psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
    auc = psi.mean()
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    se = np.sqrt(v10.var(ddof=1) / len(x) + v01.var(ddof=1) / len(y))
    z = norm.ppf(0.5 + confidence / 2)
    logit, half = np.log(auc / (1 - auc)), z * se / (auc * (1 - auc))  # Pepe (2003), 5.2
    return auc, [1 / (1 + np.exp(-(logit - half))), 1 / (1 + np.exp(-(logit + half)))], se


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_delong_matches_sklearn_and_the_pairwise_definition(seed):
    rng = np.random.default_rng(seed)
    n = 400
    adverse = rng.random(n) < 0.3
    scores = np.round(600 - 40 * adverse + rng.normal(0, 50, n))  # rounded: ties occur
    auc, ci, se = delong_auc(scores, adverse)
    assert auc == pytest.approx(roc_auc_score(adverse, -scores), abs=1e-12)
    want_auc, want_ci, want_se = delong_by_pairs(scores, adverse)
    assert auc == pytest.approx(want_auc, abs=1e-12)
    assert se == pytest.approx(want_se, rel=1e-10)
    assert ci == pytest.approx(want_ci, abs=1e-12)


def test_delong_hand_example():
    # adverse scores 1, 3; others 2, 4 (low score = adverse). Pairs (a, o): (1,2) (1,4) (3,4)
    # rank right, (3,2) wrong: AUC 3/4. V10 = [1, 1/2], V01 = [1/2, 1]: var 1/8 each,
    # se = sqrt(1/8 / 2 + 1/8 / 2) = sqrt(1/8)
    auc, _, se = delong_auc(np.array([1.0, 2, 3, 4]), np.array([1, 0, 1, 0], bool))
    assert auc == 0.75 and se == pytest.approx(np.sqrt(1 / 8))


def test_delong_needs_both_classes():
    assert delong_auc(np.array([1.0, 2]), np.array([True, True])) is None


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (81, 263), (10, 10), (1, 2000)])
def test_wilson_matches_statsmodels(k, n):
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert wilson(k, n) == pytest.approx([low, high], abs=1e-12)


def test_inverted_label_warns_and_the_right_way_does_not():
    rng = np.random.default_rng(5)
    n = 2000
    adverse = rng.random(n) < 0.25
    scores = 650 - 60 * adverse + rng.normal(0, 40, n)
    blacklisted = scores < 600
    right = check_direction(scores, adverse, blacklisted, label="y")
    assert right["warnings"] == [] and right["auc"]["value"] > 0.5
    wrong = check_direction(scores, ~adverse, blacklisted, label="y")
    assert [w["code"] for w in wrong["warnings"]] == ["inverted"]
    assert wrong["auc"]["value"] == pytest.approx(roc_auc_score(~adverse, -scores))
    assert wrong["auc"]["ci"][1] < 0.5
    assert "backwards" in wrong["warnings"][0]["message"]
    # the warning's test: scipy's Mann-Whitney U, one-sided, by its definition as a rank sum
    sa, so = scores[~adverse], scores[adverse]
    u = (sa[:, None] > so[None, :]).sum() + 0.5 * (sa[:, None] == so[None, :]).sum()
    mean, sd = len(sa) * len(so) / 2, np.sqrt(len(sa) * len(so) * (len(sa) + len(so) + 1) / 12)
    assert wrong["auc"]["p_backwards"] == pytest.approx(norm.sf((u - 0.5 - mean) / sd), rel=1e-6)


def test_an_auc_below_half_within_noise_does_not_warn():
    # adverse score 2 and 4, the others 1 and 3: of the 4 pairs only (2, 3) ranks right, AUC 1/4;
    # V10 = [1/2, 0], V01 = [0, 1/2], se = sqrt(1/8): the interval reaches above 0.5
    out = check_direction(
        np.array([1.0, 2, 3, 4]), np.array([0, 1, 0, 1], bool), np.ones(4, bool), label="y"
    )
    assert out["auc"]["value"] == 0.25 and out["auc"]["ci"][1] > 0.5
    assert "inverted" not in [w["code"] for w in out["warnings"]]
    # exact Mann-Whitney: U = 3 of 4 pairs for the adverse scoring higher; P(U >= 3) = 2/6
    assert out["auc"]["p_backwards"] == pytest.approx(2 / 6)


@pytest.mark.parametrize(
    ("k", "code"),
    [
        (int(SHARE_HIGH * 10_000) + 1, "blacklists_nearly_everyone"),
        (int(SHARE_LOW * 10_000) - 1, "blacklists_nearly_no_one"),
        (int(SHARE_HIGH * 10_000), None),  # exactly at a limit: no warning
        (int(SHARE_LOW * 10_000), None),
    ],
)
def test_blacklisting_share_limits(k, code):
    n = 10_000
    blacklisted = np.arange(n) < k
    adverse = np.arange(n) % 2 == 0
    out = check_direction(np.full(n, 600.0), adverse, blacklisted, label="y")
    assert [w["code"] for w in out["warnings"]] == ([code] if code else [])
    assert out["blacklisted"]["share"] == k / n
    assert out["blacklisted"]["ci"] == pytest.approx(
        list(proportion_confint(k, n, method="wilson")), abs=1e-12
    )


class SexScorer:
    """Blacklists below 600; women lose 50 points."""

    feature_names, threshold = ["sex", "x"], 600.0

    def score(self, X):
        return (640.0 - 50 * (X["sex"] == "f") - X["x"]).to_numpy()

    def decide(self, X):
        return self.score(X) < self.threshold


def test_flip_test_counts_by_hand_with_wilson():
    people = pd.DataFrame(
        {
            "sex": ["f", "f", "f", "f", "m", "m", "f"],
            "x": [0.0, 30, 60, 45, 50, 0, -20],
        }
    )
    scorer = SexScorer()
    blacklisted = scorer.decide(people)
    # f: scores 590 560 530 545 | 610 -> blacklisted rows 0-3; m: 590 (row 4, reference group)
    assert blacklisted.tolist() == [True, True, True, True, True, False, False]
    out = flip_test(scorer, people, blacklisted, attributes=["sex"], reference={"sex": "m"})
    t = out["attributes"]["sex"]
    # as men: 640, 610, 580, 595 -> rows 0 and 1 flip; the man in row 4 is not counted
    assert (t["n_blacklisted"], t["n_flipped"], t["share_flipped"]) == (4, 2, 0.5)
    assert t["ci"] == pytest.approx(list(proportion_confint(2, 4, method="wilson")), abs=1e-12)


def test_flip_test_keeps_the_column_type():
    people = pd.DataFrame({"sex": pd.Categorical(["f", "m", "f"]), "x": [0.0, 0, 100]})
    twins = RecordTwins(people).counterfactual(rows=[0, 2], sex="m")
    assert isinstance(twins["sex"].dtype, pd.CategoricalDtype)
    assert twins["sex"].tolist() == ["m", "m"] and twins["x"].tolist() == [0.0, 100]
    ints = pd.DataFrame({"sex": [0, 1, 1], "x": [1.0, 2, 3]})
    twin = RecordTwins(ints).counterfactual(rows=[1], sex="0")  # group names are strings
    assert twin["sex"].tolist() == [0] and twin["sex"].dtype == ints["sex"].dtype


def test_no_attribute_read_no_flip_test():
    people = pd.DataFrame({"sex": ["f", "m"], "x": [0.0, 0]})
    assert flip_test(SexScorer(), people, [True, True], attributes=[], reference={}) is None
