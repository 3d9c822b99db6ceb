"""The upload limit the browser enforces: the core's own (``AIZOOMDOC_MAX_FILE_MB``).

A file over it is refused by the browser before a byte is sent, rather than held in the server's
memory until the core refuses it. Streamlit's server cannot take more than ``server.maxUploadSize``
whatever a widget says, so a core limit above that is capped there, and the log says which setting
to raise.
"""

from __future__ import annotations

import logging
import math

import streamlit as st

from aizoomdoc_core.app import Aizoomdoc

log = logging.getLogger("aizoomdoc.ui")


def upload_limit_mb(app: Aizoomdoc) -> int:
    """Whole megabytes per file for ``st.file_uploader`` and ``st.chat_input`` (at least 1)."""
    server = int(st.get_option("server.maxUploadSize"))
    wanted = max(1, math.floor(app.settings.max_file_mb))
    if wanted > server:
        log.warning("AIZOOMDOC_MAX_FILE_MB is %g but Streamlit's server.maxUploadSize is %d: uploads stop at %d MB",
                    app.settings.max_file_mb, server, server)
    return min(wanted, server)
