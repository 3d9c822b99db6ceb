"""A chat as a zip: ``chat.md`` (questions, answers, sources) with its images beside it.

What a reviewer attaches to a report: readable without aizoomdoc, every image linked where it was
shown, every source with its document, page and region. Whatever came from a file or a person is
written as literal text and a model's answer with its formatting only (``markup``), so opening the
file in a Markdown viewer fetches and links nothing but the images beside it.
"""

from __future__ import annotations

import io
import zipfile

from . import markup
from .chats import Chats
from .models import ChatView
from .sanitize import safe_key_part


def export_chat(chats: Chats, view: ChatView) -> tuple[str, bytes]:
    """(file name, zip bytes) of the chat ``view`` (read for its owner), its images read from ``chats``."""
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
                lines.append(f"- [{citation.marker}] document {citation.document_id}, page {citation.page}, "
                             f"region {citation.bbox}")
            lines.append("")
        archive.writestr("chat.md", "\n".join(lines))
    return f"{safe_key_part(view.chat.title)[:80]}.zip", buffer.getvalue()
