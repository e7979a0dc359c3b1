"""openemr bridge: tenant connection, linked users, OpenEMR ids on patients and encounters

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("openemr_url_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "openemr_write_back", sa.String(length=8), server_default="none", nullable=False
            )
        )
        batch_op.add_column(sa.Column("openemr_facility_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("openemr_user_id", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(
            "uq_users_tenant_openemr_user", ["tenant_id", "openemr_user_id"]
        )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("openemr_pid", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(
            "uq_patients_tenant_openemr_pid", ["tenant_id", "openemr_pid"]
        )
    with op.batch_alter_table("encounters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("openemr_encounter", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(
            "uq_encounters_tenant_openemr", ["tenant_id", "openemr_encounter"]
        )


def downgrade() -> None:
    with op.batch_alter_table("encounters", schema=None) as batch_op:
        batch_op.drop_constraint("uq_encounters_tenant_openemr", type_="unique")
        batch_op.drop_column("openemr_encounter")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_constraint("uq_patients_tenant_openemr_pid", type_="unique")
        batch_op.drop_column("openemr_pid")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_tenant_openemr_user", type_="unique")
        batch_op.drop_column("openemr_user_id")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("openemr_facility_id")
        batch_op.drop_column("openemr_write_back")
        batch_op.drop_column("openemr_url_encrypted")
