"""The ground floor: the one reference rule, the checks, the serializer and the typed accessors."""

from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pandas as pd
import pytest

from audit.core import (
    AuditResult,
    check_choice,
    check_fraction,
    check_int,
    choose_reference,
    dump_json,
    resolve_reference,
    verdict_lines,
)
from audit.exceptions import InvalidInputError

MODULES = ["_checks", "_groups", "_result", "_roles", "_schema", "_vocabulary"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"audit.core.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_reference_rule_named_then_combined_then_largest():
    names, sizes = ["Han", "Hui", "Uyghur", "unknown"], [500, 40, 300, 900]
    assert choose_reference(names, sizes) == (0, "largest")  # "unknown" is never the reference
    assert choose_reference(names, sizes, requested="Uyghur") == (2, "named")
    inter = ["Han & f", "Han & m", "Hui & f"]
    assert choose_reference(inter, [10, 400, 500], combined="Han & f", min_size=30) == (
        2,
        "largest",
    )  # the combination is too small: the largest group instead, never an error
    assert choose_reference(inter, [40, 400, 500], combined="Han & f", min_size=30) == (
        0,
        "combined",
    )
    assert choose_reference(["b", "a"], [7, 7]) == (1, "largest")  # a tie goes to the first name
    assert choose_reference(["unknown"], [9]) == (None, "largest")


def test_reference_rule_refuses_what_cannot_be_a_reference():
    with pytest.raises(InvalidInputError, match=r"'Zhuang' does not exist in 'ethnicity'"):
        choose_reference(["Han"], [5], requested="Zhuang", grouping="ethnicity")
    with pytest.raises(InvalidInputError, match=r"n=5, below min_group_size=30"):
        choose_reference(["Han", "Hui"], [5, 50], requested="Han", min_size=30)


def test_reference_rule_does_not_look_at_outcomes():
    """The same sizes give the same reference whatever the rates: the rule only sees sizes."""
    people = pd.DataFrame({"g": ["a"] * 30 + ["b"] * 50, "bad": [1] * 30 + [0] * 50})
    first = resolve_reference(people, ["g"], None)["g"]
    people["bad"] = 1 - people["bad"]
    second = resolve_reference(people, ["g"], None)["g"]
    assert first[1][first[2]] == second[1][second[2]] == "b"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: check_int(0, "n", minimum=1, caller="f"),
         "The 'n' parameter of f must be an integer >= 1; got 0 instead."),
        (lambda: check_int(True, "n"), "The 'n' parameter must be an integer; got True instead."),
        (lambda: check_fraction(1.5, "t"), "The 't' parameter must be a number in [0, 1]; got 1.5"),
        (lambda: check_fraction(0, "t", open_low=True, optional=True),
         "must be a number in (0, 1] or None; got 0 instead."),
        (lambda: check_choice("drop", "missing", ("error", "unknown")),
         "must be one of 'error', 'unknown'; got 'drop' instead."),
    ],
)  # fmt: skip
def test_checks_share_one_message_template(call, message):
    with pytest.raises(InvalidInputError) as err:
        call()
    assert message in str(err.value)


def test_dump_json_is_byte_stable_and_names_a_bad_value():
    assert dump_json({"b": 1, "a": [1.5, None]}) == '{"a":[1.5,null],"b":1}\n'
    with pytest.raises(InvalidInputError, match=r"audit.x\[1\] is nan"):
        dump_json({"x": [1.0, math.nan]})
    with pytest.raises(InvalidInputError, match=r"audit.y must be a plain JSON value"):
        dump_json({"y": np.arange(2)})


def test_no_verdict_is_not_a_pass_and_accessors_read_the_result():
    bare = AuditResult({"schema_version": 1, "meta": {"positive": "yes"}})
    assert bare.passed is False and bare.outcome is None and bare.violations == []
    assert bare.positive == "yes" and bare.label_kind == "observed"
    data = {
        "meta": {"label_kind": "truth"},
        "attributes": {"eth": {"reference": "Han"}},
        "intersections": {"eth & sex": {"reference": "Han & m"}},
        "verdict": {"outcome": "pass", "violations": []},
    }
    result = AuditResult(data)
    assert result.passed and result.label_kind == "truth"
    assert result.references == {"eth": "Han", "eth & sex": "Han & m"}
    assert verdict_lines({"verdict": {"outcome": None}}) == [
        "Verdict: none (no criterion was judged)."
    ]
