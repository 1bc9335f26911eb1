"""The live view's stream clock and measuring schedule, by hand."""

from __future__ import annotations

import math

import pytest

from posture_cam.live.timing import MeasureSchedule, RateMeter, StreamClock


def test_stream_clock_increases_strictly_and_keeps_spacing_after_a_restart() -> None:
    clock = StreamClock()
    assert [clock.tick(t) for t in (0.0, 33.3, 66.7)] == [(0, False), (33, False), (66, False)]
    assert clock.tick(66.9) == (67, False)  # the same millisecond again: one later
    assert clock.tick(0.0) == (68, True)  # aiortc after Stop/Start: pts from 0 again
    assert clock.tick(33.3) == (101, False)  # the new stream's spacing is kept
    assert clock.tick(math.nan) == (102, False)


def test_measure_schedule_measures_the_first_frame_and_about_the_rate() -> None:
    schedule = MeasureSchedule(8.0)
    due = [schedule.due(round(i * 1000 / 30)) for i in range(300)]  # 10 s at 30 frames/s
    assert due[0]
    assert sum(due) == pytest.approx(80, abs=4)
    schedule.restart()
    assert schedule.due(0)


def test_measure_schedule_with_no_limit_measures_every_frame() -> None:
    schedule = MeasureSchedule(math.inf)
    assert all(schedule.due(i * 33) for i in range(20))


def test_rate_meter_counts_frames_over_the_last_two_seconds() -> None:
    meter = RateMeter()
    assert meter.fps == 0.0 and math.isnan(meter.median_work_ms)
    for i in range(100):
        meter.frame_done(i / 25)  # 25 frames/s for 4 s
        meter.work_done(10.0 + i % 3)
    assert meter.fps == pytest.approx(25.0)
    assert meter.median_work_ms == 11.0
