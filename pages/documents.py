"""Documents: upload drawing sets (a progress bar per file), see what each became, search, view, delete."""

from __future__ import annotations

import streamlit as st

from aizoomdoc_core import markup
from aizoomdoc_core.errors import AizoomdocError
from aizoomdoc_core.models import DenseProgress, DocumentInfo
from aizoomdoc_ui.session import gate
from aizoomdoc_ui.sheet_viewer import Target, parse_region, sheet_viewer, show_problem
from aizoomdoc_ui.texts import texts
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


def url_target(by_id: dict[str, DocumentInfo]) -> Target | None:
    """The page the address names (``?document=ID&page=N&region=x0,y0,x1,y1``: a link from a chat
    image or a source), None when it names none; a bad one is said in one line and ignored."""
    params = st.query_params
    if "document" not in params:
        return None
    try:
        document = by_id.get(params["document"])
        if document is None:
            raise ValueError("no such document")
        page = int(params.get("page") or 1) if (params.get("page") or "1").isdigit() else 0
        if page == 0:
            raise ValueError("page is a number from 1")
        if not 1 <= page <= document.page_count:
            raise ValueError(f"page {page} of {document.page_count}")
        return Target(document.id, page, parse_region(params.get("region")))
    except ValueError as exc:
        st.info(texts().viewer_bad_link.format(error=markup.inline(str(exc))))
        return None


@st.fragment
def viewer(target: Target, linked: bool) -> None:
    """The viewer alone reruns while a person zooms, pans and leafs through the sheets."""
    try:
        sheet_viewer(app, target, key="documents-viewer", height=720, reveal=linked)
    except AizoomdocError as exc:
        show_problem(exc)


def viewer_section(by_id: dict[str, DocumentInfo]) -> None:
    """The viewer over the chosen document, opened where the address says when it names a page."""
    t = texts()
    st.subheader(t.viewer_title)
    linked = url_target(by_id)
    ids = list(by_id)
    if linked and st.session_state.get("viewer_link") != linked.token:
        st.session_state["viewer_link"] = linked.token  # the link chooses the document once
        st.session_state["viewer_document"] = linked.document_id
    shown = st.selectbox(t.viewer_document, ids, key="viewer_document", format_func=lambda i: by_id[i].name)
    if linked and linked.document_id == shown:
        viewer(linked, True)
    else:
        viewer(Target(shown), False)


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
    viewer_section(by_id)
    with st.expander("Delete a document"):
        doomed = st.selectbox("Document", list(by_id), format_func=lambda i: by_id[i].name)
        if st.button("Delete for good", type="primary"):
            app.delete_document(doomed)
            st.rerun()
