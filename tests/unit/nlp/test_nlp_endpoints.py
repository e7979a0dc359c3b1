"""`POST /nlp/extract`, `POST /nlp/deid` and the `extract` / `deid` commands, per the contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from tests.support import TenantWorld

DICTATION = "Patient denies chest pain. On lisinopril 20 mg daily. BP 142/88, HR 96."


def test_extract_returns_the_contract_shape(client: TestClient, tenant_a: TenantWorld) -> None:
    response = client.post(
        "/api/v1/nlp/extract", json={"text": DICTATION}, headers=tenant_a.auth("clinician")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    drug = next(e for e in body["entities"] if e["category"] == "MEDICATION")
    assert drug["text"] == "lisinopril" and drug["attributes"]["dosage"] == "20 mg"
    assert DICTATION[drug["begin"] : drug["end"]] == "lisinopril"
    pain = next(e for e in body["entities"] if e["text"] == "chest pain")
    assert "NEGATION" in pain["traits"]
    assert any(c["system"] == "http://hl7.org/fhir/sid/icd-10-cm" for c in pain["codes"])
    bp = next(v for v in body["vitals"] if v["type"] == "blood_pressure")
    assert (bp["systolic"], bp["diastolic"], bp["unit"]) == (142, 88, "mmHg")


def test_deid_redacts_masks_and_replaces(client: TestClient, tenant_a: TenantWorld) -> None:
    text = "Seen by Dr. Anand Pelletier on 11/02/2026, MRN 00482913, phone (555) 201-4477."
    headers = tenant_a.auth("reviewer")
    redacted = client.post("/api/v1/nlp/deid", json={"text": text}, headers=headers).json()
    assert "Pelletier" not in redacted["text"] and "00482913" not in redacted["text"]
    assert {p["type"] for p in redacted["phi"]} >= {"NAME", "DATE", "MRN", "PHONE"}
    for span in redacted["phi"]:
        assert text[span["begin"] : span["end"]] == span["text"]
    for mode in ("mask", "surrogate"):
        other = client.post(
            "/api/v1/nlp/deid", json={"text": text, "mode": mode}, headers=headers
        ).json()
        assert "Pelletier" not in other["text"] and other["text"] != redacted["text"]


def test_bad_nlp_requests_are_4xx(client: TestClient, tenant_a: TenantWorld) -> None:
    headers = tenant_a.auth("clinician")
    assert client.post("/api/v1/nlp/extract", json={}, headers=headers).status_code == 422
    assert client.post("/api/v1/nlp/extract", json={"text": 12}, headers=headers).status_code == 422
    assert (
        client.post(
            "/api/v1/nlp/deid", json={"text": "x", "mode": "shred"}, headers=headers
        ).status_code
        == 422
    )
    assert client.post("/api/v1/nlp/extract", json={"text": "x"}).status_code == 401
    empty = client.post("/api/v1/nlp/extract", json={"text": ""}, headers=headers)
    assert empty.status_code == 200 and empty.json()["entities"] == []


def run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clinscribe.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ},
    )


def test_the_extract_and_deid_commands_read_files_and_stdin(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(DICTATION)
    extracted = run(["extract", str(note), "--json"])
    assert extracted.returncode == 0, extracted.stderr
    assert any(e["text"] == "lisinopril" for e in json.loads(extracted.stdout)["entities"])
    deid = run(["deid", "-", "--json"], stdin="Call Maria Gonzalez at 555-201-4477.")
    assert deid.returncode == 0
    assert "Gonzalez" not in json.loads(deid.stdout)["text"]


def test_the_nlp_commands_fail_in_one_line_on_bad_input(tmp_path: Path) -> None:
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage\x81")
    for args, stdin in (
        (["extract", str(tmp_path / "missing.txt")], None),
        (["deid", str(binary)], None),
        (["extract", "-"], "   "),
        (["deid", "-", "--mode", "shred"], "x"),
    ):
        result = run(args, stdin)
        assert result.returncode != 0, args
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(
            "clinscribe: error:"
        )


def test_the_transcribe_command_rejects_non_audio_in_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "fake.wav"
    fake.write_bytes(os.urandom(2048))
    result = run(["transcribe", str(fake)])
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "fake.wav" in result.stderr
    missing = run(["transcribe", str(tmp_path / "nope.wav")])
    assert missing.returncode == 1 and "no such file" in missing.stderr


def test_the_note_command_drafts_from_text_and_rejects_bad_input(tmp_path: Path) -> None:
    dialogue = tmp_path / "visit.txt"
    dialogue.write_text(
        "Doctor: What brings you in?\nPatient: I have had a cough for three days.\n"
        "Doctor: Your lungs are clear.\n"
    )
    drafted = run(["note", str(dialogue), "--json"])
    assert drafted.returncode == 0, drafted.stderr
    note = json.loads(drafted.stdout)
    assert note["template"] == "soap" and note["text"].startswith("SUBJECTIVE")
    assert all({"key", "title", "text", "evidence"} <= set(s) for s in note["sections"])
    plain = run(["note", str(dialogue), "--template", "history_and_physical"])
    assert plain.returncode == 0 and plain.stdout.isupper() is False
    for args in (
        ["note", str(dialogue), "--template", "nope"],
        ["note", str(tmp_path / "none.txt")],
        ["note", str(tmp_path / "missing.wav")],
    ):
        bad = run(args)
        assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1, args
