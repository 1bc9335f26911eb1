"""Stream time and pacing for the live view: timestamps, which frames are measured, rates.

Timestamps: MediaPipe's VIDEO mode needs strictly increasing milliseconds, and aiortc restarts
a stream's ``pts`` at 0 after stop/start. :class:`StreamClock` makes its own clock,
``ts = max(raw + offset, last + 1)``, where ``offset`` moves on when the raw clock goes back,
so that a restarted stream keeps real frame spacing.
"""

from __future__ import annotations

import math
import statistics
from collections import deque

import numpy as np

__all__ = ["MEASURE_RATE_HZ", "MeasureSchedule", "RateMeter", "StreamClock"]

MEASURE_RATE_HZ = 8.0
"""Outline measurements (gates, outline, a sample for the smoothing window) per second of
stream time, on average (every frame when slower).

The smoothing still gets the samples it asks for
(:class:`~posture_cam.measure.smoothing.SmoothingConfig`: robust mean and spread of
``min_frames`` = 15): the window reaches back ~1.9 s instead of its nominal 1.5 s to hold
them, as it does at any low frame rate, so a person standing still is steady after ~1.9 s.
Which frames are measured is dithered: MediaPipe's tracking can make consecutive frames of a
still picture alternate between two estimates, and measuring every other frame would alias
that. Why 8 a second (the live view's own work against the landmarker's): bench/README.md."""

_FPS_WINDOW_S = 2.0


class StreamClock:
    """The stream's milliseconds made strictly increasing across restarts of its clock."""

    def __init__(self) -> None:
        self._last_raw: int | None = None
        self._offset = 0
        self._last = -1

    def tick(self, raw_ms: float) -> tuple[int, bool]:
        """The timestamp for a frame stamped ``raw_ms``, and whether the stream restarted.

        A raw clock that goes back means a restart: the timestamps continue after the last
        one, keeping the new stream's own frame spacing. A non-finite stamp counts as one
        millisecond after the last frame.
        """
        if math.isfinite(raw_ms):
            raw = int(raw_ms)
        else:
            raw = self._last_raw + 1 if self._last_raw is not None else 0
        restarted = self._last_raw is not None and raw < self._last_raw
        if restarted:
            self._offset = self._last + 1 - raw
        self._last_raw = raw
        ts = max(raw + self._offset, self._last + 1)
        self._last = ts
        return ts, restarted


class MeasureSchedule:
    """Which frames get measured: a dithered token bucket, ``rate_hz`` a second on average.

    Each measurement costs 1 ± 0.5 tokens (seeded, so a run is reproducible), so that the
    measured frames never lock onto a fixed period of the stream.
    """

    def __init__(self, rate_hz: float) -> None:
        self.rate_hz = float(rate_hz)
        self._prev_ts: int | None = None
        self._tokens = 0.0
        self._rng = np.random.default_rng(0)

    def restart(self) -> None:
        """Measure the next frame (a new stream)."""
        self._prev_ts = None

    def due(self, ts: int) -> bool:
        """Whether the frame at stream time ``ts`` is to be measured."""
        prev, self._prev_ts = self._prev_ts, ts
        if prev is None or ts < prev or not math.isfinite(self.rate_hz):
            self._tokens = 0.0
            return True
        self._tokens = min(self._tokens + (ts - prev) * self.rate_hz / 1000.0, 2.0)
        if self._tokens >= 1.0:
            self._tokens -= 1.0 + float(self._rng.uniform(-0.5, 0.5))
            return True
        return False


class RateMeter:
    """Frames per second over the last ~2 s and the median per-frame work time."""

    def __init__(self) -> None:
        self._times: deque[float] = deque(maxlen=256)
        self._work_ms: deque[float] = deque(maxlen=30)

    def frame_done(self, now_s: float) -> None:
        self._times.append(now_s)
        while len(self._times) > 2 and now_s - self._times[0] > _FPS_WINDOW_S:
            self._times.popleft()

    def work_done(self, ms: float) -> None:
        self._work_ms.append(ms)

    @property
    def fps(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

    @property
    def median_work_ms(self) -> float:
        return statistics.median(self._work_ms) if self._work_ms else math.nan
