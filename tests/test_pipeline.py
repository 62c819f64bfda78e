"""The main job end to end: a small synthetic run, a user's own scorer on their own data, the CLI.

Small n keeps this fast; the numbers themselves are pinned in the stage tests. Here we check that the
stages fit together: the report folder is complete, audit.json validates against the shipped schema
and agrees with the population it came from, and bad input fails before any work with exit code 2.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from audit.exceptions import AuditError, SchemaError
from audit.metrics import validate_audit_json
from audit.pipeline import run_on_data, run_on_decisions, run_synthetic
from audit.population import make_population
from audit.scoring import as_scorer

SMALL = {"n": 4_000, "train_size": 2_000, "per_group": 10, "cases_per_group": 3, "progress": False}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return run_synthetic("sesame", seed=3, out=out, **SMALL), out


def test_synthetic_run_writes_a_complete_report(synthetic):
    run, out = synthetic
    assert sorted(p.name for p in out.iterdir()) == [
        "audit.json",
        "cases.csv",
        "index.html",
        "summary.md",
    ]
    doc = json.loads((out / "audit.json").read_text())
    validate_audit_json(doc)
    assert doc == json.loads(json.dumps(run.result.to_dict()))
    # one byte format: the report writes exactly what AuditResult.to_json gives
    assert (out / "audit.json").read_text(encoding="utf-8") == run.result.to_json()
    for section in ("attributes", "observed", "explain", "cases", "population", "scorer"):
        assert doc[section], section
    assert set(run.timings) == {
        "population",
        "train",
        "score",
        "audit",
        "explain",
        "cases",
        "report",
    }


def test_synthetic_counts_agree_with_the_population(synthetic):
    """Independent recount from the regenerated population: n, base rates, wrongful blacklistings."""
    run, _ = synthetic
    doc = run.result.to_dict()
    pop = make_population("sesame", n=SMALL["n"], seed=3)
    assert doc["meta"]["n"] == len(pop.frame) == doc["population"]["n"]
    assert doc["population"]["base_rate_truth"] == pytest.approx(pop.frame["truth"].mean())
    han = doc["attributes"]["ethnicity"]["groups"]["Han"]
    assert han["n"] == int((pop.frame["ethnicity"] == "Han").sum())
    assert han["base_rate"] == pytest.approx(
        pop.frame.loc[pop.frame.ethnicity == "Han", "truth"].mean()
    )
    # wrongful blacklistings counted by the metrics stage == those counted by the cases stage
    assert doc["overall"]["counts"]["fp"] == doc["cases"]["n_wrongful"]
    cases = pd.read_csv(synthetic[1] / "cases.csv")
    assert len(cases) == doc["cases"]["n_case_files"] > 0
    assert (cases["score"] < cases["threshold"]).all()


def test_synthetic_run_uses_the_scenarios_declared_references_everywhere(synthetic):
    """The scenario declares its reference groups; metrics, explanations and case files all use
    them (before, the metrics chose the most favoured group and explanations the largest)."""
    run, _ = synthetic
    doc = run.result.to_dict()
    declared = doc["population"]["reference"]  # the scenario's [protected] table
    for attr, group in declared.items():
        assert doc["attributes"][attr]["reference"] == group
        assert doc["attributes"][attr]["reference_rule"] == "named"
        assert doc["explain"]["attributes"][attr]["reference"] == group
    assert doc["cases"]["reference"] == declared
    assert doc["meta"]["label_kind"] == "truth"
    assert doc["meta"]["criteria"] == ["four_fifths", "adverse_ratio", "fpr_ratio"]


def test_same_seed_same_audit_json(synthetic, tmp_path):
    run, out = synthetic
    again = run_synthetic("sesame", seed=3, out=tmp_path, **SMALL)
    assert (tmp_path / "audit.json").read_bytes() == (out / "audit.json").read_bytes()
    assert again.headline().splitlines()[0] == run.headline().splitlines()[0]


@pytest.fixture
def user_data(tmp_path):
    """A user's own people, label coded as strings, and their own sklearn model saved as skops."""
    rng = np.random.default_rng(0)
    n = 3_000
    frame = pd.DataFrame(
        {
            "income": rng.normal(size=n),
            "debts": rng.poisson(1.0, size=n).astype(float),
            "gender": rng.choice(["f", "m"], size=n),
            "district": rng.choice(["north", "south", "west"], size=n),
        }
    )
    logit = -2 + 1.2 * frame["debts"] - 0.8 * frame["income"] + 0.5 * (frame["district"] == "west")
    frame["defaulted"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    model = LogisticRegression().fit(frame[["income", "debts"]], frame["defaulted"] == "yes")
    path = tmp_path / "model.skops"
    as_scorer(model, threshold=600).save(path)
    data = tmp_path / "people.csv"
    frame.to_csv(data, index=False)
    return frame, path, data


def test_run_on_users_model_and_data(user_data, tmp_path):
    frame, model, data = user_data
    out = tmp_path / "report"
    run = run_on_data(
        str(model),
        data,
        label="defaulted",
        positive="yes",
        protected=["gender", "district"],
        out=out,
        per_group=10,
        cases_per_group=3,
        progress=False,
    )
    doc = json.loads((out / "audit.json").read_text())
    validate_audit_json(doc)
    assert doc["cases"]["label_kind"] == "observed"
    assert "population" not in doc
    assert doc["overall"]["n"] == len(frame)
    assert doc["overall"]["base_rate"] == pytest.approx((frame["defaulted"] == "yes").mean())
    assert run.report == out / "index.html"
    # the user's adverse value is kept as given (it was recoded to True before)
    assert doc["meta"]["positive"] == "yes" and run.result.positive == "yes"
    assert doc["meta"]["values"]["label"] == {"adverse": "yes", "other": "no"}
    # one reference per attribute, resolved once by the one rule (largest group) and used by
    # metrics, explanations and case files alike
    largest = {a: frame[a].value_counts().idxmax() for a in ("gender", "district")}
    assert {a: doc["attributes"][a]["reference"] for a in largest} == largest
    assert {a: doc["explain"]["attributes"][a]["reference"] for a in largest} == largest
    assert doc["cases"]["reference"] == largest
    assert doc["meta"]["label_kind"] == "observed" and doc["verdict"]["outcome"] is not None


def test_run_on_data_refuses_a_positive_value_that_never_occurs(user_data, tmp_path):
    _, model, data = user_data
    with pytest.raises(SchemaError, match=r"positive \(adverse\) value 1"):
        run_on_data(str(model), data, label="defaulted", protected=["gender"], out=tmp_path / "x")
    assert not (tmp_path / "x").exists()


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "audit", *args], capture_output=True, text=True, timeout=600
    )


def test_cli_demo_exits_0_and_prints_headline(tmp_path):
    out = tmp_path / "demo"
    proc = _cli("demo", "--n", "3000", "--seed", "1", "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert "people audited" in proc.stdout
    assert (out / "index.html").is_file()


def test_cli_run_missing_column_exits_2_and_writes_nothing(user_data, tmp_path):
    _, model, data = user_data
    out = tmp_path / "r"
    proc = _cli(
        "run", "--scorer", str(model), "--data", str(data), "--label", "defaulted",
        "--positive", "yes", "--protected", "gender,religion", "--out", str(out), "--no-progress",
    )  # fmt: skip
    assert proc.returncode == 2
    assert "religion" in proc.stderr
    assert not out.exists()


@pytest.fixture
def decisions_csv(tmp_path):
    rng = np.random.default_rng(5)
    n = 2_000
    frame = pd.DataFrame(
        {
            "defaulted": rng.choice(["yes", "no"], n, p=[0.2, 0.8]),
            "blacklisted": rng.choice(["yes", "no"], n, p=[0.1, 0.9]),
            "region": rng.choice(["east", "west"], n),
        }
    )
    path = tmp_path / "decisions.csv"
    frame.to_csv(path, index=False)
    return frame, path


def test_decisions_file_gets_case_files_against_the_recorded_label(decisions_csv, tmp_path):
    frame, path = decisions_csv
    out = tmp_path / "r"
    result = run_on_decisions(
        path,
        label="defaulted",
        decision="blacklisted",
        protected=["region"],
        positive="yes",
        out=out,
        progress=False,
    )
    cases = result.to_dict()["cases"]
    wrongful = (frame.blacklisted == "yes") & (frame.defaulted == "no")
    assert cases["label_kind"] == "observed"
    assert cases["n_wrongful"] == int(wrongful.sum())
    assert cases["count"]["region"]["west"] == int((wrongful & (frame.region == "west")).sum())
    assert len(pd.read_csv(out / "cases.csv")) == cases["n_case_files"] > 0
    # the file's name, never its local path, in any file of the report
    assert result.to_dict()["meta"]["source"] == "decisions.csv"
    for name in ("index.html", "summary.md", "audit.json", "cases.csv"):
        assert str(tmp_path) not in (out / name).read_text("utf-8"), name


def test_cli_unwritable_out_exits_2_not_1(decisions_csv, tmp_path):
    _, path = decisions_csv
    (tmp_path / "a-file").write_text("")
    proc = _cli(
        "csv", str(path), "--label", "defaulted", "--decision", "blacklisted",
        "--protected", "region", "--positive", "yes", "--out", str(tmp_path / "a-file" / "r"),
        "--no-progress",
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and "a-file" in proc.stderr


def test_decisions_file_too_big_for_case_files_says_so(decisions_csv, tmp_path):
    _, path = decisions_csv
    result = run_on_decisions(
        path,
        label="defaulted",
        decision="blacklisted",
        protected=["region"],
        positive="yes",
        out=tmp_path / "r",
        max_rows_for_cases=100,
        progress=False,
    )
    assert "exceed max_rows_for_cases=100" in result.to_dict()["cases"]["note"]
    assert not (tmp_path / "r" / "cases.csv").exists()


def test_run_on_data_refuses_a_scorer_that_reads_a_protected_column(user_data, tmp_path):
    """The contract check sees the protected columns, so a scorer that uses them is caught."""
    frame, _, data = user_data

    class Peeking:
        feature_names = ["income", "debts"]
        threshold = 600.0

        def score(self, X):
            bonus = 50.0 * (X["gender"] == "m").to_numpy() if "gender" in X.columns else 0.0
            return np.clip(650.0 - 40.0 * X["debts"].to_numpy() + bonus, 350, 950)

        def decide(self, X):
            return self.score(X) < self.threshold

    with pytest.raises(AuditError, match="protected"):
        run_on_data(
            Peeking(), data, label="defaulted", positive="yes", protected=["gender"],
            out=tmp_path / "never", progress=False,
        )  # fmt: skip
    assert not (tmp_path / "never").exists()
