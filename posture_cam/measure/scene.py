"""What the scene behind the person says about the camera: its roll.

With a level camera, world verticals (door frames, wall corners, shelves, window edges)
stay vertical in the picture whichever way the camera points; a roll about the lens axis
turns them all by the same angle, and turns the body with them, which a pelvic-tilt
estimate would read as tilt. This module finds long straight near-vertical segments away
from the person and returns their length-weighted median angle; with too few of them the
scene says nothing and the camera is assumed level.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["estimate_roll_deg", "rotate_points", "rotate_mask", "rotate_image"]

# A segment must be this long (share of the picture height) to count as a scene vertical,
# and together they must add up to this much: short edges are textures, not structure.
MIN_SEGMENT_RATIO = 0.08
MIN_TOTAL_RATIO = 0.15
MAX_ROLL_DEG = 10.0


def estimate_roll_deg(rgb: np.ndarray, person_mask: np.ndarray | None = None) -> float | None:
    """Camera roll in degrees, **positive when verticals lean clockwise** (top to the right).

    Returns None when the scene has too few long near-vertical lines to tell (plain walls,
    outdoors, blurred backgrounds). Its error on the synthetic rooms: bench/README.md.
    """
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    detector = cv2.ximgproc.createFastLineDetector(length_threshold=int(MIN_SEGMENT_RATIO * h))
    lines = detector.detect(gray)
    if lines is None:
        return None
    keep_out = None
    if person_mask is not None:
        pad = max(3, int(0.02 * h)) | 1
        keep_out = cv2.dilate((person_mask >= 0.1).astype(np.uint8), np.ones((pad, pad))) > 0
    angles, lengths = [], []
    for x1, y1, x2, y2 in lines.reshape(-1, 4):
        if y2 < y1:
            x1, y1, x2, y2 = x2, y2, x1, y1
        length = math.hypot(x2 - x1, y2 - y1)
        # (x1, y1) is the top end: a top to the right of the bottom leans clockwise.
        angle = math.degrees(math.atan2(x1 - x2, y2 - y1))
        if abs(angle) > MAX_ROLL_DEG:
            continue
        if keep_out is not None:
            mx = min(max(int((x1 + x2) / 2), 0), w - 1)
            my = min(max(int((y1 + y2) / 2), 0), h - 1)
            if keep_out[my, mx]:
                continue
        angles.append(angle)
        lengths.append(length)
    if sum(lengths) < MIN_TOTAL_RATIO * h:
        return None
    order = np.argsort(angles)
    cum = np.cumsum(np.asarray(lengths)[order])
    return float(np.asarray(angles)[order][int(np.searchsorted(cum, cum[-1] / 2))])


def _rotation(width: int, height: int, roll_deg: float) -> np.ndarray:
    # cv2 turns the picture anticlockwise for a positive angle: that undoes a clockwise roll.
    return cv2.getRotationMatrix2D((width / 2.0, height / 2.0), roll_deg, 1.0)


def rotate_points(xy: np.ndarray, width: int, height: int, roll_deg: float) -> np.ndarray:
    """Points as they would be in the picture taken with a level camera."""
    m = _rotation(width, height, roll_deg)
    level: np.ndarray = np.asarray(xy, dtype=np.float64) @ m[:, :2].T + m[:, 2]
    return level


def rotate_mask(mask: np.ndarray, roll_deg: float) -> np.ndarray:
    """A person mask as it would be with a level camera (same size, bilinear)."""
    h, w = mask.shape
    return cv2.warpAffine(
        mask,
        _rotation(w, h, roll_deg),
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )


def rotate_image(rgb: np.ndarray, roll_deg: float) -> np.ndarray:
    """A picture as a level camera would have taken it (same size, bilinear, edges repeated)."""
    h, w = rgb.shape[:2]
    return cv2.warpAffine(
        rgb,
        _rotation(w, h, roll_deg),
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
