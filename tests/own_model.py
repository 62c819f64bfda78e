"""A user's own scikit-learn models for the tests: deterministic people and real Pipelines.

No download, ever: the people are generated with numpy (string categoricals, numbers, a protected
``sex`` and a 0/1 adverse label ``defaulted`` whose rate depends on sex), the models trained here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

#: Blacklisting threshold in score points (350-950) used with these models (blacklists ~27 %).
THRESHOLD = 560.0


def make_people(n: int = 2_500, seed: int = 0) -> pd.DataFrame:
    """People with string categoricals, numbers, ``sex`` and a 0/1 adverse label ``defaulted``."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n, p=[0.45, 0.55])
    job = rng.choice(["clerk", "farmer", "teacher", "driver"], n)
    income = rng.normal(50, 15, n)
    debt = rng.gamma(2, 10, n)
    logit = -1.5 + 0.05 * (debt - 20) - 0.04 * (income - 50) + 0.8 * (sex == "female")
    logit += 0.3 * (job == "farmer")
    defaulted = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {"sex": sex, "job": job, "income": income, "debt": debt, "defaulted": defaulted}
    )


FEATURES = ["sex", "job", "income", "debt"]


def lr_pipeline(people: pd.DataFrame) -> Pipeline:
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["sex", "job"]),
            ("num", StandardScaler(), ["income", "debt"]),
        ]
    )
    return Pipeline([("pre", pre), ("clf", LogisticRegression())]).fit(
        people[FEATURES], people["defaulted"]
    )


def hgb_pipeline(people: pd.DataFrame) -> Pipeline:
    """Reads job, income and debt; ``sex`` is among its inputs but the ColumnTransformer drops it."""
    pre = ColumnTransformer(
        [("cat", OrdinalEncoder(), ["job"]), ("num", "passthrough", ["income", "debt"])]
    )
    model = Pipeline([("pre", pre), ("clf", HistGradientBoostingClassifier(max_iter=30))])
    return model.fit(people[FEATURES], people["defaulted"])


def blacklisted_by_hand(model: Pipeline, X: pd.DataFrame, threshold: float) -> np.ndarray:
    """The decision from predict_proba and the points scale (700 points at 20:1 good:bad odds,
    40 points to double them): score < t  <=>  p > 1 / (1 + 20 * 2 ** ((t - 700) / 40))."""
    p = model.predict_proba(X)[:, 1]
    return p > 1 / (1 + 20 * 2 ** ((threshold - 700) / 40))
