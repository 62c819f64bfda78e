"""Parquet save/load keeps frame, dtypes, scenario, seed; the CLI writes nothing on failure."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

import pandas as pd
import pyarrow.parquet as pq
import pytest

from audit.exceptions import InvalidInputError
from audit.population import load_population, make_population
from tests.cli import run_cli as run_in_process

from .conftest import DATASETS


def test_save_load_round_trip(tmp_path):
    pop = make_population("sesame", n=3_000, seed=4)
    path = pop.save(tmp_path / "pop.parquet")
    back = load_population(path)
    pd.testing.assert_frame_equal(back.frame, pop.frame, check_exact=True)
    assert back.seed == 4 and back.spec.to_dict() == pop.spec.to_dict()
    assert back.spec.scorer == pop.spec.scorer
    assert back.features == pop.features and back.interventions == {}
    assert [p.name for p in tmp_path.iterdir()] == ["pop.parquet"]  # no temporary file left
    meta = json.loads(pq.read_schema(path).metadata[b"audit.population"])
    assert meta["seed"] == 4 and meta["spec"]["name"] == "sesame" and meta["block_size"] == 65_536


def test_a_loaded_population_regenerates_the_same_twins(tmp_path):
    pop = make_population("sesame", n=2_000, seed=9)
    back = load_population(pop.save(tmp_path / "p.parquet"))
    rows = [0, 7, 1_999]
    pd.testing.assert_frame_equal(
        back.counterfactual(rows, ethnicity="Han").frame,
        pop.counterfactual(rows, ethnicity="Han").frame,
        check_exact=True,
    )
    twins = pop.counterfactual(rows, ethnicity="Han")
    again = load_population(twins.save(tmp_path / "t.parquet"))
    assert again.interventions == {"ethnicity": "Han"}
    pd.testing.assert_frame_equal(again.frame, twins.frame, check_exact=True)


def test_load_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="no population file at"):
        load_population(tmp_path / "missing.parquet")
    other = tmp_path / "other.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(other)
    with pytest.raises(InvalidInputError, match="has no population metadata"):
        load_population(other)
    text = tmp_path / "text.parquet"
    text.write_text("hello")
    with pytest.raises(InvalidInputError, match="not a Parquet file"):
        load_population(text)


def test_save_refuses_a_missing_folder(tmp_path):
    pop = make_population("fair", n=10, seed=0)
    with pytest.raises(InvalidInputError, match="folder .* does not exist"):
        pop.save(tmp_path / "no" / "pop.parquet")
    with pytest.raises(InvalidInputError, match="it is a folder"):
        pop.save(tmp_path)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """The real thing: `python -m audit population ...` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "audit", "population", *args], capture_output=True, text=True
    )


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_main(monkeypatch, capsys):
    """`audit population ...` through `audit.cli.main` in this process (fast; same exit codes)."""

    def run(*args: str) -> Done:
        return Done(*run_in_process(monkeypatch, capsys, "population", *args))

    return run


def test_cli_writes_the_population_and_prints_its_summary(tmp_path):
    out = tmp_path / "pop.parquet"
    spec = str(DATASETS / "fair.toml")
    done = run_cli("--spec", spec, "--n", "2000", "--seed", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Population 'fair': 2,000 people, seed 3" in done.stdout
    assert f"wrote {out}" in done.stdout
    assert "population fair" in done.stderr  # the progress bar
    pd.testing.assert_frame_equal(
        load_population(out).frame, make_population("fair", n=2_000, seed=3).frame
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--spec", "nope", "--n", "10"], "error: no scenario file at 'nope'"),
        (["--n", "0"], "Invalid value for '--n'"),
        (["--n", "10", "--seed", "-1"], "Invalid value for '--seed'"),
    ],
)
def test_cli_input_errors_exit_2_and_write_nothing(tmp_path, run_main, args, message):
    done = run_main(*args, "--out", str(tmp_path / "pop.parquet"))
    assert done.returncode == 2
    assert message in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_checks_the_output_folder_before_generating(tmp_path, run_main):
    done = run_main("--n", "10", "--out", str(tmp_path / "missing" / "pop.parquet"))
    assert done.returncode == 2
    assert f"folder '{tmp_path / 'missing'}' does not exist" in done.stderr
    assert "population sesame" not in done.stderr  # failed before the progress bar started


def test_cli_spec_error_names_file_and_key(tmp_path, run_main):
    bad = tmp_path / "bad.toml"
    bad.write_text((DATASETS / "fair.toml").read_text().replace("friends = 8", 'friends = "8"'))
    done = run_main("--spec", str(bad), "--n", "10", "--out", str(tmp_path / "p.parquet"))
    assert done.returncode == 2
    assert f"error: {bad}: mechanisms.association.friends: Input should be a valid integer" in (
        done.stderr
    )
    assert not (tmp_path / "p.parquet").exists()
