"""`audit csv`: exit codes 0 / 1 / 2, outputs written whole or not at all."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from audit.metrics import validate_audit_json
from tests.cli import run_cli

run = run_cli


@pytest.fixture
def csv_path(tmp_path):
    rng = np.random.default_rng(1)
    n = 3000
    eth = rng.choice(["Han", "Uyghur", "Hui"], n, p=[0.6, 0.25, 0.15])
    y = (rng.random(n) < 0.2).astype(int)
    blacklisted = (rng.random(n) < np.where(eth == "Uyghur", 0.5, 0.15)).astype(int)
    path = tmp_path / "decisions.csv"
    pd.DataFrame({"defaulted": y, "blacklisted": blacklisted, "ethnicity": eth,
                  "sex": rng.choice(["f", "m"], n)}).to_csv(path, index=False)  # fmt: skip
    return path


BASE = ["--label", "defaulted", "--decision", "blacklisted", "--protected", "ethnicity,sex",
        "--no-progress"]  # fmt: skip


def test_violation_exits_1_and_writes_both_files(monkeypatch, capsys, csv_path, tmp_path):
    out = tmp_path / "report"
    code, stdout, _ = run(monkeypatch, capsys, "csv", str(csv_path), *BASE, "--out", str(out))
    assert code == 1
    assert "Verdict: FAIL" in stdout and "Uyghur" in stdout
    doc = json.loads((out / "audit.json").read_text())
    validate_audit_json(doc)
    assert doc["verdict"]["passed"] is False
    html = (out / "index.html").read_text()
    assert "Content-Security-Policy" in html and "Uyghur" in html
    assert sorted(p.name for p in out.parent.iterdir()) == ["decisions.csv", "report"]


def test_exit_code_is_the_verdict_threshold_configurable(monkeypatch, capsys, csv_path, tmp_path):
    """0 PASS, 3 INCONCLUSIVE: the same data judged against a wide and a narrower band."""
    out = tmp_path / "r"
    code, stdout, _ = run(monkeypatch, capsys, "csv", str(csv_path), *BASE, "--out", str(out),
                          "--min-impact-ratio", "0.3", "--reference", "ethnicity=Hui")  # fmt: skip
    doc = json.loads((out / "audit.json").read_text())
    assert doc["attributes"]["ethnicity"]["reference"] == "Hui"
    assert doc["thresholds"]["impact_ratio"] == 0.3
    assert doc["verdict"]["outcome"] == "pass" and code == 0, stdout
    # band 0.5-2: Uyghur's favourable rate (0.59 x Hui's) is inside, but some intervals straddle
    code, stdout, _ = run(monkeypatch, capsys, "csv", str(csv_path), *BASE, "--out", str(out),
                          "--min-impact-ratio", "0.5", "--reference", "ethnicity=Hui")  # fmt: skip
    doc = json.loads((out / "audit.json").read_text())
    assert doc["verdict"]["outcome"] == "inconclusive" and code == 3, stdout
    assert "Verdict: INCONCLUSIVE" in stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--reference", "ethnicity=Tibetan"], "'Tibetan' does not exist in 'ethnicity'"),
        (["--reference", "ethnicity"], "ATTR=GROUP"),
        (["--positive", "yes"], "positive='yes' cannot be matched"),
        (["--score", "nope"], "Column 'nope' is required"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(monkeypatch, capsys, csv_path, tmp_path, extra,
                                              message):  # fmt: skip
    out = tmp_path / "never"
    code, _, err = run(monkeypatch, capsys, "csv", str(csv_path), *BASE, "--out", str(out), *extra)
    assert code == 2
    assert message in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decisions.csv"]


def test_html_escapes_group_labels(monkeypatch, capsys, tmp_path):
    path = tmp_path / "x.csv"
    pd.DataFrame({"y": [1, 0] * 40, "d": [1, 0] * 40,
                  "g": ["<script>alert(1)</script>", "b&b"] * 40}).to_csv(path, index=False)  # fmt: skip
    out = tmp_path / "o"
    code, _, _ = run(monkeypatch, capsys, "csv", str(path), "--label", "y", "--decision", "d",
                     "--protected", "g", "--no-progress", "--out", str(out))  # fmt: skip
    assert code in (0, 1, 3)
    html = (out / "index.html").read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "b&amp;b" in html and "b&b" not in html
