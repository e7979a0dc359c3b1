"""A throwaway database on the same server as the live one, for restoring a drill's backup."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from clinscribe.compliance.results import EvidenceError
from clinscribe.db.session import get_engine


@contextmanager
def scratch_database(
    url: str, create: Callable[[str], str], drop: Callable[[str], str], needs: str
) -> Iterator[str]:
    """A new empty database (`create(name)` / `drop(name)`: the server's statements), dropped
    afterwards; yields its URL. `needs` names the privilege a refusal points to."""
    source = make_url(url)
    name = f"{source.database}_drill_{uuid.uuid4().hex[:8]}"
    admin = get_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(create(name)))
    except Exception as exc:
        raise EvidenceError(
            f"cannot create a scratch database for the drill ({type(exc).__name__}); {needs}"
        ) from None
    scratch = source.set(database=name).render_as_string(hide_password=False)
    try:
        yield scratch
    finally:
        get_engine(scratch).dispose()
        with admin.connect() as conn:
            conn.execute(text(drop(name)))
