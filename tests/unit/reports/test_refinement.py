"""Optional LLM refinement of a CHR: tenant endpoint, PHI egress policy, page citations kept."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from clinscribe.config import Settings
from tests.support import TenantWorld
from tests.unit.reports.conftest import store_records


class _Chat(BaseHTTPRequestHandler):
    bodies: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.bodies.append(body)
        sent = json.loads(json.loads(body)["messages"][1]["content"])
        # Cite the page of the first drafted medication sentence, once faithfully and once not.
        meds = next(s for s in sent["draft"] if s["key"] == "medications")
        page = meds["sentences"][0]["evidence"][0]
        reply = {
            "sections": [
                {
                    "key": "medications",
                    "sentences": [
                        {"text": "Continue ramipril 5 mg once daily.", "evidence": [page]},
                        {"text": "Start ramipril 20 mg twice daily.", "evidence": [page]},
                    ],
                }
            ]
        }
        content = json.dumps(reply)
        payload = json.dumps(
            {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
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


def _setup(client: TestClient, world: TenantWorld, llm: str, policy: str) -> None:
    r = client.patch(
        "/api/v1/tenant",
        headers=world.auth("admin"),
        json={"llm_base_url": llm, "llm_model": "local-model", "phi_egress_policy": policy},
    )
    assert r.status_code == 200


def _draft(client: TestClient, world: TenantWorld, body: object) -> Any:
    return client.post(
        f"/api/v1/patients/{world.patient_id}/reports", json=body, headers=world.auth("clinician")
    )


def test_refined_sentences_keep_page_citations_and_are_checked(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, llm: str
) -> None:
    ids = store_records(settings, tenant_a)
    _setup(client, tenant_a, llm, "deidentify")
    r = _draft(client, tenant_a, {"refine": True})
    assert r.status_code == 201, r.text
    content = r.json()["content"]
    assert content["refined_by"] == "local-model" and len(_Chat.bodies) == 1
    meds = next(s for s in content["sections"] if s["key"] == "medications")
    good, bad = meds["sentences"]
    assert good["flags"] == [] and good["evidence"][0]["document_id"] == ids["letter"]
    assert "number:20" in bad["flags"]
    assert content["faithfulness"]["supported"] == content["faithfulness"]["sentences"] - 1


def test_refinement_is_off_by_default_and_policy_bound(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, llm: str
) -> None:
    store_records(settings, tenant_a)
    assert _draft(client, tenant_a, None).json()["content"]["refined_by"] is None
    r = _draft(client, tenant_a, {"refine": True})
    assert r.status_code == 422 and "LLM" in r.json()["detail"]  # no endpoint configured
    _setup(client, tenant_a, llm, "deny")
    assert _draft(client, tenant_a, {"refine": True}).status_code == 403
    assert _Chat.bodies == []
    assert _draft(client, tenant_a, {"refine": "yes please"}).status_code == 422
    assert _draft(client, tenant_a, {"other": 1}).status_code == 422
