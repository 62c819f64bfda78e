"""Stage 1, `audit.population`: who exists. Scenario specs, the causal generator, bias mechanisms.

A scenario (``datasets/sesame.toml``, ``datasets/fair.toml`` or your own TOML) is a structural causal
model plus bias mechanisms; `make_population` turns it into a `Population` whose ground truth is
known person by person. This package knows nothing about scorers or audits.
"""

from audit.population._mechanisms import DESCRIPTIONS as MECHANISM_DESCRIPTIONS
from audit.population._mechanisms import MECHANISM_NAMES
from audit.population._noise import BLOCK_SIZE
from audit.population._population import (
    Population,
    load_population,
    make_population,
    validate_output,
)
from audit.population._spec import BUILTIN_SCENARIOS, Scenario, load_spec

__all__ = [
    "BLOCK_SIZE",
    "BUILTIN_SCENARIOS",
    "MECHANISM_DESCRIPTIONS",
    "MECHANISM_NAMES",
    "Population",
    "Scenario",
    "load_population",
    "load_spec",
    "make_population",
    "validate_output",
]
