"""The sheet viewer on large corpus sheets: time to the first view, per zoom, and bytes per view.

The viewer (``aizoomdoc_ui.sheet_viewer``) shows a page overview at once, then asks for the visible
region at the size it is shown (a 1200 x 800 CSS px stage on a 2x screen: 2400 x 1600 device pixels)
and gets it drawn from the PDF (``Aizoomdoc.page_view``, through the renderer's isolated child).
Each step is timed through the facade, as the app calls it, caches cold for every new view; bytes
are what travels, base64 inside the component's data.

The baseline, in the same run: what an image-zoom component needs to be as sharp at the same zoom,
the whole page drawn at the zoomed resolution (MuPDF directly, in this process, PNG as the viewer
sends). Beyond 4x that is over 60 MP a page and is not drawn: its size is given.

    .venv/bin/python -m benchmarks.viewer_benchmark
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import pymupdf

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.config import Settings
from aizoomdoc_ui.sheet_viewer import OVERVIEW_PIXELS

CORPUS = Path("/work/shared/corpus")
SHEETS = {
    "A03 site plan, 36x24 in (ARCH D, about A1)": CORPUS / "A" / "A03_existing_site_plan.pdf",
    "A06 land survey, A0": CORPUS / "A" / "A06_land_survey_plan_A0.pdf",
}
STAGE = (1200, 800)  # CSS pixels
DPR = 2
ZOOMS = (2, 4, 8, 16)
CENTRE = (0.45, 0.55)  # where the reviewer zooms in


def b64(n: int) -> int:
    return (n + 2) // 3 * 4


def visible(page_pt: tuple[float, float], zoom: float) -> list[float]:
    """The region a stage of STAGE shows at ``zoom`` (1 = the page fitted), around CENTRE."""
    fit = min(STAGE[0] / page_pt[0], STAGE[1] / page_pt[1])
    w = min(1.0, STAGE[0] / (page_pt[0] * fit * zoom))
    h = min(1.0, STAGE[1] / (page_pt[1] * fit * zoom))
    x0 = min(max(0.0, CENTRE[0] - w / 2), 1 - w)
    y0 = min(max(0.0, CENTRE[1] - h / 2), 1 - h)
    return [x0, y0, x0 + w, y0 + h]


def device_pixels(page_pt: tuple[float, float], region: list[float], zoom: float) -> tuple[int, int]:
    fit = min(STAGE[0] / page_pt[0], STAGE[1] / page_pt[1])
    scale = fit * zoom * DPR
    return round((region[2] - region[0]) * page_pt[0] * scale), round((region[3] - region[1]) * page_pt[1] * scale)


def timed(call):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        app = Aizoomdoc.open(Settings.load(data_dir=Path(folder), environ={}, dotenv_path=None))
        for label, path in SHEETS.items():
            result = app.ingest(path)
            assert result.status == "ok" and result.document_id, result.error
            document_id = result.document_id
            overview, t_overview = timed(lambda: app.page_view(document_id, 1, None, OVERVIEW_PIXELS))
            page_pt = overview.page_pt
            whole = [0.0, 0.0, 1.0, 1.0]
            first, t_first = timed(lambda: app.page_view(document_id, 1, whole, device_pixels(page_pt, whole, 1)))
            rows.append((label, "first view (overview + sharp 100 %)", t_overview + t_first,
                         b64(len(overview.png or b"")) + b64(len(first.png or b"")), None, None))
            doc = pymupdf.open(path)
            for zoom in ZOOMS:
                region = visible(page_pt, zoom)
                times, sizes = [], []
                for shift in (0.0, 0.01, 0.02):  # three pans at this zoom, each a new view
                    moved = [region[0] + shift * (region[2] - region[0]), region[1], region[2] + shift * (region[2] - region[0]), region[3]]
                    view, seconds = timed(lambda: app.page_view(document_id, 1, moved, device_pixels(page_pt, moved, zoom)))
                    times.append(seconds)
                    sizes.append(b64(len(view.png or b"")))
                baseline_time, baseline_bytes = None, None
                fit = min(STAGE[0] / page_pt[0], STAGE[1] / page_pt[1])
                scale = fit * zoom * DPR
                megapixels = page_pt[0] * scale * page_pt[1] * scale / 1e6
                if megapixels <= 65:
                    png, baseline_time = timed(lambda: doc[0].get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False).tobytes("png"))
                    baseline_bytes = b64(len(png))
                rows.append((label, f"zoom {zoom * 100} % ({megapixels:.0f} MP whole page)", statistics.median(times),
                             int(statistics.median(sizes)), baseline_time, baseline_bytes))
        app.close()
    print(f"stage {STAGE[0]}x{STAGE[1]} CSS px at {DPR}x; bytes are base64 as sent")
    print("| sheet | step | viewer: time | viewer: bytes | whole page at that zoom: time | its bytes |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for label, step, seconds, size, base_time, base_bytes in rows:
        base_t = f"{base_time:.2f} s" if base_time is not None else "not drawn"
        base_b = f"{base_bytes / 1e6:.1f} MB" if base_bytes is not None else "-"
        print(f"| {label} | {step} | {seconds:.2f} s | {size / 1e3:.0f} KB | {base_t} | {base_b} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
