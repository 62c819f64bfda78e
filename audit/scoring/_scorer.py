"""`SocialCreditScorer`: the opaque social-credit scorer, the system under audit.

A stand-in for a commercial social-credit model: a scikit-learn classifier trained on the records an
institution holds (observed features, observed label — never the truth), whose probability of
default is mapped to scorecard points in [350, 950], then adjusted by a rules layer (data, not code),
and thresholded into a blacklist. The audit only calls ``score``, ``decide``, ``feature_names`` and
``threshold`` (DESIGN principle 1).

This module must not compute fairness metrics, generate populations or read scenario files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils import get_tags

from audit.exceptions import InvalidInputError, NotFittedError, ScorerError, SpecError
from audit.scoring._io import save_scorer
from audit.scoring._mapping import (
    BASE_ODDS,
    BASE_SCORE,
    PDO,
    SCORE_MAX,
    SCORE_MIN,
    check_scale,
    check_threshold,
    proba_to_score,
)
from audit.scoring._rules import apply_rules, parse_rules
from audit.scoring._validation import (
    require_binary_labels,
    require_columns,
    require_frame,
    require_no_missing,
    require_numeric,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "PROTECTED",
    "RESERVED_COLUMNS",
    "RESERVED_PREFIXES",
    "SocialCreditScorer",
]

DEFAULT_THRESHOLD = 500.0
"""Blacklist threshold used when neither the caller nor the scenario gives one (score < 500).

A score of 500 is a probability of default of 8/13 ≈ 61.5 % before rules (good:bad odds 5:8), so
the model alone blacklists only people it rates more likely to default than not; the rules add the
court-listed (forced to 350) and, on ``sesame``, most people flagged for critical posts (−200).
On ``sesame`` (seed 0, 1M people, scorer trained on 200k) this blacklists a few percent of people;
the exact share is recorded in ``benchmarks/RESULTS.md``.
"""

PROTECTED = ("ethnicity", "sex", "age_band", "registration", "region")
"""Protected attributes excluded from the model unless ``include_protected=True``."""

RESERVED_COLUMNS = ("person_id", "truth", "observed")
"""Columns never picked as features automatically (identifiers and labels)."""
RESERVED_PREFIXES = ("latent_", "trace_")
"""Column prefixes never picked as features automatically (hidden ground truth, mechanism traces)."""

PREDICT_CHUNK = 131_072
"""Rows per ``predict_proba`` call when scoring (memory- and cache-friendly; results unchanged)."""

_SPEC_KEYS = ("threshold", "rules", "base_score", "base_odds", "pdo", "include_protected")
_SPEC_IGNORED = ("description", "note", "notes")


def default_estimator(random_state: int | None = 0) -> HistGradientBoostingClassifier:
    """The scorer's default estimator: deterministic gradient boosting, early stopping off.

    Small on purpose: on ``sesame`` (200k training people) 50 trees of 15 leaves reach the same
    held-out AUC as 200 trees of 31 leaves (0.789) and score 1M people several times faster.
    """
    return HistGradientBoostingClassifier(
        learning_rate=0.2,
        max_iter=50,
        max_leaf_nodes=15,
        min_samples_leaf=100,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=random_state,
    )


class SocialCreditScorer(BaseEstimator):
    """An opaque social-credit scorer: classifier → scorecard points → rules → blacklist.

    Parameters
    ----------
    estimator : scikit-learn classifier or None, default None
        Cloned and fitted on ``fit``. ``None`` uses a ``HistGradientBoostingClassifier`` (50
        iterations, learning rate 0.2, 15 leaves, early stopping off, ``random_state``), which
        accepts missing values.
    include_protected : bool, default False
        Also train on the protected attributes (as categorical columns). By default they are left
        out: "fairness through unawareness", which proxies defeat.
    protected : tuple of str
        Names of the protected attribute columns.
    features : list of str or None, default None
        Model features. ``None``: every numeric or bool column of ``X`` that is not protected and
        not reserved (``person_id``, ``truth``, ``observed``, ``latent_*``, ``trace_*``).
    threshold : float, default 500
        Blacklist threshold in [350, 950]: ``decide(X) = score(X) < threshold``.
    rules : list of mappings or None
        Rules applied after the points mapping, in order, before clipping, e.g.
        ``[{"name": "speech", "when": "speech_flag", "points": -200},
        {"name": "court", "when": "court_listed", "set": 350}]``. ``when`` is a 0/1 column or one
        comparison such as ``"missed_repayments >= 3"``. Rule columns must be in ``X`` when scoring,
        even if they are not model features.
    base_score, base_odds, pdo : float, default 700, 20, 40
        The points scale: good:bad odds ``base_odds`` score ``base_score``; ``pdo`` points double
        the odds. ``score = offset − factor · ln(p / (1 − p))`` with ``factor = pdo / ln 2`` and
        ``offset = base_score − factor · ln(base_odds)``, clipped to [350, 950]. Anchor points:
        p = 1/21 → 700, p = 1/41 → 740, p = 1/11 → 660, p = 1/2 → 527.12.
    random_state : int or None, default 0
        Seed of the default estimator (ignored when ``estimator`` is given).

    Attributes
    ----------
    estimator_ : classifier
        The fitted estimator.
    model_features_ : list of str
        Columns the estimator reads, in order.
    rule_features_ : list of str
        Columns only the rules read.
    categories_ : dict of str to list
        Categories of protected columns used as model features (``include_protected=True``).
    positive_ : int or bool
        The class of ``estimator_`` meaning default.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"missed_repayments": rng.poisson(1, 500), "speech_flag": rng.integers(0, 2, 500)})
    >>> y = (rng.random(500) < 0.1 + 0.1 * X["missed_repayments"]).astype(int)
    >>> rules = [{"name": "speech", "when": "speech_flag", "points": -200}]
    >>> scorer = SocialCreditScorer(threshold=500, rules=rules).fit(X, y)
    >>> s = scorer.score(X)
    >>> bool(s.min() >= 350 and s.max() <= 950)
    True
    >>> bool((scorer.decide(X) == (s < 500)).all())
    True
    """

    def __init__(
        self,
        estimator: Any = None,
        *,
        include_protected: bool = False,
        protected: Sequence[str] = PROTECTED,
        features: Sequence[str] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        rules: Sequence[Mapping[str, Any]] | None = None,
        base_score: float = BASE_SCORE,
        base_odds: float = BASE_ODDS,
        pdo: float = PDO,
        random_state: int | None = 0,
    ):
        self.estimator = estimator
        self.include_protected = include_protected
        self.protected = protected
        self.features = features
        self.threshold = threshold
        self.rules = rules
        self.base_score = base_score
        self.base_odds = base_odds
        self.pdo = pdo
        self.random_state = random_state

    # --- construction -----------------------------------------------------------------------

    @classmethod
    def from_spec(cls, scorer_table: Mapping[str, Any] | None, **kwargs: Any) -> SocialCreditScorer:
        """Build an (unfitted) scorer from a scenario's ``[scorer]`` table.

        Parameters
        ----------
        scorer_table : mapping or None
            The raw ``[scorer]`` table: ``threshold``, ``rules`` (list of ``{name, when, points}``
            or ``{name, when, set}``), and optionally ``base_score``, ``base_odds``, ``pdo``,
            ``include_protected``. ``description``/``note`` keys are allowed and ignored.
        **kwargs
            Other constructor parameters; they override the table's values.

        Raises
        ------
        SpecError
            With key path ``scorer.<key>`` for an unknown key or an invalid value.

        Examples
        --------
        >>> table = {"threshold": 520, "rules": [{"name": "court", "when": "court_listed", "set": 350}]}
        >>> SocialCreditScorer.from_spec(table).threshold
        520
        """
        table = {} if scorer_table is None else scorer_table
        if not isinstance(table, Mapping):
            raise SpecError(
                f"must be a table; got {table!r} ({type(table).__name__})", key="scorer"
            )
        unknown = sorted(str(k) for k in table if k not in _SPEC_KEYS + _SPEC_IGNORED)
        if unknown:
            raise SpecError(
                f"unknown key(s) {', '.join(map(repr, unknown))}; allowed: "
                f"{', '.join(_SPEC_KEYS + _SPEC_IGNORED)}",
                key="scorer",
            )
        params = {k: table[k] for k in _SPEC_KEYS if k in table}
        for key in ("threshold", "base_score", "base_odds", "pdo"):
            if key in params:
                try:
                    if key == "threshold":
                        check_threshold(params[key], owner="the [scorer] table")
                    else:
                        values = {"base_score": BASE_SCORE, "base_odds": BASE_ODDS, "pdo": PDO}
                        values[key] = params[key]
                        check_scale(**values, owner="the [scorer] table")
                except InvalidInputError as e:
                    raise SpecError(str(e), key=f"scorer.{key}") from e
        if "include_protected" in params and not isinstance(params["include_protected"], bool):
            raise SpecError(
                f"must be true or false; got {params['include_protected']!r}",
                key="scorer.include_protected",
            )
        parse_rules(params.get("rules"), prefix="scorer.")
        if "rules" in params:
            params["rules"] = [dict(r) for r in params["rules"]]
        params.update(kwargs)
        return cls(**params)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        *,
        feature_names: Sequence[str] | None = None,
        positive: Any = 1,
        threshold: float = DEFAULT_THRESHOLD,
        rules: Sequence[Mapping[str, Any]] | None = None,
        base_score: float = BASE_SCORE,
        base_odds: float = BASE_ODDS,
        pdo: float = PDO,
    ) -> SocialCreditScorer:
        """Wrap an already fitted scikit-learn classifier (no refitting).

        ``predict_proba(X[feature_names])[:, classes_ == positive]`` is the probability of default;
        it goes through the same points scale and rules as a fitted ``SocialCreditScorer``.

        Parameters
        ----------
        estimator : fitted classifier with ``predict_proba``
        feature_names : list of str or None
            Columns the estimator reads. Default: its ``feature_names_in_``; required when it was
            fitted on an array without column names.
        positive : default 1
            The class meaning default (adverse outcome).

        Examples
        --------
        >>> import pandas as pd
        >>> from sklearn.linear_model import LogisticRegression
        >>> X = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5]})
        >>> clf = LogisticRegression().fit(X, [0, 0, 0, 1, 1, 1])
        >>> SocialCreditScorer.from_estimator(clf).feature_names
        ['a']
        """
        if not (is_classifier(estimator) or hasattr(estimator, "predict_proba")):
            raise ScorerError(
                "from_estimator needs a fitted scikit-learn classifier with predict_proba. "
                f"Got {type(estimator).__name__} instead."
            )
        _require_estimator_fitted(estimator)
        feature_names = _fitted_feature_names(estimator, feature_names)
        _require_class(estimator, positive)
        self = cls(
            estimator,
            features=feature_names,
            include_protected=any(c in PROTECTED for c in feature_names),
            threshold=threshold,
            rules=rules,
            base_score=base_score,
            base_odds=base_odds,
            pdo=pdo,
            random_state=None,
        )
        self._check_params()
        rule_columns = [r.column for r in parse_rules(self.rules)]
        self.estimator_ = estimator
        self.model_features_ = list(feature_names)
        self.rule_features_ = _unique([c for c in rule_columns if c not in feature_names])
        self.categories_ = {}
        self.positive_ = positive
        self.numeric_only_ = False
        self.arrays_ = getattr(estimator, "feature_names_in_", None) is None
        return self

    # --- fitting ------------------------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: Any) -> SocialCreditScorer:
        """Train the estimator on observed features and the observed label (1 = default).

        Parameters
        ----------
        X : pandas.DataFrame
            Observed records, one row per person. Extra columns are ignored (see ``features``).
        y : array-like of 0/1
            The observed label (1 = default); never the truth.

        Returns
        -------
        self
        """
        X = require_frame(X, who="SocialCreditScorer.fit")
        self._check_params()
        rules = parse_rules(self.rules)
        features = self._select_features(X)
        protected_used = [c for c in features if c in self.protected]
        numeric = [c for c in features if c not in protected_used]
        rule_columns = _unique([r.column for r in rules])
        require_columns(X, features + rule_columns, who="SocialCreditScorer.fit")
        require_numeric(X, numeric + rule_columns, who="SocialCreditScorer.fit")
        if not features:
            raise InvalidInputError(
                "SocialCreditScorer.fit found no feature columns in X: it needs numeric columns "
                "other than the protected and reserved ones, or an explicit features=[...]."
            )
        labels = require_binary_labels(y, len(X), who="SocialCreditScorer.fit")
        estimator = (
            default_estimator(self.random_state)
            if self.estimator is None
            else clone(self.estimator)
        )
        self.categories_ = {
            c: [_plain(v) for v in pd.Series(X[c]).astype("category").cat.categories]
            for c in protected_used
        }
        Xm = self._model_frame(X, features, estimator, numeric_only=True)
        try:
            estimator.fit(Xm, labels)
        except (TypeError, ValueError) as e:
            raise ScorerError(f"{type(estimator).__name__}.fit failed on X: {e}") from e
        self.estimator_ = estimator
        self.model_features_ = features
        self.rule_features_ = [c for c in rule_columns if c not in features]
        self.positive_ = 1
        self.numeric_only_ = True
        self.arrays_ = False
        return self

    # --- the Scorer protocol ------------------------------------------------------------------

    @property
    def feature_names(self) -> list[str]:
        """Columns ``score`` reads: the model features, then columns only the rules read."""
        self._require_fitted("feature_names")
        return list(self.model_features_) + list(self.rule_features_)

    def predict_default_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of default from the estimator alone (before the points scale and rules)."""
        self._require_fitted("predict_default_proba")
        X = require_frame(X, who="SocialCreditScorer.score")
        require_columns(X, self.feature_names, who="the scorer")
        Xm = self._model_frame(
            X, self.model_features_, self.estimator_, numeric_only=self.numeric_only_
        )
        column = list(self.estimator_.classes_).index(self.positive_)
        out = np.empty(len(X), dtype=np.float64)
        # Chunks bound the memory of the float64 copy the estimator makes; results are unchanged.
        for start in range(0, len(X), PREDICT_CHUNK):
            stop = min(start + PREDICT_CHUNK, len(X))
            part = Xm[start:stop] if isinstance(Xm, np.ndarray) else Xm.iloc[start:stop]
            try:
                proba = self.estimator_.predict_proba(part)
            except (TypeError, ValueError) as e:
                raise ScorerError(f"{type(self.estimator_).__name__} failed on X: {e}") from e
            out[start:stop] = proba[:, column]
        return out

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """Score people: float64 array in [350, 950], one per row of ``X``; higher = more trusted.

        Probability of default → points scale → rules (in order) → clip to [350, 950].

        Raises
        ------
        NotFittedError
            Before ``fit``.
        SchemaError
            ``X`` lacks columns the scorer reads, has non-numeric ones, or missing values the
            estimator (or a rule) cannot take.
        """
        proba = self.predict_default_proba(X)
        base_score, base_odds, pdo = check_scale(self.base_score, self.base_odds, self.pdo)
        points = proba_to_score(
            proba, base_score=base_score, base_odds=base_odds, pdo=pdo, clip=False
        )
        points = apply_rules(points, X, parse_rules(self.rules))
        return np.clip(points, SCORE_MIN, SCORE_MAX, out=points)

    def decide(self, X: pd.DataFrame) -> np.ndarray:
        """Blacklist decisions: bool array, True where ``score(X) < threshold``."""
        threshold = check_threshold(self.threshold)
        return self.score(X) < threshold

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted scorer to a skops file (atomically: temp file, then rename).

        Load it back with ``audit.load_scorer(path)``.
        """
        save_scorer(self, path)

    # --- helpers ------------------------------------------------------------------------------

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "estimator_")

    def _require_fitted(self, what: str) -> None:
        if not hasattr(self, "estimator_"):
            raise NotFittedError(
                f"This SocialCreditScorer is not fitted yet; call fit(X, y) before {what}, or "
                "load a trained one with audit.load_scorer(path)."
            )

    def _check_params(self) -> None:
        check_threshold(self.threshold)
        check_scale(self.base_score, self.base_odds, self.pdo)
        if not isinstance(self.include_protected, bool):
            raise InvalidInputError(
                "The 'include_protected' parameter of SocialCreditScorer must be a bool. "
                f"Got {self.include_protected!r} instead."
            )
        _as_name_list(self.protected, "protected")
        if self.features is not None:
            _as_name_list(self.features, "features")
        if self.random_state is not None and not isinstance(self.random_state, Integral):
            raise InvalidInputError(
                "The 'random_state' parameter of SocialCreditScorer must be an int or None. "
                f"Got {self.random_state!r} instead."
            )

    def _select_features(self, X: pd.DataFrame) -> list[str]:
        protected = list(self.protected)
        if self.features is not None:
            features = _as_name_list(self.features, "features")
            named = [c for c in features if c in protected]
            if named and not self.include_protected:
                raise InvalidInputError(
                    f"features include protected attribute(s) {named}; pass "
                    "include_protected=True to train on them."
                )
        else:
            features = [
                c
                for c in X.columns
                if isinstance(c, str)
                and c not in protected
                and c not in RESERVED_COLUMNS
                and not c.startswith(RESERVED_PREFIXES)
                and (
                    pd.api.types.is_numeric_dtype(X[c].dtype)
                    or pd.api.types.is_bool_dtype(X[c].dtype)
                )
            ]
        if self.include_protected:
            absent = [c for c in protected if c not in X.columns]
            if absent:
                raise InvalidInputError(
                    f"include_protected=True but X lacks protected column(s) {absent}; pass "
                    "protected=(...) naming the ones it has."
                )
            features = features + [c for c in protected if c not in features]
        return features

    def _model_frame(
        self, X: pd.DataFrame, features: list[str], estimator: Any, *, numeric_only: bool
    ) -> pd.DataFrame | np.ndarray:
        """The estimator's input: ``X[features]``, protected columns as fitted categories."""
        categories = getattr(self, "categories_", {})
        if numeric_only:
            require_numeric(
                X, [c for c in features if c not in categories], who="SocialCreditScorer"
            )
        if not _allows_nan(estimator):
            require_no_missing(
                X,
                features,
                who=type(estimator).__name__,
                why="impute them first, or use an estimator that accepts missing values "
                "(HistGradientBoostingClassifier)",
            )
        Xm = X[features]
        converted = {}
        for c in features:
            dtype = Xm[c].dtype
            if c in categories:
                converted[c] = Xm[c].astype("category").cat.set_categories(categories[c])
            elif isinstance(dtype, pd.api.extensions.ExtensionDtype) and (
                pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
            ):
                converted[c] = Xm[c].to_numpy(dtype=np.float64, na_value=np.nan)
        if converted:
            Xm = Xm.assign(**converted)
        if getattr(self, "arrays_", False):
            return Xm.to_numpy()
        return Xm


def _require_estimator_fitted(estimator: Any) -> None:
    from sklearn.exceptions import NotFittedError as SklearnNotFitted
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
    except SklearnNotFitted as e:
        raise NotFittedError(
            f"{type(estimator).__name__} is not fitted; fit it before making a scorer of it, or "
            "pass it unfitted as SocialCreditScorer(estimator=...) and call fit."
        ) from e


def _fitted_feature_names(estimator: Any, feature_names: Sequence[str] | None) -> list[str]:
    """The columns a fitted estimator reads: ``feature_names``, checked against (or defaulting
    to) the estimator's ``feature_names_in_``."""
    names_in = getattr(estimator, "feature_names_in_", None)
    if feature_names is None:
        if names_in is None:
            raise InvalidInputError(
                f"{type(estimator).__name__} was fitted without column names; pass "
                "feature_names=[...] (the columns, in the order it was fitted on)."
            )
        feature_names = [str(c) for c in names_in]
    feature_names = _as_name_list(feature_names, "feature_names")
    if names_in is not None and list(map(str, names_in)) != feature_names:
        raise InvalidInputError(
            f"feature_names {feature_names} differ from the columns "
            f"{type(estimator).__name__} was fitted on ({list(map(str, names_in))})."
        )
    return feature_names


def _require_class(estimator: Any, positive: Any) -> None:
    """The class meaning default must be one the estimator knows."""
    classes = [_plain(c) for c in getattr(estimator, "classes_", [])]
    if positive not in classes:
        raise InvalidInputError(
            f"The positive class {positive!r} (meaning default) is not among the classes "
            f"{classes} of {type(estimator).__name__}; pass positive=<the default class>."
        )


def _allows_nan(estimator: Any) -> bool:
    try:
        return bool(get_tags(estimator).input_tags.allow_nan)
    except Exception:  # not a scikit-learn estimator: let it decide
        return True


def _as_name_list(names: Any, param: str) -> list[str]:
    if isinstance(names, str) or not isinstance(names, Sequence | np.ndarray | pd.Index):
        raise InvalidInputError(
            f"The '{param}' parameter must be a list of column names. Got {names!r} instead."
        )
    out = list(names)
    bad = [n for n in out if not isinstance(n, str)]
    if bad:
        raise InvalidInputError(
            f"The '{param}' parameter must hold column names (str). Got {bad[:5]} instead."
        )
    return out


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _plain(value: Any) -> Any:
    """A numpy scalar as a plain Python value (skops-friendly)."""
    return value.item() if isinstance(value, np.generic) else value
