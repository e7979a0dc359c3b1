"""Pydantic models for the clinical NLP contracts (Extraction, PhiSpan, DeidResult)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

Category = Literal["MEDICATION", "MEDICAL_CONDITION", "TEST_TREATMENT_PROCEDURE", "ANATOMY"]
Trait = Literal[
    "NEGATION",
    "SYMPTOM",
    "SIGN",
    "DIAGNOSIS",
    "HYPOTHETICAL",
    "HISTORICAL",
    "FAMILY_HISTORY",
    "UNCERTAIN",
]
VitalType = Literal[
    "blood_pressure",
    "heart_rate",
    "respiratory_rate",
    "temperature",
    "oxygen_saturation",
    "weight",
    "height",
    "bmi",
    "glucose",
]
PhiType = Literal[
    "NAME",
    "DATE",
    "AGE_OVER_89",
    "PHONE",
    "EMAIL",
    "ADDRESS",
    "MRN",
    "SSN",
    "ID",
    "URL",
    "IP",
    "LOCATION",
    "ORGANIZATION",
]
DeidMode = Literal["redact", "mask", "surrogate"]

ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
DRUGBANK_SYSTEM = "https://go.drugbank.com/drugs"
MEDLINEPLUS_SYSTEM = "https://medlineplus.gov/druginfo/meds"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid")


class Code(_Model):
    """A terminology code attached to an entity."""

    system: str
    code: str
    display: str
    score: float | None = None


class MedicationAttributes(_Model):
    """Dosage, route, frequency and duration of a medication mention (surface strings)."""

    dosage: str | None = None
    route: str | None = None
    frequency: str | None = None
    duration: str | None = None


class Entity(_Model):
    """One clinical entity with character offsets into the input text."""

    text: str
    category: Category
    type: str
    begin: int
    end: int
    score: float = Field(ge=0.0, le=1.0)
    traits: list[Trait] = Field(default_factory=list)
    attributes: MedicationAttributes | None = None
    codes: list[Code] = Field(default_factory=list)


class Vital(_Model):
    """A vital sign or measurement with a UCUM unit."""

    type: VitalType
    value: int | float | None = None
    systolic: int | None = None
    diastolic: int | None = None
    unit: str
    begin: int
    end: int

    @model_serializer(mode="wrap")
    def _drop_empty(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Blood pressure has systolic/diastolic, the others a value: omit what does not apply.
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v is not None}


class Extraction(_Model):
    """Entities and vitals found in one text."""

    entities: list[Entity] = Field(default_factory=list)
    vitals: list[Vital] = Field(default_factory=list)


class PhiSpan(_Model):
    """A protected health information span."""

    text: str
    type: PhiType
    begin: int
    end: int
    score: float = Field(default=1.0, ge=0.0, le=1.0, exclude=True)


class DeidResult(_Model):
    """De-identified text and the PHI spans found in the original."""

    text: str
    phi: list[PhiSpan] = Field(default_factory=list)


class CodeCandidate(_Model):
    """A ranked ICD-10-CM suggestion."""

    code: str
    display: str
    score: float
    system: str = ICD10CM_SYSTEM
