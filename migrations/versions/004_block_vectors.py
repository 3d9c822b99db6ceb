"""Dense vectors of the blocks, for hybrid (lexical + semantic) search.

Revision ID: 004
Revises: 003
Create Date: 2026-12-04

One row per block and embedding model (see aizoomdoc_core/dense). On PostgreSQL the vector is
pgvector's ``vector(384)`` (the extension is created here; Supabase ships it) with an HNSW index
for cosine distance; on SQLite it is 384 signed bytes, searched in memory (storage/vectors.py), and
``id`` never reuses a value (AUTOINCREMENT), so that the in-memory index can read new rows by id.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aizoomdoc_core.storage.schema import Embedding

revision = "004"
down_revision = "003"
branch_labels = None
depends_on = None

Id = sa.Uuid(as_uuid=False)
Key = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "block_vectors",
        sa.Column("id", Key, autoincrement=True, nullable=False),
        sa.Column("block_id", Key, nullable=False),
        sa.Column("document_id", Id, nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("embedding", Embedding(), nullable=True),
        sa.ForeignKeyConstraint(["block_id"], ["blocks.id"], name=op.f("fk_block_vectors_block_id_blocks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_block_vectors_document_id_documents"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_vectors")),
        sa.UniqueConstraint("block_id", "model", name=op.f("uq_block_vectors_block_id_model")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_block_vectors_document_id_model"), "block_vectors", ["document_id", "model"])
    if postgres:
        op.execute("CREATE INDEX ix_block_vectors_embedding_hnsw ON block_vectors "
                   "USING hnsw (embedding vector_cosine_ops)")


def downgrade() -> None:
    op.drop_index(op.f("ix_block_vectors_document_id_model"), table_name="block_vectors")
    op.drop_table("block_vectors")
