"""The chart's Waveforms tab: a clinician uploads a DICOM ECG and sees its strip and figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Watch
from tests.e2e.test_clinician_flow import shot, sign_in, world  # noqa: F401  (fixture)
from tests.support import TenantWorld
from tests.unit.waveforms import samples

Page = Any


@pytest.mark.timeout(300)
def test_a_clinician_uploads_an_ecg_and_reads_its_strip_and_measurements(
    server: str,
    world: TenantWorld,  # noqa: F811
    browser_page: tuple[Page, Watch],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page, watch = browser_page
    sign_in(
        page, server, world.emails["clinician"], f"#/patients/{world.patient_id}/chart/waveforms"
    )
    tab = page.locator("#chart-tab")
    expect(tab).to_contain_text("No ECGs yet.")
    tab.get_by_label("ECG file(s)").set_input_files(samples.dicom_path())
    tab.get_by_role("button", name="Upload ECG").click()
    # The first analysis of a process loads NeuroKit2: allow for it.
    strip = tab.get_by_role("img", name="ECG strip, 12 leads, 10 s")
    expect(strip).to_be_visible(timeout=60_000)
    assert strip.evaluate("c => [c.width, c.height]") == [1301, 601]
    # NeuroKit2's figure beside the device's own (61.1 /min, QT 368 ms in the file).
    expect(tab.get_by_role("row", name="Heart rate 61.1 61.1 /min 8867-4")).to_be_visible()
    expect(tab.locator("tr", has_text="Q-T interval").first).to_contain_text("368")
    shot(page, artifacts, "chart-waveforms")
    assert not watch.errors, watch.errors
    assert not watch.remote, watch.remote
