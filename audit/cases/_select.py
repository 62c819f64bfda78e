"""Stage 3c, part 1: who was wrongly blacklisted, how many per group and cause.

What this is for: the headline numbers in people. A **wrongful blacklisting** is a blacklisting of a
person whose label is not adverse (``label`` does not hold ``positive``, matched as the metrics
stage matches it): with synthetic data the ground truth
(``truth``: they would not have defaulted), with real data only the recorded label (``observed``),
which may itself be biased — the output says which.

How many of a group's wrongful blacklistings are *in excess* of the reference group's rate, with
an interval, is a statistic of the metrics stage (``excess_wrongful`` in each group block of
``audit.json``); this stage counts people and picks them, it does not estimate. A cause is the
failure mode of the first mechanism that touched the person, in the terms and order the population
declares (``mechanism_info``), as the case files are tagged; without them, ``_taxonomy``'s table.

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
from audit.core import (
    adverse_mask,
    check_choice,
    check_int,
    resolve_reference,
    stratified_positions,
)
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


@dataclass(frozen=True)
class _Causes:
    """What caused each wrongful blacklisting, as the traces and the population's declarations say.

    ``mechanisms`` in precedence order; ``names`` the cause names (their failure modes, then
    ``NO_CAUSE``); per wrongly blacklisted person, ``code`` indexes ``names`` (the first mechanism
    that touched them) and ``touched`` says which mechanisms did; ``taxonomy`` maps each mechanism
    to its failure mode (the table's when there are no traces).
    """

    mechanisms: list[str]
    names: list[str]
    code: np.ndarray
    touched: np.ndarray
    taxonomy: dict[str, str]

    def totals(self) -> dict[str, int]:
        """Wrongful blacklistings per cause, over everyone."""
        counts = np.bincount(self.code, minlength=len(self.names))
        return {c: int(counts[j]) for j, c in enumerate(self.names)}


def _check(label: str, label_kind: LabelKind | None, per_group: int) -> LabelKind:
    """``label_kind`` resolved (default: ``"truth"`` if ``label == "truth"``); ``per_group`` checked."""
    if label_kind is None:
        label_kind = "truth" if label == "truth" else "observed"
    check_choice(label_kind, "label_kind", tuple(_NOTES), caller="select_cases")
    check_int(per_group, "per_group", minimum=0, caller="select_cases")
    return label_kind


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


def _wrongful(
    people: pd.DataFrame, decisions: Any, label: str, positive: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Who was wrongly blacklisted, and whose label is not adverse (one bool per person each)."""
    dec = _column_or_array(people, decisions, "decisions")
    if dec.dtype.kind not in "bi" or (dec.dtype.kind == "i" and not np.isin(dec, [0, 1]).all()):
        msg = f"decisions must be booleans (True = blacklisted); got dtype {dec.dtype}."
        raise InvalidInputError(msg)
    if label not in people.columns:
        msg = f"The label column {label!r} is not in the people table; pass label=<column>."
        raise SchemaError(msg)
    lab = people[label]
    if lab.isna().any():
        msg = (
            f"The label column {label!r} has {int(lab.isna().sum())} missing values; a wrongful "
            "blacklisting cannot be told apart without a label. Drop or fill those rows."
        )
        raise InvalidInputError(msg)
    # the same matching rule as the metrics stage ("1" matches 1; a label with two values, neither of
    # them `positive`, is an error rather than a silently inverted count)
    not_adverse = ~adverse_mask(lab, positive, column=label, role="label")[0]
    return dec.astype(bool) & not_adverse, not_adverse


def _causes(
    people: pd.DataFrame, wrongful: np.ndarray, info: Mapping[str, Mapping] | None
) -> _Causes:
    """The cause of each wrongful blacklisting: the first mechanism that touched the person, in
    the order of precedence ``info`` (``population.mechanisms``) declares, else the table's."""
    mechs = mechanism_order(trace_mechanisms(people.columns), info)
    traces = people.loc[wrongful, [f"trace_{m}" for m in mechs]]  # read once, used twice
    modes = {m: failure_mode_of(m, info) for m in mechs}
    names = list(dict.fromkeys([*modes.values(), NO_CAUSE]))
    code = pd.Categorical(primary_cause(traces, mechs, info), categories=names).codes
    return _Causes(
        mechanisms=mechs,
        names=names,
        code=code.astype(np.int64),
        touched=trace_matrix(traces, mechs),
        taxonomy=modes or dict(FAILURE_MODES),
    )


def _count(
    groups: tuple[np.ndarray, list[str], int],
    wrongful: np.ndarray,
    not_adverse: np.ndarray,
    causes: _Causes,
) -> dict[str, dict]:
    """An attribute's blocks of ``count``, ``groups``, ``by_cause`` and ``touched_by``."""
    codes, names, _ = groups
    G, C = len(names), len(causes.names)
    wc = codes[wrongful]
    n_wrong = np.bincount(wc, minlength=G)
    n_neg = np.bincount(codes[not_adverse], minlength=G)
    rate = np.divide(n_wrong, n_neg, out=np.full(G, np.nan), where=n_neg > 0)
    by_cause = np.bincount(wc * C + causes.code, minlength=G * C).reshape(G, C)
    touched_by = np.zeros((G, len(causes.mechanisms)), dtype=np.int64)
    np.add.at(touched_by, wc, causes.touched.astype(np.int64))
    return {
        "count": {names[g]: int(n_wrong[g]) for g in range(G)},
        "groups": {
            names[g]: {
                "wrongful": int(n_wrong[g]),
                "not_adverse": int(n_neg[g]),
                "rate": float(rate[g]) if np.isfinite(rate[g]) else None,
            }
            for g in range(G)
        },
        "by_cause": _nonzero(by_cause, names, causes.names),
        "touched_by": _nonzero(touched_by, names, causes.mechanisms),
    }


def _nonzero(table: np.ndarray, rows: Sequence[str], columns: Sequence[str]) -> dict:
    """``{row: {column: count}}`` of a count table, without its zeros."""
    return {
        r: {c: int(table[i, j]) for j, c in enumerate(columns) if table[i, j]}
        for i, r in enumerate(rows)
    }


def _pick(
    attr: str,
    groups: tuple[np.ndarray, list[str], int],
    wpos: np.ndarray,
    keys: np.ndarray,
    per_group: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of up to ``per_group`` wrongly blacklisted people per group of ``attr`` (a random
    sample within the group: the smallest keys), and the stratum text of each."""
    codes, names, _ = groups
    picked = wpos[stratified_positions(codes[wpos], keys[wpos], per_group)] if per_group else []
    text = np.char.add(f"{attr}=", np.asarray(names, dtype=str)[codes[picked]])
    return np.asarray(picked, dtype=np.int64), text


def _sampled_for(people: pd.DataFrame, strata: list[tuple[np.ndarray, np.ndarray]]) -> pd.Series:
    """For each person picked (index labels, sorted), the strata that picked them."""
    all_pos = np.concatenate([p for p, _ in strata]) if strata else np.empty(0, dtype=np.int64)
    all_txt = np.concatenate([t for _, t in strata]) if strata else np.empty(0, dtype=str)
    order = np.argsort(all_pos, kind="stable")
    sampled = pd.Series(all_txt[order]).groupby(all_pos[order]).agg("; ".join)
    rows = people.index[sampled.index.to_numpy(dtype=np.int64)]
    return pd.Series(sampled.to_numpy(), index=rows, name="sampled_for", dtype=object)


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
    mechanism_info: Mapping[str, Mapping] | None = None,
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
    mechanism_info : mapping, optional
        ``population.mechanisms``: each mechanism's declared failure mode and precedence, which name
        and order the causes of ``by_cause`` and ``taxonomy`` (as ``build_case_files`` tags the
        case files). None (real data with ``trace_`` columns): the table of ``_taxonomy``.

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
    label_kind = _check(label, label_kind, per_group)
    protected = [protected] if isinstance(protected, str) else list(protected)
    groups = resolve_reference(people, protected, reference)
    wrongful, not_adverse = _wrongful(people, decisions, label, positive)
    causes = _causes(people, wrongful, mechanism_info)
    keys = np.random.default_rng(np.random.SeedSequence([seed, 0xCA5E])).random(len(people))
    wpos = np.flatnonzero(wrongful)
    blocks: dict[str, dict] = {"count": {}, "groups": {}, "by_cause": {}, "touched_by": {}}
    strata = []
    for attr in protected:
        for name, block in _count(groups[attr], wrongful, not_adverse, causes).items():
            blocks[name][attr] = block
        strata.append(_pick(attr, groups[attr], wpos, keys, per_group))
    sampled_for = _sampled_for(people, strata)
    reference_names = {a: groups[a][1][groups[a][2]] for a in protected}
    section = {
        "label": label,
        "label_kind": label_kind,
        "label_note": _NOTES[label_kind],
        "positive": positive.item() if isinstance(positive, np.generic) else positive,
        "n": len(people),
        "n_wrongful": int(wrongful.sum()),
        "n_not_adverse": int(not_adverse.sum()),
        "reference": reference_names,
        "count": blocks["count"],
        "groups": blocks["groups"],
        "by_cause": blocks["by_cause"],
        "by_cause_total": causes.totals(),
        "touched_by": blocks["touched_by"],
        "mechanisms": causes.mechanisms,
        "taxonomy": causes.taxonomy,
        "cause_rule": (
            "by_cause: first mechanism that touched the person (trace_ columns), in the order of "
            "'taxonomy'; 'no identifiable cause' if none did"
        ),
        "per_group_cap": int(per_group),
        "seed": int(seed),
    }
    return CaseSelection(
        rows=sampled_for.index,
        sampled_for=sampled_for,
        wrongful=wrongful,
        protected=protected,
        reference=reference_names,
        label=label,
        label_kind=label_kind,
        seed=int(seed),
        section=section,
    )
