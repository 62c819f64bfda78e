"""Stage 2, the system under audit: an opaque social-credit scorer and the Scorer contract.

``SocialCreditScorer`` trains on observed records (never the truth), maps probability of default to
points in [350, 950], applies a rules layer and blacklists below a threshold. The audit only calls
``score``/``decide``/``feature_names``/``threshold`` (the ``Scorer`` protocol); ``as_scorer`` adapts
classifiers, callables and model files; ``check_scorer`` runs the contract. Model files are skops,
loaded with an allow-list; pickle is refused. This package must not compute fairness metrics.
"""

from audit.scoring._check import RULES, check_scorer
from audit.scoring._describe import describe_model
from audit.scoring._io import TRUSTED_TYPES, save_scorer
from audit.scoring._mapping import (
    BASE_ODDS,
    BASE_SCORE,
    PDO,
    SCORE_MAX,
    SCORE_MIN,
    proba_to_score,
    scale_constants,
)
from audit.scoring._pipeline import (
    score_population,
    train_scorer,
    validate_output_path,
    write_decisions,
)
from audit.scoring._protocol import CallableScorer, Scorer, as_scorer, is_scorer, load_scorer
from audit.scoring._scorer import DEFAULT_THRESHOLD, PROTECTED, SocialCreditScorer

__all__ = [
    "BASE_ODDS",
    "BASE_SCORE",
    "DEFAULT_THRESHOLD",
    "PDO",
    "PROTECTED",
    "RULES",
    "SCORE_MAX",
    "SCORE_MIN",
    "TRUSTED_TYPES",
    "CallableScorer",
    "Scorer",
    "SocialCreditScorer",
    "as_scorer",
    "check_scorer",
    "describe_model",
    "is_scorer",
    "load_scorer",
    "proba_to_score",
    "save_scorer",
    "scale_constants",
    "score_population",
    "train_scorer",
    "validate_output_path",
    "write_decisions",
]
