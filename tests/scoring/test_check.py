"""check_scorer: every rule of the Scorer contract has a stub that breaks it, and only it."""

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import NotFittedError, SchemaError, ScorerError
from audit.scoring import RULES, SocialCreditScorer, as_scorer, check_scorer

from .conftest import fast_estimator, make_frame


class Good:
    """A correct Scorer: 900 minus 50 points per missed repayment, floor 350."""

    feature_names = ["missed_repayments"]
    threshold = 700.0

    def score(self, X):
        m = X["missed_repayments"].to_numpy(dtype=np.float64)
        return np.clip(900.0 - 50.0 * m, 350.0, 950.0)

    def decide(self, X):
        return self.score(X) < self.threshold


class NoDecide:
    feature_names = ["missed_repayments"]
    threshold = 700.0
    score = Good.score


class BadThreshold(Good):
    threshold = 1000


class BadFeatureNames(Good):
    feature_names = "missed_repayments"


class ListScores(Good):
    def score(self, X):
        return super().score(X).tolist()


class ShortScores(Good):
    def score(self, X):
        return super().score(X)[:-1]


class IntScores(Good):
    def score(self, X):
        return super().score(X).astype(np.int64)


class NaNScores(Good):
    def score(self, X):
        s = super().score(X)
        s[1] = np.nan
        return s


class OutOfRange(Good):
    def score(self, X):
        return 900.0 + 50.0 * X["missed_repayments"].to_numpy(dtype=np.float64)


class Noisy(Good):
    def __init__(self):
        self.rng = np.random.default_rng(0)

    def score(self, X):
        return super().score(X) + self.rng.uniform(0, 1e-3, len(X))


class IntDecide(Good):
    def decide(self, X):
        return super().decide(X).astype(int)


class ShortDecide(Good):
    def decide(self, X):
        return super().decide(X)[1:]


class InclusiveDecide(Good):
    def decide(
        self, X
    ):  # <= instead of <: wrong exactly at the threshold (2 missed -> 800... 4 -> 700)
        return self.score(X) <= self.threshold


class NeedsEthnicity(Good):
    def score(self, X):  # silently uses a protected column it does not declare
        return super().score(X) - 20.0 * (X["ethnicity"] == "Uyghur").to_numpy()


class ReadsUndeclared(Good):
    def score(self, X):
        if "gaming_hours" in X.columns:
            return super().score(X) - np.minimum(X["gaming_hours"].to_numpy(np.float64), 1)
        return super().score(X)


class PositionDependent(Good):
    def score(self, X):
        return np.minimum(super().score(X) + 1e-3 * np.arange(len(X)), 950.0)


class BatchNormalised(Good):
    def score(self, X):  # row-order equivariant but depends on the batch it is in
        m = X["missed_repayments"].to_numpy(dtype=np.float64)
        return np.clip(700.0 - 50.0 * (m - m.mean()), 350.0, 950.0)


class Mutating(Good):
    def score(self, X):
        X["scored"] = True
        return super().score(X)


STUBS = {
    "protocol": NoDecide,
    "threshold": BadThreshold,
    "feature_names": BadFeatureNames,
    "score_type": ListScores,
    "score_shape": ShortScores,
    "score_dtype": IntScores,
    "score_finite": NaNScores,
    "score_range": OutOfRange,
    "deterministic": Noisy,
    "decide_type": IntDecide,
    "decide_shape": ShortDecide,
    "decide_consistent": InclusiveDecide,
    "protected_absent": NeedsEthnicity,
    "feature_names_sufficient": ReadsUndeclared,
    "row_order": PositionDependent,
    "chunking": BatchNormalised,
    "no_mutation": Mutating,
}

X = make_frame(200, seed=1)


def test_every_rule_has_a_failing_stub():
    assert list(STUBS) == list(RULES)


def test_the_good_stub_passes_every_rule():
    results = check_scorer(Good(), X)
    assert list(results) == list(RULES)
    assert set(results.values()) == {"ok"}


@pytest.mark.parametrize("rule", list(STUBS))
def test_stub_breaks_exactly_its_rule(rule):
    with pytest.raises(ScorerError) as info:
        check_scorer(STUBS[rule](), X.copy())
    assert info.value.rule == rule
    assert f"rule '{rule}' broken" in str(info.value)


@pytest.mark.parametrize(
    ("rule", "seen"),
    [
        ("threshold", "got 1000"),
        ("score_shape", "got (199,)"),
        ("score_dtype", "got int64"),
        ("score_finite", "got 1 of 200 (e.g. row 1)"),
        ("score_range", "max 1"),
        ("decide_type", "ndarray of dtype int64"),
        ("decide_consistent", "score 700, decide True"),
        ("protected_absent", "KeyError"),
        ("chunking", "differ"),
        ("no_mutation", "columns now"),
    ],
)
def test_messages_say_what_was_seen(rule, seen):
    with pytest.raises(ScorerError, match="broken") as info:
        check_scorer(STUBS[rule](), X.copy())
    assert seen in str(info.value)


def test_real_scorers_pass(frame, fitted):
    assert set(check_scorer(fitted, frame).values()) == {"ok"}
    with_protected = SocialCreditScorer(fast_estimator(), include_protected=True).fit(
        frame, frame["observed"]
    )
    results = check_scorer(with_protected, frame)
    assert results["protected_absent"].startswith("skipped")
    fn = as_scorer(Good().score, feature_names=["missed_repayments"])
    assert set(check_scorer(fn, frame).values()) == {"ok"}


def test_protected_absent_skipped_without_protected_columns():
    no_protected = X.drop(columns=["ethnicity", "sex", "age_band", "registration", "region"])
    assert check_scorer(Good(), no_protected)["protected_absent"].startswith("skipped")


def test_large_frames_are_sampled():
    calls = []

    class Counting(Good):
        def score(self, X):
            calls.append(len(X))
            return super().score(X)

    check_scorer(Counting(), make_frame(500, seed=2), max_rows=100)
    assert max(calls) == 100


def test_data_problems_are_not_contract_breaks(fitted):
    with pytest.raises(SchemaError, match="'gaming_hours'"):
        check_scorer(fitted, X.drop(columns="gaming_hours"))
    with pytest.raises(NotFittedError):
        check_scorer(SocialCreditScorer(), X)
    with pytest.raises(SchemaError):
        check_scorer(Good(), pd.DataFrame({"other": [1, 2]}))
