"""The earlier OCR pipeline's outputs (corpus C07-C11) as documents: pages, texts, ids, stamps, failures."""

from __future__ import annotations

import json
import random
import re
import time
from functools import lru_cache

import pytest

from aizoomdoc_core.errors import InvalidInput
from aizoomdoc_core.ingest.extracted import FULL_PAGE, ExtractedBlock, ExtractedDocument, ExtractedPage
from aizoomdoc_core.ingest.previous import extract_previous, sniff_previous
from aizoomdoc_core.ingest.previous.html_text import html_to_text
from tests.conftest import CORPUS, ROOT

C07 = "C/C07_ru_133-23-GK-AR1_ocr.md"
C08 = "C/C08_ru_95-24-GK-ST-AR-KRV_ocr.html"
C09 = "C/C09_ru_133-23-GK-KR3_ocr.html"
C10 = "C/C10_ru_133-23-GK-KR3_annotation.json"
C11 = "C/C11_ru_133-23-GK-KR3_result.json"
KINDS = {C07: "markdown", C08: "html", C09: "html", C10: "annotation_json", C11: "result_json"}
HEAD = 64 * 1024  # what ingest.detect sniffs
C09_PAGES = [*range(2, 28), 29]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _data(path: str) -> bytes:
    return (CORPUS / path).read_bytes()


@lru_cache(maxsize=None)
def _doc(path: str) -> ExtractedDocument:
    return extract_previous(KINDS[path], _data(path), path.rsplit("/", 1)[-1])


def _blocks(path: str) -> dict[str, ExtractedBlock]:
    return {block.key: block for page in _doc(path).pages for block in page.blocks}


def _page(path: str, number: int) -> ExtractedPage:
    return next(page for page in _doc(path).pages if page.number == number)


def _pages_with(path: str, needle: str) -> set[int]:
    return {block.page for block in _blocks(path).values() if needle in block.text}


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _check_common(path: str, mime: str) -> None:
    """What every imported document shares: status, mime, pages in order, unique keys, sane bboxes."""
    doc = _doc(path)
    numbers = [page.number for page in doc.pages]
    assert doc.mime == mime and doc.status == "ready" and doc.warnings == []
    assert doc.metadata["page_count"] == len(doc.pages) and doc.metadata["source"] == "previous_pipeline"
    assert numbers == sorted(set(numbers)) and numbers[0] >= 1
    keys = [block.key for page in doc.pages for block in page.blocks]
    assert len(keys) == len(set(keys))
    for page in doc.pages:
        assert page.has_text_layer and page.metadata == {"source": "previous_pipeline"}
        for block in page.blocks:
            x0, y0, x1, y1 = block.bbox
            assert block.page == page.number and 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
            assert block.kind in ("text", "table", "image")
            json.dumps(block.metadata)  # small and JSON-able
            assert "BLOCK:" not in block.text and "&quot;" not in block.text and "  " not in block.text


# --- C07: Markdown with fenced JSON ---------------------------------------------------------------


def test_c07_pages_come_from_fenced_blocks() -> None:
    _check_common(C07, "text/markdown")
    doc = _doc(C07)
    assert [page.number for page in doc.pages] == [*range(6, 16), 19]
    assert doc.metadata["sheet_code"] == "133/23-ГК-АР1"
    assert doc.metadata["title"] == "Архитектурные решения. Маркировочные планы подземной части"
    assert all(page.title_block.is_empty() and page.width_pt == 0 for page in doc.pages)


def test_c07_crops_keep_their_uuid_text_and_page() -> None:
    blocks = _blocks(C07)
    crops = [block for block in blocks.values() if block.kind == "image"]
    assert len(crops) == 170 and all(UUID.fullmatch(block.key) and block.bbox == FULL_PAGE for block in crops)
    plan = blocks["c5ad9e3f-e590-4c6b-a72e-d7f03a5667d0"]
    assert plan.page == 6 and "РП-1 Приямок 800х800х800min(h)" in plan.text
    assert plan.metadata["zone_name"] == "План этажа" and "operator_hint" not in plan.metadata
    assert blocks["553f3d7c-de80-4c6e-9a69-e028d1b09b50"].metadata["operator_hint"] == "Решетка вентиляции"
    assert _pages_with(C07, "Norma Plastik EDN100 C250") == {9}
    assert _pages_with(C07, "Направляющие для тр-ра 1000 кВА") == {19}


def test_c07_text_outside_fences_takes_the_next_fenced_page() -> None:
    blocks = _blocks(C07)
    railing = [block for block in blocks.values() if "Sunsong SNJS-22100" in block.text and block.kind == "table"]
    assert {block.page for block in railing} == {13}  # the railing schedules, with the railing crops
    assert railing[0].metadata["page_inferred"] == "next_fenced_block"
    title = blocks["md-1"]
    assert title.page == 6 and title.text.startswith("ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ")
    assert "Маркировочные планы подземной части" in title.text
    last = [block for block in blocks.values() if block.key.startswith("md-")][-1]
    assert last.page == 19 and last.metadata["page_inferred"] == "previous_fenced_block"


def test_c07_text_is_plain() -> None:
    texts = [block.text for block in _blocks(C07).values()]
    assert not any(marker in text for text in texts for marker in ("```", '"doc_metadata"', "<br>", "**", "|---"))
    table = next(text for text in texts if text.startswith("Поз. № | Обозначение | Наименование"))
    assert "ДВ2П-1 | ГОСТ 57327-2016 | ДПС 01 2480х1160 пр. EIS60 ГОСТ 57327-2016 | 1 | см. 133/23-ГК-АИ2" in table


# --- C08, C09: OCR HTML ---------------------------------------------------------------------------


def test_c08_blocks_pages_and_stamps() -> None:
    _check_common(C08, "text/html")
    doc = _doc(C08)
    assert [page.number for page in doc.pages] == list(range(1, 13))
    assert doc.metadata["sheet_code"] == "95/24-ГК-СТ-АР.КРВ" and "95/24-ГК-СТ-АР.КРВ" in doc.metadata["title"]
    last = _page(C08, 12).title_block
    assert (last.sheet_code, last.sheet_number, last.stage) == ("95/24-ГК-СТ-АР.КРВ", "6", "Р")
    assert last.sheet_title == "Подземная часть. Архитектурные решения. Стилобат. Узлы кровли"
    assert last.fields["organization"] == "ОЛИМПРОЕКТ"
    assert _page(C08, 8).title_block.sheet_number == "2"
    cover = _page(C08, 1).title_block
    assert cover.sheet_code == "95/24-ГК-СТ-АР.КРВ" and cover.sheet_number is None


def test_c08_texts_land_on_their_pages() -> None:
    blocks = _blocks(C08)
    cover = blocks["699A-4Q4J-UL3"]
    assert cover.page == 1 and "Архитектурные решения. Кровли пристроек" in cover.text
    assert _pages_with(C08, "согласовано по письму от 02.09.2025") == {5}
    node = next(block for block in blocks.values() if "NMG110" in block.text)
    assert node.page == 9 and node.kind == "image" and node.metadata["summary"]
    assert not node.text.startswith(("Текст на чертеже", "[ИЗОБРАЖЕНИЕ]"))
    assert "Сущности" not in node.text and "/crops/" in node.metadata["crop_url"]
    table = blocks["KEFV-EG9J-ETX"]
    assert table.metadata["linked_block_id"] == "9YFQ-TYGG-PM7" and table.metadata["stamp"]["Лист"] == "2"
    assert "Тип | Изображение | Пирог | Площадь | Примечание" in table.text.split("\n")
    texts = [block.text for block in blocks.values()]
    assert not any(word in text for text in texts for word in ("Created:", "Открыть", "Шифр:", "<p>"))


def test_c09_blocks_pages_and_tables() -> None:
    _check_common(C09, "text/html")
    assert [page.number for page in _doc(C09).pages] == C09_PAGES
    blocks = _blocks(C09)
    assert blocks["6GMC-WFX9-MVE"].page == 2 and "А.Б. Патрикеев" in blocks["6GMC-WFX9-MVE"].text
    contents = blocks["NKRL-3HU9-TXT"]
    assert contents.page == 3 and "133/23-ГК-КР3.С | Содержание тома | 2" in contents.text.split("\n")
    stamp_crop = blocks["7TJF-REYA-WYU"]
    assert stamp_crop.page == 9 and stamp_crop.text == "133/23-ГК-КР3 Лист 7"
    assert stamp_crop.metadata["zone_name"] == "Штамп"
    assert all(block.bbox == FULL_PAGE for block in blocks.values())


def test_c09_title_blocks_from_stamp_json() -> None:
    title = _page(C09, 18).title_block
    assert (title.sheet_code, title.sheet_number, title.stage) == ("133/23-ГК-КР3", "1", "П")
    assert title.sheet_title == "Ограждения котлована. Ситуационный план"
    assert title.fields["sheets_total"] == "12" and title.fields["Разработал"] == "Борис"
    assert _page(C09, 15).title_block.sheet_number == "13"
    assert _page(C09, 2).title_block.is_empty()


# --- C10, C11: annotation and result JSON ----------------------------------------------------------


def test_c10_pages_sizes_and_boxes() -> None:
    _check_common(C10, "application/json")
    doc = _doc(C10)
    assert [page.number for page in doc.pages] == list(range(1, 43))  # page_number 0..41
    assert (_page(C10, 1).width_pt, _page(C10, 1).height_pt, _page(C10, 1).blocks) == (2481, 3508, [])
    assert (_page(C10, 19).width_pt, _page(C10, 19).height_pt) == (9934, 7017)
    assert all(not page.blocks for page in doc.pages if page.number >= 30)
    blocks = _blocks(C10)
    assert blocks["7LPV-EU9J-WJQ"].page == 2
    assert blocks["7LPV-EU9J-WJQ"].bbox == pytest.approx([0.08908, 0.1297, 0.95365, 0.41049], abs=1e-5)
    # top-left origin: the title page's letterhead is above its signatures
    assert blocks["7LPV-EU9J-WJQ"].bbox[3] < blocks["6GMC-WFX9-MVE"].bbox[1]


def test_c10_text_is_the_operators_labels() -> None:
    blocks = _blocks(C10)
    assert (blocks["9QE7-GUP6-ADK"].page, blocks["9QE7-GUP6-ADK"].text) == (26, "Скважина 11")
    assert blocks["9QE7-GUP6-ADK"].metadata["hint"] == "Скважина 11"
    assert (blocks["4K6U-6QR7-499"].page, blocks["4K6U-6QR7-499"].text) == (19, "ограждение котлована")
    assert blocks["4HT9-6EJ7-FWD"].metadata["category"] == "stamp"
    assert blocks["7LPV-EU9J-WJQ"].text == "" and blocks["7LPV-EU9J-WJQ"].metadata["source"] == "user"


def test_bbox_is_coords_norm_which_is_pixels_over_page_size() -> None:
    """coords_norm is already 0..1 of the page, top-left origin: coords_px / (width, height)."""
    for path in (C10, C11):
        raw = json.loads(_data(path))
        blocks = _blocks(path)
        for page in raw["pages"]:
            for block in page["blocks"]:
                x0, y0, x1, y1 = block["coords_px"]
                expected = [x0 / page["width"], y0 / page["height"], x1 / page["width"], y1 / page["height"]]
                assert blocks[block["id"]].bbox == pytest.approx(expected, abs=1e-3)


def test_c11_texts_stamps_and_pages() -> None:
    _check_common(C11, "application/json")
    doc = _doc(C11)
    assert [page.number for page in doc.pages] == C09_PAGES
    assert (_page(C11, 2).width_pt, _page(C11, 2).height_pt) == (2480, 3507)
    assert doc.metadata["sheet_code"] == "133/23-ГК-КР3" and doc.metadata["source_file"] == "document.pdf"
    blocks = _blocks(C11)
    assert blocks["7LPV-EU9J-WJQ"].page == 2 and blocks["7LPV-EU9J-WJQ"].text.endswith("133/23-ГК-КР3\nТом. 4.4")
    stamp = blocks["4HT9-6EJ7-FWD"]
    assert (stamp.page, stamp.kind, stamp.text) == (15, "image", "Шифр: 133/23-ГК-КР3\nЛист: 13")
    sections = _page(C11, 26).title_block
    assert (sections.sheet_number, sections.sheet_title) == ("9", "Ограждение котлована. Разрезы 3-3...6-6")
    assert not any("<" in block.text for block in blocks.values() if block.kind == "text")


def test_c10_annotation_names_no_local_folders() -> None:
    assert _doc(C10).metadata["source_file"] == "01-04-03-00-06 КР3.pdf"
    assert "Users" not in json.dumps(_doc(C10).metadata, ensure_ascii=False)


# --- the same run in three formats ---------------------------------------------------------------


def test_c09_and_c11_agree_on_every_block() -> None:
    """C11's 0-based page_number + 1 is C09's «стр. p»; the same block has the same text in both."""
    html, result = _blocks(C09), _blocks(C11)
    assert set(html) == set(result) and len(html) == 116
    for key, block in html.items():
        assert (block.page, block.kind, block.text) == (result[key].page, result[key].kind, result[key].text), key
    for number in C09_PAGES:
        assert _page(C09, number).title_block == _page(C11, number).title_block


def test_c10_and_c11_agree_on_ids_pages_and_boxes() -> None:
    annotation, result = _blocks(C10), _blocks(C11)
    assert set(annotation) == set(result)
    for key, block in annotation.items():
        assert (block.page, block.kind, block.bbox) == (result[key].page, result[key].kind, result[key].bbox), key


def test_benchmark_answers_are_on_their_pages() -> None:
    """Each C07-C11 question's answer is in a block of its page (a title-block answer in the page's title
    block, which ingest stores as a block of its own)."""
    questions = [json.loads(line) for line in (ROOT / "benchmarks" / "questions.jsonl").read_text("utf-8").splitlines()]
    ours = [q for q in questions if q["document"] in KINDS]
    assert len(ours) == 26
    for question in ours:
        page = _page(question["document"], question["page"])
        title = page.title_block
        texts = [block.text for block in page.blocks]
        texts.append(" ".join(filter(None, (title.sheet_code, title.sheet_number, title.sheet_title, title.stage))))
        assert any(_norm(question["answer"]) in _norm(text) for text in texts), question["id"]


# --- sniffing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(KINDS))
def test_sniff_recognises_the_corpus_from_its_head(path: str) -> None:
    assert sniff_previous(path.rsplit("/", 1)[-1], _data(path)[:HEAD]) == KINDS[path]


@pytest.mark.parametrize(("name", "head"), [
    ("data.json", b'{"a": 1}'),
    ("pages.json", b'{"pages": [1, 2, 3], "title": "x"}'),
    ("page.html", b"<!DOCTYPE html><html><head><title>Hi</title></head><body><p>Hello</p></body></html>"),
    ("notes.md", "# Заметки\n\nОбычный текст, таблица:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n".encode()),
    ("code.md", b'# API\n\n```json\n{"name": "value"}\n```\n'),
    ("C09.txt", _data(C09)[:HEAD]),
    ("C11.html", _data(C11)[:HEAD]),
    ("drawing.pdf", b"%PDF-1.7\n"),
])
def test_sniff_rejects_other_files(name: str, head: bytes) -> None:
    assert sniff_previous(name, head) is None


def test_long_markdown_is_sniffed_tentatively_and_refused_if_not_pipeline_output() -> None:
    """C07's first fence lies past the 64 KB head, so a long .md is a candidate; extraction decides."""
    text = ("# Раздел\n\n" + "Строка обычного текста.\n" * 5000).encode()
    assert sniff_previous("long.md", text[:HEAD]) == "markdown"
    with pytest.raises(InvalidInput, match=r"^long\.md: not an OCR Markdown file: no fenced"):
        extract_previous("markdown", text, "long.md")


# --- malformed input --------------------------------------------------------------------------------

_PLAIN_HTML = b"<!DOCTYPE html><html><body><h1>T</h1><p>No blocks here.</p></body></html>"
_ONE_BLOCK = '<div class="block-header">Блок #1 (стр. {page}) | Тип: text</div><p>BLOCK: AAA</p><p>x</p></html>'
_FENCE = '```json\n{{"doc_metadata": {{"page": {page}}}}}\n```\n'


@pytest.mark.parametrize(("kind", "data", "reason"), [
    ("markdown", b"", "the file is empty"),
    ("html", b"  \n ", "the file is empty"),
    ("result_json", random.Random(7).randbytes(4096), "not UTF-8"),
    ("html", _data(C09).decode("utf-8").encode("cp1251", errors="replace"), "not UTF-8"),
    ("annotation_json", "Ж".encode("utf-16"), "not UTF-8"),
    ("result_json", _data(C11)[: len(_data(C11)) // 2], "invalid JSON"),
    ("annotation_json", b'{"a": 1}', 'no "pages" list'),
    ("annotation_json", b'{"pages": [{"blocks": []}]}', "has no page_number"),
    ("result_json", b'{"pages": [{"page_number": -1, "blocks": []}]}', "is not a number from 1"),
    ("result_json", b'{"pages": [{"page_number": 0, "blocks": {"a": 1}}]}', "is not a list"),
    ("result_json", b'{"pages": [{"page_number": 0, "blocks": [7]}]}', "is not an object"),
    ("result_json", b"[" * 100_000, "nested too deeply"),
    ("html", _data(C09)[:100_000], "does not end with </html>"),
    ("html", "Блок".encode()[:-1], "ends inside a character"),
    ("html", _PLAIN_HTML, "no «Блок #n (стр. p)» block headers"),
    ("html", _ONE_BLOCK.format(page=0).encode(), "page 0 is not a number"),
    ("html", b'<div class="block-header">Block 1</div></html>', "is not «Блок #n (стр. p)»"),
    ("markdown", _data(C07)[:100_000], "is never closed"),
    ("markdown", b"# Title\n\nJust text.\n", "no fenced ```json blocks"),
    ("markdown", b'```json\n{"doc_metadata": {"page": 1},}\n```\n', "is not valid JSON"),
    ("markdown", b'```json\n{"image": {}}\n```\n', "has no doc_metadata.page"),
    ("markdown", _FENCE.format(page='"6"').encode(), "is not a number from 1"),
])
def test_malformed_input_is_refused_in_one_line(kind: str, data: bytes, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        extract_previous(kind, data, "/uploads/bad.file")
    message = str(caught.value)
    assert message.startswith("bad.file: not an OCR ") and reason in message and "\n" not in message


_MEGABYTE = 1_000_000


@pytest.mark.parametrize(("kind", "text"), [
    ("html", "</" * (_MEGABYTE // 2) + "</html>"),  # html.parser alone: over a minute
    ("html", "<!--" * (_MEGABYTE // 4) + "</html>"),  # html.parser alone: minutes
    ("html", _ONE_BLOCK.format(page=1)[:-7] + '<a b="' * (_MEGABYTE // 6) + "</html>"),
    ("html", _ONE_BLOCK.format(page=1)[:-7] + "<!" * (_MEGABYTE // 2) + "<tr><td>" * 1000 + "</html>"),
    ("html", (_ONE_BLOCK.format(page=1)[:-7] * (_MEGABYTE // 80)) + "</html>"),
    ("markdown", "# a\n" * (_MEGABYTE // 4) + _FENCE.format(page=1)),
    ("markdown", "| a | <b>b</b> |\n" * (_MEGABYTE // 16) + _FENCE.format(page=1)),
    ("markdown", _FENCE.format(page=1) * (_MEGABYTE // 40)),
    ("result_json", '{"pages": [{"page_number": 0, "blocks": [' + ",".join(
        ['{"id": "x", "ocr_text": "<p>a</p>"}'] * (_MEGABYTE // 40)) + "]}]}"),
])
def test_megabyte_inputs_take_linear_time(kind: str, text: str) -> None:
    started = time.monotonic()
    try:
        extract_previous(kind, text.encode(), "big")
    except InvalidInput:
        pass
    assert time.monotonic() - started < 10  # about 1 s here; the quadratic cases took minutes


# --- small pieces -----------------------------------------------------------------------------------


def test_html_fragments_become_clean_text() -> None:
    fragment = """</p>
       <p>  a &amp; b\n   c&nbsp;d </p><h1>Title</h1>
       <table><tr><th> x </th><th></th><th>y<br/>z</th></tr><tr><td>1 < 2</td><td>3</td></tr></table>
       <style>p { color: red }</style><!-- hidden --><p>end</p>"""
    assert html_to_text(fragment) == "a & b c d\nTitle\nx | y z\n1 < 2 | 3\nend"


def test_repeated_block_ids_are_suffixed() -> None:
    block = '<div class="block-header">Блок #{n} (стр. 1) | Тип: text</div><div><p>BLOCK: A-1</p><p>t{n}</p></div>'
    html = "<html><body>" + "".join(block.format(n=n) for n in (1, 2, 3)) + "</body></html>"
    doc = extract_previous("html", html.encode(), "dup.html")
    assert [(b.key, b.text) for b in doc.pages[0].blocks] == [("A-1", "t1"), ("A-1#2", "t2"), ("A-1#3", "t3")]
    assert doc.warnings == ["duplicate block id A-1 renamed to A-1#2", "duplicate block id A-1 renamed to A-1#3"]


def test_unknown_format_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        extract_previous("pdf", b"%PDF-1.7", "x.pdf")
