"""Properties of posture_cam.measure.geometry (hypothesis), and its vectorised functions
against plain loop references. The hand-worked values are in test_geometry.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from posture_cam.measure.geometry import (
    EdgeProfile,
    chord_inclination_deg,
    chord_inclinations_deg,
    edge_profile,
    fill_small_holes,
    flexion_deg,
    inclination_deg,
    joint_angle_deg,
    mirror_x,
    profile_x_at,
    profile_xs_at,
)
from tests.unit.test_geometry import GAPPY


def _angle_diff_deg(a: float, b: float) -> float:
    """Smallest absolute difference between two angles (handles the ±180° wrap)."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


# ------------------------------------------------------------------ hypothesis properties

coord = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
point = st.tuples(coord, coord).map(lambda t: np.array(t, dtype=np.float64))
any_float = st.floats(allow_nan=True, allow_infinity=True)
any_point = st.tuples(any_float, any_float).map(lambda t: np.array(t, dtype=np.float64))


@given(bottom=point, top=point, k=st.floats(1e-3, 1e3), shift=point)
def test_inclination_is_scale_and_translation_invariant(
    bottom: np.ndarray, top: np.ndarray, k: float, shift: np.ndarray
) -> None:
    assume(np.hypot(*(top - bottom)) > 1e-3)
    ref = inclination_deg(bottom, top)
    assert _angle_diff_deg(inclination_deg(k * bottom, k * top), ref) < 1e-6
    assert _angle_diff_deg(inclination_deg(bottom + shift, top + shift), ref) < 1e-6


@given(bottom=point, top=point, width=st.floats(1.0, 5000.0))
def test_inclination_changes_sign_when_mirrored(
    bottom: np.ndarray, top: np.ndarray, width: float
) -> None:
    assume(np.hypot(*(top - bottom)) > 1e-3)
    ref = inclination_deg(bottom, top)
    mirrored = inclination_deg(mirror_x(bottom, width), mirror_x(top, width))
    assert _angle_diff_deg(mirrored, -ref) < 1e-6


@given(
    a=point,
    j=point,
    c=point,
    k=st.floats(1e-2, 1e2),
    turn=st.floats(-math.pi, math.pi),
    shift=point,
    width=st.floats(1.0, 5000.0),
)
def test_joint_angle_is_invariant_under_similarity_and_mirror(
    a: np.ndarray,
    j: np.ndarray,
    c: np.ndarray,
    k: float,
    turn: float,
    shift: np.ndarray,
    width: float,
) -> None:
    assume(np.hypot(*(a - j)) > 1e-2 and np.hypot(*(c - j)) > 1e-2)
    ref = joint_angle_deg(a, j, c)
    rot = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])

    def move(p: np.ndarray) -> np.ndarray:
        return k * (rot @ p) + shift

    assert joint_angle_deg(move(a), move(j), move(c)) == pytest.approx(ref, abs=1e-4)
    mirrored = joint_angle_deg(mirror_x(a, width), mirror_x(j, width), mirror_x(c, width))
    assert mirrored == pytest.approx(ref, abs=1e-4)
    assert 0.0 <= ref <= 180.0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@given(bottom=any_point, top=any_point)
def test_inclination_never_raises_and_non_finite_gives_nan(
    bottom: np.ndarray, top: np.ndarray
) -> None:
    out = inclination_deg(bottom, top)
    if not (np.isfinite(bottom).all() and np.isfinite(top).all()):
        assert math.isnan(out)
    else:
        assert math.isnan(out) or -180.0 < out <= 180.0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@given(a=any_point, j=any_point, c=any_point)
def test_joint_angles_never_raise_and_non_finite_gives_nan(
    a: np.ndarray, j: np.ndarray, c: np.ndarray
) -> None:
    angle = joint_angle_deg(a, j, c)
    flex = flexion_deg(a, j, c)
    if not all(np.isfinite(p).all() for p in (a, j, c)):
        assert math.isnan(angle) and math.isnan(flex)
    else:
        assert math.isnan(angle) or 0.0 <= angle <= 180.0
        assert math.isnan(flex) or 0.0 <= flex <= 180.0


@given(
    xs=st.lists(any_float, min_size=0, max_size=30),
    centre=any_float,
    half=st.floats(1e-3, 1e6),
)
def test_chord_inclination_never_raises_on_poor_data(
    xs: list[float], centre: float, half: float
) -> None:
    p = EdgeProfile(np.arange(len(xs)) + 0.5, np.array(xs, dtype=np.float64))
    out = chord_inclination_deg(p, centre, half)
    assert math.isnan(out) or -90.0 <= out <= 90.0
    if not math.isfinite(centre):
        assert math.isnan(out)


# A random trunk: back and front edges that wander row by row, drawn with a soft (linear
# ramp) mask so the sub-pixel edges are exact.
ROWS, COLS = 40, 90


@st.composite
def trunk_masks(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    steps = draw(st.lists(st.floats(-1.5, 1.5), min_size=ROWS, max_size=ROWS))
    back = 25.0 + np.clip(np.cumsum(steps), -15.0, 15.0)
    depth = draw(st.floats(20.0, 35.0))
    xs = np.arange(COLS) + 0.5
    soft = draw(st.booleans())
    if soft:
        ramp = np.minimum(0.5 + (xs - back[:, None]) / 2, 0.5 + (back[:, None] + depth - xs) / 2)
        mask = np.clip(ramp, 0.0, 1.0)
    else:
        mask = ((xs >= back[:, None]) & (xs < back[:, None] + depth)).astype(np.float64)
    ref = np.floor(back + depth / 2) + 0.5  # a pixel centre inside the trunk
    return mask, ref


def _chords(profile: EdgeProfile, shift_y: float = 0.0) -> list[float]:
    return [chord_inclination_deg(profile, c + shift_y, 6.0) for c in (10.0, 20.0, 30.0)]


@settings(max_examples=40)
@given(
    trunk=trunk_masks(),
    dx=st.integers(0, 40),
    dy=st.integers(0, 30),
    side=st.sampled_from(["back", "front"]),
)
def test_edge_profile_is_translation_invariant(
    trunk: tuple[np.ndarray, np.ndarray], dx: int, dy: int, side: str
) -> None:
    mask, ref = trunk
    big = np.zeros((ROWS + 30, COLS + 40))
    big[dy : dy + ROWS, dx : dx + COLS] = mask
    a = edge_profile(mask, 0, ROWS, ref, side=side)
    b = edge_profile(big, dy, dy + ROWS, ref + dx, side=side)
    np.testing.assert_allclose(b.y_px, a.y_px + dy)
    np.testing.assert_allclose(b.x_px, a.x_px + dx, atol=1e-9)
    np.testing.assert_allclose(_chords(b, dy), _chords(a), atol=1e-9)


@settings(max_examples=40)
@given(trunk=trunk_masks())
def test_edge_profile_mirror_symmetry(trunk: tuple[np.ndarray, np.ndarray]) -> None:
    # Flip the mask left-right: the old back edge is the new front edge at x -> W - x.
    mask, ref = trunk
    back = edge_profile(mask, 0, ROWS, ref, side="back")
    front = edge_profile(mask, 0, ROWS, ref, side="front")
    flipped = mask[:, ::-1]
    ref_m = COLS - ref
    front_m = edge_profile(flipped, 0, ROWS, ref_m, side="front")
    back_m = edge_profile(flipped, 0, ROWS, ref_m, side="back")
    np.testing.assert_allclose(COLS - front_m.x_px, back.x_px, atol=1e-9)
    np.testing.assert_allclose(COLS - back_m.x_px, front.x_px, atol=1e-9)
    # Mirrored back: the chords read the same after mirroring back.
    unmirrored = EdgeProfile(front_m.y_px, COLS - front_m.x_px)
    np.testing.assert_allclose(_chords(unmirrored), _chords(back), atol=1e-9)


@settings(max_examples=40)
@given(trunk=trunk_masks(), k=st.integers(2, 4))
def test_chord_inclination_is_scale_invariant(trunk: tuple[np.ndarray, np.ndarray], k: int) -> None:
    # Scale the traced outline (both axes) by k: chords scaled by k keep their angle.
    mask, ref = trunk
    p = edge_profile(mask, 0, ROWS, ref, side="back")
    scaled = EdgeProfile(k * p.y_px, k * p.x_px)
    for c in (10.0, 20.0, 30.0):
        a = chord_inclination_deg(p, c, 6.0)
        b = chord_inclination_deg(scaled, k * c, 6.0 * k)
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-9)


# ------------------------------------------- vectorised functions against plain references
# The live view runs these on every measured frame, so they are vectorised; each is checked
# here against a plain per-element version written from its docstring, for exact agreement.


def _profile_x_reference(ys: np.ndarray, xs: np.ndarray, y: float) -> float:
    if ys.size < 2 or not math.isfinite(y) or y < ys[0] or y > ys[-1]:
        return math.nan
    k = min(max(int(np.searchsorted(ys, y)), 1), ys.size - 1)
    y0, y1, x0, x1 = ys[k - 1], ys[k], xs[k - 1], xs[k]
    if not (math.isfinite(x0) and math.isfinite(x1)):
        return math.nan
    return float(x0 + (x1 - x0) * (y - y0) / (y1 - y0))


gappy_xs = st.lists(st.one_of(st.floats(-1e4, 1e4), st.just(math.nan)), min_size=0, max_size=25)
heights = st.lists(
    st.one_of(st.floats(-5.0, 30.0), st.sampled_from([math.nan, math.inf])), min_size=1, max_size=12
)


@given(xs=gappy_xs, ys=heights)
def test_profile_xs_at_matches_the_per_height_reference(xs: list[float], ys: list[float]) -> None:
    p = EdgeProfile(np.arange(len(xs)) + 0.5, np.array(xs, dtype=np.float64))
    got = profile_xs_at(p, np.array(ys))
    want = np.array([_profile_x_reference(p.y_px, p.x_px, y) for y in ys])
    np.testing.assert_array_equal(got, want)
    assert [profile_x_at(p, y) for y in ys] == pytest.approx(list(want), nan_ok=True)


def test_profile_xs_at_keeps_the_shape_of_the_heights() -> None:
    got = profile_xs_at(GAPPY, np.array([[0.5, 1.0], [2.0, 4.5]]))
    np.testing.assert_array_equal(got, [[10.0, 11.0], [np.nan, 21.0]])


@given(xs=gappy_xs, centres=heights, half=st.floats(0.1, 10.0))
def test_chord_inclinations_match_the_per_chord_reference(
    xs: list[float], centres: list[float], half: float
) -> None:
    p = EdgeProfile(np.arange(len(xs)) + 0.5, np.array(xs, dtype=np.float64))
    got = chord_inclinations_deg(p, np.array(centres), half)
    want = []
    for c in centres:
        x_up = _profile_x_reference(p.y_px, p.x_px, c - half)
        x_lo = _profile_x_reference(p.y_px, p.x_px, c + half)
        ok = math.isfinite(x_up) and math.isfinite(x_lo)
        want.append(math.degrees(math.atan2(x_lo - x_up, 2.0 * half)) if ok else math.nan)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert [chord_inclination_deg(p, c, half) for c in centres] == pytest.approx(
        list(got), nan_ok=True
    )


def test_chord_inclinations_reject_non_positive_half_span() -> None:
    with pytest.raises(ValueError, match="half_span_px"):
        chord_inclinations_deg(GAPPY, np.array([1.0]), 0.0)


def _edge_reference(
    mask: np.ndarray,
    row_from: int,
    row_to: int,
    ref_x: np.ndarray,
    side: str,
    threshold: float = 0.5,
) -> np.ndarray:
    """One row at a time: start inside the trunk near ``ref_x``, walk out, interpolate."""
    h, w = mask.shape
    step = -1 if side == "back" else 1
    xs = []
    for r in range(max(row_from, 0), min(row_to, h)):
        x = math.nan
        ref = float(ref_x[r - row_from])
        if math.isfinite(ref):
            c0 = min(max(math.floor(ref), 0), w - 1)
            starts = [
                c0 + off
                for off in (0, -1, 1, -2, 2, -3, 3)
                if 0 <= c0 + off < w and mask[r, c0 + off] >= threshold
            ]
            if starts:
                j = starts[0]
                while 0 <= j + step < w and mask[r, j + step] >= threshold:
                    j += step
                j_out = j + step
                if 0 <= j_out < w:
                    a, b = float(mask[r, j_out]), float(mask[r, j])
                    frac = (threshold - a) / (b - a) if b != a else 0.5
                    x = (j_out + 0.5) - step * frac
        xs.append(x)
    return np.array(xs, dtype=np.float64)


@st.composite
def blotchy_masks(draw: st.DrawFn) -> np.ndarray:
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 14))
    values = draw(
        st.lists(st.sampled_from([0.0, 0.2, 0.5, 0.7, 1.0]), min_size=h * w, max_size=h * w)
    )
    return np.array(values, dtype=np.float64).reshape(h, w)


@settings(max_examples=200)
@given(
    mask=blotchy_masks(),
    row_from=st.integers(-3, 12),
    n_rows=st.integers(0, 16),
    refs=st.lists(st.one_of(st.floats(-6.0, 20.0), st.just(math.nan)), min_size=16, max_size=16),
    side=st.sampled_from(["back", "front"]),
)
def test_edge_profile_matches_the_per_row_reference(
    mask: np.ndarray, row_from: int, n_rows: int, refs: list[float], side: str
) -> None:
    ref = np.array(refs[:n_rows])
    got = edge_profile(mask, row_from, row_from + n_rows, ref, side=side)
    want = _edge_reference(mask, row_from, row_from + n_rows, ref, side)
    np.testing.assert_allclose(got.x_px, want, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------- fill_small_holes


def _holes_reference(mask: np.ndarray, d: int) -> np.ndarray:
    """Background pixels with the person within ``d`` px to the left, right, above, below."""
    fg = mask >= 0.5
    h, w = fg.shape
    out = np.zeros_like(fg)
    for r in range(h):
        for c in range(w):
            if not fg[r, c]:
                out[r, c] = (
                    fg[r, max(c - d, 0) : c].any()
                    and fg[r, c + 1 : c + d + 1].any()
                    and fg[max(r - d, 0) : r, c].any()
                    and fg[r + 1 : r + d + 1, c].any()
                )
    return out


@settings(max_examples=200)
@given(mask=blotchy_masks(), gap=st.integers(-1, 20))
def test_fill_small_holes_matches_the_per_pixel_reference(mask: np.ndarray, gap: int) -> None:
    got = fill_small_holes(mask, gap)
    want = np.where(_holes_reference(mask, max(gap, 1)), 1.0, mask).astype(np.float32)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


def test_fill_small_holes_fills_a_speck_but_not_an_open_hollow() -> None:
    mask = np.zeros((12, 12), np.float32)
    mask[2:10, 2:10] = 1.0
    mask[5, 5] = 0.0  # a speck inside the trunk
    mask[4:7, 2:4] = 0.0  # a hollow open to the left
    out = fill_small_holes(mask, 3)
    assert out[5, 5] == 1.0
    assert (out[4:7, 2:4] == 0.0).all()
    assert mask[5, 5] == 0.0  # the input is left as it was
    with pytest.raises(ValueError, match="2-D"):
        fill_small_holes(np.zeros(5), 3)
