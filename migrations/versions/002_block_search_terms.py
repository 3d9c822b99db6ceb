"""Block search terms with a native full-text index on each backend.

Revision ID: 002
Revises: 001
Create Date: 2026-11-25

``blocks.terms`` holds the block's search terms (see aizoomdoc_core/terms.py), space-separated. Each
backend indexes it with what it does best, so that candidate retrieval runs inside the database:
- SQLite: an FTS5 table over the column (external content, kept in sync by triggers), whose
  tokenizer keeps ``/ . - _ + ~`` inside tokens so that a code stays one token;
- PostgreSQL: the terms as a stored generated ``text[]`` column with a GIN index, queried with
  ``@>``. Stored, so that no query splits strings row by row; ``fastupdate`` off, so that a freshly
  ingested document is found through the index at once instead of through GIN's pending list.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "002"
down_revision = "001"
branch_labels = None
depends_on = None

SQLITE_FTS = [
    """CREATE VIRTUAL TABLE blocks_fts USING fts5(
        terms, content='blocks', content_rowid='id',
        tokenize="unicode61 remove_diacritics 0 tokenchars '/.-_+~'")""",
    """CREATE TRIGGER blocks_fts_insert AFTER INSERT ON blocks BEGIN
        INSERT INTO blocks_fts(rowid, terms) VALUES (new.id, new.terms); END""",
    """CREATE TRIGGER blocks_fts_delete AFTER DELETE ON blocks BEGIN
        INSERT INTO blocks_fts(blocks_fts, rowid, terms) VALUES ('delete', old.id, old.terms); END""",
    """CREATE TRIGGER blocks_fts_update AFTER UPDATE OF terms ON blocks BEGIN
        INSERT INTO blocks_fts(blocks_fts, rowid, terms) VALUES ('delete', old.id, old.terms);
        INSERT INTO blocks_fts(rowid, terms) VALUES (new.id, new.terms); END""",
]


def upgrade() -> None:
    with op.batch_alter_table("blocks") as batch:
        batch.add_column(sa.Column("terms", sa.Text(), server_default="", nullable=False))
        batch.add_column(sa.Column("term_count", sa.Integer(), server_default="0", nullable=False))
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
        op.execute("INSERT INTO blocks_fts(blocks_fts) VALUES ('rebuild')")
    else:
        op.execute(
            "ALTER TABLE blocks ADD COLUMN terms_array text[] GENERATED ALWAYS AS (string_to_array(terms, ' ')) STORED"
        )
        op.execute("CREATE INDEX ix_blocks_terms_gin ON blocks USING gin (terms_array) WITH (fastupdate = off)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("blocks_fts_insert", "blocks_fts_delete", "blocks_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS blocks_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_blocks_terms_gin")
        op.execute("ALTER TABLE blocks DROP COLUMN IF EXISTS terms_array")
    with op.batch_alter_table("blocks") as batch:
        batch.drop_column("term_count")
        batch.drop_column("terms")
