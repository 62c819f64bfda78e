"""Stage 3b: why a scorer scores groups differently — SHAP on a stratified sample, in score points.

What this is for: ``explain_scores`` explains a stratified sample of people (``per_group`` per group of
each protected attribute, plus every case-file person) against one common background sample, then
derives the audit's "why" numbers:

- group attributions (mean SHAP per feature per group) and the **score-gap decomposition**: for each
  group, ``score_gap = mean score(group) - mean score(reference)`` over the people explained equals
  ``sum(gap_by_feature)`` exactly, because every person's attributions add up to their score minus the
  same base value;
- the whole population's gap beside it (``score_gap_population``) and a Welch 95 % interval for the
  sampled gap, so a reader sees whether the sample represents the group;
- proxies (see ``_proxies``) and reason codes (the up-to-four features that pushed a blacklisted
  person's score down most, in points).

It returns plain data (``Explanation.to_dict()`` is the ``explain`` section of audit.json) and must not
import the metrics or report stages, nor the population or scoring stages: the scorer is anything with
``score(X)`` (and ``decide(X)`` / ``threshold`` for reason codes).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from audit.core import (
    check_choice,
    check_fraction,
    check_int,
    resolve_reference,
    stratified_positions,
)
from audit.exceptions import InvalidInputError, ScorerError
from audit.explain._proxies import group_auc, rank_proxies, value_ranks
from audit.explain._shapley import (
    GlassBox,
    ScoreFunction,
    find_glass_box,
    make_score_function,
    shapley_black_box,
    shapley_glass_box,
    shapley_shap,
)

__all__ = ["Explanation", "explain_scores", "format_reasons"]

Method = Literal["auto", "black_box", "glass_box", "shap_permutation", "shap_exact"]
_METHODS = ("auto", "black_box", "glass_box", "shap_permutation", "shap_exact")

#: The glass-box path is used only if its linear score matches the real one this closely (points).
GLASS_BOX_TOLERANCE = 1e-6
_GLASS_BOX_NOTE = (
    "TreeSHAP (interventional, same background) of the scorer's log-odds times its points factor; "
    "rules and clipping do not bind on any explained or background row (checked), so this equals "
    "the score's SHAP values"
)
_PROXY_METHOD = (
    "predictiveness = max(AUC, 1-AUC) of the feature for group vs reference membership "
    "(everyone); gap_points = the feature's term of the sampled score gap; ranked by "
    "proxy_points = (2*predictiveness-1) * max(0, -gap_points); a protected attribute the "
    "scorer reads is direct use, never listed as a proxy of itself"
)


@dataclass(frozen=True)
class Explanation:
    """Attributions of the people explained and the ``explain`` section of audit.json.

    Attributes
    ----------
    values : pandas.DataFrame
        One row per person explained (indexed by the people table's index), one column per feature:
        that feature's contribution to the person's score, in points, relative to ``base_value``.
    scores : pandas.Series
        Score of each person explained; ``base_value + values.sum(axis=1) == scores``.
    blacklisted : pandas.Series
        Decision of each person explained (True = blacklisted).
    base_value : float
        Mean score of the background sample.
    samples : dict of str to pandas.Series
        For each protected attribute, the group label of the people sampled for it (index ⊂ ``values``).
    section : dict
        The ``explain`` section of audit.json (see ``to_dict``).
    """

    values: pd.DataFrame
    scores: pd.Series
    blacklisted: pd.Series
    base_value: float
    samples: dict[str, pd.Series]
    section: dict = field(repr=False)

    def to_dict(self) -> dict:
        """The ``explain`` section of audit.json (JSON-ready plain data; a deep copy)."""
        return copy.deepcopy(self.section)

    def reason_codes(
        self, rows: Sequence | pd.Index | None = None, *, k: int = 4, only_blacklisted: bool = True
    ) -> pd.DataFrame:
        """The up-to-``k`` features that pushed each person's score down most, in points.

        What an adverse-action notice must state: the principal reasons, relative to the average person
        of the background sample (``base_value``). Only features with a negative contribution are
        listed, so a person may have fewer than ``k`` reasons.

        Parameters
        ----------
        rows : sequence of index labels, optional
            People to report (default: everyone explained). Labels not explained raise.
        k : int
            Maximum number of reasons per person.
        only_blacklisted : bool
            Keep only people who were blacklisted.

        Returns
        -------
        pandas.DataFrame
            Indexed like ``values``; columns ``score``, ``blacklisted``, ``reason_1..k`` (feature or
            None), ``points_1..k`` (negative floats or NaN) and ``reasons`` (text, e.g.
            ``"gaming_hours (-41.2 pts); critical_posts (-30.0 pts)"``).
        """
        if k < 1:
            msg = f"k must be a positive number of reasons (got {k!r})."
            raise InvalidInputError(msg)
        vals = self.values
        if rows is not None:
            labels = pd.Index(rows)
            missing = labels.difference(vals.index)
            if len(missing):
                msg = (
                    f"reason_codes: {len(missing)} of the rows asked for were not explained "
                    f"(e.g. {list(missing[:3])}); pass them as extra_rows to explain_scores."
                )
                raise InvalidInputError(msg)
            vals = vals.loc[labels]
        if only_blacklisted:
            vals = vals[self.blacklisted.loc[vals.index].to_numpy()]
        arr = vals.to_numpy()
        order = np.argsort(arr, axis=1, kind="stable")[:, :k]
        pts = np.take_along_axis(arr, order, axis=1)
        names = np.asarray(vals.columns, dtype=object)[order]
        pad = k - pts.shape[1]  # fewer features than k: the last reasons are empty
        if pad:
            pts = np.concatenate([pts, np.full((len(pts), pad), np.nan)], axis=1)
            names = np.concatenate([names, np.full((len(names), pad), None, dtype=object)], axis=1)
        neg = pts < 0  # NaN padding compares False
        out = pd.DataFrame(index=vals.index)
        out["score"] = self.scores.loc[vals.index].to_numpy()
        out["blacklisted"] = self.blacklisted.loc[vals.index].to_numpy()
        for i in range(k):
            out[f"reason_{i + 1}"] = pd.Series(
                np.where(neg[:, i], names[:, i], None), index=vals.index, dtype=object
            )
            out[f"points_{i + 1}"] = np.where(neg[:, i], pts[:, i], np.nan)
        out["reasons"] = format_reasons(names, pts, neg)
        return out


def format_reasons(names: np.ndarray, points: np.ndarray, keep: np.ndarray) -> list[str]:
    """Text of reason codes, e.g. ``"gaming_hours (-41.2 pts); critical_posts (-30.0 pts)"``.

    Loops over people only to join strings (the numbers are computed vectorised by the caller).
    """
    out = []
    for n_row, p_row, k_row in zip(names, points, keep, strict=True):
        parts = [f"{n} ({p:+.1f} pts)" for n, p, kk in zip(n_row, p_row, k_row, strict=True) if kk]
        out.append("; ".join(parts) if parts else "no feature lowered the score")
    return out


def _welch_interval(a: np.ndarray, b: np.ndarray, confidence: float) -> list[float] | None:
    """Welch t interval for mean(a) - mean(b); None when either sample has fewer than 2 people."""
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff = float(a.mean() - b.mean())
    se = float(np.sqrt(va + vb))
    if se == 0:
        return [diff, diff]
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return [diff - half, diff + half]


@dataclass(frozen=True)
class _Options:
    """The options of ``explain_scores``, checked once."""

    features: list[str]
    protected: list[str]
    per_group: int
    method: Method
    pairs: int
    confidence: float
    max_proxies: int | None
    seed: int
    progress: bool


@dataclass(frozen=True)
class _Sample:
    """Who is explained: positions in the people table, per attribute and in all (sorted, unique)."""

    per_attribute: dict[str, np.ndarray]
    extra: np.ndarray
    positions: np.ndarray

    def rows_of(self, attr: str) -> np.ndarray:
        """Rows of the attributions (one per position) of the people sampled for ``attr``."""
        return np.searchsorted(self.positions, self.per_attribute[attr])


@dataclass(frozen=True)
class _Attribution:
    """Shapley values of the people explained, their scores, and how they were computed."""

    values: np.ndarray
    base: float
    fx: np.ndarray
    method: str
    note: str


def _check(
    scorer: Any,
    people: pd.DataFrame,
    protected: Sequence[str],
    features: Sequence[str] | None,
    **options: Any,
) -> _Options:
    """The options of ``explain_scores`` checked, and the scorer's features resolved."""
    where = "explain_scores"
    check_choice(options["method"], "method", _METHODS, caller=where)
    check_int(options["per_group"], "per_group", minimum=1, caller=where)
    check_int(options["pairs"], "pairs", minimum=1, caller=where)
    check_fraction(options["confidence"], "confidence", open_low=True, open_high=True, caller=where)
    if features is None:
        features = getattr(scorer, "feature_names", None)
        if features is None:
            msg = "The scorer has no feature_names; pass features=[...] (the columns it scores)."
            raise ScorerError(msg)
    features = list(features)
    absent = [c for c in features if c not in people.columns]
    if absent:
        msg = f"The scorer's features must be columns of the people table; missing: {absent}."
        raise InvalidInputError(msg)
    if not features:
        msg = "The scorer must use at least one feature to be explained (got features=[])."
        raise InvalidInputError(msg)
    protected = [protected] if isinstance(protected, str) else list(protected)
    return _Options(features=features, protected=protected, **options)


def _positions_of(people: pd.DataFrame, rows: Sequence | pd.Index | None) -> np.ndarray:
    if rows is None:
        return np.empty(0, dtype=np.int64)
    labels = pd.Index(rows)
    pos = people.index.get_indexer(labels)
    if (pos < 0).any():
        bad = list(labels[pos < 0][:3])
        msg = f"extra_rows must be index labels of the people table; not found: {bad}."
        raise InvalidInputError(msg)
    return pos.astype(np.int64)


def _draw_sample(
    people: pd.DataFrame,
    groups: Mapping[str, tuple],
    extra_rows: Sequence | pd.Index | None,
    opts: _Options,
    rng: np.random.Generator,
) -> _Sample:
    """``per_group`` people per group of each attribute (shared random keys) plus ``extra_rows``."""
    keys = rng.random(len(people))
    per_attr = {a: stratified_positions(groups[a][0], keys, opts.per_group) for a in opts.protected}
    extra = _positions_of(people, extra_rows)
    positions = np.unique(np.concatenate([*per_attr.values(), extra]).astype(np.int64))
    return _Sample(per_attribute=per_attr, extra=extra, positions=positions)


def _draw_background(
    people: pd.DataFrame,
    background: int | pd.DataFrame,
    features: list[str],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, str]:
    """The common background rows (the caller's, or a uniform sample of everyone) and their source."""
    if isinstance(background, pd.DataFrame):
        missing_bg = [c for c in features if c not in background.columns]
        if missing_bg or len(background) == 0:
            msg = (
                "background must be an int or a non-empty DataFrame with the scorer's features; "
                f"got {len(background)} rows, missing columns {missing_bg}."
            )
            raise InvalidInputError(msg)
        return background[features].reset_index(drop=True), "given by the caller"
    if not isinstance(background, int | np.integer) or background < 1:
        msg = f"background must be a positive int or a DataFrame (got {background!r})."
        raise InvalidInputError(msg)
    n = len(people)
    if n == 0:
        msg = "The people table is empty: there is no one to explain."
        raise InvalidInputError(msg)
    bpos = np.sort(rng.choice(n, size=min(int(background), n), replace=False))
    return people[features].iloc[bpos].reset_index(drop=True), "uniform random sample of everyone"


def _glass_box_of(scorer: Any, opts: _Options) -> GlassBox | None:
    """The scorer's tree model if it reads only the features explained; else None (or an error
    when ``method='glass_box'`` insists on one)."""
    glass = find_glass_box(scorer)
    if glass is not None and set(glass.features) <= set(opts.features):
        return glass
    if opts.method == "glass_box":
        msg = (
            "method='glass_box' needs a scorer exposing its tree model through glass_box() "
            "(model, slope, intercept); this scorer does not. Use method='black_box'."
        )
        raise InvalidInputError(msg)
    return None


def _shapley_values(
    scorer: Any, f: ScoreFunction, X: pd.DataFrame, Z: pd.DataFrame, opts: _Options, perm_seed: int
) -> _Attribution:
    """Shapley values by the method asked for; ``auto``: the glass box where it is exact, else
    the black box (reusing the scores the glass-box check computed)."""
    if opts.method in ("shap_permutation", "shap_exact"):
        algorithm = opts.method.removeprefix("shap_")
        values, base, fx = shapley_shap(
            f, X, Z, algorithm=algorithm, seed=perm_seed, progress=opts.progress
        )
        note = f"SHAP's own {algorithm} explainer with maskers.Independent"
        return _Attribution(values, base, fx, opts.method, note)
    if opts.method == "black_box":
        return _black_box(f, X, Z, opts, perm_seed, note="")
    glass = _glass_box_of(scorer, opts)
    if glass is None:
        note = "the scorer exposes no tree model, so only score() was called"
        return _black_box(f, X, Z, opts, perm_seed, note=note)
    # cheap check first: does the linear log-odds map reproduce the real score here?
    fx, fz = f(X, what="people explained"), f(Z, what="background sample")
    worst = max(
        float(np.max(np.abs(glass.linear_score(X) - fx), initial=0.0)),
        float(np.max(np.abs(glass.linear_score(Z) - fz), initial=0.0)),
    )
    if worst <= GLASS_BOX_TOLERANCE * (1 + np.abs(fz).max()):
        values, _, _ = shapley_glass_box(glass, X, Z)
        return _Attribution(values, float(fz.mean()), fx, "glass_box", _GLASS_BOX_NOTE)
    if opts.method == "glass_box":
        msg = (
            "method='glass_box' is only valid where the scorer's score is linear in its "
            f"model's log-odds; its rules or clipping change scores by up to {worst:.3g} "
            "points on the rows explained. Use method='black_box'."
        )
        raise InvalidInputError(msg)
    note = (
        f"the scorer's rules or clipping bind (the linear log-odds score differs by up "
        f"to {worst:.3g} points), so the glass-box shortcut was not exact and only "
        "score() was called"
    )
    return _black_box(f, X, Z, opts, perm_seed, note=note, fx=fx, fz=fz)


def _black_box(
    f: ScoreFunction,
    X: pd.DataFrame,
    Z: pd.DataFrame,
    opts: _Options,
    perm_seed: int,
    *,
    note: str,
    fx: np.ndarray | None = None,
    fz: np.ndarray | None = None,
) -> _Attribution:
    """Our permutation sampler (``fx``, ``fz``: the scores if already known)."""
    values, base, fx = shapley_black_box(
        f, X, Z, seed=perm_seed, pairs=opts.pairs, progress=opts.progress, fx=fx, fz=fz
    )
    return _Attribution(values, base, fx, "black_box", note)


def _decide(scorer: Any, X: pd.DataFrame, scores: np.ndarray) -> np.ndarray:
    """The scorer's decisions for X (``decide``; else ``score < threshold``)."""
    if len(X) == 0:
        return np.zeros(0, dtype=bool)
    decide = getattr(scorer, "decide", None)
    if callable(decide):
        try:
            out = np.asarray(decide(X)).astype(bool).reshape(-1)
        except Exception as exc:
            msg = f"scorer.decide(X) raised {type(exc).__name__}: {exc} on the people explained."
            raise ScorerError(msg) from exc
        if len(out) != len(X):
            msg = f"scorer.decide must return one decision per row: expected {len(X)}, got {len(out)}."
            raise ScorerError(msg)
        return out
    threshold = getattr(scorer, "threshold", None)
    if threshold is None:
        msg = "The scorer has neither decide(X) nor threshold; cannot tell who is blacklisted."
        raise ScorerError(msg)
    return scores < float(threshold)


def _num(x: float) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _population_scores(
    f: ScoreFunction,
    people: pd.DataFrame,
    scores: np.ndarray | pd.Series | None,
    sample: _Sample,
    fx: np.ndarray,
) -> np.ndarray:
    """Everyone's scores, for the population gap: the caller's (checked on the people explained)
    or the scorer's."""
    if scores is None:
        return f(people[f.features], what="people")
    n = len(people)
    pop_scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(pop_scores) != n:
        msg = f"scores must have one value per person: expected {n}, got {len(pop_scores)}."
        raise InvalidInputError(msg)
    diff = np.abs(pop_scores[sample.positions] - fx)
    if len(diff) and diff.max() > 1e-4 * (1 + np.abs(fx).max()):
        msg = (
            "scores= does not match scorer.score on the people explained (largest difference "
            f"{diff.max():.4g} points); pass the scores this scorer gives these people."
        )
        raise InvalidInputError(msg)
    return pop_scores


def _explain_attribute(
    attr: str,
    groups: tuple[np.ndarray, list[str], int],
    sample: _Sample,
    shapley: _Attribution,
    pop_scores: np.ndarray,
    ranks: Mapping[str, tuple],
    opts: _Options,
) -> tuple[dict, list[dict]]:
    """The ``attributes[attr]`` block (a block per group, the gap split by feature) and the proxy
    candidates of the attribute's groups."""
    codes, names, ref = groups
    rows = sample.rows_of(attr)
    gcode = codes[sample.per_attribute[attr]]
    n_pop = np.bincount(codes, minlength=len(names))
    mean_pop = np.bincount(codes, weights=pop_scores, minlength=len(names)) / np.maximum(n_pop, 1)
    ref_rows = rows[gcode == ref]
    ref_mean_shap = shapley.values[ref_rows].mean(axis=0)
    ref_scores = shapley.fx[ref_rows]
    aucs = {c: group_auc(ranks[c], codes, ref) for c in opts.features}
    out_groups, candidates = {}, []
    for g, name in enumerate(names):
        r = rows[gcode == g]
        s = shapley.fx[r]
        mean_shap = shapley.values[r].mean(axis=0)
        gap_f = mean_shap - ref_mean_shap
        gap = float(s.mean() - ref_scores.mean())
        gap_pop = float(mean_pop[g] - mean_pop[ref])
        ci = _welch_interval(s, ref_scores, opts.confidence) if g != ref else None
        out_groups[name] = {
            "n_explained": len(r),
            "n_population": int(n_pop[g]),
            "mean_score": float(s.mean()),
            "mean_score_population": float(mean_pop[g]),
            "score_gap": gap,
            "score_gap_ci": ci,
            "score_gap_population": gap_pop,
            "population_gap_in_ci": None if ci is None else bool(ci[0] <= gap_pop <= ci[1]),
            "gap_by_feature": dict(zip(opts.features, map(float, gap_f), strict=True)),
            "mean_shap": dict(zip(opts.features, map(float, mean_shap), strict=True)),
        }
        if g != ref:
            aucs_g = [float(aucs[c][g]) for c in opts.features]
            candidates += _proxy_candidates(attr, name, names[ref], aucs_g, gap_f, gap, opts)
    block = {"reference": names[ref], "per_group": int(opts.per_group), "groups": out_groups}
    return block, candidates


def _proxy_candidates(
    attr: str,
    group: str,
    reference: str,
    aucs: list[float],
    gap_f: np.ndarray,
    gap: float,
    opts: _Options,
) -> list[dict]:
    """One proxy candidate per feature for a group: how well it tells the group from the
    reference group, and its term of the group's score gap. The attribute itself, when the scorer
    reads it, is not a proxy of itself: that is direct use (the scorer section's ``direct_use``)."""
    return [
        {
            "feature": c,
            "attribute": attr,
            "group": group,
            "reference": reference,
            "predictiveness": max(auc, 1 - auc) if np.isfinite(auc) else None,
            "auc": _num(auc),
            "gap_points": float(gap_f[j]),
            "gap_share": float(gap_f[j] / gap) if gap != 0 else None,
        }
        for j, (c, auc) in enumerate(zip(opts.features, aucs, strict=True))
        if c != attr
    ]


def _sampled_groups(
    people: pd.DataFrame, attr: str, groups: tuple[np.ndarray, list[str], int], sample: _Sample
) -> pd.Series:
    """The group label of each person sampled for ``attr``."""
    codes, names, _ = groups
    pos = sample.per_attribute[attr]
    return pd.Series(
        np.asarray(names, dtype=object)[codes[pos]], index=people.index[pos], name=attr
    )


def explain_scores(
    scorer: Any,
    people: pd.DataFrame,
    *,
    protected: Sequence[str],
    reference: Mapping[str, Any] | None = None,
    features: Sequence[str] | None = None,
    per_group: int = 200,
    background: int | pd.DataFrame = 100,
    extra_rows: Sequence | pd.Index | None = None,
    scores: np.ndarray | pd.Series | None = None,
    method: Method = "auto",
    pairs: int = 1,
    confidence: float = 0.95,
    max_proxies: int | None = 30,
    seed: int = 0,
    progress: bool = False,
) -> Explanation:
    """Explain a scorer's scores on a stratified sample: group attributions, gap decomposition, proxies.

    Parameters
    ----------
    scorer : object
        The system under audit: ``score(X) -> float array`` (points; higher = more trustworthy), and
        ``decide(X)`` or ``threshold`` (blacklisted = True). ``feature_names`` gives the default features.
    people : pandas.DataFrame
        Everyone (one row per person): the protected columns and the scorer's feature columns.
    protected : list of str
        Protected attribute columns. Missing values form the group ``"unknown"``.
    reference : mapping, optional
        Reference group per attribute (e.g. ``{"ethnicity": "Han"}``); default: the largest group.
    features : list of str, optional
        Columns handed to the scorer (default ``scorer.feature_names``).
    per_group : int
        People explained per group of each attribute (all of a smaller group). The samples of different
        attributes share random keys, so they overlap and the number of distinct people stays small.
    background : int or pandas.DataFrame
        Size of the common background sample drawn uniformly from ``people``, or the rows themselves.
    extra_rows : sequence of index labels, optional
        People to explain in addition (case files); they are not used for group statistics.
    scores : array-like, optional
        Everyone's scores, aligned with ``people`` (saves re-scoring everyone for
        ``score_gap_population``); checked against ``scorer.score`` on the people explained.
    method : {"auto", "black_box", "glass_box", "shap_permutation", "shap_exact"}
        ``black_box``: our permutation sampler calling only ``scorer.score``. ``glass_box``: TreeSHAP on
        the tree model the scorer exposes via ``glass_box()``, in points — only valid where the scorer's
        rules and clipping do not bind, so it is refused unless it reproduces the real score of every
        explained and background row. ``auto``: glass box when so valid, else black box.
        ``shap_permutation`` / ``shap_exact``: SHAP's own explainers (slow; numeric features only).
    pairs : int
        Antithetic permutation pairs per person and background row on the black-box path.
    confidence : float
        Confidence level of the interval for the sampled gap.
    max_proxies : int or None
        Keep this many proxy candidates (None: all).
    seed : int
        Seed of the samples and permutations (same seed, same numbers).
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    Explanation

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> people = pd.DataFrame({"group": rng.choice(["a", "b"], 300), "x": rng.normal(size=300)})
    >>> people["y"] = (people.x + (people.group == "b") > 0.5).astype(int)
    >>> class Scorer:
    ...     feature_names, threshold = ["x"], 600.0
    ...     def __init__(self):
    ...         self.lr = LogisticRegression().fit(people[["x"]], people.y)
    ...     def score(self, X):
    ...         return 650 - 50 * self.lr.decision_function(X[["x"]])
    ...     def decide(self, X):
    ...         return self.score(X) < self.threshold
    >>> ex = explain_scores(Scorer(), people, protected=["group"], reference={"group": "a"},
    ...                     per_group=50, background=20)
    >>> g = ex.to_dict()["attributes"]["group"]["groups"]["b"]
    >>> abs(g["score_gap"] - sum(g["gap_by_feature"].values())) < 1e-9
    True
    """
    opts = _check(
        scorer,
        people,
        protected,
        features,
        per_group=per_group,
        method=method,
        pairs=pairs,
        confidence=confidence,
        max_proxies=max_proxies,
        seed=seed,
        progress=progress,
    )
    groups = resolve_reference(people, opts.protected, reference)
    rng_keys, rng_bg, rng_perm = map(np.random.default_rng, np.random.SeedSequence(seed).spawn(3))
    sample = _draw_sample(people, groups, extra_rows, opts, rng_keys)
    Z, bg_source = _draw_background(people, background, opts.features, rng_bg)
    X = people[opts.features].iloc[sample.positions]
    f = make_score_function(scorer, people, opts.features)
    shapley = _shapley_values(scorer, f, X, Z, opts, perm_seed=int(rng_perm.integers(2**31)))
    labels = people.index[sample.positions]
    blacklisted = pd.Series(_decide(scorer, X, shapley.fx), index=labels, name="blacklisted")
    pop_scores = _population_scores(f, people, scores, sample, shapley.fx)

    ranks = {c: value_ranks(people[c]) for c in opts.features}
    attributes: dict[str, Any] = {}
    candidates: list[dict] = []
    for attr in opts.protected:
        attributes[attr], found = _explain_attribute(
            attr, groups[attr], sample, shapley, pop_scores, ranks, opts
        )
        candidates += found
    section = {
        "method": shapley.method,
        "method_note": shapley.note,
        "features": opts.features,
        "constant_features": [c for c in opts.features if ranks[c][1] <= 1],
        "base_value": float(shapley.base),
        "background": {"n": len(Z), "source": bg_source},
        "per_group": int(opts.per_group),
        "pairs": int(opts.pairs) if shapley.method == "black_box" else None,
        "n_explained": len(sample.positions),
        "n_extra": len(sample.extra),
        "n_blacklisted_explained": int(blacklisted.sum()),
        "confidence": float(opts.confidence),
        "seed": int(opts.seed),
        "score_calls": f.calls,
        "rows_scored": f.rows,
        "attributes": attributes,
        "proxies": rank_proxies(candidates, top=opts.max_proxies),
        "proxy_method": _PROXY_METHOD,
    }
    return Explanation(
        values=pd.DataFrame(shapley.values, index=labels, columns=opts.features),
        scores=pd.Series(shapley.fx, index=labels, name="score"),
        blacklisted=blacklisted,
        base_value=float(shapley.base),
        samples={a: _sampled_groups(people, a, groups[a], sample) for a in opts.protected},
        section=section,
    )
