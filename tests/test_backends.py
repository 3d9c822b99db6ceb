"""A configured cloud that fails at start is named in one line, and the local default takes over."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from tests.services import PostgresCluster, S3Server, free_port

PASSWORD = "Sup3r-Secret-pw"


def _open(tmp_path: Path, environ: dict[str, str]) -> Aizoomdoc:
    return Aizoomdoc.open(Settings.load(data_dir=tmp_path / "data", environ=environ, dotenv_path=None))


def test_cloud_in_use_when_reachable(tmp_path: Path, pg_url: str, s3_settings: dict[str, str]) -> None:
    app = _open(tmp_path, {"DATABASE_URL": pg_url, **s3_settings})
    try:
        in_use = {(s.component, s.kind) for s in app.status() if s.in_use}
        assert in_use == {("database", "postgresql"), ("blobs", "s3")}
        assert not app.storage.fallback
        chat = app.create_chat("in the cloud")
        app.add_image(chat.id, b"img", kind="page", width=1, height=1)
        assert app.blobs.keys(f"chats/{chat.id}/") and not (tmp_path / "data" / "blobs").exists()
    finally:
        app.close()


@pytest.mark.parametrize(
    "make_url, expected",
    [
        (lambda pg: f"postgresql://postgres:{PASSWORD}@127.0.0.1:{free_port()}/postgres", "Connection refused"),
        (lambda pg: f"postgres://postgres:{PASSWORD}@127.0.0.1:{pg.port}/no_such_db", 'database "no_such_db" does not exist'),
    ],
)
def test_unreachable_database_at_start_queues_in_the_spool(
    tmp_path: Path, postgres: PostgresCluster, caplog: pytest.LogCaptureFixture, make_url, expected: str
) -> None:
    caplog.set_level(logging.WARNING)
    app = _open(tmp_path, {"DATABASE_URL": make_url(postgres)})
    try:
        pg = app.status()[0]
        assert (pg.kind, pg.configured, pg.reachable, pg.in_use) == ("postgresql", True, False, True)
        assert expected in (pg.error or "") and "\n" not in (pg.error or "") and app.storage.fallback
        assert PASSWORD not in repr(app.status()) and PASSWORD not in caplog.text
        assert "not connected: PostgreSQL" in caplog.text
        chat = app.create_chat("still works")  # kept in the spool until the database answers
        assert app.get_chat(chat.id).title == "still works"
        assert [c.id for c in app.list_chats()] == [chat.id]
        assert app.waiting()["database"] == 1
    finally:
        app.close()


@pytest.mark.parametrize(
    "url, expected",
    [(f"mysql://root:{PASSWORD}@127.0.0.1/db", "must be a PostgreSQL URL"), ("not a url at all", "not a valid connection URL")],
)
def test_database_url_that_can_never_work_falls_back_to_sqlite(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, url: str, expected: str
) -> None:
    caplog.set_level(logging.WARNING)
    app = _open(tmp_path, {"DATABASE_URL": url})
    try:
        pg, sqlite = app.status()[:2]
        assert (pg.kind, pg.configured, pg.in_use) == ("postgresql", True, False) and expected in (pg.error or "")
        assert (sqlite.kind, sqlite.in_use) == ("sqlite", True) and app.storage.fallback
        assert PASSWORD not in repr(app.status()) and PASSWORD not in caplog.text
        chat = app.create_chat("local")
        assert app.get_chat(chat.id).title == "local" and app.waiting()["database"] == 0
    finally:
        app.close()


def test_unreachable_or_missing_bucket_keeps_images_in_the_spool(tmp_path: Path, s3_server: S3Server) -> None:
    for case, (environ, expected) in enumerate((
        ({"S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "S3_BUCKET": "b"}, "Could not connect"),
        ({"S3_ENDPOINT_URL": s3_server.endpoint_url, "S3_BUCKET": "missing-bucket"}, "does not exist"),
    )):
        environ |= {"S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": PASSWORD, "AIZOOMDOC_CONNECT_TIMEOUT": "2"}
        app = _open(tmp_path / str(case), environ)
        try:
            s3 = next(s for s in app.status() if s.kind == "s3")
            assert not s3.reachable and expected in (s3.error or "") and PASSWORD not in (s3.error or "")
            chat = app.create_chat("x")
            image = app.add_image(chat.id, b"kept locally", kind="page", width=1, height=1)
            assert app.image_bytes(image) == b"kept locally"
            assert app.waiting()["blobs"] == 1
        finally:
            app.close()
