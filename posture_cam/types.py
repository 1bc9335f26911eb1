"""Frozen dataclasses passed between the pipeline's stages.

Coordinates are image pixels, x to the right and y down, with the continuous convention
(pixel (i, j) covers [j, j+1) x [i, i+1)), which is MediaPipe's normalised landmark times
the image size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, get_args

import numpy as np

from .landmarks import NUM_LANDMARKS, Side

__all__ = [
    "Detection",
    "Facing",
    "Measurement",
    "OutlineGeometry",
    "PATTERNS",
    "Pattern",
    "Pose",
    "PostureMetrics",
]

Pattern = Literal["increased", "flattened", "neutral", "inconclusive"]
"""The posture pattern a result is called (:mod:`posture_cam.measure.classify`).

``"increased"``: increased lumbar curve / anterior pelvic tilt (the article's "tight psoas",
"duck butt"). ``"flattened"``: flattened curve / posterior tilt (the article's "weak or
overstretched psoas", "flat butt"). ``"neutral"``: within the usual range.
``"inconclusive"``: the picture could not be measured reliably.
"""

PATTERNS: tuple[Pattern, ...] = get_args(Pattern)
"""Every valid :data:`Pattern`, in declaration order."""

Facing = Literal["+x", "-x"]
"""The image direction a person faces: ``"+x"`` = towards the image's right edge."""


def _check_shape(name: str, arr: np.ndarray, shape: tuple[int, ...]) -> None:
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")


@dataclass(frozen=True, eq=False)
class Pose:
    """One person's landmarks in one image.

    Attributes:
        xy_px: (33, 2) landmark positions in pixels of the analysed image.
        z_px: (33,) MediaPipe's relative depth, scaled like x (smaller = nearer the camera).
        visibility: (33,) probability the landmark is visible (not occluded), 0..1.
        presence: (33,) probability the landmark is inside the image, 0..1.
        world_xyz_m: (33, 3) MediaPipe's metric world landmarks, origin between the hips.
        mask: (H, W) float32 person probability 0..1 at the analysed image size, or None.
        image_size: (width, height) in pixels of the analysed image.
    """

    xy_px: np.ndarray
    z_px: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world_xyz_m: np.ndarray
    mask: np.ndarray | None
    image_size: tuple[int, int]

    def __post_init__(self) -> None:
        _check_shape("xy_px", self.xy_px, (NUM_LANDMARKS, 2))
        _check_shape("z_px", self.z_px, (NUM_LANDMARKS,))
        _check_shape("visibility", self.visibility, (NUM_LANDMARKS,))
        _check_shape("presence", self.presence, (NUM_LANDMARKS,))
        _check_shape("world_xyz_m", self.world_xyz_m, (NUM_LANDMARKS, 3))
        w, h = self.image_size
        if w <= 0 or h <= 0:
            raise ValueError(f"image_size must be positive (width, height), got {self.image_size}")
        if self.mask is not None:
            _check_shape("mask", self.mask, (h, w))

    def scaled(self, factor: float) -> Pose:
        """The same pose in an image ``factor`` times larger (mask dropped: it keeps its size).

        Used to put landmarks found on a downscaled copy back onto the full-resolution photo.
        """
        if factor <= 0:
            raise ValueError(f"factor must be positive, got {factor}")
        w, h = self.image_size
        return Pose(
            xy_px=self.xy_px * factor,
            z_px=self.z_px * factor,
            visibility=self.visibility,
            presence=self.presence,
            world_xyz_m=self.world_xyz_m,
            mask=None,
            image_size=(round(w * factor), round(h * factor)),
        )


@dataclass(frozen=True, eq=False)
class Detection:
    """What the detector found in one image or frame: zero, one or more poses.

    ``poses`` is ordered as MediaPipe returns them; an empty tuple means nobody was found.
    """

    image_size: tuple[int, int]
    poses: tuple[Pose, ...] = field(default_factory=tuple)
    timestamp_ms: int | None = None

    @property
    def n_people(self) -> int:
        return len(self.poses)

    @cached_property  # asked for several times per live frame
    def person(self) -> Pose | None:
        """The main person: the one with the largest landmark extent, or None."""
        if not self.poses:
            return None
        return max(self.poses, key=_pose_extent_px)


def _pose_extent_px(pose: Pose) -> float:
    span = pose.xy_px.max(axis=0) - pose.xy_px.min(axis=0)
    return float(np.hypot(*span))


@dataclass(frozen=True)
class Measurement:
    """A number with its uncertainty: ``value ± plus_minus`` (same unit, e.g. degrees).

    ``plus_minus`` is the typical (mean absolute) error measured by the accuracy bench for
    estimated angles, or the spread over the smoothing window in video.
    """

    value: float
    plus_minus: float

    def __str__(self) -> str:
        return f"{self.value:.1f} ± {self.plus_minus:.1f}"


@dataclass(frozen=True, eq=False)
class OutlineGeometry:
    """Where the measures were taken, in pixels of the analysed image (for overlays).

    Attributes:
        back_xy_px: (N, 2) the smoothed back outline.
        front_xy_px: (M, 2) the smoothed front outline of the trunk and pelvis.
        l1_chord_px / s1_chord_px: (2, 2) the tangent chords at the L1 and S1 levels.
        l1_y_px / s1_y_px: the two levels' heights.
        floor_y_px / stature_px: the floor line and the standing height used for levels.
    """

    back_xy_px: np.ndarray
    front_xy_px: np.ndarray
    l1_chord_px: np.ndarray
    s1_chord_px: np.ndarray
    l1_y_px: float
    s1_y_px: float
    floor_y_px: float
    stature_px: float


@dataclass(frozen=True, eq=False)
class PostureMetrics:
    """Sagittal measures of one standing person (signs: :mod:`posture_cam.measure.geometry`).

    Angles in degrees; offsets are horizontal distances from the vertical through the near
    ankle in % of standing height, positive = ahead (anterior) of the ankle.
    """

    near_side: Side
    facing: Facing
    pelvic_tilt_deg: Measurement
    lumbar_lordosis_deg: Measurement
    lumbar_depth_ratio: Measurement
    trunk_inclination_deg: Measurement
    hip_angle_deg: Measurement
    knee_flexion_deg: Measurement
    ear_offset_pct_height: Measurement
    shoulder_offset_pct_height: Measurement
    hip_offset_pct_height: Measurement
    knee_offset_pct_height: Measurement
    camera_roll_deg: Measurement | None
    outline: OutlineGeometry | None
    flags: tuple[str, ...] = ()

    @property
    def reliable(self) -> bool:
        """False when the outline could not be measured well enough to classify."""
        return not self.flags
