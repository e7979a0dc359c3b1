"""Optional LLM refinement through an OpenAI-compatible chat endpoint, checked for faithfulness.

The model gets the template, the offline draft (with evidence segment ids), the extracted
facts and the numbered transcript; it must answer JSON whose sentences cite segment ids.
Its sentences then pass the same faithfulness check as the offline draft: unsupported ones
are dropped or marked, never emitted silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx
from pydantic import BaseModel, ValidationError

from clinscribe.asr.core.schemas import Transcript
from clinscribe.nlp.core import deidentify
from clinscribe.notes.core.drafter import assemble
from clinscribe.notes.core.errors import EgressDeniedError, LlmRefinementError
from clinscribe.notes.core.faithfulness import check_sentences
from clinscribe.notes.core.schemas import Evidence, Note, NoteSentence, Template
from clinscribe.notes.core.templates import get_template, resolve_template
from clinscribe.notes.core.units import prepare

EgressPolicy = Literal["deny", "deidentify", "allow"]
Message = dict[str, str]

SYSTEM_PROMPT = (
    "You are a clinical documentation assistant. Improve the draft note using only what the "
    "transcript says. Write concise clinical third person. Every sentence must cite the ids of "
    "the transcript segments it rests on. Never add facts, numbers or negations that the cited "
    "segments do not state. Answer with JSON only: "
    '{"sections": [{"key": "<section key>", "sentences": [{"text": "...", "evidence": [0, 3]}]}]}'
)


class ChatClient(Protocol):
    """Anything that turns chat messages into the assistant's reply text."""

    @property
    def model(self) -> str: ...

    def complete(self, messages: list[Message]) -> str: ...


@dataclass(slots=True)
class OpenAIChatClient:
    """A client for any OpenAI-compatible ``/chat/completions`` endpoint."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 120.0
    json_mode: bool = True
    max_tokens: int = 2048
    transport: httpx.BaseTransport | None = field(default=None, repr=False)

    def complete(self, messages: list[Message]) -> str:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.max_tokens,
        }
        if self.json_mode:
            body["response_format"] = {"type": "json_object"}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        url = self.base_url.rstrip("/") + "/chat/completions"
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as http:
                response = http.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise LlmRefinementError(f"LLM endpoint unreachable: {type(exc).__name__}") from None
        if response.status_code >= 400:
            raise LlmRefinementError(f"LLM endpoint answered HTTP {response.status_code}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LlmRefinementError("LLM endpoint answered an unexpected shape") from None
        if not isinstance(content, str):
            raise LlmRefinementError("LLM reply has no text content")
        return content


class _Sentence(BaseModel):
    text: str
    evidence: list[int] = []


class _Section(BaseModel):
    key: str
    sentences: list[_Sentence] = []


class _Answer(BaseModel):
    sections: list[_Section]


def _payload(note: Note, transcript: Transcript, template: Template) -> str:
    draft = [
        {
            "key": s.key,
            "title": s.title,
            "sentences": [
                {"text": x.text, "evidence": sorted({e.segment for e in x.evidence})}
                for x in s.sentences
                if not x.flags
            ],
        }
        for s in note.sections
    ]
    facts = {
        "entities": [
            {"text": e.text, "category": e.category, "traits": e.traits} for e in note.entities
        ],
        "problems": [p.model_dump(exclude_none=True) for p in note.problems],
    }
    segments = [
        {"id": s.id, "speaker": s.speaker or "unknown", "text": s.text}
        for s in transcript.segments
        if s.text.strip()
    ]
    sections = [
        {"key": s.key, "title": s.title, "instruction": s.instruction} for s in template.sections
    ]
    return json.dumps(
        {"template": sections, "draft": draft, "facts": facts, "transcript": segments},
        ensure_ascii=False,
    )


def build_messages(
    note: Note, transcript: Transcript, template: Template, policy: EgressPolicy
) -> list[Message]:
    """The chat messages sent to the endpoint, de-identified when the policy says so."""
    if policy == "deny":
        raise EgressDeniedError("the egress policy forbids sending clinical text to an LLM")
    if policy not in ("deidentify", "allow"):
        raise EgressDeniedError(f"unknown egress policy: {policy!r}")
    content = _payload(note, transcript, template)
    if policy == "deidentify":
        content = deidentify(content).text
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": content}]


def parse_answer(reply: str) -> list[_Section]:
    """The sections of the model's JSON reply (code fences tolerated)."""
    text = re.sub(r"^\s*```(?:json)?\s*|\s*```\s*$", "", reply.strip())
    try:
        return _Answer.model_validate(json.loads(text)).sections
    except (ValueError, ValidationError):
        raise LlmRefinementError("LLM reply is not the expected JSON") from None


def refine_with_llm(
    note: Note,
    transcript: Transcript,
    client: ChatClient,
    policy: EgressPolicy = "deny",
    *,
    template: Template | None = None,
    on_unsupported: Literal["drop", "mark"] = "mark",
) -> Note:
    """Refine a draft with an LLM; its sentences must cite segments and pass the faithfulness check.

    ``policy`` is the caller's egress decision: "deny" raises, "deidentify" redacts PHI from
    everything sent, "allow" sends the text as it is. ``faithfulness`` on the result counts
    every sentence the model wrote, including any that ``on_unsupported="drop"`` removed.
    """
    resolved = resolve_template(template) if template else get_template(note.template)
    messages = build_messages(note, transcript, resolved, policy)
    answer = parse_answer(client.complete(messages))
    segments = {s.id: s for s in transcript.segments if s.text.strip()}
    kinds = {s.key: s.fact_kinds[0] for s in resolved.sections if s.fact_kinds}
    sentences: list[NoteSentence] = []
    for section in answer:
        kind = kinds.get(section.key)
        if kind is None:
            continue
        for item in section.sentences:
            text = item.text.strip()
            if not text:
                continue
            evidence = [
                Evidence(segment=i, begin=0, end=len(segments[i].text))
                for i in dict.fromkeys(item.evidence)
                if i in segments
            ]
            sentences.append(NoteSentence(text=text, kind=kind, evidence=evidence))
    prepared = prepare(list(segments.values()))
    faithfulness = check_sentences(sentences, prepared)
    if on_unsupported == "drop":
        sentences = [s for s in sentences if not s.flags]
    built, text = assemble(resolved, sentences)
    return note.model_copy(
        update={
            "sections": built,
            "text": text,
            "faithfulness": faithfulness,
            "refined_by": client.model,
        }
    )
