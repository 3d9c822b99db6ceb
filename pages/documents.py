"""Documents: upload drawing sets (a progress bar per file), see what each became, search, delete."""

from __future__ import annotations

import streamlit as st

from aizoomdoc_core import markup
from aizoomdoc_core.models import DenseProgress, DocumentInfo
from aizoomdoc_ui.session import gate
from aizoomdoc_ui.uploads import upload_limit_mb

app = gate()
st.title("Documents")


def meaning(progress: DenseProgress | None) -> str:
    """A document's dense index as the list shows it."""
    if progress is None:
        return "off"
    return "ready" if progress.done >= progress.total else f"{progress.done} of {progress.total} blocks"


def document_list(documents: list[DocumentInfo]) -> None:
    """The list with each document's search-by-meaning state, and the indexer's progress while it
    works; redrawn alone every few seconds meanwhile (see below), then the whole page once done."""
    ids = [d.id for d in documents]
    codes = app.sheet_codes(ids)
    dense = {p.document_id: p for p in app.dense_progress(ids) or []}
    st.dataframe(
        [{"name": d.name, "pages": d.page_count, "status": d.status, "sheets": ", ".join(codes[d.id][:5]),
          "search by meaning": meaning(dense.get(d.id)), "added": f"{d.created_at:%Y-%m-%d %H:%M}"}
         for d in documents],
        hide_index=True, width="stretch",
    )
    done, total = sum(p.done for p in dense.values()), sum(p.total for p in dense.values())
    if done < total:
        st.progress(done / total, text=f"Preparing search by meaning: {done} of {total} text blocks. "
                    "Search by words and codes works already.")
    elif st.session_state.pop("indexing", False):
        st.rerun()  # the list stops redrawing itself


if not app.ocr_available():
    st.warning("OCR is off: Tesseract is not installed here, so scans and images are kept as pictures "
               "without text to search. Install it (`sudo apt-get install tesseract-ocr tesseract-ocr-eng "
               "tesseract-ocr-rus`, or start the app with `bash run.sh`) and restart the app.")
uploads = st.file_uploader(
    "Add drawings: PDF, scans, images, or the earlier pipeline's OCR outputs (md, html, json)",
    accept_multiple_files=True, type=["pdf", "png", "jpg", "jpeg", "tif", "tiff", "md", "html", "json"],
    max_upload_size=upload_limit_mb(app),
)
if uploads and st.button("Ingest", type="primary"):
    for upload in uploads:
        name = markup.inline(upload.name)
        bar = st.progress(0.0, text=f"{name}: reading…")
        result = app.ingest_bytes(
            upload.getvalue(), upload.name,
            progress=lambda done, total, bar=bar, name=name: bar.progress(
                min(1.0, done / max(total, 1)), text=f"{name}: page {done} of {total}"),
        )
        if result.status == "ok":
            bar.progress(1.0, text=f"{name}: {result.pages} pages, {result.document_status}"
                         + (" (already ingested)" if result.duplicate else ""))
            for warning in result.warnings:
                st.warning(f"{name}: {markup.inline(warning)}")
        else:
            bar.empty()
            st.error(markup.inline(result.error or ""))

documents = app.list_documents()
by_id = {d.id: d for d in documents}
if not documents:
    st.info("No documents yet.")
else:
    waiting = any(p.done < p.total for p in app.dense_progress([d.id for d in documents]) or [])
    st.session_state["indexing"] = waiting
    st.fragment(run_every=3 if waiting else None)(document_list)(documents)
    query = st.text_input("Search in the documents")
    if query:
        for hit in app.search(query, top=10):
            sheet = f" · sheet {markup.inline(hit.sheet_code)}" if hit.sheet_code else ""
            st.markdown(f"**{markup.inline(hit.document_name)}**, page {hit.page}{sheet}  \n{markup.literal(hit.text[:300])}")
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
    with st.expander("Delete a document"):
        doomed = st.selectbox("Document", list(by_id), format_func=lambda i: by_id[i].name)
        if st.button("Delete for good", type="primary"):
            app.delete_document(doomed)
            st.rerun()
