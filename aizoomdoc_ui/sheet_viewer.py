"""The sheet viewer: a page of a drawing to zoom into, pan over and leaf through, sharp at any zoom.

A small ``st.components.v2`` component of our own (``sheet_viewer.js``/``.css``/``.html`` beside
this file) shows the page. It scales what it has at once; when the view has been still for a
moment it reports the visible region and its size in device pixels (state ``view``), and this
module draws that region again from the original at that size (``Aizoomdoc.page_view``: vector
PDFs re-rendered by MuPDF, scans resampled, in the renderer's isolated child) and sends it back. So
a 2 mm label on an A1 sheet, a smudge at 100 %, reads at 1000 %, and what travels per view is one
screenful of pixels rather than the whole sheet at the zoomed resolution.

The page's references to other sheets of the document ("SEE 2/A-102", resolved by
``Aizoomdoc.references``) are drawn as boxes over the sheet; a click goes to the target page, zoomed
to the detail and outlined when it was located. Mount it inside a fragment (a dialog is one): a zoom
then reruns only the viewer. Everything that came from a file (sheet codes, a reference's words)
reaches the page as data the component sets as text; the images are data: URLs inside that data,
so the viewer makes no request of its own.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from aizoomdoc_core import markup
from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.errors import AizoomdocError
from aizoomdoc_core.models import PageView
from aizoomdoc_core.references import RESOLVED
from aizoomdoc_ui.texts import TABLES, UiTexts, texts

HERE = Path(__file__).parent
OVERVIEW_PIXELS = (1200, 1200)  # the placeholder a zoom scales at once, until the sharp view arrives
MAX_PIXELS = 4096  # a side of a view asked for by the browser (the core caps it too)
MAX_LINKS = 200  # references drawn on one page
MAX_TEXT = 120  # characters of a reference's words or a sheet code, as shown in its tooltip

_component = st.components.v2.component(
    "aizoomdoc_sheet_viewer",
    html=(HERE / "sheet_viewer.html").read_text(encoding="utf-8"),
    css=(HERE / "sheet_viewer.css").read_text(encoding="utf-8"),
    js=(HERE / "sheet_viewer.js").read_text(encoding="utf-8"),
)


@dataclass(frozen=True)
class Target:
    """Where the viewer opens: a page of a document and, when given, the region it shows outlined
    (a citation's block, a chat image's crop). A new target resets a viewer already open."""

    document_id: str
    page: int = 1
    region: tuple[float, float, float, float] | None = None

    @property
    def token(self) -> str:
        box = ",".join(f"{v:.5f}" for v in self.region) if self.region else ""
        return f"{self.document_id}:{self.page}:{box}"


@dataclass(frozen=True)
class Reported:
    """The view the browser reported (state ``view``), checked: it came from outside."""

    page: int
    region: list[float]
    pixels: tuple[int, int]
    has_overview: bool


def parse_region(text: str | None) -> tuple[float, float, float, float] | None:
    """``x0,y0,x1,y1`` (a URL's ``region``) as four numbers 0..1 with x0 < x1 and y0 < y1; None when empty.
    Raises ``ValueError`` with the reason for anything else."""
    if not text:
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError("region is x0,y0,x1,y1")
    box = _box(parts)
    if box is None:
        raise ValueError("region is x0,y0,x1,y1 between 0 and 1, x0 < x1 and y0 < y1")
    return box[0], box[1], box[2], box[3]


def region_param(region: list[float] | tuple[float, ...]) -> str:
    """A region as the URL's ``region`` parameter (what ``parse_region`` reads)."""
    return ",".join(f"{float(v):.4f}" for v in region)


def sheet_viewer(app: Aizoomdoc, target: Target, *, key: str, height: int = 640, reveal: bool = False) -> None:
    """The viewer over ``target``'s document, opened at its page (and region); a text-only document
    gets one line instead. ``height`` is the most the sheet's area takes, in CSS pixels; ``reveal``
    scrolls the viewer into sight when it opens (a link led here to see it)."""
    t = texts()
    document = app.get_document(target.document_id)
    pages = app.document_pages(document.id)
    reported = _reported(st.session_state.get(key), target, len(pages))
    page = reported.page if reported else target.page
    overview = app.page_view(document.id, page, None, OVERVIEW_PIXELS)
    if not overview.drawable:
        st.info(t.viewer_text_only)
        return
    sizes = [[p.width_pt, p.height_pt] for p in pages] or [list(overview.page_pt)]
    sizes[page - 1] = list(overview.page_pt)  # as drawn: the layout and the images agree exactly
    data: dict[str, Any] = {
        "token": target.token,
        "start": {"page": target.page, "region": list(target.region) if target.region else None},
        "mark": {"page": target.page, "region": list(target.region)} if target.region else None,
        "pages": [{"n": n, "code": info.sheet_code, "width": size[0], "height": size[1]}
                  for n, (info, size) in enumerate(zip(pages, sizes), start=1)],
        "overview": None if reported and reported.has_overview else {"page": page, "url": _url(overview)},
        "detail": None,
        "height": height,
        "reveal": reveal,
        "labels": _labels(t),
        "links": {"page": page, "items": _links(app, document.id, page, len(pages), t.language,
                                                tuple(d.id for d in app.list_documents()))},
    }
    if reported:
        shown = app.page_view(document.id, page, reported.region, reported.pixels)
        data["detail"] = {"page": page, "region": shown.region, "url": _url(shown)}
    _component(key=key, data=data, height="content", on_view_change=lambda: None)


def open_in_viewer(document_id: str | None, page: int | None, region: list[float] | None, *,
                   label: str | None = None) -> None:
    """A link that opens the page in the Documents page's viewer at ``region`` (outlined there):
    under a chat image, in a source (``label``: in the question's language there). The address
    carries it, so the link can be shared too."""
    if not document_id or page is None:
        return
    params = {"document": document_id, "page": str(page)}
    if region and len(region) == 4:
        params["region"] = region_param(region)
    st.page_link("pages/documents.py", label=label or texts().viewer_open, icon=":material/zoom_in:", query_params=params)


@st.cache_data(max_entries=256, show_spinner=False)
def _links(_app: Aizoomdoc, document_id: str, page: int, page_count: int, language: str,
           library: tuple[str, ...]) -> list[dict[str, Any]]:
    """``page_links``, worked out once per page while the library holds the same documents (a
    reference's target depends on the others): every zoom and pan reruns the viewer."""
    return page_links(_app, document_id, page, page_count, TABLES[language])


def page_links(app: Aizoomdoc, document_id: str, page: int, page_count: int,
               t: UiTexts | None = None) -> list[dict[str, Any]]:
    """The page's references that lead to a page of this document, as the viewer draws them: their
    box, their words, the target page, region (None: the whole sheet) and sheet code, and the
    tooltip. A target in another document, or a reference left unresolved, is left out; every
    number is checked here, since all of it was read from files."""
    t = t or texts()
    found: list[dict[str, Any]] = []
    for reference in app.references(document_id, page).references:
        target = reference.target
        if reference.status not in RESOLVED or target is None or target.document_id != document_id:
            continue
        box = _box(reference.bbox)
        region = _box(target.region) if target.region else None
        if box is None or not isinstance(target.page, int) or not 1 <= target.page <= page_count:
            continue
        text = str(reference.text)[:MAX_TEXT]
        sheet = str(target.sheet)[:MAX_TEXT] if target.sheet else None
        title = (t.viewer_link_sheet.format(text=text, sheet=sheet) if sheet
                 else t.viewer_link_page.format(text=text, page=target.page))
        found.append({"bbox": box, "text": text, "page": target.page, "region": region, "sheet": sheet, "title": title})
    return found[:MAX_LINKS]


def _box(values: Any) -> list[float] | None:
    """Four finite numbers 0..1, x0 < x1 and y0 < y1, else None."""
    try:
        box = [float(v) for v in values]
    except (TypeError, ValueError):
        return None
    if len(box) != 4 or not all(math.isfinite(v) and 0 <= v <= 1 for v in box) or box[0] >= box[2] or box[1] >= box[3]:
        return None
    return box


def _reported(state: Any, target: Target, page_count: int) -> Reported | None:
    """The browser's last view when it is of this target and well formed, else None (start over)."""
    view = state.get("view") if hasattr(state, "get") else None
    if not isinstance(view, dict) or view.get("token") != target.token:
        return None
    try:
        page = int(view["page"])
        region = [float(v) for v in view["region"]]
        width, height = (min(MAX_PIXELS, max(1, int(v))) for v in view["pixels"])
    except (KeyError, TypeError, ValueError):
        return None
    if not 1 <= page <= page_count or len(region) != 4 or not all(math.isfinite(v) for v in region):
        return None
    return Reported(page, region, (width, height), view.get("have") == page)


def _url(view: PageView) -> str:
    return "data:image/png;base64," + base64.b64encode(view.png or b"").decode("ascii")


def _labels(t: UiTexts) -> dict[str, str]:
    return {"prev": t.viewer_prev, "next": t.viewer_next, "page": t.viewer_page, "sheet": t.viewer_sheet,
            "jump": t.viewer_jump, "no_sheet": t.viewer_no_sheet, "fit": t.viewer_fit, "zoom_in": t.viewer_zoom_in,
            "zoom_out": t.viewer_zoom_out, "full": t.viewer_full, "stage": t.viewer_stage}


def show_problem(exc: AizoomdocError) -> None:
    """A viewer that cannot open (a deleted document, a page that is not there), in one line."""
    st.info(f"{texts().viewer_cannot}: {markup.inline(str(exc))}")
