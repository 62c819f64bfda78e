"""The rules layer: data, parsed safely, validated with key paths, applied in order then clipped."""

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import SchemaError, SpecError
from audit.scoring import SocialCreditScorer, proba_to_score
from audit.scoring._rules import apply_rules, parse_rules

from .conftest import RULES, fast_estimator

X = pd.DataFrame(
    {
        "speech_flag": np.array([0, 1, 0, 1, 0], dtype="int8"),
        "court_listed": np.array([0, 0, 1, 1, 0], dtype="int8"),
        "missed_repayments": np.array([0, 2, 3, 5, 4], dtype="int16"),
        "owns_car": np.array([True, False, True, False, False]),
    }
)
BASE = np.array([700.0, 620.0, 680.0, 900.0, 400.0])


def test_hand_computed_table():
    rules = parse_rules(
        [
            {"name": "speech", "when": "speech_flag", "points": -200},
            {"name": "repeat", "when": "missed_repayments >= 3", "points": -50},
            {"name": "car", "when": "owns_car", "points": 30},
            {"name": "court", "when": "court_listed", "set": 350},
        ]
    )
    out = apply_rules(BASE, X, rules)
    # row 0: 700 + car 30 = 730; row 1: 620 - 200 = 420; row 2: 680 - 50 + 30 -> court 350;
    # row 3: 900 - 200 - 50 -> court 350; row 4: 400 - 50 = 350 (exactly the floor).
    np.testing.assert_array_equal(out, [730.0, 420.0, 350.0, 350.0, 350.0])
    np.testing.assert_array_equal(BASE, [700.0, 620.0, 680.0, 900.0, 400.0])  # input untouched


def test_order_matters_set_then_points():
    rules = parse_rules(
        [
            {"name": "court", "when": "court_listed", "set": 350},
            {"name": "speech", "when": "speech_flag", "points": -200},
        ]
    )
    # row 3 is court-listed and flagged: set 350, then -200 -> 150 (unclipped; the scorer clips).
    np.testing.assert_array_equal(apply_rules(BASE, X, rules), [700, 420, 350, 150, 400])


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("missed_repayments >= 3", [0, 0, 1, 1, 1]),
        ("missed_repayments>3", [0, 0, 0, 1, 1]),
        ("missed_repayments == 2", [0, 1, 0, 0, 0]),
        ("missed_repayments != 2", [1, 0, 1, 1, 1]),
        ("missed_repayments < 2.5", [1, 1, 0, 0, 0]),
        ("missed_repayments <= -1e0", [0, 0, 0, 0, 0]),
        ("speech_flag == 0", [1, 0, 1, 0, 1]),
        ("  speech_flag  ", [0, 1, 0, 1, 0]),
    ],
)
def test_comparisons(when, expected):
    (rule,) = parse_rules([{"name": "r", "when": when, "points": -1}])
    np.testing.assert_array_equal(rule.mask(X), np.array(expected, dtype=bool))


@pytest.mark.parametrize(
    ("rules", "key", "fragment"),
    [
        ("speech_flag", "rules", "list of rule tables"),
        ([42], "rules[0]", "got 42 (int)"),
        ([{"name": "a", "when": "x", "points": 1, "eval": "1"}], "rules[0]", "'eval'"),
        ([{"when": "x", "points": 1}], "rules[0].name", "got None"),
        ([{"name": "", "when": "x", "points": 1}], "rules[0].name", "got ''"),
        (
            [{"name": "a", "when": "x", "points": 1}, {"name": "a", "when": "y", "points": 1}],
            "rules[1].name",
            "duplicate",
        ),
        ([{"name": "a", "points": 1}], "rules[0].when", "got None"),
        ([{"name": "a", "when": "x > y", "points": 1}], "rules[0].when", "got 'x > y'"),
        ([{"name": "a", "when": "x >= 3 and y", "points": 1}], "rules[0].when", "got"),
        (
            [{"name": "a", "when": "__import__('os').system('true')", "points": 1}],
            "rules[0].when",
            "comparison",
        ),
        ([{"name": "a", "when": "x"}], "rules[0]", "got neither"),
        ([{"name": "a", "when": "x", "points": 1, "set": 350}], "rules[0]", "exactly one"),
        ([{"name": "a", "when": "x", "points": "abc"}], "rules[0].points", "got 'abc' (str)"),
        ([{"name": "a", "when": "x", "points": True}], "rules[0].points", "got True (bool)"),
        ([{"name": "a", "when": "x", "points": float("inf")}], "rules[0].points", "inf"),
        ([{"name": "a", "when": "x", "set": 200}], "rules[0].set", "[350, 950]"),
    ],
)
def test_validation_names_index_key_and_value(rules, key, fragment):
    with pytest.raises(SpecError) as info:
        parse_rules(rules)
    assert info.value.key == key
    assert fragment in str(info.value)


def test_prefix_for_spec_tables():
    with pytest.raises(SpecError) as info:
        parse_rules([{"name": "a", "when": "x", "set": 1000}], prefix="scorer.")
    assert info.value.key == "scorer.rules[0].set"


def test_non_boolean_column_as_condition_is_refused():
    (rule,) = parse_rules([{"name": "r", "when": "missed_repayments", "points": -1}])
    with pytest.raises(SchemaError, match="must be boolean.*'missed_repayments >= 1'"):
        rule.mask(X)


def test_missing_values_in_rule_column_are_refused():
    (rule,) = parse_rules([{"name": "r", "when": "x > 1", "points": -1}])
    with pytest.raises(SchemaError, match=r"'x'.*rule 'r'.*1 missing"):
        rule.mask(pd.DataFrame({"x": [1.0, np.nan]}))


def test_string_rule_column_is_refused():
    (rule,) = parse_rules([{"name": "r", "when": "x == 1", "points": -1}])
    with pytest.raises(SchemaError, match="'x'.*dtype str"):
        rule.mask(pd.DataFrame({"x": ["1", "2"]}))


def test_scorer_applies_rules_after_mapping_then_clips(frame, fitted):
    base = proba_to_score(fitted.predict_default_proba(frame), clip=False)
    ruled = fitted.score(frame)
    speech = frame["speech_flag"].to_numpy() == 1
    court = frame["court_listed"].to_numpy() == 1
    assert court.any() and (speech & ~court).any()
    np.testing.assert_array_equal(ruled[court], 350.0)
    # Points are added to the unclipped points, then the result is clipped.
    only_speech = speech & ~court
    np.testing.assert_allclose(ruled[only_speech], np.clip(base[only_speech] - 200, 350, 950))
    untouched = ~speech & ~court
    np.testing.assert_allclose(ruled[untouched], np.clip(base[untouched], 350, 950))


def test_rule_columns_are_required_even_if_not_model_features(frame):
    features = ["missed_repayments", "gaming_hours"]
    scorer = SocialCreditScorer(fast_estimator(), features=features, rules=RULES).fit(
        frame, frame["observed"]
    )
    assert scorer.model_features_ == features
    assert scorer.rule_features_ == ["speech_flag", "court_listed"]
    assert scorer.feature_names == features + ["speech_flag", "court_listed"]
    with pytest.raises(SchemaError, match="'court_listed'"):
        scorer.score(frame.drop(columns="court_listed"))
