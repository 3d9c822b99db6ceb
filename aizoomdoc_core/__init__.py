"""aizoomdoc core: documents, search, zoomed evidence and chats, independent of any UI.

The UI (``streamlit_app.py``, ``pages/``) and the CLI (``python -m aizoomdoc_core``) both go through
``app.Aizoomdoc``; nothing in this package imports streamlit.
"""
