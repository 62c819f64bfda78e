"""`audit`: audit social-credit-style scoring systems for bias and wrongful blacklisting.

Data flows one way: population (who exists) → scoring (the system under audit) → metrics / explain /
cases (the audit) → report; ``pipeline`` runs them in order. This module only re-exports the public
API, lazily (PEP 562), so that ``audit csv`` does not pay for importing SHAP.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from audit.exceptions import AuditError, InvalidInputError

__version__ = "0.1.0"

# public name -> the subpackage that defines it
_EXPORTS = {
    "Population": "audit.population",
    "load_population": "audit.population",
    "make_population": "audit.population",
    "Scorer": "audit.scoring",
    "SocialCreditScorer": "audit.scoring",
    "as_scorer": "audit.scoring",
    "check_scorer": "audit.scoring",
    "load_scorer": "audit.scoring",
    "AuditResult": "audit.metrics",
    "audit_decisions": "audit.metrics",
    "Explanation": "audit.explain",
    "explain_scores": "audit.explain",
    "CaseFiles": "audit.cases",
    "CaseSelection": "audit.cases",
    "build_case_files": "audit.cases",
    "select_cases": "audit.cases",
    "write_report": "audit.report",
    "RunOutcome": "audit.pipeline",
    "run_on_data": "audit.pipeline",
    "run_synthetic": "audit.pipeline",
}

__all__ = [
    "AuditError",
    "AuditResult",
    "CaseFiles",
    "CaseSelection",
    "Explanation",
    "InvalidInputError",
    "Population",
    "RunOutcome",
    "Scorer",
    "SocialCreditScorer",
    "__version__",
    "as_scorer",
    "audit_decisions",
    "build_case_files",
    "check_scorer",
    "explain_scores",
    "load_population",
    "load_scorer",
    "make_population",
    "run_on_data",
    "run_synthetic",
    "select_cases",
    "write_report",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'audit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # for IDEs and type checkers: the same names, eagerly
    from audit.cases import CaseFiles, CaseSelection, build_case_files, select_cases
    from audit.explain import Explanation, explain_scores
    from audit.metrics import AuditResult, audit_decisions
    from audit.pipeline import RunOutcome, run_on_data, run_synthetic
    from audit.population import Population, load_population, make_population
    from audit.report import write_report
    from audit.scoring import Scorer, SocialCreditScorer, as_scorer, check_scorer, load_scorer
