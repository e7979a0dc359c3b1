"""The `clinscribe` command line: --help everywhere; bad input exits non-zero with one line."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from clinscribe import __version__
from clinscribe.config import Settings, get_settings
from clinscribe.errors import ClinscribeError, ConfigError
from clinscribe.security import crypto

json_option = click.option("--json", "as_json", is_flag=True, help="Write JSON to stdout.")


class CliError(ClinscribeError):
    """A one-line error for the user; exit code 1 (printed by `main`, like every error)."""

    status_code = 400
    code = "cli_error"


def _emit(value: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(value, default=str) if as_json else text)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def _settings() -> Settings:
    try:
        settings = get_settings()
    except ValidationError as exc:
        # Name the variable, never echo its value: it may be a key or a password.
        err = exc.errors()[0]
        name = "CLINSCRIBE_" + "_".join(str(p) for p in err["loc"]).upper()
        raise ConfigError(f"{name}: {err['msg']}") from None
    crypto.install(settings)
    return settings


@click.group(help="Clinscribe: speech to reviewed, coded clinical notes.")
@click.version_option(__version__, prog_name="clinscribe")
def cli() -> None:
    pass


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, type=click.IntRange(1, 65535), show_default=True)
@click.option(
    "--migrate/--no-migrate",
    default=True,
    help="Apply migrations first when on the embedded SQLite database.",
)
def serve(host: str, port: int, migrate: bool) -> None:
    """Run the API and web UI."""
    import uvicorn

    from clinscribe.api.app import create_app

    settings = _settings()
    if migrate and settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        _upgrade(settings, "head")
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)


@cli.command()
@click.option("--threads", default=2, type=click.IntRange(1, 64), show_default=True)
def worker(threads: int) -> None:
    """Run job workers against the configured broker until SIGTERM/SIGINT."""
    from clinscribe.jobs.broker import InProcessWorker, check_broker
    from clinscribe.jobs.runtime import Sweeper
    from clinscribe.observability.logging import configure_logging
    from clinscribe.retention.schedule import purge_timer
    from clinscribe.tasks import setup_jobs as setup

    settings = _settings()
    if settings.broker == "inprocess":
        raise CliError("no external broker configured (set CLINSCRIBE_BROKER=rabbitmq or redis)")
    configure_logging(settings.log_level, settings.log_json)
    check_broker(settings)
    runtime = setup(settings)
    runner = InProcessWorker(runtime.broker, threads=threads)
    # Every worker also sweeps: pending jobs are re-sent at start-up and stuck ones re-queued.
    sweeper = Sweeper(runtime, interval=max(1.0, settings.job_stale_seconds / 2))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    purges = purge_timer(settings)
    runner.start()
    sweeper.start()
    if purges is not None:
        purges.start()
    click.echo(f"worker running on {settings.broker} with {threads} threads", err=True)
    stop.wait()
    if purges is not None:
        purges.stop()
    sweeper.stop()
    runner.stop()


def _read_text(source: str) -> str:
    """FILE or '-' (stdin), as UTF-8."""
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except FileNotFoundError:
        raise CliError(f"no such file: {source}") from None
    except IsADirectoryError:
        raise CliError(f"{source} is a directory") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{source} is not UTF-8 text") from None
    if not text.strip():
        raise CliError(f"{source} is empty")
    return text


@cli.command()
@click.argument("source", default="-", metavar="[FILE|-]")
@json_option
def extract(source: str, as_json: bool) -> None:
    """Clinical entities, traits, medication attributes, codes and vitals in a text."""
    from clinscribe.nlp import core as nlp

    result = nlp.extract(_read_text(source))  # an NlpInputError is printed by main()
    if as_json:
        click.echo(result.model_dump_json())
        return
    for entity in result.entities:
        traits = ",".join(entity.traits)
        codes = " ".join(c.code for c in entity.codes[:1])
        click.echo(f"{entity.category:<25} {entity.text:<30} {traits:<24} {codes}")
    for vital in result.vitals:
        click.echo(f"{'VITAL':<25} {vital.model_dump_json(exclude_none=True)}")


@cli.command()
@click.argument("source", default="-", metavar="[FILE|-]")
@click.option(
    "--mode",
    type=click.Choice(["redact", "mask", "surrogate"]),
    default="redact",
    show_default=True,
)
@json_option
def deid(source: str, mode: str, as_json: bool) -> None:
    """De-identify text (HIPAA Safe Harbor identifiers); prints the redacted text."""
    from clinscribe.nlp import core as nlp

    result = nlp.deidentify(_read_text(source), mode)  # type: ignore[arg-type]
    if as_json:
        click.echo(result.model_dump_json())
    else:
        click.echo(result.text)


@cli.command()
@click.argument("audio_files", nargs=-1, required=True, metavar="AUDIO...")
@click.option(
    "--mode",
    type=click.Choice(["dictation", "conversation"]),
    default="dictation",
    show_default=True,
)
@json_option
def transcribe(audio_files: tuple[str, ...], mode: str, as_json: bool) -> None:
    """Transcribe audio files offline (wav, mp3, m4a/aac, ogg/opus, webm, flac)."""
    from clinscribe.asr.core.schemas import TranscribeOptions
    from clinscribe.asr.engines import asr_engine
    from clinscribe.audio import decode as audio

    settings = _settings()
    for name in audio_files:
        if not Path(name).is_file():
            raise CliError(f"no such file: {name}")
    decoded = []
    for name in audio_files:
        try:
            decoded.append(
                audio.decode_audio(
                    name,
                    max_seconds=settings.max_audio_seconds,
                    max_bytes=settings.max_upload_bytes,
                )
            )
        except audio.AudioError as exc:
            raise CliError(f"{name}: {exc.message}") from None
    engine = asr_engine(settings)
    options = TranscribeOptions(mode=mode, beam_size=settings.asr_beam_size)
    if sys.stderr.isatty() and not as_json:
        with click.progressbar(decoded, label="transcribing", file=sys.stderr) as bar:
            results = [engine.transcribe(item, options=options) for item in bar]
    else:
        results = [engine.transcribe(item, options=options) for item in decoded]
    if as_json:
        dumped = [r.model_dump(mode="json") for r in results]
        click.echo(json.dumps(dumped[0] if len(dumped) == 1 else dumped))
        return
    for name, result in zip(audio_files, results, strict=True):
        if len(results) > 1:
            click.echo(f"== {name}")
        click.echo(result.text)


AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".webm", ".flac", ".mp4"}


@cli.command()
@click.argument("source", metavar="INPUT")
@click.option("--template", default="soap", show_default=True, help="Template key.")
@click.option(
    "--mode",
    type=click.Choice(["dictation", "conversation"]),
    default=None,
    help="For audio: how to transcribe (text is detected from its turns).",
)
@click.option(
    "--fhir",
    "fhir_out",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Also write the FHIR R4 transaction Bundle (a preliminary document) to this file.",
)
@click.option("--mrn", default="UNKNOWN", show_default=True, help="Patient MRN for --fhir.")
@json_option
def note(
    source: str, template: str, mode: str | None, fhir_out: str | None, mrn: str, as_json: bool
) -> None:
    """Draft a note from an audio file or a text file (dictation or dialogue)."""
    from clinscribe.asr.core.text import transcript_from_text
    from clinscribe.notes import core as notes

    try:
        chosen = notes.get_template(template)
    except notes.UnknownTemplateError:
        known = ", ".join(t.key for t in notes.builtin_templates())
        raise CliError(f"unknown template {template!r} (built-in: {known})") from None
    path = Path(source)
    if source != "-" and path.suffix.lower() in AUDIO_SUFFIXES:
        transcript = _transcribe_one(path, mode or "dictation")
    else:
        transcript = transcript_from_text(_read_text(source))
    drafted = notes.draft_note(transcript, chosen)  # a NotesError is printed by main()
    if fhir_out:
        _write_bundle(drafted, fhir_out, mrn)
    click.echo(drafted.model_dump_json() if as_json else drafted.text)


def _write_bundle(drafted: Any, out: str, mrn: str) -> None:
    import hashlib
    import uuid
    from datetime import UTC, datetime

    from clinscribe.fhir import core as fhir

    note_id = str(uuid.uuid4())
    signed = fhir.SignedNote(
        note_id=note_id,
        version=1,
        template=drafted.template,
        status="preliminary",
        sections=[fhir.Section(key=s.key, title=s.title, text=s.text) for s in drafted.sections],
        text=drafted.text,
        entities=[e.model_dump() for e in drafted.entities],
        vitals=[v.model_dump() for v in drafted.vitals],
        patient=fhir.Identifier(system="urn:clinscribe:mrn", value=mrn),
        encounter=fhir.Identifier(system="urn:clinscribe:encounter", value=note_id),
        author=fhir.Clinician(id="cli", name="Clinscribe command line"),
        signed_at=datetime.now(UTC),
        content_sha256=hashlib.sha256(drafted.text.encode()).hexdigest(),
    )
    try:
        bundle = fhir.build_bundle(signed)
        fhir.validate_bundle(bundle)
    except fhir.FhirError as exc:
        raise CliError(f"cannot build the FHIR Bundle: {exc}") from None
    try:
        Path(out).write_text(json.dumps(bundle, indent=2))
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror}") from None


def _transcribe_one(path: Path, mode: str) -> Any:
    from clinscribe.asr.core.schemas import TranscribeOptions
    from clinscribe.asr.engines import asr_engine
    from clinscribe.audio import decode as audio

    settings = _settings()
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    try:
        decoded = audio.decode_audio(
            path, max_seconds=settings.max_audio_seconds, max_bytes=settings.max_upload_bytes
        )
    except audio.AudioError as exc:
        raise CliError(f"{path}: {exc.message}") from None
    options = TranscribeOptions(mode=mode, beam_size=settings.asr_beam_size)
    return asr_engine(settings).transcribe(decoded, options=options)


@cli.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    settings = _settings()
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    _upgrade(settings, revision)
    click.echo(f"database at {revision}", err=True)


# The revision from which identifiers, transcripts and notes are stored encrypted.
ENCRYPTION_REVISION = "0010"


def _upgrade(settings: Settings, revision: str) -> None:
    """Migrate; when this crosses into encryption at rest, seal what was stored before."""
    from clinscribe.db import migrate
    from clinscribe.maintenance import rotation

    url = settings.resolved_database_url
    before = migrate.current(url)
    migrate.upgrade(url, revision)
    after = migrate.current(url)
    if before is not None and before < ENCRYPTION_REVISION <= (after or ""):
        report = rotation.rotate(settings)
        click.echo(
            f"sealed {report.as_dict()['resealed']} values stored before encryption", err=True
        )


@cli.group()
def admin() -> None:
    """Tenants, users, API keys, tokens and the audit chain."""


@admin.command("create-tenant")
@click.argument("name")
@json_option
def create_tenant(name: str, as_json: bool) -> None:
    """Create a tenant named NAME; prints its id."""
    from clinscribe.accounts import service
    from clinscribe.db.session import session_scope

    with session_scope(_settings().resolved_database_url) as session:
        tenant = service.create_tenant(session=session, name=name)
        result = {"id": tenant.id, "name": tenant.name}
    _emit(result, as_json, result["id"])


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
    from clinscribe.accounts import service
    from clinscribe.accounts.schemas import UserCreate
    from clinscribe.db.session import session_scope

    try:
        data = UserCreate.model_validate(
            {"email": email, "role": role, "password": password, "full_name": full_name}
        )
    except ValidationError as exc:
        raise CliError(_first_error(exc)) from None
    with session_scope(_settings().resolved_database_url) as session:
        user = service.create_user(session=session, tenant_id=tenant, data=data)
        result = {"id": user.id, "email": user.email, "role": user.role, "tenant_id": tenant}
    _emit(result, as_json, result["id"])


@admin.command("create-api-key")
@click.option("--tenant", required=True, help="Tenant id.")
@click.option("--name", required=True, help="A label for the key.")
@click.option(
    "--scopes", default="read", show_default=True, help="Comma-separated: read,write,admin"
)
@json_option
def create_api_key(tenant: str, name: str, scopes: str, as_json: bool) -> None:
    """Create an API key; prints the key once (only its HMAC is stored)."""
    from clinscribe.accounts import service
    from clinscribe.accounts.schemas import ApiKeyCreate
    from clinscribe.db.session import session_scope

    try:
        data = ApiKeyCreate.model_validate(
            {"name": name, "scopes": [s.strip() for s in scopes.split(",") if s.strip()]}
        )
    except ValidationError as exc:
        raise CliError(_first_error(exc) + " (scopes are read, write, admin)") from None
    settings = _settings()
    with session_scope(settings.resolved_database_url) as session:
        row, key = service.create_api_key(
            session=session, settings=settings, tenant_id=tenant, data=data
        )
        result = {"id": row.id, "key": key, "scopes": row.scopes.split(","), "tenant_id": tenant}
    _emit(result, as_json, key)


@admin.command("token")
@click.option("--email", required=True, help="The user's email.")
@json_option
def token(email: str, as_json: bool) -> None:
    """Print a bearer access token for a user."""
    from clinscribe.accounts import auth, service
    from clinscribe.audit import service as audit
    from clinscribe.db.session import session_scope

    settings = _settings()
    with session_scope(settings.resolved_database_url) as session:
        user = service.find_user_by_email(session=session, email=email)
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
    _emit(result, as_json, access)


@admin.command("dlq")
@click.option("--replay", "replay_id", default=None, help="Job id of a dead letter to send again.")
@json_option
def dlq(replay_id: str | None, as_json: bool) -> None:
    """List dead-lettered jobs (all tenants), or replay one."""
    from clinscribe.db.session import session_scope
    from clinscribe.fhir import service as delivery
    from clinscribe.tasks import setup_jobs as setup

    settings = _settings()
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
    settings = _settings()
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
    from clinscribe.maintenance import backup as service

    manifest = service.create(_settings(), Path(out))
    summary = {"file": out, "counts": manifest["counts"], "files": len(manifest["files"])}
    _emit(summary, as_json, f"backed up {summary['files']} files to {out}")


@admin.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False))
@json_option
def restore(archive: str, as_json: bool) -> None:
    """Restore a backup into the (empty) data dir, then verify files and the audit chain."""
    from clinscribe.audit import service as audit
    from clinscribe.db.session import session_scope
    from clinscribe.maintenance import backup as service

    settings = _settings()
    manifest = service.restore(Path(archive), settings.data_dir)
    with session_scope(settings.resolved_database_url) as session:
        chain = audit.verify(session)
    if not chain.ok:
        raise CliError(f"restored, but the audit chain is broken: {chain.problem}")
    summary = {"counts": manifest["counts"], "audit_rows_verified": chain.checked}
    _emit(summary, as_json, f"restored {len(manifest['files'])} files; audit chain intact")


@admin.command("purge")
@click.option("--dry-run", is_flag=True, help="Report what is due; export and delete nothing.")
@click.option("--tenant", "tenant_id", default=None, help="Only this tenant (id).")
@click.option("--export-dir", default=None, help="Where run directories go [data dir/exports].")
@json_option
def purge(dry_run: bool, tenant_id: str | None, export_dir: str | None, as_json: bool) -> None:
    """Export, then delete, encounters older than their tenant's retention period."""
    from clinscribe.retention import commands

    summary, line = commands.run(
        _settings(), tenant_id=tenant_id, dry_run=dry_run, export_dir=export_dir
    )
    _emit(summary, as_json, line)


@admin.command("rotate-keys")
@click.option("--batch-size", default=200, type=click.IntRange(1, 100_000), show_default=True)
@json_option
def rotate_keys(batch_size: int, as_json: bool) -> None:
    """Re-encrypt every field, secret and audio blob under the first configured key."""
    from clinscribe.maintenance import rotation

    def progress(table: str, done: rotation.TableProgress) -> None:
        click.echo(
            f"{table}: {done.checked}/{done.total} checked, {done.resealed} re-encrypted",
            err=True,
        )

    report = rotation.rotate(_settings(), batch_size=batch_size, progress=progress)
    summary = report.as_dict()
    _emit(
        summary,
        as_json,
        f"re-encrypted {summary['resealed']} values under key {report.primary_key}",
    )


@admin.command("verify-audit")
@json_option
def verify_audit(as_json: bool) -> None:
    """Exit 0 when the audit chain is intact; else exit 1 naming the first bad row."""
    from clinscribe.audit import service as audit
    from clinscribe.db.session import session_scope

    with session_scope(_settings().resolved_database_url) as session:
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


def _one_line(message: str) -> str:
    return " ".join(message.split())


def main(argv: list[str] | None = None) -> int:
    """Entry point: every usage, configuration or domain error becomes one line on stderr."""

    def fail(message: str, code: int) -> int:
        click.echo(f"clinscribe: error: {_one_line(message)}", err=True)
        return code

    try:
        cli.main(args=argv, prog_name="clinscribe", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "")
        return 0
    except click.UsageError as exc:
        return fail(exc.format_message(), 2)
    except click.ClickException as exc:
        return fail(exc.format_message(), exc.exit_code)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        return fail("aborted", 130)
    except ConfigError as exc:
        return fail(exc.message, 2)
    except ClinscribeError as exc:
        return fail(exc.message, 1)
    except OSError as exc:
        return fail(str(exc.strerror or exc), 1)
    except DBAPIError as exc:
        text = str(exc.orig)
        if "no such table" in text or ("does not exist" in text and "relation" in text):
            return fail("the database is not migrated; run `clinscribe db upgrade`", 1)
        return fail(f"database unavailable ({type(exc.orig).__name__})", 1)
    return 0
