"""Faults injected for real while questions are asked; then what the cloud holds is counted.

    .venv/bin/python -m benchmarks.reliability_benchmark

Runs its own PostgreSQL cluster (commits durable, stopped with an immediate shutdown, like a crash)
and moto S3 server, ingests two corpus drawings into them, and for each scenario asks questions
offline while stopping PostgreSQL, S3 or both at a chosen moment. Everything a person was shown
(the chat, the question and answer, each image's bytes, each search result) is recorded from the
events; after the services are back, ``sync`` runs and the cloud is read with plain stores: each
record expected is looked up by id (each image byte for byte) and counted found, and any row of
those chats beyond the expected ones is counted duplicated. Prints the Markdown table of
docs/reliability.md.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.events import AnswerDelta, AnswerDone, ChatStarted, Event, ImageReady, SearchDone
from aizoomdoc_core.storage import schema
from aizoomdoc_core.storage.db import Database
from aizoomdoc_core.storage.s3 import S3BlobStore
from benchmarks.search_benchmark import CORPUS
from tests.services import PostgresCluster, S3Server

DOCUMENTS = [CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf", CORPUS / "A" / "A01_pismo_restroom_drawing_set.pdf"]
QUESTIONS = ["Перечень элементов", "Конденсатор", "restroom plan", "toilet partition details"]


@dataclass
class Shown:
    """The records of one question as the person saw them."""

    chat_id: str = ""
    messages: dict[str, str] = field(default_factory=dict)  # id -> content
    images: dict[str, bytes] = field(default_factory=dict)  # id -> bytes shown
    results: set[str] = field(default_factory=set)  # ids of the saved search results

    def see(self, event: Event) -> None:
        if isinstance(event, ChatStarted):
            self.chat_id = event.chat.id
            self.messages[event.question.id] = event.question.content
        elif isinstance(event, ImageReady):
            self.images[event.image.id] = event.data
        elif isinstance(event, AnswerDone):
            self.messages[event.result.message_id] = event.result.answer
            self.results = {r["id"] for r in event.result.search_results}

    @property
    def records(self) -> int:
        return 1 + len(self.messages) + 2 * len(self.images) + len(self.results)  # an image: its row and its bytes


class Cloud:
    def __init__(self) -> None:
        self.pg, self.s3 = PostgresCluster(durable=True), S3Server()
        self.pg.start()
        self.s3.start()
        self.pg_down = self.s3_down = False

    def stop(self, what: str) -> None:
        if what in ("postgresql", "both") and not self.pg_down:
            self.pg.stop()
            self.pg_down = True
        if what in ("s3", "both") and not self.s3_down:
            self.s3.stop()
            self.s3_down = True

    def start(self) -> None:
        if self.pg_down:
            self.pg.start()
        if self.s3_down:
            self.s3.start()
        self.pg_down = self.s3_down = False

    def environ(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.pg.create_database(), "S3_ENDPOINT_URL": self.s3.endpoint_url,
            "S3_BUCKET": self.s3.create_bucket(), "S3_ACCESS_KEY_ID": self.s3.access_key,
            "S3_SECRET_ACCESS_KEY": self.s3.secret_key, "S3_REGION": "us-east-1", "AIZOOMDOC_CONNECT_TIMEOUT": "2",
        }


def ask(app: Aizoomdoc, question: str, fault: Callable[[Event], None] = lambda e: None) -> Shown:
    shown = Shown()
    for event in app.ask(question, offline=True):
        shown.see(event)
        fault(event)
    return shown


def count(environ: dict[str, str], shown: list[Shown]) -> tuple[int, int, int]:
    """(expected, found, duplicated) records in the cloud."""
    db = Database.postgresql(environ["DATABASE_URL"])
    s3 = S3BlobStore(bucket=environ["S3_BUCKET"], endpoint_url=environ["S3_ENDPOINT_URL"],
                     access_key_id=environ["S3_ACCESS_KEY_ID"], secret_access_key=environ["S3_SECRET_ACCESS_KEY"])
    expected = sum(s.records for s in shown)
    found = duplicated = 0
    try:
        for s in shown:
            view = db.chat_view(s.chat_id)
            found += 1
            found += sum(m.content == s.messages.get(m.id) for m in view.messages)
            for image in view.images:
                if image.id in s.images:
                    found += 1 + (s3.get(image.storage_key) == s.images[image.id])
            found += sum(r.id in s.results for r in view.search_results)
            duplicated += len(view.messages) - len(s.messages) + len(view.images) - len(s.images)
            duplicated += len(view.search_results) - len(s.results)
        with db.read() as conn:
            duplicated += int(conn.execute(sa.select(sa.func.count()).select_from(schema.chats)).scalar_one()) - len(shown)
    finally:
        db.close()
    return expected, found, duplicated


def at(kind: type, cloud: Cloud, what: str) -> Callable[[Event], None]:
    """A fault: stop ``what`` at the first event of ``kind``."""
    return lambda event: cloud.stop(what) if isinstance(event, kind) else None


def scenario(cloud: Cloud, name: str, run: Callable[[Aizoomdoc], list[Shown]], *, down_at_start: str | None = None) -> dict[str, object]:
    environ = cloud.environ()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.load(data_dir=Path(folder), environ=environ, dotenv_path=None)
        app = Aizoomdoc.open(settings)
        for path in DOCUMENTS:
            assert app.ingest(path).status == "ok"
        if down_at_start:
            app.close()
            cloud.stop(down_at_start)
            app = Aizoomdoc.open(settings)
        shown = run(app)
        waited = sum(v for k, v in app.waiting().items() if k != "failed")
        app.close()
        cloud.start()
        started = time.perf_counter()
        with closing(Aizoomdoc.open(settings, sync_at_start=False)) as synced:
            report = synced.sync()
        seconds = time.perf_counter() - started
        expected, found, duplicated = count(environ, shown)
    return {"fault": name, "questions": len(shown), "queued": waited, "expected": expected, "found": found,
            "lost": expected - found, "duplicated": duplicated, "sync_s": seconds, "refused": len(report.errors)}


def concurrent(app: Aizoomdoc, cloud: Cloud) -> list[Shown]:
    """Four sessions asking three questions each; the whole cloud stops a second in."""
    shown: list[Shown] = []
    lock = threading.Lock()

    def session(number: int) -> None:
        for question in (QUESTIONS[number:] + QUESTIONS[:number])[:3]:
            one = ask(app, question)
            with lock:
                shown.append(one)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    cloud.stop("both")
    for thread in threads:
        thread.join()
    return shown


def main() -> None:
    cloud = Cloud()
    rows = []
    try:
        rows.append(scenario(cloud, "none (the baseline), 4 questions", lambda app: [ask(app, q) for q in QUESTIONS]))
        for what, label in (("postgresql", "PostgreSQL"), ("s3", "S3"), ("both", "PostgreSQL and S3")):
            rows.append(scenario(cloud, f"{label} stopped after the first image, 4 questions", lambda app, w=what: [
                ask(app, q, at(ImageReady, cloud, w)) for q in QUESTIONS]))
        rows.append(scenario(cloud, "PostgreSQL and S3 stopped after the search, 4 questions", lambda app: [
            ask(app, q, at(SearchDone, cloud, "both")) for q in QUESTIONS]))
        rows.append(scenario(cloud, "PostgreSQL and S3 stopped as the answer streams, 4 questions", lambda app: [
            ask(app, q, at(AnswerDelta, cloud, "both")) for q in QUESTIONS]))
        rows.append(scenario(cloud, "PostgreSQL and S3 down at start, 4 questions", lambda app: [
            ask(app, q) for q in QUESTIONS], down_at_start="both"))
        rows.append(scenario(cloud, "PostgreSQL and S3 stopped during 4 concurrent sessions, 12 questions",
                             lambda app: concurrent(app, cloud)))
    finally:
        cloud.start()
        cloud.s3.stop()
        cloud.pg.destroy()
    print("| fault injected | questions | writes queued | records expected | records found | lost | duplicated | sync |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['fault']} | {r['questions']} | {r['queued']} | {r['expected']} | {r['found']} | {r['lost']} "
              f"| {r['duplicated']} | {r['sync_s']:.2f} s |")
    print("\nrecords: a chat, its messages, each image (row and bytes), each search result; "
          f"refused by the cloud: {sum(int(r['refused']) for r in rows)}")


if __name__ == "__main__":
    main()
