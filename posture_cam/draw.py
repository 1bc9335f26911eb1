"""Overlays on images: landmarks, the traced outline, tangent chords and angle labels.

Drawing only draws: every number comes from :class:`PostureMetrics`; coordinates are
scaled from the analysed image to the image being drawn on.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .landmarks import Side, near_side_index
from .types import Pose, PostureMetrics

__all__ = ["draw_overlay", "COLORS"]

# RGB
COLORS = {
    "skeleton": (255, 255, 255),
    "landmark": (0, 200, 255),
    "back": (255, 90, 60),
    "front": (120, 200, 255),
    "chord": (255, 220, 0),
    "plumb": (140, 255, 140),
    "text_bg": (20, 20, 20),
}
_CHAIN = ("ear", "shoulder", "hip", "knee", "ankle", "heel", "toe")


def _pt(xy: np.ndarray, scale: float) -> tuple[int, int]:
    return int(round(float(xy[0]) * scale)), int(round(float(xy[1]) * scale))


def _label(img: np.ndarray, text: str, org: tuple[int, int], size: float) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    thick = max(1, int(round(size * 2)))
    (tw, th), base = cv2.getTextSize(text, font, size, thick)
    x = int(np.clip(org[0], 0, max(img.shape[1] - tw - 4, 0)))
    y = int(np.clip(org[1], th + 4, img.shape[0] - base - 2))
    cv2.rectangle(img, (x - 2, y - th - 4), (x + tw + 2, y + base + 2), COLORS["text_bg"], -1)
    cv2.putText(img, text, (x, y), font, size, (255, 255, 255), thick, cv2.LINE_AA)


def draw_overlay(
    rgb: np.ndarray,
    pose: Pose | None,
    metrics: PostureMetrics | None = None,
    scale: float = 1.0,
    side: Side | None = None,
) -> np.ndarray:
    """A copy of ``rgb`` with the measurement drawn on it.

    Args:
        rgb: (H, W, 3) uint8 image to draw on (e.g. the full-resolution photo).
        pose: landmarks in the analysed image's pixels, or None.
        metrics: the measures (outline, chords, angles), or None.
        scale: ``rgb`` pixels per analysed-image pixel.
        side: near side; taken from ``metrics`` when given.
    """
    out = np.ascontiguousarray(rgb.copy())
    h, w = out.shape[:2]
    lw = max(2, int(round(min(h, w) / 300)))
    # Text scales with the picture's larger side so labels stay readable on portrait photos.
    fs = max(0.5, max(h, w) / 1500)
    if pose is not None:
        near: Side = metrics.near_side if metrics is not None else (side or "left")
        pts = [pose.xy_px[near_side_index(p, near)] for p in _CHAIN]
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            cv2.line(out, _pt(a, scale), _pt(b, scale), COLORS["skeleton"], lw, cv2.LINE_AA)
        for p in pts:
            cv2.circle(out, _pt(p, scale), lw + 2, COLORS["landmark"], -1, cv2.LINE_AA)
    if metrics is None:
        return out
    g = metrics.outline
    if g is not None:
        for key, color in (("back_xy_px", "back"), ("front_xy_px", "front")):
            line = getattr(g, key)
            if line.shape[0] >= 2:
                poly = np.round(line * scale).astype(np.int32).reshape(-1, 1, 2)
                cv2.polylines(out, [poly], False, COLORS[color], lw, cv2.LINE_AA)
        for chord, name in ((g.l1_chord_px, "L1"), (g.s1_chord_px, "S1")):
            if np.isfinite(chord).all():
                a, b = chord
                d = (b - a) * 1.8  # extend the short chord so its direction reads at a glance
                cv2.line(out, _pt(a - d, scale), _pt(b + d, scale), COLORS["chord"], lw,
                         cv2.LINE_AA)
                _label(out, name, _pt(b + d, scale), fs * 0.8)
        if pose is not None and math.isfinite(g.floor_y_px):
            ankle = pose.xy_px[near_side_index("ankle", metrics.near_side)]
            top = g.floor_y_px - g.stature_px
            x = int(round(ankle[0] * scale))
            cv2.line(out, (x, int(top * scale)), (x, int(g.floor_y_px * scale)),
                     COLORS["plumb"], max(1, lw // 2), cv2.LINE_AA)
    lines = [
        f"Pelvic tilt {metrics.pelvic_tilt_deg} deg",
        f"Lumbar curve {metrics.lumbar_lordosis_deg} deg",
        f"Trunk {metrics.trunk_inclination_deg.value:+.0f} deg  "
        f"Hip {metrics.hip_angle_deg.value:.0f} deg",
    ]
    y = int(30 * fs * 1.6)
    for text in lines:
        _label(out, text, (10, y), fs)
        y += int(36 * fs * 1.4)
    return out
