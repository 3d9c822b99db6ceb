"""Initial schema: documents, pages, blocks, chats, chat messages, chat images, search results.

Revision ID: 001
Revises:
Create Date: 2026-11-25

Written out in full rather than imported from the app's schema module, so that this revision keeps
creating the same tables whatever the schema becomes later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.Uuid(as_uuid=False)
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", Id, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("page_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("blob_key", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("metadata", Json, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.CheckConstraint(
            "status IN ('processing', 'ready', 'image_only', 'failed')", name=op.f("ck_documents_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("sha256", name=op.f("uq_documents_sha256")),
    )
    op.create_table(
        "pages",
        sa.Column("document_id", Id, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("width_pt", sa.Float(), nullable=False),
        sa.Column("height_pt", sa.Float(), nullable=False),
        sa.Column("rotation", sa.Integer(), server_default="0", nullable=False),
        sa.Column("has_text_layer", sa.Boolean(), nullable=False),
        sa.Column("sheet_code", sa.Text(), nullable=True),
        sa.Column("sheet_title", sa.Text(), nullable=True),
        sa.Column("metadata", Json, nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_pages_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("document_id", "number", name=op.f("pk_pages")),
    )
    op.create_table(
        "blocks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("document_id", Id, nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("block_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("bbox", Json, nullable=False),
        sa.Column("metadata", Json, nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_blocks_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocks")),
        sa.UniqueConstraint("document_id", "block_key", name=op.f("uq_blocks_document_id_block_key")),
    )
    op.create_index(op.f("ix_blocks_document_id_page"), "blocks", ["document_id", "page"])

    op.create_table(
        "chats",
        sa.Column("id", Id, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("metadata", Json, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chats")),
    )
    op.create_index(op.f("ix_chats_user_id_updated_at"), "chats", ["user_id", "updated_at"])
    op.create_index(op.f("ix_chats_created_at"), "chats", ["created_at"])

    op.create_table(
        "chat_messages",
        sa.Column("id", Id, nullable=False),
        sa.Column("chat_id", Id, nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("message_type", sa.String(40), server_default="text", nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("metadata", Json, nullable=False),
        sa.CheckConstraint(
            "role IN ('user', 'assistant', 'tool', 'system')", name=op.f("ck_chat_messages_role")
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_chat_messages_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
    )
    op.create_index(op.f("ix_chat_messages_chat_id_created_at"), "chat_messages", ["chat_id", "created_at"])

    op.create_table(
        "chat_images",
        sa.Column("id", Id, nullable=False),
        sa.Column("chat_id", Id, nullable=False),
        sa.Column("message_id", Id, nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("storage_key", sa.Text(), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("document_id", Id, nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("bbox", Json, nullable=True),
        sa.Column("scale", sa.Float(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("metadata", Json, nullable=False),
        sa.CheckConstraint(
            "kind IN ('viewport', 'zoom_crop', 'page', 'upload')", name=op.f("ck_chat_images_kind")
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_chat_images_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["chat_messages.id"],
            name=op.f("fk_chat_images_message_id_chat_messages"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_images")),
    )
    op.create_index(op.f("ix_chat_images_chat_id"), "chat_images", ["chat_id"])
    op.create_index(op.f("ix_chat_images_message_id"), "chat_images", ["message_id"])

    op.create_table(
        "search_results",
        sa.Column("id", Id, nullable=False),
        sa.Column("chat_id", Id, nullable=False),
        sa.Column("message_id", Id, nullable=True),
        sa.Column("document_id", Id, nullable=False),
        sa.Column("document_name", sa.Text(), nullable=False),
        sa.Column("block_id", sa.Text(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("bbox", Json, nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_search_results_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["chat_messages.id"],
            name=op.f("fk_search_results_message_id_chat_messages"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_results")),
    )
    op.create_index(op.f("ix_search_results_chat_id"), "search_results", ["chat_id"])
    op.create_index(op.f("ix_search_results_message_id"), "search_results", ["message_id"])


def downgrade() -> None:
    for table in ("search_results", "chat_images", "chat_messages", "chats", "blocks", "pages", "documents"):
        op.drop_table(table)
