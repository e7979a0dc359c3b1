"""Signed document links: usable without a token until they expire, for one thing only."""

from __future__ import annotations

import json
import time

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent
from clinscribe.db.session import session_scope
from clinscribe.documents import links
from tests.support import TenantWorld
from tests.unit.documents import samples


def _resign(settings: Settings, token: str, **changes: object) -> str:
    """The same claims with some changed, signed with the real key (as only the server can)."""
    payload = token.split(".")[0]
    claims = json.loads(links._unb64(payload))
    claims.update(changes)
    body = links._b64(json.dumps(claims).encode())
    return f"{body}.{links._mac(settings, body)}"


def test_an_upload_link_accepts_a_file_without_a_bearer_token(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    issued = client.post(
        f"/api/v1/patients/{tenant_a.patient_id}/documents/upload-url",
        headers=tenant_a.auth("clinician"),
    )
    assert issued.status_code == 200
    link = issued.json()
    assert link["method"] == "POST" and link["url"].startswith("/api/v1/document-links/")
    pdf = samples.text_pdf([samples.LAB_LINES])
    response = client.post(link["url"], files={"file": ("scan.pdf", pdf, "application/pdf")})
    assert response.status_code == 202, response.text
    document = response.json()["document"]
    assert document["patient_id"] == tenant_a.patient_id and document["source"] == "signed"
    # A download link for it serves the original bytes, again without a token.
    download = client.get(
        f"/api/v1/documents/{document['id']}/download-url", headers=tenant_a.auth("reviewer")
    ).json()
    got = client.get(download["url"])
    assert got.status_code == 200 and got.content == pdf
    assert got.headers["content-type"] == "application/pdf"
    with session_scope(settings.resolved_database_url) as session:
        trail = set(
            session.execute(
                select(AuditEvent.action).where(AuditEvent.tenant_id == tenant_a.id)
            ).scalars()
        )
    assert {"document.upload_url", "document.download_url", "document.download"} <= trail


def test_forged_altered_expired_or_misused_links_are_refused(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    url = client.post(
        f"/api/v1/patients/{tenant_a.patient_id}/documents/upload-url",
        headers=tenant_a.auth("clinician"),
    ).json()["url"]
    token = url.rsplit("/", 1)[-1]
    file = {"file": ("a.txt", b"Sodium 139 mmol/L\n", "text/plain")}
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, "nonsense", token.split(".")[0]):
        response = client.post(f"/api/v1/document-links/{bad}", files=file)
        assert response.status_code == 401 and response.json()["error"] == "link_invalid"
    expired = _resign(settings, token, exp=1)
    response = client.post(f"/api/v1/document-links/{expired}", files=file)
    assert response.status_code == 401 and response.json()["error"] == "link_expired"
    # An upload link is not a download link.
    assert client.get(url).status_code == 401
    # A link re-pointed at another tenant's patient names nothing there.
    moved = _resign(settings, token, sub=tenant_b.patient_id)
    assert client.post(f"/api/v1/document-links/{moved}", files=file).status_code == 404
    # A reader cannot ask for an upload link at all.
    denied = client.post(
        f"/api/v1/patients/{tenant_a.patient_id}/documents/upload-url",
        headers=tenant_a.auth("reviewer"),
    )
    assert denied.status_code == 403


def test_a_link_is_signed_for_one_tenant_and_lives_briefly(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    token, expires = links.sign(settings, tenant_a.principal("clinician"), "download", "doc-1")
    grant = links.verify(settings, token, "download")
    assert grant.principal.tenant_id == tenant_a.id and grant.target_id == "doc-1"
    assert grant.principal.actor_id == tenant_a.users["clinician"]
    left = expires.timestamp() - time.time()
    assert 0 < left <= settings.document_url_seconds
    other_key = settings.model_copy(update={"document_url_secret": SecretStr("x" * 40)})
    try:
        links.verify(other_key, token, "download")
    except links.LinkError as exc:
        assert exc.code == "link_invalid"
    else:
        raise AssertionError("a link signed with another key was accepted")


def test_a_link_token_with_non_ascii_characters_is_refused_not_a_500(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    url = client.get(
        f"/api/v1/documents/{_a_document(client, tenant_a)}/download-url",
        headers=tenant_a.auth("clinician"),
    ).json()["url"]
    payload = url.rsplit("/", 1)[-1].split(".")[0]
    for bad in (f"{payload}.\u00e9", "abc.\u00e9\u00e9", "\u00e9.\u00e9"):
        response = client.get(f"/api/v1/document-links/{bad}")
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "link_invalid"
        upload = client.post(
            f"/api/v1/document-links/{bad}",
            files={"file": ("a.txt", b"Sodium 139 mmol/L\n", "text/plain")},
        )
        assert upload.status_code == 401


def _a_document(client: TestClient, world: TenantWorld) -> str:
    response = client.post(
        f"/api/v1/patients/{world.patient_id}/documents",
        headers=world.auth("clinician"),
        files={"file": ("a.txt", b"Sodium 139 mmol/L\n", "text/plain")},
    )
    assert response.status_code == 202, response.text
    return str(response.json()["document"]["id"])
