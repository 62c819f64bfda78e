"""Scenario validation: every kind of error names the file, the key path, the bad value, the rule."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import audit
from audit.exceptions import InvalidInputError, SpecError
from audit.population import MECHANISM_NAMES, load_spec
from audit.population._spec import builtin_path

from .conftest import DATASETS, scenario


def spec_error(data: dict) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec(data)
    return info.value


def edit(change) -> dict:
    data = scenario("sesame")
    change(data)
    return data


def test_shipped_scenarios_load():
    sesame, fair = load_spec("sesame"), load_spec("fair")
    assert sesame.name == "sesame" and fair.name == "fair"
    assert list(sesame.protected) == ["ethnicity", "sex", "age_band", "registration", "region"]
    assert sesame.protected["ethnicity"] == "Han"
    assert sesame.source == str(DATASETS / "sesame.toml")
    # the [scorer] table is carried through untouched, as a plain dict
    assert sesame.scorer["threshold"] == 500
    assert [r["when"] for r in sesame.scorer["rules"]] == ["speech_flag", "court_listed"]
    assert [r["when"] for r in fair.scorer["rules"]] == ["court_listed"]


def test_fair_is_sesame_with_every_knob_at_zero():
    sesame, fair = scenario("sesame"), scenario("fair")
    assert fair["nodes"] == sesame["nodes"]
    assert fair["protected"] == sesame["protected"]
    for name in MECHANISM_NAMES:
        assert fair["mechanisms"][name]["magnitude"] == 0
        assert sesame["mechanisms"][name]["magnitude"] > 0
        other = {
            k: v for k, v in fair["mechanisms"][name].items() if k not in ("magnitude", "note")
        }
        assert other == {
            k: v for k, v in sesame["mechanisms"][name].items() if k not in ("magnitude", "note")
        }


def test_builtin_scenarios_resolve_from_any_working_directory(tmp_path):
    code = (
        "from audit import make_population; "
        "print(make_population('sesame', n=10).spec.source); "
        "print(make_population('fair', n=10).spec.name)"
    )
    # the package under test, not whichever one is installed (a git worktree has its own)
    env = {**os.environ, "PYTHONPATH": str(Path(audit.__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == [str(builtin_path("sesame")), "fair"]


def test_dict_round_trip_gives_an_equal_scenario():
    s = load_spec("sesame")
    again = load_spec(s.to_dict())
    assert again.to_dict() == s.to_dict()
    assert again.source is None
    assert load_spec(s) is s


def test_a_scenario_pickles_as_its_dict():
    # the [mechanisms] model is made from the registry at run time, so a scenario pickles as data
    s = load_spec("sesame")
    again = pickle.loads(pickle.dumps(s))
    assert again == s and again.source == s.source
    assert again.mechanisms.surveillance.targets == ["late_bike_returns", "drunk_driving"]


def test_spec_from_file_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    text = (
        (DATASETS / "fair.toml").read_text().replace("shares = [0.49, 0.51]", "shares = [0.5, 0.4]")
    )
    path.write_text(text)
    err = spec_error_from(path)
    assert err.path == str(path)
    assert err.key == "nodes.sex.shares"
    assert str(err).startswith(f"{path}: nodes.sex.shares: shares must sum to 1 (they sum to 0.9)")


def spec_error_from(path) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return info.value


def test_invalid_toml_syntax(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("name = 'x'\n[nodes\n")
    err = spec_error_from(path)
    assert err.path == str(path) and "not valid TOML" in str(err) and "line 2" in str(err)


def test_unknown_scenario_name_or_path():
    with pytest.raises(SpecError, match="no scenario file at 'sesame2'.*sesame, fair"):
        load_spec("sesame2")
    with pytest.raises(SpecError, match="got int"):
        load_spec(3)
    assert issubclass(SpecError, InvalidInputError)


# (change, expected key, fragments the message must contain)
CASES = {
    "unknown top-level key": (
        lambda d: d.update(colour="red"),
        "colour",
        ["unknown key 'colour'", "expected one of: description, mechanisms, name"],
    ),
    "unknown node key": (
        lambda d: d["nodes"]["sex"].update(colour=1),
        "nodes.sex.colour",
        ["unknown key 'colour'", "categories", "shares"],
    ),
    "unknown mechanism key": (
        lambda d: d["mechanisms"]["label_bias"].update(strength=1),
        "mechanisms.label_bias.strength",
        ["unknown key 'strength'", "magnitude", "weights"],
    ),
    "unknown mechanism": (
        lambda d: d["mechanisms"].update(feedback={"magnitude": 1.0}),
        "mechanisms.feedback",
        ["unknown key 'feedback'", "label_bias"],
    ),
    "shares not summing to 1": (
        lambda d: d["nodes"]["ethnicity"].update(shares=[0.8, 0.07, 0.06, 0.05]),
        "nodes.ethnicity.shares",
        ["shares must sum to 1 (they sum to 0.98)", "got [0.8, 0.07, 0.06, 0.05]"],
    ),
    "conditional shares not summing to 1": (
        lambda d: d["nodes"]["latent_name_group"]["given"].update(Hui=[0.9, 0.2]),
        "nodes.latent_name_group.given.Hui",
        ["sum to 1 (they sum to 1.1)"],
    ),
    "proxy shares not summing to 1": (
        lambda d: d["mechanisms"]["proxy"]["shares"]["region"].update(Uyghur=[0.5, 0.4, 0, 0]),
        "mechanisms.proxy.shares.region.Uyghur",
        ["sum to 1 (they sum to 0.9)"],
    ),
    "negative share": (
        lambda d: d["nodes"]["sex"].update(shares=[1.2, -0.2]),
        "nodes.sex.shares",
        ["shares must be >= 0", "-0.2"],
    ),
    "wrong number of shares": (
        lambda d: d["nodes"]["sex"].update(shares=[0.2, 0.3, 0.5]),
        "nodes.sex.shares",
        ["expected 2 shares (one per category); got 3"],
    ),
    "unknown parent in effects": (
        lambda d: d["nodes"]["truth"]["effects"].update(latent_trustt=-1.0),
        "nodes.truth.effects.latent_trustt",
        ["unknown parent 'latent_trustt'", "latent_trust"],
    ),
    "unknown parent of a categorical": (
        lambda d: d["nodes"]["latent_name_group"].update(parent="ethnicty"),
        "nodes.latent_name_group.parent",
        ["unknown parent 'ethnicty'", "ethnicity"],
    ),
    "unknown category in given": (
        lambda d: d["nodes"]["latent_name_group"]["given"].update(Uighur=[0.5, 0.5]),
        "nodes.latent_name_group.given.Uighur",
        ["'Uighur' is not a category of 'ethnicity'", "Uyghur"],
    ),
    "number for a categorical parent": (
        lambda d: d["nodes"]["truth"]["effects"].update(ethnicity=0.5),
        "nodes.truth.effects.ethnicity",
        ["parent 'ethnicity' is categorical", "{category = number}", "got 0.5"],
    ),
    "table for a numeric parent": (
        lambda d: d["nodes"]["truth"]["effects"].update(latent_trust={"a": 1.0}),
        "nodes.truth.effects.latent_trust",
        ["parent 'latent_trust' is numeric: give a number"],
    ),
    "cycle": (
        lambda d: d["nodes"]["latent_capital"].update(effects={"truth": 0.1}),
        "nodes.latent_trust",
        ["cycle: latent_trust → truth → latent_capital → latent_trust"],
    ),
    "self loop": (
        lambda d: d["nodes"]["latent_diligence"].update(effects={"latent_diligence": 0.1}),
        "nodes.latent_diligence",
        ["cycle: latent_diligence → latent_diligence"],
    ),
    "cycle through a mechanism": (
        lambda d: d["nodes"]["ethnicity"].update(parent="region"),
        "nodes.region",
        ["cycle: region → ethnicity → region"],
    ),
    "proxy target with its own parent": (
        lambda d: d["nodes"]["region"].update(parent="latent_name_group", given={}),
        "mechanisms.proxy.shares.region",
        ["already has a parent"],
    ),
    "negative magnitude": (
        lambda d: d["mechanisms"]["label_bias"].update(magnitude=-0.1),
        "mechanisms.label_bias.magnitude",
        ["greater than or equal to 0", "got -0.1"],
    ),
    "proxy magnitude above 1": (
        lambda d: d["mechanisms"]["proxy"].update(magnitude=1.5),
        "mechanisms.proxy.magnitude",
        ["less than or equal to 1", "got 1.5"],
    ),
    "negative standard deviation": (
        lambda d: d["nodes"]["latent_capital"].update(sd=-1.0),
        "nodes.latent_capital.sd",
        ["greater than or equal to 0", "got -1.0"],
    ),
    "no friends": (
        lambda d: d["mechanisms"]["association"].update(friends=0),
        "mechanisms.association.friends",
        ["greater than or equal to 1", "got 0"],
    ),
    "negative probability weight": (
        lambda d: d["mechanisms"]["label_bias"]["weights"]["ethnicity"].update(Hui=-0.4),
        "mechanisms.label_bias.weights.ethnicity.Hui",
        ["must be >= 0", "got -0.4"],
    ),
    "weight for an unknown category": (
        lambda d: d["mechanisms"]["label_bias"]["weights"]["ethnicity"].update(Uighur=1.0),
        "mechanisms.label_bias.weights.ethnicity.Uighur",
        ["'Uighur' is not a category of 'ethnicity'", "Uyghur"],
    ),
    "magnitude that touches no one": (
        lambda d: d["mechanisms"]["label_bias"].update(weights={}),
        "mechanisms.label_bias",
        ["touch no one"],
    ),
    "string instead of number": (
        lambda d: d["mechanisms"]["label_bias"].update(magnitude="0.04"),
        "mechanisms.label_bias.magnitude",
        ["valid number", "got '0.04'"],
    ),
    "string instead of list": (
        lambda d: d["nodes"]["sex"].update(categories="female, male"),
        "nodes.sex.categories",
        ["valid list", "got 'female, male'"],
    ),
    "string share": (
        lambda d: d["nodes"]["sex"].update(shares=[0.49, "0.51"]),
        "nodes.sex.shares",
        ["array of numbers"],
    ),
    "bool for a number": (
        lambda d: d["nodes"]["truth"].update(intercept=True),
        "nodes.truth.intercept",
        ["valid number", "got True"],
    ),
    "unknown node kind": (
        lambda d: d["nodes"]["sex"].update(kind="dirichlet"),
        "nodes.sex",
        ["unknown node kind 'dirichlet'", "categorical, gaussian"],
    ),
    "missing kind": (
        lambda d: d["nodes"]["sex"].pop("kind"),
        "nodes.sex",
        ["needs a 'kind'"],
    ),
    "missing mechanism": (
        lambda d: d["mechanisms"].pop("association"),
        "mechanisms.association",
        ["required key is missing"],
    ),
    "reference group not a category": (
        lambda d: d["protected"].update(ethnicity="Hann"),
        "protected.ethnicity",
        ["reference group 'Hann' is not a category of 'ethnicity'"],
    ),
    "protected attribute not categorical": (
        lambda d: d["protected"].update(education="university"),
        "protected.education",
        ["must be a categorical node", "ordinal"],
    ),
    "categorical feature": (
        lambda d: d["nodes"].update(
            colour={"kind": "categorical", "categories": ["red"], "shares": [1.0]}
        ),
        "nodes.colour",
        ["protected attribute or hidden"],
    ),
    "reserved column name": (
        lambda d: d["nodes"].update(speech_flag={"kind": "bernoulli"}),
        "nodes.speech_flag",
        ["the generator writes itself"],
    ),
    "no truth": (
        lambda d: d["nodes"]["truth"].update(kind="poisson"),
        "nodes.truth",
        ["bernoulli node 'truth'"],
    ),
    "mechanism target of the wrong kind": (
        lambda d: d["mechanisms"]["surveillance"].update(targets=["gaming_hours"]),
        "mechanisms.surveillance.targets.0",
        ["'gaming_hours' is gaussian", "poisson or bernoulli"],
    ),
    "mechanism target unknown": (
        lambda d: d["mechanisms"]["structural"].update(target="capital"),
        "mechanisms.structural.target",
        ["unknown node 'capital'"],
    ),
    "record mechanism on a hidden node": (
        lambda d: d["mechanisms"]["surveillance"].update(targets=["latent_court_judgment"]),
        "mechanisms.surveillance.targets.0",
        ["is not a feature"],
    ),
    "cutpoints not increasing": (
        lambda d: d["nodes"]["education"].update(cutpoints=[0.0, -1.0]),
        "nodes.education.cutpoints",
        ["strictly increasing", "got [0.0, -1.0]"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_validation_errors_name_key_value_and_rule(case):
    change, key, fragments = CASES[case]
    err = spec_error(edit(change))
    assert err.key == key, str(err)
    assert err.path is None
    for fragment in fragments:
        assert fragment in str(err), f"{fragment!r} not in {str(err)!r}"
    assert str(err).startswith(f"{key}: ")


def test_several_problems_are_counted():
    def change(d):
        d["nodes"]["sex"]["shares"] = "x"
        d["nodes"]["age_band"]["shares"] = "y"

    assert "(and 1 more problem(s))" in str(spec_error(edit(change)))


def test_builtin_scenarios_also_found_where_a_wheel_installs_them(tmp_path, monkeypatch):
    # a non-editable install has no datasets/ beside the package, but data-files under sys.prefix
    from audit.population import _spec

    shared = tmp_path / "share" / "social-credit-audit" / "datasets"
    shared.mkdir(parents=True)
    (shared / "sesame.toml").write_bytes((DATASETS / "sesame.toml").read_bytes())
    monkeypatch.setattr(_spec, "__file__", str(tmp_path / "site" / "audit" / "population" / "x.py"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    assert load_spec("sesame").source == str(shared / "sesame.toml")
    with pytest.raises(SpecError, match=r"no scenario file at 'fair'.*built-in scenarios are read"):
        load_spec("fair")


def test_mechanisms_run_in_registration_order():
    """One list, the registry: the spec's tables, the generator's order and the public names."""
    from audit.population._plan import Plan
    from audit.population._registry import REGISTRY

    spec = load_spec("sesame")
    assert [m.name for m in spec.mechanisms.all()] == list(REGISTRY) == list(MECHANISM_NAMES)
    assert [m.name for m in Plan(spec).record_mechanisms] == [
        "surveillance",
        "court_listing",
        "record_linkage",
        "political_speech",
        "association",
        "label_bias",
    ]
