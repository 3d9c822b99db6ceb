"""Title block reading: corpus sheets against what their rendered images show, and synthetic sheets.

Expected values were read off the rendered title blocks by eye. The synthetic sheets pin the GOST
and English layouts without the corpus, upright and on a page stored with /Rotate 90.
"""

from __future__ import annotations

import time

import pymupdf
import pytest

from aizoomdoc_core.ingest.extracted import TitleBlock
from aizoomdoc_core.ingest.geometry import Word, page_words
from aizoomdoc_core.ingest.title_block import extract_title_block
from tests.conftest import CORPUS

MM = 72 / 25.4


def _corpus(name: str, page: int) -> TitleBlock:
    path = next(CORPUS.glob(f"[AC]/{name}_*.pdf"))
    with pymupdf.open(path) as doc:
        return extract_title_block(page_words(doc[page - 1]))


def _core(block: TitleBlock) -> tuple[str | None, str | None, str | None, str | None]:
    return block.sheet_code, block.sheet_number, block.sheet_title, block.stage


# --- corpus -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "page", "core", "fields"),
    [
        # A01: bottom strip; the sheet number sits unlabelled in the corner cell
        ("A01", 1, ("T-1", None, "TITLE SHEET", None), {
            "drawn_by": "NS / EVE", "checked_by": "BB / CEK", "job_number": "10347",
            "date": "02/15/2018", "start_date": "01/03/2018",
            "project": "PISMO PRESERVE LAND CONSERVANCY of SLO San Luis Obispo County, CA",
            "client": "LAND CONSERVANCY of SLO San Luis Obispo County, CA",
        }),
        ("A01", 3, ("A-1", None, "FLOOR PLAN, STRUCTURAL DESIGN & DOOR SCHEDULES", None), {}),
        # A02: right-hand strip, SHEET TITLE and SHEET NO. with the value under the label
        ("A02", 1, ("A0.0", None, "COVER PAGE", None), {"date": "02-15-15"}),
        ("A02", 6, ("A1.2", None, "1ST FLOOR PLAN", None), {"date": "02-15-15"}),
        ("A02", 24, ("A4.3", None, "DOORS & WINDOWS", None), {}),
        # A03: «Drawing Number» cell holds «A001.01 – SITE PLAN»; Date and Client cells are empty
        ("A03", 1, ("A001.01", None, "SFD RENOVATION AND ADDITION", None),
         {"drawing_name": "SITE PLAN", "scale": "1'=1/8\""}),
        # A04: EPLAN block; «No.6 Page» and «Total 85 page» carry the sheet's place in the set
        ("A04", 6, ("PCR 2-1/1420", "6", "Tread baking lamp and Ultrasonic Cutter", None),
         {"scale": "1:18", "sheets_total": "85", "revision": "V1"}),
        # ... and the same block drawn turned by 90° along the right edge
        ("A04", 22, ("PCR 2-1/1420", "22", "Main electric cabinet, input 01_84", None),
         {"scale": "1:18", "sheets_total": "85", "revision": "V1"}),
        # A05: Chinese GB block; the «名称» (name) cell holds the part number, «图号» is empty
        ("A05", 1, ("JXS-03-01", "1", None, None),
         {"scale": "1:1", "material": "6061", "sheets_total": "1", "quantity": "1"}),
        # C02: ESKD form 2 (text document), then form 2a on the second sheet
        ("C02", 1, ("МГТУ.436421.001ПЭ3", "1", "Импульсный модулятор Перечень элементов", None), {
            "sheets_total": "2", "format": "A4", "drawn_by": "Баранов Д.С.", "checked_by": "Родин М.В.",
            "norm_control": "Родин М.В.", "organization": "МГТУ им.Н.Э.Баумана Кафедра РЛ1",
        }),
        ("C02", 2, ("МГТУ.436421.001ПЭ3", "2", None, None), {"format": "A4"}),
        # C03: single-sheet specification: «Лист» is left empty, «Листов» is 1
        ("C03", 1, ("МГТУ.436421.001", None, "Импульсный модулятор", None), {
            "sheets_total": "1", "format": "A4", "drawn_by": "Баранов Д.С.", "checked_by": "Родин М.В.",
            "norm_control": "Родин М.В.", "organization": "МГТУ им.Н.Э.Баумана Кафедра РЛ1",
        }),
        # C04: the note above the stamp cites МГТУ.436421.001ПЭ3. — not this sheet's code
        ("C04", 1, ("МГТУ.436421.001Э3", "1", "Импульсный модулятор Схема электрическая принципиальная", None), {
            "sheets_total": "1", "format": "А3", "drawn_by": "Баранов Д.С.", "checked_by": "Родин М.В.",
            "norm_control": "Родин М.В.", "organization": "МГТУ им. Н.Э. Баумана Кафедра РЛ1",
        }),
        # C05: ESKD form 1 with the material cell; its notes are in the text layer twice
        ("C05", 1, ("СМ7.18.00.01", None, "Плата печатная", None), {
            "sheets_total": "1", "scale": "1:1", "format": "A3", "drawn_by": "Умрихин Н. Р.",
            "checked_by": "Бошляков А.А.", "material": "Стеклотекстолит фольгированный FR-4 ГОСТ 26246.5-89",
            "organization": "МГТУ им. Н.Э.Баумана Кафедра СМ7 Группа СМ7-72",
        }),
    ],
)  # fmt: skip
def test_corpus_sheet(name: str, page: int, core: tuple, fields: dict[str, str]) -> None:
    block = _corpus(name, page)
    assert _core(block) == core
    assert fields.items() <= block.fields.items()
    assert block.bbox is not None and block.bbox[2] > 0.5


def test_gost_and_english_sheets_give_their_whole_stamp() -> None:
    """Nothing else is read from these stamps: no stray field from the drawing or a neighbour cell."""
    assert set(_corpus("C02", 1).fields) == {
        "sheets_total", "format", "drawn_by", "checked_by", "norm_control", "organization",
    }
    assert set(_corpus("A02", 6).fields) == {"date"}


def test_view_scales_and_schedules_on_the_drawing_are_not_the_title_block() -> None:
    """A01 p3 has «SCALE: 1/2"=1'-0"» view titles just above its title strip, A02 p24 a door schedule
    headed «MATERIAL» level with the strip's «SHEET TITLE»."""
    assert "scale" not in _corpus("A01", 3).fields
    assert not {"scale", "material"} & set(_corpus("A02", 24).fields)


def test_vertical_block_bbox_is_on_the_right_edge() -> None:
    x0, y0, x1, y1 = _corpus("A04", 22).bbox or [0, 0, 0, 0]
    assert x0 > 0.75 and x1 < 0.9 and 0.15 < y0 < y1 < 0.65


def test_blank_kompas_stamp_gives_no_values() -> None:
    """C01's stamp has labels only; KOMPAS prints the scale, the sheet count and the format itself."""
    block = _corpus("C01", 1)
    assert _core(block) == (None, None, None, None)
    assert block.fields == {"scale": "1:1", "sheets_total": "1", "format": "A4"}


def test_stamp_drawn_as_strokes_gives_a_near_empty_block() -> None:
    """C06's stamp values are SHX strokes; only frame labels and «Формат А3» are text."""
    block = _corpus("C06", 1)
    assert _core(block) == (None, None, None, None)
    assert block.fields == {"format": "А3"}


def test_sheets_without_a_labelled_block_give_little_or_nothing() -> None:
    assert _corpus("A06", 1) == TitleBlock()  # a survey plan with no title block at all
    a07 = _corpus("A07", 1)  # a report appendix: only «DAT.: Feb. 2021» is labelled
    assert _core(a07) == (None, None, None, None)
    assert a07.fields == {"date": "Feb. 2021"}


def test_every_eplan_page_is_read_fast() -> None:
    with pymupdf.open(CORPUS / "A" / "A04_eplan_tire_machine_schematics.pdf") as doc:
        pages = [page_words(page) for page in doc]
    started = time.perf_counter()
    blocks = [extract_title_block(words) for words in pages]
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    assert all(block.sheet_code == "PCR 2-1/1420" for block in blocks)
    assert [block.sheet_number for block in blocks[:5]] == ["1", "2", "3", "4", "5"]
    assert all(block.sheet_number for block in blocks)


# --- synthetic sheets ---------------------------------------------------------------------------

_FONT = pymupdf.Font("cjk")  # built into PyMuPDF; has the Cyrillic glyphs Base-14 fonts lack
_Texts = list[tuple[float, float, float, str]]  # (x, y, font size, text)

# (x, y) in mm from the stamp's top-left corner to the text's baseline start; font size in points.
_ESKD_FORM_1: _Texts = [
    (0.5, 24, 8, "Изм."), (7.5, 24, 8, "Лист"), (18, 24, 8, "№ докум."), (41, 24, 8, "Подп."), (56, 24, 8, "Дата"),
    (0.5, 29, 8, "Разраб."), (17.5, 29, 8, "Петров"), (0.5, 34, 8, "Пров."), (17.5, 34, 8, "Сидоров"),
    (0.5, 39, 8, "Т.контр."), (0.5, 49, 8, "Н.контр."), (17.5, 49, 8, "Кузнецова"),
    (0.5, 54, 8, "Утв."), (17.5, 54, 8, "Иванов"),
    (72, 11, 16, "АБВГ.301412.005"), (80, 30, 14, "Корпус"), (70, 49, 10, "Сталь 45 ГОСТ 1050-2013"),
    (137, 19, 8, "Лит."), (152, 19, 8, "Масса"), (168, 19, 8, "Масштаб"),
    (136.5, 29, 9, "О1"), (155, 29, 9, "2,5"), (172, 29, 9, "1:2"),
    (136, 39, 8, "Лист"), (150, 39, 8, "2"), (161, 39, 8, "Листов"), (178, 39, 8, "3"),
    (142, 48, 10, "ООО «Заря»"),
    (80, 59, 8, "Копировал"), (150, 59, 8, "Формат"), (165, 59, 8, "A3"),
    (10, -20, 10, "1. Размеры для справок. См. АБВГ.301412.004"),  # a note citing another code
]  # fmt: skip
_ESKD_EXPECTED = TitleBlock(
    sheet_code="АБВГ.301412.005", sheet_number="2", sheet_title="Корпус", stage="О1",
    fields={
        "sheets_total": "3", "scale": "1:2", "mass": "2,5", "format": "A3", "drawn_by": "Петров",
        "checked_by": "Сидоров", "norm_control": "Кузнецова", "approved_by": "Иванов",
        "material": "Сталь 45 ГОСТ 1050-2013", "organization": "ООО «Заря»",
    },
)  # fmt: skip

# ГОСТ Р 21.101 form 3: object, building (level with «Стадия | Лист | Листов») and the sheet's images.
_SPDS_FORM_3: _Texts = [
    (0.5, 24, 8, "Изм."), (10.5, 24, 8, "Кол.уч"), (20.5, 24, 8, "Лист"), (30.5, 24, 8, "№ док."),
    (41, 24, 8, "Подп."), (56, 24, 8, "Дата"),
    (0.5, 29, 8, "Разраб."), (20.5, 29, 8, "Петров"), (0.5, 34, 8, "Пров."), (20.5, 34, 8, "Сидоров"),
    (0.5, 39, 8, "ГИП"), (20.5, 39, 8, "Смирнов"), (0.5, 49, 8, "Н.контр."), (20.5, 49, 8, "Кузнецова"),
    (95, 8, 16, "133/23-ГК-АР1"), (70, 18, 10, "Жилой комплекс по ул. Лесной, 5"),
    (70, 31, 10, "Архитектурные решения"), (70, 37, 10, "Подземная часть"),
    (138, 29, 8, "Стадия"), (153, 29, 8, "Лист"), (168, 29, 8, "Листов"),
    (141, 36.5, 9, "Р"), (157, 36.5, 9, "3"), (174, 36.5, 9, "12"),
    (70, 48, 11, "План 1-го этажа"), (142, 48, 10, "ООО «Проект»"),
]  # fmt: skip
_SPDS_EXPECTED = TitleBlock(
    sheet_code="133/23-ГК-АР1", sheet_number="3", sheet_title="План 1-го этажа", stage="Р",
    fields={
        "sheets_total": "12", "drawn_by": "Петров", "checked_by": "Сидоров", "chief_engineer": "Смирнов",
        "norm_control": "Кузнецова", "project": "Жилой комплекс по ул. Лесной, 5",
        "building": "Архитектурные решения Подземная часть", "organization": "ООО «Проект»",
    },
)  # fmt: skip


def _sheet_words(texts: _Texts, width: float, height: float, rotation: int) -> list[Word]:
    """A page seen ``width`` x ``height`` pt carrying ``texts`` upright at (x, y) pt as seen, stored
    with ``/Rotate rotation`` (text is written through the derotation matrix, as a CAD export does)."""
    doc = pymupdf.open()
    page = doc.new_page(width=height, height=width) if rotation % 180 else doc.new_page(width=width, height=height)
    page.set_rotation(rotation)
    page.insert_font(fontname="F0", fontbuffer=_FONT.buffer)
    for x, y, size, text in texts:
        point = pymupdf.Point(x, y) * page.derotation_matrix
        page.insert_text(point, text, fontname="F0", fontsize=size, rotate=rotation)
    return page_words(page)


def _gost_sheet(stamp: _Texts, rotation: int = 0) -> list[Word]:
    """An A3 landscape sheet with the 185 x 55 mm stamp in its frame's bottom-right corner."""
    left, top = 420 - 5 - 185, 297 - 5 - 55
    texts = [((left + x) * MM, (top + y) * MM, size, text) for x, y, size, text in stamp]
    return _sheet_words(texts, 420 * MM, 297 * MM, rotation)


@pytest.mark.parametrize("rotation", [0, 90])
def test_eskd_drawing_stamp(rotation: int) -> None:
    block = extract_title_block(_gost_sheet(_ESKD_FORM_1, rotation))
    assert (_core(block), block.fields) == (_core(_ESKD_EXPECTED), _ESKD_EXPECTED.fields)
    x0, y0, x1, y1 = block.bbox or [0, 0, 0, 0]
    assert 0.54 < x0 < 0.56 and 0.8 < y0 < 0.83 and x1 > 0.96 and y1 > 0.97


@pytest.mark.parametrize("rotation", [0, 90])
def test_construction_stamp(rotation: int) -> None:
    block = extract_title_block(_gost_sheet(_SPDS_FORM_3, rotation))
    assert (_core(block), block.fields) == (_core(_SPDS_EXPECTED), _SPDS_EXPECTED.fields)


def test_gost_stamp_labels_alone_give_no_values() -> None:
    labels_only = [text for text in _ESKD_FORM_1 if text[3] in {"Изм.", "Дата", "Разраб.", "Лист", "Листов", "Масса"}]
    block = extract_title_block(_gost_sheet(labels_only))
    assert block.is_empty() and block.bbox is not None


def test_english_title_block() -> None:
    """A US-style block; a view title's «SCALE: 1:50» and a «DO NOT SCALE» note must not be read."""
    width, height = 1224, 792
    texts = [
        (0.30, 0.80, 12, "FLOOR PLAN"), (0.30, 0.82, 8, "SCALE: 1:50"),
        (0.71, 0.86, 7, "PROJECT:"), (0.72, 0.885, 9, "RIVERSIDE CLINIC EXPANSION"),
        (0.83, 0.86, 7, "SHEET TITLE"), (0.84, 0.885, 9, "SECOND FLOOR PLAN"),
        (0.71, 0.92, 7, "SCALE"), (0.71, 0.94, 8, "1/4\" = 1'-0\""),
        (0.78, 0.92, 7, "DATE"), (0.78, 0.94, 8, "2024-03-15"),
        (0.83, 0.92, 7, "DRAWN BY"), (0.83, 0.94, 8, "J. SMITH"),
        (0.92, 0.86, 7, "DRAWING NO."), (0.92, 0.905, 20, "A-201"), (0.92, 0.94, 8, "SHEET 2 OF 5"),
        (0.71, 0.975, 6, "DO NOT SCALE DRAWINGS"),
    ]  # fmt: skip
    words = _sheet_words([(x * width, y * height, size, text) for x, y, size, text in texts], width, height, 0)
    block = extract_title_block(words)
    assert _core(block) == ("A-201", "2", "SECOND FLOOR PLAN", None)
    assert block.fields == {
        "sheets_total": "5", "project": "RIVERSIDE CLINIC EXPANSION", "scale": "1/4\" = 1'-0\"",
        "date": "2024-03-15", "drawn_by": "J. SMITH",
    }  # fmt: skip


def test_no_words_no_title_block() -> None:
    assert extract_title_block([]) == TitleBlock()
    plain = _sheet_words([(100, 100, 12, "General arrangement, see notes")], 842, 595, 0)
    assert extract_title_block(plain) == TitleBlock()
