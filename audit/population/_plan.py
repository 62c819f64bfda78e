"""A scenario compiled for generation (`Plan`) and the values of one block while it is evaluated
(`BlockContext`): what the engine and the bias mechanisms share.

`Plan` compiles a validated `Scenario` once (topological order, category codes, output columns and
dtypes). A `BlockContext` holds one block's true world, its records and the mechanisms' traces, and
turns them into output columns. This module must not draw random numbers itself (a context reads its
block's noise), read files, build DataFrames, or loop over people in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audit.population._noise import BLOCK_SIZE, BlockNoise
from audit.population._spec import CategoricalNode, Scenario, topological_order

__all__ = ["BlockContext", "Column", "Plan"]

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
    mechanisms : list of Mechanism
        The scenario's mechanisms in the order they are applied; ``record_mechanisms`` those
        that write records (after the causal model).
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
        self.mechanisms = spec.mechanisms.all()
        self.record_mechanisms = [m for m in self.mechanisms if m.writes_records]
        written = {  # columns the mechanisms write besides traces: features, then latent_*
            name: Column(name, dtype) for m in self.mechanisms for name, dtype in m.columns
        }
        self.recorded = list(
            dict.fromkeys(t for m in self.mechanisms for t in m.recorded().values())
        )
        self.protected = list(spec.protected)
        node_features = [
            n
            for n in nodes
            if n not in spec.protected and not n.startswith("latent_") and n != "truth"
        ]
        self.features = [*node_features, *[n for n in written if not n.startswith("latent_")]]
        self.latent = [
            *[n for n in nodes if n.startswith("latent_")],
            *[f"latent_{n}" for n in self.recorded],
            *[n for n in written if n.startswith("latent_")],
        ]
        self.traces = [f"trace_{m.name}" for m in self.mechanisms]

        def col(name: str, node: str | None = None) -> Column:
            spec_node = nodes[node or name]
            if isinstance(spec_node, CategoricalNode):
                return Column(name, "category", tuple(spec_node.categories))
            return Column(name, _KIND_DTYPE[spec_node.kind])

        self.columns = [
            Column("person_id", "int64"),
            *[col(n) for n in self.protected],
            *[written.get(n) or col(n) for n in self.features],
            Column("truth", "int8"),
            Column("observed", "int8"),
            *[Column(t, "bool") for t in self.traces],
            *[
                written.get(n) or col(n, n.removeprefix("latent_") if n not in nodes else n)
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
        self.traces = {m.name: np.zeros(self.size, dtype=bool) for m in plan.mechanisms}
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
