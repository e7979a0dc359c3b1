"""Waveforms in the FHIR R4 read API: the recording as an Observation with valueSampledData per
lead, its strip as a DocumentReference, and its measurements once a clinician accepts them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from clinscribe.waveforms.core import read
from tests.support import add_patient_and_encounter
from tests.unit.fhir.server.conftest import get
from tests.unit.waveforms import samples
from tests.unit.waveforms.conftest import Env


@pytest.fixture(scope="module")
def uploaded(env: Env) -> dict[str, Any]:
    """A DICOM ECG of a patient of its own (the API tests share the tenant)."""
    patient_id, _ = add_patient_and_encounter(env.settings, env.a)
    response = env.client.post(
        f"/api/v1/patients/{patient_id}/waveforms",
        headers=env.a.auth("clinician"),
        files=[("file", ("ecg.dcm", samples.dicom_bytes(), "application/dicom"))],
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_the_recording_is_an_observation_with_sampled_data_per_lead(
    env: Env, uploaded: dict[str, Any]
) -> None:
    resource = get(env.client, env.a, f"/fhir/R4/Observation/{uploaded['id']}").json()
    assert resource["code"]["coding"][0]["code"] == "11524-6"
    assert resource["subject"] == {"reference": f"Patient/{uploaded['patient_id']}"}
    components = resource["component"]
    assert [c["code"]["text"] for c in components] == uploaded["leads"]
    assert components[0]["code"]["coding"][0]["code"] == "131329"  # MDC_ECG_ELEC_POTL_I
    lead_ii = components[1]["valueSampledData"]
    assert (lead_ii["period"], lead_ii["factor"], lead_ii["dimensions"]) == (1.0, 0.001, 1)
    values = np.array(lead_ii["data"].split(), dtype=float) * lead_ii["factor"]
    expected = read.from_dicom(samples.dataset()).lead("II")
    assert values.size == 10_000 and np.allclose(values, expected, atol=0.001)


def test_the_strip_is_a_document_reference_linking_its_png(
    env: Env, uploaded: dict[str, Any]
) -> None:
    resource = get(env.client, env.a, f"/fhir/R4/DocumentReference/{uploaded['id']}").json()
    attachment = resource["content"][0]["attachment"]
    assert attachment["contentType"] == "image/png" and attachment["url"] == uploaded["strip_png"]
    png = env.client.get(attachment["url"], headers=env.a.auth("clinician"))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    search = get(
        env.client,
        env.a,
        f"/fhir/R4/DocumentReference?patient={uploaded['patient_id']}&type=11524-6",
    ).json()
    assert [e["resource"]["id"] for e in search["entry"]] == [uploaded["id"]]


def test_measurements_are_served_once_a_clinician_accepts_them(
    env: Env, uploaded: dict[str, Any]
) -> None:
    url = f"/fhir/R4/Observation?patient={uploaded['patient_id']}&code=http://loinc.org|8867-4"
    assert get(env.client, env.a, url).json()["total"] == 0  # proposed: not in the record yet
    ids = uploaded["observation_ids"]
    for entry_id in ids:
        accepted = env.client.post(
            f"/api/v1/patients/{uploaded['patient_id']}/observations/{entry_id}/accept",
            headers=env.a.auth("clinician"),
            json={},
        )
        assert accepted.status_code == 200, accepted.text
    bundle = get(env.client, env.a, url).json()
    heart_rate = bundle["entry"][0]["resource"]
    assert heart_rate["valueQuantity"]["code"] == "/min"
    assert abs(heart_rate["valueQuantity"]["value"] - 61.1) <= 2
    ecg = get(env.client, env.a, f"/fhir/R4/Observation?patient={uploaded['patient_id']}").json()
    assert {e["resource"]["id"] for e in ecg["entry"]} == {uploaded["id"], *ids}


def test_another_tenant_cannot_read_the_waveform_resources(
    env: Env, uploaded: dict[str, Any]
) -> None:
    for kind in ("Observation", "DocumentReference"):
        response = env.client.get(
            f"/fhir/R4/{kind}/{uploaded['id']}", headers=env.b.auth("clinician")
        )
        assert response.status_code == 404
