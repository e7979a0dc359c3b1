"""Terminology tables: LOINC document, section and vital-sign codes, UCUM units, routes."""

from __future__ import annotations

from typing import NamedTuple

FHIR_VERSION = "4.0.1"
FHIR_MIME = "application/fhir+json; fhirVersion=4.0"

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
# Our own identifiers are urn:uuid values, so they need no registered namespace of ours.
URI_SYSTEM = "urn:ietf:rfc:3986"
RECORDING_SYSTEM = "urn:clinscribe:recording"
TRANSCRIPT_SYSTEM = "urn:clinscribe:transcript"

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
DOCREF_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
PROVENANCE_AGENT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
LIST_EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
SIGNATURE_TYPE = "urn:iso-astm:E1762-95:2013"
DATA_OPERATION = "http://terminology.hl7.org/v3-DataOperation"


class Concept(NamedTuple):
    """A code with its display text."""

    code: str
    display: str


PROGRESS_NOTE = Concept("11506-3", "Progress note")
HISTORY_AND_PHYSICAL = Concept("34117-2", "History and physical note")
GENERIC_NOTE = Concept("34109-9", "Note")

DOCUMENT_TYPES: dict[str, Concept] = {
    "soap": PROGRESS_NOTE,
    "progress": PROGRESS_NOTE,
    "progress_note": PROGRESS_NOTE,
    "apso": PROGRESS_NOTE,
    "history_and_physical": HISTORY_AND_PHYSICAL,
    "hp": HISTORY_AND_PHYSICAL,
    "h&p": HISTORY_AND_PHYSICAL,
    # The Client Health Report drafted from a patient's documents.
    "client_health_report": Concept("60591-5", "Patient summary Document"),
}

_CC = Concept("10154-3", "Chief complaint Narrative - Reported")
_HPI = Concept("10164-2", "History of Present illness Narrative")
_ROS = Concept("10187-3", "Review of systems Narrative - Reported")
_PMH = Concept("11348-0", "History of Past illness Narrative")
_MEDS = Concept("10160-0", "History of Medication use Narrative")
_EXAM = Concept("29545-1", "Physical findings Narrative")
_ASSESSMENT = Concept("51848-0", "Evaluation note")
_A_AND_P = Concept("51847-2", "Evaluation + Plan note")

SECTION_CODES: dict[str, Concept] = {
    "chief_complaint": _CC,
    "hpi": _HPI,
    "history_of_present_illness": _HPI,
    "interval_history": _HPI,
    "ros": _ROS,
    "review_of_systems": _ROS,
    "pmh": _PMH,
    "past_medical_history": _PMH,
    "medications": _MEDS,
    "allergies": Concept("48765-2", "Allergies and adverse reactions Document"),
    "family_history": Concept("10157-6", "History of family member diseases Narrative"),
    "social_history": Concept("29762-2", "Social history Narrative"),
    "exam": _EXAM,
    "physical_exam": _EXAM,
    "physical_examination": _EXAM,
    "results": Concept("30954-2", "Relevant diagnostic tests/laboratory data Narrative"),
    "assessment": _ASSESSMENT,
    "plan": Concept("18776-5", "Plan of care note"),
    "assessment_and_plan": _A_AND_P,
    "subjective": Concept("61150-9", "Subjective Narrative"),
    "objective": Concept("61149-1", "Objective Narrative"),
    # Client Health Report sections.
    "problems": Concept("11450-4", "Problem list - Reported"),
    "labs": Concept("30954-2", "Relevant diagnostic tests/laboratory data Narrative"),
    "follow_up": Concept("18776-5", "Plan of care note"),
}

# Which sections list which derived resources as Composition.section.entry.
VITALS_SECTIONS = frozenset({"61149-1", "29545-1"})
CONDITION_SECTIONS = frozenset({"51848-0", "51847-2"})
MEDICATION_SECTIONS = frozenset({"10160-0"})


class VitalCode(NamedTuple):
    """LOINC code, display, R4 core profile and allowed UCUM units of one vital sign."""

    concept: Concept
    profile: str | None
    units: frozenset[str]
    category: str = "vital-signs"


_SD = "http://hl7.org/fhir/StructureDefinition/"
BP_SYSTOLIC = Concept("8480-6", "Systolic blood pressure")
BP_DIASTOLIC = Concept("8462-4", "Diastolic blood pressure")
# R4's core oxygensat profile requires 2708-6; pulse oximetry's 59408-5 is added beside it.
SPO2_CORE = Concept("2708-6", "Oxygen saturation in Arterial blood")

VITALS: dict[str, VitalCode] = {
    "blood_pressure": VitalCode(
        Concept("85354-9", "Blood pressure panel with all children optional"),
        _SD + "bp",
        frozenset({"mm[Hg]"}),
    ),
    "heart_rate": VitalCode(
        Concept("8867-4", "Heart rate"), _SD + "heartrate", frozenset({"/min"})
    ),
    "respiratory_rate": VitalCode(
        Concept("9279-1", "Respiratory rate"), _SD + "resprate", frozenset({"/min"})
    ),
    "temperature": VitalCode(
        Concept("8310-5", "Body temperature"), _SD + "bodytemp", frozenset({"Cel", "[degF]"})
    ),
    "oxygen_saturation": VitalCode(
        Concept("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
        _SD + "oxygensat",
        frozenset({"%"}),
    ),
    "weight": VitalCode(
        Concept("29463-7", "Body weight"), _SD + "bodyweight", frozenset({"kg", "g", "[lb_av]"})
    ),
    "height": VitalCode(
        Concept("8302-2", "Body height"), _SD + "bodyheight", frozenset({"cm", "m", "[in_i]"})
    ),
    "bmi": VitalCode(
        Concept("39156-5", "Body mass index (BMI) [Ratio]"), _SD + "bmi", frozenset({"kg/m2"})
    ),
    # Blood glucose is a laboratory result, not a vital sign, and has no core profile.
    "glucose": VitalCode(
        Concept("2339-0", "Glucose [Mass/volume] in Blood"),
        None,
        frozenset({"mg/dL", "mmol/L"}),
        "laboratory",
    ),
}

_UNIT_ALIASES = {
    "mmhg": "mm[Hg]",
    "mm hg": "mm[Hg]",
    "bpm": "/min",
    "beats/min": "/min",
    "breaths/min": "/min",
    "per minute": "/min",
    "c": "Cel",
    "°c": "Cel",
    "degc": "Cel",
    "f": "[degF]",
    "°f": "[degF]",
    "degf": "[degF]",
    "lb": "[lb_av]",
    "lbs": "[lb_av]",
    "in": "[in_i]",
    "inches": "[in_i]",
    "kg/m^2": "kg/m2",
    "kg/m²": "kg/m2",
    "mg/dl": "mg/dL",
    "mmol/l": "mmol/L",
    "percent": "%",
}
UCUM_DISPLAY = {"mm[Hg]": "mmHg", "[degF]": "degF", "Cel": "Cel", "[lb_av]": "lb", "[in_i]": "in"}


def ucum(unit: str) -> str:
    """The UCUM code for a unit as written by the extractor (unchanged when already UCUM)."""
    stripped = unit.strip()
    return _UNIT_ALIASES.get(stripped.lower(), stripped)


ROUTES: dict[str, Concept] = {
    "oral": Concept("26643006", "Oral route"),
    "by mouth": Concept("26643006", "Oral route"),
    "po": Concept("26643006", "Oral route"),
    "intravenous": Concept("47625008", "Intravenous route"),
    "iv": Concept("47625008", "Intravenous route"),
    "intramuscular": Concept("78421000", "Intramuscular route"),
    "im": Concept("78421000", "Intramuscular route"),
    "subcutaneous": Concept("34206005", "Subcutaneous route"),
    "sc": Concept("34206005", "Subcutaneous route"),
    "subq": Concept("34206005", "Subcutaneous route"),
    "topical": Concept("6064005", "Topical route"),
    "sublingual": Concept("37839007", "Sublingual route"),
    "inhaled": Concept("447694001", "Respiratory tract route"),
    "rectal": Concept("37161004", "Rectal route"),
}

# frequency text -> (times, period, unit) for Timing.repeat
FREQUENCIES: dict[str, tuple[int, float, str]] = {
    "daily": (1, 1, "d"),
    "once daily": (1, 1, "d"),
    "once a day": (1, 1, "d"),
    "qd": (1, 1, "d"),
    "every day": (1, 1, "d"),
    "nightly": (1, 1, "d"),
    "at bedtime": (1, 1, "d"),
    "qhs": (1, 1, "d"),
    "twice daily": (2, 1, "d"),
    "twice a day": (2, 1, "d"),
    "bid": (2, 1, "d"),
    "three times daily": (3, 1, "d"),
    "three times a day": (3, 1, "d"),
    "tid": (3, 1, "d"),
    "four times daily": (4, 1, "d"),
    "four times a day": (4, 1, "d"),
    "qid": (4, 1, "d"),
    "weekly": (1, 1, "wk"),
    "once weekly": (1, 1, "wk"),
    "monthly": (1, 1, "mo"),
}

DOSE_UNITS = {"mg": "mg", "g": "g", "mcg": "ug", "ug": "ug", "ml": "mL", "units": "[iU]"}
