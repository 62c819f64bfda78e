"""Counterfactual twins: same people, same noise, one protected attribute set by do()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import InvalidInputError
from audit.population import BLOCK_SIZE, _engine, make_population

from .conftest import cached_population

# In sesame, these never depend on ethnicity (checked by hand against datasets/sesame.toml):
NOT_DESCENDANTS_OF_ETHNICITY = [
    "person_id",
    "sex",
    "age_band",
    "gaming_hours",
    "adult_content",
    "latent_diligence",
    "latent_late_bike_returns",
    "latent_drunk_driving",
]


@pytest.fixture(scope="module")
def pair():
    pop = cached_population("sesame", 80_000, 3)  # two blocks, the second partial
    return pop, pop.counterfactual(ethnicity="Han")


def test_twins_keep_their_noise(pair):
    pop, twins = pair
    f, t = pop.frame, twins.frame
    assert twins.interventions == {"ethnicity": "Han"} and twins.n == pop.n
    assert (t["ethnicity"] == "Han").all()
    for col in NOT_DESCENDANTS_OF_ETHNICITY:
        pd.testing.assert_series_equal(t[col], f[col], check_exact=True)
    # a person already in the group has a twin identical to themself, column by column
    han = (f["ethnicity"] == "Han").to_numpy()
    pd.testing.assert_frame_equal(
        t[han].reset_index(drop=True), f[han].reset_index(drop=True), check_exact=True
    )
    # descendants do change for the others
    minority = ~han
    assert (t.loc[minority, "latent_name_group"] == "hanzi").all()
    assert (t.loc[minority, "trace_label_bias"] == 0).all()  # Han are not label-biased
    assert not (t["region"][minority] == f["region"][minority]).all()


def test_twin_capital_moves_by_exactly_the_structural_shift(pair):
    pop, twins = pair
    f, t = pop.frame, twins.frame
    weights = {"Han": 0.0, "Hui": -0.25, "Uyghur": -0.5, "Tibetan": -0.5}  # sesame.toml

    def shift(frame):
        eth = frame["ethnicity"].astype(str).map(weights).to_numpy()
        return eth - 0.4 * (frame["registration"] == "rural-migrant").to_numpy()

    change = t["latent_capital"].to_numpy(float) - f["latent_capital"].to_numpy(float)
    np.testing.assert_allclose(change, shift(t) - shift(f), atol=1e-5)


def test_twin_proxies_follow_the_reference_group_shares(pair):
    pop, twins = pair
    uyghur = (pop.frame["ethnicity"] == "Uyghur").to_numpy()
    region = twins.frame.loc[uyghur, "region"]
    # a Han twin gets the base shares (nodes.region.shares), not the Uyghur proxy shares
    for category, p in zip(
        ["east", "central", "southwest", "northwest"], [0.42, 0.32, 0.14, 0.12], strict=True
    ):
        se = np.sqrt(p * (1 - p) / uyghur.sum())
        assert abs((region == category).mean() - p) < 4 * se


def test_rows_select_the_same_twins_and_only_their_blocks(pair, monkeypatch):
    pop, twins = pair
    rows = np.array([79_999, 5, 70_000, 5, 0])
    calls = []
    real = _engine.simulate_block

    def counting(plan, seed, block, **kwargs):
        calls.append(block)
        return real(plan, seed, block, **kwargs)

    monkeypatch.setattr(_engine, "simulate_block", counting)
    some = pop.counterfactual(rows, ethnicity="Han")
    expected = twins.frame.iloc[rows].reset_index(drop=True)
    pd.testing.assert_frame_equal(some.frame, expected, check_exact=True)
    assert sorted(calls) == [0, 0, 1, 1]  # each touched block: once factual, once twin

    calls.clear()
    pop.counterfactual([3, 4], sex="female")
    assert calls == [0, 0]  # the second block is not regenerated


def test_twins_of_twins_and_of_a_subset_compose(pair):
    pop, _ = pair
    both = pop.counterfactual(ethnicity="Han", registration="urban")
    step = pop.counterfactual(ethnicity="Han").counterfactual(registration="urban")
    pd.testing.assert_frame_equal(step.frame, both.frame, check_exact=True)
    assert step.interventions == {"ethnicity": "Han", "registration": "urban"}
    # rows of a subset population refer to its own positions
    sub = pop.counterfactual([10, 20, 30], sex="female")
    again = sub.counterfactual([2], sex="female")
    pd.testing.assert_frame_equal(again.frame, sub.frame.iloc[[2]].reset_index(drop=True))


def test_a_do_on_a_proxy_changes_only_its_descendants():
    pop = make_population("sesame", n=5_000, seed=2)
    twins = pop.counterfactual(region="east")
    f, t = pop.frame, twins.frame
    for col in ("ethnicity", "registration", "latent_name_group", "latent_diligence", "truth"):
        pd.testing.assert_series_equal(t[col], f[col], check_exact=True)
    assert (t["region"] == "east").all()
    # region drives only surveillance (weights.region.northwest): recorded infractions can drop
    northwest = (f["region"] == "northwest").to_numpy()
    assert (t["late_bike_returns"][northwest] <= f["late_bike_returns"][northwest]).all()
    assert (t["late_bike_returns"][northwest] < f["late_bike_returns"][northwest]).any()


def test_empty_rows():
    pop = make_population("fair", n=100, seed=0)
    assert pop.counterfactual([], sex="male").n == 0


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "needs a protected attribute to set"),
        ((), {"religion": "none"}, "'religion' is not a protected attribute"),
        ((), {"ethnicity": "Martian"}, "'Martian' is not a category of 'ethnicity'"),
        (([1.5],), {"sex": "male"}, "1-D array of integer positions"),
        (([[1]],), {"sex": "male"}, "1-D array"),
        (([100],), {"sex": "male"}, r"positions in \[0, 100\)\. Got \[100\]"),
        (([-1],), {"sex": "male"}, r"Got \[-1\]"),
    ],
)
def test_bad_counterfactual_arguments(args, kwargs, message):
    pop = make_population("fair", n=100, seed=0)
    with pytest.raises(InvalidInputError, match=message):
        pop.counterfactual(*args, **kwargs)


def test_block_size_is_what_the_tests_assume():
    assert BLOCK_SIZE == 65_536
