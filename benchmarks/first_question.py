"""A fresh app against a big cloud: how long until it answers its first question, and what it waits on.

    .venv/bin/python -m benchmarks.first_question [--copies 100] [--question-count 3] [--profile]

A throwaway PostgreSQL cluster and a moto S3 server are the cloud. The corpus is ingested into it
once (through the app, so that its files are in the bucket), and each measurement opens the app on
a new, empty data directory, as a new laptop or a redeployed Streamlit app would: it times
``Aizoomdoc.open`` (as the UI opens it: background sync and dense indexing; the cloud holds the
blocks' vectors), the first ``ask(..., offline=True)`` to its ``AnswerDone``, a few more questions,
and how long after start the local mirror holds every document of the cloud (what search falls
back on when the cloud goes away).
The cloud at 1x is measured first, then the same cloud with the corpus copied ``--copies`` times
inside the database (``corpus_copies``): both in the same run, on the same loaded machine.
Each size is also measured with the mirror brought level before the first question, as every start
did before the mirror was filled in the background (the baseline; ``--no-baseline`` skips it).
``--profile`` prints the functions that took most of the time of the open and the first question.
Questions are the dev half of ``benchmarks/questions.jsonl``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_core.events import AnswerDone
from aizoomdoc_core.storage.db import Database
from aizoomdoc_core.storage.fallback_db import FallbackDatabase
from benchmarks.corpus_copies import copy_corpus
from benchmarks.search_benchmark import CORPUS, QUESTIONS, ROOT
from benchmarks.vector_cache import build_index
from tests.services import PostgresCluster, S3Server

MIRROR_WAIT = 1800.0  # seconds to wait for the mirror to complete before reporting it incomplete


def dev_questions(count: int) -> list[str]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows if r.get("split") == "dev"][:count]


def answer(app: Aizoomdoc, question: str) -> float:
    started = time.perf_counter()
    for event in app.ask(question, offline=True):
        if isinstance(event, AnswerDone):
            assert event.result.answer, "an empty answer"
            return time.perf_counter() - started
    raise AssertionError("ask ended without an answer")


def mirror_documents(app: Aizoomdoc) -> int:
    assert isinstance(app.db, FallbackDatabase)
    return len(app.db.mirror.db.document_ids())


def fresh_start(
    environ: dict[str, str], questions: list[str], cloud_documents: int, profile: bool, *, levelled: bool = False
) -> dict[str, Any]:
    """One new data directory against the cloud: open, first question, more questions, mirror.
    ``levelled``: the mirror is brought level before the first question, as every start did before
    the mirror was filled in the background (the baseline, in the same run)."""
    with tempfile.TemporaryDirectory(prefix="aizoomdoc-fresh-") as data:
        profiler = cProfile.Profile() if profile and not levelled else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        app = Aizoomdoc.open(Settings.load(data_dir=data, environ=environ, dotenv_path=None), background_sync=True,
                             background_index=True)  # as the UI opens it
        if levelled:
            app.sync(level_mirror=True)
        opened = time.perf_counter() - started
        first = answer(app, questions[0])
        if profiler:
            profiler.disable()
        more = [answer(app, q) for q in questions[1:]]
        mirrored_at_first = mirror_documents(app)
        while mirror_documents(app) < cloud_documents and time.perf_counter() - started < MIRROR_WAIT:
            time.sleep(0.5)
        mirror_s = time.perf_counter() - started
        complete = mirror_documents(app) >= cloud_documents
        app.close()
    result = {"open_s": opened, "first_answer_s": first, "open_to_first_answer_s": opened + first,
              "later_answers_median_s": statistics.median(more) if more else None,
              "mirror_documents_at_first_answer": mirrored_at_first, "cloud_documents": cloud_documents,
              "mirror_complete": complete, "mirror_complete_after_s": mirror_s if complete else None}
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(r"aizoomdoc_core|sqlalchemy/engine/base", 25)
        result["profile"] = out.getvalue()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--question-count", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false",
                        help="skip the starts that level the mirror before their first question")
    args = parser.parse_args()
    questions = dev_questions(args.question_count)
    pg, s3 = PostgresCluster(), S3Server()
    pg.start()
    s3.start()
    report: dict[str, Any] = {"copies": args.copies, "questions": len(questions)}
    try:
        environ = {
            "DATABASE_URL": pg.create_database(), "S3_ENDPOINT_URL": s3.endpoint_url, "S3_BUCKET": s3.create_bucket(),
            "S3_ACCESS_KEY_ID": s3.access_key, "S3_SECRET_ACCESS_KEY": s3.secret_key, "S3_REGION": "us-east-1",
        }
        with tempfile.TemporaryDirectory(prefix="aizoomdoc-seed-") as seed:
            app = Aizoomdoc.open(Settings.load(data_dir=seed, environ=environ, dotenv_path=None))
            failed = [p.name for p in sorted(CORPUS.glob("[ABCD]/*")) if app.ingest(p).status != "ok"]
            build_index(app)  # the cloud holds the blocks' vectors too, and the copies carry them
            app.close()
        cloud = Database.postgresql(environ["DATABASE_URL"])
        sizes: list[tuple[str, int]] = [("1x", 1), (f"{args.copies}x", args.copies)]
        for label, copies in sizes:
            if copies > 1:
                started = time.perf_counter()
                copy_corpus(cloud, copies)
                report[f"copy_{label}_s"] = time.perf_counter() - started
            blocks, _ = cloud.block_statistics()
            documents = len(cloud.document_ids())
            report[label] = {"blocks": blocks, "documents": documents, "files_not_ingested": len(failed),
                             **fresh_start(environ, questions, documents, args.profile)}
            if args.baseline:
                report[f"{label} levelled first"] = {"blocks": blocks, **fresh_start(
                    environ, questions, documents, False, levelled=True)}
        cloud.close()
    finally:
        s3.stop()
        pg.destroy()
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "first-question.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print("| cloud (start) | blocks | open | first answer | open to first answer | later answers (median) | mirror complete after |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label in [name for name in report if isinstance(report[name], dict)]:
        r = report[label]
        later = f"{r['later_answers_median_s']:.2f} s" if r["later_answers_median_s"] is not None else "-"
        mirror = f"{r['mirror_complete_after_s']:.1f} s" if r["mirror_complete"] else "incomplete"
        print(f"| {label} | {r['blocks']} | {r['open_s']:.2f} s | {r['first_answer_s']:.2f} s | "
              f"{r['open_to_first_answer_s']:.2f} s | {later} | {mirror} |")
    if args.profile:
        for label, _ in sizes:
            print(f"\n## profile, {label}: open and first question\n{report[label]['profile']}")


if __name__ == "__main__":
    main()
