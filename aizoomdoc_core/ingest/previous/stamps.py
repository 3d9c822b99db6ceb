"""Stamps (the title block's data) as the pipeline shows them, and a page's title block from them.

A stamp is a label→value dict under the labels the pipeline displays («Шифр», «Лист», ...): the HTML
shows them that way, and JSON stamps are renamed to them, so every format merges stamps alike.
"""

from __future__ import annotations

from typing import Any

from ..extracted import TitleBlock
from .common import squash

Stamp = dict[str, str]  # display label -> value

# Stamp fields by the labels the pipeline shows; JSON stamps are renamed to them.
_TITLE_ATTRS = {"Шифр": "sheet_code", "Лист": "sheet_number", "Наименование": "sheet_title", "Стадия": "stage"}
# Printed labels that have a shared key in extracted.FIELD_LABELS; others stay as printed.
_FIELD_KEYS = {
    "Листов": "sheets_total", "Объект": "project", "Организация": "organization", "Разраб.": "drawn_by",
    "Пров.": "checked_by", "Н. контр.": "norm_control", "Н.контр.": "norm_control", "Утв.": "approved_by",
    "ГИП": "chief_engineer",
}
_STAMP_JSON_LABELS = {
    "document_code": "Шифр", "stage": "Стадия", "sheet_number": "Лист", "total_sheets": "Листов",
    "sheet_name": "Наименование", "project_name": "Объект", "organization": "Организация",
}


def is_stamp_json(data: object) -> bool:
    return isinstance(data, dict) and ("document_code" in data or "sheet_number" in data)


def stamp_from_json(data: dict[str, Any]) -> Stamp:
    """A JSON stamp (a stamp crop's analysis, a result block's ``stamp_data``) under display labels."""
    stamp = {
        label: squash(str(data[key])) for key, label in _STAMP_JSON_LABELS.items()
        if isinstance(data.get(key), (str, int)) and str(data[key]).strip()
    }
    signatures = data.get("signatures")
    for signature in signatures if isinstance(signatures, list) else []:
        if isinstance(signature, dict) and signature.get("role") and signature.get("surname"):
            stamp.setdefault(squash(str(signature["role"])), squash(str(signature["surname"])))
    return stamp


def stamp_from_info(text: str) -> Stamp:
    """An HTML ``.stamp-info`` line ("Шифр: ... | Стадия: Р | Лист: 6 | ...") as a stamp."""
    stamp = {}
    for part in text.split(" | "):
        label, sep, value = part.partition(":")
        if sep and label.strip() and value.strip():
            stamp[label.strip()] = value.strip()
    return stamp


def stamp_text(stamp: Stamp) -> str:
    """A stamp crop's text: its fields, one ``label: value`` a line."""
    return "\n".join(f"{label}: {value}" for label, value in stamp.items())


def title_block(stamps: list[Stamp]) -> TitleBlock:
    """A page's title block from its blocks' stamps, the first value of each field winning."""
    merged: Stamp = {}
    for stamp in stamps:
        for label, value in stamp.items():
            merged.setdefault(label, value)
    title = TitleBlock()
    for label, value in merged.items():
        attr = _TITLE_ATTRS.get(label)
        if attr:
            setattr(title, attr, value)
        else:
            title.fields[_FIELD_KEYS.get(label, label)] = value
    return title
