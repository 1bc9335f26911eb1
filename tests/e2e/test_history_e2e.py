"""End to end in headless Chromium: the History page with checks on several days.

The history is filled before the page opens, through the real pipeline (lite model) on the
samples, with fixed dates (``harness.fill_history``): three neutral checks make the
baseline, then the increased-curve sample is a later check. The page must show the
baseline, a "real change" verdict for the last check and the trend charts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posture_cam.history.store import HISTORY_FILE
from posture_cam.pose.models import ModelUnavailableError
from posture_cam.report.record import ResultRecord
from tests.e2e.harness import fill_history, open_page

pytestmark = pytest.mark.e2e


@pytest.fixture()
def filled_history(app_data_dir: Path) -> list[ResultRecord]:
    try:
        records = fill_history(app_data_dir / HISTORY_FILE)
    except ModelUnavailableError as exc:
        pytest.fail(f"the lite pose model is not cached: {exc}")
    assert all(r.measurable for r in records), records
    return records


def test_history_page_shows_the_trend_and_a_real_change(
    page: Any, filled_history: list[ResultRecord]
) -> None:
    open_page(page, "History")
    latest = page.get_by_text("Latest check (#4) against your baseline")
    expect(latest.first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("real change").first).to_be_visible()
    charts = page.get_by_test_id("stVegaLiteChart")
    # Pelvic tilt and lordosis (then the pattern strip); charts draw one after another.
    expect(charts.nth(1)).to_be_visible(timeout=30_000)
