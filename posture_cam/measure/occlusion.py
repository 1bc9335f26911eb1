"""Is the traced back outline the body? Cues for what hides it in real photos.

Renders are bodies in skin-tight clothing; real side views are not. Between the shoulder
blades and the buttocks the traced outline can be long hair or a ponytail, a loose top or
hoodie hanging from the shoulder blades over the lumbar hollow, a hood, an arm or elbow
behind the back, a bag, or part of somebody else. :func:`occlusion_cues` measures, from the
mask, the landmarks and the picture, a few physical cues (all in the person-faces-+x frame,
lengths in statures ``H``), and :class:`OcclusionModel`, a small logistic regression fitted
on renders with painted occluders (``bench/train_estimator.py``), names the most likely
occluder with a plain message and a hint (:data:`OCCLUDERS`). Whether a named occluder makes
the result inconclusive or only widens its ``±`` is decided from the error measured on such
pictures (:class:`~posture_cam.measure.calibration.VariantCalibration`).

Pure numpy: no I/O, no drawing, no mediapipe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from posture_cam.landmarks import Landmark, Side, near_side_index
from posture_cam.measure.geometry import EdgeProfile, edge_profile, profile_xs_at
from posture_cam.types import Pose

__all__ = [
    "OcclusionCues",
    "OcclusionFinding",
    "OcclusionModel",
    "OCCLUDERS",
    "cue_inputs",
    "occlusion_cues",
]

# Arm points that may lie on or behind the back: both sides' elbow, wrist and hand.
_ARM_POINTS = (
    Landmark.LEFT_ELBOW,
    Landmark.RIGHT_ELBOW,
    Landmark.LEFT_WRIST,
    Landmark.RIGHT_WRIST,
    Landmark.LEFT_PINKY,
    Landmark.RIGHT_PINKY,
    Landmark.LEFT_INDEX,
    Landmark.RIGHT_INDEX,
    Landmark.LEFT_THUMB,
    Landmark.RIGHT_THUMB,
)


@dataclass(frozen=True)
class OcclusionCues:
    """Physical cues, each a float (NaN when it cannot be measured).

    Attributes:
        arm_behind_ratio: how far the furthest-back arm point (elbow, wrist, hand, either
            side, between 0.45 H and 0.82 H) lies behind the back outline, in H; negative
            when every arm point is in front of it.
        neck_hollow_ratio: depth of the hollow of the neck under the line from the upper
            back's bulge to the back of the head, in H. A bare neck leaves a few % of H;
            hair, a ponytail, a hood or a collar fill it (values near 0).
        hair_on_back_share: share of the upper back's edge band (0.70-0.84 H) whose colour is
            nearer the hair on the head than the clothing or skin of the mid-trunk, when the
            head shows hair of a colour unlike the face (0 otherwise).
        lumbar_straightness: deepest point of the lumbar hollow under the line touching the
            upper-back and buttock bulges, in H. A loose top bridging the hollow gives ~0.
        lumbar_curvature: root-mean-square second difference of the back outline over the
            lumbar span, in H per (0.01 H)^2 x 1e3: fabric pulled straight has none.
        belly_straightness: the same hollow depth for the front outline between the chest
            and the belly, in H (a loose top hangs straight in front too).
        back_depth_ratio: how far the back outline reaches behind the hip landmark at its
            furthest between 0.45 H and 0.80 H, in H (bags and other people make it large).
        corner_ratio: the sharpest bend of the back outline between 0.45 H and 0.84 H (the
            largest change of direction over 2 % of H, degrees): a hair end, an elbow or a
            bag's edge make corners a body does not have.
        second_pose_near: 1 when MediaPipe found a second (weaker) pose overlapping the area
            behind the subject's back, else 0.
    """

    arm_behind_ratio: float
    neck_hollow_ratio: float
    hair_on_back_share: float
    lumbar_straightness: float
    lumbar_curvature: float
    belly_straightness: float
    back_depth_ratio: float
    corner_ratio: float
    second_pose_near: float

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


def _p(xy: np.ndarray, part: str, side: Side) -> np.ndarray:
    point: np.ndarray = xy[near_side_index(part, side)]
    return point


def _hollow_depth(ys: np.ndarray, xs: np.ndarray, outward: float) -> float:
    """Deepest point under the line touching the two bulges (upper and lower third)."""
    ok = np.isfinite(xs)
    if ok.sum() < 6:
        return math.nan
    y, x = ys[ok], xs[ok] * outward  # outward: larger = further out of the body
    n = y.size
    third = max(n // 3, 1)
    i_up = int(np.argmax(x[:third]))
    i_lo = n - third + int(np.argmax(x[n - third :]))
    if i_lo <= i_up:
        return math.nan
    t = (y - y[i_up]) / (y[i_lo] - y[i_up])
    line = x[i_up] + t * (x[i_lo] - x[i_up])
    return float(max((line - x)[i_up : i_lo + 1].max(), 0.0))


def _lab(rgb: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of an (..., 3) uint8 sRGB array: colour distances people see."""
    c = rgb.astype(np.float64) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def _index_below(limit: float, n: int) -> int:
    """End of the whole-pixel indices i < limit, within 0..n."""
    return int(np.clip(math.ceil(limit), 0, n))


def _index_above(limit: float, n: int) -> int:
    """Start of the whole-pixel indices i > limit, within 0..n."""
    return int(np.clip(math.floor(limit) + 1, 0, n))


def _region_lab(
    rgb: np.ndarray, mask: np.ndarray, window: tuple[slice, slice]
) -> np.ndarray | None:
    """Median colour of the person's pixels inside ``window`` (None: fewer than 20)."""
    sel = mask[window] >= 0.5
    if sel.sum() < 20:
        return None
    median: np.ndarray = np.median(_lab(rgb[window][sel]), axis=0)
    return median


def _hair_share(
    rgb: np.ndarray,
    mask: np.ndarray,
    xy: np.ndarray,
    side: Side,
    back: EdgeProfile,
    front: EdgeProfile,
    floor: float,
    stature: float,
) -> float:
    h, w = mask.shape
    ear = _p(xy, "ear", side)
    nose = xy[Landmark.NOSE]
    if not np.isfinite([*ear, nose[0], stature]).all():
        return 0.0
    # Hair on the head: behind and above the ear; the face: between the ear and the nose.
    # Each region is a window of whole pixels (only the head is looked at, not the picture).
    head_hair = (
        slice(0, _index_below(ear[1] - 0.03 * stature, h)),
        slice(0, _index_below(ear[0], w)),
    )
    face = (
        slice(_index_above(ear[1] - 0.02 * stature, h), _index_below(ear[1] + 0.02 * stature, h)),
        slice(_index_above(ear[0] + 0.01 * stature, w), _index_below(nose[0], w)),
    )
    hair, skin = _region_lab(rgb, mask, head_hair), _region_lab(rgb, mask, face)
    if hair is None or skin is None or np.linalg.norm(hair - skin) < 15.0:
        return 0.0  # no visible hair of its own colour: nothing to look for
    levels = np.arange(0.70, 0.84, 0.005)
    ys = floor - levels * stature
    xb = profile_xs_at(back, ys)
    xf = profile_xs_at(front, floor - 0.65 * stature)
    mid_ys = floor - np.arange(0.60, 0.70, 0.01) * stature
    mid_x = 0.5 * (profile_xs_at(back, mid_ys) + profile_xs_at(front, mid_ys))
    if not (np.isfinite(xb).sum() >= 5 and math.isfinite(xf) and np.isfinite(mid_x).any()):
        return math.nan
    band = 0.015 * stature
    samples = []
    for y, x in zip(ys, xb, strict=True):
        if not math.isfinite(x):
            continue
        r = int(y)
        c0, c1 = int(max(x + 1, 0)), int(min(x + band, w))
        if 0 <= r < h and c1 > c0:
            samples.append(rgb[r, c0:c1])
    trunk_px = []
    for y, x in zip(mid_ys, mid_x, strict=True):
        if math.isfinite(x) and 0 <= int(y) < h:
            trunk_px.append(rgb[int(y), int(max(x - band, 0)) : int(min(x + band, w))])
    if not samples or not trunk_px:
        return math.nan
    edge = _lab(np.concatenate(samples))
    trunk = np.median(_lab(np.concatenate(trunk_px)), axis=0)
    d_hair = np.linalg.norm(edge - hair, axis=1)
    d_trunk = np.linalg.norm(edge - trunk, axis=1)
    return float(((d_hair < d_trunk) & (d_hair < 20.0)).mean())


def _corner_deg(back: EdgeProfile, floor: float, stature: float) -> float:
    levels = np.arange(0.46, 0.84, 0.005)
    ys = floor - levels * stature
    x = profile_xs_at(back, ys)
    step = 0.02 * stature
    k = max(int(round(0.02 / 0.005)), 1)
    if np.isfinite(x).sum() < 2 * k + 1:
        return math.nan
    ang = np.degrees(np.arctan2(x[k:] - x[:-k], step))  # direction of each 2 % chord
    turn = np.abs(ang[k:] - ang[:-k])
    return float(np.nanmax(turn)) if np.isfinite(turn).any() else math.nan


def _second_pose_near(
    others: tuple[Pose, ...],
    back: EdgeProfile,
    floor: float,
    stature: float,
    mirrored_w: float | None,
) -> float:
    for pose in others:
        xy = pose.xy_px.copy()
        if mirrored_w is not None:
            xy[:, 0] = mirrored_w - xy[:, 0]
        ok = pose.presence >= 0.5
        if not ok.any():
            continue
        pts = xy[ok]
        edge = profile_xs_at(back, pts[:, 1])
        level = (floor - pts[:, 1]) / stature
        near = np.isfinite(edge) & (pts[:, 0] < edge + 0.05 * stature) & (level > 0.4)
        if near.any():
            return 1.0
    return 0.0


def occlusion_cues(
    *,
    mask: np.ndarray,
    rgb: np.ndarray | None,
    xy_px: np.ndarray,
    side: Side,
    back: EdgeProfile,
    front: EdgeProfile,
    floor_y_px: float,
    stature_px: float,
    others: tuple[Pose, ...] = (),
    mirrored_width: float | None = None,
) -> OcclusionCues:
    """Measure the cues for one view (person facing +x; see :class:`OcclusionCues`).

    Args:
        mask: (H, W) person probability in the person-faces-+x frame.
        rgb: the picture in the same frame, or None (colour cues become NaN).
        xy_px: (33, 2) landmarks in the same frame.
        side: the near side.
        back / front: the traced outlines (same frame).
        floor_y_px / stature_px: the floor row and standing height.
        others: MediaPipe's other poses, in the picture's own frame.
        mirrored_width: the picture width when the frame was mirrored (to mirror ``others``).
    """
    s, floor = stature_px, floor_y_px
    nan = math.nan

    # Arms: the furthest-back arm point between the buttocks and the shoulder blades.
    pts = xy_px[list(_ARM_POINTS)]
    level = (floor - pts[:, 1]) / s
    edge = profile_xs_at(back, pts[:, 1])
    sel = np.isfinite(edge) & (level > 0.45) & (level < 0.82)
    arm_behind = float(((edge - pts[:, 0]) / s)[sel].max()) if sel.any() else -1.0

    # The hollow of the neck under the line from the upper back's bulge to the back of the
    # head, on an outline traced from the shoulder blades up to the ear.
    neck_hollow = _neck_hollow(mask, xy_px, side, floor, s)

    hair = _hair_share(rgb, mask, xy_px, side, back, front, floor, s) if rgb is not None else nan

    lumbar_ys = floor - np.arange(0.84, 0.46, -0.005) * s
    back_x = profile_xs_at(back, lumbar_ys)
    straight = _hollow_depth(lumbar_ys, back_x, -1.0) / s
    curv = np.diff(back_x / s, 2) * 1e3
    curvature = float(np.sqrt(np.nanmean(curv**2))) if np.isfinite(curv).sum() > 10 else nan
    front_ys = floor - np.arange(0.78, 0.50, -0.005) * s
    belly = _hollow_depth(front_ys, profile_xs_at(front, front_ys), 1.0) / s

    hip = _p(xy_px, "hip", side)
    depth_ys = floor - np.arange(0.45, 0.80, 0.01) * s
    depth = profile_xs_at(back, depth_ys)
    back_depth = float(np.nanmax((hip[0] - depth) / s)) if np.isfinite(depth).any() else nan

    return OcclusionCues(
        arm_behind_ratio=arm_behind,
        neck_hollow_ratio=neck_hollow,
        hair_on_back_share=hair,
        lumbar_straightness=straight,
        lumbar_curvature=curvature,
        belly_straightness=belly,
        back_depth_ratio=back_depth,
        corner_ratio=_corner_deg(back, floor, s),
        second_pose_near=_second_pose_near(others, back, floor, s, mirrored_width),
    )


def _neck_hollow(
    mask: np.ndarray, xy: np.ndarray, side: Side, floor: float, stature: float
) -> float:
    """Depth of the neck's hollow between the upper back and the back of the head, in H."""
    ear, sh, hip = (_p(xy, k, side) for k in ("ear", "shoulder", "hip"))
    top, bottom = ear[1] - 0.03 * stature, floor - 0.72 * stature
    r0, r1 = int(max(math.floor(top), 0)), int(min(math.ceil(bottom), mask.shape[0]))
    if r1 - r0 < 10 or not (abs(sh[1] - hip[1]) > 1e-6 and abs(ear[1] - sh[1]) > 1e-6):
        return math.nan
    y = np.arange(r0, r1) + 0.5
    # A point inside the body on every row: the hip-shoulder line below the shoulder, the
    # shoulder-ear line above it.
    below = hip[0] + (y - hip[1]) / (sh[1] - hip[1]) * (sh[0] - hip[0])
    above = sh[0] + (y - sh[1]) / (ear[1] - sh[1]) * (ear[0] - sh[0])
    edge = edge_profile(mask, r0, r1, np.where(y > sh[1], below, above), side="back")
    return _hollow_depth(edge.y_px, edge.x_px, -1.0) / stature


@dataclass(frozen=True)
class OcclusionFinding:
    """A named occluder: what we think hides the back, and how to take a better picture."""

    code: str
    message: str
    hint: str


# What each occluder class is called, and what people are told. The order is the model's.
OCCLUDERS: dict[str, OcclusionFinding] = {
    "hair": OcclusionFinding(
        "hair_on_back",
        "Long hair or a ponytail seems to lie on the upper back.",
        "Tie your hair up, or bring it forward over your shoulder.",
    ),
    "loose": OcclusionFinding(
        "loose_top",
        "A loose top seems to hang over the lower back and hide its curve.",
        "Wear a fitted top or a sports top, or tuck your shirt in.",
    ),
    "hood": OcclusionFinding(
        "hood_or_collar",
        "Something seems to fill the hollow of the neck (a hood, a collar or a hair bun).",
        "Take the hood down or wear a top without one; tie long hair up.",
    ),
    "arm": OcclusionFinding(
        "arm_on_back",
        "An arm, elbow or hand seems to be on or behind the back and hides its outline.",
        "Let your arms hang relaxed in front of your thighs, or cross them on your chest.",
    ),
    "bag": OcclusionFinding(
        "object_on_back",
        "Something behind the back (a bag or a backpack) seems joined to its outline.",
        "Take off bags and backpacks and stand clear of furniture.",
    ),
    "second": OcclusionFinding(
        "second_person_near",
        "Part of somebody else seems to touch the back's outline.",
        "Stand clear of other people, with only you in the picture.",
    ),
}


def cue_inputs(cues: OcclusionCues) -> np.ndarray:
    """The classifier's inputs: the cues (a missing colour cue counts as no hair seen), a
    log of the curvature, and their squares."""
    c = np.array(list(cues.as_dict().values()), dtype=np.float64)
    names = list(OcclusionCues.__dataclass_fields__)
    c[names.index("hair_on_back_share")] = np.nan_to_num(c[names.index("hair_on_back_share")])
    k = names.index("lumbar_curvature")
    c[k] = math.log(max(c[k], 1e-3)) if math.isfinite(c[k]) else c[k]
    c[names.index("corner_ratio")] /= 100.0
    return np.concatenate([c, c**2])


@dataclass(frozen=True, eq=False)
class OcclusionModel:
    """One logistic detector per occluder (:data:`OCCLUDERS`), each against clean pictures.

    A detector per occluder lets each lean on its own cues (a loose top on the straight
    lumbar outline, an arm on the arm points behind the back) where one model for all would
    blur them.

    Attributes:
        mean / scale: standardisation of :func:`cue_inputs`.
        weights / bias: (inputs, occluders) and (occluders,): each detector's logit.
        thresholds: (occluders,) logit above which that occluder is reported, set on training
            pictures so that each flags only a small share of clean ones.
    """

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    thresholds: np.ndarray

    def __post_init__(self) -> None:
        n, k = len(self.mean), len(OCCLUDERS)
        shapes = (self.scale.shape, self.weights.shape, self.bias.shape, self.thresholds.shape)
        if shapes != ((n,), (n, k), (k,), (k,)):
            raise ValueError(
                f"occlusion model shapes do not fit: mean {self.mean.shape}, scale "
                f"{self.scale.shape}, weights {self.weights.shape}, bias {self.bias.shape}, "
                f"thresholds {self.thresholds.shape}"
            )

    def margins(self, cues: OcclusionCues) -> np.ndarray:
        """Each detector's logit minus its threshold (> 0: found); NaN when a cue is missing."""
        x = cue_inputs(cues)
        if not np.isfinite(x).all():
            return np.full(len(OCCLUDERS), np.nan)
        margins: np.ndarray = (
            ((x - self.mean) / self.scale) @ self.weights + self.bias - self.thresholds
        )
        return margins

    def findings(self, cues: OcclusionCues) -> tuple[OcclusionFinding, ...]:
        """The occluders found, the clearest first."""
        m = self.margins(cues)
        found = [int(i) for i in np.argsort(-m) if m[i] > 0]
        names = list(OCCLUDERS)
        return tuple(OCCLUDERS[names[i]] for i in found)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "mean": self.mean,
            "scale": self.scale,
            "weights": self.weights,
            "bias": self.bias,
            "thresholds": self.thresholds,
        }

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> OcclusionModel:
        return cls(
            **{
                k: a[k].astype(np.float64)
                for k in ("mean", "scale", "weights", "bias", "thresholds")
            }
        )
