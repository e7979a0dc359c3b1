"""Programmatic Alembic: `clinscribe db upgrade` and test set-up share this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from clinscribe.db.session import get_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on '%' in passwords.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def revision(url: str, message: str) -> None:
    """Autogenerate a revision (developer helper)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)


def current(url: str) -> str | None:
    """The database's revision, or None when it was never migrated."""
    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
