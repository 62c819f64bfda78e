"""Checking and encoding one table (or one chunk of a table) of decisions.

What it is for: turning the label, decision, observed-label, score and protected columns into plain
arrays (``uint8`` adverse indicators, ``float64`` scores, integer group codes) and raising errors that
name the column, what was expected and what was received. ``positive`` is matched by the one rule of
:func:`audit.core.adverse_mask`.
What it must not do: count, compute metrics, read files, or loop over rows in Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audit.core import UNKNOWN, Roles, adverse_mask, first_row, show_values
from audit.exceptions import InvalidInputError, SchemaError

__all__ = ["EncodedChunk", "as_frame", "encode_chunk"]


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
            + f"; available columns: {show_values([str(c) for c in frame.columns])}."
        )
    if len(frame) == 0:
        raise InvalidInputError("The data has 0 rows; an audit needs at least one row.")
    return frame


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
            f" (first values: {show_values(values.head(3).tolist())})."
        )
    arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(arr)
    if bad.any():
        first = first_row(bad, row_offset)
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
            f"{first_row(na, row_offset)}); protected attributes cannot be missing. Pass "
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
