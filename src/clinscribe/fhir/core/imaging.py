"""DICOM studies as FHIR R4 ImagingStudy resources (pure mapping; no database).

Identifiers follow the ImagingStudy guidance: the Study Instance UID as `urn:dicom:uid` with an
`urn:oid:` value; modalities are DICOM (DCM) codes; SOP classes are `urn:oid:` URIs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from clinscribe.fhir.core.ids import JsonDict

DICOM_UID = "urn:dicom:uid"
DCM = "http://dicom.nema.org/resources/ontology/DCM"
URI = "urn:ietf:rfc:3986"
# Section of a note's Composition that lists the studies it refers to.
RESULTS_SECTION = "30954-2"
IMAGING_SECTION_TITLE = "Imaging"


@dataclass(frozen=True)
class InstanceFacts:
    uid: str
    sop_class_uid: str
    number: int | None


@dataclass(frozen=True)
class SeriesFacts:
    uid: str
    number: int | None
    modality: str
    description: str | None
    body_part: str | None
    instances: list[InstanceFacts] = field(default_factory=list)


@dataclass(frozen=True)
class StudyFacts:
    id: str
    uid: str
    started: datetime | None
    description: str | None
    modalities: list[str]
    series_count: int
    instance_count: int
    series: list[SeriesFacts] = field(default_factory=list)


def _oid(uid: str) -> str:
    return f"urn:oid:{uid}"


def _modality(code: str) -> JsonDict:
    return {"system": DCM, "code": code}


def _series(s: SeriesFacts) -> JsonDict:
    out: JsonDict = {
        "uid": s.uid,
        "modality": _modality(s.modality or "OT"),
        "numberOfInstances": len(s.instances),
    }
    if s.number is not None:
        out["number"] = s.number
    if s.description:
        out["description"] = s.description
    if s.body_part:
        out["bodySite"] = {"display": s.body_part}
    if s.instances:
        out["instance"] = [
            {
                "uid": i.uid,
                "sopClass": {"system": URI, "code": _oid(i.sop_class_uid or "1.2.840.10008")},
                **({"number": i.number} if i.number is not None else {}),
            }
            for i in s.instances
        ]
    return out


def imaging_study(study: StudyFacts, subject: JsonDict) -> JsonDict:
    """The ImagingStudy of a stored study, about `subject` (a Patient reference)."""
    out: JsonDict = {
        "resourceType": "ImagingStudy",
        "identifier": [{"system": DICOM_UID, "value": _oid(study.uid)}],
        "status": "available",
        "subject": subject,
        "numberOfSeries": study.series_count,
        "numberOfInstances": study.instance_count,
    }
    if study.modalities:
        out["modality"] = [_modality(m) for m in study.modalities]
    if study.started is not None:
        out["started"] = study.started.isoformat()
    if study.description:
        out["description"] = study.description
    if study.series:
        out["series"] = [_series(s) for s in study.series]
    return out


def add_to_bundle(
    bundle: JsonDict, studies: list[StudyFacts], keys: list[tuple[str, JsonDict]]
) -> None:
    """Add each study to a note's transaction Bundle as an ImagingStudy (created only if no
    study with its UID exists) and list it in the Composition's results section (or an
    Imaging section when the note has none). `keys` gives each study's fullUrl and identifier."""
    if not studies:
        return
    entries = bundle["entry"]
    composition = next(
        e["resource"] for e in entries if e["resource"]["resourceType"] == "Composition"
    )
    subject = composition["subject"]
    urls = []
    for study, (full_url, _identifier) in zip(studies, keys, strict=True):
        resource = imaging_study(study, subject)
        entries.append(
            {
                "fullUrl": full_url,
                "resource": resource,
                "request": {
                    "method": "POST",
                    "url": "ImagingStudy",
                    "ifNoneExist": f"identifier={DICOM_UID}|{_oid(study.uid)}",
                },
            }
        )
        urls.append(full_url)
    sections = composition.setdefault("section", [])
    target = next(
        (
            s
            for s in sections
            if any(c.get("code") == RESULTS_SECTION for c in s.get("code", {}).get("coding", []))
        ),
        None,
    )
    if target is None:
        target = {
            "title": IMAGING_SECTION_TITLE,
            "code": {
                "coding": [
                    {
                        "system": "http://loinc.org",
                        "code": "18726-0",
                        "display": "Radiology studies (set)",
                    }
                ]
            },
            "text": {
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml">Attached imaging studies.</div>',
            },
        }
        sections.append(target)
    target.pop("emptyReason", None)
    target.setdefault("entry", []).extend({"reference": url} for url in urls)
