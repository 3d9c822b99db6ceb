"""The document around an earlier-pipeline file's blocks: unique keys, pages, document metadata."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from ...sanitize import clean_text
from ..extracted import ExtractedBlock, ExtractedDocument, ExtractedPage
from .common import compact
from .stamps import Stamp, title_block

SOURCE = "previous_pipeline"
MIMES = {
    "markdown": "text/markdown", "html": "text/html",
    "annotation_json": "application/json", "result_json": "application/json",
}


def _unique_keys(blocks: list[ExtractedBlock]) -> list[str]:
    """Make block keys unique in the document: a repeated id becomes ``id#2``, ``id#3``... (never a
    key another block has); the warnings say which were renamed."""
    taken = {block.key for block in blocks}
    seen: set[str] = set()
    next_suffix: dict[str, int] = {}  # per id, so suffixes already tried are not tried again
    warnings: list[str] = []
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


def assemble(
    kind: str,
    blocks: list[ExtractedBlock],
    *,
    stamps: dict[int, list[Stamp]] | None = None,
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
            title_block=title_block(stamps.get(number, [])), blocks=by_page.get(number, []),
            metadata={"source": SOURCE},
        ))
    doc_meta: dict[str, Any] = {"source": SOURCE, "format": kind, "page_count": len(pages)}
    for key, label in (("sheet_code", "Шифр"), ("object", "Объект")):  # what most stamps say
        values = Counter(s[label] for page_stamps in stamps.values() for s in page_stamps if s.get(label))
        if values:
            doc_meta[key] = values.most_common(1)[0][0]
    doc_meta.update(compact(metadata or {}))
    return ExtractedDocument(mime=MIMES[kind], pages=pages, status="ready", metadata=doc_meta, warnings=warnings)
