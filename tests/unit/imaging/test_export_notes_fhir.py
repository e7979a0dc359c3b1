"""De-identified export over the API, studies attached to notes, and FHIR ImagingStudy."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from typing import Any

import pydicom
from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class

from clinscribe.config import Settings
from tests.support import TenantWorld, add_note
from tests.unit.imaging import dicom_samples as samples
from tests.unit.imaging.test_api import audit_actions, upload


def _zip(content: bytes) -> tuple[dict[str, Any], list[pydicom.Dataset]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        files = [
            pydicom.dcmread(io.BytesIO(archive.read(n)))
            for n in sorted(archive.namelist())
            if n.endswith(".dcm")
        ]
    return manifest, files


def test_a_deidentified_export_remaps_uids_consistently_and_leaves_out_burned_in_images(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    named = {"patient_id": "MRN-77", "patient_name": "Doe^Jane"}
    files = samples.study(2, **named)
    originals = [pydicom.dcmread(io.BytesIO(f)) for f in files]
    burned = samples.ct(study_uid=originals[0].StudyInstanceUID, burned_in=True, number=3, **named)
    body = upload(client, tenant_a, [("a", files[0]), ("b", files[1]), ("c", burned)]).json()  # type: ignore[attr-defined]
    study_id = body["studies"][0]["id"]
    headers = tenant_a.auth("reviewer")
    url = f"/api/v1/studies/{study_id}/export"
    response = client.get(url, params={"deidentify": "true"}, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    manifest, out = _zip(response.content)
    assert manifest["instances"] == 2 and manifest["excluded_burned_in"] == 1
    assert {d.StudyInstanceUID for d in out} == {out[0].StudyInstanceUID}
    assert out[0].StudyInstanceUID != originals[0].StudyInstanceUID
    assert len({d.SOPInstanceUID for d in out}) == 2
    for ds in out:
        assert ds.PatientIdentityRemoved == "YES" and not ds.PatientName and not ds.PatientID
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.SOPInstanceUID not in {o.SOPInstanceUID for o in originals}
        assert not any(e.tag.is_private for e in ds)
        assert "Jane" not in str(ds) and "MRN-77" not in str(ds)
    again = _zip(client.get(url, params={"deidentify": "true"}, headers=headers).content)[1]
    assert again[0].StudyInstanceUID != out[0].StudyInstanceUID  # a fresh salt per export
    included = client.get(
        url, params={"deidentify": "true", "include_burned_in": "true"}, headers=headers
    )
    assert _zip(included.content)[0]["instances"] == 3
    plain = _zip(client.get(url, headers=headers).content)[1]
    assert sorted(d.SOPInstanceUID for d in plain) == sorted(
        [o.SOPInstanceUID for o in originals] + [pydicom.dcmread(io.BytesIO(burned)).SOPInstanceUID]
    )
    assert "imaging.study.export.deidentified" in audit_actions(settings, study_id)


def _validate(resource: dict[str, Any]) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_a_study_attached_to_a_note_is_linked_in_it_and_served_as_fhir_imaging_study(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    study = upload(client, tenant_a, [("x.dcm", samples.ct())]).json()["studies"][0]  # type: ignore[attr-defined]
    held = upload(
        client, tenant_a, [("h.dcm", samples.ct(patient_id="X-1", patient_name="Other^Al"))]
    ).json()["studies"][0]  # type: ignore[attr-defined]
    note_id, _ = add_note(settings, tenant_a, tenant_a.encounter_id, "draft")
    clinician = tenant_a.auth("clinician")
    edit = client.patch(
        f"/api/v1/notes/{note_id}",
        headers=clinician,
        json={"sections": {"objective": "Afebrile. The chest film shows no consolidation."}},
    )
    assert edit.status_code == 200, edit.text
    attach = f"/api/v1/notes/{note_id}/studies"
    refused = client.post(attach, headers=clinician, json={"study_id": held["id"]})
    assert refused.status_code == 409 and refused.json()["error"] == "study_held"
    other = upload(client, tenant_b, [("o.dcm", samples.ct())]).json()["studies"][0]  # type: ignore[attr-defined]
    assert client.post(attach, headers=clinician, json={"study_id": other["id"]}).status_code == 404
    assert client.post(attach, headers=clinician, json={"study_id": study["id"]}).status_code == 201
    note = client.get(f"/api/v1/notes/{note_id}", headers=clinician).json()
    [linked] = note["studies"]
    assert linked["id"] == study["id"] and linked["url"] == f"/api/v1/studies/{study['id']}"
    objective = next(s for s in note["content"]["sections"] if s["key"] == "objective")["text"]
    mention = linked["mention"]
    assert mention["section"] == "objective"
    assert objective[mention["begin"] : mention["end"]] == "The chest film shows no consolidation."

    # FHIR read API: read, search by patient, _id and started; validated as R4B.
    found = client.get(
        "/fhir/R4/ImagingStudy", params={"patient": tenant_a.patient_id}, headers=clinician
    ).json()
    assert found["total"] == 1  # the held study is not part of the record
    resource = found["entry"][0]["resource"]
    _validate(resource)
    assert resource["modality"][0]["code"] == "CT"
    assert resource["series"][0]["instance"][0]["sopClass"]["code"].startswith("urn:oid:")
    read = client.get(f"/fhir/R4/ImagingStudy/{study['id']}", headers=clinician)
    assert read.status_code == 200 and read.json()["id"] == study["id"]
    for started, total in (("ge2004-01-01", 1), ("lt2004-01-01", 0)):
        hits = client.get(
            "/fhir/R4/ImagingStudy",
            params={"patient": tenant_a.patient_id, "started": started},
            headers=clinician,
        ).json()
        assert hits["total"] == total, started
    by_id = client.get("/fhir/R4/ImagingStudy", params={"_id": study["id"]}, headers=clinician)
    assert by_id.json()["total"] == 1
    metadata = client.get("/fhir/R4/metadata").json()
    types = {r["type"] for r in metadata["rest"][0]["resource"]}
    assert "ImagingStudy" in types

    # The signed note's Bundle carries the study and lists it in the Composition.
    signed_id, _ = add_note(settings, tenant_a, tenant_a.encounter_id, "signed")
    client.post(
        f"/api/v1/notes/{signed_id}/studies", headers=clinician, json={"study_id": study["id"]}
    )
    bundle = client.get(f"/api/v1/notes/{signed_id}/fhir", headers=clinician)
    assert bundle.status_code == 200, bundle.text
    entries = bundle.json()["entry"]
    imaging = [e for e in entries if e["resource"]["resourceType"] == "ImagingStudy"]
    assert len(imaging) == 1
    _validate(imaging[0]["resource"])
    composition = next(
        e["resource"] for e in entries if e["resource"]["resourceType"] == "Composition"
    )
    refs = [r["reference"] for s in composition["section"] for r in s.get("entry", [])]
    assert imaging[0]["fullUrl"] in refs
    detach = client.delete(f"/api/v1/notes/{note_id}/studies/{study['id']}", headers=clinician)
    assert detach.status_code == 204
    assert client.get(f"/api/v1/notes/{note_id}", headers=clinician).json()["studies"] == []


def test_a_note_with_an_ecg_study_carries_the_recording_and_its_strip_in_its_bundle(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    clinician = tenant_a.auth("clinician")
    ecg = samples.bundled_bytes("waveform_ecg.dcm")
    study = upload(client, tenant_a, [("ecg.dcm", ecg)]).json()["studies"][0]  # type: ignore[attr-defined]
    confirmed = client.post(f"/api/v1/studies/{study['id']}/confirm", headers=clinician).json()
    assert len(confirmed["waveforms"]) == 1
    signed_id, _ = add_note(settings, tenant_a, tenant_a.encounter_id, "signed")
    attach = client.post(
        f"/api/v1/notes/{signed_id}/studies", headers=clinician, json={"study_id": study["id"]}
    )
    assert attach.status_code == 201, attach.text
    bundle = client.get(f"/api/v1/notes/{signed_id}/fhir", headers=clinician)
    assert bundle.status_code == 200, bundle.text
    entries = bundle.json()["entry"]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry)
    # The recording is the Observation with leads; the strip the DocumentReference of an ECG.
    (recording,) = [
        e
        for e in by_type["Observation"]
        if e["resource"]["code"]["coding"][0]["code"] == "11524-6"  # LOINC: EKG study
    ]
    (strip,) = [
        e
        for e in by_type["DocumentReference"]
        if e["resource"].get("description", "").startswith("ECG strip")
    ]
    for entry in (recording, strip):
        _validate(entry["resource"])
        assert entry["request"]["method"] == "POST" and entry["request"]["ifNoneExist"]
    components = recording["resource"]["component"]
    assert len(components) == 12
    assert all(c["valueSampledData"]["data"] for c in components)
    attachment = strip["resource"]["content"][0]["attachment"]
    assert attachment["contentType"] == "image/png"
    assert base64.b64decode(attachment["data"]).startswith(b"\x89PNG")
    assert strip["resource"]["context"]["related"][0]["reference"] == recording["fullUrl"]
    composition = by_type["Composition"][0]["resource"]
    subject = composition["subject"]
    assert recording["resource"]["subject"] == subject == strip["resource"]["subject"]
    refs = [r["reference"] for s in composition["section"] for r in s.get("entry", [])]
    assert recording["fullUrl"] in refs and strip["fullUrl"] in refs
