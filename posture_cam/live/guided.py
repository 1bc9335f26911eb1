"""Guided checks in front of the webcam: timed prompts, a countdown, then the video analysis.

:class:`GuidedRecorder` is the frame callback of a guided check. It walks through the
check's :class:`Step` list on the stream's own clock and draws the current prompt and the
seconds left (and the landmarks found) on each frame. The frames of the steps that count
(at most :data:`MEASURE_FPS` a second of stream time) are

* **recorded**, for the range check (:class:`~.recording.Recording`): each frame goes back
  at once; the newest one is looked at when the recorder's thread is free, for the landmarks
  and what to change. After the last step the recording is measured on that thread by the
  same code as a recorded video (:func:`posture_cam.guided.run_range_check`), so the result
  depends on the frames only, never on how fast the computer is;
* **measured** in the video thread, for the hip-flexor test and breathing, with the same
  per-frame functions as a recorded video (:func:`~posture_cam.guided.thomas_frame`,
  :func:`~posture_cam.guided.breathing_frame`).

After the last step the recorder's thread runs the same analysis as ``posture-cam check`` on
what was kept and publishes the result for the page, with its progress on the way; "Start
the steps again" or closing stops it.

No Streamlit here, and the page reads :attr:`GuidedRecorder.state` from its own thread; the
detectors come from factories, so tests drive the recorder with frames from a file.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple

import cv2
import numpy as np

from posture_cam.landmarks import Side
from posture_cam.measure.gates import Finding
from posture_cam.media.video import FrameThinner, TimedFrame
from posture_cam.pose.lifecycle import OwnedDetector
from posture_cam.report.guided_record import GuidedCheck, GuidedKind

from .banner import draw_banner
from .detectors import DetectorFactory, VideoDetector
from .latest import LatestOnlyWorker
from .processor import ANALYSIS_NICE
from .recording import Recording
from .timing import StreamClock

if TYPE_CHECKING:
    import av

    from posture_cam.guided import BreathingFrame
    from posture_cam.measure.thomas import ThomasFrame

__all__ = ["Step", "STEPS", "MEASURE_FPS", "GuidedLiveState", "GuidedRecorder"]

logger = logging.getLogger(__name__)

THREAD_NAME = "posture_cam-guided-analysis"


@dataclass(frozen=True)
class Step:
    """One prompt of a guided check.

    Attributes:
        prompt: what to do (plain ASCII: it is also drawn on the video with OpenCV).
        seconds: how long the step lasts.
        measure: whether its frames count (getting into place does not).
        side: for the hip-flexor test, the leg that hangs during this step.
    """

    prompt: str
    seconds: float
    measure: bool
    side: Side | None = None


# The range check finds the still holds itself (as in a video), so every frame after getting
# into place is recorded; each hold step is long enough for a 3-s still stretch after the move.
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
"""Frames kept per second of stream time at most: what an uploaded video is thinned to as
well."""


@dataclass(frozen=True)
class GuidedLiveState:
    """What the page shows: the step, the countdown, how measuring goes, and the result.

    After the last step ``analysing`` is True until the result is in (``n_analysed`` of
    ``n_to_analyse`` recorded frames measured so far, for the range check); then ``done``,
    with ``check`` when it could be measured and ``findings`` saying why not otherwise (or
    adding cautions). ``n_measured`` of ``n_frames``: frames measured (the recording's,
    once analysed, for the range check); ``n_recorded``: frames recorded so far.
    """

    step: int = -1
    prompt: str = ""
    remaining_s: float = 0.0
    n_frames: int = 0
    n_measured: int = 0
    n_recorded: int = 0
    problem: str | None = None
    analysing: bool = False
    n_analysed: int = 0
    n_to_analyse: int = 0
    done: bool = False
    check: GuidedCheck | None = None
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    published_at: float | None = None


@dataclass
class _Kept:
    """What the frames measured in the video thread gave so far."""

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


@dataclass(frozen=True, eq=False)
class _Look:
    """The newest recorded frame, for the landmarks and what to change while recording."""

    generation: int
    rgb: np.ndarray
    ts: int


@dataclass(frozen=True, eq=False)
class _Job:
    """What the steps of one run gave, to analyse after the last one."""

    generation: int
    recording: Recording
    kept: _Kept
    n_frames: int
    n_measured: int


class _Feedback(NamedTuple):
    """The latest look: the landmarks found, what to change, whether it could be measured."""

    xy_px: np.ndarray | None
    problem: str | None
    ok: bool


class _Stopped(Exception):
    """The run the analysis belongs to was started again or the recorder closed."""


class GuidedRecorder:
    """Runs one guided check on a live stream (see the module notes).

    Args:
        kind: which check.
        detector_factory: makes the VIDEO-mode detector that measures frames while the
            camera runs (hip-flexor test, breathing) or looks at the newest recorded one
            (range check); lazily, on the first frame that needs it.
        variant: the pose model variant (for the calibration, the errors and the record).
        steps: the prompts (:data:`STEPS` of the check by default).
        recording_detector_factory: makes the VIDEO-mode detector that measures the range
            check's recording after the last step (``detector_factory`` by default).
        clock: seconds, for when a state was published (``time.perf_counter``).

    :meth:`callback` and :meth:`process` are called from one thread at a time (the
    stream's); the looks and the analysis after the last step run on the recorder's own
    thread (:class:`~.latest.LatestOnlyWorker`, at a lower priority than the video);
    :attr:`state`, :meth:`restart` and :meth:`close` may be called from any thread.
    """

    def __init__(
        self,
        kind: GuidedKind,
        detector_factory: DetectorFactory,
        variant: str,
        *,
        steps: tuple[Step, ...] | None = None,
        recording_detector_factory: DetectorFactory | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.kind = kind
        self.variant = variant
        self.steps = steps or STEPS[kind]
        self._factory = detector_factory
        self._recording_factory = recording_detector_factory or detector_factory
        # The video thread's detector (hip-flexor test, breathing) and the looks' (range).
        self._detector: OwnedDetector[VideoDetector] | None = None
        self._detector_side: Side | None = None
        self._look_detector: OwnedDetector[VideoDetector] | None = None
        self._clock = clock
        # _lock guards the state and the run; _work_lock the recorder thread's detectors.
        self._lock = threading.Lock()
        self._work_lock = threading.Lock()
        self._stream = StreamClock()
        self._closed = False
        self._generation = 0
        self._worker: LatestOnlyWorker[_Look | _Job] = LatestOnlyWorker(
            self._work, THREAD_NAME, nice=ANALYSIS_NICE
        )
        # A recorder dropped without close() lets its thread end (not waiting for it here:
        # finalisers may run inside garbage collection).
        weakref.finalize(self, self._worker.close, 0.0)
        self._reset()

    def _reset(self) -> None:
        self._generation += 1  # an analysis still running for the old run stops
        self._t0: int | None = None
        self._finished = False
        self._thinner = FrameThinner(MEASURE_FPS)
        self._recording = Recording(MEASURE_FPS)
        self._feedback: _Feedback | None = None
        self._kept = _Kept()
        self._n_frames = 0
        self._n_measured = 0
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
        """Start the prompts again from the first step with the next frame (an analysis
        still running stops)."""
        with self._lock:
            self._reset()

    def close(self) -> None:
        """Stop the analysis and release the detectors; later frames pass through unchanged.
        Safe to call twice."""
        with self._lock:
            self._closed = True
            self._generation += 1
            self._recording = Recording(MEASURE_FPS)
            if self._detector is not None:
                self._detector.close()
                self._detector = None
        self._worker.close()
        with self._work_lock:
            self._close_look_detector()

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
        """Take one frame (keep or measure it if its step counts) and return it with the
        prompt drawn on it (on a copy). Never raises: a failure is published in
        :attr:`GuidedLiveState.error`."""
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
        if not self._finished:
            self._n_frames += 1
            index, remaining = self._step_at((ts - self._t0) / 1000.0)
            if index < len(self.steps):
                self._take(rgb, out, ts, index, remaining)
                return
            self._finish()
        if self._state.done:
            draw_banner(out, "Done - the result is on the page", "steady")
        else:
            draw_banner(out, "Measuring the recording - see the page", "measuring")
        self._state = replace(self._state, published_at=self._clock())

    def _take(
        self, rgb: np.ndarray, out: np.ndarray, ts: int, index: int, remaining: float
    ) -> None:
        """One frame of step ``index``: kept or measured if the step counts, then drawn on."""
        step = self.steps[index]
        problem: str | None = None
        measured = False
        if step.measure and self.kind == "pelvic_tilt_range":
            if self._recording.offer(rgb, ts):
                self._worker.submit(_Look(self._generation, rgb.copy(), ts))
            if self._feedback is not None:
                if self._feedback.xy_px is not None:
                    _draw_points(out, self._feedback.xy_px)
                problem, measured = self._feedback.problem, self._feedback.ok
        elif step.measure and self._thinner.keep(ts):
            measured, finding = self._measure(rgb, out, ts, step)
            if finding is not None:
                problem = f"{finding.message} {finding.hint}".strip()
        status = "guidance" if problem is not None else "steady" if measured else "waiting"
        text = f"{index + 1}/{len(self.steps)} {step.prompt} - {remaining:.0f} s"
        draw_banner(out, text, status)
        self._state = GuidedLiveState(
            step=index,
            prompt=step.prompt,
            remaining_s=remaining,
            n_frames=self._n_frames,
            n_measured=self._n_measured,
            n_recorded=len(self._recording),
            problem=problem,
            published_at=self._clock(),
        )

    def _measure(
        self, rgb: np.ndarray, out: np.ndarray, ts: int, step: Step
    ) -> tuple[bool, Finding | None]:
        """Measure one frame of the hip-flexor test or breathing in the video thread."""
        from posture_cam.guided import breathing_frame, thomas_frame

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
        if self.kind == "breathing":
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
        """The last step is over: hand what it gave to the recorder's thread to analyse."""
        job = _Job(self._generation, self._recording, self._kept, self._n_frames, self._n_measured)
        self._recording, self._kept = Recording(MEASURE_FPS), _Kept()
        self._finished = True
        self._feedback = None
        if self._detector is not None:
            self._detector.close()
            self._detector = None
        self._state = GuidedLiveState(
            step=len(self.steps),
            n_frames=self._n_frames,
            n_measured=self._n_measured,
            n_recorded=len(job.recording),
            analysing=True,
            n_to_analyse=len(job.recording),
            published_at=self._clock(),
        )
        self._worker.submit(job)

    # ---------------------------------------------------------------- recorder's thread

    def _current(self, generation: int) -> bool:
        with self._lock:
            return not self._closed and generation == self._generation

    def _work(self, item: _Look | _Job) -> None:
        with self._work_lock:
            if not self._current(item.generation):
                return
            if isinstance(item, _Look):
                self._look(item)
            else:
                self._close_look_detector()
                self._run_job(item)

    def _close_look_detector(self) -> None:
        if self._look_detector is not None:
            self._look_detector.close()
            self._look_detector = None

    def _look(self, look: _Look) -> None:
        """What the newest recorded frame shows: the landmarks and what to change."""
        from posture_cam.guided import range_frame

        if self._look_detector is None:
            self._look_detector = OwnedDetector(self._factory(), owner=self)
        detection = self._look_detector.detector.detect_for_video(look.rgb, look.ts)
        s = range_frame(detection, look.rgb, float(look.ts), variant=self.variant)
        problem = None if s.ok or s.finding is None else s.finding
        feedback = _Feedback(
            None if detection.person is None else detection.person.xy_px,
            None if problem is None else f"{problem.message} {problem.hint}".strip(),
            s.ok,
        )
        with self._lock:
            if look.generation == self._generation:
                self._feedback = feedback

    def _run_job(self, job: _Job) -> None:
        """Analyse one run's frames and publish the result, unless the run was left."""
        error: str | None = None
        check: GuidedCheck | None = None
        findings: tuple[Finding, ...] = ()
        n_frames, n_measured = job.n_frames, job.n_measured
        try:
            if self.kind == "pelvic_tilt_range":
                check, findings, n_frames, n_measured = self._analyse_recording(job)
            else:
                check, findings = self._analyse(job.kept)
        except _Stopped:
            return
        except Exception as exc:  # the page says so; the thread goes on with the next run
            logger.exception("analysing a guided check failed")
            error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            if self._closed or job.generation != self._generation:
                return
            self._state = GuidedLiveState(
                step=len(self.steps),
                n_frames=n_frames,
                n_measured=n_measured,
                n_recorded=len(job.recording),
                n_analysed=len(job.recording),
                n_to_analyse=len(job.recording),
                done=True,
                check=check,
                findings=findings,
                error=error,
                published_at=self._clock(),
            )

    def _analyse_recording(
        self, job: _Job
    ) -> tuple[GuidedCheck | None, tuple[Finding, ...], int, int]:
        """The range check on the recording, as on a recorded video: the check, the
        findings, and how many frames there were and could be measured."""
        from posture_cam.guided import range_config, run_range_check
        from posture_cam.report.guided_record import range_check
        from posture_cam.report.guided_text import load_bench_figures

        detector = OwnedDetector(self._recording_factory(), owner=self)
        try:
            run = run_range_check(
                self._replay(job),
                detector.detector,
                variant=self.variant,
                config=range_config(self.variant),
            )
        finally:
            detector.close()
        r = run.outcome.result
        bench = load_bench_figures(self.variant)
        check = None if r is None else range_check(r, "live camera", self.variant, bench)
        return check, run.findings, run.tally.n_frames, run.tally.n_measured

    def _replay(self, job: _Job) -> Iterator[TimedFrame]:
        """The recording's frames, publishing how far the analysis got; stops when the run
        is left."""
        for i, frame in enumerate(job.recording.frames()):
            with self._lock:
                if self._closed or job.generation != self._generation:
                    raise _Stopped
                self._state = replace(self._state, n_analysed=i)
            yield frame

    def _analyse(self, k: _Kept) -> tuple[GuidedCheck | None, tuple[Finding, ...]]:
        """The hip-flexor test or breathing on the frames measured while the camera ran."""
        from posture_cam.guided import breathing_trace, thomas_errors
        from posture_cam.measure.breathing import analyze_breathing
        from posture_cam.measure.thomas import combine_sides, summarize_side
        from posture_cam.report.guided_record import breathing_check, thomas_check
        from posture_cam.report.guided_text import load_bench_figures

        bench = load_bench_figures(self.variant)
        name = "live camera"
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
