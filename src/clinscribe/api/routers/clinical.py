"""The patient's clinical record: one set of routes per resource under /patients/{id}/...

`GET` lists (paged) and reads, `POST` creates, `PATCH` edits the version named by `If-Match`
(or the body's `version`; a stale one is 409), and `accept` / `reject` / `entered-in-error`
record a clinician's decision. Every response of one entry carries its version as the `ETag`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response, status
from pydantic import BaseModel

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, Limit, Offset, SessionDep
from clinscribe.api.errors import ERROR_RESPONSES, error_responses
from clinscribe.clinical import service
from clinscribe.clinical.schemas import CREATE, READ, UPDATE, DecisionIn, State
from clinscribe.db.models import ClinicalObservation
from clinscribe.db.pagination import Page, page_of
from clinscribe.errors import Unprocessable

router = APIRouter(
    prefix=f"{API_PREFIX}/patients/{{patient_id}}",
    tags=["clinical record"],
    responses={**ERROR_RESPONSES, **error_responses(428)},
)

SEGMENTS = {
    "observation": "observations",
    "medication": "medications",
    "order": "orders",
    "allergy": "allergies",
    "condition": "conditions",
    "care_plan": "care-plans",
    "consent": "consents",
}
States = Annotated[
    list[State] | None,
    Query(description="Lifecycle states to list (default: proposed and active)."),
]
DEFAULT_STATES = ("proposed", "active")
IfMatch = Annotated[str | None, Header(description='The version edited, e.g. "3".')]
DecisionBody = Annotated[DecisionIn | None, Body()]


def _etag(response: Response, row: Any) -> Any:
    response.headers["ETag"] = f'"{row.version}"'
    return row


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise Unprocessable('If-Match: must name a version, e.g. "3"')
    return int(raw)


def _with_body(fn: Callable[..., Any], model: type[BaseModel]) -> Callable[..., Any]:
    """Give the endpoint's `body` parameter this resource's model (FastAPI reads signatures)."""
    sig = inspect.signature(fn)
    params = [
        p.replace(annotation=model) if p.name == "body" else p for p in sig.parameters.values()
    ]
    fn.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    return fn


def _start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, tzinfo=UTC)


def _observation_filters(
    code: list[str] | None, category: list[str] | None, date_from: date | None, date_to: date | None
) -> list[Any]:
    m = ClinicalObservation
    where: list[Any] = []
    if code:
        where.append(m.code.in_(code))
    if category:
        where.append(m.category.in_(category))
    if date_from is not None:
        where.append(m.effective_at >= _start(date_from))
    if date_to is not None:  # inclusive of the whole day
        where.append(m.effective_at < _start(date_to) + timedelta(days=1))  # type: ignore[operator]
    return where


def _install(resource: str) -> None:
    seg = SEGMENTS[resource]
    read = READ[resource]
    name = resource.replace("_", " ")
    base = f"/{seg}"
    one = f"/{seg}/{{entry_id}}"

    if resource == "observation":

        def list_entries(
            patient_id: str,
            principal: CurrentPrincipal,
            session: SessionDep,
            limit: Limit = 50,
            offset: Offset = 0,
            state: States = None,
            code: Annotated[list[str] | None, Query(max_length=20)] = None,
            category: Annotated[list[str] | None, Query(max_length=20)] = None,
            date_from: Annotated[date | None, Query(description="Effective on/after.")] = None,
            date_to: Annotated[date | None, Query(description="Effective on/before.")] = None,
        ) -> dict[str, Any]:
            if date_from and date_to and date_to < date_from:
                raise Unprocessable("date_to: lies before date_from")
            rows, total = service.list_entries(
                session=session,
                principal=principal,
                resource=resource,
                patient_id=patient_id,
                states=state or DEFAULT_STATES,
                limit=limit,
                offset=offset,
                where=_observation_filters(code, category, date_from, date_to),
                order=(ClinicalObservation.effective_at.desc(),),
            )
            return page_of(rows, total, limit, offset)

    else:

        def list_entries(  # type: ignore[misc]
            patient_id: str,
            principal: CurrentPrincipal,
            session: SessionDep,
            limit: Limit = 50,
            offset: Offset = 0,
            state: States = None,
        ) -> dict[str, Any]:
            rows, total = service.list_entries(
                session=session,
                principal=principal,
                resource=resource,
                patient_id=patient_id,
                states=state or DEFAULT_STATES,
                limit=limit,
                offset=offset,
            )
            return page_of(rows, total, limit, offset)

    def create_entry(
        patient_id: str,
        body: BaseModel,
        principal: CurrentPrincipal,
        session: SessionDep,
        response: Response,
    ) -> Any:
        row = service.create_entry(
            session=session,
            principal=principal,
            resource=resource,
            patient_id=patient_id,
            data=body.model_dump(mode="python"),
        )
        response.headers["Location"] = f"{API_PREFIX}/patients/{patient_id}/{seg}/{row.id}"
        return _etag(response, row)

    def get_entry(
        patient_id: str,
        entry_id: str,
        principal: CurrentPrincipal,
        session: SessionDep,
        response: Response,
    ) -> Any:
        row = service.get_entry(
            session=session,
            principal=principal,
            resource=resource,
            patient_id=patient_id,
            entry_id=entry_id,
        )
        return _etag(response, row)

    def update_entry(
        patient_id: str,
        entry_id: str,
        body: BaseModel,
        principal: CurrentPrincipal,
        session: SessionDep,
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        data = body.model_dump(exclude_unset=True, mode="python")
        version = data.pop("version", None)
        reason = data.pop("reason", None)
        expected = _if_match(if_match)
        if expected is not None and version is not None and expected != version:
            raise Unprocessable("If-Match and the body's version disagree")
        row = service.update_entry(
            session=session,
            principal=principal,
            resource=resource,
            patient_id=patient_id,
            entry_id=entry_id,
            data=data,
            version=expected if expected is not None else version,
            reason=reason,
        )
        return _etag(response, row)

    def decider(decision: service.Decision) -> Callable[..., Any]:
        def decide(
            patient_id: str,
            entry_id: str,
            principal: CurrentPrincipal,
            session: SessionDep,
            response: Response,
            body: DecisionBody = None,
            if_match: IfMatch = None,
        ) -> Any:
            row = service.decide(
                session=session,
                principal=principal,
                resource=resource,
                patient_id=patient_id,
                entry_id=entry_id,
                decision=decision,
                reason=body.reason if body else None,
                version=_if_match(if_match),
            )
            return _etag(response, row)

        decide.__name__ = f"{decision.replace('-', '_')}_{resource}"
        return decide

    list_entries.__name__ = f"list_{seg.replace('-', '_')}"
    create_entry.__name__ = f"create_{resource}"
    get_entry.__name__ = f"get_{resource}"
    update_entry.__name__ = f"update_{resource}"
    page = Page[read]  # type: ignore[valid-type]
    router.add_api_route(base, list_entries, methods=["GET"], response_model=page)
    router.add_api_route(
        base,
        _with_body(create_entry, CREATE[resource]),
        methods=["POST"],
        response_model=read,
        status_code=status.HTTP_201_CREATED,
        summary=f"Record a {name}",
    )
    router.add_api_route(one, get_entry, methods=["GET"], response_model=read)
    router.add_api_route(
        one,
        _with_body(update_entry, UPDATE[resource]),
        methods=["PATCH"],
        response_model=read,
        summary=f"Edit a {name} (versioned)",
    )
    for decision in ("accept", "reject", "entered-in-error"):
        router.add_api_route(
            f"{one}/{decision}",
            decider(decision),
            methods=["POST"],
            response_model=read,
        )


for _resource in SEGMENTS:
    _install(_resource)
