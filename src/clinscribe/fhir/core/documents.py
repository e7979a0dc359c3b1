"""The note itself as FHIR: a DocumentReference with the signed text and a Composition."""

from __future__ import annotations

import base64
import hashlib
import html
import re

from clinscribe.fhir.core.codes import (
    DOCREF_CATEGORY,
    DOCUMENT_TYPES,
    GENERIC_NOTE,
    LIST_EMPTY_REASON,
    LOINC,
    SECTION_CODES,
    Concept,
)
from clinscribe.fhir.core.errors import MappingError
from clinscribe.fhir.core.ids import JsonDict, Keyed, clinician_reference, conditional_reference
from clinscribe.fhir.core.schemas import Section, SignedNote

_XHTML_NS = "http://www.w3.org/1999/xhtml"
# Characters XML 1.0 forbids; a narrative with one of them is not well-formed.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def document_type(template: str) -> Concept:
    """The LOINC document type of a template key (generic 'Note' when unknown)."""
    return DOCUMENT_TYPES.get(template.strip().lower(), GENERIC_NOTE)


def codeable(system: str, concept: Concept, text: str | None = None) -> JsonDict:
    """A CodeableConcept with one coding."""
    cc: JsonDict = {
        "coding": [{"system": system, "code": concept.code, "display": concept.display}]
    }
    if text:
        cc["text"] = text
    return cc


def xhtml(text: str) -> str:
    """Plain text as an escaped XHTML narrative div: blank lines split paragraphs."""
    clean = _XML_INVALID.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    paragraphs = [p for p in re.split(r"\n\s*\n", clean) if p.strip()]
    body = "".join(
        "<p>" + "<br/>".join(html.escape(line, quote=True) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
    return f'<div xmlns="{_XHTML_NS}">{body or "<p>No content.</p>"}</div>'


def check_content_hash(note: SignedNote) -> bytes:
    """The note text as UTF-8, after checking it is exactly what was signed."""
    data = note.text.encode("utf-8")
    if hashlib.sha256(data).hexdigest() != note.content_sha256:
        raise MappingError("the note text does not match its signed content hash")
    return data


def document_reference(note: SignedNote, keyed: Keyed) -> JsonDict:
    """The DocumentReference carrying the signed text as a text/plain attachment."""
    data = check_content_hash(note)
    doc_type = document_type(note.template)
    resource: JsonDict = {
        "resourceType": "DocumentReference",
        "masterIdentifier": keyed.identifier,
        "identifier": [keyed.identifier],
        "status": "current",
        "docStatus": note.status,
        "type": codeable(LOINC, doc_type),
        "category": [
            codeable(DOCREF_CATEGORY, Concept("clinical-note", "Clinical Note")),
        ],
        "subject": conditional_reference("Patient", note.patient),
        "date": note.signed_at.isoformat(),
        "author": [clinician_reference(note.author)],
        "authenticator": clinician_reference(note.signer),
        "description": note.template_title or doc_type.display,
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "language": note.language,
                    "data": base64.b64encode(data).decode("ascii"),
                    "size": len(data),
                    # R4 defines Attachment.hash as SHA-1; the SHA-256 was checked above.
                    "hash": base64.b64encode(
                        hashlib.sha1(data, usedforsecurity=False).digest()
                    ).decode("ascii"),
                    "title": note.template_title or doc_type.display,
                    "creation": note.signed_at.isoformat(),
                }
            }
        ],
        "context": {
            "encounter": [conditional_reference("Encounter", note.encounter)],
            "period": {"start": note.observed_at.isoformat()},
        },
    }
    if note.replaces is not None:
        # A logical reference: the replaced version may live in the EHR under any id.
        target = {"type": "DocumentReference", "identifier": note.replaces.model_dump()}
        resource["relatesTo"] = [{"code": "replaces", "target": target}]
    return resource


def _section(section: Section, entries: dict[str, list[str]]) -> JsonDict:
    concept = SECTION_CODES.get(section.key)
    out: JsonDict = {"title": section.title}
    if concept is not None:
        out["code"] = codeable(LOINC, concept)
    out["text"] = {"status": "generated", "div": xhtml(section.text)}
    refs = entries.get(concept.code, []) if concept is not None else []
    if refs:
        out["entry"] = [{"reference": url} for url in refs]
    elif not section.text.strip():
        out["emptyReason"] = {
            "coding": [
                {"system": LIST_EMPTY_REASON, "code": "unavailable", "display": "Unavailable"}
            ]
        }
    return out


def composition(
    note: SignedNote, keyed: Keyed, entries: dict[str, list[str]] | None = None
) -> JsonDict:
    """The Composition: one coded section per note section, with an XHTML narrative each.

    `entries` maps a LOINC section code to the fullUrls of resources listed in that section.
    """
    doc_type = document_type(note.template)
    signer = note.signer
    return {
        "resourceType": "Composition",
        "identifier": keyed.identifier,
        "status": note.status,
        "type": codeable(LOINC, doc_type),
        "subject": conditional_reference("Patient", note.patient),
        "encounter": conditional_reference("Encounter", note.encounter),
        "date": note.signed_at.isoformat(),
        "author": [clinician_reference(note.author)],
        "title": note.template_title or doc_type.display,
        "attester": [
            {
                "mode": "legal",
                "time": note.signed_at.isoformat(),
                "party": clinician_reference(signer),
            }
        ],
        "section": [_section(s, entries or {}) for s in note.sections],
    }
