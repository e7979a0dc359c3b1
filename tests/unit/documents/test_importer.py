"""Patient folders of a bulk import: who the patient is, from patient.json or the folder."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from clinscribe.documents import importer
from clinscribe.errors import Unprocessable


def test_patient_json_in_each_written_shape_names_the_patient(tmp_path: Path) -> None:
    synth = tmp_path / "SY-P001"
    synth.mkdir()
    (synth / "patient.json").write_text(
        json.dumps(
            {
                "key": "SY-P001",
                "first_name": "Thorne",
                "last_name": "Oakhurst",
                "sex": "M",
                "dob": "1970-05-14",
            }
        )
    )
    data = importer.patient_data(synth)
    assert (data.mrn, data.given_name, data.family_name, data.sex, data.birth_date) == (
        "SY-P001",
        "Thorne",
        "Oakhurst",
        "male",
        date(1970, 5, 14),
    )
    bare = tmp_path / "Clinic 42"
    bare.mkdir()
    (bare / "scan.pdf").write_bytes(b"%PDF-")
    (bare / ".DS_Store").write_bytes(b"")
    plain = importer.patient_data(bare)
    assert plain.mrn == "Clinic-42" and plain.family_name == "Clinic 42"
    assert [p.name for p in importer.document_files(bare)] == ["scan.pdf"]


def test_a_broken_patient_json_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "P9"
    folder.mkdir()
    (folder / "patient.json").write_text("{not json")
    with pytest.raises(Unprocessable, match=r"P9/patient\.json is not valid JSON"):
        importer.patient_data(folder)
    (folder / "patient.json").write_text(json.dumps({"name": "Ann Lee", "dob": "2999-01-01"}))
    with pytest.raises(Unprocessable, match="birth_date"):
        importer.patient_data(folder)
