"""Search quality and speed over the shared corpus, with baselines measured in the same run.

    .venv/bin/python -m benchmarks.search_benchmark [--postgres | --database-url URL] [--copies 10]

1. Ingest throughput: every PDF of corpus A and C through ``ingest`` (isolated reader, title blocks,
   storage), next to PyMuPDF's bare ``get_text("dict")`` over the same files.
2. Quality: each question of ``benchmarks/questions.jsonl`` is searched over the whole corpus at once;
   recall@1 and recall@5 at page level (the expected document and page among the first 1 or 5
   distinct pages of the hits). Baseline: plain BM25 over the same blocks with Snowball stemming.
3. Query time on the corpus, then on the corpus copied ``--copies`` times over (documents, pages and
   blocks duplicated under new ids inside the database, indexes and all: ``corpus_copies``).
Results print as Markdown; the JSON goes to benchmarks/results/ (not committed).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pymupdf
import sqlalchemy as sa

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.storage import schema
from aizoomdoc_core.storage.db import Database
from aizoomdoc_core.storage.fallback_db import FallbackDatabase
from aizoomdoc_core.terms import STOP_WORDS, _stem, tokens
from benchmarks.corpus_copies import copy_corpus

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
QUESTIONS = ROOT / "benchmarks" / "questions.jsonl"
# C11 is the per-block OCR result of the same drawing set as C09 (corpus README): the same page of
# either answers a question about that set, and both are in the corpus, so either counts as found.
SAME_PAGES = {"C11_ru_133-23-GK-KR3_result.json": "C09_ru_133-23-GK-KR3_ocr.html"}


def ingest_corpus(app: Aizoomdoc) -> dict[str, Any]:
    """Ingest every corpus file; time the text-layer PDFs (A, C) against bare PyMuPDF extraction."""
    timed = sorted((CORPUS / "A").glob("*.pdf")) + sorted((CORPUS / "C").glob("*.pdf"))
    started = time.perf_counter()
    pages = sum(app.ingest(path).pages or 0 for path in timed)
    ingest_seconds = time.perf_counter() - started
    started = time.perf_counter()
    bare_pages = 0
    for path in timed:
        with pymupdf.open(path) as doc:
            for page in doc:
                page.get_text("dict")
                bare_pages += 1
    bare_seconds = time.perf_counter() - started
    others = [p for p in sorted(CORPUS.glob("[BCD]/*")) if p not in timed]
    failed = [r.path for r in (app.ingest(p) for p in others) if r.status != "ok"]
    return {
        "files": len(timed), "pages": pages, "ingest_s": ingest_seconds, "ingest_pages_per_s": pages / ingest_seconds,
        "bare_pages": bare_pages, "bare_s": bare_seconds, "bare_pages_per_s": bare_pages / bare_seconds,
        "overhead": ingest_seconds / bare_seconds, "other_files_failed": len(failed),
    }


def ranked_pages(hits: list[tuple[str, int]], k: int) -> list[tuple[str, int]]:
    seen: dict[tuple[str, int], None] = {}
    for hit in hits:
        seen.setdefault(hit, None)
    return list(seen)[:k]


def evaluate(questions: list[dict[str, Any]], search: Any) -> dict[str, Any]:
    """Recall@1 and @5 at page level for ``search(question) -> [(document name, page), ...]``."""
    per_question = []
    canonical = lambda hit: (SAME_PAGES.get(hit[0], hit[0]), hit[1])  # noqa: E731
    for q in questions:
        expected = canonical((Path(q["document"]).name, q["page"]))
        pages = ranked_pages([canonical(hit) for hit in search(q["question"])], 5)
        per_question.append({"id": q["id"], "lang": q["lang"], "kind": q["kind"],
                             "at1": pages[:1] == [expected], "at5": expected in pages})

    def recall(rows: list[dict[str, Any]], key: str) -> float:
        return sum(r[key] for r in rows) / len(rows) if rows else math.nan

    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in per_question:
        groups[f"lang={row['lang']}"].append(row)
        groups[f"kind={row['kind']}"].append(row)
    return {
        "n": len(per_question), "recall@1": recall(per_question, "at1"), "recall@5": recall(per_question, "at5"),
        "groups": {name: {"n": len(rows), "recall@5": recall(rows, "at5")} for name, rows in sorted(groups.items())},
        "missed@5": [r["id"] for r in per_question if not r["at5"]],
    }


class PlainBM25:
    """The reference: BM25 over every stored block's text, words stemmed, nothing else."""

    def __init__(self, blocks: list[tuple[str, int, str]]) -> None:
        self.blocks = [(name, page, Counter(self._terms(text))) for name, page, text in blocks]
        self.df: Counter[str] = Counter(term for *_, counts in self.blocks for term in counts)
        self.mean = statistics.mean(sum(c.values()) for *_, c in self.blocks)

    @staticmethod
    def _terms(text: str) -> list[str]:
        return [_stem(t) if t.isalpha() else t for t in tokens(text) if t not in STOP_WORDS]

    def __call__(self, question: str) -> list[tuple[str, int]]:
        n = len(self.blocks)
        scored = []
        for name, page, counts in self.blocks:
            length = sum(counts.values())
            score = 0.0
            for term in set(self._terms(question)):
                tf = counts.get(term, 0)
                if tf:
                    idf = math.log(1 + (n - self.df[term] + 0.5) / (self.df[term] + 0.5))
                    score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / self.mean))
            if score > 0:
                scored.append((score, name, page))
        scored.sort(reverse=True)
        return [(name, page) for _, name, page in scored[:50]]


def searched(app: Aizoomdoc) -> Database:
    """The database the app searches: PostgreSQL itself when configured (not its local mirror)."""
    return app.db.cloud if isinstance(app.db, FallbackDatabase) else app.db


def all_blocks(app: Aizoomdoc) -> list[tuple[str, int, str]]:
    b, d = schema.blocks, schema.documents
    with searched(app).read() as conn:
        return [tuple(r) for r in conn.execute(sa.select(d.c.name, b.c.page, b.c.text).join(d, d.c.id == b.c.document_id))]


def time_queries(app: Aizoomdoc, questions: list[dict[str, Any]]) -> dict[str, float]:
    durations = []
    for q in questions:
        started = time.perf_counter()
        app.search(q["question"], top=10)
        durations.append(time.perf_counter() - started)
    durations.sort()
    return {"median_ms": 1000 * statistics.median(durations), "p95_ms": 1000 * durations[int(0.95 * (len(durations) - 1))],
            "max_ms": 1000 * durations[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL to run on (default: SQLite in a temporary folder)")
    parser.add_argument("--postgres", action="store_true", help="run on a throwaway local PostgreSQL cluster")
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    if args.postgres:
        from tests.services import PostgresCluster

        cluster = PostgresCluster()
        cluster.start()
        try:
            args.database_url = cluster.create_database()
            run(args)
        finally:
            cluster.destroy()
    else:
        run(args)


def run(args: argparse.Namespace) -> None:
    questions = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as data:
        environ = {"DATABASE_URL": args.database_url} if args.database_url else {}
        app = Aizoomdoc.open(Settings.load(data_dir=data, environ=environ, dotenv_path=None))
        ingest = ingest_corpus(app)
        ours = evaluate(questions, lambda text: [(h.document_name, h.page) for h in app.search(text, top=50)])
        baseline = evaluate(questions, PlainBM25(all_blocks(app)))
        blocks_1x = searched(app).block_statistics()[0]
        time_1x = time_queries(app, questions)
        blocks_nx = copy_corpus(searched(app), args.copies)
        time_nx = time_queries(app, questions)
        app.close()
    report = {"backend": "postgresql" if args.database_url else "sqlite", "ingest": ingest, "aizoomdoc": ours,
              "plain_bm25": baseline, "blocks_1x": blocks_1x, "query_1x": time_1x, "blocks_nx": blocks_nx,
              "query_nx": time_nx, "copies": args.copies}
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / f"search-{report['backend']}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"backend: {report['backend']}, {ours['n']} questions\n")
    print("| ranker | recall@1 | recall@5 |\n| --- | --- | --- |")
    for name, result in (("aizoomdoc", ours), ("plain BM25 + Snowball (baseline)", baseline)):
        print(f"| {name} | {result['recall@1']:.1%} | {result['recall@5']:.1%} |")
    print("\nrecall@5 by group: " + ", ".join(f"{k} {v['recall@5']:.0%} (n={v['n']})" for k, v in ours["groups"].items()))
    print(f"missed@5: {' '.join(ours['missed@5']) or 'none'}\n")
    print(f"ingest, A+C PDFs ({ingest['pages']} pages): {ingest['ingest_pages_per_s']:.1f} pages/s; "
          f"bare get_text('dict'): {ingest['bare_pages_per_s']:.1f} pages/s; overhead {ingest['overhead']:.2f}x")
    print(f"query on {blocks_1x} blocks: median {time_1x['median_ms']:.1f} ms, p95 {time_1x['p95_ms']:.1f} ms; "
          f"on {blocks_nx} blocks ({args.copies}x): median {time_nx['median_ms']:.1f} ms, p95 {time_nx['p95_ms']:.1f} ms "
          f"({time_nx['median_ms'] / time_1x['median_ms']:.2f}x)")


if __name__ == "__main__":
    main()
