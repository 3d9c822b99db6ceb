"""Dense vectors in the SQL store: the indexer's backlog, saving vectors, nearest blocks, progress.

A mixin of ``db.Database`` (as ``writes.ChatWrites`` is), because it needs the store's connections
and, on SQLite, state of its own: the in-memory index below.

Nearest blocks, by backend:
- PostgreSQL: pgvector's HNSW index (cosine), inside the database. A scoped search lets pgvector
  scan the index on until enough rows pass the filter (``hnsw.iterative_scan``), so a small scope
  is not left with nothing because the global nearest blocks lie elsewhere.
- SQLite has no vector index that the standard library's ``sqlite3`` can load (it may be built
  without extension loading), so the search runs in memory: every vector's sign bits (48 bytes for
  384 dimensions: 58 MB for 1.2M blocks) are compared by Hamming distance with the query's, the
  closest ``RESCORE`` blocks are read back as bytes and ranked by their exact dot product. Sign bits
  are taken around the mean of the vectors read: e5 vectors share a large common component, and
  around zero their signs would say little. New rows are read by ``id``, which SQLite never reuses
  here (AUTOINCREMENT); the whole index is read afresh after a search met a block deleted since (its
  document was: it is dropped), and, while its centre is the mean of fewer than ``CENTRE_SAMPLE``
  vectors, when it has doubled since.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..models import BlockText, BlockVector, DenseProgress
from . import schema

RESCORE = 400  # blocks re-ranked exactly after the sign-bit comparison, at least
EF_SEARCH = 200  # HNSW candidates pgvector keeps while searching (its default is 40)
READ_CHUNK = 50_000  # rows read into the in-memory index at a time
CENTRE_SAMPLE = 20_000  # vectors whose mean is a centre good for any size; fewer: taken again as they grow


class DenseVectors:
    """The vector side of the SQL store (``db.Database``)."""

    kind: str

    def read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def vector_backlog(self, model: str, limit: int) -> list[BlockText]:
        """Up to ``limit`` blocks with no row for ``model`` yet, oldest first."""
        b, v = schema.blocks, schema.block_vectors
        query = (
            sa.select(b.c.document_id, b.c.block_key, b.c.text)
            .outerjoin(v, sa.and_(v.c.block_id == b.c.id, v.c.model == model))
            .where(v.c.id.is_(None))
            .order_by(b.c.id)
            .limit(limit)
        )
        with self.read() as conn:
            return [BlockText(str(r.document_id), r.block_key, r.text) for r in conn.execute(query)]

    def save_vectors(self, model: str, vectors: Sequence[BlockVector]) -> None:
        """Save the vectors under this store's ids for the blocks; a block gone meanwhile (its
        document deleted) or already saved is skipped."""
        b, v = schema.blocks, schema.block_vectors
        by_document: dict[str, dict[str, BlockVector]] = defaultdict(dict)
        for vector in vectors:
            by_document[vector.document_id][vector.block_key] = vector
        with self.write() as conn:
            for document_id, keyed in by_document.items():
                ids = conn.execute(
                    sa.select(b.c.block_key, b.c.id)
                    .outerjoin(v, sa.and_(v.c.block_id == b.c.id, v.c.model == model))
                    .where(b.c.document_id == document_id, b.c.block_key.in_(list(keyed)), v.c.id.is_(None))
                ).all()
                rows = [{"block_id": block_id, "document_id": document_id, "model": model,
                         "embedding": keyed[key].embedding} for key, block_id in ids]
                if rows:
                    conn.execute(v.insert(), rows)

    def document_vectors(self, document_id: str) -> dict[str, list[BlockVector]]:
        """The document's saved vectors by model, keyed by block key: to copy them to another store."""
        b, v = schema.blocks, schema.block_vectors
        query = (
            sa.select(v.c.model, b.c.block_key, v.c.embedding)
            .join(b, b.c.id == v.c.block_id)
            .where(v.c.document_id == document_id)
        )
        vectors: dict[str, list[BlockVector]] = defaultdict(list)
        with self.read() as conn:
            for model, key, embedding in conn.execute(query):
                vectors[model].append(BlockVector(document_id, key, embedding))
        return dict(vectors)

    def dense_progress(self, model: str, document_ids: Sequence[str]) -> list[DenseProgress]:
        """Per document, how many of its blocks have their row for ``model``."""
        b, v = schema.blocks, schema.block_vectors
        query = (
            sa.select(b.c.document_id, sa.func.count(b.c.id), sa.func.count(v.c.id))
            .outerjoin(v, sa.and_(v.c.block_id == b.c.id, v.c.model == model))
            .where(b.c.document_id.in_(list(document_ids)))
            .group_by(b.c.document_id)
        )
        with self.read() as conn:
            counts = {str(d): (int(total), int(done)) for d, total, done in conn.execute(query)}
        return [DenseProgress(d, counts.get(d, (0, 0))[1], counts.get(d, (0, 0))[0]) for d in document_ids]

    def nearest_blocks(
        self, model: str, query: np.ndarray, document_ids: Sequence[str] | None = None, limit: int = 50
    ) -> list[tuple[int, float]]:
        """This store's ids of the ``limit`` blocks closest to ``query`` with their cosine
        similarity, closest first."""
        if self.kind == "postgresql":
            return self._nearest_postgres(model, query, document_ids, limit)
        indexes: dict[str, MemoryIndex] = self.__dict__.setdefault("_memory_indexes", {})
        index = indexes.get(model) or indexes.setdefault(model, MemoryIndex(model))
        with self.read() as conn:
            return index.nearest(conn, query, document_ids, limit)

    def _nearest_postgres(
        self, model: str, query: np.ndarray, document_ids: Sequence[str] | None, limit: int
    ) -> list[tuple[int, float]]:
        v = schema.block_vectors
        vector = sa.bindparam("query", np.asarray(query, dtype=np.float32), type_=schema.Embedding())
        distance = v.c.embedding.op("<=>", return_type=sa.Float)(vector)  # pgvector's cosine distance
        select = (
            sa.select(v.c.block_id, distance.label("distance"))
            .where(v.c.model == model, v.c.embedding.is_not(None))
            .order_by(distance)
            .limit(limit)
        )
        if document_ids is not None:
            select = select.where(v.c.document_id.in_(list(document_ids)))
        with self.write() as conn:  # a transaction, for SET LOCAL
            conn.execute(sa.text(f"SET LOCAL hnsw.ef_search = {max(EF_SEARCH, limit)}"))
            if document_ids is not None:
                conn.execute(sa.text("SET LOCAL hnsw.iterative_scan = relaxed_order"))
            rows = conn.execute(select).all()
        return sorted(((int(i), 1.0 - float(d)) for i, d in rows), key=lambda r: -r[1])


class MemoryIndex:
    """One model's vectors of a SQLite store, as sign bits in memory (see the module's docstring)."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self.loaded_id = 0  # the highest block_vectors.id read
        self.block_ids = np.zeros(0, dtype=np.int64)
        self.documents = np.zeros(0, dtype=np.int32)  # index into self.document_names
        self.document_codes: dict[str, int] = {}  # document id -> its number here
        self.stored_codes: dict[str, int] = {}  # the same, by the id as SQLite stores it
        self.bits = np.zeros((schema.DENSE_DIM // 64, 0), dtype=np.uint64)
        self.centre: np.ndarray | None = None  # what sign bits are taken around
        self.centred_on = 0  # how many vectors the centre was the mean of
        self.stale = False

    def nearest(
        self, conn: Connection, query: np.ndarray, document_ids: Sequence[str] | None, limit: int
    ) -> list[tuple[int, float]]:
        with self._lock:
            grown = self.centred_on < CENTRE_SAMPLE and self.block_ids.size > 2 * self.centred_on
            if self.stale or grown:
                self._clear()
            self._read_new(conn)
            candidates = self._candidates(query, document_ids, max(RESCORE, 8 * limit))
        if candidates.size == 0:
            return []
        v = schema.block_vectors
        rows: list[Any] = []
        for start in range(0, candidates.size, 500):
            chunk = [int(i) for i in candidates[start : start + 500]]
            rows += conn.execute(
                sa.select(v.c.block_id, v.c.embedding).where(v.c.model == self.model, v.c.block_id.in_(chunk))
            ).all()
        if len(rows) < candidates.size:
            self.stale = True  # some blocks were deleted: read the index afresh next time
        if not rows:
            return []
        matrix = np.vstack([r.embedding for r in rows])
        scores = matrix @ np.asarray(query, dtype=np.float32)
        order = np.argsort(-scores)[:limit]
        return [(int(rows[i].block_id), float(scores[i])) for i in order]

    def _read_new(self, conn: Connection) -> None:
        v = schema.block_vectors
        newest = conn.execute(sa.select(sa.func.max(v.c.id)).where(v.c.model == self.model)).scalar()
        # The stored bytes as they are, decoded a chunk at a time: a row-by-row decode costs seconds
        # at 1M rows, and one chunk of all of them would hold a gigabyte of floats.
        raw = sa.type_coerce(v.c.embedding, sa.LargeBinary).label("raw")
        document = sa.type_coerce(v.c.document_id, sa.String).label("document")  # as stored: 32 hex digits
        while newest is not None and self.loaded_id < newest:
            rows = conn.execute(
                sa.select(v.c.id, v.c.block_id, document, raw)
                .where(v.c.model == self.model, v.c.id > self.loaded_id, v.c.id <= newest,
                       v.c.embedding.is_not(None))
                .order_by(v.c.id).limit(READ_CHUNK)
            ).all()
            if not rows:
                self.loaded_id = int(newest)  # the rest have no vector
                break
            self.loaded_id = int(rows[-1].id)
            self._add(rows)

    def _add(self, rows: Sequence[Any]) -> None:
        codes = [self._document_code(r.document) for r in rows]
        packed = np.frombuffer(b"".join(r.raw for r in rows), dtype=np.int8)
        vectors = packed.reshape(len(rows), schema.DENSE_DIM).astype(np.float32) / 127.0
        if self.centre is None:
            self.centre, self.centred_on = vectors.mean(axis=0), len(rows)
        self.block_ids = np.concatenate([self.block_ids, np.fromiter((r.block_id for r in rows), np.int64, len(rows))])
        self.documents = np.concatenate([self.documents, np.asarray(codes, dtype=np.int32)])
        self.bits = np.concatenate([self.bits, sign_bits(vectors, self.centre)], axis=1)

    def _document_code(self, stored: str) -> int:
        code = self.stored_codes.get(stored)
        if code is None:
            code = self.document_codes.setdefault(str(uuid.UUID(stored)), len(self.document_codes))
            self.stored_codes[stored] = code
        return code

    def _candidates(self, query: np.ndarray, document_ids: Sequence[str] | None, count: int) -> np.ndarray:
        """Block ids of the ``count`` vectors whose sign bits are closest to the query's.

        The bits are kept a 64-bit word per row of ``bits`` (all vectors' first word, then their
        second...), so the distance is six passes over contiguous memory, not a reduction per vector."""
        bits, block_ids = self.bits, self.block_ids
        if document_ids is not None:
            codes = [self.document_codes[d] for d in document_ids if d in self.document_codes]
            inside = np.isin(self.documents, codes)
            bits, block_ids = bits[:, inside], block_ids[inside]
        if block_ids.size == 0:
            return block_ids
        assert self.centre is not None  # set with the first vectors read
        words = sign_bits(query[None, :], self.centre)[:, 0]
        distances = np.zeros(block_ids.size, dtype=np.uint16)
        for word, column in zip(words, bits):
            distances += np.bitwise_count(column ^ word)
        if block_ids.size > count:
            block_ids = block_ids[np.argpartition(distances, count)[:count]]
        return block_ids


def sign_bits(vectors: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """The rows' signs around ``centre`` packed into 64-bit words: one row per word, one column per
    vector."""
    packed = np.packbits(np.asarray(vectors, dtype=np.float32) > centre, axis=1)
    return np.ascontiguousarray(packed.view(np.uint64).T)
