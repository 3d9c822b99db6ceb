"""Long blocks already stored, cut into passages as ingest now cuts them.

Revision ID: 006
Revises: 005
Create Date: 2026-12-08

Ingest stores a block longer than ``passages.LONG_BLOCK`` characters as its passages
(``aizoomdoc_core/ingest/passages.py``: a few paragraphs of notes, or a few rows of a table under its
title and header). This revision does the same to the blocks a library already holds, so that its
documents need not be ingested again: each long block's row is replaced by its passages' rows (the
first keeps the block's key, the next are ``KEY.2``, ``KEY.3``...), placed at the block's bbox (a
stored block keeps no positions of its lines). The search indexes follow by their triggers; the
block's dense vectors go with its row (cascade), and the passages wait in the backlog of the dense
indexer like any new block. Only data changes: the schema is the same.

Downgrade keeps the passages: they are blocks like any other to the code before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aizoomdoc_core.ingest.passages import LONG_BLOCK, passage_key, passages
from aizoomdoc_core.storage.schema import Json
from aizoomdoc_core.terms import index_terms

revision = "006"
down_revision = "005"
branch_labels = None
depends_on = None

BATCH = 500

_BLOCKS = sa.table(
    "blocks", sa.column("id"), sa.column("document_id"), sa.column("page"), sa.column("block_key"),
    sa.column("kind"), sa.column("text"), sa.column("bbox", Json), sa.column("metadata", Json),
    sa.column("terms"), sa.column("term_count"),
)


def upgrade() -> None:
    connection = op.get_bind()
    long_ids = connection.execute(
        sa.select(_BLOCKS.c.id).where(sa.func.length(_BLOCKS.c.text) > LONG_BLOCK).order_by(_BLOCKS.c.id)
    ).scalars().all()
    for start in range(0, len(long_ids), BATCH):  # a library's long blocks a batch at a time, not all in memory
        batch = connection.execute(sa.select(_BLOCKS).where(_BLOCKS.c.id.in_(long_ids[start:start + BATCH])))
        for block in batch.mappings().all():
            _cut(connection, block)


def _cut(connection: sa.Connection, block: sa.RowMapping) -> None:
    """One stored block replaced by its passages' rows (the triggers keep the search indexes)."""
    parts = passages(block["text"])
    if len(parts) == 1:
        return
    connection.execute(sa.delete(_BLOCKS).where(_BLOCKS.c.id == block["id"]))
    rows = []
    for n, part in enumerate(parts, 1):
        terms = index_terms(part.text)
        rows.append({
            "document_id": block["document_id"], "page": block["page"], "kind": block["kind"],
            "block_key": passage_key(block["block_key"], n), "text": part.text, "bbox": block["bbox"],
            "metadata": {**(block["metadata"] or {}), "passage": f"{n}/{len(parts)}"},
            "terms": " ".join(terms), "term_count": len(terms),
        })
    connection.execute(sa.insert(_BLOCKS), rows)


def downgrade() -> None:
    """The passages stay (see the module's docstring)."""
