"""Draft (or re-draft) an encounter's note from its transcript; drafts are note versions."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from clinscribe.asr.core.schemas import Segment
from clinscribe.asr.core.schemas import Transcript as TranscriptModel
from clinscribe.audit import egress
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.models import Note, Tenant, Transcript
from clinscribe.errors import Forbidden, NotFound, Unprocessable
from clinscribe.notes import core as notes
from clinscribe.notes import templates
from clinscribe.records import encounters
from clinscribe.review import service as review
from clinscribe.security.associated import llm_key_aad
from clinscribe.security.crypto import key_ring
from clinscribe.security.outbound import UrlPolicy, validate_outbound_url
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import readable


def transcript_model(row: Transcript) -> TranscriptModel:
    return TranscriptModel(
        text=row.text,
        language=row.language,
        duration=row.duration_s,
        engine=row.engine,
        model=row.model or "",
        segments=[Segment.model_validate(s) for s in json.loads(row.segments_json)],
    )


def _latest_transcript(session: Session, principal: Principal, encounter_id: str) -> Transcript:
    row = session.execute(
        readable(Transcript, principal)
        .where(Transcript.encounter_id == encounter_id)
        .order_by(Transcript.created_at.desc(), Transcript.id)
        .limit(1)
    ).scalar_one_or_none()
    if row is None:
        raise Unprocessable("the encounter has no transcript to draft from yet")
    return row


def llm_client(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    object_type: str,
    object_id: str,
) -> tuple[notes.ChatClient, notes.EgressPolicy]:
    """The tenant's LLM client and egress mode, after its PHI egress policy allowed sending
    `object_type`/`object_id`'s text; the egress itself is audited here."""
    tenant = session.get(Tenant, principal.tenant_id)
    if tenant is None or not (tenant.llm_base_url and tenant.llm_model):
        raise Unprocessable("the tenant has no LLM endpoint configured")
    policy = tenant.phi_egress_policy
    if policy not in ("deidentify", "allow"):
        # The refusal is audited with the request's other denials (outcome "denied").
        raise Forbidden("the tenant's PHI egress policy denies sending data to an LLM")
    # A refused URL propagates with its own code (unsafe_url, url_resolution_error).
    validate_outbound_url(
        tenant.llm_base_url,
        UrlPolicy(
            require_https=settings.profile == "prod", allow_loopback=settings.profile != "prod"
        ),
    )
    key = (
        key_ring(settings).decrypt(tenant.llm_key_encrypted, llm_key_aad(tenant.id)).decode()
        if tenant.llm_key_encrypted
        else None
    )
    client = notes.OpenAIChatClient(
        base_url=tenant.llm_base_url, model=tenant.llm_model, api_key=key
    )
    # Audited before the call: what matters is that data left, whatever comes back.
    audit.record(
        session,
        action="llm.egress",
        principal=principal,
        outcome=f"sent:{policy}",
        object_type=object_type,
        object_id=object_id,
    )
    mode: notes.EgressPolicy = "allow" if policy == "allow" else "deidentify"
    logged = LoggedChatClient(
        client,
        session=session,
        principal=principal,
        destination_url=tenant.llm_base_url,
        purpose="note_refinement" if object_type == "transcript" else "report_refinement",
        object_type=object_type,
        object_id=object_id,
    )
    return logged, mode


class LoggedChatClient:
    """A chat client whose every call is a PHI egress event (bytes of the messages sent)."""

    def __init__(
        self,
        inner: notes.OpenAIChatClient,
        *,
        session: Session,
        principal: Principal,
        destination_url: str,
        purpose: str,
        object_type: str,
        object_id: str,
    ) -> None:
        self._inner = inner
        self._session = session
        self._principal = principal
        self._destination = destination_url
        self._purpose = purpose
        self._object = (object_type, object_id)

    @property
    def model(self) -> str:
        return self._inner.model

    def complete(self, messages: list[dict[str, str]]) -> str:
        size = len(json.dumps(messages).encode())
        outcome: egress.Outcome = "failed"
        try:
            reply = self._inner.complete(messages)
            outcome = "sent"
            return reply
        finally:
            egress.record(
                self._session,
                tenant_id=self._principal.tenant_id,
                processor="llm",
                destination_url=self._destination,
                purpose=self._purpose,
                object_type=self._object[0],
                object_ids=[self._object[1]],
                byte_count=size,
                outcome=outcome,
                principal=self._principal,
                survive_rollback=True,
            )


def _refine(
    session: Session,
    settings: Settings,
    principal: Principal,
    drafted: notes.Note,
    transcript: TranscriptModel,
    template: notes.Template,
    transcript_id: str,
) -> notes.Note:
    """LLM refinement under the tenant's PHI egress policy; every decision is audited."""
    client, mode = llm_client(
        session, settings, principal, object_type="transcript", object_id=transcript_id
    )
    return notes.refine_with_llm(drafted, transcript, client, mode, template=template)


def draft_for_encounter(
    *,
    session: Session,
    principal: Principal,
    encounter_id: str,
    template_key: str,
    transcript_id: str | None = None,
    refine: bool = False,
    settings: Settings | None = None,
) -> Note:
    """Draft with `template_key`. An open draft of the same template gets a new version."""
    principal.require("notes:write")
    encounters.get(
        session=session, principal=principal, encounter_id=encounter_id, audit_read=False
    )
    template = templates.resolve(session=session, principal=principal, key=template_key)
    if transcript_id:
        transcript = session.execute(
            readable(Transcript, principal).where(
                Transcript.id == transcript_id, Transcript.encounter_id == encounter_id
            )
        ).scalar_one_or_none()
        if transcript is None:
            raise NotFound("transcript not found for this encounter")
    else:
        transcript = _latest_transcript(session, principal, encounter_id)
    model = transcript_model(transcript)
    drafted = notes.draft_note(model, template)  # an empty transcript: EmptyTranscriptError
    if refine:
        if settings is None:
            raise Unprocessable("refinement needs the service settings")
        drafted = _refine(session, settings, principal, drafted, model, template, transcript.id)
    return review.store_draft(
        session=session,
        principal=principal,
        encounter_id=encounter_id,
        transcript_id=transcript.id,
        template_key=template.key,
        drafted=drafted,
    )
