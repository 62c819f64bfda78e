"""Bad input is refused with an error naming the column, what was expected and what came."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import InvalidInputError, SchemaError
from audit.metrics import audit_decisions
from tests.metrics.strategies import frame_from_cells

KW = {"label": "y", "decision": "d", "protected": "g", "min_group_size": 5}


@pytest.fixture
def frame() -> pd.DataFrame:
    return frame_from_cells({"A": (20, 4, 6, 10), "B": (18, 12, 6, 24)})


def _groups(frame, **kw):
    return audit_decisions(frame, **{**KW, **kw}).to_dict()["attributes"]["g"]["groups"]


def test_positive_is_matched_by_dtype_never_inverted(frame):
    expected = _groups(frame)
    as_text = frame.assign(y=frame.y.map({1: "bad", 0: "ok"}), d=frame.d.map({1: "bad", 0: "ok"}))
    assert _groups(as_text, positive="bad") == expected
    as_bool = frame.assign(y=frame.y.astype(bool), d=frame.d.astype(bool))
    assert _groups(as_bool, positive=True) == expected
    assert _groups(as_bool) == expected  # positive=1 names True in a boolean column
    assert _groups(frame, positive="1") == expected  # the CLI passes text
    assert _groups(frame.astype({"y": float, "d": float}), positive="1.0") == expected
    as_strings = frame.assign(y=frame.y.astype(str), d=frame.d.astype(str))
    assert _groups(as_strings, positive=1) == expected  # text columns compare str(positive)
    as_cat = as_text.assign(y=pd.Categorical(as_text.y), d=pd.Categorical(as_text.d))
    assert _groups(as_cat, positive="bad") == expected
    as_int_cat = frame.assign(y=pd.Categorical(frame.y), d=pd.Categorical(frame.d))
    assert _groups(as_int_cat, positive="1") == expected  # categories compared as text
    # the other value is adverse here: the whole table flips, stated explicitly
    flipped = _groups(frame, positive=0)
    assert flipped["A"]["counts"] == {"tn": 10, "fp": 6, "fn": 4, "tp": 20}


@pytest.mark.parametrize(
    ("change", "kw", "error", "match"),
    [
        (lambda f: f.drop(columns="d"), {}, SchemaError, r"Column 'd' is required.*available"),
        (
            lambda f: f.assign(y=f.y.map({1: "yes", 0: "no"})),
            {},
            SchemaError,
            r"Column 'y' \(label\) must hold the positive \(adverse\) value 1 and at most one "
            r"other value; got 2 other values: 'no', 'yes'",
        ),
        (
            lambda f: f.assign(d=np.where(np.arange(len(f)) == 3, 2, f.d)),
            {},
            SchemaError,
            r"Column 'd' \(decision\).*got 2 other values: 0, 2",
        ),
        (
            lambda f: f.assign(y=np.where(np.arange(len(f)) == 7, np.nan, f.y)),
            {},
            SchemaError,
            r"Column 'y' \(label\) has 1 missing value\(s\) \(first at row 7\)",
        ),
        (
            lambda f: f.assign(d=pd.array([None] + [1] * (len(f) - 1), dtype="Int64")),
            {},
            SchemaError,
            r"Column 'd' \(decision\) has 1 missing",
        ),
        (lambda f: f.iloc[:0], {}, InvalidInputError, r"0 rows"),
        (
            lambda f: f.assign(s=np.where(np.arange(len(f)) == 5, np.inf, 500.0)),
            {"score": "s"},
            SchemaError,
            r"Column 's' \(score\) must hold finite numbers; got 1 missing or infinite value\(s\) "
            r"\(first at row 5: inf\)",
        ),
        (
            lambda f: f.assign(s="high"),
            {"score": "s"},
            SchemaError,
            r"Column 's' \(score\) must be numeric",
        ),
        (
            lambda f: f.assign(s=np.where(np.arange(len(f)) == 2, 990.0, 500.0)),
            {"score": "s", "score_range": (350, 950)},
            SchemaError,
            r"must lie in score_range \[350.0, 950.0\]; got 1 value\(s\) outside \(first at row 2",
        ),
        (
            lambda f: f.assign(y=0, d=0),
            {},
            SchemaError,
            r"positive \(adverse\) value 1 occurs in neither the label column 'y'",
        ),
        (lambda f: f, {"positive": "yes"}, SchemaError, r"positive='yes' cannot be matched"),
        (lambda f: f, {"reference": {"g": "C"}}, InvalidInputError, r"'C' does not exist"),
        (
            lambda f: f,
            {"missing": "drop"},
            InvalidInputError,
            r"'missing'.*one of 'error', 'unknown'",
        ),
        (lambda f: f, {"min_group_size": -1}, InvalidInputError, r"min_group_size"),
        (lambda f: f, {"protected": []}, InvalidInputError, r"at least one column"),
        (lambda f: f, {"protected": ["g", "y"]}, InvalidInputError, r"both a protected"),
        (lambda f: f, {"score_range": (5, 1), "score": "y"}, InvalidInputError, r"low < high"),
    ],
)
def test_bad_input_is_refused_naming_column(frame, change, kw, error, match):
    with pytest.raises(error, match=match):
        audit_decisions(change(frame), **{**KW, **kw})


def test_mismatched_lengths_in_a_mapping():
    data = {"y": [1, 0, 1], "d": [1, 0], "g": ["a", "b", "a"]}
    with pytest.raises(InvalidInputError, match=r"same length; got lengths y=3, d=2, g=3"):
        audit_decisions(data, label="y", decision="d", protected="g")


def test_errors_are_valueerrors_too(frame):
    with pytest.raises(ValueError):
        audit_decisions(frame.drop(columns="g"), **KW)


def test_mapping_input_works():
    data = {"y": [1, 0] * 20, "d": [1, 1] * 20, "g": ["a"] * 40}
    res = audit_decisions(data, label="y", decision="d", protected="g", min_group_size=20)
    res = res.to_dict()
    assert res["attributes"]["g"]["groups"]["a"]["fpr"] == 1.0


def test_score_outside_range_in_a_later_chunk_names_its_row(frame):
    from audit.metrics import audit_chunks

    scored = frame.assign(s=np.where(np.arange(len(frame)) == 57, 990.0, 500.0))
    parts = [scored.iloc[:50], scored.iloc[50:]]
    with pytest.raises(SchemaError, match=r"outside \(first at row 57: 990.0\)"):
        audit_chunks(parts, **KW, score="s", score_range=(350, 950))
