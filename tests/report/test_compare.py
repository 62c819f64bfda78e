"""audit compare: deltas between two audits, and a flag when their methodology differs."""

import copy
import json
import subprocess
import sys

import pytest

from audit.exceptions import InvalidInputError
from audit.report import compare_audits, read_audit_json, write_comparison
from tests.report.htmlcheck import structural_problems


def changed_fields(deltas):
    return [m["field"] for m in deltas["methodology"] if m["changed"]]


def test_same_audit_has_no_changes(realistic):
    data, _ = realistic
    deltas = compare_audits(data, copy.deepcopy(data))
    assert not deltas["methodology_changed"]
    uyghur = deltas["groupings"]["ethnicity"]["groups"]["Uyghur"]
    assert uyghur["fpr"] == {"a": 0.177618, "b": 0.177618, "delta": 0.0}


def test_deltas_are_b_minus_a(realistic):
    a, _ = realistic
    b = copy.deepcopy(a)
    b["attributes"]["ethnicity"]["groups"]["Uyghur"]["fpr"] = 0.10
    b["overall"]["counts"]["fp"] = 50_000
    del b["attributes"]["ethnicity"]["groups"]["Hui"]
    deltas = compare_audits(a, b, labels=("before", "after"))
    uyghur = deltas["groupings"]["ethnicity"]["groups"]["Uyghur"]["fpr"]
    assert uyghur["a"] == 0.177618 and uyghur["b"] == 0.10
    assert uyghur["delta"] == pytest.approx(-0.077618)
    assert deltas["overall"]["wrongly_blacklisted"] == {"a": 52_751, "b": 50_000, "delta": -2_751}
    assert deltas["groupings"]["ethnicity"]["groups"]["Hui"] == {"only_in": "a"}
    assert deltas["labels"] == ["before", "after"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["meta"].update(label="observed"), "meta.label"),
        (lambda d: d["meta"].update(positive=0), "meta.positive"),
        (lambda d: d["meta"].update(min_group_size=100), "meta.min_group_size"),
        (lambda d: d["meta"].update(criterion="fpr_ratio"), "meta.criterion"),
        (lambda d: d.update(schema_version=2), "schema_version"),
        (lambda d: d["meta"].update(protected=["sex"]), "meta.protected"),
        (lambda d: d["attributes"]["ethnicity"].update(reference="Hui"), "reference.ethnicity"),
        (lambda d: d["thresholds"].update(impact_ratio=0.9), "thresholds"),
    ],
)
def test_changed_methodology_is_flagged(realistic, change, field):
    a, _ = realistic
    b = copy.deepcopy(a)
    change(b)
    deltas = compare_audits(a, b)
    assert deltas["methodology_changed"]
    assert changed_fields(deltas) == [field]


def test_criterion_names_that_mean_the_same_are_not_a_change(realistic):
    a, _ = realistic
    b = copy.deepcopy(a)
    b["meta"]["criterion"] = (
        "impact_ratio"  # the engine's "four_fifths" is the impact-ratio criterion
    )
    assert not compare_audits(a, b)["methodology_changed"]


def test_comparison_files(tmp_path, realistic, csv_data):
    data, _ = realistic
    index = write_comparison(csv_data, data, tmp_path, labels=("real.csv", "<b>synthetic</b>"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "compare.json",
        "index.html",
        "summary.md",
    ]
    html = index.read_text(encoding="utf-8")
    assert structural_problems(html) == []
    assert "<b>synthetic</b>" not in html and "&lt;b&gt;synthetic&lt;/b&gt;" in html
    assert "The methodology changed (Outcome label, Recorded label)" in html
    md = (tmp_path / "summary.md").read_text()
    assert md.startswith("# Comparison: real.csv → &lt;b&gt;synthetic&lt;/b&gt;")
    assert "Methodology changed (Outcome label, Recorded label)" in md


def test_read_audit_json_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="no such file"):
        read_audit_json(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(InvalidInputError, match="is not valid JSON"):
        read_audit_json(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[1]")
    with pytest.raises(InvalidInputError, match="is not an audit.json"):
        read_audit_json(tmp_path / "list.json")


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "audit", *map(str, args)], capture_output=True, text=True
    )


def test_cli(tmp_path, realistic):
    data, _ = realistic
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(data))
    changed = copy.deepcopy(data)
    changed["meta"]["min_group_size"] = 50
    b.write_text(json.dumps(changed))
    done = run_cli("compare", a, b, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "warning: methodology changed (Minimum group size)" in done.stderr
    assert (tmp_path / "out" / "index.html").exists()
    assert json.loads((tmp_path / "out" / "compare.json").read_text())["methodology_changed"]

    bad = run_cli("compare", a, tmp_path / "nope.json", "--out", tmp_path / "out2")
    assert bad.returncode == 2
    assert "nope.json: no such file" in bad.stderr
    assert not (tmp_path / "out2").exists()
