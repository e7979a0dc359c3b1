"""A signed note as one idempotent FHIR R4 transaction Bundle, and its validation."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import ValidationError

from clinscribe import __version__
from clinscribe.fhir.core.clinical import Item, conditions, medication_statements, observations
from clinscribe.fhir.core.codes import (
    CONDITION_SECTIONS,
    DATA_OPERATION,
    MEDICATION_SECTIONS,
    PROVENANCE_AGENT,
    RECORDING_SYSTEM,
    SIGNATURE_TYPE,
    TRANSCRIPT_SYSTEM,
    URI_SYSTEM,
    VITALS_SECTIONS,
)
from clinscribe.fhir.core.documents import composition, document_reference
from clinscribe.fhir.core.errors import BundleValidationError
from clinscribe.fhir.core.ids import (
    JsonDict,
    Keyed,
    clinician_reference,
    identifier_query,
    keyed,
    token,
)
from clinscribe.fhir.core.schemas import SignedNote

_DEVICE_NAME = f"Clinscribe {__version__}"
# Required bindings the R4B models do not enforce (they check structure, not codes).
_OBS_STATUS = {"registered", "preliminary", "final", "amended", "corrected", "cancelled"}
_REQUIRED_CODES: dict[str, dict[str, frozenset[str]]] = {
    "DocumentReference": {
        "status": frozenset({"current", "superseded", "entered-in-error"}),
        "docStatus": frozenset({"preliminary", "final", "amended", "entered-in-error"}),
    },
    "Composition": {"status": frozenset({"preliminary", "final", "amended", "entered-in-error"})},
    "Observation": {"status": frozenset(_OBS_STATUS | {"entered-in-error", "unknown"})},
    "MedicationStatement": {
        "status": frozenset(
            {
                "active",
                "completed",
                "entered-in-error",
                "intended",
                "stopped",
                "on-hold",
                "unknown",
                "not-taken",
            }
        )
    },
}


def _entry(item: Item) -> JsonDict:
    return {
        "fullUrl": item.keyed.full_url,
        "resource": item.resource,
        "request": {
            "method": "POST",
            "url": item.resource_type,
            "ifNoneExist": identifier_query(item.keyed.identifier),
        },
    }


def _provenance(note: SignedNote, key: Keyed, targets: list[str]) -> JsonDict:
    entities: list[JsonDict] = []
    for system, value, label in (
        (RECORDING_SYSTEM, note.recording_id, "source recording"),
        (TRANSCRIPT_SYSTEM, note.transcript_id, "transcript"),
    ):
        if value:
            what = {"identifier": {"system": system, "value": value}, "display": label}
            entities.append({"role": "source", "what": what})
    provenance: JsonDict = {
        "resourceType": "Provenance",
        # Provenance has no identifier element in R4: a tag carries the stable key instead.
        "meta": {"tag": [{"system": URI_SYSTEM, "code": key.identifier["value"]}]},
        "target": [{"reference": url} for url in targets],
        "occurredDateTime": note.observed_at.isoformat(),
        "recorded": note.signed_at.isoformat(),
        "activity": {
            "coding": [
                {
                    "system": DATA_OPERATION,
                    "code": "UPDATE" if note.replaces else "CREATE",
                    "display": "revise" if note.replaces else "create",
                }
            ]
        },
        "agent": [
            {
                "type": {"coding": [{"system": PROVENANCE_AGENT, "code": "author"}]},
                "who": clinician_reference(note.author),
            },
            {
                "type": {"coding": [{"system": PROVENANCE_AGENT, "code": "assembler"}]},
                "who": {"type": "Device", "display": _DEVICE_NAME},
                "onBehalfOf": clinician_reference(note.author),
            },
        ],
        "signature": [
            {
                "type": [
                    {
                        "system": SIGNATURE_TYPE,
                        "code": "1.2.840.10065.1.12.1.1",
                        "display": "Author's Signature",
                    }
                ],
                "when": note.signed_at.isoformat(),
                "who": clinician_reference(note.signer),
                "targetFormat": "text/plain",
            }
        ],
    }
    if entities:  # FHIR JSON has no empty arrays
        provenance["entity"] = entities
    return provenance


def build_bundle(note: SignedNote, *, profiles: bool = False) -> JsonDict:
    """Map a signed note version to one transaction Bundle of conditional creates.

    Every entry's identifier and fullUrl derive from the note id, version and item, so
    delivering the same version twice matches on the server instead of duplicating.
    `profiles` declares the R4 core vital-sign profiles in `meta.profile`.
    """

    def key(item: str) -> Keyed:
        return keyed(note.note_id, note.version, item)

    doc_key = key("DocumentReference")
    doc_url = doc_key.full_url
    clinical: list[Item] = [
        *observations(note, key, doc_url, profiles=profiles),
        *conditions(note, key, doc_url),
        *medication_statements(note, key, doc_url),
    ]
    by_section: dict[str, list[str]] = defaultdict(list)
    for item in clinical:
        codes = {
            "Observation": VITALS_SECTIONS,
            "Condition": CONDITION_SECTIONS,
            "MedicationStatement": MEDICATION_SECTIONS,
        }[item.resource_type]
        for code in codes:
            by_section[code].append(item.keyed.full_url)
    comp_key = key("Composition")
    items = [
        Item(doc_key, "DocumentReference", document_reference(note, doc_key)),
        Item(comp_key, "Composition", composition(note, comp_key, by_section)),
        *clinical,
    ]
    prov_key = key("Provenance")
    provenance = _provenance(note, prov_key, [i.keyed.full_url for i in items])
    entries = [_entry(i) for i in items]
    entries.append(
        {
            "fullUrl": prov_key.full_url,
            "resource": provenance,
            "request": {
                "method": "POST",
                "url": "Provenance",
                "ifNoneExist": f"_tag={token(URI_SYSTEM, prov_key.identifier['value'])}",
            },
        }
    )
    return {
        "resourceType": "Bundle",
        "identifier": key("Bundle").identifier,
        "type": "transaction",
        "entry": entries,
    }


def _model_class(resource_type: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class  # heavy: import on first use

    return get_fhir_model_class(resource_type)


def _fail(message: str, index: int, resource_type: str, full_url: str | None) -> None:
    raise BundleValidationError(
        message, index=index, resource_type=resource_type, full_url=full_url
    )


def validate_bundle(bundle: JsonDict) -> None:
    """Parse the Bundle and every resource with the FHIR R4B models; check transaction rules.

    Raises BundleValidationError naming the first resource (index, type, fullUrl) that fails.
    """
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
        _fail("not a transaction Bundle", -1, str(bundle.get("resourceType")), None)
    entries = bundle.get("entry") or []
    envelope = {
        **bundle,
        "entry": [{k: v for k, v in e.items() if k != "resource"} for e in entries],
    }
    try:
        _model_class("Bundle").model_validate(envelope)
    except ValidationError as exc:
        _fail(f"Bundle: {exc.error_count()} error(s): {_summary(exc)}", -1, "Bundle", None)
    full_urls = [e.get("fullUrl") for e in entries]
    for index, entry in enumerate(entries):
        resource = entry.get("resource") or {}
        rtype = str(resource.get("resourceType", "?"))
        url = entry.get("fullUrl")
        if full_urls.count(url) > 1:
            _fail(f"{rtype}: duplicate fullUrl", index, rtype, url)
        request = entry.get("request") or {}
        if request.get("method") not in {"POST", "PUT"} or not request.get("url"):
            _fail(f"{rtype}: entry has no create/update request", index, rtype, url)
        try:
            cls = _model_class(rtype)
        except (KeyError, ValueError):
            _fail(f"unknown resource type {rtype!r}", index, rtype, url)
        try:
            cls.model_validate(resource)
        except ValidationError as exc:
            _fail(f"{rtype}: {exc.error_count()} error(s): {_summary(exc)}", index, rtype, url)
        for field, allowed in _REQUIRED_CODES.get(rtype, {}).items():
            if field in resource and resource[field] not in allowed:
                _fail(f"{rtype}: {field} is not a code of its value set", index, rtype, url)
        if (path := _first_empty(resource, rtype)) is not None:
            _fail(f"{path}: FHIR JSON allows no empty values", index, rtype, url)
        for ref in _local_references(resource):
            if ref not in full_urls:
                _fail(f"{rtype}: reference {ref} is not in the bundle", index, rtype, url)


def _summary(exc: ValidationError) -> str:
    # Locations and messages only: input values may hold clinical text.
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
    )


def _first_empty(node: Any, path: str) -> str | None:
    if node in ("", [], {}, None):
        return path
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return None
    for key, value in items:
        if (found := _first_empty(value, f"{path}.{key}")) is not None:
            return found
    return None


def _local_references(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and ref.startswith("urn:uuid:"):
            found.append(ref)
        for value in node.values():
            found.extend(_local_references(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_local_references(value))
    return found
