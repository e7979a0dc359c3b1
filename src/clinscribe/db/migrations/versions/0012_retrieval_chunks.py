"""retrieval chunks with embeddings, and their full-text index

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

SQLite gets an FTS5 table over the chunks' blind-hashed terms; PostgreSQL a generated
tsvector column with a GIN index; MariaDB/MySQL an InnoDB FULLTEXT index on the terms.
When the pgvector extension is installed in the database at migration time, chunks also get
a `vector(384)` column for exact search in SQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clinscribe.db.base import UTCDateTime
from clinscribe.db.migration_ops import drop_indexes, on_mysql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retrieval_chunks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("begin_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_retrieval_chunks_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_retrieval_chunks_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_retrieval_chunks_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrieval_chunks")),
    )
    with op.batch_alter_table("retrieval_chunks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_retrieval_chunks_tenant_patient", ["tenant_id", "patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_retrieval_chunks_document_id"), ["document_id"], unique=False
        )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # External-content-free FTS5 table kept in step by the retrieval service.
        op.execute(
            "CREATE VIRTUAL TABLE retrieval_chunks_fts USING fts5("
            "terms, chunk_id UNINDEXED, patient_id UNINDEXED, tokenize='ascii')"
        )
        # Chunks also go when their document or patient is erased (a foreign-key cascade,
        # which fires triggers): their full-text rows follow.
        op.execute(
            "CREATE TRIGGER retrieval_chunks_fts_forget AFTER DELETE ON retrieval_chunks "
            "BEGIN DELETE FROM retrieval_chunks_fts WHERE chunk_id = old.id; END"
        )
    elif bind.dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE retrieval_chunks ADD COLUMN terms_tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED"
        )
        op.execute(
            "CREATE INDEX ix_retrieval_chunks_terms_tsv ON retrieval_chunks USING gin (terms_tsv)"
        )
        has_vector = bind.execute(
            sa.text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
        ).first()
        if has_vector:
            op.execute("ALTER TABLE retrieval_chunks ADD COLUMN embedding_vec vector(384)")
    elif on_mysql():
        # InnoDB FULLTEXT over the hashed terms, searched with MATCH ... AGAINST.
        op.execute("CREATE FULLTEXT INDEX ix_retrieval_chunks_terms_ft ON retrieval_chunks (terms)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS retrieval_chunks_fts_forget")
        op.execute("DROP TABLE IF EXISTS retrieval_chunks_fts")
    drop_indexes(
        "retrieval_chunks",
        op.f("ix_retrieval_chunks_document_id"),
        "ix_retrieval_chunks_tenant_patient",
    )
    op.drop_table("retrieval_chunks")
