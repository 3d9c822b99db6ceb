"""aizoomdoc in the browser: ``streamlit run streamlit_app.py``.

A thin face over ``aizoomdoc_core``: it reads settings (``st.secrets`` on Streamlit Community Cloud,
else the environment and ``.env``), opens the core once per process, and shows what it returns. The
chat, history and documents pages arrive with the UI issue; until then this page shows the storage
in use and the chats kept so far.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings


def _secrets() -> dict[str, Any]:
    """``st.secrets`` as a plain dict, or nothing when the app runs without a secrets file."""
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets.toml anywhere: the embedded default needs none
        return {}


@st.cache_resource(show_spinner="Opening storage…")
def core() -> Aizoomdoc:
    """One core per process: database engine, blob client and their start-up checks, never per rerun."""
    return Aizoomdoc.open(Settings.load(secrets=_secrets()))


app = core()
st.set_page_config(page_title="aizoomdoc", layout="wide")

with st.sidebar:
    st.subheader("Storage")
    for status in app.status():
        if status.in_use:
            st.write(f"**{status.component}**: {status.kind}")
        elif status.configured:
            st.warning(f"{status.kind} configured but unreachable: {status.error}. Using local storage.")
    if not app.settings.llm_configured:
        st.caption("No LLM configured: extractive answers.")

st.title("aizoomdoc")
st.write("Ask questions of technical drawings. The chat arrives with the next release; chats kept so far:")
chats = app.list_chats(user_id=app.settings.default_user, limit=20)
if chats:
    for chat in chats:
        st.write(f"- {chat.title} ({chat.updated_at:%Y-%m-%d %H:%M}, {chat.message_count} messages)")
else:
    st.info("No chats yet.")
