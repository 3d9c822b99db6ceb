"""Ingest: every corpus file ends as a usable document or one clear error, with nothing left behind."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import unicodedata
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from aizoomdoc_core.app import Aizoomdoc
from aizoomdoc_core.events import ImageReady
from aizoomdoc_core.ingest import drawable, service
from aizoomdoc_core.ingest.pdf import extract_pdf_document, ocr_available, open_pdf
from aizoomdoc_core.storage.blobs import document_prefix
from tests.conftest import CORPUS

# Hostile files (corpus D) that hold a usable document, with the password they need.
USABLE = {
    "D09_missing_pdf_header.pdf": None,
    "D10_junk_before_header.pdf": None,
    "D11_encrypted_aes_unicode_pw.pdf": "pässwört",
    "D12_encrypted_pw_abc.pdf": "abc",
    "D13_encrypted_libreoffice_pw.pdf": "openpassword",
    "D14_all_pages_rotate90.pdf": None,
    "D15_broken_xref_subsection.pdf": None,
    "D16_wide_page_4000x400.pdf": None,
    "D17_jbig2_decompression_bomb.pdf": None,
}
# The others, with the words their one-line error must contain.
UNUSABLE = {
    "D01_truncated_no_startxref_0pages.pdf": "no pages",
    "D02_tiny_broken_0pages.pdf": "no pages",
    "D03_empty_page_tree_0pages.pdf": "no pages",
    "D04_fuzzed_ghostscript_0pages.pdf": "no pages",
    "D05_fuzzed_corrupt_xrefstream_zlib.pdf": "no pages",
    "D06_cyclic_page_tree.pdf": "cycle in page tree",
    "D07_fuzzed_unopenable.pdf": "not a readable PDF",
    "D08_mediabox_int_max_unopenable.pdf": "not a readable PDF",
    "D18_not_a_pdf_oops.pdf": "not a readable PDF",
    "D19_valid_zero_pages.pdf": "no pages",
}


def _stored(app: Aizoomdoc) -> tuple[int, list[str]]:
    return len(app.list_documents()), app.blobs.keys("documents/")


def test_corpus_d_usable_or_one_clear_error_and_no_leftovers(app: Aizoomdoc) -> None:
    assert sorted(USABLE | UNUSABLE) == sorted(p.name for p in (CORPUS / "D").iterdir())
    for name, expected in UNUSABLE.items():
        result = app.ingest(CORPUS / "D" / name)
        assert result.status == "error" and expected in (result.error or ""), (name, result.error)
        assert "\n" not in (result.error or "") and name in (result.error or "")
    assert _stored(app) == (0, [])
    for name, password in USABLE.items():
        result = app.ingest(CORPUS / "D" / name, password=password)
        assert result.status == "ok" and (result.pages or 0) >= 1, (name, result.error)
    documents, blobs = _stored(app)
    assert documents == len(USABLE) and len(blobs) == len(USABLE)


@pytest.mark.parametrize("password, error", [(None, "encrypted; give its password"), ("wrong", "wrong password")])
def test_encrypted_without_the_right_password(app: Aizoomdoc, password: str | None, error: str) -> None:
    result = app.ingest(CORPUS / "D" / "D12_encrypted_pw_abc.pdf", password=password)
    assert result.status == "error" and error in (result.error or "")
    assert _stored(app) == (0, [])


def _dark_pixels(png: bytes) -> bool:
    """Whether an image shows anything (a drawing that failed to render comes out blank or not at all)."""
    return Image.open(io.BytesIO(png)).convert("L").getextrema()[0] < 128


def test_an_encrypted_pdf_stays_drawable_and_its_password_is_kept_nowhere(
    app: Aizoomdoc, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The password opens the PDF once, at ingest, also when typed in another Unicode form (NFD
    against a PDF whose password was set in NFC); what is stored is a decrypted copy, so evidence
    crops, the page viewer and Sources draw it later, and the password is in no file, row or log."""
    password = unicodedata.normalize("NFC", "Пароль-é")
    typed = unicodedata.normalize("NFD", password)
    assert typed != password
    source = pymupdf.open()
    source.new_page(width=842, height=595).insert_text((60, 80), "PUMP SCHEDULE P-7 FLOW 12 m3/h", fontsize=9)
    path = tmp_path / "locked.pdf"
    source.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password, owner_pw="owner " + password)
    with caplog.at_level(logging.DEBUG):
        result = app.ingest(path, password=typed)
        assert result.status == "ok", result.error
        document = app.get_document(result.document_id or "")
        assert document.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()  # the file given
        assert "decrypted copy" in document.metadata["stored_file"]
        for kind in ("zoom_crop", "viewport", "page"):
            assert _dark_pixels(app.renderer.render(kind, document, 1, [0.05, 0.08, 0.5, 0.16]).png), kind
        assert _dark_pixels(app.page_view(document.id, 1, [0.05, 0.08, 0.5, 0.16], (800, 600)).png or b"")
        evidence = [e for e in app.ask("pump schedule flow", offline=True) if isinstance(e, ImageReady)]
        assert evidence and all(_dark_pixels(e.data) for e in evidence)
    secrets = {form.encode() for form in (password, typed, unicodedata.normalize("NFKC", password))}
    stored = [f.read_bytes() for f in app.settings.data_dir.rglob("*") if f.is_file()]
    stored += [app.blobs.get(key) for key in app.blobs.keys("")]
    stored.append(json.dumps([document.to_json(), [p.to_json() for p in app.document_pages(document.id)]]).encode())
    stored.append("\n".join(r.getMessage() for r in caplog.records).encode())
    assert not [blob[:80] for blob in stored for secret in secrets if secret in blob]


def test_a_huge_image_is_stored_as_a_bounded_tiled_rendition(app: Aizoomdoc, tmp_path: Path) -> None:
    """An image over the pixel budget is kept downscaled to it, as a PDF of tiles, so that every
    render neither decodes the whole image nor goes past its size limits; it still has its page
    size, and OCR still refuses images over its own limit."""
    width, height = 13000, 12000  # 156 MP: over the budget, and quick to make (mostly white)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 500):
        draw.line([(x, 0), (x, height)], fill=0, width=3)
    draw.text((6100, 6000), "VALVE V-12 DN50", fill=0, font=ImageFont.load_default(size=120))
    path = tmp_path / "huge_scan.png"
    image.save(path, compress_level=1)
    del image, draw
    result = app.ingest(path)
    assert result.status == "ok", result.error
    assert any("was not OCR'd" in w for w in result.warnings)  # MAX_OCR_IMAGE_PIXELS still holds
    document = app.get_document(result.document_id or "")
    assert document.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (document.mime, document.metadata["original_mime"]) == ("application/pdf", "image/png")
    assert "tiled rendition" in document.metadata["stored_file"]
    stored = pymupdf.open(stream=app.blobs.get(document.blob_key or ""), filetype="pdf")
    tiles = stored[0].get_image_info()
    assert len(tiles) > 1 and max(max(t["width"], t["height"]) for t in tiles) <= drawable.TILE
    assert sum(t["width"] * t["height"] for t in tiles) <= drawable.MAX_RASTER_PIXELS
    native = max(t["width"] / (t["bbox"][2] - t["bbox"][0]) for t in tiles)  # the rendition's pixels per point
    assert (app.document_pages(document.id)[0].width_pt, stored[0].rect.width) == (9750.0, 9750.0)
    for kind, box, limit in (("zoom_crop", [0.45, 0.48, 0.55, 0.52], 2048), ("viewport", [0.47, 0.49, 0.53, 0.51], 1024), ("page", None, 1568)):
        rendered = app.renderer.render(kind, document, 1, box)
        assert _dark_pixels(rendered.png) and max(rendered.width, rendered.height) <= limit
        assert rendered.scale <= native + 1e-3


def test_same_file_twice_is_one_document(app: Aizoomdoc, tmp_path: Path) -> None:
    first = app.ingest(CORPUS / "C" / "C03_ru_spetsifikatsiya.pdf")
    copy = tmp_path / "другое имя.pdf"
    copy.write_bytes((CORPUS / "C" / "C03_ru_spetsifikatsiya.pdf").read_bytes())
    second = app.ingest(copy)
    assert second.duplicate and second.document_id == first.document_id and not first.duplicate
    assert len(app.list_documents()) == 1 and len(app.blobs.keys("documents/")) == 1


def test_pages_keep_size_rotation_and_title_block(app: Aizoomdoc) -> None:
    result = app.ingest(CORPUS / "A" / "A01_pismo_restroom_drawing_set.pdf")
    pages = app.document_pages(result.document_id or "")
    assert len(pages) == 12
    first = pages[0]
    assert (first.width_pt, first.height_pt, first.rotation) == (2592.0, 1728.0, 270)
    assert first.has_text_layer and first.sheet_code == "T-1"


def test_rotated_page_bboxes_are_as_displayed(app: Aizoomdoc) -> None:
    """A01 is stored with /Rotate 270; its sheet number sits bottom right as a person sees the sheet."""
    document = app.ingest(CORPUS / "A" / "A01_pismo_restroom_drawing_set.pdf").document_id
    hits = [h for h in app.search("T-1", top=20, document_ids=[document or ""]) if h.page == 1 and h.kind == "text"]
    assert hits and hits[0].text == "T-1"
    x0, y0, x1, y1 = hits[0].bbox
    assert 0.9 < x0 < x1 <= 1.0 and 0.9 < y0 < y1 <= 1.0


def test_annotation_only_text_is_indexed_with_its_rectangle(app: Aizoomdoc) -> None:
    document = app.ingest(CORPUS / "C" / "C06_ru_ventilation_control_schematic.pdf").document_id or ""
    source = pymupdf.open(CORPUS / "C" / "C06_ru_ventilation_control_schematic.pdf")
    assert "авария" not in source[0].get_text().lower()  # the labels are strokes, not text
    hits = app.search("сигнализация авария", top=3, document_ids=[document])
    assert hits and all(h.kind == "annotation" for h in hits)
    assert all(0 <= v <= 1 for h in hits for v in h.bbox) and all(h.bbox[0] < h.bbox[2] for h in hits)


def test_duplicated_text_layer_gives_single_blocks(app: Aizoomdoc) -> None:
    document = app.ingest(CORPUS / "C" / "C05_ru_pcb_drawing_SM7.18.00.01.pdf").document_id or ""
    hits = app.search("комбинированным методом", top=10, document_ids=[document])
    texts = [h.text for h in hits if "комбинированным" in h.text]
    assert len(texts) == 1 and texts[0].count("комбинированным") == 1


def test_scans_and_raster_images_are_ocrd(app: Aizoomdoc) -> None:
    assert ocr_available(), "tesseract is installed by the test command"
    for name in ("B/B03_floorplan_apartment_se_imageonly.pdf", "B/B02_floorplan_apartment_se.png", "B/B05_rpi_hat_mechanical_outlined_text.pdf"):
        result = app.ingest(CORPUS / name)
        assert result.status == "ok" and result.document_status == "ready", (name, result)
    hits = app.search("Raspberry Pi HAT board mechanical", top=3)
    assert hits and hits[0].document_name.startswith("B05") and hits[0].kind == "ocr"


def test_without_ocr_a_scan_is_image_only_and_says_so() -> None:
    data = (CORPUS / "B" / "B03_floorplan_apartment_se_imageonly.pdf").read_bytes()
    document = extract_pdf_document(open_pdf(data, "B03.pdf", None), "B03.pdf", mime="application/pdf", max_pages=10, ocr=False)
    assert document.status == "image_only" and not document.pages[0].has_text_layer
    assert any("no OCR available" in w for w in document.warnings)


def test_progress_is_reported_per_page(app: Aizoomdoc) -> None:
    seen: list[tuple[int, int]] = []
    app.ingest(CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]


def test_limits_give_clear_errors_and_leave_nothing(app: Aizoomdoc, tmp_path: Path) -> None:
    cases = [
        ({"max_pages": 5}, CORPUS / "A" / "A04_eplan_tire_machine_schematics.pdf", "70 pages; the limit is 5"),
        ({"max_file_mb": 0.01}, CORPUS / "A" / "A04_eplan_tire_machine_schematics.pdf", "over the 0.01 MB limit"),
        ({"ingest_timeout": 1.0}, CORPUS / "B" / "B01_scanned_pipeline_rohrbuch_de.pdf", "took longer than 1 s"),
    ]
    for changes, path, message in cases:
        limited = Aizoomdoc(dataclasses.replace(app.settings, **changes), app.storage)
        result = limited.ingest(path)
        assert result.status == "error" and message in (result.error or ""), result
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "random.bin").write_bytes(bytes(range(256)) * 40)
    assert "the file is empty" in (app.ingest(tmp_path / "empty.pdf").error or "")
    assert "unsupported file type" in (app.ingest(tmp_path / "random.bin").error or "")
    assert "cannot be read" in (app.ingest(tmp_path / "missing.pdf").error or "")
    assert _stored(app) == (0, [])


def test_ingest_bytes_takes_an_upload_as_it_is_in_memory(app: Aizoomdoc) -> None:
    """The same single path as ``ingest``, which reads the file and hands its bytes over: same
    document, same limits, progress reported, the name given kept."""
    path = CORPUS / "C" / "C02_ru_perechen_elementov_PE3.pdf"
    seen: list[tuple[int, int]] = []
    result = app.ingest_bytes(path.read_bytes(), "Перечень ПЭ3.pdf", progress=lambda done, total: seen.append((done, total)))
    assert (result.status, result.path, result.pages, seen[-1]) == ("ok", "Перечень ПЭ3.pdf", 2, (2, 2))
    assert app.get_document(result.document_id or "").name == "Перечень ПЭ3.pdf"
    again = app.ingest(path)
    assert again.duplicate and again.document_id == result.document_id
    limited = Aizoomdoc(dataclasses.replace(app.settings, max_file_mb=0.01), app.storage)
    assert "over the 0.01 MB limit" in (limited.ingest_bytes(path.read_bytes(), "big.pdf").error or "")


def test_an_unexpected_failure_is_one_line_naming_the_file(
    app: Aizoomdoc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug or a backend's own exception ends that file's ingest with one error line (the
    traceback goes to the debug log only) and leaves nothing behind, so the next file still goes."""
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("reader state lost\nsecond line")

    monkeypatch.setattr(service, "read_isolated", broken)
    path = CORPUS / "C" / "C03_ru_spetsifikatsiya.pdf"
    with caplog.at_level(logging.DEBUG, logger="aizoomdoc.ingest"):
        result = app.ingest(path)
        from_memory = app.ingest_bytes(b"%PDF-1.7 not much", "upload.pdf")
    assert result.status == "error" and result.error == f"{path}: cannot be ingested (RuntimeError: reader state lost)"
    assert from_memory.status == "error" and from_memory.error.startswith("upload.pdf: cannot be ingested")
    assert [r.levelno for r in caplog.records] == [logging.DEBUG, logging.DEBUG]
    assert caplog.records[0].exc_info and _stored(app) == (0, [])


def test_delete_document_removes_rows_and_file(app: Aizoomdoc) -> None:
    document = app.ingest(CORPUS / "C" / "C04_ru_schema_electric_E3.pdf").document_id or ""
    assert app.search("Схема электрическая принципиальная", top=1)
    app.delete_document(document)
    assert app.list_documents() == [] and app.blobs.keys(document_prefix(document)) == []
    assert app.search("Схема электрическая принципиальная", top=1) == []


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.pdf", "con.pdf", "Ч" * 300 + ".pdf", "/abs/path.pdf", "a\x00b\x1f.pdf", "..", ""]
)
def test_hostile_names_stay_inside_their_prefix(app: Aizoomdoc, name: str) -> None:
    result = app.ingest(CORPUS / "C" / "C03_ru_spetsifikatsiya.pdf", name=name)
    assert result.status == "ok"
    document = app.get_document(result.document_id or "")
    assert "\x00" not in document.name and len(document.name) <= 300
    (key,) = app.blobs.keys("documents/")
    assert key.startswith(document_prefix(document.id)) and key.count("/") == 2 and ".." not in key.split("/")


def test_truncated_and_random_files_leave_nothing(app: Aizoomdoc, tmp_path: Path) -> None:
    good = (CORPUS / "A" / "A03_existing_site_plan.pdf").read_bytes()
    cases = {
        "truncated.pdf": good[: len(good) // 3],
        "header-only.pdf": b"%PDF-1.7\n",
        "random.pdf": bytes((i * 7919) % 256 for i in range(50_000)),
        "random.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10,
        "noise.json": b'{"pages": [{"page_number": "x", "blocks": 5}]}',
    }
    outcomes = {}
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = app.ingest(path)
        outcomes[name] = result.status
        if result.status == "error":
            assert "\n" not in (result.error or "") and name in (result.error or "")
    usable = [n for n, s in outcomes.items() if s == "ok"]
    documents, blobs = _stored(app)
    assert documents == len(usable) and len(blobs) == len(usable)
    assert outcomes["header-only.pdf"] == outcomes["random.pdf"] == outcomes["random.png"] == "error"


def test_nul_escapes_in_a_pipeline_json_are_cleaned_not_fatal(app: Aizoomdoc, tmp_path: Path) -> None:
    """A ``\\u0000`` in JSON decodes to NUL, which PostgreSQL refuses in text and jsonb: every
    string stored from a file is cleaned, stamps and metadata as well as block text."""
    data = json.loads((CORPUS / "C" / "C11_ru_133-23-GK-KR3_result.json").read_text(encoding="utf-8"))
    stamped = next(b for page in data["pages"] for b in page["blocks"] if (b.get("stamp_data") or {}).get("document_code"))
    stamped["stamp_data"]["document_code"] = "133/23-\u0000ГК"
    path = tmp_path / "hostile_result.json"
    path.write_text(json.dumps(data, ensure_ascii=True), encoding="utf-8")
    assert "\\u0000" in path.read_text(encoding="utf-8")
    result = app.ingest(path)
    assert result.status == "ok", result.error
    stored = json.dumps([p.to_json() for p in app.document_pages(result.document_id)], ensure_ascii=False)
    assert "133/23-ГК" in stored and "\x00" not in stored and "\\u0000" not in stored


def test_lone_surrogate_escapes_in_a_pipeline_json_are_cleaned_not_fatal(app: Aizoomdoc, tmp_path: Path) -> None:
    """A ``\\ud800`` escape decodes to a lone surrogate, which no UTF-8 encoder takes: in block
    text, in a stamp field and in a block id it becomes U+FFFD instead of refusing the whole file."""
    data = json.loads((CORPUS / "C" / "C11_ru_133-23-GK-KR3_result.json").read_text(encoding="utf-8"))
    blocks = [b for page in data["pages"] for b in page["blocks"]]
    for block in blocks:
        if (block.get("stamp_data") or {}).get("document_code"):
            block["stamp_data"]["document_code"] = "133/23-\ud800ГК"
    texted = next(b for b in blocks if "Содержание тома" in (b.get("ocr_text") or ""))
    texted["ocr_text"] = texted["ocr_text"].replace("Содержание тома", "Содержание \udfff тома")
    texted["id"] = "\udc00" + texted["id"]
    path = tmp_path / "surrogate_result.json"
    path.write_text(json.dumps(data, ensure_ascii=True), encoding="utf-8")
    assert "\\ud800" in path.read_text(encoding="utf-8")
    result = app.ingest(path)
    assert result.status == "ok", result.error
    assert app.get_document(result.document_id or "").metadata["sheet_code"] == "133/23-\ufffdГК"
    (hit,) = [h for h in app.search("Содержание тома", top=50) if "\ufffd" in h.text]
    assert hit.block_id.startswith("\ufffd") and "Содержание \ufffd тома" in hit.text
