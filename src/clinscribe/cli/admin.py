"""`clinscribe admin`: tenants, users, API keys, tokens, the audit chain and operator tasks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from clinscribe.accounts import allowlist, auth
from clinscribe.accounts import service as accounts
from clinscribe.accounts.schemas import ApiKeyCreate, UserCreate
from clinscribe.audit import service as audit
from clinscribe.cli.common import CliError, emit, json_option, load_settings
from clinscribe.db.session import session_scope
from clinscribe.fhir import service as delivery
from clinscribe.maintenance import backup as backups
from clinscribe.maintenance import rotation
from clinscribe.retention import commands
from clinscribe.security import crypto
from clinscribe.storage import migrate as blob_migration
from clinscribe.storage.blobs import LocalBlobStore
from clinscribe.storage.select import s3_store
from clinscribe.tasks import setup_jobs as setup


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


@click.group()
def admin() -> None:
    """Tenants, users, API keys, tokens and the audit chain."""


@admin.command("create-tenant")
@click.argument("name")
@json_option
def create_tenant(name: str, as_json: bool) -> None:
    """Create a tenant named NAME; prints its id."""
    with session_scope(load_settings().resolved_database_url) as session:
        tenant = accounts.create_tenant(session=session, name=name)
        result = {"id": tenant.id, "name": tenant.name}
    emit(result, as_json, result["id"])


@admin.command("create-user")
@click.option("--tenant", required=True, help="Tenant id.")
@click.option("--email", required=True, help="Sign-in email.")
@click.option("--role", required=True, type=click.Choice(["clinician", "reviewer", "admin"]))
@click.option("--password", default=None, help="Password (12+ characters).")
@click.option("--full-name", default=None, help="Display name.")
@json_option
def create_user(
    tenant: str, email: str, role: str, password: str | None, full_name: str | None, as_json: bool
) -> None:
    """Create a user; prints the user id."""
    try:
        data = UserCreate.model_validate(
            {"email": email, "role": role, "password": password, "full_name": full_name}
        )
    except ValidationError as exc:
        raise CliError(_first_error(exc)) from None
    with session_scope(load_settings().resolved_database_url) as session:
        user = accounts.create_user(session=session, tenant_id=tenant, data=data)
        result = {"id": user.id, "email": user.email, "role": user.role, "tenant_id": tenant}
    emit(result, as_json, result["id"])


@admin.command("create-api-key")
@click.option("--tenant", required=True, help="Tenant id.")
@click.option("--name", required=True, help="A label for the key.")
@click.option(
    "--scopes",
    default="read",
    show_default=True,
    help="Comma-separated: read, write, admin, or SMART scopes for the FHIR API (system/*.read)",
)
@click.option(
    "--rate-limit",
    type=int,
    default=None,
    help="This key's own requests per minute (default: only the server-wide limit).",
)
@json_option
def create_api_key(
    tenant: str, name: str, scopes: str, rate_limit: int | None, as_json: bool
) -> None:
    """Create an API key; prints the key once (only its HMAC is stored)."""
    try:
        data = ApiKeyCreate.model_validate(
            {
                "name": name,
                "scopes": [s.strip() for s in scopes.split(",") if s.strip()],
                "rate_limit_per_minute": rate_limit,
            }
        )
    except ValidationError as exc:
        hint = (
            " (scopes are read, write, admin or SMART scopes such as system/*.read)"
            if exc.errors()[0]["loc"][0] == "scopes"
            else ""
        )
        raise CliError(_first_error(exc) + hint) from None
    settings = load_settings()
    with session_scope(settings.resolved_database_url) as session:
        row, key = accounts.create_api_key(
            session=session, settings=settings, tenant_id=tenant, data=data
        )
        result = {
            "id": row.id,
            "key": key,
            "scopes": row.scopes.split(","),
            "tenant_id": tenant,
            "rate_limit_per_minute": row.rate_limit_per_minute,
        }
    emit(result, as_json, key)


@admin.command("clear-ip-allowlist")
@click.option("--tenant", required=True, help="Tenant id.")
@json_option
def clear_ip_allowlist(tenant: str, as_json: bool) -> None:
    """Empty a tenant's IP allowlist (for admins who locked themselves out); audited."""
    with session_scope(load_settings().resolved_database_url) as session:
        held = allowlist.clear(session=session, tenant_id=tenant)
    emit({"tenant_id": tenant, "cleared": held}, as_json, f"cleared {held} networks")


@admin.command("token")
@click.option("--email", required=True, help="The user's email.")
@json_option
def token(email: str, as_json: bool) -> None:
    """Print a bearer access token for a user."""
    settings = load_settings()
    with session_scope(settings.resolved_database_url) as session:
        user = accounts.find_user_by_email(session=session, email=email)
        if user is None or not user.is_active:
            raise CliError("no active user with that email")
        access = auth.issue_access_token(settings=settings, user=user)
        audit.record(
            session,
            action="auth.token_issued",
            actor_type="operator",
            tenant_id=user.tenant_id,
            object_type="user",
            object_id=user.id,
        )
    result = {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": settings.access_token_minutes * 60,
    }
    emit(result, as_json, access)


@admin.command("dlq")
@click.option("--replay", "replay_id", default=None, help="Job id of a dead letter to send again.")
@json_option
def dlq(replay_id: str | None, as_json: bool) -> None:
    """List dead-lettered jobs (all tenants), or replay one."""
    settings = load_settings()
    setup(settings)  # so a replayed job is sent once the transaction commits
    with session_scope(settings.resolved_database_url) as session:
        if replay_id:
            job = delivery.replay(session=session, principal=None, job_id=replay_id)
            result: Any = {"job_id": job.id, "status": job.status}
        else:
            result = delivery.dead_letters(session=session, principal=None)
    if as_json:
        click.echo(json.dumps(result, default=str))
    elif replay_id:
        click.echo(f"{replay_id} queued again")
    else:
        for letter in result:
            click.echo(
                f"{letter['job_id']}  {letter['kind']:<10} {letter['attempts']:>2} attempts  "
                f"{(letter['last_error'] or '')[:80]}"
            )


@admin.command("drain")
@click.option("--off", is_flag=True, help="Take new work again.")
def drain(off: bool) -> None:
    """Stop taking new work on this node (readiness fails, intake answers 503); running work
    finishes. Use before a deploy; `--off` undoes it."""
    settings = load_settings()
    if off:
        settings.drain_file.unlink(missing_ok=True)
        click.echo("taking new work", err=True)
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.drain_file.write_text("draining\n")
        click.echo("draining: new work is refused with 503", err=True)


@admin.command("backup")
@click.argument("out", type=click.Path(dir_okay=False))
@json_option
def backup(out: str, as_json: bool) -> None:
    """Back up the embedded profile (database snapshot and blobs) to OUT (.tar.gz)."""
    manifest = backups.create(load_settings(), Path(out))
    summary = {"file": out, "counts": manifest["counts"], "files": len(manifest["files"])}
    emit(summary, as_json, f"backed up {summary['files']} files to {out}")


@admin.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False))
@json_option
def restore(archive: str, as_json: bool) -> None:
    """Restore a backup into the (empty) data dir, then verify files and the audit chain."""
    settings = load_settings()
    manifest = backups.restore(Path(archive), settings.data_dir)
    with session_scope(settings.resolved_database_url) as session:
        chain = audit.verify(session)
    if not chain.ok:
        raise CliError(f"restored, but the audit chain is broken: {chain.problem}")
    summary = {"counts": manifest["counts"], "audit_rows_verified": chain.checked}
    emit(summary, as_json, f"restored {len(manifest['files'])} files; audit chain intact")


@admin.command("purge")
@click.option("--dry-run", is_flag=True, help="Report what is due; export and delete nothing.")
@click.option("--tenant", "tenant_id", default=None, help="Only this tenant (id).")
@click.option("--export-dir", default=None, help="Where run directories go [data dir/exports].")
@json_option
def purge(dry_run: bool, tenant_id: str | None, export_dir: str | None, as_json: bool) -> None:
    """Export, then delete, encounters older than their tenant's retention period."""
    summary, line = commands.run(
        load_settings(), tenant_id=tenant_id, dry_run=dry_run, export_dir=export_dir
    )
    emit(summary, as_json, line)


@admin.command("rotate-keys")
@click.option("--batch-size", default=200, type=click.IntRange(1, 100_000), show_default=True)
@json_option
def rotate_keys(batch_size: int, as_json: bool) -> None:
    """Re-encrypt every field, secret and audio blob under the first configured key."""

    def progress(table: str, done: rotation.TableProgress) -> None:
        click.echo(
            f"{table}: {done.checked}/{done.total} checked, {done.resealed} re-encrypted",
            err=True,
        )

    report = rotation.rotate(load_settings(), batch_size=batch_size, progress=progress)
    summary = report.as_dict()
    emit(
        summary,
        as_json,
        f"re-encrypted {summary['resealed']} values under key {report.primary_key}",
    )


@admin.command("verify-audit")
@json_option
def verify_audit(as_json: bool) -> None:
    """Exit 0 when the audit chain is intact; else exit 1 naming the first bad row."""
    with session_scope(load_settings().resolved_database_url) as session:
        result = audit.verify(session)
    payload = {
        "ok": result.ok,
        "checked": result.checked,
        "first_bad_row": result.first_bad_id,
        "problem": result.problem,
    }
    if as_json:
        click.echo(json.dumps(payload))
    elif result.ok:
        click.echo(f"audit chain intact ({result.checked} rows)")
    if not result.ok:
        raise CliError(result.problem or "audit chain broken")


@admin.command("migrate-blobs")
@click.option("--to", "target", required=True, help="The S3 store: s3://bucket/prefix.")
@click.option("--dry-run", is_flag=True, help="Report what would be copied; copy nothing.")
@click.option(
    "--sample",
    default=20,
    type=click.IntRange(1, 1_000_000),
    show_default=True,
    help="Also decrypt-check every Nth copied blob through the S3 store.",
)
@json_option
def migrate_blobs(target: str, dry_run: bool, sample: int, as_json: bool) -> None:
    """Copy the data dir's blobs to S3 (verified, resumable); then set CLINSCRIBE_BLOB_URL."""
    if not target.startswith("s3://"):
        raise CliError("--to must be an s3://bucket/prefix URL")
    settings = load_settings()
    ring = crypto.key_ring(settings)
    store = s3_store(settings, target, ring)
    store.check()  # a missing bucket or refused credentials: one clear line, nothing copied
    summary = blob_migration.migrate(
        LocalBlobStore(settings.blob_dir, ring), store, dry_run=dry_run, sample_every=sample
    )
    verb = "would copy" if dry_run else "copied"
    count = summary.to_copy if dry_run else summary.copied
    emit(
        summary.as_dict(),
        as_json,
        f"{summary.total} blobs: {verb} {count}, {summary.already_there} already there, "
        f"{summary.decrypt_checked} decrypt-checked, {len(summary.unsealed)} unsealed "
        f"(run rotate-keys first), {len(summary.failed)} failed verification",
    )
    if summary.failed:
        raise CliError(f"{len(summary.failed)} blobs did not verify; run the command again")
    if summary.unsealed:
        raise CliError(f"{len(summary.unsealed)} plaintext blobs were not copied; run rotate-keys")
