"""Stage 3c, part 2: the case files — one row per wrongly blacklisted person chosen, as in HRW's reports.

What this is for: showing the people behind the rates. Each case file has a pseudonymous ID (never the
person's identifier), the protected attributes, the key records, the score and the reasons an
adverse-action notice would give (reason codes, in points), the bias mechanisms that touched the
person (traces), a failure-mode tag (see ``_taxonomy``) and the counterfactual twin's outcome: the same
person, with the same noise, generated with the reference group's value of one protected attribute,
scored by the same scorer — would they still be blacklisted?

The twin needs a source of counterfactuals (``population.counterfactual(rows=..., **{attr: value})``):
the generator on synthetic data; on real data, for a scorer that reads the attribute directly, the same
record with only that attribute changed (the flip test); otherwise there is none and the table says
so. Failure modes come from the generator's ``trace_`` columns and are left out without them. Must not import the metrics or report stages, nor the population
or scoring stages (duck-typed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from audit.cases._select import CaseSelection
from audit.cases._taxonomy import (
    NO_CAUSE,
    failure_mode_of,
    linked_features,
    primary_cause,
    trace_matrix,
    trace_mechanisms,
)
from audit.core import factorize_groups
from audit.exceptions import InvalidInputError, ScorerError

__all__ = ["CaseFiles", "build_case_files", "pseudonym"]


@dataclass(frozen=True)
class CaseFiles:
    """The case table (becomes cases.csv) and the ``cases`` section of audit.json.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per case file, no real identifiers; see ``build_case_files`` for the columns.
    section : dict
        The ``cases`` section of audit.json (see ``to_dict``).
    """

    table: pd.DataFrame
    section: dict = field(repr=False)

    def to_dict(self) -> dict:
        """The ``cases`` section of audit.json (JSON-ready plain data)."""
        import copy

        return copy.deepcopy(self.section)


def pseudonym(ids: Sequence[Any], salt: str, *, length: int = 6) -> list[str]:
    """Pseudonymous case IDs ``"C-7F3A9B"``: a salted SHA-256 of each identifier, unique in the list.

    The ID is lengthened (6, 8, 10, ... hex digits) until no two cases share one. Pseudonymous, not
    anonymous: whoever knows the salt and the identifiers can recompute the IDs, so with real data pass
    a secret salt.

    Examples
    --------
    >>> pseudonym([1, 2], "seed=0")
    ['C-BD4B5E', 'C-FB8290']
    """
    digests = [hashlib.sha256(f"{salt}:{i}".encode()).hexdigest().upper() for i in ids]
    n = length
    while len({d[:n] for d in digests}) < len(digests) and n < 64:
        n += 2
    return [f"C-{d[:n]}" for d in digests]


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return f"{float(v):.3g}"
    return str(v.item() if isinstance(v, np.generic) else v)


def _twin_frame(population: Any, positions: np.ndarray, attr: str, value: str) -> pd.DataFrame:
    """The counterfactual twins of the people at ``positions`` with ``attr`` set to ``value``."""
    try:
        twin = population.counterfactual(rows=positions, **{attr: value})
    except Exception as exc:
        msg = (
            f"population.counterfactual(rows=..., {attr}={value!r}) failed: "
            f"{type(exc).__name__}: {exc}"
        )
        raise InvalidInputError(msg) from exc
    frame = getattr(twin, "frame", twin)
    if len(frame) == len(positions):
        return frame.reset_index(drop=True)
    if len(frame) == len(population.frame):
        return frame.iloc[positions].reset_index(drop=True)
    msg = (
        f"population.counterfactual returned {len(frame)} rows for {len(positions)} people; "
        "expected one row per person asked for (or the whole population)."
    )
    raise InvalidInputError(msg)


def _score_twins(scorer: Any, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Scores and decisions of the twins (one call each for all attributes together)."""
    if len(X) == 0:
        return np.empty(0), np.zeros(0, dtype=bool)
    try:
        scores = np.asarray(scorer.score(X), dtype=np.float64).reshape(-1)
        decisions = np.asarray(scorer.decide(X)).astype(bool).reshape(-1)
    except Exception as exc:
        msg = f"The scorer failed on the counterfactual twins: {type(exc).__name__}: {exc}"
        raise ScorerError(msg) from exc
    return scores, decisions


_TWIN_NOTE = (
    "twin = the same person and noise, generated with the reference group's value of the "
    "attribute, scored by the same scorer"
)


@dataclass(frozen=True)
class _Scored:
    """What the scorer said of each case, in the selection's order: the attributions (no columns
    without an explanation), the reason codes, the score and the decision."""

    values: pd.DataFrame
    reasons: pd.DataFrame
    scores: np.ndarray
    blacklisted: np.ndarray


@dataclass(frozen=True)
class _Touched:
    """The mechanisms whose traces the people table carries, which of them touched each case, and
    the features each acts through."""

    mechanisms: list[str]
    matrix: np.ndarray
    links: dict[str, list[str]]

    def text(self) -> list[str]:
        """Per case, the mechanisms that touched it (``"none"`` if none did)."""
        names = np.asarray(self.mechanisms, dtype=object)
        return ["; ".join(names[t]) if t.any() else "none" for t in self.matrix]


def _scored(
    selection: CaseSelection,
    people: pd.DataFrame,
    pos: np.ndarray,
    explanation: Any | None,
    scores: np.ndarray | pd.Series | None,
    k: int,
) -> _Scored:
    """The cases' scores and reasons: from the explanation, else (no scorer queried) the given
    scores and no reasons; ``select_cases`` picks only the blacklisted."""
    rows = selection.rows
    if explanation is not None:
        missing = rows.difference(explanation.values.index)
        if len(missing):
            msg = (
                f"{len(missing)} case-file people were not explained (e.g. {list(missing[:3])}); "
                "call explain_scores(..., extra_rows=selection.rows)."
            )
            raise InvalidInputError(msg)
        return _Scored(
            values=explanation.values.loc[rows],
            reasons=explanation.reason_codes(rows, k=k, only_blacklisted=False),
            scores=explanation.scores.loc[rows].to_numpy(),
            blacklisted=explanation.blacklisted.loc[rows].to_numpy(),
        )
    reasons = pd.DataFrame(
        {"reasons": "not available: no scorer was queried, so no reason codes"}, index=rows
    )
    for i in range(1, k + 1):
        reasons[f"reason_{i}"] = None
        reasons[f"points_{i}"] = np.nan
    case_scores = np.full(len(rows), np.nan)
    if scores is not None:
        all_scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if len(all_scores) != len(people):
            msg = (
                f"scores must have one value per person: expected {len(people)}, "
                f"got {len(all_scores)}."
            )
            raise InvalidInputError(msg)
        case_scores = all_scores[pos]
    return _Scored(pd.DataFrame(index=rows), reasons, case_scores, np.ones(len(rows), dtype=bool))


def _records(
    selection: CaseSelection,
    sub: pd.DataFrame,
    scored: _Scored,
    scorer: Any | None,
    *,
    k: int,
    id_column: str,
    salt: str | None,
) -> pd.DataFrame:
    """The table's first columns: pseudonymous ID, strata, groups, score, decision, label, reasons."""
    rows = selection.rows
    table = pd.DataFrame(index=rows)
    ids = sub[id_column].tolist() if id_column in sub.columns else list(rows)
    table["case_id"] = pseudonym(ids, salt if salt is not None else f"seed={selection.seed}")
    table["sampled_for"] = selection.sampled_for.loc[rows].to_numpy()
    for attr in selection.protected:  # group names as select_cases gave them (missing: "unknown")
        codes, names = factorize_groups(sub[attr])
        table[attr] = np.asarray(names, dtype=object)[codes]
    table["score"] = scored.scores
    table["threshold"] = float(getattr(scorer, "threshold", np.nan))
    table["blacklisted"] = scored.blacklisted
    table["label"] = sub[selection.label].to_numpy()
    table["label_kind"] = selection.label_kind
    table["reasons"] = scored.reasons["reasons"].to_numpy()
    for i in range(1, k + 1):
        table[f"reason_{i}"] = scored.reasons[f"reason_{i}"].to_numpy()
        table[f"points_{i}"] = scored.reasons[f"points_{i}"].to_numpy()
    return table


def _failure_modes(
    sub: pd.DataFrame,
    values: pd.DataFrame,
    touched: _Touched,
    info: Mapping[str, Mapping] | None,
    k: int,
) -> np.ndarray:
    """Tag of each case: among the mechanisms that touched the person, the one whose linked
    features cost the most points among the top ``k`` reasons; else the first touched by
    precedence (``primary_cause``)."""
    mechs, features = touched.mechanisms, list(values.columns)
    links = np.zeros((len(features), len(mechs)))
    for j, m in enumerate(mechs):
        links[[features.index(f) for f in touched.links[m]], j] = 1.0
    v = values.to_numpy(dtype=np.float64)
    top = np.zeros_like(v, dtype=bool)
    if v.size:
        order = np.argsort(v, axis=1, kind="stable")[:, :k]
        np.put_along_axis(top, order, True, axis=1)
    top &= v < 0
    mech_points = np.where(touched.matrix, (v * top) @ links, 0.0)  # what each touched one cost
    by_reason = mech_points.argmin(axis=1) if mechs else np.zeros(len(v), dtype=int)
    has_reason = (mech_points.min(axis=1) < 0) if mechs else np.zeros(len(v), dtype=bool)
    tags = np.array([failure_mode_of(m, info) for m in mechs] + [NO_CAUSE], dtype=object)
    return np.where(has_reason, tags[by_reason], primary_cause(sub, mechs, info))


def _key_records(sub: pd.DataFrame, reasons: pd.DataFrame, touched: _Touched, k: int) -> list[str]:
    """Per case, the records behind its reasons and the mechanisms that touched it, as text
    (``"speech_flag=1; critical_posts=3"``; a loop over at most a few hundred cases)."""
    reason_cols = reasons[[f"reason_{i}" for i in range(1, k + 1)]].to_numpy()
    out = []
    for n, (named, hit) in enumerate(zip(reason_cols, touched.matrix, strict=True)):
        linked = [
            f for m, t in zip(touched.mechanisms, hit, strict=True) if t for f in touched.links[m]
        ]
        cols = dict.fromkeys([r for r in named if r] + linked)
        out.append("; ".join(f"{c}={_fmt(sub.iat[n, sub.columns.get_loc(c)])}" for c in cols))
    return out


def _twins(
    selection: CaseSelection,
    table: pd.DataFrame,
    pos: np.ndarray,
    population: Any | None,
    scorer: Any | None,
    twin_attributes: Sequence[str] | None,
) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """The twin columns (score, nullable decision) per attribute, their summary and the note.

    A case already in the reference group of an attribute has no twin for it (NA). All twins are
    scored in one call."""
    attrs = list(selection.protected if twin_attributes is None else twin_attributes)
    for attr in attrs:
        if attr not in selection.reference:
            msg = f"twin_attributes: {attr!r} is not one of the protected attributes."
            raise InvalidInputError(msg)
    if scorer is None:
        return {}, None, "no counterfactual twins: no scorer to score them with"
    if population is None:
        return (
            {},
            None,
            (
                "no counterfactual twins: no generator behind these people (real data), and the "
                "scorer reads no protected attribute directly"
            ),
        )
    ref = selection.reference
    needs = {a: (table[a] != ref[a]).to_numpy() for a in attrs}
    features = list(scorer.feature_names)
    frames = [
        _twin_frame(population, pos[need], a, ref[a])[features]
        for a, need in needs.items()
        if need.any()
    ]
    all_scores, all_dec = _score_twins(
        scorer, pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    )
    columns: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    start = 0
    for attr, need in needs.items():
        n_twin = int(need.sum())
        score_col = np.full(len(table), np.nan)
        dec_col = pd.array([pd.NA] * len(table), dtype="boolean")
        score_col[need] = all_scores[start : start + n_twin]
        dec_col[need] = all_dec[start : start + n_twin]
        start += n_twin
        columns[f"twin_{attr}_score"] = score_col
        columns[f"twin_{attr}_blacklisted"] = dec_col
        cleared = int((~dec_col[need]).sum()) if n_twin else 0
        summary[attr] = {
            "reference": ref[attr],
            "n": n_twin,
            "not_blacklisted": cleared,
            "share_not_blacklisted": cleared / n_twin if n_twin else None,
        }
    return columns, summary, getattr(population, "twin_note", _TWIN_NOTE)


def build_case_files(
    selection: CaseSelection,
    people: pd.DataFrame,
    *,
    scorer: Any | None = None,
    explanation: Any | None = None,
    scores: np.ndarray | pd.Series | None = None,
    population: Any | None = None,
    twin_attributes: Sequence[str] | None = None,
    mechanism_info: Mapping[str, Mapping] | None = None,
    mechanism_features: Mapping[str, Sequence[str]] | None = None,
    k: int = 4,
    id_column: str = "person_id",
    salt: str | None = None,
) -> CaseFiles:
    """Build the case files of the people ``select_cases`` chose.

    Parameters
    ----------
    selection : CaseSelection
        From ``select_cases`` (its ``rows`` must have been explained: pass them as ``extra_rows``).
    people : pandas.DataFrame
        The same people table ``select_cases`` was given.
    scorer : object, optional
        The scorer (``score``, ``decide``, ``feature_names``, ``threshold``), for the twins. None
        (an audit of decisions alone, e.g. ``audit csv``): no twins, no threshold.
    explanation : audit.explain.Explanation, optional
        From ``explain_scores(..., extra_rows=selection.rows)``: scores, decisions, reason codes.
        None (no scorer to query): the reasons column says so, tags use the traces alone.
    scores : array-like, optional
        Everyone's scores (aligned with ``people``), used when there is no explanation.
    population : object, optional
        The generator's population, with ``counterfactual(rows=positions, **{attr: value})``
        returning an object whose ``frame`` has one row per position (or per person); its
        ``twin_note``, if any, says what a twin is (e.g. the flip test's record twins on real
        data, ``audit.explain.RecordTwins``). None: no twins.
    twin_attributes : list of str, optional
        Attributes to make twins for (default: all protected). A person already in the reference
        group of an attribute gets no twin for it (NA).
    mechanism_info : mapping, optional
        ``population.mechanisms``: each mechanism's declared failure mode, precedence and linked
        features, which tag the case files (pass ``select_cases`` the same, so that its counts by
        cause agree). None (real data with ``trace_`` columns): the table of ``_taxonomy``.
    mechanism_features : mapping, optional
        Explicit mechanism → features links (override the declared ones).
    k : int
        Reason codes per person.
    id_column : str
        Column hashed into the pseudonymous ID (index label if absent). Never copied to the table.
    salt : str, optional
        Salt of the pseudonymous IDs (default ``"seed=<selection seed>"``).

    Returns
    -------
    CaseFiles
        ``table`` columns: ``case_id``, ``sampled_for``, the protected attributes, ``score``,
        ``threshold``, ``blacklisted``, ``label``, ``label_kind``, ``reasons`` (text),
        ``reason_1..k``, ``points_1..k``, ``key_records``, ``mechanisms``, ``failure_mode``,
        ``twin_<attr>_score`` and ``twin_<attr>_blacklisted`` (nullable boolean) per attribute.
        ``failure_mode`` and ``mechanisms`` only when ``people`` has ``trace_`` columns (a synthetic
        population); without them ``by_failure_mode`` is empty.
    """
    pos = people.index.get_indexer(selection.rows)
    sub = people.iloc[pos]
    scored = _scored(selection, people, pos, explanation, scores, k)
    table = _records(selection, sub, scored, scorer, k=k, id_column=id_column, salt=salt)
    mechs = trace_mechanisms(people.columns)
    features = list(scored.values.columns)
    links = linked_features(mechs, features, mechanism_info, mechanism_features)
    touched = _Touched(mechs, trace_matrix(sub, mechs), links)
    if mechs:  # failure modes come from the generator's traces: none on real records
        table["failure_mode"] = _failure_modes(sub, scored.values, touched, mechanism_info, k)
        table["mechanisms"] = touched.text()
    table["key_records"] = _key_records(sub, scored.reasons, touched, k)
    twin_columns, twins, twin_note = _twins(
        selection, table, pos, population, scorer, twin_attributes
    )
    for name, column in twin_columns.items():
        table[name] = column
    table = table.reset_index(drop=True)

    modes = table["failure_mode"].value_counts() if mechs else pd.Series(dtype=int)
    case_files = {
        "n": len(table),
        "by_failure_mode": {str(m): int(c) for m, c in modes.items()},
        "twins": twins,
        "twin_note": twin_note,
        "reasons_note": (
            f"up to {k} features that lowered the score most, in points against the mean score of "
            "the explanation's background sample"
            if explanation is not None
            else "no reason codes: no scorer was queried (an audit of recorded decisions)"
        ),
        "failure_mode_rule": (
            "among mechanisms that touched the person, the one whose linked features cost the most "
            "points among the top reasons; otherwise the first touched in the taxonomy order"
        ),
        "linked_features": links,
        "columns": list(table.columns),
    }
    section = {**selection.section, "n_case_files": len(table), "case_files": case_files}
    return CaseFiles(table=table, section=section)
