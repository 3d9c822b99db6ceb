"""Documents: upload drawing sets (a progress bar per file), see what each became, search, delete."""

from __future__ import annotations

import streamlit as st

from aizoomdoc_core import markup
from aizoomdoc_core.models import DenseProgress, DocumentInfo
from aizoomdoc_ui.session import gate
from aizoomdoc_ui.texts import texts
from aizoomdoc_ui.uploads import upload_limit_mb

app = gate()
t = texts()
st.title(t.documents_page)


def meaning(progress: DenseProgress | None) -> str:
    """A document's dense index as the list shows it."""
    if progress is None:
        return t.meaning_off
    return t.meaning_ready if progress.done >= progress.total else t.meaning_partly.format(done=progress.done, total=progress.total)


def document_list(documents: list[DocumentInfo]) -> None:
    """The list with each document's search-by-meaning state, and the indexer's progress while it
    works; redrawn alone every few seconds meanwhile (see below), then the whole page once done."""
    ids = [d.id for d in documents]
    codes = app.sheet_codes(ids)
    dense = {p.document_id: p for p in app.dense_progress(ids) or []}
    st.dataframe(
        [dict(zip(t.columns, (d.name, d.page_count, d.status, ", ".join(codes[d.id][:5]), meaning(dense.get(d.id)),
                              f"{d.created_at:%Y-%m-%d %H:%M}"), strict=True))
         for d in documents],
        hide_index=True, width="stretch",
    )
    done, total = sum(p.done for p in dense.values()), sum(p.total for p in dense.values())
    if done < total:
        st.progress(done / total, text=t.preparing.format(done=done, total=total))
    elif st.session_state.pop("indexing", False):
        st.rerun()  # the list stops redrawing itself


@st.dialog(t.delete_document)
def delete(document: DocumentInfo) -> None:
    """Asks once more: a document's pages, blocks and search index go with it."""
    st.markdown(f"**{markup.inline(document.name)}**")
    st.warning(t.delete_document_confirm)
    if st.button(t.delete_for_good, type="primary", icon=":material/delete_forever:"):
        app.delete_document(document.id)
        st.toast(t.deleted.format(title=markup.inline(document.name)))
        st.rerun()


if not app.ocr_available():
    st.warning(t.ocr_off)
uploads = st.file_uploader(
    t.add_documents,
    accept_multiple_files=True, type=["pdf", "png", "jpg", "jpeg", "tif", "tiff", "md", "html", "json"],
    max_upload_size=upload_limit_mb(app),
)
if uploads and st.button(t.ingest, type="primary"):
    for upload in uploads:
        name = markup.inline(upload.name)
        bar = st.progress(0.0, text=t.upload_reading.format(name=name))
        result = app.ingest_bytes(
            upload.getvalue(), upload.name,
            progress=lambda done, total, bar=bar, name=name: bar.progress(
                min(1.0, done / max(total, 1)), text=t.upload_page.format(name=name, done=done, total=total)),
        )
        if result.status == "ok":
            bar.progress(1.0, text=t.upload_done.format(name=name, pages=t.count(result.pages, t.pages),
                                                        status=result.document_status)
                         + (t.already_ingested if result.duplicate else ""))
            for warning in result.warnings:
                st.warning(f"{name}: {markup.inline(warning)}")
        else:
            bar.empty()
            st.error(markup.inline(result.error or ""))

documents = app.list_documents()
by_id = {d.id: d for d in documents}
if not documents:
    st.info(t.no_documents_yet)
else:
    waiting = any(p.done < p.total for p in app.dense_progress([d.id for d in documents]) or [])
    st.session_state["indexing"] = waiting
    st.fragment(run_every=3 if waiting else None)(document_list)(documents)
    query = st.text_input(t.search_documents)
    if query:
        for hit in app.search(query, top=10):
            sheet = f" · {t.sheet} {markup.inline(hit.sheet_code)}" if hit.sheet_code else ""
            st.markdown(f"**{markup.inline(hit.document_name)}**, {t.page} {hit.page}{sheet}  \n{markup.literal(hit.text[:300])}")
    # A toggle, not an expander: an expander's body runs even while it is closed, and a page of a
    # huge scan is not drawn for nobody.
    if st.toggle("Page viewer: the text blocks found on a page"):
        shown = st.selectbox("Document", list(by_id), key="viewer_document", format_func=lambda i: by_id[i].name)
        document = by_id[shown]
        number = st.number_input("Page", min_value=1, max_value=max(1, document.page_count), value=1, step=1)
        blocks = app.blocks_in_region(document.id, int(number), [0, 0, 1, 1])
        sheet = blocks[0].sheet_code if blocks else None
        st.caption(f"{len(blocks)} blocks" + (f" · sheet {markup.inline(sheet)}" if sheet else ""))
        try:
            st.image(app.page_with_blocks(document, int(number), [b.bbox for b in blocks]), width="stretch")
        except Exception as exc:  # text documents have no drawing; say so
            st.info(f"No picture: {markup.inline(str(exc))}")
    with st.expander(t.delete_document):
        doomed = st.selectbox(t.document, list(by_id), format_func=lambda i: by_id[i].name)
        if st.button(t.delete, icon=":material/delete:"):
            delete(by_id[doomed])
