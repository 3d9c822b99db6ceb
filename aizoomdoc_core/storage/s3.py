"""Blobs in an S3 bucket: AWS, cloud.ru, Supabase Storage's S3 endpoint, MinIO, or any S3.

One boto3 client per store (the app keeps one store per process), path-style addressing when a
custom endpoint is given (what MinIO and most S3-compatible services expect), and short connect
timeouts so that an unreachable endpoint is noticed at start, not in the middle of a question.
Imported only when S3 is configured, so the local default does not pay for loading boto3.
"""

from __future__ import annotations

import logging
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from ..errors import NotFound
from .blobs import check_key

log = logging.getLogger("aizoomdoc.s3")


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
        self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type)
        log.info("file uploaded: s3://%s/%s (%d bytes)", self.bucket, key, len(data))

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFound(f"blob not found: {key}") from None
            raise
        return response["Body"].read()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
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
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = self.keys(check_key(prefix))
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
            batch = keys[start : start + 1000]
            self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
            )
        return len(keys)

    def url(self, key: str) -> str:
        """A presigned GET URL that expires after ``presign_expiry`` seconds."""
        url = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": check_key(key)}, ExpiresIn=self.presign_expiry
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
