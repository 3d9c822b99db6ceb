"""Two versions of a set side by side, as the Documents page shows them (``compare``): the sheets
that changed, and for the one chosen, its overlay and each changed region old beside new."""

from __future__ import annotations

import streamlit as st

from aizoomdoc_core import markup
from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.compare import STATUSES, Comparison, SheetChange, around
from aizoomdoc_core.errors import AizoomdocError
from aizoomdoc_core.models import DocumentInfo
from aizoomdoc_ui.texts import texts

RESULT_KEY = "comparison"  # the last comparison, kept while the page reruns: it takes seconds
REGION_PIXELS = (700, 500)
SHOWN_REGIONS = 6  # regions of a sheet shown old beside new; the overlay shows them all


def compare_section(app: Aizoomdoc, documents: list[DocumentInfo]) -> None:
    """Pick the earlier and the later version, compare, then read what changed sheet by sheet."""
    t = texts()
    pdfs = {d.id: d for d in documents if d.mime == "application/pdf"}
    if len(pdfs) < 2:
        st.caption(t.compare_needs_two)
        return
    ids = list(pdfs)
    columns = st.columns(2)
    old = columns[0].selectbox(t.compare_old, ids, index=1, key="compare_old", format_func=lambda i: pdfs[i].name)
    new = columns[1].selectbox(t.compare_new, ids, index=0, key="compare_new", format_func=lambda i: pdfs[i].name)
    if st.button(t.compare_run, icon=":material/compare:"):
        try:
            with st.spinner(t.compare_running):
                st.session_state[RESULT_KEY] = app.compare(old, new)
        except AizoomdocError as exc:
            st.error(markup.inline(str(exc)))
            return
    result: Comparison | None = st.session_state.get(RESULT_KEY)
    if result is None or (result.old_id, result.new_id) != (old, new):
        return
    statuses = dict(zip(STATUSES, t.compare_statuses, strict=True))
    st.caption(t.compare_summary.format(seconds=f"{result.seconds:.1f}", changed=sum(s.status != "unchanged" for s in result.sheets),
                                        total=len(result.sheets)))
    st.dataframe(
        [dict(zip(t.compare_columns, (statuses[s.status], s.sheet, s.old_page, s.new_page, len(s.regions),
                                      "; ".join(_said(c.old, c.new) for c in s.texts[:4])), strict=True))
         for s in sorted(result.sheets, key=lambda s: s.status == "unchanged")],
        hide_index=True, width="stretch",
    )
    changed = [s for s in result.sheets if s.status == "changed"]
    if changed:
        chosen = st.selectbox(t.compare_sheet, range(len(changed)), key="compare_sheet",
                              format_func=lambda i: f"{changed[i].sheet} ({t.page} {changed[i].new_page})")
        sheet_detail(app, result, changed[chosen])


@st.cache_data(max_entries=32, show_spinner=False)
def overlay_png(_app: Aizoomdoc, old_id: str, new_id: str, old_page: int, new_page: int) -> bytes:
    """A pair's overlay, drawn once: stored documents never change, and any widget on the page reruns it."""
    return _app.compare_overlay(old_id, new_id, old_page, new_page)


def sheet_detail(app: Aizoomdoc, result: Comparison, sheet: SheetChange) -> None:
    """The sheet's overlay (removed red, added blue), then each changed region, old beside new."""
    t = texts()
    assert sheet.old_page and sheet.new_page  # a changed sheet is in both versions
    try:
        st.image(overlay_png(app, result.old_id, result.new_id, sheet.old_page, sheet.new_page),
                 caption=t.compare_overlay, width="stretch")
        for number, changed in enumerate(sheet.regions[:SHOWN_REGIONS], 1):
            region = around(changed)
            old, new = st.columns(2)
            old.image(app.page_view(result.old_id, sheet.old_page, sheet.old_region(region), REGION_PIXELS).png or b"",
                      caption=t.compare_was.format(number=number), width="stretch")
            new.image(app.page_view(result.new_id, sheet.new_page, region, REGION_PIXELS).png or b"",
                      caption=t.compare_now.format(number=number), width="stretch")
    except AizoomdocError as exc:  # a version deleted since, or its store is away
        st.info(markup.inline(str(exc)))


def _said(old: str | None, new: str | None) -> str:
    """A changed word as the list reads it (plain text: a dataframe renders no Markdown)."""
    return f"{old or ''} → {new or ''}".strip()
