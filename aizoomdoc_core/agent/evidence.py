"""What a question has shown, and which crops to show for its hits before any model is asked.

``Evidence`` numbers what the answer may cite: hits as B1, B2..., images as I1, I2... An image's
marker is kept once, in the image row's metadata (History shows it there), and read from there.
Each image is stored as soon as it is rendered, under the question's answer, and shown at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ..chats import ChatLog
from ..errors import AizoomdocError, BackendUnavailable
from ..events import Event, ImageReady, Notice
from ..library import Library
from ..models import ChatImage, Citation, DocumentInfo, Message
from ..question import Question
from ..render import CONTEXT_CANVAS, MAX_SIDE, Concepts, Renderer, Rendered, clamp_bbox, drawable
from ..search import Hit
from ..terms import matched_concepts, query_concepts
from .glossary import bilingual
from .labels import CANDIDATES, label_value, weights
from .rows import Row, table_row
from .texts import TEXTS, Texts

EVIDENCE_CROPS = 4  # legible crops around the best hits, shown before the model is asked
EVIDENCE_PIXELS = 4_000_000  # all of those images together
WIDEST_CROP = int(MAX_SIDE * CONTEXT_CANVAS[1] * 1.02)  # the most a context crop takes (a long row's)
_MARKER = re.compile(r"\[([BI])(\d+)\]")


def marker(image: ChatImage) -> str:
    return str(image.metadata.get("marker"))


@dataclass
class Evidence:
    """The hits and images of one question, stored in its chat under its ``answer``."""

    log: ChatLog
    library: Library
    answer: Message  # the pending answer: every image of the question belongs to it
    texts: Texts = TEXTS["en"]  # the question's language, for the images' captions
    hits: dict[str, Hit] = field(default_factory=dict)
    images: list[ChatImage] = field(default_factory=list)
    pngs: dict[str, bytes] = field(default_factory=dict)  # each image's bytes by id, for a vision model
    documents: dict[str, DocumentInfo] = field(default_factory=dict)  # read once per question
    values: dict[tuple[str, str], list[Hit]] = field(default_factory=dict)  # a label's value, by its block
    rows: dict[tuple[str, str], Row | None] = field(default_factory=dict)  # a table's answering row, by its hit
    pages: dict[tuple[str, int], list[Hit]] = field(default_factory=dict)  # a page's blocks, read once

    def document(self, document_id: str) -> DocumentInfo:
        """The document, read from the store the first time this question needs it (failures are
        not kept: the next hit asks again)."""
        if document_id not in self.documents:
            self.documents[document_id] = self.library.document(document_id)
        return self.documents[document_id]

    def value(self, hit: Hit, concepts: Sequence[Sequence[str]], weights: Sequence[float]) -> list[Hit]:
        """The blocks of ``hit``'s value when it is a label (``labels.label_value``), chosen once per
        question: its crop is made to hold them, its quote reads them. No blocks when the store is
        away (the label is shown and quoted alone)."""
        key = (hit.document_id, hit.block_id)
        if key not in self.values:
            try:
                self.values[key] = label_value(self.library, hit, concepts, weights)
            except AizoomdocError:
                return []
        return self.values[key]

    def row(self, hit: Hit, concepts: Sequence[Sequence[str]], weights: Sequence[float]) -> Row | None:
        """The row of the table ``hit`` heads or belongs to that answers (``rows.table_row``), chosen
        once per question: the quote reads it and its crop is made around it. None when the store
        is away."""
        key = (hit.document_id, hit.block_id)
        if key not in self.rows:
            try:
                self.rows[key] = table_row(self.page_blocks, hit, concepts, weights)
            except AizoomdocError:
                return None
        return self.rows[key]

    def page_blocks(self, document_id: str, page: int) -> list[Hit]:
        """The page's blocks, top to bottom, read once per question (a table's rows and the values
        of a quantity asked for are read from it). A failure is not kept: the next call asks again."""
        if (document_id, page) not in self.pages:
            self.pages[(document_id, page)] = self.library.blocks_in_region(document_id, page, [0, 0, 1, 1])
        return self.pages[(document_id, page)]

    def add_hit(self, hit: Hit) -> str:
        for known_marker, known in self.hits.items():
            if (known.document_id, known.block_id) == (hit.document_id, hit.block_id):
                return known_marker
        new = f"B{len(self.hits) + 1}"
        self.hits[new] = hit
        return new

    def store(self, kind: str, document: DocumentInfo, page: int, rendered: Rendered, sheet: str | None) -> ImageReady:
        """Store one rendered image of ``document``'s ``page`` (on sheet ``sheet``) as the next [In]."""
        caption = f"{document.name}, {self.texts.page} {page}" + (f", {self.texts.sheet} {sheet}" if sheet else "")
        new = f"I{len(self.images) + 1}"
        image = self.log.add_image(
            rendered.png, kind=kind, width=rendered.width, height=rendered.height, message_id=self.answer.id,
            document_id=document.id, page=page, bbox=rendered.bbox, scale=rendered.scale,
            metadata={"text_px": rendered.text_px, "caption": caption, "marker": new},  # kept for History
        )
        self.images.append(image)
        self.pngs[image.id] = rendered.png
        return ImageReady(image=image, caption=f"[{new}] {caption}", data=rendered.png)

    def citations(self, text: str) -> list[Citation]:
        """The markers ``text`` uses, as citations that trace back to a document, page and bbox."""
        images = {marker(image): image for image in self.images}
        cited: dict[str, Citation] = {}
        for kind, number in _MARKER.findall(text):
            key = f"{kind}{number}"
            if key in cited:
                continue
            if kind == "B" and key in self.hits:
                hit = self.hits[key]
                cited[key] = Citation(key, hit.document_id, hit.page, hit.bbox, hit.block_id)
            elif kind == "I" and key in images:
                image = images[key]
                cited[key] = Citation(key, image.document_id, image.page, image.bbox, None, image.id)
        return list(cited.values())


def show_hits(
    evidence: Evidence, renderer: Renderer, question: Question, hits: list[Hit], quoted: Sequence[Hit] = ()
) -> Iterator[Event]:
    """A viewport of the best drawable page, and legible crops around what is quoted, then the best hits.

    ``quoted`` are the blocks the answer without a model quotes, best first (``extractive.quotes``):
    they get the first crops (with search's best hit after the first quote), so that each quote can
    be read in an image, even when its block is no hit (a schedule's row under the heading that
    matched) or on a page the hits rank lower.
    No image goes past EVIDENCE_PIXELS in all, so each crop should show something new: see
    ``_next_hit`` for which hit gets the next one. A label's crop is made to hold its value too
    (``labels.label_value``), which the extractive answer quotes after the label.
    """
    crops: list[ChatImage] = []
    pixels = 0
    # Then the best page's hits: the answer to a question about a sheet is usually near another
    # of that sheet's hits (a row of the schedule whose heading matched).
    best = (hits[0].document_id, hits[0].page) if hits else None
    # The first quote, then search's best hit (what a model would read first), then the other quotes.
    first = list({(h.document_id, h.block_id): h for h in [*quoted[:1], *hits[:1], *quoted[1:]]}.values())
    pending = first + [h for h in sorted(hits, key=lambda h: (h.document_id, h.page) != best) if h not in first]
    concepts = tuple(bilingual(query_concepts(question.text)))  # as the quotes read them
    weighted = weights(concepts, hits[:CANDIDATES])
    shown: dict[tuple[str, int], set[int]] = {}
    # A crop fits what is left of the budget (its canvas shrinks), down to half a context canvas:
    # smaller than that it shows too little around its hit to be worth rendering.
    while len(crops) < EVIDENCE_CROPS and EVIDENCE_PIXELS - pixels >= CONTEXT_CANVAS[0] * CONTEXT_CANVAS[1] // 2:
        hit = _next_hit(pending, crops, shown, concepts, first)
        if hit is None:
            break
        try:
            document = evidence.document(hit.document_id)
        except BackendUnavailable as exc:  # the cloud went away after the search: answer without it
            yield Notice(text=f"no image of page {hit.page}: {exc}")
            continue
        if not drawable(document):
            continue
        for kind in ["viewport", "zoom_crop"] if not crops else ["zoom_crop"]:
            drawing = "context_crop" if kind == "zoom_crop" else kind
            try:
                focus = concepts if drawing == "context_crop" else ()
                region = _with_value(evidence, hit, concepts, weighted) if drawing == "context_crop" else hit.bbox
                left = EVIDENCE_PIXELS - pixels
                bound = left if drawing == "context_crop" and left < WIDEST_CROP else None  # else any crop fits
                rendered = renderer.render(drawing, document, hit.page, clamp_bbox(region, minimum=0.001), focus, bound)
                if pixels + rendered.width * rendered.height > EVIDENCE_PIXELS:
                    break
                ready = evidence.store(kind, document, hit.page, rendered, hit.sheet_code)
            except AizoomdocError as exc:  # not drawable, or its file's store is unreachable right now
                yield Notice(text=f"no image of {document.name} page {hit.page}: {exc}")
                break
            pixels += ready.image.width * ready.image.height
            if kind == "zoom_crop":
                crops.append(ready.image)
                shown.setdefault((hit.document_id, hit.page), set()).update(matched_concepts(concepts, hit.text))
            yield ready


def _next_hit(
    pending: list[Hit], crops: list[ChatImage], shown: dict[tuple[str, int], set[int]], concepts: Concepts,
    quoted: Sequence[Hit] = (),
) -> Hit | None:
    """Take from ``pending`` the hit that deserves the next crop, or None when none does.

    A hit wholly inside an earlier crop of its page is already shown. A quoted block not yet
    shown goes first, in the quotes' order. Of the others, the first
    that matches a question word its page's crops do not show yet goes first: on a schedule the
    heading matched "schedule", the row that matches "refrigerator" is the one with the answer,
    while a third heading that only says "schedule" again shows nothing new.
    """
    fresh = [
        hit for hit in pending
        if not any(c.document_id == hit.document_id and c.page == hit.page and _within(hit.bbox, c.bbox) for c in crops)
    ]
    pending[:] = fresh
    if not fresh:
        return None
    new = (h for h in fresh if matched_concepts(concepts, h.text) - shown.get((h.document_id, h.page), set()))
    hit = next((h for h in fresh if h in quoted), None) or next(new, fresh[0])
    pending.remove(hit)
    return hit


def _with_value(evidence: Evidence, hit: Hit, concepts: Concepts, weights: Sequence[float]) -> list[float]:
    """``hit``'s bbox, grown to hold its value when it is a label: the crop then shows what the
    quote reads after the label, however far right along its row (a schedule's, a log's)."""
    value = evidence.value(hit, concepts, weights)
    boxes = [hit.bbox, *(block.bbox for block in value)]
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def _within(bbox: list[float], region: list[float] | None) -> bool:
    """Whether ``bbox`` lies wholly in ``region``: a wide table row half in a crop is not shown."""
    if region is None:
        return False
    eps = 1e-3
    return (region[0] <= bbox[0] + eps and region[1] <= bbox[1] + eps
            and bbox[2] <= region[2] + eps and bbox[3] <= region[3] + eps)


def hit_line(marker: str, hit: Hit) -> str:
    """A hit as the model reads it: its marker, where it is, and its text."""
    sheet = f" sheet {hit.sheet_code}" if hit.sheet_code else ""
    title = f" «{hit.sheet_title}»" if hit.sheet_title else ""
    text = snippet(hit.text)
    return f"[{marker}] {hit.document_name} (document_id {hit.document_id}) page {hit.page}{sheet}{title} bbox {hit.bbox}: {text}"


def snippet(text: str, limit: int = 300) -> str:
    """A block's text on one line, at most ``limit`` characters, cut visibly at a word boundary
    (mid-word only when its first word alone is longer)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if not text[limit - 1].isspace() and " " in head:
        head = head[: head.rindex(" ")]
    return head.rstrip(" ,;:–—-|") + "…"
