"""Pure geometry for side views: angles, the body outline and its tangents.

Conventions (the one written table; the README repeats it)
-----------------------------------------------------------
* Pixels: x to the right, y down, continuous (pixel column j covers [j, j+1)).
* Every measure is taken after :func:`mirror_x` has turned the person to face **+x**
  (image right), so "anterior" is +x and "posterior" is -x whatever the photo's facing.
* Inclination of a segment or tangent, from its lower end to its upper end, against the
  image vertical: ``0°`` = vertical; **positive = the top lies anterior (+x)** for body
  segments (:func:`inclination_deg`), and **positive = the top lies posterior** for
  back-outline tangents (:func:`chord_inclination_deg`, the DIERS / ground-truth habit that
  makes a hollow back give a positive lordosis).

=========================  ==============================  =====================================
quantity                   points                          0° and sign
=========================  ==============================  =====================================
trunk_inclination_deg      near hip -> near shoulder       vertical; + = leaning forward
hip_angle_deg              shoulder, hip, knee             180 = straight; < 180 = flexed
knee_flexion_deg           hip, knee, ankle                0 = straight; + = bent
lumbar_lordosis_deg        back-outline chords at L1, S1   0 = flat; + = hollow (more extension)
pelvic_tilt_deg            ASIS -> PSIS, estimated         0 = level; + = anterior (PSIS higher)
camera_roll_deg            scene verticals                 0 = level; + = image turned clockwise
=========================  ==============================  =====================================

No I/O, no drawing, no mediapipe: numpy in, numbers out. Functions raise ``ValueError`` on
arguments of the wrong shape and return NaN (never raise) when the data cannot give a value,
so callers can flag the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "mirror_x",
    "inclination_deg",
    "joint_angle_deg",
    "flexion_deg",
    "EdgeProfile",
    "edge_profile",
    "smooth_profile",
    "profile_x_at",
    "profile_xs_at",
    "chord_inclination_deg",
    "chord_inclinations_deg",
    "hollow_depth_px",
    "fill_small_holes",
]


def mirror_x(xy: np.ndarray, width: float) -> np.ndarray:
    """Mirror points left-right in an image ``width`` pixels wide (x -> width - x)."""
    xy = np.asarray(xy, dtype=np.float64)
    if xy.shape[-1] != 2:
        raise ValueError(f"points must have shape (..., 2), got {xy.shape}")
    out = xy.copy()
    out[..., 0] = width - out[..., 0]
    return out


def inclination_deg(bottom: np.ndarray, top: np.ndarray) -> float:
    """Angle of the segment bottom -> top from the image vertical, + when the top is at +x.

    Notes:
        ``atan2(top_x - bottom_x, bottom_y - top_y)`` in degrees, in (-180, 180]; NaN for a
        zero-length or non-finite segment.
    """
    dx = float(top[0] - bottom[0])
    dy = float(bottom[1] - top[1])
    if not (math.isfinite(dx) and math.isfinite(dy)) or (dx == 0.0 and dy == 0.0):
        return math.nan
    deg = math.degrees(math.atan2(dx, dy))
    return 180.0 if deg <= -180.0 else deg  # atan2 gives -180 for dx = -0.0


def joint_angle_deg(a: np.ndarray, joint: np.ndarray, c: np.ndarray) -> float:
    """The angle a-joint-c in degrees (0..180); NaN if either arm has zero length."""
    u = np.asarray(a, dtype=np.float64) - joint
    v = np.asarray(c, dtype=np.float64) - joint
    nu, nv = float(np.hypot(*u)), float(np.hypot(*v))
    if not (nu > 0 and nv > 0 and math.isfinite(nu) and math.isfinite(nv)):
        return math.nan
    cos = float(np.clip((u @ v) / (nu * nv), -1.0, 1.0))
    return math.degrees(math.acos(cos))


def flexion_deg(a: np.ndarray, joint: np.ndarray, c: np.ndarray) -> float:
    """Bend at ``joint``: 0 when a, joint and c are in line, 180 minus the joint angle."""
    return 180.0 - joint_angle_deg(a, joint, c)


@dataclass(frozen=True, eq=False)
class EdgeProfile:
    """One edge of a silhouette sampled row by row: ``x_px[k]`` at height ``y_px[k]``.

    NaN in ``x_px`` marks rows where the edge could not be found.
    """

    y_px: np.ndarray
    x_px: np.ndarray

    def __post_init__(self) -> None:
        if self.y_px.shape != self.x_px.shape or self.y_px.ndim != 1:
            raise ValueError(
                f"y_px and x_px must be 1-D of equal length, got {self.y_px.shape} "
                f"and {self.x_px.shape}"
            )

    @property
    def valid_ratio(self) -> float:
        return float(np.isfinite(self.x_px).mean()) if self.x_px.size else 0.0


def edge_profile(
    mask: np.ndarray,
    row_from: int,
    row_to: int,
    ref_x: np.ndarray,
    *,
    side: str = "back",
    threshold: float = 0.5,
) -> EdgeProfile:
    """The sub-pixel silhouette edge behind (``back``, -x) or ahead of (``front``, +x) a trunk.

    For each row ``row_from..row_to-1`` the search starts at ``ref_x[k]`` (a point inside the
    trunk, e.g. on the hip-shoulder line) and walks towards -x (back) or +x (front) while the
    mask stays above ``threshold``. Walking from inside the trunk keeps an arm held behind
    the back out of the outline as long as there is background between them. The edge is
    placed where the mask, linearly interpolated between pixel centres, crosses
    ``threshold``.

    Args:
        mask: (H, W) person probability or coverage, 0..1, person facing +x.
        row_from, row_to: rows to scan (clipped to the image).
        ref_x: (row_to - row_from,) x of a point inside the trunk on each row.
        side: "back" or "front".
        threshold: the mask level taken as the edge.

    Returns:
        An :class:`EdgeProfile` with rows at pixel centres (``row + 0.5``).
    """
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (H, W), got shape {mask.shape}")
    if side not in ("back", "front"):
        raise ValueError(f"side must be 'back' or 'front', got {side!r}")
    h, w = mask.shape
    rows = np.arange(max(row_from, 0), min(row_to, h))
    xs = np.full(rows.shape, np.nan)
    if rows.size == 0:
        return EdgeProfile(y_px=rows + 0.5, x_px=xs)
    # Vectorised over rows (this runs on every measured live frame): no per-row Python loop.
    ref = np.asarray(ref_x, dtype=np.float64)[rows - row_from]
    ok = np.isfinite(ref)
    sub = mask[rows[0] : rows[-1] + 1]  # a view: the rows are consecutive
    inside = sub >= threshold
    r_idx = np.arange(rows.size)
    c0 = np.clip(np.floor(np.where(ok, ref, 0.0)), 0, w - 1).astype(np.intp)
    # The reference may graze the outline of a thin waist: take the nearest inside pixel
    # within 3 px (on a tie, the one towards -x), i.e. the first one in this order.
    near = c0[:, None] + np.array([0, -1, 1, -2, 2, -3, 3])
    hit = inside[r_idx[:, None], np.clip(near, 0, w - 1)] & (near >= 0) & (near < w)
    first = np.argmax(hit, axis=1)
    c = np.where(hit[r_idx, first], near[r_idx, first], -1)
    ok &= c >= 0
    cc = np.maximum(c, 0)
    outside = ~inside
    # The first outside pixel walking from c towards -x (back) or +x (front); a row where
    # the body runs into the image border has none and stays NaN.
    if side == "back":
        hi = int(cc.max()) + 1
        cand = outside[:, :hi] & (np.arange(hi) <= cc[:, None])
        k = np.argmax(cand[:, ::-1], axis=1)
        j_out = hi - 1 - k
        step = -1
    else:
        lo = int(cc.min())
        cand = outside[:, lo:] & (np.arange(lo, w) >= cc[:, None])
        k = np.argmax(cand, axis=1)
        j_out = lo + k
        step = 1
    ok &= cand[r_idx, k] if side == "front" else cand[r_idx, j_out]
    j_out = np.where(ok, j_out, 0)
    j_in = np.clip(j_out - step, 0, w - 1)
    a = sub[r_idx, j_out].astype(np.float64)
    b = sub[r_idx, j_in].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(b != a, (threshold - a) / (b - a), 0.5)
    # Pixel centres sit at j + 0.5; the edge lies between j_out and j_in.
    xs = np.where(ok, (j_out + 0.5) - step * frac, np.nan)
    return EdgeProfile(y_px=rows + 0.5, x_px=xs)


def smooth_profile(profile: EdgeProfile, sigma_px: float) -> EdgeProfile:
    """Gaussian smoothing along y that ignores missing rows (normalised convolution).

    Rows with too little valid support nearby (< 30 % of the kernel weight) stay NaN.
    """
    x = profile.x_px
    n = x.size
    if sigma_px <= 0 or n == 0:
        return profile
    ok = np.isfinite(x)
    half = max(1, int(math.ceil(3 * sigma_px)))
    t = np.arange(-half, half + 1, dtype=np.float64)
    kern = np.exp(-0.5 * (t / sigma_px) ** 2)
    # "full" then the centred slice: "same" returns the kernel's length for short profiles.
    num = np.convolve(np.where(ok, x, 0.0), kern, mode="full")[half : half + n]
    den = np.convolve(ok.astype(np.float64), kern, mode="full")[half : half + n]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den >= 0.3 * kern.sum(), num / den, np.nan)
    return EdgeProfile(y_px=profile.y_px, x_px=out)


def profile_x_at(profile: EdgeProfile, y_px: float) -> float:
    """The edge's x at height ``y_px`` by linear interpolation; NaN outside or in a gap."""
    return float(profile_xs_at(profile, y_px))


def profile_xs_at(profile: EdgeProfile, y_px: np.ndarray | float) -> np.ndarray:
    """:func:`profile_x_at` at many heights at once: an array of x shaped like ``y_px``."""
    ys, xs = profile.y_px, profile.x_px
    y = np.asarray(y_px, dtype=np.float64)
    if ys.size < 2:
        return np.full(y.shape, np.nan)
    # Searching the inner rows gives the interval index already clamped to 1..n-1.
    k = np.searchsorted(ys[1:-1], y) + 1
    y0, y1, x0, x1 = ys[k - 1], ys[k], xs[k - 1], xs[k]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # masked below
        x = x0 + (x1 - x0) * (y - y0) / (y1 - y0)
        ok = (y >= ys[0]) & (y <= ys[-1]) & np.isfinite(x0) & np.isfinite(x1)
    return np.where(ok, x, np.nan)


def chord_inclination_deg(profile: EdgeProfile, y_center_px: float, half_span_px: float) -> float:
    """Inclination of the back-outline chord from ``y_center - half_span`` to ``+ half_span``.

    Notes:
        With the person facing +x, ``atan2(x_lower - x_upper, y_lower - y_upper)``: 0° for a
        vertical chord, **positive when the chord's top lies posterior** (towards -x). This
        is the ground truth's tangent convention, so lordosis = incl(L1) - incl(S1).
    """
    return float(chord_inclinations_deg(profile, y_center_px, half_span_px))


def chord_inclinations_deg(
    profile: EdgeProfile, y_center_px: np.ndarray | float, half_span_px: float
) -> np.ndarray:
    """:func:`chord_inclination_deg` at many centre heights at once, shaped like them.

    NaN where a chord end is missing or outside the profile.
    """
    if not half_span_px > 0:
        raise ValueError(f"half_span_px must be positive, got {half_span_px}")
    y = np.asarray(y_center_px, dtype=np.float64)
    x_up = profile_xs_at(profile, y - half_span_px)
    x_lo = profile_xs_at(profile, y + half_span_px)
    with np.errstate(invalid="ignore", over="ignore"):  # masked below
        deg = np.degrees(np.arctan2(x_lo - x_up, 2.0 * half_span_px))
    return np.where(np.isfinite(x_up) & np.isfinite(x_lo), deg, np.nan)


def hollow_depth_px(profile: EdgeProfile, y_top_px: float, y_bottom_px: float) -> float:
    """Depth of the lumbar hollow under the line touching the back's two bulges.

    The back edge (person facing +x) is searched between ``y_top_px`` (upper back) and
    ``y_bottom_px`` (buttocks); the bulges are the most posterior points of the upper and the
    lower third of that span, the hollow the largest anterior distance of the edge from the
    line through them, measured perpendicular to it. NaN if the span has gaps.
    """
    ys, xs = profile.y_px, profile.x_px
    sel = (ys >= y_top_px) & (ys <= y_bottom_px)
    if sel.sum() < 6 or not np.isfinite(xs[sel]).all():
        return math.nan
    y, x = ys[sel], xs[sel]
    n = y.size
    third = max(n // 3, 1)
    i_up = int(np.argmin(x[:third]))
    i_lo = n - third + int(np.argmin(x[n - third :]))
    p, q = np.array([x[i_up], y[i_up]]), np.array([x[i_lo], y[i_lo]])
    d = q - p
    length = float(np.hypot(*d))
    if length == 0:
        return math.nan
    normal = np.array([d[1], -d[0]]) / length  # points to +x for a downward chord
    if normal[0] < 0:
        normal = -normal
    dist = (np.stack([x, y], axis=1) - p) @ normal
    return float(max(dist[i_up : i_lo + 1].max(), 0.0))


def fill_small_holes(mask: np.ndarray, max_gap_px: int, threshold: float = 0.5) -> np.ndarray:
    """A copy of ``mask`` with small enclosed background holes set to 1.

    A background pixel is a hole when the person lies within ``max_gap_px`` of it on all
    four sides (left, right, above, below). That fills specks the segmentation leaves inside
    the trunk, which would otherwise stop the back-outline search short, but not the
    concave lumbar hollow (open behind) nor a wide gap between the back and an arm.
    """
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (H, W), got shape {mask.shape}")
    fg = mask >= threshold
    d = max(int(max_gap_px), 1)
    hole = ~fg
    for axis in (0, 1):
        ahead, behind = _foreground_within(fg, d, axis)
        hole &= ahead
        hole &= behind
    out = np.array(mask, dtype=np.float32, copy=True)
    out[hole] = 1.0
    return out


def _foreground_within(fg: np.ndarray, d: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Whether ``fg`` holds a True within ``d`` steps after / before each element on ``axis``.

    A sliding-window OR built by doubling the window (log2 d boolean passes over the array),
    which runs on every measured live frame and is ~20x faster than running sums.
    """
    n = fg.shape[axis]
    d = min(d, max(n, 1))  # a window longer than the axis sees no more

    def part(a: np.ndarray, start: int | None, stop: int | None) -> np.ndarray:
        index = [slice(None)] * a.ndim
        index[axis] = slice(start, stop)
        return a[tuple(index)]

    pad_shape = list(fg.shape)
    pad_shape[axis] = d + 1
    pad = np.zeros(pad_shape, dtype=bool)
    # win[q] = fg[q - d - 1] along the axis; after the doubling, win[q] = any(fg[q-d-1:q-1]).
    win = np.concatenate([pad, fg, pad], axis=axis)
    span = 1
    while 2 * span <= d:
        win = part(win, None, -span) | part(win, span, None)
        span *= 2
    if span < d:  # two overlapping windows of a power-of-two length cover d
        win = part(win, None, span - d) | part(win, d - span, None)
    ahead = part(win, d + 2, n + d + 2)  # any(fg[i + 1 : i + d + 1])
    behind = part(win, 1, n + 1)  # any(fg[i - d : i])
    return ahead, behind
