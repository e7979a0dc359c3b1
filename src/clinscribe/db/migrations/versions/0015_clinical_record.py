"""the patient's clinical record: observations, medications, orders, allergies, conditions,
care plans, consents, their revisions and acknowledged interaction alerts

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

Every record table shares the columns of `RecordMixin` (tenant, patient, encounter, version,
lifecycle state, recorded_by, provenance `sources` as JSON). Only portable types are used
(String, Text, Float, Integer, Date, JSON, the UTC datetime), so SQLite, PostgreSQL and MariaDB
all migrate; free text is field-encrypted ciphertext in Text columns.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from clinscribe.db.base import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATE_CHECK = "state IN ('proposed', 'active', 'rejected')"


def _record_columns(table: str) -> list[Any]:
    """The `RecordMixin` columns and constraints of one record table."""
    return [
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("encounter_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_STATE_CHECK, name=op.f(f"ck_{table}_state")),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounters.id"],
            name=op.f(f"fk_{table}_encounter_id_encounters"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f(f"fk_{table}_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{table}_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _index_tenant_patient(table: str, last: str = "state") -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(
            f"ix_{table}_tenant_patient", ["tenant_id", "patient_id", last], unique=False
        )


def upgrade() -> None:
    op.create_table(
        "record_observations",
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("display", sa.String(length=200), nullable=True),
        sa.Column("value_quantity", sa.Float(), nullable=True),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("unit_text", sa.String(length=40), nullable=True),
        sa.Column("interpretation", sa.String(length=2), nullable=True),
        sa.Column("ref_low", sa.Float(), nullable=True),
        sa.Column("ref_high", sa.Float(), nullable=True),
        sa.Column("effective_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        *_record_columns("record_observations"),
    )
    _index_tenant_patient("record_observations")
    with op.batch_alter_table("record_observations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_observations_patient_category",
            ["patient_id", "category", "state", "code", "effective_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_record_observations_patient_time", ["patient_id", "effective_at"], unique=False
        )
        batch_op.create_index(
            "ix_record_observations_patient_code",
            ["patient_id", "code", "effective_at"],
            unique=False,
        )

    op.create_table(
        "record_medications",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("drug", sa.String(length=200), nullable=False),
        sa.Column("rxnorm", sa.String(length=20), nullable=True),
        sa.Column("dose", sa.String(length=100), nullable=True),
        sa.Column("route", sa.String(length=60), nullable=True),
        sa.Column("frequency", sa.String(length=100), nullable=True),
        sa.Column("duration", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("intent", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("authored_at", UTCDateTime(), nullable=True),
        *_record_columns("record_medications"),
        sa.CheckConstraint(
            "kind IN ('statement', 'request')", name=op.f("ck_record_medications_kind")
        ),
    )
    _index_tenant_patient("record_medications")

    op.create_table(
        "record_care_plans",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("goals", sa.Text(), nullable=True),
        sa.Column("activities", sa.Text(), nullable=True),
        *_record_columns("record_care_plans"),
    )
    _index_tenant_patient("record_care_plans")

    op.create_table(
        "record_orders",
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("code_system", sa.String(length=200), nullable=True),
        sa.Column("display", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("intent", sa.String(length=10), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("care_plan_id", sa.String(length=36), nullable=True),
        sa.Column("occurrence_at", UTCDateTime(), nullable=True),
        sa.Column("authored_at", UTCDateTime(), nullable=True),
        *_record_columns("record_orders"),
        sa.ForeignKeyConstraint(
            ["care_plan_id"],
            ["record_care_plans.id"],
            name=op.f("fk_record_orders_care_plan_id_record_care_plans"),
            ondelete="SET NULL",
        ),
    )
    _index_tenant_patient("record_orders")

    op.create_table(
        "record_allergies",
        sa.Column("substance", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("reaction", sa.Text(), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=True),
        sa.Column("criticality", sa.String(length=20), nullable=True),
        sa.Column("clinical_status", sa.String(length=10), nullable=False),
        sa.Column("verification_status", sa.String(length=20), nullable=False),
        *_record_columns("record_allergies"),
    )
    _index_tenant_patient("record_allergies")

    op.create_table(
        "record_conditions",
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("display", sa.String(length=200), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=True),
        sa.Column("abatement_date", sa.Date(), nullable=True),
        sa.Column("clinical_status", sa.String(length=12), nullable=False),
        sa.Column("verification_status", sa.String(length=20), nullable=False),
        *_record_columns("record_conditions"),
    )
    _index_tenant_patient("record_conditions")

    op.create_table(
        "record_consents",
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("period_start", UTCDateTime(), nullable=True),
        sa.Column("period_end", UTCDateTime(), nullable=True),
        sa.Column("granted_by", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        *_record_columns("record_consents"),
    )
    _index_tenant_patient("record_consents", last="category")

    op.create_table(
        "record_revisions",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_record_revisions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_record_revisions_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_revisions")),
        sa.UniqueConstraint(
            "resource_type",
            "resource_id",
            "version",
            name=op.f("uq_record_revisions_resource_type_resource_id_version"),
        ),
    )
    with op.batch_alter_table("record_revisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_revisions_tenant_resource", ["tenant_id", "resource_id"], unique=False
        )

    op.create_table(
        "interaction_acknowledgements",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("pair_key", sa.String(length=255), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_interaction_acknowledgements_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_interaction_acknowledgements_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interaction_acknowledgements")),
        sa.UniqueConstraint(
            "tenant_id",
            "patient_id",
            "pair_key",
            name=op.f("uq_interaction_acknowledgements_tenant_id_patient_id_pair_key"),
        ),
    )


_INDEXES = {
    "record_observations": (
        "ix_record_observations_tenant_patient",
        "ix_record_observations_patient_code",
        "ix_record_observations_patient_category",
        "ix_record_observations_patient_time",
    ),
    "record_medications": ("ix_record_medications_tenant_patient",),
    "record_orders": ("ix_record_orders_tenant_patient",),
    "record_care_plans": ("ix_record_care_plans_tenant_patient",),
    "record_allergies": ("ix_record_allergies_tenant_patient",),
    "record_conditions": ("ix_record_conditions_tenant_patient",),
    "record_consents": ("ix_record_consents_tenant_patient",),
    "record_revisions": ("ix_record_revisions_tenant_resource",),
}


def downgrade() -> None:
    op.drop_table("interaction_acknowledgements")
    # Orders reference care plans, so they go first.
    for table, indexes in _INDEXES.items():
        # MariaDB will not drop an index a foreign key still needs; the table takes it along.
        if op.get_bind().dialect.name not in ("mysql", "mariadb"):
            with op.batch_alter_table(table, schema=None) as batch_op:
                for name in indexes:
                    batch_op.drop_index(name)
        op.drop_table(table)
