"""waveforms: a patient's ECG recordings (sealed signal and strips in the blob store)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clinscribe.db.base import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "waveforms",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("leads", sa.JSON(), nullable=False),
        sa.Column("sampling_rate", sa.Float(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=True),
        sa.Column("measurements", sa.JSON(), nullable=False),
        sa.Column("device_measurements", sa.JSON(), nullable=False),
        sa.Column("analysis_lead", sa.String(length=16), nullable=True),
        sa.Column("method", sa.String(length=120), nullable=False),
        sa.Column("signal_key", sa.String(length=255), nullable=False),
        sa.Column("svg_key", sa.String(length=255), nullable=False),
        sa.Column("png_key", sa.String(length=255), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_waveforms_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_waveforms_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waveforms")),
    )
    with op.batch_alter_table("waveforms", schema=None) as batch_op:
        batch_op.create_index(
            "ix_waveforms_tenant_patient", ["tenant_id", "patient_id"], unique=False
        )


def downgrade() -> None:
    # Dropping the table drops its index (MariaDB refuses to drop an index a foreign key uses).
    op.drop_table("waveforms")
