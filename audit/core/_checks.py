"""Argument checks with one message template, for every stage.

What it is for: the few checks every public function repeats (an integer in a range, a fraction,
one of a set of choices), each raising :class:`~audit.exceptions.InvalidInputError` with the same
words: *"The 'x' parameter of f must be …; got … instead."* (STYLE.md).
What it must not do: check data tables (``audit.core.adverse_mask`` and the stages do that).
"""

from __future__ import annotations

import numbers
from collections.abc import Collection

from audit.exceptions import InvalidInputError

__all__ = ["check_choice", "check_fraction", "check_int"]


def _fail(name: str, caller: str | None, expected: str, value: object) -> None:
    where = f" of {caller}" if caller else ""
    msg = f"The {name!r} parameter{where} must be {expected}; got {value!r} instead."
    raise InvalidInputError(msg)


def check_int(
    value: object,
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    caller: str | None = None,
) -> int:
    """``value`` as an int, or an error when it is not an integer in ``[minimum, maximum]``.

    Examples
    --------
    >>> check_int(3, "n", minimum=1)
    3
    >>> check_int(0, "n", minimum=1, caller="plan")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    audit.exceptions.InvalidInputError: The 'n' parameter of plan must be an integer >= 1; got 0 instead.
    """
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if minimum is not None and maximum is not None:
        expected = f"an integer in [{minimum}, {maximum}]"
    elif minimum is not None:
        expected = f"an integer >= {minimum}"
    elif maximum is not None:
        expected = f"an integer <= {maximum}"
    else:
        expected = "an integer"
    if ok and minimum is not None and value < minimum:
        ok = False
    if ok and maximum is not None and value > maximum:
        ok = False
    if not ok:
        _fail(name, caller, expected, value)
    return int(value)


def check_fraction(
    value: object,
    name: str,
    *,
    open_low: bool = False,
    open_high: bool = False,
    optional: bool = False,
    caller: str | None = None,
) -> float | None:
    """``value`` as a float in the interval ``[0, 1]`` (ends open as asked), or an error.

    ``optional=True`` lets ``None`` through (e.g. a threshold that is not judged).

    Examples
    --------
    >>> check_fraction(0.8, "threshold"), check_fraction(None, "threshold", optional=True)
    (0.8, None)
    """
    if value is None and optional:
        return None
    interval = f"{'(' if open_low else '['}0, 1{')' if open_high else ']'}"
    expected = f"a number in {interval}" + (" or None" if optional else "")
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not number:
        _fail(name, caller, expected, value)
    x = float(value)
    low_ok = x > 0 if open_low else x >= 0
    high_ok = x < 1 if open_high else x <= 1
    if not (low_ok and high_ok):
        _fail(name, caller, expected, value)
    return x


def check_choice(
    value: object, name: str, choices: Collection[object], *, caller: str | None = None
) -> object:
    """``value`` when it is one of ``choices``, else an error listing them.

    Examples
    --------
    >>> check_choice("unknown", "missing", ("error", "unknown"))
    'unknown'
    """
    if value not in choices:
        _fail(name, caller, "one of " + ", ".join(repr(c) for c in choices), value)
    return value
