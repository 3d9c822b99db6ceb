"""A reference the answer quotes, followed: "WALL TYPE W1 - SEE 2/A-102" is answered by detail 2 on
sheet A-102 as much as by the line that points at it.

A reviewer reads the callout, then opens the sheet it names. Without a model the answer does the
same once: when a quoted block points at a detail or a sheet (``references``) that the library
holds, within the chat's documents, the target is shown as one more crop right after the quote's
own, and the answer says where the quote leads, citing the target's title (its label block) or, for
a whole sheet, its title block. One reference is followed, the first quote's first that resolves:
a chain of them would be the model's work (``view_page`` lists a page's references for it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..errors import AizoomdocError
from ..library import Library
from ..references import Reference, points_at_sheets
from ..search import Hit

FOLLOWED = frozenset({"detail", "sheet", "detail not located"})  # statuses that open a page of the library
QUOTES_LOOKED_AT = 2  # the first quotes whose blocks may lead somewhere


@dataclass(frozen=True)
class Followed:
    """A quoted block's reference and where it leads: ``target``, the block that titles the detail
    (or the sheet's title block), drawn and cited like a hit."""

    source: Hit  # the quoted block that points
    reference: Reference
    target: Hit


def follow(library: Library, quoted: Sequence[tuple[Hit, str]], scope: Sequence[str] | None) -> Followed | None:
    """The first resolved reference printed in the first quotes (each a block and the text quoted of
    it) that leads into the library (and the chat's ``scope``), or None. None too when the store
    cannot say (the answer goes on without it)."""
    for hit, text in quoted[:QUOTES_LOOKED_AT]:
        if not points_at_sheets(text):
            continue
        said = _squashed(text)
        try:
            for reference in library.references(hit.document_id, hit.page).references:
                target = reference.target
                if (reference.status not in FOLLOWED or target is None or target.page is None
                        or reference.block_id != hit.block_id or _squashed(reference.text) not in said
                        or (scope is not None and target.document_id not in scope)):
                    continue
                shown = _target_block(library, target.document_id, target.page, target.region)
                if shown is not None:
                    return Followed(hit, reference, shown)
        except AizoomdocError:
            return None
    return None


def _target_block(library: Library, document_id: str, page: int, region: Sequence[float] | None) -> Hit | None:
    """The block to show and cite for a target: the detail's label (its region's first block, placed
    at the region, saying what the region's blocks say: "2 WALL SECTION"), else the sheet's title
    block, saying the sheet's code and title."""
    if region is not None:
        blocks = library.blocks_in_region(document_id, page, region)
        if blocks:
            return replace(blocks[0], bbox=list(region), text=" ".join(" ".join(b.text.split()) for b in blocks))
    stamp = next((b for b in library.blocks_in_region(document_id, page, [0, 0, 1, 1]) if b.kind == "title_block"), None)
    if stamp is None:
        return None
    named = " ".join(part for part in (stamp.sheet_code, stamp.sheet_title) if part)
    return replace(stamp, text=named) if named else stamp


def _squashed(text: str) -> str:
    return "".join(text.split()).casefold()
