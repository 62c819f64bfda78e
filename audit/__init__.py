"""`audit`: audit social-credit-style scoring systems for bias and wrongful blacklisting.

Data flows one way: population (who exists) → scoring (the system under audit) → metrics / explain /
cases (the audit) → report. This module only re-exports the public API.
"""

from audit.exceptions import AuditError, InvalidInputError
from audit.metrics import AuditResult, audit_decisions
from audit.population import Population, load_population, make_population
from audit.scoring import Scorer, SocialCreditScorer, as_scorer, check_scorer, load_scorer
from audit.report import write_report
from audit.cases import CaseFiles, CaseSelection, build_case_files, select_cases
from audit.explain import Explanation, explain_scores

__version__ = "0.1.0"

__all__ = [
    "CaseFiles",
    "CaseSelection",
    "Explanation",
    "build_case_files",
    "explain_scores",
    "select_cases",
    "write_report",
    "AuditResult",
    "audit_decisions",
    "AuditError",
    "InvalidInputError",
    "Population",
    "load_population",
    "make_population",
    "Scorer",
    "SocialCreditScorer",
    "as_scorer",
    "check_scorer",
    "load_scorer",
    "__version__",
]
