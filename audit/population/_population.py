"""`Population`: one synthetic population (a DataFrame plus the scenario and seed that made it).

Holds the frame, answers questions about its columns (protected attributes, features, traces),
regenerates counterfactual twins, summarises itself, and saves/loads Parquet with the scenario and
seed in the file's metadata. `make_population` and `load_population` are the two ways to get one.

This module must not know about scorers or audits, and must not generate values itself (that is
`_engine`'s job); it validates arguments, wraps arrays into a frame and does file I/O.
"""

from __future__ import annotations

import json
import numbers
import os
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from audit.exceptions import InvalidInputError, SchemaError
from audit.population._engine import generate, generate_people
from audit.population._noise import BLOCK_SIZE
from audit.population._plan import Plan
from audit.population._spec import Scenario, load_spec

__all__ = ["Population", "load_population", "make_population", "validate_output"]

#: Bumped whenever the same spec and seed would give different people.
GENERATOR_VERSION = 2  # 2: Poisson counts exact at rates above ~37 (were cut to 1)
_META_KEY = b"audit.population"
_ROW_GROUP = 1 << 20


def _check_int(func: str, name: str, value: Any, minimum: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise InvalidInputError(
            f"The '{name}' parameter of {func} must be an integer >= {minimum}. Got {value!r} instead."
        )
    return int(value)


def validate_output(path: str | Path) -> Path:
    """Check that a population can be written at ``path`` (before spending time generating it).

    Raises
    ------
    InvalidInputError
        The folder does not exist, or ``path`` is a folder.
    """
    path = Path(path)
    if path.is_dir():
        raise InvalidInputError(f"cannot write the population to '{path}': it is a folder")
    if not path.parent.is_dir():
        raise InvalidInputError(
            f"cannot write the population to '{path}': folder '{path.parent}' does not exist"
        )
    return path


def make_population(
    spec: str | Path | dict | Scenario = "sesame",
    *,
    n: int = 100_000,
    seed: int = 0,
    chunk_size: int | None = None,
    progress: bool = False,
) -> Population:
    """Generate a synthetic population from a scenario.

    Parameters
    ----------
    spec : str, Path, dict or Scenario, default "sesame"
        A built-in scenario name (``"sesame"``, ``"fair"``), a path to a scenario TOML, a dict with
        its content, or a validated `Scenario`.
    n : int, default 100_000
        Number of people.
    seed : int, default 0
        Non-negative seed; the same spec and seed give the same people, whatever ``chunk_size``,
        and person ``i`` is the same person whatever ``n``.
    chunk_size : int, optional
        People per step of work (rounded up to whole blocks of 65,536). Never changes the result.
    progress : bool, default False
        Show a progress bar on stderr.

    Returns
    -------
    Population

    Raises
    ------
    SpecError
        The scenario is invalid.
    InvalidInputError
        ``n``, ``seed`` or ``chunk_size`` is not a valid integer.

    Examples
    --------
    >>> from audit.population import make_population
    >>> pop = make_population("sesame", n=1000, seed=0)
    >>> len(pop.frame), pop.protected[0], "court_listed" in pop.features
    (1000, 'ethnicity', True)
    """
    scenario = load_spec(spec)
    n = _check_int("make_population", "n", n, 1)
    seed = _check_int("make_population", "seed", seed, 0)
    if chunk_size is not None:
        chunk_size = _check_int("make_population", "chunk_size", chunk_size, 1)
    plan = Plan(scenario)
    arrays = generate(plan, seed, n, chunk_size=chunk_size, progress=progress)
    return Population(_frame(plan, arrays), scenario, seed)


def _frame(plan: Plan, arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for c in plan.columns:
        values = arrays.pop(c.name)
        if c.dtype == "category":
            data[c.name] = pd.Categorical.from_codes(values, categories=list(c.categories))
        else:
            data[c.name] = values
    return pd.DataFrame(data, copy=False)


class Population:
    """A synthetic population: one row per person, and the scenario and seed that made it.

    Build one with `make_population` or `load_population`.

    Attributes
    ----------
    frame : pandas.DataFrame
        ``person_id``, the protected attributes (categorical), the features (int8/int16/float32),
        ``truth`` (1 = defaults/violates in the next period), ``observed`` (the recorded label),
        one ``trace_<mechanism>`` bool column per mechanism, and hidden ``latent_*`` columns.
    spec : Scenario
        The validated scenario; ``spec.scorer`` is its raw ``[scorer]`` table.
    seed : int
    interventions : dict of str to str
        ``{}`` for a factual population; the ``do()`` settings for counterfactual twins.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        spec: Scenario,
        seed: int,
        *,
        interventions: dict[str, str] | None = None,
    ):
        self.frame = frame
        self.spec = spec
        self.seed = int(seed)
        self.interventions = dict(interventions or {})

    @cached_property
    def _plan(self) -> Plan:
        return Plan(self.spec)

    @property
    def n(self) -> int:
        """Number of people in the frame."""
        return len(self.frame)

    @property
    def protected(self) -> list[str]:
        """Protected attribute columns, in the scenario's order."""
        return list(self.spec.protected)

    @property
    def reference(self) -> dict[str, str]:
        """Reference (majority) group of each protected attribute, from the scenario."""
        return dict(self.spec.protected)

    @property
    def features(self) -> list[str]:
        """Record columns a scorer may use: numeric, never protected, never latent or traces."""
        return list(self._plan.features)

    @property
    def traces(self) -> list[str]:
        """Bool columns ``trace_<mechanism>``: True where that mechanism touched the person."""
        return list(self._plan.traces)

    @property
    def latent(self) -> list[str]:
        """Hidden ground-truth helper columns (``latent_*``); never features."""
        return list(self._plan.latent)

    @property
    def mechanisms(self) -> dict[str, dict[str, Any]]:
        """What the scenario injected, as plain data: per mechanism its magnitude, description,
        note, settings, how many people of this frame it touched, and for the case files the
        failure mode it stands for, its precedence and the features it acts through."""
        out = {}
        for m in self.spec.mechanisms.all():
            settings = m.model_dump(mode="json", exclude={"magnitude", "note"}, exclude_none=True)
            out[m.name] = {
                "magnitude": float(m.magnitude),
                "on": m.magnitude > 0,
                "description": m.doc,
                "note": m.note,
                "settings": settings,
                "touched": int(self.frame[f"trace_{m.name}"].sum()),
                "failure_mode": m.failure_mode,
                "precedence": m.precedence,
                "linked_features": m.linked_features(),
            }
        return out

    def __repr__(self) -> str:
        twin = f", interventions={self.interventions}" if self.interventions else ""
        return f"Population(spec={self.spec.name!r}, n={self.n}, seed={self.seed}{twin})"

    # ------------------------------------------------------------------------------------
    def counterfactual(self, rows: Any = None, **attributes: str) -> Population:
        """Counterfactual twins: the same people with the same noise, protected attributes set.

        Each person's twin is generated with ``do(attribute=value)`` for that person alone: every
        exogenous draw is reused, every descendant of the attribute is recomputed (proxies,
        capital, assets, truth, records, ...), non-descendants stay identical, and the rest of
        the world (friends, people whose records could be merged on) stays factual. So a twin
        does not depend on which other rows are asked for, and a person already in the group has
        a twin identical to themself.

        Parameters
        ----------
        rows : array-like of int, optional
            Positions in ``frame`` (default: everybody). Only the blocks holding them are
            regenerated; the result holds just these people, in this order.
        **attributes : str
            Protected attribute = category, e.g. ``ethnicity="Han"``.

        Returns
        -------
        Population
            Twins with a fresh RangeIndex; ``person_id`` links them to the factual rows.

        Examples
        --------
        >>> from audit.population import make_population
        >>> pop = make_population("sesame", n=1000, seed=0)
        >>> twins = pop.counterfactual([0, 1, 2], ethnicity="Han")
        >>> list(twins.frame["ethnicity"])
        ['Han', 'Han', 'Han']
        """
        if not attributes:
            raise InvalidInputError(
                "counterfactual needs a protected attribute to set, e.g. "
                f"counterfactual(ethnicity={self.reference[self.protected[0]]!r}); "
                f"protected attributes: {self.protected}"
            )
        for attr, value in attributes.items():
            if attr not in self.spec.protected:
                raise InvalidInputError(
                    f"'{attr}' is not a protected attribute of scenario '{self.spec.name}'; "
                    f"expected one of {self.protected}"
                )
            if value not in self._plan.categories[attr]:
                raise InvalidInputError(
                    f"{value!r} is not a category of '{attr}'; expected one of "
                    f"{self._plan.categories[attr]}"
                )
        ids = self.frame["person_id"].to_numpy()
        if rows is not None:
            ids = ids[self._check_rows(rows)]
        merged = {**self.interventions, **attributes}
        overrides = {a: self._plan.code(a, v) for a, v in merged.items()}
        arrays = generate_people(self._plan, self.seed, ids, overrides)
        return Population(_frame(self._plan, arrays), self.spec, self.seed, interventions=merged)

    def _check_rows(self, rows: Any) -> np.ndarray:
        arr = np.asarray(rows)
        if arr.ndim != 1 or not (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
            raise InvalidInputError(
                "The 'rows' parameter of counterfactual must be a 1-D array of integer positions. "
                f"Got an array of dtype {arr.dtype} and shape {arr.shape} instead."
            )
        arr = arr.astype(np.int64)
        bad = arr[(arr < 0) | (arr >= self.n)]
        if bad.size:
            raise InvalidInputError(
                f"The 'rows' parameter of counterfactual must hold positions in [0, {self.n}). "
                f"Got {bad[:5].tolist()} instead."
            )
        return arr

    # ------------------------------------------------------------------------------------
    def summary(self) -> str:
        """A short plain-text summary: size, group shares, base rates, mechanisms."""
        f = self.frame
        lines = [f"Population '{self.spec.name}': {self.n:,} people, seed {self.seed}"]
        if self.interventions:
            setting = ", ".join(f"{a}={v}" for a, v in self.interventions.items())
            lines[0] += f" (counterfactual twins: {setting})"
        width = max(len(a) for a in self.protected)
        for attr in self.protected:
            shares = f[attr].value_counts(normalize=True, sort=False)
            parts = " · ".join(f"{c} {s:.1%}" for c, s in shares.items())
            lines.append(f"  {attr:<{width}}  {parts}")
        lines.append(
            f"truth    (defaults next period): {f['truth'].mean():.2%}   "
            f"observed (recorded label): {f['observed'].mean():.2%}"
        )
        first = self.protected[0]
        rates = f.groupby(first, observed=True)[["truth", "observed"]].mean()
        parts = " · ".join(f"{g} {r.truth:.1%}/{r.observed:.1%}" for g, r in rates.iterrows())
        lines.append(f"  by {first} (truth/observed): {parts}")
        on = [
            f"{name} {m['magnitude']:g} ({m['touched'] / max(self.n, 1):.1%} touched)"
            for name, m in self.mechanisms.items()
            if m["on"]
        ]
        lines.append("mechanisms on: " + (", ".join(on) if on else "none (control scenario)"))
        return "\n".join(lines)

    # ------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the population to Parquet, with scenario, seed and interventions in its metadata.

        The file appears complete or not at all (written to a temporary file, then renamed).

        Returns
        -------
        Path
            The written path.
        """
        path = validate_output(path)
        meta = {
            "generator": "audit.population",
            "generator_version": GENERATOR_VERSION,
            "block_size": BLOCK_SIZE,
            "seed": self.seed,
            "interventions": self.interventions,
            "spec": self.spec.to_dict(),
        }
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        writer = None
        try:
            for start in range(0, max(self.n, 1), _ROW_GROUP):
                table = pa.Table.from_pandas(
                    self.frame.iloc[start : start + _ROW_GROUP], preserve_index=False
                )
                if writer is None:
                    schema_meta = {**(table.schema.metadata or {}), _META_KEY: json.dumps(meta)}
                    schema = table.schema.with_metadata(schema_meta)
                    writer = pq.ParquetWriter(tmp, schema)
                writer.write_table(table.cast(schema))
            writer.close()
            os.replace(tmp, path)
        except BaseException:
            if writer is not None:
                writer.close()
            tmp.unlink(missing_ok=True)
            raise
        return path


def load_population(path: str | Path) -> Population:
    """Read a population written by `Population.save`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Population
        With the same frame (dtypes included), scenario, seed and interventions.

    Raises
    ------
    InvalidInputError
        No such file, or a Parquet file without population metadata.
    SchemaError
        The columns do not match the scenario stored with them.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"no population file at '{path}'")
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise InvalidInputError(f"'{path}' is not a Parquet file: {e}") from None
    raw = (schema.metadata or {}).get(_META_KEY)
    if raw is None:
        raise InvalidInputError(
            f"'{path}' has no population metadata; expected a file written by Population.save "
            "(to audit any table of decisions, use `audit csv`)"
        )
    meta = json.loads(raw)
    if meta.get("block_size") != BLOCK_SIZE or meta.get("generator_version") != GENERATOR_VERSION:
        raise InvalidInputError(
            f"'{path}' was written by generator version {meta.get('generator_version')} "
            f"(block size {meta.get('block_size')}); this is version {GENERATOR_VERSION} "
            f"(block size {BLOCK_SIZE}). Regenerate it with make_population."
        )
    spec = load_spec(meta["spec"])
    frame = pq.read_table(path).to_pandas(self_destruct=True)
    expected = [c.name for c in Plan(spec).columns]
    if list(frame.columns) != expected:
        raise SchemaError(
            f"'{path}' columns do not match its scenario '{spec.name}': expected {expected}, "
            f"got {list(frame.columns)}"
        )
    return Population(frame, spec, meta["seed"], interventions=meta.get("interventions"))
