"""The PDF stored in place of a file that the renderer could not draw later.

The renderer draws every evidence image from the stored file, in a child with a time and a memory
limit, long after ingest. An encrypted PDF opens only with its password, and the password is never
kept (not in the database, the blobs, the logs). So the reader, once authenticated, stores a
decrypted copy. This runs in the isolated reader (``ingest.worker``), like all MuPDF work on
untrusted files.
"""

from __future__ import annotations

import pymupdf

from .extracted import StoredCopy


def decrypted_copy(doc: pymupdf.Document) -> StoredCopy:
    """``doc`` (authenticated) saved without encryption, unused objects dropped."""
    data = doc.tobytes(garbage=3, encryption=pymupdf.PDF_ENCRYPT_NONE)
    return StoredCopy(pdf=data, reason="a decrypted copy of the encrypted PDF given (its password is not kept)")
