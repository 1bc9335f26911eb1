"""The trunk's front-to-back thickness at the chest and belly, sub-pixel, from one frame.

For the breathing check (:mod:`posture_cam.measure.breathing`) a person stands or lies
side-on; in every frame the trunk's thickness is measured at two levels along the
hip -> shoulder axis:

* **chest**, around the sternum: :data:`CHEST_LEVEL_RATIO` of the way from the hip
  landmarks to the shoulder landmarks (about 0.72 of standing height);
* **belly**, around the navel: :data:`BELLY_LEVEL_RATIO` of the way (about 0.60 of
  standing height).

The thickness at a level is the distance, across the trunk axis, from the back outline to
the front outline, averaged over a band of rays ±:data:`BAND_HALF_RATIO` of the trunk length
around the level. Along each ray the segmentation mask says roughly where the outline is
(its 0.5 crossing, sampled bilinearly), and the picture's own brightness edge says exactly
where: near the steepest brightness change within :data:`EDGE_WINDOW_RATIO` of the mask's
crossing, the point half-way between the brightness on either side of it. The
pose model's mask is computed at about 256 pixels and scaled up, so its edge moves in
steps and by the wrong amount when the outline moves by less than a mask pixel (on test
videos it moved 0.85-1.45 times the true movement, with 0.8-1.2 px of noise); the
picture's edge followed the true movement 1:1 with 0.2-0.25 px of noise. Where the picture
shows no clear edge (clothes the colour of the wall) the mask's crossing is kept.

Thickness (front + back distance) does not change when the body and its landmarks move
together, so swaying and small camera shake cancel in it.

Conventions: pixels x right, y down; the **anterior** direction is the side of the trunk
axis the nose is on (so it works standing, facing either way, and lying on the back).

Pure numpy: no I/O, no mediapipe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from posture_cam.landmarks import Landmark

__all__ = [
    "CHEST_LEVEL_RATIO",
    "BELLY_LEVEL_RATIO",
    "BAND_HALF_RATIO",
    "RAYS_PER_BAND",
    "TrunkAxis",
    "trunk_axis",
    "smooth_landmarks",
    "trunk_thickness_px",
]

# Levels along hip -> shoulder (MediaPipe's hip and shoulder landmarks sit ~0.535 and
# ~0.825 of standing height): mid-sternum ~0.72 H, navel ~0.60 H.
CHEST_LEVEL_RATIO = 0.65
BELLY_LEVEL_RATIO = 0.22
BAND_HALF_RATIO = 0.04
RAYS_PER_BAND = 9
# Rays look for the outline up to this far from the axis (share of the trunk length).
REACH_RATIO = 0.7
RAY_STEP_PX = 0.5
# The picture's edge is looked for within this share of the trunk length (at least
# EDGE_WINDOW_MIN_PX) of the mask's crossing; its two sides are read EDGE_SIDE_PX from the
# steepest change, and must differ by EDGE_MIN_CONTRAST grey levels (of 255).
EDGE_WINDOW_RATIO = 0.03
EDGE_WINDOW_MIN_PX = 4.0
EDGE_STEP_PX = 0.25
EDGE_SIDE_PX = 2.0
EDGE_MIN_CONTRAST = 12.0
# Rays whose outline lies further than this from the band's median are left out.
RAY_OUTLIER_PX = 3.0


@dataclass(frozen=True, eq=False)
class TrunkAxis:
    """The hip -> shoulder line of one frame and the anterior direction across it.

    Attributes:
        hip_xy_px: (2,) mid-point of the two hip landmarks.
        shoulder_xy_px: (2,) mid-point of the two shoulder landmarks.
        anterior: (2,) unit vector perpendicular to the axis, towards the front of the body.
    """

    hip_xy_px: np.ndarray
    shoulder_xy_px: np.ndarray
    anterior: np.ndarray

    @property
    def length_px(self) -> float:
        return float(np.hypot(*(self.shoulder_xy_px - self.hip_xy_px)))

    def at(self, ratio: float | np.ndarray) -> np.ndarray:
        """Points ``ratio`` of the way from the hip to the shoulder: shape ``(..., 2)``."""
        r = np.asarray(ratio, dtype=np.float64)[..., None]
        points: np.ndarray = self.hip_xy_px + r * (self.shoulder_xy_px - self.hip_xy_px)
        return points

    def shifted(self, dx: float, dy: float) -> TrunkAxis:
        """The same axis in a crop whose origin is at (dx, dy) of this image: minus the shift."""
        d = np.array([dx, dy], dtype=np.float64)
        return TrunkAxis(self.hip_xy_px - d, self.shoulder_xy_px - d, self.anterior)


_HIPS = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
_SHOULDERS = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]
_EARS = [Landmark.LEFT_EAR, Landmark.RIGHT_EAR]
_HEELS = [Landmark.LEFT_HEEL, Landmark.RIGHT_HEEL]
_TOES = [Landmark.LEFT_FOOT_INDEX, Landmark.RIGHT_FOOT_INDEX]


def trunk_axis(xy_px: np.ndarray) -> TrunkAxis | None:
    """The trunk axis of a pose (33 landmarks, pixels), or None when it is degenerate.

    The anterior side is where the nose lies relative to the ears; when that is unclear
    (nose on the axis line), where the toes lie relative to the heels.
    """
    if xy_px.shape != (33, 2):
        raise ValueError(f"xy_px must have shape (33, 2), got {xy_px.shape}")
    hip = xy_px[_HIPS].mean(axis=0)
    sh = xy_px[_SHOULDERS].mean(axis=0)
    d = sh - hip
    length = float(np.hypot(*d))
    if not (math.isfinite(length) and length > 1e-6):
        return None
    u = d / length
    n = np.array([-u[1], u[0]])
    vote = float((xy_px[Landmark.NOSE] - xy_px[_EARS].mean(axis=0)) @ n)
    if not abs(vote) > 1e-6:
        vote = float((xy_px[_TOES].mean(axis=0) - xy_px[_HEELS].mean(axis=0)) @ n)
    if not math.isfinite(vote) or vote == 0.0:
        return None
    return TrunkAxis(hip, sh, n if vote > 0 else -n)


def smooth_landmarks(t_ms: np.ndarray, xy_px: np.ndarray, window_ms: float) -> np.ndarray:
    """Centred moving mean of landmark tracks over ``window_ms`` (NaN frames ignored).

    Landmarks jitter by a few pixels from frame to frame, as much as breathing moves the
    outline; the levels and the direction the thickness is measured along are taken from
    tracks steadied over about a second instead, which still follow a slow sway.

    Args:
        t_ms: (N,) increasing frame times.
        xy_px: (N, K, 2) landmark positions.
        window_ms: width of the window.

    Returns:
        (N, K, 2) smoothed positions; NaN where no finite frame lies in the window.
    """
    if xy_px.ndim != 3 or xy_px.shape[0] != t_ms.shape[0] or xy_px.shape[2] != 2:
        raise ValueError(f"xy_px must have shape (N, K, 2) with N = {t_ms.shape[0]}")
    half = window_ms / 2.0
    lo = np.searchsorted(t_ms, t_ms - half, side="left")
    hi = np.searchsorted(t_ms, t_ms + half, side="right")
    ok = np.isfinite(xy_px)
    csum = np.concatenate([np.zeros((1, *xy_px.shape[1:])), np.cumsum(np.where(ok, xy_px, 0), 0)])
    cnt = np.concatenate([np.zeros((1, *xy_px.shape[1:])), np.cumsum(ok, 0)])
    n = cnt[hi] - cnt[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (csum[hi] - csum[lo]) / n, np.nan)


def _sample_bilinear(mask: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Mask values at continuous pixel positions ``xy`` (..., 2); 0 outside the image."""
    h, w = mask.shape
    u = xy[..., 0] - 0.5
    v = xy[..., 1] - 0.5
    j0 = np.floor(u).astype(np.intp)
    i0 = np.floor(v).astype(np.intp)
    fu, fv = u - j0, v - i0
    out = np.zeros(u.shape, dtype=np.float64)
    for di, dj, wgt in ((0, 0, (1 - fu) * (1 - fv)), (0, 1, fu * (1 - fv)),
                        (1, 0, (1 - fu) * fv), (1, 1, fu * fv)):  # fmt: skip
        i, j = i0 + di, j0 + dj
        inside = (i >= 0) & (i < h) & (j >= 0) & (j < w)
        out += np.where(inside, mask[np.clip(i, 0, h - 1), np.clip(j, 0, w - 1)], 0.0) * wgt
    return out


def _edge_distance_px(mask: np.ndarray, start: np.ndarray, direction: np.ndarray, reach: float,
                      threshold: float) -> np.ndarray:  # fmt: skip
    """Distance from each start point (R, 2) along ``direction`` to the first mask crossing.

    NaN where the start is outside the person or no crossing lies within ``reach``.
    """
    s = np.arange(0.0, reach + RAY_STEP_PX, RAY_STEP_PX)
    pts = start[:, None, :] + s[None, :, None] * direction
    m = _sample_bilinear(mask, pts)
    inside0 = m[:, 0] >= threshold
    below = m < threshold
    k = np.argmax(below, axis=1)
    found = below[np.arange(len(k)), k] & (k > 0) & inside0
    k = np.maximum(k, 1)
    a = m[np.arange(len(k)), k - 1]
    b = m[np.arange(len(k)), k]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(a != b, (a - threshold) / (a - b), 0.5)
    return np.where(found, s[k - 1] + frac * RAY_STEP_PX, np.nan)


def _image_edge_px(
    gray: np.ndarray, start: np.ndarray, direction: np.ndarray, near: np.ndarray, window: float
) -> np.ndarray:
    """Refine each ray's outline distance ``near`` (R,) to the picture's brightness edge.

    Along each ray, within ``±window`` px of ``near``, the brightness is sampled every
    :data:`EDGE_STEP_PX`. The steepest change marks the edge roughly; the brightness
    :data:`EDGE_SIDE_PX` to either side of it gives the two levels, and the edge is where
    the profile crosses their mean (linear interpolation), which places a sharp or a
    blurred edge to a fraction of a pixel. Rays whose two levels differ by less than
    :data:`EDGE_MIN_CONTRAST` keep ``near``.
    """
    s = np.arange(-window, window + EDGE_STEP_PX / 2, EDGE_STEP_PX)
    dist = np.where(np.isfinite(near), near, 0.0)[:, None] + s[None, :]
    v = _sample_bilinear(gray, start[:, None, :] + dist[..., None] * direction)
    m = v.shape[1]
    side = int(round(EDGE_SIDE_PX / EDGE_STEP_PX))
    g = np.abs(np.diff(v, axis=1))
    # the steepest step away from the ends, so both sides have room
    g[:, : side - 1] = -1.0
    g[:, m - side :] = -1.0
    k = np.argmax(g, axis=1)  # the step from sample k to k + 1
    r = np.arange(len(k))
    lo = v[r, np.clip(k - side, 0, m - 1)]
    hi = v[r, np.clip(k + 1 + side, 0, m - 1)]
    mid = (lo + hi) / 2.0
    # the crossing of the mid level nearest to the steepest step
    d = v - mid[:, None]
    cross = (d[:, :-1] * d[:, 1:] <= 0) & (d[:, :-1] != d[:, 1:])
    idx = np.arange(m - 1)
    dist_to_k = np.where(cross, np.abs(idx[None, :] - k[:, None]), m)
    j = np.argmin(dist_to_k, axis=1)
    a, b = d[r, j], d[r, j + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(a != b, a / (a - b), 0.5)
    edge = dist[r, j] + frac * EDGE_STEP_PX
    good = np.isfinite(near) & (np.abs(hi - lo) >= EDGE_MIN_CONTRAST) & (dist_to_k[r, j] <= side)
    return np.where(good, edge, near)


def _band_mean(d: np.ndarray) -> float:
    """Mean of a band's ray distances without rays far from the band's median."""
    ok = np.isfinite(d)
    if ok.sum() * 2 < RAYS_PER_BAND:
        return math.nan
    keep = ok & (np.abs(d - np.median(d[ok])) <= RAY_OUTLIER_PX)
    return float(d[keep].mean())


def trunk_thickness_px(
    mask: np.ndarray,
    axis: TrunkAxis,
    levels: tuple[float, ...] = (CHEST_LEVEL_RATIO, BELLY_LEVEL_RATIO),
    *,
    gray: np.ndarray | None = None,
    threshold: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Front and back distances of the outline from the trunk axis at each level.

    Args:
        mask: (H, W) person probability 0..1.
        axis: the trunk axis in the mask's pixel frame.
        levels: ratios along hip -> shoulder.
        gray: (H, W) brightness of the same picture (any scale, e.g. 0-255); when given,
            each ray's outline is refined to the picture's edge (module notes).
        threshold: the mask level taken as the outline.

    Returns:
        ``(front_px, back_px)``, each shaped like ``levels``: the mean over the level's band
        of rays of the distance to the front (anterior) and back outline; their sum is the
        trunk's thickness. NaN when fewer than half the rays of a band found the outline.
    """
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (H, W), got shape {mask.shape}")
    if gray is not None and gray.shape != mask.shape:
        raise ValueError(f"gray must have the mask's shape {mask.shape}, got {gray.shape}")
    length = axis.length_px
    offsets = np.linspace(-BAND_HALF_RATIO, BAND_HALF_RATIO, RAYS_PER_BAND)
    reach = REACH_RATIO * length
    window = max(EDGE_WINDOW_MIN_PX, EDGE_WINDOW_RATIO * length)
    front, back = [], []
    for level in levels:
        starts = axis.at(level + offsets)
        f = _edge_distance_px(mask, starts, axis.anterior, reach, threshold)
        b = _edge_distance_px(mask, starts, -axis.anterior, reach, threshold)
        if gray is not None:
            f = _image_edge_px(gray, starts, axis.anterior, f, window)
            b = _image_edge_px(gray, starts, -axis.anterior, b, window)
        both = np.isfinite(f) & np.isfinite(b)
        front.append(_band_mean(np.where(both, f, np.nan)))
        back.append(_band_mean(np.where(both, b, np.nan)))
    return np.array(front), np.array(back)
