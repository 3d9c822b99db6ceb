"""The team's earlier OCR pipeline outputs, imported as text documents (corpus C07-C11).

The source PDFs of those runs are gone; what is left is the pipeline's text, block by block, so these
files become documents whose pages carry text blocks and no drawing. Four formats:

``markdown`` (C07)
    A prepared Markdown: the pipeline's page text (headings, paragraphs, tables) with fenced ```json
    blocks, one per image crop, each carrying ``doc_metadata.page`` and the crop's OCR text. Text
    outside the fences has no page of its own. The pipeline writes a page's text first and its crops
    after it, so such text is given the page of the *next* fenced block (text after the last fence
    goes to the last fence's page). This is an inference, said in each block's metadata
    (``page_inferred``); it puts e.g. the railing schedule of C07 on page 13 with its railing crops,
    but also C07's cover and general notes on page 6, the first page that has crops.
``html`` (C08, C09)
    OCR HTML: blocks headed «Блок #n (стр. p) | Тип: t», the full block id in a ``BLOCK: id`` line,
    stamp data in ``.stamp-info`` divs (C08) or as JSON in the ``<pre>`` of a stamp crop (C09), and
    the analysis of image crops (C08 as labelled paragraphs, C09 as JSON in ``<pre>``).
``annotation_json`` (C10), ``result_json`` (C11)
    The block annotations (ids, ``coords_norm``, block types, the operator's hints and groups) and
    the per-block OCR result of the same run (HTML fragments, crop analysis JSON, ``stamp_data``).
    Their ``page_number`` is 0-based (C10 lists page 0; block 7LPV-EU9J-WJQ has page_number 1 in C11
    and is «стр. 2» in C09), so pages here are ``page_number + 1``, the same numbers as C09's. Every
    listed page becomes a page, with or without blocks. Annotation blocks have no OCR text, so their
    text is the operator's labels (group name, hint) and is empty for most of them.

Decisions common to all formats: a block's key is the pipeline's own id (the full ``BLOCK:`` id in
HTML, the crop's uuid in Markdown, ``md-<n>`` for Markdown text the pipeline gave no id), made unique
by a ``#2``, ``#3``... suffix; its bbox is ``coords_norm`` when the format has it (already 0..1 with a
top-left origin: it equals ``coords_px`` divided by the page's pixel size) and the whole page
otherwise. Image crops contribute their OCR'd text (``clean_ocr_text``), not the model's prose about
them, which stays out or goes to metadata as a one-line ``summary``; the pipeline's own ``BLOCK: id``
marker lines are dropped wherever the OCR read them back. Page title blocks come only from
structured stamp data (``.stamp-info``, stamp JSON); Markdown stamps are OCR'd tables whose page is
itself a guess, so C07 pages have none and only the document gets its шифр and title from them.

Every input is untrusted: anything that is not the format raises ``InvalidInput`` with one line, and
all work is linear in the input. Python's ``html.parser`` is not (a megabyte of ``</`` or ``<!--``
takes minutes), so HTML goes through ``_sanitize_html`` first, which lets only well-formed tags reach
the parser.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import PurePath, PureWindowsPath
from typing import Any

from ..errors import InvalidInput
from ..sanitize import clean_text
from .extracted import FULL_PAGE, SNIFF_BYTES, ExtractedBlock, ExtractedDocument, ExtractedPage, TitleBlock

MAX_PAGE = 100_000  # a larger page number is corrupt data, not a drawing set
SOURCE = "previous_pipeline"
MIMES = {
    "markdown": "text/markdown", "html": "text/html",
    "annotation_json": "application/json", "result_json": "application/json",
}
_FORMAT_NAMES = {
    "markdown": "OCR Markdown", "html": "OCR HTML",
    "annotation_json": "OCR annotation", "result_json": "OCR result",
}
# Stamp fields by the labels the pipeline shows (C08's .stamp-info); JSON stamps are renamed to them.
_TITLE_ATTRS = {"Шифр": "sheet_code", "Лист": "sheet_number", "Наименование": "sheet_title", "Стадия": "stage"}
# Printed labels that have a shared key in extracted.FIELD_LABELS; others stay as printed.
_FIELD_KEYS = {
    "Листов": "sheets_total", "Объект": "project", "Организация": "organization", "Разраб.": "drawn_by",
    "Пров.": "checked_by", "Н. контр.": "norm_control", "Н.контр.": "norm_control", "Утв.": "approved_by",
    "ГИП": "chief_engineer",
}
_STAMP_JSON_LABELS = {
    "document_code": "Шифр", "stage": "Стадия", "sheet_number": "Лист", "total_sheets": "Листов",
    "sheet_name": "Наименование", "project_name": "Объект", "organization": "Организация",
}
_MARKER = re.compile(r"BLOCK:\s*\S+")
_CODE = re.compile(r"\d{1,4}[/\\]\d{2}-\S+")  # a шифр such as 133/23-ГК-КР3 or 95/24-ГК-СТ-АР.КРВ


class _Malformed(Exception):
    """Why a file is not the format it claims; ``extract_previous`` turns it into ``InvalidInput``."""


# --- public API -------------------------------------------------------------------------------------


def sniff_previous(name: str, head: bytes) -> str | None:
    """Which earlier-pipeline format ``name`` is, from its extension and its first bytes, or None.

    The extension picks the candidate and the content must confirm it, so an ordinary ``.json`` or
    ``.html`` is not taken for pipeline output. A Markdown file is confirmed by a fenced ``json`` block
    with ``doc_metadata``; but C07's first fence is 78 KB in, past the head, so a ``.md`` head that
    fills the whole window without a fence is accepted tentatively and ``extract_previous`` decides
    (a file that has no such blocks is then refused with a clear message, as it would be anyway).
    """
    suffix = PurePath(name).suffix.lower()
    text = head.decode("utf-8", errors="ignore")  # the head may end inside a character
    if suffix in (".md", ".markdown"):
        return "markdown" if _sniff_markdown(text, len(head)) else None
    if suffix in (".html", ".htm"):
        return "html" if _BLOCK_HEADER.search(text) else None
    if suffix == ".json":
        return _sniff_json(text)
    return None


def extract_previous(kind: str, data: bytes, name: str) -> ExtractedDocument:
    """The document in ``data`` (a format ``sniff_previous`` named), or ``InvalidInput`` saying why not."""
    extractors = {
        "markdown": _extract_markdown, "html": _extract_html,
        "annotation_json": _extract_json, "result_json": _extract_json,
    }
    if kind not in extractors:
        raise ValueError(f"unknown earlier-pipeline format {kind!r}")
    shown = PurePath(name).name or name
    try:
        if not data.strip():
            raise _Malformed("the file is empty")
        return extractors[kind](kind, _decode(data))
    except _Malformed as exc:
        raise InvalidInput(f"{shown}: not an {_FORMAT_NAMES[kind]} file: {exc}") from None


# --- shared helpers ---------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    """UTF-8 text (all pipeline outputs are UTF-8); anything else is refused rather than guessed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            raise _Malformed("the file ends inside a character (cut short?)") from None
        raise _Malformed(f"not UTF-8 text (invalid byte at offset {exc.start})") from None
    if "\x00" in text:
        raise _Malformed("binary data (NUL characters)")
    return text


def _squash(text: str) -> str:
    """One line with single spaces: OCR output is full of indentation and hard wraps."""
    return " ".join(text.split())


def _plain_lines(text: str) -> str:
    """Plain text kept a line per line, each squashed, empty lines dropped."""
    return "\n".join(filter(None, (_squash(line) for line in text.splitlines())))


def _drop_markers(text: str) -> str:
    """Text without the pipeline's ``BLOCK: <id>`` marker lines: it prints them on the page to match
    OCR output to blocks, and the OCR sometimes reads one back (C09/C11 block 4JXW-UYMH-6PK)."""
    if "BLOCK:" not in text:
        return text
    return "\n".join(line for line in text.split("\n") if not _MARKER.fullmatch(line))


def _page_number(value: Any, where: str) -> int:
    """A 1-based page number as the pipeline wrote it, or the reason it is not one."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_PAGE:
        raise _Malformed(f"{where}: page {value!r} is not a number from 1 to {MAX_PAGE}")
    return value


def _number(value: Any) -> float | None:
    """A finite JSON number as float; None for anything else (strings, booleans, NaN, 1e999)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _bbox(value: Any) -> list[float]:
    """``coords_norm`` clamped to 0..1 and rounded; the whole page when missing or not a box."""
    numbers = [_number(v) for v in value] if isinstance(value, list) and len(value) == 4 else [None]
    if None in numbers:
        return list(FULL_PAGE)
    x0, y0, x1, y1 = (round(min(1.0, max(0.0, v)), 5) for v in numbers)
    if x1 <= x0 or y1 <= y0:
        return list(FULL_PAGE)
    return [x0, y0, x1, y1]


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    """Metadata without empty entries, so every block's dict stays small."""
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}


def _stamp_from_json(data: dict[str, Any]) -> dict[str, str]:
    """A JSON stamp (C09 ``<pre>``, C11 ``stamp_data``) under the pipeline's display labels."""
    stamp = {
        label: _squash(str(data[key])) for key, label in _STAMP_JSON_LABELS.items()
        if isinstance(data.get(key), (str, int)) and str(data[key]).strip()
    }
    signatures = data.get("signatures") if isinstance(data.get("signatures"), list) else []
    for signature in signatures:
        if isinstance(signature, dict) and signature.get("role") and signature.get("surname"):
            stamp.setdefault(_squash(str(signature["role"])), _squash(str(signature["surname"])))
    return stamp


def _is_stamp_json(data: Any) -> bool:
    return isinstance(data, dict) and ("document_code" in data or "sheet_number" in data)


def _stamp_text(stamp: dict[str, str]) -> str:
    """A stamp crop's text: its fields, one ``label: value`` a line."""
    return "\n".join(f"{label}: {value}" for label, value in stamp.items())


def _title_block(stamps: list[dict[str, str]]) -> TitleBlock:
    """A page's title block from its blocks' stamps, the first value of each field winning."""
    merged: dict[str, str] = {}
    for stamp in stamps:
        for label, value in stamp.items():
            merged.setdefault(label, value)
    title = TitleBlock()
    for label, value in merged.items():
        attr = _TITLE_ATTRS.get(label)
        if attr:
            setattr(title, attr, value)
        else:
            title.fields[_FIELD_KEYS.get(label, label)] = value
    return title


def _analysis(data: Any) -> dict[str, Any]:
    """The crop analysis inside the pipeline's JSON, which is nested one ``analysis`` deep or two."""
    for _ in range(3):
        if isinstance(data, dict) and isinstance(data.get("analysis"), dict):
            data = data["analysis"]
    return data if isinstance(data, dict) else {}


def _analysis_fields(analysis: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A crop's OCR'd text and the small facts worth keeping (zone, grid lines, one-line summary)."""
    location = analysis.get("location") if isinstance(analysis.get("location"), dict) else {}
    meta = {
        "zone_name": location.get("zone_name"), "grid_lines": location.get("grid_lines"),
        "summary": analysis.get("content_summary"),
    }
    text = analysis.get("clean_ocr_text") or analysis.get("ocr_text")  # the pipeline used both names
    meta = {key: _squash(value) for key, value in meta.items() if isinstance(value, str)}
    return (_plain_lines(text) if isinstance(text, str) else ""), meta


def _loads_lenient_fence(text: str) -> Any:
    """JSON that the pipeline may have wrapped in a ```json fence; None when it is not JSON."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _crop_fields(data: Any) -> tuple[str, dict[str, Any], dict[str, str]] | None:
    """Text, metadata and stamp of a crop's parsed JSON: a stamp, or an analysis; None for neither."""
    if _is_stamp_json(data):
        stamp = _stamp_from_json(data)
        return _stamp_text(stamp), {"category": "stamp", "stamp": stamp}, stamp
    if isinstance(data, dict):
        text, meta = _analysis_fields(_analysis(data))
        return text, meta, {}
    return None


def _crop_json_text(payload: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    """Text, metadata and stamp of a crop's JSON text; the text itself (as HTML) when it is not JSON."""
    return _crop_fields(_loads_lenient_fence(payload)) or (html_to_text(payload), {}, {})


def _unique_keys(blocks: list[ExtractedBlock]) -> list[str]:
    """Make block keys unique in the document: a repeated id becomes ``id#2``, ``id#3``... (never a
    key another block has); the warnings say which were renamed."""
    taken = {block.key for block in blocks}
    seen: set[str] = set()
    next_suffix: dict[str, int] = {}  # per id, so suffixes already tried are not tried again
    warnings = []
    for block in blocks:
        if block.key not in seen:
            seen.add(block.key)
            continue
        original, number = block.key, next_suffix.get(block.key, 2)
        while f"{original}#{number}" in taken:
            number += 1
        block.key, next_suffix[original] = f"{original}#{number}", number + 1
        taken.add(block.key)
        seen.add(block.key)
        warnings.append(f"duplicate block id {original} renamed to {block.key}")
    return warnings


def _assemble(
    kind: str,
    blocks: list[ExtractedBlock],
    *,
    stamps: dict[int, list[dict[str, str]]] | None = None,
    sizes: dict[int, tuple[float, float]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> ExtractedDocument:
    """Pages (those with blocks, plus every page ``sizes`` lists) and the document around them."""
    stamps, sizes = stamps or {}, sizes or {}
    for block in blocks:  # ids are strings from the file too: cleaned before they are made unique
        block.key = clean_text(block.key, keep_newlines=False) or f"p{block.page}"
    warnings = _unique_keys(blocks)
    by_page: dict[int, list[ExtractedBlock]] = defaultdict(list)
    for block in blocks:
        by_page[block.page].append(block)
    pages = []
    for number in sorted(set(by_page) | set(sizes)):
        width, height = sizes.get(number, (0.0, 0.0))
        pages.append(ExtractedPage(
            number=number, width_pt=width, height_pt=height, has_text_layer=True,
            title_block=_title_block(stamps.get(number, [])), blocks=by_page.get(number, []),
            metadata={"source": SOURCE},
        ))
    doc_meta: dict[str, Any] = {"source": SOURCE, "format": kind, "page_count": len(pages)}
    for key, label in (("sheet_code", "Шифр"), ("object", "Объект")):  # what most stamps say
        values = Counter(s[label] for page_stamps in stamps.values() for s in page_stamps if s.get(label))
        if values:
            doc_meta[key] = values.most_common(1)[0][0]
    doc_meta.update(_compact(metadata or {}))
    return ExtractedDocument(mime=MIMES[kind], pages=pages, status="ready", metadata=doc_meta, warnings=warnings)


# --- HTML to plain text -----------------------------------------------------------------------------

# A tag html.parser will read exactly as written: name, attributes with balanced quotes, no < or >
# inside. Every part stops at the next < or >, so trying it at each < costs linear time in total.
_TAG = re.compile(
    r"""</?[A-Za-z][\w:.-]*"""
    r"""(?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'<>=`]+))?)*\s*/?>"""
)
_DECLARATION = re.compile(r"<[!?][^<>]*>")  # doctype, processing instruction: no text in them


def _sanitize_html(html: str) -> str:
    """``html`` with comments and declarations dropped and every stray ``<`` escaped.

    ``html.parser`` rescans to the end of the input for each construct it cannot close, which is
    quadratic (a megabyte of ``</`` takes over a minute); after this pass it sees only complete tags.
    """
    out: list[str] = []
    i = 0
    while True:
        j = html.find("<", i)
        if j < 0:
            out.append(html[i:])
            return "".join(out)
        out.append(html[i:j])
        if html.startswith("<!--", j):
            end = html.find("-->", j + 4)
            if end < 0:  # an unclosed comment runs to the end, as in a browser
                return "".join(out)
            i = end + 3
            continue
        tag = _TAG.match(html, j)
        if tag:
            out.append(tag.group())
            i = tag.end()
            continue
        declaration = _DECLARATION.match(html, j)
        if declaration:
            i = declaration.end()
            continue
        out.append("&lt;")
        i = j + 1


class _TextSink:
    """Plain text being assembled: whitespace collapsed, one line per paragraph or table row.

    Inside a table row, text goes to the current cell and line breaks become spaces; a finished row
    is one line of its non-empty cells joined by " | ".
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._words: list[str] = []
        self._cells: list[str] | None = None

    def add(self, data: str) -> None:
        self._words.append(data)

    def _take_words(self) -> str:
        text = _squash("".join(self._words))
        self._words = []
        return text

    def end_line(self) -> None:
        if self._cells is not None:
            self._words.append(" ")
            return
        line = self._take_words()
        if line:
            self.lines.append(line)

    def end_cell(self) -> None:
        if self._cells is None:
            self.end_line()
            return
        cell = self._take_words()
        if cell:
            self._cells.append(cell)

    def start_row(self) -> None:
        self.end_row()
        self.end_line()
        self._cells = []

    def end_row(self) -> None:
        if self._cells is None:
            return
        self.end_cell()
        row, self._cells = " | ".join(self._cells), None
        if row:
            self.lines.append(row)

    def text(self) -> str:
        self.end_row()
        self.end_line()
        return "\n".join(self.lines)


_LINE_TAGS = {
    "p", "div", "br", "hr", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "blockquote", "table", "thead", "tbody", "tfoot", "caption", "section", "article", "header",
    "footer", "html", "body", "head",
}
_HIDDEN_TAGS = {"style", "script", "title", "template"}


class _HtmlText(HTMLParser):
    """HTML (a whole page or a fragment such as C11's ``ocr_text``) into a ``_TextSink``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sink = _TextSink()
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag == "tr":
            self.sink.start_row()
        elif tag in ("td", "th"):
            self.sink.end_cell()
        elif tag in _LINE_TAGS:
            self.sink.end_line()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "tr":
            self.sink.end_row()
        elif tag in ("td", "th"):
            self.sink.end_cell()
        elif tag == "table":
            self.sink.end_row()
        elif tag in _LINE_TAGS:
            self.sink.end_line()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.sink.add(data)


def html_to_text(html: str) -> str:
    """Clean plain text of an HTML fragment: tags gone, entities decoded, rows as "a | b" lines."""
    if "<" not in html and "&" not in html:
        return _plain_lines(html)
    parser = _HtmlText()
    parser.feed(_sanitize_html(html))
    parser.close()
    return parser.sink.text()


# --- OCR HTML (C08, C09) ----------------------------------------------------------------------------

_BLOCK_HEADER = re.compile(r"Блок #(\d{1,9}) \(стр\. (\d{1,9})\)")
_HEADER_TYPE = re.compile(r"Тип:\s*([\w-]+)")
_PIPELINE_LINE = re.compile(r"(BLOCK|Linked block|Created):\s*(\S.*)")  # lines the pipeline adds
# C08 writes an image crop's analysis as labelled paragraphs; the OCR'd text is kept, the summary
# goes to metadata, the model's description and entity list are left out.
_IMAGE_LABELS = {"Текст на чертеже": "text", "Краткое описание": "summary", "Описание": None, "Сущности": None}


class _RawBlock:
    """What the OCR HTML says about one block before it is interpreted."""

    def __init__(self) -> None:
        self.header = _TextSink()
        self.content = _TextSink()
        self.stamp = _TextSink()
        self.pre: list[str] = []
        self.crop_url: str | None = None


class _OcrHtml(_HtmlText):
    """Splits OCR HTML at its block headers and routes each part (header, stamp, ``<pre>``) apart.

    Blocks are cut at headers rather than by matching ``div`` nesting: block contents embed whole
    HTML documents and stray end tags, so nesting is not to be trusted.
    """

    def __init__(self) -> None:
        super().__init__()
        self.preamble = self.sink
        self.blocks: list[_RawBlock] = []
        self._capture: _TextSink | None = None  # a header's or stamp's text, until its </div>
        self._in_pre = False
        self._in_crop_link = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        href = attributes.get("href") or ""
        if tag == "div" and "block-header" in classes:
            self.blocks.append(_RawBlock())
            self.sink, self._capture = self.blocks[-1].content, self.blocks[-1].header
        elif self.blocks and tag == "div" and "stamp-info" in classes:
            self._capture = self.blocks[-1].stamp
        elif self.blocks and tag == "a" and "/crops/" in href:  # "Открыть изображение": a link, not text
            self.blocks[-1].crop_url, self._in_crop_link = href, True
        else:
            self._in_pre = self._in_pre or (bool(self.blocks) and tag == "pre")
            super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._capture and tag == "div":
            self._capture = None
            return
        if tag == "pre":
            self._in_pre = False
        elif tag == "a":
            self._in_crop_link = False
        super().handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self._capture:
            self._capture.add(data)
            return
        if self._in_pre:  # kept raw as well: an image crop's <pre> is its analysis JSON
            self.blocks[-1].pre.append(data)
        if not self._in_crop_link:
            super().handle_data(data)


def _extract_html(kind: str, text: str) -> ExtractedDocument:
    if not text.rstrip().lower().endswith("</html>"):
        raise _Malformed("the document does not end with </html> (cut short?)")
    parser = _OcrHtml()
    parser.feed(_sanitize_html(text))
    parser.close()
    if not parser.blocks:
        raise _Malformed("no «Блок #n (стр. p)» block headers")
    blocks, stamps = [], defaultdict(list)
    for raw in parser.blocks:
        block, stamp = _html_block(raw)
        blocks.append(block)
        if stamp:
            stamps[block.page].append(stamp)
    return _assemble(kind, blocks, stamps=stamps, metadata=_html_metadata(parser.preamble.text()))


def _html_block(raw: _RawBlock) -> tuple[ExtractedBlock, dict[str, str]]:
    """One OCR HTML block and its stamp (empty when it has none)."""
    header = raw.header.text()
    match = _BLOCK_HEADER.search(header)
    if not match:
        raise _Malformed(f"block header {header[:80]!r} is not «Блок #n (стр. p)»")
    number, page = int(match.group(1)), _page_number(int(match.group(2)), f"block header {header[:80]!r}")
    kind_match = _HEADER_TYPE.search(header)
    block_type = kind_match.group(1).lower() if kind_match else "text"
    lines = raw.content.text().split("\n")
    meta: dict[str, Any] = {"block_type": block_type, "block_number": number, "crop_url": raw.crop_url}
    key, start = None, 0
    while start < len(lines) and (line := _PIPELINE_LINE.fullmatch(lines[start])):  # they come first
        label, value = line.groups()
        if label == "BLOCK" and key is None:
            key = value.strip()
        elif label == "Linked block":
            meta["linked_block_id"] = value.strip()
        start += 1
    text, content_meta = _image_paragraphs(lines[start:]) if block_type == "image" else ("\n".join(lines[start:]), {})
    meta.update(content_meta)
    stamp = _stamp_from_info(raw.stamp.text())
    crop = _crop_fields(_loads_lenient_fence("".join(raw.pre))) if raw.pre else None
    if crop:
        text, meta = crop[0], {**meta, **crop[1]}
        stamp = stamp or crop[2]
    if stamp:
        meta["stamp"] = stamp
    block = ExtractedBlock(key=key or f"p{page}#{number}", page=page, kind=block_type, text=_drop_markers(text),
                           metadata=_compact(meta))
    return block, stamp


def _image_paragraphs(lines: list[str]) -> tuple[str, dict[str, Any]]:
    """C08's labelled analysis of an image crop: its OCR'd text, and zone, grid lines and summary."""
    meta: dict[str, Any] = {}
    labelled: dict[str, str] = {}
    kept = []
    for line in lines:
        label, _, value = line.partition(":")
        if label in _IMAGE_LABELS and value.strip():
            labelled[_IMAGE_LABELS[label] or label] = value.strip()
        elif line.startswith("[ИЗОБРАЖЕНИЕ]"):  # "[ИЗОБРАЖЕНИЕ] | Тип: План этажа | Оси: 1-8/А-Ж"
            parts = dict(part.partition(": ")[::2] for part in line.split(" | ")[1:])
            meta.update(zone_name=parts.get("Тип"), grid_lines=parts.get("Оси"))
        else:
            kept.append(line)
    meta["summary"] = labelled.get("summary")
    return labelled.get("text") or "\n".join(kept), meta


def _stamp_from_info(text: str) -> dict[str, str]:
    """C08's ``.stamp-info`` line ("Шифр: ... | Стадия: Р | Лист: 6 | ...") as a label→value dict."""
    stamp = {}
    for part in text.split(" | "):
        label, sep, value = part.partition(":")
        if sep and label.strip() and value.strip():
            stamp[label.strip()] = value.strip()
    return stamp


def _html_metadata(preamble: str) -> dict[str, Any]:
    """The ``<h1>`` (a project path ending in the PDF's name, or just the name) and generation time."""
    meta: dict[str, Any] = {}
    for line in filter(None, preamble.split("\n")):
        if line.startswith("Сгенерировано:"):
            meta["generated"] = line.partition(":")[2].strip()
        elif "title" not in meta and "source_file" not in meta:
            meta["title" if " / " in line else "source_file"] = line
    return meta


# --- Markdown (C07) ---------------------------------------------------------------------------------

_FENCE_JSON = re.compile(r"^ {0,3}```[ \t]*json[ \t]*$", re.MULTILINE)
_HEADING = re.compile(r"#{1,6}\s+(.*)")
_TABLE_RULE = re.compile(r":?-{2,}:?")


def _sniff_markdown(text: str, head_length: int) -> bool:
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
        raise _Malformed(f"the fenced block opened at line {opened_at} is never closed (cut short?)")
    segments.append(("text", "\n".join(outside), 0))
    return segments


def _extract_markdown(kind: str, text: str) -> ExtractedDocument:
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
        raise _Malformed("no fenced ```json blocks with doc_metadata.page")
    _infer_text_pages(blocks, last_page=crops[-1].page)
    return _assemble(kind, blocks, metadata=_markdown_metadata(pieces.rows))


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
        raise _Malformed(f"the fenced JSON block at line {line} is not valid JSON ({exc.msg})") from None
    except (ValueError, RecursionError):
        raise _Malformed(f"the fenced JSON block at line {line} is not valid JSON (too large or deep)") from None
    meta = data.get("doc_metadata") if isinstance(data, dict) else None
    if not isinstance(meta, dict) or "page" not in meta:
        raise _Malformed(f"the fenced JSON block at line {line} has no doc_metadata.page")
    return _page_number(meta["page"], f"the fenced JSON block at line {line}"), data


def _crop_block(body: str, line: int) -> ExtractedBlock:
    """A Markdown crop: keyed by the crop file's uuid, with its OCR'd text."""
    page, data = _crop_page(body, line)
    image = data.get("image") if isinstance(data.get("image"), dict) else {}
    uri = image.get("uri") if isinstance(image.get("uri"), str) else ""
    key = PurePath(uri.rsplit("/", 1)[-1]).stem or f"line-{line}"  # the crop file is named by its uuid
    text, meta = _analysis_fields(_analysis(data.get("analysis")))
    if not text and isinstance(data.get("raw_pdfplumber_text"), str):
        text = _plain_lines(data["raw_pdfplumber_text"])
    hint = data["doc_metadata"].get("operator_hint")
    metadata = {"block_type": "image", **meta, "operator_hint": hint, "crop_url": uri}
    return ExtractedBlock(key=key, page=page, kind="image", text=text,
                          metadata=_compact({k: v for k, v in metadata.items() if isinstance(v, str)}))


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
    return [_squash(html_to_text(cell)) for cell in cells]


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


# --- annotation and result JSON (C10, C11) ----------------------------------------------------------

_JSON_PAGES = re.compile(r'"pages"\s*:\s*\[')
_JSON_PAGE_NUMBER = re.compile(r'"page_number"\s*:\s*\d')
_JSON_BLOCKS = re.compile(r'"blocks"\s*:\s*\[')
_JSON_RESULT = re.compile(r'"ocr_(?:html|meta|json)"\s*:|"ocr_text"\s*:\s*"')


def _sniff_json(text: str) -> str | None:
    if not (_JSON_PAGES.search(text) and _JSON_PAGE_NUMBER.search(text) and _JSON_BLOCKS.search(text)):
        return None
    return "result_json" if _JSON_RESULT.search(text) else "annotation_json"


def _extract_json(kind: str, text: str) -> ExtractedDocument:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Malformed(f"invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise _Malformed(f"invalid JSON ({exc})") from None
    except RecursionError:
        raise _Malformed("invalid JSON (nested too deeply)") from None
    if not isinstance(data, dict) or not isinstance(data.get("pages"), list):
        raise _Malformed('no "pages" list at the top level')
    blocks: list[ExtractedBlock] = []
    stamps: dict[int, list[dict[str, str]]] = defaultdict(list)
    sizes: dict[int, tuple[float, float]] = {}
    for index, page_data in enumerate(data["pages"]):
        number = _json_page_number(page_data, index)
        sizes[number] = (_pixels(page_data.get("width")), _pixels(page_data.get("height")))
        page_blocks = page_data.get("blocks") or []
        if not isinstance(page_blocks, list):
            raise _Malformed(f'pages[{index}].blocks is not a list')
        for position, block_data in enumerate(page_blocks):
            if not isinstance(block_data, dict):
                raise _Malformed(f"pages[{index}].blocks[{position}] is not an object")
            block, stamp = _json_block(block_data, number, position)
            blocks.append(block)
            if stamp:  # stamp crops first: theirs is the stamp as read, the others inherit it
                at = 0 if block.metadata.get("category") == "stamp" else len(stamps[number])
                stamps[number].insert(at, stamp)
    path = data.get("pdf_path")
    source_file = PureWindowsPath(path).name if isinstance(path, str) else None  # never the user's folders
    return _assemble(kind, blocks, stamps=stamps, sizes=sizes, metadata={"source_file": source_file})


def _json_page_number(page: Any, index: int) -> int:
    """The 1-based page number of a JSON page, whose ``page_number`` is 0-based."""
    if not isinstance(page, dict):
        raise _Malformed(f"pages[{index}] is not an object")
    number = page.get("page_number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise _Malformed(f"pages[{index}] has no page_number")
    return _page_number(number + 1, f"pages[{index}] (page_number counts from 0)")


def _pixels(value: Any) -> float:
    number = _number(value)
    return number if number and number > 0 else 0.0


def _json_block(data: dict[str, Any], page: int, position: int) -> tuple[ExtractedBlock, dict[str, str]]:
    """One annotated block with its OCR text (result files) or the operator's labels (annotations)."""
    block_type = data.get("block_type") if isinstance(data.get("block_type"), str) else "text"
    key = data.get("id") if isinstance(data.get("id"), str) and data["id"].strip() else f"p{page}-{position + 1}"
    text, meta, stamp = _json_block_text(data)
    if isinstance(data.get("stamp_data"), dict) and not stamp:
        stamp = _stamp_from_json(data["stamp_data"])
    if not text:  # annotation files have no OCR; the operator's labels are the text
        labels = (data.get("group_name"), data.get("hint"))
        text = "\n".join(_squash(label) for label in labels if isinstance(label, str) and label.strip())
    metadata = {
        "block_type": block_type, "source": data.get("source"), "shape_type": data.get("shape_type"),
        "category": data.get("category_code"), "group_name": data.get("group_name"), "hint": data.get("hint"),
        "linked_block_id": data.get("linked_block_id"), **meta, "stamp": stamp,
    }
    metadata = {k: v for k, v in metadata.items() if isinstance(v, (str, dict))}
    return ExtractedBlock(
        key=key.strip(), page=page, kind=block_type.lower(), text=_drop_markers(text),
        bbox=_bbox(data.get("coords_norm")), metadata=_compact(metadata),
    ), stamp


def _json_block_text(data: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, str]]:
    """OCR text of a result block: crop JSON (``ocr_json`` or JSON in ``ocr_text``), else HTML."""
    ocr_json, ocr_text = data.get("ocr_json"), data.get("ocr_text")
    text, meta, stamp = "", {}, {}
    if isinstance(ocr_json, dict):
        text, meta, stamp = _crop_fields(ocr_json) or ("", {}, {})
    elif isinstance(ocr_text, str) and ocr_text.lstrip()[:1] in ("{", "`"):
        text, meta, stamp = _crop_json_text(ocr_text)
    elif isinstance(ocr_text, str):
        text = html_to_text(ocr_text)
    if not text and isinstance(data.get("pdfplumber_text"), str):
        text = _plain_lines(data["pdfplumber_text"])
    return text, meta, stamp
