"""`clinscribe admin purge`: the purge run as an operator command (cron, a systemd timer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from clinscribe.retention import service
from clinscribe.retention.schemas import PurgeReport
from clinscribe.security import crypto
from clinscribe.storage.select import blob_store


def summary_line(report: PurgeReport) -> str:
    tenants = f"{len(report.tenants)} tenant{'s' if len(report.tenants) != 1 else ''}"
    held = f"; {report.held} held: signed note not delivered" if report.held else ""
    if report.dry_run:
        would = report.due - report.held
        return (
            f"dry run: {would} of {report.due} due encounters would be purged "
            f"({tenants}{held}); nothing exported or deleted"
        )
    if not report.purged:
        return f"nothing to purge ({tenants} checked{held})"
    return (
        f"purged {report.purged} encounters ({tenants}{held}); "
        f"exported {report.exported_files} files to {report.export_dir}"
    )


def run(
    settings: Settings, *, tenant_id: str | None, dry_run: bool, export_dir: str | None
) -> tuple[dict[str, Any], str]:
    """One purge run in one transaction; audio files go once it has committed."""
    blobs = blob_store(settings, crypto.key_ring(settings))
    root = Path(export_dir) if export_dir else settings.data_dir / "exports"
    with session_scope(settings.resolved_database_url) as session:
        report = service.purge(
            session=session, blobs=blobs, export_root=root, tenant_id=tenant_id, dry_run=dry_run
        )
    return report.summary(), summary_line(report)
