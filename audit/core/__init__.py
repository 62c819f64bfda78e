"""The ground floor: what every stage shares, and nothing any stage computes.

The result format (:class:`AuditResult`, its one JSON serializer and the schema), column roles and
the one rule for matching ``positive`` (:func:`adverse_mask`), groups with ``"unknown"`` and the one
reference rule (:func:`choose_reference`), the vocabulary of metrics and criteria, and argument
checks with one message template. Every stage may import this package; it imports nothing of the
package but :mod:`audit.exceptions`.
"""

from audit.core._checks import check_choice, check_fraction, check_int
from audit.core._groups import (
    UNKNOWN,
    choose_reference,
    factorize_groups,
    resolve_reference,
    stratified_positions,
)
from audit.core._result import AuditResult, dump_json, json_ready, rank_violations, verdict_lines
from audit.core._roles import Roles, adverse_mask, first_row, make_roles, plain, show_values
from audit.core._schema import load_schema, validate_audit_json
from audit.core._vocabulary import CELLS, CRITERIA, METRICS, Criterion, RateMetric, band

__all__ = [
    "CELLS",
    "CRITERIA",
    "METRICS",
    "UNKNOWN",
    "AuditResult",
    "Criterion",
    "RateMetric",
    "Roles",
    "adverse_mask",
    "band",
    "check_choice",
    "check_fraction",
    "check_int",
    "choose_reference",
    "dump_json",
    "factorize_groups",
    "first_row",
    "json_ready",
    "load_schema",
    "make_roles",
    "plain",
    "rank_violations",
    "resolve_reference",
    "show_values",
    "stratified_positions",
    "validate_audit_json",
    "verdict_lines",
]
