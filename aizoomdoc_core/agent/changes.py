"""Questions about what changed between two versions ("what changed on A-2 between these
revisions?", «что изменилось на листе 3?»), answered from the comparison (``compare``).

Asked in a chat whose documents are the two versions (chosen before asking, or attached; their
stamps name the same sheets), the earlier-added one being the old version: the sheets the question names (by code or number), else
every changed sheet, each shown old beside new at its changed regions, with the words that changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..compare import Comparison, SheetChange, around, compare
from ..errors import AizoomdocError
from ..events import Event, Notice
from ..library import Library
from ..models import Citation, DocumentInfo
from ..render import Renderer, clamp_bbox
from ..sheet_diff import TextChange, phrases
from ..sheet_index import page_key, sheet_key
from .evidence import Evidence
from .texts import Texts

_ASKS = re.compile(
    r"\b(?:what\s+(?:has\s+|have\s+)?changed|changes?|differences?|differ|revised|between\s+(?:the\s+)?(?:two\s+)?"
    r"(?:versions|revisions|sets))\b|изменил|изменени|отлича|отличи|разниц|различи",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[\w./-]+")
SHEETS = 2  # changed sheets shown in images; the answer lists them all
REGIONS = 2  # regions a sheet is shown at, old beside new
WORDS = 6  # changed words an answer line names


@dataclass(frozen=True)
class Changes:
    comparison: Comparison
    sheets: list[SheetChange]  # what the answer is about: the sheets named, else the changed ones
    named: bool


def asks_for_changes(question: str) -> bool:
    return bool(_ASKS.search(question))


def changes_for(library: Library, renderer: Renderer, question: str, scope: Sequence[str] | None) -> Changes | None:
    """The comparison a question about changes is about: a chat of exactly two PDF documents."""
    if not scope or len(scope) != 2 or not asks_for_changes(question):
        return None
    try:
        documents = sorted((library.document(d) for d in scope), key=lambda d: d.created_at)
        if any(d.mime != "application/pdf" for d in documents) or not _versions(library, *documents):
            return None
        comparison = compare(library, renderer, documents[0].id, documents[1].id)
    except AizoomdocError:  # a version deleted since, or unreadable: the question is searched as any other
        return None
    named_keys = {sheet_key(token) for token in _TOKEN.findall(question)}
    named = [s for s in comparison.sheets if sheet_key(s.sheet) in named_keys]
    return Changes(comparison, named or [s for s in comparison.sheets if s.status != "unchanged"], bool(named))


def _versions(library: Library, old: DocumentInfo, new: DocumentInfo) -> bool:
    """Whether two documents are versions of one set: half the later one's sheets, at least,
    carry a code or number the earlier one's stamps have too. Two unrelated drawings in one chat
    ("what are the differences between these pumps?") are searched, not compared."""
    old_keys = {k for p in library.pages(old.id) if (k := page_key(p))}
    new_keys = [k for p in library.pages(new.id) if (k := page_key(p))]
    shared = sum(1 for k in new_keys if k in old_keys)
    return shared > 0 and shared * 2 >= new.page_count


def show_changes(evidence: Evidence, renderer: Renderer, changes: Changes) -> Iterator[Event]:
    """Each changed sheet's first regions, the old version's crop beside the new one's."""
    comparison = changes.comparison
    old, new = evidence.document(comparison.old_id), evidence.document(comparison.new_id)
    for sheet in [s for s in changes.sheets if s.status == "changed"][:SHEETS]:
        assert sheet.old_page and sheet.new_page  # a changed sheet is in both versions
        for region in sheet.regions[:REGIONS]:
            shown = around(region)
            for document, page, box in ((old, sheet.old_page, sheet.old_region(shown)), (new, sheet.new_page, shown)):
                try:
                    rendered = renderer.render("zoom_crop", document, page, clamp_bbox(box))
                    yield evidence.store("zoom_crop", document, page, rendered, sheet.sheet)
                except AizoomdocError as exc:
                    yield Notice(text=f"no image of {document.name} page {page}: {exc}")


def changes_answer(texts: Texts, changes: Changes, evidence: Evidence) -> tuple[str, list[Citation]]:
    """Which sheets differ and how, each line citing its images, old then new."""
    comparison = changes.comparison
    differ = [s for s in comparison.sheets if s.status != "unchanged"]
    lines = [texts.changes_summary.format(old=comparison.old_name, new=comparison.new_name,
                                          count=len(differ), total=len(comparison.sheets))]
    images: dict[tuple[str | None, int | None], list[str]] = {}
    for image in evidence.images:
        images.setdefault((image.document_id, image.page), []).append(str(image.metadata.get("marker")))
    for sheet in changes.sheets:
        if sheet.status == "unchanged":
            lines.append(texts.changes_none.format(sheet=sheet.sheet))
            continue
        if sheet.status in ("added", "removed"):
            lines.append((texts.changes_added if sheet.status == "added" else texts.changes_removed).format(sheet=sheet.sheet))
            continue
        markers = images.get((comparison.old_id, sheet.old_page), []) + images.get((comparison.new_id, sheet.new_page), [])
        cited = "".join(f" [{m}]" for m in sorted(markers, key=lambda m: int(m[1:])))
        rows = [texts.changes_revision.format(row=r.new or r.old) for r in sheet.revisions]
        loose = [c for c in sheet.texts if not any(_inside(c.bbox, r.bbox) for r in sheet.revisions)]  # a row says its words
        words = "; ".join([*rows, *(_word(texts, c) for c in _first(phrases(loose)))])
        lines.append(texts.changes_sheet.format(sheet=sheet.sheet, old=sheet.old_page, new=sheet.new_page,
                                                regions=len(sheet.regions)) + (f" {words}." if words else "") + cited)
    text = "\n".join([*lines, "", texts.changes_how])
    return text, evidence.citations(text)


def _inside(box: list[float], region: list[float]) -> bool:
    return region[0] <= box[0] and region[1] <= box[1] and box[2] <= region[2] and box[3] <= region[3]


def _first(changes: list[TextChange]) -> list[TextChange]:
    """The edited values first (what a reviewer checks), then what was added and removed."""
    return sorted(changes, key=lambda c: c.kind != "edited")[:WORDS]


def _word(texts: Texts, change: TextChange) -> str:
    if change.kind == "edited":
        return texts.changes_edited.format(old=change.old, new=change.new)
    return (texts.changes_word_added if change.kind == "added" else texts.changes_word_removed).format(
        word=change.new if change.kind == "added" else change.old)
