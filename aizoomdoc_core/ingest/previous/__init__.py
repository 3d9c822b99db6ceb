"""The team's earlier OCR pipeline outputs, imported as text documents.

The source PDFs of those runs are gone; what is left is the pipeline's text, block by block, so these
files become documents whose pages carry text blocks and no drawing. Four formats, a module each:

``markdown`` (``markdown.py``)
    A prepared Markdown: page text with fenced ```json blocks, one per image crop, each carrying its
    page. Text outside the fences is given the page of the next fenced block, an inference said in
    each such block's metadata (``page_inferred``).
``html`` (``ocr_html.py``)
    OCR HTML: blocks headed «Блок #n (стр. p) | Тип: t», with the full block id, stamp data and the
    analysis of image crops inside each block.
``annotation_json``, ``result_json`` (``block_json.py``)
    The block annotations of a run (ids, ``coords_norm``, block types, the operator's hints) and the
    per-block OCR result of the same run; their pages count from 0.

Decisions common to all formats (``document.py``): a block's key is the pipeline's own id, made unique
by a ``#2``, ``#3``... suffix; its bbox is ``coords_norm`` when the format has it (already 0..1 with a
top-left origin: it equals ``coords_px`` divided by the page's pixel size) and the whole page
otherwise. Image crops contribute their OCR'd text (``clean_ocr_text``), not the model's prose about
them, which stays out or goes to metadata as a one-line ``summary`` (``crops.py``); the pipeline's own
``BLOCK: id`` marker lines are dropped wherever the OCR read them back. Page title blocks come only
from structured stamp data (``stamps.py``): Markdown stamps are OCR'd tables whose page is itself a
guess, so Markdown pages have none and only the document gets its шифр and title from them.

Every input is untrusted: anything that is not the format raises ``InvalidInput`` with one line, and
all work is linear in the input. Python's ``html.parser`` is not (a megabyte of ``</`` or ``<!--``
takes minutes), so HTML goes through ``html_text.sanitize_html`` first, which lets only well-formed
tags reach the parser.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from ...errors import InvalidInput
from ..extracted import ExtractedDocument
from . import block_json, markdown, ocr_html
from .common import Malformed, decode

_EXTRACTORS: dict[str, Callable[[str, str], ExtractedDocument]] = {
    "markdown": markdown.extract, "html": ocr_html.extract,
    "annotation_json": block_json.extract, "result_json": block_json.extract,
}
_FORMAT_NAMES = {
    "markdown": "OCR Markdown", "html": "OCR HTML",
    "annotation_json": "OCR annotation", "result_json": "OCR result",
}


def sniff_previous(name: str, head: bytes) -> str | None:
    """Which earlier-pipeline format ``name`` is, from its extension and its first bytes, or None.

    The extension picks the candidate and the content must confirm it, so an ordinary ``.json`` or
    ``.html`` is not taken for pipeline output.
    """
    suffix = PurePath(name).suffix.lower()
    text = head.decode("utf-8", errors="ignore")  # the head may end inside a character
    if suffix in (".md", ".markdown"):
        return "markdown" if markdown.sniff(text, len(head)) else None
    if suffix in (".html", ".htm"):
        return "html" if ocr_html.sniff(text) else None
    if suffix == ".json":
        return block_json.sniff(text)
    return None


def extract_previous(kind: str, data: bytes, name: str) -> ExtractedDocument:
    """The document in ``data`` (a format ``sniff_previous`` named), or ``InvalidInput`` saying why not."""
    if kind not in _EXTRACTORS:
        raise ValueError(f"unknown earlier-pipeline format {kind!r}")
    shown = PurePath(name).name or name
    try:
        if not data.strip():
            raise Malformed("the file is empty")
        return _EXTRACTORS[kind](kind, decode(data))
    except Malformed as exc:
        raise InvalidInput(f"{shown}: not an {_FORMAT_NAMES[kind]} file: {exc}") from None
