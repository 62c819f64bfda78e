"""The causal generator: evaluate a scenario on blocks of people, factual or counterfactual.

`simulate_block` evaluates one block of `BLOCK_SIZE` people (a `BlockContext` of the scenario's
`Plan`, see ``_plan``): the nodes in topological order, each value computed from its own fixed-size
noise by an inverse-CDF transform (where the in-model mechanisms ``structural`` and ``proxy`` act),
then the mechanisms that write records, in registry order. A counterfactual evaluates the same noise
with protected attributes set (``overrides``) for selected positions, against the factual block as
the rest of the world. `generate` and `generate_people` assemble blocks into column arrays.

This module must not read files, build DataFrames, or loop over people in Python.
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from audit.population._noise import BLOCK_SIZE, BlockNoise, categorical_ppf, poisson_ppf
from audit.population._plan import BlockContext, Plan

__all__ = ["generate", "generate_people", "simulate_block"]

_MAX_RATE = 1000.0


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
        proxy = ctx.spec.mechanisms.proxy
        if name in proxy.shares:
            return proxy.draw(ctx, name, u, base)
        if node.parent is None:
            return categorical_ppf(u, np.cumsum(base)[None, :])
        cum = ctx.plan.share_table(node.parent, base, node.given)
        return categorical_ppf(u, cum[ctx.values[node.parent]])
    eta = _linear(ctx, node)
    if kind == "gaussian":
        structural = ctx.spec.mechanisms.structural
        if name == structural.target:
            eta = structural.shift(ctx, eta)
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
    for mechanism in plan.record_mechanisms:
        mechanism.apply(ctx)
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
