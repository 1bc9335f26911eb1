"""Paint what real photos have and renders lack: hair, loose clothes, arms, bags, other people.

Renders show bodies in skin-tight clothing; real side views show ponytails lying on the upper
back, T-shirts and hoodies hanging from the shoulder blades over the lumbar hollow, hands on
the hips, bags and strangers. This module paints such occluders in 2-D onto a render, using
its true person mask and its 2-D key points, and keeps the render's ground truth: the body
underneath has not changed, only what the camera sees of it. Photo effects (phone JPEG,
motion blur, low light, a busy background) are here too.

Everything is deterministic given a ``numpy.random.Generator``. Painting works in the image's
own frame; ``Body`` knows which way the person faces and where the back and front outlines
are, from the true mask.

Kinds (``KINDS``) and what they do to the picture:

=================  =========================================================================
``hair_long``      long hair or a ponytail from the back of the head down the upper back
``loose_top``      a loose T-shirt or shirt: fabric bridges the lumbar hollow and the belly
``hoodie``         a loose top with a hood bunched at the back of the neck
``hood``           a fitted top with a hood bunched at the back of the neck
``hands_on_hips``  the far arm akimbo: its elbow sticks out behind the back at waist level
``arm_behind``     a forearm and hand held behind the lower back
``bag``            a cross-body bag at the hip behind, or a backpack on the upper back
``second_person``  part of another person pressed against the subject's back
``phone_jpeg``     downscaled, heavily compressed and re-enlarged, like a messaging app
``motion_blur``    a 8-20 px motion blur
``low_light``      dark, noisy and compressed
``busy_background``  the room replaced by clutter: shapes, lines, textures, colours
=================  =========================================================================
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from PIL import Image

__all__ = ["KINDS", "OCCLUDER_KINDS", "EFFECT_KINDS", "Body", "Augmented", "augment"]

EAR_HEIGHT_RATIO = 0.926  # the ear canal's height in statures (as posture_cam's metrics)

HAIR_COLOURS = np.array(
    [
        (30, 22, 18),
        (58, 38, 25),
        (95, 62, 38),
        (150, 110, 70),
        (205, 170, 110),
        (120, 45, 25),
        (160, 160, 160),
        (15, 15, 18),
        (80, 50, 35),
    ],
    dtype=np.float64,
)
FABRIC_COLOURS = np.array(
    [
        (235, 235, 235),
        (30, 30, 35),
        (60, 80, 140),
        (150, 30, 40),
        (70, 110, 70),
        (200, 180, 140),
        (120, 120, 125),
        (230, 200, 60),
        (90, 60, 120),
        (200, 120, 150),
        (40, 60, 90),
        (170, 90, 40),
    ],
    dtype=np.float64,
)


@dataclass(frozen=True, eq=False)
class Body:
    """A rendered person: picture, true mask, key points, and outlines in the image frame.

    Attributes:
        rgb: (H, W, 3) uint8 picture.
        mask: (H, W) float32 true person coverage, 0..1.
        kp: near-side key points by name (ear, shoulder, elbow, wrist, hip, knee, ankle,
            heel, toe, nose), pixels.
        far_kp: the same for the far side.
        faces: +1 when the person faces image right (+x), -1 when image left.
        floor_y / stature_px: the floor row and the standing height in pixels.
    """

    rgb: np.ndarray
    mask: np.ndarray
    kp: dict[str, np.ndarray]
    far_kp: dict[str, np.ndarray]
    faces: int
    floor_y: float
    stature_px: float
    back_x: np.ndarray = field(repr=False)  # per image row; NaN where the trunk is absent
    front_x: np.ndarray = field(repr=False)

    @classmethod
    def from_render(cls, rgb: np.ndarray, mask: np.ndarray, truth: dict[str, Any]) -> Body:
        cam = truth["camera"]
        near = cam["near_side"]
        far = "R" if near == "L" else "L"
        kp2 = truth["keypoints_2d"]
        names = ("ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "toe")
        kp = {n: np.asarray(kp2[f"{n}_{near}"], dtype=np.float64) for n in names}
        kp["nose"] = np.asarray(kp2["nose"], dtype=np.float64)
        far_kp = {n: np.asarray(kp2[f"{n}_{far}"], dtype=np.float64) for n in names}
        faces = 1 if cam["subject_faces"] == "image_right" else -1
        m = mask.astype(np.float32)
        if m.max() > 1.0:
            m = m / 255.0
        rows = np.flatnonzero((m >= 0.5).any(axis=1))
        floor_y = float(rows[-1] + 1)
        stature = (floor_y - kp["ear"][1]) / EAR_HEIGHT_RATIO
        back_x, front_x = _trunk_edges(m, kp, faces)
        return cls(rgb, m, kp, far_kp, faces, floor_y, stature, back_x, front_x)

    def y(self, ratio: float) -> float:
        """Image row of a height given as a share of stature."""
        return self.floor_y - ratio * self.stature_px

    def back_at(self, ratio: float) -> float:
        return _interp_row(self.back_x, self.y(ratio))

    def front_at(self, ratio: float) -> float:
        return _interp_row(self.front_x, self.y(ratio))

    def posterior(self, x: float, dist_px: float) -> float:
        """``x`` moved ``dist_px`` towards the back."""
        return x - self.faces * dist_px


def _interp_row(edge: np.ndarray, y: float) -> float:
    rows = np.arange(edge.size) + 0.5
    ok = np.isfinite(edge)
    if not ok.any():
        return math.nan
    return float(np.interp(y, rows[ok], edge[ok]))


def _trunk_edges(mask: np.ndarray, kp: dict[str, np.ndarray], faces: int) -> tuple[np.ndarray, ...]:
    """Per row, the back and front edges of the trunk (and, above it, of the neck and head).

    The near arm is cut out first (it hangs over the trunk in a side view, and a forearm held
    forward would otherwise become the "front"); rows are searched from the hip-shoulder line,
    or from the ear above the shoulder.
    """
    h, w = mask.shape
    stature = (
        float(np.flatnonzero((mask >= 0.5).any(axis=1))[-1] + 1) - kp["ear"][1]
    ) / EAR_HEIGHT_RATIO
    arm = _capsule((h, w), kp["shoulder"], kp["elbow"], 0.028 * stature, 0.026 * stature)
    arm = np.maximum(
        arm, _capsule((h, w), kp["elbow"], kp["wrist"], 0.026 * stature, 0.022 * stature)
    )
    hand_tip = kp["wrist"] + 0.6 * (kp["wrist"] - kp["elbow"])
    arm = np.maximum(arm, _capsule((h, w), kp["wrist"], hand_tip, 0.024 * stature, 0.02 * stature))
    fg = mask >= 0.5
    in_arm = arm >= 0.5
    back = np.full(h, np.nan)
    front = np.full(h, np.nan)
    sh, hip, ear = kp["shoulder"], kp["hip"], kp["ear"]
    dy = sh[1] - hip[1]
    rows = np.flatnonzero(fg.any(axis=1))
    for r in rows:
        row = fg[r]
        y = r + 0.5
        if y < sh[1]:
            x_ref = ear[0] - faces * 0.01 * stature
        else:
            x_ref = hip[0] + (y - hip[1]) / dy * (sh[0] - hip[0]) if abs(dy) > 1 else hip[0]
        # Runs of foreground on this row: [starts[i], ends[i]).
        padded = np.concatenate([[False], row, [False]]).astype(np.int8)
        change = np.diff(padded)
        starts, ends = np.flatnonzero(change == 1), np.flatnonzero(change == -1)
        inside = (starts <= x_ref) & (ends > x_ref)
        if inside.any():
            k = int(np.argmax(inside))
        else:
            gap = np.minimum(np.abs(starts - x_ref), np.abs(ends - x_ref))
            k = int(np.argmin(gap))
            if gap[k] > 0.05 * stature:
                continue
        lo, hi = int(starts[k]), int(ends[k]) - 1
        c = int(np.clip(x_ref, lo, hi))
        # A forearm held forward or back extends the run: its end is the arm, not the trunk.
        arm_row = in_arm[r, lo : hi + 1]
        if arm_row[hi - lo]:
            trunk = np.flatnonzero(~arm_row[: hi - lo + 1])
            trunk = trunk[trunk + lo >= c] if (trunk + lo >= c).any() else trunk
            hi = lo + int(trunk.max()) if trunk.size else hi
        if arm_row[0]:
            trunk = np.flatnonzero(~arm_row)
            trunk = trunk[trunk + lo <= c] if (trunk + lo <= c).any() else trunk
            lo = lo + int(trunk.min()) if trunk.size else lo
        left, right = float(lo), float(hi + 1)
        back[r], front[r] = (left, right) if faces > 0 else (right, left)
    return back, front


# --------------------------------------------------------------------------- painting


def _capsule(
    shape: tuple[int, int], a: np.ndarray, b: np.ndarray, r_a: float, r_b: float
) -> np.ndarray:
    """Coverage (0..1, anti-aliased) of a tapered capsule from ``a`` to ``b``."""
    h, w = shape
    x0 = int(max(min(a[0] - r_a, b[0] - r_b) - 3, 0))
    x1 = int(min(max(a[0] + r_a, b[0] + r_b) + 3, w))
    y0 = int(max(min(a[1] - r_a, b[1] - r_b) - 3, 0))
    y1 = int(min(max(a[1] + r_a, b[1] + r_b) + 3, h))
    out = np.zeros(shape, np.float32)
    if x1 <= x0 or y1 <= y0:
        return out
    yy, xx = np.mgrid[y0:y1, x0:x1] + 0.5
    d = b - a
    length2 = float(d @ d) or 1e-9
    t = np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / length2, 0, 1)
    px, py = a[0] + t * d[0], a[1] + t * d[1]
    r = r_a + (r_b - r_a) * t
    dist = np.hypot(xx - px, yy - py) - r
    out[y0:y1, x0:x1] = np.clip(0.5 - dist, 0, 1)
    return out


def _polygon(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    """Anti-aliased coverage of a polygon (drawn at 4x and area-averaged)."""
    h, w = shape
    big = np.zeros((h * 4, w * 4), np.uint8)
    cv2.fillPoly(big, [np.round(np.asarray(pts) * 4).astype(np.int32)], 255)
    return cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _noise(rng: np.random.Generator, shape: tuple[int, int], sx: float, sy: float) -> np.ndarray:
    """Smooth noise, zero mean, unit SD, correlated over ``sx`` x ``sy`` pixels."""
    n = rng.standard_normal(shape).astype(np.float32)
    n = cv2.GaussianBlur(n, (0, 0), sigmaX=max(sx, 0.3), sigmaY=max(sy, 0.3))
    return n / (n.std() + 1e-6)


def _composite(rgb: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = np.clip(alpha, 0, 1)[..., None]
    out = rgb.astype(np.float32) * (1 - a) + colour.astype(np.float32) * a
    return np.clip(out, 0, 255).astype(np.uint8)


def _hair_texture(
    rng: np.random.Generator, body: Body, base: np.ndarray, alpha: np.ndarray
) -> np.ndarray:
    h, w = alpha.shape
    strands = _noise(rng, (h, w), 0.8, 10.0)
    broad = _noise(rng, (h, w), 12.0, 25.0)
    edge = cv2.GaussianBlur(alpha, (0, 0), 4.0)
    shade = 0.75 + 0.12 * strands + 0.1 * broad + 0.25 * (edge - 0.5)
    return base[None, None, :] * np.clip(shade, 0.35, 1.4)[..., None]


def _fabric_texture(
    rng: np.random.Generator, base: np.ndarray, lum: np.ndarray, vertical: bool
) -> np.ndarray:
    h, w = lum.shape
    folds = _noise(rng, (h, w), 3.0 if vertical else 10.0, 18.0 if vertical else 8.0)
    shade = 0.55 + 0.5 * lum + 0.07 * folds
    return base[None, None, :] * np.clip(shade, 0.3, 1.3)[..., None]


def _luminance(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The render's lighting on the body, 0..1-ish, smooth; 0.6 where there is no body."""
    g = rgb.astype(np.float32).mean(axis=2) / 255.0
    m = (mask >= 0.5).astype(np.float32)
    num = cv2.GaussianBlur(g * m, (0, 0), 6.0)
    den = cv2.GaussianBlur(m, (0, 0), 6.0)
    lum = np.where(den > 0.05, num / np.maximum(den, 1e-6), 0.6)
    return lum / max(float(np.percentile(lum[m > 0], 90)) if m.any() else 1.0, 1e-3)


def _skin_colour(body: Body) -> np.ndarray:
    """The subject's skin, sampled on the hand (hands are bare in every render)."""
    hand = body.kp["wrist"] + 0.35 * (body.kp["wrist"] - body.kp["elbow"])
    r = max(int(0.01 * body.stature_px), 2)
    x, y = int(hand[0]), int(hand[1])
    patch = body.rgb[max(y - r, 0) : y + r, max(x - r, 0) : x + r]
    inside = body.mask[max(y - r, 0) : y + r, max(x - r, 0) : x + r] >= 0.5
    if not inside.any():
        return np.array([190.0, 150.0, 120.0])
    return np.median(patch[inside], axis=0).astype(np.float64)


# --------------------------------------------------------------------------- occluders


@dataclass(frozen=True, eq=False)
class Augmented:
    """A painted picture, its new true coverage, and what was painted (for reports)."""

    rgb: np.ndarray
    mask: np.ndarray
    kind: str
    params: dict[str, Any]


def _hair_long(rng: np.random.Generator, body: Body) -> Augmented:
    s = body.stature_px
    colour = HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))] * rng.uniform(0.85, 1.15)
    ponytail = bool(rng.random() < 0.4)
    end = rng.uniform(0.64, 0.80)  # where the hair ends, in statures
    shape = body.mask.shape
    ear = body.kp["ear"]
    ear_ratio = (body.floor_y - ear[1]) / s
    # Hair covers the head behind the ear and on top (the face stays bare).
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    behind_ear = body.faces * (xx - (ear[0] + body.faces * 0.008 * s)) < 0
    above_ear = yy < ear[1] - 0.045 * s
    head = (yy < ear[1] + 0.02 * s) & (body.mask >= 0.5) & (behind_ear | above_ear)
    alpha = head.astype(np.float32)
    head_back = body.back_at(ear_ratio)
    if ponytail:
        top = np.array([body.posterior(head_back, 0.005 * s), ear[1] - 0.015 * s])
        gap = rng.uniform(0.0, 0.02) * s
        mid = np.array([body.posterior(body.back_at(0.82), gap + 0.02 * s), body.y(0.82)])
        tip = np.array([body.posterior(body.back_at(end), 0.012 * s), body.y(end)])
        width = rng.uniform(0.022, 0.035) * s
        alpha = np.maximum(alpha, _capsule(shape, top, mid, width, width * 0.9))
        alpha = np.maximum(alpha, _capsule(shape, mid, tip, width * 0.9, width * 0.35))
    else:
        thick = rng.uniform(0.012, 0.035) * s
        ratios = np.linspace(ear_ratio + 0.01, end, 30)
        shoulder_blade = min(0.80, ear_ratio - 0.1)
        bridge_from = np.array([body.posterior(head_back, 0.2 * thick), body.y(ear_ratio)])
        bridge_to = np.array(
            [body.posterior(body.back_at(shoulder_blade), thick), body.y(shoulder_blade)]
        )
        outer, inner = [], []
        for k, r in enumerate(ratios):
            y = body.y(r)
            taper = 1.0 - 0.7 * (k / (len(ratios) - 1)) ** 3
            x_out = body.posterior(body.back_at(r), thick * taper)
            if r > shoulder_blade:  # hangs straight past the hollow of the neck
                t = (bridge_from[1] - y) / (bridge_from[1] - bridge_to[1])
                x_line = bridge_from[0] + (y - bridge_from[1]) / (bridge_to[1] - bridge_from[1]) * (
                    bridge_to[0] - bridge_from[0]
                )
                if body.faces * (x_line - x_out) < 0 and t >= -0.2:
                    x_out = x_line
            width_in = 0.03 * s * taper
            outer.append((x_out, y))
            inner.append((body.posterior(body.back_at(r), -width_in), y))
        alpha = np.maximum(alpha, _polygon(shape, np.array(outer + inner[::-1])))
    alpha = cv2.GaussianBlur(alpha, (0, 0), 0.8)
    rgb = _composite(body.rgb, _hair_texture(rng, body, colour, alpha), alpha)
    return Augmented(
        rgb,
        np.maximum(body.mask, alpha),
        "hair_long",
        {"end_ratio": round(float(end), 3), "ponytail": ponytail},
    )


def _top_alpha(
    rng: np.random.Generator, body: Body, hem: float, slack: float, loose: bool
) -> np.ndarray:
    """Coverage of a top from the neckline to ``hem`` (statures); loose tops bridge hollows."""
    s = body.stature_px
    shape = body.mask.shape
    ys = np.linspace(body.y(0.81), body.y(hem), 40)
    ratios = (body.floor_y - ys) / s
    back = np.array([body.back_at(r) for r in ratios])
    front = np.array([body.front_at(r) for r in ratios])
    if loose:
        back = _drape(body, ratios, back, slack * s, posterior=True)
        front = _drape(body, ratios, front, 0.6 * slack * s, posterior=False)
    pts = np.concatenate([np.stack([back, ys], 1), np.stack([front, ys], 1)[::-1]])
    alpha = _polygon(shape, pts)
    # Keep the forearm and hand in front of the top (the near arm hangs over the trunk).
    forearm = _capsule(shape, body.kp["elbow"], body.kp["wrist"], 0.028 * s, 0.024 * s)
    return alpha * (1.0 - forearm)


def _drape(
    body: Body, ratios: np.ndarray, edge: np.ndarray, slack_px: float, posterior: bool
) -> np.ndarray:
    """Fabric hanging from the most prominent point above: the hull of the edge, plus slack.

    On the back the fabric falls from the shoulder blades and touches the buttocks; in front
    it falls from the chest. Between those contact points it bridges the hollow in a
    straight line, flaring a little (``slack_px``) towards the hem.
    """
    sign = -body.faces if posterior else body.faces  # towards outside the body
    out_dist = sign * (edge - np.nanmean(edge))  # larger = further out
    n = edge.size
    hull = out_dist.copy()
    # Upper contact: the most prominent point of the top part; below it the fabric is the
    # upper hull of the outline (a straight bridge over any hollow).
    i_top = int(np.nanargmax(out_dist[: max(n // 2, 1)]))
    for i in range(i_top + 1, n):
        best = -np.inf
        for j in range(i, n):
            if not np.isfinite(out_dist[j]):
                continue
            t = (i - i_top) / max(j - i_top, 1)
            best = max(best, out_dist[i_top] + t * (out_dist[j] - out_dist[i_top]))
        hull[i] = max(out_dist[i], best) if np.isfinite(best) else out_dist[i]
    flare = slack_px * np.clip((np.arange(n) - i_top) / max(n - 1 - i_top, 1), 0, 1) ** 1.5
    return np.nanmean(edge) + sign * (hull + flare)


def _hood_alpha(rng: np.random.Generator, body: Body) -> np.ndarray:
    s = body.stature_px
    depth = rng.uniform(0.03, 0.06) * s
    y = body.y(rng.uniform(0.80, 0.83))
    x = body.posterior(body.back_at(0.80), 0.4 * depth)
    a = np.array([x, y - 0.02 * s])
    b = np.array([body.posterior(x, 0.2 * depth), y + 0.025 * s])
    return _capsule(body.mask.shape, a, b, depth * 0.9, depth * 0.7)


def _paint_top(rng: np.random.Generator, body: Body, kind: str) -> Augmented:
    loose = kind in ("loose_top", "hoodie")
    hem = rng.uniform(0.47, 0.56) if loose else rng.uniform(0.52, 0.58)
    slack = rng.uniform(0.0, 0.025)
    alpha = _top_alpha(rng, body, hem, slack, loose)
    if kind in ("hoodie", "hood"):
        alpha = np.maximum(alpha, _hood_alpha(rng, body))
    alpha = cv2.GaussianBlur(alpha, (0, 0), 0.7)
    colour = FABRIC_COLOURS[rng.integers(len(FABRIC_COLOURS))] * rng.uniform(0.85, 1.1)
    lum = _luminance(body.rgb, body.mask)
    texture = _fabric_texture(rng, colour, lum, vertical=loose)
    rgb = _composite(body.rgb, texture, alpha)
    return Augmented(
        rgb,
        np.maximum(body.mask, alpha),
        kind,
        {"hem_ratio": round(float(hem), 3), "slack_ratio": round(float(slack), 4)},
    )


def _arm(rng: np.random.Generator, body: Body, kind: str) -> Augmented:
    s = body.stature_px
    shape = body.mask.shape
    sh = body.kp["shoulder"] + np.array([body.posterior(0, 0.01 * s), 0.0])
    if kind == "hands_on_hips":
        elbow = np.array(
            [
                body.posterior(body.back_at(0.66), rng.uniform(0.04, 0.09) * s),
                body.y(rng.uniform(0.64, 0.69)),
            ]
        )
        hand = np.array(
            [
                body.posterior(body.back_at(0.60), -rng.uniform(0.01, 0.04) * s),
                body.y(rng.uniform(0.58, 0.62)),
            ]
        )
    else:
        elbow = np.array(
            [
                body.posterior(body.back_at(0.66), rng.uniform(0.02, 0.05) * s),
                body.y(rng.uniform(0.62, 0.67)),
            ]
        )
        hand = np.array(
            [
                body.posterior(body.back_at(0.57), rng.uniform(0.005, 0.035) * s),
                body.y(rng.uniform(0.54, 0.60)),
            ]
        )
    sleeve = bool(rng.random() < 0.5)
    skin = _skin_colour(body) * rng.uniform(0.85, 1.05)
    cloth = FABRIC_COLOURS[rng.integers(len(FABRIC_COLOURS))]
    upper = _capsule(shape, sh, elbow, 0.032 * s, 0.026 * s)
    fore = _capsule(shape, elbow, hand, 0.025 * s, 0.02 * s)
    palm = _capsule(
        shape, hand, hand + np.array([body.posterior(0, 0.01 * s), 0.01 * s]), 0.022 * s, 0.018 * s
    )
    # Painted behind the subject's own near arm: the far arm is further from the camera.
    near_arm = _capsule(shape, body.kp["shoulder"], body.kp["elbow"], 0.03 * s, 0.028 * s)
    near_arm = np.maximum(
        near_arm, _capsule(shape, body.kp["elbow"], body.kp["wrist"], 0.028 * s, 0.022 * s)
    )
    visible = 1.0 - near_arm
    a_upper = upper * visible
    a_rest = np.maximum(fore, palm) * visible
    lum = _luminance(body.rgb, body.mask)
    col_upper = (
        _fabric_texture(rng, cloth, lum, False)
        if sleeve
        else skin[None, None] * (0.6 + 0.4 * lum[..., None])
    )
    rgb = _composite(body.rgb, col_upper, a_upper)
    rgb = _composite(rgb, skin[None, None] * (0.55 + 0.45 * lum[..., None]) * 0.92, a_rest)
    alpha = np.maximum(a_upper, a_rest)
    return Augmented(
        rgb,
        np.maximum(body.mask, alpha),
        kind,
        {
            "elbow_out_ratio": round(float(body.faces * (body.back_at(0.66) - elbow[0]) / s), 3),
            "sleeve": sleeve,
        },
    )


def _bag(rng: np.random.Generator, body: Body) -> Augmented:
    s = body.stature_px
    shape = body.mask.shape
    backpack = bool(rng.random() < 0.4)
    colour = FABRIC_COLOURS[rng.integers(len(FABRIC_COLOURS))] * 0.8
    if backpack:
        top_r, bot_r = rng.uniform(0.76, 0.80), rng.uniform(0.58, 0.66)
        depth = rng.uniform(0.06, 0.10) * s
    else:
        top_r = rng.uniform(0.54, 0.60)
        bot_r = top_r - rng.uniform(0.08, 0.12)
        depth = rng.uniform(0.04, 0.07) * s
    pts = []
    for r in np.linspace(top_r, bot_r, 12):
        pts.append((body.posterior(body.back_at(r), -0.01 * s), body.y(r)))
    for r in np.linspace(bot_r, top_r, 12):
        pts.append((body.posterior(body.back_at(r), depth), body.y(r)))
    alpha = _polygon(shape, np.array(pts))
    strap_a = body.kp["shoulder"] + np.array([body.posterior(0, 0.01 * s), -0.01 * s])
    strap_b = np.array([body.posterior(body.back_at(top_r), depth * 0.5), body.y(top_r)])
    alpha = np.maximum(alpha, _capsule(shape, strap_a, strap_b, 0.008 * s, 0.008 * s))
    alpha = cv2.GaussianBlur(alpha, (0, 0), 0.7)
    lum = _luminance(body.rgb, body.mask)
    rgb = _composite(body.rgb, _fabric_texture(rng, colour, lum * 0 + 0.7, False), alpha)
    return Augmented(
        rgb,
        np.maximum(body.mask, alpha),
        "bag",
        {"backpack": backpack, "depth_ratio": round(float(depth / s), 3)},
    )


def _second_person(rng: np.random.Generator, body: Body) -> Augmented:
    s = body.stature_px
    shape = body.mask.shape
    r_mid = rng.uniform(0.55, 0.75)
    overlap = rng.uniform(-0.005, 0.02) * s
    width = rng.uniform(0.07, 0.13) * s
    x = body.posterior(body.back_at(r_mid), width - overlap)
    a = np.array([x, body.y(min(r_mid + rng.uniform(0.12, 0.3), 1.0))])
    b = np.array(
        [
            body.posterior(x, rng.uniform(-0.03, 0.03) * s),
            body.y(max(r_mid - rng.uniform(0.1, 0.25), 0.3)),
        ]
    )
    alpha = _capsule(shape, a, b, width, width * rng.uniform(0.7, 1.0))
    alpha = cv2.GaussianBlur(alpha, (0, 0), 0.8)
    colour = FABRIC_COLOURS[rng.integers(len(FABRIC_COLOURS))]
    texture = _fabric_texture(rng, colour, np.full(shape, 0.7, np.float32), False)
    # The other person stands behind: the subject stays in front of them.
    alpha = alpha * (1.0 - (body.mask >= 0.5))
    rgb = _composite(body.rgb, texture, alpha)
    return Augmented(
        rgb,
        body.mask,
        "second_person",
        {"level_ratio": round(float(r_mid), 3), "overlap_ratio": round(float(overlap / s), 4)},
    )


# --------------------------------------------------------------------------- photo effects


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=int(quality))
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _phone_jpeg(rng: np.random.Generator, body: Body) -> Augmented:
    h, w = body.mask.shape
    f = rng.uniform(0.35, 0.6)
    small = cv2.resize(
        body.rgb, (max(int(w * f), 16), max(int(h * f), 16)), interpolation=cv2.INTER_AREA
    )
    q = int(rng.integers(25, 55))
    back = cv2.resize(_jpeg(small, q), (w, h), interpolation=cv2.INTER_LINEAR)
    return Augmented(back, body.mask, "phone_jpeg", {"scale": round(float(f), 2), "quality": q})


def _motion_blur(rng: np.random.Generator, body: Body) -> Augmented:
    length = int(rng.integers(8, 21))
    angle = rng.uniform(-30, 30) if rng.random() < 0.7 else rng.uniform(60, 120)
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
    k = cv2.warpAffine(k, rot, (length, length))
    k /= k.sum()
    out = cv2.filter2D(body.rgb, -1, k, borderType=cv2.BORDER_REFLECT)
    return Augmented(
        out, body.mask, "motion_blur", {"length_px": length, "angle_deg": round(float(angle), 1)}
    )


def _low_light(rng: np.random.Generator, body: Body) -> Augmented:
    gain = rng.uniform(0.18, 0.4)
    img = (body.rgb.astype(np.float32) / 255.0) ** 1.15 * gain * 255.0
    img += rng.normal(0, rng.uniform(4, 9), img.shape)
    out = _jpeg(np.clip(img, 0, 255).astype(np.uint8), int(rng.integers(60, 85)))
    return Augmented(out, body.mask, "low_light", {"gain": round(float(gain), 2)})


def _busy_background(rng: np.random.Generator, body: Body) -> Augmented:
    h, w = body.mask.shape
    bg = np.zeros((h, w, 3), np.float32) + rng.uniform(60, 200, 3)
    bg *= 1 + 0.3 * _noise(rng, (h, w), 40, 40)[..., None]
    for _ in range(int(rng.integers(25, 60))):
        colour = rng.uniform(0, 255, 3).tolist()
        kind = rng.integers(3)
        if kind == 0:
            x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
            cv2.rectangle(
                bg,
                (int(x0), int(y0)),
                (int(x0 + rng.uniform(10, w / 3)), int(y0 + rng.uniform(10, h / 3))),
                colour,
                -1,
            )
        elif kind == 1:
            x = rng.uniform(0, w)
            cv2.line(
                bg,
                (int(x), 0),
                (int(x + rng.uniform(-20, 20)), h),
                colour,
                int(rng.integers(2, 12)),
            )
        else:
            cv2.circle(
                bg,
                (int(rng.uniform(0, w)), int(rng.uniform(0, h))),
                int(rng.uniform(8, w / 5)),
                colour,
                -1,
            )
    bg = cv2.GaussianBlur(bg, (0, 0), rng.uniform(0.5, 2.5))
    bg += rng.normal(0, 6, bg.shape)
    a = np.clip(body.mask, 0, 1)[..., None]
    out = body.rgb.astype(np.float32) * a + np.clip(bg, 0, 255) * (1 - a)
    return Augmented(np.clip(out, 0, 255).astype(np.uint8), body.mask, "busy_background", {})


_PAINTERS: dict[str, Callable[[np.random.Generator, Body], Augmented]] = {
    "hair_long": _hair_long,
    "loose_top": lambda rng, b: _paint_top(rng, b, "loose_top"),
    "hoodie": lambda rng, b: _paint_top(rng, b, "hoodie"),
    "hood": lambda rng, b: _paint_top(rng, b, "hood"),
    "hands_on_hips": lambda rng, b: _arm(rng, b, "hands_on_hips"),
    "arm_behind": lambda rng, b: _arm(rng, b, "arm_behind"),
    "bag": _bag,
    "second_person": _second_person,
    "phone_jpeg": _phone_jpeg,
    "motion_blur": _motion_blur,
    "low_light": _low_light,
    "busy_background": _busy_background,
}
KINDS = tuple(_PAINTERS)
OCCLUDER_KINDS = KINDS[:8]
EFFECT_KINDS = KINDS[8:]


def augment(body: Body, kind: str, seed: int) -> Augmented:
    """Paint one ``kind`` (see :data:`KINDS`) on ``body``; a seed always gives the same picture."""
    if kind not in _PAINTERS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return _PAINTERS[kind](np.random.default_rng(seed), body)
