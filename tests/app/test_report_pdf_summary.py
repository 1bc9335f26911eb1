"""The PDF's first page is a complete one-page summary, and the whole report stays short."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from posture_cam.history.store import Check
from posture_cam.history.trend import Trend, compute_trend
from posture_cam.report.exercises import exercises_for
from posture_cam.report.pdf import build_pdf
from posture_cam.report.pdf_summary import SUMMARY_TABLE_ROWS
from posture_cam.report.record import ResultRecord
from posture_cam.report.session import Session, SessionEntry
from posture_cam.report.wording import confidence_text, format_measure
from posture_cam.types import Measurement
from posture_cam.ui.photo_page import PhotoResult
from tests.records import make_record

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _pages(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages]


def _session(records: list[ResultRecord], picture: bytes | None) -> Session:
    session = Session()
    for k, record in enumerate(records):
        session.add(
            SessionEntry(
                record=record,
                source="photo",
                overlay_jpeg=picture,
                created=T0 + timedelta(minutes=k),
            )
        )
    return session


def _trend(n: int, latest_tilt: float) -> Trend:
    checks = []
    for k in range(n):
        tilt = latest_tilt if k == n - 1 else 10.0 + 0.2 * (k % 3)
        record = make_record(tilt, 30.0)
        checks.append(
            Check(
                id=k + 1,
                time=T0 + timedelta(days=k),
                source="photo",
                variant="full",
                measurable=True,
                pattern=record.pattern,
                confidence=0.9,
                pelvic_tilt=Measurement(tilt, 3.6),
                lumbar_lordosis=Measurement(30.0, 4.3),
                gate_codes=(),
                note=None,
                label=f"check {k + 1}",
                record=record,
            )
        )
    return compute_trend(checks)


THREE_PATTERNS = [
    make_record(20.0, 45.0, name="duck.jpg"),
    make_record(-5.0, 10.0, name="flat.jpg"),
    make_record(5.0, 23.0, name="neutral_last.jpg"),
]


def test_first_page_holds_result_numbers_pattern_exercises_and_history(
    increased_result: PhotoResult,
) -> None:
    session = _session(THREE_PATTERNS, increased_result.overlay_jpeg)
    pages = _pages(build_pdf(session, history=_trend(8, latest_tilt=22.0)))
    first = pages[0]
    lead = THREE_PATTERNS[-1]  # the latest measured result leads
    assert "Posture check summary" in first
    assert lead.assessment.title in first and lead.assessment.summary in first
    assert format_measure(lead.pelvic_tilt, "°", decimals=0) in first
    assert format_measure(lead.lumbar_lordosis, "°", decimals=0) in first
    assert confidence_text(lead) in first
    for ex in exercises_for(lead.pattern)[:3]:
        assert ex.name in first and ex.dose in first
    for record in THREE_PATTERNS[:2]:  # the others, in the table
        assert record.file in first and record.assessment.title in first
    assert "Your history" in first and "8 saved checks" in first
    assert "real change" in first and "more anterior tilt" in first
    # The detail starts on page 2.
    assert "Every measure" not in first and "Every measure" in " ".join(pages[1:])


def test_three_results_with_a_long_history_fit_in_six_pages(
    increased_result: PhotoResult,
) -> None:
    session = _session(THREE_PATTERNS, increased_result.overlay_jpeg)
    pages = _pages(build_pdf(session, history=_trend(30, latest_tilt=22.0)))
    print(f"\n3 results of 3 patterns with 30 saved checks: {len(pages)} pages")
    assert len(pages) <= 6
    detail = " ".join(pages[1:])
    for record in THREE_PATTERNS:
        assert record.assessment.summary in detail


def test_summary_stays_on_one_page_with_many_results(increased_result: PhotoResult) -> None:
    records = [make_record(20.0 - k, 45.0 - k, name=f"photo_{k:02d}.jpg") for k in range(10)]
    pages = _pages(build_pdf(_session(records, increased_result.overlay_jpeg)))
    first = pages[0]
    hidden = len(records) - SUMMARY_TABLE_ROWS
    assert f"Results 1 to {hidden} are in the detail that follows." in first
    assert records[-1].file in first and records[0].file not in first
    assert pages[1].startswith("Posture check report") and "the detail" in pages[1]


def test_summary_of_unmeasurable_results_says_why() -> None:
    record = make_record(blocked="not_side_view", name="front.jpg")
    first = _pages(build_pdf(_session([record], None)))[0]
    assert "could not be measured" in first and "not_side_view message" in first
    assert "Top three exercises" not in first
