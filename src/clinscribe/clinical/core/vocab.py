"""Code and unit checks for record entries, and the LOINC/UCUM of the vitals a note extracts.

The checks are syntactic plus what we know for sure: a LOINC code has a valid check digit, an
ICD-10-CM code has the code's shape, a unit is written as UCUM (``mm[Hg]``, ``mg/dL``) and, for
the vital-sign codes we know, is one of the units that code is measured in. Each failure is a
one-line message naming the field and what is expected, never echoing the value (it may be PHI).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from clinscribe.documents.core.units import to_ucum

LOINC_SYSTEM: Final = "http://loinc.org"
ICD10CM_SYSTEM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM_SYSTEM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"

_LOINC = re.compile(r"^(\d{1,7})-(\d)$")
_ICD10CM = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?$")
_RXNORM = re.compile(r"^\d{1,10}$")
# UCUM's printable symbols: no spaces; brackets and braces for special units and annotations.
_UCUM_SYNTAX = re.compile(r"^[A-Za-z0-9%\[\]{}*^/.'_\-]{1,40}$")


@dataclass(frozen=True, slots=True)
class VitalCode:
    """A vital sign's LOINC code, display and the UCUM units it is recorded in."""

    code: str
    display: str
    units: tuple[str, ...]


VITAL_CODES: Final[dict[str, VitalCode]] = {
    "systolic": VitalCode("8480-6", "Systolic blood pressure", ("mm[Hg]",)),
    "diastolic": VitalCode("8462-4", "Diastolic blood pressure", ("mm[Hg]",)),
    "heart_rate": VitalCode("8867-4", "Heart rate", ("/min",)),
    "respiratory_rate": VitalCode("9279-1", "Respiratory rate", ("/min",)),
    "temperature": VitalCode("8310-5", "Body temperature", ("Cel", "[degF]")),
    "oxygen_saturation": VitalCode("59408-5", "Oxygen saturation by pulse oximetry", ("%",)),
    "weight": VitalCode("29463-7", "Body weight", ("kg", "g", "[lb_av]")),
    "height": VitalCode("8302-2", "Body height", ("cm", "m", "[in_i]")),
    "bmi": VitalCode("39156-5", "Body mass index", ("kg/m2",)),
    "glucose": VitalCode("2339-0", "Glucose [Mass/volume] in Blood", ("mg/dL", "mmol/L")),
}
UNITS_BY_CODE: Final[dict[str, tuple[str, ...]]] = {v.code: v.units for v in VITAL_CODES.values()}
VITAL_SIGN_CODES: Final = frozenset(v.code for v in VITAL_CODES.values() if v.code != "2339-0")
# What the NLP writes -> UCUM (it writes "mmHg" for blood pressure).
_NLP_UNITS: Final = {"mmHg": "mm[Hg]"}


def loinc_problem(code: str) -> str | None:
    """Why `code` is not a LOINC code (format NNNNN-C with the mod-10 check digit), or None."""
    m = _LOINC.match(code)
    if m is None:
        return "must be a LOINC code like 8867-4"
    if _loinc_check_digit(m.group(1)) != int(m.group(2)):
        return "is not a valid LOINC code (check digit)"
    return None


def _loinc_check_digit(number: str) -> int:
    """LOINC's mod-10 check digit (the Luhn variant LOINC documents)."""
    digits = [int(d) for d in number.zfill(7)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def icd10cm_problem(code: str) -> str | None:
    """Why `code` is not shaped like an ICD-10-CM code (e.g. E11.9), or None."""
    return None if _ICD10CM.match(code) else "must be an ICD-10-CM code like E11.9"


def rxnorm_problem(code: str) -> str | None:
    return None if _RXNORM.match(code) else "must be an RxNorm concept id (digits)"


def unit_problem(unit: str, code: str | None = None) -> str | None:
    """Why `unit` is not a UCUM unit (for this LOINC code, when we know its units), or None."""
    if not _UCUM_SYNTAX.match(unit) or unit.count("[") != unit.count("]"):
        return "must be a UCUM unit like mg/dL or mm[Hg] (put the written form in unit_text)"
    canonical = to_ucum(unit) or _NLP_UNITS.get(unit)
    if canonical is not None and canonical != unit:
        return f"must be written in UCUM as {canonical}"
    allowed = UNITS_BY_CODE.get(code or "")
    if allowed is not None and unit not in allowed:
        return f"must be one of {', '.join(allowed)} for this code"
    return None


def nlp_unit(unit: str) -> str:
    """The UCUM code of a unit the NLP wrote."""
    return _NLP_UNITS.get(unit, unit)
