"""The bias mechanisms: small functions, each with a magnitude knob (0 = off) and a per-person trace.

Two act inside the causal model, changing the true world (so counterfactual twins see them):

- `structural`  group shifts in socio-economic capital (assets, education, work);
- `proxy`       region / household registration drawn with group-dependent shares.

Six turn the finished true world into the records an institution holds, in this order:

- `surveillance`      minor infractions recorded at a group-dependent rate (rate * (1 + effect));
- `court_listing`     dishonest-debtor listing, with stale listings that stay after the debt was paid;
- `record_linkage`    mistaken identity: another person's debt merged on, rate by name group;
- `political_speech`  critical posts flagged (``speech_flag``) for the scorer's hypothetical rule;
- `association`       homophilous ties; friends' listings exposed as ``friends_listed_share``;
- `label_bias`        defaults over-recorded: true non-defaulters recorded as defaulters.

Every weighted mechanism uses one per-person effect,
``magnitude * (base + sum over attributes of weights[attr][person's category])``, read as a
probability (clipped to [0, 1]) except for `structural` (a shift) and `surveillance` (a relative
increase). Random numbers come only from ``ctx.uniform(stream)`` (fixed-size block noise), so a
twin reuses them. Cross-person mechanisms (`record_linkage`, `association`) read other people from
``ctx.world``, the factual block, so one person's twin never changes anybody else.

This module must not draw from a global random state, loop over people, or read files.
"""

from __future__ import annotations

import numpy as np

from audit.population._noise import categorical_ppf, poisson_ppf
from audit.population._plan import BlockContext

__all__ = ["DESCRIPTIONS", "RECORD_MECHANISMS", "GroupIndex", "effect", "proxy", "structural"]

DESCRIPTIONS = {
    "structural": "Group shifts in socio-economic capital (assets, education, employment). A real "
    "difference in the world, so it also moves the true outcome.",
    "proxy": "Region and household registration drawn with group-dependent shares, so they stand "
    "in for ethnicity.",
    "surveillance": "Differential surveillance: minor infractions recorded at a group-dependent "
    "rate (recorded rate = true rate x (1 + effect)).",
    "court_listing": "Dishonest-debtor court listing; a paid debt stays listed (stale listing) "
    "with a group-dependent probability.",
    "record_linkage": "Mistaken identity: another person's debt record (missed repayments and "
    "any listing) merged onto someone, at a rate depending on name group.",
    "political_speech": "Critical posts flagged as political speech (speech_flag), for the "
    "scorer's hypothetical political-speech penalty.",
    "association": "Guilt by association: homophilous social ties; the share of a person's "
    "friends on the court list is exposed as a feature.",
    "label_bias": "Label bias: people who in truth did not default are recorded as defaulters, "
    "at a group-dependent rate.",
}


def effect(ctx: BlockContext, mech) -> np.ndarray:
    """``magnitude * (base + sum of weights[attr][category])`` for each person of the context."""
    out = np.full(ctx.size, float(mech.base))
    for attr, table in mech.weights.items():
        out += ctx.plan.lookup(attr, table)[ctx.values[attr]]
    return mech.magnitude * out


# ------------------------------------------------------------------------------------------
# Inside the causal model
# ------------------------------------------------------------------------------------------


def structural(ctx: BlockContext, value: np.ndarray) -> np.ndarray:
    """Add the structural shift to the target node; trace = the shift is non-zero."""
    shift = effect(ctx, ctx.spec.mechanisms.structural)
    ctx.traces["structural"] |= shift != 0
    return value + shift


def proxy(ctx: BlockContext, node: str, u: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Draw a proxy target with shares ``(1 - m) base + m shares[group]``; trace = the category
    differs from the one the base shares give with the same noise."""
    cfg = ctx.spec.mechanisms.proxy
    m = cfg.magnitude
    mixed = {g: (1 - m) * base + m * np.asarray(s) for g, s in cfg.shares.get(node, {}).items()}
    cum = ctx.plan.share_table(cfg.by, base, mixed)
    codes = categorical_ppf(u, cum[ctx.values[cfg.by]])
    ctx.traces["proxy"] |= codes != categorical_ppf(u, np.cumsum(base)[None, :])
    return codes


# ------------------------------------------------------------------------------------------
# From the true world to records
# ------------------------------------------------------------------------------------------


def surveillance(ctx: BlockContext) -> None:
    """Record each target at rate ``true rate * (1 + effect)``, coupled to the true count."""
    cfg = ctx.spec.mechanisms.surveillance
    boost = 1.0 + effect(ctx, cfg)
    touched = np.zeros(ctx.size, dtype=bool)
    for target in cfg.targets:
        true = ctx.values[target]
        u = ctx.node_uniform[target]
        if ctx.spec.nodes[target].kind == "poisson":
            rec = poisson_ppf(u, ctx.rates[target] * boost)
        else:
            rec = (u < np.minimum(ctx.rates[target] * boost, 1.0)).astype(np.int64)
        ctx.records[target] = rec
        touched |= rec != true
    ctx.traces["surveillance"] = touched


def court_listing(ctx: BlockContext) -> None:
    """True listing = judgment and not paid; a paid debt stays listed with probability effect."""
    cfg = ctx.spec.mechanisms.court_listing
    judgment = ctx.values[cfg.judgment].astype(bool)
    paid = ctx.values[cfg.paid].astype(bool)
    true = judgment & ~paid
    stale = judgment & paid & (ctx.uniform("mech:court_listing:stale") < effect(ctx, cfg))
    ctx.values["latent_court_listed"] = true.astype(np.int64)
    ctx.records["court_listed"] = (true | stale).astype(np.int64)
    ctx.traces["court_listing"] = stale
    if cfg.records_default:
        record_default(ctx, stale)


def record_linkage(ctx: BlockContext) -> None:
    """Merge a donor's true debt record onto a person with probability effect.

    Donors are people of the (factual) block with a true debt record (missed repayments or a
    listing) sharing the person's ``same`` attribute (the name group), excluding the person.
    """
    cfg = ctx.spec.mechanisms.record_linkage
    world = ctx.world
    w_count = world.values[cfg.count]
    w_listed = world.values["latent_court_listed"]
    eligible = (w_count > 0) | (w_listed > 0)
    if cfg.same is None:
        w_key = np.zeros(world.size, dtype=np.int64)
        key = np.zeros(ctx.size, dtype=np.int64)
        nkeys = 1
    else:
        w_key, key = world.values[cfg.same], ctx.values[cfg.same]
        nkeys = len(ctx.plan.categories[cfg.same])
    event = ctx.uniform("mech:record_linkage:event") < effect(ctx, cfg)
    donor = GroupIndex(w_key, eligible, nkeys).pick(
        key, ctx.uniform("mech:record_linkage:donor"), ctx.sel
    )
    merged = event & (donor >= 0)
    d = np.where(merged, donor, 0)
    current = ctx.records.get(cfg.count, ctx.values[cfg.count])
    ctx.records[cfg.count] = current + np.where(merged, w_count[d], 0)
    ctx.records["court_listed"] = ctx.records["court_listed"] | (merged & (w_listed[d] > 0))
    ctx.traces["record_linkage"] = merged
    if cfg.records_default:
        record_default(ctx, merged)


def record_default(ctx: BlockContext, who: np.ndarray) -> None:
    """The institution's outcome record (``observed``) shows a default for ``who``, whatever truth is."""
    observed = ctx.records.get("observed", ctx.values["truth"])
    ctx.records["observed"] = np.where(who, 1, observed)


def political_speech(ctx: BlockContext) -> None:
    """Flag a person with at least one critical post with probability effect."""
    cfg = ctx.spec.mechanisms.political_speech
    posts = ctx.records.get(cfg.posts, ctx.values[cfg.posts])
    flag = (posts > 0) & (ctx.uniform("mech:political_speech:flag") < effect(ctx, cfg))
    ctx.records["speech_flag"] = flag.astype(np.int64)
    ctx.traces["political_speech"] = flag


def association(ctx: BlockContext) -> None:
    """Draw ``friends`` ties per person; each stays inside the person's group with probability
    effect (homophily), else goes to anyone in the block. Feature: share of friends listed.

    Trace: at least one friend drawn through homophily is on the court list.
    """
    cfg = ctx.spec.mechanisms.association
    world = ctx.world
    k = cfg.friends
    homophily = np.clip(effect(ctx, cfg), 0.0, 1.0)
    u_tie = ctx.uniform("mech:association:homophily", rows=k)
    u_pick = ctx.uniform("mech:association:pick", rows=k)
    u = u_pick.ravel()
    self_pos = np.tile(ctx.sel, k)
    same = (u_tie < homophily).ravel()
    # a tie to anyone in the block but oneself: uniform over the other positions
    friend = (u * (world.size - 1)).astype(np.int64)
    friend += friend >= self_pos
    # a homophilous tie: uniform over the other members of one's own group (if there are any)
    idx = np.flatnonzero(same)
    if idx.size:
        within = GroupIndex(world.values[cfg.by], None, len(ctx.plan.categories[cfg.by]))
        key = np.tile(ctx.values[cfg.by], k)[idx]
        inside = within.pick(key, u[idx], self_pos[idx])
        friend[idx] = np.where(inside >= 0, inside, friend[idx])
    friend = friend.reshape(k, ctx.size)
    listed = world.records["court_listed"][friend] > 0
    ctx.records["friends_listed_share"] = listed.sum(axis=0) / k
    ctx.traces["association"] = (listed & same.reshape(k, ctx.size)).any(axis=0)


def label_bias(ctx: BlockContext) -> None:
    """Record a non-defaulter (not already recorded as one) as a defaulter with probability effect."""
    cfg = ctx.spec.mechanisms.label_bias
    observed = ctx.records.get("observed", ctx.values["truth"])
    flip = (observed == 0) & (ctx.uniform("mech:label_bias:flip") < effect(ctx, cfg))
    ctx.records["observed"] = np.where(flip, 1, observed)
    ctx.traces["label_bias"] = flip


RECORD_MECHANISMS = (
    surveillance,
    court_listing,
    record_linkage,
    political_speech,
    association,
    label_bias,
)


class GroupIndex:
    """People of a block sorted by a group key, to draw a uniform member of any group in O(n log n).

    Parameters
    ----------
    keys : ndarray of int
        Group code of every person of the block (the world).
    eligible : ndarray of bool or None
        Who may be drawn (None = everybody).
    nkeys : int
        Number of group codes.
    """

    def __init__(self, keys: np.ndarray, eligible: np.ndarray | None, nkeys: int):
        keys = np.asarray(keys, dtype=np.int64)
        members = np.arange(keys.size) if eligible is None else np.flatnonzero(eligible)
        self.order = members[np.argsort(keys[members], kind="stable")]
        self.counts = np.bincount(keys[members], minlength=nkeys)
        self.starts = np.cumsum(self.counts) - self.counts
        self.rank = np.full(keys.size, -1, dtype=np.int64)
        self.rank[self.order] = np.arange(self.order.size)
        self.keys = keys

    def pick(self, key: np.ndarray, u: np.ndarray, self_pos: np.ndarray) -> np.ndarray:
        """A uniform member of group ``key`` other than ``self_pos`` (block position), or -1."""
        key = np.asarray(key, dtype=np.int64)
        count = self.counts[key]
        start = self.starts[key]
        rank = self.rank[self_pos]
        # is the person themself a candidate of that group? then draw among the others
        inside = (rank >= 0) & (self.keys[self_pos] == key)
        n_other = count - inside
        j = np.minimum((u * n_other).astype(np.int64), np.maximum(n_other - 1, 0))
        j = j + (inside & (start + j >= rank))
        ok = n_other > 0
        pos = np.where(ok, start + j, 0)
        if self.order.size == 0:
            return np.full(key.shape, -1, dtype=np.int64)
        return np.where(ok, self.order[np.minimum(pos, self.order.size - 1)], -1)
