"""The database store: one class over SQLite (the embedded default) and PostgreSQL.

Both backends run the same SQLAlchemy Core statements built from ``schema``. What differs is set up
here, once per engine:

- SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
  ``BEGIN IMMEDIATE``: several Streamlit sessions then queue for the write lock instead of failing
  with "database is locked" when a read transaction tries to upgrade itself to a write.
- PostgreSQL URLs as Supabase hands them out (``postgres://``, ``postgresql://``, direct or pooler)
  are driven by psycopg 3 with a connect timeout and without server-side prepared statements, which
  the transaction pooler (port 6543) does not support.

The schema is created and upgraded by the Alembic migrations in ``migrations/`` (``migrate``), which
run automatically the first time a store is opened.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..config import parse_url
from ..errors import InvalidInput, NotFound
from ..models import (
    BlockRecord, Chat, ChatImage, ChatSummary, ChatView, DocumentInfo, Message, PageInfo, SearchResult, StoredBlock,
)
from . import history, schema
from .writes import ChatWrites, Write, apply_write
from .vectors import DenseVectors

log = logging.getLogger("aizoomdoc.db")

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_MIGRATION_LOCK_ID = 0x61697A6F  # any constant; PostgreSQL advisory lock taken while migrating
_WRITE_OPTION = "aizoomdoc_write"
SEARCH_WORK_MEM = "32MB"  # PostgreSQL's memory for the candidates' aggregation (see best_blocks)


def postgres_url(url: str) -> sa.URL:
    """A SQLAlchemy URL for psycopg 3 from a connection string as Supabase or Heroku write it."""
    parsed = parse_url(url)
    if parsed is None:
        raise InvalidInput("DATABASE_URL is not a valid connection URL")
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        return parsed.set(drivername="postgresql+psycopg")
    raise InvalidInput(
        f"DATABASE_URL must be a PostgreSQL URL (postgresql://...), not {parsed.drivername!r}"
    )


def _sqlite_engine(path: Path, foreign_keys: bool) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        sa.URL.create("sqlite", database=str(path)),
        # isolation_level=None hands transaction control to the events below (SQLAlchemy's recipe
        # for pysqlite); check_same_thread is off because the pool hands connections across threads.
        connect_args={"timeout": 60, "isolation_level": None, "check_same_thread": False},
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()
        # SQLite's lower() knows only ASCII; Python's knows Cyrillic, as PostgreSQL's does.
        dbapi_connection.create_function("lower", 1, lambda s: s.lower() if isinstance(s, str) else s, deterministic=True)

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _postgres_engine(url: str, connect_timeout: float) -> Engine:
    return sa.create_engine(
        postgres_url(url),
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        connect_args={
            "connect_timeout": max(1, int(round(connect_timeout))),
            "prepare_threshold": None,
            "application_name": "aizoomdoc",
        },
    )


class Database(ChatWrites, DenseVectors):
    """Rows of chats, messages, images, search results and documents, on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.kind = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
        self._statistics: dict[tuple[Any, ...], tuple[int, float]] = {}

    @classmethod
    def sqlite(cls, path: Path, *, foreign_keys: bool = True) -> Database:
        """``foreign_keys=False`` is for the spool (``outbox``), which holds the rows of chats
        whose other rows are in the cloud."""
        return cls(_sqlite_engine(path, foreign_keys))

    @classmethod
    def postgresql(cls, url: str, connect_timeout: float = 5.0) -> Database:
        return cls(_postgres_engine(url, connect_timeout))

    @property
    def location(self) -> str:
        """Where the data lives, with any password masked."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """Raise if the database does not answer a trivial query."""
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that will write: committed on success, rolled back on any exception."""
        with self.engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def rolled_back(self) -> Iterator[Connection]:
        """A write transaction that is always rolled back: rows written in it are seen by its own
        queries only (the fallback store runs History's SQL over merged rows this way)."""
        with self.engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            transaction = conn.begin()
            try:
                yield conn
            finally:
                transaction.rollback()

    # -- migrations ---------------------------------------------------------------------------

    @contextmanager
    def migration_connection(self) -> Iterator[Connection]:
        """A write transaction that holds the migration lock, so concurrent starts migrate once."""
        with self.write() as conn:
            if self.kind == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
            yield conn

    def alembic_config(self, connection: Connection) -> Any:
        from alembic.config import Config

        config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        return config

    def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema to ``revision`` (default: the newest)."""
        from alembic import command

        with self.migration_connection() as conn:
            command.upgrade(self.alembic_config(conn), revision)

    def downgrade(self, revision: str) -> None:
        from alembic import command

        with self.migration_connection() as conn:
            command.downgrade(self.alembic_config(conn), revision)

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at, or None when it was never migrated."""
        with self.read() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()

    # -- chats --------------------------------------------------------------------------------

    def apply(self, write: Write) -> int:
        """Carry out one change to chat data in its own transaction; returns the rows it touched."""
        with self.write() as conn:
            return apply_write(conn, write)

    def get_chat(self, chat_id: str) -> Chat:
        with self.read() as conn:
            row = conn.execute(sa.select(schema.chats).where(schema.chats.c.id == chat_id)).first()
        if row is None:
            raise NotFound(f"chat not found: {chat_id}")
        return Chat(**row._mapping)

    def list_chats(
        self, *, user_id: str | None = None, limit: int = 50, offset: int = 0, text: str | None = None
    ) -> list[ChatSummary]:
        """Chats newest first (by last activity), with their message count and first question.

        ``text`` keeps the chats whose title or any message contains it (case-insensitive).
        """
        with self.read() as conn:
            return history.summaries(conn, user_id=user_id, text=text, limit=limit, offset=offset)

    def chat_documents(self, chat_ids: Sequence[str]) -> dict[str, list[str]]:
        """The names of the documents each chat's search results came from, for History's list: the
        one most of them came from first, which is the document the chat was about."""
        r = schema.search_results
        hits = sa.func.count()
        query = (sa.select(r.c.chat_id, r.c.document_name).where(r.c.chat_id.in_(list(chat_ids)))
                 .group_by(r.c.chat_id, r.c.document_name).order_by(r.c.chat_id, hits.desc(), r.c.document_name))
        names: dict[str, list[str]] = {chat_id: [] for chat_id in chat_ids}
        with self.read() as conn:
            for chat_id, name in conn.execute(query):
                names[str(chat_id)].append(name)
        return names

    def count_chats(self, *, user_id: str | None = None, text: str | None = None) -> int:
        with self.read() as conn:
            return history.count(conn, user_id=user_id, text=text)

    def delete_chat(self, chat_id: str) -> None:
        """Delete the chat and all its rows (its blobs live under one prefix: the caller removes them)."""
        if self.apply(Write.delete_chat(chat_id)) == 0:
            raise NotFound(f"chat not found: {chat_id}")

    # -- chat contents ------------------------------------------------------------------------

    def chat_view(self, chat_id: str) -> ChatView:
        chat = self.get_chat(chat_id)
        return ChatView(chat, *self.chat_rows(chat_id))

    def chat_rows(self, chat_id: str) -> tuple[list[Message], list[ChatImage], list[SearchResult]]:
        """A chat's messages, images and search results, in the order they were made."""
        m, i, r = schema.chat_messages, schema.chat_images, schema.search_results
        with self.read() as conn:
            messages = [Message(**row._mapping) for row in conn.execute(
                sa.select(m).where(m.c.chat_id == chat_id).order_by(m.c.created_at, m.c.id))]
            images = [ChatImage(**row._mapping) for row in conn.execute(
                sa.select(i).where(i.c.chat_id == chat_id).order_by(i.c.created_at, i.c.id))]
            results = [SearchResult(**row._mapping) for row in conn.execute(
                sa.select(r).where(r.c.chat_id == chat_id).order_by(r.c.created_at, r.c.rank))]
        return messages, images, results

    def chats_kept(self, chat_ids: Collection[str], *, user_id: str | None = None, text: str | None = None) -> set[str]:
        """Which of these chats exist here and pass History's filter."""
        if not chat_ids:
            return set()
        with self.read() as conn:
            return history.kept_ids(conn, chat_ids, user_id=user_id, text=text)

    # -- documents ----------------------------------------------------------------------------

    def insert_document(self, document: DocumentInfo, pages: Sequence[PageInfo], blocks: Sequence[StoredBlock]) -> None:
        """A document with all its pages and blocks, in one transaction: all of it or nothing."""
        with self.write() as conn:
            conn.execute(schema.documents.insert().values(**vars(document)))
            if pages:
                conn.execute(schema.pages.insert(), [vars(p) for p in pages])
            for start in range(0, len(blocks), 1000):
                conn.execute(schema.blocks.insert(), [vars(b) for b in blocks[start : start + 1000]])

    def document_by_sha256(self, sha256: str) -> DocumentInfo | None:
        with self.read() as conn:
            row = conn.execute(_document_query().where(schema.documents.c.sha256 == sha256)).first()
        return DocumentInfo(**row._mapping) if row else None

    def get_document(self, document_id: str) -> DocumentInfo:
        with self.read() as conn:
            row = conn.execute(_document_query().where(schema.documents.c.id == document_id)).first()
        if row is None:
            raise NotFound(f"document not found: {document_id}")
        return DocumentInfo(**row._mapping)

    def list_documents(self, *, limit: int = 1000, offset: int = 0) -> list[DocumentInfo]:
        query = _document_query().order_by(schema.documents.c.created_at.desc(), schema.documents.c.id)
        with self.read() as conn:
            return [DocumentInfo(**row._mapping) for row in conn.execute(query.limit(limit).offset(offset))]

    def document_pages(self, document_id: str) -> list[PageInfo]:
        with self.read() as conn:
            rows = conn.execute(
                sa.select(schema.pages).where(schema.pages.c.document_id == document_id).order_by(schema.pages.c.number)
            )
            return [PageInfo(**row._mapping) for row in rows]

    def sheet_codes(self, document_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each document's distinct sheet codes, in page order, for the Documents list."""
        p = schema.pages
        query = (
            sa.select(p.c.document_id, p.c.sheet_code)
            .where(p.c.document_id.in_(list(document_ids)), p.c.sheet_code.is_not(None))
            .order_by(p.c.document_id, p.c.number)
        )
        codes: dict[str, list[str]] = {document_id: [] for document_id in document_ids}
        with self.read() as conn:
            for document_id, code in conn.execute(query):
                if code not in codes[str(document_id)]:
                    codes[str(document_id)].append(code)
        return codes

    def page_info(self, document_id: str, number: int) -> PageInfo | None:
        p = schema.pages
        with self.read() as conn:
            row = conn.execute(sa.select(p).where(p.c.document_id == document_id, p.c.number == number)).first()
        return PageInfo(**row._mapping) if row else None

    def page_blocks(self, document_id: str, page: int) -> list[BlockRecord]:
        """The blocks of one page, as ``blocks_for_ranking`` gives them."""
        b = schema.blocks
        with self.read() as conn:
            query = _blocks_query().where(b.c.document_id == document_id, b.c.page == page)
            return [BlockRecord(**r._mapping) for r in conn.execute(query)]

    def document_ids(self) -> set[str]:
        with self.read() as conn:
            return {str(v) for v in conn.execute(sa.select(schema.documents.c.id)).scalars()}

    def document_rows(self, document_id: str) -> tuple[DocumentInfo, list[PageInfo], list[StoredBlock]]:
        """The document, its pages and its blocks (in the order they were stored), as
        ``insert_document`` takes them: to copy a document to another store."""
        p, b = schema.pages, schema.blocks
        stored = [b.c[f.name] for f in dataclasses.fields(StoredBlock)]
        with self.read() as conn:
            document = conn.execute(_document_query().where(schema.documents.c.id == document_id)).first()
            if document is None:
                raise NotFound(f"document not found: {document_id}")
            pages = [PageInfo(**r._mapping) for r in conn.execute(sa.select(p).where(p.c.document_id == document_id))]
            blocks = [StoredBlock(**r._mapping) for r in conn.execute(
                sa.select(*stored).where(b.c.document_id == document_id).order_by(b.c.id))]
        return DocumentInfo(**document._mapping), pages, blocks

    def delete_document(self, document_id: str) -> None:
        with self.write() as conn:
            for table in (schema.block_vectors, schema.blocks, schema.pages):
                conn.execute(table.delete().where(table.c.document_id == document_id))
            result = conn.execute(schema.documents.delete().where(schema.documents.c.id == document_id))
        if result.rowcount == 0:
            raise NotFound(f"document not found: {document_id}")

    # -- search -------------------------------------------------------------------------------

    def _blocks_with(self, term: str, document_ids: Sequence[str] | None) -> sa.Select[Any]:
        """``SELECT id`` of the blocks holding ``term``, from the backend's full-text index alone:
        FTS5 on SQLite, the ``block_terms`` postings on PostgreSQL (migration 005; index-only)."""
        b = schema.blocks
        if self.kind == "sqlite":
            # A double-quoted FTS5 string is one token; terms never contain quotes (see terms.py).
            fts = sa.table("blocks_fts", sa.column("rowid", sa.Integer), sa.column("blocks_fts"))
            query = sa.select(fts.c.rowid.label("id")).where(fts.c.blocks_fts.op("MATCH")(f'"{term}"'))
            ids = fts.c.rowid
        else:
            query = sa.select(_postings.c.block_id.label("id")).where(_postings.c.term == term)
            ids = _postings.c.block_id
        if document_ids is not None:
            query = query.where(ids.in_(sa.select(b.c.id).where(b.c.document_id.in_(list(document_ids)))))
        return query

    def term_frequencies(self, terms: Sequence[str], document_ids: Sequence[str] | None = None) -> dict[str, int]:
        """How many blocks hold each term (its document frequency), in one round trip."""
        if not terms:
            return {}
        counts = [
            sa.select(sa.literal(i).label("i"), sa.func.count().label("n")).select_from(
                self._blocks_with(term, document_ids).subquery()
            )
            for i, term in enumerate(terms)
        ]
        with self.read() as conn:
            rows = conn.execute(sa.union_all(*counts)).all()
        return {terms[i]: int(n) for i, n in rows}

    def best_blocks(
        self, weighted: Sequence[tuple[str, float]], document_ids: Sequence[str] | None = None, limit: int = 300
    ) -> list[int]:
        """Ids of the ``limit`` blocks with the highest sum of the weights of the terms they hold.

        ``weighted`` holds (term, weight) pairs (``search.term_weights``). Runs inside the database,
        so its cost follows the index, not the app's memory, and both backends choose the same
        blocks (ties broken by id). It is one aggregation over every block of every term; on
        PostgreSQL it gets the memory to stay one hash table (at 1.2M blocks a common word's 100k
        blocks spilled it to disk in batches at the default ``work_mem`` of 4 MB).
        """
        if not weighted:
            return []
        hits = sa.union_all(
            *(
                sa.select(sa.literal_column("id"), sa.literal(weight).label("w"))
                .select_from(self._blocks_with(term, document_ids).subquery())
                for term, weight in weighted
            )
        ).subquery()
        score = sa.func.sum(hits.c.w)
        query = sa.select(hits.c.id).group_by(hits.c.id).order_by(score.desc(), hits.c.id).limit(limit)
        with self.read() as conn:
            if self.kind == "postgresql":  # for this transaction only (safe behind a pooler)
                conn.execute(sa.text(f"SET LOCAL work_mem = '{SEARCH_WORK_MEM}'"))
            return list(conn.execute(query).scalars())

    def block_statistics(self, document_ids: Sequence[str] | None = None) -> tuple[int, float]:
        """How many blocks there are (in scope) and their mean number of terms, for BM25.

        Counting scans every block, so the answer is kept until a document is added or removed
        (seen from the number of documents and the highest block id, both index lookups).
        """
        b = schema.blocks
        with self.read() as conn:
            version = conn.execute(
                sa.select(sa.select(sa.func.count()).select_from(schema.documents).scalar_subquery(), sa.func.max(b.c.id))
            ).one()
            key = (tuple(version), tuple(sorted(document_ids)) if document_ids is not None else None)
            cached = self._statistics.get(key)
            if cached is not None:
                return cached
            query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.avg(b.c.term_count), 0))
            if document_ids is not None:
                query = query.where(b.c.document_id.in_(list(document_ids)))
            count, mean = conn.execute(query).one()
        if len(self._statistics) > 256:
            self._statistics.clear()
        self._statistics[key] = (int(count), float(mean))
        return self._statistics[key]

    def blocks_for_ranking(self, block_ids: Sequence[int]) -> list[BlockRecord]:
        """The blocks with their page's sheet fields and their document's name."""
        b = schema.blocks
        query = _blocks_query()
        blocks: list[BlockRecord] = []
        with self.read() as conn:
            for start in range(0, len(block_ids), 500):
                chunk = list(block_ids[start : start + 500])
                blocks.extend(BlockRecord(**r._mapping) for r in conn.execute(query.where(b.c.id.in_(chunk))))
        return blocks


# PostgreSQL's postings (migration 005), outside ``schema`` because SQLite has FTS5 instead.
_postings = sa.table("block_terms", sa.column("term", sa.Text), sa.column("block_id", sa.BigInteger))


def _blocks_query() -> sa.Select[Any]:
    """Blocks with their document's name and their page's sheet code and title.

    Those are looked up by key for each block (correlated subqueries) rather than joined: a join
    lets PostgreSQL's planner hash every page and document of the library (at 1.2M blocks, 26k pages
    read to label 300 blocks, most of the time ``blocks_for_ranking`` took), while a subquery is
    always a primary-key probe per block, on both backends."""
    b, p, d = schema.blocks, schema.pages, schema.documents
    page = sa.and_(p.c.document_id == b.c.document_id, p.c.number == b.c.page)
    return sa.select(
        b.c.id, b.c.document_id,
        sa.select(d.c.name).where(d.c.id == b.c.document_id).scalar_subquery().label("document_name"),
        b.c.page, b.c.block_key, b.c.kind, b.c.text, b.c.bbox, b.c.terms, b.c.term_count,
        sa.select(p.c.sheet_code).where(page).scalar_subquery().label("sheet_code"),
        sa.select(p.c.sheet_title).where(page).scalar_subquery().label("sheet_title"),
    )


def _document_query() -> sa.Select[Any]:
    d = schema.documents
    return sa.select(
        d.c.id, d.c.name, d.c.sha256, d.c.mime, d.c.size_bytes, d.c.page_count, d.c.blob_key,
        d.c.status, d.c.error, d.c.metadata, d.c.created_at,
    )
