"""stream sessions and single-use stream tokens

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clinscribe.db.base import UTCDateTime
from clinscribe.db.migration_ops import drop_indexes

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stream_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("principal_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("can_view_all_encounters", sa.Boolean(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_stream_tokens_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_stream_tokens_token_hash")),
    )
    with op.batch_alter_table("stream_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stream_tokens_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "stream_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("encounter_id", sa.String(length=36), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column("sample_rate", sa.Integer(), nullable=False),
        sa.Column("bytes_received", sa.BigInteger(), nullable=False),
        sa.Column("samples_received", sa.BigInteger(), nullable=False),
        sa.Column("spool_path", sa.String(length=500), nullable=False),
        sa.Column("node", sa.String(length=100), nullable=False),
        sa.Column("resume_until", UTCDateTime(), nullable=False),
        sa.Column("transcript_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('live', 'detached', 'stored', 'discarded')",
            name=op.f("ck_stream_sessions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounters.id"],
            name=op.f("fk_stream_sessions_encounter_id_encounters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_stream_sessions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_sessions")),
    )
    with op.batch_alter_table("stream_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stream_sessions_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_stream_sessions_encounter_id"), ["encounter_id"], unique=False
        )
        batch_op.create_index(
            "ix_stream_sessions_status_resume_until", ["status", "resume_until"], unique=False
        )


def downgrade() -> None:
    drop_indexes(
        "stream_sessions",
        "ix_stream_sessions_status_resume_until",
        op.f("ix_stream_sessions_encounter_id"),
        op.f("ix_stream_sessions_tenant_id"),
    )
    op.drop_table("stream_sessions")
    drop_indexes("stream_tokens", op.f("ix_stream_tokens_tenant_id"))
    op.drop_table("stream_tokens")
