"""An image crop's JSON, read alike in every format: a stamp, or the model's analysis of the crop.

A crop contributes what was OCR'd from it (``clean_ocr_text``) and a few facts worth keeping (zone,
grid lines, a one-line summary); the model's prose about it stays out of the text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .common import plain_lines, squash
from .html_text import html_to_text
from .stamps import Stamp, is_stamp_json, stamp_from_json, stamp_text


@dataclass(frozen=True)
class CropText:
    """What a crop gives its block: text, metadata, and its stamp (empty unless it is a stamp)."""

    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    stamp: Stamp = field(default_factory=dict)


def analysis(data: object) -> dict[str, Any]:
    """The crop analysis inside the pipeline's JSON, which is nested one ``analysis`` deep or two."""
    for _ in range(3):
        if isinstance(data, dict) and isinstance(data.get("analysis"), dict):
            data = data["analysis"]
    return data if isinstance(data, dict) else {}


def analysis_text(found: dict[str, Any]) -> CropText:
    """A crop's OCR'd text and the small facts worth keeping (zone, grid lines, one-line summary)."""
    location = found.get("location")
    if not isinstance(location, dict):
        location = {}
    meta = {
        "zone_name": location.get("zone_name"), "grid_lines": location.get("grid_lines"),
        "summary": found.get("content_summary"),
    }
    text = found.get("clean_ocr_text") or found.get("ocr_text")  # the pipeline used both names
    kept = {key: squash(value) for key, value in meta.items() if isinstance(value, str)}
    return CropText(plain_lines(text) if isinstance(text, str) else "", kept)


def loads_lenient_fence(text: str) -> Any:
    """JSON that the pipeline may have wrapped in a ```json fence; None when it is not JSON."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def crop_fields(data: object) -> CropText | None:
    """What a crop's parsed JSON says: a stamp, or an analysis; None for neither."""
    if isinstance(data, dict) and is_stamp_json(data):
        stamp = stamp_from_json(data)
        return CropText(stamp_text(stamp), {"category": "stamp", "stamp": stamp}, stamp)
    if isinstance(data, dict):
        return analysis_text(analysis(data))
    return None


def crop_json_text(payload: str) -> CropText:
    """What a crop's JSON text says; the text itself (as HTML) when it is not JSON."""
    return crop_fields(loads_lenient_fence(payload)) or CropText(html_to_text(payload))
