"""A prepared Markdown: the pipeline's page text with a fenced ```json block per image crop.

Headings, paragraphs and tables are the pipeline's page text; each fenced ``json`` block is one image
crop, carrying ``doc_metadata.page`` and the crop's OCR text. Text outside the fences has no page of
its own. The pipeline writes a page's text first and its crops after it, so such text is given the
page of the *next* fenced block (text after the last fence goes to the last fence's page). This is
an inference, said in each block's metadata (``page_inferred``): it puts a schedule on the page of
the crops that follow it, but also a cover and general notes on the first page that has crops.

Stamps here are OCR'd tables whose page is itself a guess, so pages get no title block; the
document takes its шифр and title from what those tables say most often.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import PurePath
from typing import Any

from ..extracted import SNIFF_BYTES, ExtractedBlock, ExtractedDocument
from .common import Malformed, compact, page_number, plain_lines, squash
from .crops import analysis, analysis_text
from .document import assemble
from .html_text import html_to_text

_FENCE_JSON = re.compile(r"^ {0,3}```[ \t]*json[ \t]*$", re.MULTILINE)
_HEADING = re.compile(r"#{1,6}\s+(.*)")
_TABLE_RULE = re.compile(r":?-{2,}:?")
_CODE = re.compile(r"\d{1,4}[/\\]\d{2}-\S+")  # a шифр: a job number, a year, then letters (12/34-АБ-КР1)


def sniff(text: str, head_length: int) -> bool:
    """Whether the head of a ``.md`` file is (or may yet be) the pipeline's Markdown.

    A fenced ``json`` block with ``doc_metadata`` confirms it; but the first fence may come after
    the head (a long cover and general notes come first), so a head that fills the whole window
    without a fence is accepted tentatively and ``extract`` decides: a file with no such blocks is
    then refused with a clear message, as it would be anyway.
    """
    fence = _FENCE_JSON.search(text)
    if fence:
        return '"doc_metadata"' in text[fence.end():]
    return head_length >= SNIFF_BYTES  # the head filled detect's window: the fence may come later


def _fence_segments(text: str) -> list[tuple[str, str, int]]:
    """The file as ("text", lines, line number) and ("json", body, line number) pieces, in order.

    Fences are found line by line (a ``` line opens one, the next ``` line closes it); only ``json``
    fences are the pipeline's, other fenced code stays text.
    """
    segments: list[tuple[str, str, int]] = []
    outside: list[str] = []
    inside: list[str] | None = None
    opened_at, is_json = 0, False
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if inside is None and stripped.startswith("```"):
            inside, opened_at, is_json = [], number, stripped[3:].strip().lower() == "json"
        elif inside is not None and stripped == "```":
            if is_json:
                segments.append(("text", "\n".join(outside), opened_at))
                segments.append(("json", "\n".join(inside), opened_at))
                outside = []
            else:
                outside.extend(inside)
            inside = None
        elif inside is not None:
            inside.append(line)
        else:
            outside.append(line)
    if inside is not None:
        raise Malformed(f"the fenced block opened at line {opened_at} is never closed (cut short?)")
    segments.append(("text", "\n".join(outside), 0))
    return segments


def extract(kind: str, text: str) -> ExtractedDocument:
    """The document of a prepared Markdown: crops from the fences, text pieces between them."""
    pieces = _MarkdownPieces()
    blocks: list[ExtractedBlock] = []
    for part, body, line in _fence_segments(text):
        if part == "json":
            blocks.append(_crop_block(body, line))
            continue
        for number, piece_kind, piece_text in pieces.feed(body):
            blocks.append(ExtractedBlock(
                key=f"md-{number}", page=0, kind=piece_kind, text=piece_text,
                metadata={"block_type": piece_kind, "page_inferred": ""},
            ))
    crops = [block for block in blocks if "page_inferred" not in block.metadata]
    if not crops:
        raise Malformed("no fenced ```json blocks with doc_metadata.page")
    _infer_text_pages(blocks, last_page=crops[-1].page)
    return assemble(kind, blocks, metadata=_markdown_metadata(pieces.rows))


def _infer_text_pages(blocks: list[ExtractedBlock], last_page: int) -> None:
    """Give text outside the fences the page of the next fenced block (the last one's, at the end)."""
    page, how = last_page, "previous_fenced_block"
    for block in reversed(blocks):
        if "page_inferred" in block.metadata:
            block.page, block.metadata["page_inferred"] = page, how
        else:
            page, how = block.page, "next_fenced_block"


def _crop_page(body: str, line: int) -> tuple[int, dict[str, Any]]:
    """A fenced block's page and JSON; a fence that is not the pipeline's is an error, not text."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise Malformed(f"the fenced JSON block at line {line} is not valid JSON ({exc.msg})") from None
    except (ValueError, RecursionError):
        raise Malformed(f"the fenced JSON block at line {line} is not valid JSON (too large or deep)") from None
    meta = data.get("doc_metadata") if isinstance(data, dict) else None
    if not isinstance(meta, dict) or "page" not in meta:
        raise Malformed(f"the fenced JSON block at line {line} has no doc_metadata.page")
    return page_number(meta["page"], f"the fenced JSON block at line {line}"), data


def _crop_block(body: str, line: int) -> ExtractedBlock:
    """A Markdown crop: keyed by the crop file's uuid, with its OCR'd text."""
    page, data = _crop_page(body, line)
    image = data.get("image")
    uri = image.get("uri") if isinstance(image, dict) else None
    uri = uri if isinstance(uri, str) else ""
    key = PurePath(uri.rsplit("/", 1)[-1]).stem or f"line-{line}"  # the crop file is named by its uuid
    crop = analysis_text(analysis(data.get("analysis")))
    text = crop.text
    if not text and isinstance(data.get("raw_pdfplumber_text"), str):
        text = plain_lines(data["raw_pdfplumber_text"])
    hint = data["doc_metadata"].get("operator_hint")
    metadata = {"block_type": "image", **crop.metadata, "operator_hint": hint, "crop_url": uri}
    return ExtractedBlock(key=key, page=page, kind="image", text=text,
                          metadata=compact({k: v for k, v in metadata.items() if isinstance(v, str)}))


class _MarkdownPieces:
    """Markdown text cut into "text" and "table" pieces of plain text: one per table, one per section.

    A heading starts a new section unless only headings precede it (a title page's stacked headings
    stay together). The table rows are kept too, for the document's шифр and title.
    """

    def __init__(self) -> None:
        self.count = 0  # pieces so far: the n of their md-<n> keys
        self.rows: list[list[str]] = []
        self._pieces: list[tuple[int, str, str]] = []
        self._lines: list[str] = []
        self._has_body = False
        self._table: list[list[str]] = []

    def feed(self, body: str) -> list[tuple[int, str, str]]:
        """The (number, kind, text) pieces of one stretch of text between fences."""
        self._pieces = []
        for line in body.split("\n"):
            stripped = line.strip()
            if stripped.startswith("|"):
                self._end_text()
                cells = _table_cells(stripped)
                if cells is not None:
                    self._table.append(cells)
                continue
            self._end_table()
            is_heading = bool(_HEADING.fullmatch(stripped))
            if is_heading and self._has_body:
                self._end_text()
            self._lines.append(line)
            self._has_body = self._has_body or (bool(stripped) and not is_heading)
        self._end_table()
        self._end_text()
        return self._pieces

    def _add(self, kind: str, text: str) -> None:
        self.count += 1
        self._pieces.append((self.count, kind, text))

    def _end_table(self) -> None:
        if self._table:
            self.rows.extend(self._table)
            self._add("table", "\n".join(" | ".join(filter(None, row)) for row in self._table))
            self._table = []

    def _end_text(self) -> None:
        text = _markdown_text("\n".join(self._lines))
        if text:
            self._add("text", text)
        self._lines, self._has_body = [], False


def _table_cells(row: str) -> list[str] | None:
    """A Markdown table row's cells as plain text (``<br>`` in a cell becomes a space); None for rules."""
    cells = row.strip("|").split("|")
    if all(_TABLE_RULE.fullmatch(cell.strip()) or not cell.strip() for cell in cells):
        return None
    return [squash(html_to_text(cell)) for cell in cells]


def _markdown_text(text: str) -> str:
    """Markdown prose as plain text, a line per source line: heading marks and bold stars dropped,
    inline HTML (``<br>``, ``<sup>``...) converted."""
    lines = []
    for line in filter(str.strip, text.split("\n")):
        heading = _HEADING.fullmatch(line.strip())
        lines.append(html_to_text(heading.group(1) if heading else line.replace("**", "")))
    return "\n".join(filter(None, lines))


def _markdown_metadata(rows: list[list[str]]) -> dict[str, Any]:
    """Document шифр and title from the OCR'd stamps: the шифр is the code a table cell holds alone
    most often (the stamp repeats it on every sheet), the title the cell left of «Стадия»."""
    codes: Counter[str] = Counter()
    titles: Counter[str] = Counter()
    for cells in rows:
        for index, cell in enumerate(cells):
            if _CODE.fullmatch(cell):
                codes[cell] += 1
            if cell == "Стадия" and index > 0 and cells[index - 1]:
                titles[cells[index - 1]] += 1
    meta: dict[str, Any] = {}
    if codes:
        meta["sheet_code"] = codes.most_common(1)[0][0]
    if titles:
        meta["title"] = titles.most_common(1)[0][0]
    return meta
