"""Revision compare as a reviewer uses it: two versions of a real set, with changes made whose
place is known (``tests.revisions``), every change found where it was made, nothing reported on
the sheets that did not change, sheets matched by their code although the new version reordered
and re-exported them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pymupdf
import pytest
import streamlit as st
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest
from PIL import Image

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.errors import InvalidInput
from tests.conftest import CORPUS, ROOT
from tests.browser import ARTIFACTS, browse, settle
from tests.revisions import revision_pair
from tests.llm_server import Reply, ScriptedLLM, ToolCall
from tests.services import StreamlitServer, running
from tests.test_cli import as_json, cli

SET = CORPUS / "A" / "A01_pismo_restroom_drawing_set.pdf"
EDITED, SWAP = (3,), (5, 6)


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, list]:
    folder = tmp_path_factory.mktemp("compare")
    old, new, made = revision_pair(SET, folder / "pair", edited=EDITED, swap=SWAP)
    app = Aizoomdoc.open(Settings.load(data_dir=folder / "data", environ={"AIZOOMDOC_EMBEDDINGS": "off"}, dotenv_path=None))
    old_id, new_id = app.ingest(old).document_id, app.ingest(new).document_id
    app.close()
    assert old_id and new_id
    return folder / "data", old_id, new_id, made


def near(a: list[float], b: list[float], slack: float = 0.01) -> bool:
    return a[0] - slack < b[2] and b[0] - slack < a[2] and a[1] - slack < b[3] and b[1] - slack < a[3]


def test_every_change_is_found_where_it_was_made_and_nothing_else(versions: tuple[Path, str, str, list]) -> None:
    data, old_id, new_id, made = versions
    app = Aizoomdoc.open(Settings.load(data_dir=data, environ={"AIZOOMDOC_EMBEDDINGS": "off"}, dotenv_path=None))
    result = app.compare(old_id, new_id)
    by_page = {s.new_page: s for s in result.sheets}
    (changed,) = [s for s in result.sheets if s.status == "changed"]
    assert changed.sheet == "A-1" and (changed.old_page, changed.new_page) == (3, 3)
    for change in made:
        assert any(near(r, change.bbox) for r in changed.regions), change.kind
    assert all(any(near(r, c.bbox) for c in made) for r in changed.regions), "a region where nothing changed"
    value = next(c for c in made if c.kind == "value")
    assert any(t.kind == "edited" and (t.old, t.new) == (value.old, value.new) for t in changed.texts)
    # the revision table's new row, read whole, cells apart; the row it already had is not a change
    assert [(r.kind, r.new) for r in changed.revisions] == [("added", "2 01.12.26 | ISSUED FOR CONSTRUCTION")]
    # the swapped sheets are matched by their codes, not their pages, and reported unchanged
    assert (by_page[5].old_page, by_page[6].old_page) == (6, 5)
    assert all(s.status == "unchanged" and not s.regions and not s.texts for s in result.sheets if s is not changed)
    # side by side: the region on the old sheet is where the new one's was before the re-export
    region = changed.regions[0]
    old_region = changed.old_region(region)
    assert old_region != region and abs((region[2] - region[0]) - (old_region[2] - old_region[0])) < 0.01
    overlay = np.asarray(Image.open(io.BytesIO(app.compare_overlay(old_id, new_id, 3, 3))).convert("RGB")).astype(int)
    red, green, blue = overlay[..., 0], overlay[..., 1], overlay[..., 2]
    assert ((red > 200) & (green < 80)).any() and ((blue > 200) & (red < 60)).any()  # removed red, added blue
    app.close()


def test_compare_refuses_what_it_cannot_compare_in_one_line(tmp_path: Path) -> None:
    app = Aizoomdoc.open(Settings.load(data_dir=tmp_path / "data", environ={"AIZOOMDOC_EMBEDDINGS": "off"}, dotenv_path=None))
    sheet = tmp_path / "sheet.pdf"
    with pymupdf.open() as pdf:
        pdf.new_page().insert_text((72, 100), "PLAN A-101")
        pdf.save(sheet)
    old_id = app.ingest(sheet).document_id
    assert old_id
    with pytest.raises(InvalidInput, match="two different documents"):
        app.compare(old_id, old_id)
    scan = tmp_path / "scan.png"
    Image.new("RGB", (400, 300), "white").save(scan)
    picture = app.ingest(scan).document_id
    assert picture
    with pytest.raises(InvalidInput, match="only PDF drawings can be compared"):
        app.compare(old_id, picture)
    app.close()


def test_compare_json_and_overlays_from_the_command_line(versions: tuple[Path, str, str, list], tmp_path: Path) -> None:
    data, old_id, new_id, _ = versions
    shown = cli("--data-dir", str(data), "compare", old_id, new_id, "--json", "--overlays", str(tmp_path / "o"), cwd=tmp_path)
    assert shown.returncode == 1, shown.stderr  # the versions differ, as diff says
    result = as_json(shown)
    assert result["counts"] == {"unchanged": 11, "changed": 1}
    (changed,) = [s for s in result["sheets"] if s["status"] == "changed"]
    assert changed["regions"] and any(t["kind"] == "edited" for t in changed["texts"])
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["page-003.png"]
    same = cli("--data-dir", str(data), "compare", old_id, old_id, "--json", cwd=tmp_path)
    assert same.returncode == 1 and "two different documents" in json.loads(same.stdout)["error"]


def test_the_documents_page_compares_two_versions_and_shows_a_changed_region_old_beside_new(
    versions: tuple[Path, str, str, list], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    data, old_id, new_id, _ = versions
    for name in ("DATABASE_URL", "S3_BUCKET", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AIZOOMDOC_DATA_DIR", str(data))
    monkeypatch.setenv("AIZOOMDOC_EMBEDDINGS", "off")
    monkeypatch.chdir(tmp_path)
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/documents.py").run()
    at.toggle(key="compare_open").set_value(True).run()
    at.selectbox(key="compare_old").set_value(old_id)
    at.selectbox(key="compare_new").set_value(new_id).run()
    next(b for b in at.button if b.label == "Compare").click().run()
    assert not at.exception, at.exception
    assert any(c.value.startswith("1 of 12 sheets differ") for c in at.caption)
    sheets = at.dataframe[-1].value
    assert list(sheets["status"])[:2] == ["changed", "unchanged"] and list(sheets["sheet"])[0] == "A-1"
    captions = [str(i.proto) for i in at.get("image")]
    assert any("Removed in red, added in blue" in c for c in captions)
    assert any("Region 1, earlier" in c for c in captions) and any("Region 1, later" in c for c in captions)


def test_a_reviewer_compares_two_versions_in_the_browser(versions: tuple[Path, str, str, list]) -> None:
    data, _, _, _ = versions
    server = StreamlitServer(data)
    server.env["AIZOOMDOC_EMBEDDINGS"] = "off"
    with running(server), browse(server, path="documents") as page:
        settle(page)
        page.get_by_text("Compare two versions").click()
        settle(page)
        expect(page.get_by_text("Earlier version")).to_be_visible()
        page.get_by_role("button", name="Compare").click()
        expect(page.get_by_text("1 of 12 sheets differ")).to_be_visible(timeout=120_000)
        settle(page)
        expect(page.get_by_text("Region 1, later")).to_be_visible()
        page.get_by_text("Removed in red, added in blue").scroll_into_view_if_needed()
        page.screenshot(path=ARTIFACTS / "compare-overlay.png")
        page.get_by_text("Region 1, later").scroll_into_view_if_needed()
        page.screenshot(path=ARTIFACTS / "compare-region-old-beside-new.png")
        page.get_by_text("Sheets against the drawing list").click()  # the set's own list, checked
        expect(page.get_by_text("Drawing list on page 1.")).to_be_visible()
        page.get_by_text("Drawing list on page 1.").scroll_into_view_if_needed()
        page.screenshot(path=ARTIFACTS / "sheets-against-the-drawing-list.png")


def test_what_changed_is_answered_in_the_chat_with_each_region_old_beside_new(versions: tuple[Path, str, str, list]) -> None:
    data, old_id, new_id, made = versions
    app = Aizoomdoc.open(Settings.load(data_dir=data, environ={"AIZOOMDOC_EMBEDDINGS": "off"}, dotenv_path=None))
    events = list(app.ask("What changed on A-1 between these versions?", offline=True, document_ids=[new_id, old_id]))
    result = events[-1].result
    lines = result.answer.splitlines()
    assert lines[0] == "Between old.pdf and new.pdf: 1 of 12 sheets differ (matched by their codes)."
    value = next(c for c in made if c.kind == "value")
    assert lines[1].startswith("- A-1 (page 3 → page 3): ") and f"{value.old} → {value.new}" in lines[1]
    images = result.images
    assert [i["document_id"] for i in images][:2] == [old_id, new_id]  # the earlier version first, then the later
    assert {c["marker"] for c in result.citations} == {f"I{n}" for n in range(1, len(images) + 1)}
    russian = list(app.ask("Что изменилось на листе A-1?", offline=True, document_ids=[old_id, new_id]))[-1].result
    assert russian.answer.startswith("Между old.pdf и new.pdf: различаются 1 из 12 листов")
    alone = list(app.ask("What changed on A-1?", offline=True, document_ids=[new_id]))[-1].result
    assert not alone.answer.startswith("Between")  # one version alone: searched and quoted as any question
    app.close()


def test_the_model_compares_the_versions_with_its_tool_within_the_chats_scope(versions: tuple[Path, str, str, list]) -> None:
    data, old_id, new_id, made = versions
    value = next(c for c in made if c.kind == "value")
    with ScriptedLLM() as llm:
        llm.add(
            Reply(tool_calls=[ToolCall("compare_versions", {"old_document_id": old_id, "new_document_id": new_id})]),
            Reply(content="Sheet A-1 changed [I1]."),
        )
        settings = Settings.load(data_dir=data, environ={"AIZOOMDOC_EMBEDDINGS": "off", "OPENAI_BASE_URL": llm.base_url,
                                                         "OPENAI_API_KEY": "test-key", "LLM_MODEL": "scripted-model"},
                                 dotenv_path=None)
        app = Aizoomdoc.open(settings)
        result = list(app.ask("What changed?", document_ids=[old_id, new_id]))[-1].result
        compared = ScriptedLLM.tool_results_in(llm.requests[1])[-1]["content"]
        app.close()
    assert compared.startswith("old.pdf (document_id ")
    assert "changed: sheet A-1, old page 3, new page 3, regions [[" in compared
    assert f"edited '{value.old}' -> '{value.new}'" in compared
    assert result.answer == "Sheet A-1 changed [I1]."


def test_differences_between_two_unrelated_drawings_are_searched_not_compared(tmp_path: Path) -> None:
    app = Aizoomdoc.open(Settings.load(data_dir=tmp_path / "data", environ={"AIZOOMDOC_EMBEDDINGS": "off"}, dotenv_path=None))
    ids = []
    for name, text in (("pump_1.pdf", "PUMP P-1 DUTY 12 m3/h"), ("pump_2.pdf", "PUMP P-2 DUTY 30 m3/h")):
        with pymupdf.open() as pdf:
            pdf.new_page().insert_text((72, 100), text)
            pdf.save(tmp_path / name)
        ids.append(app.ingest(tmp_path / name).document_id)
    result = list(app.ask("What are the differences between the pumps?", offline=True, document_ids=ids))[-1].result
    assert not result.answer.startswith("Between") and "m3/h" in result.answer
    app.close()
