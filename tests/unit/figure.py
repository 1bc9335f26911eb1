"""A synthetic side-view person with a specified back profile, for the outline tests.

The back outline's chord inclination (geometry's convention: + = top posterior) is held
constant on plateaus around the L1 and S1 chords, so the expected surface lordosis is simply
``theta(L1) - theta(S1) = 10 - (-15) = 25°``. The mask is a soft (linear-ramp) person
probability, for which geometry's sub-pixel rule recovers the drawn edge exactly. Heights
are fractions of the standing height S from the floor (the lowest mask row); the ear is at
0.926 S so that the metrics' stature estimate is exactly S.
"""

from __future__ import annotations

import math

import numpy as np

from posture_cam.landmarks import Landmark, Side
from posture_cam.types import Pose

# (from, to, chord inclination in degrees) of the back outline; smooth steps in between.
BACK_PLATEAUS = (
    (0.00, 0.36, 0.0),  # back of the legs, vertical
    (0.395, 0.48, 25.0),  # under the buttocks: going up, the outline moves posterior
    (0.545, 0.625, -15.0),  # sacral region (S1 = 0.585, chord ±0.02, smoothing ±0.016)
    (0.635, 0.715, 10.0),  # upper lumbar (L1 = 0.675)
    (0.76, 0.80, 5.0),  # thoracic
    (0.84, 1.00, -25.0),  # upper back and neck lean forward
)
THETA_L1_DEG, THETA_S1_DEG, THETA_BUTTOCK_DEG = 10.0, -15.0, 25.0
FRONT_CHEST_DEG = -8.0  # front outline above 0.55 S: top anterior by 8°


def _smoothstep(a: float, b: float, h: np.ndarray) -> np.ndarray:
    t = np.clip((h - a) / (b - a), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


Plateaus = tuple[tuple[float, float, float], ...]


def _theta_deg(h: np.ndarray, plateaus: Plateaus) -> np.ndarray:
    out = np.empty_like(h)
    for (a0, a1, va), (b0, _b1, vb) in zip(plateaus, plateaus[1:], strict=False):
        sel = (h >= a0) & (h <= b0)
        out[sel] = va + (vb - va) * _smoothstep(a1, b0, h[sel])
    out[h >= plateaus[-1][0]] = plateaus[-1][2]
    return out


class Figure:
    """A standing person facing +x, drawn at ``scale`` (1.0: S = 500 px in 400 x 600)."""

    def __init__(self, scale: float = 1.0, plateaus: Plateaus = BACK_PLATEAUS) -> None:
        self.s = scale
        self.stature = 500.0 * scale
        self.floor = 560.0 * scale
        self.width = round(400 * scale)
        self.height = round(600 * scale)
        # Back edge: dx/d(height px) = -tan(theta), integrated on a fine grid.
        hf = np.linspace(0.0, 1.0, 100_001)
        slope = np.tan(np.radians(_theta_deg(hf, plateaus)))
        steps = 0.5 * (slope[1:] + slope[:-1]) * np.diff(hf)
        self._hf = hf
        self._xb = 170.0 * scale - self.stature * np.concatenate([[0.0], np.cumsum(steps)])

    def y(self, h: float) -> float:
        return self.floor - h * self.stature

    def x_back(self, h: np.ndarray | float) -> np.ndarray:
        return np.interp(h, self._hf, self._xb)

    def x_front(self, h: np.ndarray) -> np.ndarray:
        s = self.s
        chest = 25.0 * s + math.tan(math.radians(-FRONT_CHEST_DEG)) * self.stature * (h - 0.55)
        neck = 50.0 * s * _smoothstep(0.82, 0.88, h)
        return 215.0 * s + chest * _smoothstep(0.42, 0.55, h) - neck

    def mask(self) -> np.ndarray:
        s = self.s
        ys = np.arange(self.height) + 0.5
        xs = np.arange(self.width) + 0.5
        h = (self.floor - ys) / self.stature
        xb = self.x_back(h)[:, None]
        xf = np.where(h < 0.03, 260.0 * s, self.x_front(h))[:, None]  # the foot
        body = np.clip(np.minimum(0.5 + (xs - xb) / 2, 0.5 + (xf - xs) / 2), 0.0, 1.0)
        body[(h < 0) | (h > 0.90)] = 0.0
        d = np.hypot(xs[None, :] - 195.0 * s, ys[:, None] - self.y(0.926))
        head = np.clip(0.5 + (32.0 * s - d) / 2, 0.0, 1.0)
        return np.maximum(body, head).astype(np.float32)

    def landmarks(self, side: Side = "right") -> np.ndarray:
        s = self.s
        near = {
            "EAR": (200 * s, self.y(0.926)),
            "SHOULDER": (200 * s, self.y(0.82)),
            "ELBOW": (205 * s, self.y(0.63)),
            "WRIST": (210 * s, self.y(0.48)),
            "HIP": (200 * s, self.y(0.52)),
            "KNEE": (195 * s, self.y(0.285)),
            "ANKLE": (190 * s, self.y(0.04)),
            "HEEL": (170 * s, self.y(0.01)),
            "FOOT_INDEX": (255 * s, self.y(0.01)),
        }
        far_side = "LEFT" if side == "right" else "RIGHT"
        xy = np.tile([[220.0 * s, self.y(0.93)]], (33, 1))  # face points near the nose
        for part, (x, y) in near.items():
            xy[Landmark[f"{side.upper()}_{part}"]] = (x, y)
            xy[Landmark[f"{far_side}_{part}"]] = (x + 3 * s, y - 2 * s)
        xy[Landmark.NOSE] = (225 * s, self.y(0.93))
        return xy

    def pose(self, mask: np.ndarray | None = None, xy: np.ndarray | None = None) -> Pose:
        return _pose(
            self.mask() if mask is None else mask,
            self.landmarks() if xy is None else xy,
            (self.width, self.height),
        )


def _pose(mask: np.ndarray | None, xy: np.ndarray, size: tuple[int, int]) -> Pose:
    return Pose(
        xy_px=xy,
        z_px=np.zeros(33),
        visibility=np.ones(33),
        presence=np.ones(33),
        world_xyz_m=np.zeros((33, 3)),
        mask=mask,
        image_size=size,
    )


FIG = Figure()
MASK = FIG.mask()
XY = FIG.landmarks()
