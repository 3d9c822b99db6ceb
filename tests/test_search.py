"""Search: exact codes, stemmed words, plain questions, and the same hits on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pymupdf
import pytest
import sqlalchemy as sa

from aizoomdoc_core import search
from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.models import DocumentInfo, StoredBlock
from aizoomdoc_core.storage import schema
from aizoomdoc_core.storage.db import Database
from aizoomdoc_core.terms import STEM_MARK, index_terms, is_code, query_concepts
from tests.conftest import CORPUS

SHEETS = [
    ["Трубопровод В2 Ø100 из стальных труб", "Насос К1 подключить к сети"],
    ["Трубопровод В21 напорный", "Система ОВ1.1 приточная", "Узел П/1 см. лист 5"],
    ["Система ОВ1 вытяжная", "Автомат QO120M100 в щите ЩР1", "Кабель 0103TR1"],
    ["Ёмкость для воды 2 м3", "Vent pipes and drains are shown on sheet P-201"],
]


def _drawing(path: Path) -> Path:
    """A small PDF whose pages hold the labels above, one text box each."""
    doc = pymupdf.open()
    for labels in SHEETS:
        page = doc.new_page(width=842, height=595)
        for i, label in enumerate(labels):
            page.insert_htmlbox(pymupdf.Rect(40, 40 + 120 * i, 800, 80 + 120 * i), label)  # Cyrillic-capable fonts
    doc.save(path)
    return path


def _pages(app: Aizoomdoc, query: str, top: int = 10) -> list[int]:
    return [h.page for h in app.search(query, top=top)]


def test_codes_match_exactly(app: Aizoomdoc, tmp_path: Path) -> None:
    assert app.ingest(_drawing(tmp_path / "codes.pdf")).status == "ok"
    assert _pages(app, "В2") == [1]
    assert _pages(app, "В21") == [2]
    assert _pages(app, "ОВ1") == [3]
    assert _pages(app, "ОВ1.1") == [2]
    assert _pages(app, "П/1") == [2]
    assert 2 not in _pages(app, "1")
    assert _pages(app, "qo120m100") == [3] and _pages(app, "0103TR1") == [3]
    assert _pages(app, "емкость") == [4]  # ё and е are the same letter to a searcher


def test_plain_questions_use_stems_and_ignore_question_words(app: Aizoomdoc, tmp_path: Path) -> None:
    app.ingest(_drawing(tmp_path / "words.pdf"))
    assert sorted(_pages(app, "Где показаны трубопроводы?")) == [1, 2]  # by stem; "Где" ignored
    assert _pages(app, "На каком листе приточная система?")[0] == 2
    assert _pages(app, "Where are the drain pipes?")[0] == 4
    hit = app.search("Какой автомат стоит в щите ЩР1?", top=1)[0]
    assert hit.page == 3 and "QO120M100" in hit.text and hit.document_name == "words.pdf"
    assert app.search("где что как", top=5) == []


def test_hits_carry_the_contract_fields(app: Aizoomdoc) -> None:
    app.ingest(CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf")
    hit = app.search("перечень элементов импульсный модулятор", top=1)[0]
    assert hit.document_name == "C02_ru_perechen_elementov_PE3.pdf" and hit.page == 1
    assert hit.sheet_code == "МГТУ.436421.001ПЭ3"
    assert len(hit.bbox) == 4 and all(0 <= v <= 1 for v in hit.bbox) and hit.score > 0
    assert set(hit.to_json()) >= {"document_id", "document_name", "page", "block_id", "bbox", "text", "score"}


def test_a_sheet_s_title_block_answers_a_question_about_its_fields(app: Aizoomdoc) -> None:
    # The title block holds a dozen fields; matching two of them must not lose to a bare "A-5.1"
    # callout for being long.
    app.ingest(CORPUS / "A" / "A01_pismo_restroom_drawing_set.pdf")
    hit = app.search("title of sheet A-5.1", top=1)[0]
    assert (hit.page, hit.kind) == (9, "title_block") and "GABLE TRUSSES DETAILS" in hit.text


def test_a_russian_word_finds_the_file_named_with_it_in_latin_letters(app: Aizoomdoc, tmp_path: Path) -> None:
    for name, extra in [("aa_other_sheet.pdf", "Разраб."), ("zz_kompas_blank_sheet.pdf", "Пров.")]:
        doc = pymupdf.open()
        doc.new_page(width=595, height=842).insert_htmlbox(pymupdf.Rect(40, 700, 550, 800), f"Лист Листов Формат A4 {extra}")
        doc.save(tmp_path / name)
        assert app.ingest(tmp_path / name).status == "ok"
    assert app.search("Формат листа КОМПАС", top=1)[0].document_name == "zz_kompas_blank_sheet.pdf"


def test_asking_for_the_title_block_by_name_finds_it(app: Aizoomdoc) -> None:
    app.ingest(CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf")
    assert app.search("Что написано в штампе?", top=1)[0].kind == "title_block"
    assert app.search("title block", top=1)[0].kind == "title_block"


def test_a_word_only_a_file_name_holds_picks_that_document(app: Aizoomdoc, tmp_path: Path) -> None:
    # "borehole" and "log" are in no block: the question names the document by them.
    for name, text in [("aa_site_report.pdf", "Report number 20-01, title sheet"), ("zz_borehole_log.pdf", "Report number NAB 20-08")]:
        doc = pymupdf.open()
        doc.new_page(width=842, height=595).insert_text((40, 500), text, fontsize=10)
        doc.save(tmp_path / name)
        assert app.ingest(tmp_path / name).status == "ok"
    assert app.search("report number on the title of the borehole log", top=1)[0].document_name == "zz_borehole_log.pdf"


def test_scope_limits_search_to_chosen_documents(app: Aizoomdoc) -> None:
    c02 = app.ingest(CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf").document_id or ""
    c04 = app.ingest(CORPUS / "C" / "C04_ru_schema_electric_E3.pdf").document_id or ""
    everywhere = {h.document_id for h in app.search("Импульсный модулятор", top=50)}
    assert everywhere == {c02, c04}
    assert {h.document_id for h in app.search("Импульсный модулятор", top=50, document_ids=[c04])} == {c04}


def test_sqlite_and_postgresql_give_the_same_hits(tmp_path: Path, pg_url: str) -> None:
    files = [CORPUS / "A" / "A04_eplan_tire_machine_schematics.pdf", CORPUS / "C" / "C04_ru_schema_electric_E3.pdf",
             _drawing(tmp_path / "codes.pdf")]
    queries = ["motor protection switch", "QO120M100", "Схема электрическая", "трубопровод В2", "0103TR1 кабель"]
    results = []
    for environ in ({}, {"DATABASE_URL": pg_url}):
        app = Aizoomdoc.open(Settings.load(data_dir=tmp_path / str(len(results)), environ=environ, dotenv_path=None))
        for path in files:
            app.ingest(path)
        results.append([[(h.document_name, h.page, h.block_id, h.score) for h in app.search(q, top=10)] for q in queries])
        app.close()
    assert results[0] == results[1] and all(results[0])


def test_a_deleted_document_is_not_found_and_is_again_once_ingested_again(app: Aizoomdoc, tmp_path: Path) -> None:
    path = _drawing(tmp_path / "codes.pdf")
    document_id = app.ingest(path).document_id or ""
    assert _pages(app, "В21") == [2]
    app.delete_document(document_id)
    assert app.search("В21") == [] and app.search("трубопровод") == []
    assert app.ingest(path).status == "ok"
    assert _pages(app, "В21") == [2] and _pages(app, "ОВ1.1") == [2]


def test_postgresql_postings_follow_the_blocks_they_index(tmp_path: Path, pg_url: str) -> None:
    app = Aizoomdoc.open(Settings.load(data_dir=tmp_path, environ={"DATABASE_URL": pg_url}, dotenv_path=None))
    try:
        cloud = app.db.cloud  # type: ignore[attr-defined]
        kept = app.ingest(_drawing(tmp_path / "codes.pdf")).document_id
        cascaded = app.ingest(CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf").document_id
        deleted = app.ingest(CORPUS / "C" / "C04_ru_schema_electric_E3.pdf").document_id
        assert postings_astray(cloud) == [] and postings_of(cloud, kept) > 0
        with cloud.write() as conn:  # the blocks go by the foreign key's cascade
            conn.execute(schema.documents.delete().where(schema.documents.c.id == cascaded))
        app.delete_document(deleted or "")
        assert postings_astray(cloud) == [] and postings_of(cloud, kept) == postings_of(cloud, None)
    finally:
        app.close()


def test_candidates_count_each_concept_once_at_its_best_term(db: Database) -> None:
    # best_blocks sums term_weights' increments; the result must be what taking each concept once,
    # at the weight of the best of its terms a block holds, would choose.
    words = ["насос", "насосы", "насосная", "pump", "pumps", "pumping", "К1", "В2", "ground-floor", "floor", "drains"]
    rng = random.Random(5)
    store(db, [" ".join(rng.sample(words, rng.randint(1, 5))) for _ in range(150)])
    with db.read() as conn:
        held = {int(i): set(terms.split()) for i, terms in conn.execute(sa.select(schema.blocks.c.id, schema.blocks.c.terms))}
    for question in ["насосы pumps", "насосная К1 drains", "ground floor pumping", "В2 насос floor"]:
        concepts = query_concepts(question)
        frequencies = db.term_frequencies(sorted({t for concept in concepts for t in concept}))
        idf = {t: search._idf(len(held), n) for t, n in frequencies.items() if n}
        factors = [search.CODE_WEIGHT if is_code(concept[0]) else 1.0 for concept in concepts]
        weighted = [pair for concept, f in zip(concepts, factors) for pair in search.term_weights(concept, f, idf)]

        def score(terms: set[str]) -> float:
            return sum(max((f * idf[t] * (search.STEM_WEIGHT if t.startswith(STEM_MARK) else 1.0)
                            for t in concept if t in terms and t in idf), default=0.0)
                       for concept, f in zip(concepts, factors))

        scores = {i: score(terms) for i, terms in held.items()}
        expected = sorted((i for i in scores if scores[i] > 0), key=lambda i: (-scores[i], i))[:20]
        chosen = db.best_blocks(weighted, limit=20)
        assert [scores[i] for i in chosen] == pytest.approx([scores[i] for i in expected], abs=1e-5)


def store(db: Database, texts: list[str]) -> str:
    """A document of one page whose blocks hold ``texts``, stored as ingest stores one; its id."""
    document = DocumentInfo(str(uuid.uuid4()), "a.pdf", uuid.uuid4().hex * 2, "application/pdf", 1, 1, None, "ready",
                            None, {}, datetime.now(timezone.utc))
    db.insert_document(document, [], [
        StoredBlock(document.id, 1, f"b{i}", "text", text, [0, 0, 1, 1], {}, " ".join(index_terms(text)),
                    len(index_terms(text)))
        for i, text in enumerate(texts)])
    return document.id


def postings_astray(db: Database) -> list[Any]:
    """(term, block id) pairs in PostgreSQL's postings but not in the blocks' terms, or the other way."""
    terms = "SELECT DISTINCT t, id FROM blocks, unnest(string_to_array(terms, ' ')) AS t"
    with db.read() as conn:
        return conn.execute(sa.text(
            f"(SELECT term, block_id FROM block_terms EXCEPT {terms}) UNION ALL ({terms} EXCEPT SELECT term, block_id FROM block_terms)"
        )).all()


def postings_of(db: Database, document_id: str | None) -> int:
    """How many postings point at the document's blocks (at any block: None)."""
    query = "SELECT count(*) FROM block_terms p JOIN blocks b ON b.id = p.block_id"
    with db.read() as conn:
        if document_id is None:
            return int(conn.execute(sa.text("SELECT count(*) FROM block_terms")).scalar_one())
        return int(conn.execute(sa.text(query + " WHERE b.document_id = :d"), {"d": document_id}).scalar_one())
