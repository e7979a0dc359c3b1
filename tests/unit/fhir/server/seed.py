"""A small, fully known clinical record for the FHIR read API tests: every id by name."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from clinscribe.config import Settings
from clinscribe.db.models import (
    AllergyEntry,
    CarePlan,
    ClinicalObservation,
    ConditionEntry,
    Consent,
    Document,
    LabObservation,
    MedicationEntry,
    ServiceOrder,
)
from clinscribe.db.session import session_scope
from tests.support import TenantWorld, add_patient_and_encounter


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# name -> (patient: 1|2, category, code, value, effective, status, state)
OBSERVATIONS: dict[str, tuple[int, str, str | None, float | str, str, str, str]] = {
    "hr_jan": (1, "vital-signs", "8867-4", 72.0, "2024-01-15T10:00:00", "final", "active"),
    "hr_feb": (1, "vital-signs", "8867-4", 80.0, "2024-02-10T08:30:00", "final", "active"),
    "glucose": (1, "laboratory", "2339-0", 5.4, "2024-02-20T09:00:00", "preliminary", "active"),
    "sbp_nye": (1, "vital-signs", "8480-6", 130.0, "2023-12-31T23:30:00", "amended", "active"),
    "smoking": (1, "social-history", "72166-2", "never", "2025-06-01T00:00:00", "final", "active"),
    "hr_proposed": (1, "vital-signs", "8867-4", 99.0, "2024-01-20T10:00:00", "final", "proposed"),
    "hr_other": (2, "vital-signs", "8867-4", 64.0, "2024-01-15T10:00:00", "final", "active"),
}


def seed(settings: Settings, world: TenantWorld) -> dict[str, str]:
    """Record entries for the world's patient (1) and a second patient (2); ids by name."""
    ids: dict[str, str] = {"patient1": world.patient_id, "encounter1": world.encounter_id}
    ids["patient2"], ids["encounter2"] = add_patient_and_encounter(settings, world)
    patients = {1: ids["patient1"], 2: ids["patient2"]}
    rows: dict[str, Any] = {}
    with session_scope(settings.resolved_database_url) as session:
        base = {"tenant_id": world.id, "sources": [{"kind": "manual"}]}
        for name, (p, category, code, value, when, status, state) in OBSERVATIONS.items():
            numeric = isinstance(value, float)
            rows[name] = ClinicalObservation(
                **base,
                patient_id=patients[p],
                encounter_id=ids["encounter1"] if p == 1 else None,
                category=category,
                code=code,
                display=f"obs {name}",
                value_quantity=value if numeric else None,
                value_text=None if numeric else str(value),
                unit="/min" if category == "vital-signs" else "mmol/L" if numeric else None,
                interpretation="N" if numeric else None,
                ref_low=3.9 if code == "2339-0" else None,
                ref_high=5.5 if code == "2339-0" else None,
                effective_at=_at(when),
                status=status,
                state=state,
                source="manual",
            )
        doc = Document(
            tenant_id=world.id,
            patient_id=patients[1],
            media_type="text/plain",
            size_bytes=120,
            sha256="a" * 64,
            status="ready",
            kind="lab_report",
            document_date=date(2024, 3, 5),
            filename="labs.txt",
        )
        session.add(doc)
        session.flush()
        ids["document"] = doc.id
        for name, loinc, value, low_conf in (
            ("lab_creat", "2160-0", 1.4, False),
            ("lab_sodium", "2951-2", 139.0, True),
        ):
            rows[name] = LabObservation(
                tenant_id=world.id,
                patient_id=patients[1],
                document_id=doc.id,
                page=1,
                span_begin=0,
                span_end=10,
                analyte_printed=name,
                canonical=name,
                loinc=loinc,
                value=value,
                value_printed=str(value),
                unit="mg/dL",
                ucum="mg/dL",
                flag="H" if loinc == "2160-0" else None,
                effective_date=date(2024, 3, 5),
                low_confidence=low_conf,
            )
        rec = {"tenant_id": world.id, "sources": [{"kind": "manual"}], "state": "active"}
        rows["htn"] = ConditionEntry(
            **rec,
            patient_id=patients[1],
            code="I10",
            display="Essential hypertension",
            onset_date=date(2019, 5, 1),
            clinical_status="active",
            verification_status="confirmed",
        )
        rows["asthma"] = ConditionEntry(
            **rec,
            patient_id=patients[1],
            code="J45.909",
            display="Asthma",
            onset_date=date(2010, 1, 1),
            abatement_date=date(2015, 1, 1),
            clinical_status="resolved",
            verification_status="confirmed",
        )
        rows["dm_other"] = ConditionEntry(
            **rec,
            patient_id=patients[2],
            code="E11.9",
            display="Type 2 diabetes",
            clinical_status="active",
            verification_status="provisional",
        )
        rows["lisinopril"] = MedicationEntry(
            **rec,
            patient_id=patients[1],
            kind="statement",
            drug="lisinopril",
            rxnorm="29046",
            dose="10 mg",
            route="oral",
            frequency="daily",
            status="active",
            authored_at=_at("2024-01-15T10:00:00"),
        )
        rows["ibuprofen_stopped"] = MedicationEntry(
            **rec,
            patient_id=patients[1],
            kind="statement",
            drug="ibuprofen",
            rxnorm="5640",
            status="stopped",
            authored_at=_at("2023-06-01T10:00:00"),
        )
        rows["amoxicillin_rx"] = MedicationEntry(
            **rec,
            patient_id=patients[1],
            encounter_id=ids["encounter1"],
            kind="request",
            drug="amoxicillin",
            rxnorm="723",
            dose="500 mg",
            route="oral",
            frequency="three times daily",
            duration="7 days",
            status="active",
            intent="order",
            note="Take with food",
            authored_at=_at("2024-02-10T09:00:00"),
        )
        rows["metformin_rx_other"] = MedicationEntry(
            **rec,
            patient_id=patients[2],
            kind="request",
            drug="metformin",
            rxnorm="6809",
            status="draft",
            intent="proposal",
            authored_at=_at("2024-02-11T09:00:00"),
        )
        rows["plan"] = CarePlan(
            **rec,
            patient_id=patients[1],
            title="Hypertension plan",
            description="Lower BP",
            status="active",
            period_start=date(2024, 1, 15),
            period_end=date(2024, 12, 31),
        )
        session.add_all(rows.values())
        session.flush()
        rows["plan"].goals = [
            {
                "description": "BP under 130",
                "measure": "8480-6",
                "target_value": 130,
                "target_unit": "mm[Hg]",
                "due_date": "2024-06-30",
                "status": "active",
            }
        ]
        rows["a1c_order"] = ServiceOrder(
            **rec,
            patient_id=patients[1],
            category="laboratory",
            code="4548-4",
            code_system="http://loinc.org",
            display="HbA1c",
            status="active",
            intent="order",
            priority="routine",
            reason="screening",
            care_plan_id=rows["plan"].id,
            authored_at=_at("2024-02-10T09:05:00"),
        )
        rows["referral"] = ServiceOrder(
            **rec,
            patient_id=patients[1],
            category="referral",
            code="cardio",
            code_system=None,
            display="Cardiology referral",
            status="draft",
            intent="proposal",
            priority="urgent",
            authored_at=_at("2024-03-01T12:00:00"),
        )
        rows["penicillin"] = AllergyEntry(
            **rec,
            patient_id=patients[1],
            substance="penicillin",
            code="7980",
            category="medication",
            reaction="hives",
            severity="moderate",
            criticality="high",
            clinical_status="active",
            verification_status="confirmed",
        )
        rows["peanut_other"] = AllergyEntry(
            **rec,
            patient_id=patients[2],
            substance="peanut",
            category="food",
            clinical_status="inactive",
            verification_status="unconfirmed",
        )
        rows["ambient"] = Consent(
            **rec,
            patient_id=patients[1],
            category="ambient-recording",
            scope="patient-privacy",
            status="active",
            granted_by="patient",
            period_start=_at("2024-01-01T00:00:00"),
            note="verbal consent",
        )
        session.add_all(
            [rows[k] for k in ("a1c_order", "referral", "penicillin", "peanut_other", "ambient")]
        )
        session.flush()
        rows["plan"].activities = [
            {"description": "HbA1c", "order_id": rows["a1c_order"].id, "status": "scheduled"},
            {"description": "Walk daily", "order_id": None, "status": "in-progress"},
        ]
        session.flush()
        ids.update({name: row.id for name, row in rows.items()})
    return ids
