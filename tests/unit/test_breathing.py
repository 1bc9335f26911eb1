"""The breathing check's pure core (measure.breathing): outline thickness and the analysis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture_cam.landmarks import Landmark
from posture_cam.measure.breathing import BreathingConfig, BreathingTrace, analyze_breathing
from posture_cam.measure.trunk_outline import (
    TrunkAxis,
    smooth_landmarks,
    trunk_axis,
    trunk_thickness_px,
)

# ----------------------------------------------------------------------------- geometry


def pose_xy(hip: tuple[float, float], shoulder: tuple[float, float], nose_dx: float) -> np.ndarray:
    """33 landmarks: both hips and both shoulders at the given points, the nose beside the ears."""
    xy = np.zeros((33, 2))
    xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]] = hip
    xy[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]] = shoulder
    ear = (shoulder[0], shoulder[1] - 40)
    xy[[Landmark.LEFT_EAR, Landmark.RIGHT_EAR]] = ear
    xy[Landmark.NOSE] = (ear[0] + nose_dx, ear[1])
    return xy


def test_trunk_axis_standing_and_lying() -> None:
    # Standing, facing +x: axis up the image, anterior = +x.
    a = trunk_axis(pose_xy((100, 300), (100, 100), nose_dx=+15))
    assert a is not None
    assert a.length_px == pytest.approx(200)
    np.testing.assert_allclose(a.anterior, [1, 0], atol=1e-12)
    np.testing.assert_allclose(a.at(0.25), [100, 250])
    # Facing -x: the nose on the other side flips the anterior direction.
    b = trunk_axis(pose_xy((100, 300), (100, 100), nose_dx=-15))
    assert b is not None
    np.testing.assert_allclose(b.anterior, [-1, 0], atol=1e-12)
    # Lying on the back, head to the left: the nose is above the ears, anterior = up (-y).
    xy = pose_xy((300, 200), (100, 200), nose_dx=0)
    xy[[Landmark.LEFT_EAR, Landmark.RIGHT_EAR]] = (60, 200)
    xy[Landmark.NOSE] = (55, 185)
    c = trunk_axis(xy)
    assert c is not None
    np.testing.assert_allclose(c.anterior, [0, -1], atol=1e-12)
    # A degenerate axis gives None; a wrong shape is an error.
    assert trunk_axis(pose_xy((1, 1), (1, 1), 5)) is None
    with pytest.raises(ValueError, match="33, 2"):
        trunk_axis(np.zeros((5, 2)))


def test_axis_shift_moves_points_not_direction() -> None:
    a = TrunkAxis(np.array([10.0, 50.0]), np.array([10.0, 10.0]), np.array([1.0, 0.0]))
    b = a.shifted(4, 5)
    np.testing.assert_allclose(b.hip_xy_px, [6, 45])
    np.testing.assert_allclose(b.anterior, [1, 0])


def trunk_mask(h: int, w: int, back_x: float, front_x: float) -> np.ndarray:
    """A vertical slab from back_x to front_x, with anti-aliased (fractional) edge pixels."""
    x = np.arange(w) + 0.5
    cover = np.clip(np.minimum(x - back_x + 0.5, front_x - x + 0.5), 0, 1)
    return np.tile(cover, (h, 1)).astype(np.float32)


def test_thickness_of_a_slab_is_sub_pixel() -> None:
    axis = TrunkAxis(np.array([50.0, 180.0]), np.array([50.0, 20.0]), np.array([1.0, 0.0]))
    for front in (80.0, 80.3, 80.75):
        mask = trunk_mask(200, 120, back_x=30.0, front_x=front)
        f, b = trunk_thickness_px(mask, axis)
        # Interpolating pixel coverage linearly places the edge within 0.1 px.
        np.testing.assert_allclose(f, [front - 50.0] * 2, atol=0.1)
        np.testing.assert_allclose(b, [20.0, 20.0], atol=0.1)


def test_thickness_follows_the_picture_edge_when_given() -> None:
    axis = TrunkAxis(np.array([50.0, 180.0]), np.array([50.0, 20.0]), np.array([1.0, 0.0]))
    # The mask is coarse (its front edge 2 px too far out); the picture's edge is exact.
    mask = trunk_mask(200, 120, back_x=30.0, front_x=82.0)
    gray = 200.0 * trunk_mask(200, 120, back_x=30.0, front_x=80.4) + 20.0
    f, _ = trunk_thickness_px(mask, axis)
    np.testing.assert_allclose(f, [32.0, 32.0], atol=0.05)
    f, b = trunk_thickness_px(mask, axis, gray=gray)
    np.testing.assert_allclose(f, [30.4, 30.4], atol=0.1)
    np.testing.assert_allclose(b, [20.0, 20.0], atol=0.1)
    # Without contrast in the picture the mask's edge is kept.
    f, _ = trunk_thickness_px(mask, axis, gray=np.full((200, 120), 90.0))
    np.testing.assert_allclose(f, [32.0, 32.0], atol=0.05)
    with pytest.raises(ValueError, match="gray"):
        trunk_thickness_px(mask, axis, gray=np.zeros((5, 5)))


def test_thickness_is_nan_outside_the_person() -> None:
    axis = TrunkAxis(np.array([5.0, 180.0]), np.array([5.0, 20.0]), np.array([1.0, 0.0]))
    f, b = trunk_thickness_px(trunk_mask(200, 120, 60.0, 90.0), axis)
    assert np.isnan(f).all() and np.isnan(b).all()
    with pytest.raises(ValueError, match="2-D"):
        trunk_thickness_px(np.zeros((3, 3, 3)), axis)


@settings(deadline=None, max_examples=30)
@given(dx=st.floats(-20, 20), dy=st.floats(-20, 20))
def test_thickness_is_unchanged_by_moving_body_and_axis_together(dx: float, dy: float) -> None:
    """Swaying moves the outline and the landmarks alike: the thickness stays."""
    yy, xx = np.mgrid[0:240, 0:200] + 0.5
    ellipse = ((xx - 100 - dx) / 30) ** 2 + ((yy - 120 - dy) / 90) ** 2
    mask = np.clip(1.5 - ellipse, 0, 1).astype(np.float32)
    axis = TrunkAxis(
        np.array([100 + dx, 200 + dy]), np.array([100 + dx, 40 + dy]), np.array([1.0, 0])
    )
    base = TrunkAxis(np.array([100.0, 200.0]), np.array([100.0, 40.0]), np.array([1.0, 0]))
    ref = np.add(
        *trunk_thickness_px(
            np.clip(1.5 - (((xx - 100) / 30) ** 2 + ((yy - 120) / 90) ** 2), 0, 1), base
        )
    )
    got = np.add(*trunk_thickness_px(mask, axis))
    np.testing.assert_allclose(got, ref, atol=0.05)


def test_smooth_landmarks_is_a_centred_mean_that_skips_nan() -> None:
    t = np.arange(5) * 100.0
    xy = np.arange(5, dtype=float)[:, None, None] * np.ones((5, 1, 2))
    xy[2] = np.nan
    out = smooth_landmarks(t, xy, window_ms=200.0)  # each frame and its two neighbours
    np.testing.assert_allclose(out[:, 0, 0], [0.5, 0.5, 2.0, 3.5, 3.5])
    with pytest.raises(ValueError, match="N, K, 2"):
        smooth_landmarks(t, np.zeros((4, 1, 2)), 100.0)


# ----------------------------------------------------------------------------- analysis


def wave(phase: np.ndarray, inhale: float = 0.4) -> np.ndarray:
    p = phase % 1.0
    rise = 0.5 - 0.5 * np.cos(np.pi * p / inhale)
    fall = 0.5 + 0.5 * np.cos(np.pi * (p - inhale) / (1 - inhale))
    return np.where(p < inhale, rise, fall)


def breathing(
    rate: float,
    chest: float,
    belly: float,
    *,
    seconds: float = 40.0,
    fps: float = 15.0,
    noise: float = 0.2,
    lead: float = 0.05,
    seed: int = 0,
) -> tuple[BreathingTrace, float]:
    """A trace breathing at ``rate`` (±5 % per breath) with drift and noise; and the true rate."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, seconds, 1 / fps)
    n = int(seconds * rate / 60) + 3
    edges = np.concatenate([[0], np.cumsum(60 / rate * (1 + rng.normal(0, 0.05, n)))])
    ph = np.interp(t, edges, np.arange(edges.size))
    true_rate = 60 * (ph[-1] - ph[0]) / (t[-1] - t[0])
    c = 200 + chest * wave(ph - lead) + 0.03 * t + rng.normal(0, noise, t.size)
    b = 150 + belly * wave(ph) - 0.002 * t**2 + rng.normal(0, noise, t.size)
    return BreathingTrace(t * 1000, c, b, trunk_length_px=250.0), true_rate


def test_analysis_recovers_rate_sizes_and_share() -> None:
    trace, rate = breathing(14.0, chest=3.0, belly=5.0)
    out = analyze_breathing(trace)
    assert out.measured and out.findings == ()
    r = out.result
    assert r is not None
    assert r.rate_per_min.value == pytest.approx(rate, abs=0.5)
    assert r.chest_movement_px.value == pytest.approx(3.0, rel=0.1)
    assert r.belly_movement_px.value == pytest.approx(5.0, rel=0.1)
    assert r.belly_movement_pct.value == pytest.approx(100 * r.belly_movement_px.value / 250)
    assert r.belly_share_pct.value == pytest.approx(62.5, abs=3.0)
    assert r.belly_lead_deg == pytest.approx(18.0, abs=8.0)  # belly 5 % of a breath ahead
    assert r.noise_floor_px < 0.5
    assert r.signal_to_noise_db > 10
    assert r.n_breaths >= 7
    assert r.breath_cv is not None and r.breath_cv < 0.15
    rec = r.to_record()
    assert rec["rate_per_min"]["value"] == pytest.approx(r.rate_per_min.value, abs=1e-3)
    assert len(rec["trace"]["t_s"]) == len(rec["trace"]["belly_px"]) <= 10 * 40 + 2


def test_opposite_movement_reads_as_half_a_breath_apart() -> None:
    trace, _ = breathing(12.0, chest=2.0, belly=2.0, lead=0.5)
    r = analyze_breathing(trace).result
    assert r is not None
    assert abs(r.belly_lead_deg) == pytest.approx(180.0, abs=10.0)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"seconds": 12.0}, "too_short"),
        ({"chest": 0.0, "belly": 0.0, "noise": 0.5}, "no_breathing_seen"),
    ],
)
def test_poor_recordings_are_refused(kwargs: dict, code: str) -> None:
    args = {"chest": 3.0, "belly": 3.0, **kwargs}
    trace, _ = breathing(14.0, **args)
    out = analyze_breathing(trace)
    assert not out.measured
    assert [f.code for f in out.findings] == [code]
    assert out.to_record()["measured"] is False


def test_lost_outline_is_refused() -> None:
    trace, _ = breathing(14.0, 3.0, 3.0)
    chest = trace.chest_px.copy()
    chest[: chest.size // 2] = np.nan
    out = analyze_breathing(BreathingTrace(trace.t_ms, chest, trace.belly_px, 250.0))
    assert [f.code for f in out.findings] == ["outline_lost"]


def test_cautions_for_short_irregular_or_moving_recordings() -> None:
    trace, _ = breathing(14.0, 3.0, 3.0, seconds=24.0)
    wander = np.zeros((trace.t_ms.size, 2))
    wander[::2, 0] = 80.0  # the trunk centre jumps about by a third of the trunk length
    moved = BreathingTrace(trace.t_ms, trace.chest_px, trace.belly_px, 250.0, wander)
    r = analyze_breathing(moved).result
    assert r is not None
    assert {f.code for f in r.findings} == {"short_recording", "moving"}
    assert all(f.severity == "warn" for f in r.findings)


def test_trace_and_config_validation() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        BreathingTrace(np.array([0.0, 0.0]), np.zeros(2), np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="belly_px"):
        BreathingTrace(np.array([0.0, 1.0]), np.zeros(2), np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="min_rate"):
        BreathingConfig(min_rate_per_min=50)


@settings(deadline=None, max_examples=25)
@given(
    rate=st.floats(6, 30),
    chest=st.floats(0.5, 6),
    belly=st.floats(0.5, 6),
    seed=st.integers(0, 1000),
)
def test_rate_and_share_are_recovered(rate: float, chest: float, belly: float, seed: int) -> None:
    trace, true_rate = breathing(rate, chest, belly, seed=seed, noise=0.1)
    r = analyze_breathing(trace).result
    assert r is not None
    assert r.rate_per_min.value == pytest.approx(true_rate, abs=1.0)
    assert r.belly_share_pct.value == pytest.approx(100 * belly / (belly + chest), abs=10.0)


@settings(deadline=None, max_examples=15)
@given(k=st.floats(0.2, 5))
def test_share_is_scale_free(k: float) -> None:
    """Scaling both movements (a nearer camera) changes the pixels, not the share or rate."""
    trace, _ = breathing(14.0, 2.0, 3.0, noise=0.0)
    scaled = BreathingTrace(trace.t_ms, trace.chest_px * k, trace.belly_px * k, 250.0 * k)
    a, b = analyze_breathing(trace).result, analyze_breathing(scaled).result
    assert a is not None and b is not None
    assert b.belly_share_pct.value == pytest.approx(a.belly_share_pct.value, abs=1e-6)
    assert b.rate_per_min.value == pytest.approx(a.rate_per_min.value, abs=1e-6)
    assert b.belly_movement_pct.value == pytest.approx(a.belly_movement_pct.value, rel=1e-6)
    assert math.isfinite(b.noise_floor_pct)
