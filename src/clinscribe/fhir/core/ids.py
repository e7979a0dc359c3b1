"""Deterministic identifiers, fullUrls and (conditional) references for bundle entries."""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple
from urllib.parse import quote

from clinscribe.fhir.core.codes import URI_SYSTEM
from clinscribe.fhir.core.schemas import Clinician, Identifier

# A fixed namespace: the same note version and item always yield the same uuid, so a
# redelivered bundle carries the same identifiers and conditional creates match.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:clinscribe:fhir:r4")

JsonDict = dict[str, Any]


class Keyed(NamedTuple):
    """The stable fullUrl and business identifier of one bundle entry."""

    full_url: str
    identifier: JsonDict


def item_urn(note_id: str, version: int, item: str) -> str:
    """A urn:uuid derived from the note id, its version and an item key."""
    name = "\x1f".join((note_id, str(version), item))
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"


def keyed(note_id: str, version: int, item: str) -> Keyed:
    """fullUrl and identifier of an item of a note version."""
    urn = item_urn(note_id, version, item)
    return Keyed(urn, {"system": URI_SYSTEM, "value": urn})


def document_identifier(note_id: str, version: int) -> Identifier:
    """The DocumentReference identifier of a note version (what an amendment `replaces`)."""
    return Identifier(system=URI_SYSTEM, value=item_urn(note_id, version, "DocumentReference"))


def _escape(value: str) -> str:
    # FHIR search escapes its own separators with a backslash, then the URL escapes the rest.
    for ch in ("\\", "|", ",", "$"):
        value = value.replace(ch, "\\" + ch)
    return quote(value, safe=":/.-_~\\")


def token(system: str, value: str) -> str:
    """A `system|value` token search value, escaped for a query string."""
    return f"{_escape(system)}|{_escape(value)}"


def identifier_query(identifier: JsonDict | Identifier) -> str:
    """`identifier=system|value` for ifNoneExist and conditional references."""
    if isinstance(identifier, Identifier):
        identifier = identifier.model_dump()
    return f"identifier={token(identifier['system'], identifier['value'])}"


def conditional_reference(resource_type: str, identifier: Identifier) -> JsonDict:
    """A reference the server resolves by identifier (`Patient?identifier=system|value`)."""
    return {
        "reference": f"{resource_type}?{identifier_query(identifier)}",
        "type": resource_type,
        "identifier": identifier.model_dump(),
    }


def clinician_reference(clinician: Clinician) -> JsonDict:
    """A logical reference to a practitioner: the EHR may not know our clinician ids."""
    return {
        "type": "Practitioner",
        "identifier": {"system": clinician.system, "value": clinician.id},
        "display": clinician.name,
    }
