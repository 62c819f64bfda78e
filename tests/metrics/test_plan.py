"""`audit plan` / `plan_audit`: people per group to detect, and to FAIL, a rate ratio."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from audit.exceptions import InvalidInputError
from audit.metrics import plan_audit
from tests.cli import run_cli


def test_plan_detect_is_statsmodels_power_with_bonferroni_over_the_comparisons():
    plan = plan_audit(0.05, 1.5, groups=5, alpha=0.05, power=0.8)
    n = NormalIndPower().solve_power(
        effect_size=proportion_effectsize(0.075, 0.05), alpha=0.05 / 4, power=0.8, ratio=1
    )
    assert plan["n_detect"] == math.ceil(n) and plan["comparisons"] == 4
    assert plan["n_fail"] > plan["n_detect"]  # failing the band needs more than telling apart


def test_a_ratio_inside_the_band_never_fails():
    plan = plan_audit(0.05, 1.2)
    assert plan["n_fail"] is None and plan["band"] == [0.8, 1.25]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": 0.0, "ratio": 2.0}, "'rate' parameter of plan_audit must be a number in (0, 1)"),
        ({"rate": 0.6, "ratio": 2.0}, "ratio × rate < 1"),
        ({"rate": 0.1, "ratio": 1.0}, "other than 1"),
        ({"rate": 0.1, "ratio": 2.0, "groups": 1}, "'groups' parameter of plan_audit"),
    ],
)
def test_bad_plans_name_the_parameter(kwargs, message):
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan_audit(**kwargs)


def test_cli_prints_both_numbers_and_exits_2_on_bad_input(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "plan", "--rate", "0.05", "--ratio", "2",
                           "--groups", "5")  # fmt: skip
    plan = plan_audit(0.05, 2.0, groups=5)
    assert code == 0
    assert f"To detect the difference: {plan['n_detect']:,} people per group" in out
    assert f"To FAIL it (band 0.8–1.25): {plan['n_fail']:,} people per group" in out
    code, _, err = run_cli(monkeypatch, capsys, "plan", "--rate", "2", "--ratio", "2")
    assert code == 2 and "'rate' parameter" in err
