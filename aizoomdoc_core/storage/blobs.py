"""The blob store: image and document bytes, in a local folder or in an S3 bucket.

Keys are built only by ``chat_image_key`` and ``document_key``, whose parts pass through
``safe_key_part``: no name a user or a PDF chose can escape its prefix. The local store checks again
that every resolved path stays under its root.

The S3 store works with any S3-compatible endpoint (AWS, cloud.ru, Supabase Storage, MinIO): one
boto3 client per store (so per process, as the app keeps one store), path-style addressing when a
custom endpoint is given, short timeouts so that an unreachable endpoint is noticed quickly.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from ..errors import InvalidInput, NotFound
from ..sanitize import parse_id, safe_key_part

log = logging.getLogger("aizoomdoc.blobs")


def chat_image_key(chat_id: str, name: str) -> str:
    return f"chats/{parse_id(chat_id, 'chat id')}/images/{safe_key_part(name)}"


def document_key(document_id: str, name: str) -> str:
    return f"documents/{parse_id(document_id, 'document id')}/{safe_key_part(name)}"


def chat_prefix(chat_id: str) -> str:
    return f"chats/{parse_id(chat_id, 'chat id')}/"


def document_prefix(document_id: str) -> str:
    return f"documents/{parse_id(document_id, 'document id')}/"


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts[:-1]) or parts[-1] in (".", ".."):
        raise InvalidInput(f"unsafe storage key: {key!r}")
    return key


class BlobStore(Protocol):
    kind: str

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> int: ...

    def url(self, key: str) -> str: ...

    def ping(self) -> None: ...

    def keys(self, prefix: str = "") -> list[str]: ...


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
        path = (self.root / _check_key(key)).resolve()
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


class S3BlobStore:
    """Blobs as objects in an S3 bucket, reached through one boto3 client."""

    kind = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        addressing_style: str | None = None,
        timeout: float = 5.0,
        presign_expiry: int = 3600,
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.presign_expiry = presign_expiry
        style = addressing_style or ("path" if endpoint_url else "auto")
        self.client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region or "us-east-1",
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=BotoConfig(
                signature_version="s3v4",
                s3={"addressing_style": style},
                connect_timeout=timeout,
                read_timeout=max(timeout, 30.0),
                retries={"max_attempts": 3, "mode": "standard"},
                max_pool_connections=20,
            ),
        )

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}" + (f" at {self.endpoint_url}" if self.endpoint_url else "")

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=_check_key(key), Body=data, ContentType=content_type)
        log.info("file uploaded: s3://%s/%s (%d bytes)", self.bucket, key, len(data))

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=_check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFound(f"blob not found: {key}") from None
            raise
        return response["Body"].read()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=_check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def keys(self, prefix: str = "") -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        return sorted(
            item["Key"]
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        )

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_check_key(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = self.keys(_check_key(prefix))
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
            batch = keys[start : start + 1000]
            self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
            )
        return len(keys)

    def url(self, key: str) -> str:
        """A presigned GET URL that expires after ``presign_expiry`` seconds."""
        url = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": _check_key(key)}, ExpiresIn=self.presign_expiry
        )
        log.info("presigned URL issued: s3://%s/%s (expires in %ds)", self.bucket, key, self.presign_expiry)
        return url

    def ping(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchBucket", "NotFound"):
                raise FileNotFoundError(f"bucket {self.bucket!r} does not exist") from None
            if code in ("403", "AccessDenied", "Forbidden"):
                raise PermissionError(f"access to bucket {self.bucket!r} denied") from None
            raise
