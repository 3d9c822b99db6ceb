"""The model's tools: their schemas come from their typed parameters, which parse the arguments once."""

from __future__ import annotations

import pytest

from aizoomdoc_core.agent.tools import TOOLS, PageParams, SearchDocuments, ViewPage, Zoom, ZoomParams
from aizoomdoc_core.errors import InvalidInput


def test_each_schema_is_generated_from_the_tools_parameters_and_docstring() -> None:
    schemas = {s["function"]["name"]: s["function"] for s in TOOLS.schemas()}
    assert list(schemas) == ["search_documents", "view_page", "zoom", "check_sheets", "compare_versions"]
    zoom = schemas["zoom"]
    assert zoom["description"].startswith("A sharp image of a region of a page") and "\n" not in zoom["description"]
    assert zoom["parameters"]["required"] == ["document_id", "page", "bbox"]
    assert zoom["parameters"]["properties"]["bbox"] == {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4}
    assert zoom["parameters"]["properties"]["reason"] == {"type": "string", "description": "What you expect to read there."}
    search = schemas["search_documents"]["parameters"]
    assert search["required"] == ["query"]
    assert search["properties"]["document_ids"]["items"] == {"type": "string"}
    assert schemas["view_page"]["parameters"]["properties"]["page"] == {"type": "integer", "description": "1-based page number."}


def test_arguments_are_parsed_into_the_parameters_type() -> None:
    assert ViewPage.parse({"document_id": "d", "page": "3", "extra": 1}) == PageParams("d", 3)
    assert ViewPage.parse({"document_id": "d", "page": 2.0}).page == 2
    params = Zoom.parse({"document_id": "d", "page": 1, "bbox": [0.9, 0.9, 1.2, "1"]})
    assert params == ZoomParams("d", 1, [0.9, 0.9, 1.2, 1.0], "") and params.region == [0.9, 0.9, 1.0, 1.0]
    assert Zoom.parse({"document_id": "d", "page": 1, "bbox": [0, 0, 1, 1]}).whole_page
    assert SearchDocuments.parse({"query": "P-101", "document_ids": None}).document_ids is None


@pytest.mark.parametrize("arguments, said", [
    ({"page": 1}, "document_id is required"),
    ({"document_id": "d", "page": 2.5, "bbox": [0, 0, 1, 1]}, "page must be an integer"),
    ({"document_id": "d", "page": True, "bbox": [0, 0, 1, 1]}, "page must be an integer"),
    ({"document_id": "d", "page": 1, "bbox": [0, 0, 1]}, "bbox needs four numbers"),
    ({"document_id": "d", "page": 1, "bbox": "0 0 1 1"}, "bbox must be a list"),
    ({"document_id": "d", "page": 1, "bbox": [0, 0, "x", 1]}, "bbox must be a number"),
    ({"document_id": "d", "page": 1, "bbox": [0.3, 0.3, 0.3, 0.6]}, "the bbox has no area"),
])
def test_arguments_that_do_not_fit_are_refused_with_what_is_wrong(arguments: dict[str, object], said: str) -> None:
    with pytest.raises(InvalidInput, match=said):
        Zoom.parse(arguments)
