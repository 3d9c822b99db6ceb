"""aizoomdoc in the browser: ``streamlit run streamlit_app.py``.

A thin face over ``aizoomdoc_core``: it navigates between the pages, and the sidebar says which
storage is in use (with a warning when the configured cloud does not answer, and how many writes
wait for it), which model answers, and who the user is.
"""

from __future__ import annotations

import streamlit as st

from pages.shared import core, current_user, login_configured

st.set_page_config(page_title="aizoomdoc", page_icon=":material/zoom_in:", layout="wide")
app = core()

if login_configured() and not st.user.is_logged_in:
    st.title("aizoomdoc")
    st.write("Sign in to see your chats.")
    st.button("Log in", on_click=st.login)
    st.stop()

with st.sidebar:
    for status in app.status():
        if status.in_use and status.reachable:
            st.caption(f"{status.component}: {status.kind}")
        elif status.in_use:
            st.warning(f"{status.kind} is unreachable ({status.error}); new chats are kept locally and sent when it answers.")
        elif status.configured:
            st.warning(f"{status.kind} cannot be used ({status.error}); using local storage.")
    waiting = app.waiting()
    if queued := waiting["database"] + waiting["blobs"]:
        st.info(f"{queued} items wait to be sent to the cloud.")
        if st.button("Send now", icon=":material/sync:"):
            report = app.sync()
            st.toast(f"{report.pushed} items sent" + (f"; {', '.join(report.unreachable)}" if report.unreachable else ""))
            st.rerun()
    if waiting["failed"]:
        st.error(f"{waiting['failed']} items were refused by the cloud and stay in the local spool "
                 "(see `python -m aizoomdoc_core sync`).")
    if app.settings.llm_configured:
        st.caption(f"model: {app.settings.llm_model}")
    else:
        st.caption("no LLM configured: extractive answers")
    st.caption(f"user: {current_user(app)}")
    if login_configured():
        st.button("Log out", on_click=st.logout)

navigation = st.navigation(
    [
        st.Page("pages/chat.py", title="Chat", icon=":material/chat:", default=True),
        st.Page("pages/history.py", title="History", icon=":material/history:"),
        st.Page("pages/documents.py", title="Documents", icon=":material/description:"),
    ]
)
navigation.run()
