"""Accepted problems, medications and allergies as OpenEMR `lists` items (pure).

OpenEMR keeps a chart's problem, medication and allergy lists in one table, `lists`, told apart
by `type` (`medical_problem`, `medication`, `allergy`). Codes go in `diagnosis` as
`<system>:<code>` (`ICD10:I10`; `RXCUI:197361` for RxNorm), several separated by `;`.

A note has no allergy facts of its own. Allergies reach it two ways, and both become `allergy`
items: a problem coded as an allergy status (ICD-10-CM Z88.* to drugs, Z91.0* to food and other
substances: what "allergic to penicillin" is coded as), and a medication the clinician accepted
whose name appears in the note's Allergies section (what the patient is allergic to, not what
they take).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ListType = Literal["medical_problem", "medication", "allergy"]
_TITLE_MAX = 255  # lists.title varchar(255)
_DIAGNOSIS_MAX = 255  # lists.diagnosis varchar(255)


@dataclass(frozen=True)
class ListItem:
    type: ListType
    title: str
    diagnosis: str | None = None


@dataclass(frozen=True)
class Coded:
    """An accepted fact: its words and its codes as (system prefix, code) pairs."""

    text: str
    codes: tuple[tuple[str, str], ...] = ()


def diagnosis(codes: Iterable[tuple[str, str]]) -> str | None:
    """`ICD10:I10;ICD10:E11.9` from (prefix, code) pairs; None when there are none."""
    seen: list[str] = []
    for prefix, code in codes:
        item = f"{prefix}:{code.strip()}"
        if code.strip() and item not in seen:
            seen.append(item)
    joined = ";".join(seen)
    while len(joined) > _DIAGNOSIS_MAX and ";" in joined:
        joined = joined.rsplit(";", 1)[0]  # whole codes only: a cut code is a wrong code
    return joined[:_DIAGNOSIS_MAX] or None


_ALLERGY_STATUS = re.compile(r"^(?:Z88|Z91\.0)", re.IGNORECASE)


def _is_allergy_status(fact: Coded) -> bool:
    return any(prefix == "ICD10" and _ALLERGY_STATUS.match(code) for prefix, code in fact.codes)


def _title(text: str) -> str:
    return " ".join(text.split())[:_TITLE_MAX]


def _mentions(section: str, name: str) -> bool:
    words = " ".join(name.split())
    return bool(words) and re.search(rf"\b{re.escape(words)}\b", section, re.IGNORECASE) is not None


def list_items(
    problems: Iterable[Coded], medications: Iterable[Coded], allergy_section: str = ""
) -> list[ListItem]:
    """The `lists` rows for these accepted facts, once per (type, title), in input order."""
    out: list[ListItem] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: ListType, fact: Coded) -> None:
        title = _title(fact.text)
        key = (kind, title.casefold())
        if title and key not in seen:
            seen.add(key)
            out.append(ListItem(kind, title, diagnosis(fact.codes)))

    for problem in problems:
        add("allergy" if _is_allergy_status(problem) else "medical_problem", problem)
    for medication in medications:
        kind: ListType = "allergy" if _mentions(allergy_section, medication.text) else "medication"
        add(kind, medication)
    return out
