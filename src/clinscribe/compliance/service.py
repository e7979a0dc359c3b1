"""Security controls for the API and the command line."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

# Importing the check modules registers their controls.
from clinscribe.compliance import checks, checks_config  # noqa: F401
from clinscribe.compliance.controls import Report, evaluate
from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from clinscribe.security.principal import Principal


def controls_report(
    *, session: Session, principal: Principal, settings: Settings
) -> dict[str, Any]:
    """The controls report (administrators); it covers the whole installation, every tenant."""
    principal.require("controls:read")
    return evaluate(settings, session).as_dict()


def validate(settings: Settings) -> Report:
    """The controls report for `clinscribe admin validate-controls`."""
    with session_scope(settings.resolved_database_url) as session:
        return evaluate(settings, session)
