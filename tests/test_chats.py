"""Chats, messages, images and search results through the facade, on the local default and the cloud.

``app`` runs every test twice: SQLite + a blob folder, and PostgreSQL + S3 (moto server).
"""

from __future__ import annotations

import threading
from datetime import timezone

import pytest

from aizoomdoc_core.app import DEFAULT_TITLE, MAX_TITLE, Aizoomdoc
from aizoomdoc_core.errors import InvalidInput, NotFound
from aizoomdoc_core.storage.blobs import chat_prefix

DOC = "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
HIT = {"document_id": DOC, "document_name": "A01.pdf", "block_id": "p3-b12", "page": 3,
       "bbox": [0.1, 0.2, 0.3, 0.25], "text": "PANEL LP-1", "score": 7.5}


def _filled_chat(app: Aizoomdoc) -> str:
    chat = app.create_chat("Where is panel LP-1?")
    question = app.add_message(chat.id, "user", "Where is panel LP-1?")
    app.add_search_results(chat.id, [HIT, {**HIT, "block_id": "p4-b1", "page": 4, "score": 3.0}], message_id=question.id)
    answer = app.add_message(chat.id, "assistant", "On sheet E-101.", metadata={"citations": [{"page": 3}]})
    app.add_image(chat.id, b"\x89PNG zoom", kind="zoom_crop", width=800, height=600, message_id=answer.id,
                  document_id=DOC, page=3, bbox=[0.1, 0.2, 0.3, 0.25], scale=4.0)
    return chat.id


def test_a_chat_comes_back_exactly_as_it_was_shown(app: Aizoomdoc) -> None:
    chat_id = _filled_chat(app)
    view = app.chat_view(chat_id)
    assert [m.role for m in view.messages] == ["user", "assistant"]
    assert view.messages[1].metadata == {"citations": [{"page": 3}]}
    assert [(r.rank, r.page, r.block_id) for r in view.search_results] == [(1, 3, "p3-b12"), (2, 4, "p4-b1")]
    assert view.search_results[0].bbox == [0.1, 0.2, 0.3, 0.25]
    assert view.search_results[0].message_id == view.messages[0].id
    (image,) = view.images
    assert (image.kind, image.width, image.height, image.page, image.scale) == ("zoom_crop", 800, 600, 3, 4.0)
    assert image.message_id == view.messages[1].id and image.document_id == DOC
    assert app.image_bytes(image) == b"\x89PNG zoom"
    assert image.storage_key.startswith(chat_prefix(chat_id))
    assert view.chat.created_at.tzinfo == timezone.utc
    assert view.chat.updated_at >= view.messages[-1].created_at


def test_chats_list_newest_first_with_pages(app: Aizoomdoc) -> None:
    ids = [app.create_chat(f"chat {i}").id for i in range(7)]
    app.add_message(ids[2], "user", "first question of chat 2")  # activity moves it to the top
    listed = app.list_chats(limit=3)
    assert [c.id for c in listed] == [ids[2], ids[6], ids[5]]
    assert listed[0].first_question == "first question of chat 2" and listed[0].message_count == 1
    assert [c.id for c in app.list_chats(limit=3, offset=3)] == [ids[4], ids[3], ids[1]]
    assert [c.id for c in app.list_chats(limit=3, offset=6)] == [ids[0]]
    assert app.count_chats() == 7
    with pytest.raises(InvalidInput):
        app.list_chats(limit=0)


def test_chats_belong_to_users(app: Aizoomdoc) -> None:
    mine = app.create_chat("mine", user_id="alice@example.com")
    app.create_chat("theirs", user_id="bob@example.com")
    assert [c.id for c in app.list_chats(user_id="alice@example.com")] == [mine.id]
    assert app.count_chats(user_id="bob@example.com") == 1
    assert app.create_chat("default").user_id == app.settings.default_user


def test_delete_removes_rows_and_blobs_of_that_chat_only(app: Aizoomdoc) -> None:
    doomed, kept = _filled_chat(app), _filled_chat(app)
    app.delete_chat(doomed)
    with pytest.raises(NotFound):
        app.chat_view(doomed)
    assert app.blobs.keys(chat_prefix(doomed)) == []
    view = app.chat_view(kept)
    assert len(view.messages) == 2 and len(view.images) == 1 and len(view.search_results) == 2
    assert app.image_bytes(view.images[0]) == b"\x89PNG zoom"
    with pytest.raises(NotFound):
        app.delete_chat(doomed)


def test_titles_and_texts_are_stored_safely(app: Aizoomdoc) -> None:
    assert app.create_chat("").title == DEFAULT_TITLE
    assert app.create_chat("   \n\t ").title == DEFAULT_TITLE
    huge = app.create_chat("Щ" * 10_000)
    assert len(huge.title) == MAX_TITLE and huge.title.endswith("…")
    renamed = app.rename_chat(huge.id, "  Узел 3\nлист АР-5 ")
    assert app.get_chat(huge.id).title == renamed.title == "Узел 3 лист АР-5"
    broken = b"\xff\xfe \x00 \xd0".decode("utf-8", "surrogateescape")
    message = app.add_message(huge.id, "user", f"диаметр {broken} Ø100")
    assert app.chat_view(huge.id).messages[0].content == message.content == "диаметр \ufffd\ufffd  \ufffd Ø100"


def test_unknown_and_malformed_ids_are_clear_errors(app: Aizoomdoc) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(NotFound, match=f"chat not found: {missing}"):
        app.chat_view(missing)
    with pytest.raises(NotFound):
        app.add_message(missing, "user", "hello")
    with pytest.raises(NotFound):
        app.rename_chat(missing, "x")
    with pytest.raises(InvalidInput, match="not a valid chat id"):
        app.chat_view("../../etc/passwd")
    chat = app.create_chat("x")
    with pytest.raises(InvalidInput, match="unknown message role"):
        app.add_message(chat.id, "hacker", "x")
    with pytest.raises(InvalidInput, match="unknown image kind"):
        app.add_image(chat.id, b"x", kind="gif", width=1, height=1)
    assert app.chat_view(chat.id).messages == []


def test_a_failed_image_row_leaves_no_blob(app: Aizoomdoc) -> None:
    chat = app.create_chat("x")
    # A message id that does not exist violates the foreign key: the row write fails.
    with pytest.raises(Exception):
        app.add_image(chat.id, b"png", kind="page", width=1, height=1,
                      message_id="00000000-0000-4000-8000-000000000000")
    assert app.blobs.keys(chat_prefix(chat.id)) == []
    assert app.chat_view(chat.id).images == []


def test_concurrent_sessions_lose_nothing(app: Aizoomdoc) -> None:
    """Eight threads write at once, as eight Streamlit sessions would: every row lands, no lock errors."""
    chat = app.create_chat("busy")
    errors: list[BaseException] = []

    def session(n: int) -> None:
        try:
            own = app.create_chat(f"session {n}")
            for i in range(15):
                app.add_message(chat.id, "user", f"{n}-{i}")
                app.add_message(own.id, "assistant", f"{n}-{i}")
                app.list_chats(limit=5)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    contents = sorted(m.content for m in app.chat_view(chat.id).messages)
    assert contents == sorted(f"{n}-{i}" for n in range(8) for i in range(15))
    assert app.count_chats() == 9


def test_history_search_by_title_and_content_any_case(app: Aizoomdoc) -> None:
    node = app.create_chat("Узел 3 на листе АР-5")
    pipe = app.create_chat("Pipes")
    app.add_message(pipe.id, "user", "Какой ДИАМЕТР трубы В2?")
    app.create_chat("unrelated 100%")
    assert [c.id for c in app.list_chats(text="узел")] == [node.id]
    assert [c.id for c in app.list_chats(text="диаметр")] == [pipe.id]
    assert app.count_chats(text="диаметр") == 1
    assert [c.title for c in app.list_chats(text="100%")] == ["unrelated 100%"]
    assert app.list_chats(text="_") == []  # LIKE wildcards are taken literally
