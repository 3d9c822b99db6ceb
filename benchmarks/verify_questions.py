"""Check question files against the corpus as aizoomdoc ingests it.

    .venv/bin/python -m benchmarks.verify_questions [FILE.jsonl ...]

Without arguments it checks ``benchmarks/questions.jsonl`` and ``benchmarks/chat_questions.jsonl``.
The documents the questions name are ingested through the real facade into a temporary data dir; a
page's text is its blocks (``blocks_in_region`` over the whole page), joined. With case folded and
whitespace removed, it checks:

- every answer occurs in the text of its page (and a follow-up's ``previous`` answer on its own page);
- an ``absent`` question (``answer`` null) names a ``code`` that occurs nowhere in its document, also
  with ё/е and Cyrillic/Latin lookalikes folded (search treats ``АР1`` and ``AP1`` alike);
- a follow-up has a ``previous`` turn (question, document, page, answer) in the same document group;
- ids are unique across the files, every line has the fields of its file, and its ``split`` is the
  split of its document's group in ``benchmarks/splits.json`` (each document in exactly one group).

It prints one line per failure and exits 1 if any fail.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SPLITS = ROOT / "benchmarks" / "splits.json"
DEFAULT_FILES = [ROOT / "benchmarks" / "questions.jsonl", ROOT / "benchmarks" / "chat_questions.jsonl"]

MODES = {"scoped", "library", "follow_up"}
CHAT_KINDS = {"title_block", "table_row", "code", "note", "cross_language", "absent"}
COMMON_FIELDS = ("id", "lang", "question", "document", "page", "answer", "kind", "split")
CHAT_FIELDS = (*COMMON_FIELDS, "mode")
# Cyrillic letters that look like Latin ones, folded for the absent check only.
LOOKALIKES = str.maketrans("авекмнорстухё", "abekmhopctyxe")


def norm(text: str) -> str:
    """Case folded, without whitespace (a drawing's text layer and OCR split and join words at will:
    ``Vreden- Werne`` is ``Vreden - Werne``); NFC first, so a composed and a decomposed letter agree."""
    return "".join(unicodedata.normalize("NFC", text).split()).casefold()


def fold(text: str) -> str:
    return norm(text).translate(LOOKALIKES)


def load_lines(path: Path) -> list[tuple[int, dict[str, Any] | None, str]]:
    out: list[tuple[int, dict[str, Any] | None, str]] = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            out.append((number, None, f"not JSON: {exc}"))
            continue
        out.append((number, item if isinstance(item, dict) else None, "" if isinstance(item, dict) else "not an object"))
    return out


def load_splits(path: Path, failures: list[str]) -> dict[str, str]:
    """document path -> split, from the groups of splits.json."""
    data = json.loads(path.read_text("utf-8"))
    split_of: dict[str, str] = {}
    for name, group in data.get("groups", {}).items():
        if group.get("split") not in {"dev", "test"}:
            failures.append(f"{path.name}: group {name!r}: split {group.get('split')!r} is not dev or test")
        for document in group.get("documents", []):
            if document in split_of:
                failures.append(f"{path.name}: {document} is in more than one group")
            if not (CORPUS / document).is_file():
                failures.append(f"{path.name}: group {name!r}: {document} is not a corpus file")
            split_of[document] = group.get("split")
    return split_of


def group_of(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text("utf-8"))
    return {d: name for name, group in data.get("groups", {}).items() for d in group.get("documents", [])}


class Pages:
    """Documents ingested once into a throwaway data dir; page texts by (document, page)."""

    def __init__(self, app: Aizoomdoc) -> None:
        self.app = app
        self.ids: dict[str, str | None] = {}
        self.errors: dict[str, str] = {}
        self.texts: dict[str, dict[int, str]] = {}

    def document(self, document: str) -> dict[int, str] | None:
        if document not in self.texts:
            result = self.app.ingest(CORPUS / document)
            if result.status != "ok" or not result.document_id:
                self.errors[document] = result.error or result.status
                self.texts[document] = {}
                return None
            pages = [row.number for row in self.app.document_pages(result.document_id)]
            self.texts[document] = {
                page: "\n".join(hit.text for hit in self.app.blocks_in_region(result.document_id, page, [0, 0, 1, 1]))
                for page in pages
            }
        return None if document in self.errors else self.texts[document]


def check_answer(pages: Pages, where: str, document: Any, page: Any, answer: Any) -> list[str]:
    if not isinstance(document, str) or not isinstance(page, int) or not isinstance(answer, str) or not answer.strip():
        return [f"{where}: needs a document, an integer page and a non-empty answer"]
    texts = pages.document(document)
    if texts is None:
        return [f"{where}: {document} could not be ingested: {pages.errors.get(document)}"]
    if page not in texts:
        return [f"{where}: {document} has no page {page} (pages with text: {sorted(texts)[:5]}...)"]
    if norm(answer) not in norm(texts[page]):
        others = [p for p, text in texts.items() if norm(answer) in norm(text)]
        hint = f" (it is on page(s) {others[:6]})" if others else " (nowhere in the document)"
        return [f"{where}: answer {answer!r} is not on page {page} of {document}{hint}"]
    return []


def check_line(item: dict[str, Any], where: str, chat: bool, pages: Pages, split_of: dict[str, str],
               groups: dict[str, str]) -> list[str]:
    failures: list[str] = []
    fields = CHAT_FIELDS if chat else COMMON_FIELDS
    missing = [f for f in fields if f not in item]
    if missing:
        failures.append(f"{where}: missing field(s) {', '.join(missing)}")
    document = item.get("document")
    if item.get("lang") not in {"en", "ru"}:
        failures.append(f"{where}: lang {item.get('lang')!r} is not en or ru")
    if document not in split_of:
        failures.append(f"{where}: document {document!r} is in no group of splits.json")
    elif item.get("split") != split_of[document]:
        failures.append(f"{where}: split {item.get('split')!r}, but {document}'s group is {split_of[document]!r}")
    if chat:
        mode, kind = item.get("mode"), item.get("kind")
        if mode not in MODES:
            failures.append(f"{where}: mode {mode!r} is not one of {sorted(MODES)}")
        if kind not in CHAT_KINDS:
            failures.append(f"{where}: kind {kind!r} is not one of {sorted(CHAT_KINDS)}")
        if mode == "follow_up":
            previous = item.get("previous")
            if not isinstance(previous, dict) or not previous.get("question"):
                failures.append(f"{where}: a follow-up needs a previous turn (question, document, page, answer)")
            else:
                failures += check_answer(pages, f"{where} (previous)", previous.get("document"),
                                         previous.get("page"), previous.get("answer"))
                if groups.get(str(previous.get("document"))) != groups.get(str(document)):
                    failures.append(f"{where}: the previous turn is about another document group")
        elif "previous" in item:
            failures.append(f"{where}: only a follow-up has a previous turn")
        if kind == "absent":
            if item.get("answer") is not None:
                failures.append(f"{where}: an absent question's answer is null")
            code = item.get("code")
            if not isinstance(code, str) or not code.strip():
                failures.append(f"{where}: an absent question names its missing item in 'code'")
            elif norm(code) not in norm(item.get("question", "")):
                failures.append(f"{where}: the question does not contain its code {code!r}")
            elif isinstance(document, str):
                texts = pages.document(document)
                if texts is None:
                    failures.append(f"{where}: {document} could not be ingested: {pages.errors.get(document)}")
                else:
                    found = [p for p, text in texts.items() if fold(code) in fold(text)]
                    if found:
                        failures.append(f"{where}: {code!r} is in {document} after all, page(s) {found[:6]}")
            return failures
    return failures + check_answer(pages, where, document, item.get("page"), item.get("answer"))


def verify(files: Iterable[Path]) -> list[str]:
    failures: list[str] = []
    split_of = load_splits(SPLITS, failures)
    groups = group_of(SPLITS)
    seen: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="aizoomdoc-verify-") as tmp:
        app = Aizoomdoc.open(Settings.load(data_dir=Path(tmp), environ={}, dotenv_path=None))
        try:
            pages = Pages(app)
            for path in files:
                chat = path.name != "questions.jsonl"
                for number, item, error in load_lines(path):
                    where = f"{path.name}:{number}"
                    if item is None:
                        failures.append(f"{where}: {error}")
                        continue
                    where = f"{path.name}:{number} {item.get('id')}"
                    if item.get("id") in seen:
                        failures.append(f"{where}: id also used at {seen[item['id']]}")
                    seen.setdefault(str(item.get("id")), where)
                    failures += check_line(item, where, chat, pages, split_of, groups)
        finally:
            app.close()
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    files = args.files or DEFAULT_FILES
    failures = verify(files)
    for failure in failures:
        print(failure)
    count = sum(len(Path(f).read_text("utf-8").splitlines()) for f in files)
    print(f"{count} lines in {len(list(files))} file(s): {len(failures)} failure(s)", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
