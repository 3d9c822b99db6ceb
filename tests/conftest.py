"""Fixtures: every storage test runs on SQLite and on a real PostgreSQL, on a local folder and on S3."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.storage.blobs import LocalBlobStore
from aizoomdoc_core.storage.db import Database
from aizoomdoc_core.storage.interfaces import BlobStore
from aizoomdoc_core.storage.s3 import S3BlobStore
from tests.services import PostgresCluster, S3Server, running

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with running(S3Server()) as server:
        yield server


@pytest.fixture
def pg_url(postgres: PostgresCluster) -> Iterator[str]:
    url = postgres.create_database()
    try:
        yield url
    finally:
        postgres.drop_database(url)


@pytest.fixture
def s3_settings(s3_server: S3Server) -> dict[str, str]:
    """Environment-style settings naming a fresh bucket on the moto server."""
    return {
        "S3_ENDPOINT_URL": s3_server.endpoint_url,
        "S3_BUCKET": s3_server.create_bucket(),
        "S3_ACCESS_KEY_ID": s3_server.access_key,
        "S3_SECRET_ACCESS_KEY": s3_server.secret_key,
        "S3_REGION": "us-east-1",
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database.sqlite(tmp_path / "test.sqlite3")
    else:
        database = Database.postgresql(request.getfixturevalue("pg_url"))
    database.migrate()
    try:
        yield database
    finally:
        database.close()


@pytest.fixture(params=["local", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    s3 = request.getfixturevalue("s3_settings")
    return S3BlobStore(
        bucket=s3["S3_BUCKET"], endpoint_url=s3["S3_ENDPOINT_URL"],
        access_key_id=s3["S3_ACCESS_KEY_ID"], secret_access_key=s3["S3_SECRET_ACCESS_KEY"],
    )


@pytest.fixture(params=["local", "cloud"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for the embedded default, or for PostgreSQL + S3 (the team's cloud set-up)."""
    environ: dict[str, str] = {}
    if request.param == "cloud":
        environ = {"DATABASE_URL": request.getfixturevalue("pg_url"), **request.getfixturevalue("s3_settings")}
    return Settings.load(data_dir=tmp_path / "data", environ=environ, dotenv_path=None)


@pytest.fixture
def app(settings: Settings) -> Iterator[Aizoomdoc]:
    application = Aizoomdoc.open(settings)
    assert not application.storage.fallback, application.status()
    try:
        yield application
    finally:
        application.close()
