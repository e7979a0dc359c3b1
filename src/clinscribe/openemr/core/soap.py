"""A note's sections as the four fields of OpenEMR's SOAP form (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clinscribe.errors import Unprocessable

# Where each template section goes; a section not listed goes to the subjective field.
_FIELD = {
    "objective": "objective",
    "physical_examination": "objective",
    "exam": "objective",
    "results": "objective",
    "vitals": "objective",
    "assessment": "assessment",
    "assessment_and_plan": "assessment",
    "plan": "plan",
}


class NotSoapShaped(Unprocessable):
    """The note has nothing for the assessment or plan a SOAP form needs."""

    status_code = 422
    code = "note_not_soap_shaped"


@dataclass(frozen=True)
class SoapForm:
    subjective: str
    objective: str
    assessment: str
    plan: str


def soap_form(sections: Iterable[tuple[str, str, str]]) -> SoapForm:
    """(key, title, text) sections -> the SOAP fields; several sections in one field are titled."""
    parts: dict[str, list[tuple[str, str]]] = {
        "subjective": [],
        "objective": [],
        "assessment": [],
        "plan": [],
    }
    for key, title, text in sections:
        if text.strip():
            parts[_FIELD.get(key, "subjective")].append((title, text.strip()))

    def joined(items: list[tuple[str, str]], field: str) -> str:
        if len(items) == 1 and items[0][0].casefold() == field:
            return items[0][1]
        if len(items) == 1:
            return (
                items[0][1] if field in ("assessment", "plan") else f"{items[0][0]}: {items[0][1]}"
            )
        return "\n\n".join(f"{title}: {text}" for title, text in items)

    form = SoapForm(**{field: joined(items, field) for field, items in parts.items()})
    if not form.assessment and not form.plan:
        raise NotSoapShaped("the note has no assessment or plan for an OpenEMR SOAP form")
    return form
