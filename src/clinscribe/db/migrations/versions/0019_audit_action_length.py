"""audit: room for the longest action (a denied request is recorded as METHOD + route template)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _alter(length: int, previous: int) -> None:
    # SQLite does not enforce VARCHAR lengths; rebuilding the audit table there would only copy it.
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column(
        "audit_events",
        "action",
        type_=sa.String(length),
        existing_type=sa.String(previous),
        existing_nullable=False,
    )


def upgrade() -> None:
    _alter(255, 64)


def downgrade() -> None:
    # The audit log is hash-chained: cutting a recorded action would break the chain, so the
    # column narrows only while every action still fits.
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        longest = bind.execute(sa.text("SELECT MAX(LENGTH(action)) FROM audit_events")).scalar()
        if longest is not None and int(longest) > 64:
            raise RuntimeError(
                "audit_events holds actions longer than 64 characters; "
                "downgrading below 0019 would rewrite the audit log"
            )
    _alter(64, 255)
