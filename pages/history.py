"""History: every chat, newest first, searchable; open one exactly as it was, rename, delete, export."""

from __future__ import annotations

import streamlit as st

from aizoomdoc_core import markup
from aizoomdoc_core.models import ChatSummary
from aizoomdoc_ui.framing import inside_frame
from aizoomdoc_ui.session import current_user, gate, open_chat
from aizoomdoc_ui.texts import texts

PAGE_SIZE = 20

inside_frame(__file__)
app = gate()
user = current_user(app)
t = texts()
st.title(t.history_title)
text = st.text_input(t.history_search, key="history_search")
total = app.count_chats(user_id=user, text=text)
pages = max(1, -(-total // PAGE_SIZE))
page = st.number_input(t.history_page_of.format(pages=pages), min_value=1, max_value=pages, value=1, step=1) if pages > 1 else 1
chats = app.list_chats(user_id=user, text=text, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
if not chats:
    st.info(t.no_chats if not text else t.no_match)
documents = app.chat_documents([chat.id for chat in chats])


@st.dialog(t.rename)
def rename(chat: ChatSummary) -> None:
    title = st.text_input(t.new_title, value=chat.title, key=f"title-{chat.id}")
    if st.button(t.save, key=f"save-{chat.id}", type="primary"):
        app.rename_chat(chat.id, title, user)
        st.rerun()  # closes the dialog


@st.dialog(t.delete)
def delete(chat: ChatSummary) -> None:
    st.markdown(f"**{markup.inline(chat.title)}**")
    st.warning(t.delete_confirm)
    if st.button(t.delete_for_good, key=f"delete-{chat.id}", type="primary", icon=":material/delete_forever:"):
        app.delete_chat(chat.id, user)
        if st.session_state.get("chat_id") == chat.id:
            open_chat(None)
        st.toast(t.deleted.format(title=markup.inline(chat.title)))
        st.rerun()


for chat in chats:
    with st.container(border=True):
        st.markdown(f"**{markup.inline(chat.title)}**  \n{chat.updated_at:%Y-%m-%d %H:%M} · {t.count(chat.message_count, t.messages)}")
        if chat.first_question and chat.first_question != chat.title:
            st.caption(markup.inline(chat.first_question))
        if names := documents.get(chat.id):
            st.caption(t.in_documents.format(names=markup.inline(", ".join(names[:3]) + (" …" if len(names) > 3 else ""))))
        with st.container(horizontal=True):  # buttons at their own width, wrapping in a narrow window
            if st.button(t.open, key=f"open-{chat.id}", icon=":material/chat:"):
                open_chat(chat.id)
                st.switch_page("pages/chat.py", query_params={"chat": chat.id})
            if st.button(t.rename, key=f"rename-{chat.id}", icon=":material/edit:"):
                rename(chat)
            st.download_button(
                t.export, data=lambda chat_id=chat.id: app.export_chat(chat_id, user)[1], file_name=f"{chat.title[:60]}.zip",
                mime="application/zip", key=f"export-{chat.id}", on_click="ignore", icon=":material/download:",
            )
            if st.button(t.delete, key=f"ask-delete-{chat.id}", icon=":material/delete:"):
                delete(chat)
