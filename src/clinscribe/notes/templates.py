"""Templates: the built-in ones from `notes`, plus tenant-defined ones stored per tenant."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.db.models import NoteTemplate
from clinscribe.errors import Conflict
from clinscribe.notes import core as notes
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import readable


def _tenant_rows(session: Session, principal: Principal) -> list[NoteTemplate]:
    return list(
        session.execute(readable(NoteTemplate, principal).order_by(NoteTemplate.key)).scalars()
    )


def _row(session: Session, principal: Principal, key: str) -> NoteTemplate | None:
    """The tenant's own template with this key, if any."""
    return session.execute(
        readable(NoteTemplate, principal).where(NoteTemplate.key == key)
    ).scalar_one_or_none()


def _from_row(row: NoteTemplate) -> notes.Template:
    return notes.validate_template(json.loads(row.definition_json))


def list_templates(*, session: Session, principal: Principal) -> list[notes.Template]:
    """Built-in templates, then the tenant's own (a tenant key may not shadow a built-in)."""
    principal.require("encounters:read")
    return notes.builtin_templates() + [_from_row(r) for r in _tenant_rows(session, principal)]


def get_template(*, session: Session, principal: Principal, key: str) -> notes.Template:
    principal.require("encounters:read")
    return resolve(session=session, principal=principal, key=key)


def resolve(*, session: Session, principal: Principal, key: str) -> notes.Template:
    """A built-in template, else the caller's tenant's own with this key."""
    try:
        return notes.get_template(key)
    except notes.UnknownTemplateError:
        pass
    row = _row(session, principal, key)
    if row is None:
        raise notes.UnknownTemplateError(f"no template {key!r}")
    return _from_row(row)


def create_template(
    *, session: Session, principal: Principal, data: dict[str, Any]
) -> notes.Template:
    """Validate and store a tenant template (admins)."""
    principal.require("tenant:write")
    template = notes.validate_template({**data, "builtin": False})  # or TemplateValidationError
    if any(t.key == template.key for t in notes.builtin_templates()):
        raise Conflict(f"{template.key!r} is a built-in template")
    if _row(session, principal, template.key) is not None:
        raise Conflict(f"template {template.key!r} already exists")
    row = NoteTemplate(
        tenant_id=principal.tenant_id,
        key=template.key,
        title=template.title,
        definition_json=template.model_dump_json(),
        created_by=principal.actor_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="template.create",
        principal=principal,
        object_type="template",
        object_id=row.id,
    )
    return template


def _own_row(session: Session, principal: Principal, key: str) -> NoteTemplate:
    row = _row(session, principal, key)
    if row is None:
        if any(t.key == key for t in notes.builtin_templates()):
            raise Conflict(f"{key!r} is a built-in template and cannot be changed")
        raise notes.UnknownTemplateError(f"no template {key!r}")
    return row


def update_template(
    *, session: Session, principal: Principal, key: str, data: dict[str, Any]
) -> notes.Template:
    """Replace a tenant template's definition (its key stays)."""
    principal.require("tenant:write")
    row = _own_row(session, principal, key)
    template = notes.validate_template({**data, "key": key, "builtin": False})
    row.title = template.title
    row.definition_json = template.model_dump_json()
    audit.record(
        session,
        action="template.update",
        principal=principal,
        object_type="template",
        object_id=row.id,
    )
    return template


def delete_template(*, session: Session, principal: Principal, key: str) -> None:
    principal.require("tenant:write")
    row = _own_row(session, principal, key)
    session.delete(row)
    audit.record(
        session,
        action="template.delete",
        principal=principal,
        object_type="template",
        object_id=row.id,
    )
