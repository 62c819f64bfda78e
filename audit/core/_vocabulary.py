"""The vocabulary every stage shares: group metrics, judged criteria, and their plain words.

What it is for: one table of each kind of thing, from which every list derives — the group metrics
(:data:`METRICS`: name in ``audit.json``, title, definition as confusion cells, fairlearn name, ideal
value), and the criteria a verdict judges (:data:`CRITERIA`: the rate compared with the reference
group, the threshold key, the option that sets it, plain words). The report, the command line and
the engine read titles and rules from here, so a name is spelt once.
What it must not do: compute statistics beyond a metric's own ratio of counts, read data, or format
HTML.

"Positive" is the adverse outcome (blacklisted; defaulted): fairlearn's ``selection_rate`` is our
``adverse_rate`` and a false positive is a *wrongful blacklisting*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CELLS", "CRITERIA", "METRICS", "Criterion", "RateMetric", "band"]

#: Order of the confusion cells in every counts array (scikit-learn's ``confusion_matrix().ravel()``).
CELLS = ("tn", "fp", "fn", "tp")
_CELL = {c: i for i, c in enumerate(CELLS)}


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


@dataclass(frozen=True)
class Criterion:
    """A fairness criterion a verdict judges: a rate of each group over the reference group's.

    A group satisfies it when the ratio lies in the band ``[threshold, 1 / threshold]`` (e.g. 0.8 to
    1.25: neither group's rate is below four-fifths of the other's). The verdict judges the ratio's
    simultaneous confidence interval against the band, never the point estimate alone.

    Attributes
    ----------
    name : str
        Key of the criterion in ``verdict`` (``violations[].criterion``).
    metric : str
        The rate compared (a key of :data:`METRICS`).
    threshold : str
        Key in ``audit.json``'s ``thresholds`` block.
    option : str
        The audit option (and, with dashes, the CLI flag) that sets the threshold.
    title : str
        Plain-language name.
    demand : str
        What it demands, with ``{t}`` and ``{u}`` for the band's ends.
    """

    name: str
    metric: str
    threshold: str
    option: str
    title: str
    demand: str

    def rule(self, threshold: float) -> str:
        """The demand in words for a threshold, e.g. ``within 0.8–1.25 × the reference's``."""
        low, high = band(threshold)
        return self.demand.format(t=f"{low:g}", u=f"{high:.4g}")


def band(threshold: float) -> tuple[float, float]:
    """The acceptable band ``[threshold, 1 / threshold]`` of a ratio (threshold in (0, 1]).

    Examples
    --------
    >>> band(0.8)
    (0.8, 1.25)
    """
    return float(threshold), 1.0 / float(threshold)


#: Every criterion a verdict can judge, in report order. Which are judged is set per audit by the
#: thresholds (None = not judged); the four-fifths rule is judged by default.
CRITERIA: dict[str, Criterion] = {
    c.name: c
    for c in [
        Criterion(
            "four_fifths", "favourable_rate", "impact_ratio", "min_impact_ratio",
            "Four-fifths rule (impact ratio)",
            "every group's favourable-outcome rate (not blacklisted) within {t}–{u} × the "
            "reference group's",
        ),
        Criterion(
            "adverse_ratio", "adverse_rate", "adverse_ratio", "min_adverse_ratio",
            "Blacklisting ratio (adverse-rate ratio)",
            "every group's blacklisting rate within {t}–{u} × the reference group's",
        ),
        Criterion(
            "fpr_ratio", "fpr", "fpr_ratio", "min_fpr_ratio",
            "Wrongful blacklisting ratio",
            "every group's wrongful blacklisting rate within {t}–{u} × the reference group's",
        ),
    ]
}  # fmt: skip
