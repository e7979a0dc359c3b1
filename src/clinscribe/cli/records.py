"""Patient records on the command line: `ingest` (offline) and `admin import-records`.

`ingest` reads documents and prints their pages, lab results and letter facts without a
database or server; `import-records` loads a folder per patient into a tenant and runs each
document's extraction job in this process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from sqlalchemy import select

from clinscribe.accounts import service as accounts
from clinscribe.cli.common import CliError, emit, json_option, load_settings
from clinscribe.config import Settings, get_settings
from clinscribe.db.models import Document, Tenant
from clinscribe.db.session import session_scope
from clinscribe.documents import importer, pipeline
from clinscribe.documents.service import EXTRACT_KIND
from clinscribe.errors import ClinscribeError, ConfigError
from clinscribe.observability.logging import configure_logging
from clinscribe.security import crypto
from clinscribe.storage.select import blob_store
from clinscribe.tasks import setup_jobs


def _offline_settings() -> Settings:
    """Limits only: `ingest` needs no database, keys or data directory."""
    try:
        return get_settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "CLINSCRIBE_" + "_".join(str(p) for p in err["loc"]).upper()
        raise ConfigError(f"{name}: {err['msg']}") from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise CliError(f"{path} is a directory") from None


def _describe(name: str, result: pipeline.Extracted) -> str:
    s = result.summary()
    facts = ", ".join(f"{v} {k}" for k, v in s["facts"].items() if v) or "no facts"
    lines = [
        f"== {name}: {result.media_type}, {result.kind}, {s['pages']} page(s), "
        f"{s['labs']} lab result(s) ({s['flagged']} flagged), {facts}"
    ]
    for page in result.pages:
        lines.append(f"-- page {page.number} ({page.source}, {len(page.text)} chars)")
    for lab in result.labs:
        flag = f" [{lab.flag}]" if lab.flag else ""
        unsure = " (low confidence)" if lab.low_confidence else ""
        when = f" {lab.effective_date.isoformat()}" if lab.effective_date else ""
        lines.append(
            f"lab  {lab.analyte_printed:<28} {lab.value_printed:>8} {lab.unit or '':<10}"
            f"{flag} loinc={lab.loinc or '-'} ref={lab.ref_printed or '-'}{when}"
            f" p.{lab.page}{unsure}"
        )
    for fact in result.facts:
        lines.append(f"{fact.kind:<10} {fact.text} p.{fact.page}")
    return "\n".join(lines)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_option
def ingest(files: tuple[Path, ...], as_json: bool) -> None:
    """Extract pages, lab results and letter facts from documents (offline, no server)."""
    settings = _offline_settings()
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    for path in files:
        try:
            extracted = pipeline.run(_read(path), settings)
        except ClinscribeError as exc:
            failures.append(f"{path}: {exc.message}")
            continue
        if as_json:
            results.append({"file": str(path), **extracted.to_json()})
        else:
            click.echo(_describe(str(path), extracted))
    if as_json and results:
        emit(results, True, "")
    if failures:
        raise CliError("; ".join(failures))


def _run_jobs(settings: Settings, job_ids: list[str]) -> None:
    runtime = setup_jobs(settings)
    for job_id in job_ids:
        runtime.run(EXTRACT_KIND, job_id)


@click.command("import-records")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--tenant", default=None, help="Tenant id (default: the only tenant there is).")
@json_option
def import_records(directory: Path, tenant: str | None, as_json: bool) -> None:
    """Import a folder per patient (patient.json optional); every file becomes a document."""
    if not directory.is_dir():
        raise CliError(f"{directory} is not a directory")
    folders = sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise CliError(f"{directory} has no patient folders")
    settings = load_settings()
    # Job logs go to stderr, so stdout stays the report (and valid JSON with --json).
    configure_logging(settings.log_level, settings.log_json)
    blobs = blob_store(settings, crypto.key_ring(settings))
    url = settings.resolved_database_url
    principal = importer.importer(_tenant(url, tenant))
    outcomes: list[importer.PatientOutcome] = []
    for folder in folders:
        data = importer.patient_data(folder)
        with session_scope(url) as session:
            patient_id, created = importer.find_or_create(
                session=session, principal=principal, data=data
            )
        outcome = importer.PatientOutcome(folder.name, patient_id, created)
        for path in importer.document_files(folder):
            with session_scope(url) as session:
                outcome.files.append(
                    importer.import_file(
                        session=session,
                        settings=settings,
                        blobs=blobs,
                        principal=principal,
                        patient_id=patient_id,
                        path=path,
                    )
                )
        _run_jobs(settings, [f.job_id for f in outcome.files if f.job_id])
        outcomes.append(outcome)
    _report(url, outcomes, as_json)


def _tenant(url: str, tenant: str | None) -> str:
    """The named tenant; else the only one; else a new one for a fresh install."""
    with session_scope(url) as session:
        if tenant is not None:
            if session.get(Tenant, tenant) is None:
                raise CliError(f"no such tenant: {tenant}")
            return tenant
        ids = list(session.execute(select(Tenant.id).limit(2)).scalars())
        if len(ids) > 1:
            raise CliError("there are several tenants: name one with --tenant")
        if ids:
            return str(ids[0])
        return accounts.create_tenant(session=session, name="Imported records").id


def _report(url: str, outcomes: list[importer.PatientOutcome], as_json: bool) -> None:
    with session_scope(url) as session:
        for outcome in outcomes:
            for f in outcome.files:
                doc = session.get(Document, f.document_id) if f.document_id else None
                if doc is not None and doc.status == "failed":
                    f.error = doc.error
    value = [
        {
            "folder": o.folder,
            "patient_id": o.patient_id,
            "created": o.created,
            "files": [vars(f) for f in o.files],
        }
        for o in outcomes
    ]
    docs = sum(1 for o in outcomes for f in o.files if f.error is None)
    bad = [f"{o.folder}/{f.file}: {f.error}" for o in outcomes for f in o.files if f.error]
    text = f"imported {docs} document(s) for {len(outcomes)} patient(s)"
    emit(value, as_json, "\n".join([text, *bad]))
    if bad:
        raise CliError(f"{len(bad)} file(s) could not be imported")
