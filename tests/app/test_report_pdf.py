"""The PDF report built directly (pure function), read back with pypdf."""

from __future__ import annotations

import io
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from posture_cam.history.baseline import sdc95
from posture_cam.history.repeatability import load_repeatability
from posture_cam.history.store import Check
from posture_cam.history.trend import Trend, compute_trend
from posture_cam.measure.calibration import load_calibration
from posture_cam.report.exercises import exercises_for
from posture_cam.report.pdf import HISTORY_TABLE_ROWS, FontNotFoundError, build_pdf, find_fonts
from posture_cam.report.session import Session, SessionEntry
from posture_cam.types import Measurement
from posture_cam.ui.photo_page import PhotoResult
from tests.records import make_record


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), re.sub(r"\s+", " ", text)


def _page_texts(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in reader.pages]


def _text_after_the_summary(pdf: bytes) -> str:
    return " ".join(_page_texts(pdf)[1:])


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
    variant = kept_session.entries[0].record.model_variant
    assert variant == "lite"
    assert f"with the {variant} pose model" in text
    tilt, lordosis = load_calibration().for_variant(variant)
    assert f"{tilt.mae:.1f}°" in text and f"{lordosis.mae:.1f}°" in text
    for ex in exercises_for("increased"):
        assert ex.name in text


def test_pdf_embeds_the_annotated_picture_on_the_summary_and_in_the_detail(
    kept_session: Session,
) -> None:
    reader = PdfReader(io.BytesIO(build_pdf(kept_session)))
    assert len(reader.pages[0].images) == 1
    assert sum(len(page.images) for page in reader.pages[1:]) == 1


def test_pdf_of_an_empty_session_still_explains_itself() -> None:
    pages, text = _text(build_pdf(Session()))
    assert "No posture results were kept" in text
    assert "What the numbers mean" in text
    assert pages >= 2


def test_pdf_handles_inconclusive_and_imageless_entries(
    front_result: PhotoResult, increased_result: PhotoResult
) -> None:
    session = Session()
    session.add(SessionEntry(record=front_result.record, source="photo"))
    session.add(
        SessionEntry(
            record=increased_result.record,
            source="live",
            overlay_jpeg=increased_result.overlay_jpeg,
        )
    )
    _, text = _text(build_pdf(session))
    assert "Inconclusive" in text
    assert "What stopped the reading" in text
    assert "live camera" in text


def test_fonts_found_and_missing_font_error_names_the_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fonts = find_fonts()
    assert fonts.regular.name == "DejaVuSans.ttf"
    from posture_cam.report import pdf_layout

    monkeypatch.setattr(pdf_layout, "_font_dirs", lambda: [tmp_path])
    with pytest.raises(FontNotFoundError, match=str(tmp_path)):
        find_fonts()


def _history_trend(days: list[tuple[float, float]]) -> Trend:
    """Checks two days apart at fixed times, measured with the full model."""
    t0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    checks = []
    for k, (tilt, lordosis) in enumerate(days):
        record = make_record(tilt, lordosis)
        checks.append(
            Check(
                id=k + 1,
                time=t0 + timedelta(days=2 * k),
                source="photo",
                variant="full",
                measurable=True,
                pattern=record.pattern,
                confidence=0.9,
                pelvic_tilt=Measurement(tilt, 3.6),
                lumbar_lordosis=Measurement(lordosis, 4.3),
                gate_codes=(),
                note=None,
                label=None,
                record=record,
            )
        )
    return compute_trend(checks)


def test_pdf_with_a_history_gives_the_change_from_baseline_and_verdicts(
    kept_session: Session,
) -> None:
    # Baseline = median of the first three (tilt 10.0°, curve 30.0°); then a check within
    # noise and one with the pelvis clearly more anterior (+10°, far beyond the SDC).
    trend = _history_trend([(9.0, 31.0), (10.0, 30.0), (11.0, 29.0), (10.8, 30.4), (20.0, 30.5)])
    # The SEM is the larger of the repeatability measured for photos and the error of a
    # change measured on same-body renders (as an SEM: its SD over the square root of 2).
    change = load_calibration().variant("full").error("pelvic_tilt_deg", "change")
    sem = max(load_repeatability().bench_sem("pelvic_tilt_deg", "full"), change.sd / math.sqrt(2))
    sdc = sdc95(sem)
    pages, text = _text(
        build_pdf(kept_session, history=trend, generated=datetime(2025, 3, 12, 9, 0, tzinfo=UTC))
    )
    assert "Your history" in text
    assert "5 checks saved on this computer" in text
    assert "median of the first 3 good checks" in text
    assert "10.0° ± " in text and "30.0° ± " in text  # the baseline ± SDC
    assert f"±{sdc:.1f}°" in text
    assert "real change (more anterior tilt)" in text  # the latest check's tilt
    assert "+10.0°" in text
    assert "within noise" in text  # its curve, and the 4th check's change
    assert "+0.8° within noise" in text
    assert "Your checks" in text and "Increased" in text
    assert "Increased curve / anterior pelvic tilt" in text  # the kept result still follows
    assert pages >= 4


def test_pdf_history_table_lists_the_last_checks_only() -> None:
    days = [(10.0 + 0.1 * k, 30.0) for k in range(14)]
    pdf = build_pdf(Session(), history=_history_trend(days))
    text = _text_after_the_summary(pdf)
    assert f"Your last {HISTORY_TABLE_ROWS} checks" in text
    first, newest = (datetime(2025, 3, d, 9, 0, tzinfo=UTC).astimezone() for d in (1, 27))
    assert first.strftime("%d %b %Y").lstrip("0") in text  # the chart's first date
    assert newest.strftime("%d %b %Y %H:%M").lstrip("0") in text  # the newest row
    oldest_listed = datetime(2025, 3, 17, 9, 0, tzinfo=UTC).astimezone()  # 14 - 6 = 8th
    assert oldest_listed.strftime("%d %b %Y %H:%M").lstrip("0") in text
    assert len(re.findall(r"\b\d{1,2} Mar 2025 \d\d:\d\d", text)) == HISTORY_TABLE_ROWS


def test_pdf_history_before_a_baseline_says_what_is_missing() -> None:
    _, text = _text(build_pdf(Session(), history=_history_trend([(10.0, 30.0)])))
    assert "No baseline yet: 2 more good checks needed." in text
    assert "real change" not in text
