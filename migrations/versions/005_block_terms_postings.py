"""PostgreSQL's full-text index as postings: one row a (term, block), read by index-only scans.

Revision ID: 005
Revises: 004
Create Date: 2026-12-10

Migration 002 gave PostgreSQL a ``text[]`` of each block's terms with a GIN index. GIN finds a
term's blocks, but it cannot count them or list their ids by itself: every match is a visit to the
block's row, and a question's common words reach 100k+ visits at 1.2M blocks. ``block_terms`` holds
each distinct (term, block id) of a block once, under a B-tree on exactly those two columns, so both
a term's count and its block ids are one index range, read without touching a table (an index-only
scan, once VACUUM has marked the pages all-visible, as autovacuum does after inserts).

The postings are kept by statement-level triggers on ``blocks`` (the rows a statement inserted or
deleted as transition tables: one INSERT or DELETE of postings per statement), the way SQLite's FTS5
table is kept by its triggers; the application writes only blocks. A document deleted deletes its
blocks (directly or by cascade), and its postings with them. The term column compares bytes
(``COLLATE "C"``): terms are matched for equality only, and byte order is the cheapest.

SQLite keeps its FTS5 table (migration 002), which already answers both questions from its index:
nothing changes there.
"""

from __future__ import annotations

from alembic import op

revision = "005"
down_revision = "004"
branch_labels = None
depends_on = None

# The postings of a transition table of blocks: each distinct term of each block once.
_POSTINGS = "SELECT DISTINCT t.term, b.id FROM {rows} b, unnest(string_to_array(b.terms, ' ')) AS t(term)"

UPGRADE = [
    'CREATE TABLE block_terms (term text COLLATE "C" NOT NULL, block_id bigint NOT NULL)',
    f"INSERT INTO block_terms (term, block_id) {_POSTINGS.format(rows='blocks')}",
    "CREATE UNIQUE INDEX ix_block_terms_term_block_id ON block_terms (term, block_id)",
    # The deletes probe the index per posting; the function's own settings keep the planner from a
    # hash join over the whole table when a big document's rows outnumber its guess.
    f"""CREATE FUNCTION block_terms_sync() RETURNS trigger LANGUAGE plpgsql
        SET enable_hashjoin = off SET enable_mergejoin = off AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            DELETE FROM block_terms p USING ({_POSTINGS.format(rows='old_blocks')}) o
            WHERE p.term = o.term AND p.block_id = o.id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO block_terms (term, block_id) {_POSTINGS.format(rows='new_blocks')};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER blocks_terms_insert AFTER INSERT ON blocks REFERENCING NEW TABLE AS new_blocks
        FOR EACH STATEMENT EXECUTE FUNCTION block_terms_sync()""",
    """CREATE TRIGGER blocks_terms_delete AFTER DELETE ON blocks REFERENCING OLD TABLE AS old_blocks
        FOR EACH STATEMENT EXECUTE FUNCTION block_terms_sync()""",
    """CREATE TRIGGER blocks_terms_update AFTER UPDATE ON blocks
        REFERENCING OLD TABLE AS old_blocks NEW TABLE AS new_blocks
        FOR EACH STATEMENT EXECUTE FUNCTION block_terms_sync()""",
    "DROP INDEX ix_blocks_terms_gin",
    "ALTER TABLE blocks DROP COLUMN terms_array",
]

DOWNGRADE = [
    "ALTER TABLE blocks ADD COLUMN terms_array text[] GENERATED ALWAYS AS (string_to_array(terms, ' ')) STORED",
    "CREATE INDEX ix_blocks_terms_gin ON blocks USING gin (terms_array) WITH (fastupdate = off)",
    "DROP TRIGGER blocks_terms_insert ON blocks",
    "DROP TRIGGER blocks_terms_delete ON blocks",
    "DROP TRIGGER blocks_terms_update ON blocks",
    "DROP FUNCTION block_terms_sync()",
    "DROP TABLE block_terms",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
