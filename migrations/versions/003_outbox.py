"""The outbox: writes that wait in the local spool until the cloud answers again.

Revision ID: 003
Revises: 002
Create Date: 2026-11-25

See aizoomdoc_core/storage/fallback.py. Created on both backends so that one schema describes them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "003"
down_revision = "002"
branch_labels = None
depends_on = None

Id = sa.Uuid(as_uuid=False)
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True, nullable=False),
        sa.Column("lane", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("chat_id", Id, nullable=True),
        sa.Column("payload", Json, nullable=False),
        sa.Column("state", sa.String(10), server_default="waiting", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("lane IN ('database', 'blobs')", name=op.f("ck_outbox_lane")),
        sa.CheckConstraint("state IN ('waiting', 'failed')", name=op.f("ck_outbox_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(op.f("ix_outbox_lane_state_id"), "outbox", ["lane", "state", "id"])
    op.create_index(op.f("ix_outbox_chat_id"), "outbox", ["chat_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_chat_id"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_lane_state_id"), table_name="outbox")
    op.drop_table("outbox")
