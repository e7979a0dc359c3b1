"""Plain inputs of the FHIR mapping: a signed note with its extraction (see contracts.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

NoteStatus = Literal["preliminary", "final", "amended"]


class _Model(BaseModel):
    # The mapping reads a note's sections, entities and vitals as given — typed note content
    # (read by attribute) or contract JSON — and ignores fields it does not map: this core
    # cannot import the notes core (they are independent), so the shapes match by field name.
    model_config = ConfigDict(extra="ignore", frozen=True, from_attributes=True)


class Code(_Model):
    """A coding attached to an entity (ICD-10-CM, RxNorm, ...)."""

    system: str
    code: str
    display: str | None = None


class MedicationAttributes(_Model):
    """Medication attributes as extracted (dosage, route, frequency, duration)."""

    dosage: str | None = None
    route: str | None = None
    frequency: str | None = None
    duration: str | None = None


class Entity(_Model):
    """One clinical entity in the contracts.md Extraction shape."""

    text: str
    category: str
    type: str = ""
    begin: int = 0
    end: int = 0
    score: float = 1.0
    traits: list[str] = Field(default_factory=list)
    attributes: MedicationAttributes | None = None
    codes: list[Code] = Field(default_factory=list)


class Vital(_Model):
    """One vital sign or measurement in the contracts.md Extraction shape."""

    type: str
    value: float | None = None
    systolic: float | None = None
    diastolic: float | None = None
    unit: str = ""
    begin: int = 0
    end: int = 0


class Section(_Model):
    """One note section: a template key, its heading and its signed text."""

    key: str
    title: str
    text: str = ""


class Identifier(_Model):
    """A business identifier: a namespace URI and a value."""

    system: str = Field(min_length=1)
    value: str = Field(min_length=1)


class Clinician(_Model):
    """The clinician who wrote or signed the note."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    system: str = "urn:clinscribe:clinician"


class SignedNote(_Model):
    """A signed (or amended) note version, ready to deliver to an EHR."""

    note_id: str = Field(min_length=1)
    version: int = Field(ge=1)
    template: str
    template_title: str | None = None
    status: NoteStatus = "final"
    language: str = "en"
    sections: list[Section] = Field(min_length=1)
    text: str
    entities: list[Entity] = Field(default_factory=list)
    vitals: list[Vital] = Field(default_factory=list)
    patient: Identifier
    encounter: Identifier
    author: Clinician
    authenticator: Clinician | None = None
    signed_at: AwareDatetime
    effective_at: AwareDatetime | None = None
    content_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    recording_id: str | None = None
    transcript_id: str | None = None
    replaces: Identifier | None = None

    @property
    def signer(self) -> Clinician:
        """The authenticator, or the author when the author signed."""
        return self.authenticator or self.author

    @property
    def observed_at(self) -> datetime:
        """When the findings were observed: the encounter time if known, else signing time."""
        return self.effective_at or self.signed_at
