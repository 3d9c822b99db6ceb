"""OCR HTML: one page of blocks, each headed «Блок #n (стр. p) | Тип: t».

Under its header a block carries the full block id in a ``BLOCK: id`` line (and a ``Linked block``
line), then its OCR text. Stamp data comes either as a ``.stamp-info`` div or as JSON in the
``<pre>`` of a stamp crop; the analysis of an image crop either as labelled paragraphs or as JSON in
its ``<pre>``. The ``<h1>`` before the first block names the project or the source PDF.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from ..extracted import ExtractedBlock, ExtractedDocument
from .common import Malformed, compact, drop_markers, page_number
from .crops import crop_fields, loads_lenient_fence
from .document import assemble
from .html_text import HtmlText, TextSink, sanitize_html
from .stamps import Stamp, stamp_from_info

_BLOCK_HEADER = re.compile(r"Блок #(\d{1,9}) \(стр\. (\d{1,9})\)")
_HEADER_TYPE = re.compile(r"Тип:\s*([\w-]+)")
_PIPELINE_LINE = re.compile(r"(BLOCK|Linked block|Created):\s*(\S.*)")  # lines the pipeline adds
# Some OCR HTML writes an image crop's analysis as labelled paragraphs: the OCR'd text is kept, the
# summary goes to metadata, the model's description and entity list are left out.
_IMAGE_LABELS = {"Текст на чертеже": "text", "Краткое описание": "summary", "Описание": None, "Сущности": None}


class _RawBlock:
    """What the OCR HTML says about one block before it is interpreted."""

    def __init__(self) -> None:
        self.header = TextSink()
        self.content = TextSink()
        self.stamp = TextSink()
        self.pre: list[str] = []
        self.crop_url: str | None = None


class _OcrHtml(HtmlText):
    """Splits OCR HTML at its block headers and routes each part (header, stamp, ``<pre>``) apart.

    Blocks are cut at headers rather than by matching ``div`` nesting: block contents embed whole
    HTML documents and stray end tags, so nesting is not to be trusted.
    """

    def __init__(self) -> None:
        super().__init__()
        self.preamble = self.sink
        self.blocks: list[_RawBlock] = []
        self._capture: TextSink | None = None  # a header's or stamp's text, until its </div>
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


def sniff(head: str) -> bool:
    """Whether the head of an ``.html`` file has the pipeline's block headers."""
    return bool(_BLOCK_HEADER.search(head))


def extract(kind: str, text: str) -> ExtractedDocument:
    """The document of an OCR HTML page, cut at its block headers."""
    if not text.rstrip().lower().endswith("</html>"):
        raise Malformed("the document does not end with </html> (cut short?)")
    parser = _OcrHtml()
    parser.feed(sanitize_html(text))
    parser.close()
    if not parser.blocks:
        raise Malformed("no «Блок #n (стр. p)» block headers")
    blocks: list[ExtractedBlock] = []
    stamps: dict[int, list[Stamp]] = defaultdict(list)
    for raw in parser.blocks:
        block, stamp = _html_block(raw)
        blocks.append(block)
        if stamp:
            stamps[block.page].append(stamp)
    return assemble(kind, blocks, stamps=stamps, metadata=_html_metadata(parser.preamble.text()))


def _html_block(raw: _RawBlock) -> tuple[ExtractedBlock, Stamp]:
    """One OCR HTML block and its stamp (empty when it has none)."""
    header = raw.header.text()
    match = _BLOCK_HEADER.search(header)
    if not match:
        raise Malformed(f"block header {header[:80]!r} is not «Блок #n (стр. p)»")
    number, page = int(match.group(1)), page_number(int(match.group(2)), f"block header {header[:80]!r}")
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
    stamp = stamp_from_info(raw.stamp.text())
    crop = crop_fields(loads_lenient_fence("".join(raw.pre))) if raw.pre else None
    if crop is not None:
        text, meta = crop.text, {**meta, **crop.metadata}
        stamp = stamp or crop.stamp
    if stamp:
        meta["stamp"] = stamp
    block = ExtractedBlock(key=key or f"p{page}#{number}", page=page, kind=block_type, text=drop_markers(text),
                           metadata=compact(meta))
    return block, stamp


def _image_paragraphs(lines: list[str]) -> tuple[str, dict[str, Any]]:
    """An image crop's analysis written as labelled paragraphs: its OCR'd text, and zone, grid lines
    and summary."""
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


def _html_metadata(preamble: str) -> dict[str, Any]:
    """The ``<h1>`` (a project path ending in the PDF's name, or just the name) and generation time."""
    meta: dict[str, Any] = {}
    for line in filter(None, preamble.split("\n")):
        if line.startswith("Сгенерировано:"):
            meta["generated"] = line.partition(":")[2].strip()
        elif "title" not in meta and "source_file" not in meta:
            meta["title" if " / " in line else "source_file"] = line
    return meta
