"""Clinical NLP on posted text, and the stored extraction of a transcript."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.nlp import core as nlp
from clinscribe.nlp import service as extractions
from clinscribe.nlp.engines import nlp_engines

router = APIRouter(prefix=API_PREFIX, tags=["nlp"], responses=ERROR_RESPONSES)


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=nlp.MAX_TEXT_CHARS, description="UTF-8 dictation or dialogue.")


class DeidIn(TextIn):
    mode: nlp.DeidMode = "redact"


@router.post("/nlp/extract", response_model=nlp.Extraction, response_model_exclude_none=False)
async def extract(body: TextIn, principal: CurrentPrincipal, request: Request) -> nlp.Extraction:
    """Entities with traits, attributes and codes, plus vitals (Comprehend Medical style)."""
    principal.require("encounters:read")
    engines = nlp_engines(request.app.state.settings)
    return await run_in_threadpool(nlp.extract, body.text, engines=engines)  # or NlpInputError


@router.post("/nlp/deid")
async def deid(body: DeidIn, principal: CurrentPrincipal, request: Request) -> dict[str, Any]:
    """`{"text": de-identified text, "phi": [PhiSpan]}`; modes redact, mask or surrogate."""
    principal.require("encounters:read")
    engines = nlp_engines(request.app.state.settings)
    result = await run_in_threadpool(nlp.deidentify, body.text, body.mode, engines=engines)
    dumped: dict[str, Any] = result.model_dump(mode="json")
    return dumped


@router.get("/transcripts/{transcript_id}/extraction")
def transcript_extraction(
    transcript_id: str, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    return extractions.get_for_transcript(
        session=session, principal=principal, transcript_id=transcript_id
    )
