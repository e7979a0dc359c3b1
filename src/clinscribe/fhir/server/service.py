"""The FHIR R4 read API: read by id and search, scoped to the caller and their SMART scopes.

A credential without SMART scopes reads what its role or key may read (`patients:read`); one
with SMART scopes is limited to the types they name, and a `patient/` scope to the launch
patient. A resource outside any of that, or of another tenant, is `404` exactly like one that
does not exist. Each request is audited (type, id or the number of results; never values).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.errors import Forbidden, NotFound
from clinscribe.fhir.core.ids import JsonDict
from clinscribe.fhir.core.search import SearchRequest, parse_search
from clinscribe.fhir.server import record_sources as rec
from clinscribe.fhir.server import sources as src
from clinscribe.fhir.server import waveform_sources as wave
from clinscribe.fhir.server.imaging_source import IMAGING_STUDY
from clinscribe.fhir.server.query import IdField, criterion_clause
from clinscribe.fhir.server.sources import Context, Source
from clinscribe.security import smart
from clinscribe.security.principal import Principal
from clinscribe.storage.blobs import BlobStore

SOURCES: dict[str, tuple[Source, ...]] = {
    "Patient": (src.PATIENT,),
    "Encounter": (src.ENCOUNTER,),
    "Observation": (rec.OBSERVATION, src.LAB_OBSERVATION, wave.WAVEFORM_OBSERVATION),
    "Condition": (rec.CONDITION,),
    "MedicationStatement": (rec.MEDICATION_STATEMENT,),
    "MedicationRequest": (rec.MEDICATION_REQUEST,),
    "ServiceRequest": (rec.SERVICE_REQUEST,),
    "AllergyIntolerance": (rec.ALLERGY,),
    "CarePlan": (rec.CARE_PLAN,),
    "Consent": (rec.CONSENT,),
    "DocumentReference": (src.DOCUMENT_REFERENCE, wave.STRIP_REFERENCE),
    "Composition": (src.COMPOSITION,),
    "ImagingStudy": (IMAGING_STUDY,),
}
RESOURCE_TYPES = tuple(SOURCES)


class ScopeDenied(Forbidden):
    """The credential's SMART scopes do not grant this interaction on this resource type."""

    status_code = 403
    code = "fhir_scope_denied"


@dataclass(frozen=True)
class Access:
    """What the caller may see of one type: everything readable, or one patient's."""

    patient_id: str | None


def access(principal: Principal, resource_type: str, interaction: smart.Interaction) -> Access:
    """Check the caller may read/search this type; the patient they are limited to, if any."""
    if principal.smart_scopes is None:
        principal.require("patients:read")
        return Access(None)
    level = smart.access(principal.smart_scopes, resource_type, interaction)
    if level is None:
        raise ScopeDenied(f"no SMART scope grants {interaction} on {resource_type}")
    if level == "patient":
        if principal.patient_context is None:
            raise ScopeDenied("a patient/ scope needs a patient in the token's launch context")
        return Access(principal.patient_context)
    return Access(None)


def _scoped(source: Source, principal: Principal, limit: Access) -> Select[Any]:
    stmt = source.base(principal)
    if limit.patient_id is not None:
        stmt = stmt.where(source.patient == limit.patient_id)
    return stmt


def read(
    *,
    session: Session,
    principal: Principal,
    resource_type: str,
    resource_id: str,
    blobs: BlobStore | None = None,
) -> JsonDict:
    """One resource by id, or NotFound (missing, another tenant's, or outside the scopes)."""
    if resource_type not in SOURCES:
        raise NotFound("this resource type is not supported")
    limit = access(principal, resource_type, "read")
    ctx = Context(session, principal, blobs=blobs)
    for source in SOURCES[resource_type]:
        stmt = _scoped(source, principal, limit).where(source.id == resource_id)
        row = session.execute(stmt).scalars().first()
        if row is not None:
            _audit(session, principal, f"fhir.read.{resource_type}", resource_id)
            return source.render(ctx, row)
    raise NotFound(f"{resource_type} not found")


def _filtered(source: Source, principal: Principal, limit: Access, req: SearchRequest) -> Any:
    stmt = _scoped(source, principal, limit)
    for criterion in req.criteria:
        if criterion.name == "_id":
            field: Any = IdField(source.id)
        elif criterion.name in ("patient", "subject"):
            field = IdField(source.patient)
        else:
            field = source.fields.get(criterion.name)
            if field is None:  # a parameter of the type this table has no column for
                return None
        stmt = stmt.where(criterion_clause(field, criterion))
    return stmt


def _page(
    session: Session, stmts: Sequence[tuple[Source, Any]], offset: int, count: int
) -> tuple[int, list[tuple[Source, Any]]]:
    """Total over every table of the type, and the rows of [offset, offset + count)."""
    totals = [
        session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        for _, stmt in stmts
    ]
    rows: list[tuple[Source, Any]] = []
    skip, want = offset, count
    for (source, stmt), total in zip(stmts, totals, strict=True):
        if want <= 0:
            break
        if skip >= total:
            skip -= total
            continue
        found = session.execute(stmt.order_by(*source.order).offset(skip).limit(want)).scalars()
        batch = [(source, row) for row in found]
        rows.extend(batch)
        want -= len(batch)
        skip = 0
    return sum(totals), rows


def search(
    *,
    session: Session,
    principal: Principal,
    resource_type: str,
    params: Sequence[tuple[str, str]],
    base_url: str,
    lenient: bool = False,
    blobs: BlobStore | None = None,
) -> JsonDict:
    """A searchset Bundle: matches of this page, `_include`d patients, total and paging links."""
    if resource_type not in SOURCES:
        raise NotFound("this resource type is not supported")
    limit = access(principal, resource_type, "search")
    req = parse_search(resource_type, params, now=datetime.now(UTC), lenient=lenient)
    stmts = [
        (source, stmt)
        for source in SOURCES[resource_type]
        if (stmt := _filtered(source, principal, limit, req)) is not None
    ]
    total, rows = _page(session, stmts, req.offset, req.count)
    ctx = Context(session, principal, blobs=blobs)
    entries = [_entry(base_url, source.render(ctx, row), "match") for source, row in rows]
    if req.includes and rows:
        entries.extend(_included(ctx, rows, base_url))
    _audit(session, principal, f"fhir.search.{resource_type}", None)
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": _links(base_url, req, total),
        **({"entry": entries} if entries else {}),
    }


def _included(ctx: Context, rows: list[tuple[Source, Any]], base_url: str) -> list[JsonDict]:
    ids: list[str] = []
    for source, row in rows:
        value = getattr(row, "patient_id", None)
        if value is None:  # a note: its patient is its encounter's
            value = ctx.session.execute(
                select(source.patient).where(source.id == row.id)
            ).scalar_one()
        if value not in ids:
            ids.append(value)
    # Included patients go through the caller's own Patient access (scopes and tenancy).
    try:
        limit = access(ctx.principal, "Patient", "read")
    except Forbidden:
        return []
    stmt = _scoped(src.PATIENT, ctx.principal, limit).where(src.PATIENT.id.in_(ids))
    patients = ctx.session.execute(stmt.order_by(*src.PATIENT.order)).scalars()
    return [_entry(base_url, src.PATIENT.render(ctx, p), "include") for p in patients]


def _entry(base_url: str, resource: JsonDict, mode: str) -> JsonDict:
    return {
        "fullUrl": f"{base_url}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }


def _url(base_url: str, req: SearchRequest, offset: int) -> str:
    query = [*req.echo, ("_count", str(req.count)), ("_offset", str(offset))]
    return f"{base_url}/{req.resource_type}?{urlencode(query)}"


def _links(base_url: str, req: SearchRequest, total: int) -> list[JsonDict]:
    links = [{"relation": "self", "url": _url(base_url, req, req.offset)}]
    if req.count and req.offset + req.count < total:
        links.append({"relation": "next", "url": _url(base_url, req, req.offset + req.count)})
    if req.count and req.offset > 0:
        previous = max(0, req.offset - req.count)
        links.append({"relation": "previous", "url": _url(base_url, req, previous)})
    return links


def _audit(session: Session, principal: Principal, action: str, object_id: str | None) -> None:
    audit.record(
        session, action=action, principal=principal, object_type="fhir", object_id=object_id
    )
