"""The attributes of DICOM PS3.15 Annex E, Table E.1-1, Basic Application Level
Confidentiality Profile (no options), with the action the profile gives each.

Actions as in the table: D replace with a dummy value, Z empty (zero length) or a dummy,
X remove, U replace the UID by one consistent within the export. Where the table offers a
choice (X/Z, X/D, Z/D, X/Z/D, X/Z/U*) the strongest that keeps the dataset valid is taken:
X for Type 3 attributes, Z for Type 2, D for Type 1 values, and U for UID references.
Repeating groups (overlays 60xx, curves 50xx) are matched by `repeating_action`. The table
itself is data: `data/basic_profile.txt`, one attribute a line (tag, action, name).
"""

from __future__ import annotations

from importlib.resources import files

_TABLE = files("clinscribe.imaging.core").joinpath("data/basic_profile.txt").read_text()


ACTIONS: dict[int, str] = {}
NAMES: dict[int, str] = {}
for _line in _TABLE.splitlines():
    if not _line.strip() or _line.startswith("#"):
        continue
    _tag, _action, _name = _line.split(" ", 2)
    _key = int(_tag.replace(",", ""), 16)
    ACTIONS[_key] = _action
    NAMES[_key] = _name.rstrip("? ")


def repeating_action(tag: int) -> str | None:
    """Curves (50xx,xxxx) are removed; overlay comments and data (60xx,4000/3000) too."""
    group, element = tag >> 16, tag & 0xFFFF
    if group & 0xFF00 == 0x5000 and group % 2 == 0:
        return "X"
    if group & 0xFF00 == 0x6000 and group % 2 == 0 and element in (0x3000, 0x4000):
        return "X"
    return None
