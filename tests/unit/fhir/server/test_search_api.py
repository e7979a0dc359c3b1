"""FHIR search returns exactly the matching resources: 50+ cases over a known record, every
date prefix and partial date, tokens with and without a system, paging and _include."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.unit.fhir.server.conftest import FhirEnv, found, get

LOINC = "http://loinc.org"
OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"
P1_OBS = {"hr_jan", "hr_feb", "glucose", "sbp_nye", "smoking", "lab_creat", "lab_sodium"}

CASES: list[tuple[str, set[str]]] = [
    # patient / subject / _id
    ("Observation?patient={patient1}", P1_OBS),
    ("Observation?subject=Patient/{patient1}", P1_OBS),
    ("Observation?patient:Patient={patient1}", P1_OBS),
    ("Observation?patient={patient2}", {"hr_other"}),
    ("Observation", P1_OBS | {"hr_other"}),
    ("Observation?_id={hr_jan},{glucose}", {"hr_jan", "glucose"}),
    ("Observation?_id={hr_proposed}", set()),
    # code: bare, with system, wrong system, no system, system only, alternatives
    ("Observation?patient={patient1}&code=8867-4", {"hr_jan", "hr_feb"}),
    ("Observation?code=8867-4", {"hr_jan", "hr_feb", "hr_other"}),
    (f"Observation?patient={{patient1}}&code={LOINC}|8867-4", {"hr_jan", "hr_feb"}),
    ("Observation?patient={patient1}&code=http://snomed.info/sct|8867-4", set()),
    ("Observation?patient={patient1}&code=|8867-4", set()),
    (f"Observation?patient={{patient1}}&code={LOINC}|", P1_OBS),
    ("Observation?patient={patient1}&code=8867-4,2339-0", {"hr_jan", "hr_feb", "glucose"}),
    ("Observation?patient={patient1}&code=2160-0", {"lab_creat"}),
    # category and status
    ("Observation?patient={patient1}&category=vital-signs", {"hr_jan", "hr_feb", "sbp_nye"}),
    ("Observation?patient={patient1}&category=laboratory", {"glucose", "lab_creat", "lab_sodium"}),
    (f"Observation?patient={{patient1}}&category={OBS_CAT}|social-history", {"smoking"}),
    ("Observation?patient={patient1}&status=preliminary", {"glucose", "lab_sodium"}),
    (
        "Observation?patient={patient1}&status=final,amended",
        {"hr_jan", "hr_feb", "sbp_nye", "smoking", "lab_creat"},
    ),
    # date: partial dates and every prefix
    (
        "Observation?patient={patient1}&date=2024",
        {"hr_jan", "hr_feb", "glucose", "lab_creat", "lab_sodium"},
    ),
    ("Observation?patient={patient1}&date=2024-01", {"hr_jan"}),
    ("Observation?patient={patient1}&date=eq2024-02-10", {"hr_feb"}),
    ("Observation?patient={patient1}&date=2024-03-05", {"lab_creat", "lab_sodium"}),
    ("Observation?patient={patient1}&date=ne2024", {"sbp_nye", "smoking"}),
    ("Observation?patient={patient1}&date=lt2024-01-15", {"sbp_nye"}),
    ("Observation?patient={patient1}&date=le2024-01-15", {"sbp_nye", "hr_jan"}),
    ("Observation?patient={patient1}&date=gt2024-02-20", {"lab_creat", "lab_sodium", "smoking"}),
    (
        "Observation?patient={patient1}&date=ge2024-02-20",
        {"glucose", "lab_creat", "lab_sodium", "smoking"},
    ),
    ("Observation?patient={patient1}&date=sa2024-02", {"lab_creat", "lab_sodium", "smoking"}),
    ("Observation?patient={patient1}&date=eb2024-01", {"sbp_nye"}),
    (
        "Observation?patient={patient1}&date=ap2024-03-05",
        {"sbp_nye", "hr_jan", "hr_feb", "glucose", "lab_creat", "lab_sodium"},
    ),
    ("Observation?patient={patient1}&date=ge2024-01-01&date=lt2024-02-01", {"hr_jan"}),
    ("Observation?patient={patient1}&date=2024-01-15T10:00:00Z", {"hr_jan"}),
    ("Observation?patient={patient1}&date=2024-01-15T10:00Z", {"hr_jan"}),
    (
        "Observation?patient={patient1}&date=ge2024-01-15T10:00:00%2B02:00",
        {"hr_jan", "hr_feb", "glucose", "lab_creat", "lab_sodium", "smoking"},
    ),
    ("Observation?patient={patient1}&date=2024-03-05T12:00:00Z", set()),
    (
        "Observation?patient={patient1}&date=le2024-03-05T12:00:00Z",
        {"sbp_nye", "hr_jan", "hr_feb", "glucose", "lab_creat", "lab_sodium"},
    ),
    ("Observation?patient={patient1}&date=2023-12-31,2025", {"sbp_nye", "smoking"}),
    ("Observation?patient={patient1}&code=8867-4&date=ge2024-02-01", {"hr_feb"}),
    # the other record types
    ("Condition?patient={patient1}", {"htn", "asthma"}),
    ("Condition?clinical-status=active", {"htn", "dm_other"}),
    ("Condition?code=http://hl7.org/fhir/sid/icd-10-cm|I10", {"htn"}),
    ("Condition?onset-date=lt2015", {"asthma"}),
    ("Condition?verification-status=provisional", {"dm_other"}),
    ("MedicationStatement?status=active", {"lisinopril"}),
    ("MedicationStatement?code=5640", {"ibuprofen_stopped"}),
    ("MedicationStatement?effective=lt2024", {"ibuprofen_stopped"}),
    ("MedicationRequest?patient={patient2}", {"metformin_rx_other"}),
    ("MedicationRequest?intent=order", {"amoxicillin_rx"}),
    ("MedicationRequest?authoredon=2024-02-10", {"amoxicillin_rx"}),
    ("ServiceRequest?code=|cardio", {"referral"}),
    (f"ServiceRequest?code={LOINC}|4548-4", {"a1c_order"}),
    ("ServiceRequest?category=referral", {"referral"}),
    ("ServiceRequest?category=http://snomed.info/sct|108252007", {"a1c_order"}),
    ("ServiceRequest?status=draft&authored=2024-03", {"referral"}),
    ("AllergyIntolerance?clinical-status=active", {"penicillin"}),
    ("AllergyIntolerance?category=food", {"peanut_other"}),
    ("AllergyIntolerance?patient={patient1}&code=7980", {"penicillin"}),
    ("CarePlan?date=2024", {"plan"}),
    ("CarePlan?date=gt2024", set()),
    ("Consent?category=ambient-recording&status=active", {"ambient"}),
    ("Encounter?patient={patient2}", {"encounter2"}),
    ("Patient?_id={patient1}", {"patient1"}),
    ("DocumentReference?patient={patient1}", {"document"}),
    ("DocumentReference?type=http://loinc.org|11502-2", {"document"}),
    ("DocumentReference?patient={patient2}", set()),
]


@pytest.mark.parametrize(("url", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_search_returns_exactly_the_matching_resources(
    env: FhirEnv, url: str, expected: set[str]
) -> None:
    client, tenant_a, ids = env.client, env.a, env.ids
    bundle = get(client, tenant_a, "/fhir/R4/" + url.format(**ids)).json()
    assert bundle["type"] == "searchset"
    assert found(bundle) == {ids[name] for name in expected}
    assert bundle["total"] == len(expected)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_paging_walks_every_page_once_with_next_and_previous_links(
    env: FhirEnv,
) -> None:
    client, tenant_a, ids = env.client, env.a, env.ids
    url: str | None = f"/fhir/R4/Observation?patient={ids['patient1']}&_count=3"
    pages: list[list[str]] = []
    while url is not None:
        bundle = get(client, tenant_a, url).json()
        assert bundle["total"] == 7
        pages.append([e["resource"]["id"] for e in bundle["entry"]])
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        assert "self" in links
        assert ("previous" in links) == (len(pages) > 1)
        url = _path(links["next"]) if "next" in links else None
    assert [len(p) for p in pages] == [3, 3, 1]
    seen = [i for page in pages for i in page]
    assert len(seen) == len(set(seen)) and set(seen) == {ids[n] for n in P1_OBS}
    back = get(client, tenant_a, _path(links["previous"])).json()
    assert [e["resource"]["id"] for e in back["entry"]] == pages[1]


def test_count_zero_gives_the_total_without_entries(
    env: FhirEnv,
) -> None:
    client, tenant_a, ids = env.client, env.a, env.ids
    bundle = get(client, tenant_a, f"/fhir/R4/Observation?patient={ids['patient1']}&_count=0")
    assert bundle.json()["total"] == 7 and "entry" not in bundle.json()


def test_the_self_link_repeats_the_search(
    env: FhirEnv,
) -> None:
    client, tenant_a = env.client, env.a
    first = get(client, tenant_a, "/fhir/R4/Observation?code=8867-4&_count=2").json()
    self_url = next(link["url"] for link in first["link"] if link["relation"] == "self")
    again = get(client, tenant_a, _path(self_url)).json()
    assert found(again) == found(first) and again["total"] == first["total"] == 3


@pytest.mark.parametrize(
    ("url", "matches", "included"),
    [
        (
            "Observation?code=8867-4&_include=Observation:patient",
            {"hr_jan", "hr_feb", "hr_other"},
            {"patient1", "patient2"},
        ),
        (
            "Observation?patient={patient1}&code=2339-0&_include=Observation:subject",
            {"glucose"},
            {"patient1"},
        ),
        (
            "MedicationRequest?patient={patient1}&_include=MedicationRequest:patient",
            {"amoxicillin_rx"},
            {"patient1"},
        ),
        ("Encounter?patient={patient2}&_include=Encounter:patient", {"encounter2"}, {"patient2"}),
        ("Condition?code=E11.9&_include=Condition:patient", {"dm_other"}, {"patient2"}),
    ],
)
def test_include_adds_the_referenced_patients_once(
    env: FhirEnv,
    url: str,
    matches: set[str],
    included: set[str],
) -> None:
    client, tenant_a, ids = env.client, env.a, env.ids
    bundle = get(client, tenant_a, "/fhir/R4/" + url.format(**ids)).json()
    assert found(bundle) == {ids[n] for n in matches}
    assert found(bundle, "include") == {ids[n] for n in included}
    assert bundle["total"] == len(matches)  # included resources are not counted
    include_ids = [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert len(include_ids) == len(set(include_ids))


def test_post_search_with_a_form_body_is_the_same_search(env: FhirEnv) -> None:
    client, a, ids = env.client, env.a, env.ids
    response = client.post(
        f"/fhir/R4/Observation/_search?patient={ids['patient1']}",
        data={"code": "8867-4", "date": "ge2024-02"},
        headers=a.auth("clinician"),
    )
    assert response.status_code == 200
    assert found(response.json()) == {ids["hr_feb"]}
    as_json = client.post(
        "/fhir/R4/Observation/_search", json={"code": "8867-4"}, headers=a.auth("clinician")
    )
    assert as_json.status_code == 406


def test_post_search_checks_credentials_before_the_body(env: FhirEnv) -> None:
    response = env.client.post("/fhir/R4/Observation/_search", json={"code": "8867-4"})
    assert response.status_code == 401
    empty = env.client.post("/fhir/R4/Condition/_search", headers=env.a.auth("reviewer"))
    assert empty.status_code == 200 and empty.json()["total"] == 3
