"""Rates from confusion counts, and their disparities, with fairlearn's definitions.

What it is for: the registry of group metrics (:data:`METRICS`), each a proportion
``numerator / denominator`` of confusion cells, evaluated on count arrays of any leading shape
(groups, bootstrap replicates x groups, groups x thresholds), and fairlearn's two ways of
aggregating a metric over groups (``difference`` / ``ratio`` with ``between_groups`` or
``to_overall``).
What it must not do: see rows, draw random numbers, or decide what is reported.

"Positive" is the adverse outcome (blacklisted; defaulted): fairlearn's ``selection_rate`` is our
``adverse_rate`` and a false positive is a *wrongful blacklisting*. Undefined rates (a zero
denominator) are NaN here and ``null`` in ``audit.json``; fairlearn reports some of them as 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["METRICS", "RateMetric", "aggregate", "rate_matrix", "rates"]

_CELL = {"tn": 0, "fp": 1, "fn": 2, "tp": 3}


@dataclass(frozen=True)
class RateMetric:
    """A group metric that is a proportion of confusion cells.

    Attributes
    ----------
    name : str
        Key in ``audit.json``.
    title : str
        Plain-language name.
    numerator, denominator : tuple of str
        Cells (``tn``, ``fp``, ``fn``, ``tp``) summed above and below the line.
    fairlearn : str or None
        The fairlearn / scikit-learn function with the same definition.
    ideal : str
        The value a perfect, fair scorer would reach (and that groups should share).
    """

    name: str
    title: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    fairlearn: str | None
    ideal: str

    @property
    def definition(self) -> str:
        return f"({' + '.join(self.numerator)}) / ({' + '.join(self.denominator)})"

    def successes(self, cells: np.ndarray) -> np.ndarray:
        """The numerator for each row of ``cells`` (last axis: tn, fp, fn, tp)."""
        return cells[..., [_CELL[c] for c in self.numerator]].sum(axis=-1)

    def trials(self, cells: np.ndarray) -> np.ndarray:
        """The denominator for each row of ``cells``."""
        return cells[..., [_CELL[c] for c in self.denominator]].sum(axis=-1)

    def __call__(self, cells: np.ndarray) -> np.ndarray:
        """The rate for each row of ``cells``; NaN where the denominator is 0."""
        num = self.successes(cells).astype(np.float64)
        den = self.trials(cells).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, num / den, np.nan)


def _m(name, title, num, den, fairlearn, ideal) -> RateMetric:
    return RateMetric(name, title, tuple(num), tuple(den), fairlearn, ideal)


_ALL = ("tn", "fp", "fn", "tp")

#: Every group metric the audit reports, in report order. Keys are the names in ``audit.json``.
METRICS: dict[str, RateMetric] = {
    m.name: m
    for m in [
        _m("adverse_rate", "share blacklisted", ["fp", "tp"], _ALL,
           "selection_rate", "equal across groups"),
        _m("favourable_rate", "share not blacklisted", ["tn", "fn"], _ALL,
           "selection_rate(pos_label=0)", "equal across groups"),
        _m("fpr", "wrongful blacklisting rate", ["fp"], ["fp", "tn"],
           "false_positive_rate", "0; equal across groups"),
        _m("fnr", "missed adverse rate", ["fn"], ["fn", "tp"],
           "false_negative_rate", "0; equal across groups"),
        _m("tpr", "true positive rate", ["tp"], ["fn", "tp"],
           "true_positive_rate", "1; equal across groups"),
        _m("tnr", "true negative rate", ["tn"], ["fp", "tn"],
           "true_negative_rate", "1; equal across groups"),
        _m("ppv", "share of blacklistings that were right", ["tp"], ["fp", "tp"],
           "precision_score", "1; equal across groups"),
        _m("fdr", "share of blacklistings that were wrong", ["fp"], ["fp", "tp"],
           "1 - precision_score", "0; equal across groups"),
        _m("for", "share of the not blacklisted who were adverse", ["fn"], ["fn", "tn"],
           "1 - precision_score(pos_label=0)", "0; equal across groups"),
        _m("npv", "share of the not blacklisted who were not adverse", ["tn"], ["fn", "tn"],
           "precision_score(pos_label=0)", "1; equal across groups"),
        _m("accuracy", "accuracy", ["tn", "tp"], _ALL,
           "accuracy_score", "1; equal across groups"),
        _m("base_rate", "share with an adverse label", ["fn", "tp"], _ALL,
           "mean of y_true", "a property of the data, not of the scorer"),
    ]
}  # fmt: skip


def rates(cells: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric of :data:`METRICS` for each row of ``cells`` (last axis tn, fp, fn, tp)."""
    return {name: metric(cells) for name, metric in METRICS.items()}


def rate_matrix(cells: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The metrics ``names`` for each row of ``cells`` at once: shape ``cells.shape[:-1] + (M,)``.

    Numerators and denominators are matrix products with 0/1 weights, so thousands of bootstrap
    replicates cost one pass. NaN where a denominator is 0.
    """
    num_w = np.array([[c in METRICS[n].numerator for c in _CELL] for n in names], float).T
    den_w = np.array([[c in METRICS[n].denominator for c in _CELL] for n in names], float).T
    x = np.asarray(cells, dtype=np.float64)
    num, den = x @ num_w, x @ den_w
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


def aggregate(by_group: np.ndarray, overall: np.ndarray, *, kind: str, method: str) -> np.ndarray:
    """fairlearn's ``MetricFrame.difference`` / ``ratio`` over the last axis of ``by_group``.

    Parameters
    ----------
    by_group : numpy.ndarray
        Metric per group along the last axis (leading axes, e.g. bootstrap replicates, are kept).
        NaN marks a group left out (undefined or too small).
    overall : numpy.ndarray
        The metric over all rows, shape ``by_group.shape[:-1]``.
    kind : {"difference", "ratio"}
    method : {"between_groups", "to_overall"}
        ``between_groups``: max - min (difference) or min / max (ratio) over groups.
        ``to_overall``: the largest ``|group - overall|`` (difference), or the smallest of
        ``min(group / overall, overall / group)`` (ratio).

    Returns
    -------
    numpy.ndarray
        Shape ``by_group.shape[:-1]``; NaN where no group is defined or the ratio is 0 / 0.
    """
    if method not in ("between_groups", "to_overall") or kind not in ("difference", "ratio"):
        raise ValueError(f"unknown aggregation {kind!r} / {method!r}")
    if by_group.shape[-1] == 0:
        return np.full(by_group.shape[:-1], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "between_groups":
            hi = np.fmax.reduce(by_group, axis=-1)
            lo = np.fmin.reduce(by_group, axis=-1)
            if kind == "difference":
                return hi - lo
            return np.where(hi > 0, lo / hi, np.nan)
        o = np.asarray(overall)[..., None]
        if kind == "difference":
            return np.fmax.reduce(np.abs(by_group - o), axis=-1)
        up, down = by_group / o, o / by_group
        r = np.where(up > 1, down, up)
        r = np.where((by_group == 0) & (o == 0), np.nan, r)
        return np.fmin.reduce(r, axis=-1)
