"""Scenario specifications: pydantic models, TOML loading and validation into `SpecError`.

A scenario (``datasets/<name>.toml``) is a structural causal model (``[nodes.*]``), the bias
mechanisms that turn the true world into institutional records (``[mechanisms.*]``), the protected
attributes with their reference groups (``[protected]``) and an opaque ``[scorer]`` table carried
through untouched for `audit.scoring`.

This module only validates and resolves specs. It must not draw random numbers or build frames, and
every problem it finds surfaces as one `SpecError` naming the file, the dotted key, the bad value and
what was expected.
"""

from __future__ import annotations

import math
import re
import sys
import tomllib
import zlib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from audit.exceptions import SpecError

__all__ = [
    "BUILTIN_SCENARIOS",
    "MECHANISM_NAMES",
    "RESERVED_COLUMNS",
    "Scenario",
    "builtin_path",
    "datasets_dir",
    "load_spec",
]

#: Scenarios shipped with the package, resolvable by name.
BUILTIN_SCENARIOS = ("sesame", "fair")

#: The bias mechanisms, in the order the generator applies them (structural and proxy act inside
#: the causal model; the others turn the true world into records, in this order).
MECHANISM_NAMES = (
    "structural",
    "proxy",
    "surveillance",
    "court_listing",
    "record_linkage",
    "political_speech",
    "association",
    "label_bias",
)
#: The mechanisms that turn the true world into records (all but structural and proxy), in order.
RECORD_MECHANISM_NAMES = MECHANISM_NAMES[2:]

#: Columns the generator writes itself; no node may take these names.
RESERVED_COLUMNS = frozenset(
    {
        "person_id",
        "observed",
        "court_listed",
        "latent_court_listed",
        "speech_flag",
        "friends_listed_share",
    }
    | {f"trace_{m}" for m in MECHANISM_NAMES}
)

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SHARE_TOL = 1e-6


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    """Base of every spec table: strict types, frozen, unknown keys named with the allowed ones."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = set(cls.model_fields)
            unknown = [k for k in data if k not in allowed]
            if unknown:
                raise PydanticCustomError(
                    "unknown_key",
                    "unknown key {key}; expected one of: {allowed}",
                    {
                        "key": repr(unknown[0]),
                        "name": unknown[0],
                        "allowed": ", ".join(sorted(allowed)),
                    },
                )
        return data


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _effect(value: Any) -> float | dict[str, float]:
    if _is_number(value):
        return float(value)
    if isinstance(value, dict) and all(
        isinstance(k, str) and _is_number(v) for k, v in value.items()
    ):
        return {k: float(v) for k, v in value.items()}
    raise PydanticCustomError(
        "effect_type",
        "an effect must be a number (numeric parent) or a table {category = number} "
        "(categorical parent)",
    )


def _shares(value: Any) -> tuple[float, ...]:
    if not isinstance(value, list) or not value or not all(_is_number(v) for v in value):
        raise PydanticCustomError("shares_type", "shares must be a non-empty array of numbers")
    if any(v < 0 for v in value):
        raise PydanticCustomError("shares_negative", "shares must be >= 0")
    total = math.fsum(value)
    if abs(total - 1.0) > _SHARE_TOL:
        raise PydanticCustomError(
            "shares_sum", "shares must sum to 1 (they sum to {total})", {"total": f"{total:.6g}"}
        )
    return tuple(float(v) for v in value)


Effect = Annotated[Any, PlainValidator(_effect)]
Shares = Annotated[Any, PlainValidator(_shares)]
NonNegative = Annotated[float, Field(ge=0)]


# --------------------------------------------------------------------------------------------
# Nodes of the causal model
# --------------------------------------------------------------------------------------------


class _Linear(_Strict):
    doc: str = ""
    intercept: float = 0.0
    effects: dict[str, Effect] = Field(default_factory=dict)


class CategoricalNode(_Strict):
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
# Mechanisms
# --------------------------------------------------------------------------------------------


class _Mechanism(_Strict):
    magnitude: NonNegative
    note: str = ""


class _Weighted(_Mechanism):
    """Per-person effect = ``magnitude * (base + sum over attributes of weights[attr][category])``."""

    base: float = 0.0
    weights: dict[str, dict[str, float]] = Field(default_factory=dict)


class Structural(_Weighted):
    """Shift (in units of the node's scale) added to a gaussian node of the true world."""

    target: str


class Proxy(_Mechanism):
    """Mix categorical nodes' shares toward per-group shares: ``(1 - m) base + m shares[group]``."""

    magnitude: Annotated[float, Field(ge=0, le=1)]
    by: str
    shares: dict[str, dict[str, Shares]] = Field(default_factory=dict)


class Surveillance(_Weighted):
    """Recorded rate of minor infractions = true rate * (1 + effect)."""

    targets: list[str] = Field(default_factory=list)


class CourtListing(_Weighted):
    """A paid debt stays listed (stale listing) with probability = effect.

    ``records_default``: the institution's outcome record follows the listing, so a stale listing
    is also recorded as a default (``observed = 1``) although the debt was paid.
    """

    judgment: str
    paid: str
    records_default: bool = False


class RecordLinkage(_Weighted):
    """Another person's debt merged onto someone with probability = effect (mistaken identity).

    ``records_default``: the merged debt is also recorded as this person's default (``observed = 1``).
    """

    count: str
    same: str | None = None
    records_default: bool = False


class PoliticalSpeech(_Weighted):
    """A person with critical posts is flagged (``speech_flag``) with probability = effect."""

    posts: str


class Association(_Weighted):
    """Each of ``friends`` ties is drawn inside the person's ``by`` group with probability = effect."""

    by: str
    friends: Annotated[int, Field(ge=1, le=64)] = 8


class LabelBias(_Weighted):
    """A person who in truth did not default is recorded as a defaulter with probability = effect."""


class Mechanisms(_Strict):
    structural: Structural
    proxy: Proxy
    surveillance: Surveillance
    court_listing: CourtListing
    record_linkage: RecordLinkage
    political_speech: PoliticalSpeech
    association: Association
    label_bias: LabelBias


# --------------------------------------------------------------------------------------------
# The scenario
# --------------------------------------------------------------------------------------------


class Scenario(_Strict):
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
        The eight bias mechanisms with their magnitudes (0 = off).
    scorer : dict
        The raw ``[scorer]`` table, validated later by `audit.scoring`.
    """

    name: str
    description: str = ""
    protected: dict[str, str] = Field(min_length=1)
    nodes: dict[str, Node] = Field(min_length=1)
    mechanisms: Mechanisms
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
    def fail(key: str, message: str) -> None:
        raise SpecError(message, path=path, key=key)

    nodes = s.nodes
    names = list(nodes)
    cats = {k: v for k, v in nodes.items() if isinstance(v, CategoricalNode)}
    if not _NAME.match(s.name):
        fail("name", f"must be lower_snake_case (letters, digits, _); got {s.name!r}")

    for name in names:
        if not _NAME.match(name):
            fail(f"nodes.{name}", "a node name must be lower_snake_case (it becomes a column)")
        if name in RESERVED_COLUMNS:
            fail(f"nodes.{name}", f"{name!r} is a column the generator writes itself; rename it")

    # protected attributes
    for attr, ref in s.protected.items():
        if attr not in nodes:
            fail(f"protected.{attr}", f"no node named {attr!r}; declare [nodes.{attr}]")
        if attr not in cats:
            fail(
                f"protected.{attr}",
                f"a protected attribute must be a categorical node; {attr!r} is {nodes[attr].kind}",
            )
        if attr.startswith("latent_"):
            fail(f"protected.{attr}", "a protected attribute cannot be a hidden latent_ node")
        if ref not in cats[attr].categories:
            fail(
                f"protected.{attr}",
                f"reference group {ref!r} is not a category of {attr!r}; expected one of "
                f"{cats[attr].categories}",
            )
    if "truth" not in nodes or nodes["truth"].kind != "bernoulli":
        fail("nodes.truth", "a scenario needs a bernoulli node 'truth' (1 = defaults/violates)")
    for name in cats:
        if name not in s.protected and not name.startswith("latent_"):
            fail(
                f"nodes.{name}",
                "a categorical node must be a protected attribute or hidden (named latent_...); "
                "features are numeric",
            )

    # parents of nodes
    for name, node in nodes.items():
        if isinstance(node, CategoricalNode):
            if len(node.shares) != len(node.categories):
                fail(
                    f"nodes.{name}.shares",
                    f"expected {len(node.categories)} shares (one per category); "
                    f"got {len(node.shares)}",
                )
            if node.parent is None:
                if node.given:
                    fail(f"nodes.{name}.given", "'given' needs a 'parent'")
                continue
            if node.parent not in cats:
                what = (
                    "unknown parent" if node.parent not in nodes else "parent must be categorical"
                )
                fail(
                    f"nodes.{name}.parent",
                    f"{what} {node.parent!r}; categorical nodes: {sorted(cats)}",
                )
            for pcat, shares in node.given.items():
                if pcat not in cats[node.parent].categories:
                    fail(
                        f"nodes.{name}.given.{pcat}",
                        f"{pcat!r} is not a category of {node.parent!r}; expected one of "
                        f"{cats[node.parent].categories}",
                    )
                if len(shares) != len(node.categories):
                    fail(
                        f"nodes.{name}.given.{pcat}",
                        f"expected {len(node.categories)} shares; got {len(shares)}",
                    )
            continue
        for parent, effect in node.effects.items():
            key = f"nodes.{name}.effects.{parent}"
            if parent not in nodes:
                fail(key, f"unknown parent {parent!r}; expected one of the nodes {names}")
            if parent in cats:
                if not isinstance(effect, dict):
                    fail(
                        key,
                        f"parent {parent!r} is categorical: give a table "
                        f"{{category = number}}; got {effect!r}",
                    )
                _check_categories(fail, key, effect, cats[parent].categories, parent)
            elif isinstance(effect, dict):
                fail(key, f"parent {parent!r} is numeric: give a number; got {effect!r}")

    m = s.mechanisms

    def need(key: str, node: str | None, kinds: tuple[str, ...], what: str) -> None:
        if node not in nodes:
            fail(key, f"unknown node {node!r}; expected {what}")
        if nodes[node].kind not in kinds:
            fail(key, f"{node!r} is {nodes[node].kind}; expected {what}")

    def weights(mech: str, w: _Weighted, *, signed: bool = False) -> None:
        for attr, table in w.weights.items():
            key = f"mechanisms.{mech}.weights.{attr}"
            if attr not in cats:
                fail(key, f"weights need a categorical node; {attr!r} is not one of {sorted(cats)}")
            _check_categories(fail, key, table, cats[attr].categories, attr)
            if not signed:
                for c, v in table.items():
                    if v < 0:
                        fail(f"{key}.{c}", f"must be >= 0 (it scales a rate); got {v}")
        if not signed and w.base < 0:
            fail(f"mechanisms.{mech}.base", f"must be >= 0 (it scales a rate); got {w.base}")
        if w.magnitude > 0 and w.base == 0 and not any(any(t.values()) for t in w.weights.values()):
            fail(
                f"mechanisms.{mech}",
                "magnitude > 0 but base and weights are all 0, so the "
                "mechanism would touch no one; set base or weights",
            )

    # structural: attributes -> target
    need("mechanisms.structural.target", m.structural.target, ("gaussian",), "a gaussian node")
    weights("structural", m.structural, signed=True)

    # proxy: by -> targets
    need("mechanisms.proxy.by", m.proxy.by, ("categorical",), "a categorical node")
    for target, table in m.proxy.shares.items():
        key = f"mechanisms.proxy.shares.{target}"
        need(key, target, ("categorical",), "a categorical node")
        if nodes[target].parent is not None:
            fail(key, f"{target!r} already has a parent; proxy targets must be unconditional")
        if target == m.proxy.by:
            fail(key, "a proxy cannot target its own 'by' attribute")
        _check_categories(fail, key, table, cats[m.proxy.by].categories, m.proxy.by)
        for group, shares in table.items():
            if len(shares) != len(cats[target].categories):
                fail(
                    f"{key}.{group}",
                    f"expected {len(cats[target].categories)} shares (one per "
                    f"category of {target!r}); got {len(shares)}",
                )

    # record mechanisms (they read the finished world; no edges inside the causal model)
    for i, t in enumerate(m.surveillance.targets):
        need(
            f"mechanisms.surveillance.targets.{i}",
            t,
            ("poisson", "bernoulli"),
            "a poisson or bernoulli feature",
        )
    need(
        "mechanisms.court_listing.judgment",
        m.court_listing.judgment,
        ("bernoulli",),
        "a bernoulli node",
    )
    need("mechanisms.court_listing.paid", m.court_listing.paid, ("bernoulli",), "a bernoulli node")
    need("mechanisms.record_linkage.count", m.record_linkage.count, ("poisson",), "a poisson node")
    if m.record_linkage.same is not None:
        need(
            "mechanisms.record_linkage.same",
            m.record_linkage.same,
            ("categorical",),
            "a categorical node",
        )
    need(
        "mechanisms.political_speech.posts",
        m.political_speech.posts,
        ("poisson", "bernoulli", "ordinal"),
        "a count node",
    )
    need("mechanisms.association.by", m.association.by, ("categorical",), "a categorical node")
    for mech in RECORD_MECHANISM_NAMES:
        weights(mech, getattr(m, mech))
    recorded = [*m.surveillance.targets, m.record_linkage.count]
    for i, t in enumerate(recorded):
        key = (
            f"mechanisms.surveillance.targets.{i}"
            if i < len(m.surveillance.targets)
            else "mechanisms.record_linkage.count"
        )
        if t in s.protected or t.startswith("latent_") or t == "truth":
            fail(key, f"{t!r} is not a feature; record mechanisms act on features")
        if f"latent_{t}" in nodes:
            fail(
                key,
                f"the generator writes the true value of {t!r} as 'latent_{t}', "
                "which is already a node; rename that node",
            )

    _topological_order(_edges(s), fail)
    streams: dict[int, str] = {}
    for stream in [f"node:{n}" for n in names] + list(MECHANISM_STREAMS):
        h = zlib.crc32(stream.encode())
        if h in streams:  # pragma: no cover - astronomically unlikely
            fail(f"nodes.{stream}", f"noise stream key collides with {streams[h]!r}; rename")
        streams[h] = stream


#: Noise streams the mechanisms draw (one fixed-size array each per block).
MECHANISM_STREAMS = (
    "mech:court_listing:stale",
    "mech:record_linkage:event",
    "mech:record_linkage:donor",
    "mech:political_speech:flag",
    "mech:association:homophily",
    "mech:association:pick",
    "mech:label_bias:flip",
)


def _check_categories(fail, key: str, table: dict, categories: list[str], attr: str) -> None:
    for c in table:
        if c not in categories:
            fail(f"{key}.{c}", f"{c!r} is not a category of {attr!r}; expected one of {categories}")


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
    """Parents of every node: its own (``parent`` or ``effects``), plus the attributes that the
    in-model mechanisms (``structural``, ``proxy``) make it depend on. References must be valid."""
    edges: dict[str, set[str]] = {}
    for name, node in s.nodes.items():
        if isinstance(node, CategoricalNode):
            edges[name] = {node.parent} if node.parent else set()
        else:
            edges[name] = set(node.effects)
    m = s.mechanisms
    edges[m.structural.target] |= set(m.structural.weights)
    for target in m.proxy.shares:
        edges[target].add(m.proxy.by)
    return edges


def topological_order(s: Scenario) -> list[str]:
    """Nodes in an order where every node comes after its parents (ties: declaration order)."""

    def fail(key: str, message: str) -> None:  # pragma: no cover - validated before
        raise SpecError(message, path=s.source, key=key)

    return _topological_order(_edges(s), fail)
