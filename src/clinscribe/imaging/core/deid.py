"""De-identification of one dataset by the PS3.15 Basic Application Level Confidentiality
Profile (the table in `profile`), with UIDs remapped consistently within one export.

Beyond the table, as the profile allows: every private element is removed, and as a safety net
for attributes the table does not name (newer or vendor-misused tags) any remaining person name
is emptied, any remaining date, time or datetime is removed, and any UID that is not a standard
DICOM UID (SOP class, transfer syntax, coding scheme) is remapped like the listed ones. Last, a
value the profile took out is taken out wherever else it appears (a protocol name copied into
Position Reference Indicator, a patient id used as a DICOMDIR file id): emptied, or remapped for
a UID. Numeric attributes are not chased (an orientation of 0.0 names no one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.uid import UID, generate_uid

from clinscribe.imaging.core.profile import ACTIONS, repeating_action

METHOD = "DICOM PS3.15 E.1-1 Basic Application Level Confidentiality Profile"
# UIDs that name standards, not patients or studies: kept as they are.
KEEP_UID_TAGS = frozenset(
    {
        0x00020002,  # Media Storage SOP Class UID
        0x00020010,  # Transfer Syntax UID
        0x00020012,  # Implementation Class UID (the writing software)
        0x00080016,  # SOP Class UID
        0x00080062,  # SOP Classes in Study
        0x0008010C,  # Coding Scheme UID
        0x00081150,  # Referenced SOP Class UID
        0x0040E020,  # Type of Instances
        0x00041510,  # Referenced SOP Class UID in File
        0x00041512,  # Referenced Transfer Syntax UID in File
    }
)
_DUMMY = {
    "DA": "19000101",
    "DT": "19000101000000",
    "TM": "000000",
    "PN": "REMOVED",
    "AS": "000Y",
}
_NUMERIC = {"US", "SS", "UL", "SL", "FL", "FD", "IS", "DS", "UV", "SV", "AT"}


class UidRemapper:
    """The same input UID gives the same output UID within one export (one salt)."""

    def __init__(self, salt: bytes) -> None:
        self.salt = hashlib.sha256(salt).hexdigest()
        self.mapping: dict[str, str] = {}

    def __call__(self, uid: str) -> str:
        uid = uid.strip().rstrip("\x00")
        if not uid:
            return uid
        if uid not in self.mapping:
            self.mapping[uid] = str(generate_uid(entropy_srcs=[self.salt, uid]))
        return self.mapping[uid]


def is_standard_uid(value: str) -> bool:
    """A UID in the DICOM registry (its name is not the UID itself)."""
    uid = UID(value)
    return uid.name != str(uid)


def _remap(element: DataElement, remap: Callable[[str], str]) -> None:
    value = element.value
    if isinstance(value, MultiValue | list):
        element.value = [remap(str(v)) for v in value]
    elif value not in (None, ""):
        element.value = remap(str(value))


def _empty(element: DataElement) -> None:
    element.value = Sequence() if element.VR == "SQ" else None


def _dummy(element: DataElement) -> None:
    if element.VR == "SQ":
        element.value = Sequence()
    elif element.VR in _NUMERIC:
        element.value = 0
    elif element.VR in ("OB", "OW", "UN", "OF", "OD", "OL", "OV"):
        element.value = b""
    else:
        element.value = _DUMMY.get(element.VR, "REMOVED")


def _texts(element: DataElement) -> list[str]:
    if element.VR in _NUMERIC or element.VR == "SQ":
        return []
    value = element.value
    items = list(value) if isinstance(value, MultiValue | list) else [value]
    return [str(v).strip() for v in items if isinstance(v, str) or hasattr(v, "original_string")]


def _identifying(text: str) -> bool:
    # Shorter values ("1", "M", "HEAD") are ordinary values of many attributes.
    return len(text) >= 4


class _Run:
    """One dataset's pass: the remapper, and the values the profile took out."""

    def __init__(self, remap: Callable[[str], str]) -> None:
        self.remap = remap
        self.dropped: set[str] = set()

    def drop(self, element: DataElement) -> None:
        self.dropped.update(t for t in _texts(element) if _identifying(t))


def _apply(ds: Dataset, run: _Run) -> None:
    remap = run.remap
    for tag in list(ds.keys()):
        element = ds[tag]
        action = ACTIONS.get(int(tag)) or repeating_action(int(tag))
        if action is not None:
            _collect(element, run)
        if action == "X":
            del ds[tag]
            continue
        if action == "Z":
            _empty(element)
            continue
        if action == "D":
            _dummy(element)
            continue
        if action == "U":
            _remap(element, remap)
            continue
        _safety_net(ds, tag, element, run)


def _collect(element: DataElement, run: _Run) -> None:
    """Remember every text value under a listed element (nested items too)."""
    if element.VR == "SQ":
        for item in element.value or []:
            for inner in item:
                _collect(inner, run)
    else:
        run.drop(element)


def _safety_net(ds: Dataset, tag: object, element: DataElement, run: _Run) -> None:
    vr = element.VR
    remap = run.remap
    if vr == "SQ":
        for item in element.value or []:
            _apply(item, run)
    elif vr == "PN":
        run.drop(element)
        _empty(element)
    elif vr in ("DA", "DT", "TM"):
        run.drop(element)
        del ds[tag]  # type: ignore[arg-type]
    elif vr == "UI" and int(element.tag) not in KEEP_UID_TAGS:
        values = element.value if isinstance(element.value, MultiValue | list) else [element.value]
        if any(v and not is_standard_uid(str(v)) for v in values):
            _remap(element, remap)


def _scrub(ds: Dataset, run: _Run) -> None:
    for tag in list(ds.keys()):
        element = ds[tag]
        if element.VR == "SQ":
            for item in element.value or []:
                _scrub(item, run)
        elif any(t in run.dropped for t in _texts(element)):
            if element.VR == "UI":
                _remap(element, run.remap)
            else:
                _empty(element)


def deidentify(ds: Dataset, remap: UidRemapper) -> Dataset:
    """De-identify `ds` in place (and its file meta) and return it."""
    ds.remove_private_tags()
    run = _Run(remap)
    meta = getattr(ds, "file_meta", None)
    for part in (ds, meta):
        if part is not None:
            _apply(part, run)
    for part in (ds, meta):
        if part is not None:
            _scrub(part, run)
    if meta is not None and "SOPInstanceUID" in ds:
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = METHOD
    code = Dataset()
    code.CodeValue = "113100"
    code.CodingSchemeDesignator = "DCM"
    code.CodeMeaning = "Basic Application Confidentiality Profile"
    ds.DeidentificationMethodCodeSequence = Sequence([code])
    return ds
