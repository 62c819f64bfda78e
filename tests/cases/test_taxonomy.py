"""The failure-mode taxonomy: the population's declarations first, the built-in table as fallback.

The cases stage never imports the generator; the generator publishes each mechanism's failure mode,
precedence and linked features in ``Population.mechanisms``. These tests check both sides agree, so
the fallback table (for real data with ``trace_`` columns) cannot drift from the registry.
"""

from __future__ import annotations

import pandas as pd

from audit.cases._taxonomy import (
    FAILURE_MODES,
    PRECEDENCE,
    failure_mode_of,
    linked_features,
    mechanism_order,
    primary_cause,
)
from audit.population import MECHANISM_NAMES, make_population
from audit.population._registry import REGISTRY


def test_the_fallback_table_agrees_with_the_registry():
    for name in MECHANISM_NAMES:
        kind = REGISTRY[name]
        assert FAILURE_MODES[name] == kind.failure_mode, name
        assert kind.precedence == 10 * (PRECEDENCE.index(name) + 1), name


def test_with_or_without_the_populations_info_the_built_ins_read_the_same():
    pop = make_population("sesame", n=2_000, seed=0)
    info = pop.mechanisms
    names = list(info)
    assert mechanism_order(names, info) == mechanism_order(names)
    assert [failure_mode_of(m, info) for m in names] == [failure_mode_of(m) for m in names]
    guess = {
        m: {k: v for k, v in meta.items() if k != "linked_features"} for m, meta in info.items()
    }
    assert linked_features(names, pop.features, info) == linked_features(names, pop.features, guess)
    traces = pop.frame[pop.traces]
    assert (primary_cause(traces, info=info) == primary_cause(traces)).all()


def test_declared_precedence_and_failure_mode_win():
    info = {
        "new": {"failure_mode": "fresh tag", "precedence": 1, "linked_features": ["a", "z"]},
        "court_listing": {"precedence": 99},
    }
    assert mechanism_order(["court_listing", "structural", "new", "unknown"], info) == [
        "new",
        "structural",
        "court_listing",
        "unknown",
    ]
    traces = pd.DataFrame({"trace_new": [True, False], "trace_court_listing": [True, True]})
    assert primary_cause(traces, info=info).tolist() == ["fresh tag", "stale data"]
    assert linked_features(["new"], ["a", "b"], info) == {"new": ["a"]}
