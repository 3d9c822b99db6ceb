"""History: every chat, newest first, searchable; open one exactly as it was, rename, delete, export."""

from __future__ import annotations

import streamlit as st

from aizoomdoc_core import markup
from aizoomdoc_ui.session import current_user, gate, open_chat

PAGE_SIZE = 20

app = gate()
user = current_user(app)
st.title("History")
text = st.text_input("Search titles and messages", key="history_search")
total = app.count_chats(user_id=user, text=text)
pages = max(1, -(-total // PAGE_SIZE))
page = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, step=1) if pages > 1 else 1
chats = app.list_chats(user_id=user, text=text, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
if not chats:
    st.info("No chats yet." if not text else "No chat matches.")
documents = app.chat_documents([chat.id for chat in chats])

for chat in chats:
    with st.container(border=True):
        head = st.columns([5, 1, 1, 1, 1])
        head[0].markdown(f"**{markup.inline(chat.title)}**  \n{chat.updated_at:%Y-%m-%d %H:%M} · {chat.message_count} messages")
        if chat.first_question and chat.first_question != chat.title:
            head[0].caption(markup.inline(chat.first_question))
        if documents.get(chat.id):
            head[0].caption("in " + markup.inline(", ".join(documents[chat.id][:3])) + (" …" if len(documents[chat.id]) > 3 else ""))
        if head[1].button("Open", key=f"open-{chat.id}"):
            open_chat(chat.id)
            st.switch_page("pages/chat.py", query_params={"chat": chat.id})
        with head[2].popover("Rename"):
            title = st.text_input("New title", value=chat.title, key=f"title-{chat.id}")
            if st.button("Save", key=f"save-{chat.id}"):
                app.rename_chat(chat.id, title, user)
                st.rerun()
        head[3].download_button(
            "Export", data=lambda chat_id=chat.id: app.export_chat(chat_id, user)[1], file_name=f"{chat.title[:60]}.zip",
            mime="application/zip", key=f"export-{chat.id}", on_click="ignore",
        )
        with head[4].popover("Delete"):
            st.write("Delete this chat with its images? This cannot be undone.")
            if st.button("Delete for good", key=f"delete-{chat.id}", type="primary"):
                app.delete_chat(chat.id, user)
                if st.session_state.get("chat_id") == chat.id:
                    open_chat(None)
                st.rerun()
