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
from posture_cam.measure.geometry import mirror_x
from posture_cam.measure.metrics import (
    OutlineFeatures,
    average_metrics,
    compute_posture_metrics,
    pose_features,
)
from posture_cam.measure.occlusion import OcclusionCues, OcclusionFinding, occlusion_cues
from posture_cam.measure.scene import estimate_roll_deg, rotate_image, rotate_mask, rotate_points
from posture_cam.media.draw import draw_overlay
from posture_cam.media.images import ImageLoadError, LoadedImage, load_image
from posture_cam.pose.detect import PoseDetector

from .types import Detection, Measurement, PostureMetrics

__all__ = [
    "PhotoAnalysis",
    "ViewMeasurement",
    "level_detection",
    "measure_view",
    "assess_views",
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

_FIND_ROLL = object()  # measure_view's default: read the roll from the picture


@dataclass(frozen=True, eq=False)
class ViewMeasurement:
    """One view of a picture (as taken, or mirrored) measured up to the outline features.

    Attributes:
        gates: the quality gates' verdict on the detection (plus a camera-tilt note).
        detection: the detection as a level camera would have seen it.
        roll_deg: the camera roll found in the scene (None: the scene did not say).
        features: the outline features of the main person, when the gates passed.
        cues: what the outline, landmarks and picture say about occluders (see
            :mod:`posture_cam.measure.occlusion`), when the gates passed.
    """

    gates: GateReport
    detection: Detection
    roll_deg: float | None
    features: OutlineFeatures | None
    cues: OcclusionCues | None


def level_detection(detection: Detection, roll_deg: float | None) -> Detection:
    """The detection as a level camera would have seen it (unchanged when no roll is known)."""
    if roll_deg is None or roll_deg == 0.0:
        return detection
    w, h = detection.image_size
    poses = tuple(
        replace(
            p,
            xy_px=rotate_points(p.xy_px, w, h, roll_deg),
            mask=None if p.mask is None else rotate_mask(p.mask, roll_deg),
        )
        for p in detection.poses
    )
    return replace(detection, poses=poses)


def measure_view(
    detection: Detection,
    rgb: np.ndarray | None = None,
    *,
    roll_deg: float | None | object = _FIND_ROLL,
    thresholds: GateThresholds = DEFAULT_THRESHOLDS,
) -> ViewMeasurement:
    """Gates, camera levelling, outline features and occluder cues for one detection.

    Args:
        detection: what the detector found in the picture.
        rgb: the analysed picture: needed to read the camera roll from the scene and the
            colour cues (hair on the back); without it the camera is taken as level.
        roll_deg: a roll already known (the benches cache it); by default it is read from
            ``rgb``.
        thresholds: the gate thresholds.
    """
    gates = check_detection(detection, thresholds)
    person = detection.person
    side, facing = gates.near_side, gates.facing
    if not gates.passed or person is None or side is None or facing is None:
        return ViewMeasurement(gates, detection, None, None, None)
    if roll_deg is _FIND_ROLL:
        roll = estimate_roll_deg(rgb, person.mask) if rgb is not None else None
    else:
        roll = roll_deg if isinstance(roll_deg, float) else None
    if roll is not None:
        gates = with_findings(gates, camera_tilt_finding(roll, thresholds))
    level = level_detection(detection, roll)
    person = level.person
    assert person is not None  # levelling keeps the poses
    features = pose_features(person, side, facing)
    picture = rotate_image(rgb, roll) if rgb is not None and roll else rgb
    w = detection.image_size[0]
    mirrored = facing == "-x"
    cues = None
    if person.mask is not None and not features.flags:
        cues = occlusion_cues(
            mask=person.mask[:, ::-1] if mirrored else person.mask,
            rgb=None if picture is None else (picture[:, ::-1] if mirrored else picture),
            xy_px=mirror_x(person.xy_px, w) if mirrored else person.xy_px,
            side=side,
            back=features.back,
            front=features.front,
            floor_y_px=features.floor_y_px,
            stature_px=features.stature_px,
            others=tuple(p for p in level.poses if p is not person),
            mirrored_width=float(w) if mirrored else None,
        )
    return ViewMeasurement(gates, level, roll, features, cues)


def assess_views(
    views: list[ViewMeasurement],
    *,
    variant: str | None = None,
    calibration: Calibration | None = None,
) -> tuple[GateReport, PostureMetrics | None, Assessment]:
    """Metrics and the pattern from one or more views of the same picture.

    The first view's gates speak for the picture. Occluders found in any view become
    findings; each either makes the result inconclusive or widens the ``±`` to the error
    measured for such pictures, as the shipped calibration says (:func:`occluder_action`).
    Views that could be measured are averaged.
    """
    cal = calibration or load_calibration()
    gates = views[0].gates
    usable = [v for v in views if v.gates.passed and v.features is not None]
    if not gates.passed or not usable:
        return gates, None, classify(gates, None)
    own = cal.variant(variant)
    findings: dict[str, Finding] = {}
    for v in usable:
        if v.cues is None:
            continue
        for f in own.occlusion.findings(v.cues):
            findings.setdefault(f.code, _occluder_finding(f, own.occluders))
    widened = any(f.severity == "warn" for f in findings.values())
    gates = with_findings(gates, *findings.values())
    measured = []
    for v in usable:
        person = v.detection.person
        assert person is not None and v.gates.near_side and v.gates.facing
        m = compute_posture_metrics(
            person,
            v.gates.near_side,
            v.gates.facing,
            cal,
            variant,
            features=v.features,
            mode="flagged" if widened else "clean",
        )
        if v.roll_deg is not None:
            w, h = v.detection.image_size
            m = replace(
                _unlevel(m, w, h, v.roll_deg),
                camera_roll_deg=Measurement(v.roll_deg, ROLL_PLUS_MINUS_DEG),
            )
        measured.append(m)
    metrics = measured[0]
    for m in measured[1:]:
        metrics = average_metrics(metrics, m)
    return gates, metrics, classify(gates, metrics, confidence=cal.variant(variant).confidence)


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


def _occluder_finding(f: OcclusionFinding, actions: dict[str, str]) -> Finding:
    """An occluder as a gate finding: blocking, or a warning whose reading keeps a wider ±."""
    action = actions.get(f.code, "block")
    hint = f.hint
    if action != "block":
        hint += " The reading is kept with a wider ± (the error measured for such pictures)."
    return Finding(f.code, f.message, hint, severity="block" if action == "block" else "warn")


def analyze_detection(
    detection: Detection,
    *,
    variant: str | None = None,
    calibration: Calibration | None = None,
    thresholds: GateThresholds = DEFAULT_THRESHOLDS,
    rgb: np.ndarray | None = None,
) -> tuple[GateReport, PostureMetrics | None, Assessment]:
    """Gates, metrics and assessment for one detection (photo or video frame).

    With the analysed picture ``rgb`` the camera roll is found and corrected first, and
    the colour cues for occluders are read.
    """
    view = measure_view(detection, rgb, thresholds=thresholds)
    return assess_views([view], variant=variant, calibration=calibration)


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
    photos can afford (run beside the first, :meth:`PoseDetector.detect_pair`) and the live
    view does not do.
    """
    small, scale = image.inference_view(INFERENCE_MAX_SIDE_PX)
    flipped = np.ascontiguousarray(small[:, ::-1]) if flip_average else None
    # Both views are detected at once (on two cores, in the time of one); the mirror is
    # wasted only on a photo that fails the gates.
    if flipped is not None:
        detection, mirrored = detector.detect_pair(small, flipped)
    else:
        detection, mirrored = detector.detect(small), None
    variant = detector.options.variant
    views = [measure_view(detection, small, thresholds=thresholds)]
    if detection.person is None:
        # Say why nobody may have been found (darkness, overexposure, a panorama).
        gates = GateReport(findings=(no_person_finding(small, thresholds),))
        return PhotoAnalysis(
            image.name, image, detection, scale, gates, None, classify(gates, None)
        )
    if flipped is not None and mirrored is not None and views[0].gates.passed:
        views.append(measure_view(mirrored, flipped, thresholds=thresholds))
    gates, metrics, assessment = assess_views(views, variant=variant, calibration=calibration)
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
