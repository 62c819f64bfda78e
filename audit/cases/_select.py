"""Stage 3c, part 1: who was wrongly blacklisted, how many per group and cause.

What this is for: the headline numbers in people. A **wrongful blacklisting** is a blacklisting of a
person whose label is not adverse (``label`` does not hold ``positive``, matched as the metrics
stage matches it): with synthetic data the ground truth
(``truth``: they would not have defaulted), with real data only the recorded label (``observed``),
which may itself be biased — the output says which.

How many of a group's wrongful blacklistings are *in excess* of the reference group's rate, with
an interval, is a statistic of the metrics stage (``excess_wrongful`` in each group block of
``audit.json``); this stage counts people and picks them, it does not estimate.

It then picks the case files: up to ``per_group`` wrongly blacklisted people per group of each
protected attribute (a simple random sample within the group; attributes share random keys so their
samples overlap). Must not import the metrics or report stages, and never loops over people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from audit.cases._taxonomy import (
    FAILURE_MODES,
    NO_CAUSE,
    failure_mode_of,
    mechanism_order,
    primary_cause,
    trace_matrix,
    trace_mechanisms,
)
from audit.core import adverse_mask, resolve_reference, stratified_positions
from audit.exceptions import InvalidInputError, SchemaError

__all__ = ["CaseSelection", "select_cases"]

LabelKind = Literal["truth", "observed"]

_NOTES = {
    "truth": "Wrongful = blacklisted although the ground truth says the person would not have "
    "defaulted (truth == 0).",
    "observed": "No ground truth: wrongful = blacklisted although the recorded label is not "
    "adverse. The recorded label may itself be biased (over-recorded defaults hide wrongful "
    "blacklistings), so these counts are a lower bound on nothing and an audit of records only.",
}


@dataclass(frozen=True)
class CaseSelection:
    """Who was wrongly blacklisted, the counts, and the people chosen for case files.

    Attributes
    ----------
    rows : pandas.Index
        Index labels (in the people table) of the people chosen for case files, sorted.
    sampled_for : pandas.Series
        For each chosen person, the strata that picked them, e.g. ``"ethnicity=B; sex=f"``.
    wrongful : numpy.ndarray of bool
        One per person: blacklisted although the label is not adverse.
    protected : list of str
    reference : dict of str to str
        Reference group per attribute.
    label, label_kind : str
        The label column and whether it is the ground truth or the recorded label.
    section : dict
        The counts for the ``cases`` section of audit.json (``CaseFiles.to_dict`` completes it).
    """

    rows: pd.Index
    sampled_for: pd.Series
    wrongful: np.ndarray = field(repr=False)
    protected: list[str]
    reference: dict[str, str]
    label: str
    label_kind: str
    seed: int
    section: dict = field(repr=False)


def _column_or_array(people: pd.DataFrame, x: Any, what: str) -> np.ndarray:
    if isinstance(x, str):
        if x not in people.columns:
            msg = f"The {what} column {x!r} is not in the people table."
            raise SchemaError(msg)
        return people[x].to_numpy()
    arr = np.asarray(x).reshape(-1)
    if len(arr) != len(people):
        msg = f"{what} must have one value per person: expected {len(people)}, got {len(arr)}."
        raise InvalidInputError(msg)
    return arr


def select_cases(
    people: pd.DataFrame,
    decisions: np.ndarray | pd.Series | str,
    *,
    protected: Sequence[str],
    reference: Mapping[str, Any] | None = None,
    label: str = "truth",
    label_kind: LabelKind | None = None,
    positive: Any = 1,
    per_group: int = 20,
    seed: int = 0,
) -> CaseSelection:
    """Count wrongful blacklistings by group and cause, and pick case files.

    Parameters
    ----------
    people : pandas.DataFrame
        Everyone: protected columns, the label column, and ``trace_<mechanism>`` columns if known.
    decisions : array-like of bool or str
        One per person, True = blacklisted (``scorer.decide``), or the name of such a column.
    protected : list of str
        Protected attribute columns (missing values are the group ``"unknown"``).
    reference : mapping, optional
        Reference group per attribute (default: the one rule of
        :func:`audit.core.choose_reference`, the largest group); pass the run's references.
    label : str
        The label column: ``"truth"`` for synthetic populations, the recorded label otherwise.
    label_kind : {"truth", "observed"}, optional
        Whether ``label`` is ground truth; default: ``"truth"`` if ``label == "truth"``.
    positive : object
        Label value meaning the adverse outcome (default 1).
    per_group : int
        At most this many case files per group of each attribute.
    seed : int
        Seed of the case-file sample.

    Returns
    -------
    CaseSelection

    Examples
    --------
    >>> people = pd.DataFrame({"g": ["a", "a", "b", "b", "b"], "truth": [0, 0, 0, 0, 1]})
    >>> sel = select_cases(people, [True, False, True, True, True], protected=["g"],
    ...                    reference={"g": "a"})
    >>> sel.section["count"], sel.section["groups"]["g"]["b"]["rate"]
    ({'g': {'a': 1, 'b': 2}}, 1.0)
    """
    if label_kind is None:
        label_kind = "truth" if label == "truth" else "observed"
    if label_kind not in _NOTES:
        msg = f"label_kind must be 'truth' or 'observed' (got {label_kind!r})."
        raise InvalidInputError(msg)
    if not isinstance(per_group, int | np.integer) or per_group < 0:
        msg = f"per_group must be an int >= 0 (got {per_group!r})."
        raise InvalidInputError(msg)
    protected = [protected] if isinstance(protected, str) else list(protected)
    groups = resolve_reference(people, protected, reference)
    dec = _column_or_array(people, decisions, "decisions")
    if dec.dtype.kind not in "bi" or (dec.dtype.kind == "i" and not np.isin(dec, [0, 1]).all()):
        msg = f"decisions must be booleans (True = blacklisted); got dtype {dec.dtype}."
        raise InvalidInputError(msg)
    dec = dec.astype(bool)
    lab = people[label] if label in people.columns else None
    if lab is None:
        msg = f"The label column {label!r} is not in the people table; pass label=<column>."
        raise SchemaError(msg)
    if lab.isna().any():
        msg = (
            f"The label column {label!r} has {int(lab.isna().sum())} missing values; a wrongful "
            "blacklisting cannot be told apart without a label. Drop or fill those rows."
        )
        raise InvalidInputError(msg)
    # the same matching rule as the metrics stage ("1" matches 1; a label with two values, neither of
    # them `positive`, is an error rather than a silently inverted count)
    not_adverse = ~adverse_mask(lab, positive, column=label, role="label")[0]
    wrongful = dec & not_adverse

    mechs = mechanism_order(trace_mechanisms(people.columns))
    traces = people.loc[wrongful, [f"trace_{m}" for m in mechs]]  # read once, used twice
    causes = primary_cause(traces, mechs)
    cause_names = list(dict.fromkeys([*(failure_mode_of(m) for m in mechs), NO_CAUSE]))
    cause_code = pd.Categorical(causes, categories=cause_names).codes.astype(np.int64)
    touched = trace_matrix(traces, mechs)

    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xCA5E]))
    keys = rng.random(len(people))
    wpos = np.flatnonzero(wrongful)
    count, detail, by_cause, touched_by, reference_names = {}, {}, {}, {}, {}
    strata_pos, strata_text = [], []
    for attr in protected:
        codes, names, ref = groups[attr]
        G = len(names)
        reference_names[attr] = names[ref]
        n_wrong = np.bincount(codes[wrongful], minlength=G)
        n_neg = np.bincount(codes[not_adverse], minlength=G)
        rate = np.divide(n_wrong, n_neg, out=np.full(G, np.nan), where=n_neg > 0)
        count[attr] = {names[g]: int(n_wrong[g]) for g in range(G)}
        detail[attr] = {
            names[g]: {
                "wrongful": int(n_wrong[g]),
                "not_adverse": int(n_neg[g]),
                "rate": float(rate[g]) if np.isfinite(rate[g]) else None,
            }
            for g in range(G)
        }
        wc = codes[wrongful]
        C = len(cause_names)
        table = np.bincount(wc * C + cause_code, minlength=G * C).reshape(G, C)
        by_cause[attr] = {
            names[g]: {c: int(table[g, j]) for j, c in enumerate(cause_names) if table[g, j]}
            for g in range(G)
        }
        tb = np.zeros((G, len(mechs)), dtype=np.int64)
        np.add.at(tb, wc, touched.astype(np.int64))
        touched_by[attr] = {
            names[g]: {m: int(tb[g, j]) for j, m in enumerate(mechs) if tb[g, j]} for g in range(G)
        }
        # case files: a random sample of the wrongly blacklisted within each group
        picked = wpos[stratified_positions(wc, keys[wpos], per_group)] if per_group else []
        strata_pos.append(np.asarray(picked, dtype=np.int64))
        strata_text.append(np.char.add(f"{attr}=", np.asarray(names, dtype=str)[codes[picked]]))

    all_pos = np.concatenate(strata_pos) if strata_pos else np.empty(0, dtype=np.int64)
    all_txt = np.concatenate(strata_text) if strata_text else np.empty(0, dtype=str)
    order = np.argsort(all_pos, kind="stable")
    sampled = pd.Series(all_txt[order]).groupby(all_pos[order]).agg("; ".join)
    rows = people.index[sampled.index.to_numpy(dtype=np.int64)]
    sampled_for = pd.Series(sampled.to_numpy(), index=rows, name="sampled_for", dtype=object)

    total_cause = np.bincount(cause_code, minlength=len(cause_names))
    section = {
        "label": label,
        "label_kind": label_kind,
        "label_note": _NOTES[label_kind],
        "positive": positive.item() if isinstance(positive, np.generic) else positive,
        "n": len(people),
        "n_wrongful": int(wrongful.sum()),
        "n_not_adverse": int(not_adverse.sum()),
        "reference": reference_names,
        "count": count,
        "groups": detail,
        "by_cause": by_cause,
        "by_cause_total": {c: int(total_cause[j]) for j, c in enumerate(cause_names)},
        "touched_by": touched_by,
        "mechanisms": mechs,
        "taxonomy": {m: failure_mode_of(m) for m in mechs} or dict(FAILURE_MODES),
        "cause_rule": (
            "by_cause: first mechanism that touched the person (trace_ columns), in the order of "
            "'taxonomy'; 'no identifiable cause' if none did"
        ),
        "per_group_cap": int(per_group),
        "seed": int(seed),
    }
    return CaseSelection(
        rows=rows,
        sampled_for=sampled_for,
        wrongful=wrongful,
        protected=protected,
        reference=reference_names,
        label=label,
        label_kind=label_kind,
        seed=int(seed),
        section=section,
    )
