"""Guided checks in the history: saved with their series, charted per check on History."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from posture_cam.history.store import HistoryStore
from posture_cam.measure.thomas import ThomasSide, combine_sides
from posture_cam.report.guided_record import range_check, thomas_check
from posture_cam.types import Measurement as M
from tests.unit.test_guided_record import BENCH
from tests.unit.test_guided_text import range_result

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _history_app() -> None:
    from posture_cam.ui.history_page import render_history_page

    render_history_page()


def test_guided_series_are_saved_read_back_and_deleted(history_dir: Path) -> None:
    with HistoryStore() as store:
        for day, tucked in enumerate((-2.0, -4.0, -6.0)):
            check = range_check(range_result(8.0, 18.0, tucked), "range.mp4", "lite", BENCH)
            store.add_guided(check, when=T0 + timedelta(days=day))
        left = ThomasSide("left", M(5.0, 2.0), M(60.0, 3.0), 50.0, "above", "short", 1)
        store.add_guided(thomas_check(combine_sides(left, None), "l.jpg", "full", BENCH))
        points = store.guided_series("pelvic_tilt_range")
        assert [p.series["Whole tilt range (°)"][0] for p in points] == [20.0, 22.0, 24.0]
        assert points[0].time == T0 and points[0].variant == "lite"
        (thomas,) = store.guided_series("hip_flexor_test")
        # Only the side measured has a series.
        assert set(thomas.series) == {"Left thigh to horizontal (°)", "Left knee bend (°)"}
        assert store.guided_series("breathing") == []
        store.delete_all()
        assert store.guided_series("pelvic_tilt_range") == []


def test_history_page_charts_each_guided_check(history_dir: Path) -> None:
    with HistoryStore() as store:
        for day in range(2):
            check = range_check(range_result(8.0, 18.0, -2.0 - day), "r.mp4", "lite", BENCH)
            store.add_guided(check, when=T0 + timedelta(days=day))
    at = AppTest.from_function(_history_app, default_timeout=30).run()
    assert not at.exception
    assert "No checks saved yet" in at.info[0].value  # no posture check saved
    assert [h.value for h in at.subheader] == ["Guided checks"]
    assert any(m.value == "**Pelvic-tilt range** (2 saved)" for m in at.markdown)
    assert len(at.get("vega_lite_chart")) == 1
