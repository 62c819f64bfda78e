"""Groups, the one reference rule, and stratified samples: shared by metrics, explain and cases.

What this is for: turning a protected column into integer codes plus group names (missing values become
their own counted group, "unknown", never dropped — DESIGN principle 7); choosing each grouping's
reference group by ONE rule (:func:`choose_reference`) that every stage applies; and drawing samples
stratified by group without Python loops over rows. Must not import any stage.

The reference rule (DESIGN principle 8: fixed before looking at outcomes)
-------------------------------------------------------------------------
1. A group named by the user (``--reference ATTR=GROUP``) or declared by the scenario. It must exist
   and have at least ``min_size`` people, else the audit stops with an error saying so.
2. For an intersection without a name of its own: the combination of its attributes' references
   (e.g. ``Han & male``) when that group exists and has at least ``min_size`` people.
3. Otherwise the largest group (most people), ``"unknown"`` excluded; ties go to the first name in
   sorted order. Group sizes do not depend on any decision or label, so the choice cannot be steered
   by the outcome being audited.

The regulator's "most favoured group" (highest favourable rate, EEOC / NYC LL144) depends on the
outcome; it is kept only as a *description* (the LL144 table), never as the reference of a test or
a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from audit.exceptions import InvalidInputError, SchemaError

__all__ = [
    "UNKNOWN",
    "choose_reference",
    "factorize_groups",
    "resolve_reference",
    "stratified_positions",
]

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


def choose_reference(
    names: Sequence[str],
    sizes: Sequence[int] | np.ndarray,
    *,
    requested: object = None,
    combined: str | None = None,
    min_size: int = 0,
    grouping: str = "the grouping",
) -> tuple[int | None, str]:
    """The reference group of one grouping, by the rule in the module docstring.

    Parameters
    ----------
    names : sequence of str
        Group names.
    sizes : sequence of int
        People per group (never outcomes).
    requested : object, optional
        A group named by the user or the scenario (compared as text). It must exist and have at
        least ``min_size`` people.
    combined : str, optional
        For an intersection: the combination of its attributes' references, used when it exists and
        has at least ``min_size`` people (a suggestion, never an error).
    min_size : int
        Smallest group that may serve as reference.
    grouping : str
        Name of the grouping, for error messages.

    Returns
    -------
    index : int or None
        Position of the reference in ``names`` (None when there are no known groups).
    rule : str
        ``"named"``, ``"combined"`` or ``"largest"``.

    Examples
    --------
    >>> choose_reference(["a", "b", "unknown"], [10, 30, 50])
    (1, 'largest')
    >>> choose_reference(["a", "b"], [10, 30], requested="a")
    (0, 'named')
    """
    names = [str(n) for n in names]
    sizes = np.asarray(sizes, dtype=np.int64)
    if requested is not None:
        wanted = str(requested)
        if wanted not in names:
            msg = (
                f"The reference group {wanted!r} does not exist in {grouping!r}; its groups are: "
                f"{names}."
            )
            raise InvalidInputError(msg)
        i = names.index(wanted)
        if sizes[i] < min_size:
            msg = (
                f"The reference group {wanted!r} of {grouping!r} has n={int(sizes[i])}, below "
                f"min_group_size={min_size}; name a larger group or lower min_group_size."
            )
            raise InvalidInputError(msg)
        return i, "named"
    if combined is not None and combined in names and sizes[names.index(combined)] >= min_size:
        return names.index(combined), "combined"
    known = [i for i, name in enumerate(names) if UNKNOWN not in name.split(" & ")]
    if not known:
        return None, "largest"
    return min(known, key=lambda i: (-sizes[i], names[i])), "largest"


def resolve_reference(
    people: pd.DataFrame,
    protected: list[str],
    reference: Mapping[str, object] | None,
    *,
    min_size: int = 0,
) -> dict[str, tuple[np.ndarray, list[str], int]]:
    """Codes, names and the reference group's code for every protected attribute.

    ``reference[attr]`` names the reference group (it must have at least ``min_size`` people); an
    attribute missing from ``reference`` gets one by :func:`choose_reference` (its largest known
    group).
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
        sizes = np.bincount(codes, minlength=len(names))
        requested = None if reference is None else reference.get(attr)
        ref_code, _ = choose_reference(
            names, sizes, requested=requested, min_size=min_size, grouping=attr
        )
        if ref_code is None:  # only "unknown": nothing else to compare with
            ref_code = 0
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
