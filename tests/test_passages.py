"""Long blocks as passages: an explanatory note's paragraph, or a table's rows under their header,
found, placed and quoted on their own."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import sqlalchemy as sa

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.events import AnswerDone, AskResult
from aizoomdoc_core.ingest.extracted import ExtractedBlock, ExtractedDocument, ExtractedPage, prepare_for_index
from aizoomdoc_core.ingest.passages import LONG_BLOCK, PASSAGE_CHARS, passages
from aizoomdoc_core.search import search
from aizoomdoc_core.storage import schema
from aizoomdoc_core.storage.db import Database
from tests.test_search import postings_astray, store

NOTES = [f"{n}. ALL WORK OF SECTION {n} SHALL FOLLOW THE APPLICABLE CODES AND THE MANUFACTURER'S INSTRUCTIONS."
         for n in range(1, 41)]
NOTES[30] = "31. ROOF INSULATION SHALL BE R-49 MINERAL WOOL BATTS BETWEEN THE RAFTERS."

TABLE = ["Спецификация отливов", "Марка | Наименование | Длина, м | Цвет"] + [
    f"От-{n} | Отлив из оцинкованной стали толщиной 0,7 мм с полимерным покрытием | {n}0,5 | RAL 70{n:02d}"
    for n in range(1, 16)
] + ["Ведомость ограждений", "Марка | Наименование | Высота, мм"] + [
    f"Ог-{n} | Ограждение террасы из стальных стоек и стеклянного заполнения | {900 + n}" for n in range(1, 8)
]


def _own_lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [line for part in passages(text) for line in lines[part.lines[0]:part.lines[1] + 1]]


def test_a_short_block_is_one_passage_itself() -> None:
    text = "\n".join(NOTES[:3])
    assert len(text) <= LONG_BLOCK and [p.text for p in passages(text)] == [text]


def test_notes_are_cut_between_lines_and_nothing_is_lost_or_repeated() -> None:
    text = "\n".join(NOTES)
    parts = passages(text)
    assert len(parts) > 3 and all(len(p.text) <= PASSAGE_CHARS + 1 for p in parts)
    assert _own_lines(text) == NOTES  # every line in exactly one passage, in order
    assert [line for p in parts for line in p.text.split("\n")] == NOTES  # notes repeat no header


def test_every_passage_of_a_table_starts_with_its_title_and_header() -> None:
    text = "\n".join(TABLE)
    parts = passages(text)
    assert _own_lines(text) == TABLE
    for part in parts:
        lines = part.text.split("\n")
        rows = [line for line in lines if line.startswith(("От-", "Ог-"))]
        heads = {"От": TABLE[:2], "Ог": TABLE[17:19]}[rows[0][:2]]
        assert lines[:2] == heads, part.text  # a row is never read without the table it belongs to
        assert all(row[:2] == rows[0][:2] for row in rows) and not lines[-1].startswith("Ведомость")
    assert any("От-15" in p.text for p in parts) and any("Ог-7" in p.text for p in parts)


def test_a_line_longer_than_two_passages_is_cut_after_its_sentences() -> None:
    sentences = [f"Sentence {n} says what the drawing wants of item {n}." for n in range(200)]
    line = " ".join(sentences)
    parts = passages(line)
    assert len(parts) > 5 and all(len(p.text) <= PASSAGE_CHARS for p in parts)
    assert " ".join(p.text for p in parts) == line
    unbroken = "x" * 5000  # no sentence to cut after: kept whole rather than cut in a word
    assert [p.text for p in passages(unbroken)] == [unbroken]


def test_a_stored_block_without_line_positions_is_cut_in_place() -> None:
    block = ExtractedBlock("7LR4", 3, "text", "\n".join(NOTES), [0.1, 0.2, 0.9, 0.8], {"block_type": "text"})
    document = ExtractedDocument("text/html", [ExtractedPage(3, 0, 0, blocks=[block])])
    prepare_for_index(document)
    cut = document.pages[0].blocks
    assert [b.key for b in cut] == ["7LR4"] + [f"7LR4.{n}" for n in range(2, len(cut) + 1)]
    assert all(b.bbox == [0.1, 0.2, 0.9, 0.8] and b.metadata["block_type"] == "text" for b in cut)
    assert cut[-1].metadata["passage"] == f"{len(cut)}/{len(cut)}" and all(b.term_count for b in cut)


def _notes_sheet(path: Path) -> Path:
    """A sheet whose general notes are one block of 40 lines in the lower right, and a plan label
    that repeats the question's words (which a whole block of notes used to lose to)."""
    with pymupdf.open() as pdf:
        page = pdf.new_page(width=1684, height=1190)
        page.insert_text((100, 200), "ROOF INSULATION, SEE GENERAL NOTES", fontsize=9)
        page.insert_textbox(pymupdf.Rect(1000, 500, 1650, 1150), "\n".join(["GENERAL NOTES:", *NOTES]), fontsize=5)
        pdf.save(path)
    return path


def _ask(app: Aizoomdoc, question: str) -> AskResult:
    return next(e.result for e in app.ask(question, offline=True) if isinstance(e, AnswerDone))


def test_the_note_that_answers_is_found_quoted_and_shown_on_its_own(app: Aizoomdoc, tmp_path: Path) -> None:
    assert app.ingest(_notes_sheet(tmp_path / "notes.pdf")).status == "ok"
    hits = app.search("What roof insulation do the notes call for?", top=5)
    note = next(h for h in hits if "R-49" in h.text)
    assert len(note.text) <= PASSAGE_CHARS + 1  # the note's passage, not the 40 notes
    assert 1000 / 1684 - 0.01 < note.bbox[0] and note.bbox[3] - note.bbox[1] < 0.2  # its own lines, not all 40
    result = _ask(app, "What roof insulation do the notes call for?")
    assert "R-49 MINERAL WOOL" in result.answer.split("\n")[0]
    assert any(i["kind"] == "zoom_crop" and i["bbox"][1] <= note.bbox[1] and note.bbox[3] <= i["bbox"][3]
               for i in result.images)


def test_migration_cuts_the_long_blocks_a_library_already_holds(db: Database) -> None:
    db.downgrade("005")
    document = store(db, ["\n".join(TABLE), "Кровля К1"])
    db.migrate()
    found = search(db, "Ог-7 высота ограждения", top=1)[0]
    assert found.block_id.startswith("b0.") and "Ог-7" in found.text
    assert found.text.startswith("Ведомость ограждений\nМарка | Наименование | Высота")
    with db.read() as conn:
        blocks = schema.blocks
        rows = conn.execute(sa.select(blocks.c.block_key, sa.func.length(blocks.c.text))
                            .where(blocks.c.document_id == document)).all()
    assert {k for k, _ in rows} == {"b0", "b1"} | {f"b0.{n}" for n in range(2, len(rows))}
    assert max(n for _, n in rows) <= PASSAGE_CHARS + 1
    if db.engine.dialect.name == "postgresql":
        assert postings_astray(db) == []
