"""LLM refinement against a real OpenAI-compatible HTTP server on 127.0.0.1.

The server is a small deterministic chat-completions responder started in a thread: it
records each request and answers the reply a test scripts, so the client, the egress policy
and the faithfulness merge are exercised over real HTTP without a model.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from clinscribe.notes.core import (
    EgressDeniedError,
    LlmRefinementError,
    Note,
    OpenAIChatClient,
    draft_note,
    refine_with_llm,
)

from .conftest import VISIT, make_transcript


class ChatServer(ThreadingHTTPServer):
    requests: list[dict[str, Any]]
    reply: str
    status: int


class Handler(BaseHTTPRequestHandler):
    server: ChatServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        payload = json.dumps(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": self.server.reply},
                    }
                ],
            }
        ).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ChatServer]:
    srv = ChatServer(("127.0.0.1", 0), Handler)
    srv.requests, srv.reply, srv.status = [], "{}", 200
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def client(server: ChatServer) -> OpenAIChatClient:
    host, port = server.server_address[:2]
    return OpenAIChatClient(
        base_url=f"http://{host!s}:{port}/v1", model="test-model", api_key="sk-test"
    )


@pytest.fixture(scope="module")
def draft() -> Note:
    return draft_note(make_transcript(VISIT), "soap")


REPLY = {
    "sections": [
        {
            "key": "subjective",
            "sentences": [
                {
                    "text": "Reports cough for 3 days; the chest hurts when coughing.",
                    "evidence": [1],
                },
                {"text": "Takes warfarin 5 mg daily.", "evidence": [5]},
            ],
        },
        {
            "key": "plan",
            "sentences": [
                {"text": "Benzonatate 100 mg 3 times a day as needed for cough.", "evidence": [17]}
            ],
        },
        {"key": "not_a_section", "sentences": [{"text": "Ignored.", "evidence": [0]}]},
    ]
}


def test_refined_sentences_that_pass_the_check_replace_the_draft(
    server: ChatServer, client: OpenAIChatClient, draft: Note
) -> None:
    server.reply = json.dumps(REPLY)
    note = refine_with_llm(draft, make_transcript(VISIT), client, "allow")
    assert note.refined_by == "test-model"
    plan = next(s for s in note.sections if s.key == "plan")
    assert plan.text == "Benzonatate 100 mg 3 times a day as needed for cough."
    assert plan.evidence[0].segment == 17 and plan.evidence[0].begin == 0
    assert "Ignored." not in note.text


def test_an_unsupported_llm_sentence_is_marked_not_emitted_silently(
    server: ChatServer, client: OpenAIChatClient, draft: Note
) -> None:
    server.reply = json.dumps(REPLY)
    note = refine_with_llm(draft, make_transcript(VISIT), client, "allow")
    subjective = next(s for s in note.sections if s.key == "subjective")
    flagged = [s for s in subjective.sentences if s.flags]
    assert [s.text for s in flagged] == ["Takes warfarin 5 mg daily."]
    assert "number:5" in flagged[0].flags and "entity:warfarin" in flagged[0].flags
    assert "Takes warfarin 5 mg daily. [unsupported]" in note.text
    assert (note.faithfulness.sentences, note.faithfulness.supported) == (3, 2)


def test_unsupported_llm_sentences_can_be_dropped(
    server: ChatServer, client: OpenAIChatClient, draft: Note
) -> None:
    server.reply = "```json\n" + json.dumps(REPLY) + "\n```"
    note = refine_with_llm(draft, make_transcript(VISIT), client, "allow", on_unsupported="drop")
    assert "warfarin" not in note.text
    assert note.faithfulness.supported == 2


def test_the_request_follows_the_chat_completions_protocol(
    server: ChatServer, client: OpenAIChatClient, draft: Note
) -> None:
    server.reply = json.dumps(REPLY)
    refine_with_llm(draft, make_transcript(VISIT), client, "allow")
    (request,) = server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "test-model" and body["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    sent = json.loads(body["messages"][1]["content"])
    assert {"template", "draft", "facts", "transcript"} == set(sent)
    assert sent["transcript"][1] == {
        "id": 1,
        "speaker": "patient",
        "text": "i've had this cough for three days and my chest hurts when i cough.",
    }


def test_the_deidentify_policy_redacts_what_leaves(
    server: ChatServer, client: OpenAIChatClient
) -> None:
    transcript = make_transcript(
        "[doctor] good morning, mr. john peterson, call me at 555-201-3344 if needed.\n"
        "[patient] i've had this cough for three days."
    )
    server.reply = json.dumps(
        {
            "sections": [
                {
                    "key": "subjective",
                    "sentences": [{"text": "Reports cough for 3 days.", "evidence": [1]}],
                }
            ]
        }
    )
    note = refine_with_llm(draft_note(transcript), transcript, client, "deidentify")
    raw = json.dumps(server.requests[0]["body"])
    assert "peterson" not in raw.lower() and "555-201-3344" not in raw
    assert "[NAME]" in raw
    assert note.faithfulness.share == 1.0


def test_the_deny_policy_sends_nothing(
    server: ChatServer, client: OpenAIChatClient, draft: Note
) -> None:
    with pytest.raises(EgressDeniedError):
        refine_with_llm(draft, make_transcript(VISIT), client, "deny")
    assert server.requests == []


@pytest.mark.parametrize(
    ("status", "reply"), [(200, "not json at all"), (500, "{}"), (200, '{"x": 1}')]
)
def test_a_failing_or_malformed_endpoint_raises_a_refinement_error(
    server: ChatServer, client: OpenAIChatClient, draft: Note, status: int, reply: str
) -> None:
    server.status, server.reply = status, reply
    with pytest.raises(LlmRefinementError):
        refine_with_llm(draft, make_transcript(VISIT), client, "allow")


def test_an_unreachable_endpoint_raises_a_refinement_error(draft: Note) -> None:
    client = OpenAIChatClient(base_url="http://127.0.0.1:9/v1", model="m", timeout=2)
    with pytest.raises(LlmRefinementError):
        refine_with_llm(draft, make_transcript(VISIT), client, "allow")
