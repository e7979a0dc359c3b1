"""A note's attached imaging studies in its FHIR Bundle (delivery and GET /notes/{id}/fhir)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.db.models import ImagingInstance, ImagingSeries, ImagingStudy, Note
from clinscribe.fhir import note_waveforms
from clinscribe.fhir.core import imaging as mapping
from clinscribe.fhir.core.ids import JsonDict, keyed
from clinscribe.imaging import links
from clinscribe.storage.blobs import BlobStore


def facts(session: Session, study: ImagingStudy) -> mapping.StudyFacts:
    """What the mapping needs of a study: its rows, series and instances."""
    series = session.execute(
        select(ImagingSeries)
        .where(ImagingSeries.study_id == study.id)
        .order_by(ImagingSeries.number, ImagingSeries.created_at)
    ).scalars()
    instances: dict[str, list[mapping.InstanceFacts]] = {}
    for inst in session.execute(
        select(ImagingInstance)
        .where(ImagingInstance.study_id == study.id)
        .order_by(ImagingInstance.number, ImagingInstance.created_at)
    ).scalars():
        instances.setdefault(inst.series_id, []).append(
            mapping.InstanceFacts(inst.uid, inst.sop_class_uid, inst.number)
        )
    return mapping.StudyFacts(
        id=study.id,
        uid=study.uid,
        started=study.started_at,
        description=study.description,
        modalities=[m for m in study.modalities.split(",") if m],
        series_count=study.series_count,
        instance_count=study.instance_count,
        series=[
            mapping.SeriesFacts(
                uid=s.uid,
                number=s.number,
                modality=s.modality,
                description=s.description,
                body_part=s.body_part,
                instances=instances.get(s.id, []),
            )
            for s in series
        ],
    )


def add_studies(
    session: Session, note: Note, version: int, bundle: JsonDict, blobs: BlobStore
) -> JsonDict:
    """The bundle with an ImagingStudy per attached available study, listed in the
    Composition (entries keyed by note, version and study, as every other entry is)."""
    studies = links.studies_of(session, note)
    keys = []
    for study in studies:
        k = keyed(note.id, version, f"ImagingStudy/{study.id}")
        keys.append((k.full_url, k.identifier))
    mapping.add_to_bundle(bundle, [facts(session, s) for s in studies], keys)
    return note_waveforms.add_waveforms(session, note, version, studies, bundle, blobs)
