"""Peak memory of ingesting an upload: written to a temp file and read back, against ``ingest_bytes``.

An upload arrives as bytes in memory (Streamlit's ``UploadedFile``). The pages used to write it to a
temporary file and ingest that path, which reads the file back: the upload held twice. With
``ingest_bytes`` it is hashed, shared with the forked readers and stored as it is. Each way runs in
a fresh interpreter on the same ~100 MB PDF (a drawing sheet carrying a 100 MB attachment), in the
same run, and reports its peak RSS from the moment the upload arrives (``VmHWM`` after resetting it)
and what it held just before.

    .venv/bin/python -m benchmarks.ingest_memory
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pymupdf

PAYLOAD_MB = 100


def make_pdf(path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page(width=842, height=595).insert_text((60, 80), "PUMP SCHEDULE P-7 FLOW 12 m3/h", fontsize=9)
    doc.embfile_add("survey.bin", os.urandom(PAYLOAD_MB * 1024**2))  # random: does not compress
    doc.save(path)


def reset_peak() -> None:
    """Start the peak RSS over from the current RSS (Linux: ``clear_refs`` 5), so that what opening
    the app took (its imports, the migrations) does not hide what the ingest takes."""
    Path("/proc/self/clear_refs").write_text("5")


def rss_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (the peak since ``reset_peak``) of this process, in MB."""
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def child(way: str, pdf: Path, data_dir: Path) -> None:
    """One ingest the way ``way`` says, in this fresh process; prints 'before peak status' (MB)."""
    from aizoomdoc_core.app import Aizoomdoc
    from aizoomdoc_core.config import Settings

    app = Aizoomdoc.open(Settings.load(data_dir=data_dir, environ={}, dotenv_path=None))
    reset_peak()
    before = rss_mb("VmRSS")
    upload = pdf.read_bytes()  # the upload, as the UI holds it
    if way == "temp file":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload"
            path.write_bytes(upload)
            result = app.ingest(path, name=pdf.name)
    else:
        result = app.ingest_bytes(upload, pdf.name)
    peak = rss_mb("VmHWM")
    app.close()
    print(f"{before:.0f} {peak:.0f} {result.status}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=3, metavar=("WAY", "PDF", "DATA_DIR"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "sheet_with_attachment.pdf"
        make_pdf(pdf)
        print(f"file: {pdf.stat().st_size / 1024**2:.0f} MB\n")
        print("| way | RSS before the upload | peak RSS during the ingest | added |")
        print("| --- | ---: | ---: | ---: |")
        for way in ("temp file", "ingest_bytes"):
            data_dir = Path(folder) / way.replace(" ", "_")
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.ingest_memory", "--child", way, str(pdf), str(data_dir)],
                capture_output=True, text=True, check=True,
            ).stdout.split()
            before, after, status = float(out[0]), float(out[1]), out[2]
            assert status == "ok", out
            print(f"| {way} (write, read back) |" if way == "temp file" else f"| {way} |", end="")
            print(f" {before:.0f} MB | {after:.0f} MB | {after - before:.0f} MB |")


if __name__ == "__main__":
    main()
