"""Shapley attributions of a scorer's score, in score points, against one common background sample.

What this is for: turning "this person scored 512" into "gaming_hours cost them 41 points, critical_posts
30 points, ..." — interventional Shapley values (SHAP with an independent masker) of the *score itself*,
so that for every person ``base_value + sum(values) == score`` exactly. Because every person is explained
against the same background sample, group means of the values add up too, which is what the score-gap
decomposition relies on.

Three ways to compute them:

- ``black_box`` (ours, the default): Monte Carlo permutation sampling that calls only ``scorer.score``
  (DESIGN principle 1), vectorised over many people at once. For each person and *each* background row
  ``z_b`` it walks one random feature order forwards and backwards (antithetic pair), switching features
  from ``z_b`` to the person's values one at a time and crediting each step's change in score to the
  feature switched. Every walk telescopes from ``score(z_b)`` to ``score(x)``, and every background row is
  used equally often, so additivity against ``mean_b score(z_b)`` is exact, not approximate. This is the
  same estimator as ``shap.PermutationExplainer`` with ``shap.maskers.Independent`` except that it pairs a
  fresh permutation with each background row instead of averaging each permutation over all of them,
  and it batches thousands of people into one ``score`` call.
- ``glass_box``: ``shap.TreeExplainer`` (interventional, same background) on the tree model a scorer
  exposes, explaining its log-odds and multiplying by the scorer's points-per-log-odds factor. This is
  only the score where the scorer's rules and clipping do not bind, so it is used only when it is exact
  on every explained and background row (see ``_explain.explain_scores``).
- ``shap_permutation`` / ``shap_exact``: SHAP's own model-agnostic explainers on the same background,
  one person at a time (slow; for cross-checks and the benchmark).

This module must not import the metrics, report, population or scoring stages: a scorer is anything
with ``score(X) -> float array``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from audit.exceptions import InvalidInputError, ScorerError

__all__ = [
    "GlassBox",
    "ScoreFunction",
    "find_glass_box",
    "make_score_function",
    "shapley_black_box",
    "shapley_glass_box",
    "shapley_shap",
]

#: Rows handed to ``scorer.score`` in one call on the black-box path (memory ~ rows x features x 8 B).
_CHUNK_ROWS = 400_000


class ScoreFunction:
    """``scorer.score`` restricted to the scorer's features, with errors turned into clear messages.

    Parameters
    ----------
    scorer : object
        Anything with ``score(X: DataFrame) -> array``.
    features : list of str
        The columns handed to the scorer, in this order.
    dtypes : pandas.Series
        Column dtypes to restore when a caller (SHAP) passes a plain array.
    """

    def __init__(self, scorer: Any, features: list[str], dtypes: pd.Series):
        self.scorer = scorer
        self.features = list(features)
        self.dtypes = dtypes
        self.calls = 0
        self.rows = 0

    def __call__(self, X: pd.DataFrame | np.ndarray, *, what: str = "hybrid rows") -> np.ndarray:
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(np.asarray(X), columns=self.features).astype(self.dtypes.to_dict())
        self.calls += 1
        self.rows += len(X)
        try:
            out = self.scorer.score(X)
        except Exception as exc:  # the scorer is foreign code: report what it rejected and why
            msg = (
                f"The scorer rejected the {what} it was asked to score: score(X) raised "
                f"{type(exc).__name__}: {exc}. The explanation calls score() on {what} built from "
                "the people's own feature values; pass background=<DataFrame of rows the scorer "
                "accepts> or fix the scorer's input validation."
            )
            raise ScorerError(msg) from exc
        out = np.asarray(out, dtype=np.float64).reshape(-1)
        if out.shape[0] != len(X):
            msg = (
                f"scorer.score must return one score per row: expected {len(X)} values for the "
                f"{what}, got {out.shape[0]}."
            )
            raise ScorerError(msg)
        if not np.isfinite(out).all():
            bad = int((~np.isfinite(out)).sum())
            msg = (
                f"scorer.score must return finite scores: got {bad} NaN/inf values out of "
                f"{len(out)} for the {what}."
            )
            raise ScorerError(msg)
        return out


def make_score_function(scorer: Any, people: pd.DataFrame, features: list[str]) -> ScoreFunction:
    """Wrap ``scorer.score`` for the given feature columns of ``people``."""
    return ScoreFunction(scorer, features, people[features].dtypes)


def _column_taker(
    x: pd.Series, z: pd.Series
) -> Callable[[np.ndarray, np.ndarray, np.ndarray], Any]:
    """Return ``take(mask, pidx, bidx)``: x[pidx] where mask else z[bidx], keeping the column's dtype."""
    if isinstance(x.dtype, np.dtype) and x.dtype == z.dtype and x.dtype.kind in "biufM":
        xv, zv = x.to_numpy(), z.to_numpy()
        return lambda mask, pidx, bidx: np.where(mask, xv[pidx], zv[bidx])
    pool = pd.concat([x, z], ignore_index=True).array  # categoricals, strings, nullable ints
    offset = len(x)
    return lambda mask, pidx, bidx: pool.take(np.where(mask, pidx, offset + bidx))


def shapley_black_box(
    f: ScoreFunction,
    X: pd.DataFrame,
    background: pd.DataFrame,
    *,
    seed: int = 0,
    pairs: int = 1,
    progress: bool = False,
    fx: np.ndarray | None = None,
    fz: np.ndarray | None = None,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Interventional Shapley values of ``f`` by background-paired antithetic permutation sampling.

    Parameters
    ----------
    f : ScoreFunction
        The score function (calls ``scorer.score`` only).
    X : pandas.DataFrame
        People to explain (the score function's feature columns).
    background : pandas.DataFrame
        The common background sample (same columns).
    seed : int
        Seed of the random feature orders.
    pairs : int
        Antithetic permutation pairs per person and background row (accuracy knob; cost is linear).
    progress : bool
        Show a tqdm bar on stderr.
    fx, fz : ndarray, optional
        ``f(X)`` and ``f(background)`` if already known (saves two calls).

    Returns
    -------
    values : ndarray of shape (len(X), n_features)
        Attributions in score points.
    base_value : float
        ``mean(f(background))``; ``base_value + values.sum(1) == f(X)`` up to float rounding.
    fx : ndarray of shape (len(X),)
        ``f(X)``.
    """
    P, M = len(X), len(f.features)
    fz = f(background, what="background sample") if fz is None else fz
    if fx is None:
        fx = f(X, what="people explained") if P else np.empty(0)
    base = float(fz.mean())
    values = np.zeros((P, M))
    if P == 0 or M <= 1:
        if M == 1:
            values[:, 0] = fx - base
        return values, base, fx
    walks = _Walks.of(f.features, X, background, fz, pairs)
    step = max(1, _CHUNK_ROWS // (walks.chains * 2 * (M - 1)))  # people per batch
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5A4B]))
    for s in tqdm(range(0, P, step), disable=not progress, desc="explaining", unit="batch"):
        values[s : s + step] = _walk_batch(f, walks, rng, s, fx[s : s + step])
    return values, base, fx


@dataclass(frozen=True)
class _Walks:
    """What every batch of permutation walks shares: how to build hybrid rows column by column,
    which features differ between each person and each background row, and each chain's
    background row and its score."""

    takers: list[Callable[[np.ndarray, np.ndarray, np.ndarray], Any]]
    diff: np.ndarray  # (P, B, M): switching feature j changes the row
    bg_of_chain: np.ndarray  # chains = B * pairs walks per person per direction
    fz_chain: np.ndarray

    @property
    def chains(self) -> int:
        return len(self.bg_of_chain)

    @classmethod
    def of(
        cls,
        features: list[str],
        X: pd.DataFrame,
        background: pd.DataFrame,
        fz: np.ndarray,
        pairs: int,
    ) -> _Walks:
        P, B = len(X), len(background)
        takers, differs = [], []
        for c in features:
            takers.append(_column_taker(X[c], background[c]))
            codes = pd.factorize(pd.concat([X[c], background[c]], ignore_index=True))[0]
            differs.append(codes[:P, None] != codes[None, P:])  # NaN == NaN here (same code)
        bg_of_chain = np.arange(B * pairs) % B
        return cls(takers, np.stack(differs, axis=-1), bg_of_chain, fz[bg_of_chain])


def _walk_batch(
    f: ScoreFunction, walks: _Walks, rng: np.random.Generator, start: int, fx: np.ndarray
) -> np.ndarray:
    """Mean attributions of the people ``start .. start + len(fx)``: one antithetic pair of
    random walks per chain, each step's change in score credited to the feature switched."""
    p, chains, M = len(fx), walks.chains, walks.diff.shape[-1]
    # order[i, c, d, k]: the feature switched at step k+1 of walk (person i, chain c, direction
    # d); rank is its inverse (position of feature j). d=1 walks the reverse order (antithetic).
    fwd = rng.random((p, chains, M)).argsort(axis=-1)
    order = np.stack([fwd, fwd[..., ::-1]], axis=2)
    rank = order.argsort(axis=-1)
    diff = walks.diff[start : start + p][:, walks.bg_of_chain, None, :]
    changed = np.take_along_axis(diff, order, axis=-1)
    cum = np.cumsum(changed, axis=-1)
    total = cum[..., -1:]
    # Only rows that differ from the previous one and are not yet the person are scored:
    # the others repeat a known value (identical rows score identically).
    need = changed[..., :-1] & (cum[..., :-1] < total)
    chain = np.full((p, chains, 2, M + 1), np.nan)
    ip, ic, idir, ik = np.nonzero(need)
    ik = ik + 1  # features switched so far
    if len(ip):
        cols = {}
        for j, c in enumerate(f.features):
            from_person = rank[ip, ic, idir, j] < ik
            cols[c] = walks.takers[j](from_person, start + ip, walks.bg_of_chain[ic])
        chain[ip, ic, idir, ik] = f(pd.DataFrame(cols, copy=False))
    chain[..., 0] = walks.fz_chain[None, :, None]
    is_person = np.concatenate([total == 0, cum == total], axis=-1)
    chain[is_person] = np.broadcast_to(fx[:, None, None, None], chain.shape)[is_person]
    # forward-fill the rows skipped as repeats
    last = np.where(np.isnan(chain), 0, np.arange(M + 1))
    np.maximum.accumulate(last, axis=-1, out=last)
    chain = np.take_along_axis(chain, last, axis=-1)
    steps = np.diff(chain, axis=-1)  # change in score at each switch
    return np.take_along_axis(steps, rank, axis=-1).mean(axis=(1, 2))


@dataclass(frozen=True)
class GlassBox:
    """What the glass-box path needs from a scorer: a tree model and the log-odds-to-points map.

    ``score = intercept + slope * model_log_odds`` where no rule or clipping binds.
    """

    model: Any
    slope: float
    intercept: float
    features: list[str]

    def linear_score(self, X: pd.DataFrame) -> np.ndarray:
        """``intercept + slope * log-odds`` (the score before rules and clipping)."""
        raw = np.asarray(self.model.decision_function(X[self.features]), dtype=np.float64)
        return self.intercept + self.slope * raw.reshape(len(X))


def _tree_like(model: Any) -> bool:
    """A boosted-tree classifier: raw output (``decision_function``) is the log-odds, which TreeSHAP
    explains additively. Random forests are excluded: their raw output is a probability."""
    name = type(model).__name__
    boosted = any(s in name for s in ("Boosting", "XGB", "LGBM", "CatBoost"))
    return boosted and callable(getattr(model, "decision_function", None))


def find_glass_box(scorer: Any) -> GlassBox | None:
    """Return the scorer's tree model and points map if it exposes them, else None.

    Two ways to expose them:

    - a ``glass_box()`` method returning a mapping with ``model`` (a fitted boosted-tree classifier
      ``shap.TreeExplainer`` supports, whose ``decision_function`` is the log-odds of the adverse
      outcome: scikit-learn's HistGradientBoosting/GradientBoosting, XGBoost, LightGBM, CatBoost),
      ``slope`` and ``intercept`` (``score = intercept + slope * log_odds`` before rules and
      clipping) and optionally ``features`` (the columns the model reads);
    - the fitted attributes of a scorecard scorer such as ``audit.scoring.SocialCreditScorer``:
      ``estimator_`` (binary boosted-tree classifier), ``model_features_``, ``positive_`` (the default class)
      and the scale ``base_score``, ``base_odds``, ``pdo`` (``score = offset - factor * log_odds``
      with ``factor = pdo / ln 2``, ``offset = base_score - factor * ln(base_odds)``), numeric
      features only.

    Anything else (no hook, a non-tree model, a random forest — its raw output is a probability,
    not additive log-odds — protected attributes as categorical model inputs) is a black box: None.
    """
    hook = getattr(scorer, "glass_box", None)
    if callable(hook):
        try:
            parts = hook()
        except Exception:  # a scorer that cannot describe itself is simply a black box
            return None
        if not parts or "model" not in parts or not _tree_like(parts["model"]):
            return None
        return GlassBox(
            model=parts["model"],
            slope=float(parts["slope"]),
            intercept=float(parts["intercept"]),
            features=list(parts.get("features") or getattr(scorer, "feature_names", [])),
        )
    model = getattr(scorer, "estimator_", None)
    needed = ("model_features_", "positive_", "base_score", "base_odds", "pdo")
    if model is None or not _tree_like(model) or not all(hasattr(scorer, a) for a in needed):
        return None
    classes = list(getattr(model, "classes_", []))
    if len(classes) != 2 or scorer.positive_ not in classes:
        return None
    if (
        getattr(scorer, "numeric_only_", True) is False
        or getattr(model, "is_categorical_", None) is not None
    ):
        return None
    try:
        factor = float(scorer.pdo) / math.log(2.0)
        offset = float(scorer.base_score) - factor * math.log(float(scorer.base_odds))
    except (TypeError, ValueError):
        return None
    # raw output = log-odds of classes_[1]; log-odds of default flips sign if default is classes_[0]
    sign = 1.0 if classes.index(scorer.positive_) == 1 else -1.0
    return GlassBox(
        model=model, slope=-factor * sign, intercept=offset, features=list(scorer.model_features_)
    )


def shapley_glass_box(
    glass: GlassBox, X: pd.DataFrame, background: pd.DataFrame
) -> tuple[np.ndarray, float, np.ndarray]:
    """TreeSHAP (interventional, same background) of the log-odds, times the points slope.

    Returns ``(values, base_value, linear_score)`` where ``linear_score`` is the score the linear
    map gives before rules and clipping; the caller checks it against the real score.
    """
    import shap  # heavy import, only on this path

    Xm = X[glass.features]
    Zm = background[glass.features]
    explainer = shap.TreeExplainer(
        glass.model, data=Zm, feature_perturbation="interventional", model_output="raw"
    )
    raw = np.asarray(explainer.shap_values(Xm, check_additivity=False), dtype=np.float64)
    if (
        raw.ndim == 3
    ):  # (n, features, classes) for some multi-output wrappers: take the adverse class
        raw = raw[..., -1]
    values = np.zeros((len(X), X.shape[1]))
    cols = X.columns.get_indexer(glass.features)
    values[:, cols] = glass.slope * raw.reshape(len(X), len(glass.features))
    base = glass.intercept + glass.slope * float(np.mean(np.ravel(explainer.expected_value)))
    linear = base + values.sum(axis=1)
    return values, base, linear


def shapley_shap(
    f: ScoreFunction,
    X: pd.DataFrame,
    background: pd.DataFrame,
    *,
    algorithm: str = "permutation",
    seed: int = 0,
    max_evals: int | str | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, float, np.ndarray]:
    """SHAP's own ``Permutation`` or ``Exact`` explainer with ``maskers.Independent(background)``.

    One person at a time, as SHAP does it; ``max_evals=None`` keeps SHAP's default (500).
    Note: ``shap.PermutationExplainer`` reseeds numpy's global random state with ``seed``.
    """
    import shap

    masker = shap.maskers.Independent(
        background.to_numpy(dtype=np.float64), max_samples=len(background)
    )
    fz = f(background, what="background sample")
    if algorithm == "permutation":
        explainer = shap.explainers.Permutation(f, masker, seed=seed)
        kwargs: dict[str, Any] = {} if max_evals is None else {"max_evals": max_evals}
    elif algorithm == "exact":
        explainer = shap.explainers.Exact(f, masker)
        kwargs = {}
    else:
        msg = f"algorithm must be 'permutation' or 'exact' (got {algorithm!r})."
        raise InvalidInputError(msg)
    if len(X) == 0:
        return np.zeros((0, len(f.features))), float(fz.mean()), np.empty(0)
    out = explainer(X.to_numpy(dtype=np.float64), silent=not progress, **kwargs)
    values = np.asarray(out.values, dtype=np.float64)
    base = float(np.mean(out.base_values))
    if not math.isclose(base, float(fz.mean()), rel_tol=0, abs_tol=1e-6 * (1 + abs(base))):
        base = float(fz.mean())
    return values, base, f(X, what="people explained")
