"""Stage 3b: why the scorer scores groups differently — SHAP attributions in score points.

Group attributions and the score-gap decomposition, proxy detection and reason codes, computed on a
stratified sample against one common background. Calls only ``scorer.score`` / ``decide`` (DESIGN
principle 1); a tree-model shortcut is used only where it gives the same numbers. Imports neither the
metrics nor the report stage; returns plain data.
"""

from audit.core import UNKNOWN, factorize_groups, stratified_positions
from audit.explain._explain import Explanation, explain_scores, format_reasons
from audit.explain._proxies import group_auc, rank_proxies

__all__ = [
    "UNKNOWN",
    "Explanation",
    "explain_scores",
    "factorize_groups",
    "format_reasons",
    "group_auc",
    "rank_proxies",
    "stratified_positions",
]
