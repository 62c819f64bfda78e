"""Scenario specifications: pydantic models, TOML loading and validation into `SpecError`.

A scenario (``datasets/<name>.toml``) is a structural causal model (``[nodes.*]``), the bias
mechanisms that turn the true world into institutional records (``[mechanisms.*]``, one table per
mechanism in the registry, see ``_registry``), the protected attributes with their reference groups
(``[protected]``) and an opaque ``[scorer]`` table carried through untouched for `audit.scoring`.

This module only validates and resolves specs. It must not draw random numbers or build frames, and
every problem it finds surfaces as one `SpecError` naming the file, the dotted key, the bad value and
what was expected. It knows no particular mechanism: each checks its own table (``check``), and the
built-in ones are registered when ``audit.population`` is imported (its ``__init__`` imports
``_mechanisms``) — before any scenario can be loaded.
"""

from __future__ import annotations

import re
import sys
import tomllib
import zlib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, PrivateAttr, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from audit.exceptions import SpecError
from audit.population._registry import REGISTRY, Mechanisms, SpecCheck, mechanisms_model
from audit.population._tables import Effect, NonNegative, Shares, Strict

__all__ = [
    "BUILTIN_SCENARIOS",
    "Scenario",
    "builtin_path",
    "datasets_dir",
    "load_spec",
    "reserved_columns",
    "topological_order",
]

#: Scenarios shipped with the package, resolvable by name.
BUILTIN_SCENARIOS = ("sesame", "fair")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def reserved_columns() -> frozenset[str]:
    """Columns the generator writes itself (no node may take these names): ``person_id``,
    ``observed``, and every registered mechanism's trace and columns."""
    names = {"person_id", "observed"}
    for name, kind in REGISTRY.items():
        names |= {f"trace_{name}", *(column for column, _ in kind.columns)}
    return frozenset(names)


# --------------------------------------------------------------------------------------------
# Nodes of the causal model
# --------------------------------------------------------------------------------------------


class _Linear(Strict):
    doc: str = ""
    intercept: float = 0.0
    effects: dict[str, Effect] = Field(default_factory=dict)


class CategoricalNode(Strict):
    """A categorical node: ``shares`` over ``categories``, optionally ``given`` a parent's category.

    Noise: one uniform per person, mapped through the inverse CDF of the shares.
    """

    kind: Literal["categorical"]
    doc: str = ""
    categories: list[str] = Field(min_length=1)
    shares: Shares
    parent: str | None = None
    given: dict[str, Shares] = Field(default_factory=dict)

    @field_validator("categories")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            dup = sorted({c for c in v if v.count(c) > 1})
            raise PydanticCustomError(
                "duplicate_category", "categories must be unique; repeated: {dup}", {"dup": dup}
            )
        return v


class GaussianNode(_Linear):
    """``intercept + sum(effects) + sd * z`` (z standard normal), then ``transform`` and ``clip``."""

    kind: Literal["gaussian"]
    sd: NonNegative = 1.0
    transform: Literal["identity", "exp"] = "identity"
    clip: list[float] | None = None

    @field_validator("clip")
    @classmethod
    def _clip(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and (len(v) != 2 or v[0] > v[1]):
            raise PydanticCustomError("clip", "clip must be [low, high] with low <= high")
        return v


class OrdinalNode(_Linear):
    """Level = number of ``cutpoints`` below ``intercept + sum(effects) + sd * z``."""

    kind: Literal["ordinal"]
    sd: NonNegative = 1.0
    cutpoints: list[float] = Field(min_length=1)
    levels: list[str] = Field(default_factory=list)

    @field_validator("cutpoints")
    @classmethod
    def _increasing(cls, v: list[float]) -> list[float]:
        if any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise PydanticCustomError("cutpoints", "cutpoints must be strictly increasing")
        return v


class BernoulliNode(_Linear):
    """1 with probability ``logistic(intercept + sum(effects))``; noise: one uniform per person."""

    kind: Literal["bernoulli"]


class PoissonNode(_Linear):
    """A count with rate ``exp(intercept + sum(effects))``; noise: one uniform (inverse CDF)."""

    kind: Literal["poisson"]


Node = Annotated[
    CategoricalNode | GaussianNode | OrdinalNode | BernoulliNode | PoissonNode,
    Field(discriminator="kind"),
]
NODE_KINDS = ("categorical", "gaussian", "ordinal", "bernoulli", "poisson")


# --------------------------------------------------------------------------------------------
# The scenario
# --------------------------------------------------------------------------------------------


def _mechanisms(value: Any) -> Mechanisms:
    """Validate the ``[mechanisms]`` table against the mechanisms registered now."""
    return mechanisms_model().model_validate(value)


class Scenario(Strict):
    """A validated scenario. Build it with `load_spec`; its fields mirror the TOML tables.

    Attributes
    ----------
    name : str
        Short name, e.g. ``"sesame"``.
    description : str
        One paragraph: what the scenario models.
    protected : dict of str to str
        Protected attribute -> reference (majority) group, in report order.
    nodes : dict
        The structural causal model, one entry per node, in declaration order.
    mechanisms : Mechanisms
        One validated table per registered bias mechanism (attribute = its name), with its
        magnitude (0 = off); ``mechanisms.all()`` lists them in the order they are applied.
    scorer : dict
        The raw ``[scorer]`` table, validated later by `audit.scoring`.
    """

    name: str
    description: str = ""
    protected: dict[str, str] = Field(min_length=1)
    nodes: dict[str, Node] = Field(min_length=1)
    mechanisms: Annotated[Any, PlainValidator(_mechanisms)]
    scorer: dict[str, Any] = Field(default_factory=dict)

    _source: str | None = PrivateAttr(default=None)

    @property
    def source(self) -> str | None:
        """The file this scenario was read from, if any."""
        return self._source

    def categories(self, node: str) -> list[str]:
        """Categories of a categorical node."""
        spec = self.nodes[node]
        if not isinstance(spec, CategoricalNode):
            raise KeyError(node)
        return list(spec.categories)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict that `load_spec` turns back into an equal scenario."""
        return self.model_dump(mode="json", exclude_none=True)

    def __reduce__(self) -> tuple:
        # pickled as its dict: the [mechanisms] model is made from the registry, not importable
        return _restore, (self.to_dict(), self._source)


def _restore(data: dict[str, Any], source: str | None) -> Scenario:
    scenario = _validate(data, path=None)
    scenario._source = source
    return scenario


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def datasets_dir() -> Path:
    """Folder holding the built-in scenarios (one copy of each file, never duplicated).

    Looked up in order:

    1. ``datasets/`` beside the ``audit`` package: a checkout, and the editable install
       (``pip install -e .``) that ``make`` does, read the files where they are written;
    2. ``<sys.prefix>/share/social-credit-audit/datasets``: where a wheel installs them, when
       ``pyproject.toml`` lists them under ``[tool.setuptools.data-files]``.

    Returns the first folder that holds ``sesame.toml`` (else the first, for error messages).
    """
    candidates = [
        Path(__file__).resolve().parents[2] / "datasets",
        Path(sys.prefix) / "share" / "social-credit-audit" / "datasets",
    ]
    for folder in candidates:
        if (folder / "sesame.toml").is_file():
            return folder
    return candidates[0]


def builtin_path(name: str) -> Path:
    """Path of a built-in scenario file (``sesame`` or ``fair``)."""
    return datasets_dir() / f"{name}.toml"


def load_spec(spec: str | Path | dict | Scenario) -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    spec : str, Path, dict or Scenario
        A built-in name (``"sesame"``, ``"fair"``), a path to a TOML file, a dict with the TOML's
        content, or an already validated `Scenario` (returned as is).

    Returns
    -------
    Scenario

    Raises
    ------
    SpecError
        With the file, the dotted key path, the bad value and what was expected.

    Examples
    --------
    >>> from audit.population import load_spec
    >>> load_spec("fair").mechanisms.label_bias.magnitude
    0.0
    """
    if isinstance(spec, Scenario):
        return spec
    if isinstance(spec, dict):
        return _validate(spec, path=None)
    if not isinstance(spec, str | Path):
        raise SpecError(
            f"a scenario must be a built-in name {BUILTIN_SCENARIOS}, a path to a .toml file, "
            f"a dict or a Scenario; got {type(spec).__name__}"
        )
    path = Path(spec)
    if isinstance(spec, str) and spec in BUILTIN_SCENARIOS and not path.exists():
        path = builtin_path(spec)
    if not path.is_file():
        hint = ""
        if isinstance(spec, str) and spec in BUILTIN_SCENARIOS:
            hint = f" (built-in scenarios are read from {datasets_dir()}, which lacks it)"
        raise SpecError(
            f"no scenario file at '{spec}'; expected a built-in name "
            f"({', '.join(BUILTIN_SCENARIOS)}) or a path to a .toml file{hint}"
        )
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"not valid TOML: {e}", path=str(path)) from None
    return _validate(data, path=str(path))


def _validate(data: dict, *, path: str | None) -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        raise _spec_error(e, path) from None
    _check_semantics(scenario, path)
    scenario._source = path
    return scenario


def _spec_error(err: ValidationError, path: str | None) -> SpecError:
    errors = err.errors(include_url=False)
    first = errors[0]
    loc = [str(x) for x in first["loc"]]
    # drop the discriminator tag pydantic inserts after nodes.<name>
    if len(loc) > 2 and loc[0] == "nodes" and loc[2] in NODE_KINDS:
        del loc[2]
    kind = first["type"]
    msg = first["msg"]
    if kind == "unknown_key":
        loc.append(first["ctx"]["name"])
    elif kind == "missing":
        msg = "required key is missing"
    elif kind == "union_tag_invalid":
        msg = f"unknown node kind {first['ctx']['tag']!r}; expected one of: " + ", ".join(
            NODE_KINDS
        )
    elif kind == "union_tag_not_found":
        msg = "a node needs a 'kind' (one of: " + ", ".join(NODE_KINDS) + ")"
    else:
        msg = f"{msg}; got {first['input']!r}"
    if len(errors) > 1:
        msg += f" (and {len(errors) - 1} more problem(s))"
    return SpecError(msg, path=path, key=".".join(loc) or None)


# --------------------------------------------------------------------------------------------
# Cross-references: parents, cycles, targets of mechanisms
# --------------------------------------------------------------------------------------------


def _check_semantics(s: Scenario, path: str | None) -> None:
    check = SpecCheck(s.nodes, path)
    _check_names(s, check)
    _check_protected(s, check)
    for name, node in s.nodes.items():
        if isinstance(node, CategoricalNode):
            _check_categorical(name, node, check)
        else:
            _check_effects(name, node, check)
    _check_mechanisms(s, check)
    _topological_order(_edges(s), check.fail)
    _check_streams(s, check)


def _check_names(s: Scenario, check: SpecCheck) -> None:
    """The scenario's name and its node names: lower_snake_case, none the generator writes."""
    if not _NAME.match(s.name):
        check.fail("name", f"must be lower_snake_case (letters, digits, _); got {s.name!r}")
    reserved = reserved_columns()
    for name in s.nodes:
        if not _NAME.match(name):
            check.fail(
                f"nodes.{name}", "a node name must be lower_snake_case (it becomes a column)"
            )
        if name in reserved:
            check.fail(
                f"nodes.{name}", f"{name!r} is a column the generator writes itself; rename it"
            )


def _check_protected(s: Scenario, check: SpecCheck) -> None:
    """Protected attributes are visible categorical nodes with their reference group; ``truth`` is
    bernoulli; every other categorical node is hidden."""
    nodes, cats = s.nodes, check.categorical
    for attr, ref in s.protected.items():
        key = f"protected.{attr}"
        if attr not in nodes:
            check.fail(key, f"no node named {attr!r}; declare [nodes.{attr}]")
        if attr not in cats:
            check.fail(
                key,
                f"a protected attribute must be a categorical node; {attr!r} is {nodes[attr].kind}",
            )
        if attr.startswith("latent_"):
            check.fail(key, "a protected attribute cannot be a hidden latent_ node")
        if ref not in cats[attr].categories:
            check.fail(
                key,
                f"reference group {ref!r} is not a category of {attr!r}; expected one of "
                f"{cats[attr].categories}",
            )
    if "truth" not in nodes or nodes["truth"].kind != "bernoulli":
        check.fail(
            "nodes.truth", "a scenario needs a bernoulli node 'truth' (1 = defaults/violates)"
        )
    for name in cats:
        if name not in s.protected and not name.startswith("latent_"):
            check.fail(
                f"nodes.{name}",
                "a categorical node must be a protected attribute or hidden (named latent_...); "
                "features are numeric",
            )


def _check_categorical(name: str, node: CategoricalNode, check: SpecCheck) -> None:
    """Shares match the categories; a ``parent`` is categorical and ``given`` uses its categories."""
    if len(node.shares) != len(node.categories):
        check.fail(
            f"nodes.{name}.shares",
            f"expected {len(node.categories)} shares (one per category); got {len(node.shares)}",
        )
    if node.parent is None:
        if node.given:
            check.fail(f"nodes.{name}.given", "'given' needs a 'parent'")
        return
    cats = check.categorical
    if node.parent not in cats:
        what = "unknown parent" if node.parent not in check.nodes else "parent must be categorical"
        check.fail(
            f"nodes.{name}.parent", f"{what} {node.parent!r}; categorical nodes: {sorted(cats)}"
        )
    for pcat, shares in node.given.items():
        if pcat not in cats[node.parent].categories:
            check.fail(
                f"nodes.{name}.given.{pcat}",
                f"{pcat!r} is not a category of {node.parent!r}; expected one of "
                f"{cats[node.parent].categories}",
            )
        if len(shares) != len(node.categories):
            check.fail(
                f"nodes.{name}.given.{pcat}",
                f"expected {len(node.categories)} shares; got {len(shares)}",
            )


def _check_effects(name: str, node: Any, check: SpecCheck) -> None:
    """Every parent in ``effects`` exists: a table per category for a categorical parent, else a
    number."""
    for parent, effect in node.effects.items():
        key = f"nodes.{name}.effects.{parent}"
        if parent not in check.nodes:
            check.fail(
                key, f"unknown parent {parent!r}; expected one of the nodes {list(check.nodes)}"
            )
        if parent in check.categorical:
            if not isinstance(effect, dict):
                check.fail(
                    key,
                    f"parent {parent!r} is categorical: give a table "
                    f"{{category = number}}; got {effect!r}",
                )
            check.categories(key, effect, parent)
        elif isinstance(effect, dict):
            check.fail(key, f"parent {parent!r} is numeric: give a number; got {effect!r}")


def _check_mechanisms(s: Scenario, check: SpecCheck) -> None:
    """Each mechanism checks its table; what record mechanisms change must be a plain feature."""
    for mechanism in s.mechanisms.all():
        mechanism.check(check)
    for mechanism in s.mechanisms.all():
        for where, t in mechanism.recorded().items():
            key = f"mechanisms.{mechanism.name}.{where}"
            if t in s.protected or t.startswith("latent_") or t == "truth":
                check.fail(key, f"{t!r} is not a feature; record mechanisms act on features")
            if f"latent_{t}" in s.nodes:
                check.fail(
                    key,
                    f"the generator writes the true value of {t!r} as 'latent_{t}', "
                    "which is already a node; rename that node",
                )


def _check_streams(s: Scenario, check: SpecCheck) -> None:
    """No two noise streams (one per node, and the mechanisms' own) share a key."""
    streams: dict[int, str] = {}
    mechanism_streams = [stream for m in s.mechanisms.all() for stream in m.streams]
    for stream in [f"node:{n}" for n in s.nodes] + mechanism_streams:
        h = zlib.crc32(stream.encode())
        if h in streams:  # pragma: no cover - astronomically unlikely
            check.fail(f"nodes.{stream}", f"noise stream key collides with {streams[h]!r}; rename")
        streams[h] = stream


def _topological_order(edges: dict[str, set[str]], fail) -> list[str]:
    """Kahn's algorithm in declaration order; on a cycle, name it."""
    pending = {n: set(p) for n, p in edges.items()}
    order: list[str] = []
    while pending:
        ready = [n for n, p in pending.items() if not p]
        if not ready:
            cycle = _find_cycle(pending)
            fail(
                f"nodes.{cycle[0]}",
                "the causal graph has a cycle: "
                + " → ".join([*cycle, cycle[0]])
                + " (each arrow: 'is a parent of'); remove one of these dependencies",
            )
        for n in ready:
            order.append(n)
            del pending[n]
        for p in pending.values():
            p.difference_update(ready)
    return order


def _find_cycle(pending: dict[str, set[str]]) -> list[str]:
    # walk parent links from any pending node until a node repeats
    start = next(iter(pending))
    seen: list[str] = []
    node = start
    while node not in seen:
        seen.append(node)
        node = sorted(pending[node])[0]
    cycle = seen[seen.index(node) :]
    return cycle[::-1]  # parent → child order


def _edges(s: Scenario) -> dict[str, set[str]]:
    """Parents of every node: its own (``parent`` or ``effects``), plus the nodes that mechanisms
    acting inside the causal model make it depend on. References must be valid."""
    edges: dict[str, set[str]] = {}
    for name, node in s.nodes.items():
        if isinstance(node, CategoricalNode):
            edges[name] = {node.parent} if node.parent else set()
        else:
            edges[name] = set(node.effects)
    for mechanism in s.mechanisms.all():
        for node, parents in mechanism.parents().items():
            edges[node] |= parents
    return edges


def topological_order(s: Scenario) -> list[str]:
    """Nodes in an order where every node comes after its parents (ties: declaration order)."""

    def fail(key: str, message: str) -> None:  # pragma: no cover - validated before
        raise SpecError(message, path=s.source, key=key)

    return _topological_order(_edges(s), fail)
