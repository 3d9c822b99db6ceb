"""Every page inside the app's frame (its navigation, sidebar and styles), however it was opened.

Streamlit treats a ``pages/`` folder next to the entrypoint as pages of their own until some
session of the process has run ``st.navigation``: the first visitor after a start who opens a link
to ``/documents?document=...`` would get that page alone, without navigation or sidebar. Such a
run goes through the entrypoint once, carrying the page it was asked for (``RETURN``) and its
query parameters, and the entrypoint, its navigation declared, switches to that page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

FRAMED_KEY = "framed"  # set by the entrypoint on every run it frames
RETURN = "open"  # the query parameter naming the page a bare run was asked for
PAGES = {"history": "pages/history.py", "documents": "pages/documents.py"}  # what RETURN may name


def framed() -> None:
    """The entrypoint's call, its navigation declared: from now on the pages run inside it; a page
    a bare run was asked for is opened, with the parameters it came with."""
    st.session_state[FRAMED_KEY] = True
    asked = st.query_params.get(RETURN)
    if asked is not None:
        params = {k: v for k, v in st.query_params.to_dict().items() if k != RETURN}
        if asked in PAGES:  # anything else in the address opens the default page
            st.switch_page(PAGES[asked], query_params=params)
        st.query_params.pop(RETURN, None)


def inside_frame(page_file: str) -> None:
    """A page's first call: run alone (outside the entrypoint), go round through it."""
    if not st.session_state.get(FRAMED_KEY):
        st.switch_page("streamlit_app.py",
                       query_params={**st.query_params.to_dict(), RETURN: Path(page_file).stem})
