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
from aizoomdoc_core.agent.evidence import snippet
from aizoomdoc_core.models import ChatImage, ChatView, Citation
from aizoomdoc_ui.evidence_layout import arrange, outlined
from aizoomdoc_ui.texts import UiTexts, texts, texts_for
from aizoomdoc_ui.sheet_viewer import Target, open_in_viewer, sheet_viewer

LOCATOR_WIDTH = 260  # a locator shows where, not what: small enough to leave the crop the width
SNIPPET = 90  # characters of a cited block on its source's button
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


def show_images(app: Aizoomdoc, images: list[ChatImage], citations: list[Citation], t: UiTexts) -> None:
    """The answer's evidence in reading order: the crops that support it as wide as the chat, one
    under the other, each page's wider view small under its first crop with the crops outlined; the
    rest behind one click (``evidence_layout.arrange``)."""
    layout = arrange(images, citations)
    for shown in layout.first:
        _image(app, shown.image, t)
        if shown.locator is not None:
            _image(app, shown.locator, t, marks=shown.marks, label=t.where, width=LOCATOR_WIDTH)
    if layout.more:
        with st.expander(t.more_images.format(count=len(layout.more))):
            for image in layout.more:
                _image(app, image, t)


def _image(app: Aizoomdoc, image: ChatImage, t: UiTexts, *, marks: tuple[tuple[float, ...], ...] = (),
           label: str | None = None, width: int | None = None) -> None:
    """One stored image with its caption (``label`` first when given), the crops of ``marks``
    outlined on it; a line saying why when its blob store is unreachable."""
    try:
        data = image_bytes(app, image.id, image)
    except AizoomdocError as exc:  # its blob store is unreachable right now: say so, keep the rest
        st.info(t.image_away.format(caption=caption(image), error=markup.inline(str(exc))))
        return
    if marks and image.bbox:
        data = located(image.id, data, tuple(image.bbox), marks)
    text = caption(image) if label is None else f"{label} · {caption(image)}"
    st.image(data, caption=text, width=width or "stretch", output_format="PNG")
    if label is None:  # a locator's page is its crop's, whose link is right above it
        open_in_viewer(image.document_id, image.page, image.bbox, label=t.viewer_open)


@st.cache_data(max_entries=256, show_spinner=False)
def located(image_id: str, _data: bytes, region: tuple[float, ...], marks: tuple[tuple[float, ...], ...]) -> bytes:
    """A locator with its crops outlined, drawn once per image and marks (stored images never change)."""
    return outlined(_data, region, marks)


def step_line(name: str, summary: str) -> str:
    """One step of the model, as the status box shows it live and History shows it again."""
    return f"{markup.inline(name)}: {markup.inline(summary)}"


def show_chat(app: Aizoomdoc, view: ChatView, names: dict[str, str]) -> None:
    """A chat exactly as it was shown: questions, answers, the model's steps, images and citations.

    ``names`` are the documents' names the page has already listed; a cited document missing from
    them is looked up (or was deleted since). What sits under an answer speaks its question's language.
    """
    t, asked = texts(), None
    for message in view.messages:
        if message.role == "user":
            t, asked = texts_for(message.content), message.id
        with st.chat_message(message.role):
            steps = [s for s in view.steps if s.answer_id == message.id]
            if steps:  # where the status box stood while the answer was made, collapsed as it ended
                with st.expander(t.steps.format(count=len(steps))):
                    for step in steps:
                        st.markdown(step_line(step.name, step.summary))
            st.markdown(markup.message(message.content, from_model=message.from_model) if message.content
                        else t.no_answer)
            if message.role != "assistant":
                continue
            citations = message.citations
            show_images(app, [i for i in view.images if i.message_id == message.id], citations, t)
            if citations:
                found = {r.block_id: r.text for r in view.search_results if r.message_id == asked}
                with st.expander(t.sources.format(count=len(citations))):
                    for number, citation in enumerate(citations):
                        label = source_label(citation, _document_name(app, citation.document_id, names, t), t,
                                             found.get(citation.block_id or ""))
                        if st.button(markup.inline(label), key=f"source-{message.id}-{number}", type="tertiary"):
                            show_source(app, citation, label, t)


def source_label(citation: Citation, name: str, t: UiTexts, text: str | None) -> str:
    """A source as its button reads: marker, document, page, and the start of the block it cites,
    so that two sources on one page differ."""
    label = f"[{citation.marker}] {name}, {t.page} {citation.page}"
    return f"{label}: «{snippet(text, SNIPPET)}»" if text else label


def show_source(app: Aizoomdoc, citation: Citation, label: str, t: UiTexts) -> None:
    """The cited page around the cited region, the region outlined, in a dialog titled in ``t``'s language."""
    st.dialog(t.source, width="large")(_source_body)(app, citation, label, t)


def _source_body(app: Aizoomdoc, citation: Citation, label: str, t: UiTexts) -> None:
    st.markdown(markup.inline(label))
    if not citation.document_id or citation.page is None:
        st.info(t.no_picture.format(error=t.no_page))
        return
    region = (*citation.bbox[:4],) if citation.bbox and len(citation.bbox) == 4 else None
    try:
        sheet_viewer(app, Target(citation.document_id, int(citation.page), region), key="source-viewer", height=560)
    except AizoomdocError as exc:  # a deleted document: say so instead of a picture
        st.info(t.no_picture.format(error=markup.inline(str(exc))))
        return
    open_in_viewer(citation.document_id, citation.page, citation.bbox, label=t.viewer_open)


def _document_name(app: Aizoomdoc, document_id: str | None, names: dict[str, str], t: UiTexts) -> str:
    if not document_id:
        return "?"
    if document_id in names:
        return names[document_id]
    try:
        return app.get_document(document_id).name
    except Exception:  # the document was deleted since: the chat keeps its evidence anyway
        return t.deleted_document
