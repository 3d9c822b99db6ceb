"""Blob keys, and the local blob store: image and document bytes in a folder. (The S3 store is in
``s3``; what every blob store provides is declared in ``interfaces.BlobStore``.)

Keys are built only by ``chat_image_key`` and ``document_key``, whose parts pass through
``safe_key_part``: no name a user or a PDF chose can escape its prefix. Both stores refuse keys with
empty, ``.`` or ``..`` segments, and the local store checks again that every resolved path stays under
its root.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import InvalidInput, NotFound
from ..sanitize import parse_id, safe_key_part


def chat_image_key(chat_id: str, name: str) -> str:
    return f"chats/{parse_id(chat_id, 'chat id')}/images/{safe_key_part(name)}"


def document_key(document_id: str, name: str) -> str:
    return f"documents/{parse_id(document_id, 'document id')}/{safe_key_part(name)}"


def chat_prefix(chat_id: str) -> str:
    return f"chats/{parse_id(chat_id, 'chat id')}/"


def document_prefix(document_id: str) -> str:
    return f"documents/{parse_id(document_id, 'document id')}/"


def check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts[:-1]) or parts[-1] in (".", ".."):
        raise InvalidInput(f"unsafe storage key: {key!r}")
    return key


class LocalBlobStore:
    """Blobs as files under ``root``, written atomically (temporary file, then rename)."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def location(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise InvalidInput(f"unsafe storage key: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"blob not found: {key}") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
            and p.relative_to(self.root).as_posix().startswith(prefix)
        )

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        folder = self._path(prefix.rstrip("/"))
        if not folder.exists():
            return 0
        count = 0
        for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()
                count += 1
        folder.rmdir()
        return count

    def url(self, key: str) -> str:
        """The file's path: the UI reads local blobs straight from disk."""
        return str(self._path(key))

    def ping(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"blob folder is not writable: {self.root}")
