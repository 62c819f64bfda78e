"""The failure-mode taxonomy of case files (DOMAIN.md) and how a case gets its tag.

What this is for: naming *how* a wrongful blacklisting happened in the words of the documented cases
(mistaken identity, stale data, political trigger, ...), from the generator's per-person traces
(``trace_<mechanism>`` columns: True = this mechanism touched this person) and, for case files, the
person's reason codes.

The mapping (mechanism → failure mode), in order of precedence:

==================  ==========================  ===========================================
mechanism           failure mode                why it ranks here
==================  ==========================  ===========================================
record_linkage      mistaken identity           someone else's record on the person's file
court_listing       stale data                  a paid debt never removed from the list
political_speech    political trigger           a subjective/political flag, not behaviour
surveillance        surveillance                more watching, more recorded infractions
association         guilt by association        friends' listings, not the person's acts
label_bias          label bias                  the group's defaults over-recorded
proxy               proxy                       region/registration standing in for the group
structural          structural disadvantage     group-level gaps in assets/education/work
feedback            feedback loop               past blacklisting worsening today's data
(no trace)          no identifiable cause       the scorer erred on records that look risky
==================  ==========================  ===========================================

Person-specific record errors come first (they are correctable facts), group-level mechanisms last
(they touch every member of a group, so their trace says least about one person). Unknown mechanism
names keep their own name (``"other: <name>"``).

Where it comes from: the generator declares each mechanism's failure mode, precedence and linked
features and publishes them as plain data (``Population.mechanisms``, passed here as ``info``: keys
``failure_mode``, ``precedence``, ``linked_features``). Given ``info``, the functions below use it; the
table above is the fallback for data without it — real data with ``trace_`` columns, or a caller
that passes no ``info``. Precedence is a number: the table's rows rank 10, 20, ... in order, as the
generator's built-in mechanisms do.

Tagging:

- **by cause** (counts over everyone wrongly blacklisted): the first touched mechanism in the order
  above; untouched people are "no identifiable cause".
- **case files** (with reason codes): among the touched mechanisms whose *linked features* (e.g.
  ``speech_flag`` for political_speech) are among the person's top reasons, the one whose features
  cost the most points; if none, the precedence order above.

This module must not import other stages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_LINKED_FEATURES",
    "FAILURE_MODES",
    "NO_CAUSE",
    "PRECEDENCE",
    "failure_mode_of",
    "linked_features",
    "mechanism_order",
    "primary_cause",
    "trace_matrix",
    "trace_mechanisms",
]

#: Mechanism name → failure-mode tag (DOMAIN.md's taxonomy).
FAILURE_MODES: dict[str, str] = {
    "record_linkage": "mistaken identity",
    "court_listing": "stale data",
    "political_speech": "political trigger",
    "surveillance": "surveillance",
    "association": "guilt by association",
    "label_bias": "label bias",
    "proxy": "proxy",
    "structural": "structural disadvantage",
    "feedback": "feedback loop",
}
#: Order of precedence when several mechanisms touched a person.
PRECEDENCE: tuple[str, ...] = tuple(FAILURE_MODES)
#: Rank of each failure mode of the table: 10, 20, ... (lower = names the cause first).
_RANK = {FAILURE_MODES[m]: 10 * (i + 1) for i, m in enumerate(PRECEDENCE)}
#: Tag of a wrongful blacklisting no mechanism touched.
NO_CAUSE = "no identifiable cause"

#: Features through which a mechanism acts, when the population does not say (sesame's names).
DEFAULT_LINKED_FEATURES: dict[str, list[str]] = {
    "record_linkage": ["missed_repayments", "court_listed"],
    "court_listing": ["court_listed"],
    "political_speech": ["speech_flag", "critical_posts"],
    "surveillance": ["late_bike_returns", "drunk_driving", "traffic_violations"],
    "association": ["friends_listed_share"],
}

_KEYWORDS = (
    ("linkage", "mistaken identity"),
    ("identity", "mistaken identity"),
    ("stale", "stale data"),
    ("court", "stale data"),
    ("speech", "political trigger"),
    ("politic", "political trigger"),
    ("surveil", "surveillance"),
    ("associat", "guilt by association"),
    ("friend", "guilt by association"),
    ("label", "label bias"),
    ("proxy", "proxy"),
    ("structur", "structural disadvantage"),
    ("feedback", "feedback loop"),
)


def _declared(info: Mapping[str, Mapping] | None, mechanism: str, key: str) -> Any:
    """What ``info`` (``Population.mechanisms``) declares for a mechanism under ``key``, or None."""
    meta = (info or {}).get(mechanism)
    return meta.get(key) if isinstance(meta, Mapping) else None


def failure_mode_of(mechanism: str, info: Mapping[str, Mapping] | None = None) -> str:
    """Failure-mode tag of a mechanism name: as ``info`` declares it, else from the table.

    Examples
    --------
    >>> failure_mode_of("record_linkage"), failure_mode_of("stale_court_record"), failure_mode_of("x")
    ('mistaken identity', 'stale data', 'other: x')
    >>> failure_mode_of("x", {"x": {"failure_mode": "random noise"}})
    'random noise'
    """
    declared = _declared(info, mechanism, "failure_mode")
    if isinstance(declared, str) and declared:
        return declared
    if mechanism in FAILURE_MODES:
        return FAILURE_MODES[mechanism]
    low = mechanism.lower()
    for key, tag in _KEYWORDS:
        if key in low:
            return tag
    return f"other: {mechanism}"


def _precedence(mechanism: str, info: Mapping[str, Mapping] | None) -> float | None:
    """Rank of a mechanism: as ``info`` declares it, else its failure mode's rank in the table."""
    declared = _declared(info, mechanism, "precedence")
    if isinstance(declared, int | float) and not isinstance(declared, bool):
        return declared
    return _RANK.get(failure_mode_of(mechanism, info))


def trace_mechanisms(columns: Sequence[str]) -> list[str]:
    """Mechanism names of the ``trace_<mechanism>`` columns among ``columns``."""
    return [c.removeprefix("trace_") for c in columns if str(c).startswith("trace_")]


def trace_matrix(frame: pd.DataFrame, mechanisms: Sequence[str]) -> np.ndarray:
    """Boolean array (rows x mechanisms): True where ``trace_<mechanism>`` touched the row."""
    if not mechanisms:
        return np.zeros((len(frame), 0), dtype=bool)
    return frame[[f"trace_{m}" for m in mechanisms]].to_numpy(dtype=bool)


def mechanism_order(
    mechanisms: Sequence[str], info: Mapping[str, Mapping] | None = None
) -> list[str]:
    """``mechanisms`` sorted by precedence (ties by name; those without one last, by name)."""

    def key(m: str) -> tuple[int, float, str]:
        rank = _precedence(m, info)
        return (1, 0, m) if rank is None else (0, rank, m)

    return sorted(mechanisms, key=key)


def primary_cause(
    traces: pd.DataFrame,
    mechanisms: Sequence[str] | None = None,
    info: Mapping[str, Mapping] | None = None,
) -> np.ndarray:
    """Failure-mode tag of each row by precedence of the mechanisms that touched it (vectorised).

    Parameters
    ----------
    traces : pandas.DataFrame
        Boolean ``trace_<mechanism>`` columns (other columns are ignored).
    mechanisms : list of str, optional
        Mechanisms to consider (default: every trace column).
    info : mapping, optional
        ``Population.mechanisms``: each mechanism's declared failure mode and precedence.

    Returns
    -------
    ndarray of str (object)
    """
    mechs = mechanism_order(mechanisms or trace_mechanisms(traces.columns), info)
    if not mechs:
        return np.full(len(traces), NO_CAUSE, dtype=object)
    touched = trace_matrix(traces, mechs)
    first = touched.argmax(axis=1)
    tags = np.array([failure_mode_of(m, info) for m in mechs] + [NO_CAUSE], dtype=object)
    return tags[np.where(touched.any(axis=1), first, len(mechs))]


def linked_features(
    mechanisms: Sequence[str],
    features: Sequence[str],
    info: Mapping[str, Mapping] | None = None,
    override: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, list[str]]:
    """Features each mechanism acts through, restricted to ``features``.

    Precedence: ``override``; else the ``linked_features`` the population declares in ``info``;
    else a guess from ``info``'s settings plus ``DEFAULT_LINKED_FEATURES`` (see `_guessed_links`).
    """
    out = {}
    for m in mechanisms:
        declared = _declared(info, m, "linked_features")
        if override and m in override:
            names = list(override[m])
        elif isinstance(declared, list | tuple):
            names = [str(f) for f in declared]
        else:
            names = _guessed_links(m, info)
        out[m] = [f for f in dict.fromkeys(names) if f in features]
    return out


def _guessed_links(mechanism: str, info: Mapping[str, Mapping] | None) -> list[str]:
    """Features named in a mechanism's info (keys ``features``, ``targets``, ``target``,
    ``count``, ``posts``, at the top or under ``settings``), plus ``DEFAULT_LINKED_FEATURES``."""
    meta = (info or {}).get(mechanism) or {}
    meta = meta if isinstance(meta, Mapping) else {}
    settings = meta.get("settings") if isinstance(meta.get("settings"), Mapping) else {}
    names: list[str] = []
    for key in ("features", "targets", "target", "count", "posts"):
        v = meta.get(key, settings.get(key))
        if isinstance(v, str):
            names.append(v)
        elif isinstance(v, list | tuple):
            names.extend(map(str, v))
    names += DEFAULT_LINKED_FEATURES.get(mechanism, [])
    if mechanism == "record_linkage" and names:
        names.append("court_listed")  # a merged record also brings its listing
    return names
