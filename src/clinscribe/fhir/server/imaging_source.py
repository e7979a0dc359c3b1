"""ImagingStudy in the FHIR read API: a patient's available studies (held ones are not yet
part of the record), searchable by patient, `_id` and `started`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, literal

from clinscribe.db.models import ImagingStudy
from clinscribe.fhir.core import imaging as mapping
from clinscribe.fhir.core import read_resources as rr
from clinscribe.fhir.core.ids import JsonDict
from clinscribe.fhir.note_studies import facts
from clinscribe.fhir.server.query import DateField, TokenField
from clinscribe.fhir.server.sources import Context, Source
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import readable


def _render(ctx: Context, row: ImagingStudy) -> JsonDict:
    subject = rr.ref("Patient", row.patient_id)
    return rr.served(mapping.imaging_study(facts(ctx.session, row), subject), row.id)


def _available(principal: Principal) -> Select[Any]:
    return readable(ImagingStudy, principal).where(ImagingStudy.status == "available")


IMAGING_STUDY = Source(
    base=_available,
    id=ImagingStudy.id,
    patient=ImagingStudy.patient_id,
    fields={
        "started": DateField(ImagingStudy.started_at),
        "status": TokenField(literal("available"), "http://hl7.org/fhir/imagingstudy-status"),
    },
    order=(ImagingStudy.started_at.desc(), ImagingStudy.id),
    render=_render,
)
