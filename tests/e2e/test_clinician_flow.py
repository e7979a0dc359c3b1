"""A clinician records, reviews, signs and delivers a note in the browser, end to end."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from clinscribe.config import Settings
from tests.e2e.conftest import Watch
from tests.fhir_server import FhirTestServer
from tests.support import PASSWORD, TenantWorld, build_tenant, unique

SYSTEM = "urn:oid:2.16.840.1.113883.3.1"
Page = Any


def sign_in(page: Page, base: str, email: str, at: str = "#/patients") -> None:
    page.goto(f"{base}/{at}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    page.locator("#who").get_by_text(email).wait_for()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.fixture
def world(settings: Settings) -> TenantWorld:
    return build_tenant(settings)


@pytest.mark.timeout(300)
def test_a_clinician_records_reviews_signs_and_delivers_a_note(
    server: str,
    world: TenantWorld,
    browser_page: tuple[Page, Watch],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    with FhirTestServer(commit_delay=0.1) as fhir:
        # An admin points the tenant at the EHR.
        sign_in(page, server, world.emails["admin"], "#/admin/users")
        expect(page.get_by_role("table", name="Users of this tenant")).to_be_visible()
        shot(page, artifacts, "admin-users")
        page.get_by_role("link", name="EHR endpoint").click()
        page.get_by_label("FHIR base URL").fill(fhir.base_url)
        page.get_by_label("Patient identifier system (MRNs)").fill(SYSTEM)
        page.get_by_label("Allow loopback addresses (development only)").check()
        page.get_by_role("button", name="Save EHR endpoint").click()
        expect(page.locator("#flash")).to_have_text("EHR endpoint saved.")
        shot(page, artifacts, "admin-ehr")
        for tab, heading in (
            ("API keys", "New API key"),
            ("Templates", "New template"),
            ("Dead letters", "Dead letters"),
        ):
            page.get_by_role("link", name=tab).click()
            page.get_by_role("heading", name=heading).wait_for()
        page.get_by_role("link", name="Audit trail").click()
        expect(page.get_by_role("table")).to_be_visible()
        shot(page, artifacts, "admin-audit")
        sign_out(page)

        # The clinician registers the patient and starts an encounter.
        sign_in(page, server, world.emails["clinician"])
        mrn = unique("MRN")
        page.get_by_label("MRN", exact=True).last.fill(mrn)
        page.get_by_label("Given name").fill("Ada")
        page.get_by_label("Family name", exact=True).fill("Lovelace")
        page.get_by_role("button", name="Create patient").click()
        page.get_by_role("heading", name="Lovelace, Ada").wait_for()
        page.get_by_label("Reason for visit").fill("Blood pressure follow-up")
        page.get_by_role("button", name="Start encounter").click()
        page.get_by_role("heading", name="Encounter — Lovelace, Ada").wait_for()
        encounter_id = page.url.rsplit("/", 1)[1]
        shot(page, artifacts, "encounter")

        # Live dictation through the fake microphone: partials first, then the transcript.
        page.get_by_role("button", name="● Record").click()
        expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=30_000)
        expect(page.locator("#live-partial")).not_to_be_empty(timeout=60_000)
        shot(page, artifacts, "live-partial")
        expect(page.locator("#live-finals p").first).to_be_visible(timeout=60_000)
        expect(page.locator("#live-finals")).to_contain_text(
            re.compile(r"(three|3) months", re.IGNORECASE), timeout=90_000
        )
        page.get_by_role("button", name="Stop").click()
        expect(page.locator("#live-state")).to_have_attribute("data-state", "done", timeout=60_000)
        segments = page.locator("#transcript-view .segment")
        expect(segments.first).to_be_visible()
        transcript = page.locator("#transcript-view").inner_text().lower()
        assert "chest pain" in transcript and "milligrams" in transcript
        shot(page, artifacts, "transcript")

        # Draft, then follow a sentence to its evidence.
        page.get_by_role("button", name="Draft note").click()
        page.get_by_role("heading", name=re.compile(r"^Note \(soap\)")).wait_for()
        supported = page.locator("#note-sections .sentence:not(.flagged)")
        expect(supported.first).to_be_visible()
        supported.first.click()
        expect(page.locator(".transcript mark.evidence").first).to_be_visible()
        shot(page, artifacts, "note-evidence")
        page.set_viewport_size({"width": 640, "height": 900})  # ~200% zoom on a laptop
        shot(page, artifacts, "note-narrow")
        page.set_viewport_size({"width": 1280, "height": 900})

        # Accepting a fact is saved with the note (a new version).
        accept = page.locator("#entities").get_by_role("button", name=re.compile("^Accept")).first
        accept.click()
        expect(page.get_by_role("heading", name=re.compile("version 2"))).to_be_visible()
        expect(page.locator("#entities")).to_contain_text("✓ accepted")
        # Removing a problem also edits the note: its assessment line goes.
        assessment = page.locator("#note-sections [data-key='assessment']")
        expect(assessment).to_contain_text("I10")
        page.get_by_role("button", name=re.compile("^Remove Hypertension")).click()
        expect(page.get_by_role("heading", name=re.compile("version 3"))).to_be_visible()
        expect(assessment).not_to_contain_text("I10")

        # Edit and submit.
        page.get_by_role("button", name="Edit").click()
        first = page.locator(".editor textarea").first
        first.fill(first.input_value() + " Follow-up visit in three months.")
        page.get_by_label("Reason for change (optional)").fill("added follow-up")
        page.get_by_role("button", name="Save changes").click()
        expect(page.locator("#note-sections")).to_contain_text("Follow-up visit in three months.")
        expect(page.get_by_role("heading", name=re.compile("version 4"))).to_be_visible()
        page.get_by_role("button", name="Submit for review").click()
        expect(page.locator("#note-status")).to_have_text("In review")
        note_hash = "#/notes/" + page.url.rsplit("/", 1)[1]
        sign_out(page)

        # A reviewer rejects with a reason; the clinician sees it and resubmits.
        sign_in(page, server, world.emails["reviewer"], note_hash)
        page.get_by_label("Reason for rejection").fill("Please confirm the follow-up interval.")
        page.get_by_role("button", name="Reject").click()
        expect(page.locator("#note-status")).to_have_text("Rejected")
        sign_out(page)
        sign_in(page, server, world.emails["clinician"], note_hash)
        expect(page.get_by_text("Rejected: Please confirm the follow-up interval.")).to_be_visible()
        page.get_by_role("button", name="Edit").click()
        first = page.locator(".editor textarea").first
        first.fill(first.input_value().replace("three months", "three months, confirmed"))
        page.get_by_role("button", name="Save changes").click()
        expect(page.locator("#note-status")).to_have_text("Draft")
        page.get_by_role("button", name="Submit for review").click()
        expect(page.locator("#note-status")).to_have_text("In review")
        sign_out(page)

        # A reviewer approves.
        sign_in(page, server, world.emails["reviewer"], note_hash)
        page.get_by_role("button", name="Approve").click()
        expect(page.locator("#note-status")).to_have_text("Approved")
        sign_out(page)

        # The EHR knows the patient and encounter; the clinician signs and it is delivered.
        fhir.seed({"resourceType": "Patient", "identifier": [{"system": SYSTEM, "value": mrn}]})
        fhir.seed(
            {
                "resourceType": "Encounter",
                "status": "finished",
                "class": {"code": "AMB"},
                "identifier": [{"system": "urn:clinscribe:encounter", "value": encounter_id}],
            }
        )
        sign_in(page, server, world.emails["clinician"], note_hash)
        page.get_by_role("button", name="Sign", exact=True).click()
        expect(page.locator("#note-status")).to_have_text("Signed")
        expect(page.locator("#delivery-status")).to_have_attribute(
            "data-status", "delivered", timeout=60_000
        )
        assert fhir.count("DocumentReference") == 1
        page.get_by_role("button", name="Send again").click()
        expect(page.locator("#flash")).to_have_text("Sent to the EHR queue.")
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Download FHIR Bundle").click()
        bundle_path = artifacts / "bundle.json"
        download_info.value.save_as(bundle_path)
        bundle = json.loads(bundle_path.read_text())
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
        # The removed problem is not sent: no Condition carries its code.
        sent = [e["resource"] for e in bundle["entry"]]
        assert any(r["resourceType"] == "MedicationStatement" for r in sent)
        assert "I10" not in json.dumps([r for r in sent if r["resourceType"] == "Condition"])
        time.sleep(0.5)
        shot(page, artifacts, "delivered")

        # An amendment starts a new draft version that will replace the signed one.
        page.get_by_role("button", name="Amend").click()
        first = page.locator(".editor textarea").first
        first.fill(first.input_value() + " Addendum: home readings reviewed.")
        page.get_by_label("Reason for amendment (required)").fill("late entry")
        page.get_by_role("button", name="Save amendment").click()
        expect(page.locator("#note-status")).to_have_text("Draft")
        expect(page.locator("#note-sections")).to_contain_text("Addendum: home readings reviewed.")
        sign_out(page)
        expect(page.get_by_label("Email")).to_be_visible()

    print(f"screenshots in {artifacts}")
    assert not watch.errors, watch.errors
    assert not watch.remote, watch.remote
