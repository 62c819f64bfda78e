"""The registry of bias mechanisms: what a mechanism is, declared once, and the checks it may use.

A bias mechanism is a `Mechanism` subclass decorated with `register`. Its fields are its
``[mechanisms.<name>]`` table; its class attributes say what it is (name, description, the case-file
failure mode it stands for and its precedence there, the columns and noise streams it adds); its
methods say what it does (`Mechanism.apply` to a block, `Mechanism.check` of its table against the
nodes, the features it acts through). The scenario loader, the generator, ``Population.mechanisms``
(which publishes the failure mode, precedence and linked features for the case files) and the lists
of mechanism names all derive from `REGISTRY`, in registration order, which is the order the
generator applies them.

This module must not know any particular mechanism, draw random numbers or read files.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, ClassVar, NoReturn, TypeVar

from pydantic import create_model

from audit.exceptions import InvalidInputError, SpecError
from audit.population._tables import NonNegative, Strict

__all__ = ["REGISTRY", "Mechanism", "Mechanisms", "SpecCheck", "mechanisms_model", "register"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Mechanism(Strict):
    """Base of every bias mechanism: its table (the fields) and what it is (class attributes).

    Attributes
    ----------
    name : str
        Its key under ``[mechanisms]`` and its trace column ``trace_<name>``.
    doc : str
        What it does, in a sentence or two (``Population.mechanisms``, reports).
    failure_mode : str
        The case-file taxonomy's tag for a wrongful blacklisting it caused (e.g. "stale data").
    precedence : int
        Rank when several mechanisms touched one person: the lowest names the cause. Person-specific
        record errors rank first, group-level mechanisms last (built-ins: 10, 20, ... 80).
    writes_records : bool
        True: `apply` turns the true world into records, after the causal model. False: it acts
        inside the causal model and the engine calls it where a node is evaluated.
    columns : tuple of (name, dtype)
        Columns it writes besides its trace: features, or hidden ones named ``latent_*``.
    streams : tuple of str
        Names of the noise streams it draws with ``ctx.uniform``.
    """

    name: ClassVar[str]
    doc: ClassVar[str]
    failure_mode: ClassVar[str]
    precedence: ClassVar[int]
    writes_records: ClassVar[bool] = True
    columns: ClassVar[tuple[tuple[str, str], ...]] = ()
    streams: ClassVar[tuple[str, ...]] = ()

    magnitude: NonNegative
    note: str = ""

    def apply(self, ctx: Any) -> None:
        """Write this mechanism's records and its trace ``ctx.traces[name]`` for one block."""
        msg = f"mechanism {self.name!r} writes records but defines no apply(ctx)"
        raise NotImplementedError(msg)

    def check(self, check: SpecCheck) -> None:
        """Check the table's references to nodes (``check.need``, ``check.weights``, ...)."""

    def linked_features(self) -> list[str]:
        """Record columns through which it acts (case files link them to reason codes)."""
        return []

    def recorded(self) -> dict[str, str]:
        """Features whose records it may change, by the key naming them in its table. Their true
        values are kept as ``latent_<feature>``."""
        return {}

    def parents(self) -> dict[str, set[str]]:
        """Edges it adds to the causal graph: node -> the nodes it then depends on."""
        return {}


class Mechanisms(Strict):
    """The ``[mechanisms]`` table: one validated table per registered mechanism, in order."""

    def all(self) -> list[Mechanism]:
        """Every mechanism of the scenario, in the order the generator applies them."""
        return [getattr(self, name) for name in type(self).model_fields]


#: Registered mechanism kinds by name, in the order the generator applies them.
REGISTRY: dict[str, type[Mechanism]] = {}

M = TypeVar("M", bound=type[Mechanism])


def register(kind: M) -> M:
    """Class decorator: register a mechanism kind (after those already registered).

    Every scenario must then have its ``[mechanisms.<name>]`` table.
    """
    name = getattr(kind, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        msg = f"The 'name' of a mechanism must be lower_snake_case. Got {name!r} instead."
        raise InvalidInputError(msg)
    if name in REGISTRY:
        msg = f"A mechanism named {name!r} is already registered ({REGISTRY[name].__name__})."
        raise InvalidInputError(msg)
    missing = [a for a in ("doc", "failure_mode", "precedence") if not hasattr(kind, a)]
    if missing:
        msg = f"Mechanism {name!r} must declare {', '.join(missing)} (class attributes)."
        raise InvalidInputError(msg)
    REGISTRY[name] = kind
    return kind


def mechanisms_model() -> type[Mechanisms]:
    """The model of the ``[mechanisms]`` table for the mechanisms registered now."""
    return _model(tuple(REGISTRY.values()))


@cache
def _model(kinds: tuple[type[Mechanism], ...]) -> type[Mechanisms]:
    fields: Any = {kind.name: (kind, ...) for kind in kinds}
    return create_model("Mechanisms", __base__=Mechanisms, __module__=__name__, **fields)


class SpecCheck:
    """Cross-reference checks of one scenario; each failure is a `SpecError` naming the file, the
    dotted key, the bad value and what was expected.

    Parameters
    ----------
    nodes : dict
        The scenario's validated nodes.
    path : str or None
        The file the scenario came from.
    """

    def __init__(self, nodes: dict[str, Any], path: str | None):
        self.nodes = nodes
        self.path = path
        self.categorical = {k: v for k, v in nodes.items() if v.kind == "categorical"}

    def fail(self, key: str, message: str) -> NoReturn:
        raise SpecError(message, path=self.path, key=key)

    def need(self, key: str, node: str | None, kinds: tuple[str, ...], what: str) -> None:
        """``node`` must exist and be of one of ``kinds`` (``what`` says so in words)."""
        if node not in self.nodes:
            self.fail(key, f"unknown node {node!r}; expected {what}")
        if self.nodes[node].kind not in kinds:
            self.fail(key, f"{node!r} is {self.nodes[node].kind}; expected {what}")

    def categories(self, key: str, table: dict, attr: str) -> None:
        """Every key of ``table`` must be a category of the categorical node ``attr``."""
        categories = self.categorical[attr].categories
        for c in table:
            if c not in categories:
                self.fail(
                    f"{key}.{c}",
                    f"{c!r} is not a category of {attr!r}; expected one of {categories}",
                )

    def weights(self, mechanism: str, cfg: Any, *, signed: bool = False) -> None:
        """``base`` and ``weights`` of a weighted mechanism; ``signed=False``: they scale a rate,
        so they are >= 0. A mechanism switched on must touch someone."""
        for attr, table in cfg.weights.items():
            key = f"mechanisms.{mechanism}.weights.{attr}"
            if attr not in self.categorical:
                self.fail(
                    key,
                    f"weights need a categorical node; {attr!r} is not one of "
                    f"{sorted(self.categorical)}",
                )
            self.categories(key, table, attr)
            if not signed:
                for c, v in table.items():
                    if v < 0:
                        self.fail(f"{key}.{c}", f"must be >= 0 (it scales a rate); got {v}")
        if not signed and cfg.base < 0:
            self.fail(
                f"mechanisms.{mechanism}.base", f"must be >= 0 (it scales a rate); got {cfg.base}"
            )
        if (
            cfg.magnitude > 0
            and cfg.base == 0
            and not any(any(t.values()) for t in cfg.weights.values())
        ):
            self.fail(
                f"mechanisms.{mechanism}",
                "magnitude > 0 but base and weights are all 0, so the "
                "mechanism would touch no one; set base or weights",
            )
