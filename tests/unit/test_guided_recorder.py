"""The live guided recorder's threads (posture_cam.live.guided) with hand-made detectors.

The video never waits for the pose model: every due frame of the range check is recorded
while looking at the newest one falls behind, the recording is measured in full after the
last step, and starting again or closing stops that analysis and lets the recording go.
Detectors that block until the test lets them through make the order of events
deterministic; the waits only guard against a thread that never runs.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable

import numpy as np

from posture_cam.live.guided import THREAD_NAME, GuidedLiveState, GuidedRecorder, Step
from posture_cam.live.recording import Recording
from posture_cam.types import Detection

WAIT_S = 30.0  # only a thread that never runs gets near this
FRAME = np.full((48, 64, 3), 120, np.uint8)
# One second to get into place, then two of recording: 20 frames at 10 a second.
STEPS = (Step("get ready", 1.0, False), Step("hold", 2.0, True))


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.005)


class GatedDetector:
    """Finds nobody; each frame waits until the gate is open; records its timestamps."""

    def __init__(self, *, open_gate: bool = False) -> None:
        self.timestamps: list[int] = []
        self.entered = threading.Event()
        self.gate = threading.Event()
        if open_gate:
            self.gate.set()
        self.closed = False

    def detect_for_video(self, rgb: np.ndarray, timestamp_ms: int) -> Detection:
        self.entered.set()
        assert self.gate.wait(WAIT_S)
        self.timestamps.append(timestamp_ms)
        return Detection(image_size=(rgb.shape[1], rgb.shape[0]))

    def close(self) -> None:
        self.closed = True


def recorder(look: GatedDetector, measure: GatedDetector) -> GuidedRecorder:
    return GuidedRecorder(
        "pelvic_tilt_range",
        lambda: look,
        "lite",
        steps=STEPS,
        recording_detector_factory=lambda: measure,
    )


def run_the_steps(rec: GuidedRecorder) -> None:
    """A 30-a-second camera through both steps and one frame past them."""
    for k in range(91):  # 0 .. 3000 ms
        out = rec.process(FRAME, round(k * 1000 / 30))
        assert out.shape == FRAME.shape


def recordings_with_frames() -> list[Recording]:
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, Recording) and len(o)]


def wait_done(rec: GuidedRecorder) -> GuidedLiveState:
    wait_for(lambda: rec.state.done, "the analysis publishes its result")
    return rec.state


def test_every_due_frame_is_recorded_while_the_looks_fall_behind() -> None:
    look = GatedDetector()  # stuck on the first frame it looks at
    measure = GatedDetector(open_gate=True)
    rec = recorder(look, measure)
    try:
        for k in range(90):  # the steps, 0 .. 2967 ms
            rec.process(FRAME, round(k * 1000 / 30))
        assert look.entered.wait(WAIT_S)
        s = rec.state
        assert s.step == 1 and s.n_recorded == 20 and not s.analysing
        assert look.timestamps == []  # no look has finished, yet every frame came back
        rec.process(FRAME, 3000)  # the steps are over
        s = rec.state
        assert s.analysing and (s.n_analysed, s.n_to_analyse) == (0, 20) and not s.done
        look.gate.set()
        s = wait_done(rec)
        # The recording is measured in full, at its own times from its first frame.
        assert measure.timestamps == list(range(0, 2000, 100))
        assert (s.n_frames, s.n_measured, s.n_analysed) == (20, 0, 20)
        assert s.check is None and s.findings[0].code == "no_person"
        # The stuck look and at most the newest frame after it; its detector let go when
        # the analysis began, the analysis's own at its end.
        assert len(look.timestamps) <= 2 and look.closed and measure.closed
        wait_for(lambda: not recordings_with_frames(), "the recording is let go")
    finally:
        rec.close()


def test_start_again_stops_the_analysis_and_lets_the_recording_go() -> None:
    look = GatedDetector(open_gate=True)
    measure = GatedDetector()  # the analysis is stuck on its first frame
    rec = recorder(look, measure)
    try:
        run_the_steps(rec)
        assert measure.entered.wait(WAIT_S)
        assert rec.state.analysing
        rec.restart()
        s = rec.state
        assert s.step == -1 and not s.analysing and not s.done
        measure.gate.set()
        wait_for(lambda: measure.closed, "the analysis stops and lets its detector go")
        assert measure.timestamps == [0]  # it stopped after the frame in hand
        wait_for(lambda: not recordings_with_frames(), "the recording is let go")
        assert not rec.state.done and rec.state.step == -1
        # The steps begin anew with the next frame.
        rec.process(FRAME, 5000)
        assert rec.state.step == 0
    finally:
        rec.close()


def test_closing_during_the_analysis_ends_its_thread() -> None:
    look = GatedDetector(open_gate=True)
    measure = GatedDetector()
    before = {t for t in threading.enumerate() if t.name == THREAD_NAME}
    rec = recorder(look, measure)
    run_the_steps(rec)
    assert measure.entered.wait(WAIT_S)
    (thread,) = {t for t in threading.enumerate() if t.name == THREAD_NAME} - before
    # The frame in hand finishes a little after close() is called, as a real one would.
    threading.Timer(0.2, measure.gate.set).start()
    rec.close()
    assert not thread.is_alive()
    assert measure.timestamps == [0] and measure.closed
    assert look.closed or not look.entered.is_set()  # the looks may all have been dropped
    assert rec.closed and not rec.state.done
    assert not recordings_with_frames()
    out = rec.process(FRAME, 4000)
    assert (out == FRAME).all()  # later frames pass through unchanged


def test_recording_keeps_due_frames_shrunk_with_times_from_the_first() -> None:
    rec = Recording(10.0, max_side_px=32)
    picture = np.zeros((48, 64, 3), np.uint8)
    picture[:, :32] = (200, 30, 30)  # red on the left: the channel order must survive
    kept = [rec.offer(picture, t) for t in (1000, 1033, 1066, 1100, 1133, 1250)]
    assert kept == [True, False, False, True, False, True] and len(rec) == 3
    assert 0 < rec.nbytes < 3 * picture.nbytes
    frames = list(rec.frames())
    assert [f.t_ms for f in frames] == [0, 100, 250]
    assert frames[0].rgb.shape == (24, 32, 3) and frames[0].rgb.dtype == np.uint8
    left = frames[0].rgb[:, :12].reshape(-1, 3).mean(axis=0)
    assert np.abs(left - (200, 30, 30)).max() < 8
