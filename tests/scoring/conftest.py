"""Small synthetic frames shaped like a population: numeric features, protected categoricals,
labels, hidden helper columns. Built here so the scoring tests do not depend on the generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from audit.scoring import SocialCreditScorer

RULES = [
    {"name": "political_speech_penalty", "when": "speech_flag", "points": -200},
    {"name": "court_list_floor", "when": "court_listed", "set": 350},
]


def make_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """A population-like frame; ``observed`` depends on the features so a model can learn it."""
    rng = np.random.default_rng(seed)
    ethnicity = rng.choice(["Han", "Uyghur", "Hui"], n, p=[0.8, 0.1, 0.1])
    missed = rng.poisson(np.where(ethnicity == "Han", 0.8, 1.5)).astype("int8")
    gaming = rng.gamma(2.0, 1.5, n).astype("float32")
    owns_home = (rng.random(n) < 0.5).astype("int8")
    logit = -3.0 + 0.9 * missed + 0.15 * gaming - 0.8 * owns_home
    truth = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int8")
    return pd.DataFrame(
        {
            "person_id": np.arange(n, dtype="int64"),
            "ethnicity": pd.Categorical(ethnicity),
            "sex": pd.Categorical(rng.choice(["female", "male"], n)),
            "age_band": pd.Categorical(rng.choice(["18-29", "30-49", "50+"], n)),
            "registration": pd.Categorical(rng.choice(["urban", "rural"], n)),
            "region": pd.Categorical(rng.choice(["east", "west"], n)),
            "missed_repayments": missed,
            "gaming_hours": gaming,
            "owns_home": owns_home,
            "speech_flag": (rng.random(n) < 0.05).astype("int8"),
            "court_listed": (rng.random(n) < 0.03).astype("int8"),
            "truth": truth,
            "observed": truth,
            "latent_risk": logit.astype("float32"),
            "trace_label_bias": rng.random(n) < 0.1,
        }
    )


FEATURES = ["missed_repayments", "gaming_hours", "owns_home", "speech_flag", "court_listed"]


def fast_estimator() -> HistGradientBoostingClassifier:
    """A small boosted model for tests that fit many times (the default has 50 iterations)."""
    return HistGradientBoostingClassifier(max_iter=20, early_stopping=False, random_state=0)


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """One OpenMP/BLAS thread: the machine is shared and pytest runs two workers."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture(scope="session")
def fitted(frame) -> SocialCreditScorer:
    scorer = SocialCreditScorer(rules=RULES, threshold=550)
    return scorer.fit(frame, frame["observed"])
