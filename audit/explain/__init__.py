"""Stage 3b: why the scorer scores groups differently — SHAP attributions in score points.

Group attributions and the score-gap decomposition, proxy detection and reason codes, computed on a
stratified sample against one common background; the direction guard (do the scores rank the label
the right way round?) and, for a scorer that reads a protected attribute, the flip test. Calls only ``scorer.score`` / ``decide`` (DESIGN
principle 1); a tree-model shortcut is used only where it gives the same numbers. Imports neither the
metrics nor the report stage; returns plain data.
"""

from audit.core import UNKNOWN, factorize_groups, stratified_positions
from audit.explain._direction import check_direction, delong_auc, wilson
from audit.explain._explain import Explanation, explain_scores, format_reasons
from audit.explain._flip import RecordTwins, flip_test, with_reference_value
from audit.explain._proxies import group_auc, rank_proxies

__all__ = [
    "UNKNOWN",
    "Explanation",
    "RecordTwins",
    "check_direction",
    "delong_auc",
    "explain_scores",
    "factorize_groups",
    "flip_test",
    "format_reasons",
    "group_auc",
    "rank_proxies",
    "stratified_positions",
    "wilson",
    "with_reference_value",
]
