"""Stage 3c: the wrongly blacklisted — counts by group and cause, and their case files.

``select_cases`` counts wrongful blacklistings (blacklisted although the label is not adverse) per
group and cause and picks a stratified sample; ``build_case_files`` turns that sample into
pseudonymous case files with reason codes, mechanisms, a failure-mode tag and the counterfactual
twin's outcome. It imports only the ground floor (``audit.core``: the ``positive`` rule, groups and
the reference rule), never a sibling stage or the report.
"""

from audit.cases._files import CaseFiles, build_case_files, pseudonym
from audit.cases._select import CaseSelection, select_cases
from audit.cases._taxonomy import FAILURE_MODES, NO_CAUSE, failure_mode_of, primary_cause

__all__ = [
    "FAILURE_MODES",
    "NO_CAUSE",
    "CaseFiles",
    "CaseSelection",
    "build_case_files",
    "failure_mode_of",
    "primary_cause",
    "pseudonym",
    "select_cases",
]
