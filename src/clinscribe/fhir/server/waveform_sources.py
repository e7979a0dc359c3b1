"""ECG waveforms in the read API: each recording as an Observation with `valueSampledData`
per lead (its samples read from the sealed signal blob), and its rendered strip as a
DocumentReference. The measurements taken from a waveform are record observations: they are
served (by `record_sources`) once a clinician accepts them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, literal

from clinscribe.db.models import Waveform
from clinscribe.fhir.core import waveforms as mapping
from clinscribe.fhir.core.codes import LOINC, OBSERVATION_CATEGORY
from clinscribe.fhir.core.ids import JsonDict
from clinscribe.fhir.server.query import DateField, TokenField
from clinscribe.fhir.server.sources import Context, Source
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import readable
from clinscribe.storage.blobs import BlobStore
from clinscribe.waveforms import service as waveforms

STRIP_URL = "/api/v1/waveforms/{id}/strip.png"
_EFFECTIVE = func.coalesce(Waveform.acquired_at, Waveform.created_at)


def _base(principal: Principal) -> Select[Any]:
    return readable(Waveform, principal)


def _facts(row: Waveform, with_signal: BlobStore | None) -> mapping.WaveformFacts:
    signals = waveforms.recording_of(row, with_signal).signals if with_signal else None
    return mapping.WaveformFacts(
        id=row.id,
        patient_id=row.patient_id,
        leads=tuple(row.leads),
        sampling_rate=row.sampling_rate,
        effective=row.acquired_at or row.created_at,
        signals=signals,
    )


def _observation(ctx: Context, row: Waveform) -> JsonDict:
    return mapping.observation(_facts(row, ctx.blobs))


def _strip(ctx: Context, row: Waveform) -> JsonDict:
    return mapping.strip_reference(_facts(row, None), STRIP_URL.format(id=row.id))


WAVEFORM_OBSERVATION = Source(
    base=_base,
    id=Waveform.id,
    patient=Waveform.patient_id,
    fields={
        "code": TokenField(literal(mapping.EKG_STUDY[0]), LOINC),
        "category": TokenField(literal("procedure"), OBSERVATION_CATEGORY),
        "date": DateField(_EFFECTIVE),
        "status": TokenField(literal("final"), "http://hl7.org/fhir/observation-status"),
    },
    order=(Waveform.created_at.desc(), Waveform.id),
    render=_observation,
)
STRIP_REFERENCE = Source(
    base=_base,
    id=Waveform.id,
    patient=Waveform.patient_id,
    fields={
        "date": DateField(_EFFECTIVE),
        "status": TokenField(literal("current"), "http://hl7.org/fhir/document-reference-status"),
        "type": TokenField(literal(mapping.EKG_STUDY[0]), LOINC),
    },
    order=(Waveform.created_at.desc(), Waveform.id),
    render=_strip,
)
