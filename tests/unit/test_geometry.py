"""Unit tests for posture_cam.measure.geometry: angles, edge tracing, outline chords.

Every expected value below is worked by hand from the conventions table in the module
docstring (pixels x right / y down, continuous: column j covers [j, j+1); inclinations
from the vertical, + = top anterior (+x) for segments, + = top posterior for back chords).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from posture_cam.measure.geometry import (
    EdgeProfile,
    chord_inclination_deg,
    edge_profile,
    flexion_deg,
    hollow_depth_px,
    inclination_deg,
    joint_angle_deg,
    mirror_x,
    profile_x_at,
    smooth_profile,
)

ATAN_3_4_DEG = math.degrees(math.atan2(3.0, 4.0))  # 36.8699° (the 3-4-5 triangle)


def _pt(x: float, y: float) -> np.ndarray:
    return np.array([x, y], dtype=np.float64)


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

# An outline with a gap (NaN) in the middle; test_geometry_properties.py uses it too.
GAPPY = EdgeProfile(
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
    assert profile_x_at(GAPPY, y) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("y", [2.0, 2.5, 3.0, 0.49, 4.51, -10.0, math.nan, math.inf])
def test_profile_x_at_gap_or_outside_is_nan(y: float) -> None:
    assert math.isnan(profile_x_at(GAPPY, y))


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
