"""Text to search terms, the same way for blocks at ingest and for questions at search time.

Drawings are full of codes whose characters matter: ``В2`` is not ``В21``, ``ОВ1`` is not ``ОВ1.1``,
``П/1`` is not ``1``. So a token keeps its inner ``/ . - _ +`` and becomes one *exact* term (lower
case, ё as е). Only hyphens split a token further, into parts of at least two characters, so that
``АР1`` finds the sheet code ``12/34-АБ-АР1`` and ``ground-floor`` finds ``ground``; slashes and dots
never split. Words (letters only) also give a *stem* term (Snowball, Russian or English by script),
marked with a leading ``~`` so that a stem never collides with an exact code.

Codes are typed with whatever keyboard was at hand: ``АР1`` in Cyrillic on one sheet, ``AP1`` in
Latin on the next, ``530х8`` with a Cyrillic х. In a token part that holds a digit, Cyrillic letters
that look like Latin ones are read as Latin, so both spellings are one term; words are left alone.

Terms contain only letters, digits and ``/ . - _ + ~``: both indexes (SQLite FTS5 with those as token
characters, a PostgreSQL text array) then treat each term as one indivisible token.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import Stemmer

# A token: letters/digits with inner connectors. Diameter and number signs glue to what follows
# (Ø100, №5), as written on drawings.
_TOKEN = re.compile(r"[Øø⌀№#]?[^\W_](?:[\w]|[/.\-+](?=[^\W_]))*", re.UNICODE)
_CYRILLIC = re.compile(r"[а-я]")
_LETTERS = re.compile(r"^[^\W\d_]+$", re.UNICODE)
STEM_MARK = "~"
QUANTITY_MARK = "%"  # a term that stands for a value in some unit (``quantity_terms``): no token holds "%"
_NUMBER = r"(?<![\d.,])\d+(?:[.,]\d+)?"
_QUANTITIES = {name: re.compile(f"{_NUMBER}(?:{unit})") for name, unit in {
    "voltage": r"\s?(?:k|к)?(?:v|в)(?:ac|dc)?(?![\w])",
    "current": r"\s?(?:m|м|k|к)?(?:a|а)(?![\w])",
    "power": r"\s?(?:k|к|m|м)?(?:w|вт|va|ва)(?![\w])|\s?hp(?![\w])",
    "length": r"\s?(?:mm|мм|cm|см|m|м|km|км)(?![\w²³])|\s?(?:\"|'|″|′|ft(?![\w])|in(?![\w]))",
    "area": r"\s?(?:m|м)(?:2|²)(?![\w])|\s?(?:sq\.?\s?ft|sf|ha|га)(?![\w])",
    "volume": r"\s?(?:m|м)(?:3|³)(?![\w])|\s?(?:l|л|gal)(?![\w])",
    "pressure": r"\s?(?:k|к|m|м)?(?:pa|па)(?![\w])|\s?(?:psi|psf|bar|бар|атм)(?![\w])",
    "temperature": r"\s?°\s?(?:c|с|f)?(?![\w])",
    "mass": r"\s?(?:kg|кг|t|т|lbs?|g|г)(?![\w])",
    "resistance": r"\s?(?:k|к|m|м)?(?:ом|ohm|ω)(?![\w])",
    "capacitance": r"\s?(?:мк|µ|u|n|н|p|п)?(?:ф|f)(?![\w])",
    "frequency": r"\s?(?:k|к)?(?:hz|гц)(?![\w])",
    "slope": r"\s?(?:%|‰)",
}.items()} | {
    "scale": re.compile(r"(?<![\w.,])1\s?:\s?\d|\d\"\s?=\s?1'"),
    "date": re.compile(r"(?<![\w.,])\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})(?![\w.])"),
}
_LOOKALIKES = str.maketrans("авекмнорстухі", "abekmhopctyxi")

# PyStemmer: the Snowball stemmers compiled, about ten times faster than pure Python at ingest.
_STEMMERS = {"ru": Stemmer.Stemmer("russian"), "en": Stemmer.Stemmer("english")}

# Words that carry no content in a question. Kept short: on drawings, "plan", "лист", "узел" are content.
STOP_WORDS = frozenset(
    """
    a an and are as at be by can could do does for from had has have how i in is it its me my of on or
    our please show shown tell that the their there these this those to was we what where which who
    whom why will with you your find give list about into any
    а в во где да для до же за и из или их к как какая какие каким какой каков какова каково
    какую когда кто ли на над не нет но о об от по под при про с со так там то тот ту у что чем
    это этот эта эти мне нам найди найти покажи показать скажи подскажи есть был была были будет
    можно нужно ли указан указана указано указаны сколько какое каких какого каком каково чему
    """.split()
)


def normalize(text: str) -> str:
    """Lower case, ё as е, the diameter sign in one form: what makes two spellings the same term."""
    return text.lower().replace("ё", "е").replace("⌀", "ø")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    language = "ru" if _CYRILLIC.search(word) else "en"
    return _STEMMERS[language].stemWord(word)


def _fold_code(token: str) -> str:
    if not any(c.isdigit() for c in token):
        return token
    return "-".join(part.translate(_LOOKALIKES) if any(c.isdigit() for c in part) else part for part in token.split("-"))


_LATIN = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i", "й": "y",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e",
    "ю": "yu", "я": "ya",
})


def transliterate(term: str) -> str:
    """A normalized Russian word in Latin letters, the way Russian file names are usually typed
    (схема → skhema, чертеж → chertezh, ведомость → vedomost)."""
    return term.translate(_LATIN)


def tokens(text: str) -> list[str]:
    """The normalized tokens of ``text``, in order (codes kept whole, their lookalike letters folded)."""
    return [_fold_code(token) for token in _TOKEN.findall(normalize(text))]


def token_terms(token: str) -> list[str]:
    """The terms one token contributes to the index: itself, its hyphen parts, and their stems."""
    terms = [token]
    if "-" in token:
        terms.extend(part for part in token.split("-") if len(part) >= 2)
    for word in terms[:]:
        if _LETTERS.match(word) and len(word) >= 3:
            stem = _stem(word)
            terms.append(STEM_MARK + stem)
    return terms


def index_terms(text: str) -> list[str]:
    """Every term of ``text`` with repetitions (term frequency matters to ranking)."""
    return [term for token in tokens(text) for term in token_terms(token)]


def query_concepts(text: str) -> list[tuple[str, ...]]:
    """What a question looks for: per content token, its alternative terms (exact form first).

    Stop words and question words are dropped; a lone letter is dropped too (more often a
    preposition than an axis name). A word's alternatives are its exact form and its stem; a code
    has only itself, so ``В2`` never matches ``В21`` and ``ОВ1`` never matches ``ОВ1.1``.
    """
    concepts: dict[tuple[str, ...], None] = {}
    for token in tokens(text):
        if token in STOP_WORDS or (len(token) == 1 and not token.isdigit()):
            continue
        concepts.setdefault(_word_concept(token), None)
        if "-" in token:
            for part in token.split("-"):
                if len(part) >= 3 and _LETTERS.match(part) and part not in STOP_WORDS:
                    concepts.setdefault(_word_concept(part), None)
    return list(concepts)


def matched_concepts(concepts: Sequence[Sequence[str]], text: str) -> set[int]:
    """The indexes of the question's ``concepts`` that ``text`` holds (any of a concept's terms, a
    quantity's by a value in its unit: ``quantity_terms``)."""
    terms = set(index_terms(text))
    if any(term.startswith(QUANTITY_MARK) for concept in concepts for term in concept):
        terms |= quantity_terms(text)
    return {i for i, concept in enumerate(concepts) if terms.intersection(concept)}


def quantity_terms(text: str) -> set[str]:
    """The quantities ``text`` gives a value of, by its units, as terms: ``%voltage`` for "380V" or
    «~230 В», ``%length`` for "0,2 мм" or "12'-6\"". A sheet prints the value, not the word the
    question asks with ("what voltage?", «какая толщина?»); the glossary gives those words these terms."""
    folded = normalize(text)
    return {QUANTITY_MARK + name for name, pattern in _QUANTITIES.items() if pattern.search(folded)}


def _word_concept(token: str) -> tuple[str, ...]:
    if _LETTERS.match(token) and len(token) >= 3:
        return (token, STEM_MARK + _stem(token))
    return (token,)


def is_code(term: str) -> bool:
    """A term that names something exactly: it mixes letters and digits, or has a connector."""
    if term.startswith(STEM_MARK):
        return False
    has_digit = any(c.isdigit() for c in term)
    has_alpha = any(c.isalpha() for c in term)
    return (has_digit and has_alpha) or any(c in "/.-+" for c in term)
