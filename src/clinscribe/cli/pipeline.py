"""The offline pipeline on local files: `transcribe`, `extract`, `deid` and `note`.

Nothing here touches the database; the speech and NLP models load on first use, inside the
engines, so these imports stay light.
"""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import click

from clinscribe.asr.core.schemas import TranscribeOptions, Transcript
from clinscribe.asr.core.text import transcript_from_text
from clinscribe.asr.engines import AsrEngineProvider
from clinscribe.audio import decode as audio
from clinscribe.cli.common import CliError, json_option, load_settings
from clinscribe.fhir import core as fhir
from clinscribe.nlp import core as nlp
from clinscribe.notes import core as notes

AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".webm", ".flac", ".mp4"}


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


@click.command()
@click.argument("source", default="-", metavar="[FILE|-]")
@json_option
def extract(source: str, as_json: bool) -> None:
    """Clinical entities, traits, medication attributes, codes and vitals in a text."""
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


@click.command()
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
    result = nlp.deidentify(_read_text(source), mode)  # type: ignore[arg-type]
    if as_json:
        click.echo(result.model_dump_json())
    else:
        click.echo(result.text)


@click.command()
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
    settings = load_settings()
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
    engine = AsrEngineProvider(settings).local()
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


@click.command()
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


def _write_bundle(drafted: notes.Note, out: str, mrn: str) -> None:
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


def _transcribe_one(path: Path, mode: str) -> Transcript:
    settings = load_settings()
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    try:
        decoded = audio.decode_audio(
            path, max_seconds=settings.max_audio_seconds, max_bytes=settings.max_upload_bytes
        )
    except audio.AudioError as exc:
        raise CliError(f"{path}: {exc.message}") from None
    options = TranscribeOptions(mode=mode, beam_size=settings.asr_beam_size)
    return AsrEngineProvider(settings).local().transcribe(decoded, options=options)
