"""Stage 3a, the disparity engine: group metrics from sufficient statistics, fairlearn definitions.

Counts per group (one vectorised pass, mergeable across chunks) → rates → disparities → intervals
and tests. ``audit_decisions`` audits a table in memory, ``audit_chunks`` / ``audit_file`` one
chunk at a time, ``audit_counts`` counts merged elsewhere. "Positive" is the adverse outcome
(blacklisted; defaulted); a false positive is a wrongful blacklisting.
"""

from audit.core import (
    CELLS,
    METRICS,
    AuditResult,
    RateMetric,
    adverse_mask,
    load_schema,
    validate_audit_json,
)
from audit.metrics._counts import GroupCounts, GroupTable, ScoreGrid, count_groups
from audit.metrics._engine import SCHEMA_VERSION, audit_chunks, audit_counts, audit_decisions
from audit.metrics._io import audit_file, parse_reference, read_chunks
from audit.metrics._named import (
    DISPARITY_FUNCTIONS,
    adverse_rate_difference,
    adverse_rate_ratio,
    false_negative_rate_difference,
    false_negative_rate_ratio,
    impact_ratios,
    wrongful_blacklisting_rate_difference,
    wrongful_blacklisting_rate_ratio,
)
from audit.metrics._options import AuditOptions
from audit.metrics._plan import plan_audit
from audit.metrics._scores import threshold_sweep

__all__ = [
    "CELLS",
    "DISPARITY_FUNCTIONS",
    "METRICS",
    "SCHEMA_VERSION",
    "AuditOptions",
    "AuditResult",
    "GroupCounts",
    "GroupTable",
    "RateMetric",
    "ScoreGrid",
    "adverse_mask",
    "adverse_rate_difference",
    "adverse_rate_ratio",
    "audit_chunks",
    "audit_counts",
    "audit_decisions",
    "audit_file",
    "count_groups",
    "false_negative_rate_difference",
    "false_negative_rate_ratio",
    "impact_ratios",
    "load_schema",
    "parse_reference",
    "plan_audit",
    "read_chunks",
    "threshold_sweep",
    "validate_audit_json",
    "wrongful_blacklisting_rate_difference",
    "wrongful_blacklisting_rate_ratio",
]
