"""The encryption canary: unique markers go in through every PHI path, then are looked for."""

from __future__ import annotations

import json
import struct
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.support import TenantWorld, wav_bytes


def markers() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {
        "given": f"Qzgiven{tag}",
        "family": f"Qzfamily{tag}",
        "mrn": f"QZMRN{tag}",
        "email": f"qzmail{tag}@example.org",
        "reason": f"qzreason{tag}",
        "spoken": f"qzspoken{tag}",
        "file": f"qzfile{tag}",
        "tag": f"qzaudiotag{tag}",
    }


def _wav_with_tag(marker: str) -> bytes:
    """A WAV whose INFO chunk carries `marker` (what a recorder may embed as a title)."""
    wav = wav_bytes(0.5)
    payload = b"INFO" + b"INAM" + struct.pack("<I", len(marker) + 1) + marker.encode() + b"\0"
    if len(payload) % 2:
        payload += b"\0"
    body = wav + b"LIST" + struct.pack("<I", len(payload)) + payload
    return body[:4] + struct.pack("<I", len(body) - 8) + body[8:]


def exercise(client: TestClient, world: TenantWorld, marks: dict[str, str]) -> bytes:
    """Patient, encounter, typed visit, tagged audio and a drafted note; returns /metrics."""
    admin, clin = world.auth("admin"), world.auth("clinician")
    patient = client.post(
        "/api/v1/patients",
        json={
            "mrn": marks["mrn"],
            "given_name": marks["given"],
            "family_name": marks["family"],
            "email": marks["email"],
        },
        headers=admin,
    )
    assert patient.status_code == 201, patient.text
    encounter = client.post(
        "/api/v1/encounters",
        json={"patient_id": patient.json()["id"], "reason": marks["reason"]},
        headers=clin,
    )
    assert encounter.status_code == 201, encounter.text
    url = f"/api/v1/encounters/{encounter.json()['id']}"
    dialogue = (
        f"[doctor] Good morning {marks['given']} {marks['family']}.\n"
        f"[patient] I have a {marks['spoken']} rash and a cough for three days.\n"
        "[doctor] Take ibuprofen 400 mg three times daily."
    )
    assert client.post(f"{url}/text", json={"text": dialogue}, headers=clin).status_code == 201
    upload = client.post(
        f"{url}/recordings",
        files={"file": (f"{marks['file']}.wav", _wav_with_tag(marks["tag"]), "audio/wav")},
        headers=clin,
    )
    assert upload.status_code == 202, upload.text
    note = client.post(f"{url}/notes", json={"template": "soap"}, headers=clin)
    assert note.status_code == 201, note.text
    # Positive controls: everything went in and comes back out to an authorized reader.
    assert marks["spoken"] in json.dumps(note.json())
    found = client.get("/api/v1/patients", params={"mrn": marks["mrn"]}, headers=admin).json()
    assert found["items"][0]["given_name"] == marks["given"]
    recording: dict[str, Any] = upload.json()["recording"]
    assert recording["filename"] == f"{marks['file']}.wav"
    audio = client.get(f"/api/v1/recordings/{recording['id']}/audio", headers=clin)
    assert marks["tag"].encode() in audio.content
    return client.get("/metrics").content


def files_under(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def assert_absent(marks: dict[str, str], places: dict[str, bytes]) -> None:
    for name, marker in marks.items():
        for form in {marker, marker.lower(), marker.upper()}:
            for where, haystack in places.items():
                assert form.encode() not in haystack, f"the {name} marker is in {where}"
