"""`clinscribe openemr sync --tenant ID`: import a tenant's OpenEMR patients and encounters."""

from __future__ import annotations

import click

from clinscribe.cli.common import CliError, emit, json_option, load_settings
from clinscribe.db.models import Tenant
from clinscribe.db.session import session_scope
from clinscribe.openemr import sync as openemr_sync


@click.group(help="The OpenEMR bridge.")
def openemr() -> None:
    pass


@openemr.command("sync")
@click.option("--tenant", required=True, help="Tenant id.")
@json_option
def sync(tenant: str, as_json: bool) -> None:
    """Import or refresh the tenant's OpenEMR patients and encounters (idempotent)."""
    settings = load_settings()
    with session_scope(settings.resolved_database_url) as session:
        if session.get(Tenant, tenant) is None:
            raise CliError(f"no such tenant: {tenant}")
        result = openemr_sync.sync(
            session=session, settings=settings, principal=openemr_sync.system_actor(tenant)
        )
    counts = result.as_dict()
    emit(counts, as_json, ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))
