"""The database schema, defined once.

The runtime builds every query from these tables, and the Alembic migrations in ``migrations/versions``
create exactly this schema (a test compares the migrated database with this metadata on SQLite and on
PostgreSQL). Change a table here and add a migration in the same commit.

Types are chosen to mean the same thing on both backends: ``Uuid`` is native ``uuid`` on PostgreSQL and
a 32-character string on SQLite; JSON becomes ``jsonb`` on PostgreSQL; timestamps are timezone-aware and
written by the application (UTC), so both backends hold identical values.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np
import sqlalchemy as sa
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

# Constraint names follow one convention so that migrations can refer to them on both backends.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)



class Timestamp(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both backends.

    SQLite has no time zones and hands back naive datetimes; this type stores UTC and gives every
    value back as aware UTC, so code and tests see the same thing on SQLite and PostgreSQL.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a Timestamp column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# Full-text objects that exist on one backend only and are not expressible as portable metadata:
# SQLite's FTS5 table over blocks.terms (with its shadow tables and sync triggers, migration 002) and
# PostgreSQL's ``block_terms`` postings (kept by triggers on blocks, migration 005), plus the HNSW
# index of the vectors. Schema comparisons skip them.
NATIVE_SEARCH_OBJECTS = frozenset(
    {"blocks_fts", "blocks_fts_data", "blocks_fts_idx", "blocks_fts_docsize", "blocks_fts_config",
     "block_terms", "ix_block_vectors_embedding_hnsw"}
)

# The dimension of the dense vectors: multilingual-e5-small's, which an embeddings endpoint is asked for too.
DENSE_DIM = 384


class Embedding(sa.TypeDecorator[Any]):
    """A dense vector: pgvector's ``vector(384)`` on PostgreSQL, 384 signed bytes on SQLite.

    SQLite has no vector type. Components of an L2-normalised vector lie in [-1, 1]; stored as
    ``round(x * 127)`` they rank candidates as the floats do (the SQLite index ranks by sign bits
    first and uses these bytes only to re-score the few hundred best). Values come back as float32
    arrays on both backends.
    """

    impl = sa.LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Vector(DENSE_DIM))
        return dialect.type_descriptor(sa.LargeBinary())

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return quantize(np.asarray(value, dtype=np.float32)).tobytes()

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return np.asarray(value, dtype=np.float32)
        return np.frombuffer(value, dtype=np.int8).astype(np.float32) / 127.0


def quantize(vectors: np.ndarray) -> np.ndarray:
    """Normalised float vectors as the signed bytes SQLite stores."""
    return np.clip(np.rint(vectors * 127.0), -127, 127).astype(np.int8)

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Id = sa.Uuid(as_uuid=False)

MESSAGE_ROLES = ("user", "assistant", "tool", "system")
IMAGE_KINDS = ("viewport", "zoom_crop", "page", "upload")
DOCUMENT_STATUSES = ("processing", "ready", "image_only", "failed")

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("mime", sa.String(100), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("page_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("blob_key", sa.Text, nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("metadata", Json, nullable=False),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.CheckConstraint(
        sa.column("status").in_(DOCUMENT_STATUSES), name="status"
    ),
)

pages = sa.Table(
    "pages",
    metadata,
    sa.Column(
        "document_id", Id, sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("number", sa.Integer, primary_key=True),  # 1-based, as people count pages
    sa.Column("width_pt", sa.Float, nullable=False),  # as displayed, after /Rotate
    sa.Column("height_pt", sa.Float, nullable=False),
    sa.Column("rotation", sa.Integer, nullable=False, server_default="0"),
    sa.Column("has_text_layer", sa.Boolean, nullable=False),
    sa.Column("sheet_code", sa.Text, nullable=True),
    sa.Column("sheet_title", sa.Text, nullable=True),
    sa.Column("metadata", Json, nullable=False),
)

blocks = sa.Table(
    "blocks",
    metadata,
    # An integer key so that full-text indexes (SQLite FTS5 rowid) can point at a block directly.
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column(
        "document_id", Id, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("page", sa.Integer, nullable=False),
    sa.Column("block_key", sa.Text, nullable=False),  # the block id shown in hits and citations
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("bbox", Json, nullable=False),  # [x0, y0, x1, y1], 0..1 of the displayed page
    sa.Column("metadata", Json, nullable=False),
    # Search terms (aizoomdoc_core.terms), space-separated, and how many: the full-text indexes are
    # built on this column (see NATIVE_SEARCH_OBJECTS).
    sa.Column("terms", sa.Text, nullable=False, server_default=""),
    sa.Column("term_count", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("document_id", "block_key"),
    sa.Index(None, "document_id", "page"),
)

chats = sa.Table(
    "chats",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("updated_at", Timestamp(), nullable=False),
    sa.Column("metadata", Json, nullable=False),
    sa.Index(None, "user_id", "updated_at"),
    sa.Index(None, "created_at"),
)

chat_messages = sa.Table(
    "chat_messages",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("chat_id", Id, sa.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("message_type", sa.String(40), nullable=False, server_default="text"),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("metadata", Json, nullable=False),  # citations, usage, model
    sa.CheckConstraint(sa.column("role").in_(MESSAGE_ROLES), name="role"),
    sa.Index(None, "chat_id", "created_at"),
)

chat_images = sa.Table(
    "chat_images",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("chat_id", Id, sa.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    sa.Column(
        "message_id", Id, sa.ForeignKey("chat_messages.id", ondelete="CASCADE"), nullable=True
    ),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("storage_key", sa.Text, nullable=False),
    sa.Column("mime", sa.String(100), nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    # Where the pixels come from. No foreign key to documents: a chat keeps its evidence even after
    # the document it came from is deleted.
    sa.Column("document_id", Id, nullable=True),
    sa.Column("page", sa.Integer, nullable=True),
    sa.Column("bbox", Json, nullable=True),
    sa.Column("scale", sa.Float, nullable=True),  # pixels per PDF point
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Column("metadata", Json, nullable=False),
    sa.CheckConstraint(sa.column("kind").in_(IMAGE_KINDS), name="kind"),
    sa.Index(None, "chat_id"),
    sa.Index(None, "message_id"),
)

search_results = sa.Table(
    "search_results",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("chat_id", Id, sa.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    sa.Column(
        "message_id", Id, sa.ForeignKey("chat_messages.id", ondelete="CASCADE"), nullable=True
    ),
    sa.Column("document_id", Id, nullable=False),
    sa.Column("document_name", sa.Text, nullable=False),
    sa.Column("block_id", sa.Text, nullable=False),
    sa.Column("page", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("bbox", Json, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.Index(None, "chat_id"),
    sa.Index(None, "message_id"),
)

# Writes that could not reach the cloud and wait in the local spool to be pushed (storage/outbox.py).
# Used in the spool database only; the table exists on both backends so that there is one schema.
OUTBOX_LANES = ("database", "blobs")
OUTBOX_STATES = ("waiting", "failed")

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("lane", sa.String(20), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("chat_id", Id, nullable=True),  # the chat the write belongs to, for merged reads
    sa.Column("payload", Json, nullable=False),
    sa.Column("state", sa.String(10), nullable=False, server_default="waiting"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", Timestamp(), nullable=False),
    sa.CheckConstraint(sa.column("lane").in_(OUTBOX_LANES), name="lane"),
    sa.CheckConstraint(sa.column("state").in_(OUTBOX_STATES), name="state"),
    sa.Index(None, "lane", "state", "id"),
    sa.Index(None, "chat_id"),
)

# Dense vectors of the blocks, one per block and embedding model (``dense``): written by the
# background indexer after ingest, so a document is searchable lexically before it has them. A block
# with nothing worth embedding has a row with no vector, so that it counts as done. On PostgreSQL an
# HNSW index (cosine) serves nearest-neighbour search (migration 004); SQLite searches in memory
# (``storage.vectors``), reading new rows by ``id``, which only grows.
block_vectors = sa.Table(
    "block_vectors",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("block_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"),
              sa.ForeignKey("blocks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("document_id", Id, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("embedding", Embedding(), nullable=True),
    sa.UniqueConstraint("block_id", "model"),
    sa.Index(None, "document_id", "model"),
    sqlite_autoincrement=True,
)
