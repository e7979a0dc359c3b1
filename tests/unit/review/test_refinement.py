"""LLM refinement of drafts: tenant endpoint, PHI egress policy, audit of every egress."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from tests.support import TenantWorld

DIALOGUE = (
    "[doctor] Hello Mr. Zebediah Quarrington, what brings you in?\n"
    "[patient] I've had a cough for three days.\n"
    "[doctor] Let's start benzonatate 100 mg three times a day.\n"
)


class _Chat(BaseHTTPRequestHandler):
    bodies: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.bodies.append(body)
        reply = {
            "sections": [
                {
                    "key": "subjective",
                    "sentences": [{"text": "Reports cough for 3 days.", "evidence": [1]}],
                },
                {
                    "key": "plan",
                    "sentences": [
                        {"text": "Start benzonatate 100 mg three times a day.", "evidence": [2]}
                    ],
                },
            ]
        }
        payload = json.dumps(
            {
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": json.dumps(reply)}}
                ]
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def llm() -> Iterator[str]:
    _Chat.bodies.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Chat)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def setup(client: TestClient, world: TenantWorld, llm: str, policy: str) -> None:
    admin = world.auth("admin")
    changed = client.patch(
        "/api/v1/tenant",
        headers=admin,
        json={
            "llm_base_url": llm,
            "llm_model": "local-model",
            "llm_api_key": "sk-test-secret",
            "phi_egress_policy": policy,
        },
    )
    assert changed.status_code == 200 and "llm_api_key" not in changed.json()
    client.post(
        f"/api/v1/encounters/{world.encounter_id}/text",
        json={"text": DIALOGUE},
        headers=world.auth("clinician"),
    )


def draft(client: TestClient, world: TenantWorld):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/encounters/{world.encounter_id}/notes",
        json={"template": "soap", "refine": True},
        headers=world.auth("clinician"),
    )


def egress(client: TestClient, world: TenantWorld) -> list[str]:
    items = client.get(
        "/api/v1/audit", params={"action": "llm.egress"}, headers=world.auth("admin")
    ).json()
    return [e["outcome"] for e in items["items"]]


def test_the_deny_policy_sends_nothing_and_is_audited(
    client: TestClient, tenant_a: TenantWorld, llm: str
) -> None:
    setup(client, tenant_a, llm, "deny")
    response = draft(client, tenant_a)
    assert response.status_code == 403 and _Chat.bodies == []
    assert egress(client, tenant_a) == []
    events = client.get(
        "/api/v1/audit", params={"limit": 200}, headers=tenant_a.auth("admin")
    ).json()
    assert any(e["outcome"] == "denied" and e["action"].endswith("/notes") for e in events["items"])


def test_deidentify_first_strips_names_before_anything_leaves(
    client: TestClient, tenant_a: TenantWorld, llm: str
) -> None:
    setup(client, tenant_a, llm, "deidentify")
    response = draft(client, tenant_a)
    assert response.status_code == 201, response.text
    assert len(_Chat.bodies) == 1 and "Quarrington" not in _Chat.bodies[0]
    assert response.json()["content"]["refined_by"]
    assert egress(client, tenant_a) == ["sent:deidentify"]


def test_refinement_without_an_llm_endpoint_is_a_clear_422(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/text",
        json={"text": DIALOGUE},
        headers=tenant_a.auth("clinician"),
    )
    response = draft(client, tenant_a)
    assert response.status_code == 422 and "LLM" in response.json()["detail"]
