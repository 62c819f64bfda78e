"""audit compare: deltas between two audits, and a flag when their methodology differs."""

import copy
import json
import subprocess
import sys

import pytest

from audit.exceptions import InvalidInputError
from audit.report import compare_audits, read_audit_json, write_comparison
from audit.report._compare import compare_view
from tests.report.htmlcheck import structural_problems


def changed_fields(deltas):
    return [m["field"] for m in deltas["methodology"] if m["changed"]]


def test_same_audit_has_no_changes(realistic):
    data, _ = realistic
    deltas = compare_audits(data, copy.deepcopy(data))
    assert not deltas["methodology_changed"]
    uyghur = deltas["groupings"]["ethnicity"]["groups"]["Uyghur"]
    assert uyghur["fpr"] == {"a": 8920 / 50220, "b": 8920 / 50220, "delta": 0.0}
    assert uyghur["judged"]["fpr_ratio"] == {"a": "fail", "b": "fail"}
    assert deltas["verdict"]["a"] == deltas["verdict"]["b"] == "fail"


def test_deltas_are_b_minus_a(realistic):
    a, _ = realistic
    b = copy.deepcopy(a)
    b["attributes"]["ethnicity"]["groups"]["Uyghur"]["fpr"] = 0.10
    b["overall"]["counts"]["fp"] = 50_000
    del b["attributes"]["ethnicity"]["groups"]["Hui"]
    deltas = compare_audits(a, b, labels=("before", "after"))
    uyghur = deltas["groupings"]["ethnicity"]["groups"]["Uyghur"]["fpr"]
    assert uyghur["a"] == 8920 / 50220 and uyghur["b"] == 0.10
    assert uyghur["delta"] == pytest.approx(0.10 - 8920 / 50220)
    assert deltas["overall"]["wrongly_blacklisted"] == {"a": 52_758, "b": 50_000, "delta": -2_758}
    assert deltas["groupings"]["ethnicity"]["groups"]["Hui"] == {"only_in": "a"}
    assert deltas["labels"] == ["before", "after"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["meta"].update(label="observed"), "meta.label"),
        (lambda d: d["meta"].update(positive=0), "meta.positive"),
        (lambda d: d["meta"].update(min_group_size=100), "meta.min_group_size"),
        (lambda d: d["meta"].update(criteria=["fpr_ratio"]), "meta.criteria"),
        (lambda d: d["meta"].update(label_kind="observed"), "meta.label_kind"),
        (lambda d: d["meta"]["methods"].update(verdict="point estimates"), "meta.methods"),
        (
            lambda d: d["attributes"]["ethnicity"].update(reference_rule="largest"),
            "reference_rule.ethnicity",
        ),
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


def test_outcomes_and_criteria_are_compared(realistic):
    a, _ = realistic
    b = copy.deepcopy(a)
    b["verdict"]["outcome"] = "inconclusive"
    b["verdict"]["criteria"]["fpr_ratio"].update(outcome="inconclusive", fail=0, inconclusive=17)
    b["attributes"]["ethnicity"]["groups"]["Uyghur"]["judged"]["fpr_ratio"]["outcome"] = (
        "inconclusive"
    )
    deltas = compare_audits(a, b)
    assert deltas["verdict"]["a"] == "fail" and deltas["verdict"]["b"] == "inconclusive"
    fpr = deltas["verdict"]["criteria"]["fpr_ratio"]
    assert fpr["a"] == {"outcome": "fail", "fail": 14, "inconclusive": 3, "pass": 2}
    assert fpr["b"] == {"outcome": "inconclusive", "fail": 0, "inconclusive": 17, "pass": 2}
    assert list(deltas["verdict"]["criteria"]) == ["four_fifths", "adverse_ratio", "fpr_ratio"]
    view = compare_view(deltas)
    verdicts = [[c["text"] for c in r] for r in view["verdict"]["rows"]]
    assert verdicts[0] == ["Verdict", "FAIL", "INCONCLUSIVE"]
    assert ["Wrongful blacklisting ratio", "FAIL", "INCONCLUSIVE"] in verdicts
    assert ["Wrongful blacklisting ratio: fail comparisons", "14", "0"] in verdicts
    changed = [[c["text"] for c in r] for r in view["judgements"]["rows"]]
    assert changed == [
        ["ethnicity", "Uyghur", "Wrongful blacklisting ratio", "FAIL", "INCONCLUSIVE"]
    ]
    assert compare_view(compare_audits(a, copy.deepcopy(a)))["judgements"] is None


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
    assert "The methodology changed (Outcome label, Kind of label, Recorded label)" in html
    md = (tmp_path / "summary.md").read_text()
    assert md.startswith("# Comparison: real.csv → &lt;b&gt;synthetic&lt;/b&gt;")
    assert "Methodology changed (Outcome label, Kind of label, Recorded label)" in md
    assert "- Verdict: FAIL → FAIL" in md
    assert "- Wrongful blacklisting ratio: FAIL → FAIL" in md


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
