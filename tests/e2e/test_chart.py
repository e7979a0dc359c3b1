"""The clinical record chart: the summary header, each tab, decisions on proposed entries, an
interaction alert acknowledged with a reason, and a stale edit refused with a clear message."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import shot, sign_in, sign_out, world  # noqa: F401  (fixture)
from tests.support import TenantWorld

Page = Any
GLUCOSE = "2345-7"
HEART_RATE = "8867-4"


class Record:
    """Entries written through the REST API, as a clinician (active) or an API key (proposed)."""

    def __init__(self, base: str, owner: TenantWorld) -> None:
        self.url = f"{base}/api/v1/patients/{owner.patient_id}"
        self.owner = owner

    def add(self, resource: str, body: dict[str, Any], who: str = "clinician") -> dict[str, Any]:
        answer = httpx.post(
            f"{self.url}/{resource}", json=body, headers=self.owner.auth(who), timeout=30
        )
        assert answer.status_code == 201, answer.text
        entry: dict[str, Any] = answer.json()
        return entry

    def get(self, path: str) -> dict[str, Any]:
        answer = httpx.get(f"{self.url}/{path}", headers=self.owner.auth("clinician"), timeout=30)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


def seed(record: Record) -> dict[str, dict[str, Any]]:
    """A small chart: labs over time, vitals, two interacting drugs, an allergy, a problem, an
    order in a care plan, a consent; and three entries an API key proposed."""
    for day, value, flag in (
        ("2026-01-10", 96, "N"),
        ("2026-03-12", 131, "H"),
        ("2026-06-02", 118, "H"),
    ):
        record.add(
            "observations",
            {
                "category": "laboratory",
                "code": GLUCOSE,
                "display": "Glucose",
                "value_quantity": value,
                "unit": "mg/dL",
                "interpretation": flag,
                "ref_low": 70,
                "ref_high": 99,
                "effective_at": f"{day}T08:30:00Z",
            },
        )
    for day, value in (("2026-03-12", 92), ("2026-06-02", 78)):
        record.add(
            "observations",
            {
                "category": "vital-signs",
                "code": HEART_RATE,
                "display": "Heart rate",
                "value_quantity": value,
                "unit": "/min",
                "effective_at": f"{day}T08:35:00Z",
            },
        )
    record.add("medications", {"drug": "warfarin", "dose": "5 mg", "frequency": "daily"})
    record.add("medications", {"drug": "ibuprofen", "dose": "400 mg", "frequency": "as needed"})
    record.add(
        "allergies",
        {
            "substance": "penicillin",
            "reaction": "hives",
            "severity": "moderate",
            "criticality": "high",
        },
    )
    hypertension = record.add("conditions", {"code": "I10", "display": "Essential hypertension"})
    order = record.add(
        "orders",
        {
            "category": "laboratory",
            "code": "4548-4",
            "code_system": "http://loinc.org",
            "display": "Hemoglobin A1c",
            "status": "active",
        },
    )
    record.add(
        "care-plans",
        {
            "title": "Glycaemic control",
            "period_start": "2026-06-02",
            "goals": [
                {
                    "description": "HbA1c below 7%",
                    "measure": "4548-4",
                    "target_value": 7,
                    "target_unit": "%",
                    "due_date": "2026-12-01",
                }
            ],
            "activities": [{"description": "Recheck HbA1c", "order_id": order["id"]}],
        },
    )
    record.add("consents", {"category": "ambient-recording", "granted_by": "patient"})
    metformin = record.add(
        "medications",
        {"drug": "metformin", "dose": "500 mg", "frequency": "twice daily"},
        "key_write",
    )
    diabetes = record.add(
        "conditions", {"code": "E11.9", "display": "Type 2 diabetes mellitus"}, "key_write"
    )
    record.add("allergies", {"substance": "latex", "category": "environment"}, "key_write")
    assert metformin["state"] == "proposed" and hypertension["state"] == "active"
    return {"hypertension": hypertension, "metformin": metformin, "diabetes": diabetes}


@pytest.mark.timeout(240)
def test_a_clinician_works_through_the_chart_tab_by_tab(
    server: str,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    record = Record(server, world)
    entries = seed(record)
    sign_in(page, server, world.emails["clinician"], f"#/patients/{world.patient_id}")

    # The patient page carries the summary header.
    header = page.locator("#chart-header")
    # The first check of a process loads the drug lexicon: allow for it.
    expect(header.locator("#summary-vitals")).to_contain_text("Heart rate 78 /min", timeout=60_000)
    expect(header.locator("#summary-problems")).to_contain_text("Essential hypertension (I10)")
    expect(header.locator("#summary-allergies")).to_contain_text("penicillin — hives")
    expect(header.locator("#summary-orders")).to_contain_text("Hemoglobin A1c")
    warfarin = header.locator("#summary-medications li", has_text=re.compile("^warfarin"))
    expect(warfarin.locator(".badge.interaction")).to_have_count(1)
    expect(warfarin.locator(".badge.interaction")).to_contain_text("interaction")
    expect(header.locator("#pending-review")).to_contain_text("3 proposed entries await")
    shot(page, artifacts, "chart-header")

    # Vitals & labs: a trend chart per code, the reference range shaded, flags marked.
    page.get_by_role("link", name="Open the clinical record").click()
    tabs = page.get_by_role("navigation", name="Clinical record")
    expect(tabs.get_by_role("link", name="Vitals & labs")).to_have_attribute("aria-current", "page")
    glucose = page.locator(f"#trend-charts figure[data-code='{GLUCOSE}']")
    expect(glucose.locator("circle")).to_have_count(3)
    expect(glucose.locator("circle.flagged")).to_have_count(2)
    expect(glucose.locator("rect.ref-band")).to_have_count(1)
    label = glucose.locator("svg").get_attribute("aria-label") or ""
    assert label.startswith("Glucose (mg/dL): 96 on 2026-01-10, 131 on 2026-03-12"), label
    expect(page.locator("#observations-active tbody tr")).to_have_count(5)
    # The newest first.
    expect(page.locator("#observations-active tbody tr").first).to_contain_text("Heart rate")
    # A measurement typed in joins its code's trend.
    page.get_by_text("Record a measurement").click()
    measure = page.locator("#add-observation")
    measure.get_by_label("Name").fill("Heart rate")
    measure.get_by_label("LOINC code").fill(HEART_RATE)
    measure.get_by_label("Value").fill("71")
    measure.get_by_label("Unit").fill("/min")
    measure.get_by_label("Taken at").fill("2026-06-20T09:15")
    measure.get_by_role("button", name="Add observation").click()
    expect(page.locator("#flash")).to_have_text("Added Heart rate to the record.")
    expect(page.locator(f"#trend-charts figure[data-code='{HEART_RATE}'] circle")).to_have_count(3)
    expect(page.locator("#observations-active tbody tr")).to_have_count(6)
    expect(header.locator("#summary-vitals")).to_contain_text("Heart rate 71 /min")
    filters = page.get_by_role("search", name="Filter observations")
    filters.get_by_label("Category").select_option("laboratory")
    filters.get_by_role("button", name="Filter").click()
    expect(page.locator("#observations-active tbody tr")).to_have_count(3)
    expect(page.locator("#observations-active tbody tr .badge.flag-H")).to_have_count(2)
    shot(page, artifacts, "chart-vitals")

    # Medications: the alert, acknowledged only with a reason; a proposed drug accepted.
    tabs.get_by_role("link", name="Medications").click()
    alert = page.locator("#interaction-alerts li", has_text="warfarin + ibuprofen")
    expect(alert).to_contain_text("ibuprofen")
    acknowledge = alert.get_by_role("button", name=re.compile("^Acknowledge"))
    acknowledge.click()
    reason = alert.get_by_label(re.compile("^Reason for continuing"))
    assert reason.evaluate("el => el.validity.valueMissing") is True
    expect(alert.locator("form")).to_be_visible()
    reason.fill("Short course; INR checked twice weekly.")
    reason.press("Enter")  # the keyboard submits the form
    expect(page.locator("#flash")).to_contain_text("Acknowledged")
    expect(page.locator("#interaction-alerts li", has_text="warfarin + ibuprofen")).to_contain_text(
        "✓ Acknowledged"
    )
    alerts = record.get("interactions")["alerts"]
    assert [a["acknowledged"] for a in alerts] == [True], alerts
    expect(header.locator("#open-alerts")).to_have_count(0)

    proposed = page.locator("#medications-proposed tbody tr")
    expect(proposed).to_have_count(1)
    expect(proposed).to_contain_text("Proposed")
    page.get_by_role("button", name=re.compile("^Accept metformin")).click()
    expect(page.locator("#flash")).to_contain_text("Accepted metformin")
    expect(page.locator("#medications-proposed")).to_have_count(0)
    expect(page.locator("#medications-active tbody tr", has_text="metformin")).to_have_count(1)
    expect(header.locator("#summary-medications")).to_contain_text("metformin")
    assert record.get(f"medications/{entries['metformin']['id']}")["state"] == "active"
    shot(page, artifacts, "chart-medications")

    # Problems: a proposal rejected; an edit made on a stale version is refused, clearly.
    tabs.get_by_role("link", name="Problems").click()
    page.get_by_role("button", name=re.compile("^Reject Type 2 diabetes")).click()
    expect(page.locator("#flash")).to_contain_text("Rejected Type 2 diabetes")
    expect(page.locator("#conditions-rejected tbody tr")).to_have_count(1)
    hypertension = entries["hypertension"]
    behind_the_back = httpx.patch(
        f"{record.url}/conditions/{hypertension['id']}",
        json={"clinical_status": "remission", "version": hypertension["version"]},
        headers=world.auth("clinician"),
    )
    assert behind_the_back.status_code == 200, behind_the_back.text
    status = page.get_by_role("combobox", name="Status of Essential hypertension (I10)")
    save = page.get_by_role("button", name="Save status of Essential hypertension (I10)")
    status.select_option("resolved")
    save.click()
    expect(page.locator("#alert")).to_contain_text("changed by someone else")
    expect(page.locator("#alert")).to_contain_text("was not saved")
    expect(status).to_have_value("remission")
    shot(page, artifacts, "chart-conflict")
    status.select_option("resolved")
    save.click()
    expect(page.locator("#flash")).to_contain_text("now resolved")
    expect(page.locator("#alert")).to_be_empty()
    assert record.get(f"conditions/{hypertension['id']}")["version"] == 3

    # The other tabs, reached from the keyboard.
    orders = tabs.get_by_role("link", name="Orders")
    orders.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#orders-active")).to_contain_text("Hemoglobin A1c")
    tabs.get_by_role("link", name="Allergies").click()
    expect(page.locator("#allergies-active")).to_contain_text("penicillin")
    latex = page.locator("#allergies-proposed tbody tr", has_text="latex")
    expect(latex.get_by_role("button", name="Accept latex")).to_be_visible()
    # An allergy recorded from the form is in the record at once; a mistaken one is struck.
    page.get_by_text("Record an allergy").click()
    form = page.locator("#add-allergy")
    form.get_by_label("Substance").fill("peanut")
    form.get_by_label("Category").select_option("food")
    form.get_by_label("Reaction").fill("anaphylaxis")
    form.get_by_role("button", name="Add allergy").click()
    expect(page.locator("#flash")).to_have_text("Added allergy to the record.")
    peanut = page.locator("#allergies-active tbody tr", has_text="peanut")
    expect(peanut).to_contain_text("confirmed")
    page.once("dialog", lambda dialog: dialog.accept())
    peanut.get_by_role("button", name="Mark peanut — anaphylaxis entered in error").click()
    expect(peanut).to_have_class(re.compile("in-error"))
    expect(peanut).to_contain_text("entered in error")
    tabs.get_by_role("link", name="Care plan").click()
    plan = page.locator("article.care-plan", has_text="Glycaemic control")
    expect(plan.get_by_role("table", name="Goals")).to_contain_text("HbA1c below 7%")
    expect(plan.get_by_role("table", name="Activities")).to_contain_text("Hemoglobin A1c (active)")
    tabs.get_by_role("link", name="Consents").click()
    expect(page.locator("#consents-active")).to_contain_text("ambient-recording")
    page.get_by_text("Record a consent").click()
    page.locator("#add-consent").get_by_label("Consent to").select_option("research")
    page.get_by_role("button", name="Add consent").click()
    expect(page.locator("#consents-active tbody tr")).to_have_count(2)
    expect(page.locator("#consents-active")).to_contain_text("research")
    shot(page, artifacts, "chart-consents")

    # A reviewer reads the same chart with no decision controls.
    sign_out(page)
    sign_in(
        page, server, world.emails["reviewer"], f"#/patients/{world.patient_id}/chart/allergies"
    )
    expect(page.locator("#allergies-proposed tbody tr", has_text="latex")).to_have_count(1)
    expect(page.get_by_role("button", name=re.compile("^Accept"))).to_have_count(0)
    expect(page.locator("#accept-all")).to_have_count(0)

    # The one console error is the refused stale edit's 409.
    assert all("409" in e for e in watch.errors), watch.errors
    assert len(watch.errors) == 1, watch.errors
    assert not watch.remote, watch.remote
