"""Documents: upload drawing sets (a progress bar per file), see what each became, search, view, delete."""

from __future__ import annotations

import streamlit as st

from aizoomdoc_core import markup
from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.errors import AizoomdocError
from aizoomdoc_core.models import DenseProgress, DocumentInfo
from aizoomdoc_core.sheet_index import SheetCheck
from aizoomdoc_ui.compare_view import compare_section
from aizoomdoc_ui.framing import inside_frame
from aizoomdoc_ui.session import gate
from aizoomdoc_ui.sheet_list import sheet_list
from aizoomdoc_ui.sheet_viewer import Target, parse_region, sheet_viewer, show_problem
from aizoomdoc_ui.texts import texts
from aizoomdoc_ui.uploads import upload_limit_mb

inside_frame(__file__)
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
        number = params.get("page") or "1"
        if not number.isdigit() or int(number) == 0:
            raise ValueError("page is a number from 1")
        page = int(number)
        if page > document.page_count:
            raise ValueError(f"page {page} of {document.page_count}")
        return Target(document.id, page, parse_region(params.get("region")))
    except ValueError as exc:
        st.info(t.viewer_bad_link.format(error=markup.inline(str(exc))))
        return None


@st.fragment
def viewer(target: Target, linked: bool) -> None:
    """The viewer alone reruns while a person zooms, pans and leafs through the sheets."""
    try:
        sheet_viewer(app, target, key="documents-viewer", height=720, reveal=linked)
    except AizoomdocError as exc:
        show_problem(exc)


@st.cache_data(max_entries=64, show_spinner=False)
def checked(_app: Aizoomdoc, document_id: str) -> SheetCheck:
    """A document's sheets against its list, once: its pages and blocks never change, and every
    widget of the page reruns the section."""
    return _app.sheet_check(document_id)


def viewer_section(by_id: dict[str, DocumentInfo]) -> None:
    """The viewer over the chosen document, opened where the address says when it names a page."""
    st.subheader(t.viewer_title)
    linked = url_target(by_id)
    ids = list(by_id)
    if linked and st.session_state.get("viewer_link") != linked.token:
        st.session_state["viewer_link"] = linked.token  # the link chooses the document once
        st.session_state["viewer_document"] = linked.document_id
    shown = st.selectbox(t.viewer_document, ids, key="viewer_document", format_func=lambda i: by_id[i].name)
    # A toggle, not an expander: an expander's body runs even while it is closed.
    if st.toggle(t.sheets_check, key="sheets_check"):
        sheet_list(checked(app, shown))
    if linked and linked.document_id == shown:
        viewer(linked, True)
    else:
        viewer(Target(shown), False)


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
    viewer_section(by_id)
    if st.toggle(t.compare_title, key="compare_open"):  # like the sheets' check: nothing runs until asked
        compare_section(app, documents)
    with st.expander(t.delete_document):
        doomed = st.selectbox(t.document, list(by_id), format_func=lambda i: by_id[i].name)
        if st.button(t.delete, icon=":material/delete:"):
            delete(by_id[doomed])
