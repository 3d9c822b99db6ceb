"""The answer without a model: the line or field that answers, not the whole block.

Hits are built the way ingest stores blocks (a title block's text is ``TitleBlock.as_text()``, a
table's rows are "a | b" lines), and one sheet made with pymupdf goes the whole way through ``ask``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aizoomdoc_core.agent.evidence import Evidence
from aizoomdoc_core.agent.extractive import ITEM_CHARS, extractive_answer
from aizoomdoc_core.agent.texts import texts_for
from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.events import AnswerDone, AskResult
from aizoomdoc_core.ingest.extracted import TitleBlock
from aizoomdoc_core.search import Hit


def hit(text: str, *, kind: str = "text", document: str = "d1", name: str = "set.pdf", page: int = 1,
        block: str = "p1-b0", sheet_code: str | None = None) -> Hit:
    return Hit(document, name, page, block, [0.1, 0.1, 0.5, 0.5], text, 1.0, kind, sheet_code, None)


def evidence(hits: list[Hit]) -> Evidence:
    shown = Evidence(None, None, None)  # type: ignore[arg-type]  # quoting reads neither the chat nor the library
    for h in hits:
        shown.add_hit(h)
    return shown


def answer(question: str, hits: list[Hit], language: str = "en") -> tuple[str, list[dict[str, Any]]]:
    text, citations = extractive_answer(texts_for(language), question, hits, evidence(hits))
    return text, [c.to_json() for c in citations]


def quoted(text: str) -> list[str]:
    return [line.split("«", 1)[1].rsplit("»", 1)[0] for line in text.splitlines() if line.startswith("- «")]


def asked_of_sheet(app: Aizoomdoc, path: Path, labels: list[tuple[float, float, str, float]], question: str) -> AskResult:
    """``question`` asked offline of an A3 sheet that prints ``labels`` (x, y, text, font size)."""
    import pymupdf

    with pymupdf.open() as doc:
        page = doc.new_page(width=1191, height=842)
        for x, y, text, size in labels:
            page.insert_text((x, y), text, fontsize=size)
        doc.save(path)
    assert app.ingest(path).status == "ok"
    return [e for e in app.ask(question, offline=True) if isinstance(e, AnswerDone)][0].result


def title_block_hit(**options: Any) -> Hit:
    block = TitleBlock(
        sheet_code="12/34-ПР-КЖ7", sheet_number="3", sheet_title="Схема плиты на отм. +3.300", stage="Р",
        fields={"drawn_by": "Сидоров", "checked_by": "Петров", "chief_engineer": "Кузнецов", "scale": "1:100"},
    )
    return hit(block.as_text(), kind="title_block", block="p1-title", **options)


def test_a_title_block_field_is_quoted_as_field_and_value() -> None:
    text, citations = answer("Who checked the sheet?", [title_block_hit()])
    assert quoted(text)[0] == "Checked by: Петров; Sheet code: 12/34-ПР-КЖ7; Sheet: 3; Title: Схема плиты на отм. +3.300"
    assert "Title block" not in text and "Кузнецов" not in text  # neither the heading nor the other fields
    assert text.splitlines()[0].endswith("[B1]") and [c["marker"] for c in citations] == ["B1"]


def test_a_russian_question_gets_russian_framing_and_labels() -> None:
    text, _ = answer("кто ГИП?", [title_block_hit(sheet_code="12/34-ПР-КЖ7")], language="ru")
    assert text.endswith("\n\nМодель не запрашивалась: это цитаты лучших совпадений в документах.")
    assert quoted(text)[0].startswith("ГИП: Кузнецов; Шифр: 12/34-ПР-КЖ7; Лист: 3;") and "лист 12/34-ПР-КЖ7, стр. 1 [B1]" in text
    text, _ = answer("какой масштаб?", [title_block_hit()], language="ru")
    assert quoted(text)[0].startswith("Масштаб: 1:100; Шифр:")


def test_a_table_row_is_quoted_with_its_header() -> None:
    table = "\n".join([
        "Поз. | Обозначение | Наименование | Кол.",
        "1 | ТУ 100-01 | Полоса 40x4 | 12",
        "2 | ТУ 200-02 | Двутавр 20Б1 | 4",
        "3 | ТУ 300-03 | Пластина 8 мм | 2",
    ])
    text, _ = answer("сколько двутавров 20Б1?", [hit(table, kind="table")], language="ru")
    assert quoted(text) == ["Поз. | Обозначение | Наименование | Кол. — 2 | ТУ 200-02 | Двутавр 20Б1 | 4"]


def test_a_code_is_matched_whole_and_its_line_quoted_with_what_follows() -> None:
    notes = "\n".join(["PROJECT REMARKS", "SEE SHEET A-21 FOR FINISH SCHEDULE AND PARTITION HEIGHTS ABOVE THE GRID",
                       "SEE SHEET A-2 FOR HARDWARE SETS", "HARDWARE: LEVER SET", *(f"REMARK {i}: CHECK ON SITE" for i in range(9))])
    (quote,) = quoted(answer("what is on sheet A-2?", [hit(notes)])[0])
    assert "SEE SHEET A-2 FOR HARDWARE SETS HARDWARE: LEVER SET" in quote and "REMARKS" not in quote


def test_a_long_quote_is_cut_at_a_word_boundary() -> None:
    words = " ".join(f"word{i:03d}" for i in range(80))
    paragraph = f"{words} the dowel pins are zinc plated steel {words}"
    text, _ = answer("dowel pins", [hit(paragraph)])
    (quote,) = quoted(text)
    assert len(quote) <= ITEM_CHARS + 2 and quote.endswith("…") and quote.startswith("… ")
    assert "dowel pins are zinc plated steel" in quote
    body = quote.removeprefix("… ").removesuffix("…")
    assert all(w in paragraph.split() for w in body.split())  # no word cut in two


def test_the_same_text_from_two_formats_or_two_hits_is_quoted_once() -> None:
    html = hit("Указания\nРаствор марки М150, F75.\nКладка из кирпича КР-р-по.", document="d1", name="set_ocr.html")
    json = hit("Раствор  марки М150,  F75", kind="ocr", document="d2", name="set_result.json", block="b7")
    same_page = hit("РАСТВОР МАРКИ М150, F75.", document="d1", name="set_ocr.html", block="p1-b9")
    other = hit("Раствор марки М100 для кладки", document="d3", name="other.pdf")
    text, citations = answer("раствор марки М150", [html, json, same_page, other], language="ru")
    assert sum("М150" in q for q in quoted(text)) == 1 and len(quoted(text)) == 2
    assert [c["marker"] for c in citations] == ["B1", "B4"]


def test_nothing_found_is_said_in_the_question_language() -> None:
    assert answer("кто ГИП?", [], language="ru")[0].startswith("Модель не запрашивалась. В документах ничего")


def schedule_pdf(path: Path) -> Path:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=842, height=595)
    page.insert_font(fontname="F0", fontbuffer=pymupdf.Font("cjk").buffer)  # Base-14 fonts lack Cyrillic
    page.insert_text((40, 60), "ОТДЕЛКА КОМНАТ", fontname="F0", fontsize=14)
    lines = [f"Свод: окраска акриловой краской в {i} слоя по грунту" for i in range(2, 6)]
    lines += ["Стены: штукатурка, окраска", "Пол: линолеум класса 34", "Плинтус: пластиковый h=60"]
    lines += [f"Указание {i}: цвет согласовать с владельцем" for i in range(1, 4)]
    for i, line in enumerate(lines):
        page.insert_text((40, 100 + 14 * i), line, fontname="F0", fontsize=10)
    doc.save(path)
    return path


@pytest.mark.parametrize("settings", ["local"], indirect=True)
def test_an_offline_answer_quotes_the_line_and_cites_the_shown_hit(app: Aizoomdoc, tmp_path: Path) -> None:
    assert app.ingest(schedule_pdf(tmp_path / "finish.pdf")).status == "ok"
    done = [e for e in app.ask("какой пол?", offline=True) if isinstance(e, AnswerDone)][0].result
    first = quoted(done.answer)[0]
    assert done.answer.startswith(f"- «{first}»") and "Пол: линолеум класса 34" in first
    assert "ОТДЕЛКА" not in first and len(first) <= ITEM_CHARS + 2
    assert done.citations and done.citations[0]["page"] == 1 and done.images


@pytest.mark.parametrize("settings", ["local"], indirect=True)
def test_a_label_alone_is_quoted_with_the_value_under_it(app: Aizoomdoc, tmp_path: Path) -> None:
    """On a drawing a label and its value are often two blocks: the value is quoted after the
    label, as the crop shows them together; a line that holds its value gets nothing added."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=1191, height=842)
    page.insert_text((60, 200), "LOT COVERAGE 35 PERCENT", fontsize=10)
    page.insert_text((60, 240), "EXTENT OF DEMOLITION:", fontsize=10)
    page.insert_text((60, 262), "1) REMOVE SHED 2) REMOVE FENCE", fontsize=10)
    page.insert_text((60, 600), "PROJECT REMARKS: " + " ".join(f"REMARK {i} CHECK ON SITE." for i in range(12)), fontsize=8)
    path = tmp_path / "site.pdf"
    doc.save(path)
    assert app.ingest(path).status == "ok"
    for question, first in [("What is the extent of demolition?", "EXTENT OF DEMOLITION: → 1) REMOVE SHED 2) REMOVE FENCE"),
                            ("What is the lot coverage?", "LOT COVERAGE 35 PERCENT")]:
        done = [e for e in app.ask(question, offline=True) if isinstance(e, AnswerDone)][0].result
        assert quoted(done.answer)[0] == first
        assert done.citations[0]["marker"] == "B1" and done.images


def test_a_printed_label_with_a_slash_is_kept_whole() -> None:
    block = TitleBlock(sheet_code="E-2", fields={"MAKE / MODEL": "ACME 100"})
    text, _ = answer("что в штампе?", [hit(block.as_text(), kind="title_block", block="p1-title")], language="ru")
    assert quoted(text)[0] == "Шифр: E-2; MAKE / MODEL: ACME 100"  # no field named: all, in order


def test_the_answering_line_comes_first_and_a_document_is_named_once() -> None:
    first = hit("PUMP P-3: GRUNDFOS CR 10-4, 4 KW", block="p1-b1", sheet_code="M-1")
    second = hit("PUMP P-3 FEEDS THE CHILLED WATER LOOP", block="p2-b1", page=2, sheet_code="M-2")
    text, _ = answer("which pump is P-3?", [first, second])
    lines = text.splitlines()
    assert lines[0] == "- «PUMP P-3: GRUNDFOS CR 10-4, 4 KW» — set.pdf, sheet M-1, page 1 [B1]"  # no preamble before it
    assert lines[1] == "- «PUMP P-3 FEEDS THE CHILLED WATER LOOP» — sheet M-2, page 2 [B2]"  # same document: not named again
    assert lines[-1] == "No model was asked: these are quotes of the best matches in the documents."


def test_a_long_line_is_quoted_where_most_of_the_question_is() -> None:
    # "pipe" is on every line; "insulation" and "wool" only far into the note
    words = " ".join(f"pipe{i:03d}" for i in range(60))
    note = f"pipes shall be {words} and the pipe insulation is mineral wool 50 mm thick"
    lines = [note, *(f"pipe run {i} see plan" for i in range(6))]
    (quote, *_) = quoted(answer("what insulation is on the pipes, mineral wool?", [hit("\n".join(lines))])[0])
    assert "pipe insulation is mineral wool 50 mm" in quote and quote.startswith("… ")


def log_pdf(path: Path) -> tuple[Path, list[float]]:
    """A log sheet: a layer's name, its depth and its description are three blocks of one row, the
    description far right of the name (as a borehole log or a schedule lays them out)."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=1191, height=842)
    rows = [("Moraine", "12.50", "SILT, olive grey, scattered gravel"), ("Molasse", "48.00", "SANDSTONE, fine, grey")]
    for column, x in enumerate((60, 300, 380)):  # written column by column: each cell a block of its own
        for i, row in enumerate(rows):
            page.insert_text((x, 300 + 40 * i), row[column], fontsize=6)
    (description,) = page.search_for("SILT, olive grey, scattered gravel")
    doc.save(path)
    return path, [description.x0 / 1191, description.y0 / 842, description.x1 / 1191, description.y1 / 842]


@pytest.mark.parametrize("settings", ["local"], indirect=True)
def test_a_label_s_row_is_quoted_and_shown_to_its_last_cell(app: Aizoomdoc, tmp_path: Path) -> None:
    path, cell = log_pdf(tmp_path / "log.pdf")
    assert app.ingest(path).status == "ok"
    done = [e for e in app.ask("How is the moraine described?", offline=True) if isinstance(e, AnswerDone)][0].result
    assert quoted(done.answer)[0] == "Moraine → 12.50 | SILT, olive grey, scattered gravel"
    crop = next(i for i in done.images if i["kind"] == "zoom_crop")  # the first crop holds the quoted row, legibly
    assert crop["bbox"][0] <= cell[0] and crop["bbox"][1] <= cell[1] and crop["bbox"][2] >= cell[2] and crop["bbox"][3] >= cell[3]
    assert 6 * crop["scale"] >= 16 and crop["width"] * crop["height"] <= 4_000_000


def test_a_long_line_that_ends_on_its_label_is_read_on_into_the_next_line() -> None:
    opening = " ".join(f"clause{i:03d}" for i in range(40))
    notes = "\n".join([f"{opening} the drawings were issued under:", "Permit No. 77-4410 of 3 May 2021", "General notes follow."])
    (quote,) = quoted(answer("under which permit were the drawings issued?", [hit(notes)])[0])
    assert quote.startswith("… ") and "issued under: Permit No. 77-4410 of 3 May 2021" in quote


def test_a_long_row_is_cut_cell_by_cell_so_its_short_cells_show() -> None:
    table = "\n".join([
        "No. | Change | Where | Note | Agreed",
        "14 | Parapet flashing changed to zinc-coated steel on all roofs of the annexes | annexes | see detail 4 | 12.08.2025",
        "15 | Expanded clay gravel replaced by expanded clay concrete in every roof build-up of the annexes and the podium"
        " | all roofs of the annexes | gravel replaced by concrete of 1200 kg/m3 density on every roof | 02.09.2025",
    ])
    (quote,) = quoted(answer("when was the expanded clay gravel replaced by concrete?", [hit(table, kind="table")])[0])
    assert quote.startswith("No. | Change | Where | Note | Agreed — 15 | Expanded clay") and quote.endswith("| 02.09.2025")
    assert len(quote) <= ITEM_CHARS + 5



def test_a_table_whose_title_matched_is_quoted_by_the_row_that_holds_the_rest() -> None:
    table = "\n".join([
        "List of the main drawing sets",
        "Code | Title | Note",
        "77-AR1 | Architecture. Floor plans | -",
        "77-FS | Architecture. Facades of the annexes | -",
        "77-KR | Structures. Roofs | -",
    ])
    (quote,) = quoted(answer("what is the code of the facades set in the list of main drawing sets?", [hit(table, kind="table")])[0])
    assert quote == "Code | Title | Note — 77-FS | Architecture. Facades of the annexes | -"


def equipment_schedule(path: Path) -> tuple[Path, dict[str, list[float]]]:
    """A drawn schedule: a title, a header row and rows of cells side by side (each row one block,
    its cells its lines), a blank row between two groups; returns the PDF and the normalized bbox
    of each row's make/model cell by its tag."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=2592, height=1728)
    page.insert_text((60, 300), "EQUIPMENT SCHEDULE", fontsize=14)
    rows = [("TAG", "ITEM", "SIZE", "MAKE / MODEL", "NOTE"), ("E-01", "WASHER", "27x30", "LG WM3400", "-"),
            ("E-02", "DRYER", "27x30", "LG DLE3400", "ELECTRIC"), None,
            ("E-05", "WATER SOFTENER", "12x48", "CULLIGAN HE-1.5", "SALT"), ("E-06", "SUMP PUMP", "1/3 HP", "ZOELLER M53", "-")]
    cells = {}
    for i, row in enumerate(rows):
        for x, cell in zip((60, 160, 400, 600, 800), row or ()):
            page.insert_text((x, 330 + 14 * i), cell, fontsize=6)
        if row and row[0] != "TAG":
            (box,) = page.search_for(row[3])
            cells[row[0]] = [box.x0 / 2592, box.y0 / 1728, box.x1 / 2592, box.y1 / 1728]
    doc.save(path)
    return path, cells


def inside(image: dict[str, Any], bbox: list[float]) -> bool:
    box = image["bbox"]
    return box[0] <= bbox[0] and box[1] <= bbox[1] and box[2] >= bbox[2] and box[3] >= bbox[3]


@pytest.mark.parametrize("settings", ["local"], indirect=True)
def test_a_schedule_row_under_the_heading_that_matched_is_quoted_and_shown(app: Aizoomdoc, tmp_path: Path) -> None:
    # "schedule" meets the title, "make" and "model" the header, "sump pump" only the last row,
    # which is no block near the title: the row is read from the page, quoted after its header,
    # and the first crop is made around it.
    path, cells = equipment_schedule(tmp_path / "schedule.pdf")
    assert app.ingest(path).status == "ok"
    done = [e for e in app.ask("What make and model is the sump pump in the schedule?", offline=True)
            if isinstance(e, AnswerDone)][0].result
    assert quoted(done.answer)[0] == "TAG / ITEM / SIZE / MAKE / MODEL / NOTE — E-06 / SUMP PUMP / 1/3 HP / ZOELLER M53 / -"
    crop = next(i for i in done.images if i["kind"] == "zoom_crop")
    assert inside(crop, cells["E-06"]) and 6 * crop["scale"] >= 16


@pytest.mark.parametrize("settings", ["local"], indirect=True)
def test_a_row_the_question_names_by_its_tag_is_quoted_after_its_header(app: Aizoomdoc, tmp_path: Path) -> None:
    path, cells = equipment_schedule(tmp_path / "schedule.pdf")
    assert app.ingest(path).status == "ok"
    done = [e for e in app.ask("What is E-05?", offline=True) if isinstance(e, AnswerDone)][0].result
    assert quoted(done.answer)[0] == "TAG / ITEM / SIZE / MAKE / MODEL / NOTE — E-05 / WATER SOFTENER / 12x48 / CULLIGAN HE-1.5 / SALT"
    crop = next(i for i in done.images if i["kind"] == "zoom_crop")
    assert inside(crop, cells["E-05"]) and 6 * crop["scale"] >= 16


@pytest.mark.parametrize("settings", ["local"], indirect=True)
def test_a_designator_s_rating_printed_tight_under_it_is_its_value(app: Aizoomdoc, tmp_path: Path) -> None:
    # On a schematic the rating overlaps the designator's line a little; the next designator
    # further down is not its value.
    labels = [(200, 300, "Q1", 10), (600, 100, "POWER CIRCUIT 400V", 10), (200, 330, "XT1", 10), (199, 306, "25A", 7)]
    done = asked_of_sheet(app, tmp_path / "schematic.pdf", labels, "What current is breaker Q1 rated for?")
    assert quoted(done.answer)[0] == "Q1 → 25A"


def test_a_question_in_one_language_quotes_the_line_of_a_sheet_in_the_other() -> None:
    # No word of the question is printed on the sheet: its translations are (glossary).
    notes = "\n".join([
        "1. Плату изготовить комбинированным методом", "2. Класс точности 3 по ГОСТ Р 53429-2009",
        "3. Шаг координатной сетки 0,5 мм", "4. Минимальная ширина проводника 0,25 мм",
        "5. Нанести маску по ГОСТ Р 54849-2011", "6. Маркировку выполнить краской белой",
        "7. Открытые участки залудить припоем ПОС-40 ГОСТ 21931-76", "8. Остальные требования по ГОСТ 23752-79",
    ])
    (quote, *_) = quoted(answer("What solder are the exposed pads tinned with?", [hit(notes)])[0])
    assert "припоем ПОС-40" in quote
    for question, language, first in [("Who drew the sheet?", "en", "Drawn by: Сидоров"),
                                      ("кто разработчик?", "ru", "Разраб.: Сидоров"),
                                      ("what scale is it?", "en", "Scale: 1:100")]:
        assert quoted(answer(question, [title_block_hit()], language=language)[0])[0].startswith(first)


@pytest.mark.parametrize("settings", ["local"], indirect=True)
def test_a_value_that_repeats_a_word_of_its_label_is_still_its_value(app: Aizoomdoc, tmp_path: Path) -> None:
    # "TYPE V ..." shares "type" with its label but says more; the label repeated is no value.
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=1191, height=842)
    page.insert_text((60, 240), "CONSTRUCTION TYPE", fontsize=10)
    page.insert_text((60, 262), "TYPE V - WOOD FRAME", fontsize=10)
    page.insert_text((600, 240), "FIXTURE SCHEDULE", fontsize=10)
    page.insert_text((600, 262), "FIXTURE SCHEDULE", fontsize=10)
    page.insert_text((600, 290), "SEE SHEET P-1", fontsize=10)
    doc.save(tmp_path / "info.pdf")
    assert app.ingest(tmp_path / "info.pdf").status == "ok"
    for question, first in [("What is the construction type?", "CONSTRUCTION TYPE → TYPE V - WOOD FRAME"),
                            ("Where is the fixture schedule?", "FIXTURE SCHEDULE → SEE SHEET P-1")]:
        done = [e for e in app.ask(question, offline=True) if isinstance(e, AnswerDone)][0].result
        assert quoted(done.answer)[0] == first


def test_a_table_that_goes_on_from_the_page_before_gives_its_row_the_whole_quote() -> None:
    # The block starts with a numbered row, not a header: quoting it as one would cut the date off.
    table = "\n".join([
        "11 | Parapet flashing changed to zinc-coated steel on all roofs of the annexes | annexes | was copper",
        "12 | Expanded clay gravel replaced by expanded clay concrete in every roof type | all roofs | gravel"
        " | agreed by letter of 02.09.2025 No. 01/02-5721",
    ])
    (quote,) = quoted(answer("when was the expanded clay gravel replaced by concrete?", [hit(table, kind="table")])[0])
    assert quote.startswith("12 | Expanded clay") and "02.09.2025" in quote and "Parapet" not in quote


@pytest.mark.parametrize("settings", ["local"], indirect=True)
def test_a_follow_up_is_quoted_by_the_subject_of_the_question_before(app: Aizoomdoc, tmp_path: Path) -> None:
    # "Which make and model?" names only the header's words; the turn before named the row.
    path, cells = equipment_schedule(tmp_path / "schedule.pdf")
    assert app.ingest(path).status == "ok"
    chat = app.create_chat().id
    list(app.ask("What is the water softener in the schedule?", chat_id=chat, offline=True))
    done = [e for e in app.ask("Which make and model?", chat_id=chat, offline=True) if isinstance(e, AnswerDone)][0].result
    assert "E-05 / WATER SOFTENER / 12x48 / CULLIGAN HE-1.5" in quoted(done.answer)[0]
    crop = next(i for i in done.images if i["kind"] == "zoom_crop")
    assert inside(crop, cells["E-05"]) and 6 * crop["scale"] >= 16


@pytest.mark.parametrize("settings", ["local"], indirect=True)
def test_a_quantity_asked_by_name_is_quoted_from_the_value_printed_in_its_unit(app: Aizoomdoc, tmp_path: Path) -> None:
    # The sheet prints "380V" by the feeder, never the word "voltage": no search hit holds it.
    labels = [(100, 100, "POWER SUPPLY CIRCUIT", 10), (900, 700, "380V", 8), (100, 400, "CONTROL CIRCUIT", 10),
              (600, 400, "KM1", 8)]
    done = asked_of_sheet(app, tmp_path / "feeder.pdf", labels, "What voltage is the power supply circuit?")
    assert "380V" in quoted(done.answer)[:2]
