"""The four measures of issue 12 on one split, as a user asks in a chat, with a plain lexical baseline.

    .venv/bin/python -m benchmarks.chat_benchmark [--split test|dev|all] [--postgres] [--library DIR] [--rows FILE]

Ingests the corpus (A, B, C) and makes its dense index (minutes: ``--library DIR`` keeps the library
in DIR and reuses it on the next run, SQLite only), then asks every question of ``questions.jsonl`` and
``chat_questions.jsonl`` in the chosen split offline, through the facade, the way the app asks it:
- ``questions.jsonl`` twice: in a chat over the whole library, and in a chat scoped to its document;
- ``chat_questions.jsonl`` by its mode: ``scoped`` in a chat scoped to the document, ``library`` in an
  unscoped chat, ``follow_up`` after its ``previous`` question in the same unscoped chat.
For each answerable question it measures:
- page recall@1 and @5 of the search results the answer was built on (another format's copy of the
  same page counts, as in ``search_benchmark``);
- legible evidence: an image sent holds the answer's text at least 16 px tall (PDFs with a text layer
  only, as in ``ask_benchmark``);
- the answer string within the first 400 characters of the answer without a model (case and
  whitespace ignored);
and, in the same run, the page recall of plain BM25 over the same blocks (the baseline) for the same
question and scope. For ``absent`` questions (the code exists nowhere in the document) it counts
whether the answer says the code is missing (``missing_codes``), and for the answerable ones whether
it wrongly says so.
Tune on ``--split dev``; report ``--split test``. ``--rows FILE`` writes each question's measures, its first
five pages and the start of its answer (JSON lines), to study the misses.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.events import AnswerDone, AskResult
from benchmarks.ask_benchmark import LEGIBLE_PX, answer_spans, covers
from benchmarks.corpus_library import corpus_library
from benchmarks.search_benchmark import CORPUS, QUESTIONS, ROOT, SAME_PAGES, PlainBM25, all_blocks

CHAT_QUESTIONS = ROOT / "benchmarks" / "chat_questions.jsonl"
FIRST_CHARS = 400


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def same(name: str) -> str:
    return SAME_PAGES.get(name, name)


class Bench:
    def __init__(self, app: Aizoomdoc) -> None:
        self.app = app
        self.documents = {d.name: d for d in app.list_documents()}
        self.baseline = PlainBM25(all_blocks(app))
        self.spans: dict[tuple[str, int, str], list[tuple[list[float], float]]] = {}

    def ask(self, question: str, scope: str | None, chat_id: str | None = None) -> AskResult:
        if chat_id is None:
            chat_id = self.app.create_chat().id
            if scope:
                self.app.set_chat_scope(chat_id, [self.documents[scope].id])
        return next(e.result for e in self.app.ask(question, chat_id=chat_id, offline=True) if isinstance(e, AnswerDone))

    def measure(self, q: dict[str, Any], result: AskResult, scope: str | None, asked: str) -> dict[str, Any]:
        name = Path(q["document"]).name
        gold = (same(name), q["page"])
        names = {d.id: d.name for d in self.documents.values()}
        pages = list(dict.fromkeys((same(names[r["document_id"]]), r["page"]) for r in result.search_results))
        plain = list(dict.fromkeys((same(n), p) for n, p in self.baseline(asked) if scope is None or n == scope))
        row = {
            "id": q["id"], "kind": q["kind"], "lang": q["lang"],
            "r1": gold in pages[:1], "r5": gold in pages[:5],
            "plain_r1": gold in plain[:1], "plain_r5": gold in plain[:5],
            "first400": squash(q["answer"]) in squash(result.answer[:FIRST_CHARS]),
            "legible": self.legible(q, result),
            "pages": [f"{n} p{p}" for n, p in pages[:5]], "answer": result.answer[:FIRST_CHARS],
        }
        return row

    def legible(self, q: dict[str, Any], result: AskResult) -> bool | None:
        path = CORPUS / q["document"]
        if path.suffix.lower() != ".pdf":
            return None
        key = (q["document"], q["page"], q["answer"])
        if key not in self.spans:
            self.spans[key] = answer_spans(path, q["page"], q["answer"])
        if not self.spans[key]:
            return None  # no text layer holds it (a scan): not measurable this way
        expected = self.documents[path.name].id
        return any(
            image["document_id"] == expected and image["page"] == q["page"]
            and covers(image["bbox"], bbox) and size * image["scale"] >= LEGIBLE_PX
            for image in result.images for bbox, size in self.spans[key]
        )


def load(path: Path, split: str) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def run(app: Aizoomdoc, split: str) -> dict[str, list[dict[str, Any]]]:
    bench = Bench(app)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in load(QUESTIONS, split):
        name = Path(q["document"]).name
        groups["named, whole library"].append(bench.measure(q, bench.ask(q["question"], None), None, q["question"]))
        groups["named, scoped"].append(bench.measure(q, bench.ask(q["question"], name), name, q["question"]))
    for q in load(CHAT_QUESTIONS, split):
        name = Path(q["document"]).name
        if q["mode"] == "follow_up":
            first = bench.ask(q["previous"]["question"], None)
            result = bench.ask(q["question"], None, chat_id=first.chat_id)
            # the baseline sees the whole conversation, as a search over both turns would
            scope, asked, group = None, f"{q['previous']['question']} {q['question']}", "chat, follow-up"
        else:
            scope = name if q["mode"] == "scoped" else None
            result = bench.ask(q["question"], scope)
            asked, group = q["question"], "chat, scoped" if scope else "chat, whole library"
        if q["answer"] is None:
            said = [squash(code) for code in result.missing_codes]  # as the question wrote it, maybe longer
            groups["chat, absent code"].append({"id": q["id"], "said_missing": any(squash(q["code"]) in c for c in said)})
        else:
            groups[group].append({**bench.measure(q, result, scope, asked), "said_missing": bool(result.missing_codes)})
    return groups


def share(rows: list[dict[str, Any]], key: str) -> str:
    values = [r[key] for r in rows if r.get(key) is not None]
    return f"{sum(values) / len(values):.2f}" if values else "-"


def report(groups: dict[str, list[dict[str, Any]]]) -> str:
    lines = ["| questions | n | recall@1 | recall@5 | plain BM25 @1 | plain BM25 @5 | legible | answer in first 400 |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    everything: list[dict[str, Any]] = []
    for name, rows in groups.items():
        measured = [r for r in rows if "r5" in r]
        everything += measured
        lines.append(f"| {name} | {len(rows)} | " + " | ".join(
            share(measured, k) for k in ("r1", "r5", "plain_r1", "plain_r5", "legible", "first400")) + " |")
    chat = [r for g, rows in groups.items() if g.startswith("chat") for r in rows if "r5" in r]
    lines.append("| all chat questions | " + f"{len(chat)} | " + " | ".join(
        share(chat, k) for k in ("r1", "r5", "plain_r1", "plain_r5", "legible", "first400")) + " |")
    absent = groups.get("chat, absent code", [])
    answerable = [r for r in chat if r.get("said_missing") is not None]
    lines.append(f"\nabsent codes said to be missing: {sum(r['said_missing'] for r in absent)} of {len(absent)}; "
                 f"answerable chat questions wrongly said to name a missing code: "
                 f"{sum(r['said_missing'] for r in answerable)} of {len(answerable)}")
    misses = [r["id"] for r in everything if not r["r5"]]
    lines.append(f"\nnot in the first 5 pages: {' '.join(sorted(set(misses))) or 'none'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("test", "dev", "all"), default="test")
    parser.add_argument("--postgres", action="store_true", help="on a throwaway local PostgreSQL cluster")
    parser.add_argument("--library", type=Path, help="keep the ingested, indexed corpus here and reuse it (SQLite)")
    parser.add_argument("--rows", type=Path, help="write each question's measures here (JSON lines), to study misses")
    args = parser.parse_args()
    if args.library and args.postgres:
        parser.error("--library keeps a SQLite library; it does not go with --postgres")
    with corpus_library(postgres=args.postgres, data_dir=args.library) as (app, indexed):
        groups = run(app, args.split)
    if args.rows:
        args.rows.write_text("".join(json.dumps({"group": g, **r}, ensure_ascii=False) + "\n"
                                     for g, rows in groups.items() for r in rows), encoding="utf-8")
    print(f"split: {args.split}, backend: {'postgresql' if args.postgres else 'sqlite'}; "
          f"dense index: {indexed.blocks} blocks embedded in {indexed.seconds:.0f} s\n")
    print(report(groups))


if __name__ == "__main__":
    main()
