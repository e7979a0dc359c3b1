"""The ECGs of a note's attached studies in its FHIR Bundle: each recording as an Observation
with its leads as SampledData, and its strip as a DocumentReference carrying the PNG itself
(the receiving EHR cannot fetch our URLs), both listed in the section that lists the studies.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from sqlalchemy.orm import Session

from clinscribe.db.models import ImagingInstance, ImagingStudy, Note, Waveform
from clinscribe.fhir.core import waveforms as mapping
from clinscribe.fhir.core.ids import JsonDict, identifier_query, keyed
from clinscribe.security.scoping import owned_by
from clinscribe.storage.blobs import BlobStore
from clinscribe.waveforms import service as waveforms


def _of_studies(session: Session, note: Note, studies: Sequence[ImagingStudy]) -> list[Waveform]:
    instances = (
        owned_by(ImagingInstance, note.tenant_id)
        .where(ImagingInstance.study_id.in_([s.id for s in studies]))
        .with_only_columns(ImagingInstance.id)
    )
    return list(
        session.scalars(
            owned_by(Waveform, note.tenant_id)
            .where(Waveform.imaging_instance_id.in_(instances))
            .order_by(Waveform.created_at, Waveform.id)
        )
    )


def _entry(resource: JsonDict, full_url: str, identifier: JsonDict) -> JsonDict:
    resource.pop("id", None)
    resource["identifier"] = [identifier]
    kind = resource["resourceType"]
    return {
        "fullUrl": full_url,
        "resource": resource,
        "request": {"method": "POST", "url": kind, "ifNoneExist": identifier_query(identifier)},
    }


def add_waveforms(
    session: Session,
    note: Note,
    version: int,
    studies: Sequence[ImagingStudy],
    bundle: JsonDict,
    blobs: BlobStore,
) -> JsonDict:
    rows = _of_studies(session, note, studies) if studies else []
    if not rows:
        return bundle
    entries = bundle["entry"]
    composition = next(
        e["resource"] for e in entries if e["resource"]["resourceType"] == "Composition"
    )
    refs = []
    for row in rows:
        facts = mapping.WaveformFacts(
            id=row.id,
            patient_id=row.patient_id,
            leads=tuple(row.leads),
            sampling_rate=row.sampling_rate,
            effective=row.acquired_at or row.created_at,
            signals=waveforms.recording_of(row, blobs).signals,
        )
        observation = mapping.observation(facts)
        observation["subject"] = composition["subject"]
        obs_key = keyed(note.id, version, f"Observation/ecg/{row.id}")
        strip = mapping.strip_reference(facts, "")
        strip["subject"] = composition["subject"]
        strip["context"] = {"related": [{"reference": obs_key.full_url}]}
        with blobs.open(row.png_key) as handle:
            png = handle.read()
        strip["content"][0]["attachment"] = {
            "contentType": "image/png",
            "title": "ECG strip",
            "data": base64.b64encode(png).decode("ascii"),
        }
        strip_key = keyed(note.id, version, f"DocumentReference/ecg/{row.id}")
        entries.append(_entry(observation, obs_key.full_url, obs_key.identifier))
        entries.append(_entry(strip, strip_key.full_url, strip_key.identifier))
        refs += [obs_key.full_url, strip_key.full_url]
    # The section that lists the studies (results, or the added imaging section) lists these.
    study_urls = {e["fullUrl"] for e in entries if e["resource"]["resourceType"] == "ImagingStudy"}
    section = next(
        (
            s
            for s in composition.get("section", [])
            if any(r.get("reference") in study_urls for r in s.get("entry", []))
        ),
        None,
    )
    if section is not None:
        section.setdefault("entry", []).extend({"reference": url} for url in refs)
    return bundle
