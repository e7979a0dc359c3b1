"""The pure core: parsing, windowing, zip safety and mention finding, without the API."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from PIL import Image

from clinscribe.imaging.core import archive, mentions, parse, render
from clinscribe.imaging.core.errors import (
    ArchiveTooLargeError,
    BadFrameError,
    MalformedDicomError,
    NotDicomError,
    TruncatedDicomError,
    UnsafeArchiveError,
)
from tests.unit.imaging import dicom_samples as samples


def test_a_ct_is_parsed_into_the_attributes_the_record_keeps() -> None:
    meta, _ = parse.parse(samples.ct(patient_id="P1", patient_name="Doe^Jane"))
    assert (meta.modality, meta.rows, meta.columns, meta.frames) == ("CT", 128, 128, 1)
    assert (
        meta.kind == "image"
        and meta.preview_available
        and meta.sop_class_name == "CT Image Storage"
    )
    assert (meta.patient_id, meta.patient_name, meta.body_part) == ("P1", "Doe^Jane", "CHEST")


def test_a_waveform_is_a_waveform_and_a_multiframe_counts_its_frames() -> None:
    ecg, _ = parse.parse(samples.bundled_bytes("waveform_ecg.dcm"))
    assert ecg.kind == "waveform" and not ecg.preview_available
    us, _ = parse.parse(samples.bundled_bytes("examples_ybr_color.dcm"))
    assert us.frames == 30 and us.preview_available


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"plain text, not DICOM" * 10, NotDicomError),
        (samples.ct()[:-100], TruncatedDicomError),
        (samples.malformed_sequence(), MalformedDicomError),
    ],
    ids=["not_dicom", "truncated", "malformed_sequence"],
)
def test_unsound_files_are_refused_with_their_own_error(data: bytes, error: type) -> None:
    with pytest.raises(error):
        parse.parse(data)


def _gray(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def test_the_window_maps_center_and_width_linearly_onto_8_bits() -> None:
    ds = pydicom.dcmread(io.BytesIO(samples.ct()))
    ds.RescaleSlope, ds.RescaleIntercept = 1, 0
    values = np.array([[0, 100, 200, 300]] * 4, dtype=np.int16)
    ds.Rows, ds.Columns = values.shape
    ds.PixelData = values.tobytes()
    out = _gray(render.render_png(ds, center=150.5, width=201))
    # PS3.3 C.11.2.1.2.1: [c - 0.5 - (w-1)/2, c - 0.5 + (w-1)/2] = [50, 250] maps to [0, 255].
    assert out[0].tolist() == [0, 63, 191, 255]
    ds.PhotometricInterpretation = "MONOCHROME1"
    assert _gray(render.render_png(ds, center=150.5, width=201))[0].tolist() == [255, 192, 64, 0]
    with pytest.raises(BadFrameError):
        render.render_png(ds, frame=1)


def test_zip_members_outside_the_archive_or_past_the_caps_are_refused() -> None:
    limits = archive.Limits(max_members=3, max_bytes=1000)
    for name in ("../x.dcm", "/etc/x.dcm", "a/../../x.dcm", "C:\\x.dcm"):
        with pytest.raises(UnsafeArchiveError):
            list(archive.members(io.BytesIO(samples.zipped({name: b"x"})), limits))
    with pytest.raises(ArchiveTooLargeError):
        list(archive.members(io.BytesIO(samples.zipped({f"{n}": b"x" for n in range(4)})), limits))
    with pytest.raises(ArchiveTooLargeError):
        list(archive.members(io.BytesIO(samples.zipped({"big": b"\0" * 2000})), limits))
    with pytest.raises(UnsafeArchiveError):
        list(archive.members(io.BytesIO(b"PK\x03\x04 not really a zip"), limits))
    ok = dict(
        archive.members(io.BytesIO(samples.zipped({"d/a": b"1", "__MACOSX/b": b"2"})), limits)
    )
    assert ok == {"d/a": b"1"}


def test_the_sentence_naming_the_modality_or_body_part_is_found() -> None:
    sections = [("subjective", "Chest pain."), ("objective", "Afebrile. The chest film is clear.")]
    found = mentions.find(sections, ["CR"], None)
    assert found is not None and found.section == "objective"
    assert sections[1][1][found.begin : found.end] == "The chest film is clear."
    assert mentions.find(sections, ["MR"], None) is None
    by_part = mentions.find([("assessment", "No change. Abdomen soft.")], ["OT"], "ABDOMEN")
    assert by_part is not None and (by_part.begin, by_part.end) == (11, 24)
