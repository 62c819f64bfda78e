"""Building blocks of a scenario's TOML tables: the strict base model and the value types tables share.

Every table of a scenario (the scenario itself, a node, a bias mechanism) is a `Strict` model: strict
types, frozen, and an unknown key is reported with the allowed ones. `Effect`, `Shares` and
`NonNegative` are the value types nodes and mechanisms share.

This module must not know which nodes or mechanisms exist.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, model_validator
from pydantic_core import PydanticCustomError

__all__ = ["Effect", "NonNegative", "Shares", "Strict", "is_number"]

_SHARE_TOL = 1e-6


class Strict(BaseModel):
    """Base of every spec table: strict types, frozen, unknown keys named with the allowed ones."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = set(cls.model_fields)
            unknown = [k for k in data if k not in allowed]
            if unknown:
                raise PydanticCustomError(
                    "unknown_key",
                    "unknown key {key}; expected one of: {allowed}",
                    {
                        "key": repr(unknown[0]),
                        "name": unknown[0],
                        "allowed": ", ".join(sorted(allowed)),
                    },
                )
        return data


def is_number(x: Any) -> bool:
    """A finite int or float, not a bool."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _effect(value: Any) -> float | dict[str, float]:
    if is_number(value):
        return float(value)
    if isinstance(value, dict) and all(
        isinstance(k, str) and is_number(v) for k, v in value.items()
    ):
        return {k: float(v) for k, v in value.items()}
    raise PydanticCustomError(
        "effect_type",
        "an effect must be a number (numeric parent) or a table {category = number} "
        "(categorical parent)",
    )


def _shares(value: Any) -> tuple[float, ...]:
    if not isinstance(value, list) or not value or not all(is_number(v) for v in value):
        raise PydanticCustomError("shares_type", "shares must be a non-empty array of numbers")
    if any(v < 0 for v in value):
        raise PydanticCustomError("shares_negative", "shares must be >= 0")
    total = math.fsum(value)
    if abs(total - 1.0) > _SHARE_TOL:
        raise PydanticCustomError(
            "shares_sum", "shares must sum to 1 (they sum to {total})", {"total": f"{total:.6g}"}
        )
    return tuple(float(v) for v in value)


#: A number (numeric parent) or a ``{category = number}`` table (categorical parent).
Effect = Annotated[Any, PlainValidator(_effect)]
#: Non-negative numbers summing to 1.
Shares = Annotated[Any, PlainValidator(_shares)]
NonNegative = Annotated[float, Field(ge=0)]
