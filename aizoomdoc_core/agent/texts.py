"""What a question says to the person who asked it, in the question's language: one table per language.

The model reads English (tool results, the first message); these are the words a person reads:
notices, the extractive answer, why the model gave no answer. A new language is one more table.
"""

from __future__ import annotations

from collections.abc import Sequence

from dataclasses import dataclass


@dataclass(frozen=True)
class Texts:
    language: str  # the code of the language these texts are in
    offline: str  # the notice of an offline question
    no_model: str  # the notice when no model is configured
    nothing_found: str  # the extractive answer when search found nothing
    best_matches: str  # the last line of an extractive answer, after its quotes
    leads_to: str  # {reference} {target} {where}: the line after a quote whose reference was followed
    sheet: str  # the word before a sheet code, then before a page number
    page: str
    unsearchable: str  # the answer when the documents' database does not answer
    repeated: str  # the notice when the model repeats one call
    cut_off: str  # the notice when the model's answer hit its length limit
    # Why the model gave no answer, said before the extractive one.
    empty_answer: str
    timed_out: str  # {seconds}
    refused: str  # {status}
    unreachable: str
    broke_off: str  # {error}
    codes_missing: str  # {codes}: said first when the question names codes nothing in scope holds
    # A question about the set's completeness, answered from its drawing list (``sheets``).
    sheets_agree: str  # {name} {count} {pages}
    sheets_list: str  # {name} {count} {pages}
    sheets_all_present: str
    sheets_missing: str  # {items}
    sheets_not_found: str  # {pages} {items}
    sheets_not_listed: str  # {items}
    sheets_differ: str  # {items}
    sheets_titles: str  # {code} {listed} {own} {page}
    sheets_revisions_differ: str  # {items}
    sheets_revision: str  # {code} {listed} {own} {page}
    sheets_more: str  # {count}
    sheets_how: str
    # A question about what changed between two versions, answered from their comparison (``changes``).
    changes_summary: str  # {old} {new} {count} {total}
    changes_sheet: str  # {sheet} {old} {new} {regions}
    changes_none: str  # {sheet}
    changes_added: str  # {sheet}
    changes_removed: str  # {sheet}
    changes_edited: str  # {old} {new}
    changes_revision: str  # {row}
    changes_word_added: str  # {word}
    changes_word_removed: str  # {word}
    changes_how: str

    def missing(self, codes: Sequence[str]) -> str:
        """The line said first, as a notice and atop the answer, for codes printed nowhere in scope."""
        return self.codes_missing.format(codes=", ".join(codes))


TEXTS = {
    "en": Texts(
        language="en",
        offline="No model was asked (offline).",
        no_model="No LLM configured: the answer is made of what search found.",
        nothing_found="No model was asked. Nothing in the documents matches this question.",
        best_matches="No model was asked: these are quotes of the best matches in the documents.",
        leads_to="  ↳ «{reference}» leads to «{target}» — {where}",
        sheet="sheet",
        page="page",
        unsearchable="The documents cannot be searched right now: the database does not answer. "
                     "Your question is saved: ask again when it does.",
        repeated="The model repeated the same request three times; it was asked to answer with what it has.",
        cut_off="The model's answer was cut off at its length limit.",
        empty_answer="The model gave an empty answer.",
        timed_out="The model did not answer within {seconds} s.",
        refused="The model refused the request (HTTP {status}).",
        unreachable="The model could not be reached: the connection was refused or the server is unreachable.",
        broke_off="The model's answer broke off ({error}).",
        codes_missing="{codes}: not found in these documents. The closest matches follow.",
        sheets_agree="{name}: all {count} sheets of its drawing list (page {pages}) are in the set, titled as listed.",
        sheets_list="{name}: its drawing list (page {pages}) lists {count} sheets.",
        sheets_all_present="- Every listed sheet is in the set.",
        sheets_missing="- Missing from the set: {items}.",
        sheets_not_found="- Not found, perhaps on the pages whose title block could not be read ({pages}): {items}.",
        sheets_not_listed="- In the set but not in the list: {items}.",
        sheets_differ="- Titled otherwise on the sheet: {items}.",
        sheets_titles="{code} «{listed}» in the list, «{own}» on the sheet (page {page})",
        sheets_revisions_differ="- Revised otherwise on the sheet: {items}.",
        sheets_revision="{code} revision «{listed}» in the list, «{own}» on the sheet (page {page})",
        sheets_more=" and {count} more",
        sheets_how=("No model was asked: the drawing list was checked against the sheets' title blocks "
                    "(Documents page: Sheets against the drawing list)."),
        changes_summary="Between {old} and {new}: {count} of {total} sheets differ (matched by their codes).",
        changes_sheet="- {sheet} (page {old} → page {new}): {regions} changed regions.",
        changes_none="- {sheet}: unchanged.", changes_added="- {sheet}: only in the later version.",
        changes_removed="- {sheet}: only in the earlier version.", changes_edited="{old} → {new}",
        changes_revision="revision table: «{row}»", changes_word_added="added «{word}»", changes_word_removed="removed «{word}»",
        changes_how=("No model was asked: the two versions were compared sheet by sheet, each image the earlier "
                     "version then the later (Documents page: Compare two versions)."),
    ),
    "ru": Texts(
        language="ru",
        offline="Модель не запрашивалась (офлайн-режим).",
        no_model="LLM не настроена: ответ составлен из найденного.",
        nothing_found="Модель не запрашивалась. В документах ничего не найдено по этому вопросу.",
        best_matches="Модель не запрашивалась: это цитаты лучших совпадений в документах.",
        leads_to="  ↳ «{reference}» ведёт к «{target}» — {where}",
        sheet="лист",
        page="стр.",
        unsearchable="Документы сейчас недоступны для поиска: база данных не отвечает. "
                     "Вопрос сохранён: задайте его снова, когда она ответит.",
        repeated="Модель трижды повторила один и тот же запрос; её попросили ответить по тому, что есть.",
        cut_off="Ответ модели обрезан по её пределу длины.",
        empty_answer="Модель вернула пустой ответ.",
        timed_out="Модель не ответила за {seconds} с.",
        refused="Модель отклонила запрос (HTTP {status}).",
        unreachable="Не удалось подключиться к модели: соединение отклонено или сервер недоступен.",
        broke_off="Ответ модели оборвался ({error}).",
        codes_missing="{codes}: в этих документах не найдено. Ниже — ближайшие совпадения.",
        sheets_agree="{name}: все {count} листов ведомости (стр. {pages}) есть в комплекте, с теми же названиями.",
        sheets_list="{name}: в ведомости чертежей (стр. {pages}) листов: {count}.",
        sheets_all_present="- Все листы ведомости есть в комплекте.",
        sheets_missing="- Нет в комплекте: {items}.",
        sheets_not_found="- Не найдены, возможно, на страницах с нечитаемой основной надписью ({pages}): {items}.",
        sheets_not_listed="- Есть в комплекте, но нет в ведомости: {items}.",
        sheets_differ="- На листе названы иначе: {items}.",
        sheets_titles="{code} «{listed}» в ведомости, «{own}» на листе (стр. {page})",
        sheets_revisions_differ="- Изменения расходятся: {items}.",
        sheets_revision="{code} изм. «{listed}» в ведомости, «{own}» на листе (стр. {page})",
        sheets_more=" и ещё {count}",
        sheets_how=("Модель не запрашивалась: ведомость чертежей сверена с основными надписями листов "
                    "(страница «Документы»: «Листы и ведомость чертежей»)."),
        changes_summary="Между {old} и {new}: различаются {count} из {total} листов (сопоставлены по шифрам).",
        changes_sheet="- {sheet} (стр. {old} → стр. {new}): изменённых областей: {regions}.",
        changes_none="- {sheet}: без изменений.", changes_added="- {sheet}: есть только в новой версии.",
        changes_removed="- {sheet}: есть только в прежней версии.", changes_edited="{old} → {new}",
        changes_revision="таблица изменений: «{row}»", changes_word_added="добавлено «{word}»", changes_word_removed="удалено «{word}»",
        changes_how=("Модель не запрашивалась: две версии сравнены лист за листом, изображения — сначала прежняя "
                     "версия, затем новая (страница «Документы»: «Сравнить две версии»)."),
    ),
}
LOGGED = TEXTS["en"]  # what logs and exceptions say, whatever the question's language


def texts_for(language: str) -> Texts:
    return TEXTS.get(language, LOGGED)
