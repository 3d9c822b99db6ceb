"""A set's drawing list checked against its sheets, as a reviewer checks a set's completeness:
the list read from the cover (a drawing's text layer) or from an OCR'd table, the sheets from their
title blocks, and every disagreement named, nothing guessed."""

from __future__ import annotations

import json
from pathlib import Path

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.models import BlockRecord, PageInfo
from aizoomdoc_core.sheet_index import DISAGREEMENT, check, drawing_list
from tests.conftest import CORPUS
from tests.test_cli import as_json, cli


def block(page: int, text: str, bbox: list[float]) -> BlockRecord:
    return BlockRecord(0, "d", "set.pdf", page, f"p{page}-{text[:8]}", "text", text, bbox, "", 0, None, None)


def sheet(number: int, code: str | None, title: str | None = None, sheet_number: str | None = None) -> PageInfo:
    title_block = {k: v for k, v in {"sheet_title": title, "sheet_number": sheet_number}.items() if v}
    return PageInfo("d", number, 2384, 1684, 0, True, code, title, {"title_block": title_block} if title_block else {})


COVER = [
    block(1, "DRAWING INDEX", [0.70, 0.20, 0.85, 0.22]),
    block(1, "T-1\nTITLE SHEET", [0.70, 0.25, 0.78, 0.26]),
    block(1, "A-101 FLOOR PLAN", [0.70, 0.27, 0.80, 0.28]),
    block(1, "A 102 ROOF PLAN\nA-103 ELEVATIONS", [0.70, 0.29, 0.80, 0.31]),
    block(1, "A-104 DETAILS", [0.70, 0.32, 0.80, 0.33]),
    # another column, and far under the list: sheets named in notes are not listed sheets
    block(1, "SEE SHEET A-201 FOR SECTIONS", [0.10, 0.28, 0.40, 0.29]),
    block(1, "A-301 NOT IN THE LIST", [0.70, 0.60, 0.80, 0.61]),
]


def test_missing_unlisted_and_retitled_sheets_are_each_named() -> None:
    pages = [sheet(1, "T-1", "TITLE SHEET"), sheet(2, "A101", "Floor plan"), sheet(3, "A-103", "EXTERIOR ELEVATIONS"),
             sheet(4, "A-104", "DETAILS"), sheet(5, "A-105", "SCHEDULES")]
    checked = check("d", "set.pdf", pages, COVER)
    rows = {row.code: row for row in checked.rows}
    assert checked.index_pages == [1]
    assert {code: row.status for code, row in rows.items()} == {
        "T-1": "listed", "A-101": "listed",  # "A-101" on the list is the sheet stamped "A101", case aside
        "A 102": "missing", "A-103": "title differs", "A-104": "listed", "A-105": "not listed",
    }
    assert (rows["A-103"].listed_title, rows["A-103"].sheet_title, rows["A-103"].page) == ("ELEVATIONS", "EXTERIOR ELEVATIONS", 3)
    assert checked.counts() == {"listed": 3, "missing": 1, "title differs": 1, "not listed": 1}


def test_a_sheet_whose_stamp_was_not_read_is_not_found_never_missing() -> None:
    pages = [sheet(1, "T-1", "TITLE SHEET"), sheet(2, None), sheet(3, None, "ROOF PLAN")]
    rows = {row.code: row for row in check("d", "set.pdf", pages, COVER).rows}
    assert rows["A-101"].status == "not found"  # page 2 may be it: its title block named no sheet
    assert (rows["A 102"].status, rows["A 102"].page) == ("listed", 3)  # its stamp had the title alone


def test_an_ocr_table_of_a_russian_set_is_read_by_sheet_number_and_its_notes_are_not() -> None:
    page = [0.0, 0.0, 1.0, 1.0]  # an OCR'd page's blocks each span the page
    blocks = [
        block(1, "Ведомость рабочих чертежей основного комплекта\n№ Листа | Наименование | Примечание\n"
                 "1 | Общие данные |\n2 | План кровли | Изм.1\nЛист 3. Узлы кровли | 5", page),
        block(1, "Общие указания\n1 | Проект разработан на основании задания |", page),
    ]
    assert [(e.code, e.title) for e in drawing_list(blocks)] == [("1", "Общие данные"), ("2", "План кровли"), ("3", "Узлы кровли")]
    code = "95/24-ГК-АР"  # the set's code on every sheet: sheets are told apart by their number
    pages = [sheet(1, code), sheet(2, code), sheet(3, code, "Жилой дом. Общие данные", "1"),
             sheet(4, code, "Жилой дом. План кровли", "2")]
    checked = check("d", "АР.pdf", pages, blocks)
    assert [(r.code, r.status, r.page) for r in checked.rows] == [("1", "listed", 3), ("2", "listed", 4), ("3", "missing", None)]


def test_a_revision_the_list_and_the_sheet_disagree_on_is_named() -> None:
    """The list's revision column ("REV", or «Изм.2» in a note) against the title block's: a sheet
    revised since the list was made is named, and a side that says nothing disagrees with nothing."""
    page = [0.0, 0.0, 1.0, 1.0]
    blocks = [block(1, "SHEET INDEX\nSHEET | TITLE | REV\nA-101 | FLOOR PLAN | 2\nA-102 | ROOF PLAN | B\n"
                       "A-103 | SECTIONS |", page),
              block(2, "Ведомость рабочих чертежей\nЛист | Наименование | Примечание\n1 | Общие данные | Изм.2", page)]

    def revised(number: int, code: str, title: str, revision: str | None, sheet_number: str | None = None) -> PageInfo:
        fields = {"revision": revision} if revision else {}
        stamp = {"sheet_title": title, "fields": fields, **({"sheet_number": sheet_number} if sheet_number else {})}
        return PageInfo("d", number, 2384, 1684, 0, True, code, title, {"title_block": stamp})

    english = check("d", "set.pdf", [revised(1, "A-101", "FLOOR PLAN", "REV 1"), revised(2, "A-102", "ROOF PLAN", "B"),
                                     revised(3, "A-103", "SECTIONS", "4")], blocks[:1])
    assert [(r.code, r.status, r.listed_revision, r.revision) for r in english.rows] == [
        ("A-101", "revision differs", "2", "REV 1"), ("A-102", "listed", "B", "B"), ("A-103", "listed", None, "4")]
    russian = check("d", "АР.pdf", [revised(1, "12/34-АР", "Общие данные", "1", "1"),
                                    revised(2, "12/34-АР", "План", None, "2")], blocks[1:])
    assert [(r.code, r.status, r.listed_revision) for r in russian.rows][0] == ("1", "revision differs", "Изм.2")
    assert "revision differs" in DISAGREEMENT


def test_a_set_without_a_list_is_not_checked() -> None:
    checked = check("d", "one.pdf", [sheet(1, "E-1", "POWER PLAN")], [block(1, "POWER PLAN", [0.1, 0.1, 0.3, 0.12])])
    assert checked.index_pages == [] and [(r.code, r.status) for r in checked.rows] == [("E-1", "not checked")]


def test_sheets_json_on_a_real_set_names_the_sheets_its_cover_titles_otherwise(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app = Aizoomdoc.open(Settings.load(data_dir=data, environ={}, dotenv_path=None))
    result = app.ingest(CORPUS / "A" / "A02_virginia_farmhouse_set_brotli.pdf")
    app.close()
    assert result.document_id
    shown = cli("--data-dir", str(data), "sheets", result.document_id, "--json", cwd=tmp_path)
    assert shown.returncode == 1, shown.stderr  # the list and the sheets disagree
    checked = as_json(shown)
    assert checked["index_pages"] == [1] and len(checked["rows"]) == 25
    assert not {r["status"] for r in checked["rows"]} & {"missing", "not listed", "not found"}
    differs = {r["code"]: (r["listed_title"], r["sheet_title"]) for r in checked["rows"] if r["status"] == "title differs"}
    assert differs["A0.2"] == ("GENERAL NOTES", "PROJECT NOTES")
    text = cli("--data-dir", str(data), "sheets", result.document_id, cwd=tmp_path)
    assert "title differs A0.2" in " ".join(text.stdout.split()) and text.returncode == 1
    unknown = cli("--data-dir", str(data), "sheets", "00000000-0000-0000-0000-000000000000", "--json", cwd=tmp_path)
    assert unknown.returncode == 1 and "error" in json.loads(unknown.stdout)


def test_the_list_ends_where_the_sheet_goes_on_with_something_else() -> None:
    """On a cover, design data often sits right under the list: its "50 psf" is no sheet 50,
    however close it comes (a re-export on a taller sheet brings it closer)."""
    blocks = [*COVER[:5],
              block(1, "DESIGN LOADS", [0.70, 0.345, 0.80, 0.35]),
              block(1, "FLOOR LIVE\n50 psf\nE SITE CLASS", [0.70, 0.355, 0.80, 0.37])]
    assert [e.code for e in drawing_list(blocks)] == ["T-1", "A-101", "A 102", "A-103", "A-104"]
    numbers = [block(1, "DRAWING LIST", [0.7, 0.2, 0.8, 0.21]), block(1, "1 COVER\n2 PLAN\nA-7 NOTES", [0.7, 0.22, 0.8, 0.25])]
    assert [e.code for e in drawing_list(numbers)] == ["1", "2"]  # one form: numbers, then a code is not this list's


def test_the_answer_about_the_set_names_a_revision_that_disagrees() -> None:
    from aizoomdoc_core.agent.evidence import Evidence
    from aizoomdoc_core.agent.sheets import Checked, sheets_answer
    from aizoomdoc_core.agent.texts import texts_for
    from aizoomdoc_core.sheet_index import SheetCheck, SheetRow

    checked = SheetCheck("d", "set.pdf", [1], [SheetRow("A-101", "revision differs", "FLOOR PLAN", "FLOOR PLAN", 2, "1", "2"),
                                                SheetRow("A-102", "listed", "ROOF PLAN", "ROOF PLAN", 3)])
    shown = Evidence(None, None, None)  # type: ignore[arg-type]  # the answer reads neither the chat nor the library
    for language, said in [("en", "A-101 revision «2» in the list, «1» on the sheet (page 2)"),
                           ("ru", "A-101 изм. «2» в ведомости, «1» на листе (стр. 2)")]:
        text, _ = sheets_answer(texts_for(language), [Checked(checked, [])], shown)
        assert said in text
