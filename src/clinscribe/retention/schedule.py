"""Scheduled purges: the worker runs `admin purge` itself when `retention_purge_hours` is set.

The first run is at start-up, so a node restarted more often than the interval still purges.
Several workers may run it at once: the purge locks the rows it exports and deletes, and a run
that finds nothing due writes no export.
"""

from __future__ import annotations

import structlog

from clinscribe.config import Settings
from clinscribe.jobs.periodic import Periodic
from clinscribe.retention import commands

log = structlog.get_logger(__name__)


def purge_timer(settings: Settings) -> Periodic | None:
    """The purge schedule for this process, or None when purging is left to operators."""
    if not settings.retention_purge_hours:
        return None
    export_dir = str(settings.retention_export_dir) if settings.retention_export_dir else None

    def run() -> None:
        _, line = commands.run(settings, tenant_id=None, dry_run=False, export_dir=export_dir)
        # Counts and the export folder only: nothing that names a patient.
        log.info("retention.scheduled_purge", summary=line)

    return Periodic("retention_purge", run, settings.retention_purge_hours * 3600)
