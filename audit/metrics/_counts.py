"""Sufficient statistics of an audit: per-group confusion counts and score histograms.

What it is for: one vectorised pass (``np.bincount`` on integer group codes) turns a chunk of
decisions into integer counts per group of every protected attribute and of their intersections:
the four confusion cells of decision against label and, when a score is given, a histogram of the
score split by label on a fixed bin grid. Counts add across chunks (``GroupCounts.__add__``), so a
file of any size, or the partitions of a distributed table, are audited chunk by chunk.
What it must not do: compute rates, intervals or tests (``_rates``, ``_stats``, ``_engine``), read
files, or loop over rows in Python.

Cells are stored in scikit-learn's ``confusion_matrix(...).ravel()`` order ``(tn, fp, fn, tp)``,
where *positive* is the adverse outcome: ``fp`` is a wrongful blacklisting.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.core import CELLS, make_roles
from audit.exceptions import InvalidInputError, SchemaError
from audit.metrics._inputs import EncodedChunk, as_frame, encode_chunk

__all__ = ["CELLS", "GroupCounts", "GroupTable", "ScoreGrid", "count_encoded", "count_groups"]


# Above this many possible groups per row, group codes are compressed with np.unique first.
_DENSE_LIMIT = 1 << 16
# Up to this many counters, all groupings come from one pass over the cube of all attributes.
_CUBE_LIMIT = 1 << 22


@dataclass(frozen=True)
class ScoreGrid:
    """The fixed bin grid score histograms are counted on.

    Bin ``i`` holds scores in ``[edges[i], edges[i+1])``; the last bin also holds ``high``.
    With the default social-credit grid (350 to 950, one bin per point) integer scores are binned
    exactly, so AUC and the threshold sweep at integer thresholds are exact.

    Parameters
    ----------
    low, high : float
        Range of the grid.
    bins : int
        Number of equal-width bins.
    sweep_every : int
        The threshold sweep reported in ``audit.json`` uses every ``sweep_every``-th edge.
    band_every : int
        Calibration bands are ``band_every`` bins wide.
    """

    low: float
    high: float
    bins: int = 600
    sweep_every: int = 10
    band_every: int = 50

    def __post_init__(self) -> None:
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.high > self.low):
            raise InvalidInputError(
                f"The 'score_range' must be two finite numbers (low, high) with low < high; "
                f"got ({self.low!r}, {self.high!r})."
            )
        if self.bins < 1 or self.sweep_every < 1 or self.band_every < 1:
            raise InvalidInputError(f"A score grid needs positive bin counts; got {self!r}.")

    @classmethod
    def social_credit(cls) -> ScoreGrid:
        """The social-credit scale: 350 to 950, one bin per point, sweep every 10, bands of 50."""
        return cls(350.0, 950.0, 600, 10, 50)

    @classmethod
    def probability(cls) -> ScoreGrid:
        """Scores in [0, 1]: 1,000 bins, sweep every 0.02, bands of 0.1."""
        return cls(0.0, 1.0, 1000, 20, 100)

    @classmethod
    def for_scores(cls, scores: np.ndarray) -> ScoreGrid:
        """The grid used when the caller gives no ``score_range``.

        The social-credit grid if every score lies in [350, 950]; the probability grid if every
        score lies in [0, 1]; otherwise 600 bins from the smallest to the largest score.
        """
        lo, hi = float(np.min(scores)), float(np.max(scores))
        if lo >= 350 and hi <= 950:
            return cls.social_credit()
        if lo >= 0 and hi <= 1:
            return cls.probability()
        return cls(lo, hi if hi > lo else lo + 1.0)

    def edges(self) -> np.ndarray:
        """The ``bins + 1`` bin edges."""
        return np.linspace(self.low, self.high, self.bins + 1)

    def bin_index(self, scores: np.ndarray) -> tuple[np.ndarray, int]:
        """Bin of each score, and how many scores fell outside the grid (put in the end bins)."""
        scale = self.bins / (self.high - self.low)
        idx = ((scores - self.low) * scale).astype(np.intp)  # truncation = floor when >= 0
        lo, hi = scores.min(), scores.max()
        if lo >= self.low and hi <= self.high:  # the usual case: only the top edge to fold in
            np.minimum(idx, self.bins - 1, out=idx)
            return idx, 0
        outside = int(np.count_nonzero((scores < self.low) | (scores > self.high)))
        return np.clip(idx, 0, self.bins - 1, out=idx), outside

    def to_dict(self) -> dict:
        return {
            "low": float(self.low),
            "high": float(self.high),
            "bins": int(self.bins),
            "sweep_every": int(self.sweep_every),
            "band_every": int(self.band_every),
        }


@dataclass(frozen=True, eq=False)
class GroupTable:
    """Counts for one grouping (one protected attribute, or an intersection of several).

    Attributes
    ----------
    attributes : tuple of str
        The protected attributes of the grouping, e.g. ``("ethnicity", "sex")``.
    labels : tuple of tuple of str
        One label tuple per group (one entry per attribute), sorted; only groups with rows.
    cells : numpy.ndarray
        ``int64`` array of shape ``(groups, 4)``: ``tn, fp, fn, tp``.
    hist : numpy.ndarray or None
        ``int64`` array of shape ``(groups, 2, bins)``: score histogram of people whose label is
        not adverse (``[:, 0]``) and adverse (``[:, 1]``); None without a score.
    """

    attributes: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    cells: np.ndarray
    hist: np.ndarray | None = None

    @property
    def name(self) -> str:
        """``"ethnicity"`` or ``"ethnicity & sex"``: the key in ``audit.json``."""
        return " & ".join(self.attributes)

    @property
    def group_names(self) -> list[str]:
        """Each group's label as text, levels joined with ``" & "``."""
        return [" & ".join(lab) for lab in self.labels]

    @property
    def n(self) -> np.ndarray:
        """Rows per group."""
        return self.cells.sum(axis=1)

    def __add__(self, other: GroupTable) -> GroupTable:
        if self.attributes != other.attributes:
            raise InvalidInputError(
                f"Cannot add counts of grouping {other.name!r} to {self.name!r}."
            )
        if (self.hist is None) != (other.hist is None) or (
            self.hist is not None and self.hist.shape[1:] != other.hist.shape[1:]
        ):
            raise InvalidInputError(
                f"Cannot add counts of grouping {self.name!r}: one has score histograms on a "
                "different grid (or none)."
            )
        labels = tuple(sorted(set(self.labels) | set(other.labels)))
        index = {lab: i for i, lab in enumerate(labels)}
        cells = np.zeros((len(labels), 4), dtype=np.int64)
        hist = (
            None if self.hist is None else np.zeros((len(labels), *self.hist.shape[1:]), np.int64)
        )
        for part in (self, other):
            rows = np.fromiter((index[lab] for lab in part.labels), np.intp, len(part.labels))
            cells[rows] += part.cells
            if hist is not None:
                hist[rows] += part.hist
        return GroupTable(self.attributes, labels, cells, hist)

    def equals(self, other: GroupTable) -> bool:
        """True when both hold the same groups with the same counts."""
        same_hist = (self.hist is None and other.hist is None) or (
            self.hist is not None
            and other.hist is not None
            and np.array_equal(self.hist, other.hist)
        )
        return (
            self.attributes == other.attributes
            and self.labels == other.labels
            and np.array_equal(self.cells, other.cells)
            and same_hist
        )

    def to_frame(self) -> pd.DataFrame:
        """The counts as a DataFrame indexed by group (levels as a MultiIndex for intersections)."""
        index = pd.MultiIndex.from_tuples(self.labels, names=list(self.attributes))
        if len(self.attributes) == 1:
            index = index.get_level_values(0)
        frame = pd.DataFrame(self.cells, index=index, columns=list(CELLS))
        frame.insert(0, "n", self.n)
        return frame


@dataclass(frozen=True, eq=False)
class GroupCounts:
    """Sufficient statistics of an audit for every grouping; chunks add up with ``+``.

    Attributes
    ----------
    protected : tuple of str
        The protected attributes, in the order given.
    tables : dict of str to GroupTable
        Grouping name -> counts: each attribute, then the intersections (``"a & b"``).
    missing : dict of str to int
        Protected attribute -> number of missing values counted as ``"unknown"``.
    grid : ScoreGrid or None
        The score grid of the histograms (None without a score).
    score_outside : int
        Scores that fell outside ``grid`` and were counted in its end bins.
    values : dict of str to tuple
        Role ("label", "decision") -> ``(positive, other)``: the adverse value and the single other
        value seen (None if none). Adding counts whose other values differ is an error.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1, 0, 0, 1], "d": [1, 1, 0, 0], "sex": ["f", "f", "m", "m"]})
    >>> c = count_groups(df, label="y", decision="d", protected=["sex"])
    >>> c.tables["sex"].cells.tolist()  # tn, fp, fn, tp
    [[0, 1, 0, 1], [1, 0, 1, 0]]
    >>> (c + c).n
    8
    """

    protected: tuple[str, ...]
    tables: dict[str, GroupTable]
    missing: dict[str, int]
    grid: ScoreGrid | None
    score_outside: int
    values: dict[str, tuple[object, object]]

    @property
    def n(self) -> int:
        """Total number of rows counted."""
        return int(next(iter(self.tables.values())).cells.sum())

    @property
    def overall(self) -> np.ndarray:
        """Confusion cells of all rows, shape ``(4,)``."""
        return next(iter(self.tables.values())).cells.sum(axis=0)

    @property
    def overall_hist(self) -> np.ndarray | None:
        """Score histogram of all rows, shape ``(2, bins)``, or None."""
        first = next(iter(self.tables.values()))
        return None if first.hist is None else first.hist.sum(axis=0)

    def __add__(self, other: GroupCounts) -> GroupCounts:
        if not isinstance(other, GroupCounts):
            return NotImplemented
        if self.protected != other.protected or list(self.tables) != list(other.tables):
            raise InvalidInputError(
                "Cannot add counts of different groupings: "
                f"{list(self.tables)} and {list(other.tables)}."
            )
        if self.grid != other.grid:
            raise InvalidInputError(
                f"Cannot add counts on different score grids: {self.grid} and {other.grid}. "
                "Pass the same score_range to every chunk."
            )
        values = {}
        for role, (positive, mine) in self.values.items():
            theirs = other.values.get(role, (positive, None))[1]
            if mine is not None and theirs is not None and mine != theirs:
                raise SchemaError(
                    f"The {role} column must hold the positive value {positive!r} and at most one "
                    f"other value; one part of the data has {mine!r}, another {theirs!r}."
                )
            values[role] = (positive, mine if mine is not None else theirs)
        return GroupCounts(
            protected=self.protected,
            tables={k: t + other.tables[k] for k, t in self.tables.items()},
            missing={k: v + other.missing[k] for k, v in self.missing.items()},
            grid=self.grid,
            score_outside=self.score_outside + other.score_outside,
            values=values,
        )

    def __radd__(self, other: object) -> GroupCounts:
        if other == 0:  # so that sum(chunks) works
            return self
        return NotImplemented

    def equals(self, other: GroupCounts) -> bool:
        """True when both hold the same counts for the same groupings."""
        return (
            self.protected == other.protected
            and list(self.tables) == list(other.tables)
            and all(t.equals(other.tables[k]) for k, t in self.tables.items())
            and self.missing == other.missing
            and self.grid == other.grid
            and self.score_outside == other.score_outside
        )


def groupings(protected: Sequence[str], order: int) -> list[tuple[str, ...]]:
    """Every attribute, then every intersection of 2 .. ``order`` attributes, in a fixed order."""
    out: list[tuple[str, ...]] = []
    for k in range(1, max(1, min(order, len(protected))) + 1):
        out.extend(itertools.combinations(protected, k))
    return out


def _fitting(largest: int) -> np.dtype:
    """The smallest unsigned integer dtype holding 0 .. ``largest``."""
    for dt in (np.uint8, np.uint16, np.uint32):
        if largest < np.iinfo(dt).max:
            return np.dtype(dt)
    return np.dtype(np.int64)


def _combine(enc: EncodedChunk, attrs: Sequence[str], sizes: Sequence[int], dtype) -> np.ndarray:
    """One integer code per row for the combination of ``attrs`` (row-major over ``sizes``)."""
    combined = enc.codes[attrs[0]].astype(dtype)
    for a, size in zip(attrs[1:], sizes[1:], strict=True):
        combined = combined * dtype.type(size) + enc.codes[a].astype(dtype)
    return combined


def _table(
    attrs: tuple[str, ...],
    enc: EncodedChunk,
    sizes: Sequence[int],
    cells: np.ndarray,
    hist: np.ndarray | None,
    present: np.ndarray | None = None,
) -> GroupTable:
    """A GroupTable from dense counts over all level combinations (empty groups dropped)."""
    keep = np.flatnonzero(cells.sum(axis=1))
    flat = keep if present is None else present[keep]
    levels = np.unravel_index(flat, sizes)
    labels = [
        tuple(enc.labels[a][int(i)] for a, i in zip(attrs, idx, strict=True))
        for idx in zip(*levels, strict=True)
    ]
    order = sorted(range(len(labels)), key=labels.__getitem__)
    rows = keep[order]
    return GroupTable(
        attributes=attrs,
        labels=tuple(labels[i] for i in order),
        cells=cells[rows].astype(np.int64, copy=False),
        hist=None if hist is None else hist[rows].astype(np.int64, copy=False),
    )


def _count_table(
    attrs: tuple[str, ...],
    enc: EncodedChunk,
    cell: np.ndarray,
    hist_code: np.ndarray | None,
    bins: int,
) -> GroupTable:
    """Count one grouping directly (used when the full cube of all attributes is too big)."""
    sizes = [len(enc.labels[a]) for a in attrs]
    total = int(np.prod(sizes))
    present = None
    if total > _DENSE_LIMIT:
        present, combined = np.unique(
            _combine(enc, attrs, sizes, np.dtype(np.int64)), return_inverse=True
        )
        total = len(present)
    else:
        combined = _combine(enc, attrs, sizes, _fitting(total * max(4, 2 * bins)))
    cells = np.bincount(combined * combined.dtype.type(4) + cell, minlength=total * 4)
    hist = None
    if hist_code is not None:
        hist = np.bincount(
            combined * combined.dtype.type(2 * bins) + hist_code, minlength=total * 2 * bins
        ).reshape(total, 2, bins)
    return _table(attrs, enc, sizes, cells.reshape(total, 4), hist, present)


def _count_cube(
    protected: Sequence[str],
    wanted: Sequence[tuple[str, ...]],
    enc: EncodedChunk,
    cell: np.ndarray,
    hist_code: np.ndarray | None,
    bins: int,
) -> dict[str, GroupTable] | None:
    """Count every grouping in one pass: the cube over all attributes, then marginal sums.

    Returns None when the cube would be too big (then each grouping is counted on its own).
    """
    sizes = [len(enc.labels[a]) for a in protected]
    total = int(np.prod(sizes))
    width = 2 * bins if hist_code is not None else 4
    if total * max(width, 4) > _CUBE_LIMIT:
        return None
    combined = _combine(enc, protected, sizes, _fitting(total * max(4, width)))
    cube = np.bincount(combined * combined.dtype.type(4) + cell, minlength=total * 4)
    cube = cube.reshape(*sizes, 4)
    hcube = None
    if hist_code is not None:
        hcube = np.bincount(
            combined * combined.dtype.type(2 * bins) + hist_code, minlength=total * 2 * bins
        ).reshape(*sizes, 2, bins)
    tables = {}
    for attrs in wanted:
        axes = tuple(i for i, a in enumerate(protected) if a not in attrs)
        sub = [s for a, s in zip(protected, sizes, strict=True) if a in attrs]
        cells = cube.sum(axis=axes).reshape(-1, 4) if axes else cube.reshape(-1, 4)
        hist = None
        if hcube is not None:
            hist = hcube.sum(axis=axes) if axes else hcube
            hist = hist.reshape(-1, 2, bins)
        table = _table(attrs, enc, sub, cells, hist)
        tables[table.name] = table
    return tables


def count_encoded(
    enc: EncodedChunk,
    *,
    protected: Sequence[str],
    label_role: str = "label",
    positive: object = 1,
    grid: ScoreGrid | None = None,
    intersections: int = 2,
) -> GroupCounts:
    """Count one encoded chunk against the label of ``label_role`` (one vectorised pass).

    Parameters
    ----------
    enc : EncodedChunk
        From :func:`audit.metrics._inputs.encode_chunk`.
    protected : sequence of str
        Protected attributes (keys of ``enc.codes``).
    label_role : {"label", "observed_label"}
        Which binary column is the label.
    positive : object
        Recorded in ``GroupCounts.values``.
    grid : ScoreGrid or None
        Grid of the score histograms; required when ``enc.score`` is set.
    intersections : int
        Highest order of intersections counted (1 = none, 2 = pairwise, ...).
    """
    y = enc.binary[label_role]
    cell = y * np.uint8(2) + enc.binary["decision"]
    hist_code, outside, bins = None, 0, 0
    if enc.score is not None:
        if grid is None:
            raise InvalidInputError("A score grid is needed to count scores.")
        bin_idx, outside = grid.bin_index(enc.score)
        bins = grid.bins
        hist_code = y.astype(np.intp) * bins + bin_idx
    wanted = groupings(protected, intersections)
    tables = _count_cube(protected, wanted, enc, cell, hist_code, bins)
    if tables is None:
        tables = {}
        for attrs in wanted:
            table = _count_table(attrs, enc, cell, hist_code, bins)
            tables[table.name] = table
    return GroupCounts(
        protected=tuple(protected),
        tables=tables,
        missing={a: int(enc.missing.get(a, 0)) for a in protected},
        grid=grid if enc.score is not None else None,
        score_outside=outside,
        values={
            "label": (positive, enc.others[label_role]),
            "decision": (positive, enc.others["decision"]),
        },
    )


def count_groups(
    data: pd.DataFrame,
    *,
    label: str,
    decision: str,
    protected: str | Sequence[str],
    positive: object = 1,
    score: str | None = None,
    score_range: tuple[float, float] | None = None,
    missing: str = "error",
    intersections: int = 2,
) -> GroupCounts:
    """Count decisions per group: the sufficient statistics of an audit.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person (or a chunk of such a table).
    label, decision : str
        Columns of the adverse label and of the decision; ``positive`` marks the adverse value in
        both (see :mod:`audit.metrics._inputs` for how it is matched).
    protected : str or sequence of str
        Protected attribute columns.
    positive : object, default 1
        The adverse value (blacklisted; defaulted).
    score : str, optional
        Score column; histograms are counted per group and label.
    score_range : (float, float), optional
        Grid range for the histograms. Without it the grid follows
        :meth:`ScoreGrid.for_scores` on this data, so **pass it when counting chunks separately**:
        counts on different grids cannot be added. Scores outside an explicit range are an error.
    missing : {"error", "unknown"}, default "error"
        Missing protected values are an error, or counted as the group ``"unknown"``.
    intersections : int, default 2
        Highest order of intersections (1 = none, 2 = every pair, 3 = also triples...).

    Returns
    -------
    GroupCounts

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": ["bad", "ok"], "d": ["bad", "bad"], "eth": ["Han", "Hui"]})
    >>> count_groups(df, label="y", decision="d", protected="eth", positive="bad").overall.tolist()
    [0, 1, 0, 1]
    """
    _check_missing(missing)
    roles = make_roles(label, decision, protected, score, None)
    frame = as_frame(data, roles.columns())
    enc = encode_chunk(frame, roles, positive=positive, missing=missing)
    grid = None
    if enc.score is not None:
        grid = ScoreGrid.for_scores(enc.score) if score_range is None else ScoreGrid(*score_range)
        check_inside(enc.score, grid, explicit=score_range is not None, column=score)
    return count_encoded(
        enc, protected=roles.protected, positive=positive, grid=grid, intersections=intersections
    )


def check_inside(
    scores: np.ndarray, grid: ScoreGrid, *, explicit: bool, column: str, row_offset: int = 0
) -> None:
    """Scores outside an explicit ``score_range`` are an error naming the column, range and row.

    ``row_offset`` is the position of the chunk's first row in the whole data.
    """
    if not explicit:
        return
    outside = (scores < grid.low) | (scores > grid.high)
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        raise SchemaError(
            f"Column {column!r} (score) must lie in score_range [{grid.low}, {grid.high}]; got "
            f"{int(outside.sum())} value(s) outside (first at row {first + row_offset}: "
            f"{float(scores[first])!r})."
        )


def _check_missing(missing: str) -> None:
    if missing not in ("error", "unknown"):
        raise InvalidInputError(
            f"The 'missing' parameter must be 'error' or 'unknown'; got {missing!r}."
        )
