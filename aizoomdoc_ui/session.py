"""The core opened once per process, the signed-in user, the login gate, and the open chat."""

from __future__ import annotations

from typing import Any

import streamlit as st

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings

from .texts import texts

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

    Its background threads push what waited for the cloud as soon as the cloud answers again, and
    make the dense vectors of every document (search by meaning) after it is ingested.
    """
    return Aizoomdoc.open(Settings.load(secrets=_secrets()), background_sync=True, background_index=True)


def login_configured() -> bool:
    """Whether Streamlit authentication (``[auth]`` in secrets) is set up."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def signed_in() -> bool:
    """True when no login is configured, or the visitor has signed in."""
    return not login_configured() or bool(st.user.is_logged_in)


def gate() -> Aizoomdoc:
    """The first call of every page and of the entrypoint: a visitor who has not signed in sees the
    sign-in button and nothing else, whichever script Streamlit runs; everyone else gets the core.

    The check comes before the core opens, so a slow cloud never delays or leaks anything to a
    visitor who is not signed in.
    """
    if not signed_in():
        t = texts()
        st.title("aizoomdoc")
        st.write(t.sign_in)
        st.button(t.log_in, on_click=st.login)
        st.stop()
    return core()


def current_user(app: Aizoomdoc) -> str:
    """The signed-in user when Streamlit authentication is configured, else the configured default."""
    try:
        if st.user.is_logged_in:
            return str(st.user.get("email") or st.user.get("sub"))
    except Exception:  # no [auth] configured: st.user has no login state
        pass
    return app.settings.default_user


def active_chat() -> str | None:
    """The open chat: session state first, then the URL (a reload or a shared link).

    The URL is set again to the open chat on every run of the chat page: moving between pages
    clears Streamlit's query parameters, and the address must stay the chat's, to reload or share."""
    if CHAT_KEY not in st.session_state and "chat" in st.query_params:
        st.session_state[CHAT_KEY] = st.query_params["chat"]
    chat_id = st.session_state.get(CHAT_KEY)
    if chat_id and st.query_params.get("chat") != chat_id:
        st.query_params["chat"] = chat_id
    return chat_id


def open_chat(chat_id: str | None) -> None:
    st.session_state[CHAT_KEY] = chat_id
    if chat_id:
        st.query_params["chat"] = chat_id
    else:
        st.query_params.pop("chat", None)
