"""audit.json validates against the shipped JSON Schema; the schema rejects broken documents."""

from __future__ import annotations

import copy
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import InvalidInputError
from audit.metrics import audit_decisions, load_schema, validate_audit_json

LEVELS = {
    "ethnicity": ["Han", "Uyghur", "Hui", "Tibetan", "Zhuang", "Mongol"],
    "sex": ["female", "male"],
    "age_band": ["18-29", "30-44", "45-59", "60-74", "75+"],
    "registration": ["urban", "rural"],
    "region": ["north", "south", "east", "west", "centre"],
}


@pytest.fixture(scope="module")
def small() -> dict:
    rng = np.random.default_rng(1)
    n = 2000
    frame = pd.DataFrame({"sex": rng.choice(LEVELS["sex"], n), "y": rng.integers(0, 2, n),
                          "d": rng.integers(0, 2, n)})  # fmt: skip
    return audit_decisions(frame, label="y", decision="d", protected="sex").to_dict()


@pytest.fixture(scope="module")
def rich() -> dict:
    """Five protected attributes, a score, an observed label, unknowns, small groups."""
    rng = np.random.default_rng(9)
    n = 60_000
    frame = pd.DataFrame({k: rng.choice(v, n) for k, v in LEVELS.items()})
    frame.loc[rng.random(n) < 0.01, "ethnicity"] = None
    frame.loc[:20, "region"] = "island"  # a small group (21 people)
    y = rng.random(n) < 0.2
    frame["truth"] = y.astype(np.int8)
    frame["observed"] = (y | (rng.random(n) < 0.05)).astype(np.int8)
    frame["score"] = np.clip(rng.normal(650, 90, n) - 80 * y, 350, 950)
    frame["blacklisted"] = frame["score"] < 560
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return audit_decisions(
            frame,
            label="truth",
            decision="blacklisted",
            protected=list(LEVELS),
            positive=True,
            score="score",
            observed_label="observed",
            missing="unknown",
        ).to_dict()


def test_schema_is_a_valid_draft_2020_12_schema():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(load_schema())


def test_rich_output_validates_and_stays_well_under_a_megabyte(rich):
    validate_audit_json(rich)
    size = len(json.dumps(rich, sort_keys=True, separators=(",", ":")))
    # 5 attributes of up to 6 groups, 10 intersections (~200 groups), a score and an observed
    # label: every group carries its comparisons with the reference, with intervals
    assert size < 1_000_000, size
    assert rich["attributes"]["ethnicity"]["unknown"] > 0
    assert rich["attributes"]["region"]["groups"]["island"]["small"] is True


def test_minimal_output_and_extra_metrics_validate():
    frame = pd.DataFrame({"y": [1, 0] * 50, "d": [1, 1, 0, 0] * 25, "g": ["a", "b"] * 50})
    validate_audit_json(audit_decisions(frame, label="y", decision="d", protected="g").to_dict())
    extra = audit_decisions(frame, label="y", decision="d", protected="g",
                            extra_metrics={"n_adverse": lambda t, p: float(np.sum(p))})  # fmt: skip
    validate_audit_json(extra.to_dict())


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["attributes", "sex", "groups", "female", "fpr"], 1.5, "1.5 is greater than"),
        (["attributes", "sex", "groups", "female", "four_fifths"], "maybe", "'maybe'"),
        (["meta", "data_sha256"], "xyz", "xyz"),
        (["schema_version"], 2, "1 was expected"),
        (["attributes", "sex", "reference_rule"], "random", "random"),
    ],
)
def test_schema_rejects_broken_documents(small, path, value, message):
    doc = copy.deepcopy(small)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(InvalidInputError, match=message):
        validate_audit_json(doc)


def test_schema_requires_the_core_sections(small):
    doc = copy.deepcopy(small)
    del doc["verdict"]
    with pytest.raises(InvalidInputError, match="'verdict' is a required property"):
        validate_audit_json(doc)
    doc = copy.deepcopy(small)
    doc["x_later_stage"] = {"anything": [1, 2]}  # later stages add sections
    validate_audit_json(doc)
