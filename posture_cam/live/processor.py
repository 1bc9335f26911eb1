"""Live video: one frame in, an annotated frame out, and the latest steady result for the page.

:class:`LiveProcessor` is what the webcam's frame callback calls, in the video thread::

    frame -> detect_for_video -> gates, metrics (analyze_detection) -> smoother -> overlay

It publishes a :class:`LiveState` (smoothed numbers with ±, assessment, steady flag, guidance,
frame rate, the latest overlay) under a lock; the page reads it with
:attr:`LiveProcessor.state` from its own thread. No Streamlit here: the detectors come from
factories passed to the constructor, so tests drive the processor with hand-made frames.

Keeping up with the camera: the VIDEO-mode landmarker tracks one person
(:data:`LIVE_NUM_POSES`), a separate IMAGE-mode check looks for a second person every
:data:`PEOPLE_CHECK_EVERY_MS`, and the outline is measured at most :data:`MEASURE_RATE_HZ`
times a second, with the gates (the overlay shows the last measured outline while the
person is in view); the landmarks and the overlay run on every frame.

Timestamps: MediaPipe's VIDEO mode needs strictly increasing milliseconds, and aiortc restarts
a stream's ``pts`` at 0 after stop/start. The processor keeps its own clock,
``ts = max(raw + offset, last + 1)``, where ``offset`` moves on when the raw clock goes back,
so that a restarted stream keeps real frame spacing (and the smoothing window starts afresh).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import cv2
import numpy as np

from posture_cam.landmarks import Side
from posture_cam.measure.calibration import Calibration, load_calibration
from posture_cam.measure.classify import Assessment, classify, classify_values
from posture_cam.measure.gates import Finding, GateReport, check_detection
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
from posture_cam.report.record import METRIC_LABELS, result_record
from posture_cam.types import Detection, PostureMetrics

if TYPE_CHECKING:
    import av

__all__ = [
    "SMOOTHED_FIELDS",
    "VideoDetector",
    "PeopleDetector",
    "DetectorFactory",
    "PeopleDetectorFactory",
    "LIVE_NUM_POSES",
    "PEOPLE_CHECK_EVERY_MS",
    "MEASURE_RATE_HZ",
    "people_detector_factory",
    "LiveState",
    "LiveProcessor",
    "frame_sample",
    "smoothed_metrics",
    "live_record",
    "video_detector_factory",
    "encode_jpeg",
    "parse_ice_servers",
]

logger = logging.getLogger(__name__)

# Every Measurement of PostureMetrics is smoothed (names as in the report's tables).
SMOOTHED_FIELDS: tuple[str, ...] = tuple(METRIC_LABELS)
TILT, LORDOSIS = "pelvic_tilt_deg", "lumbar_lordosis_deg"

OUTLINE_HINT = (
    "Wear fitted clothes, tie long hair up, let your arms hang at your sides and "
    "stand in front of a plain background."
)

# Short texts for the banner on the video (the page shows the full message and hint).
BANNER_TEXT: dict[str, str] = {
    "no_person": "No one in view: stand side-on, whole body in the picture",
    "several_people": "Only one person in view, please",
    "body_cropped": "Step back: whole body, ears to toes, in view",
    "not_side_view": "Turn side-on to the camera",
    "person_too_small": "Come closer to the camera",
    "not_standing": "Stand upright and relaxed",
    "no_outline": "Body outline not found: plain background, fitted clothes",
    "outline_gaps": "Back outline unclear: fitted clothes, hair tied up",
    "arm_behind_back": "Let your arms hang at your sides",
    "measuring": "Measuring... hold still",
    "hold_still": "Hold still...",
}
_BANNER_RGB = {
    "steady": (30, 150, 70),
    "measuring": (200, 140, 0),
    "unsteady": (200, 140, 0),
    "guidance": (190, 50, 45),
    "waiting": (90, 90, 90),
    "error": (150, 0, 0),
}
_FPS_WINDOW_S = 2.0


class VideoDetector(Protocol):
    """What the processor needs from a detector (:class:`posture_cam.pose.detect.PoseDetector`)."""

    def detect_for_video(self, rgb: np.ndarray, timestamp_ms: int) -> Detection: ...

    def close(self) -> None: ...


class PeopleDetector(Protocol):
    """An IMAGE-mode detector that looks for several people (for the periodic check)."""

    def detect(self, rgb: np.ndarray) -> Detection: ...

    def close(self) -> None: ...


DetectorFactory = Callable[[], VideoDetector]
PeopleDetectorFactory = Callable[[], PeopleDetector]

LIVE_NUM_POSES = 1
"""Poses the VIDEO-mode landmarker tracks. With 2, MediaPipe runs its person detector on
every frame to look for the second one (lite at 640 × 480 on 2 cores: ~35 ms a frame instead
of ~15 ms), so the live view tracks one person and looks for others every
:data:`PEOPLE_CHECK_EVERY_MS` with a separate IMAGE-mode detector instead."""

PEOPLE_CHECK_EVERY_MS = 5000.0
"""How often (stream time) the IMAGE-mode detector looks for a second person.

One check costs about two lite landmarker frames (~30 ms), i.e. ~0.2 ms a frame on average
at this period. Someone already in view when the stream starts is found on its first frame;
someone who steps in later is found within 5 s (2.5 s on average), and from then on every
measurement fails with "several people" until a check finds one person again."""

MEASURE_RATE_HZ = 8.0
"""Outline measurements (gates, outline, a sample for the smoothing window) per second of
stream time, on average (every frame when slower).

A measurement costs ~2-3 ms on top of the landmarker; at 8 a second the live view's own
work adds ~8 % to the lite landmarker's time (bench/live_fps.py: 10 a second ~10-11 %,
12 ~13 %), within the 10 % it may take. The smoothing still gets the samples it asks for
(:class:`~posture_cam.measure.smoothing.SmoothingConfig`: robust mean and spread of ``min_frames``
= 15): the window reaches back ~1.9 s instead of its nominal 1.5 s to hold them, as it does
at any low frame rate, so a person standing still is steady after ~1.9 s (12 a second:
~1.3 s). Which frames are measured is dithered: MediaPipe's tracking can make consecutive
frames of a still picture alternate between two estimates, and measuring every other frame
would alias that."""


def video_detector_factory(
    variant: str, model_path: str | None = None, *, num_poses: int = LIVE_NUM_POSES
) -> DetectorFactory:
    """A factory for a VIDEO-mode :class:`PoseDetector` of the given model variant.

    The model is looked up in the cache (or ``model_path``) when the factory is called, never
    downloaded: :func:`posture_cam.pose.models.resolve_model` with ``allow_network=False``.
    """

    def make() -> VideoDetector:
        from posture_cam.pose.detect import DetectorOptions, PoseDetector
        from posture_cam.pose.models import resolve_model

        model = resolve_model(variant, model_path, allow_network=False)
        return PoseDetector(
            DetectorOptions(
                model.path, mode="video", num_poses=num_poses, variant=model.variant or variant
            )
        )

    return make


def people_detector_factory(variant: str, model_path: str | None = None) -> PeopleDetectorFactory:
    """A factory for the IMAGE-mode detector of the periodic several-people check.

    It asks for two poses and no segmentation mask (only the count and size matter).
    """

    def make() -> PeopleDetector:
        from posture_cam.pose.detect import DetectorOptions, PoseDetector
        from posture_cam.pose.models import resolve_model

        model = resolve_model(variant, model_path, allow_network=False)
        return PoseDetector(
            DetectorOptions(
                model.path,
                mode="image",
                num_poses=2,
                segmentation_masks=False,
                variant=model.variant or variant,
            )
        )

    return make


def encode_jpeg(rgb: np.ndarray, quality: int = 85) -> bytes:
    """JPEG bytes of an (H, W, 3) uint8 RGB image."""
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    )
    if not ok:
        raise ValueError("could not encode the image as JPEG")
    return buf.tobytes()


@dataclasses.dataclass(frozen=True, eq=False)
class LiveState:
    """What the page shows: the latest published result of the live stream.

    Attributes:
        variant: the pose-model variant in use ("lite", "full", ...).
        frames_processed: frames run through the pipeline since the processor was made.
        fps: frames processed per second over the last ~2 s of wall-clock time.
        process_ms: median time of the per-frame work over the last frames, milliseconds.
        timestamp_ms: the latest frame's (monotonic) stream time.
        summary: the smoothing window's verdict (status, smoothed values, guidance).
        metrics: the latest measured frame's metrics with the smoothed values (value ±
            spread and calibration error) in place of the frame's own; None until measured.
        gates: the gates of that measured frame (side, facing) for the record.
        assessment: classification of the smoothed pelvic tilt and lordosis, or the latest
            frame's (inconclusive) assessment when there is nothing to smooth.
        overlay_rgb: the latest annotated frame (not copied; never modified afterwards).
        under_banner_rgb: the bottom rows of that frame as they were before the status bar
            was drawn over them (for :attr:`snapshot_jpeg`).
        error: the last processing error, if the pipeline failed on the latest frame.
        published_at: ``time.monotonic()`` when this state was published (0 before the
            first frame), so the page can tell a stopped camera from a live one.
    """

    variant: str
    frames_processed: int = 0
    fps: float = 0.0
    process_ms: float = math.nan
    timestamp_ms: int | None = None
    summary: WindowSummary = EMPTY_SUMMARY
    metrics: PostureMetrics | None = None
    gates: GateReport | None = None
    assessment: Assessment | None = None
    overlay_rgb: np.ndarray | None = None
    under_banner_rgb: np.ndarray | None = None
    error: str | None = None
    published_at: float = 0.0

    def age_s(self, now: float | None = None) -> float:
        """Seconds since this state was published (inf before the first frame)."""
        if self.published_at == 0.0:
            return math.inf
        return (time.monotonic() if now is None else now) - self.published_at

    @property
    def steady(self) -> bool:
        return self.summary.steady and self.metrics is not None and self.assessment is not None

    @property
    def status(self) -> str:
        return "error" if self.error else self.summary.status

    @property
    def guidance(self) -> Guidance | None:
        return self.summary.guidance

    @cached_property
    def snapshot_jpeg(self) -> bytes | None:
        """The latest overlay frame, without the status bar, as JPEG bytes.

        Encoded on first use (not on every frame), then cached.
        """
        if self.overlay_rgb is None:
            return None
        img = self.overlay_rgb
        under = self.under_banner_rgb
        if under is not None and 0 < under.shape[0] <= img.shape[0]:
            img = img.copy()
            img[img.shape[0] - under.shape[0] :] = under
        return encode_jpeg(img)


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


def smoothed_metrics(frame_metrics: PostureMetrics, summary: WindowSummary) -> PostureMetrics:
    """``frame_metrics`` with every smoothed value (and its ±) in place of the frame's own.

    The frame's outline geometry (for drawing) and side are kept.
    """
    updates: dict[str, Any] = {
        name: sv.as_measurement() for name, sv in summary.values.items() if name in SMOOTHED_FIELDS
    }
    return dataclasses.replace(frame_metrics, **updates) if updates else frame_metrics


def live_record(state: LiveState, name: str) -> dict[str, Any] | None:
    """The JSON-ready record of a steady live result (None when it is not steady).

    Same shape as a photo's (:func:`posture_cam.report.record.result_record`), plus how it was
    measured: model variant, frames in the window, its length and the frame rate.
    """
    if not state.steady or state.metrics is None or state.gates is None:
        return None
    assert state.assessment is not None  # implied by steady
    s = state.summary
    return result_record(
        name,
        state.gates,
        state.metrics,
        state.assessment,
        model_variant=state.variant,
        live_frames=s.n_frames,
        live_window_s=round(s.span_ms / 1000.0, 2),
        live_fps=round(state.fps, 1),
    )


def _banner_text(
    state_status: str,
    summary: WindowSummary,
    assessment: Assessment | None,
    fps: float,
    error: str | None,
) -> str:
    if error:
        text = "Processing error - see the page"
    elif state_status == "steady" and assessment is not None:
        text = f"STEADY: {assessment.title} - press Keep"
    elif state_status == "waiting":
        text = "Starting..."
    else:
        g = summary.guidance
        text = BANNER_TEXT.get(g.code, g.message) if g is not None else "Measuring..."
    if fps > 0:
        text = f"{text}   {fps:.0f} fps"
    return text.encode("ascii", "replace").decode("ascii")


def _draw_banner(img: np.ndarray, text: str, status: str) -> np.ndarray:
    """A coloured strip with one line of text along the bottom of ``img`` (in place).

    Returns a copy of the rows it covers, as they were (for a snapshot without the banner).
    """
    h, w = img.shape[:2]
    strip = _banner_strip(text, status, w, h)
    under = img[h - strip.shape[0] :].copy()
    img[h - strip.shape[0] :] = strip
    return under


@functools.lru_cache(maxsize=32)
def _banner_strip(text: str, status: str, w: int, h: int) -> np.ndarray:
    """The banner's rows for a ``w`` × ``h`` frame, drawn once per text (read-only).

    The strip is opaque, so pasting a cached one gives the same pixels as drawing it again;
    its text changes a few times a second at most, and drawing it on every frame cost
    ~0.15 ms.
    """
    font = cv2.FONT_HERSHEY_SIMPLEX
    size = max(0.45, min(h, w) / 900)
    thick = 1 if size < 0.7 else 2
    (tw, th), base = cv2.getTextSize(text, font, size, thick)
    # Cut long texts to the frame width, keeping at least 8 characters and "..." (longer than
    # 11 to start with, so that every cut shortens it: on a frame a few pixels wide the text
    # never fits, and the loop must still end).
    while tw > w - 16 and len(text) > 11:
        text = text[: max(8, int(len(text) * (w - 16) / tw) - 3)] + "..."
        (tw, th), base = cv2.getTextSize(text, font, size, thick)
    bar = min(th + base + 14, h)
    strip = np.empty((bar, w, 3), np.uint8)
    strip[:] = _BANNER_RGB.get(status, (90, 90, 90))
    cv2.putText(strip, text, (8, bar - base - 7), font, size, (255, 255, 255), thick, cv2.LINE_AA)
    strip.flags.writeable = False
    return strip


class LiveProcessor:
    """Runs the per-frame pipeline for one live stream and publishes the latest state.

    Args:
        detector_factory: makes a VIDEO-mode detector; called once, lazily, on the first
            frame (in the video thread, so the page does not wait for the model to load).
        variant: the model variant, for the calibration and the record.
        people_detector_factory: makes the IMAGE-mode detector that looks for a second
            person every ``people_check_every_ms`` of stream time (the VIDEO-mode one tracks
            a single person, see :data:`LIVE_NUM_POSES`); None turns the check off. While
            a check has found several people, every measurement fails with that finding.
        people_check_every_ms: how often to look for a second person.
        measure_rate_hz: the gates and the outline are run (and a sample added to the
            smoothing window) at most this many times per second of stream time; the
            landmarks and the overlay run on every frame (see :data:`MEASURE_RATE_HZ`).
        config: smoothing settings.
        calibration: fitted estimates (the packaged ones by default).
        clock: wall-clock seconds for the frame rate (``time.perf_counter``).

    :meth:`process` must be called from one thread at a time (the stream's); :attr:`state`
    and :meth:`close` may be called from any thread.
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
        self._detector: VideoDetector | None = None
        self._people_factory = people_detector_factory
        self._people_every_ms = float(people_check_every_ms)
        self._people: PeopleDetector | None = None
        self._people_checked_ts: int | None = None
        self._crowd: Finding | None = None
        self._measure_rate_hz = float(measure_rate_hz)
        self._prev_frame_ts: int | None = None
        self._credit = 0.0
        self._rng = np.random.default_rng(0)
        self._summary: WindowSummary = EMPTY_SUMMARY
        self._assessment: Assessment | None = None
        self._drawn: PostureMetrics | None = None
        self._near_side: Side | None = None
        self._closed = False
        self._work_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._smoother = WindowSmoother(config)
        self._last_metrics: PostureMetrics | None = None
        self._last_gates: GateReport | None = None
        self._last_raw_ts: float | None = None
        self._ts_offset = 0
        self._last_ts = -1
        self._frames = 0
        self._times: deque[float] = deque(maxlen=256)
        self._work_ms: deque[float] = deque(maxlen=30)
        self._logged_error = False
        self._state = LiveState(variant=variant)

    # ---------------------------------------------------------------- page side

    @property
    def state(self) -> LiveState:
        """The latest published state (an immutable snapshot)."""
        with self._state_lock:
            return self._state

    def close(self) -> None:
        """Release the detector; later frames pass through unchanged. Safe to call twice."""
        with self._work_lock:
            self._closed = True
            for det in (self._detector, self._people):
                if det is not None:
                    det.close()
            self._detector = self._people = None

    @property
    def closed(self) -> bool:
        return self._closed

    # ---------------------------------------------------------------- video side

    def next_timestamp_ms(self, raw_ms: float) -> int:
        """The stream's clock made strictly increasing (see the module docstring)."""
        raw = int(raw_ms) if math.isfinite(raw_ms) else self._last_ts + 1
        if self._last_raw_ts is not None and raw < self._last_raw_ts:
            # The stream restarted: continue after the last frame and start a new window.
            self._ts_offset = self._last_ts + 1 - raw
            self._smoother.reset()
            self._summary, self._assessment, self._drawn = EMPTY_SUMMARY, None, None
            self._prev_frame_ts = None  # measure the new stream's first frame
        self._last_raw_ts = raw
        ts = max(raw + self._ts_offset, self._last_ts + 1)
        self._last_ts = ts
        return ts

    def callback(self, frame: av.VideoFrame) -> av.VideoFrame:
        """streamlit-webrtc's ``video_frame_callback``: an ``av.VideoFrame`` in and out."""
        import av

        raw_ms = (
            float(frame.pts * frame.time_base * 1000)
            if frame.pts is not None and frame.time_base is not None
            else time.monotonic() * 1000.0
        )
        # to_ndarray makes a fresh array, ours to draw on.
        out = self.process(frame.to_ndarray(format="rgb24"), raw_ms, in_place=True)
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    def process(
        self, frame_rgb: np.ndarray, timestamp_ms: float, *, in_place: bool = False
    ) -> np.ndarray:
        """Analyse one (H, W, 3) uint8 RGB frame and return it annotated.

        With ``in_place`` the overlay is drawn on ``frame_rgb`` itself (when it is a
        writable C-contiguous array), which saves a copy of the frame; the caller must not
        use or change the frame afterwards (it becomes :attr:`LiveState.overlay_rgb`).
        Otherwise ``frame_rgb`` is left as it was.

        Never raises on a bad frame or a pipeline failure: the error is logged, published
        in :attr:`LiveState.error` and the frame is returned with an error banner.
        """
        with self._work_lock:
            if self._closed:
                return frame_rgb
            start = self._clock()
            ts = self.next_timestamp_ms(timestamp_ms)
            error: str | None = None
            assessment: Assessment | None
            try:
                out, summary, assessment = self._run(frame_rgb, ts, in_place)
            except Exception as exc:  # the video thread must survive any one frame
                if not self._logged_error:
                    logger.exception("live frame processing failed")
                    self._logged_error = True
                error = f"{type(exc).__name__}: {exc}"
                out = (
                    np.array(frame_rgb, dtype=np.uint8, copy=True)
                    if _is_image(frame_rgb)
                    else np.zeros((480, 640, 3), np.uint8)
                )
                summary = self._state.summary
                assessment = self._state.assessment
            now = self._clock()
            self._frames += 1
            self._times.append(now)
            while len(self._times) > 2 and now - self._times[0] > _FPS_WINDOW_S:
                self._times.popleft()
            fps = self._fps()
            status = "error" if error else summary.status
            under = _draw_banner(out, _banner_text(status, summary, assessment, fps, error), status)
            self._work_ms.append((self._clock() - start) * 1000.0)
            prev = self._state
            if summary is prev.summary:
                # Unmeasured frame: the last measured metrics and the window are unchanged.
                metrics = prev.metrics
            elif self._last_metrics is not None and summary.values:
                metrics = smoothed_metrics(self._last_metrics, summary)
            else:
                metrics = None
            state = LiveState(
                variant=self.variant,
                frames_processed=self._frames,
                fps=fps,
                process_ms=statistics.median(self._work_ms),
                timestamp_ms=ts,
                summary=summary,
                metrics=metrics,
                gates=self._last_gates,
                assessment=assessment,
                overlay_rgb=out,
                under_banner_rgb=under,
                error=error,
                published_at=time.monotonic(),
            )
            with self._state_lock:
                self._state = state
            return out

    def _run(
        self, frame_rgb: np.ndarray, ts: int, in_place: bool
    ) -> tuple[np.ndarray, WindowSummary, Assessment | None]:
        if self._detector is None:
            self._detector = self._factory()
        detection = self._detector.detect_for_video(frame_rgb, ts)
        if not self._measurement_due(ts):
            # New landmarks only: the outline shown, and the gates' verdict that lets it be
            # shown (_drawn is None unless the last measured frame passed), are refreshed at
            # the measuring rate; gating every frame too cost ~0.2 ms a frame.
            drawn = self._drawn if detection.person is not None else None
            out = draw_overlay(
                frame_rgb, detection.person, drawn, side=self._near_side, in_place=in_place
            )
            return out, self._summary, self._assessment
        gates, metrics, frame_assessment = analyze_detection(
            detection, variant=self.variant, calibration=self._calibration
        )
        crowd = self._several_people(frame_rgb, ts)
        if crowd is not None and detection.person is not None:
            gates = dataclasses.replace(gates, findings=(crowd, *gates.findings))
            metrics = None
            frame_assessment = classify(gates, None)
        sample = frame_sample(ts, gates, metrics, frame_assessment)
        summary = self._smoother.add(sample)
        if sample.passed and metrics is not None:
            self._last_metrics, self._last_gates = metrics, gates
        values = summary.values
        if TILT in values and LORDOSIS in values:
            assessment = classify_values(
                values[TILT].as_measurement(), values[LORDOSIS].as_measurement()
            )
        elif not gates.passed:
            assessment = classify(gates, None)
        else:
            assessment = frame_assessment
        self._drawn = smoothed_metrics(metrics, summary) if sample.passed and metrics else None
        self._near_side = gates.near_side
        self._summary, self._assessment = summary, assessment
        out = draw_overlay(
            frame_rgb, detection.person, self._drawn, side=gates.near_side, in_place=in_place
        )
        return out, summary, assessment

    def _measurement_due(self, ts: int) -> bool:
        """A dithered token bucket: ``measure_rate_hz`` measurements a second on average.

        Each measurement costs 1 ± 0.5 tokens (seeded, so a run is reproducible), so that
        the measured frames never lock onto a fixed period of the stream.
        """
        prev = self._prev_frame_ts
        self._prev_frame_ts = ts
        if prev is None or ts < prev or not math.isfinite(self._measure_rate_hz):
            self._credit = 0.0
            return True
        self._credit = min(self._credit + (ts - prev) * self._measure_rate_hz / 1000.0, 2.0)
        if self._credit >= 1.0:
            self._credit -= 1.0 + float(self._rng.uniform(-0.5, 0.5))
            return True
        return False

    def _several_people(self, frame_rgb: np.ndarray, ts: int) -> Finding | None:
        """The "several people" finding of the latest periodic check, or None."""
        if self._people_factory is None:
            return None
        last = self._people_checked_ts
        if last is None or ts - last >= self._people_every_ms or ts < last:
            self._people_checked_ts = ts
            if self._people is None:
                self._people = self._people_factory()
            report = check_detection(self._people.detect(frame_rgb))
            self._crowd = next((f for f in report.findings if f.code == "several_people"), None)
        return self._crowd

    def _fps(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0


def _is_image(arr: Any) -> bool:
    return isinstance(arr, np.ndarray) and arr.ndim == 3 and arr.shape[2] == 3


_ICE_SCHEMES = ("stun", "stuns", "turn", "turns")


def parse_ice_servers(raw: Any) -> list[dict[str, Any]]:
    """Check an ICE server list (WebRTC ``RTCIceServer`` entries) and return it cleaned.

    Args:
        raw: None or "" (no servers), JSON text, one mapping, or a sequence of mappings,
            each with ``urls`` (a ``stun:``/``turn:``/``turns:`` URL or a list of them) and,
            for TURN, ``username`` and ``credential``.

    Returns:
        A list of ``{"urls": [...], "username": ..., "credential": ...}`` dicts.

    Raises:
        ValueError: the text is not JSON, or an entry is not of that shape (the message
            names the entry and what is wrong).

    Example (one TURN server reachable over UDP and TLS)::

        [{"urls": ["turn:turn.example.org:3478?transport=udp",
                   "turns:turn.example.org:5349"],
          "username": "posture", "credential": "s3cret"}]
    """
    if raw is None or (isinstance(raw, str | bytes) and not raw.strip()):
        return []
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"ICE servers: not valid JSON ({exc})") from exc
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise ValueError(f"ICE servers: expected a list of servers, got {type(raw).__name__}")
    servers: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise ValueError(
                f"ICE server {i}: expected a table with 'urls', got {type(item).__name__}"
            )
        urls = item.get("urls", item.get("url"))
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, Sequence) or not urls:
            raise ValueError(f"ICE server {i}: 'urls' must be a URL or a non-empty list of URLs")
        for url in urls:
            if not isinstance(url, str) or url.split(":", 1)[0].lower() not in _ICE_SCHEMES:
                raise ValueError(f"ICE server {i}: {url!r} is not a stun:, turn: or turns: URL")
        server: dict[str, Any] = {"urls": list(urls)}
        for key in ("username", "credential"):
            if item.get(key) is not None:
                server[key] = str(item[key])
        if any(u.lower().startswith("turn") for u in server["urls"]) and not (
            "username" in server and "credential" in server
        ):
            raise ValueError(f"ICE server {i}: a TURN server needs 'username' and 'credential'")
        servers.append(server)
    return servers
