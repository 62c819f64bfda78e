"""The causal generator: evaluate a scenario on blocks of people, factual or counterfactual.

`Plan` compiles a validated `Scenario` once (topological order, category codes, output columns and
dtypes). `simulate_block` evaluates one block of `BLOCK_SIZE` people: the nodes in topological
order, each value computed from its own fixed-size noise by an inverse-CDF transform, then the
record mechanisms. A counterfactual evaluates the same noise with protected attributes set
(``overrides``) for selected positions, against the factual block as the rest of the world.
`generate` and `generate_people` assemble blocks into column arrays.

This module must not read files, build DataFrames, or loop over people in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from audit.population import _mechanisms as mech
from audit.population._noise import BLOCK_SIZE, BlockNoise, categorical_ppf, poisson_ppf
from audit.population._spec import MECHANISM_NAMES, CategoricalNode, Scenario, topological_order

__all__ = ["Column", "Plan", "generate", "generate_people", "simulate_block"]

_MAX_RATE = 1000.0
_INT16_MAX = np.iinfo(np.int16).max


@dataclass(frozen=True)
class Column:
    """One output column: name, numpy dtype name (or ``"category"``) and categories if any."""

    name: str
    dtype: str
    categories: tuple[str, ...] | None = None

    @property
    def storage(self) -> np.dtype:
        """The numpy dtype of the stored array (category codes are int8)."""
        return np.dtype("int8" if self.dtype == "category" else self.dtype)


_KIND_DTYPE = {"gaussian": "float32", "ordinal": "int8", "bernoulli": "int8", "poisson": "int16"}


class Plan:
    """A scenario compiled for generation.

    Attributes
    ----------
    spec : Scenario
    order : list of str
        Nodes in topological order.
    categories : dict of str to list of str
        Categories of every categorical node.
    protected, features, latent, traces : list of str
        Output column names by role.
    recorded : list of str
        Features whose records may differ from the truth (true value kept as ``latent_<name>``).
    columns : list of Column
        Every output column in frame order, with its dtype.
    """

    def __init__(self, spec: Scenario):
        self.spec = spec
        self.order = topological_order(spec)
        nodes = spec.nodes
        self.categories = {
            n: list(v.categories) for n, v in nodes.items() if isinstance(v, CategoricalNode)
        }
        self._codes = {n: {c: i for i, c in enumerate(cs)} for n, cs in self.categories.items()}
        m = spec.mechanisms
        self.recorded = list(dict.fromkeys([*m.surveillance.targets, m.record_linkage.count]))
        self.protected = list(spec.protected)
        node_features = [
            n
            for n in nodes
            if n not in spec.protected and not n.startswith("latent_") and n != "truth"
        ]
        self.features = [*node_features, "court_listed", "speech_flag", "friends_listed_share"]
        self.latent = [
            *[n for n in nodes if n.startswith("latent_")],
            *[f"latent_{n}" for n in self.recorded],
            "latent_court_listed",
        ]
        self.traces = [f"trace_{name}" for name in MECHANISM_NAMES]

        def col(name: str, node: str | None = None) -> Column:
            spec_node = nodes[node or name]
            if isinstance(spec_node, CategoricalNode):
                return Column(name, "category", tuple(spec_node.categories))
            return Column(name, _KIND_DTYPE[spec_node.kind])

        fixed = {
            "court_listed": Column("court_listed", "int8"),
            "speech_flag": Column("speech_flag", "int8"),
            "friends_listed_share": Column("friends_listed_share", "float32"),
            "latent_court_listed": Column("latent_court_listed", "int8"),
        }
        self.columns = [
            Column("person_id", "int64"),
            *[col(n) for n in self.protected],
            *[fixed.get(n) or col(n) for n in self.features],
            Column("truth", "int8"),
            Column("observed", "int8"),
            *[Column(t, "bool") for t in self.traces],
            *[
                fixed.get(n) or col(n, n.removeprefix("latent_") if n not in nodes else n)
                for n in self.latent
            ],
        ]

    def code(self, attr: str, category: str) -> int:
        """Integer code of ``category`` in the categorical node ``attr``."""
        return self._codes[attr][category]

    def lookup(self, attr: str, table: dict[str, float]) -> np.ndarray:
        """``{category: value}`` of ``attr`` as an array indexed by category code (others 0)."""
        out = np.zeros(len(self.categories[attr]))
        for category, value in table.items():
            out[self.code(attr, category)] = value
        return out

    def share_table(self, attr: str, base: np.ndarray, given: dict) -> np.ndarray:
        """Cumulative shares per category code of ``attr``: ``base``, or ``given[category]``."""
        table = np.tile(np.asarray(base, dtype=np.float64), (len(self.categories[attr]), 1))
        for category, shares in given.items():
            table[self.code(attr, category)] = shares
        return np.cumsum(table, axis=1)


class BlockContext:
    """Values of one block (or of selected positions of it) while a scenario is evaluated.

    ``values`` hold the true world, ``records`` what institutions record (only where they can
    differ), ``traces`` the per-mechanism touched flags; ``world`` is the factual block that
    cross-person mechanisms read (the context itself in a factual run).
    """

    def __init__(
        self,
        plan: Plan,
        noise: BlockNoise,
        sel: np.ndarray | None,
        world: BlockContext | None,
    ):
        self.plan = plan
        self.spec = plan.spec
        self.noise = noise
        self.full = sel is None
        self.sel = np.arange(BLOCK_SIZE) if sel is None else np.asarray(sel, dtype=np.int64)
        self.size = self.sel.size
        self.values: dict[str, np.ndarray] = {}
        self.records: dict[str, np.ndarray] = {}
        self.rates: dict[str, np.ndarray] = {}
        self.node_uniform: dict[str, np.ndarray] = {}
        self.traces = {name: np.zeros(self.size, dtype=bool) for name in MECHANISM_NAMES}
        self._world = world  # None = factual: the world is this context (no reference cycle)

    @property
    def world(self) -> BlockContext:
        """The factual block that cross-person mechanisms read."""
        return self if self._world is None else self._world

    def uniform(self, stream: str, rows: int = 1) -> np.ndarray:
        """This block's uniforms of ``stream`` at the selected positions."""
        u = self.noise.uniform(stream, rows)
        return u if self.full else u[..., self.sel]

    def normal(self, stream: str) -> np.ndarray:
        """This block's standard normals of ``stream`` at the selected positions."""
        z = self.noise.normal(stream)
        return z if self.full else z[self.sel]

    def output(self) -> dict[str, np.ndarray]:
        """The output columns (except ``person_id``) in their storage dtypes."""
        v, r, plan = self.values, self.records, self.plan
        out: dict[str, np.ndarray] = {}
        for c in plan.columns[1:]:
            name = c.name
            if name.startswith("trace_"):
                a = self.traces[name.removeprefix("trace_")]
            elif name == "observed" or name in r:
                a = r[name]
            elif name.startswith("latent_") and name not in v:
                a = v[name.removeprefix("latent_")]
            else:
                a = v[name]
            if c.dtype == "int16":
                a = np.minimum(a, _INT16_MAX)
            out[name] = a.astype(c.storage, copy=False)
        return out


def _linear(ctx: BlockContext, node) -> np.ndarray:
    eta = np.full(ctx.size, float(node.intercept))
    for parent, coef in node.effects.items():
        if isinstance(coef, dict):
            eta += ctx.plan.lookup(parent, coef)[ctx.values[parent]]
        else:
            eta += coef * ctx.values[parent]
    return eta


def _evaluate(ctx: BlockContext, name: str) -> np.ndarray:
    node = ctx.spec.nodes[name]
    stream = f"node:{name}"
    kind = node.kind
    if kind == "categorical":
        u = ctx.uniform(stream)
        base = np.asarray(node.shares)
        if name in ctx.spec.mechanisms.proxy.shares:
            return mech.proxy(ctx, name, u, base)
        if node.parent is None:
            return categorical_ppf(u, np.cumsum(base)[None, :])
        cum = ctx.plan.share_table(node.parent, base, node.given)
        return categorical_ppf(u, cum[ctx.values[node.parent]])
    eta = _linear(ctx, node)
    if kind == "gaussian":
        if name == ctx.spec.mechanisms.structural.target:
            eta = mech.structural(ctx, eta)
        x = eta + node.sd * ctx.normal(stream)
        if node.transform == "exp":
            x = np.exp(np.minimum(x, 50.0))
        if node.clip is not None:
            x = np.clip(x, node.clip[0], node.clip[1])
        return x
    if kind == "ordinal":
        x = eta + node.sd * ctx.normal(stream)
        return (x[:, None] >= np.asarray(node.cutpoints)[None, :]).sum(axis=1)
    u = ctx.uniform(stream)
    ctx.node_uniform[name] = u
    if kind == "bernoulli":
        p = 1.0 / (1.0 + np.exp(-eta))
        ctx.rates[name] = p
        return (u < p).astype(np.int64)
    rate = np.exp(np.minimum(eta, np.log(_MAX_RATE)))
    ctx.rates[name] = rate
    return poisson_ppf(u, rate)


def simulate_block(
    plan: Plan,
    seed: int,
    block: int,
    *,
    sel: np.ndarray | None = None,
    overrides: dict[str, int] | None = None,
    world: BlockContext | None = None,
) -> BlockContext:
    """Evaluate a scenario on one block.

    Parameters
    ----------
    plan : Plan
    seed, block : int
        Which noise to read (see `BlockNoise`).
    sel : ndarray of int, optional
        Positions within the block to evaluate (default: all). Only meaningful with ``world``.
    overrides : dict of str to int, optional
        ``do()`` interventions: node -> category code, applied to the evaluated positions.
    world : BlockContext, optional
        The factual full block, read by the cross-person mechanisms (default: this context).
    """
    ctx = BlockContext(plan, BlockNoise(seed, block), sel, world)
    overrides = overrides or {}
    for name in plan.order:
        if name in overrides:
            ctx.values[name] = np.full(ctx.size, overrides[name], dtype=np.int64)
        else:
            ctx.values[name] = _evaluate(ctx, name)
    for mechanism in mech.RECORD_MECHANISMS:
        mechanism(ctx)
    return ctx


def _allocate(plan: Plan, n: int) -> dict[str, np.ndarray]:
    return {c.name: np.empty(n, dtype=c.storage) for c in plan.columns}


def generate(
    plan: Plan, seed: int, n: int, *, chunk_size: int | None = None, progress: bool = False
) -> dict[str, np.ndarray]:
    """Generate people ``0 .. n-1`` as column arrays (category columns as int8 codes).

    Blocks are generated whole (the last one too, then cut), so person ``i`` is the same person
    whatever ``n`` and ``chunk_size``. ``chunk_size`` (rounded up to whole blocks) only sets how
    many blocks make one step of work and of the progress bar.
    """
    out = _allocate(plan, n)
    out["person_id"][:] = np.arange(n, dtype=np.int64)
    n_blocks = -(-n // BLOCK_SIZE)
    per_chunk = max(1, -(-(chunk_size or 4 * BLOCK_SIZE) // BLOCK_SIZE))
    desc = f"population {plan.spec.name}"
    with tqdm(total=n, disable=not progress, unit=" people", unit_scale=True, desc=desc) as bar:
        for first in range(0, n_blocks, per_chunk):
            done = 0
            for block in range(first, min(first + per_chunk, n_blocks)):
                start = block * BLOCK_SIZE
                size = min(BLOCK_SIZE, n - start)
                for name, values in simulate_block(plan, seed, block).output().items():
                    out[name][start : start + size] = values[:size]
                done += size
            bar.update(done)
    return out


def generate_people(
    plan: Plan,
    seed: int,
    person_ids: np.ndarray,
    overrides: dict[str, int] | None = None,
    *,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """Regenerate the given people (in the given order), optionally under ``do()`` overrides.

    Only the blocks holding these people are evaluated: each once factually (the world others
    live in) and, with overrides, once more at the selected positions with the same noise.
    """
    person_ids = np.asarray(person_ids, dtype=np.int64)
    out = _allocate(plan, person_ids.size)
    out["person_id"][:] = person_ids
    blocks = person_ids // BLOCK_SIZE
    order = np.argsort(blocks, kind="stable")
    unique, starts = np.unique(blocks[order], return_index=True)
    bounds = [*starts[1:], order.size][: unique.size]
    with tqdm(
        total=person_ids.size,
        disable=not progress,
        unit=" people",
        unit_scale=True,
        desc="counterfactual",
    ) as bar:
        for block, lo, hi in zip(unique, starts, bounds, strict=True):
            rows = order[lo:hi]
            pos = person_ids[rows] - block * BLOCK_SIZE
            world = simulate_block(plan, seed, int(block))
            if overrides:
                ctx = simulate_block(
                    plan, seed, int(block), sel=pos, overrides=overrides, world=world
                )
                cols, take = ctx.output(), slice(None)
            else:
                cols, take = world.output(), pos
            for name, values in cols.items():
                out[name][rows] = values[take]
            bar.update(rows.size)
    return out
