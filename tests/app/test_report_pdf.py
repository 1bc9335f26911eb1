"""The PDF report built directly (pure function), read back with pypdf."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from posture_cam.calibration import load_calibration
from posture_cam.exercises import exercises_for
from posture_cam.report_pdf import FontNotFoundError, build_pdf, find_fonts
from posture_cam.session import Session, SessionEntry
from posture_cam.ui.photo_page import PhotoResult


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), re.sub(r"\s+", " ", text)


def test_pdf_names_the_pattern_with_plus_minus_and_units(kept_session: Session) -> None:
    pdf = build_pdf(kept_session, generated=datetime(2026, 3, 4, 9, 30, tzinfo=UTC))
    assert pdf.startswith(b"%PDF-")
    pages, text = _text(pdf)
    assert pages >= 3
    assert "Posture check report" in text
    assert "Increased curve / anterior pelvic tilt" in text
    assert "±" in text and "°" in text
    assert "March 2026" in text  # the date asked for
    assert "not a diagnosis" in text
    variant = kept_session.entries[0].record["model_variant"]
    assert variant == "lite"
    assert f"with the {variant} pose model" in text
    tilt, lordosis = load_calibration().for_variant(variant)
    assert f"{tilt.mae:.1f}°" in text and f"{lordosis.mae:.1f}°" in text
    for ex in exercises_for("increased"):
        assert ex.name in text


def test_pdf_embeds_the_annotated_picture(kept_session: Session) -> None:
    reader = PdfReader(io.BytesIO(build_pdf(kept_session)))
    images = [img for page in reader.pages for img in page.images]
    assert len(images) == 1


def test_pdf_of_an_empty_session_still_explains_itself() -> None:
    pages, text = _text(build_pdf(Session()))
    assert "No results were kept" in text
    assert "What the numbers mean" in text
    assert pages >= 2


def test_pdf_handles_inconclusive_and_imageless_entries(
    front_result: PhotoResult, increased_result: PhotoResult
) -> None:
    session = Session()
    session.add(SessionEntry(record=front_result.record, source="photo"))
    session.add(SessionEntry(record=increased_result.record, source="live",
                             overlay_jpeg=increased_result.overlay_jpeg))
    _, text = _text(build_pdf(session))
    assert "Inconclusive" in text
    assert "What stopped the reading" in text
    assert "live camera" in text


def test_fonts_found_and_missing_font_error_names_the_places(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    fonts = find_fonts()
    assert fonts.regular.name == "DejaVuSans.ttf"
    import posture_cam.report_pdf as rp

    monkeypatch.setattr(rp, "_font_dirs", lambda: [tmp_path])
    with pytest.raises(FontNotFoundError, match=str(tmp_path)):
        rp.find_fonts()
