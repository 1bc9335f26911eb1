"""Live video: every camera frame shown with the latest overlay; pose analysis on the newest.

:class:`LiveProcessor` does two jobs on two threads, so that a slow analysis makes the numbers
a little older instead of making the picture stutter:

* the **video** (streamlit-webrtc's frame callback, :meth:`LiveProcessor.callback`): every
  frame gets the latest overlay and the status bar drawn on it and goes straight back to the
  browser, at the camera's rate;
* the **analysis** (a thread of its own, :class:`~.latest.LatestOnlyWorker`): whenever it is
  free it takes the newest frame (older ones are dropped, never queued)::

      frame -> detect_for_video -> gates, metrics (analyze_detection) -> smoother

It publishes a :class:`~.state.LiveState` (smoothed numbers with ±, assessment, steady flag,
guidance, both rates, the latest overlay frame) under a lock; the page reads it with
:attr:`LiveProcessor.state` from its own thread. :meth:`LiveProcessor.process` does both jobs
on one frame in the caller's thread (tests, benchmarks). No Streamlit here: the detectors
come from factories passed to the constructor (:mod:`.detectors`), so tests drive the
processor with hand-made frames.

Keeping up with the camera: the VIDEO-mode landmarker tracks one person, a separate
IMAGE-mode check looks for a second person now and then (:class:`~.detectors.PeopleCheck`),
and the outline is measured at most :data:`~.timing.MEASURE_RATE_HZ` times a second, with the
gates (the overlay shows the last measured outline while the person is in view); the
landmarks run on every analysed frame.

Timestamps: MediaPipe's VIDEO mode needs strictly increasing milliseconds, and aiortc restarts
a stream's ``pts`` at 0 after stop/start; :class:`~.timing.StreamClock` keeps the processor's
own clock, and a restart starts a new smoothing window.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import cv2
import numpy as np

from posture_cam.landmarks import Side
from posture_cam.measure.calibration import Calibration, load_calibration
from posture_cam.measure.classify import Assessment, classify, classify_values
from posture_cam.measure.gates import GateReport, with_findings
from posture_cam.measure.smoothing import (
    DEFAULT_CONFIG,
    EMPTY_SUMMARY,
    FrameSample,
    Guidance,
    SmoothingConfig,
    WindowSmoother,
    WindowSummary,
)
from posture_cam.media.draw import draw_overlay
from posture_cam.pipeline import analyze_detection
from posture_cam.pose.lifecycle import OwnedDetector
from posture_cam.types import Pose, PostureMetrics

from .banner import banner_text, draw_banner
from .detectors import (
    PEOPLE_CHECK_EVERY_MS,
    DetectorFactory,
    PeopleCheck,
    PeopleDetectorFactory,
    VideoDetector,
    people_detector_factory,
    video_detector_factory,
)
from .latest import LatestOnlyWorker
from .state import SMOOTHED_FIELDS, LiveState, smoothed_metrics
from .timing import MEASURE_RATE_HZ, MeasureSchedule, RateMeter, StreamClock

if TYPE_CHECKING:
    import av

__all__ = ["LiveProcessor", "frame_sample", "processor_for"]

logger = logging.getLogger(__name__)

TILT, LORDOSIS = "pelvic_tilt_deg", "lumbar_lordosis_deg"

ANALYSIS_THREAD_NAME = "posture_cam-live-analysis"
ANALYSIS_NICE = 10
"""The analysis thread's niceness (and so MediaPipe's threads, which it starts): on a machine
short of CPU the video's threads (decoding, drawing, encoding) go first, so the picture keeps
the camera's rate and its delay stays short while the numbers come less often
(bench/README.md, live_browser.py)."""

OUTLINE_HINT = (
    "Wear fitted clothes, tie long hair up, let your arms hang at your sides and "
    "stand in front of a plain background."
)


def frame_sample(
    timestamp_ms: float,
    gates: GateReport,
    metrics: PostureMetrics | None,
    assessment: Assessment,
) -> FrameSample:
    """One frame's result as the smoother's input.

    A frame passes when the gates passed, the outline was measured without flags and pelvic
    tilt and lordosis are finite; otherwise its headline problem becomes the guidance.
    """
    if (
        gates.passed
        and metrics is not None
        and metrics.reliable
        and math.isfinite(metrics.pelvic_tilt_deg.value)
        and math.isfinite(metrics.lumbar_lordosis_deg.value)
    ):
        values: dict[str, float] = {}
        pms: dict[str, float] = {}
        for name in SMOOTHED_FIELDS:
            m = getattr(metrics, name)
            values[name] = m.value
            pms[name] = m.plus_minus
        return FrameSample(float(timestamp_ms), True, values, pms)
    if not gates.passed:
        f = gates.blocking[0]
        guidance = Guidance(f.code, f.message, f.hint)
    else:
        code = metrics.flags[0] if metrics is not None and metrics.flags else "no_outline"
        message = (
            assessment.problems[0]
            if assessment.problems
            else "The back outline could not be measured."
        )
        guidance = Guidance(code, message, OUTLINE_HINT)
    return FrameSample(float(timestamp_ms), False, guidance=guidance)


class _View(NamedTuple):
    """What the video draws until the next analysis: the landmarks of the newest analysed
    frame, the outline of the latest measurement (None unless it passed) and the near side."""

    person: Pose | None = None
    outline: PostureMetrics | None = None
    side: Side | None = None


class LiveProcessor:
    """Shows one live stream's frames with the latest overlay and analyses the newest of them.

    Args:
        detector_factory: makes a VIDEO-mode detector; called once, lazily, on the first
            frame (in the video thread, so the page does not wait for the model to load).
        variant: the model variant, for the calibration and the record.
        people_detector_factory: makes the IMAGE-mode detector that looks for a second
            person every ``people_check_every_ms`` of stream time (the VIDEO-mode one tracks
            a single person); None turns the check off. While a check has found several
            people, every measurement fails with that finding.
        people_check_every_ms: how often to look for a second person.
        measure_rate_hz: the gates and the outline are run (and a sample added to the
            smoothing window) at most this many times per second of stream time; the
            landmarks run on every analysed frame (see :data:`MEASURE_RATE_HZ`).
        config: smoothing settings.
        calibration: fitted estimates (the packaged ones by default).
        clock: seconds, for the frame rates, the work time and when a state was published
            (``time.perf_counter``); tests pass their own.

    :meth:`callback`, :meth:`draw` and :meth:`process` are called from one thread at a time
    (the stream's); :meth:`analyse` runs on the analysis thread (or in :meth:`process`);
    :attr:`state`, :meth:`age_s` and :meth:`close` may be called from any thread. The
    detectors are closed by :meth:`close`, or on a background thread if the processor is
    dropped without it (:mod:`posture_cam.pose.lifecycle`).
    """

    def __init__(
        self,
        detector_factory: DetectorFactory,
        variant: str,
        *,
        people_detector_factory: PeopleDetectorFactory | None = None,
        people_check_every_ms: float = PEOPLE_CHECK_EVERY_MS,
        measure_rate_hz: float = MEASURE_RATE_HZ,
        config: SmoothingConfig = DEFAULT_CONFIG,
        calibration: Calibration | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.variant = variant
        self.config = config
        self._factory = detector_factory
        self._calibration = calibration or load_calibration()
        self._clock = clock
        self._detector: OwnedDetector[VideoDetector] | None = None
        self._people = (
            None
            if people_detector_factory is None
            else PeopleCheck(people_detector_factory, people_check_every_ms)
        )
        self._stream_clock = StreamClock()
        self._schedule = MeasureSchedule(measure_rate_hz)
        self._smoother = WindowSmoother(config)
        self._rates = RateMeter()
        self._video_rates = RateMeter()
        # The latest measurement, shown until the next one: the window's verdict, its call,
        # the metrics whose outline is drawn (None unless that frame passed) and the side.
        self._summary: WindowSummary = EMPTY_SUMMARY
        self._assessment: Assessment | None = None
        self._outline_shown: PostureMetrics | None = None
        self._near_side: Side | None = None
        # The latest frame that passed, for the record.
        self._passed_metrics: PostureMetrics | None = None
        self._passed_gates: GateReport | None = None
        self._frames_analysed = 0
        self._frames_shown = 0
        self._closed = False
        self._logged_error = False
        self._logged_draw_error = False
        self._work_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._state = LiveState(variant=variant)
        self._view = _View()
        self._analysis: LatestOnlyWorker[tuple[np.ndarray, float]] = LatestOnlyWorker(
            self._analyse_item, ANALYSIS_THREAD_NAME, nice=ANALYSIS_NICE
        )
        # A processor dropped without close() lets its thread end (not waiting for it here:
        # finalisers may run inside garbage collection).
        weakref.finalize(self, self._analysis.close, 0.0)

    # ---------------------------------------------------------------- page side

    @property
    def state(self) -> LiveState:
        """The latest published state (an immutable snapshot)."""
        with self._state_lock:
            return self._state

    def age_s(self, state: LiveState | None = None) -> float:
        """Seconds on this processor's clock since ``state`` (default: the latest) was
        published; infinite before the first frame."""
        s = state if state is not None else self.state
        return math.inf if s.published_at is None else self._clock() - s.published_at

    def close(self) -> None:
        """Stop the analysis and release the detectors; later frames pass through unchanged.
        Safe to call twice."""
        self._analysis.close()
        with self._work_lock:
            self._closed = True
            if self._detector is not None:
                self._detector.close()
                self._detector = None
            if self._people is not None:
                self._people.close()

    @property
    def closed(self) -> bool:
        return self._closed

    # ---------------------------------------------------------------- video side

    def callback(self, frame: av.VideoFrame) -> av.VideoFrame:
        """streamlit-webrtc's ``video_frame_callback``: an ``av.VideoFrame`` in and out.

        Hands a copy of the frame to the analysis thread and returns the frame at once with
        the latest overlay drawn on it, in I420 (``yuv420p``, what the VP8 encoder takes)
        when its sides are even, else in RGB.
        """
        import av

        raw_ms = (
            float(frame.pts * frame.time_base * 1000)
            if frame.pts is not None and frame.time_base is not None
            else time.monotonic() * 1000.0
        )
        # to_ndarray makes a fresh array, ours to draw on. The analysis gets its own copy
        # rather than converting the frame itself: PyAV's conversions of one frame from two
        # threads at once hang (they share the frame's scaler).
        rgb = frame.to_ndarray(format="rgb24")
        self._analysis.submit((rgb.copy(), raw_ms))
        out = self.draw(rgb, in_place=True)
        if out.shape[0] % 2 or out.shape[1] % 2:  # I420 needs even sides: the encoder converts
            return av.VideoFrame.from_ndarray(out, format="rgb24")
        # Handed back in the VP8 encoder's own format (I420): OpenCV converts a 640 × 480
        # frame in ~0.3 ms, where the encoder's own conversion of an RGB frame (PyAV's
        # swscale) takes ~3.5 ms on every frame's way to the browser (bench/README.md).
        yuv = np.asarray(cv2.cvtColor(out, cv2.COLOR_RGB2YUV_I420), dtype=np.uint8)
        return av.VideoFrame.from_ndarray(yuv, format="yuv420p")

    def _analyse_item(self, item: tuple[np.ndarray, float]) -> None:
        self.analyse(*item)

    def process(
        self, frame_rgb: np.ndarray, timestamp_ms: float, *, in_place: bool = False
    ) -> np.ndarray:
        """Analyse one (H, W, 3) uint8 RGB frame and return it annotated, in this thread.

        :meth:`analyse` then :meth:`draw`; see there.
        """
        self.analyse(frame_rgb, timestamp_ms)
        return self.draw(frame_rgb, in_place=in_place)

    def analyse(self, frame_rgb: np.ndarray, timestamp_ms: float) -> None:
        """Run pose analysis on one (H, W, 3) uint8 RGB frame and publish the result.

        The frame is only read. Never raises on a bad frame or a pipeline failure: the error
        is logged and published in :attr:`LiveState.error` (the video shows an error bar).
        """
        with self._work_lock:
            if self._closed:
                return
            start = self._clock()
            ts, restarted = self._stream_clock.tick(timestamp_ms)
            if restarted:
                self._start_new_window()
            error: str | None = None
            assessment: Assessment | None
            try:
                view, summary, assessment = self._run(frame_rgb, ts)
            except Exception as exc:  # the analysis must survive any one frame
                if not self._logged_error:
                    logger.exception("live frame analysis failed")
                    self._logged_error = True
                error = f"{type(exc).__name__}: {exc}"
                view = self._view
                summary = self._state.summary
                assessment = self._state.assessment
            self._frames_analysed += 1
            now = self._clock()
            self._rates.frame_done(now)
            self._rates.work_done((now - start) * 1000.0)
            prev = self._state
            if summary is prev.summary:
                # Unmeasured frame: the last measured metrics and the window are unchanged.
                metrics = prev.metrics
            elif self._passed_metrics is not None and summary.values:
                metrics = smoothed_metrics(self._passed_metrics, summary)
            else:
                metrics = None
            with self._state_lock:
                self._view = view
                self._state = dataclasses.replace(
                    self._state,
                    frames_analysed=self._frames_analysed,
                    analysis_fps=self._rates.fps,
                    analysis_ms=self._rates.median_work_ms,
                    timestamp_ms=ts,
                    summary=summary,
                    metrics=metrics,
                    gates=self._passed_gates,
                    assessment=assessment,
                    error=error,
                    published_at=self._clock(),
                )

    def draw(self, frame_rgb: np.ndarray, *, in_place: bool = False) -> np.ndarray:
        """The latest overlay and the status bar drawn on one (H, W, 3) uint8 RGB frame.

        With ``in_place`` the overlay is drawn on ``frame_rgb`` itself (when it is a
        writable C-contiguous array), which saves a copy of the frame; the caller must not
        use or change the frame afterwards (it becomes :attr:`LiveState.overlay_rgb`).
        Otherwise ``frame_rgb`` is left as it was. A closed processor returns the frame as
        it is. Never raises: a frame that cannot be drawn on is returned as it came.
        """
        if self._closed:
            return frame_rgb
        with self._state_lock:
            view, s = self._view, self._state
        try:
            out = draw_overlay(
                frame_rgb, view.person, view.outline, side=view.side, in_place=in_place
            )
            self._frames_shown += 1
            self._video_rates.frame_done(self._clock())
            fps = self._video_rates.fps
            text = banner_text(s.status, s.summary, s.assessment, fps, s.error)
            under = draw_banner(out, text, s.status)
        except Exception:  # the video must survive any one frame
            if not self._logged_draw_error:
                logger.exception("drawing on a live frame failed")
                self._logged_draw_error = True
            return frame_rgb
        with self._state_lock:
            self._state = dataclasses.replace(
                self._state,
                frames_shown=self._frames_shown,
                video_fps=fps,
                overlay_rgb=out,
                under_banner_rgb=under,
                published_at=self._clock(),
            )
        return out

    def _start_new_window(self) -> None:
        """A restarted stream: forget the smoothing window and measure its first frame."""
        self._smoother.reset()
        self._summary, self._assessment, self._outline_shown = EMPTY_SUMMARY, None, None
        self._schedule.restart()

    def _video_detector(self) -> VideoDetector:
        if self._detector is None:
            self._detector = OwnedDetector(self._factory(), owner=self)
        return self._detector.detector

    def _run(
        self, frame_rgb: np.ndarray, ts: int
    ) -> tuple[_View, WindowSummary, Assessment | None]:
        detection = self._video_detector().detect_for_video(frame_rgb, ts)
        person = detection.person
        if not self._schedule.due(ts):
            # New landmarks only: the outline shown, and the gates' verdict that lets it be
            # shown, are refreshed at the measuring rate.
            shown = self._outline_shown if person is not None else None
            return _View(person, shown, self._near_side), self._summary, self._assessment
        gates, metrics, frame_assessment = analyze_detection(
            detection, variant=self.variant, calibration=self._calibration
        )
        crowd = self._people.finding(frame_rgb, ts) if self._people is not None else None
        if crowd is not None and person is not None:
            gates = with_findings(gates, crowd)
            metrics = None
            frame_assessment = classify(gates, None)
        sample = frame_sample(ts, gates, metrics, frame_assessment)
        summary = self._smoother.add(sample)
        if sample.passed and metrics is not None:
            self._passed_metrics, self._passed_gates = metrics, gates
        values = summary.values
        if TILT in values and LORDOSIS in values:
            assessment = classify_values(
                values[TILT].as_measurement(),
                values[LORDOSIS].as_measurement(),
                confidence=self._calibration.variant(self.variant).confidence,
            )
        elif not gates.passed:
            assessment = classify(gates, None)
        else:
            assessment = frame_assessment
        self._outline_shown = (
            smoothed_metrics(metrics, summary) if sample.passed and metrics else None
        )
        self._near_side = gates.near_side
        self._summary, self._assessment = summary, assessment
        return _View(person, self._outline_shown, gates.near_side), summary, assessment


def processor_for(variant: str) -> LiveProcessor:
    """The processor the Live check page runs for a model variant: the VIDEO-mode tracker of
    one person and the periodic several-people check, both from the local model cache."""
    return LiveProcessor(
        video_detector_factory(variant),
        variant,
        people_detector_factory=people_detector_factory(variant),
    )
