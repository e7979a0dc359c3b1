"""page image size for OCR word boxes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

OCR keeps each word's box in the pixels of the page image it read (the image as uploaded, or
the PDF page rendered at the OCR resolution). The viewer draws a cited span onto a rendering
of any size, so it needs that image's width and height; pages read before this revision have
none (their boxes are still stored, and are drawn once the document is read again).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document_pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("image_width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("image_height", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document_pages", schema=None) as batch_op:
        batch_op.drop_column("image_height")
        batch_op.drop_column("image_width")
