"""Annotation JSON and result JSON: one run's blocks, listed page by page.

The annotation file holds the blocks as the operator marked them (ids, ``coords_norm``, block types,
hints and groups); the result file the same blocks with their OCR (HTML fragments, crop analysis
JSON, ``stamp_data``). Their ``page_number`` counts from 0 (the same block that has page_number 1
here is «стр. 2» in the run's OCR HTML), so pages here are ``page_number + 1``. Every listed page
becomes a page, with or without blocks. Annotation blocks have no OCR text, so their text is the
operator's labels (group name, hint) and is empty for most of them.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import PureWindowsPath
from typing import Any

from ..extracted import ExtractedBlock, ExtractedDocument
from .common import Malformed, bbox, compact, drop_markers, finite_number, page_number, plain_lines, squash
from .crops import CropText, crop_fields, crop_json_text
from .document import assemble
from .html_text import html_to_text
from .stamps import Stamp, stamp_from_json

_JSON_PAGES = re.compile(r'"pages"\s*:\s*\[')
_JSON_PAGE_NUMBER = re.compile(r'"page_number"\s*:\s*\d')
_JSON_BLOCKS = re.compile(r'"blocks"\s*:\s*\[')
_JSON_RESULT = re.compile(r'"ocr_(?:html|meta|json)"\s*:|"ocr_text"\s*:\s*"')


def sniff(text: str) -> str | None:
    """Which of the two JSON formats the head of a ``.json`` file is, or None for other JSON."""
    if not (_JSON_PAGES.search(text) and _JSON_PAGE_NUMBER.search(text) and _JSON_BLOCKS.search(text)):
        return None
    return "result_json" if _JSON_RESULT.search(text) else "annotation_json"


def extract(kind: str, text: str) -> ExtractedDocument:
    """The document of an annotation or result file: every listed page, its blocks and stamps."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Malformed(f"invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise Malformed(f"invalid JSON ({exc})") from None
    except RecursionError:
        raise Malformed("invalid JSON (nested too deeply)") from None
    if not isinstance(data, dict) or not isinstance(data.get("pages"), list):
        raise Malformed('no "pages" list at the top level')
    blocks: list[ExtractedBlock] = []
    stamps: dict[int, list[Stamp]] = defaultdict(list)
    sizes: dict[int, tuple[float, float]] = {}
    for index, page_data in enumerate(data["pages"]):
        number = _json_page_number(page_data, index)
        sizes[number] = (_pixels(page_data.get("width")), _pixels(page_data.get("height")))
        page_blocks = page_data.get("blocks") or []
        if not isinstance(page_blocks, list):
            raise Malformed(f'pages[{index}].blocks is not a list')
        for position, block_data in enumerate(page_blocks):
            if not isinstance(block_data, dict):
                raise Malformed(f"pages[{index}].blocks[{position}] is not an object")
            block, stamp = _json_block(block_data, number, position)
            blocks.append(block)
            if stamp:  # stamp crops first: theirs is the stamp as read, the others inherit it
                at = 0 if block.metadata.get("category") == "stamp" else len(stamps[number])
                stamps[number].insert(at, stamp)
    path = data.get("pdf_path")
    source_file = PureWindowsPath(path).name if isinstance(path, str) else None  # never the user's folders
    return assemble(kind, blocks, stamps=stamps, sizes=sizes, metadata={"source_file": source_file})


def _json_page_number(page: Any, index: int) -> int:
    """The 1-based page number of a JSON page, whose ``page_number`` is 0-based."""
    if not isinstance(page, dict):
        raise Malformed(f"pages[{index}] is not an object")
    number = page.get("page_number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise Malformed(f"pages[{index}] has no page_number")
    return page_number(number + 1, f"pages[{index}] (page_number counts from 0)")


def _pixels(value: Any) -> float:
    number = finite_number(value)
    return number if number and number > 0 else 0.0


def _json_block(data: dict[str, Any], page: int, position: int) -> tuple[ExtractedBlock, Stamp]:
    """One annotated block with its OCR text (result files) or the operator's labels (annotations)."""
    block_type = data.get("block_type")
    if not isinstance(block_type, str):
        block_type = "text"
    key = _string(data.get("id")).strip() or f"p{page}-{position + 1}"
    crop = _json_block_text(data)
    text, stamp = crop.text, crop.stamp
    if isinstance(data.get("stamp_data"), dict) and not stamp:
        stamp = stamp_from_json(data["stamp_data"])
    if not text:  # annotation files have no OCR; the operator's labels are the text
        labels = (data.get("group_name"), data.get("hint"))
        text = "\n".join(squash(label) for label in labels if isinstance(label, str) and label.strip())
    metadata = {
        "block_type": block_type, "source": data.get("source"), "shape_type": data.get("shape_type"),
        "category": data.get("category_code"), "group_name": data.get("group_name"), "hint": data.get("hint"),
        "linked_block_id": data.get("linked_block_id"), **crop.metadata, "stamp": stamp,
    }
    metadata = {k: v for k, v in metadata.items() if isinstance(v, (str, dict))}
    return ExtractedBlock(
        key=key, page=page, kind=block_type.lower(), text=drop_markers(text),
        bbox=bbox(data.get("coords_norm")), metadata=compact(metadata),
    ), stamp


def _json_block_text(data: dict[str, Any]) -> CropText:
    """OCR text of a result block: crop JSON (``ocr_json`` or JSON in ``ocr_text``), else HTML."""
    ocr_json, ocr_text = data.get("ocr_json"), data.get("ocr_text")
    crop = CropText("")
    if isinstance(ocr_json, dict):
        crop = crop_fields(ocr_json) or crop
    elif isinstance(ocr_text, str) and ocr_text.lstrip()[:1] in ("{", "`"):
        crop = crop_json_text(ocr_text)
    elif isinstance(ocr_text, str):
        crop = CropText(html_to_text(ocr_text))
    if not crop.text and isinstance(data.get("pdfplumber_text"), str):
        return CropText(plain_lines(data["pdfplumber_text"]), crop.metadata, crop.stamp)
    return crop


def _string(value: object) -> str:
    """A JSON value that should be a string, or "" when it is not one."""
    return value if isinstance(value, str) else ""
