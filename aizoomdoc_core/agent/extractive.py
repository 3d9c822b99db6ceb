"""The answer without a model: the best hits quoted with their document, sheet and page.

It is what a question gets offline, with no model configured, or when the model failed, and it
says so plainly in its first line: nobody should take quotes for a model's reading of the sheet.
"""

from __future__ import annotations

from ..models import Citation
from ..search import Hit
from .evidence import Evidence, snippet
from .texts import Texts

QUOTED = 3  # hits quoted


def extractive_answer(texts: Texts, hits: list[Hit], evidence: Evidence) -> str:
    if not hits:
        return texts.nothing_found
    lines = [texts.best_matches]
    for hit in hits[:QUOTED]:
        marker = evidence.add_hit(hit)
        sheet = f", {texts.sheet} {hit.sheet_code}" if hit.sheet_code else ""
        title = f" ({hit.sheet_title})" if hit.sheet_title else ""
        lines.append(f"- «{snippet(hit.text)}» — {hit.document_name}{sheet}{title}, {texts.page} {hit.page} [{marker}]")
    return "\n".join(lines)


def extractive_citations(hits: list[Hit], evidence: Evidence) -> list[Citation]:
    """The quoted hits as citations (also those of a failed model's fallback answer)."""
    return evidence.citations(" ".join(f"[{evidence.add_hit(hit)}]" for hit in hits[:QUOTED]))
