"""The page icon, drawn here: a named Material icon would make every visitor's browser fetch it
from a public font CDN, and an internal app must not depend on, or report to, anything outside."""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw

BLUE = (31, 95, 168, 255)  # the theme's primary colour (.streamlit/config.toml)


@lru_cache(maxsize=1)
def page_icon() -> Image.Image:
    """A magnifier over a sheet, 64 px: the favicon Streamlit serves from this app itself."""
    icon = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(icon)
    draw.rectangle((6, 4, 44, 52), fill=(255, 255, 255, 255), outline=BLUE, width=3)
    for y in (14, 22, 30):
        draw.line((12, y, 36, y), fill=BLUE, width=2)
    draw.ellipse((26, 24, 52, 50), fill=(255, 255, 255, 255), outline=BLUE, width=5)
    draw.line((48, 46, 60, 58), fill=BLUE, width=7)
    return icon
