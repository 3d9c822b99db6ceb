"""A local copy of the cloud's documents, so that search and the page viewer keep working while the
database is away.

A document here is its rows (document, pages, blocks); its file is kept in ``mirror/files`` by the
blob fallback once this data directory has uploaded or read it (``fallback_blobs``). The mirror
gets every document ingested through this data directory at once, and is brought level with the
cloud after every sync: documents the cloud has and the mirror lacks are copied (their blocks get
the mirror's own integer ids; hits and citations name blocks by their key, which is the same
everywhere), documents the cloud no longer has are dropped, except those still waiting in the
outbox to be pushed.

Bringing it level takes minutes against a big cloud (1.2M blocks), so it never runs on the way to
a start or a question: ``MirrorRefresh`` does it from a daemon thread, one document per transaction,
so that what was copied stays copied when the process stops or the cloud goes away half-way, and
the next refresh goes on from there. Search reads the cloud meanwhile (``fallback_db``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Sequence

from sqlalchemy.exc import IntegrityError

from ..errors import NotFound
from ..models import DocumentInfo, PageInfo, StoredBlock
from .db import Database

log = logging.getLogger("aizoomdoc.mirror")


class DocumentMirror:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, document: DocumentInfo, pages: Sequence[PageInfo], blocks: Sequence[StoredBlock]) -> None:
        """Copy one document in; a document already here is kept."""
        try:
            self.db.insert_document(document, pages, blocks)
        except IntegrityError:
            pass  # the same document (or file) is here already

    def remove(self, document_id: str) -> None:
        try:
            self.db.delete_document(document_id)
        except NotFound:
            pass

    def refresh(self, cloud: Database, keep: Callable[[], Collection[str]], stop: threading.Event | None = None) -> int:
        """Bring the mirror level with the cloud's documents, one document at a time until ``stop``
        is set; returns how many were copied.

        ``keep`` gives the documents waiting to be pushed. It is asked after the mirror's documents
        are listed and before the cloud's: a document ingested meanwhile has its outbox item before
        its rows (``FallbackDatabase.insert_document``), and one pushed meanwhile is in the cloud's
        list, so neither is dropped.
        """
        mine = self.db.document_ids()
        kept = set(keep())
        theirs = cloud.document_ids()
        copied = 0
        for document_id in sorted(theirs - mine):
            if stop is not None and stop.is_set():
                break
            try:
                self.add(*cloud.document_rows(document_id))
                copied += 1
            except NotFound:
                continue  # deleted in the cloud meanwhile
        for document_id in mine - theirs - kept:
            self.remove(document_id)
        if copied:
            log.info("mirror: %d of %d missing documents copied from the cloud", copied, len(theirs - mine))
        return copied

    def holds(self, cloud: Database) -> tuple[int, int]:
        """How many of the cloud's documents are here, and how many the cloud has."""
        theirs = cloud.document_ids()
        return len(theirs & self.db.document_ids()), len(theirs)


class MirrorRefresh:
    """Runs ``refresh`` from a daemon thread each time it is woken (started at the first wake), and
    in the caller's thread on ``run_now``; never two at once. ``copied`` counts the documents all
    its refreshes copied."""

    def __init__(self, refresh: Callable[[threading.Event], int]) -> None:
        self._refresh = refresh
        self.copied = 0
        self._lock = threading.Lock()  # held while a refresh runs
        self._starting = threading.Lock()  # so that two wakes at once start one thread
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        with self._starting:
            if self._stop.is_set():
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="aizoomdoc-mirror", daemon=True)
                self._thread.start()
        self._wake.set()

    def run_now(self) -> None:
        """Refresh in this thread (after the refresh under way, if any)."""
        with self._lock:
            self.copied += self._refresh(self._stop)

    def stop(self) -> None:
        """Stop after the document being copied (its transaction commits or rolls back whole)."""
        with self._starting:
            self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.run_now()
            except Exception as exc:  # the cloud went away half-way: the next sync wakes it again
                log.warning("mirror: refresh stopped: %s", exc.__class__.__name__)
