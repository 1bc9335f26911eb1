"""Guided checks over a stream of frames: frame -> detection -> per-frame sample -> analysis.

The pure analyses (:mod:`posture_cam.measure.tilt_range`, :mod:`posture_cam.measure.breathing`)
work on per-frame numbers; this module makes those numbers from frames with the same
detector, gates and metrics as a photo (:func:`posture_cam.pipeline.analyze_detection`), and
runs a whole recording (a video file from the command line; the app's live flows feed the
same per-frame functions one frame at a time).

Frames that cannot be measured are counted by reason, so that a recording where the
person never showed a side view says so rather than "no holds found".
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from posture_cam.history.repeatability import load_repeatability
from posture_cam.landmarks import SIDE_LANDMARKS
from posture_cam.measure.breathing import (
    DEFAULT_BREATHING_CONFIG,
    BreathingConfig,
    BreathingOutcome,
    BreathingTrace,
    analyze_breathing,
)
from posture_cam.measure.calibration import Calibration, load_calibration
from posture_cam.measure.gates import (
    DEFAULT_THRESHOLDS,
    Finding,
    GateThresholds,
    check_detection,
    no_person_finding,
)
from posture_cam.measure.holds import DEFAULT_RANGE_CONFIG, RangeConfig, TiltSeries
from posture_cam.measure.plain import finding
from posture_cam.measure.scene import estimate_roll_deg
from posture_cam.measure.thomas import (
    DEFAULT_THOMAS_THRESHOLDS,
    KNEE_FLEXION_PLUS_MINUS_DEG,
    THIGH_ANGLE_PLUS_MINUS_DEG,
    ThomasReading,
    ThomasThresholds,
    read_thomas,
)
from posture_cam.measure.tilt_range import RangeOutcome, analyze_range
from posture_cam.measure.trunk_outline import smooth_landmarks, trunk_axis, trunk_thickness_px
from posture_cam.media.video import TimedFrame
from posture_cam.pipeline import analyze_detection, level_detection
from posture_cam.pose.detect import VideoDetector
from posture_cam.report.guided_text import load_bench_figures

from .types import Detection

__all__ = [
    "FrameTally",
    "RangeFrame",
    "range_frame",
    "RangeRun",
    "range_config",
    "run_range_check",
    "BreathingFrame",
    "breathing_frame",
    "breathing_trace",
    "BreathingRun",
    "run_breathing_check",
    "thomas_frame",
    "thomas_errors",
]

# A recording where fewer frames than this could be measured is explained by the most
# common reason the others failed, when the analysis itself cannot proceed.
MIN_MEASURED_SHARE = 0.5


@dataclass
class FrameTally:
    """How many frames were seen, had a person and could be measured, and why not."""

    n_frames: int = 0
    n_person: int = 0
    n_measured: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: dict[str, Finding] = field(default_factory=dict)

    def add(self, person: bool, measured: bool, problem: Finding | None) -> None:
        self.n_frames += 1
        self.n_person += int(person)
        self.n_measured += int(measured)
        if problem is not None and not measured:
            self.reasons[problem.code] += 1
            self.examples.setdefault(problem.code, problem)

    @property
    def measured_share(self) -> float:
        return self.n_measured / self.n_frames if self.n_frames else 0.0

    def headline(self) -> Finding | None:
        """The most common reason frames could not be measured, if any."""
        if not self.reasons:
            return None
        code, _ = self.reasons.most_common(1)[0]
        return self.examples[code]

    def to_record(self) -> dict[str, Any]:
        return {
            "n_frames": self.n_frames,
            "n_person": self.n_person,
            "n_measured": self.n_measured,
            "not_measured_because": dict(self.reasons),
        }


@dataclass(frozen=True)
class RangeFrame:
    """One frame's contribution to the range check.

    ``ok`` is True when the gates passed and the outline was reliable; ``finding`` is the
    headline problem otherwise.
    """

    t_ms: float
    ok: bool
    tilt_deg: float
    lordosis_deg: float
    person: bool
    finding: Finding | None


def range_frame(
    detection: Detection,
    rgb: np.ndarray,
    t_ms: float,
    *,
    variant: str | None = None,
    calibration: Calibration | None = None,
) -> RangeFrame:
    """Pelvic tilt and lordosis of one frame, through the photo pipeline's gates and metrics."""
    gates, metrics, _ = analyze_detection(
        detection, variant=variant, calibration=calibration or load_calibration(), rgb=rgb
    )
    person = detection.person is not None
    if not person:
        return RangeFrame(t_ms, False, np.nan, np.nan, False, no_person_finding(rgb))
    if not gates.passed or metrics is None:
        return RangeFrame(t_ms, False, np.nan, np.nan, True, gates.blocking[0])
    if not metrics.reliable:
        problem = Finding(
            "outline_unreliable",
            "The back outline could not be traced reliably (hair, a loose top or an arm "
            "behind the back can hide it).",
            "Wear a close-fitting top, tie long hair up, and let your arms hang in front of "
            "your back.",
        )
        return RangeFrame(t_ms, False, np.nan, np.nan, True, problem)
    return RangeFrame(
        t_ms,
        True,
        metrics.pelvic_tilt_deg.value,
        metrics.lumbar_lordosis_deg.value,
        True,
        None,
    )


@dataclass(frozen=True)
class RangeRun:
    """A recording's range check: the outcome and what the frames were like."""

    outcome: RangeOutcome
    tally: FrameTally
    findings: tuple[Finding, ...]

    @property
    def measured(self) -> bool:
        return self.outcome.measured

    def to_record(self) -> dict[str, Any]:
        return {
            "check": "pelvic_tilt_range",
            **self.outcome.to_record(),
            "findings": [finding(f) for f in self.findings],
            "frames": self.tally.to_record(),
        }


def _explain(tally: FrameTally, findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Put the frames' main problem first when it is why the analysis failed."""
    head = tally.headline()
    if tally.n_frames and tally.measured_share < MIN_MEASURED_SHARE and head is not None:
        share = 1.0 - tally.measured_share
        lead = Finding(
            head.code,
            f"{head.message} (in {share:.0%} of the frames)",
            head.hint,
            value=share,
        )
        return (lead, *findings)
    return findings


def range_config(variant: str | None) -> RangeConfig:
    """The range check's settings for this model: its repeatability and its change gain.

    The SEM of one check (``bench/repeatability.py``; the larger of the photo and live
    values, as for a live check) becomes the floor of each hold's ``±``; the change gain
    fitted on training renders (:data:`RANGE_GAIN_FILE`) multiplies every change between
    holds.
    """
    rep = load_repeatability()
    v = variant or "full"
    gains = _range_gains().get(v, {})
    return RangeConfig(
        tilt_sem_deg=rep.bench_sem("pelvic_tilt_deg", v, "live"),
        lordosis_sem_deg=rep.bench_sem("lumbar_lordosis_deg", v, "live"),
        tilt_change_gain=float(gains.get("tilt", 1.0)),
        lordosis_change_gain=float(gains.get("lordosis", 1.0)),
    )


RANGE_GAIN_FILE = Path(__file__).resolve().parent / "data" / "range_gain.json"
"""Per model, the factors the range check's changes are multiplied by
(``bench/check_range.py --fit-gain``); none when the file is missing."""


def _range_gains() -> dict[str, dict[str, float]]:
    try:
        data: dict[str, dict[str, float]] = json.loads(RANGE_GAIN_FILE.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    return data


def run_range_check(
    frames: Iterable[TimedFrame],
    detector: VideoDetector,
    *,
    variant: str | None,
    config: RangeConfig = DEFAULT_RANGE_CONFIG,
    calibration: Calibration | None = None,
) -> RangeRun:
    """Run the pelvic-tilt range check on a recording (frames in time order).

    ``detector`` must be in VIDEO mode (it tracks the person from frame to frame);
    ``variant`` is its pose model's ("lite", "full", "heavy"; None when unknown), which picks
    the calibration.
    """
    cal = calibration or load_calibration()
    tally = FrameTally()
    samples: list[RangeFrame] = []
    for frame in frames:
        detection = detector.detect_for_video(frame.rgb, int(round(frame.t_ms)))
        s = range_frame(detection, frame.rgb, frame.t_ms, variant=variant, calibration=cal)
        tally.add(s.person, s.ok, s.finding)
        samples.append(s)
    if not samples:
        outcome = RangeOutcome(
            None,
            (
                Finding(
                    "too_short",
                    "The recording has no frames.",
                    "Record about 20 seconds of the four holds.",
                ),
            ),
        )
        return RangeRun(outcome, tally, outcome.findings)
    series = TiltSeries.from_lists(
        [s.t_ms for s in samples],
        [s.tilt_deg for s in samples],
        [s.lordosis_deg for s in samples],
        [s.ok for s in samples],
    )
    outcome = analyze_range(series, config)
    findings = outcome.findings if not outcome.measured else ()
    if not outcome.measured:
        findings = _explain(tally, findings)
    return RangeRun(outcome, tally, findings)


# ----------------------------------------------------------------------------- breathing

# The gates that matter when only the trunk is measured (standing or lying): the standing
# and whole-body gates of a posture photo do not apply.
_BREATHING_GATES = ("no_person", "several_people", "not_side_view", "person_too_small")
# Around the trunk, this much (share of the trunk length) of the mask is kept per frame.
_CROP_MARGIN_RATIO = 0.8
# Landmark tracks are steadied over this window before levels and directions are taken.
LANDMARK_WINDOW_MS = 1000.0


@dataclass(frozen=True, eq=False)
class BreathingFrame:
    """What one frame keeps for the breathing check (the full mask is not kept).

    Attributes:
        t_ms: the frame's time.
        xy_px: (33, 2) landmarks, or None when the frame cannot be used.
        crop: uint8 mask (0-255) around the trunk, or None.
        gray: uint8 brightness of the picture in the same crop, or None.
        origin_px: (x, y) of the crop's top-left corner in the frame.
        person: whether a person was found.
        finding: why the frame cannot be used, if so.
    """

    t_ms: float
    xy_px: np.ndarray | None
    crop: np.ndarray | None
    gray: np.ndarray | None
    origin_px: tuple[int, int]
    person: bool
    finding: Finding | None

    @property
    def ok(self) -> bool:
        return self.xy_px is not None and self.crop is not None


def breathing_frame(
    detection: Detection,
    t_ms: float,
    rgb: np.ndarray | None = None,
    thresholds: GateThresholds = DEFAULT_THRESHOLDS,
) -> BreathingFrame:
    """Gate one frame for the breathing check and keep its landmarks and a mask crop."""
    person = detection.person
    if person is None:
        return BreathingFrame(t_ms, None, None, None, (0, 0), False, no_person_finding(rgb))
    gates = check_detection(detection, thresholds)
    blocking = [f for f in gates.blocking if f.code in _BREATHING_GATES]
    if blocking:
        return BreathingFrame(t_ms, None, None, None, (0, 0), True, blocking[0])
    trunk = [i for part in ("shoulder", "hip") for i in SIDE_LANDMARKS[part]]
    axis = trunk_axis(person.xy_px)
    if person.mask is None or axis is None or person.presence[trunk].min() < 0.5:
        problem = Finding(
            "trunk_not_visible",
            "The chest and belly are not fully in view.",
            "Keep your whole trunk, from the shoulders to the hips, in the picture, side-on.",
        )
        return BreathingFrame(t_ms, None, None, None, (0, 0), True, problem)
    h, w = person.mask.shape
    margin = _CROP_MARGIN_RATIO * axis.length_px
    pts = np.stack([axis.hip_xy_px, axis.shoulder_xy_px])
    x0 = int(max(np.floor(pts[:, 0].min() - margin), 0))
    y0 = int(max(np.floor(pts[:, 1].min() - margin), 0))
    x1 = int(min(np.ceil(pts[:, 0].max() + margin), w))
    y1 = int(min(np.ceil(pts[:, 1].max() + margin), h))
    crop = np.clip(person.mask[y0:y1, x0:x1] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    gray = None
    if rgb is not None and rgb.shape[:2] == (h, w):
        gray = np.ascontiguousarray(
            rgb[y0:y1, x0:x1] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        ).astype(np.uint8)
    return BreathingFrame(t_ms, person.xy_px.copy(), crop, gray, (x0, y0), True, None)


def breathing_trace(frames: list[BreathingFrame]) -> BreathingTrace:
    """Chest and belly thickness per frame, measured along steadied landmark tracks."""
    t = np.array([f.t_ms for f in frames], dtype=np.float64)
    xy = np.full((len(frames), 33, 2), np.nan)
    for k, f in enumerate(frames):
        if f.ok and f.xy_px is not None:
            xy[k] = f.xy_px
    smooth = smooth_landmarks(t, xy, LANDMARK_WINDOW_MS)
    chest = np.full(len(frames), np.nan)
    belly = np.full(len(frames), np.nan)
    centre = np.full((len(frames), 2), np.nan)
    lengths = []
    for k, f in enumerate(frames):
        if not f.ok or f.crop is None:
            continue
        axis = trunk_axis(smooth[k])
        if axis is None:
            continue
        gray = None if f.gray is None else f.gray.astype(np.float32)
        front, back = trunk_thickness_px(f.crop / 255.0, axis.shifted(*f.origin_px), gray=gray)
        chest[k], belly[k] = front + back
        centre[k] = axis.at(0.5)
        lengths.append(axis.length_px)
    length = float(np.median(lengths)) if lengths else float("nan")
    return BreathingTrace(t, chest, belly, length, centre)


@dataclass(frozen=True)
class BreathingRun:
    """A recording's breathing check: the outcome and what the frames were like."""

    outcome: BreathingOutcome
    tally: FrameTally
    findings: tuple[Finding, ...]

    @property
    def measured(self) -> bool:
        return self.outcome.measured

    def to_record(self) -> dict[str, Any]:
        return {
            "check": "breathing",
            **self.outcome.to_record(),
            "findings": [finding(f) for f in self.findings],
            "frames": self.tally.to_record(),
        }


def run_breathing_check(
    frames: Iterable[TimedFrame],
    detector: VideoDetector,
    *,
    config: BreathingConfig = DEFAULT_BREATHING_CONFIG,
) -> BreathingRun:
    """Run the breathing check on a recording (frames in time order, VIDEO-mode detector)."""
    tally = FrameTally()
    kept: list[BreathingFrame] = []
    for frame in frames:
        detection = detector.detect_for_video(frame.rgb, int(round(frame.t_ms)))
        b = breathing_frame(detection, frame.t_ms, frame.rgb)
        tally.add(b.person, b.ok, b.finding)
        kept.append(b)
    if len(kept) < 2:
        outcome = BreathingOutcome(
            None,
            (
                Finding(
                    "too_short",
                    "The recording has almost no frames.",
                    "Record 30–60 seconds of quiet breathing, side-on.",
                ),
            ),
        )
        return BreathingRun(outcome, tally, outcome.findings)
    outcome = analyze_breathing(breathing_trace(kept), config)
    findings = outcome.findings
    if not outcome.measured:
        findings = _explain(tally, findings)
    return BreathingRun(outcome, tally, findings)


# ----------------------------------------------------------------------------- Thomas


def thomas_frame(
    detection: Detection,
    rgb: np.ndarray | None = None,
    thresholds: ThomasThresholds = DEFAULT_THOMAS_THRESHOLDS,
) -> ThomasReading:
    """Read the hip-flexor test from one frame, levelled first by the scene's verticals."""
    if rgb is not None and detection.person is not None:
        detection = level_detection(detection, estimate_roll_deg(rgb, detection.person.mask))
    return read_thomas(detection, thresholds)


def thomas_errors(variant: str | None) -> tuple[float, float]:
    """(thigh, knee) typical error of one reading with this pose model, in degrees.

    The bench's mean absolute error on the lying renders for the model, never below the
    landmark floor of :data:`posture_cam.measure.thomas.THIGH_ANGLE_PLUS_MINUS_DEG`.
    """
    b = load_bench_figures(variant)
    return (
        max(THIGH_ANGLE_PLUS_MINUS_DEG, b.thomas_thigh_mae_deg or 0.0),
        max(KNEE_FLEXION_PLUS_MINUS_DEG, b.thomas_knee_mae_deg or 0.0),
    )
