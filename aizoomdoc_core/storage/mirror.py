"""A local copy of the cloud's documents, so that search and the page viewer keep working while the
database is away.

A document here is its rows (document, pages, blocks); its file is kept in ``mirror/files`` by the
blob fallback once this data directory has uploaded or read it (``fallback_blobs``). The mirror
gets every document ingested through this data directory at once, and every sync refreshes it from
the cloud: documents the cloud has and the mirror lacks are copied (their blocks get the mirror's own
integer ids; hits and citations name blocks by their key, which is the same everywhere), documents
the cloud no longer has are dropped, except those still waiting in the outbox to be pushed.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

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

    def refresh(self, cloud: Database, keep: Collection[str]) -> int:
        """Bring the mirror level with the cloud's documents; returns how many were copied."""
        theirs, mine = cloud.document_ids(), self.db.document_ids()
        for document_id in sorted(theirs - mine):
            try:
                self.add(*cloud.document_rows(document_id))
            except NotFound:
                continue  # deleted in the cloud meanwhile
        for document_id in mine - theirs - set(keep):
            self.remove(document_id)
        if theirs - mine:
            log.info("mirror: %d documents copied from the cloud", len(theirs - mine))
        return len(theirs - mine)
