"""Signed, expiring document links: upload to one patient, or download one document.

A link is usable without a bearer token until it expires, so it carries everything needed to
act: the operation, the target (patient or document), the tenant and who issued it (their
permissions are checked again when the link is used, and they are the audited actor). The
payload is HMAC-SHA256 signed with `document_url_key`; it holds ids only, never PHI.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.errors import ClinscribeError
from clinscribe.security.principal import Principal

Operation = Literal["upload", "download"]


class LinkError(ClinscribeError):
    """A signed link that is forged, altered, expired or used for another operation."""

    status_code = 401
    code = "link_invalid"


class LinkExpired(LinkError):
    """A genuine link past its expiry: the client should ask for a new one."""

    status_code = 401
    code = "link_expired"


@dataclass(frozen=True)
class Grant:
    operation: Operation
    target_id: str
    principal: Principal


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(settings: Settings, payload: str) -> str:
    return _b64(hmac.new(settings.document_url_key(), payload.encode(), hashlib.sha256).digest())


def sign(
    settings: Settings, principal: Principal, operation: Operation, target_id: str
) -> tuple[str, datetime]:
    """A token for `operation` on `target_id`, valid for `document_url_seconds`."""
    expires = int(time.time()) + settings.document_url_seconds
    claims = {
        "op": operation,
        "sub": target_id,
        "ten": principal.tenant_id,
        "act": principal.actor_id,
        "kind": principal.kind,
        "role": principal.role,
        "uid": principal.user_id,
        "scp": sorted(principal.scopes),
        "all": principal.can_view_all_encounters,
        "exp": expires,
        "n": secrets.token_urlsafe(8),
    }
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_mac(settings, payload)}", datetime.fromtimestamp(expires, UTC)


def verify(settings: Settings, token: str, operation: Operation) -> Grant:
    """The grant a token carries, or LinkError (401) when it is not a live link for this."""
    payload, _, mac = token.partition(".")
    # Compared as bytes: compare_digest refuses non-ASCII str, and a token is whatever the
    # client put in the URL (a 500 there would also log the token).
    expected = _mac(settings, payload).encode()
    if not payload or not hmac.compare_digest(mac.encode(), expected):
        raise LinkError("this link is not valid")
    try:
        claims = json.loads(_unb64(payload))
    except ValueError as exc:
        raise LinkError("this link is not valid") from exc
    if claims.get("op") != operation:
        raise LinkError("this link is for another operation")
    if int(claims["exp"]) < time.time():
        raise LinkExpired("this link has expired; ask for a new one")
    principal = Principal(
        kind=claims["kind"],
        tenant_id=claims["ten"],
        actor_id=claims["act"],
        role=claims["role"],
        scopes=frozenset(claims["scp"]),
        user_id=claims["uid"],
        can_view_all_encounters=bool(claims["all"]),
    )
    return Grant(operation=operation, target_id=str(claims["sub"]), principal=principal)


def issue(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    operation: Operation,
    target_id: str,
) -> tuple[str, datetime]:
    """Sign a link and audit who asked for it (the caller checked the target is theirs)."""
    token, expires = sign(settings, principal, operation, target_id)
    audit.record(
        session,
        action=f"document.{operation}_url",
        principal=principal,
        object_type="patient" if operation == "upload" else "document",
        object_id=target_id,
    )
    return token, expires
