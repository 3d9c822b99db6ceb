"""The sidebar: the language, where chats and files are kept (with a warning and the count of
waiting writes when the configured cloud does not answer), which model answers, and who the user is."""

from __future__ import annotations

import streamlit as st

from aizoomdoc_core import markup
from aizoomdoc_core.app import Aizoomdoc

from .session import current_user, login_configured
from .texts import LANGUAGE_KEY, TABLES, texts

CLOUD_KINDS = {"postgresql", "s3"}


def show_sidebar(app: Aizoomdoc) -> None:
    with st.sidebar:
        t = texts()
        st.selectbox(t.language_label, [None, *TABLES], key=LANGUAGE_KEY,
                     format_func=lambda code: TABLES[code].language_name if code else t.automatic)
        t = texts()  # the choice just made
        statuses = app.status()
        in_use = [s for s in statuses if s.in_use]
        for status in statuses:
            error = markup.inline(status.error or "")
            if status.in_use and not status.reachable:
                st.warning(t.cloud_away.format(kind=status.kind, error=error))
            elif status.configured and not status.in_use:
                st.warning(t.cloud_unusable.format(kind=status.kind, error=error))
        cloud = any(s.kind in CLOUD_KINDS and s.reachable for s in in_use)
        st.caption(t.storage_cloud if cloud else t.storage_local)
        waiting = app.waiting()
        if queued := waiting["database"] + waiting["blobs"]:
            st.info(t.waiting.format(count=queued))
            if st.button(t.send_now, icon=":material/sync:"):
                report = app.sync()
                unreachable = markup.inline(", ".join(report.unreachable))
                st.toast(t.sent.format(count=report.pushed) + (f"; {unreachable}" if report.unreachable else ""))
                st.rerun()
        if waiting["failed"]:
            st.error(t.refused.format(count=waiting["failed"]))
        if app.settings.llm_configured:
            st.caption(t.model.format(model=markup.inline(app.settings.llm_model)))
        else:
            st.caption(t.no_model)
        st.caption(t.user.format(user=markup.inline(current_user(app))))
        if login_configured():
            st.button(t.log_out, on_click=st.logout)
