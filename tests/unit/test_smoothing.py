"""Tests for the live smoothing window (measure.smoothing): pure functions and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from posture_cam.measure.robust import robust_estimate
from posture_cam.measure.smoothing import (
    DEFAULT_CONFIG,
    EMPTY_SUMMARY,
    FrameSample,
    Guidance,
    SmoothingConfig,
    WindowSmoother,
    summarize_window,
    trim_window,
)

TILT, LORD = "pelvic_tilt_deg", "lumbar_lordosis_deg"
PM = {TILT: 3.8, LORD: 4.5}
SIDE = Guidance("not_side_view", "This looks like a front or back view.", "Turn 90°.")
CROP = Guidance("body_cropped", "Part of the body is cut off.", "Step back.")


def good(ts: float, tilt: float = 8.0, lord: float = 25.0, **more: float) -> FrameSample:
    return FrameSample(ts, True, {TILT: tilt, LORD: lord, **more}, dict(PM))


def bad(ts: float, guidance: Guidance = SIDE) -> FrameSample:
    return FrameSample(ts, False, guidance=guidance)


def feed(samples: list[FrameSample], config: SmoothingConfig = DEFAULT_CONFIG):
    sm = WindowSmoother(config)
    summary = EMPTY_SUMMARY
    for s in samples:
        summary = sm.add(s)
    return sm, summary


# ---------------------------------------------------------------------- robust_estimate


@pytest.mark.parametrize(
    ("values", "floor", "value", "spread", "kept", "rejected"),
    [
        ([5.0], 0.0, 5.0, 0.0, 1, 0),
        ([1.0, 2.0, 3.0], 0.0, 2.0, 1.0, 3, 0),
        ([10.0, 10.0, 10.0, 10.0, 90.0], 0.0, 10.0, 0.0, 4, 1),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 100.0], 0.0, 3.0, math.sqrt(2.5), 5, 1),
        ([math.nan, 4.0, math.inf, 6.0], 0.0, 5.0, math.sqrt(2.0), 2, 0),
        # Two modes a few units apart: the MAD sits inside one mode and alone would reject
        # the other; a floor (the calibration error) keeps both and the mean is in between.
        ([13.5, 17.0] * 10 + [13.5], 0.0, 13.5, 0.0, 11, 10),
        ([13.5, 17.0] * 10 + [13.5], 3.8, 15.1667, 1.7912, 21, 0),
        ([13.5, 17.0] * 10 + [13.5, 60.0], 3.8, 15.1667, 1.7912, 21, 1),
    ],
)
def test_robust_estimate_table(values, floor, value, spread, kept, rejected) -> None:
    est = robust_estimate(values, floor=floor)
    assert est is not None
    assert est.value == pytest.approx(value, abs=1e-4)
    assert est.spread_sd == pytest.approx(spread, abs=1e-4)
    assert (est.n_kept, est.n_rejected) == (kept, rejected)


@pytest.mark.parametrize("values", [[], [math.nan], [math.inf, -math.inf, math.nan]])
def test_robust_estimate_nothing_finite(values) -> None:
    assert robust_estimate(values) is None


def test_robust_estimate_spread_matches_normal_sd() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(20.0, 2.0, 20_000)
    est = robust_estimate(x)
    assert est is not None
    assert est.value == pytest.approx(20.0, abs=0.05)
    assert est.spread_sd == pytest.approx(2.0, rel=0.05)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=60))
def test_robust_estimate_finite_and_within_range(values) -> None:
    est = robust_estimate(values)
    finite = [v for v in values if math.isfinite(v)]
    if est is None:
        return
    assert math.isfinite(est.value) and math.isfinite(est.spread_sd)
    assert est.spread_sd >= 0
    assert min(finite) <= est.value <= max(finite)
    assert est.n_kept + est.n_rejected == len(finite)
    assert est.n_kept >= 1


# ---------------------------------------------------------------------- config and samples


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window_ms": 0}, "window_ms"),
        ({"window_ms": math.inf}, "window_ms"),
        ({"window_ms": 2000, "max_window_ms": 1000}, "max_window_ms"),
        ({"min_frames": 0}, "min_frames"),
        ({"max_frames": 0}, "max_frames"),
        ({"min_pass_ratio": 1.5}, "min_pass_ratio"),
        ({"outlier_k": 0}, "outlier_k"),
        ({"max_spread": (("x", -1.0),)}, "max_spread"),
        ({"max_drift": (("x", math.nan),)}, "max_drift"),
        ({"hysteresis": 0.5}, "hysteresis"),
    ],
)
def test_config_rejects_bad_values(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        SmoothingConfig(**kwargs)


def test_sample_rejects_non_finite_timestamp() -> None:
    with pytest.raises(ValueError, match="timestamp_ms"):
        FrameSample(math.nan, True)


# ---------------------------------------------------------------------- summaries


def test_empty_window_is_waiting() -> None:
    s = summarize_window([])
    assert s.status == "waiting" and not s.steady and s.n_frames == 0 and s.pass_ratio == 0.0


def test_constant_good_frames_become_steady_with_that_value() -> None:
    _, s = feed([good(33.0 * i, 12.5, 31.0) for i in range(40)])
    assert s.steady and s.status == "steady" and s.guidance is None and s.reasons == ()
    assert s.values[TILT].value == 12.5 and s.values[LORD].value == 31.0
    # No video spread: the ± is the calibration error alone.
    assert s.values[TILT].plus_minus == pytest.approx(3.8)
    assert s.values[TILT].as_measurement().value == 12.5


def test_too_few_frames_is_measuring() -> None:
    _, s = feed([good(33.0 * i) for i in range(DEFAULT_CONFIG.min_frames - 1)])
    assert s.status == "measuring" and s.guidance is not None
    assert s.guidance.code == "measuring"
    assert "Collecting frames" in s.reasons[0]


def test_noisy_frames_are_unsteady_and_spread_enters_plus_minus() -> None:
    rng = np.random.default_rng(1)
    tilts = 10.0 + rng.normal(0.0, 8.0, 45)
    _, s = feed([good(33.0 * i, float(t)) for i, t in enumerate(tilts)])
    assert s.status == "unsteady" and s.guidance is not None
    assert s.guidance.code == "hold_still"
    assert any("frame to frame" in r for r in s.reasons)
    tilt = s.values[TILT]
    assert tilt.spread_sd > 5.0
    assert tilt.plus_minus == pytest.approx(math.hypot(tilt.spread_sd, 3.8))


def test_moderate_noise_around_a_still_value_is_steady() -> None:
    rng = np.random.default_rng(2)
    tilts = 10.0 + rng.normal(0.0, 2.5, 45)  # the lite model on a still picture
    _, s = feed([good(33.0 * i, float(t)) for i, t in enumerate(tilts)])
    assert s.steady, s.reasons
    assert abs(s.values[TILT].drift) < 2.0


def test_a_value_still_changing_is_unsteady_even_with_little_noise() -> None:
    # Pelvis tipping forward by 12° over 1.5 s: each frame agrees with its neighbours.
    _, s = feed([good(33.0 * i, 10.0 + 12.0 * i / 45) for i in range(46)])
    assert s.status == "unsteady"
    assert s.values[TILT].drift == pytest.approx(6.0, abs=0.5)
    assert any("still moving" in r for r in s.reasons)


@pytest.mark.parametrize(("was_steady", "status"), [(False, "unsteady"), (True, "steady")])
def test_hysteresis_keeps_a_steady_window_steady(was_steady, status) -> None:
    # Drift 4°: above the 3° limit, within 1.5 × 3°.
    samples = [good(33.0 * i, 8.0 if i < 20 else 12.0) for i in range(40)]
    s = summarize_window(samples, was_steady=was_steady)
    assert s.values[TILT].drift == pytest.approx(4.0)
    assert s.status == status


def test_outliers_do_not_move_the_value_or_stop_steadiness() -> None:
    frames = [good(33.0 * i, 10.0 + 0.1 * (i % 3)) for i in range(40)]
    frames[10] = good(frames[10].timestamp_ms, 80.0)
    frames[20] = good(frames[20].timestamp_ms, -50.0)
    _, s = feed(frames)
    assert s.steady
    assert s.values[TILT].value == pytest.approx(10.1, abs=0.01)
    assert s.values[TILT].n_rejected == 2


def test_alternating_estimates_give_a_steady_value_that_does_not_flicker() -> None:
    # What MediaPipe's tracking does on a still picture: two values on alternate frames.
    sm = WindowSmoother()
    shown = []
    for i in range(90):
        s = sm.add(good(33.0 * i, 13.5 if i % 2 else 17.0))
        if i >= 45:
            shown.append(s.values[TILT].value)
            assert s.steady
    assert max(shown) - min(shown) < 0.2
    assert 15.0 < shown[-1] < 15.5


def test_outliers_count_towards_enough_frames() -> None:
    frames = [good(33.0 * i, 10.0) for i in range(DEFAULT_CONFIG.min_frames)]
    frames[3] = good(frames[3].timestamp_ms, 70.0)
    _, s = feed(frames)
    assert s.steady and s.values[TILT].n_frames == DEFAULT_CONFIG.min_frames - 1


def test_mostly_failing_frames_give_the_majority_guidance() -> None:
    frames = [
        good(0.0),
        bad(33.0, CROP),
        bad(66.0, SIDE),
        bad(99.0, SIDE),
        bad(132.0, CROP),
        bad(165.0, SIDE),
    ]
    _, s = feed(frames)
    assert s.status == "guidance" and not s.steady
    assert s.guidance == SIDE
    assert s.n_passed == 1 and s.n_frames == 6


def test_guidance_tie_goes_to_the_most_recent_problem() -> None:
    _, s = feed([bad(0.0, SIDE), bad(33.0, CROP)])
    assert s.guidance == CROP


def test_a_few_failed_frames_still_allow_steady() -> None:
    frames = [good(33.0 * i) if i % 5 else bad(33.0 * i) for i in range(45)]
    _, s = feed(frames)
    assert s.pass_ratio == pytest.approx(0.8, abs=0.05)
    assert s.steady


def test_non_finite_values_are_ignored_not_propagated() -> None:
    frames = [
        good(33.0 * i, math.nan if i % 4 == 0 else 9.0, 25.0, knee_flexion_deg=math.inf)
        for i in range(40)
    ]
    _, s = feed(frames)
    assert s.values[TILT].value == 9.0
    assert "knee_flexion_deg" not in s.values


def test_trim_window_keeps_only_the_span() -> None:
    samples = [good(float(t)) for t in range(0, 3000, 100)]
    kept = trim_window(samples, 2900.0, SmoothingConfig(window_ms=1000, min_frames=5))
    assert [s.timestamp_ms for s in kept] == [float(t) for t in range(2000, 3000, 100)]


def test_trim_window_reaches_back_for_enough_frames_at_a_low_rate() -> None:
    samples = [good(float(t)) for t in range(0, 6000, 200)]  # 5 frames/s
    config = SmoothingConfig(window_ms=1500, max_window_ms=4000, min_frames=15)
    kept = trim_window(samples, 5800.0, config)
    assert len(kept) == 15 and kept[0].timestamp_ms == 3000.0
    slow = [good(float(t)) for t in range(0, 10_000, 500)]  # 2 frames/s: capped at 4 s
    kept = trim_window(slow, 9500.0, config)
    assert [s.timestamp_ms for s in kept] == [float(t) for t in range(6000, 10_000, 500)]


def test_low_frame_rate_still_becomes_steady() -> None:
    sm, s = feed([good(200.0 * i) for i in range(20)])  # 5 frames/s
    assert s.steady and s.n_frames == 15
    assert s.span_ms == pytest.approx(2800.0)


def test_clock_going_back_starts_a_new_window() -> None:
    sm, s = feed([good(33.0 * i) for i in range(40)])
    assert s.steady
    s = sm.add(good(0.0))
    assert s.n_frames == 1 and s.status == "measuring"
    assert len(sm.samples) == 1
    sm.reset()
    assert sm.samples == ()


def test_window_forgets_old_problems() -> None:
    frames = [bad(33.0 * i) for i in range(30)] + [good(1000.0 + 33.0 * i) for i in range(60)]
    _, s = feed(frames)
    assert s.steady and s.n_passed == s.n_frames


# ---------------------------------------------------------------------- properties

# Stream timestamps are whole milliseconds.
timestamps_gaps = st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=150)
values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.floats(min_value=-90, max_value=90)
)


@given(
    timestamps_gaps,
    st.integers(min_value=1, max_value=50),
    st.floats(min_value=1.0, max_value=3000.0),
    st.floats(min_value=0.0, max_value=3000.0),
    st.integers(min_value=1, max_value=30),
)
def test_window_never_grows_beyond_its_span(
    gaps, max_frames, window_ms, extra_ms, min_frames
) -> None:
    config = SmoothingConfig(
        window_ms=window_ms,
        max_window_ms=window_ms + extra_ms,
        max_frames=max_frames,
        min_frames=min_frames,
    )
    sm = WindowSmoother(config)
    t = 0.0
    history = []
    for gap in gaps:
        t += gap
        history.append(good(t))
        summary = sm.add(history[-1])
        kept = sm.samples
        assert 1 <= len(kept) <= max_frames
        assert kept[-1].timestamp_ms == t
        assert all(t - config.max_window_ms < s.timestamp_ms <= t for s in kept)
        assert summary.span_ms < config.max_window_ms
        if len(kept) > min_frames:  # reaching back only ever tops the window up to min_frames
            assert all(t - window_ms < s.timestamp_ms for s in kept)
        assert summary.n_frames == len(kept)
        # The smoother keeps exactly what the pure function would.
        assert kept == trim_window(history, t, config)


@given(st.lists(st.tuples(st.booleans(), values, values), min_size=1, max_size=80))
def test_output_is_finite_or_flagged(frames) -> None:
    sm = WindowSmoother()
    for i, (passed, tilt, lord) in enumerate(frames):
        sample = good(33.0 * i, tilt, lord) if passed else bad(33.0 * i)
        s = sm.add(sample)
        for sv in s.values.values():
            assert math.isfinite(sv.value)
            assert math.isfinite(sv.spread_sd) and sv.spread_sd >= 0
            assert math.isfinite(sv.plus_minus) and math.isfinite(sv.drift)
            assert sv.n_frames >= 1
        if s.steady:
            assert TILT in s.values and LORD in s.values and s.guidance is None
        else:
            assert s.guidance is not None and s.reasons


@given(
    st.floats(min_value=-60, max_value=60),
    st.floats(min_value=0, max_value=80),
    st.integers(min_value=15, max_value=60),
    st.floats(min_value=10.0, max_value=66.0),
)
def test_constant_input_is_steady_with_that_value(tilt, lord, n, dt) -> None:
    frames = [good(i * dt, tilt, lord) for i in range(n)]
    window = SmoothingConfig(window_ms=dt * (n + 1), max_window_ms=dt * (n + 1))
    _, s = feed(frames, window)
    assert s.steady
    assert s.values[TILT].value == tilt and s.values[LORD].value == lord
    assert s.values[TILT].spread_sd == 0.0
