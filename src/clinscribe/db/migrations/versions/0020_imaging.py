"""imaging: DICOM studies, series and instances of a patient, and studies attached to notes

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07

The DICOM files are sealed blobs; the header values that name a person or a visit, and the UIDs
(found through a keyed blind index), are field-encrypted ciphertext.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clinscribe.db.base import UTCDateTime
from clinscribe.db.migration_ops import drop_indexes

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "imaging_studies",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("uid_index", sa.String(length=64), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("held_reason", sa.String(length=64), nullable=True),
        sa.Column("confirmed_by", sa.String(length=64), nullable=True),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("modalities", sa.String(length=64), nullable=False),
        sa.Column("body_part", sa.String(length=64), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("series_count", sa.Integer(), nullable=False),
        sa.Column("instance_count", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("accession", sa.Text(), nullable=True),
        sa.Column("dicom_patient_id", sa.Text(), nullable=True),
        sa.Column("dicom_patient_name", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_imaging_studies_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_imaging_studies_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_studies")),
        sa.UniqueConstraint(
            "tenant_id",
            "patient_id",
            "uid_index",
            name=op.f("uq_imaging_studies_tenant_id_patient_id_uid_index"),
        ),
    )
    with op.batch_alter_table("imaging_studies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_imaging_studies_tenant_patient", ["tenant_id", "patient_id"], unique=False
        )

    op.create_table(
        "imaging_series",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("study_id", sa.String(length=36), nullable=False),
        sa.Column("uid_index", sa.String(length=64), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("modality", sa.String(length=16), nullable=False),
        sa.Column("body_part", sa.String(length=64), nullable=True),
        sa.Column("instance_count", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["imaging_studies.id"],
            name=op.f("fk_imaging_series_study_id_imaging_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_imaging_series_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_series")),
        sa.UniqueConstraint(
            "study_id", "uid_index", name=op.f("uq_imaging_series_study_id_uid_index")
        ),
    )
    with op.batch_alter_table("imaging_series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imaging_series_study_id"), ["study_id"], unique=False)

    op.create_table(
        "imaging_instances",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("study_id", sa.String(length=36), nullable=False),
        sa.Column("series_id", sa.String(length=36), nullable=False),
        sa.Column("uid_index", sa.String(length=64), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("sop_class_uid", sa.String(length=64), nullable=False),
        sa.Column("transfer_syntax", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("columns", sa.Integer(), nullable=True),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("preview_available", sa.Boolean(), nullable=False),
        sa.Column("burned_in", sa.Boolean(), nullable=False),
        sa.Column("window_center", sa.Float(), nullable=True),
        sa.Column("window_width", sa.Float(), nullable=True),
        sa.Column(
            "size_bytes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("blob_key", sa.String(length=255), nullable=False),
        sa.Column(
            "blob_offset", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["imaging_series.id"],
            name=op.f("fk_imaging_instances_series_id_imaging_series"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["imaging_studies.id"],
            name=op.f("fk_imaging_instances_study_id_imaging_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_imaging_instances_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_instances")),
        sa.UniqueConstraint(
            "study_id", "uid_index", name=op.f("uq_imaging_instances_study_id_uid_index")
        ),
    )
    with op.batch_alter_table("imaging_instances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_imaging_instances_series_id"), ["series_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_imaging_instances_study_id"), ["study_id"], unique=False
        )

    op.create_table(
        "note_studies",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("note_id", sa.String(length=36), nullable=False),
        sa.Column("study_id", sa.String(length=36), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["notes.id"],
            name=op.f("fk_note_studies_note_id_notes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["imaging_studies.id"],
            name=op.f("fk_note_studies_study_id_imaging_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_note_studies_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_studies")),
        sa.UniqueConstraint("note_id", "study_id", name=op.f("uq_note_studies_note_id_study_id")),
    )
    with op.batch_alter_table("note_studies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_studies_note_id"), ["note_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_note_studies_study_id"), ["study_id"], unique=False)


def downgrade() -> None:
    drop_indexes("note_studies", "ix_note_studies_study_id", "ix_note_studies_note_id")
    op.drop_table("note_studies")
    drop_indexes(
        "imaging_instances", "ix_imaging_instances_study_id", "ix_imaging_instances_series_id"
    )
    op.drop_table("imaging_instances")
    drop_indexes("imaging_series", "ix_imaging_series_study_id")
    op.drop_table("imaging_series")
    drop_indexes("imaging_studies", "ix_imaging_studies_tenant_patient")
    op.drop_table("imaging_studies")
