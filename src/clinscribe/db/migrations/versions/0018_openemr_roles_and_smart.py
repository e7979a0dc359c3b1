"""openemr role map, SMART App Launch settings and pending launches

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

`down_revision` names the newest revision this branch was cut from; when 0015-0017 land first,
it follows the last of them (the change touches no table they create).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clinscribe.db.base import UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("openemr_role_map", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("smart_iss", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("smart_client_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("smart_secret_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("smart_allow_loopback", sa.Boolean(), server_default="0", nullable=False)
        )
    # An index, not a constraint: SQLite adds it without rebuilding `tenants`; a rebuild under
    # enforced foreign keys would cascade-delete every row that belongs to a tenant.
    op.create_index("ix_tenants_smart_iss", "tenants", ["smart_iss"], unique=True)
    op.create_table(
        "smart_launches",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("verifier_encrypted", sa.Text(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_smart_launches_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smart_launches")),
    )
    with op.batch_alter_table("smart_launches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_smart_launches_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("smart_launches")  # with its index (MySQL keeps it for the foreign key)
    op.drop_index("ix_tenants_smart_iss", table_name="tenants")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("smart_allow_loopback")
        batch_op.drop_column("smart_secret_encrypted")
        batch_op.drop_column("smart_client_id")
        batch_op.drop_column("smart_iss")
        batch_op.drop_column("openemr_role_map")
