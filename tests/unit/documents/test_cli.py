"""`clinscribe ingest` (offline) and `clinscribe admin import-records DIR`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.documents import samples


def run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLINSCRIBE_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "clinscribe.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_ingest_prints_pages_labs_and_facts_without_a_server(tmp_path: Path) -> None:
    report = tmp_path / "report.pdf"
    report.write_bytes(samples.text_pdf([samples.LAB_LINES]))
    letter = tmp_path / "letter.txt"
    letter.write_text(samples.LETTER)
    data_dir = tmp_path / "nothing-here"
    result = run(["ingest", str(report), str(letter), "--json"], data_dir)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [r["file"] for r in out] == [str(report), str(letter)]
    assert out[0]["kind"] == "lab_report" and out[0]["pages"] == 1
    glucose = [lab for lab in out[0]["lab_results"] if lab["value"] == 7.9]
    assert glucose and glucose[0]["flag"] == "H" and glucose[0]["ucum"] == "mmol/L"
    assert out[1]["kind"] == "clinic_letter" and out[1]["facts"]["medication"] == 2
    assert not data_dir.exists()  # offline: no database, keys or data directory were made
    text = run(["ingest", str(report)], data_dir)
    assert text.returncode == 0 and "Glucose" in text.stdout and "[H]" in text.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)), "not a PDF, PNG, JPEG, TIFF"),
        (None, "no such file"),
        (b"", "empty"),
    ],
)
def test_ingest_refuses_bad_input_with_one_line_and_a_non_zero_exit(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "input.pdf"
    if content is not None:
        path.write_bytes(content)
    result = run(["ingest", str(path)], tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("clinscribe: error:") and message in lines[0]
    assert "Traceback" not in result.stderr


def test_import_records_creates_patients_and_ingests_every_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert run(["db", "upgrade"], data_dir).returncode == 0
    tenant = json.loads(run(["admin", "create-tenant", "Records", "--json"], data_dir).stdout)["id"]
    records = tmp_path / "records"
    one = records / "P001"
    one.mkdir(parents=True)
    (one / "patient.json").write_text(
        json.dumps({"key": "P001", "name": "Ada Lovelace", "sex": "F", "dob": "1960-02-01"})
    )
    (one / "labs.pdf").write_bytes(samples.text_pdf([samples.LAB_LINES]))
    (one / "broken.pdf").write_bytes(samples.corrupt_pdf())
    two = records / "P002"
    two.mkdir()
    (two / "letter.txt").write_text(samples.LETTER)
    result = run(["admin", "import-records", str(records), "--tenant", tenant, "--json"], data_dir)
    # One file was unreadable: reported, the rest imported, and the exit says so.
    assert result.returncode == 1
    assert "1 file(s) could not be imported" in result.stderr
    out = {p["folder"]: p for p in json.loads(result.stdout)}
    assert out["P001"]["created"] and out["P002"]["created"]
    files = {f["file"]: f for f in out["P001"]["files"]}
    assert files["labs.pdf"]["error"] is None and files["labs.pdf"]["document_id"]
    assert "document_corrupt" in files["broken.pdf"]["error"]
    again = run(["admin", "import-records", str(records), "--tenant", tenant, "--json"], data_dir)
    second = {p["folder"]: p for p in json.loads(again.stdout)}
    # The patients are found by MRN the second time, not created again.
    assert second["P001"]["patient_id"] == out["P001"]["patient_id"]
    assert not second["P001"]["created"]
    bad = run(["admin", "import-records", str(tmp_path / "missing"), "--tenant", tenant], data_dir)
    assert bad.returncode == 1 and "is not a directory" in bad.stderr
