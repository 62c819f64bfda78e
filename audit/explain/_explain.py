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

from audit.core import resolve_reference, stratified_positions
from audit.exceptions import InvalidInputError, ScorerError
from audit.explain._proxies import group_auc, rank_proxies, value_ranks
from audit.explain._shapley import (
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
    if method not in _METHODS:
        msg = f"method must be one of {_METHODS} (got {method!r})."
        raise InvalidInputError(msg)
    if not isinstance(per_group, int | np.integer) or per_group < 1:
        msg = f"per_group must be a positive int (got {per_group!r})."
        raise InvalidInputError(msg)
    if not isinstance(pairs, int | np.integer) or pairs < 1:
        msg = f"pairs must be a positive int (got {pairs!r})."
        raise InvalidInputError(msg)
    if not 0 < confidence < 1:
        msg = f"confidence must be in (0, 1) (got {confidence!r})."
        raise InvalidInputError(msg)
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
    groups = resolve_reference(people, protected, reference)
    n = len(people)

    ss = np.random.SeedSequence(seed)
    rng_keys, rng_bg, seed_perm = (np.random.default_rng(s) for s in ss.spawn(3))
    keys = rng_keys.random(n)
    per_attr_pos = {a: stratified_positions(groups[a][0], keys, per_group) for a in protected}
    extra_pos = _positions_of(people, extra_rows)
    all_pos = np.unique(np.concatenate([*per_attr_pos.values(), extra_pos]).astype(np.int64))

    if isinstance(background, pd.DataFrame):
        missing_bg = [c for c in features if c not in background.columns]
        if missing_bg or len(background) == 0:
            msg = (
                "background must be an int or a non-empty DataFrame with the scorer's features; "
                f"got {len(background)} rows, missing columns {missing_bg}."
            )
            raise InvalidInputError(msg)
        Z = background[features].reset_index(drop=True)
        bg_note = "given by the caller"
    else:
        if not isinstance(background, int | np.integer) or background < 1:
            msg = f"background must be a positive int or a DataFrame (got {background!r})."
            raise InvalidInputError(msg)
        if n == 0:
            msg = "The people table is empty: there is no one to explain."
            raise InvalidInputError(msg)
        bpos = np.sort(rng_bg.choice(n, size=min(int(background), n), replace=False))
        Z = people[features].iloc[bpos].reset_index(drop=True)
        bg_note = "uniform random sample of everyone"

    X = people[features].iloc[all_pos]
    f = make_score_function(scorer, people, features)
    perm_seed = int(seed_perm.integers(2**31))

    used, note = method, ""
    values = base = fx = fx0 = fz0 = None
    if method in ("auto", "glass_box"):
        glass = find_glass_box(scorer)
        if glass is not None and not set(glass.features) <= set(features):
            glass = None
        if glass is None:
            if method == "glass_box":
                msg = (
                    "method='glass_box' needs a scorer exposing its tree model through glass_box() "
                    "(model, slope, intercept); this scorer does not. Use method='black_box'."
                )
                raise InvalidInputError(msg)
            note = "the scorer exposes no tree model, so only score() was called"
        else:
            # cheap check first: does the linear log-odds map reproduce the real score here?
            fx_real = fx0 = f(X, what="people explained")
            fz_real = fz0 = f(Z, what="background sample")
            worst = max(
                float(np.max(np.abs(glass.linear_score(X) - fx_real), initial=0.0)),
                float(np.max(np.abs(glass.linear_score(Z) - fz_real), initial=0.0)),
            )
            if worst <= GLASS_BOX_TOLERANCE * (1 + np.abs(fz_real).max()):
                gv, _, _ = shapley_glass_box(glass, X, Z)
                values, base, fx, used = gv, float(fz_real.mean()), fx_real, "glass_box"
                note = (
                    "TreeSHAP (interventional, same background) of the scorer's log-odds times its "
                    "points factor; rules and clipping do not bind on any explained or background "
                    "row (checked), so this equals the score's SHAP values"
                )
            elif method == "glass_box":
                msg = (
                    "method='glass_box' is only valid where the scorer's score is linear in its "
                    f"model's log-odds; its rules or clipping change scores by up to {worst:.3g} "
                    "points on the rows explained. Use method='black_box'."
                )
                raise InvalidInputError(msg)
            else:
                note = (
                    f"the scorer's rules or clipping bind (the linear log-odds score differs by up "
                    f"to {worst:.3g} points), so the glass-box shortcut was not exact and only "
                    "score() was called"
                )
        if values is None:
            used = "black_box"
    if used == "black_box":
        values, base, fx = shapley_black_box(
            f, X, Z, seed=perm_seed, pairs=pairs, progress=progress, fx=fx0, fz=fz0
        )
    elif used in ("shap_permutation", "shap_exact"):
        values, base, fx = shapley_shap(
            f, X, Z, algorithm=used.removeprefix("shap_"), seed=perm_seed, progress=progress
        )
        note = f"SHAP's own {used.removeprefix('shap_')} explainer with maskers.Independent"

    labels = people.index[all_pos]
    vals = pd.DataFrame(values, index=labels, columns=features)
    sc = pd.Series(fx, index=labels, name="score")
    bl = pd.Series(_decide(scorer, X, fx), index=labels, name="blacklisted")

    # scores of everyone, for the population gap
    if scores is None:
        pop_scores = f(people[features], what="people")
    else:
        pop_scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if len(pop_scores) != n:
            msg = f"scores must have one value per person: expected {n}, got {len(pop_scores)}."
            raise InvalidInputError(msg)
        diff = np.abs(pop_scores[all_pos] - fx)
        if len(diff) and diff.max() > 1e-4 * (1 + np.abs(fx).max()):
            msg = (
                "scores= does not match scorer.score on the people explained (largest difference "
                f"{diff.max():.4g} points); pass the scores this scorer gives these people."
            )
            raise InvalidInputError(msg)

    attributes: dict[str, Any] = {}
    samples: dict[str, pd.Series] = {}
    candidates: list[dict] = []
    ranks = {c: value_ranks(people[c]) for c in features}
    constant = [c for c in features if ranks[c][1] <= 1]
    for attr in protected:
        codes, names, ref = groups[attr]
        rows = np.searchsorted(all_pos, per_attr_pos[attr])  # rows of `values` (all_pos is sorted)
        gcode = codes[per_attr_pos[attr]]
        samples[attr] = pd.Series(
            np.asarray(names, dtype=object)[gcode],
            index=people.index[per_attr_pos[attr]],
            name=attr,
        )
        n_pop = np.bincount(codes, minlength=len(names))
        sum_pop = np.bincount(codes, weights=pop_scores, minlength=len(names))
        mean_pop = sum_pop / np.maximum(n_pop, 1)
        ref_rows = rows[gcode == ref]
        ref_mean_shap = values[ref_rows].mean(axis=0)
        ref_scores = fx[ref_rows]
        aucs = {c: group_auc(ranks[c], codes, ref) for c in features}
        out_groups = {}
        for g, name in enumerate(names):
            r = rows[gcode == g]
            s = fx[r]
            mean_shap = values[r].mean(axis=0)
            gap_f = mean_shap - ref_mean_shap
            gap = float(s.mean() - ref_scores.mean())
            gap_pop = float(mean_pop[g] - mean_pop[ref])
            ci = _welch_interval(s, ref_scores, confidence) if g != ref else None
            block = {
                "n_explained": len(r),
                "n_population": int(n_pop[g]),
                "mean_score": float(s.mean()),
                "mean_score_population": float(mean_pop[g]),
                "score_gap": gap,
                "score_gap_ci": ci,
                "score_gap_population": gap_pop,
                "population_gap_in_ci": None if ci is None else bool(ci[0] <= gap_pop <= ci[1]),
                "gap_by_feature": {c: float(v) for c, v in zip(features, gap_f, strict=True)},
                "mean_shap": {c: float(v) for c, v in zip(features, mean_shap, strict=True)},
            }
            out_groups[name] = block
            if g == ref:
                continue
            for j, c in enumerate(features):
                auc = float(aucs[c][g])
                pred = max(auc, 1 - auc) if np.isfinite(auc) else None
                candidates.append(
                    {
                        "feature": c,
                        "attribute": attr,
                        "group": name,
                        "reference": names[ref],
                        "predictiveness": pred,
                        "auc": _num(auc),
                        "gap_points": float(gap_f[j]),
                        "gap_share": float(gap_f[j] / gap) if gap != 0 else None,
                    }
                )
        attributes[attr] = {
            "reference": names[ref],
            "per_group": int(per_group),
            "groups": out_groups,
        }

    section = {
        "method": used,
        "method_note": note,
        "features": features,
        "constant_features": constant,
        "base_value": float(base),
        "background": {"n": len(Z), "source": bg_note},
        "per_group": int(per_group),
        "pairs": int(pairs) if used == "black_box" else None,
        "n_explained": len(all_pos),
        "n_extra": len(extra_pos),
        "n_blacklisted_explained": int(bl.sum()),
        "confidence": float(confidence),
        "seed": int(seed),
        "score_calls": f.calls,
        "rows_scored": f.rows,
        "attributes": attributes,
        "proxies": rank_proxies(candidates, top=max_proxies),
        "proxy_method": (
            "predictiveness = max(AUC, 1-AUC) of the feature for group vs reference membership "
            "(everyone); gap_points = the feature's term of the sampled score gap; ranked by "
            "proxy_points = (2*predictiveness-1) * max(0, -gap_points)"
        ),
    }
    return Explanation(
        values=vals,
        scores=sc,
        blacklisted=bl,
        base_value=float(base),
        samples=samples,
        section=section,
    )
