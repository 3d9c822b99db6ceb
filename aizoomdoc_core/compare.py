"""Two versions of a set compared sheet by sheet: which sheets changed, where, and which words.

Sheets are matched by what their title blocks say (``sheet_index.page_key``: the code, or the
sheet number where every sheet carries the set's code), never by page number, since a revision
inserts and reorders sheets; pages whose stamp names nothing are matched by their order among
such pages. Each matched pair is compared in the renderer's isolated child (``sheet_diff``); a
sheet only one version has is ``added`` or ``removed``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from .errors import InvalidInput
from .isolation import run_isolated
from .library import Library
from .models import DocumentInfo, PageInfo, _Record
from .render import Renderer
from .sheet_diff import SheetDiff, TextChange, diff_task, overlay_task
from .sheet_index import page_key, sheet_name

COMPARE_SECONDS = 300.0  # a whole set pair, in one isolated child
STATUSES = ("changed", "unchanged", "added", "removed")  # a SheetChange's
CONTEXT = 0.12  # of the page: the least a changed region is shown with around it


@dataclass(frozen=True)
class SheetChange(_Record):
    """One sheet of the comparison. ``status``: ``changed``, ``unchanged``, ``added`` (only the new
    version has it) or ``removed``; regions and words are on the new sheet (the old one's, removed)."""

    sheet: str  # its code or number, else "page N"
    status: str
    old_page: int | None
    new_page: int | None
    regions: list[list[float]] = field(default_factory=list)
    texts: list[TextChange] = field(default_factory=list)
    to_new: list[float] = field(default_factory=list)  # old -> new page, normalized: ax, bx, ay, by
    revisions: list[TextChange] = field(default_factory=list)  # the revision table's rows that changed

    def old_region(self, region: Sequence[float]) -> list[float]:
        """A region of the new sheet where it sits on the old one (``to_new`` undone), for side by side."""
        if not self.to_new:
            return list(region)
        ax, bx, ay, by = self.to_new
        box = [(region[0] - bx) / ax, (region[1] - by) / ay, (region[2] - bx) / ax, (region[3] - by) / ay]
        return [max(0.0, min(1.0, v)) for v in box]


@dataclass(frozen=True)
class Comparison(_Record):
    old_id: str
    old_name: str
    new_id: str
    new_name: str
    sheets: list[SheetChange]
    seconds: float

    def to_json(self) -> dict[str, object]:
        """As ``compare --json`` prints it, with how many sheets have each status."""
        return {**super().to_json(), "counts": dict(Counter(sheet.status for sheet in self.sheets))}


def pair_sheets(old: Sequence[PageInfo], new: Sequence[PageInfo]) -> list[tuple[str, PageInfo | None, PageInfo | None]]:
    """The two versions' pages side by side: by their stamps' key, else by order among the pages
    whose stamp names no sheet of its own; in the new version's order, then what only the old has."""
    old_keys, new_keys = _keys(old), _keys(new)
    by_key = {old_keys[p.number]: p for p in old if p.number in old_keys}
    loose = iter([p for p in old if p.number not in old_keys])
    pairs: list[tuple[str, PageInfo | None, PageInfo | None]] = []
    for page in new:
        key = new_keys.get(page.number)
        pairs.append((_label(page), by_key.get(key) if key else next(loose, None), page))
    used = {p.number for _, p, _ in pairs if p is not None}
    return pairs + [(_label(p), p, None) for p in old if p.number not in used]


def compare(library: Library, renderer: Renderer, old_id: str, new_id: str) -> Comparison:
    """``new_id`` against ``old_id``: every sheet with its changes (``sheet_diff``)."""
    old, new = library.document(old_id), library.document(new_id)
    if old.id == new.id:
        raise InvalidInput("compare two different documents (an earlier and a later version)")
    for document in (old, new):
        if document.mime != "application/pdf":
            raise InvalidInput(f"{document.name}: only PDF drawings can be compared")
    started = time.perf_counter()
    pairs = pair_sheets(library.pages(old.id), library.pages(new.id))
    both = [(o.number, n.number) for _, o, n in pairs if o is not None and n is not None]
    task = partial(diff_task, _file(renderer, old), _file(renderer, new), both)
    (diffs,) = run_isolated([task], name=f"{old.name} / {new.name}", seconds=COMPARE_SECONDS,
                            memory_bytes=renderer.memory_bytes)
    found = iter(diffs)
    sheets = []
    for label, o, n in pairs:
        if o is None or n is None:
            sheets.append(SheetChange(label, "added" if o is None else "removed", o.number if o else None,
                                      n.number if n else None))
            continue
        diff: SheetDiff = next(found)
        status = "changed" if diff.regions or diff.texts else "unchanged"
        sheets.append(SheetChange(label, status, o.number, n.number, diff.regions, diff.texts, _normalized(diff, o, n),
                                  diff.revisions))
    return Comparison(old.id, old.name, new.id, new.name, sheets, round(time.perf_counter() - started, 2))


def overlay(library: Library, renderer: Renderer, old_id: str, new_id: str, old_page: int, new_page: int) -> bytes:
    """The pair's overlay as PNG: the new sheet grey, ink only the old had red, only the new has blue."""
    old, new = library.document(old_id), library.document(new_id)
    for document, page in ((old, old_page), (new, new_page)):
        if not 1 <= page <= document.page_count:
            raise InvalidInput(f"page {page} does not exist in {document.name}")
    task = partial(overlay_task, _file(renderer, old), _file(renderer, new), (old_page, new_page))
    (png,) = run_isolated([task], name=f"{old.name} / {new.name}", seconds=renderer.seconds,
                          memory_bytes=renderer.memory_bytes)
    return bytes(png)


def around(region: Sequence[float], context: float = CONTEXT) -> list[float]:
    """The region with the sheet around it, at least ``context`` of the page each way: a changed
    digit alone says nothing of where it is."""
    cx, cy = (region[0] + region[2]) / 2, (region[1] + region[3]) / 2
    half_w = max(context / 2, (region[2] - region[0]) / 2 * 1.2)
    half_h = max(context / 2, (region[3] - region[1]) / 2 * 1.2)
    return [max(0.0, cx - half_w), max(0.0, cy - half_h), min(1.0, cx + half_w), min(1.0, cy + half_h)]


def _file(renderer: Renderer, document: DocumentInfo) -> tuple[bytes, str, str]:
    return renderer.original(document), document.mime, document.name


def _normalized(diff: SheetDiff, old: PageInfo, new: PageInfo) -> list[float]:
    """The diff's point mapping as one between normalized pages."""
    if not diff.shift:
        return []
    sx, dx, sy, dy = diff.shift
    return [round(sx * old.width_pt / new.width_pt, 5), round(dx / new.width_pt, 5),
            round(sy * old.height_pt / new.height_pt, 5), round(dy / new.height_pt, 5)]


def _keys(pages: Sequence[PageInfo]) -> dict[int, str]:
    """Each page's key (``page_key``) by page number, for the keys only one page has."""
    keys = {p.number: k for p in pages if (k := page_key(p)) is not None}
    counts = Counter(keys.values())
    return {number: key for number, key in keys.items() if counts[key] == 1}


def _label(page: PageInfo) -> str:
    """How a sheet is named in the comparison: as the sheet index names it, else by its page."""
    return sheet_name(page) or f"page {page.number}"
