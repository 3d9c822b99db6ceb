"""aizoomdoc in the browser: ``streamlit run streamlit_app.py``.

A thin face over ``aizoomdoc_core``: it declares the pages, gates them behind the login, and draws
the sidebar (``aizoomdoc_ui``).

The navigation is declared before anything slow (the core opens the cloud database, which a cold
Supabase answers in seconds): until a script calls ``st.navigation``, Streamlit treats ``pages/``
as a folder of pages of its own. ``client.showSidebarNavigation = false`` keeps that folder's
listing from ever being offered, a page Streamlit runs on its own goes round through this script
(``aizoomdoc_ui.framing``), and every page runs ``gate()`` itself, so even then it is behind the login.
"""

from __future__ import annotations

import streamlit as st

from aizoomdoc_ui.framing import framed
from aizoomdoc_ui.icon import page_icon
from aizoomdoc_ui.session import gate, signed_in
from aizoomdoc_ui.sidebar import show_sidebar
from aizoomdoc_ui.texts import texts

st.set_page_config(page_title="aizoomdoc", page_icon=page_icon(), layout="wide")
t = texts()
navigation = st.navigation(
    [  # the addresses stay the same in every language: /history, /documents
        st.Page("pages/chat.py", title=t.chat_page, icon=":material/chat:", default=True),
        st.Page("pages/history.py", title=t.history_page, icon=":material/history:", url_path="history"),
        st.Page("pages/documents.py", title=t.documents_page, icon=":material/description:", url_path="documents"),
    ],
    position="top" if signed_in() else "hidden",
)
framed()
# A narrow window keeps most of its width for the drawings: the sidebar (the language, where chats
# are kept) takes less of it. The app's own constant style, never text from a file or a person.
st.html("<style>@media (max-width: 1000px) { section[data-testid='stSidebar'] "
        "{ width: 210px !important; min-width: 210px !important; } }</style>")
app = gate()
show_sidebar(app)
navigation.run()
