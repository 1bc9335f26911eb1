"""Guided checks in front of the webcam: timed prompts, a countdown, then the video analysis.

:class:`GuidedRecorder` is the frame callback of a guided check. It walks through the
check's :class:`Step` list on the stream's own clock, draws the current prompt and the
seconds left (and the landmarks it found) on each frame, and measures the frames of the
steps that count with the same per-frame functions as a recorded video
(:func:`posture_cam.guided.range_frame`, :func:`~posture_cam.guided.breathing_frame`,
:func:`~posture_cam.guided.thomas_frame`). After the last step it runs the same analysis as
``posture-cam check`` on what it kept and publishes the result for the page.

No Streamlit here, and the page reads :attr:`GuidedRecorder.state` from its own thread; the
detector comes from a factory, so tests drive the recorder with frames from a file.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

from posture_cam.landmarks import Side
from posture_cam.measure.gates import Finding
from posture_cam.pose.lifecycle import OwnedDetector
from posture_cam.report.guided_record import GuidedCheck, GuidedKind

from .banner import draw_banner
from .detectors import DetectorFactory, VideoDetector
from .timing import StreamClock

if TYPE_CHECKING:
    import av

    from posture_cam.guided import BreathingFrame, RangeFrame
    from posture_cam.measure.thomas import ThomasFrame

__all__ = ["Step", "STEPS", "GuidedLiveState", "GuidedRecorder"]


@dataclass(frozen=True)
class Step:
    """One prompt of a guided check.

    Attributes:
        prompt: what to do (plain ASCII: it is also drawn on the video with OpenCV).
        seconds: how long the step lasts.
        measure: whether its frames are measured (getting into place is not).
        side: for the hip-flexor test, the leg that hangs during this step.
    """

    prompt: str
    seconds: float
    measure: bool
    side: Side | None = None


# The range check finds the still holds itself (as in a video), so every frame after getting
# into place counts; each hold step is long enough for a 3-s still stretch after the move.
STEPS: dict[GuidedKind, tuple[Step, ...]] = {
    "pelvic_tilt_range": (
        Step("Stand side-on, whole body in view, and keep still", 5.0, False),
        Step("Stand relaxed and hold still", 5.0, True),
        Step("Tip your pelvis forward (arch your back) and hold", 6.0, True),
        Step("Tuck your pelvis under (flatten your back) and hold", 6.0, True),
        Step("Stand relaxed again and hold still", 6.0, True),
    ),
    "hip_flexor_test": (
        Step("Lie back, hug your right knee, let your LEFT leg hang", 12.0, False),
        Step("Hold still: left leg hanging", 5.0, True, "left"),
        Step("Swap: turn round so your RIGHT leg hangs nearer the camera", 20.0, False),
        Step("Hold still: right leg hanging", 5.0, True, "right"),
    ),
    "breathing": (
        Step("Side-on, chest and belly in view; keep still", 5.0, False),
        Step("Breathe quietly, as you usually do", 40.0, True),
    ),
}
"""Each guided check's prompts, in order."""

MEASURE_FPS = 10.0
"""Frames measured per second at most: what an uploaded video is thinned to as well."""


@dataclass(frozen=True)
class GuidedLiveState:
    """What the page shows: the step, the countdown, how measuring goes, and the result.

    ``check`` is set when the last step ended and the recording could be measured;
    ``findings`` say why not otherwise (or add cautions).
    """

    step: int = -1
    prompt: str = ""
    remaining_s: float = 0.0
    n_frames: int = 0
    n_measured: int = 0
    measured_per_s: float | None = None
    problem: str | None = None
    done: bool = False
    check: GuidedCheck | None = None
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    published_at: float | None = None


@dataclass
class _Kept:
    """What the measured frames gave so far."""

    range_frames: list[RangeFrame] = field(default_factory=list)
    breathing_frames: list[BreathingFrame] = field(default_factory=list)
    thomas_frames: dict[Side, list[ThomasFrame]] = field(default_factory=dict)
    problems: Counter[str] = field(default_factory=Counter)
    examples: dict[str, Finding] = field(default_factory=dict)

    def problem(self, f: Finding) -> None:
        self.problems[f.code] += 1
        self.examples.setdefault(f.code, f)

    def headline(self) -> tuple[Finding, ...]:
        if not self.problems:
            return ()
        return (self.examples[self.problems.most_common(1)[0][0]],)


class GuidedRecorder:
    """Runs one guided check on a live stream (see the module notes).

    Args:
        kind: which check.
        detector_factory: makes the VIDEO-mode detector, lazily, on the first measured frame.
        variant: the pose model variant (for the calibration, the errors and the record).
        steps: the prompts (:data:`STEPS` of the check by default).
        clock: seconds, for when a state was published (``time.perf_counter``).
    """

    def __init__(
        self,
        kind: GuidedKind,
        detector_factory: DetectorFactory,
        variant: str,
        *,
        steps: tuple[Step, ...] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.kind = kind
        self.variant = variant
        self.steps = steps or STEPS[kind]
        self._factory = detector_factory
        self._detector: OwnedDetector[VideoDetector] | None = None
        self._detector_side: Side | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self._stream = StreamClock()
        self._closed = False
        self._reset()

    def _reset(self) -> None:
        self._t0: int | None = None
        self._last_measured = -1e9
        self._first_measured: int | None = None
        self._kept = _Kept()
        self._n_frames = 0
        self._n_measured = 0
        self._n_looked = 0
        self._state = GuidedLiveState()

    # ---------------------------------------------------------------- page side

    @property
    def state(self) -> GuidedLiveState:
        with self._lock:
            return self._state

    @property
    def closed(self) -> bool:
        return self._closed

    def restart(self) -> None:
        """Start the prompts again from the first step with the next frame."""
        with self._lock:
            self._reset()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._detector is not None:
                self._detector.close()
                self._detector = None

    def age_s(self, state: GuidedLiveState | None = None) -> float:
        s = state if state is not None else self.state
        return float("inf") if s.published_at is None else self._clock() - s.published_at

    # ---------------------------------------------------------------- video side

    def callback(self, frame: av.VideoFrame) -> av.VideoFrame:
        """streamlit-webrtc's ``video_frame_callback``."""
        import av

        raw_ms = (
            float(frame.pts * frame.time_base * 1000)
            if frame.pts is not None and frame.time_base is not None
            else time.monotonic() * 1000.0
        )
        out = self.process(frame.to_ndarray(format="rgb24"), raw_ms)
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    def process(self, rgb: np.ndarray, raw_ms: float) -> np.ndarray:
        """Measure one frame if its step counts and return it with the prompt drawn on it
        (on a copy). Never raises: a failure is published in :attr:`GuidedLiveState.error`."""
        out = np.array(rgb, dtype=np.uint8, copy=True)
        with self._lock:
            if self._closed:
                return out
            try:
                self._process(rgb, out, raw_ms)
            except Exception as exc:  # the video thread must survive any one frame
                self._state = GuidedLiveState(
                    step=self._state.step,
                    prompt=self._state.prompt,
                    error=f"{type(exc).__name__}: {exc}",
                    published_at=self._clock(),
                )
                draw_banner(out, "Processing error - see the page", "error")
        return out

    def _step_at(self, elapsed_s: float) -> tuple[int, float]:
        end = 0.0
        for i, step in enumerate(self.steps):
            end += step.seconds
            if elapsed_s < end:
                return i, end - elapsed_s
        return len(self.steps), 0.0

    def _process(self, rgb: np.ndarray, out: np.ndarray, raw_ms: float) -> None:
        ts, _ = self._stream.tick(raw_ms)
        if self._t0 is None:
            self._t0 = ts
        if self._state.done:
            draw_banner(out, "Done - the result is on the page", "steady")
            self._state = replace(self._state, published_at=self._clock())
            return
        self._n_frames += 1
        index, remaining = self._step_at((ts - self._t0) / 1000.0)
        if index >= len(self.steps):
            self._finish()
            draw_banner(out, "Done - the result is on the page", "steady")
            return
        step = self.steps[index]
        problem: Finding | None = None
        measured = False
        if step.measure and ts - self._last_measured >= 1000.0 / MEASURE_FPS:
            self._last_measured = ts
            if self._first_measured is None:
                self._first_measured = ts
            measured, problem = self._measure(rgb, out, ts, step)
        # Frames looked at per second in the measured steps: on a busy computer the whole
        # pipeline per frame can fall below what the range check's holds need.
        rate = None
        if self._first_measured is not None and ts - self._first_measured >= 2000:
            rate = (self._n_looked - 1) * 1000.0 / (ts - self._first_measured)
        status = "guidance" if problem is not None else "steady" if measured else "waiting"
        text = f"{index + 1}/{len(self.steps)} {step.prompt} - {remaining:.0f} s"
        draw_banner(out, text, status)
        self._state = GuidedLiveState(
            step=index,
            prompt=step.prompt,
            remaining_s=remaining,
            n_frames=self._n_frames,
            n_measured=self._n_measured,
            measured_per_s=rate,
            problem=None if problem is None else f"{problem.message} {problem.hint}".strip(),
            published_at=self._clock(),
        )

    def _measure(
        self, rgb: np.ndarray, out: np.ndarray, ts: int, step: Step
    ) -> tuple[bool, Finding | None]:
        from posture_cam.guided import breathing_frame, range_frame, thomas_frame

        self._n_looked += 1
        if self._detector is not None and step.side != self._detector_side:
            # The VIDEO-mode tracker would start from where the other leg's hold left the
            # body (nothing is detected while the person turns round) and can hold on to a
            # wrong pose; a fresh detector finds the person anew.
            self._detector.close()
            self._detector = None
        if self._detector is None:
            self._detector = OwnedDetector(self._factory())
            self._detector_side = step.side
        detection = self._detector.detector.detect_for_video(rgb, ts)
        if detection.person is not None:
            _draw_points(out, detection.person.xy_px)
        k = self._kept
        ok: bool
        problem: Finding | None
        if self.kind == "pelvic_tilt_range":
            s = range_frame(detection, rgb, float(ts), variant=self.variant)
            k.range_frames.append(s)
            ok, problem = s.ok, s.finding
        elif self.kind == "breathing":
            b = breathing_frame(detection, float(ts), rgb)
            k.breathing_frames.append(b)
            ok, problem = b.ok, b.finding
        else:
            reading = thomas_frame(detection, rgb)
            ok = reading.usable and reading.frame is not None
            blocking = [f for f in reading.findings if f.severity == "block"]
            problem = None if ok else (blocking[0] if blocking else None)
            if ok and reading.frame is not None and step.side is not None:
                k.thomas_frames.setdefault(step.side, []).append(reading.frame)
        if ok:
            self._n_measured += 1
        elif problem is not None:
            k.problem(problem)
        return ok, problem

    def _finish(self) -> None:
        """Analyse what was kept, as for a recorded video, and publish the result."""
        check, findings = self._analyse()
        if self._detector is not None:
            self._detector.close()
            self._detector = None
        self._state = GuidedLiveState(
            step=len(self.steps),
            n_frames=self._n_frames,
            n_measured=self._n_measured,
            done=True,
            check=check,
            findings=findings,
            published_at=self._clock(),
        )

    def _analyse(self) -> tuple[GuidedCheck | None, tuple[Finding, ...]]:
        from posture_cam.guided import breathing_trace, range_config, thomas_errors
        from posture_cam.measure.breathing import analyze_breathing
        from posture_cam.measure.holds import TiltSeries
        from posture_cam.measure.thomas import combine_sides, summarize_side
        from posture_cam.measure.tilt_range import analyze_range
        from posture_cam.report.guided_record import breathing_check, range_check, thomas_check
        from posture_cam.report.guided_text import load_bench_figures

        bench = load_bench_figures(self.variant)
        k = self._kept
        name = "live camera"
        if self.kind == "pelvic_tilt_range":
            fr = k.range_frames
            series = TiltSeries.from_lists(
                [s.t_ms for s in fr],
                [s.tilt_deg for s in fr],
                [s.lordosis_deg for s in fr],
                [s.ok for s in fr],
            )
            outcome = analyze_range(series, range_config(self.variant))
            if outcome.result is None:
                return None, (*k.headline(), *outcome.findings)
            return range_check(outcome.result, name, self.variant, bench), ()
        if self.kind == "breathing":
            bo = analyze_breathing(breathing_trace(k.breathing_frames))
            if bo.result is None:
                return None, (*k.headline(), *bo.findings)
            return breathing_check(bo.result, name, self.variant, bench), ()
        thigh_pm, knee_pm = thomas_errors(self.variant)
        sides = {
            side: summarize_side(
                frames, side=side, thigh_plus_minus_deg=thigh_pm, knee_plus_minus_deg=knee_pm
            )
            for side, frames in k.thomas_frames.items()
            if frames
        }
        if not sides:
            return None, k.headline()
        result = combine_sides(sides.get("left"), sides.get("right"))
        return thomas_check(result, name, self.variant, bench), ()


def _draw_points(out: np.ndarray, xy: np.ndarray) -> None:
    """The landmarks found, as small dots (the live overlay of a guided check)."""
    h, w = out.shape[:2]
    r = max(2, round(min(h, w) / 160))
    for x, y in xy:
        if np.isfinite(x) and np.isfinite(y) and 0 <= x < w and 0 <= y < h:
            cv2.circle(out, (int(x), int(y)), r, (60, 220, 90), -1, cv2.LINE_AA)
