"""What score histograms give without another pass over the data: AUC, sweep, calibration.

What it is for: per-group AUC (Mann-Whitney from binned counts), the confusion cells at every
threshold on the grid (a threshold sweep, from cumulative histograms) and the adverse-label rate
by score band (calibration), all vectorised over groups.
What it must not do: see rows, or decide what is reported.

Histograms have shape ``(groups, 2, bins)``: ``[:, 0]`` people whose label is not adverse,
``[:, 1]`` people whose label is adverse. With ``low_is_adverse=True`` (the social-credit scale:
higher = more trustworthy) a person is blacklisted at threshold ``t`` when ``score < t``; otherwise
when ``score >= t``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from audit.metrics._counts import GroupCounts

__all__ = ["auc_from_histograms", "band_counts", "sweep_cells", "threshold_sweep"]


def auc_from_histograms(hist: np.ndarray, *, low_is_adverse: bool = True) -> np.ndarray:
    """Area under the ROC curve of the score as a predictor of the adverse label, per group.

    The Mann-Whitney statistic on binned scores: the share of (adverse, not adverse) pairs in which
    the adverse person's score is the more adverse one, ties within a bin counting one half. Exact
    (equal to ``sklearn.metrics.roc_auc_score``) when each bin holds a single score value.

    Parameters
    ----------
    hist : numpy.ndarray
        Shape ``(..., 2, bins)``.
    low_is_adverse : bool, default True
        Whether low scores are the adverse end (then the AUC is that of ``-score``).

    Returns
    -------
    numpy.ndarray
        Shape ``hist.shape[:-2]``; NaN where a group lacks either label.
    """
    neg = hist[..., 0, :].astype(np.float64)
    pos = hist[..., 1, :].astype(np.float64)
    if not low_is_adverse:
        neg, pos = neg[..., ::-1], pos[..., ::-1]
    # Pairs where the non-adverse person sits in a strictly higher bin than the adverse one.
    neg_above = neg.sum(axis=-1, keepdims=True) - np.cumsum(neg, axis=-1)
    wins = (pos * (neg_above + 0.5 * neg)).sum(axis=-1)
    pairs = pos.sum(axis=-1) * neg.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pairs > 0, wins / pairs, np.nan)


def sweep_cells(hist: np.ndarray, edges: np.ndarray, *, low_is_adverse: bool = True) -> np.ndarray:
    """Confusion cells ``(tn, fp, fn, tp)`` if the decision were taken at each threshold.

    Parameters
    ----------
    hist : numpy.ndarray
        Shape ``(groups, 2, bins)``.
    edges : numpy.ndarray of int
        Threshold positions as bin-edge indices (``k`` = the threshold at the grid's ``k``-th edge).
    low_is_adverse : bool, default True
        Blacklisted when ``score < threshold`` (True) or ``score >= threshold`` (False).

    Returns
    -------
    numpy.ndarray
        Shape ``(groups, len(edges), 4)``.
    """
    cum = np.concatenate(
        [np.zeros((*hist.shape[:-1], 1), dtype=np.int64), np.cumsum(hist, axis=-1)], axis=-1
    )
    below = cum[..., edges]  # (groups, 2, thresholds): people with score below each threshold
    total = cum[..., -1:]
    flagged = below if low_is_adverse else total - below
    fp, tp = flagged[:, 0], flagged[:, 1]
    tn, fn = total[:, 0] - fp, total[:, 1] - tp
    return np.stack([tn, fp, fn, tp], axis=-1)


def band_counts(hist: np.ndarray, band_every: int) -> np.ndarray:
    """Histograms summed into bands of ``band_every`` bins: shape ``(groups, 2, bands)``."""
    bins = hist.shape[-1]
    bands = -(-bins // band_every)
    pad = bands * band_every - bins
    if pad:
        hist = np.concatenate([hist, np.zeros((*hist.shape[:-1], pad), hist.dtype)], axis=-1)
    return hist.reshape(*hist.shape[:-1], bands, band_every).sum(axis=-1)


def threshold_sweep(
    counts: GroupCounts,
    grouping: str | None = None,
    *,
    every: int = 1,
    low_score_is_adverse: bool = True,
) -> pd.DataFrame:
    """Every metric of every group at every threshold of the score grid, from the histograms.

    ``audit.json`` keeps a coarse sweep of a few metrics; this is the full one, computed from
    :class:`GroupCounts` without another pass over the data.

    Parameters
    ----------
    counts : GroupCounts
        Counted with a score.
    grouping : str, optional
        ``"ethnicity"`` or ``"ethnicity & sex"``; default the first protected attribute.
    every : int, default 1
        Use every ``every``-th bin edge as a threshold (1: all of them).
    low_score_is_adverse : bool, default True
        Blacklisted when ``score < threshold`` (else ``score >= threshold``).

    Returns
    -------
    pandas.DataFrame
        One row per (group, threshold): ``group``, ``threshold``, the cells ``tn, fp, fn, tp``
        and every metric of ``METRICS`` (NaN where undefined).

    Examples
    --------
    >>> import pandas as pd
    >>> from audit.metrics import count_groups
    >>> df = pd.DataFrame({"y": [1, 0, 0, 1], "d": [1, 0, 0, 0], "g": ["a"] * 4,
    ...                    "s": [400.0, 700.0, 500.0, 600.0]})
    >>> c = count_groups(df, label="y", decision="d", protected="g", score="s")
    >>> sw = threshold_sweep(c, "g")
    >>> sw.loc[sw.threshold == 550, ["tp", "fp", "fpr"]].iloc[0].tolist()
    [1.0, 1.0, 0.5]
    """
    from audit.exceptions import InvalidInputError
    from audit.metrics._rates import rates

    grouping = grouping or counts.protected[0]
    if grouping not in counts.tables:
        raise InvalidInputError(
            f"No grouping {grouping!r} in these counts; they hold {list(counts.tables)}."
        )
    table = counts.tables[grouping]
    if table.hist is None or counts.grid is None:
        raise InvalidInputError("These counts hold no score histograms; count with score=...")
    at = np.arange(0, counts.grid.bins + 1, every)
    cells = sweep_cells(table.hist, at, low_is_adverse=low_score_is_adverse)
    g, k = cells.shape[:2]
    frame = pd.DataFrame(
        {
            "group": np.repeat(table.group_names, k),
            "threshold": np.tile(counts.grid.edges()[at], g),
        }
    )
    flat = cells.reshape(g * k, 4)
    for i, name in enumerate(("tn", "fp", "fn", "tp")):
        frame[name] = flat[:, i]
    for name, values in rates(flat).items():
        frame[name] = values
    return frame
