"""covering index for a patient's retrieval index version

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

Search caches each patient's vector matrix under their index version (the count and newest
creation time of their chunks). This index lets the database answer that from the index
alone instead of reading every chunk row (with its vector and text) on every search.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("retrieval_chunks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_retrieval_chunks_index_version",
            ["tenant_id", "patient_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("retrieval_chunks", schema=None) as batch_op:
        batch_op.drop_index("ix_retrieval_chunks_index_version")
