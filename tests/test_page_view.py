"""``Aizoomdoc.page_view``, what the sheet viewer draws: any region of a page at the pixels it is
shown at, from the original, so a 2 mm label that is a smudge on the whole sheet is sharp zoomed in."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aizoomdoc_core import render
from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.errors import InvalidInput
from tests.conftest import CORPUS
from tests.test_browser_viewer import A1, CAP_HEIGHT, LABEL_AT, MM, a1_sheets

LABEL = [LABEL_AT[0] - 0.005, LABEL_AT[1] - 0.01, LABEL_AT[0] + 0.05, LABEL_AT[1] + 0.004]  # around the first label


@pytest.fixture
def app(tmp_path: Path) -> Aizoomdoc:
    return Aizoomdoc.open(Settings.load(data_dir=tmp_path / "data", environ={}, dotenv_path=None))


@pytest.fixture
def sheets(app: Aizoomdoc, tmp_path: Path) -> str:
    a1_sheets(tmp_path / "plans_a1.pdf")
    result = app.ingest(tmp_path / "plans_a1.pdf")
    assert result.status == "ok" and result.document_id
    return result.document_id


def ink_height(png: bytes) -> int:
    """How many pixel rows hold dark ink: the height of a lone line of text."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    return int((pixels < 128).any(axis=1).sum())


def test_a_region_is_drawn_at_the_pixels_asked_for_and_its_label_grows_sharp(app: Aizoomdoc, sheets: str) -> None:
    whole = app.page_view(sheets, 1, None, (1200, 1200))
    assert whole.drawable and whole.page_count == 2 and whole.region == [0.0, 0.0, 1.0, 1.0]
    assert whole.page_pt == pytest.approx(A1, abs=0.01)
    assert (whole.width, whole.height) == (1200, round(1200 * A1[1] / A1[0]))
    assert Image.open(io.BytesIO(whole.png or b"")).size == (whole.width, whole.height)

    zoomed = app.page_view(sheets, 1, LABEL, (1200, 400))
    assert zoomed.region == pytest.approx(LABEL, abs=1e-5)
    assert max(zoomed.width / 1200, zoomed.height / 400) == pytest.approx(1, abs=0.01)  # fills the box, shape kept
    scale = zoomed.width / ((LABEL[2] - LABEL[0]) * A1[0])  # pixels per point
    cap = 2 * MM * scale
    assert cap > 40  # the 2 mm capitals, 40+ px tall: read at a glance
    assert ink_height(zoomed.png or b"") == pytest.approx(cap / CAP_HEIGHT * 0.95, rel=0.25)  # drawn, not upscaled

    label_on_whole = app.page_view(sheets, 1, LABEL, (round(1200 * (LABEL[2] - LABEL[0])), 1200))
    assert label_on_whole.width < 70  # what the whole sheet at 1200 px gives the label: a smudge


def test_the_same_view_is_drawn_once(app: Aizoomdoc, sheets: str) -> None:
    app.page_view(sheets, 2, LABEL, (900, 600))
    started = time.perf_counter()
    again = app.page_view(sheets, 2, LABEL, (900, 600))
    assert time.perf_counter() - started < 0.05 and again.png


@pytest.mark.parametrize("region, error", [
    (["a", 0, 1, 1], "four numbers"), ([0, 0, 1], "four numbers"), ([float("nan"), 0, 1, 1], "four numbers"),
    ([0, 0, float("inf"), 1], "four numbers"), ("0,0,1,1", "four numbers"),
])
def test_a_region_that_is_not_four_numbers_is_refused_in_one_line(
    app: Aizoomdoc, sheets: str, region: object, error: str,
) -> None:
    with pytest.raises(InvalidInput, match=error):
        app.page_view(sheets, 1, region, (800, 600))  # type: ignore[arg-type]


def test_out_of_range_input_is_clamped_or_refused(app: Aizoomdoc, sheets: str) -> None:
    for page in (0, 3, -1):
        with pytest.raises(InvalidInput, match="does not exist"):
            app.page_view(sheets, page, None, (800, 600))
    huge = app.page_view(sheets, 1, None, (10**9, 10**9))  # a hostile browser: bounded pixels
    assert max(huge.width, huge.height) <= render.VIEW_MAX_SIDE
    assert app.page_view(sheets, 1, [-5, -5, 9, 9], (300, 300)).region == [0.0, 0.0, 1.0, 1.0]
    dot = app.page_view(sheets, 1, [0.5, 0.5, 0.5, 0.5], (-10, 0))  # no area, no pixels: the least of both
    assert dot.region[2] - dot.region[0] == pytest.approx(render.MIN_VIEW_REGION, abs=1e-5)
    assert dot.width >= 1 and dot.height >= 1


def test_a_text_only_document_has_no_picture(app: Aizoomdoc) -> None:
    result = app.ingest(CORPUS / "C" / "C08_ru_95-24-GK-ST-AR-KRV_ocr.html")
    assert result.status == "ok" and result.document_id
    shown = app.page_view(result.document_id, 1, [0.1, 0.1, 0.4, 0.3], (800, 600))
    assert not shown.drawable and shown.png is None and (shown.width, shown.height) == (0, 0)
    assert shown.to_json()["png"] is None


def test_a_decompression_bomb_is_drawn_or_refused_within_the_renderers_limits(app: Aizoomdoc) -> None:
    result = app.ingest(CORPUS / "D" / "D17_jbig2_decompression_bomb.pdf")
    assert result.status == "ok" and result.document_id
    app.renderer.seconds, app.renderer.memory_bytes = 20.0, 512 * 1024**2
    started = time.perf_counter()
    try:
        shown = app.page_view(result.document_id, 1, None, (4096, 4096))
        assert shown.png and max(shown.width, shown.height) <= render.VIEW_MAX_SIDE
    except InvalidInput as exc:
        assert "\n" not in str(exc)
    assert time.perf_counter() - started < 30
