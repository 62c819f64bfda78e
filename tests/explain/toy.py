"""Hand-built people and a tiny scorer adapter around a real scikit-learn model (no mocks).

The toy world has one known proxy: ``district_flag`` is set mostly for the "B" ethnicity (90 % of B,
5 % of A, 20 % of C), has no effect on who truly defaults, but the *recorded* label over-records
defaults where it is set (label bias), so a scorer trained on the recorded label learns to punish it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

FEATURES = ["missed_repayments", "owns_home", "district_flag", "gaming_hours", "online_spend"]


def make_people(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """People with protected ``ethnicity`` (A 70 %, B 20 %, C 10 %) and ``sex``, features, labels."""
    rng = np.random.default_rng(seed)
    eth = rng.choice(["A", "B", "C"], size=n, p=[0.7, 0.2, 0.1])
    sex = rng.choice(["f", "m"], size=n)
    flag_p = np.select([eth == "A", eth == "B"], [0.05, 0.9], 0.2)
    district = (rng.random(n) < flag_p).astype(np.int8)
    missed = rng.poisson(0.6, n).astype(np.int8)
    owns = (rng.random(n) < 0.5).astype(np.int8)
    gaming = rng.gamma(2.0, 1.0, n).astype(np.float32)
    spend = rng.normal(0, 1, n).astype(np.float32)
    logit = -2.5 + 0.9 * missed - 0.6 * owns
    truth = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    over = (district == 1) & (rng.random(n) < 0.35)  # label bias where the district is flagged
    observed = np.maximum(truth, over).astype(np.int8)
    return pd.DataFrame(
        {
            "person_id": np.arange(1000, 1000 + n, dtype=np.int64),
            "ethnicity": pd.Categorical(eth, categories=["A", "B", "C"]),
            "sex": pd.Categorical(sex, categories=["f", "m"]),
            "missed_repayments": missed,
            "owns_home": owns,
            "district_flag": district,
            "gaming_hours": gaming,
            "online_spend": spend,
            "truth": truth,
            "observed": observed,
            "trace_label_bias": over,
            "trace_district_proxy": district == 1,
        }
    )


class ToyScorer:
    """Scorecard over a real sklearn classifier: points = intercept + slope * log-odds, rules, clip.

    Parameters
    ----------
    estimator : sklearn classifier (HistGradientBoostingClassifier or LogisticRegression)
    rules : list of (column, points) added when the column is 1
    clip : (low, high)
    glass : bool
        Expose ``glass_box()`` (the tree model and the points map).
    """

    def __init__(
        self,
        estimator=None,
        *,
        features=FEATURES,
        threshold=560.0,
        rules=(),
        clip=(350.0, 950.0),
        glass=True,
    ):
        self.estimator = estimator or HistGradientBoostingClassifier(
            max_iter=30, max_leaf_nodes=15, random_state=0
        )
        self.feature_names = list(features)
        self.threshold = float(threshold)
        self.rules = list(rules)
        self.clip = clip
        self.slope = -40 / math.log(2)
        self.intercept = 650 - self.slope * -math.log(20)  # log-odds -ln 20 (1:20) scores 650
        self.calls = 0
        if glass:
            self.glass_box = lambda: {
                "model": self.estimator,
                "slope": self.slope,
                "intercept": self.intercept,
                "features": self.feature_names,
            }

    def fit(self, people: pd.DataFrame, label: str = "observed") -> ToyScorer:
        self.estimator.fit(people[self.feature_names], people[label])
        return self

    def score(self, X: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        X = X[self.feature_names]
        s = self.intercept + self.slope * self.estimator.decision_function(X)
        for col, pts in self.rules:
            s = s + pts * (X[col].to_numpy() == 1)
        return np.clip(s, *self.clip)

    def decide(self, X: pd.DataFrame) -> np.ndarray:
        return self.score(X) < self.threshold


def fitted_scorer(people: pd.DataFrame, kind: str = "hgb", **kwargs) -> ToyScorer:
    est = (
        HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=15, random_state=0)
        if kind == "hgb"
        else LogisticRegression(max_iter=1000)
    )
    return ToyScorer(est, **kwargs).fit(people)


class LinearScorer:
    """A scorer whose score is a known linear function: 600 - 10 a - 20 b + 5 c (hand-checkable)."""

    feature_names = ["a", "b", "c"]
    threshold = 560.0
    weights = {"a": -10.0, "b": -20.0, "c": 5.0}

    def score(self, X: pd.DataFrame) -> np.ndarray:
        return 600.0 + sum(w * X[c].to_numpy(dtype=float) for c, w in self.weights.items())

    def decide(self, X: pd.DataFrame) -> np.ndarray:
        return self.score(X) < self.threshold
