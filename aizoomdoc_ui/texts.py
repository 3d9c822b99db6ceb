"""What the app's pages say, in the reader's language: one table per language.

The pages speak the language chosen in the sidebar, else the browser's (``st.context.locale``);
what answers a question (the status box while it is answered, the captions and buttons under the
answer) speaks the question's language, as the core's own texts (``agent.texts``) do. A new
language is one more table. Strings with ``{name}`` fields are formatted where they are shown,
with values already made safe for Markdown by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from aizoomdoc_core.question import language as language_of
from aizoomdoc_core.sheet_index import STATUSES

LANGUAGE_KEY = "ui_language"  # the sidebar's choice, kept for the session


@dataclass(frozen=True)
class UiTexts:
    language: str
    language_name: str
    # navigation and sign-in
    chat_page: str
    history_page: str
    documents_page: str
    sign_in: str
    log_in: str
    log_out: str
    # sidebar
    language_label: str
    automatic: str
    storage_local: str
    storage_cloud: str
    cloud_away: str  # {kind} {error}
    cloud_unusable: str  # {kind} {error}
    waiting: str  # {count}
    send_now: str
    sent: str  # {count}
    refused: str  # {count}
    model: str  # {model}
    no_model: str
    user: str  # {user}
    # chat
    new_chat: str
    chat_gone: str
    scope_label: str
    scope_placeholder: str
    no_documents: str
    ask_placeholder: str
    reading: str  # {name}
    files_only: str
    searching: str
    found: str  # {blocks} {sheets}
    blocks: tuple[str, ...]  # plural forms of "N text blocks"
    no_sheet: str
    done: str
    stopped: str
    # under an answer
    steps: str  # {count}
    no_answer: str
    image_away: str  # {caption} {error}
    where: str
    page: str
    more_images: str  # {count}
    sources: str  # {count}
    source: str
    no_picture: str  # {error}
    no_page: str
    deleted_document: str
    # a new chat: what to ask, built from the user's own documents, and what the app can and cannot do
    examples_title: str
    sheet_examples: tuple[str, ...]  # {code}
    document_example: str  # {name}
    can_do: str
    # documents
    ocr_off: str
    add_documents: str
    ingest: str
    upload_reading: str  # {name}
    upload_page: str  # {name} {done} {total}
    upload_done: str  # {name} {pages} {status}
    already_ingested: str
    pages: tuple[str, ...]  # plural forms of "N pages"
    no_documents_yet: str
    columns: tuple[str, ...]  # the list's: name, pages, status, sheets, search by meaning, added
    meaning_off: str
    meaning_ready: str
    meaning_partly: str  # {done} {total}
    preparing: str  # {done} {total}
    search_documents: str
    sheet: str
    sheets_check: str
    sheets_listed_on: str  # {pages}
    sheets_no_list: str
    sheets_unread: str  # {pages}
    sheet_statuses: tuple[str, ...]  # sheet_index.STATUSES, as the reader reads them
    sheet_columns: tuple[str, ...]  # status, code, listed title, the sheet's own title, page, its revision, the list's
    compare_title: str
    compare_needs_two: str
    compare_old: str
    compare_new: str
    compare_run: str
    compare_running: str
    compare_summary: str  # {seconds} {changed} {total}
    compare_statuses: tuple[str, ...]  # changed, unchanged, added, removed
    compare_columns: tuple[str, ...]  # status, sheet, old page, new page, regions, words
    compare_sheet: str
    compare_overlay: str
    compare_was: str  # {number}
    compare_now: str  # {number}
    delete_document: str
    delete_document_confirm: str
    document: str
    # history
    history_title: str
    history_search: str
    history_page_of: str  # {pages}
    no_chats: str
    no_match: str
    messages: tuple[str, ...]  # plural forms of "N messages"
    in_documents: str  # {names}
    open: str
    rename: str
    new_title: str
    save: str
    export: str
    delete: str
    delete_confirm: str
    delete_for_good: str
    deleted: str  # {title}
    # the sheet viewer (Documents page, a source, "open this page" under a chat image)
    viewer_title: str
    viewer_document: str
    viewer_prev: str
    viewer_next: str
    viewer_page: str  # {page} {count}: the component fills them in
    viewer_sheet: str  # {code}
    viewer_jump: str
    viewer_no_sheet: str  # {code}
    viewer_fit: str
    viewer_zoom_in: str
    viewer_zoom_out: str
    viewer_full: str
    viewer_stage: str
    viewer_text_only: str
    viewer_cannot: str
    viewer_bad_link: str  # {error}
    viewer_open: str
    viewer_link_sheet: str  # {text} {sheet}: a reference's tooltip
    viewer_link_page: str  # {text} {page}: ... when its sheet has no code

    def count(self, n: int, forms: tuple[str, ...]) -> str:
        """``n`` with the noun form the language uses for it (English: one, many; Russian: one, few, many)."""
        if self.language == "ru":
            tail, tens = n % 10, n % 100
            form = forms[0] if tail == 1 and tens != 11 else forms[1] if 2 <= tail <= 4 and not 12 <= tens <= 14 else forms[2]
        else:
            form = forms[0] if n == 1 else forms[1]
        return f"{n} {form}"


TABLES = {
    "en": UiTexts(
        language="en", language_name="English",
        chat_page="Chat", history_page="History", documents_page="Documents",
        sign_in="Sign in to see your chats.", log_in="Log in", log_out="Log out",
        language_label="Language", automatic="Browser's language",
        storage_local="Chats and files are kept on this computer.",
        storage_cloud="Chats and files are kept in the team's cloud.",
        cloud_away="{kind} is unreachable ({error}); new chats are kept locally and sent when it answers.",
        cloud_unusable="{kind} cannot be used ({error}); using local storage.",
        waiting="{count} items wait to be sent to the cloud.", send_now="Send now", sent="{count} items sent",
        refused="{count} items were refused by the cloud and stay in the local spool (see `python -m aizoomdoc_core sync`).",
        model="Answers by the model {model}", no_model="No model configured: answers quote the documents.",
        user="Signed in as {user}",
        new_chat="New chat", chat_gone="That chat does not exist (any more). Starting a new one.",
        scope_label="Documents to search (none chosen: all)", scope_placeholder="All documents",
        no_documents="No documents yet: attach a PDF or an image to your question, or add them on the Documents page.",
        ask_placeholder="Ask about your drawings", reading="Reading {name}…", files_only="_(files only)_",
        searching="Searching the documents…", found="Found {blocks} on {sheets}", no_sheet="no sheet",
        blocks=("text block", "text blocks"),
        done="Done", stopped="Stopped",
        steps="Steps of the model ({count})", no_answer="_(no answer was saved)_",
        image_away="{caption}: the image cannot be shown right now ({error})",
        where="Where it is on the sheet", page="page", more_images="More images ({count})", sources="Sources ({count})",
        source="Source", no_picture="No picture of this source: {error}", no_page="it names no page", deleted_document="(deleted document)",
        examples_title="Try asking",
        sheet_examples=("What is on sheet {code}?", "Who signed sheet {code}, and when?", "What scale is sheet {code} drawn at?"),
        document_example="What is {name} about?",
        can_do=("Ask in your own words, in English or Russian: the answer shows the sheet, the region and a zoomed image "
                "to check it against. Text layers are read, and scans too when OCR is installed; lines of a drawing "
                "that carry no text are not. Without a model configured, answers quote the documents."),
        ocr_off=("OCR is off: Tesseract is not installed here, so scans and images are kept as pictures without text "
                 "to search. Install it (`sudo apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-rus`, or "
                 "start the app with `bash run.sh`) and restart the app."),
        add_documents="Add drawings: PDF, scans, images, or the earlier pipeline's OCR outputs (md, html, json)",
        ingest="Ingest", upload_reading="{name}: reading…", upload_page="{name}: page {done} of {total}",
        upload_done="{name}: {pages}, {status}", already_ingested=" (already ingested)", pages=("page", "pages"),
        no_documents_yet="No documents yet.",
        columns=("name", "pages", "status", "sheets", "search by meaning", "added"),
        meaning_off="off", meaning_ready="ready", meaning_partly="{done} of {total} blocks",
        preparing="Preparing search by meaning: {done} of {total} text blocks. Search by words and codes works already.",
        search_documents="Search in the documents", sheet="sheet",
        sheets_check="Sheets against the drawing list", sheets_listed_on="Drawing list on page {pages}.",
        sheets_no_list="No drawing list found: the sheets as their title blocks name them.",
        sheets_unread="Pages whose title block names no sheet: {pages}.",
        sheet_statuses=STATUSES,
        sheet_columns=("status", "code", "title in the list", "title on the sheet", "page", "revision on the sheet",
                       "revision in the list"), compare_title="Compare two versions",
        compare_needs_two="Add two versions of a set as PDFs to compare them.",
        compare_old="Earlier version", compare_new="Later version", compare_run="Compare",
        compare_running="Comparing the sheets…",
        compare_summary="{changed} of {total} sheets differ ({seconds} s). Sheets are matched by their code.",
        compare_statuses=("changed", "unchanged", "added", "removed"),
        compare_columns=("status", "sheet", "earlier page", "later page", "regions", "words changed"),
        compare_sheet="Sheet", compare_overlay="Removed in red, added in blue, the rest grey",
        compare_was="Region {number}, earlier", compare_now="Region {number}, later",
        delete_document="Delete a document",
        delete_document_confirm="Delete this document with its pages and search index? Chats that cite it keep their images.",
        document="Document",
        history_title="History", history_search="Search titles and messages", history_page_of="Page (of {pages})",
        no_chats="No chats yet.", no_match="No chat matches.", messages=("message", "messages"), in_documents="in {names}",
        open="Open", rename="Rename", new_title="New title", save="Save", export="Export", delete="Delete",
        delete_confirm="Delete this chat with its images? This cannot be undone.", delete_for_good="Delete for good",
        deleted="Deleted: {title}",
        viewer_title="Page viewer", viewer_document="Document", viewer_prev="Previous page", viewer_next="Next page",
        viewer_page="Page {page} of {count}", viewer_sheet="sheet {code}", viewer_jump="Go to sheet (code)",
        viewer_no_sheet="No sheet {code} in this document", viewer_fit="Fit", viewer_zoom_in="Zoom in",
        viewer_zoom_out="Zoom out", viewer_full="Full screen",
        viewer_stage="The sheet: drag to move, wheel or pinch to zoom, + and − keys, PageUp and PageDown to leaf",
        viewer_text_only="This document is text only: it has no picture to show.",
        viewer_cannot="The viewer cannot open this", viewer_bad_link="The link does not name a page to open ({error}).",
        viewer_open="Open this page in the viewer",
        viewer_link_sheet="{text} → sheet {sheet}", viewer_link_page="{text} → page {page}",
    ),
    "ru": UiTexts(
        language="ru", language_name="Русский",
        chat_page="Чат", history_page="История", documents_page="Документы",
        sign_in="Войдите, чтобы увидеть свои чаты.", log_in="Войти", log_out="Выйти",
        language_label="Язык", automatic="Язык браузера",
        storage_local="Чаты и файлы хранятся на этом компьютере.",
        storage_cloud="Чаты и файлы хранятся в облаке команды.",
        cloud_away="{kind} недоступно ({error}); новые чаты сохраняются локально и будут отправлены, когда оно ответит.",
        cloud_unusable="{kind} нельзя использовать ({error}); используется локальное хранилище.",
        waiting="Ждут отправки в облако: {count}.", send_now="Отправить сейчас", sent="Отправлено: {count}",
        refused="Облако отклонило записи ({count}); они остаются в локальной очереди (см. `python -m aizoomdoc_core sync`).",
        model="Отвечает модель {model}", no_model="Модель не настроена: ответы цитируют документы.",
        user="Пользователь: {user}",
        new_chat="Новый чат", chat_gone="Такого чата нет (больше нет). Начинаем новый.",
        scope_label="Где искать (ничего не выбрано: во всех документах)", scope_placeholder="Все документы",
        no_documents="Документов пока нет: приложите PDF или изображение к вопросу или добавьте их на странице «Документы».",
        ask_placeholder="Спросите о своих чертежах", reading="Читаю {name}…", files_only="_(только файлы)_",
        searching="Ищу в документах…", found="Найдено: {blocks} на {sheets}", no_sheet="ни одном листе",
        blocks=("текстовый блок", "текстовых блока", "текстовых блоков"),
        done="Готово", stopped="Остановлено",
        steps="Шаги модели ({count})", no_answer="_(ответ не сохранился)_",
        image_away="{caption}: изображение сейчас недоступно ({error})",
        where="Где это на листе", page="стр.", more_images="Ещё изображения ({count})", sources="Источники ({count})",
        source="Источник", no_picture="Изображения этого источника нет: {error}", no_page="в нём не указана страница", deleted_document="(документ удалён)",
        examples_title="Можно спросить",
        sheet_examples=("Что на листе {code}?", "Кто подписал лист {code} и когда?", "В каком масштабе выполнен лист {code}?"),
        document_example="О чём документ {name}?",
        can_do=("Спрашивайте своими словами, по-русски или по-английски: в ответе будут лист, область и увеличенное "
                "изображение для проверки. Читается текстовый слой, а сканы — если установлено распознавание (OCR); "
                "линии чертежа без текста не читаются. Без настроенной модели ответ цитирует документы."),
        ocr_off=("Распознавание (OCR) выключено: Tesseract здесь не установлен, поэтому сканы и изображения хранятся "
                 "картинками без текста для поиска. Установите его (`sudo apt-get install tesseract-ocr tesseract-ocr-eng "
                 "tesseract-ocr-rus` или запустите приложение командой `bash run.sh`) и перезапустите приложение."),
        add_documents="Добавьте чертежи: PDF, сканы, изображения или результаты прежнего распознавания (md, html, json)",
        ingest="Загрузить", upload_reading="{name}: читаю…", upload_page="{name}: страница {done} из {total}",
        upload_done="{name}: {pages}, {status}", already_ingested=" (уже загружен)",
        pages=("страница", "страницы", "страниц"), no_documents_yet="Документов пока нет.",
        columns=("название", "страниц", "состояние", "листы", "поиск по смыслу", "добавлен"),
        meaning_off="выключен", meaning_ready="готов", meaning_partly="{done} из {total} блоков",
        preparing="Готовлю поиск по смыслу: {done} из {total} текстовых блоков. Поиск по словам и кодам уже работает.",
        search_documents="Поиск по документам", sheet="лист",
        sheets_check="Листы и ведомость чертежей", sheets_listed_on="Ведомость на странице {pages}.",
        sheets_no_list="Ведомость чертежей не найдена: листы по их основным надписям.",
        sheets_unread="Страницы, в основной надписи которых не найден лист: {pages}.",
        sheet_statuses=("в ведомости", "название расходится", "изменение расходится", "нет в комплекте", "не найден",
                        "нет в ведомости", "не проверен"),
        sheet_columns=("состояние", "шифр", "название в ведомости", "название на листе", "страница", "изм. на листе",
                       "изм. в ведомости"), compare_title="Сравнить две версии",
        compare_needs_two="Чтобы сравнить, добавьте две версии комплекта в PDF.",
        compare_old="Прежняя версия", compare_new="Новая версия", compare_run="Сравнить",
        compare_running="Сравниваю листы…",
        compare_summary="Различаются {changed} из {total} листов ({seconds} с). Листы сопоставлены по шифру.",
        compare_statuses=("изменён", "без изменений", "добавлен", "удалён"),
        compare_columns=("состояние", "лист", "стр. прежней", "стр. новой", "областей", "изменённые слова"),
        compare_sheet="Лист", compare_overlay="Удалённое красным, добавленное синим, остальное серым",
        compare_was="Область {number}, прежняя", compare_now="Область {number}, новая",
        delete_document="Удалить документ",
        delete_document_confirm="Удалить этот документ с его страницами и поисковым индексом? Чаты, которые на него ссылаются, сохранят свои изображения.",
        document="Документ",
        history_title="История", history_search="Поиск по названиям и сообщениям", history_page_of="Страница (из {pages})",
        no_chats="Чатов пока нет.", no_match="Ни один чат не подходит.", messages=("сообщение", "сообщения", "сообщений"),
        in_documents="в документах: {names}",
        open="Открыть", rename="Переименовать", new_title="Новое название", save="Сохранить", export="Экспорт",
        delete="Удалить", delete_confirm="Удалить этот чат вместе с изображениями? Это нельзя отменить.",
        delete_for_good="Удалить навсегда", deleted="Удалён: {title}",
        viewer_title="Просмотр листов", viewer_document="Документ", viewer_prev="Предыдущая страница",
        viewer_next="Следующая страница", viewer_page="Страница {page} из {count}", viewer_sheet="лист {code}",
        viewer_jump="Перейти к листу (шифр)", viewer_no_sheet="В документе нет листа {code}", viewer_fit="Целиком",
        viewer_zoom_in="Увеличить", viewer_zoom_out="Уменьшить", viewer_full="Во весь экран",
        viewer_stage="Лист: перетащите, чтобы сдвинуть; колесо или щипок — масштаб; клавиши + и −, PageUp и PageDown — листать",
        viewer_text_only="Это текстовый документ: изображения у него нет.",
        viewer_cannot="Просмотр невозможен", viewer_bad_link="Ссылка не указывает, какую страницу открыть ({error}).",
        viewer_open="Открыть страницу в просмотре",
        viewer_link_sheet="{text} → лист {sheet}", viewer_link_page="{text} → страница {page}",
    ),
}


def ui_language() -> str:
    """The language the pages speak: the sidebar's choice, else the browser's, else English."""
    chosen = st.session_state.get(LANGUAGE_KEY)
    if chosen in TABLES:
        return str(chosen)
    locale = (st.context.locale or "").lower()
    return "ru" if locale.startswith("ru") else "en"


def texts() -> UiTexts:
    """The pages' texts, in ``ui_language``."""
    return TABLES[ui_language()]


def texts_for(text: str) -> UiTexts:
    """The texts of what answers ``text`` (a question): in the question's language."""
    return TABLES[language_of(text)]
