"""The sidebar: which storage is in use (with a warning and the count of waiting writes when the
configured cloud does not answer), which model answers, and who the user is."""

from __future__ import annotations

import streamlit as st

from aizoomdoc_core import markup
from aizoomdoc_core.app import Aizoomdoc

from .session import current_user, login_configured


def show_sidebar(app: Aizoomdoc) -> None:
    with st.sidebar:
        for status in app.status():
            error = markup.inline(status.error or "")
            if status.in_use and status.reachable:
                st.caption(f"{status.component}: {status.kind}")
            elif status.in_use:
                st.warning(f"{status.kind} is unreachable ({error}); new chats are kept locally and sent when it answers.")
            elif status.configured:
                st.warning(f"{status.kind} cannot be used ({error}); using local storage.")
        waiting = app.waiting()
        if queued := waiting["database"] + waiting["blobs"]:
            st.info(f"{queued} items wait to be sent to the cloud.")
            if st.button("Send now", icon=":material/sync:"):
                report = app.sync()
                unreachable = markup.inline(", ".join(report.unreachable))
                st.toast(f"{report.pushed} items sent" + (f"; {unreachable}" if report.unreachable else ""))
                st.rerun()
        if waiting["failed"]:
            st.error(f"{waiting['failed']} items were refused by the cloud and stay in the local spool "
                     "(see `python -m aizoomdoc_core sync`).")
        if app.settings.llm_configured:
            st.caption(f"model: {markup.inline(app.settings.llm_model)}")
        else:
            st.caption("no LLM configured: extractive answers")
        st.caption(f"user: {markup.inline(current_user(app))}")
        if login_configured():
            st.button("Log out", on_click=st.logout)
