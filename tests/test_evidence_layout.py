"""An answer's evidence as a reader meets it: what supports the answer first, in reading order, each
crop located on its page; the rest one click away."""

from __future__ import annotations

import io
from datetime import datetime, timezone

from PIL import Image

from aizoomdoc_core.models import ChatImage, Citation
from aizoomdoc_ui.evidence_layout import arrange, outlined


def image(number: int, kind: str, bbox: list[float], *, page: int = 1, document: str = "d1") -> ChatImage:
    return ChatImage(
        id=f"i{number}", chat_id="c", message_id="a", name=f"i{number}.png", kind=kind, storage_key="k",
        mime="image/png", width=100, height=100, document_id=document, page=page, bbox=bbox, scale=1.0,
        created_at=datetime.now(timezone.utc), metadata={"marker": f"I{number}"},
    )


def block(marker: str, bbox: list[float], *, page: int = 1, document: str = "d1") -> Citation:
    return Citation(marker, document, page, bbox, block_id=f"block-{marker}")


VIEWPORT = image(1, "viewport", [0.5, 0.5, 1.0, 1.0])
STAMP = image(2, "zoom_crop", [0.8, 0.9, 1.0, 1.0])  # holds the title block's field the answer quotes
NOTE = image(3, "zoom_crop", [0.55, 0.6, 0.7, 0.65])  # an unrelated hit on the same sheet
OTHER = image(4, "zoom_crop", [0.2, 0.2, 0.4, 0.4], page=2)  # a hit on another page


def test_the_crop_that_holds_the_cited_block_comes_first_and_the_rest_one_click_away() -> None:
    layout = arrange([VIEWPORT, STAMP, NOTE, OTHER], [block("B1", [0.85, 0.92, 0.95, 0.95])])
    assert [s.image.id for s in layout.first] == ["i2"]
    assert layout.first[0].locator is VIEWPORT
    assert layout.first[0].marks == (tuple(STAMP.bbox or []),)
    assert [i.id for i in layout.more] == ["i3", "i4"]


def test_supporting_crops_keep_the_order_they_were_made_in_and_share_their_pages_locator() -> None:
    cited = [block("B2", [0.6, 0.61, 0.65, 0.63]), block("B1", [0.85, 0.92, 0.95, 0.95]),
             Citation("I4", "d1", 2, OTHER.bbox, image_id="i4")]
    layout = arrange([VIEWPORT, STAMP, NOTE, OTHER], cited)
    assert [s.image.id for s in layout.first] == ["i2", "i3", "i4"]
    # the locator is shown once, beside the first crop of its page, with both of the page's crops outlined
    assert [s.locator.id if s.locator else None for s in layout.first] == ["i1", None, None]
    assert layout.first[0].marks == (tuple(STAMP.bbox or []), tuple(NOTE.bbox or []))
    assert layout.more == []


def test_an_answer_that_cites_nothing_shows_its_first_crop_up_front() -> None:
    layout = arrange([VIEWPORT, STAMP, NOTE], [])
    assert [s.image.id for s in layout.first] == ["i2"]
    assert [i.id for i in layout.more] == ["i3"]


def test_a_crop_of_another_page_gets_no_locator_of_this_one() -> None:
    layout = arrange([VIEWPORT, OTHER], [])
    assert layout.first[0].locator is None
    assert [i.id for i in layout.more] == ["i1"]


def test_an_answer_with_only_a_page_view_shows_it() -> None:
    page = image(1, "page", [0, 0, 1, 1])
    assert [s.image.id for s in arrange([page], []).first] == ["i1"]
    assert arrange([], []).first == []


def test_the_locator_outlines_where_the_crop_sits() -> None:
    white = Image.new("RGB", (200, 100), "white")
    data = io.BytesIO()
    white.save(data, format="PNG")
    # the locator shows the page's right half; the crop is that half's bottom-right quarter
    drawn = Image.open(io.BytesIO(outlined(data.getvalue(), [0.5, 0.0, 1.0, 1.0], [(0.75, 0.5, 1.0, 1.0)])))
    red = {(x, y) for x in range(200) for y in range(100) if drawn.getpixel((x, y))[0] > 150 > drawn.getpixel((x, y))[1]}
    assert red, "the crop is outlined"
    assert min(x for x, _ in red) >= 99 and min(y for _, y in red) >= 49  # and only where it sits
    assert (100, 75) in red and (150, 50) in red  # its left and top edges
