"""Chat: ask, watch the agent's steps and images arrive, read the streamed answer with its sources."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from aizoomdoc_core.errors import AizoomdocError
from aizoomdoc_core.events import AnswerDelta, ChatStarted, ImageReady, Notice, SearchDone, ToolCalled
from pages.shared import active_chat, caption, core, current_user, open_chat, show_chat

app = core()
user = current_user(app)
chat_id = active_chat()
view = None
if chat_id:
    try:
        view = app.chat_view(chat_id)
        if view.chat.user_id != user:
            raise AizoomdocError("chat not found")
    except AizoomdocError:
        st.warning("That chat does not exist (any more). Starting a new one.")
        open_chat(None)
        chat_id, view = None, None

top = st.columns([4, 1])
top[0].title(view.chat.title if view else "New chat")
if top[1].button("New chat", width="stretch"):
    open_chat(None)
    st.rerun()

documents = app.list_documents()
names = {d.id: d.name for d in documents}
scope = (view.chat.metadata.get("document_ids") if view else None) or []
chosen = st.multiselect(
    "Documents to search (none chosen: all)", options=list(names), default=[d for d in scope if d in names],
    format_func=lambda d: names.get(d, d),
)
if view and chosen != scope:
    app.set_chat_scope(view.chat.id, chosen or None)

if view:
    show_chat(app, view, names)
elif not documents:
    st.info("No documents yet: attach a PDF or an image to your question, or add them on the Documents page.")

prompt = st.chat_input("Ask about your drawings", accept_file="multiple", file_type=["pdf", "png", "jpg", "jpeg", "tif", "tiff"])
if prompt:
    text = prompt if isinstance(prompt, str) else prompt.text
    files = [] if isinstance(prompt, str) else list(prompt.files)
    added = []
    for upload in files:
        with st.spinner(f"Reading {upload.name}…"), tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload"
            path.write_bytes(upload.getvalue())
            result = app.ingest(path, name=upload.name)
        if result.status == "ok":
            added.append(result.document_id)
        else:
            st.error(result.error)
    with st.chat_message("user"):
        st.markdown(text or "_(files only)_")
    if text:
        with st.chat_message("assistant"):
            status = st.status("Searching the documents…", expanded=True)
            events = app.ask(text, chat_id=chat_id, user_id=user)
            done = []

            def stream():
                """The answer's text for st.write_stream; every other event is drawn on the way."""
                for event in events:
                    if isinstance(event, AnswerDelta):
                        yield event.text
                    elif isinstance(event, SearchDone):
                        sheets = sorted({f"{h.document_name} p.{h.page}" for h in event.hits})
                        status.write(f"Found {len(event.hits)} blocks on " + (", ".join(sheets[:6]) or "no sheet"))
                    elif isinstance(event, ImageReady):
                        status.write(f"{event.image.kind.replace('_', ' ')}: {event.caption}")
                        status.image(event.data, caption=caption(event.image), width="stretch")
                    elif isinstance(event, ToolCalled):
                        status.write(f"{event.name}: {event.summary}")
                    elif isinstance(event, Notice):
                        status.write(event.text)
                    else:
                        done.append(event)

            try:
                st.write_stream(stream())
                status.update(label="Done", state="complete", expanded=False)
            except AizoomdocError as exc:
                status.update(label="Stopped", state="error")
                st.error(str(exc))
            started = next((e.chat for e in done if isinstance(e, ChatStarted)), None)
        new_chat = chat_id or (started.id if started else None)
        if new_chat:
            if added:
                app.set_chat_scope(new_chat, sorted(set(chosen) | set(added)))
            open_chat(new_chat)
            st.rerun()
