"""Hostile strings in every user-supplied string slot of an audit (REPORT.md's payload list).

`hostile_result(offset)` takes the small fixture and renames every name that comes from users' data —
attribute names, group names, feature names, case IDs, the scenario name, the source file name, column
names, mechanism names, the scorer's kind — to a payload. Names are replaced wherever they occur (keys
and values), so the audit stays consistent. With ``offset`` k, slot i gets payload (i + k) mod P, so
running every offset puts every payload in every slot.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.report.fixtures import FEATURES, MECHANISMS, small_result

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(2)</script>",
    '"><svg onload=alert(3)>',
    "' onmouseover='alert(4)' data-x='",
    "javascript:alert(5)",
    "<!-- open comment",
    "line\u2028separator\u2029paragraph",
    "\u202eRTL override\u202c مرحبا עברית",
    "emoji 🙂👩‍👩‍👧 𝕏",
    "{{7*7}} ${alert(6)} %s &lt;b&gt;",
    "x" * 10_000,
]

#: payloads that hold a character HTML gives meaning to: none of them may appear raw in the page
MARKUP = [p for p in PAYLOADS if any(c in p for c in "<>&\"'")]

SLOTS = [
    "ethnicity",  # attribute names
    "sex",
    "Han",  # group names (Han is a reference group)
    "Uyghur",
    "Zhuang",
    "male",
    "female",
    *FEATURES,  # feature names
    *MECHANISMS,  # mechanism names
    "sesame",  # scenario name
    "synthetic:sesame",  # source file name
    "blacklisted",  # decision column
]


def _rename(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            names.get(k, k) if isinstance(k, str) else k: _rename(v, names)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rename(v, names) for v in value]
    if isinstance(value, str):
        return names.get(value, value)
    return value


COMBINED = " ".join(PAYLOADS[:-1])
MODES = ["combined", "long", 0, 1]


def _payload(mode: int | str, i: int) -> str:
    if mode == "combined":  # every short payload, in every slot at once
        return COMBINED
    if mode == "long":  # a 10 kB string in every slot
        return PAYLOADS[-1] + PAYLOADS[i % (len(PAYLOADS) - 1)]
    return PAYLOADS[(i + mode) % len(PAYLOADS)]


def hostile_result(mode: int | str = "combined"):
    """(audit dict, tables, names): the small fixture with every user-supplied name made hostile.

    ``mode``: ``"combined"`` puts all short payloads in every slot, ``"long"`` a 10 kB string, an
    integer k rotates single payloads so slot i gets payload (i + k) mod P.
    """
    data, tables = small_result()
    names = {slot: f"{_payload(mode, i)} #{i}" for i, slot in enumerate(SLOTS)}
    offset = 0 if isinstance(mode, str) else mode
    data = _rename(copy.deepcopy(data), names)
    data["meta"]["label"] = PAYLOADS[(offset + 1) % len(PAYLOADS)] + " (label column)"
    data["meta"]["observed_label"] = PAYLOADS[(offset + 2) % len(PAYLOADS)] + " (records column)"
    data["scorer"]["kind"] = PAYLOADS[(offset + 3) % len(PAYLOADS)] + " (scorer)"
    data["explain"]["method_note"] = PAYLOADS[(offset + 4) % len(PAYLOADS)]
    cases = tables["cases"].copy()
    cases = cases.rename(columns={c: names.get(c, c) for c in cases.columns})
    cases = cases.map(lambda v: names.get(v, v) if isinstance(v, str) else v)
    cases["case_id"] = [
        f"{PAYLOADS[(offset + j) % len(PAYLOADS)]} case {j}" for j in range(len(cases))
    ]
    cases["reasons"] = [f"{names[FEATURES[j]]} (-12.0 pts)" for j in range(len(cases))]
    return data, {"cases": cases}, names
