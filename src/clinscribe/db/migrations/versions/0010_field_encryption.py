"""field-level encryption: ciphertext columns and blind indexes

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23

Columns that now hold AES-GCM ciphertext become TEXT; patients gain blind indexes (`mrn_index`,
`search_index`) and MRN uniqueness moves onto the index. Rows written before this revision hold
plaintext; `clinscribe db upgrade` seals them right after migrating (see `encryption.rotation`).
A downgrade restores the column types but leaves values encrypted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PATIENT_TEXT = (
    ("mrn", sa.String(length=64)),
    ("given_name", sa.String(length=200)),
    ("family_name", sa.String(length=200)),
    ("phone", sa.String(length=40)),
    ("email", sa.String(length=320)),
)


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_constraint("uq_patients_tenant_id_mrn", type_="unique")
        for name, old in PATIENT_TEXT:
            batch_op.alter_column(name, existing_type=old, type_=sa.Text())
        batch_op.alter_column(
            "birth_date",
            existing_type=sa.Date(),
            type_=sa.Text(),
            postgresql_using="birth_date::text",
        )
        batch_op.add_column(sa.Column("mrn_index", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("search_index", sa.Text(), nullable=True))
        batch_op.create_unique_constraint(
            "uq_patients_tenant_id_mrn_index", ["tenant_id", "mrn_index"]
        )
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.alter_column("filename", existing_type=sa.String(length=255), type_=sa.Text())
    with op.batch_alter_table("note_versions", schema=None) as batch_op:
        batch_op.alter_column("reason", existing_type=sa.String(length=500), type_=sa.Text())


def downgrade() -> None:
    with op.batch_alter_table("note_versions", schema=None) as batch_op:
        batch_op.alter_column("reason", existing_type=sa.Text(), type_=sa.String(length=500))
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.alter_column("filename", existing_type=sa.Text(), type_=sa.String(length=255))
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_constraint("uq_patients_tenant_id_mrn_index", type_="unique")
        batch_op.drop_column("search_index")
        batch_op.drop_column("mrn_index")
        batch_op.alter_column(
            "birth_date",
            existing_type=sa.Text(),
            type_=sa.Date(),
            postgresql_using="birth_date::date",
        )
        for name, old in PATIENT_TEXT:
            batch_op.alter_column(name, existing_type=sa.Text(), type_=old)
        batch_op.create_unique_constraint("uq_patients_tenant_id_mrn", ["tenant_id", "mrn"])
