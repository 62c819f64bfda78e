"""write_report: the files, their content, atomic replacement, and errors that name the field."""

import json
import math
from dataclasses import dataclass, field

import pandas as pd
import pytest

import audit
from audit.exceptions import InvalidInputError
from audit.report import write_report
from tests.report.htmlcheck import structural_problems


@dataclass(frozen=True)
class Result:
    """Duck-typed like audit.metrics.AuditResult: the report only needs to_dict() and tables."""

    data: dict
    tables: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return json.loads(json.dumps(self.data))


def test_writes_the_four_files(tmp_path, small):
    data, tables = small
    index = write_report(Result(data, tables), tmp_path / "out")
    assert index == tmp_path / "out" / "index.html"
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "audit.json",
        "cases.csv",
        "index.html",
        "summary.md",
    ]  # no temp dir left behind
    text = (tmp_path / "out" / "audit.json").read_text(encoding="utf-8")
    assert json.loads(text) == data
    assert (
        text == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    )
    assert (
        pd.read_csv(tmp_path / "out" / "cases.csv")["case_id"].tolist()
        == tables["cases"]["case_id"].tolist()
    )


def test_top_level_export():
    assert audit.write_report is write_report


def test_tables_argument_overrides_result_tables(tmp_path, small):
    data, tables = small
    other = pd.DataFrame({"case_id": ["Z-1"], "reasons": ["x"], "score": [1.0]})
    write_report(Result(data, tables), tmp_path, tables={"cases": other})
    assert (tmp_path / "cases.csv").read_text() == "case_id,reasons,score\nZ-1,x,1.0\n"


def test_plain_dict_without_tables_and_stale_cases_removed(tmp_path, small):
    data, tables = small
    write_report(data, tmp_path, tables=tables)
    (tmp_path / "keep.txt").write_text("not ours")
    write_report(data, tmp_path)
    assert not (tmp_path / "cases.csv").exists()  # would describe another audit
    assert (tmp_path / "keep.txt").read_text() == "not ours"


def test_failure_leaves_previous_report_untouched(tmp_path, small):
    data, tables = small
    write_report(data, tmp_path, tables=tables)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    broken = json.loads(json.dumps(data))
    broken["meta"]["n"] = math.nan
    with pytest.raises(InvalidInputError, match=r"audit\.meta\.n is nan"):
        write_report(broken, tmp_path, tables=tables)
    with pytest.raises(InvalidInputError, match="'cases' table must be a pandas DataFrame"):
        write_report(data, tmp_path, tables={"cases": [1, 2]})
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_errors_name_the_field():
    with pytest.raises(
        InvalidInputError, match=r"audit\.overall\.counts must be a plain JSON value.*ndarray"
    ):
        import numpy as np

        write_report(
            {"schema_version": 1, "overall": {"counts": np.zeros(2)}}, "/nonexistent/never"
        )
    with pytest.raises(InvalidInputError, match="must be an AuditResult .* Got int instead"):
        write_report(3, "/nonexistent/never")


def test_real_decisions_report(tmp_path, csv_data):
    index = write_report(csv_data, tmp_path)
    html = index.read_text(encoding="utf-8")
    assert structural_problems(html) == []
    assert "Not available: case files need a scorer" in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.json", "index.html", "summary.md"]
