"""How a chat is drawn: questions as their text, answers with their images and sources.

A model's answer keeps its Markdown formatting (``markup.answer``: nothing in it loads or links);
everything else that came from a file or a person, questions, extractive quotes, document names,
captions, titles, is shown as the literal text it is (``markup.literal``).
"""

from __future__ import annotations

import io

import streamlit as st
from PIL import Image

from aizoomdoc_core import markup
from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.errors import AizoomdocError
from aizoomdoc_core.models import ChatImage, ChatView, Citation
from aizoomdoc_ui.sheet_viewer import Target, open_in_viewer, sheet_viewer

SHOWN_WIDTH = 1460  # the widest Streamlit draws an image (twice its 730 px column, for sharp screens)


@st.cache_data(max_entries=512, show_spinner=False)
def image_bytes(_app: Aizoomdoc, image_id: str, _image: ChatImage) -> bytes:
    """Stored images never change: a rerun or a history click reads each one once (keyed by id),
    as the PNG Streamlit shows without touching it (``shown_png``)."""
    return shown_png(_app.image_bytes(_image))


def shown_png(data: bytes) -> bytes:
    """The image no wider than Streamlit ever draws one, as PNG. ``st.image`` given this (with
    ``output_format="PNG"``) passes the bytes through; given anything else it decodes, resizes or
    re-encodes every image on every rerun, which made a long chat seconds slow to echo a question."""
    picture = Image.open(io.BytesIO(data))
    if picture.format == "PNG" and picture.width <= SHOWN_WIDTH:
        return data
    if picture.width > SHOWN_WIDTH:
        picture = picture.resize((SHOWN_WIDTH, max(1, round(picture.height * SHOWN_WIDTH / picture.width))),
                                 Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def caption(image: ChatImage) -> str:
    """The image's caption as Markdown that shows it as written (it holds a document's name)."""
    text = str(image.metadata.get("caption") or f"page {image.page}")
    marker = image.metadata.get("marker")
    return markup.inline(f"[{marker}] {text}" if marker else text)


def show_images(app: Aizoomdoc, images: list[ChatImage]) -> None:
    """Images inline, two to a row, each with its caption and a full-size view."""
    columns = st.columns(2)
    for index, image in enumerate(images):
        with columns[index % 2]:
            try:
                data = image_bytes(app, image.id, image)
            except AizoomdocError as exc:  # its blob store is unreachable right now: say so, keep the rest
                st.info(f"{caption(image)}: the image cannot be shown right now ({markup.inline(str(exc))})")
                continue
            st.image(data, caption=caption(image), width="stretch", output_format="PNG")
            open_in_viewer(image.document_id, image.page, image.bbox)


def step_line(name: str, summary: str) -> str:
    """One step of the model, as the status box shows it live and History shows it again."""
    return f"{markup.inline(name)}: {markup.inline(summary)}"


def show_chat(app: Aizoomdoc, view: ChatView, names: dict[str, str]) -> None:
    """A chat exactly as it was shown: questions, answers, the model's steps, images and citations.

    ``names`` are the documents' names the page has already listed; a cited document missing from
    them is looked up (or was deleted since).
    """
    for message in view.messages:
        with st.chat_message(message.role):
            steps = [s for s in view.steps if s.answer_id == message.id]
            if steps:  # where the status box stood while the answer was made, collapsed as it ended
                with st.expander(f"Steps of the model ({len(steps)})"):
                    for step in steps:
                        st.markdown(step_line(step.name, step.summary))
            st.markdown(markup.message(message.content, from_model=message.from_model) if message.content
                        else "_(no answer was saved)_")
            if message.role != "assistant":
                continue
            show_images(app, [i for i in view.images if i.message_id == message.id])
            citations = message.citations
            if citations:
                with st.expander(f"Sources ({len(citations)})"):
                    for number, citation in enumerate(citations):
                        name = _document_name(app, citation.document_id, names)
                        label = f"[{citation.marker}] {name}, page {citation.page}"
                        if st.button(markup.inline(label), key=f"source-{message.id}-{number}", type="tertiary"):
                            show_source(app, citation, label)


@st.dialog("Source", width="large")
def show_source(app: Aizoomdoc, citation: Citation, label: str) -> None:
    """The cited page in the viewer, at the cited region and with it outlined."""
    st.markdown(markup.inline(label))
    if not citation.document_id or citation.page is None:
        st.info("No picture of this source: it names no page.")
        return
    region = (*citation.bbox[:4],) if citation.bbox and len(citation.bbox) == 4 else None
    try:
        sheet_viewer(app, Target(citation.document_id, int(citation.page), region), key="source-viewer", height=560)
    except AizoomdocError as exc:  # a deleted document: say so instead of a picture
        st.info(f"No picture of this source: {markup.inline(str(exc))}")
        return
    open_in_viewer(citation.document_id, citation.page, citation.bbox)


def _document_name(app: Aizoomdoc, document_id: str | None, names: dict[str, str]) -> str:
    if not document_id:
        return "?"
    if document_id in names:
        return names[document_id]
    try:
        return app.get_document(document_id).name
    except Exception:  # the document was deleted since: the chat keeps its evidence anyway
        return "(deleted document)"
