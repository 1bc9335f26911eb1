"""The PDF's guided-check sections and self-check list, built directly and read back with pypdf."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from pypdf import PdfReader

from posture_cam.measure.thomas import ThomasSide, combine_sides
from posture_cam.report.checklist import CHECKLIST_ITEMS, Checklist
from posture_cam.report.guided_record import breathing_check, range_check, thomas_check
from posture_cam.report.pdf import build_pdf
from posture_cam.report.session import Session
from posture_cam.types import Measurement as M
from tests.unit.test_guided_record import BENCH, _breathing
from tests.unit.test_guided_text import range_result

WHEN = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def _pages(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages]


def _line_segments(pdf: bytes) -> int:
    """Straight segments drawn on every page (PDF's "x y l" operator)."""
    reader = PdfReader(io.BytesIO(pdf))
    ops = 0
    for page in reader.pages:
        data = page.get_contents().get_data().decode("latin-1")  # type: ignore[union-attr]
        ops += len(re.findall(r"[\d.]+ [\d.]+ l\b", data))
    return ops


def _guided_session() -> Session:
    s = Session()
    s.add_guided(range_check(range_result(8.0, 18.0, -2.0), "range.mp4", "lite", BENCH))
    left = ThomasSide("left", M(5.0, 2.0), M(60.0, 3.0), 50.0, "above", "short", 1)
    s.add_guided(thomas_check(combine_sides(left, None), "left.jpg", "full", BENCH))
    s.add_guided(breathing_check(_breathing(), "breathing.mp4", "lite", BENCH))
    return s


def test_pdf_has_a_section_per_guided_check_with_errors_and_sources() -> None:
    text = " ".join(_pages(build_pdf(_guided_session(), generated=WHEN)))
    assert "Guided checks" in text
    for title in ("Pelvic-tilt range", "Hip-flexor test (modified Thomas)", "Breathing"):
        assert title in text
    assert "Whole tilt range" in text and "20.0 ± 0.7°" in text
    assert "Left thigh to horizontal" in text and "(above)" in text
    assert "Breathing rate" in text and "12.0 ± 0.3 a minute" in text
    # The measured error on test material, per check, and the cited work.
    assert "changes off by 5.0° on average" in text
    assert "thigh 1.8°, knee 2.6° on average" in text
    assert "Levine" in text and "Ferber" in text and "Kaneko" in text
    assert "not a diagnosis" in text


def test_breathing_traces_are_drawn_as_a_chart() -> None:
    with_trace = _guided_session()
    without = Session(guided=[g for g in with_trace.guided if g.kind != "breathing"])
    drawn = _line_segments(build_pdf(with_trace, generated=WHEN)) - _line_segments(
        build_pdf(without, generated=WHEN)
    )
    # Two traces of 7 points each: at least 2 x 6 segments more (besides the section's text).
    assert drawn >= 12
    text = " ".join(_pages(build_pdf(with_trace, generated=WHEN)))
    assert "chest in blue, belly in orange" in text


def test_self_check_list_sits_beside_the_results_and_is_never_a_diagnosis() -> None:
    s = _guided_session()
    s.checklist = Checklist.from_keys(["pain_low_back", "leg_length"])
    pages = _pages(build_pdf(s, generated=WHEN))
    text = " ".join(pages)
    assert "Your self-check list" in text
    for item in CHECKLIST_ITEMS:
        assert item.text in text
    assert "☑ Pain in the lower back" in text and "☐ Pain in the knees" in text
    assert "You ticked 2 of the 7 signs the article lists for a tight psoas" in text
    assert "not a diagnosis" in text
    # Before the guided checks' section (the detail; the summary page lists them too).
    detail = " ".join(pages[1:])
    assert detail.index("Your self-check list") < detail.index("Guided checks")


def test_the_summary_page_lists_each_guided_check_with_its_main_results() -> None:
    s = _guided_session()
    first = _pages(build_pdf(s, generated=WHEN))[0]
    assert "Guided checks" in first
    for g in s.guided:
        assert g.title in first
        label, value = g.rows[0]
        assert f"{label}: {value}" in first
    assert "No posture results were kept" in first
    assert "the guided checks with what they suggest" in first
    # No guided check kept: no such block.
    assert "Guided checks" not in _pages(build_pdf(Session(), generated=WHEN))[0]
    # An unanswered list is not shown.
    assert "Your self-check list" not in " ".join(
        _pages(build_pdf(_guided_session(), generated=WHEN))
    )
