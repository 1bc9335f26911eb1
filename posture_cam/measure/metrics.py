"""Landmarks + segmentation mask -> sagittal posture measures (pure numpy, no I/O).

How the outline is read (see :mod:`posture_cam.measure.geometry` for the sign conventions):

1. The person is mirrored to face +x.
2. Standing height ``H`` in pixels comes from the floor (lowest row of the person's mask)
   and the ear: the ear canal sits at 0.926 H in adults (anthropometric tables; the
   synthetic bodies give 0.926 ± 0.002).
3. The back and front outline of the trunk and pelvis are traced row by row from inside
   the trunk, sub-pixel, and smoothed over 0.5 % of H.
4. Surface lordosis is the angle between the back-outline chords (±2 % H) at the L1 level
   (0.675 H) and the S1 level (0.585 H), as DIERS does on the skin and as the ground truth
   defines it; pelvic tilt (ASIS-PSIS) has no landmark and is estimated from the shape of
   the outline around the pelvis. Both go through the fitted :class:`Calibration`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from posture_cam.landmarks import Side, near_side_index
from posture_cam.types import Facing, Measurement, OutlineGeometry, Pose, PostureMetrics

from .calibration import Calibration
from .geometry import (
    EdgeProfile,
    chord_inclinations_deg,
    edge_profile,
    fill_small_holes,
    flexion_deg,
    hollow_depth_px,
    inclination_deg,
    joint_angle_deg,
    mirror_x,
    profile_xs_at,
    smooth_profile,
)

__all__ = [
    "EAR_HEIGHT_RATIO",
    "L1_LEVEL_RATIO",
    "S1_LEVEL_RATIO",
    "CHORD_HALF_SPAN_RATIO",
    "FEATURE_LEVELS",
    "FEATURE_NAMES",
    "OutlineFeatures",
    "outline_features",
    "pose_features",
    "compute_posture_metrics",
    "average_metrics",
]

EAR_HEIGHT_RATIO = 0.926
L1_LEVEL_RATIO = 0.675
S1_LEVEL_RATIO = 0.585
CHORD_HALF_SPAN_RATIO = 0.02
SMOOTH_SIGMA_RATIO = 0.005
OUTLINE_TOP_RATIO = 0.85
OUTLINE_BOTTOM_RATIO = 0.35
# Heights (fractions of H) where outline chord inclinations feed the fitted estimates: from
# the gluteal fold to the lower thorax, so the pelvis's outline and the lumbar curve are
# both sampled.
FEATURE_LEVELS = tuple(round(0.42 + 0.02 * k, 2) for k in range(19))
# Heights where the outline's shape itself (its x, relative to the mean back x, in units
# of H) is sampled: finer, so the buttock and abdomen contours that turn with the pelvis
# are seen whole.
SHAPE_LEVELS = tuple(round(0.40 + 0.01 * k, 2) for k in range(43))
# Heights relative to the hip landmark (in statures, + = above it) where the outline is also
# sampled: the pelvis turns about the hip joint, so the buttock and lower-belly contours are
# compared at the same place on every body whatever its proportions.
HIP_LEVELS = tuple(round(-0.09 + 0.015 * k, 3) for k in range(19))
# Landmarks whose position relative to the near hip (in statures) describes the stance.
STANCE_PARTS = ("shoulder", "knee", "ankle", "ear")
FEATURE_NAMES = (
    ("lordosis_raw_deg",)
    + tuple(f"back_incl_{lv:.2f}" for lv in FEATURE_LEVELS)
    + tuple(f"front_incl_{lv:.2f}" for lv in FEATURE_LEVELS)
    + ("thigh_incl_deg", "trunk_incl_deg", "shank_incl_deg")
    + tuple(f"back_x_{lv:.2f}" for lv in SHAPE_LEVELS)
    + tuple(f"front_x_{lv:.2f}" for lv in SHAPE_LEVELS)
    + tuple(f"back_hip_{lv:+.3f}" for lv in HIP_LEVELS)
    + tuple(f"front_hip_{lv:+.3f}" for lv in HIP_LEVELS)
    + tuple(f"{part}_{axis}_from_hip" for part in STANCE_PARTS for axis in ("dx", "dy"))
)
# Holes in the segmentation smaller than this (share of H) are filled before tracing.
HOLE_RATIO = 0.03
# Half-width, in H, of the window around the trunk line where the outline is traced.
WINDOW_RATIO = 0.4
# The back outline must be found on this share of rows between the two bulges.
MIN_OUTLINE_COVERAGE = 0.9


@dataclass(frozen=True, eq=False)
class OutlineFeatures:
    """Everything read off the outline, in the person-faces-+x frame.

    ``vector`` is ordered like :data:`FEATURE_NAMES`; ``flags`` names what went wrong.
    """

    vector: np.ndarray
    back: EdgeProfile
    front: EdgeProfile
    floor_y_px: float
    stature_px: float
    depth_px: float
    flags: tuple[str, ...]


def _p(xy: np.ndarray, part: str, side: Side) -> np.ndarray:
    point: np.ndarray = xy[near_side_index(part, side)]
    return point


def _floor_y(mask: np.ndarray, threshold: float = 0.5) -> float:
    if mask.strides[1] < 0:
        # The rows the person is on do not depend on the column order, and numpy reads a
        # mirrored view (see pose_features) ~4x slower than the same memory forwards.
        mask = mask[:, ::-1]
    # Bottom up, a block of rows at a time: the feet are usually near the bottom, so most
    # of the mask (1.2 MB at 640 x 480, on every measured live frame) is never read.
    end = mask.shape[0]
    while end > 0:
        start = max(end - 64, 0)
        rows = np.flatnonzero((mask[start:end] >= threshold).any(axis=1))
        if rows.size:
            return float(start + rows[-1] + 1)
        end = start
    return math.nan


def outline_features(mask: np.ndarray, xy_px: np.ndarray, side: Side) -> OutlineFeatures:
    """Trace the outline and compute the feature vector; never raises on poor data.

    Args:
        mask: (H, W) person probability, **already mirrored** so the person faces +x.
        xy_px: (33, 2) landmarks in the same mirrored frame.
        side: the subject's side nearer the camera.
    """
    flags: list[str] = []
    nan_vec = np.full(len(FEATURE_NAMES), np.nan)
    empty = EdgeProfile(np.zeros(0), np.zeros(0))
    floor = _floor_y(mask)
    ear, sh, hip = (_p(xy_px, k, side) for k in ("ear", "shoulder", "hip"))
    stature = (floor - ear[1]) / EAR_HEIGHT_RATIO
    if not (math.isfinite(stature) and stature > 50):
        return OutlineFeatures(nan_vec, empty, empty, floor, stature, math.nan, ("no_outline",))
    # Clip to the picture before building per-row arrays: a wild ear landmark must not
    # make them huge.
    r0 = max(int(math.floor(floor - OUTLINE_TOP_RATIO * stature)), 0)
    r1 = min(int(math.ceil(floor - OUTLINE_BOTTOM_RATIO * stature)), mask.shape[0])
    if r1 - r0 < 10:
        return OutlineFeatures(nan_vec, empty, empty, floor, stature, math.nan, ("no_outline",))
    rows = np.arange(r0, r1) + 0.5
    dy = sh[1] - hip[1]
    if not (math.isfinite(dy) and abs(dy) > 1e-6):
        return OutlineFeatures(nan_vec, empty, empty, floor, stature, math.nan, ("no_outline",))
    # A point inside the trunk on every row: the hip-shoulder line, extended below the hip.
    ref = hip[0] + (rows - hip[1]) / dy * (sh[0] - hip[0])
    sigma = SMOOTH_SIGMA_RATIO * stature
    # Work on a window around the trunk only: the outline lies well within 0.4 H of the
    # hip-shoulder line, and the hole filling costs in proportion to the area.
    finite = ref[np.isfinite(ref)]
    if finite.size == 0:
        return OutlineFeatures(nan_vec, empty, empty, floor, stature, math.nan, ("no_outline",))
    c0 = max(int(math.floor(finite.min() - WINDOW_RATIO * stature)), 0)
    c1 = min(int(math.ceil(finite.max() + WINDOW_RATIO * stature)), mask.shape[1])
    if c1 - c0 < 3:
        return OutlineFeatures(nan_vec, empty, empty, floor, stature, math.nan, ("no_outline",))
    band = fill_small_holes(mask[r0:r1, c0:c1], int(HOLE_RATIO * stature))
    back = _shift(
        smooth_profile(edge_profile(band, 0, r1 - r0, ref - c0, side="back"), sigma), c0, r0
    )
    front = _shift(
        smooth_profile(edge_profile(band, 0, r1 - r0, ref - c0, side="front"), sigma), c0, r0
    )

    def level(ratio: float) -> float:
        return float(floor - ratio * stature)

    def levels(ratios: tuple[float, ...]) -> np.ndarray:
        ys: np.ndarray = floor - np.array(ratios) * stature
        return ys

    half = CHORD_HALF_SPAN_RATIO * stature
    lumbar = (back.y_px >= level(0.80)) & (back.y_px <= level(0.45))
    coverage = float(np.isfinite(back.x_px[lumbar]).mean()) if lumbar.any() else 0.0
    if coverage < MIN_OUTLINE_COVERAGE:
        flags.append("outline_gaps")

    # L1 and S1 first, then the feature levels: one call for all the back's chords.
    back_incl = chord_inclinations_deg(
        back, levels((L1_LEVEL_RATIO, S1_LEVEL_RATIO) + FEATURE_LEVELS), half
    )
    shape_y = levels(SHAPE_LEVELS)
    vec = np.concatenate(
        [
            [back_incl[0] - back_incl[1]],
            back_incl[2:],
            chord_inclinations_deg(front, levels(FEATURE_LEVELS), half),
            [
                inclination_deg(_p(xy_px, "knee", side), hip),
                inclination_deg(hip, sh),
                inclination_deg(_p(xy_px, "ankle", side), _p(xy_px, "knee", side)),
            ],
        ]
    )
    back_x = profile_xs_at(back, shape_y)
    front_x = profile_xs_at(front, shape_y)
    origin = float(np.mean(back_x))
    hip_y = hip[1] - np.array(HIP_LEVELS) * stature
    stance = [
        (_p(xy_px, part, side) - hip) * np.array([1.0, -1.0]) / stature for part in STANCE_PARTS
    ]
    vec = np.concatenate(
        [
            vec,
            (back_x - origin) / stature,
            (front_x - origin) / stature,
            (profile_xs_at(back, hip_y) - hip[0]) / stature,
            (profile_xs_at(front, hip_y) - hip[0]) / stature,
            np.concatenate(stance),
        ]
    )
    if not np.isfinite(vec).all() and "outline_gaps" not in flags:
        flags.append("outline_gaps")
    depth = hollow_depth_px(back, level(0.80), level(0.45))
    if not math.isfinite(depth) and "outline_gaps" not in flags:
        flags.append("outline_gaps")
    return OutlineFeatures(vec, back, front, floor, stature, depth, tuple(flags))


def _shift(profile: EdgeProfile, cols: int, rows: int) -> EdgeProfile:
    return EdgeProfile(y_px=profile.y_px + rows, x_px=profile.x_px + cols)


def pose_features(pose: Pose, side: Side, facing: Facing) -> OutlineFeatures:
    """:func:`outline_features` for a detected pose, mirrored to face +x first."""
    if pose.mask is None:
        empty = EdgeProfile(np.zeros(0), np.zeros(0))
        nan = math.nan
        return OutlineFeatures(
            np.full(len(FEATURE_NAMES), nan), empty, empty, nan, nan, nan, ("no_outline",)
        )
    w, _ = pose.image_size
    if facing == "-x":
        return outline_features(pose.mask[:, ::-1], mirror_x(pose.xy_px, w), side)
    return outline_features(pose.mask, pose.xy_px, side)


def _measure(value: float, plus_minus: float) -> Measurement:
    return Measurement(float(value), float(plus_minus))


# Landmark angles come straight from MediaPipe's points; their ± is the typical angular
# error of two points as far off as the bench finds landmarks (bench/README.md) over a
# segment of a standing body, about 3°, stated once here rather than pretending to more.
LANDMARK_ANGLE_PLUS_MINUS_DEG = 3.0
OFFSET_PLUS_MINUS_PCT = 1.5


def compute_posture_metrics(
    pose: Pose,
    side: Side,
    facing: Facing,
    calibration: Calibration,
    variant: str | None = None,
    *,
    features: OutlineFeatures | None = None,
    mode: str = "clean",
) -> PostureMetrics:
    """All sagittal measures for one pose that passed the gates.

    Args:
        pose: the detection, with its segmentation mask.
        side: near side (from the gates).
        facing: "+x" or "-x" (from the gates).
        calibration: the fitted estimator (see :func:`.calibration.load_calibration`).
        variant: the pose-model variant, to pick the matching estimator.
        features: the outline features of this pose, when already computed.
        mode: which measured error becomes the ``±`` of the estimated angles: "clean", or
            "flagged" when something was found in the way but the reading is kept.

    Returns:
        :class:`PostureMetrics`; poor data gives NaN values and ``flags``, never an exception.
    """
    w, _ = pose.image_size
    mirrored = facing == "-x"
    xy = mirror_x(pose.xy_px, w) if mirrored else pose.xy_px
    feats = features if features is not None else pose_features(pose, side, facing)
    flags = list(feats.flags)
    key_points = xy[[near_side_index(p, side) for p in ("ear", "shoulder", "hip", "knee", "ankle")]]
    if not np.isfinite(key_points).all():
        flags.append("landmarks_missing")

    cal = calibration.variant(variant)
    estimate, _spread = cal.estimator.predict(_inputs(feats.vector, cal.estimator.features))
    tilt = _measure(estimate[0], cal.error("pelvic_tilt_deg", mode).mae)
    lordosis = _measure(estimate[1], cal.error("lumbar_lordosis_deg", mode).mae)

    sh, hip, knee, ankle, ear = (
        _p(xy, k, side) for k in ("shoulder", "hip", "knee", "ankle", "ear")
    )
    stature = feats.stature_px if math.isfinite(feats.stature_px) else math.nan
    trunk_len = float(np.hypot(*(sh - hip)))
    depth_ratio = feats.depth_px / trunk_len if trunk_len > 0 else math.nan

    def offset(point: np.ndarray) -> Measurement:
        return _measure(100.0 * (point[0] - ankle[0]) / stature, OFFSET_PLUS_MINUS_PCT)

    lm_pm = LANDMARK_ANGLE_PLUS_MINUS_DEG
    trunk = _measure(inclination_deg(hip, sh), lm_pm)
    hip_angle = _measure(joint_angle_deg(sh, hip, knee), lm_pm)
    knee_flexion = _measure(flexion_deg(hip, knee, ankle), lm_pm)
    offsets = [offset(point) for point in (ear, sh, hip, knee)]
    angles_ok = all(math.isfinite(m.value) for m in (trunk, hip_angle, knee_flexion))
    offsets_ok = not math.isfinite(stature) or all(math.isfinite(m.value) for m in offsets)
    if not (angles_ok and offsets_ok):
        # Points on top of each other, or so far off that their distances overflow, leave a
        # measure undefined: say so rather than hand on NaN or infinity.
        flags.append("landmarks_degenerate")
    outline = _outline_geometry(feats, w, mirrored) if feats.back.y_px.size else None
    return PostureMetrics(
        near_side=side,
        facing=facing,
        pelvic_tilt_deg=tilt,
        lumbar_lordosis_deg=lordosis,
        lumbar_depth_ratio=_measure(depth_ratio, 0.02),
        trunk_inclination_deg=trunk,
        hip_angle_deg=hip_angle,
        knee_flexion_deg=knee_flexion,
        ear_offset_pct_height=offsets[0],
        shoulder_offset_pct_height=offsets[1],
        hip_offset_pct_height=offsets[2],
        knee_offset_pct_height=offsets[3],
        camera_roll_deg=None,
        outline=outline,
        flags=tuple(dict.fromkeys(flags)),
    )


def average_metrics(a: PostureMetrics, b: PostureMetrics) -> PostureMetrics:
    """Mean of two measurements of the same picture (e.g. the photo and its mirror image).

    Each value is the mean of the two; the ``±`` stays the larger of the two (the bench's
    error already describes the averaged estimate). Outline geometry is ``a``'s, flags the
    union of both.
    """
    values: dict[str, Any] = {}
    for f in fields(a):
        if f.name == "camera_roll_deg":
            continue  # a property of the photo, not of the person: the mirror reads -roll
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, Measurement) and isinstance(vb, Measurement):
            values[f.name] = Measurement(
                (va.value + vb.value) / 2.0, max(va.plus_minus, vb.plus_minus)
            )
    flags = tuple(dict.fromkeys(a.flags + b.flags))
    return replace(a, flags=flags, **values)


_FEATURE_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}


def _inputs(vec: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The estimator's inputs from the full feature vector (they are usually all of it)."""
    return vec if names == FEATURE_NAMES else vec[[_FEATURE_INDEX[n] for n in names]]


def _outline_geometry(feats: OutlineFeatures, width: int, mirrored: bool) -> OutlineGeometry:
    """The traced outline and chords, back in the analysed image's own frame."""

    def pts(profile: EdgeProfile) -> np.ndarray:
        ok = np.isfinite(profile.x_px)
        xy = np.stack([profile.x_px[ok], profile.y_px[ok]], axis=1)
        return mirror_x(xy, width) if mirrored else xy

    half = CHORD_HALF_SPAN_RATIO * feats.stature_px

    def chord(ratio: float) -> np.ndarray:
        y = feats.floor_y_px - ratio * feats.stature_px
        ends = np.array([y - half, y + half])
        xy = np.stack([profile_xs_at(feats.back, ends), ends], axis=1)
        return mirror_x(xy, width) if mirrored else xy

    return OutlineGeometry(
        back_xy_px=pts(feats.back),
        front_xy_px=pts(feats.front),
        l1_chord_px=chord(L1_LEVEL_RATIO),
        s1_chord_px=chord(S1_LEVEL_RATIO),
        l1_y_px=feats.floor_y_px - L1_LEVEL_RATIO * feats.stature_px,
        s1_y_px=feats.floor_y_px - S1_LEVEL_RATIO * feats.stature_px,
        floor_y_px=feats.floor_y_px,
        stature_px=feats.stature_px,
    )
