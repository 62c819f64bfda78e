"""Golden snapshot: the small fixed report must render to exactly the stored bytes.

A difference means the page changed. When the change is intended (a template, a chart style, a new
matplotlib), regenerate and review the diff before committing:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/report/test_golden.py
    git diff --stat tests/report/golden/
"""

import difflib
import os
from pathlib import Path

import pytest

from audit.report import build_report
from tests.report.fixtures import small_result

GOLDEN = Path(__file__).parent / "golden"
FILES = ("index.html", "summary.md", "audit.json", "cases.csv")


@pytest.fixture(scope="module")
def rendered():
    data, tables = small_result()
    return build_report(data, tables=tables)


@pytest.mark.parametrize("name", FILES)
def test_matches_golden(rendered, name):
    path = GOLDEN / "small" / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered[name].encode("utf-8"))
        pytest.skip(f"rewrote {path}")
    assert path.exists(), f"no golden file {path}; run with UPDATE_GOLDEN=1 to create it"
    expected = path.read_bytes().decode("utf-8")
    if rendered[name] != expected:
        diff = difflib.unified_diff(
            expected.splitlines(),
            rendered[name].splitlines(),
            "golden",
            "rendered",
            n=1,
            lineterm="",
        )
        shown = "\n".join(line[:300] for line in list(diff)[:40])
        pytest.fail(f"{name} differs from {path} (UPDATE_GOLDEN=1 to accept):\n{shown}")
