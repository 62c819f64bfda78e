"""The built-in bias mechanisms: one registered class each, declaring its table, what it is and what it
does, with a magnitude knob (0 = off) and a per-person trace.

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

**Adding a mechanism** that writes records: one more registered class here (or in any module
imported with ``audit.population``), its ``[mechanisms.<name>]`` table in every scenario TOML, and its
row in the datasheets (``datasets/README.md``). The registry (``_registry``) does the rest: spec
validation, output columns, trace, ``Population.mechanisms`` and the case files' failure-mode tag.
Registration order is the order of application. A mechanism acting inside the causal model also
needs its hook in ``_engine._evaluate``.

This module must not draw from a global random state, loop over people, or read files.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from audit.population._noise import categorical_ppf, poisson_ppf
from audit.population._plan import BlockContext
from audit.population._registry import REGISTRY, Mechanism, SpecCheck, register
from audit.population._tables import Shares

__all__ = ["DESCRIPTIONS", "MECHANISM_NAMES", "GroupIndex", "Weighted"]


class Weighted(Mechanism):
    """Per-person effect = ``magnitude * (base + sum over attributes of weights[attr][category])``."""

    base: float = 0.0
    weights: dict[str, dict[str, float]] = Field(default_factory=dict)

    def effect(self, ctx: BlockContext) -> np.ndarray:
        """The effect for each person of the context."""
        out = np.full(ctx.size, float(self.base))
        for attr, table in self.weights.items():
            out += ctx.plan.lookup(attr, table)[ctx.values[attr]]
        return self.magnitude * out

    def check(self, check: SpecCheck) -> None:
        check.weights(self.name, self)


# ------------------------------------------------------------------------------------------
# Inside the causal model
# ------------------------------------------------------------------------------------------


@register
class Structural(Weighted):
    """Shift (in units of the node's scale) added to a gaussian node of the true world."""

    name = "structural"
    doc = (
        "Group shifts in socio-economic capital (assets, education, employment). A real "
        "difference in the world, so it also moves the true outcome."
    )
    failure_mode = "structural disadvantage"
    precedence = 80
    writes_records = False

    target: str

    def shift(self, ctx: BlockContext, value: np.ndarray) -> np.ndarray:
        """Add the structural shift to the target node; trace = the shift is non-zero."""
        shift = self.effect(ctx)
        ctx.traces["structural"] |= shift != 0
        return value + shift

    def check(self, check: SpecCheck) -> None:
        check.need("mechanisms.structural.target", self.target, ("gaussian",), "a gaussian node")
        check.weights(self.name, self, signed=True)

    def parents(self) -> dict[str, set[str]]:
        return {self.target: set(self.weights)}


@register
class Proxy(Mechanism):
    """Mix categorical nodes' shares toward per-group shares: ``(1 - m) base + m shares[group]``."""

    name = "proxy"
    doc = (
        "Region and household registration drawn with group-dependent shares, so they stand "
        "in for ethnicity."
    )
    failure_mode = "proxy"
    precedence = 70
    writes_records = False

    magnitude: Annotated[float, Field(ge=0, le=1)]
    by: str
    shares: dict[str, dict[str, Shares]] = Field(default_factory=dict)

    def draw(self, ctx: BlockContext, node: str, u: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Draw a proxy target with shares ``(1 - m) base + m shares[group]``; trace = the category
        differs from the one the base shares give with the same noise."""
        m = self.magnitude
        mixed = {
            g: (1 - m) * base + m * np.asarray(s) for g, s in self.shares.get(node, {}).items()
        }
        cum = ctx.plan.share_table(self.by, base, mixed)
        codes = categorical_ppf(u, cum[ctx.values[self.by]])
        ctx.traces["proxy"] |= codes != categorical_ppf(u, np.cumsum(base)[None, :])
        return codes

    def check(self, check: SpecCheck) -> None:
        check.need("mechanisms.proxy.by", self.by, ("categorical",), "a categorical node")
        for target, table in self.shares.items():
            key = f"mechanisms.proxy.shares.{target}"
            check.need(key, target, ("categorical",), "a categorical node")
            if check.nodes[target].parent is not None:
                check.fail(
                    key, f"{target!r} already has a parent; proxy targets must be unconditional"
                )
            if target == self.by:
                check.fail(key, "a proxy cannot target its own 'by' attribute")
            check.categories(key, table, self.by)
            n = len(check.categorical[target].categories)
            for group, shares in table.items():
                if len(shares) != n:
                    check.fail(
                        f"{key}.{group}",
                        f"expected {n} shares (one per category of {target!r}); got {len(shares)}",
                    )

    def parents(self) -> dict[str, set[str]]:
        return {target: {self.by} for target in self.shares}


# ------------------------------------------------------------------------------------------
# From the true world to records
# ------------------------------------------------------------------------------------------


@register
class Surveillance(Weighted):
    """Recorded rate of minor infractions = true rate * (1 + effect)."""

    name = "surveillance"
    doc = (
        "Differential surveillance: minor infractions recorded at a group-dependent "
        "rate (recorded rate = true rate x (1 + effect))."
    )
    failure_mode = "surveillance"
    precedence = 40

    targets: list[str] = Field(default_factory=list)

    def apply(self, ctx: BlockContext) -> None:
        """Record each target at rate ``true rate * (1 + effect)``, coupled to the true count."""
        boost = 1.0 + self.effect(ctx)
        touched = np.zeros(ctx.size, dtype=bool)
        for target in self.targets:
            true = ctx.values[target]
            u = ctx.node_uniform[target]
            if ctx.spec.nodes[target].kind == "poisson":
                rec = poisson_ppf(u, ctx.rates[target] * boost)
            else:
                rec = (u < np.minimum(ctx.rates[target] * boost, 1.0)).astype(np.int64)
            ctx.records[target] = rec
            touched |= rec != true
        ctx.traces["surveillance"] = touched

    def check(self, check: SpecCheck) -> None:
        for i, t in enumerate(self.targets):
            key = f"mechanisms.surveillance.targets.{i}"
            check.need(key, t, ("poisson", "bernoulli"), "a poisson or bernoulli feature")
        super().check(check)

    def linked_features(self) -> list[str]:
        return list(self.targets)

    def recorded(self) -> dict[str, str]:
        return {f"targets.{i}": t for i, t in enumerate(self.targets)}


@register
class CourtListing(Weighted):
    """A paid debt stays listed (stale listing) with probability = effect.

    ``records_default``: the institution's outcome record follows the listing, so a stale listing
    is also recorded as a default (``observed = 1``) although the debt was paid.
    """

    name = "court_listing"
    doc = (
        "Dishonest-debtor court listing; a paid debt stays listed (stale listing) "
        "with a group-dependent probability."
    )
    failure_mode = "stale data"
    precedence = 20
    columns = (("court_listed", "int8"), ("latent_court_listed", "int8"))
    streams = ("mech:court_listing:stale",)

    judgment: str
    paid: str
    records_default: bool = False

    def apply(self, ctx: BlockContext) -> None:
        """True listing = judgment and not paid; a paid debt stays listed with probability effect."""
        judgment = ctx.values[self.judgment].astype(bool)
        paid = ctx.values[self.paid].astype(bool)
        true = judgment & ~paid
        stale = judgment & paid & (ctx.uniform("mech:court_listing:stale") < self.effect(ctx))
        ctx.values["latent_court_listed"] = true.astype(np.int64)
        ctx.records["court_listed"] = (true | stale).astype(np.int64)
        ctx.traces["court_listing"] = stale
        if self.records_default:
            record_default(ctx, stale)

    def check(self, check: SpecCheck) -> None:
        key = "mechanisms.court_listing"
        check.need(f"{key}.judgment", self.judgment, ("bernoulli",), "a bernoulli node")
        check.need(f"{key}.paid", self.paid, ("bernoulli",), "a bernoulli node")
        super().check(check)

    def linked_features(self) -> list[str]:
        return ["court_listed"]


@register
class RecordLinkage(Weighted):
    """Another person's debt merged onto someone with probability = effect (mistaken identity).

    ``records_default``: the merged debt is also recorded as this person's default (``observed = 1``).
    """

    name = "record_linkage"
    doc = (
        "Mistaken identity: another person's debt record (missed repayments and "
        "any listing) merged onto someone, at a rate depending on name group."
    )
    failure_mode = "mistaken identity"
    precedence = 10
    streams = ("mech:record_linkage:event", "mech:record_linkage:donor")

    count: str
    same: str | None = None
    records_default: bool = False

    def apply(self, ctx: BlockContext) -> None:
        """Merge a donor's true debt record onto a person with probability effect.

        Donors are people of the (factual) block with a true debt record (missed repayments or a
        listing) sharing the person's ``same`` attribute (the name group), excluding the person.
        """
        world = ctx.world
        w_count = world.values[self.count]
        w_listed = world.values["latent_court_listed"]
        eligible = (w_count > 0) | (w_listed > 0)
        if self.same is None:
            w_key = np.zeros(world.size, dtype=np.int64)
            key = np.zeros(ctx.size, dtype=np.int64)
            nkeys = 1
        else:
            w_key, key = world.values[self.same], ctx.values[self.same]
            nkeys = len(ctx.plan.categories[self.same])
        event = ctx.uniform("mech:record_linkage:event") < self.effect(ctx)
        donor = GroupIndex(w_key, eligible, nkeys).pick(
            key, ctx.uniform("mech:record_linkage:donor"), ctx.sel
        )
        merged = event & (donor >= 0)
        d = np.where(merged, donor, 0)
        current = ctx.records.get(self.count, ctx.values[self.count])
        ctx.records[self.count] = current + np.where(merged, w_count[d], 0)
        ctx.records["court_listed"] = ctx.records["court_listed"] | (merged & (w_listed[d] > 0))
        ctx.traces["record_linkage"] = merged
        if self.records_default:
            record_default(ctx, merged)

    def check(self, check: SpecCheck) -> None:
        key = "mechanisms.record_linkage"
        check.need(f"{key}.count", self.count, ("poisson",), "a poisson node")
        if self.same is not None:
            check.need(f"{key}.same", self.same, ("categorical",), "a categorical node")
        super().check(check)

    def linked_features(self) -> list[str]:
        return [self.count, "court_listed"]  # a merged record also brings its listing

    def recorded(self) -> dict[str, str]:
        return {"count": self.count}


def record_default(ctx: BlockContext, who: np.ndarray) -> None:
    """The institution's outcome record (``observed``) shows a default for ``who``, whatever truth is."""
    observed = ctx.records.get("observed", ctx.values["truth"])
    ctx.records["observed"] = np.where(who, 1, observed)


@register
class PoliticalSpeech(Weighted):
    """A person with critical posts is flagged (``speech_flag``) with probability = effect."""

    name = "political_speech"
    doc = (
        "Critical posts flagged as political speech (speech_flag), for the "
        "scorer's hypothetical political-speech penalty."
    )
    failure_mode = "political trigger"
    precedence = 30
    columns = (("speech_flag", "int8"),)
    streams = ("mech:political_speech:flag",)

    posts: str

    def apply(self, ctx: BlockContext) -> None:
        """Flag a person with at least one critical post with probability effect."""
        posts = ctx.records.get(self.posts, ctx.values[self.posts])
        flag = (posts > 0) & (ctx.uniform("mech:political_speech:flag") < self.effect(ctx))
        ctx.records["speech_flag"] = flag.astype(np.int64)
        ctx.traces["political_speech"] = flag

    def check(self, check: SpecCheck) -> None:
        kinds = ("poisson", "bernoulli", "ordinal")
        check.need("mechanisms.political_speech.posts", self.posts, kinds, "a count node")
        super().check(check)

    def linked_features(self) -> list[str]:
        return [self.posts, "speech_flag"]


@register
class Association(Weighted):
    """Each of ``friends`` ties is drawn inside the person's ``by`` group with probability = effect."""

    name = "association"
    doc = (
        "Guilt by association: homophilous social ties; the share of a person's "
        "friends on the court list is exposed as a feature."
    )
    failure_mode = "guilt by association"
    precedence = 50
    columns = (("friends_listed_share", "float32"),)
    streams = ("mech:association:homophily", "mech:association:pick")

    by: str
    friends: Annotated[int, Field(ge=1, le=64)] = 8

    def apply(self, ctx: BlockContext) -> None:
        """Draw ``friends`` ties per person; each stays inside the person's group with probability
        effect (homophily), else goes to anyone in the block. Feature: share of friends listed.

        Trace: at least one friend drawn through homophily is on the court list.
        """
        world = ctx.world
        k = self.friends
        homophily = np.clip(self.effect(ctx), 0.0, 1.0)
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
            within = GroupIndex(world.values[self.by], None, len(ctx.plan.categories[self.by]))
            key = np.tile(ctx.values[self.by], k)[idx]
            inside = within.pick(key, u[idx], self_pos[idx])
            friend[idx] = np.where(inside >= 0, inside, friend[idx])
        friend = friend.reshape(k, ctx.size)
        listed = world.records["court_listed"][friend] > 0
        ctx.records["friends_listed_share"] = listed.sum(axis=0) / k
        ctx.traces["association"] = (listed & same.reshape(k, ctx.size)).any(axis=0)

    def check(self, check: SpecCheck) -> None:
        check.need("mechanisms.association.by", self.by, ("categorical",), "a categorical node")
        super().check(check)

    def linked_features(self) -> list[str]:
        return ["friends_listed_share"]


@register
class LabelBias(Weighted):
    """A person who in truth did not default is recorded as a defaulter with probability = effect."""

    name = "label_bias"
    doc = (
        "Label bias: people who in truth did not default are recorded as defaulters, "
        "at a group-dependent rate."
    )
    failure_mode = "label bias"
    precedence = 60
    streams = ("mech:label_bias:flip",)

    def apply(self, ctx: BlockContext) -> None:
        """Record a non-defaulter (not already recorded as one) as a defaulter with probability effect."""
        observed = ctx.records.get("observed", ctx.values["truth"])
        flip = (observed == 0) & (ctx.uniform("mech:label_bias:flip") < self.effect(ctx))
        ctx.records["observed"] = np.where(flip, 1, observed)
        ctx.traces["label_bias"] = flip


#: The built-in mechanisms, in the order the generator applies them.
MECHANISM_NAMES: tuple[str, ...] = tuple(REGISTRY)
#: What each built-in mechanism does, in a sentence or two.
DESCRIPTIONS: dict[str, str] = {name: kind.doc for name, kind in REGISTRY.items()}


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
