"""The corpus copied N times over inside the database, for benchmarks at 10x or 100x its size.

Copying row by row through the application (read every block into Python, insert it again) takes
minutes at 100x; here each table is copied by one ``INSERT ... SELECT`` joined with a table of
(old id, new id) pairs, so the rows never leave the database. On PostgreSQL the GIN index over the
terms is dropped for the copy and built again after it (one bulk build instead of 1.2M index
insertions), from its own definition as the database reports it, and the tables are analyzed, as
autovacuum would have done on a database that grew to that size.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from aizoomdoc_core.storage import schema
from aizoomdoc_core.storage.db import Database

_copies = sa.Table(
    "benchmark_copies",
    sa.MetaData(),
    sa.Column("old_id", schema.Id, nullable=False),
    sa.Column("new_id", schema.Id, primary_key=True),
    sa.Column("prefix", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    prefixes=["TEMPORARY"],
)


def copy_corpus(database: Database, copies: int) -> int:
    """Duplicate every document ``copies - 1`` times under new ids, names and hashes; returns the
    number of blocks after."""
    d, p, b = schema.documents, schema.pages, schema.blocks
    with database.write() as conn:
        originals = [str(v) for v in conn.execute(sa.select(d.c.id)).scalars()]
        _copies.create(conn)
        rows = [{"old_id": old, "new_id": str(uuid.uuid4()), "prefix": f"copy{copy}-", "sha256": uuid.uuid4().hex * 2}
                for copy in range(1, copies) for old in originals]
        for start in range(0, len(rows), 5000):
            conn.execute(_copies.insert(), rows[start : start + 5000])
        m = _copies.c
        document_columns = [c for c in d.c if c.name not in ("id", "name", "sha256")]
        conn.execute(d.insert().from_select(
            ["id", "name", "sha256", *(c.name for c in document_columns)],
            sa.select(m.new_id, m.prefix + d.c.name, m.sha256, *document_columns).join(d, d.c.id == m.old_id)))
        page_columns = [c for c in p.c if c.name != "document_id"]
        conn.execute(p.insert().from_select(
            ["document_id", *(c.name for c in page_columns)],
            sa.select(m.new_id, *page_columns).join(p, p.c.document_id == m.old_id)))
        index = None
        if database.kind == "postgresql":
            index = conn.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_blocks_terms_gin'")).scalar()
            if index:
                conn.execute(sa.text("DROP INDEX ix_blocks_terms_gin"))
        block_columns = [c for c in b.c if c.name not in ("id", "document_id")]
        conn.execute(b.insert().from_select(
            ["document_id", *(c.name for c in block_columns)],
            sa.select(m.new_id, *block_columns).join(b, b.c.document_id == m.old_id).order_by(m.new_id, b.c.id)))
        if index:
            conn.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
            conn.execute(sa.text(index))
        _copies.drop(conn)
    if database.kind == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    return database.block_statistics()[0]
