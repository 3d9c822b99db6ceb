"""The corpus copied N times over inside the database, for benchmarks at 10x or 100x its size.

Copying row by row through the application (read every block into Python, insert it again) takes
minutes at 100x; here each table is copied by one ``INSERT ... SELECT`` joined with a table of
(old id, new id) pairs, so the rows never leave the database. On PostgreSQL the blocks' postings
are written by the triggers of migration 005 as at ingest, with their index dropped for the copy and
built again after it (one bulk build instead of 13M index insertions), from its own definition as
the database reports it; the tables are then vacuumed and analyzed, as autovacuum would have done on
a database that grew to that size (vacuum marks the pages all-visible, which index-only scans need).
The blocks' dense vectors are copied with them (the HNSW index likewise rebuilt once): a copy's
vector is its original's, so the nearest blocks of a question are its copies too, which costs a
search what a real library would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

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
        block_columns = [c for c in b.c if c.name not in ("id", "document_id")]
        with _rebuilt(conn, "ix_block_terms_term_block_id", "512MB"):
            conn.execute(b.insert().from_select(
                ["document_id", *(c.name for c in block_columns)],
                sa.select(m.new_id, *block_columns).join(b, b.c.document_id == m.old_id).order_by(m.new_id, b.c.id)))
        _copy_vectors(conn)
        _copies.drop(conn)
    if database.kind == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    return database.block_statistics()[0]


@contextmanager
def _rebuilt(conn: sa.Connection, index: str, memory: str) -> Iterator[None]:
    """The PostgreSQL index ``index`` dropped for the ``with`` block and built again after it, from
    its definition as the database reports it (nothing happens on SQLite, or when it is absent)."""
    definition = None
    if conn.dialect.name == "postgresql":
        definition = conn.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                                  {"name": index}).scalar()
    if definition:
        conn.execute(sa.text(f"DROP INDEX {index}"))
    yield
    if definition:
        conn.execute(sa.text(f"SET LOCAL maintenance_work_mem = '{memory}'"))
        conn.execute(sa.text(definition))


def _copy_vectors(conn: sa.Connection) -> None:
    """Each copied block gets its original's vectors (the copy's block found by document and key)."""
    b, v, m = schema.blocks, schema.block_vectors, _copies.c
    original, copy = b.alias("original"), b.alias("copy")
    with _rebuilt(conn, "ix_block_vectors_embedding_hnsw", "2GB"):
        conn.execute(v.insert().from_select(
            ["block_id", "document_id", "model", "embedding"],
            sa.select(copy.c.id, m.new_id, v.c.model, v.c.embedding)
            .join(original, original.c.id == v.c.block_id)
            .join(_copies, m.old_id == original.c.document_id)
            .join(copy, sa.and_(copy.c.document_id == m.new_id, copy.c.block_key == original.c.block_key))
            .order_by(copy.c.id)))
