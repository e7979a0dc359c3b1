"""`clinscribe db`: schema migrations, sealing what was stored before encryption at rest."""

from __future__ import annotations

import click

from clinscribe.cli.common import load_settings
from clinscribe.config import Settings
from clinscribe.db import migrate
from clinscribe.maintenance import rotation


@click.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    settings = load_settings()
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings, revision)
    click.echo(f"database at {revision}", err=True)


# The revision from which identifiers, transcripts and notes are stored encrypted.
ENCRYPTION_REVISION = "0010"


def upgrade_database(settings: Settings, revision: str) -> None:
    """Migrate; when this crosses into encryption at rest, seal what was stored before."""
    url = settings.resolved_database_url
    before = migrate.current(url)
    migrate.upgrade(url, revision)
    after = migrate.current(url)
    if before is not None and before < ENCRYPTION_REVISION <= (after or ""):
        report = rotation.rotate(settings)
        click.echo(
            f"sealed {report.as_dict()['resealed']} values stored before encryption", err=True
        )
