"""File or frame -> detection -> gates -> metrics -> assessment: the one place stages meet.

Keeps the order of work and the hand-over between resolutions: inference runs on a
downscaled copy, while drawing scales the results back onto the full-resolution photo.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from posture_cam.measure.calibration import Calibration, load_calibration
from posture_cam.measure.classify import Assessment, classify
from posture_cam.measure.gates import (
    DEFAULT_THRESHOLDS,
    Finding,
    GateReport,
    GateThresholds,
    camera_tilt_finding,
    check_detection,
    no_person_finding,
    with_findings,
)
from posture_cam.measure.metrics import average_metrics, compute_posture_metrics
from posture_cam.measure.scene import estimate_roll_deg, rotate_mask, rotate_points
from posture_cam.media.draw import draw_overlay
from posture_cam.media.images import ImageLoadError, LoadedImage, load_image
from posture_cam.pose.detect import PoseDetector

from .types import Detection, Measurement, PostureMetrics

__all__ = [
    "PhotoAnalysis",
    "level_detection",
    "analyze_detection",
    "analyze_image",
    "analyze_file",
    "draw_analysis",
    "INFERENCE_MAX_SIDE_PX",
]

# MediaPipe resizes to 256 px inside; more pixels only sharpen the segmentation mask's
# edges, and 1280 px keeps a 12-megapixel photo well under half a second.
INFERENCE_MAX_SIDE_PX = 1280


@dataclass(frozen=True, eq=False)
class PhotoAnalysis:
    """Everything known about one photo or frame.

    Attributes:
        name: the file name shown to people.
        image: the decoded photo at full resolution, or None if it could not be read.
        detection: poses found on the inference copy (its own pixel frame), or None.
        scale: full-resolution pixels per inference pixel (>= 1).
        gates: the quality gates' findings; a read error is reported as a blocking finding.
        metrics: the measures, when the gates passed.
        assessment: the pattern call (inconclusive when it cannot be made).
    """

    name: str
    image: LoadedImage | None
    detection: Detection | None
    scale: float
    gates: GateReport
    metrics: PostureMetrics | None
    assessment: Assessment

    @property
    def measurable(self) -> bool:
        return self.gates.passed and self.metrics is not None


ROLL_PLUS_MINUS_DEG = 0.35  # median error of the roll estimate on the synthetic rooms


def level_detection(detection: Detection, rgb: np.ndarray) -> tuple[Detection, float | None]:
    """The detection as a level camera would have seen it, and the camera roll found.

    The roll comes from the scene's verticals (:func:`posture_cam.measure.scene.estimate_roll_deg`);
    when the scene shows none, the detection is returned unchanged with roll None.
    """
    person = detection.person
    if person is None:
        return detection, None
    roll = estimate_roll_deg(rgb, person.mask)
    if roll is None or roll == 0.0:
        return detection, roll
    w, h = detection.image_size
    poses = tuple(
        replace(
            p,
            xy_px=rotate_points(p.xy_px, w, h, roll),
            mask=None if p.mask is None else rotate_mask(p.mask, roll),
        )
        for p in detection.poses
    )
    return replace(detection, poses=poses), roll


def _unlevel(metrics: PostureMetrics, w: int, h: int, roll: float) -> PostureMetrics:
    """Put the outline drawn for people back into the photo's own (rolled) frame."""
    g = metrics.outline
    if g is None:
        return metrics

    def back(xy: np.ndarray) -> np.ndarray:
        return rotate_points(xy, w, h, -roll) if xy.size else xy

    return replace(
        metrics,
        outline=replace(
            g,
            back_xy_px=back(g.back_xy_px),
            front_xy_px=back(g.front_xy_px),
            l1_chord_px=back(g.l1_chord_px),
            s1_chord_px=back(g.s1_chord_px),
        ),
    )


def analyze_detection(
    detection: Detection,
    *,
    variant: str | None = None,
    calibration: Calibration | None = None,
    thresholds: GateThresholds = DEFAULT_THRESHOLDS,
    rgb: np.ndarray | None = None,
) -> tuple[GateReport, PostureMetrics | None, Assessment]:
    """Gates, metrics and assessment for one detection (photo or video frame).

    With the analysed picture ``rgb`` the camera roll is found and corrected first.
    """
    gates = check_detection(detection, thresholds)
    roll = None
    if rgb is not None and gates.passed:
        detection, roll = level_detection(detection, rgb)
    metrics = None
    person = detection.person
    if gates.passed and person is not None and gates.near_side and gates.facing:
        metrics = compute_posture_metrics(
            person, gates.near_side, gates.facing, calibration or load_calibration(), variant
        )
        if roll is not None:
            w, h = detection.image_size
            metrics = replace(
                _unlevel(metrics, w, h, roll),
                camera_roll_deg=Measurement(roll, ROLL_PLUS_MINUS_DEG),
            )
            gates = with_findings(gates, camera_tilt_finding(roll, thresholds))
    return gates, metrics, classify(gates, metrics)


def analyze_image(
    image: LoadedImage,
    detector: PoseDetector,
    *,
    calibration: Calibration | None = None,
    thresholds: GateThresholds = DEFAULT_THRESHOLDS,
    flip_average: bool = True,
) -> PhotoAnalysis:
    """Detect, gate, measure and classify one decoded photo.

    With ``flip_average`` the photo is also measured mirrored left-right and the two
    measurements are averaged: MediaPipe's landmarks and mask differ slightly between a
    picture and its mirror image, and averaging both cancels that asymmetry and halves
    part of the noise (bench/README.md, accuracy.py). It costs a second detection, which
    photos can afford and the live view does not do.
    """
    small, scale = image.inference_view(INFERENCE_MAX_SIDE_PX)
    detection = detector.detect(small)
    variant = detector.options.variant
    cal = calibration or load_calibration()
    gates, metrics, assessment = analyze_detection(
        detection, variant=variant, calibration=cal, thresholds=thresholds, rgb=small
    )
    if detection.person is None:
        # Say why nobody may have been found (darkness, overexposure, a panorama).
        gates = replace(gates, findings=(no_person_finding(small, thresholds),))
        assessment = classify(gates, None)
    if flip_average and metrics is not None:
        flipped = np.ascontiguousarray(small[:, ::-1])
        m_gates, m_metrics, _ = analyze_detection(
            detector.detect(flipped),
            variant=variant,
            calibration=cal,
            thresholds=thresholds,
            rgb=flipped,
        )
        if m_metrics is not None and m_gates.passed:
            metrics = average_metrics(metrics, m_metrics)
            assessment = classify(gates, metrics)
    return PhotoAnalysis(image.name, image, detection, scale, gates, metrics, assessment)


def analyze_file(
    source: str | os.PathLike[str] | bytes,
    detector: PoseDetector,
    *,
    name: str | None = None,
    calibration: Calibration | None = None,
    thresholds: GateThresholds = DEFAULT_THRESHOLDS,
    flip_average: bool = True,
) -> PhotoAnalysis:
    """Read and analyse one file; a file that cannot be read gives a finding, not an error."""
    label = name or (Path(os.fsdecode(source)).name if not isinstance(source, bytes) else "upload")
    try:
        image = load_image(source, name=label, reduce_to_px=INFERENCE_MAX_SIDE_PX)
    except ImageLoadError as err:
        gates = GateReport(findings=(Finding(err.code, err.message, err.hint),))
        return PhotoAnalysis(label, None, None, 1.0, gates, None, classify(gates, None))
    return analyze_image(
        image,
        detector,
        calibration=calibration,
        thresholds=thresholds,
        flip_average=flip_average,
    )


def draw_analysis(analysis: PhotoAnalysis, max_side_px: int | None = None) -> np.ndarray | None:
    """The photo with what was found drawn on it; None if it was unreadable.

    Landmarks and outline found on the inference copy are scaled back onto the photo: at full
    resolution, or, with ``max_side_px``, on the photo as decoded for the analysis when that
    is at least this size (for a picture shown smaller; the full photo is not decoded then).
    """
    a = analysis
    if a.image is None:
        return None
    person = a.detection.person if a.detection is not None else None
    image = a.image
    rgb, scale = image.full_rgb, a.scale
    if max_side_px is not None and max(image.rgb.shape[:2]) >= max_side_px:
        rgb, scale = image.rgb, a.scale / image.reduction
    return draw_overlay(rgb, person, a.metrics, scale=scale, side=a.gates.near_side)
