"""End to end in headless Chromium: the History page with checks on several days.

The history is filled before the page opens, through the real pipeline (lite model) on the
samples, with fixed dates: three neutral checks make the baseline, then the increased-curve
sample is a later check. The page must show the baseline, a "real change" verdict for the
last check and the trend charts; its screenshot goes to ``docs/screenshots/history.png``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posture_cam.history.store import HISTORY_FILE, HistoryStore
from posture_cam.pipeline import analyze_file
from posture_cam.pose.detect import DetectorOptions, PoseDetector
from posture_cam.pose.models import ModelUnavailableError, resolve_model
from posture_cam.report.record import ResultRecord, photo_record
from tests.e2e.harness import SAMPLES, open_page

pytestmark = pytest.mark.e2e

T0 = datetime(2026, 9, 1, 8, 30, tzinfo=UTC)
DAYS = ["neutral_side.jpg", "neutral_side.jpg", "neutral_side.jpg", "increased_curve_side.jpg"]


@pytest.fixture()
def filled_history(app_data_dir: Path) -> list[ResultRecord]:
    try:
        model = resolve_model("lite", allow_network=False)
    except ModelUnavailableError as exc:
        pytest.fail(f"the lite pose model is not cached: {exc}")
    records = []
    with (
        PoseDetector(DetectorOptions(model.path, variant="lite")) as det,
        HistoryStore(app_data_dir / HISTORY_FILE) as store,
    ):
        store.delete_all()
        for k, name in enumerate(DAYS):
            record = photo_record(analyze_file(SAMPLES / name, det), "lite")
            assert record.measurable, record
            store.add(
                record,
                source="photo",
                variant="lite",
                when=T0 + timedelta(days=7 * k),
                label="week " + str(k + 1),
            )
            records.append(record)
    return records


def test_history_page_shows_the_trend_and_a_real_change(
    page: Any, screenshots_dir: Path, filled_history: list[ResultRecord]
) -> None:
    open_page(page, "History")
    latest = page.get_by_text("Latest check (#4) against your baseline")
    expect(latest.first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("real change").first).to_be_visible()
    charts = page.get_by_test_id("stVegaLiteChart")
    # Pelvic tilt and lordosis (then the pattern strip); charts draw one after another.
    expect(charts.nth(1)).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1000)  # let the charts draw
    page.screenshot(path=str(screenshots_dir / "history.png"), full_page=True)
