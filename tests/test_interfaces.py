"""Both stores satisfy the interfaces they are handed out as, member by member, at run time.

mypy checks this where ``backends`` hands the stores out; this test checks the same at run time and
more strictly (``runtime_checkable`` looks at names only): every member a Protocol declares exists on
each implementation, a method with the very same signature (parameter names, kinds, defaults and
annotations, resolved), a property as a property. The record types passed across the layers hold
exactly the columns they are written to and read from.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Any

import pytest

from aizoomdoc_core.models import BlockRecord, DocumentInfo, PageInfo, StoredBlock
from aizoomdoc_core.storage import db, interfaces, schema
from aizoomdoc_core.storage.blobs import LocalBlobStore
from aizoomdoc_core.storage.breaker import Lane
from aizoomdoc_core.storage.db import Database
from aizoomdoc_core.storage.fallback_blobs import FallbackBlobStore
from aizoomdoc_core.storage.fallback_db import FallbackDatabase
from aizoomdoc_core.storage.mirror import DocumentMirror
from aizoomdoc_core.storage.outbox import Outbox
from aizoomdoc_core.storage.s3 import S3BlobStore

DATABASES = [Database, FallbackDatabase]
BLOB_STORES = [LocalBlobStore, S3BlobStore, FallbackBlobStore]
PROTOCOLS = [
    (interfaces.ChatStore, DATABASES), (interfaces.DocumentStore, DATABASES), (interfaces.SearchIndex, DATABASES),
    (interfaces.DatabaseStore, DATABASES), (interfaces.BlobStore, BLOB_STORES),
]


def _members(protocol: type) -> dict[str, Any]:
    """The members a Protocol declares, its bases' included: methods, properties and attributes."""
    members: dict[str, Any] = {}
    for klass in reversed(protocol.__mro__):
        if klass is object or not getattr(klass, "_is_protocol", False) or klass.__module__ == "typing":
            continue
        members |= {name: value for name, value in vars(klass).items() if not name.startswith("_")}
        members |= {name: "attribute" for name in getattr(klass, "__annotations__", {})}
    return members


def _signature(function: Any) -> inspect.Signature:
    return inspect.signature(function, eval_str=True)


@pytest.mark.parametrize(("protocol", "implementations"), PROTOCOLS, ids=lambda p: getattr(p, "__name__", ""))
def test_every_store_has_every_member_with_the_same_signature(
    protocol: type, implementations: list[type], tmp_path: Path
) -> None:
    members = _members(protocol)
    assert members, protocol
    for implementation in implementations:
        for name, declared in members.items():
            where = f"{implementation.__name__}.{name} of {protocol.__name__}"
            if declared == "attribute":  # set on the class, or by __init__: read from a real instance
                assert hasattr(_instance(implementation, tmp_path / implementation.__name__), name), where
            elif isinstance(declared, property):
                assert isinstance(inspect.getattr_static(implementation, name, None), property), where
            else:
                found = inspect.getattr_static(implementation, name, None)
                assert inspect.isfunction(found), where
                assert _signature(found) == _signature(declared), where


def _instance(implementation: type, root: Path) -> Any:
    """A store that reaches nothing: the fallbacks over local stand-ins for the cloud."""
    if implementation is Database:
        return Database.sqlite(root / "db.sqlite3")
    spool = Database.sqlite(root / "spool.sqlite3", foreign_keys=False)
    lane = Lane("database", "postgresql", "nowhere", str)
    if implementation is FallbackDatabase:
        mirror = DocumentMirror(Database.sqlite(root / "mirror.sqlite3"))
        return FallbackDatabase(Database.sqlite(root / "cloud.sqlite3"), spool, mirror, Outbox(spool), lane)
    if implementation is FallbackBlobStore:
        local = LocalBlobStore(root / "cloud")
        spooled, files = LocalBlobStore(root / "spool"), LocalBlobStore(root / "files")
        return FallbackBlobStore(local, spooled, files, Outbox(spool), lane)
    if implementation is LocalBlobStore:
        return LocalBlobStore(root / "blobs")
    return S3BlobStore(bucket="unused", endpoint_url="http://127.0.0.1:9")  # makes no request


@pytest.mark.parametrize(
    ("record", "columns"),
    [(DocumentInfo, schema.documents.columns.keys()), (PageInfo, schema.pages.columns.keys()),
     (StoredBlock, [c for c in schema.blocks.columns.keys() if c != "id"]),
     (BlockRecord, db._blocks_query().selected_columns.keys())],
    ids=["DocumentInfo", "PageInfo", "StoredBlock", "BlockRecord"],
)
def test_records_hold_the_columns_they_are_read_from(record: type, columns: list[str]) -> None:
    assert [f.name for f in dataclasses.fields(record)] == list(columns)
