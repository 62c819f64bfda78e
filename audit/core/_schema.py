"""The JSON Schema of ``audit.json`` (package data ``audit/core/audit.schema.json``) and validation.

What it is for: loading the schema and checking a document against it (tests, and stages that
add sections). What it must not do: build or change documents. Needs ``jsonschema`` (a dev
dependency) only when validating.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from audit.exceptions import InvalidInputError

__all__ = ["load_schema", "validate_audit_json"]


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return (resources.files("audit.core") / "audit.schema.json").read_text(encoding="utf-8")


def load_schema() -> dict:
    """The JSON Schema (draft 2020-12) of ``audit.json``, as a dict."""
    return json.loads(_schema_text())


def validate_audit_json(doc: dict) -> None:
    """Check ``doc`` against the schema; raise InvalidInputError naming the first bad field.

    Examples
    --------
    >>> validate_audit_json({"schema_version": 1})  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    audit.exceptions.InvalidInputError: audit.json: 'meta' is a required property (at /)
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/" + "/".join(str(p) for p in e.absolute_path)
        raise InvalidInputError(
            f"audit.json: {e.message} (at {where})"
            + (f"; {len(errors) - 1} more error(s)" if len(errors) > 1 else "")
        )
