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
    ),
    "ru": Texts(
        language="ru",
        offline="Модель не запрашивалась (офлайн-режим).",
        no_model="LLM не настроена: ответ составлен из найденного.",
        nothing_found="Модель не запрашивалась. В документах ничего не найдено по этому вопросу.",
        best_matches="Модель не запрашивалась: это цитаты лучших совпадений в документах.",
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
    ),
}
LOGGED = TEXTS["en"]  # what logs and exceptions say, whatever the question's language


def texts_for(language: str) -> Texts:
    return TEXTS.get(language, LOGGED)
