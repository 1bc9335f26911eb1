"""The live view's two threads: the video never waits for the analysis, and the analysis
takes the newest frame, dropping the ones that arrived while it was busy (never a queue).

Hand-made detectors that block until the test lets them go make the order of events
deterministic; the waits below only guard against a thread that never runs.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable
from fractions import Fraction

import av
import numpy as np

from posture_cam.live.latest import LatestOnlyWorker
from posture_cam.live.processor import ANALYSIS_THREAD_NAME, LiveProcessor
from posture_cam.types import Detection

WAIT_S = 30.0  # only a thread that never runs gets near this


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.005)


class Recorder:
    """Work that records its items and blocks on the first one until released."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self.started = threading.Event()
        self.release = threading.Event()

    def work(self, item: int) -> None:
        self.started.set()
        self.release.wait(WAIT_S)
        self.items.append(item)


def test_worker_takes_the_newest_item_and_drops_the_rest() -> None:
    rec = Recorder()
    worker: LatestOnlyWorker[int] = LatestOnlyWorker(rec.work, "test-worker")
    worker.submit(0)
    assert rec.started.wait(WAIT_S)  # busy with item 0
    for k in range(1, 6):
        worker.submit(k)  # returns at once; each replaces the one before
    rec.release.set()
    wait_for(lambda: rec.items == [0, 5], "items 0 and 5 are done")
    assert worker.dropped == 4
    worker.close()
    worker.submit(6)  # ignored once closed
    time.sleep(0.05)
    assert rec.items == [0, 5]


def test_worker_survives_failing_work() -> None:
    class Flaky:
        def __init__(self) -> None:
            self.seen: list[int] = []
            self.done: list[int] = []

        def work(self, item: int) -> None:
            self.seen.append(item)
            if item == 0:
                raise RuntimeError("bad item")
            self.done.append(item)

    flaky = Flaky()
    worker: LatestOnlyWorker[int] = LatestOnlyWorker(flaky.work, "test-worker")
    worker.submit(0)
    wait_for(lambda: flaky.seen == [0], "item 0 is taken")
    worker.submit(1)
    wait_for(lambda: flaky.done == [1], "item 1 is done")
    worker.close()


class GatedDetector:
    """Finds nobody; blocks on its first frame until released, and records timestamps."""

    def __init__(self) -> None:
        self.timestamps: list[int] = []
        self.started = threading.Event()
        self.release = threading.Event()

    def detect_for_video(self, rgb: np.ndarray, timestamp_ms: int) -> Detection:
        self.started.set()
        self.release.wait(WAIT_S)
        self.timestamps.append(timestamp_ms)
        return Detection(image_size=(rgb.shape[1], rgb.shape[0]))

    def close(self) -> None:
        self.release.set()


def camera_frame(index: int) -> av.VideoFrame:
    rgb = np.full((480, 640, 3), 200, np.uint8)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    frame.pts = index * 3000  # 30 frames/s on aiortc's 90 kHz clock
    frame.time_base = Fraction(1, 90_000)
    return frame


def test_video_goes_on_while_the_analysis_is_busy() -> None:
    det = GatedDetector()
    proc = LiveProcessor(lambda: det, "lite")
    try:
        first = proc.callback(camera_frame(0))
        assert det.started.wait(WAIT_S)  # the analysis is stuck on frame 0
        for i in range(1, 6):
            out = proc.callback(camera_frame(i))  # each comes back at once, drawn on
            assert (out.width, out.height) == (640, 480)
        assert (first.width, first.height) == (640, 480)
        s = proc.state
        assert s.frames_shown == 6 and s.frames_analysed == 0
        assert s.status == "waiting"
        # The status bar is drawn on every frame shown.
        assert not (out.to_ndarray(format="rgb24")[-5:] == 200).all()
        det.release.set()
        wait_for(lambda: proc.state.frames_analysed == 2, "frames 0 and 5 are analysed")
        # Frame 5 was the newest when the analysis came free; 1 to 4 were dropped.
        assert det.timestamps == [0, 166]
        assert proc.state.status == "guidance"  # nobody found, said on the next frame shown
    finally:
        proc.close()


def test_frames_go_back_in_the_encoders_format_as_drawn() -> None:
    det = GatedDetector()
    det.release.set()
    proc = LiveProcessor(lambda: det, "lite")
    try:
        out = proc.callback(camera_frame(0))
        assert out.format.name == "yuv420p"  # the VP8 encoder takes it as it is
        drawn = proc.state.overlay_rgb
        assert drawn is not None
        back = out.to_ndarray(format="rgb24").astype(int)
        assert np.abs(back - drawn.astype(int)).mean() < 2.0  # colour conversion only
        # I420 needs even sides; an odd-sized frame goes back as RGB, its size kept.
        odd = av.VideoFrame.from_ndarray(np.full((481, 641, 3), 90, np.uint8), format="rgb24")
        odd.pts, odd.time_base = 3000, Fraction(1, 90_000)
        out = proc.callback(odd)
        assert (out.format.name, out.width, out.height) == ("rgb24", 641, 481)
    finally:
        proc.close()


def analysis_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == ANALYSIS_THREAD_NAME}


def _processor_analysing(det: GatedDetector) -> tuple[LiveProcessor, threading.Thread]:
    before = analysis_threads()
    proc = LiveProcessor(lambda: det, "lite")
    proc.callback(camera_frame(0))
    wait_for(lambda: proc.state.frames_analysed == 1, "frame 0 is analysed")
    (thread,) = analysis_threads() - before
    return proc, thread


def test_a_dropped_processor_ends_its_analysis_thread() -> None:
    det = GatedDetector()
    det.release.set()
    proc, thread = _processor_analysing(det)
    del proc
    gc.collect()
    thread.join(WAIT_S)
    assert not thread.is_alive()


def test_close_stops_the_analysis() -> None:
    det = GatedDetector()
    det.release.set()
    proc, thread = _processor_analysing(det)
    proc.close()
    assert not thread.is_alive()
    frame = np.full((480, 640, 3), 200, np.uint8)
    assert proc.draw(frame) is frame  # passes through unchanged
    proc.callback(camera_frame(1))
    time.sleep(0.05)
    assert proc.state.frames_analysed == 1


def test_worker_thread_runs_at_a_lower_priority() -> None:
    class Niceness:
        def __init__(self) -> None:
            self.seen: list[int] = []

        def work(self, item: int) -> None:
            self.seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    rec = Niceness()
    worker: LatestOnlyWorker[int] = LatestOnlyWorker(rec.work, "test-worker", nice=5)
    worker.submit(0)
    wait_for(lambda: len(rec.seen) == 1, "item 0 is done")
    worker.close()
    assert rec.seen == [min(own + 5, 19)]
