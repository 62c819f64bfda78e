"""Train a scorer on a population and score a population: what `audit train`/`audit score` run.

A population here is anything with ``frame`` (DataFrame), ``features`` (list of str) and
``spec.scorer`` (the raw ``[scorer]`` table), as ``audit.population.Population`` has; this module
duck-types it and must not import the generator. It must not write files.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from audit.exceptions import InvalidInputError
from audit.scoring._scorer import SocialCreditScorer
from audit.scoring._validation import require_columns, require_frame

__all__ = ["score_population", "train_scorer"]


def train_scorer(
    population: Any,
    *,
    sample: int | None = 200_000,
    seed: int = 0,
    label: str = "observed",
    **params: Any,
) -> SocialCreditScorer:
    """Fit a ``SocialCreditScorer`` on a random sample of a population's observed records.

    The threshold and rules come from the scenario's ``[scorer]`` table (``population.spec.scorer``);
    the features are ``population.features``; the label is ``observed`` (never ``truth``).

    Parameters
    ----------
    population : audit.population.Population
    sample : int or None, default 200000
        Number of people to train on, drawn without replacement with ``seed``; None = everybody.
    seed : int, default 0
        Seeds the sample and the estimator (``random_state``).
    label : str, default "observed"
        Label column (1 = default).
    **params
        Override ``SocialCreditScorer`` parameters (and the table's values).

    Returns
    -------
    SocialCreditScorer
        Fitted. ``scorer.training_rows_`` holds the sorted row positions it was trained on.
    """
    frame = require_frame(population.frame, who="train_scorer")
    if sample is not None and (not isinstance(sample, int) or sample < 2):
        raise InvalidInputError(
            f"The 'sample' parameter of train_scorer must be an int >= 2 or None. Got {sample!r}."
        )
    require_columns(frame, [label], who="train_scorer")
    n = len(frame)
    if sample is None or sample >= n:
        rows = np.arange(n)
    else:
        rows = np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))
    spec = getattr(population, "spec", None)
    table = getattr(spec, "scorer", None)
    params.setdefault("features", list(population.features))
    params.setdefault("random_state", seed)
    scorer = SocialCreditScorer.from_spec(table, **params)
    train = frame.iloc[rows]
    scorer.fit(train, train[label].to_numpy())
    scorer.training_rows_ = rows
    return scorer


def score_population(
    scorer: Any,
    frame: pd.DataFrame,
    *,
    chunk_size: int = 250_000,
    progress: bool = False,
    id_column: str = "person_id",
) -> pd.DataFrame:
    """Score a frame in chunks: DataFrame with ``person_id``, ``score`` (float64), ``blacklisted``.

    ``blacklisted`` is ``score < scorer.threshold``. Chunks make no difference to the result
    (``check_scorer`` rule ``chunking``); they bound memory and drive the progress bar.
    """
    frame = require_frame(frame, who="score_population")
    require_columns(frame, [id_column], who="score_population")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidInputError(
            f"The 'chunk_size' parameter must be a positive int. Got {chunk_size!r}."
        )
    n = len(frame)
    scores = np.empty(n, dtype=np.float64)
    with tqdm(total=n, desc="scoring", unit="people", disable=not progress, leave=False) as bar:
        for start in range(0, n, chunk_size):
            stop = min(start + chunk_size, n)
            scores[start:stop] = scorer.score(frame.iloc[start:stop])
            bar.update(stop - start)
    return pd.DataFrame(
        {
            id_column: frame[id_column].to_numpy(),
            "score": scores,
            "blacklisted": scores < float(scorer.threshold),
        }
    )
