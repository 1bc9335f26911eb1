"""Unit tests for posture_cam.measure.geometry: angles, edge tracing, outline chords.

Every expected value below is worked by hand from the conventions table in the module
docstring (pixels x right / y down, continuous: column j covers [j, j+1); inclinations
from the vertical, + = top anterior (+x) for segments, + = top posterior for back chords).
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
    hollow_depth_px,
    inclination_deg,
    joint_angle_deg,
    mirror_x,
    profile_x_at,
    profile_xs_at,
    smooth_profile,
)

ATAN_3_4_DEG = math.degrees(math.atan2(3.0, 4.0))  # 36.8699° (the 3-4-5 triangle)


def _pt(x: float, y: float) -> np.ndarray:
    return np.array([x, y], dtype=np.float64)


def _angle_diff_deg(a: float, b: float) -> float:
    """Smallest absolute difference between two angles (handles the ±180° wrap)."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


# --------------------------------------------------------------------------- mirror_x


def test_mirror_x_maps_x_to_width_minus_x_and_keeps_y() -> None:
    pts = np.array([[10.0, 5.0], [0.0, 7.0], [100.0, 1.5]])
    out = mirror_x(pts, 100)
    np.testing.assert_array_equal(out, [[90.0, 5.0], [100.0, 7.0], [0.0, 1.5]])
    np.testing.assert_array_equal(pts, [[10.0, 5.0], [0.0, 7.0], [100.0, 1.5]])  # not mutated


def test_mirror_x_maps_a_pixel_column_onto_the_flipped_column() -> None:
    # Column j covers [j, j+1); mirrored it covers [w-j-1, w-j), which is column w-1-j,
    # exactly where mask[:, ::-1] puts it.
    w, j = 10, 3
    left_right = mirror_x(np.array([[j, 0.0], [j + 1, 0.0]]), w)[:, 0]
    assert sorted(left_right) == [w - 1 - j, w - j]


def test_mirror_x_twice_is_identity_and_works_on_stacked_points() -> None:
    pts = np.arange(24, dtype=np.float64).reshape(3, 4, 2)
    np.testing.assert_allclose(mirror_x(mirror_x(pts, 37.5), 37.5), pts)


@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 1)])
def test_mirror_x_rejects_points_without_two_coordinates(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        mirror_x(np.zeros(shape), 10)


# --------------------------------------------------------------------- inclination_deg

INCLINATION_CASES = [
    # bottom, top, expected (deg), what
    ((0, 10), (0, 0), 0.0, "vertical"),
    ((0, 0), (1, -1), 45.0, "top anterior 45"),
    ((0, 0), (-1, -1), -45.0, "top posterior 45"),
    ((0, 0), (3, -4), ATAN_3_4_DEG, "3-4-5, top anterior"),
    ((0, 0), (-3, -4), -ATAN_3_4_DEG, "3-4-5, top posterior"),
    ((5, 5), (9, 8), 90.0 + math.degrees(math.atan2(3, 4)), "top below, anterior"),
    ((0, 0), (7, 0), 90.0, "horizontal, pointing anterior"),
    ((0, 0), (-7, 0), -90.0, "horizontal, pointing posterior"),
    ((0, 0), (0, 5), 180.0, "upside down"),
    ((100, 200), (103, 196), ATAN_3_4_DEG, "3-4-5 away from the origin"),
]


@pytest.mark.parametrize(("bottom", "top", "expected", "what"), INCLINATION_CASES)
def test_inclination_deg_hand_cases(
    bottom: tuple[float, float], top: tuple[float, float], expected: float, what: str
) -> None:
    assert inclination_deg(_pt(*bottom), _pt(*top)) == pytest.approx(expected, abs=1e-9), what


def test_inclination_deg_range_excludes_minus_180() -> None:
    # The docstring promises (-180, 180]: a straight-down segment is +180, also when the
    # x difference is a negative zero (-0.0 - 0.0) or so small against dy that atan2
    # rounds to -pi.
    assert inclination_deg(_pt(0.0, 0.0), _pt(-0.0, 5.0)) == 180.0
    nearly_down = inclination_deg(_pt(1.0, 0.0), _pt(0.0, 1e17))
    assert -180.0 < nearly_down <= 180.0
    assert abs(nearly_down) == pytest.approx(180.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    ("bottom", "top"),
    [
        ((1.0, 1.0), (1.0, 1.0)),  # zero length
        ((math.nan, 0.0), (1.0, 1.0)),
        ((0.0, 0.0), (1.0, math.nan)),
        ((math.inf, 0.0), (1.0, 1.0)),
        ((0.0, 0.0), (1.0, -math.inf)),
        ((math.inf, 0.0), (math.inf, 1.0)),  # inf - inf
    ],
)
def test_inclination_deg_degenerate_is_nan(
    bottom: tuple[float, float], top: tuple[float, float]
) -> None:
    assert math.isnan(inclination_deg(_pt(*bottom), _pt(*top)))


# ---------------------------------------------------------- joint_angle_deg, flexion_deg

JOINT_CASES = [
    # a, joint, c, joint angle, flexion
    ((1, 0), (0, 0), (0, 1), 90.0, 90.0),
    ((-1, 0), (0, 0), (1, 0), 180.0, 0.0),  # straight line
    ((0, -300), (0, 0), (0, 200), 180.0, 0.0),  # straight vertical limb, unequal arms
    ((1, 0), (0, 0), (5, 0), 0.0, 180.0),  # folded back on itself
    ((1, 0), (0, 0), (1, 1), 45.0, 135.0),
    ((4, 0), (0, 0), (4, 3), ATAN_3_4_DEG, 180.0 - ATAN_3_4_DEG),
    ((14, 10), (10, 10), (10, 6), 90.0, 90.0),  # away from the origin
]


@pytest.mark.parametrize(("a", "joint", "c", "angle", "flexion"), JOINT_CASES)
def test_joint_angle_and_flexion_hand_cases(
    a: tuple[float, float],
    joint: tuple[float, float],
    c: tuple[float, float],
    angle: float,
    flexion: float,
) -> None:
    assert joint_angle_deg(_pt(*a), _pt(*joint), _pt(*c)) == pytest.approx(angle, abs=1e-6)
    assert flexion_deg(_pt(*a), _pt(*joint), _pt(*c)) == pytest.approx(flexion, abs=1e-6)


def test_joint_angle_is_symmetric_in_its_arms() -> None:
    a, j, c = _pt(3.0, -1.0), _pt(0.5, 0.25), _pt(-2.0, 4.0)
    assert joint_angle_deg(a, j, c) == pytest.approx(joint_angle_deg(c, j, a), abs=1e-12)


@pytest.mark.parametrize(
    ("a", "joint", "c"),
    [
        ((0, 0), (0, 0), (1, 1)),  # first arm has zero length
        ((1, 1), (0, 0), (0, 0)),  # second arm has zero length
        ((0, 0), (0, 0), (0, 0)),
        ((math.nan, 0), (0, 0), (1, 1)),
        ((1, 0), (0, math.nan), (1, 1)),
        ((math.inf, 0), (0, 0), (1, 1)),
        ((1, 0), (0, 0), (-math.inf, 1)),
    ],
)
def test_joint_angle_and_flexion_degenerate_are_nan(
    a: tuple[float, float], joint: tuple[float, float], c: tuple[float, float]
) -> None:
    assert math.isnan(joint_angle_deg(_pt(*a), _pt(*joint), _pt(*c)))
    assert math.isnan(flexion_deg(_pt(*a), _pt(*joint), _pt(*c)))


# ------------------------------------------------------------------------ EdgeProfile


@pytest.mark.parametrize(
    ("ys", "xs"),
    [(np.zeros(3), np.zeros(4)), (np.zeros((2, 2)), np.zeros((2, 2))), (np.zeros(2), np.zeros(1))],
)
def test_edge_profile_dataclass_rejects_mismatched_shapes(ys: np.ndarray, xs: np.ndarray) -> None:
    with pytest.raises(ValueError, match="1-D of equal length"):
        EdgeProfile(y_px=ys, x_px=xs)


def test_edge_profile_valid_ratio() -> None:
    p = EdgeProfile(np.arange(4.0), np.array([1.0, np.nan, 2.0, np.nan]))
    assert p.valid_ratio == 0.5
    assert EdgeProfile(np.zeros(0), np.zeros(0)).valid_ratio == 0.0


# ----------------------------------------------------------------------- edge_profile


def _rect_mask(h: int, w: int, c0: int, c1: int) -> np.ndarray:
    """Rows of a filled rectangle covering columns c0..c1-1 (binary)."""
    mask = np.zeros((h, w), dtype=np.float32)
    mask[:, c0:c1] = 1.0
    return mask


def test_edge_profile_binary_rectangle_edges_on_column_boundaries() -> None:
    # Columns 10..49 filled: the body covers x in [10, 50). Binary mask: the crossing of
    # 0.5 halfway between the centres 9.5 (0) and 10.5 (1) is x = 10.0; front 49.5/50.5 -> 50.
    mask = _rect_mask(5, 60, 10, 50)
    ref = np.full(5, 30.0)
    back = edge_profile(mask, 0, 5, ref, side="back")
    front = edge_profile(mask, 0, 5, ref, side="front")
    np.testing.assert_array_equal(back.y_px, [0.5, 1.5, 2.5, 3.5, 4.5])
    np.testing.assert_allclose(back.x_px, 10.0, atol=1e-12)
    np.testing.assert_allclose(front.x_px, 50.0, atol=1e-12)
    np.testing.assert_array_equal(front.y_px, back.y_px)


def test_edge_profile_antialiased_column_below_threshold() -> None:
    # Column 9 = 0.25 (outside at threshold 0.5), column 10 = 1. Linear between the
    # centres 9.5 -> 0.25 and 10.5 -> 1.0 reaches 0.5 at 9.5 + (0.5-0.25)/(1-0.25) = 9.8333.
    mask = _rect_mask(3, 60, 10, 50)
    mask[:, 9] = 0.25
    mask[:, 50] = 0.25  # front: 49.5 -> 1.0, 50.5 -> 0.25: 50.5 - 1/3 = 50.1667
    ref = np.full(3, 30.0)
    back = edge_profile(mask, 0, 3, ref, side="back")
    front = edge_profile(mask, 0, 3, ref, side="front")
    np.testing.assert_allclose(back.x_px, 9.5 + 1.0 / 3.0, atol=1e-9)
    np.testing.assert_allclose(front.x_px, 50.5 - 1.0 / 3.0, atol=1e-9)


def test_edge_profile_antialiased_column_above_threshold() -> None:
    # Column 9 = 0.75 counts as inside; centres 8.5 -> 0 and 9.5 -> 0.75: 8.5 + 0.5/0.75.
    mask = _rect_mask(2, 60, 10, 50)
    mask[:, 9] = 0.75
    back = edge_profile(mask, 0, 2, np.full(2, 30.0), side="back")
    np.testing.assert_allclose(back.x_px, 8.5 + 2.0 / 3.0, atol=1e-9)


def test_edge_profile_threshold_argument_moves_the_edge() -> None:
    # threshold 0.2: column 9 (0.25) is inside; centres 8.5 -> 0, 9.5 -> 0.25: 8.5 + 0.2/0.25.
    mask = _rect_mask(2, 60, 10, 50)
    mask[:, 9] = 0.25
    back = edge_profile(mask, 0, 2, np.full(2, 30.0), side="back", threshold=0.2)
    np.testing.assert_allclose(back.x_px, 9.3, atol=1e-9)


def test_edge_profile_arm_separated_by_background_does_not_move_the_back_edge() -> None:
    mask = _rect_mask(4, 60, 20, 50)  # trunk [20, 50)
    mask[1:3, 5:15] = 1.0  # an arm behind the back, background at columns 15..19
    back = edge_profile(mask, 0, 4, np.full(4, 35.0), side="back")
    np.testing.assert_allclose(back.x_px, 20.0, atol=1e-12)


def test_edge_profile_arm_touching_the_back_is_part_of_the_outline() -> None:
    # The documented limit: without background between them the arm is traced as back.
    mask = _rect_mask(1, 60, 20, 50)
    mask[0, 5:20] = 1.0
    back = edge_profile(mask, 0, 1, np.array([35.0]), side="back")
    np.testing.assert_allclose(back.x_px, 5.0, atol=1e-12)


def test_edge_profile_body_reaching_the_image_border_gives_nan() -> None:
    mask = _rect_mask(3, 60, 10, 50)
    mask[1, 0:10] = 1.0  # row 1 runs into the left border
    mask[2, 50:60] = 1.0  # row 2 runs into the right border
    ref = np.full(3, 30.0)
    back = edge_profile(mask, 0, 3, ref, side="back")
    front = edge_profile(mask, 0, 3, ref, side="front")
    assert back.x_px[0] == pytest.approx(10.0)
    assert math.isnan(back.x_px[1])
    assert back.x_px[2] == pytest.approx(10.0)
    assert front.x_px[0] == pytest.approx(50.0)
    assert front.x_px[1] == pytest.approx(50.0)
    assert math.isnan(front.x_px[2])


def test_edge_profile_reference_just_outside_the_trunk_is_recovered() -> None:
    # ref column 51 is background; within 3 px there is trunk (column 49): trace from there.
    mask = _rect_mask(1, 60, 10, 50)
    ref = np.array([51.5])
    assert edge_profile(mask, 0, 1, ref, side="front").x_px[0] == pytest.approx(50.0)
    assert edge_profile(mask, 0, 1, ref, side="back").x_px[0] == pytest.approx(10.0)


@pytest.mark.parametrize("ref", [55.5, math.nan, math.inf])
def test_edge_profile_reference_far_outside_or_missing_gives_nan(ref: float) -> None:
    mask = _rect_mask(1, 60, 10, 50)
    assert math.isnan(edge_profile(mask, 0, 1, np.array([ref]), side="back").x_px[0])


def test_edge_profile_rows_are_clipped_to_the_image() -> None:
    # ref_x[k] belongs to row row_from + k even when row_from is above the image.
    mask = np.zeros((3, 60), dtype=np.float32)
    mask[0, 10:50] = 1.0
    mask[1, 20:50] = 1.0
    mask[2, 30:50] = 1.0
    ref = np.array([np.nan, np.nan, 40.0, 40.0, 40.0, np.nan, np.nan])  # rows -2..4
    back = edge_profile(mask, -2, 5, ref, side="back")
    np.testing.assert_array_equal(back.y_px, [0.5, 1.5, 2.5])
    np.testing.assert_allclose(back.x_px, [10.0, 20.0, 30.0])


def test_edge_profile_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="2-D"):
        edge_profile(np.zeros(10), 0, 1, np.zeros(1))
    with pytest.raises(ValueError, match="2-D"):
        edge_profile(np.zeros((2, 3, 4)), 0, 1, np.zeros(1))
    with pytest.raises(ValueError, match="side"):
        edge_profile(np.zeros((2, 3)), 0, 1, np.zeros(1), side="left")


# ---------------------------------------------------------------------- profile_x_at

_GAPPY = EdgeProfile(
    y_px=np.array([0.5, 1.5, 2.5, 3.5, 4.5]),
    x_px=np.array([10.0, 12.0, np.nan, 20.0, 21.0]),
)


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        (0.5, 10.0),  # first sample
        (1.0, 11.0),  # halfway between 10 and 12
        (0.75, 10.5),
        (1.5, 12.0),
        (4.0, 20.5),
        (4.5, 21.0),  # last sample
    ],
)
def test_profile_x_at_interpolates_linearly(y: float, expected: float) -> None:
    assert profile_x_at(_GAPPY, y) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("y", [2.0, 2.5, 3.0, 0.49, 4.51, -10.0, math.nan, math.inf])
def test_profile_x_at_gap_or_outside_is_nan(y: float) -> None:
    assert math.isnan(profile_x_at(_GAPPY, y))


def test_profile_x_at_needs_two_rows() -> None:
    assert math.isnan(profile_x_at(EdgeProfile(np.array([1.0]), np.array([5.0])), 1.0))
    assert math.isnan(profile_x_at(EdgeProfile(np.zeros(0), np.zeros(0)), 0.0))


# --------------------------------------------------------------------- smooth_profile


def _line_profile(n: int, x0: float, slope: float) -> EdgeProfile:
    y = np.arange(n) + 0.5
    return EdgeProfile(y_px=y, x_px=x0 + slope * y)


def test_smooth_profile_keeps_a_straight_line_straight_away_from_the_ends() -> None:
    # A symmetric normalised kernel reproduces a linear function exactly wherever its
    # whole support (±ceil(3 sigma) = ±6 rows for sigma 2) lies inside the profile.
    p = _line_profile(40, 3.0, 0.5)
    s = smooth_profile(p, 2.0)
    np.testing.assert_array_equal(s.y_px, p.y_px)
    np.testing.assert_allclose(s.x_px[6:34], p.x_px[6:34], atol=1e-9)
    assert np.isfinite(s.x_px).all()


def test_smooth_profile_keeps_a_constant_everywhere_including_the_ends() -> None:
    p = EdgeProfile(np.arange(20) + 0.5, np.full(20, 7.25))
    np.testing.assert_allclose(smooth_profile(p, 3.0).x_px, 7.25, atol=1e-12)


def test_smooth_profile_fills_a_single_row_gap() -> None:
    # The kernel around a lone missing row is symmetric, so the fill is the line's value.
    p = _line_profile(40, 3.0, 0.5)
    x = p.x_px.copy()
    x[20] = np.nan
    s = smooth_profile(EdgeProfile(p.y_px, x), 2.0)
    assert s.x_px[20] == pytest.approx(3.0 + 0.5 * 20.5, abs=1e-9)


def test_smooth_profile_leaves_a_wide_gap_missing() -> None:
    # 20 missing rows: the middle row sees no valid data within ±6 rows -> stays NaN.
    x = np.full(60, 5.0)
    x[20:40] = np.nan
    s = smooth_profile(EdgeProfile(np.arange(60) + 0.5, x), 2.0)
    assert np.isnan(s.x_px[30])
    assert s.x_px[10] == pytest.approx(5.0)
    assert s.x_px[50] == pytest.approx(5.0)


def test_smooth_profile_non_positive_sigma_is_identity() -> None:
    p = _line_profile(10, 1.0, 2.0)
    np.testing.assert_array_equal(smooth_profile(p, 0.0).x_px, p.x_px)
    np.testing.assert_array_equal(smooth_profile(p, -1.0).x_px, p.x_px)


@pytest.mark.parametrize("n", [0, 1, 3, 12])
def test_smooth_profile_shorter_than_its_kernel_keeps_its_length(n: int) -> None:
    # sigma 2 -> 13-tap kernel. A profile with fewer rows (e.g. the outline clipped by the
    # top of the image) must keep its own length. Rows with enough support keep the
    # constant; a lone row has only its own weight, 1 < 0.3 * 5.01, and stays NaN.
    p = EdgeProfile(np.arange(n) + 0.5, np.full(n, 4.0))
    s = smooth_profile(p, 2.0)
    assert s.x_px.shape == (n,)
    assert s.y_px.shape == (n,)
    if n >= 3:  # 1 + 2 * exp(-1/8) = 2.76 >= 1.5
        np.testing.assert_allclose(s.x_px, 4.0)
    elif n == 1:
        assert np.isnan(s.x_px[0])


# -------------------------------------------------------------- chord_inclination_deg


def test_chord_inclination_of_a_straight_slanted_back() -> None:
    # x grows by 3 for every 4 rows down: the top of the chord lies posterior (-x),
    # so the back-chord convention gives +atan2(3, 4) = +36.87°.
    p = _line_profile(100, 100.0, 0.75)
    assert chord_inclination_deg(p, 50.0, 10.0) == pytest.approx(ATAN_3_4_DEG, abs=1e-9)
    assert chord_inclination_deg(p, 30.25, 7.3) == pytest.approx(ATAN_3_4_DEG, abs=1e-9)
    back_leaning_forward = _line_profile(100, 100.0, -0.75)
    assert chord_inclination_deg(back_leaning_forward, 50.0, 10.0) == pytest.approx(
        -ATAN_3_4_DEG, abs=1e-9
    )
    assert chord_inclination_deg(_line_profile(100, 40.0, 0.0), 50.0, 10.0) == 0.0


def test_chord_inclination_on_a_circle_arc() -> None:
    # Back edge on a circle of radius R about the origin, x = -R cos(phi), y = R sin(phi).
    # The chord from phi = 0 (-R, 0) to phi = 60° (-R/2, R*sqrt(3)/2) has
    # x_lo - x_up = R/2 over y_lo - y_up = R*sqrt(3)/2: atan2(1/2, sqrt(3)/2) = 30°.
    r = 200.0
    phi = np.radians(np.arange(-30, 81, 1.0))
    p = EdgeProfile(y_px=r * np.sin(phi), x_px=-r * np.cos(phi))
    centre, half = r * math.sqrt(3) / 4, r * math.sqrt(3) / 4
    assert chord_inclination_deg(p, centre, half) == pytest.approx(30.0, abs=1e-6)


def test_chord_inclinations_make_a_hollow_back_positive() -> None:
    # Hollow back facing +x: x = 200 - k (y - 100)^2 bulges anterior in the middle. A
    # parabola's chord is parallel to its tangent at the chord's midpoint: slope
    # dx/dy = -2k (y - 100). Upper chord at y = 50: +1/2 -> +26.565°; lower at 150: -26.565°.
    k = 0.005
    y = np.arange(0, 201) + 0.5
    p = EdgeProfile(y, 200.0 - k * (y - 100.0) ** 2)
    upper = chord_inclination_deg(p, 50.0, 20.0)
    lower = chord_inclination_deg(p, 150.0, 20.0)
    expected = math.degrees(math.atan(0.5))
    assert upper == pytest.approx(expected, abs=1e-3)
    assert lower == pytest.approx(-expected, abs=1e-3)
    assert upper - lower > 0  # lordosis = incl(L1) - incl(S1) is positive when hollow


def test_chord_inclination_nan_when_an_end_is_missing_or_outside() -> None:
    p = _line_profile(50, 10.0, 0.5)
    x = p.x_px.copy()
    x[40] = np.nan
    gappy = EdgeProfile(p.y_px, x)
    assert math.isnan(chord_inclination_deg(gappy, 30.0, 10.0))  # lower end at y = 40
    assert math.isfinite(chord_inclination_deg(gappy, 20.0, 10.0))
    assert math.isnan(chord_inclination_deg(p, 45.0, 10.0))  # lower end below the profile
    assert math.isnan(chord_inclination_deg(p, math.nan, 10.0))
    assert math.isnan(chord_inclination_deg(EdgeProfile(np.zeros(0), np.zeros(0)), 5.0, 1.0))


@pytest.mark.parametrize("half", [0.0, -1.0])
def test_chord_inclination_rejects_non_positive_half_span(half: float) -> None:
    with pytest.raises(ValueError, match="half_span_px"):
        chord_inclination_deg(_line_profile(10, 0.0, 0.0), 5.0, half)


# -------------------------------------------------------------------- hollow_depth_px


def _dented_profile(slope: float, dent_px: float) -> EdgeProfile:
    """100 rows of a straight back x = slope * y, pushed anterior by ``dent_px`` on 40..60."""
    y = np.arange(100, dtype=np.float64)
    x = slope * y
    x[40:61] += dent_px
    return EdgeProfile(y, x)


def test_hollow_depth_of_a_vertical_back_with_a_dent() -> None:
    assert hollow_depth_px(_dented_profile(0.0, 5.0), 0.0, 99.0) == pytest.approx(5.0)


def test_hollow_depth_is_measured_perpendicular_to_the_bulge_line() -> None:
    # Back line x = y/2; a horizontal dent of 5 px is 5 * cos(atan(1/2)) = 5 * 2/sqrt(5)
    # from the line.
    depth = hollow_depth_px(_dented_profile(0.5, 5.0), 0.0, 99.0)
    assert depth == pytest.approx(10.0 / math.sqrt(5.0), abs=1e-9)


def test_hollow_depth_of_a_smooth_dent() -> None:
    y = np.arange(100, dtype=np.float64)
    x = np.where((y >= 40) & (y <= 60), 3.0 * np.sin(np.pi * (y - 40) / 20), 0.0)
    assert hollow_depth_px(EdgeProfile(y, x), 0.0, 99.0) == pytest.approx(3.0)


def test_hollow_depth_of_a_straight_or_bulging_back_is_zero() -> None:
    assert hollow_depth_px(_dented_profile(0.3, 0.0), 0.0, 99.0) == pytest.approx(0.0, abs=1e-9)
    assert hollow_depth_px(_dented_profile(0.0, -4.0), 0.0, 99.0) == 0.0  # a hump, no hollow


def test_hollow_depth_nan_with_gaps_or_too_few_rows() -> None:
    p = _dented_profile(0.0, 5.0)
    x = p.x_px.copy()
    x[50] = np.nan
    assert math.isnan(hollow_depth_px(EdgeProfile(p.y_px, x), 0.0, 99.0))
    assert math.isnan(hollow_depth_px(p, 10.0, 14.0))  # 5 rows < 6


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
    got = profile_xs_at(_GAPPY, np.array([[0.5, 1.0], [2.0, 4.5]]))
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
        chord_inclinations_deg(_GAPPY, np.array([1.0]), 0.0)


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
