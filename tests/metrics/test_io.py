"""Reading CSV and Parquet in chunks: same bytes as in memory, clear errors with lines."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import InvalidInputError, SchemaError
from audit.metrics import audit_decisions, audit_file, validate_audit_json


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 2500
    y = (rng.random(n) < 0.25).astype(int)
    eth = rng.choice(["Han", "Hui", "Uyghur"], n, p=[0.6, 0.25, 0.15])
    score = np.clip(rng.normal(640, 80, n) - 50 * y - 40 * (eth == "Uyghur"), 350, 950)
    return pd.DataFrame(
        {
            "defaulted": y,
            "blacklisted": (score < 560).astype(int),
            "ethnicity": eth,
            "sex": rng.choice(["f", "m"], n),
            "score": score,  # not integers: tests float round-tripping through CSV
            "unrelated": rng.random(n),
        }
    )


KW = {"label": "defaulted", "decision": "blacklisted", "protected": ["ethnicity", "sex"],
      "score": "score", "source": "x"}  # fmt: skip


def test_csv_and_parquet_in_chunks_equal_in_memory(table, tmp_path):
    expected = audit_decisions(table, **KW).to_json()
    table.to_csv(tmp_path / "d.csv", index=False)
    table.to_parquet(tmp_path / "d.parquet", row_group_size=700)
    for name in ("d.csv", "d.parquet"):
        for chunk_size in (333, 10_000):
            got = audit_file(tmp_path / name, chunk_size=chunk_size, **KW).to_json()
            assert got == expected, (name, chunk_size)
    validate_audit_json(json.loads(expected))


def test_parquet_categoricals_and_booleans(table, tmp_path):
    t = table.assign(
        ethnicity=pd.Categorical(table.ethnicity),
        blacklisted=table.blacklisted.astype(bool),
        defaulted=table.defaulted.astype("int8"),
    )
    t.to_parquet(tmp_path / "c.parquet")
    got = audit_file(tmp_path / "c.parquet", chunk_size=1000, **KW).to_dict()
    want = audit_decisions(table, **KW).to_dict()
    assert got["attributes"] == want["attributes"]
    assert got["meta"]["data_sha256"] == want["meta"]["data_sha256"]  # dtype does not matter


def test_csv_parse_error_names_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("y,d,g\n1,0,a\n0,1,b\n1,1,a,EXTRA\n0,0,b\n")
    with pytest.raises(InvalidInputError, match=r"bad.csv.*line 4"):
        audit_file(path, label="y", decision="d", protected="g")


def test_missing_file_column_and_empty_file(tmp_path):
    with pytest.raises(InvalidInputError, match="does not exist"):
        audit_file(tmp_path / "nope.csv", label="y", decision="d", protected="g")
    path = tmp_path / "d.csv"
    path.write_text("y,d,group\n1,0,a\n")
    with pytest.raises(SchemaError, match=r"Column 'g' is required but not in .*'y', 'd', 'group'"):
        audit_file(path, label="y", decision="d", protected="g")
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(InvalidInputError, match="is empty"):
        audit_file(tmp_path / "e.csv", label="y", decision="d", protected="g")
    (tmp_path / "h.csv").write_text("y,d,g\n")
    with pytest.raises(InvalidInputError, match="0 rows"):
        audit_file(tmp_path / "h.csv", label="y", decision="d", protected="g")


def test_bad_value_in_a_later_chunk_names_its_row(tmp_path):
    frame = pd.DataFrame({"y": [1, 0] * 50, "d": [0, 1] * 50, "g": ["a", "b"] * 50})
    frame.loc[77, "d"] = 5
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(SchemaError, match=r"Column 'd' \(decision\).*0, 5"):
        audit_file(tmp_path / "d.csv", label="y", decision="d", protected="g", chunk_size=10)
    frame = frame.assign(d=[0, 1] * 50, s=500.0)
    frame.loc[63, "s"] = np.nan
    for name in ("s.csv", "s.parquet"):  # Parquet: read 10 rows at a time
        path = tmp_path / name
        frame.to_csv(path, index=False) if name.endswith("csv") else frame.to_parquet(path)
        with pytest.raises(SchemaError, match=r"first at row 63"):
            audit_file(path, label="y", decision="d", protected="g", score="s", chunk_size=10)


def test_protected_codes_stay_text_in_csv(tmp_path):
    frame = pd.DataFrame({"y": [1, 0] * 40, "d": [0, 1] * 40, "region": ["01", "02"] * 40})
    frame.to_csv(tmp_path / "d.csv", index=False)
    res = audit_file(tmp_path / "d.csv", label="y", decision="d", protected="region").to_dict()
    assert sorted(res["attributes"]["region"]["groups"]) == ["01", "02"]


def test_csv_scores_outside_the_first_chunk_grid_are_counted(tmp_path):
    n = 20_000  # several 64 kB blocks
    frame = pd.DataFrame({"y": [1, 0] * (n // 2), "d": [0, 1] * (n // 2), "g": ["a"] * n,
                          "s": [500.0] * (n - 1) + [1200.0]})  # fmt: skip
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.warns(UserWarning, match="1 score"):
        res = audit_file(tmp_path / "d.csv", label="y", decision="d", protected="g", score="s",
                         chunk_size=1000)  # fmt: skip
    assert res.to_dict()["meta"]["score_outside_grid"] == 1
