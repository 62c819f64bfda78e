"""as_scorer: fitted classifiers, callables, model files and existing Scorers become Scorers."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from audit.exceptions import InvalidInputError, NotFittedError, SchemaError, ScorerError
from audit.scoring import (
    CallableScorer,
    Scorer,
    SocialCreditScorer,
    as_scorer,
    check_scorer,
    proba_to_score,
)

FEATURES = ["missed_repayments", "gaming_hours"]


def test_existing_scorer_is_returned_unchanged(fitted):
    assert as_scorer(fitted) is fitted
    assert isinstance(fitted, Scorer)
    with pytest.raises(InvalidInputError, match="already a Scorer"):
        as_scorer(fitted, threshold=600)


def test_isinstance_does_not_run_properties():
    assert isinstance(SocialCreditScorer(), Scorer)  # unfitted: feature_names would raise
    assert not isinstance(LogisticRegression(), Scorer)  # has score, lacks decide
    assert not isinstance(42, Scorer)


def test_fitted_classifier_uses_the_same_points_scale(frame):
    clf = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        frame[FEATURES], frame["observed"]
    )
    scorer = as_scorer(clf, threshold=600)
    assert isinstance(scorer, SocialCreditScorer) and isinstance(scorer, Scorer)
    assert scorer.feature_names == FEATURES and scorer.threshold == 600
    p = clf.predict_proba(frame[FEATURES])[:, 1].astype(np.float64)
    expected = np.clip(700 + 40 * np.log2((1 - p) / p / 20), 350, 950)
    np.testing.assert_allclose(scorer.score(frame), expected, atol=1e-9)
    np.testing.assert_array_equal(scorer.decide(frame), expected < 600)
    check_scorer(scorer, frame)


def test_classifier_fitted_on_arrays_needs_feature_names(frame):
    clf = LogisticRegression().fit(frame[FEATURES].to_numpy(), frame["observed"])
    with pytest.raises(InvalidInputError, match="feature_names"):
        as_scorer(clf)
    scorer = as_scorer(clf, feature_names=FEATURES)
    p = clf.predict_proba(frame[FEATURES].to_numpy())[:, 1]
    np.testing.assert_allclose(scorer.score(frame), proba_to_score(p), atol=1e-9)


def test_classifier_feature_names_must_match(frame):
    clf = LogisticRegression().fit(frame[FEATURES], frame["observed"])
    with pytest.raises(InvalidInputError, match="differ"):
        as_scorer(clf, feature_names=FEATURES[::-1])


def test_classifier_without_the_default_class(frame):
    y = np.where(frame["observed"] == 1, "bad", "good")
    clf = LogisticRegression().fit(frame[FEATURES], y)
    with pytest.raises(InvalidInputError, match=r"positive class 1.*\['bad', 'good'\]"):
        as_scorer(clf)
    scorer = SocialCreditScorer.from_estimator(clf, positive="bad")
    expected = proba_to_score(clf.predict_proba(frame[FEATURES])[:, 0])
    np.testing.assert_allclose(scorer.score(frame), expected, atol=1e-9)


def test_unfitted_classifier():
    with pytest.raises(NotFittedError, match="LogisticRegression is not fitted"):
        as_scorer(LogisticRegression())


def test_callable(frame):
    def rule_of_thumb(X):
        return 900 - 60 * X["missed_repayments"].to_numpy(dtype=float)

    scorer = as_scorer(rule_of_thumb, feature_names=["missed_repayments"], threshold=700)
    assert isinstance(scorer, CallableScorer) and isinstance(scorer, Scorer)
    m = frame["missed_repayments"].to_numpy(dtype=float)
    np.testing.assert_array_equal(scorer.score(frame), 900.0 - 60 * m)
    np.testing.assert_array_equal(scorer.decide(frame), 900 - 60 * m < 700)  # m >= 4
    check_scorer(scorer, frame[m < 9])
    with pytest.raises(InvalidInputError, match="feature_names"):
        as_scorer(rule_of_thumb)


@pytest.mark.parametrize(
    ("fn", "error", "fragment"),
    [
        (lambda X: np.full(len(X), 1000.0), ScorerError, "in \\[350, 950\\]"),
        (lambda X: np.full(len(X), np.nan), ScorerError, "finite"),
        (lambda X: np.full(3, 600.0), ScorerError, "shape"),
        (lambda X: ["a"] * len(X), ScorerError, "must return numbers"),
    ],
)
def test_callable_output_is_checked(frame, fn, error, fragment):
    scorer = as_scorer(fn, feature_names=["gaming_hours"])
    with pytest.raises(error, match=fragment):
        scorer.score(frame)


def test_callable_sees_only_its_features(frame):
    seen = []
    scorer = CallableScorer(
        lambda X: seen.append(list(X.columns)) or np.full(len(X), 600.0), feature_names=FEATURES
    )
    scorer.score(frame)
    assert seen == [FEATURES]
    with pytest.raises(SchemaError, match="'gaming_hours'"):
        scorer.score(frame.drop(columns="gaming_hours"))


def test_path_goes_through_load_scorer(tmp_path, fitted, frame):
    path = tmp_path / "scorer.skops"
    fitted.save(path)
    for p in (path, str(path)):
        np.testing.assert_array_equal(as_scorer(p).score(frame), fitted.score(frame))


def test_not_adaptable():
    with pytest.raises(ScorerError, match="cannot make a Scorer of int"):
        as_scorer(42)
    with pytest.raises(ScorerError, match="DataFrame"):
        as_scorer(pd.DataFrame())


def test_top_level_exports():
    import audit
    import audit.scoring

    for name in ("Scorer", "SocialCreditScorer", "as_scorer", "check_scorer", "load_scorer"):
        assert getattr(audit, name) is getattr(audit.scoring, name)
        assert name in audit.__all__
