"""References between sheets, as a reviewer follows them: "SEE 2/A-102" opens detail 2 on sheet
A-102, «см. лист 3» the sheet numbered 3 (not page 3), and what the set does not hold stays
unresolved with its reason, never guessed.

The sets are generated here, so the ground truth is known: an English set of two sheets (A-101
pointing at A-102's details, A-102 titling them), a Russian set whose sheets carry the set's code
and a sheet number that is not their page number, and a second Russian document it names.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.errors import InvalidInput
from aizoomdoc_core.events import AnswerDone
from aizoomdoc_core.references import Reference
from aizoomdoc_core.search import search as lexical
from aizoomdoc_ui.sheet_viewer import page_links
from aizoomdoc_ui.texts import TABLES
from tests.conftest import CORPUS
from tests.test_cli import as_json, cli

MM = 72 / 25.4
A3 = (420 * MM, 297 * MM)
_FONT = pymupdf.Font("cjk")  # has the Cyrillic glyphs Base-14 fonts lack


def _english_stamp(page: pymupdf.Page, code: str) -> None:
    width, height = A3
    page.draw_rect(pymupdf.Rect(width - 100 * MM, height - 40 * MM, width - 10 * MM, height - 10 * MM), width=1)
    page.insert_text((width - 95 * MM, height - 30 * MM), "SHEET NO.", fontsize=9)
    page.insert_text((width - 95 * MM, height - 18 * MM), code, fontsize=20)


def english_set(path: Path) -> None:
    """A-101 points at A-102; A-102 titles details 2 and 3 (and 4 twice), with bare numbers about."""
    pdf = pymupdf.open()
    first = pdf.new_page(width=A3[0], height=A3[1])
    first.insert_text((40 * MM, 40 * MM), "FLOOR PLAN", fontsize=24)
    first.insert_text((40 * MM, 80 * MM), "WALL TYPE W1 - SEE 2/A-102", fontsize=10)
    first.insert_text((40 * MM, 100 * MM), "SIM. 3/A-102", fontsize=10)
    first.insert_text((40 * MM, 120 * MM), "ROOF EDGE SEE DETAIL 4/A102", fontsize=10)  # two labels 4 there
    first.insert_text((40 * MM, 140 * MM), "SEE 5/A-102", fontsize=10)  # no label 5 there
    first.insert_text((40 * MM, 160 * MM), "FOR SITE WORK SEE SHEET C-900", fontsize=10)  # not in the set
    first.insert_text((40 * MM, 180 * MM), "WIRE 1/H2", fontsize=10)  # a terminal: a bare callout to no sheet
    first.insert_text((200 * MM, 100 * MM), "3", fontsize=10)  # a bubble: detail 3 over sheet A-102
    first.insert_text((198 * MM, 104 * MM), "A-102", fontsize=6)
    _english_stamp(first, "A-101")

    second = pdf.new_page(width=A3[0], height=A3[1])
    second.insert_text((40 * MM, 40 * MM), "DETAILS", fontsize=24)
    for x, y, number, title in [(40, 120, "2", "WALL SECTION"), (40, 150, "3", "STAIR DETAIL"),
                                (40, 220, "4", "ROOF DETAIL"), (200, 220, "4", "ROOF DETAIL AT EAVE")]:
        second.insert_text((x * MM, y * MM), number, fontsize=14)
        second.insert_text(((x + 4) * MM, y * MM), title, fontsize=14)
    second.insert_text((300 * MM, 60 * MM), "2", fontsize=10)  # a grid bubble: a number by no title
    second.insert_text((330 * MM, 60 * MM), "3", fontsize=10)
    _english_stamp(second, "A-102")
    pdf.save(path)


def _russian_sheet(pdf: pymupdf.Document, code: str, number: str, notes: list[str]) -> None:
    """An A3 sheet with notes and a ГОСТ Р 21.101 stamp giving the set's code and the sheet's number."""
    page = pdf.new_page(width=A3[0], height=A3[1])
    page.insert_font(fontname="F0", fontbuffer=_FONT.buffer)
    for row, note in enumerate(notes):
        page.insert_text((30 * MM, (40 + 10 * row) * MM), note, fontname="F0", fontsize=10)
    left, top = 420 - 5 - 185, 297 - 5 - 55
    stamp = [(0.5, 24, 8, "Изм."), (10.5, 24, 8, "Кол.уч"), (20.5, 24, 8, "Лист"), (30.5, 24, 8, "№ док."),
             (41, 24, 8, "Подп."), (56, 24, 8, "Дата"), (0.5, 29, 8, "Разраб."), (20.5, 29, 8, "Петров"),
             (0.5, 34, 8, "Пров."), (20.5, 34, 8, "Сидоров"), (0.5, 39, 8, "ГИП"), (20.5, 39, 8, "Смирнов"),
             (95, 8, 16, code), (70, 18, 10, "Жилой комплекс по ул. Лесной, 5"), (70, 31, 10, "Архитектурные решения"),
             (138, 29, 8, "Стадия"), (153, 29, 8, "Лист"), (168, 29, 8, "Листов"),
             (141, 36.5, 9, "Р"), (157, 36.5, 9, number), (174, 36.5, 9, "3"), (70, 48, 11, "Узлы"),
             (142, 48, 10, "ООО «Проект»")]
    for x, y, size, text in stamp:
        page.insert_text(((left + x) * MM, (top + y) * MM), text, fontname="F0", fontsize=size)


def russian_sets(folder: Path) -> tuple[Path, Path]:
    """The set «95/24-ГК-АР» whose pages 1, 2, 3 are sheets 1, 3, 2, and the set it names."""
    pdf = pymupdf.open()
    _russian_sheet(pdf, "95/24-ГК-АР", "1", ["1. Узлы кровли см. лист 2.", "2. Разрезы см. лист 3.",
                                            "3. Фасады см. лист 7.", "4. Фундаменты см. раздел 95/24-ГК-КЖ.",
                                            "5. Водосток см. раздел 95/24-ГК-ВК.", "6. Выполнить по ГОСТ 21.101-2020."])
    _russian_sheet(pdf, "95/24-ГК-АР", "3", ["Разрез 1-1"])
    _russian_sheet(pdf, "95/24-ГК-АР", "2", ["Узлы кровли"])
    pdf.save(folder / "ar.pdf")
    other = pymupdf.open()
    _russian_sheet(other, "95/24-ГК-КЖ", "1", ["План фундаментов"])
    other.save(folder / "kzh.pdf")
    return folder / "ar.pdf", folder / "kzh.pdf"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Aizoomdoc, dict[str, str]]:
    folder = tmp_path_factory.mktemp("references")
    app = Aizoomdoc.open(Settings.load(data_dir=folder / "data", environ={}, dotenv_path=None))
    english_set(folder / "plans.pdf")
    ids = {}
    for name, path in [("plans", folder / "plans.pdf"), *zip(("ar", "kzh"), russian_sets(folder))]:
        result = app.ingest(path)
        assert result.status == "ok" and result.document_id
        ids[name] = result.document_id
    assert [p.sheet_code for p in app.document_pages(ids["plans"])] == ["A-101", "A-102"]
    assert [p.title_block.get("sheet_number") for p in app.document_pages(ids["ar"])] == ["1", "3", "2"]
    return app, ids


def by_text(references: list[Reference]) -> dict[str, Reference]:
    return {r.text: r for r in references}


def test_a_callout_opens_its_detail_when_exactly_one_label_titles_it(library: tuple[Aizoomdoc, dict[str, str]]) -> None:
    app, ids = library
    found = app.references(ids["plans"], page=1)
    refs = by_text(found.references)
    assert set(refs) == {"SEE 2/A-102", "SIM. 3/A-102", "SEE DETAIL 4/A102", "SEE 5/A-102", "SHEET C-900", "3/A-102"}
    two = refs["SEE 2/A-102"]
    assert (two.kind, two.detail, two.code, two.status) == ("detail", "2", "A-102", "detail")
    assert two.target and (two.target.page, two.target.sheet) == (2, "A-102")
    x0, y0, x1, y1 = two.target.region or [0, 0, 0, 0]  # the label "2" and its title, "WALL SECTION"
    assert 0.08 < x0 < 0.1 and 0.35 < y0 < 0.4 and 0.15 < x1 < 0.3 and y1 < 0.42
    assert refs["SIM. 3/A-102"].status == "detail"
    assert refs["3/A-102"].status == "detail"  # a bubble: its number over its sheet's code
    assert refs["3/A-102"].target == refs["SIM. 3/A-102"].target
    # "A102" is sheet A-102, but two labels title a detail 4 there: the sheet opens, flagged
    four = refs["SEE DETAIL 4/A102"]
    assert (four.status, four.reason, four.target and four.target.page) == ("detail not located", "2 labels 4 on that sheet", 2)
    assert four.target and four.target.region is None
    assert (refs["SEE 5/A-102"].status, refs["SEE 5/A-102"].reason) == ("detail not located", "no label 5 on that sheet")
    outside = refs["SHEET C-900"]
    assert (outside.kind, outside.status, outside.reason, outside.target) == ("sheet", "unresolved", "no sheet C-900 in this document", None)
    line = refs["SEE 2/A-102"].bbox  # the line's box on the sheet, where the words are
    assert 0.08 < line[0] < 0.1 and 0.25 < line[1] < line[3] < 0.28
    # as the model reads them beside the page (view_page) and the CLI prints them
    assert two.described(here=ids["plans"]).startswith("SEE 2/A-102 -> page 2, sheet A-102, region [0.095, ")
    assert four.described(here=ids["plans"]) == ("SEE DETAIL 4/A102 -> page 2, sheet A-102 "
                                                 "(detail 4 not located: 2 labels 4 on that sheet)")
    assert outside.described() == "SHEET C-900 -> unresolved: no sheet C-900 in this document"


def test_the_detail_titles_themselves_point_nowhere(library: tuple[Aizoomdoc, dict[str, str]]) -> None:
    app, ids = library
    assert app.references(ids["plans"], page=2).references == []
    whole = app.references(ids["plans"])
    assert whole.page is None and len(whole.references) == 6
    assert whole.counts() == {"detail": 3, "detail not located": 2, "unresolved": 1}
    with pytest.raises(InvalidInput):
        app.references(ids["plans"], page=3)


def test_a_russian_sheet_number_is_the_stamps_never_the_pages(library: tuple[Aizoomdoc, dict[str, str]]) -> None:
    app, ids = library
    refs = by_text(app.references(ids["ar"], page=1).references)
    assert set(refs) == {"см. лист 2", "см. лист 3", "см. лист 7", "см. раздел 95/24-ГК-КЖ", "см. раздел 95/24-ГК-ВК",
                         "ГОСТ 21.101-2020"}
    sheet_two, sheet_three = refs["см. лист 2"], refs["см. лист 3"]
    assert sheet_two.target and (sheet_two.status, sheet_two.target.page, sheet_two.target.sheet) == ("sheet", 3, "2")
    assert sheet_three.target and sheet_three.target.page == 2  # sheet 3 is the second page
    assert (refs["см. лист 7"].status, refs["см. лист 7"].reason) == ("unresolved", "no sheet numbered 7 in this document")
    document = refs["см. раздел 95/24-ГК-КЖ"]
    assert document.target and (document.kind, document.status, document.target.document_id) == ("document", "document", ids["kzh"])
    assert document.described(here=ids["ar"]) == f"см. раздел 95/24-ГК-КЖ -> document kzh.pdf ({ids['kzh']})"
    assert refs["см. раздел 95/24-ГК-ВК"].reason == "document not in the library"
    standard = refs["ГОСТ 21.101-2020"]
    assert (standard.kind, standard.status, standard.reason) == ("standard", "unresolved", "standard not in the library")


def test_the_viewer_gets_the_references_that_lead_to_a_page_of_the_document(
    library: tuple[Aizoomdoc, dict[str, str]],
) -> None:
    """What the viewer draws as clickable boxes: the resolved references to a page of this document,
    never an unresolved one or another document (a document reference has no page to open)."""
    app, ids = library
    links = {link["text"]: link for link in page_links(app, ids["plans"], 1, 2, TABLES["en"])}
    assert set(links) == {"SEE 2/A-102", "SIM. 3/A-102", "SEE DETAIL 4/A102", "SEE 5/A-102", "3/A-102"}  # not C-900
    two = links["SEE 2/A-102"]
    reference = by_text(app.references(ids["plans"], 1).references)["SEE 2/A-102"]
    assert reference.target and reference.target.region
    assert two == {"bbox": reference.bbox, "text": "SEE 2/A-102", "page": 2, "region": reference.target.region,
                   "sheet": "A-102", "title": "SEE 2/A-102 → sheet A-102"}
    assert links["SEE 5/A-102"]["page"] == 2 and links["SEE 5/A-102"]["region"] is None  # the sheet, at fit
    assert page_links(app, ids["plans"], 2, 2) == []
    assert page_links(app, ids["plans"], 1, 1) == []  # a target page the document does not have: checked, dropped
    russian = page_links(app, ids["ar"], 1, 3, TABLES["ru"])
    assert [(link["text"], link["page"], link["title"]) for link in russian] == [
        ("см. лист 2", 3, "см. лист 2 → лист 2"), ("см. лист 3", 2, "см. лист 3 → лист 3")]


def test_references_json_on_a_real_set_resolves_its_section_markers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app = Aizoomdoc.open(Settings.load(data_dir=data, environ={}, dotenv_path=None))
    result = app.ingest(CORPUS / "A" / "A01_pismo_restroom_drawing_set.pdf")
    app.close()
    assert result.document_id
    shown = cli("--data-dir", str(data), "references", result.document_id, "--page", "3", "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    found = as_json(shown)
    assert found["page"] == 3 and found["counts"].get("unresolved", 0) == 0
    markers = {r["text"]: r for r in found["references"]}
    assert markers["1/A-2"]["status"] == "detail" and markers["1/A-2"]["target"]["page"] == 5  # sheet A-2
    assert markers["1/A-2"]["target"]["region"] is not None
    text = cli("--data-dir", str(data), "references", result.document_id, "--page", "3", cwd=tmp_path)
    assert text.returncode == 0 and "1/A-2" in text.stdout


def test_the_answer_without_a_model_follows_the_callout_it_quotes(library: tuple[Aizoomdoc, dict[str, str]]) -> None:
    """"WALL TYPE W1 - SEE 2/A-102" is answered by detail 2 on A-102 as much as by the callout: the
    answer says where the callout leads and shows both, the detail's crop right after the callout's."""
    app, ids = library
    chat = app.create_chat()
    app.set_chat_scope(chat.id, [ids["plans"]])
    done = [e for e in app.ask("What is wall type W1?", chat_id=chat.id, offline=True) if isinstance(e, AnswerDone)][0]
    lines = done.result.answer.splitlines()
    callout = next(i for i, line in enumerate(lines) if "SEE 2/A-102" in line)
    assert "↳ «SEE 2/A-102»" in lines[callout + 1] and "WALL SECTION" in lines[callout + 1] and "A-102" in lines[callout + 1]
    cited = {(c["page"], c["marker"]) for c in done.result.citations}
    assert any(page == 2 for page, _ in cited)  # the detail's block is cited
    crops = [i for i in done.result.images if i["kind"] == "zoom_crop"]
    pages = [i["page"] for i in crops]
    assert pages[:2] == [1, 2]  # the callout, then where it leads
    detail = next(r for r in app.references(ids["plans"], 1).references if r.text.endswith("2/A-102"))
    assert detail.target and detail.target.region
    region, shown = detail.target.region, crops[1]["bbox"]
    assert shown[0] <= region[0] and shown[1] <= region[1] and region[2] <= shown[2] and region[3] <= shown[3]


def test_a_detail_several_sheets_point_at_rises_among_the_hits(tmp_path: Path) -> None:
    """Three plans send the reviewer to detail 2 on A-102: asked about the parapet, that detail's
    title rises above the plans' own mentions of it; a detail one sheet points at stays put."""
    pdf = pymupdf.open()
    for code, lines in [("A-101", ["PARAPET CAP FLASHING TYP. SEE 2/A-102", "EAVE VENT SEE 3/A-102"]),
                        ("A-103", ["PARAPET CAP FLASHING AT ROOF HATCH SEE 2/A-102"]),
                        ("A-104", ["PARAPET CAP FLASHING AT STAIR SEE 2/A-102"]),
                        ("A-102", [])]:
        page = pdf.new_page(width=A3[0], height=A3[1])
        for row, line in enumerate(lines):
            page.insert_text((40 * MM, (60 + 20 * row) * MM), line, fontsize=10)
        if code == "A-102":
            for y, number, title in [(120, "2", "PARAPET DETAIL"), (200, "3", "EAVE VENT DETAIL")]:
                page.insert_text((40 * MM, y * MM), number, fontsize=14)
                page.insert_text((44 * MM, y * MM), title, fontsize=14)
        _english_stamp(page, code)
    pdf.save(tmp_path / "roof.pdf")
    app = Aizoomdoc.open(Settings.load(data_dir=tmp_path / "data", environ={"AIZOOMDOC_EMBEDDINGS": "off"}, dotenv_path=None))
    try:
        document = app.ingest(tmp_path / "roof.pdf").document_id
        assert document
        counts = {(r.page, r.sheets) for r in app.library.referenced_details(document)}
        assert counts == {(4, 3), (4, 1)}  # detail 2 from three sheets, detail 3 from one
        parapet = app.search("parapet cap flashing detail", top=5, document_ids=[document])
        assert parapet[0].page == 4 and "PARAPET DETAIL" in parapet[0].text
        assert lexical(app.db, "parapet cap flashing detail", top=5, document_ids=[document])[0].page != 4
        vent = app.search("eave vent detail", top=5, document_ids=[document])
        assert [h.page for h in vent] == [h.page for h in lexical(app.db, "eave vent detail", top=5, document_ids=[document])]
    finally:
        app.close()
