"""Every capability's job tasks, imported once so each registers its kind with the runtime.

Entry points (the API app, `clinscribe worker`, the CLI) import this module; the job runtime
itself never imports a capability.
"""

from __future__ import annotations

from clinscribe.asr import tasks as asr_tasks
from clinscribe.config import Settings
from clinscribe.documents import tasks as documents_tasks
from clinscribe.fhir import tasks as fhir_tasks
from clinscribe.jobs.runtime import Runtime, setup
from clinscribe.jobs.tasks import TASKS
from clinscribe.nlp import tasks as nlp_tasks
from clinscribe.openemr import tasks as openemr_tasks

__all__ = [
    "TASKS",
    "asr_tasks",
    "documents_tasks",
    "fhir_tasks",
    "nlp_tasks",
    "openemr_tasks",
    "setup_jobs",
]


def setup_jobs(settings: Settings) -> Runtime:
    """This process's job runtime, with every capability's tasks registered."""
    return setup(settings)
