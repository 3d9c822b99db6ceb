"""Chat: ask, watch the agent's steps and images arrive, read the streamed answer with its sources."""

from __future__ import annotations

import streamlit as st

from aizoomdoc_core import markup
from aizoomdoc_core.errors import AizoomdocError
from aizoomdoc_core.events import AnswerDelta, ChatStarted, ImageReady, Notice, SearchDone, ToolCalled
from aizoomdoc_ui.chat_view import caption, show_chat, shown_png, step_line
from aizoomdoc_ui.examples import Example, examples
from aizoomdoc_ui.framing import inside_frame
from aizoomdoc_ui.session import active_chat, current_user, gate, open_chat
from aizoomdoc_ui.texts import texts, texts_for
from aizoomdoc_ui.uploads import upload_limit_mb

EXAMPLE_KEY = "example"

inside_frame(__file__)
app = gate()
user = current_user(app)
t = texts()
chat_id = active_chat()
view = None
if chat_id:
    try:
        view = app.chat_view(chat_id, user)  # another user's chat is not found for this one
    except AizoomdocError:
        st.warning(t.chat_gone)
        open_chat(None)
        chat_id, view = None, None

top = st.columns([4, 1])
top[0].subheader(markup.inline(view.chat.title) if view else t.new_chat)  # a question is long for a title
if top[1].button(t.new_chat, width="stretch"):
    open_chat(None)
    st.rerun()

documents = app.list_documents()
names = {d.id: d.name for d in documents}
scope = (view.chat.metadata.get("document_ids") if view else None) or []
chosen = st.multiselect(
    t.scope_label, options=list(names), default=[d for d in scope if d in names], placeholder=t.scope_placeholder,
    format_func=lambda d: names.get(d, d),  # options are plain text: no Markdown to escape
)
if view and chosen != scope:
    app.set_chat_scope(view.chat.id, chosen or None, user)

example = st.session_state.pop(EXAMPLE_KEY, None)  # an example just clicked (its on_click kept it): ask it now
if view:
    show_chat(app, view, names)
elif not documents:
    st.info(t.no_documents)
elif example is None:
    st.caption(t.can_do)
    offered = examples(app, t)
    if offered:
        st.markdown(f"**{t.examples_title}**")
        with st.container(horizontal=True):
            for number, offer in enumerate(offered):
                st.button(markup.inline(offer.question), key=f"example-{number}", icon=":material/help:",
                          on_click=st.session_state.__setitem__, args=(EXAMPLE_KEY, offer))


@st.fragment
def conversation(chat_id: str | None, chosen: list[str], example: Example | None) -> None:
    """The question box and the question being answered. A fragment: sending a question reruns only
    this, so the question shows at once under a long chat instead of after the whole chat is drawn
    again; once the answer is saved, the whole page is (with the answer in the chat's own layout)."""
    with st.bottom:  # pinned under the page, as a chat's input is
        prompt = st.chat_input(
            t.ask_placeholder, accept_file="multiple", file_type=["pdf", "png", "jpg", "jpeg", "tif", "tiff"],
            max_upload_size=upload_limit_mb(app),
        )
    if example is not None:  # asked in a new chat scoped to the document it names
        prompt, chosen = example.question, [example.document_id]
    if prompt:
        text = prompt if isinstance(prompt, str) else prompt.text
        files = [] if isinstance(prompt, str) else list(prompt.files)
        added = []
        for upload in files:
            with st.spinner(t.reading.format(name=markup.inline(upload.name))):
                result = app.ingest_bytes(upload.getvalue(), upload.name)
            if result.status == "ok":
                added.append(result.document_id)
            else:
                st.error(markup.inline(result.error or ""))
        # The documents chosen (and those just attached) scope the question before it is searched.
        scoped = sorted(set(chosen) | set(added)) if added else chosen
        if chat_id and added:
            app.set_chat_scope(chat_id, scoped, user)
        with st.chat_message("user"):
            st.markdown(markup.literal(text) if text else t.files_only)
        if text:
            said = texts_for(text)  # what answers the question speaks its language
            with st.chat_message("assistant"):
                status = st.status(said.searching, expanded=True)
                shown = st.empty()
                events = app.ask(text, chat_id=chat_id, user_id=user, document_ids=None if chat_id else scoped or None)
                done = []
                written: list[str] = []
                try:
                    for event in events:
                        if isinstance(event, AnswerDelta):
                            written.append(event.text)
                            shown.markdown(markup.message("".join(written), from_model=event.from_model))
                        elif isinstance(event, SearchDone):
                            sheets = list(dict.fromkeys(f"{h.document_name} p.{h.page}" for h in event.hits))  # best first
                            status.write(said.found.format(blocks=said.count(len(event.hits), said.blocks),
                                                           sheets=markup.inline(", ".join(sheets[:6]) or said.no_sheet)))
                        elif isinstance(event, ImageReady):
                            status.image(shown_png(event.data), caption=caption(event.image), width="stretch",
                                         output_format="PNG")
                        elif isinstance(event, ToolCalled):
                            status.write(step_line(event.name, event.summary))
                        elif isinstance(event, Notice):
                            status.write(markup.inline(event.text))
                        else:
                            done.append(event)
                    status.update(label=said.done, state="complete", expanded=False)
                except AizoomdocError as exc:
                    status.update(label=said.stopped, state="error")
                    st.error(markup.inline(str(exc)))
                started = next((e.chat for e in done if isinstance(e, ChatStarted)), None)
            new_chat = chat_id or (started.id if started else None)
            if new_chat:
                open_chat(new_chat)
                st.rerun()


conversation(chat_id, chosen, example)
