"""`audit train` and `audit score`: thin commands; exit 2 and nothing written on bad input."""

import os
import pickle

import numpy as np
import pandas as pd
import pytest

from audit.population import load_population, make_population
from audit.scoring import SocialCreditScorer, load_scorer
from tests.cli import run_cli

run = run_cli


@pytest.fixture(scope="module")
def population_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("pop") / "pop.parquet"
    make_population("sesame", n=3000, seed=0).save(path)
    return path


@pytest.fixture(scope="module")
def scorer_file(population_file, tmp_path_factory):
    pop = load_population(population_file)
    rows = np.sort(np.random.default_rng(0).choice(len(pop.frame), 1500, replace=False))
    scorer = SocialCreditScorer.from_spec(pop.spec.scorer, features=pop.features)
    scorer.fit(pop.frame.iloc[rows], pop.frame["observed"].iloc[rows])
    path = tmp_path_factory.mktemp("model") / "scorer.skops"
    scorer.save(path)
    return path


def test_train_then_score(monkeypatch, capsys, tmp_path, population_file):
    model = tmp_path / "scorer.skops"
    code, out, _ = run(
        monkeypatch, capsys, "train", "--population", population_file, "--out", model,
        "--sample", 1500, "--no-progress",
    )  # fmt: skip
    assert code == 0 and "wrote" in out
    scorer = load_scorer(model)
    pop = load_population(population_file)
    assert scorer.threshold == pop.spec.scorer["threshold"]
    assert scorer.rules == pop.spec.scorer["rules"]
    assert scorer.model_features_ == pop.features

    decisions = tmp_path / "decisions.parquet"
    code, out, _ = run(
        monkeypatch, capsys, "score", "--scorer", model, "--population", population_file,
        "--out", decisions, "--no-progress",
    )  # fmt: skip
    assert code == 0 and "3,000 people scored" in out
    table = pd.read_parquet(decisions)
    assert list(table.columns) == ["person_id", "score", "blacklisted"]
    np.testing.assert_array_equal(table["person_id"], pop.frame["person_id"])
    np.testing.assert_array_equal(table["score"], scorer.score(pop.frame))
    np.testing.assert_array_equal(table["blacklisted"], scorer.decide(pop.frame))
    assert sorted(os.listdir(tmp_path)) == ["decisions.parquet", "scorer.skops"]


def test_train_is_reproducible(monkeypatch, capsys, tmp_path, population_file):
    scores = []
    for name in ("a.skops", "b.skops"):
        args = ("train", "--population", population_file, "--out", tmp_path / name)
        assert run(monkeypatch, capsys, *args, "--sample", 1000, "--no-progress")[0] == 0
        scores.append(load_scorer(tmp_path / name).score(load_population(population_file).frame))
    np.testing.assert_array_equal(*scores)


def test_progress_bar_goes_to_stderr(monkeypatch, capsys, tmp_path, population_file):
    args = ("train", "--population", population_file, "--out", tmp_path / "s.skops")
    code, out, err = run(monkeypatch, capsys, *args, "--sample", 500, "--progress")
    assert code == 0 and "saving" in err and "saving" not in out


@pytest.mark.parametrize(
    ("out", "fragment"),
    [("scorer.pkl", "must end in .skops"), ("missing/scorer.skops", "does not exist")],
)
def test_train_bad_out_exits_2_and_writes_nothing(
    monkeypatch, capsys, tmp_path, population_file, out, fragment
):
    args = ("train", "--population", population_file, "--out", tmp_path / out)
    code, _, err = run(monkeypatch, capsys, *args, "--no-progress")
    assert code == 2 and fragment in err
    assert os.listdir(tmp_path) == []


def test_train_missing_population_exits_2(monkeypatch, capsys, tmp_path):
    args = ("train", "--population", tmp_path / "nope.parquet", "--out", tmp_path / "s.skops")
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2 and "does not exist" in err
    assert os.listdir(tmp_path) == []


def _pickle_file(path):
    path.write_bytes(pickle.dumps({"not": "a scorer"}))
    return path


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda d: _pickle_file(d / "scorer.pkl"), "arbitrary code"),
        (lambda d: _pickle_file(d / "scorer.skops"), "pickle protocol"),
        (lambda d: (d / "scorer.csv").write_text("a,b\n1,2\n") and d / "scorer.csv", "not a skops"),
    ],
)
def test_score_refuses_bad_model_files(
    monkeypatch, capsys, tmp_path, population_file, make, fragment
):
    model = make(tmp_path)
    out = tmp_path / "decisions.parquet"
    args = ("score", "--scorer", model, "--population", population_file, "--out", out)
    code, _, err = run(monkeypatch, capsys, *args, "--no-progress")
    assert code == 2 and fragment in err
    assert not out.exists()


def test_score_population_without_features_exits_2(monkeypatch, capsys, tmp_path, population_file):
    pop = load_population(population_file)
    frame = pop.frame.assign(bank_secret=np.arange(len(pop.frame)) % 7)
    model = tmp_path / "needs_more.skops"
    scorer = SocialCreditScorer(features=[*pop.features, "bank_secret"])
    scorer.fit(frame, frame["observed"]).save(model)
    out = tmp_path / "decisions.parquet"
    args = ("score", "--scorer", model, "--population", population_file, "--out", out)
    code, _, err = run(monkeypatch, capsys, *args, "--no-progress")
    assert code == 2 and "lacks 1 column(s)" in err and "'bank_secret'" in err
    assert not out.exists()


def test_score_bad_out_suffix(monkeypatch, capsys, tmp_path, population_file, scorer_file):
    out = tmp_path / "decisions.csv"
    args = ("score", "--scorer", scorer_file, "--population", population_file, "--out", out)
    code, _, err = run(monkeypatch, capsys, *args, "--no-progress")
    assert code == 2 and "must end in .parquet" in err
    assert os.listdir(tmp_path) == []
