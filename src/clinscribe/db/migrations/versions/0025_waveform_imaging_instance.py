"""waveforms: the imaging instance an ECG was read from (a note's Bundle carries its study's ECGs)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No foreign key: SQLite cannot add one to an existing table, and the link is a lookup
    # (erasing a patient removes both sides; a dangling id finds no instance).
    op.add_column("waveforms", sa.Column("imaging_instance_id", sa.String(36), nullable=True))
    op.create_index("ix_waveforms_imaging_instance", "waveforms", ["imaging_instance_id"])


def downgrade() -> None:
    op.drop_index("ix_waveforms_imaging_instance", table_name="waveforms")
    op.drop_column("waveforms", "imaging_instance_id")
