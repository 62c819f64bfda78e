"""Generation: determinism whatever the chunk size, frame layout, dtypes, argument checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import audit
from audit.exceptions import InvalidInputError, SpecError
from audit.population import BLOCK_SIZE, MECHANISM_NAMES, Population, make_population

from .conftest import cached_population, scenario

N_ODD = 2 * BLOCK_SIZE + 4_321  # three blocks, the last one partial


def test_same_seed_same_population_whatever_the_chunk_size():
    reference = make_population("sesame", n=N_ODD, seed=11)
    for chunk_size in (1, 1_000, BLOCK_SIZE, BLOCK_SIZE + 1, 2 * BLOCK_SIZE, 10**9):
        other = make_population("sesame", n=N_ODD, seed=11, chunk_size=chunk_size)
        pd.testing.assert_frame_equal(other.frame, reference.frame, check_exact=True)


def test_person_i_is_the_same_whatever_n():
    big = cached_population("sesame", 50_000, 7).frame
    for n in (1, 999, 12_345):
        small = make_population("sesame", n=n, seed=7).frame
        pd.testing.assert_frame_equal(small, big.iloc[:n], check_exact=True)


def test_another_seed_gives_other_people():
    a = cached_population("sesame", 50_000, 7).frame
    b = make_population("sesame", n=50_000, seed=8).frame
    assert not np.array_equal(a["latent_capital"], b["latent_capital"])
    # ... from the same distribution: ethnic shares agree within 4 standard errors of a difference
    se = np.sqrt(2 * 0.82 * 0.18 / 50_000)
    assert abs((a["ethnicity"] == "Han").mean() - (b["ethnicity"] == "Han").mean()) < 4 * se


def test_frame_layout_and_dtypes(sesame_small):
    pop = sesame_small
    f = pop.frame
    assert isinstance(f.index, pd.RangeIndex) and len(f) == pop.n == 50_000
    assert f["person_id"].dtype == np.int64
    np.testing.assert_array_equal(f["person_id"], np.arange(50_000))
    assert pop.protected == ["ethnicity", "sex", "age_band", "registration", "region"]
    assert pop.reference == {
        "ethnicity": "Han",
        "sex": "male",
        "age_band": "30-44",
        "registration": "urban",
        "region": "east",
    }
    for attr in pop.protected:
        assert isinstance(f[attr].dtype, pd.CategoricalDtype)
        assert not f[attr].isna().any()
    assert list(f["ethnicity"].cat.categories) == ["Han", "Hui", "Uyghur", "Tibetan"]
    for name in ("speech_flag", "court_listed", "friends_listed_share", "missed_repayments"):
        assert name in pop.features
    for name in pop.features:
        assert f[name].dtype in (np.int8, np.int16, np.float32), name
        assert not name.startswith(("latent_", "trace_")) and name not in pop.protected
    assert f["truth"].dtype == np.int8 and f["observed"].dtype == np.int8
    assert set(np.unique(f["truth"])) == {0, 1} and set(np.unique(f["observed"])) == {0, 1}
    assert pop.traces == [f"trace_{m}" for m in MECHANISM_NAMES]
    assert all(f[t].dtype == bool for t in pop.traces)
    assert all(c.startswith("latent_") for c in pop.latent)
    assert list(f.columns) == [
        "person_id",
        *pop.protected,
        *pop.features,
        "truth",
        "observed",
        *pop.traces,
        *pop.latent,
    ]
    assert set(f["speech_flag"].unique()) <= {0, 1} and set(f["court_listed"].unique()) <= {0, 1}


def test_compact_memory(sesame_small):
    per_person = sesame_small.frame.memory_usage(deep=True).sum() / sesame_small.n
    assert per_person < 100  # bytes; categoricals, float32 and small ints


def test_values_are_plausible(sesame_small):
    f = sesame_small.frame
    assert 0.05 < f["truth"].mean() < 0.2
    assert f["education"].between(0, 4).all()
    assert (f["gaming_hours"] >= 0).all() and (f["gaming_hours"] <= 100).all()
    assert (f["online_spend"] > 0).all()
    assert f["friends_listed_share"].between(0, 1).all()
    # records never under-state the truth: mechanisms only add records
    assert (f["late_bike_returns"] >= f["latent_late_bike_returns"]).all()
    assert (f["missed_repayments"] >= f["latent_missed_repayments"]).all()
    assert (f["court_listed"] >= f["latent_court_listed"]).all()
    assert (f["observed"] >= f["truth"]).all()


def test_top_level_exports():
    assert audit.make_population is make_population
    assert audit.Population is Population


def test_summary_and_mechanisms(sesame_small):
    text = sesame_small.summary()
    assert "Population 'sesame': 50,000 people, seed 7" in text
    assert "ethnicity" in text and "Han" in text and "Uyghur" in text
    assert "truth" in text and "observed" in text
    assert "label_bias 0.04" in text
    mechanisms = sesame_small.mechanisms
    assert list(mechanisms) == list(MECHANISM_NAMES)
    lb = mechanisms["label_bias"]
    assert lb["magnitude"] == 0.04 and lb["on"] and "recorded as defaulters" in lb["description"]
    assert lb["touched"] == int(sesame_small.frame["trace_label_bias"].sum()) > 0
    assert lb["settings"]["weights"]["ethnicity"]["Uyghur"] == 1.0
    fair = make_population("fair", n=1_000, seed=0)
    assert "mechanisms on: none (control scenario)" in fair.summary()
    assert repr(fair) == "Population(spec='fair', n=1000, seed=0)"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "'n' parameter of make_population must be an integer >= 1. Got 0"),
        ({"n": -5}, "Got -5 instead"),
        ({"n": 2.5}, "Got 2.5 instead"),
        ({"n": True}, "Got True instead"),
        ({"seed": -1}, "'seed' parameter of make_population must be an integer >= 0"),
        ({"chunk_size": 0}, "'chunk_size' parameter"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(InvalidInputError, match=message):
        make_population("fair", **{"n": 10, **kwargs})


def test_spec_errors_surface_from_make_population():
    data = scenario("fair")
    data["nodes"]["sex"]["shares"] = [0.5, 0.6]
    with pytest.raises(SpecError, match="nodes.sex.shares"):
        make_population(data, n=10)


def test_a_custom_scenario_with_per_category_effects():
    # a categorical parent with a {category = number} effect acts through a lookup table
    data = scenario("fair")
    data["nodes"]["latent_diligence"]["effects"] = {"sex": {"female": 1.0}}
    f = make_population(data, n=40_000, seed=1).frame
    gap = (
        f.loc[f["sex"] == "female", "latent_diligence"].mean()
        - f.loc[f["sex"] == "male", "latent_diligence"].mean()
    )
    se = np.sqrt(2 / 20_000)  # two means of unit-variance noise, ~20k people each
    assert abs(gap - 1.0) < 4 * se


def test_docstring_examples_run():
    import doctest

    from audit.population import _population, _spec

    for module in (_population, _spec):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_block_noise_is_the_documented_seed_sequence_stream():
    # block b is child b of SeedSequence(seed) (spawn key (b,)); each stream inside it is keyed by
    # the crc32 of its name, so it does not depend on which other streams a scenario reads
    import zlib

    from audit.population._noise import BlockNoise

    assert np.random.SeedSequence(3).spawn(5)[4].spawn_key == (4,)
    for block, stream in ((0, "node:truth"), (4, "mech:label_bias:flip")):
        ss = np.random.SeedSequence(3, spawn_key=(block, zlib.crc32(stream.encode())))
        expected = np.random.Generator(np.random.PCG64(ss)).random(BLOCK_SIZE)
        np.testing.assert_array_equal(BlockNoise(3, block).uniform(stream), expected)
    assert not np.array_equal(BlockNoise(3, 0).uniform("a"), BlockNoise(3, 1).uniform("a"))
