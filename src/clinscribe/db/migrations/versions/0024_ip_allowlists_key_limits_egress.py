"""tenant IP allowlists, per-API-key rate limits, details on audit rows (PHI egress events)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain column additions: SQLite adds them in place (no rebuild of `tenants`, whose rebuild
    # under enforced foreign keys would cascade into every tenant's rows).
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ip_allowlist", sa.Text(), nullable=True))
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True))
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.Text(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    # Details are part of their rows' hashes: dropping them would break the audit chain.
    if bind.execute(
        sa.text("SELECT COUNT(*) FROM audit_events WHERE details IS NOT NULL")
    ).scalar():
        raise RuntimeError(
            "audit_events holds rows with details (PHI egress events); "
            "downgrading below 0024 would break the audit chain"
        )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("details")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("rate_limit_per_minute")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("ip_allowlist")
