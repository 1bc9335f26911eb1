"""The History page's charts, table and kept pictures, and the baseline it shares with the
Report page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from posture_cam.history.store import ENV_DATA_DIR, HISTORY_FILE, Check, HistoryStore
from posture_cam.history.trend import compute_trend
from posture_cam.report.session import Session
from posture_cam.ui import state
from posture_cam.ui.history_page import (
    history_table_rows,
    metric_chart,
    pattern_chart,
    time_axis,
)
from tests.records import make_record

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path))
    return tmp_path


def _fill(path: Path, days: list[tuple[float, float]], step: timedelta, **extra: Any) -> None:
    with HistoryStore(path) as store:
        for k, (tilt, lordosis) in enumerate(days):
            store.add(
                make_record(tilt, lordosis),
                source="photo",
                variant="full",
                when=T0 + k * step,
                label=f"check {k + 1}",
                **extra,
            )


def _checks(path: Path) -> list[Check]:
    with HistoryStore(path) as store:
        return store.list()


def _axis(times: list[datetime]) -> dict[str, Any]:
    x, _ = time_axis(pd.Series(pd.to_datetime(times, utc=True)))
    return x.to_dict()["axis"]


def test_same_day_checks_get_hours_and_minutes_not_seconds() -> None:
    axis = _axis([T0, T0 + timedelta(seconds=40), T0 + timedelta(minutes=3)])
    assert axis["format"] == "%H:%M"
    assert axis["tickCount"] == {"interval": "minute", "step": 15}
    day = T0.astimezone().strftime("%d %B %Y").lstrip("0")
    assert axis["title"] == day  # the day once, as the axis title


@pytest.mark.parametrize(
    ("span", "fmt", "interval"),
    [
        (timedelta(hours=6), "%H:%M", "hour"),
        (timedelta(days=6), "%d %b", "day"),
        (timedelta(days=40), "%d %b", "week"),
        (timedelta(days=200), "%b %Y", "month"),
    ],
)
def test_longer_spans_get_days_weeks_or_months(span: timedelta, fmt: str, interval: str) -> None:
    axis = _axis([T0, T0 + span])
    assert (axis["format"], axis["tickCount"]["interval"]) == (fmt, interval)


def test_error_bars_and_band_fit_inside_the_chart(data_dir: Path) -> None:
    # The last check's bar (46.5 ± 8°) reaches above every point: it must not be cut off.
    _fill(data_dir / HISTORY_FILE, [(5, 15), (5, 15), (5, 15), (14, 46.5)], timedelta(days=7))
    checks = _checks(data_dir / HISTORY_FILE)
    trend = compute_trend(checks)
    chart = metric_chart(trend, "lumbar_lordosis_deg")
    assert chart is not None
    spec = chart.to_dict()
    domains = [
        layer["encoding"]["y"]["scale"]["domain"]
        for layer in spec["layer"]
        if "scale" in layer["encoding"].get("y", {})
    ]
    assert domains and all(d == domains[0] for d in domains)  # one shared range
    lo, hi = domains[0]
    rows = [r for r in trend.rows() if r["metric"] == "lumbar_lordosis_deg"]
    assert hi >= max(r["upper"] for r in rows) and lo <= min(r["lower"] for r in rows)
    assert hi >= max(r["baseline_upper"] for r in rows if r["baseline_upper"] is not None)
    assert spec["layer"][0]["encoding"]["x"]["scale"]["padding"] > 0  # edge points not cut


def test_points_are_not_called_baseline_before_there_is_one(data_dir: Path) -> None:
    _fill(data_dir / HISTORY_FILE, [(5, 15), (6, 16)], timedelta(days=1))
    trend = compute_trend(_checks(data_dir / HISTORY_FILE))
    assert trend.baseline is None
    chart = metric_chart(trend, "pelvic_tilt_deg")
    assert chart is not None
    points = chart.to_dict()["layer"][-1]
    assert points["encoding"]["color"]["scale"]["domain"] == ["no baseline yet"]
    assert pattern_chart(trend) is not None


def test_table_shows_label_and_picture_up_front(data_dir: Path) -> None:
    _fill(data_dir / HISTORY_FILE, [(5, 15)], timedelta(days=1), image_jpeg=b"\xff\xd8\xff jpeg")
    checks = _checks(data_dir / HISTORY_FILE)
    [row] = history_table_rows(checks, compute_trend(checks))
    assert list(row)[:3] == ["ID", "Date", "Label"]
    assert row["Label"] == "check 1" and row["Picture"] == "kept"


def _page() -> None:
    from posture_cam.ui.history_page import render_history_page

    render_history_page()


def test_page_shows_the_kept_pictures_with_their_labels(
    data_dir: Path, increased_jpeg: bytes
) -> None:
    _fill(data_dir / HISTORY_FILE, [(5, 15), (6, 16)], timedelta(days=1))
    with HistoryStore(data_dir / HISTORY_FILE) as store:
        store.add(
            make_record(7, 17),
            source="photo",
            variant="full",
            when=T0 + timedelta(days=2),
            label="after stretching",
            image_jpeg=increased_jpeg,
        )
    at = AppTest.from_function(_page).run()
    assert not at.exception
    assert any(s.value == "Pictures you kept" for s in at.subheader)
    [image] = at.get("image")
    assert "after stretching" in image.captions[0]


@pytest.fixture
def increased_jpeg(increased_result: Any) -> bytes:
    jpeg = increased_result.overlay_jpeg
    assert jpeg is not None
    return bytes(jpeg)


def _report() -> None:
    from posture_cam.ui.report_page import render_report_page

    render_report_page()


def test_report_uses_the_baseline_picked_on_the_history_page(data_dir: Path) -> None:
    _fill(data_dir / HISTORY_FILE, [(5, 15), (9, 25), (9, 25)], timedelta(days=7))
    at = AppTest.from_function(_report)
    at.session_state[state.KEY_SESSION] = Session()
    at.run()
    text = "\n".join(m.value for m in at.markdown)
    assert "median of the first 3 good checks" in text  # the default
    assert "latest check is part of the baseline" in text
    at.session_state[state.KEY_HISTORY_BASELINE] = (1, None, None)
    at.run()
    text = "\n".join(m.value for m in at.markdown)
    assert "median of the first good check" in text
    assert "real change" in text  # the 9° checks against the single 5° baseline
