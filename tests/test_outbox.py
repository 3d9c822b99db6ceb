"""Never lose a chat: PostgreSQL and S3 are stopped for real in the middle of a question and at start.

The module runs its own PostgreSQL cluster and moto server so that stopping them disturbs no other
test. What the user was shown (the events of ``ask``, the image bytes) is recorded and, after the
services are back and ``sync`` ran, compared row by row and blob by blob with what the cloud holds,
read with plain stores, not through the app.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.errors import BackendUnavailable, NotFound
from aizoomdoc_core.events import AnswerDone, ChatStarted, Event, ImageReady, SearchDone
from aizoomdoc_core.storage import schema
from aizoomdoc_core.storage.db import Database
from aizoomdoc_core.storage.fallback_db import FallbackDatabase
from aizoomdoc_core.storage.s3 import S3BlobStore
from tests.conftest import CORPUS, ROOT
from tests.services import PostgresCluster, S3Server

C02 = CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf"
QUESTION = "Перечень элементов"


class Cloud:
    """This module's PostgreSQL and S3, which the tests take down and bring back."""

    def __init__(self) -> None:
        self.pg, self.s3 = PostgresCluster(durable=True), S3Server()
        self.pg.start()
        self.s3.start()
        self.down = False

    def stop(self) -> None:
        self.pg.stop()
        self.s3.stop()
        self.down = True

    def start(self) -> None:
        if self.down:
            self.pg.start()
            self.s3.start()
            self.down = False


@pytest.fixture(scope="module")
def cloud() -> Iterator[Cloud]:
    services = Cloud()
    try:
        yield services
    finally:
        services.start()
        services.s3.stop()
        services.pg.destroy()


@pytest.fixture
def environ(cloud: Cloud) -> Iterator[dict[str, str]]:
    cloud.start()
    url = cloud.pg.create_database()
    yield {
        "DATABASE_URL": url, "S3_ENDPOINT_URL": cloud.s3.endpoint_url, "S3_BUCKET": cloud.s3.create_bucket(),
        "S3_ACCESS_KEY_ID": cloud.s3.access_key, "S3_SECRET_ACCESS_KEY": cloud.s3.secret_key,
        "S3_REGION": "us-east-1", "AIZOOMDOC_CONNECT_TIMEOUT": "2",
    }
    cloud.start()
    cloud.pg.drop_database(url)


def _open(data: Path, environ: dict[str, str], **options: Any) -> Aizoomdoc:
    return Aizoomdoc.open(Settings.load(data_dir=data, environ=environ, dotenv_path=None), **options)


@dataclass
class Shown:
    """What a person saw of one question: the chat, the question, the hits, the images, the answer."""

    chat_id: str = ""
    question_id: str = ""
    question: str = ""
    hits: list[str] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)
    answer_id: str = ""
    answer: str = ""

    def see(self, event: Event) -> None:
        if isinstance(event, ChatStarted):
            self.chat_id, self.question_id, self.question = event.chat.id, event.question.id, event.question.content
        elif isinstance(event, SearchDone):
            self.hits = [h.block_id for h in event.hits]
        elif isinstance(event, ImageReady):
            self.images[event.image.id] = event.data
        elif isinstance(event, AnswerDone):
            self.answer_id, self.answer = event.result.message_id, event.result.answer


class CloudTruth:
    """The cloud read directly: PostgreSQL through a plain store, the bucket through boto3."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.db = Database.postgresql(environ["DATABASE_URL"])
        self.s3 = S3BlobStore(
            bucket=environ["S3_BUCKET"], endpoint_url=environ["S3_ENDPOINT_URL"],
            access_key_id=environ["S3_ACCESS_KEY_ID"], secret_access_key=environ["S3_SECRET_ACCESS_KEY"],
        )

    def count(self, table: sa.Table, **where: str) -> int:
        query = sa.select(sa.func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        with self.db.read() as conn:
            return int(conn.execute(query).scalar_one())

    def holds(self, shown: Shown, answers: int = 1) -> None:
        """Exactly what was shown: each row once, each blob byte for byte, nothing more."""
        view = self.db.chat_view(shown.chat_id)
        questions = [m for m in view.messages if m.role == "user"]
        assert shown.question_id in {m.id for m in questions}
        assert [m.content for m in view.messages if m.id == shown.answer_id] == [shown.answer]
        assert len(view.messages) == 2 * answers == self.count(schema.chat_messages, chat_id=shown.chat_id)
        shown_images = {i.id: i for i in view.images if i.id in shown.images}
        assert len(shown_images) == len(shown.images)
        for image_id, data in shown.images.items():
            assert self.s3.get(shown_images[image_id].storage_key) == data
        assert len(view.images) == self.count(schema.chat_images, chat_id=shown.chat_id)
        assert sorted(self.s3.keys(f"chats/{shown.chat_id}/")) == sorted(i.storage_key for i in view.images)
        mine = [r for r in view.search_results if r.message_id == shown.question_id]
        assert [r.block_id for r in sorted(mine, key=lambda r: r.rank)] == shown.hits

    def close(self) -> None:
        self.db.close()


def _spool_is_empty(data: Path) -> None:
    spool = Database.sqlite(data / "spool" / "spool.sqlite3", foreign_keys=False)
    try:
        with spool.read() as conn:
            for table in (schema.outbox, schema.chats, schema.chat_messages, schema.chat_images, schema.search_results):
                assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0, table.name
    finally:
        spool.close()
    assert not [p for p in (data / "spool" / "blobs").rglob("*") if p.is_file()]


def _cli(data: Path, environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "AIZOOMDOC_DATA_DIR": str(data), **environ}
    return subprocess.run([sys.executable, "-m", "aizoomdoc_core", *args], cwd=data.parent, env=env,
                          capture_output=True, text=True, timeout=180)


def test_cloud_stopped_in_the_middle_of_a_question(tmp_path: Path, cloud: Cloud, environ: dict[str, str]) -> None:
    data = tmp_path / "data"
    app = _open(data, environ)
    assert app.ingest(C02).status == "ok"
    shown = Shown()
    try:
        for event in app.ask(QUESTION, offline=True):
            shown.see(event)
            if isinstance(event, ImageReady) and not cloud.down:
                cloud.stop()  # the first image reached the cloud; everything after it cannot
        assert shown.answer and len(shown.images) >= 2
        waiting = app.waiting()
        assert waiting["database"] >= 2 and waiting["blobs"] >= 1 and waiting["failed"] == 0
        assert app.storage.fallback and not app.status()[0].reachable
        view = app.chat_view(shown.chat_id)  # while the cloud is down, the chat still shows all of itself
        assert [m.content for m in view.messages] == [shown.question, shown.answer]
        assert {i.id for i in view.images} == set(shown.images)
        assert [c.id for c in app.list_chats()] == [shown.chat_id]
        # The documents' mirror answers searches as the cloud did.
        assert [h.block_id for h in app.search(QUESTION, top=len(shown.hits))] == shown.hits
    finally:
        app.close()

    cloud.start()
    result = _cli(data, environ, "sync", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["pushed"] >= 3 and report["waiting"] == {"database": 0, "blobs": 0, "failed": 0}
    truth = CloudTruth(environ)
    try:
        truth.holds(shown)
        assert truth.count(schema.chats) == 1
    finally:
        truth.close()
    _spool_is_empty(data)


def test_cloud_down_at_start_and_back_later(tmp_path: Path, cloud: Cloud, environ: dict[str, str]) -> None:
    data = tmp_path / "data"
    app = _open(data, environ)
    earlier = app.create_chat("made in an earlier run")
    app.close()

    cloud.stop()
    app = _open(data, environ)
    try:
        assert [s.reachable for s in app.status()] == [False, False]
        ingested = app.ingest(C02)  # kept in the spool with its file, and searchable there
        assert ingested.status == "ok", ingested.error
        pages = len(app.document_pages(ingested.document_id))
        shown = Shown()
        for event in app.ask(QUESTION, offline=True):
            shown.see(event)
        assert shown.hits and shown.images
        follow_up = Shown()
        for event in app.ask("Конденсатор", chat_id=shown.chat_id, offline=True):
            follow_up.see(event)
        app.rename_chat(shown.chat_id, "renamed offline")
        assert [c.id for c in app.list_chats()] == [shown.chat_id] and app.count_chats() == 1
        with pytest.raises(BackendUnavailable, match="database is unreachable"):
            app.delete_chat(earlier.id)  # never seen by this process: refused in one line, nothing lost
    finally:
        app.close()
    spool = Database.sqlite(data / "spool" / "spool.sqlite3", foreign_keys=False)
    with spool.read() as conn:
        queued = [dict(r._mapping) for r in conn.execute(sa.select(schema.outbox).order_by(schema.outbox.c.id))]
    spool.close()

    cloud.start()
    # Back, before anything is pushed: reads merge the cloud's chats with those waiting in the spool.
    app = _open(data, environ, sync_at_start=False)
    try:
        assert {c.id for c in app.list_chats()} == {shown.chat_id, earlier.id} and app.count_chats() == 2
        assert app.get_chat(shown.chat_id).title == "renamed offline"
        assert len(app.chat_view(shown.chat_id).messages) == 4
        assert app.waiting()["database"] > 0
    finally:
        app.close()
    app = _open(data, environ)  # pushes what waited, at start
    truth = CloudTruth(environ)
    try:
        assert app.waiting() == {"database": 0, "blobs": 0, "failed": 0}
        truth.holds(shown, answers=2)
        assert truth.db.get_chat(shown.chat_id).title == "renamed offline"
        assert truth.db.get_chat(earlier.id).title == "made in an earlier run"
        assert truth.count(schema.pages, document_id=ingested.document_id) == pages
        assert truth.s3.exists(truth.db.get_document(ingested.document_id).blob_key or "")
        assert {h.document_id for h in app.search(QUESTION)} == {ingested.document_id}  # found in the cloud now
        counts = {t.name: truth.count(t) for t in (schema.chats, schema.chat_messages, schema.chat_images,
                                                    schema.search_results, schema.documents, schema.blocks)}
        # Replaying every item again (a sync whose acknowledgements were lost) writes nothing twice.
        spool = Database.sqlite(data / "spool" / "spool.sqlite3", foreign_keys=False)
        with spool.write() as conn:
            conn.execute(schema.outbox.insert(), [{k: v for k, v in item.items() if k != "id"} for item in queued])
        spool.close()
        report = app.sync()
        assert report.pushed == len(queued) and report.errors == []
        assert {t: truth.count(getattr(schema, t)) for t in counts} == counts
    finally:
        truth.close()
        app.close()
    _spool_is_empty(data)


def test_background_sync_delivers_when_the_cloud_returns(tmp_path: Path, cloud: Cloud, environ: dict[str, str]) -> None:
    data = tmp_path / "data"
    app = _open(data, environ, background_sync=True)
    try:
        chat = app.create_chat("before")
        doomed = app.create_chat("deleted while the cloud is down")
        app.add_image(doomed.id, b"doomed", kind="upload", width=1, height=1)
        cloud.stop()
        app.delete_chat(doomed.id)
        with pytest.raises(NotFound):
            app.get_chat(doomed.id)
        app.add_message(chat.id, "user", "written while the cloud is down")
        image = app.add_image(chat.id, b"pixels", kind="upload", width=1, height=1)
        assert app.waiting() == {"database": 3, "blobs": 2, "failed": 0}  # deletion, message, image row; deletion, bytes
        assert app.image_bytes(image) == b"pixels"  # served from the spool meanwhile
        time.sleep(3)  # let the thread fail a retry or two
        cloud.start()
        deadline = time.monotonic() + 90
        while sum(app.waiting().values()) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert app.waiting() == {"database": 0, "blobs": 0, "failed": 0}
        assert not app.storage.fallback
    finally:
        app.close()
    truth = CloudTruth(environ)
    try:
        assert [m.content for m in truth.db.chat_view(chat.id).messages] == ["written while the cloud is down"]
        assert truth.s3.get(image.storage_key) == b"pixels"
        assert truth.count(schema.chats, id=doomed.id) == 0 and not truth.s3.keys(f"chats/{doomed.id}/")
    finally:
        truth.close()


def test_the_same_file_uploaded_twice_at_once_while_the_database_is_away(
    tmp_path: Path, cloud: Cloud, environ: dict[str, str]
) -> None:
    """Two sessions racing with one file while the database is away: one document, one item to push."""
    data = tmp_path / "data"
    cloud.stop()
    app = _open(data, environ)
    try:
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: app.ingest(C02), range(2)))
        assert [r.status for r in results] == ["ok", "ok"] and sorted(r.duplicate for r in results) == [False, True]
        assert len({r.document_id for r in results}) == 1
        assert app.waiting()["database"] == 1 and len(app.list_documents()) == 1
    finally:
        app.close()
    cloud.start()
    app = _open(data, environ)
    truth = CloudTruth(environ)
    try:
        assert app.waiting()["database"] == 0 and truth.count(schema.documents) == 1
    finally:
        truth.close()
        app.close()


def _mirror_holds(app: Aizoomdoc) -> tuple[int, int]:
    assert isinstance(app.db, FallbackDatabase)
    return app.db.mirror_holds()


def test_a_fresh_data_directory_answers_from_the_cloud_before_its_mirror_is_complete(
    tmp_path: Path, cloud: Cloud, environ: dict[str, str]
) -> None:
    """A new data directory against a cloud that holds documents starts and answers from the cloud
    while nothing is in its mirror yet (held up here by another process's lock on the mirror's
    file); once the lock is let go, the mirror fills in the background, and the question finds the
    same blocks when the cloud is gone. The ``sync`` command fills a mirror before it returns."""
    seed = _open(tmp_path / "seed", environ)
    try:
        assert seed.ingest(C02).status == "ok"
    finally:
        seed.close()
    data = tmp_path / "fresh"
    app = _open(data, environ, sync_at_start=False)
    lock = sqlite3.connect(data / "mirror" / "documents.sqlite3", isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")  # nothing can be written to the mirror until the lock goes
        report = app.storage.run_sync()  # what every start does
        assert report.waiting["database"] == 0 and _mirror_holds(app) == (0, 1)
        shown = Shown()
        for event in app.ask(QUESTION, offline=True):
            shown.see(event)
        assert shown.hits and shown.images and shown.answer
        assert _mirror_holds(app) == (0, 1)  # answered from the cloud alone
        lock.execute("ROLLBACK")
        deadline = time.monotonic() + 90
        while _mirror_holds(app) != (1, 1) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _mirror_holds(app) == (1, 1)

        other = tmp_path / "other"
        result = _cli(other, environ, "sync", "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["mirrored"] == 1

        cloud.stop()
        assert [h.block_id for h in app.search(QUESTION, top=len(shown.hits))] == shown.hits
        result = _cli(other, environ, "search", QUESTION, "--top", str(len(shown.hits)), "--json")
        assert result.returncode == 0, result.stderr
        assert [h["block_id"] for h in json.loads(result.stdout)] == shown.hits
    finally:
        lock.close()
        app.close()


HISTORY_FILTERS: list[dict[str, str]] = [
    {}, {"user_id": "alice"}, {"user_id": "bob"}, {"text": "УЗЛ"}, {"text": "диаметр"},
    {"user_id": "alice", "text": "Диаметр"}, {"user_id": "bob", "text": "диаметр"}, {"text": "трубопровод"},
]


def _history(app: Aizoomdoc) -> dict[str, tuple[list[dict[str, Any]], int]]:
    """Every filter's page of History (the summaries as shown) and its count."""
    return {json.dumps(f, ensure_ascii=False): ([c.to_json() for c in app.list_chats(**f)], app.count_chats(**f))
            for f in HISTORY_FILTERS}


def test_history_is_the_same_whether_the_cloud_answers_or_not(
    tmp_path: Path, cloud: Cloud, environ: dict[str, str]
) -> None:
    """One filter, one summary: with the cloud down (the chats this process showed, merged with the
    spool), back but not synced (the cloud's chats, those with spooled rows merged), and synced,
    History finds the same chats by the same words (Cyrillic in any case, in a title or in a message
    only the spool holds), keeps other users' chats out, and summarizes them alike."""
    data = tmp_path / "data"
    app = _open(data, environ)
    try:
        pumps = app.create_chat("Насосная станция", user_id="alice")
        app.add_message(pumps.id, "user", "Какой ДИАМЕТР узла?")
        pipes = app.create_chat("диаметр трубы", user_id="bob")
        app.add_message(pipes.id, "user", "А толщина стенки?")
        other = app.create_chat("Other", user_id="alice")
        app.add_message(other.id, "user", "nothing here")
        for chat in (pumps, pipes, other):
            app.chat_view(chat.id)  # shown: remembered while the cloud is away
        cloud.stop()
        app.add_message(other.id, "user", "Где Узлы с диаметром 100?")  # found by a message the cloud lacks
        app.rename_chat(pipes.id, "Трубопровод")  # no longer found by its old title
        down = _history(app)
    finally:
        app.close()
    ids = {name: [c["id"] for c in down[json.dumps(f, ensure_ascii=False)][0]] for name, f in
           (("uzl", {"text": "УЗЛ"}), ("diameter", {"text": "диаметр"}), ("bob", {"user_id": "bob"}),
            ("alice", {"user_id": "alice"}), ("bob_diameter", {"user_id": "bob", "text": "диаметр"}))}
    assert ids == {"uzl": [other.id, pumps.id], "diameter": [other.id, pumps.id], "bob": [pipes.id],
                   "alice": [other.id, pumps.id], "bob_diameter": []}
    (summary,) = [c for c in down["{}"][0] if c["id"] == other.id]
    assert (summary["message_count"], summary["first_question"]) == (2, "nothing here")
    assert down["{}"][1] == 3

    cloud.start()
    app = _open(data, environ, sync_at_start=False)
    try:
        assert app.waiting()["database"] == 2
        assert _history(app) == down
        report = app.sync()
        assert report.errors == [] and app.waiting()["database"] == 0
        assert _history(app) == down
    finally:
        app.close()
