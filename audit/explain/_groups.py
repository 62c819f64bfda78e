"""Group codes and stratified samples shared by the explain and cases stages.

What this is for: turning a protected column into integer codes plus group names (missing values become
their own counted group, "unknown", never dropped — DESIGN principle 7), and drawing samples stratified
by group without Python loops over rows. Must not import any other stage.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from audit.exceptions import InvalidInputError, SchemaError

__all__ = ["UNKNOWN", "factorize_groups", "resolve_reference", "stratified_positions"]

#: Name of the group of people whose protected value is missing.
UNKNOWN = "unknown"


def factorize_groups(col: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes (0..G-1) and string names of a protected column's groups.

    Categorical columns keep their category order (unused categories dropped); other columns are
    sorted. Missing values get the group ``"unknown"``.

    Examples
    --------
    >>> codes, names = factorize_groups(pd.Series(["b", "a", None, "b"]))
    >>> codes.tolist(), names
    ([1, 0, 2, 1], ['a', 'b', 'unknown'])
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        raw = col.cat.codes.to_numpy().astype(np.int64)
        cats = [str(c) for c in col.cat.categories]
    else:
        raw, uniq = pd.factorize(col, sort=True, use_na_sentinel=True)
        raw = raw.astype(np.int64)
        cats = [str(u) for u in uniq]
    if (raw < 0).any():
        if UNKNOWN in cats:
            raw = np.where(raw < 0, cats.index(UNKNOWN), raw)
        else:
            cats = [*cats, UNKNOWN]
            raw = np.where(raw < 0, len(cats) - 1, raw)
    used = np.bincount(raw, minlength=len(cats)) > 0
    if not used.all():
        remap = np.cumsum(used) - 1
        raw = remap[raw]
        cats = [c for c, u in zip(cats, used, strict=True) if u]
    return raw, cats


def resolve_reference(
    people: pd.DataFrame, protected: list[str], reference: Mapping[str, object] | None
) -> dict[str, tuple[np.ndarray, list[str], int]]:
    """Codes, names and the reference group's code for every protected attribute.

    ``reference[attr]`` names the reference group; an attribute missing from ``reference`` uses its
    largest group.
    """
    if isinstance(protected, str):
        protected = [protected]
    out = {}
    for attr in protected:
        if attr not in people.columns:
            msg = (
                f"Protected attribute {attr!r} is not a column of the people table "
                f"(columns: {list(people.columns)[:12]}...)."
            )
            raise SchemaError(msg)
        codes, names = factorize_groups(people[attr])
        if not names:
            msg = f"Protected attribute {attr!r} has no values (the people table is empty)."
            raise InvalidInputError(msg)
        ref = None if reference is None else reference.get(attr)
        if ref is None:
            ref_code = int(np.argmax(np.bincount(codes, minlength=len(names))))
        elif str(ref) in names:
            ref_code = names.index(str(ref))
        else:
            msg = (
                f"The reference group for {attr!r} must be one of the groups present, "
                f"{names}; got {ref!r}."
            )
            raise InvalidInputError(msg)
        out[attr] = (codes, names, ref_code)
    return out


def stratified_positions(codes: np.ndarray, keys: np.ndarray, per_group: int) -> np.ndarray:
    """Positions of the ``per_group`` rows with the smallest ``keys`` in each group (all if fewer).

    With ``keys`` i.i.d. uniform this is a simple random sample without replacement within each group;
    using the same ``keys`` for several attributes makes their samples overlap as much as possible,
    which keeps the number of distinct people to explain small. Sorted positions are returned.
    """
    if len(codes) == 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((keys, codes))
    counts = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank_in_group = np.arange(len(codes)) - starts[codes[order]]
    return np.sort(order[rank_in_group < per_group])
