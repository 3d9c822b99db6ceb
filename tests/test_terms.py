"""Codes match as written, words by stem, question words do not count."""

from __future__ import annotations

from aizoomdoc_core.terms import index_terms, query_concepts


def test_codes_stay_whole_and_distinct() -> None:
    terms = set(index_terms("Трубопровод В21, ОВ1.1, П/1, QO120M100, 0103TR1"))
    assert {"в21", "ов1.1", "п/1", "qo120m100", "0103tr1"} <= terms
    assert not {"в2", "ов1", "1"} & terms


def test_case_and_yo_insensitive() -> None:
    assert index_terms("ЁМКОСТЬ qo120m100") == index_terms("емкость QO120M100")


def test_hyphenated_codes_expose_their_parts() -> None:
    assert {"133/23-гк-ар1", "133/23", "гк", "ар1"} <= set(index_terms("Шифр 133/23-ГК-АР1"))


def test_words_match_by_stem_in_russian_and_english() -> None:
    assert "~трубопровод" in index_terms("трубопроводы") and "~трубопровод" in index_terms("трубопровода")
    assert "~drain" in index_terms("drains") and "~drain" in index_terms("draining")


def test_question_words_are_dropped_codes_kept() -> None:
    concepts = query_concepts("Где указан диаметр трубопровода В2?")
    assert [c[0] for c in concepts] == ["диаметр", "трубопровода", "в2"]
    assert ("в2",) in concepts  # a code has no stem alternative
    assert [c[0] for c in query_concepts("What is the scale of the site plan?")] == ["scale", "site", "plan"]
