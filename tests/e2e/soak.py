"""The live check left running: server memory, CPU and the live panel read at intervals.

Used by ``tests/e2e/test_soak.py`` (2 minutes, in CI) and ``bench/soak_live.py`` (as long as
asked, with the speed figures). What a reading holds: the server's resident memory and CPU
(streamlit and its children, from /proc) and what the live panel shows (frame rate,
per-frame time, frames since Start).
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tests.e2e.harness import (
    AppServer,
    HarnessError,
    cpu_seconds,
    load_average,
    read_live_line,
    rss_mb,
    start_camera,
    stop_camera,
)

__all__ = ["SOAK_HEADER", "SoakResult", "SoakSample", "soak", "soak_row"]


@dataclass(frozen=True)
class SoakSample:
    """One reading of the soak: server memory and CPU, and what the live panel showed."""

    t_s: float
    rss_mb: float
    cpu_pct: float
    fps: float  # NaN when the panel showed no live rate (camera stopped or stalled)
    ms_per_frame: float
    frames: int | None  # frames processed since Start, as the panel says; None: no reading
    line: str
    # Server CPU time per frame processed since the previous reading (all its work: WebRTC,
    # pipeline, page). Unlike the wall-clock time per frame it hardly changes when other
    # processes take the CPU, so it tells work that grows from a machine that got busier.
    cpu_ms_per_frame: float = math.nan
    load: float = math.nan  # 1-minute load average


@dataclass
class SoakResult:
    samples: list[SoakSample]
    warmup_s: float
    load_start: str
    load_end: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def after_warmup(self) -> list[SoakSample]:
        return [s for s in self.samples if s.t_s >= self.warmup_s]

    @property
    def stalls(self) -> list[SoakSample]:
        """Readings after which no frame was processed since the one before (or none at all)."""
        out = []
        prev: int | None = None
        for s in self.samples:
            if s.frames is None or (prev is not None and s.frames <= prev):
                out.append(s)
            if s.frames is not None:
                prev = s.frames
        return out

    @property
    def growth_mb(self) -> float:
        w = self.after_warmup
        return w[-1].rss_mb - w[0].rss_mb if len(w) >= 2 else math.nan

    @property
    def slope_mb_per_10min(self) -> float:
        """Least-squares slope of RSS over time after the warm-up."""
        w = self.after_warmup
        if len(w) < 3:
            return math.nan
        t = np.array([s.t_s for s in w])
        y = np.array([s.rss_mb for s in w])
        return float(np.polyfit(t, y, 1)[0] * 600.0)

    def _third_median(self, which: int, attr: str) -> float:
        w = [s for s in self.after_warmup if math.isfinite(s.ms_per_frame)]
        k = max(1, len(w) // 3)
        part = w[:k] if which == 0 else w[-k:]
        values = [v for s in part if math.isfinite(v := getattr(s, attr))]
        return statistics.median(values) if values else math.nan

    @property
    def latency_first_ms(self) -> float:
        """Median per-frame time shown on the page, first third of the readings."""
        return self._third_median(0, "ms_per_frame")

    @property
    def latency_last_ms(self) -> float:
        return self._third_median(2, "ms_per_frame")

    @property
    def latency_ratio(self) -> float:
        return self.latency_last_ms / self.latency_first_ms

    @property
    def cpu_per_frame_ratio(self) -> float:
        """Server CPU ms per frame, last third against first third."""
        return self._third_median(2, "cpu_ms_per_frame") / self._third_median(0, "cpu_ms_per_frame")

    def latency_verdict(
        self, max_ratio: float = 1.5, max_cpu_ratio: float = 1.25
    ) -> tuple[bool, str]:
        """Whether the per-frame time grew, and the numbers that say so.

        It grew when the last third's median per-frame time on the page is more than
        ``max_ratio`` × the first third's, unless the server's CPU time per frame stayed
        within ``max_cpu_ratio`` (then the frames took longer because other processes took
        the CPU, not because each frame needed more work).
        """
        ratio, cpu = self.latency_ratio, self.cpu_per_frame_ratio
        text = (
            f"per-frame time {self.latency_first_ms:.1f} -> {self.latency_last_ms:.1f} ms "
            f"(x{ratio:.2f}), server CPU per frame x{cpu:.2f}, load average "
            f"{self._third_median(0, 'load'):.2f} -> {self._third_median(2, 'load'):.2f}"
        )
        if not math.isfinite(ratio):
            return True, "no per-frame time to compare: " + text
        if ratio <= max_ratio:
            return False, text
        if math.isfinite(cpu) and cpu <= max_cpu_ratio:
            return False, text + " (slower from other load, not more work per frame)"
        return True, text

    @property
    def median_fps(self) -> float:
        rates = [s.fps for s in self.after_warmup if math.isfinite(s.fps)]
        return statistics.median(rates) if rates else math.nan


SOAK_HEADER = (
    f"{'t (s)':>6} {'RSS MB':>8} {'ΔMB':>7} {'CPU %':>6} {'CPU ms/fr':>9} "
    f"{'frames/s':>8} {'ms/frame':>8} {'frames':>8} {'load':>5}  page"
)


def soak_row(s: SoakSample, first_rss: float) -> str:
    frames = "-" if s.frames is None else str(s.frames)
    return (
        f"{s.t_s:6.0f} {s.rss_mb:8.1f} {s.rss_mb - first_rss:+7.1f} {s.cpu_pct:6.0f} "
        f"{s.cpu_ms_per_frame:9.1f} {s.fps:8.1f} {s.ms_per_frame:8.1f} {frames:>8} "
        f"{s.load:5.2f}  {s.line[:60]}"
    )


def soak(
    page: Any,
    server: AppServer,
    duration_s: float,
    *,
    interval_s: float = 10.0,
    warmup_s: float = 20.0,
    first_frame_timeout_s: float = 180.0,
    on_sample: Callable[[SoakSample], None] | None = None,
) -> SoakResult:
    """Start the camera on Live check and take a reading every ``interval_s`` for
    ``duration_s``.

    Time 0 is the first time the live panel shows a processed frame after Start (the first
    frames include loading the model). The camera is stopped at the end.

    Raises:
        HarnessError: no frame was processed within ``first_frame_timeout_s`` of Start.
    """
    result = SoakResult([], warmup_s, load_average())
    start_camera(page)
    deadline = time.monotonic() + first_frame_timeout_s
    while (first := read_live_line(page)) is None or first.frames < 1:
        if time.monotonic() > deadline:
            raise HarnessError(
                f"the live panel showed no processed frame within {first_frame_timeout_s:.0f} "
                f"s of Start:\n{server.log_tail()}"
            )
        page.wait_for_timeout(500)
    t0 = time.monotonic()
    prev_t, prev_cpu = t0, cpu_seconds(server.pids)
    prev_frames: int | None = first.frames
    k = 0
    while True:
        reading = read_live_line(page)
        now = time.monotonic()
        pids = server.pids
        cpu = cpu_seconds(pids)
        frames = reading.frames if reading is not None else None
        new_frames = frames - prev_frames if frames is not None and prev_frames is not None else 0
        sample = SoakSample(
            t_s=now - t0,
            rss_mb=rss_mb(pids),
            cpu_pct=100.0 * (cpu - prev_cpu) / max(now - prev_t, 1e-6) if k else math.nan,
            fps=reading.fps if reading is not None else math.nan,
            ms_per_frame=reading.ms_per_frame if reading is not None else math.nan,
            frames=frames,
            line=" ".join(reading.line.split()) if reading is not None else "(no live rate)",
            cpu_ms_per_frame=1000.0 * (cpu - prev_cpu) / new_frames if new_frames > 0 else math.nan,
            load=os.getloadavg()[0],
        )
        result.samples.append(sample)
        if on_sample is not None:
            on_sample(sample)
        prev_t, prev_cpu = now, cpu
        if frames is not None:
            prev_frames = frames
        if server.process.poll() is not None:
            result.notes.append(f"the server exited with {server.process.returncode}")
            break
        if now - t0 >= duration_s - 0.5:
            break
        k += 1
        page.wait_for_timeout(max(0.0, (t0 + k * interval_s - time.monotonic()) * 1000))
    result.load_end = load_average()
    try:
        stop_camera(page)
    except Exception as exc:  # noqa: BLE001 - the numbers are in; report and go on
        result.notes.append(f"could not press Stop: {exc}")
    return result
