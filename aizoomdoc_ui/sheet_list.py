"""A set's sheets against its drawing list, as the Documents page shows them (``sheet_index``):
disagreements first, each status and column in the reader's language."""

from __future__ import annotations

import streamlit as st

from aizoomdoc_core.sheet_index import DISAGREEMENT, STATUSES, SheetCheck
from aizoomdoc_ui.texts import texts


def sheet_list(checked: SheetCheck) -> None:
    """One line saying where the list is and what disagrees, then the sheets, what a reviewer must
    look at first. The table's cells are plain text (a dataframe renders no Markdown)."""
    t = texts()
    statuses = dict(zip(STATUSES, t.sheet_statuses, strict=True))
    counts = ", ".join(f"{statuses[status]}: {n}" for status, n in checked.counts().items())
    where = t.sheets_listed_on.format(pages=", ".join(map(str, checked.index_pages))) if checked.index_pages else t.sheets_no_list
    st.caption(f"{where} {counts}")
    rows = sorted(checked.rows, key=lambda r: r.status not in DISAGREEMENT)  # stable: the list's order within
    st.dataframe(
        [dict(zip(t.sheet_columns, (statuses[r.status], r.code, r.listed_title, r.sheet_title, r.page, r.revision,
                                    r.listed_revision), strict=True)) for r in rows],
        hide_index=True, width="stretch",
    )
    if checked.unread_pages:
        st.caption(t.sheets_unread.format(pages=", ".join(map(str, checked.unread_pages))))
