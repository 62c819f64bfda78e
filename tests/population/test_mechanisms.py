"""Each bias mechanism moves its target by the configured size; with every knob at 0 records = truth.

Design: the fair control and the same scenario with ONE mechanism switched on share their seed, so
they share every exogenous draw. Differences between the two frames are then the mechanism's doing,
and expected sizes are computed by hand from the configured numbers (never from the generator).
Statistical tolerances are 4 standard errors of the estimate at the test's n (two blocks, 131,072
people): a correct generator fails one check with probability < 1e-4, and the seeds are fixed.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from audit.population import BLOCK_SIZE, make_population

from .conftest import scenario

N = 2 * BLOCK_SIZE
SEED = 5


@cache
def fair() -> pd.DataFrame:
    return make_population("fair", n=N, seed=SEED).frame


def switched_on(name: str, magnitude: float, nodes: dict | None = None, **settings) -> pd.DataFrame:
    data = scenario("fair")
    data["mechanisms"][name].update(magnitude=magnitude, **settings)
    for node, changes in (nodes or {}).items():
        data["nodes"][node].update(changes)
    return make_population(data, n=N, seed=SEED).frame


def rate_within(values, expected: float, k: float = 4.0) -> None:
    """The mean of 0/1 ``values`` is within k binomial standard errors of ``expected``."""
    values = np.asarray(values, dtype=float)
    se = np.sqrt(max(expected * (1 - expected), 1e-12) / values.size)
    assert abs(values.mean() - expected) < k * se, (values.mean(), expected, values.size)


def mean_zero(values, k: float = 4.0) -> None:
    """The mean of ``values`` is within k standard errors of 0."""
    values = np.asarray(values, dtype=float)
    se = values.std(ddof=1) / np.sqrt(values.size)
    assert abs(values.mean()) < k * se, (values.mean(), se)


def group(f: pd.DataFrame, attr: str, value: str) -> np.ndarray:
    return (f[attr] == value).to_numpy()


# ---------------------------------------------------------------------------------------------
# The control
# ---------------------------------------------------------------------------------------------


def test_with_every_knob_at_zero_records_equal_what_truth_implies():
    f = fair()
    np.testing.assert_array_equal(f["observed"], f["truth"])
    for name in ("late_bike_returns", "drunk_driving", "missed_repayments"):
        np.testing.assert_array_equal(f[name], f[f"latent_{name}"])
    np.testing.assert_array_equal(f["court_listed"], f["latent_court_listed"])
    judged, paid = f["latent_court_judgment"] == 1, f["latent_debt_paid"] == 1
    np.testing.assert_array_equal(f["court_listed"] == 1, judged & ~paid)
    assert (f["speech_flag"] == 0).all()
    for trace in [c for c in f.columns if c.startswith("trace_")]:
        assert not f[trace].any(), trace


def test_fair_groups_have_equal_distributions():
    f = fair()
    # region and registration independent of ethnicity (no proxy): chi-square test
    for attr in ("region", "registration"):
        table = pd.crosstab(f["ethnicity"], f[attr])
        assert stats.chi2_contingency(table).pvalue > 1e-4, attr
    # capital, truth and friends' listings: every group within 4 SE of the Han group
    han = group(f, "ethnicity", "Han")
    for g in ("Hui", "Uyghur", "Tibetan"):
        other = group(f, "ethnicity", g)
        for col in ("latent_capital", "truth", "missed_repayments", "friends_listed_share"):
            a, b = f.loc[han, col].astype(float), f.loc[other, col].astype(float)
            se = np.sqrt(a.var() / a.size + b.var() / b.size)
            assert abs(a.mean() - b.mean()) < 4 * se, (g, col)


# ---------------------------------------------------------------------------------------------
# In the true world: structural, proxy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("magnitude", [1.0, 2.0])
def test_structural_shifts_capital_by_the_configured_amount(magnitude):
    f0 = fair()
    f = switched_on("structural", magnitude)  # weights: Uyghur -0.5, Tibetan -0.5, Hui -0.25,
    #                                           rural-migrant -0.4 (from the TOML)
    expected = magnitude * (
        -0.25 * group(f, "ethnicity", "Hui")
        - 0.5 * group(f, "ethnicity", "Uyghur")
        - 0.5 * group(f, "ethnicity", "Tibetan")
        - 0.4 * group(f, "registration", "rural-migrant")
    )
    shift = f["latent_capital"].to_numpy(float) - f0["latent_capital"].to_numpy(float)
    np.testing.assert_allclose(shift, expected, atol=1e-5)  # float32 storage
    np.testing.assert_array_equal(f["trace_structural"], expected != 0)
    # a real difference: the true default rate of the shifted rises, non-descendants stay put
    assert f["truth"].mean() > f0["truth"].mean()
    np.testing.assert_array_equal(f["latent_diligence"], f0["latent_diligence"])
    np.testing.assert_array_equal(f["gaming_hours"], f0["gaming_hours"])


@pytest.mark.parametrize("magnitude", [0.5, 1.0])
def test_proxy_mixes_region_shares_toward_the_group_shares(magnitude):
    f0 = fair()
    f = switched_on("proxy", magnitude)
    base = np.array([0.42, 0.32, 0.14, 0.12])  # nodes.region.shares
    uyghur = np.array([0.04, 0.04, 0.02, 0.90])  # mechanisms.proxy.shares.region.Uyghur
    categories = ["east", "central", "southwest", "northwest"]
    for g, target in (("Uyghur", (1 - magnitude) * base + magnitude * uyghur), ("Han", base)):
        members = f.loc[group(f, "ethnicity", g), "region"]
        for category, p in zip(categories, target, strict=True):
            rate_within(members == category, p)
    # the trace marks exactly the people whose region or registration moved
    moved = (f["region"] != f0["region"]) | (f["registration"] != f0["registration"])
    np.testing.assert_array_equal(f["trace_proxy"], moved)
    assert not f.loc[group(f, "ethnicity", "Han"), "trace_proxy"].any()


# ---------------------------------------------------------------------------------------------
# From the world to records
# ---------------------------------------------------------------------------------------------


def test_surveillance_multiplies_recorded_infractions_by_one_plus_effect():
    f0 = fair()
    f = switched_on("surveillance", 1.0, weights={"ethnicity": {"Uyghur": 1.0}})
    watched = group(f, "ethnicity", "Uyghur")
    for name in ("late_bike_returns", "drunk_driving"):
        # the truth is untouched, and the unwatched are recorded exactly
        np.testing.assert_array_equal(f[f"latent_{name}"], f0[name])
        np.testing.assert_array_equal(f.loc[~watched, name], f.loc[~watched, f"latent_{name}"])
        # the watched: E[recorded] = (1 + 1.0) * E[true]
        rec = f.loc[watched, name].to_numpy(float)
        true = f.loc[watched, f"latent_{name}"].to_numpy(float)
        mean_zero(rec - 2.0 * true)
        assert (rec >= true).all()
    changed = (f["late_bike_returns"] != f["latent_late_bike_returns"]) | (
        f["drunk_driving"] != f["latent_drunk_driving"]
    )
    np.testing.assert_array_equal(f["trace_surveillance"], changed)


def test_court_listing_keeps_paid_debts_listed_at_the_configured_rate():
    judgments = {"latent_court_judgment": {"intercept": -1.5}}  # more cases: tighter test
    f = switched_on(
        "court_listing", 1.0, nodes=judgments, base=0.1, weights={"ethnicity": {"Uyghur": 0.4}}
    )
    judged, paid = f["latent_court_judgment"] == 1, f["latent_debt_paid"] == 1
    listed = f["court_listed"] == 1
    assert listed[judged & ~paid].all()  # unpaid judgments are always listed
    assert not listed[~judged].any()  # no judgment, no listing (linkage is off)
    uyghur = group(f, "ethnicity", "Uyghur")
    rate_within(listed[judged & paid & uyghur], 1.0 * (0.1 + 0.4))
    rate_within(listed[judged & paid & ~uyghur], 1.0 * 0.1)
    np.testing.assert_array_equal(f["trace_court_listing"], listed & paid)
    # records_default (on in the scenarios): the outcome record follows the stale listing
    stale, truth = f["trace_court_listing"].to_numpy(), f["truth"].to_numpy()
    np.testing.assert_array_equal(f["observed"], np.where(stale, 1, truth))
    assert stale.sum() > 1000 and (truth[stale] == 0).mean() > 0.5  # so it changes records


@pytest.mark.parametrize("mechanism", ["court_listing", "record_linkage"])
def test_wrong_records_leave_the_outcome_record_alone_without_records_default(mechanism):
    f = switched_on(mechanism, 1.0 if mechanism == "court_listing" else 0.05, records_default=False)
    assert f[f"trace_{mechanism}"].sum() > 100
    np.testing.assert_array_equal(f["observed"], f["truth"])


def test_record_linkage_merges_records_at_a_rate_set_by_name_group():
    f = switched_on(
        "record_linkage", 0.02, base=1.0, weights={"latent_name_group": {"transliterated": 4.0}}
    )
    traced = f["trace_record_linkage"].to_numpy()
    translit = group(f, "latent_name_group", "transliterated")
    rate_within(traced[translit], 0.02 * (1 + 4))
    rate_within(traced[~translit], 0.02 * 1)
    # a merge adds someone else's debt record; nobody else's records change
    added = f["missed_repayments"].astype(int) - f["latent_missed_repayments"]
    gained_listing = f["court_listed"] > f["latent_court_listed"]
    assert (added[~traced] == 0).all() and not gained_listing[~traced].any()
    # (a donor has missed repayments or a listing, so a merged person shows one or the other)
    assert ((added[traced] > 0) | (f["court_listed"][traced] == 1)).all()
    assert (added[traced] > 0).mean() > 0.9
    # records_default (on in the scenarios): the merged debt is recorded as this person's default
    np.testing.assert_array_equal(f["observed"], np.where(traced, 1, f["truth"]))


def test_political_speech_flags_critical_posters_at_the_configured_rate():
    f = switched_on("political_speech", 0.2, base=1.0, weights={"ethnicity": {"Uyghur": 2.0}})
    flag = f["speech_flag"] == 1
    posters = (f["critical_posts"] > 0).to_numpy()
    assert not flag[~posters].any()
    uyghur = group(f, "ethnicity", "Uyghur")
    rate_within(flag[posters & uyghur], 0.2 * (1 + 2))
    rate_within(flag[posters & ~uyghur], 0.2 * 1)
    np.testing.assert_array_equal(f["trace_political_speech"], flag)


@pytest.mark.parametrize("homophily", [0.0, 0.6])
def test_association_friends_share_follows_homophily(homophily):
    data = scenario("fair")
    # listings differ strongly by group, so homophily shows in friends' listings
    data["nodes"]["latent_court_judgment"]["intercept"] = -1.5
    data["mechanisms"]["court_listing"].update(
        magnitude=1.0, base=0.0, weights={"ethnicity": {"Uyghur": 1.0}}
    )
    data["mechanisms"]["association"].update(magnitude=homophily, base=1.0)
    f = make_population(data, n=N, seed=SEED).frame
    k = data["mechanisms"]["association"]["friends"]
    # exact expectation per person: a friend is drawn, other than oneself, from one's own
    # ethnic group in the block with probability h, else from the whole block
    listed = f["court_listed"].to_numpy(float)
    block = f["person_id"].to_numpy() // BLOCK_SIZE
    eth = f["ethnicity"].cat.codes.to_numpy()
    cell = block * 8 + eth
    c_block, n_block = np.bincount(block, listed), np.bincount(block)
    c_cell, n_cell = np.bincount(cell, listed), np.bincount(cell)
    own = (c_cell[cell] - listed) / (n_cell[cell] - 1)
    anyone = (c_block[block] - listed) / (n_block[block] - 1)
    expected = homophily * own + (1 - homophily) * anyone
    share = f["friends_listed_share"].to_numpy(float)
    assert np.allclose(share * k, np.round(share * k))  # a share of k friends
    for g in ("Han", "Uyghur"):
        members = group(f, "ethnicity", g)
        mean_zero(share[members] - expected[members])
    if homophily:
        uyghur = group(f, "ethnicity", "Uyghur")
        assert share[uyghur].mean() > 1.3 * share[~uyghur].mean()  # guilt by association
    traced = f["trace_association"].to_numpy()
    assert (share[traced] > 0).all()
    assert traced.any() == (homophily > 0)


@pytest.mark.parametrize("magnitude", [0.02, 0.05])
def test_label_bias_records_true_non_defaulters_as_defaulters(magnitude):
    f0 = fair()
    f = switched_on("label_bias", magnitude)  # weights: Hui 0.4, Uyghur 1.0, Tibetan 0.8
    np.testing.assert_array_equal(f["truth"], f0["truth"])  # the truth is untouched
    negatives = (f["truth"] == 0).to_numpy()
    observed = f["observed"].to_numpy()
    assert (observed[~negatives] == 1).all()
    for g, weight in (("Hui", 0.4), ("Uyghur", 1.0), ("Tibetan", 0.8)):
        rate_within(observed[negatives & group(f, "ethnicity", g)], magnitude * weight)
    assert (observed[negatives & group(f, "ethnicity", "Han")] == 0).all()
    np.testing.assert_array_equal(f["trace_label_bias"], observed != f["truth"].to_numpy())
