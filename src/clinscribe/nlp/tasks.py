"""The extraction task: clinical NLP over a stored transcript, kept once per transcript."""

from __future__ import annotations

from clinscribe.config import Settings
from clinscribe.db.models import Job, Transcript
from clinscribe.db.session import session_scope
from clinscribe.jobs import slots
from clinscribe.jobs.tasks import PermanentJobError, task
from clinscribe.nlp import core as nlp
from clinscribe.nlp import service as extractions
from clinscribe.nlp.engines import nlp_engines
from clinscribe.storage.blobs import BlobStore

# A fixed sentence, no patient's: loads the pipeline and pays spaCy's first-call costs.
WARM_TEXT = "Patient denies chest pain. Taking metformin 500 mg twice daily."


def warm(settings: Settings) -> None:
    nlp.extract(WARM_TEXT, engines=nlp_engines(settings))


@task("extract", warm=warm)
def extract(settings: Settings, blobs: BlobStore, job: Job) -> tuple[str, str]:
    """Clinical NLP over a stored transcript; the Extraction is kept per transcript."""
    url = settings.resolved_database_url
    with session_scope(url) as session:
        transcript = session.get(Transcript, job.subject_id)
        if transcript is None:
            raise PermanentJobError("transcript no longer exists")
        done = extractions.for_transcript(session=session, transcript_id=transcript.id)
        if done is not None:
            return "extraction", done.id
        text = extractions.transcript_text(transcript)
    try:
        # The same host slots as speech decoding: NLP is CPU work on the same cores.
        with slots.held(slots.slot_count(settings)):
            result = nlp.extract(text, engines=nlp_engines(settings))
    except nlp.NlpInputError as exc:
        raise PermanentJobError(str(exc)) from exc
    with session_scope(url) as session:
        transcript = session.get(Transcript, job.subject_id)
        if transcript is None:
            raise PermanentJobError("transcript was deleted during extraction")
        record = extractions.store(session=session, transcript=transcript, extraction=result)
        return "extraction", record.id
