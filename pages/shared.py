"""What every page shares: the core opened once per process, the user, and how a chat is drawn.

No SQL, no boto3, no PDF code here or in the pages: everything goes through ``Aizoomdoc``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.errors import AizoomdocError
from aizoomdoc_core.models import ChatImage, ChatView

CHAT_KEY = "chat_id"


def _secrets() -> dict[str, Any]:
    """``st.secrets`` as a plain dict, or nothing when the app runs without a secrets file."""
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets.toml anywhere: the embedded default needs none
        return {}


@st.cache_resource(show_spinner="Opening storage…")
def core() -> Aizoomdoc:
    """One core per process: database engine, blob client and their start-up checks, never per rerun.

    Its background thread pushes what waited for the cloud as soon as the cloud answers again.
    """
    return Aizoomdoc.open(Settings.load(secrets=_secrets()), background_sync=True)


def login_configured() -> bool:
    """Whether Streamlit authentication (``[auth]`` in secrets) is set up."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def current_user(app: Aizoomdoc) -> str:
    """The signed-in user when Streamlit authentication is configured, else the configured default."""
    try:
        if st.user.is_logged_in:
            return str(st.user.get("email") or st.user.get("sub"))
    except Exception:  # no [auth] configured: st.user has no login state
        pass
    return app.settings.default_user


def active_chat() -> str | None:
    """The open chat: session state first, then the URL (a reload or a shared link)."""
    if CHAT_KEY not in st.session_state and "chat" in st.query_params:
        st.session_state[CHAT_KEY] = st.query_params["chat"]
    return st.session_state.get(CHAT_KEY)


def open_chat(chat_id: str | None) -> None:
    st.session_state[CHAT_KEY] = chat_id
    if chat_id:
        st.query_params["chat"] = chat_id
    else:
        st.query_params.pop("chat", None)


@st.cache_data(max_entries=512, show_spinner=False)
def image_bytes(_app: Aizoomdoc, image_id: str, _image: ChatImage) -> bytes:
    """Stored images never change: a rerun or a history click reads each one once (keyed by id)."""
    return _app.image_bytes(_image)


def caption(image: ChatImage) -> str:
    text = str(image.metadata.get("caption") or f"page {image.page}")
    marker = image.metadata.get("marker")
    return f"[{marker}] {text}" if marker else text


def show_images(app: Aizoomdoc, images: list[ChatImage]) -> None:
    """Images inline, two to a row, each with its caption and a full-size view."""
    columns = st.columns(2)
    for index, image in enumerate(images):
        with columns[index % 2]:
            try:
                data = image_bytes(app, image.id, image)
            except AizoomdocError as exc:  # its blob store is unreachable right now: say so, keep the rest
                st.info(f"{caption(image)}: the image cannot be shown right now ({exc})")
                continue
            st.image(data, caption=caption(image), width="stretch")
            with st.popover("Full size", width="stretch"):
                st.image(data, caption=caption(image))


def show_chat(app: Aizoomdoc, view: ChatView, names: dict[str, str]) -> None:
    """A chat exactly as it was shown: questions, answers, their images and citations.

    ``names`` are the documents' names the page has already listed; a cited document missing from
    them is looked up (or was deleted since).
    """
    for message in view.messages:
        with st.chat_message(message.role):
            st.markdown(message.content or "_(no answer was saved)_")
            if message.role != "assistant":
                continue
            show_images(app, [i for i in view.images if i.message_id == message.id])
            citations = message.metadata.get("citations") or []
            if citations:
                with st.expander(f"Sources ({len(citations)})"):
                    for number, citation in enumerate(citations):
                        name = _document_name(app, citation.get("document_id"), names)
                        label = f"[{citation.get('marker')}] {name}, page {citation.get('page')}"
                        if st.button(label, key=f"source-{message.id}-{number}", type="tertiary"):
                            show_source(app, citation, label)


@st.dialog("Source", width="large")
def show_source(app: Aizoomdoc, citation: dict[str, Any], label: str) -> None:
    """The cited page around the cited region, the region outlined."""
    st.write(label)
    try:
        document = app.get_document(citation["document_id"])
        rendered = app.renderer.render("viewport", document, int(citation["page"]), citation.get("bbox") or [0, 0, 1, 1])
    except Exception as exc:  # a deleted document or a text-only one: say so instead of a picture
        st.info(f"No picture of this source: {exc}")
        return
    st.image(rendered.png, width="stretch")


def _document_name(app: Aizoomdoc, document_id: str | None, names: dict[str, str]) -> str:
    if not document_id:
        return "?"
    if document_id in names:
        return names[document_id]
    try:
        return app.get_document(document_id).name
    except Exception:  # the document was deleted since: the chat keeps its evidence anyway
        return "(deleted document)"
