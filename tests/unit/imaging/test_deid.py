"""De-identification over every DICOM file pydicom ships: nothing identifying survives."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from functools import cache

import pydicom
import pytest
from pydicom.data import get_testdata_files
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from clinscribe.imaging.core.deid import KEEP_UID_TAGS, UidRemapper, deidentify, is_standard_uid
from clinscribe.imaging.core.profile import ACTIONS

IDENTIFYING_VRS = {"PN", "DA", "DT", "TM"}
# Numbers (an orientation of 0.0, a tilt) are measurements, not identifiers.
NUMERIC_VRS = {"DS", "IS", "US", "SS", "UL", "SL", "FL", "FD", "UV", "SV"}


@cache
def bundled() -> tuple[tuple[str, bytes], ...]:
    """Every bundled test file pydicom reads as a DICOM dataset."""
    found = []
    for path in sorted(get_testdata_files()):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pydicom.dcmread(io.BytesIO(data))
        except Exception:  # noqa: S112 (not a DICOM dataset: json, icc, README, dumps, ...)
            continue
        found.append((path.rsplit("/", 1)[-1], data))
    return tuple(found)


def _elements(ds: Dataset) -> Iterator[DataElement]:
    for element in ds:
        yield element
        if element.VR == "SQ":
            for item in element.value or []:
                yield from _elements(item)


def _values(element: DataElement) -> list[str]:
    value = element.value
    items = list(value) if isinstance(value, MultiValue | list) else [value]
    return [str(v).strip() for v in items if v not in (None, b"", "") and not isinstance(v, bytes)]


def identifying(ds: Dataset) -> tuple[set[str], set[int]]:
    """The identifying values of a dataset, and whether it has private tags."""
    values: set[str] = set()
    private: set[int] = set()
    meta = getattr(ds, "file_meta", Dataset())
    for element in [*_elements(ds), *_elements(meta)]:
        tag = int(element.tag)
        if element.tag.is_private:
            private.add(tag)
            continue
        vr = element.VR
        listed = tag in ACTIONS
        uid = vr == "UI" and tag not in KEEP_UID_TAGS
        if not (listed or vr in IDENTIFYING_VRS or uid) or vr == "SQ":
            continue
        for text in _values(element):
            if uid and is_standard_uid(text):
                continue
            # Short values ("1", "M", "CT") also occur as ordinary values of other attributes.
            if len(text) >= 4:
                values.add(text)
    return values, private


def test_every_bundled_dicom_file_is_read() -> None:
    assert len(bundled()) > 100


def test_deidentification_leaves_no_identifying_value_in_any_bundled_file() -> None:
    left: list[tuple[str, str, str]] = []
    for name, data in bundled():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            source = pydicom.dcmread(io.BytesIO(data))
            values, _ = identifying(source)
            out = deidentify(pydicom.dcmread(io.BytesIO(data)), UidRemapper(b"salt"))
        for element in [*_elements(out), *_elements(getattr(out, "file_meta", Dataset()))]:
            if element.tag.is_private:
                left.append((name, str(element.tag), "private"))
                continue
            if element.VR in NUMERIC_VRS:
                continue
            for text in _values(element):
                if text in values:
                    left.append((name, str(element.tag), text))
        assert out.PatientIdentityRemoved == "YES"
    assert left == []


def test_uids_are_remapped_consistently_within_one_export_and_differ_between_exports() -> None:
    one = UidRemapper(b"export-1")
    two = UidRemapper(b"export-2")
    uid = "1.2.3.4.5.6"
    assert one(uid) == one(uid) != uid
    assert one(uid) != two(uid)
    assert pydicom.uid.UID(one(uid)).is_valid


def test_a_remapped_study_keeps_its_references_pointing_at_the_remapped_instances() -> None:
    ds = Dataset()
    ds.SOPInstanceUID = "1.2.3.9"
    ref = Dataset()
    ref.ReferencedSOPInstanceUID = "1.2.3.9"
    ds.SourceImageSequence = [ref]
    out = deidentify(ds, UidRemapper(b"s"))
    assert out.SourceImageSequence[0].ReferencedSOPInstanceUID == out.SOPInstanceUID != "1.2.3.9"


@pytest.mark.parametrize("keyword", ["PatientName", "PatientID", "StudyDate", "AccessionNumber"])
def test_type_2_identifiers_are_kept_but_emptied(keyword: str) -> None:
    ds = Dataset()
    setattr(ds, keyword, "20200101" if "Date" in keyword else "Somebody")
    out = deidentify(ds, UidRemapper(b"s"))
    assert keyword in out and out[keyword].value in (None, "")


def test_the_profile_table_covers_the_basic_profile() -> None:
    # The Basic Profile lists several hundred attributes; a handful would not be the profile.
    assert len(ACTIONS) > 400
    assert ACTIONS[0x00100010] == "Z" and ACTIONS[0x00080080] == "X"
    assert ACTIONS[0x0020000D] == "U" and ACTIONS[0x00181000] == "X"
