"""The blob store behaves the same in a local folder and in S3 (moto server over HTTP)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from aizoomdoc_core.errors import InvalidInput, NotFound
from aizoomdoc_core.storage.blobs import LocalBlobStore, chat_image_key, chat_prefix, document_key
from aizoomdoc_core.storage.interfaces import BlobStore

CHAT = "0b7d3c1e-7a4f-4b8e-9a51-3f6f2b1c9d20"
OTHER = "5d1c9a77-2b0e-4c1b-8f3e-7d6a5b4c3e21"


def test_round_trip_list_and_delete_by_prefix(blobs: BlobStore) -> None:
    first = chat_image_key(CHAT, "zoom 1.png")
    second = chat_image_key(CHAT, "../../escape.png")
    kept = chat_image_key(OTHER, "keep.png")
    for key, data in ((first, b"one"), (second, b"two"), (kept, b"three")):
        blobs.put(key, data, "image/png")
    assert blobs.get(first) == b"one" and blobs.exists(second)
    assert blobs.keys(chat_prefix(CHAT)) == sorted([first, second])
    assert blobs.delete_prefix(chat_prefix(CHAT)) == 2
    assert not blobs.exists(first) and blobs.keys(chat_prefix(CHAT)) == []
    assert blobs.get(kept) == b"three"
    with pytest.raises(NotFound):
        blobs.get(first)


def test_single_delete_and_overwrite(blobs: BlobStore) -> None:
    key = document_key(CHAT, "Лист 1.pdf")
    blobs.put(key, b"v1", "application/pdf")
    blobs.put(key, b"v2", "application/pdf")
    assert blobs.get(key) == b"v2"
    blobs.delete(key)
    assert not blobs.exists(key)


def test_url_serves_the_bytes(blobs: BlobStore) -> None:
    key = chat_image_key(CHAT, "viewport.png")
    blobs.put(key, b"\x89PNG-bytes", "image/png")
    url = blobs.url(key)
    if blobs.kind == "local":
        assert Path(url).read_bytes() == b"\x89PNG-bytes"
    else:
        assert "X-Amz-Expires=3600" in url and "X-Amz-Signature=" in url
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read() == b"\x89PNG-bytes"


def test_unsafe_keys_are_refused(blobs: BlobStore) -> None:
    for key in ("../outside.png", "/abs.png", "chats/../x", ""):
        with pytest.raises(InvalidInput):
            blobs.put(key, b"x", "image/png")


def test_local_store_never_writes_outside_its_root(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "root")
    store.put(chat_image_key(CHAT, "../../../../outside.png"), b"x", "image/png")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all(p.is_relative_to(tmp_path / "root") for p in written)
