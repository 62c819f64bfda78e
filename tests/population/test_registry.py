"""A bias mechanism is declared once, in the registry, and everything else follows from it.

Shown with a mechanism that exists only in this test (`RandomNoise`, ``test_noise``: a random 1 %
of people recorded as defaulters), registered here and used through a scenario TOML: it is
validated, generated, carries its ``trace_test_noise`` column, and the case files and the counts by
cause tag the people it wrongly blacklisted with the failure mode it declares.

A real new mechanism touches (nothing else lists mechanisms):

1. ``audit/population/_mechanisms.py``: one ``@register`` class like `RandomNoise` below: its table's
   fields, name, description, failure mode, precedence, linked features, columns, noise streams and
   ``apply`` (``writes_records = False`` plus an engine hook for one acting inside the causal model);
2. the scenario TOMLs in ``datasets/``: its ``[mechanisms.<name>]`` table (every scenario declares
   every mechanism; ``fair.toml`` keeps it at magnitude 0, as the control);
3. ``datasets/README.md``: its row in the datasheet's table of mechanisms.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pytest
from pydantic import Field

from audit.cases import build_case_files, failure_mode_of, select_cases
from audit.exceptions import InvalidInputError, SpecError
from audit.population import MECHANISM_NAMES, load_spec, make_population
from audit.population._mechanisms import record_default
from audit.population._registry import REGISTRY, Mechanism, register

from .conftest import DATASETS


class RandomNoise(Mechanism):
    """Records a random share ``magnitude`` of people as defaulters (test only)."""

    name = "test_noise"
    doc = "Test only: a random share of people recorded as defaulters, whatever their records."
    failure_mode = "random noise"
    precedence = 5  # before every built-in one: it names the cause when it touched someone
    streams = ("mech:test_noise:touch",)

    magnitude: Annotated[float, Field(ge=0, le=1)]

    def apply(self, ctx) -> None:
        touched = ctx.uniform("mech:test_noise:touch") < self.magnitude
        record_default(ctx, touched)
        ctx.traces["test_noise"] = touched


@pytest.fixture
def noise_registered():
    register(RandomNoise)
    yield
    del REGISTRY["test_noise"]


@pytest.fixture
def noisy_toml(tmp_path):
    """fair.toml with the test mechanism on, touching 1 % of people."""
    path = tmp_path / "noisy.toml"
    text = (DATASETS / "fair.toml").read_text().replace('name = "fair"', 'name = "noisy"')
    path.write_text(text + "\n[mechanisms.test_noise]\nmagnitude = 0.01\n")
    return path


def test_a_registered_mechanism_is_generated_with_its_trace(noise_registered, noisy_toml):
    pop = make_population(noisy_toml, n=50_000, seed=3)
    f = pop.frame
    assert pop.traces[-1] == "trace_test_noise" and f["trace_test_noise"].dtype == bool
    touched = f["trace_test_noise"].to_numpy()
    assert abs(touched.mean() - 0.01) < 4 * np.sqrt(0.01 * 0.99 / len(f))
    assert (f.loc[touched, "observed"] == 1).all()  # it wrote records
    assert (f.loc[~touched, "observed"] == f.loc[~touched, "truth"]).all()  # nothing else did
    info = pop.mechanisms["test_noise"]
    assert info["failure_mode"] == "random noise" and info["precedence"] == 5
    assert info["touched"] == touched.sum() and info["description"] == RandomNoise.doc


def test_the_case_files_tag_it_with_its_declared_failure_mode(noise_registered, noisy_toml):
    pop = make_population(noisy_toml, n=50_000, seed=3)
    f = pop.frame
    blacklisted = f["trace_test_noise"].to_numpy()  # a scorer that believes the noisy records
    sel = select_cases(
        f,
        blacklisted,
        protected=pop.protected,
        reference=pop.reference,
        mechanism_info=pop.mechanisms,
    )
    cases = build_case_files(sel, f, mechanism_info=pop.mechanisms)
    assert len(cases.table) > 0
    assert set(cases.table["failure_mode"]) == {"random noise"}
    assert set(cases.table["mechanisms"]) == {"test_noise"}
    # the counts by cause use the same declarations: its failure mode, first in precedence (5)
    d = sel.section
    wrongful = int((blacklisted & (f["truth"] == 0).to_numpy()).sum())
    assert d["by_cause_total"]["random noise"] == d["n_wrongful"] == wrongful > 0
    assert d["mechanisms"][0] == "test_noise" and d["taxonomy"]["test_noise"] == "random noise"
    for attr in pop.protected:
        causes = {c for by_group in d["by_cause"][attr].values() for c in by_group}
        assert causes == {"random noise"}
    # without the population's declarations (real data with trace_ columns): the fallback table
    assert failure_mode_of("test_noise") == "other: test_noise"
    plain = select_cases(f, blacklisted, protected=pop.protected, reference=pop.reference)
    assert plain.section["by_cause_total"]["other: test_noise"] == wrongful


def test_every_scenario_must_then_declare_it(noise_registered):
    with pytest.raises(SpecError, match="mechanisms.test_noise: required key is missing"):
        load_spec("fair")


def test_registering_leaves_the_built_ins_alone(noise_registered):
    assert list(REGISTRY)[:-1] == list(MECHANISM_NAMES)
    assert "test_noise" not in MECHANISM_NAMES  # the public names list the built-in ones


def test_registration_checks_the_declaration():
    class Nameless(Mechanism):
        doc, failure_mode, precedence = "x", "y", 1

    class Undocumented(Mechanism):
        name = "undocumented"

    with pytest.raises(InvalidInputError, match="'name' of a mechanism must be lower_snake_case"):
        register(Nameless)
    with pytest.raises(InvalidInputError, match="must declare doc, failure_mode, precedence"):
        register(Undocumented)
    with pytest.raises(InvalidInputError, match="'label_bias' is already registered"):
        register(type("LabelBias2", (REGISTRY["label_bias"],), {}))
    assert "undocumented" not in REGISTRY
