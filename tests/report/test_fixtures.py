"""The report's fixtures are audit.json documents: each validates against the package's schema,
and each verdict agrees with the judged entries written into its groups."""

import json

import pytest

from audit.core import validate_audit_json
from tests.report.fixtures import (
    csv_result,
    inconclusive_result,
    pass_result,
    realistic_result,
    small_result,
)

FIXTURES = {
    "realistic": lambda: realistic_result()[0],
    "small": lambda: small_result()[0],
    "inconclusive": inconclusive_result,
    "pass": pass_result,
    "csv": csv_result,
}


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_follows_the_schema(name):
    validate_audit_json(json.loads(json.dumps(FIXTURES[name]())))


@pytest.mark.parametrize(
    ("name", "outcome"),
    [("realistic", "fail"), ("small", "fail"), ("inconclusive", "inconclusive"), ("pass", "pass")],
)
def test_verdict_agrees_with_the_groups(name, outcome):
    data = FIXTURES[name]()
    verdict = data["verdict"]
    assert verdict["outcome"] == outcome
    judged = [
        (crit, entry["outcome"])
        for kind in ("attributes", "intersections")
        for sec in data[kind].values()
        for g in sec["groups"].values()
        for crit, entry in g.get("judged", {}).items()
    ]
    assert len(judged) == verdict["family_size"]
    for crit, counts in verdict["criteria"].items():
        for k in ("pass", "fail", "inconclusive"):
            assert counts[k] == sum(1 for c, o in judged if c == crit and o == k)
    assert len(verdict["violations"]) == sum(1 for _, o in judged if o == "fail")
