"""Checking and encoding one table (or one chunk of a table) of decisions.

What it is for: turning the label, decision, observed-label, score and protected columns into plain
arrays (``uint8`` adverse indicators, ``float64`` scores, integer group codes) and raising errors that
name the column, what was expected and what was received. How ``positive`` is matched against a
column lives here (:func:`adverse_mask`).
What it must not do: count, compute metrics, read files, or loop over rows in Python.

How ``positive`` is matched (never guessed, never inverted)
---------------------------------------------------------
``positive`` is the value meaning the adverse outcome (blacklisted / defaulted) in *both* the label
and the decision column. It is compared with each column according to that column's dtype:

* boolean column: ``True``/``False``, ``1``/``0`` or the strings ``"true"``/``"false"``/``"1"``/``"0"``
  (any case) name the adverse value;
* numeric column: a number, or a string that parses as one (``"1"`` matches ``1`` and ``1.0``);
* text, object or categorical column: compared as text, ``str(positive)`` (``1`` matches ``"1"``).

A column may hold the positive value and at most one other value. A column with two distinct values
neither of which is ``positive`` is an error (so a misspelt ``positive`` cannot silently invert the
audit); so is a ``positive`` that occurs in neither column (checked once all chunks are counted).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audit.exceptions import InvalidInputError, SchemaError

__all__ = [
    "UNKNOWN",
    "EncodedChunk",
    "Roles",
    "adverse_mask",
    "as_frame",
    "encode_chunk",
]

#: Group label given to missing protected values when ``missing="unknown"``.
UNKNOWN = "unknown"

_MAX_SHOWN = 6


def _show(values: Sequence[object]) -> str:
    """A short, readable list of values for an error message."""
    shown = ", ".join(repr(_plain(v)) for v in list(values)[:_MAX_SHOWN])
    more = len(values) - _MAX_SHOWN
    return shown + (f", ... ({more} more)" if more > 0 else "")


def _plain(value: object) -> object:
    """A numpy scalar as the Python scalar it stands for."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class Roles:
    """Which column plays which part in an audit.

    Parameters
    ----------
    label, decision : str
        Columns of the adverse label (defaulted / violated) and of the decision (blacklisted).
    protected : tuple of str
        Protected attribute columns.
    score : str or None
        Optional score column (higher = more trustworthy unless told otherwise).
    observed_label : str or None
        Optional second label column (synthetic runs: the recorded label beside the ground truth).
    """

    label: str
    decision: str
    protected: tuple[str, ...]
    score: str | None = None
    observed_label: str | None = None

    def columns(self) -> list[str]:
        """All columns the audit reads, each once, in a fixed order."""
        cols = [self.label, self.decision, *self.protected, self.score, self.observed_label]
        out: list[str] = []
        for c in cols:
            if c is not None and c not in out:
                out.append(c)
        return out

    def binary(self) -> dict[str, str]:
        """Role name -> column for the columns that must be binary."""
        out = {"label": self.label, "decision": self.decision}
        if self.observed_label is not None:
            out["observed_label"] = self.observed_label
        return out


def make_roles(
    label: str,
    decision: str,
    protected: str | Sequence[str],
    score: str | None,
    observed_label: str | None,
) -> Roles:
    """Check the column-name arguments and bundle them into :class:`Roles`."""
    if isinstance(protected, str):
        protected = [protected]
    protected = tuple(protected)
    if not protected:
        raise InvalidInputError(
            "The 'protected' parameter must name at least one column (got an empty list)."
        )
    for role, name in (("label", label), ("decision", decision)):
        if not isinstance(name, str):
            raise InvalidInputError(
                f"The '{role}' parameter must be a column name (str); got {type(name).__name__}."
            )
    for role, name in (("score", score), ("observed_label", observed_label)):
        if name is not None and not isinstance(name, str):
            raise InvalidInputError(
                f"The '{role}' parameter must be a column name (str) or None; "
                f"got {type(name).__name__}."
            )
    for p in protected:
        if not isinstance(p, str):
            raise InvalidInputError(
                f"The 'protected' parameter must list column names (str); got {p!r}."
            )
    if len(set(protected)) != len(protected):
        raise InvalidInputError(f"The 'protected' columns must be distinct; got {list(protected)}.")
    clash = {label, decision, score, observed_label} & set(protected)
    if clash:
        raise InvalidInputError(
            f"Column {sorted(clash)[0]!r} cannot be both a protected attribute and the label, "
            "decision, score or observed label."
        )
    return Roles(label, decision, protected, score, observed_label)


def as_frame(data: object, columns: Sequence[str]) -> pd.DataFrame:
    """``data`` as a DataFrame holding ``columns``, or an error naming what is missing.

    Parameters
    ----------
    data : pandas.DataFrame or mapping of column name to array-like
        The table of decisions. A mapping must hold arrays of equal length.
    columns : sequence of str
        Columns the audit needs.
    """
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, Mapping):
        lengths = {str(k): len(v) for k, v in data.items() if str(k) in columns}
        if len(set(lengths.values())) > 1:
            raise InvalidInputError(
                "All columns of 'data' must have the same length; got lengths "
                + ", ".join(f"{k}={v}" for k, v in lengths.items())
                + "."
            )
        frame = pd.DataFrame({k: data[k] for k in data if k in columns})
    else:
        raise InvalidInputError(
            "The 'data' parameter must be a pandas DataFrame or a mapping of column name to "
            f"array; got {type(data).__name__}."
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"Column {missing[0]!r} is required but not in the data"
            + (f" (also missing: {missing[1:]})" if len(missing) > 1 else "")
            + f"; available columns: {_show([str(c) for c in frame.columns])}."
        )
    if len(frame) == 0:
        raise InvalidInputError("The data has 0 rows; an audit needs at least one row.")
    return frame


# --- positive matching ---------------------------------------------------------------------------


def _positive_as_bool(positive: object, column: str, role: str) -> bool:
    if isinstance(positive, bool | np.bool_):
        return bool(positive)
    if isinstance(positive, numbers.Number) and positive in (0, 1):
        return bool(positive)
    if isinstance(positive, str) and positive.strip().lower() in ("true", "1", "false", "0"):
        return positive.strip().lower() in ("true", "1")
    raise SchemaError(
        f"positive={positive!r} cannot be matched with boolean column {column!r} ({role}); "
        "expected True/False, 1/0 or 'true'/'false'."
    )


def _positive_as_number(positive: object, column: str, role: str) -> float | int:
    if isinstance(positive, bool | np.bool_):
        return int(positive)
    if isinstance(positive, numbers.Number):
        return positive  # type: ignore[return-value]
    if isinstance(positive, str):
        try:
            value = float(positive.strip())
        except ValueError:
            pass
        else:
            return int(value) if value.is_integer() else value
    raise SchemaError(
        f"positive={positive!r} cannot be matched with numeric column {column!r} ({role}); "
        "expected a number (or a string holding one, e.g. '1')."
    )


def _first_row(mask: np.ndarray, row_offset: int) -> int:
    return int(np.flatnonzero(mask)[0]) + row_offset


def adverse_mask(
    values: pd.Series, positive: object, *, column: str, role: str, row_offset: int = 0
) -> tuple[np.ndarray, object | None]:
    """Which rows hold the adverse (``positive``) value, and the one other value seen.

    Parameters
    ----------
    values : pandas.Series
        The label or decision column (or a chunk of it).
    positive : object
        The value meaning the adverse outcome; matched by dtype as the module docstring describes.
    column, role : str
        Column name and its part ("label", "decision", "observed_label"), for error messages.
    row_offset : int
        Position of the chunk's first row in the whole data (for error messages).

    Returns
    -------
    mask : numpy.ndarray of bool
        True where the value is the adverse one.
    other : object or None
        The single non-adverse value present (a Python scalar), or None if every row is adverse.

    Raises
    ------
    SchemaError
        Missing values, more than one non-adverse value, or a ``positive`` that cannot be compared.
    """
    numpy_int = isinstance(values.dtype, np.dtype) and values.dtype.kind in "iub"
    na = None if numpy_int else values.isna().to_numpy()  # numpy ints and bools have no NaN
    if na is not None and na.any():
        raise SchemaError(
            f"Column {column!r} ({role}) has {int(na.sum())} missing value(s) (first at row "
            f"{_first_row(na, row_offset)}); it must hold the positive value {positive!r} or one "
            "other value in every row."
        )
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = pd.Series(np.asarray(dtype.categories))
        cat_mask, _ = adverse_mask(categories, positive, column=column, role=role)
        codes = values.cat.codes.to_numpy()
        present = np.bincount(codes, minlength=len(categories)) > 0
        others = categories[present & ~cat_mask].tolist()
        mask = cat_mask[codes]
    elif pd.api.types.is_bool_dtype(dtype):
        pos = _positive_as_bool(positive, column, role)
        arr = values.to_numpy(dtype=bool)
        mask = arr if pos else ~arr
        others = [not pos] if not mask.all() else []
    elif pd.api.types.is_numeric_dtype(dtype):
        pos = _positive_as_number(positive, column, role)
        arr = values.to_numpy()
        if arr.dtype == object:
            arr = arr.astype(np.float64)
        mask = arr == pos
        if mask.all():
            others = []
        else:
            candidate = arr[np.argmin(mask)]  # the first non-adverse value
            fine = mask | (arr == candidate)
            others = [candidate.item()]
            if not fine.all():
                others += np.unique(arr[~fine]).tolist()
    else:
        text = values.astype("str")
        mask = (text == str(positive)).to_numpy(dtype=bool)
        others = pd.unique(text[~mask]).tolist()
    if len(others) > 1:
        raise SchemaError(
            f"Column {column!r} ({role}) must hold the positive (adverse) value {positive!r} and at "
            f"most one other value; got {len(others)} other values: {_show(others)}. Recode the "
            "column to two values, or pass the adverse value as positive=..."
        )
    return mask, (_plain(others[0]) if others else None)


# --- encoding a chunk ----------------------------------------------------------------------------


@dataclass
class EncodedChunk:
    """One chunk of decisions as plain arrays.

    Attributes
    ----------
    n : int
        Number of rows.
    binary : dict of str to numpy.ndarray
        Role ("label", "decision", "observed_label") -> ``uint8`` array, 1 = adverse.
    others : dict of str to object
        Role -> the single non-adverse value seen in the chunk (None if none).
    score : numpy.ndarray or None
        ``float64`` scores, all finite.
    codes : dict of str to numpy.ndarray
        Protected attribute -> ``intp`` codes into ``labels[attribute]``.
    labels : dict of str to list of str
        Protected attribute -> group labels (text), in order of first appearance in the chunk.
    missing : dict of str to int
        Protected attribute -> number of missing values (counted as ``"unknown"``).
    """

    n: int
    binary: dict[str, np.ndarray]
    others: dict[str, object]
    score: np.ndarray | None
    codes: dict[str, np.ndarray]
    labels: dict[str, list[str]]
    missing: dict[str, int] = field(default_factory=dict)


def _encode_score(values: pd.Series, column: str, row_offset: int) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        raise SchemaError(
            f"Column {column!r} (score) must be numeric; got dtype {values.dtype}"
            f" (first values: {_show(values.head(3).tolist())})."
        )
    arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(arr)
    if bad.any():
        first = _first_row(bad, row_offset)
        raise SchemaError(
            f"Column {column!r} (score) must hold finite numbers; got {int(bad.sum())} missing or "
            f"infinite value(s) (first at row {first}: {float(arr[first - row_offset])!r})."
        )
    return arr


def _encode_protected(
    values: pd.Series, column: str, missing: str, row_offset: int
) -> tuple[np.ndarray, list[str], int]:
    """Integer codes and text labels of one protected column; missing values per ``missing``."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()  # int8 / int16: kept small while possible
        labels = [str(c) for c in values.cat.categories]
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        codes = codes.astype(np.intp, copy=False)
        labels = [str(u) for u in uniques]
    na = codes < 0
    n_missing = int(na.sum())
    if n_missing and missing != "unknown":
        raise SchemaError(
            f"Column {column!r} has {n_missing} missing value(s) (first at row "
            f"{_first_row(na, row_offset)}); protected attributes cannot be missing. Pass "
            "missing='unknown' to count them as their own group."
        )
    # Distinct values may share a text form (1 and "1" in an object column): merge them. The last
    # entry of the lookup is the "unknown" group, so the missing code -1 indexes it directly.
    lookup, merged = pd.factorize(np.asarray([*labels, UNKNOWN], dtype=object))
    if n_missing or len(merged) < len(labels) + 1:
        codes = lookup.astype(np.intp)[codes]
    if not n_missing and lookup[-1] == len(merged) - 1:
        merged = merged[:-1]  # no "unknown" group in this chunk: keep the group count small
    return codes, [str(m) for m in merged], n_missing


def encode_chunk(
    frame: pd.DataFrame,
    roles: Roles,
    *,
    positive: object,
    missing: str,
    row_offset: int = 0,
) -> EncodedChunk:
    """Check and encode one chunk of decisions (see the module docstring for ``positive``).

    Parameters
    ----------
    frame : pandas.DataFrame
        Holds every column in ``roles``.
    roles : Roles
        Which column plays which part.
    positive : object
        The adverse value in the label and decision columns.
    missing : {"error", "unknown"}
        What missing protected values mean.
    row_offset : int
        Position of the chunk's first row in the whole data (for error messages).
    """
    binary: dict[str, np.ndarray] = {}
    others: dict[str, object] = {}
    for role, column in roles.binary().items():
        mask, other = adverse_mask(
            frame[column], positive, column=column, role=role, row_offset=row_offset
        )
        binary[role] = mask.view(np.uint8) if mask.dtype == bool else mask.astype(np.uint8)
        others[role] = other
    score = None
    if roles.score is not None:
        score = _encode_score(frame[roles.score], roles.score, row_offset)
    codes, labels, n_missing = {}, {}, {}
    for column in roles.protected:
        codes[column], labels[column], n_missing[column] = _encode_protected(
            frame[column], column, missing, row_offset
        )
    return EncodedChunk(
        n=len(frame),
        binary=binary,
        others=others,
        score=score,
        codes=codes,
        labels=labels,
        missing=n_missing,
    )
