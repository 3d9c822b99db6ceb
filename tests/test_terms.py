"""Codes match as written, words by stem, question words do not count."""

from __future__ import annotations

from aizoomdoc_core.terms import QUANTITY_MARK, index_terms, quantity_terms, query_concepts, tokens, transliterate


def _one(code: str) -> str:
    """The exact term of one code."""
    (token,) = tokens(code)
    return token


def test_codes_stay_whole_and_distinct() -> None:
    terms = set(index_terms("Трубопровод В21, ОВ1.1, П/1, QO120M100, 0103TR1"))
    assert {_one("В21"), _one("ОВ1.1"), "п/1", "qo120m100", "0103tr1"} <= terms
    assert not {_one("В2"), _one("ОВ1"), "1"} & terms


def test_cyrillic_and_latin_lookalikes_in_codes_are_one_term() -> None:
    assert _one("АР1") == _one("AP1") and _one("530х8") == _one("530x8") and _one("В2") == _one("B2")
    assert index_terms("Шифр 133/23-ГК-АР1") == index_terms("Шифр 133/23-ГК-AP1")
    assert index_terms("ВОДА") != index_terms("BOДA")  # words are not codes: left as written


def test_case_and_yo_insensitive() -> None:
    assert index_terms("ЁМКОСТЬ qo120m100") == index_terms("емкость QO120M100")


def test_hyphenated_codes_expose_their_parts() -> None:
    assert {_one("133/23-ГК-АР1"), "133/23", "гк", _one("АР1")} <= set(index_terms("Шифр 133/23-ГК-АР1"))


def test_words_match_by_stem_in_russian_and_english() -> None:
    assert "~трубопровод" in index_terms("трубопроводы") and "~трубопровод" in index_terms("трубопровода")
    assert "~drain" in index_terms("drains") and "~drain" in index_terms("draining")


def test_question_words_are_dropped_codes_kept() -> None:
    concepts = query_concepts("Где указан диаметр трубопровода В2?")
    assert [c[0] for c in concepts] == ["диаметр", "трубопровода", _one("В2")]
    assert (_one("В2"),) in concepts  # a code has no stem alternative
    assert [c[0] for c in query_concepts("What is the scale of the site plan?")] == ["scale", "site", "plan"]


def test_russian_words_in_latin_letters_as_file_names_spell_them() -> None:
    assert [transliterate(w) for w in ("компас", "перечень", "спецификация", "щит")] == ["kompas", "perechen", "spetsifikatsiya", "shchit"]


def test_values_are_known_by_their_units_whatever_the_script() -> None:
    for text, quantity in [("380V", "voltage"), ("~230 В", "voltage"), ("AC400V 50Hz", "voltage"), ("5 А", "current"),
                           ("0,2 мм", "length"), ("12'-6\"", "length"), ("486,26 м2", "area"), ("50 PSF", "pressure"),
                           ("1,5 кВт", "power"), ("51 Ом", "resistance"), ("1:100", "scale"), ("19.07.2023", "date")]:
        assert QUANTITY_MARK + quantity in quantity_terms(text), text
    for code in ["QO120M100", "R-49", "В2", "A-101", "ЩР1", "X5", "ROOF PLAN"]:  # codes and words are no values
        assert quantity_terms(code) == set(), code
