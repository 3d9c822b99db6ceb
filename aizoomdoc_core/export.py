"""A chat as a zip: ``chat.md`` (questions, answers, sources) with its images beside it.

What a reviewer attaches to a report: readable without aizoomdoc, every image linked where it was
shown, every source with its document, page and region. Whatever came from a file or a person is
written as literal text and a model's answer with its formatting only (``markup``), so opening the
file in a Markdown viewer fetches and links nothing but the images beside it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence

from . import markup
from .chats import Chats
from .models import ChatView, Citation
from .sanitize import safe_key_part


Source = Callable[[str, int], tuple[str, str | None]]  # (document id, page) -> (file name, sheet code)


def export_chat(chats: Chats, view: ChatView, source: Source) -> tuple[str, bytes]:
    """(file name, zip bytes) of the chat ``view`` (read for its owner), its images read from
    ``chats``; each citation named as a reviewer names it (``source``: file, sheet, page, where)."""
    names = {}
    lines = [f"# {markup.inline(view.chat.title)}", "", f"{view.chat.created_at:%Y-%m-%d %H:%M} UTC", ""]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for image in view.images:
            names[image.id] = f"images/{image.metadata.get('marker') or image.kind}-{image.id[:8]}.png"
            archive.writestr(names[image.id], chats.image_bytes(image))
        for message in view.messages:
            content = markup.message(message.content, from_model=message.from_model) if message.content else "(no answer)"
            lines += [f"## {'Question' if message.role == 'user' else 'Answer'}", "", content, ""]
            for image in (i for i in view.images if i.message_id == message.id):
                lines += [f"![{markup.inline(str(image.metadata.get('caption') or image.kind))}]({names[image.id]})", ""]
            for citation in message.citations:
                lines.append(f"- [{citation.marker}] {_cited(citation, source)}")
            lines.append("")
        archive.writestr("chat.md", "\n".join(lines))
    return f"{safe_key_part(view.chat.title)[:80]}.zip", buffer.getvalue()


def _cited(citation: Citation, source: Source) -> str:
    """"A01.pdf, sheet A-1, page 3, upper right" (the document's name as literal text)."""
    if not citation.document_id or citation.page is None:
        return "(no page)"
    name, sheet = source(citation.document_id, citation.page)
    parts = [markup.inline(name)] + ([f"sheet {markup.inline(sheet)}"] if sheet else []) + [f"page {citation.page}"]
    if citation.bbox:
        parts.append(_where(citation.bbox))
    return ", ".join(parts)


def _where(bbox: Sequence[float]) -> str:
    """Where on the sheet a region is, in words: its centre's third across and down."""
    x, y = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    down = ("top", "middle", "bottom")[min(2, int(y * 3))]
    across = ("left", "centre", "right")[min(2, int(x * 3))]
    return "centre of the sheet" if (down, across) == ("middle", "centre") else f"{down} {across} of the sheet"
