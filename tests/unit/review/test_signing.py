"""The signature: the SHA-256 of the signed version's stored content, checked before the EHR
gets it; the EHR receives exactly the text rendered from that content."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import Note, NoteVersion
from clinscribe.db.session import session_scope
from clinscribe.notes.core import NoteContent, render_text
from clinscribe.review import service as review
from tests.support import TenantWorld

from .test_workflow import draft


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def signed(client: TestClient, world: TenantWorld) -> dict[str, Any]:
    """A drafted note, edited (a trailing newline and a non-ASCII character), then signed."""
    clin = world.auth("clinician")
    note = draft(client, world)
    url = f"/api/v1/notes/{note['id']}"
    edit = {"sections": {"plan": "Rapid strep test \u2014 then benzonatate 100 mg TID.\n"}}
    assert client.patch(url, json=edit, headers=clin).status_code == 200
    assert client.post(f"{url}/submit", headers=clin).status_code == 200
    assert client.post(f"{url}/approve", headers=world.auth("reviewer")).status_code == 200
    response = client.post(f"{url}/sign", headers=clin)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def stored(settings: Settings, note_id: str, version: int) -> tuple[str, str]:
    """(content JSON, text) of a stored version, decrypted."""
    with session_scope(settings.resolved_database_url) as session:
        row = session.execute(
            select(NoteVersion).where(
                NoteVersion.note_id == note_id, NoteVersion.version == version
            )
        ).scalar_one()
        return row.content_json, row.text


def rewrite(settings: Settings, note_id: str, version: int, content: NoteContent) -> None:
    """Change a stored version behind the service's back (what verification must catch)."""
    with session_scope(settings.resolved_database_url) as session:
        row = session.execute(
            select(NoteVersion).where(
                NoteVersion.note_id == note_id, NoteVersion.version == version
            )
        ).scalar_one()
        row.content_json = content.to_json()


def document_text(bundle: dict[str, Any]) -> str:
    doc = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    )
    return base64.b64decode(doc["content"][0]["attachment"]["data"]).decode("utf-8")


def test_the_signed_hash_is_the_sha256_of_the_signed_versions_stored_content(
    client: TestClient, tenant_a: TenantWorld, settings: Settings
) -> None:
    note = signed(client, tenant_a)
    raw, text = stored(settings, note["id"], note["version"])
    content = NoteContent.from_json(raw)
    rendered = render_text(content.sections)
    assert "PLAN\nRapid strep test \u2014 then benzonatate 100 mg TID." in rendered
    assert note["signed_sha256"] == sha256(raw)
    assert rendered == content.text == text == note["content"]["text"]

    # The EHR receives exactly the text rendered from the signed content.
    bundle = client.get(f"/api/v1/notes/{note['id']}/fhir", headers=tenant_a.auth("clinician"))
    assert bundle.status_code == 200, bundle.text
    assert document_text(bundle.json()) == rendered


def test_a_signed_version_changed_after_signing_is_refused_by_the_fhir_mapping(
    client: TestClient, tenant_a: TenantWorld, settings: Settings
) -> None:
    note = signed(client, tenant_a)
    url = f"/api/v1/notes/{note['id']}/fhir"
    clin = tenant_a.auth("clinician")
    raw, _ = stored(settings, note["id"], note["version"])
    original = NoteContent.from_json(raw)

    changed_text = original.model_copy(deep=True)
    changed_text.sections[-1].text = "Amoxicillin 500 mg TID."
    changed_title = original.model_copy(deep=True)
    changed_title.sections[0].title = "History"
    for tampered in (changed_text, changed_title):
        rewrite(settings, note["id"], note["version"], tampered)
        refused = client.get(url, headers=clin)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"] == "fhir_mapping_error"

    rewrite(settings, note["id"], note["version"], original)
    assert client.get(url, headers=clin).status_code == 200


def test_the_verification_reference_is_the_recorded_hash_of_the_signed_version_only(
    client: TestClient, tenant_a: TenantWorld, settings: Settings
) -> None:
    note = signed(client, tenant_a)
    clin = tenant_a.auth("clinician")
    amended = client.post(
        f"/api/v1/notes/{note['id']}/amend",
        json={"sections": {"plan": "Strep negative; supportive care."}, "reason": "lab result"},
        headers=clin,
    ).json()
    assert amended["version"] == note["version"] + 1
    with session_scope(settings.resolved_database_url) as session:
        row = session.get(Note, note["id"])
        assert row is not None
        versions = {
            v.version: v
            for v in session.execute(
                select(NoteVersion).where(NoteVersion.note_id == row.id)
            ).scalars()
        }
        signed_version = versions[note["version"]]
        assert review.content_sha256(signed_version) == note["signed_sha256"]
        assert review.signature_holds(note=row, version=signed_version) is True
        # The amendment in draft is not signed: nothing on record covers it.
        assert review.signature_holds(note=row, version=versions[amended["version"]]) is None
    # Until the amendment is signed, the EHR still gets the signed version, unchanged.
    bundle = client.get(f"/api/v1/notes/{note['id']}/fhir", headers=clin)
    raw_signed, text_signed = stored(settings, note["id"], note["version"])
    assert sha256(raw_signed) == note["signed_sha256"]
    assert bundle.status_code == 200 and document_text(bundle.json()) == text_signed

    url = f"/api/v1/notes/{note['id']}"
    client.post(f"{url}/submit", headers=clin)
    client.post(f"{url}/approve", headers=tenant_a.auth("reviewer"))
    resigned = client.post(f"{url}/sign", headers=clin).json()
    raw, _ = stored(settings, note["id"], amended["version"])
    assert resigned["signed_sha256"] == sha256(raw)
    assert resigned["signed_sha256"] != note["signed_sha256"]
    bundle = client.get(f"{url}/fhir", headers=clin).json()
    assert "Strep negative; supportive care." in document_text(bundle)


def test_the_signature_covers_the_extracted_facts_not_only_the_text(
    client: TestClient, tenant_a: TenantWorld, settings: Settings
) -> None:
    note = signed(client, tenant_a)
    raw, text = stored(settings, note["id"], note["version"])
    assert note["signed_sha256"] == sha256(raw)
    url = f"/api/v1/notes/{note['id']}/fhir"
    clin = tenant_a.auth("clinician")
    honoured = client.get(url, headers=clin)
    assert honoured.status_code == 200 and document_text(honoured.json()) == text

    content = NoteContent.from_json(raw)
    content.vitals = []  # the text is unchanged; the facts the EHR gets as resources are not
    rewrite(settings, note["id"], note["version"], content)
    refused = client.get(url, headers=clin)
    assert refused.status_code == 422 and refused.json()["error"] == "fhir_mapping_error"
