"""SocialCreditScorer: a scikit-learn estimator; scores on the documented scale; clear bad-input errors."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from audit.exceptions import (
    AuditError,
    InvalidInputError,
    NotFittedError,
    SchemaError,
    ScorerError,
    SpecError,
)
from audit.scoring import DEFAULT_THRESHOLD, PROTECTED, SocialCreditScorer, check_scorer

from .conftest import FEATURES, RULES, fast_estimator, make_frame


def test_sklearn_estimator_api(frame, fitted):
    params = fitted.get_params()
    assert params["threshold"] == 550 and params["rules"] == RULES
    assert params["protected"] == PROTECTED and params["include_protected"] is False
    twin = clone(fitted)
    assert not hasattr(twin, "estimator_")
    assert twin.get_params()["rules"] == RULES
    assert SocialCreditScorer().threshold == DEFAULT_THRESHOLD
    assert isinstance(fitted.estimator_, HistGradientBoostingClassifier)
    assert fitted.estimator_.early_stopping is False
    for name in ("estimator_", "model_features_", "rule_features_", "categories_", "positive_"):
        assert hasattr(fitted, name)


def test_default_features_exclude_protected_labels_and_hidden_columns(fitted):
    # person_id, truth, observed, latent_*, trace_* and the five protected attributes are left out.
    assert fitted.model_features_ == FEATURES
    assert fitted.feature_names == FEATURES


def test_scores_are_float_bounded_and_decide_is_threshold(frame, fitted):
    s = fitted.score(frame)
    assert s.dtype == np.float64 and s.shape == (len(frame),)
    assert s.min() >= 350 and s.max() <= 950
    np.testing.assert_array_equal(fitted.decide(frame), s < 550)
    assert check_scorer(fitted, frame)["protected_absent"] == "ok"


def test_score_follows_the_scale_of_the_estimators_probability(frame):
    # Oracle: scikit-learn's own predict_proba, mapped by the definition 700 + 40 log2(odds / 20).
    features = ["missed_repayments", "gaming_hours"]
    scorer = SocialCreditScorer(LogisticRegression(), features=features)
    scorer.fit(frame, frame["observed"])
    p = scorer.estimator_.predict_proba(frame[features])[:, 1].astype(np.float64)
    assert (p > 0.9).any()  # some scores hit the floor
    expected = np.clip(700 + 40 * np.log2((1 - p) / p / 20), 350, 950)
    np.testing.assert_allclose(scorer.score(frame), expected, rtol=0, atol=1e-9)


def test_chunked_prediction_equals_one_call(frame, fitted, monkeypatch):
    import audit.scoring._scorer as module

    whole = fitted.estimator_.predict_proba(frame[FEATURES])[:, 1]
    monkeypatch.setattr(module, "PREDICT_CHUNK", 7)
    np.testing.assert_array_equal(fitted.predict_default_proba(frame), whole)


def test_higher_score_means_less_default(frame, fitted):
    s = fitted.score(frame)
    assert roc_auc_score(frame["observed"], -s) > 0.7


def test_deterministic_across_fits(frame):
    a = SocialCreditScorer(fast_estimator()).fit(frame, frame["observed"]).score(frame)
    b = SocialCreditScorer(fast_estimator()).fit(frame, frame["observed"]).score(frame)
    np.testing.assert_array_equal(a, b)


def test_include_protected_uses_them_as_categories(frame):
    scorer = SocialCreditScorer(fast_estimator(), include_protected=True).fit(
        frame, frame["observed"]
    )
    assert scorer.model_features_ == FEATURES + list(PROTECTED)
    assert scorer.categories_["ethnicity"] == ["Han", "Hui", "Uyghur"]
    assert scorer.estimator_.is_categorical_.tolist() == [False] * 5 + [True] * 5
    with pytest.raises(SchemaError, match="'ethnicity'"):
        scorer.score(frame.drop(columns="ethnicity"))
    # An unseen group is treated as missing, not as an error.
    other = frame.assign(ethnicity=pd.Categorical(["Kazakh"] * len(frame)))
    assert np.isfinite(scorer.score(other)).all()


def test_protected_feature_without_option_is_refused(frame):
    with pytest.raises(InvalidInputError, match=r"\['ethnicity'\].*include_protected=True"):
        SocialCreditScorer(features=["missed_repayments", "ethnicity"]).fit(
            frame, frame["observed"]
        )


def test_from_spec_reads_threshold_and_rules_and_kwargs_override():
    table = {"threshold": 520, "rules": RULES, "description": "hypothetical"}
    scorer = SocialCreditScorer.from_spec(table, pdo=20)
    assert (scorer.threshold, scorer.rules, scorer.pdo) == (520, RULES, 20)
    assert SocialCreditScorer.from_spec(table, threshold=600).threshold == 600
    assert SocialCreditScorer.from_spec(None).threshold == DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("table", "key", "fragment"),
    [
        ({"threshold": 1000}, "scorer.threshold", "Got 1000"),
        ({"threshold": "500"}, "scorer.threshold", "'500'"),
        ({"pdo": 0}, "scorer.pdo", "'pdo'"),
        ({"treshold": 500}, "scorer", "'treshold'"),
        ({"include_protected": "yes"}, "scorer.include_protected", "'yes'"),
        ({"rules": [{"name": "x", "when": "a", "set": 10}]}, "scorer.rules[0].set", "got 10"),
        ([("threshold", 500)], "scorer", "must be a table"),
    ],
)
def test_from_spec_validation(table, key, fragment):
    with pytest.raises(SpecError) as info:
        SocialCreditScorer.from_spec(table)
    assert info.value.key == key
    assert fragment in str(info.value)


# --- bad input --------------------------------------------------------------------------------


def test_unfitted_scorer():
    scorer = SocialCreditScorer()
    for call in (lambda: scorer.score(make_frame(10)), lambda: scorer.feature_names):
        with pytest.raises(NotFittedError, match="not fitted yet; call fit"):
            call()


def test_missing_columns_are_named(frame, fitted):
    with pytest.raises(SchemaError, match=r"lacks 2 column\(s\).*'gaming_hours', 'owns_home'"):
        fitted.score(frame.drop(columns=["gaming_hours", "owns_home"]))


def test_wrong_dtype_is_named(frame, fitted):
    bad = frame.assign(gaming_hours=frame["gaming_hours"].astype(str))
    with pytest.raises(SchemaError, match="'gaming_hours' has dtype str"):
        fitted.score(bad)
    with pytest.raises(SchemaError, match="'owns_home' has dtype category"):
        fitted.score(frame.assign(owns_home=frame["owns_home"].astype("category")))
    with pytest.raises(SchemaError, match="'owns_home' has dtype str"):
        SocialCreditScorer(fast_estimator(), features=FEATURES).fit(
            frame.assign(owns_home=frame["owns_home"].astype(str)), frame["observed"]
        )


def test_nan_refused_only_where_the_estimator_cannot_take_it(frame):
    holes = frame.copy()
    holes.loc[[3, 7, 9], "gaming_hours"] = np.nan
    hgb = SocialCreditScorer(fast_estimator()).fit(
        holes, holes["observed"]
    )  # HGB takes missing values
    assert np.isfinite(hgb.score(holes)).all()
    with pytest.raises(SchemaError, match=r"'gaming_hours' \(3\).*LogisticRegression"):
        SocialCreditScorer(LogisticRegression()).fit(holes, holes["observed"])
    lr = SocialCreditScorer(LogisticRegression()).fit(frame, frame["observed"])
    with pytest.raises(SchemaError, match=r"'gaming_hours' \(3\)"):
        lr.score(holes)


def test_nullable_integer_features_are_accepted(frame, fitted):
    nullable = frame.assign(missed_repayments=frame["missed_repayments"].astype("Int16"))
    np.testing.assert_array_equal(fitted.score(nullable), fitted.score(frame))


@pytest.mark.parametrize("threshold", [349.9, 951, float("nan"), "550", None, True])
def test_threshold_outside_range(frame, threshold):
    with pytest.raises(InvalidInputError, match="'threshold'"):
        SocialCreditScorer(threshold=threshold).fit(frame, frame["observed"])


def test_threshold_changed_after_fit_is_checked_on_decide(frame, fitted):
    scorer = clone(fitted).fit(frame, frame["observed"])
    scorer.set_params(threshold=1200)
    with pytest.raises(InvalidInputError, match="Got 1200"):
        scorer.decide(frame)


@pytest.mark.parametrize(
    ("y", "fragment"),
    [
        (np.zeros(600), "both 0 and 1"),
        (np.full(600, 2), "only 0 and 1"),
        (np.ones(10), "one label per row"),
        (np.r_[np.nan, np.ones(299), np.zeros(300)], "1 missing labels"),
    ],
)
def test_bad_labels(frame, y, fragment):
    with pytest.raises(InvalidInputError, match=fragment):
        SocialCreditScorer().fit(frame, y)


def test_not_a_frame(fitted):
    with pytest.raises(InvalidInputError, match="must be a pandas DataFrame.*ndarray"):
        fitted.score(np.zeros((3, 5)))


def test_all_errors_are_audit_errors():
    assert issubclass(SchemaError, AuditError) and issubclass(NotFittedError, ScorerError)
