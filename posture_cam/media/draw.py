"""Overlays on images: landmarks, the traced outline, tangent chords and angle labels.

Drawing only draws: every number comes from :class:`PostureMetrics`; coordinates are
scaled from the analysed image to the image being drawn on.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from posture_cam.landmarks import Side, near_side_index
from posture_cam.types import Measurement, Pose, PostureMetrics

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
_OUTLINE_TOLERANCE_PX = 0.5  # the drawn outline's largest distance from the traced points


def _pt(xy: np.ndarray, scale: float) -> tuple[int, int]:
    return int(round(float(xy[0]) * scale)), int(round(float(xy[1]) * scale))


def _label(img: np.ndarray, text: str, org: tuple[int, int], size: float) -> None:
    """White text on a dark box, kept inside the picture (pasted from :func:`_label_box`)."""
    box, tw, th, base = _label_box(text, size)
    h, w = img.shape[:2]
    x = min(max(org[0], 0), max(w - tw - 4, 0))
    y = min(max(org[1], th + 4), h - base - 2)
    top, left = y - th - 4, x - 2
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + box.shape[0], h), min(left + box.shape[1], w)
    if r1 > r0 and c1 > c0:
        img[r0:r1, c0:c1] = box[r0 - top : r1 - top, c0 - left : c1 - left]


@functools.lru_cache(maxsize=64)
def _label_box(text: str, size: float) -> tuple[np.ndarray, int, int, int]:
    """A label's box with its text drawn in, and the text's width, height and baseline.

    The box is opaque and the anti-aliased text stays inside it, so pasting it gives the same
    pixels as drawing it on the picture; the live view shows the same labels for several
    frames in a row, and drawing them anew was a measurable part of each frame
    (bench/README.md).
    """
    font = cv2.FONT_HERSHEY_SIMPLEX
    thick = max(1, int(round(size * 2)))
    (tw, th), base = cv2.getTextSize(text, font, size, thick)
    box = np.empty((th + base + 7, tw + 5, 3), np.uint8)  # the text's box with a 2-4 px margin
    box[:] = COLORS["text_bg"]
    cv2.putText(box, text, (2, th + 4), font, size, (255, 255, 255), thick, cv2.LINE_AA)
    box.flags.writeable = False  # shared by every later call with the same text
    return box, tw, th, base


@dataclass(frozen=True)
class _MetricsShapes:
    """What :func:`draw_overlay` draws for a measurement, in the picture's pixels.

    outlines: (points at 1/16 px for ``cv2.polylines(shift=4)``, colour name) per outline.
    chords: (start, end, label) of each extended tangent chord.
    texts: the lines of the label in the corner.
    """

    outlines: tuple[tuple[np.ndarray, str], ...]
    chords: tuple[tuple[tuple[int, int], tuple[int, int], str], ...]
    texts: tuple[str, ...]


@functools.lru_cache(maxsize=8)
def _metrics_shapes(metrics: PostureMetrics, scale: float) -> _MetricsShapes:
    """The shapes for ``metrics``, worked out once per measurement.

    The live view draws the same (immutable, identity-hashed) metrics on every frame until
    the next measurement.
    """
    outlines = []
    chords = []
    g = metrics.outline
    if g is not None:
        for key, color in (("back_xy_px", "back"), ("front_xy_px", "front")):
            line = getattr(g, key)
            if line.shape[0] >= 2:
                # The outline has a point on every row; within half a pixel of them (drawn
                # at 1/16 px) a few dozen segments do, and anti-aliased thick segments are
                # what costs on every live frame (bench/README.md).
                poly = cv2.approxPolyDP(
                    (line * scale).astype(np.float32).reshape(-1, 1, 2),
                    _OUTLINE_TOLERANCE_PX,
                    False,
                )
                outlines.append((np.round(poly * 16).astype(np.int32), color))
        for chord, name in ((g.l1_chord_px, "L1"), (g.s1_chord_px, "S1")):
            if np.isfinite(chord).all():
                a, b = chord
                d = (b - a) * 1.8  # extend the short chord so its direction reads at a glance
                chords.append((_pt(a - d, scale), _pt(b + d, scale), name))
    texts = (
        f"Pelvic tilt {_degrees(metrics.pelvic_tilt_deg)}",
        f"Lower-back curve {_degrees(metrics.lumbar_lordosis_deg)}",
        f"Trunk {_angle(metrics.trunk_inclination_deg.value, 0, sign=True)}  "
        f"Hip {_angle(metrics.hip_angle_deg.value, 0)}",
    )
    return _MetricsShapes(tuple(outlines), tuple(chords), texts)


def _angle(value: float, decimals: int, *, sign: bool = False) -> str:
    """``12.3°``, ``−4°`` or ``+4°`` (``sign``); a value that rounds to zero reads ``0°``,
    never ``−0°``; ``?`` when not a number."""
    if not math.isfinite(value):
        return "?"
    text = f"{value:{'+' if sign else ''}.{decimals}f}"
    if float(text) == 0:
        text = f"{0:.{decimals}f}"
    return text.replace("-", "−") + "°"


def _degrees(m: Measurement) -> str:
    """``12.3° ± 3.6°``: OpenCV 5 draws these characters with its own Unicode font."""
    pm = f" ± {m.plus_minus:.1f}°" if math.isfinite(m.plus_minus) else ""
    return _angle(m.value, 1) + pm


def _person_box(pose: Pose | None, scale: float) -> tuple[float, float, float, float] | None:
    """The person's landmarks' box in the picture (x0, y0, x1, y1), grown to take in the top
    of the head and a margin around the body."""
    if pose is None:
        return None
    xy = pose.xy_px[np.isfinite(pose.xy_px).all(axis=1)] * scale
    if xy.shape[0] == 0:
        return None
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    tall = max(y1 - y0, 1.0)
    return x0 - 0.06 * tall, y0 - 0.12 * tall, x1 + 0.06 * tall, y1


def _labels_origin(
    block: tuple[int, int], size: tuple[int, int], person: tuple[float, ...] | None, pad: int
) -> tuple[int, int]:
    """Top-left corner for the block of labels (``block`` = width, height): the picture
    corner where it covers least of the person (the top left on a tie)."""
    bw, bh = block
    w, h = size
    corners = [(pad, pad), (w - bw - pad, pad), (pad, h - bh - pad), (w - bw - pad, h - bh - pad)]
    if person is None:
        return corners[0]
    px0, py0, px1, py1 = person

    def covered(corner: tuple[int, int]) -> float:
        x, y = corner
        dx = min(x + bw, px1) - max(x, px0)
        dy = min(y + bh, py1) - max(y, py0)
        return max(dx, 0.0) * max(dy, 0.0)

    return min(corners, key=covered)


def draw_overlay(
    rgb: np.ndarray,
    pose: Pose | None,
    metrics: PostureMetrics | None = None,
    scale: float = 1.0,
    side: Side | None = None,
    *,
    in_place: bool = False,
) -> np.ndarray:
    """A copy of ``rgb`` with the measurement drawn on it (or ``rgb`` itself, see ``in_place``).

    Args:
        rgb: (H, W, 3) uint8 image to draw on (e.g. the full-resolution photo).
        pose: landmarks in the analysed image's pixels, or None.
        metrics: the measures (outline, chords, angles), or None.
        scale: ``rgb`` pixels per analysed-image pixel.
        side: near side; taken from ``metrics`` when given.
        in_place: draw on ``rgb`` itself and return it, when it is a writable C-contiguous
            array (otherwise a copy is drawn on as usual). For a caller that owns a fresh
            frame, whose copy would cost time on every frame (bench/README.md).
    """
    if in_place and rgb.flags.c_contiguous and rgb.flags.writeable:
        out = rgb
    else:
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
    shapes = _metrics_shapes(metrics, scale)
    for poly, color in shapes.outlines:
        cv2.polylines(out, [poly], False, COLORS[color], lw, cv2.LINE_AA, shift=4)
    for start, end, name in shapes.chords:
        cv2.line(out, start, end, COLORS["chord"], lw, cv2.LINE_AA)
        _label(out, name, end, fs * 0.8)
    g = metrics.outline
    if g is not None and pose is not None and math.isfinite(g.floor_y_px):
        ankle = pose.xy_px[near_side_index("ankle", metrics.near_side)]
        top = g.floor_y_px - g.stature_px
        x = int(round(ankle[0] * scale))
        cv2.line(
            out,
            (x, int(top * scale)),
            (x, int(g.floor_y_px * scale)),
            COLORS["plumb"],
            max(1, lw // 2),
            cv2.LINE_AA,
        )
    step = int(36 * fs * 1.4)
    boxes = [_label_box(text, fs) for text in shapes.texts]
    block_w = max(b[1] for b in boxes) + 4
    block_h = step * (len(boxes) - 1) + boxes[0][2] + boxes[0][3] + 6
    x, y = _labels_origin((block_w, block_h), (w, h), _person_box(pose, scale), pad=10)
    y += boxes[0][2] + 4  # from the block's top to the first text's baseline
    for text in shapes.texts:
        _label(out, text, (x, y), fs)
        y += step
    return out
