"""The pelvic-tilt range check's pure core (measure.tilt_range): holds, ranges, agreement."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture_cam.measure.holds import (
    POSITIONS,
    Hold,
    RangeConfig,
    TiltSeries,
    find_holds,
    measure_hold,
)
from posture_cam.measure.tilt_range import analyze_holds, analyze_range, assign_positions
from posture_cam.types import Measurement

FPS = 15.0


def recording(
    levels: list[tuple[float, float]],
    *,
    hold_s: float = 3.0,
    move_s: float = 1.0,
    noise: float = 0.0,
    seed: int = 0,
    fps: float = FPS,
) -> TiltSeries:
    """Holds at (tilt, lordosis) levels joined by linear moves, with optional noise."""
    rng = np.random.default_rng(seed)
    t, tilt, lord = [], [], []
    step = 1000.0 / fps
    now = 0.0
    prev = None
    for a, b in levels:
        if prev is not None:
            n = round(move_s * fps)
            for k in range(n):
                f = (k + 1) / (n + 1)
                t.append(now)
                tilt.append(prev[0] + (a - prev[0]) * f)
                lord.append(prev[1] + (b - prev[1]) * f)
                now += step
        for _ in range(round(hold_s * fps)):
            t.append(now)
            tilt.append(a)
            lord.append(b)
            now += step
        prev = (a, b)
    tilt_a = np.array(tilt) + rng.normal(0, noise, len(tilt))
    lord_a = np.array(lord) + rng.normal(0, noise, len(lord))
    return TiltSeries(np.array(t), tilt_a, lord_a, np.ones(len(t), dtype=bool))


FOUR = [(6.0, 25.0), (20.0, 38.0), (-1.0, 17.0), (6.0, 25.0)]


# ----------------------------------------------------------------------------- series


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"t_ms": np.zeros((2, 2))}, "t_ms must be 1-D"),
        ({"tilt_deg": np.zeros(2)}, "tilt_deg must have shape"),
        ({"t_ms": np.array([0.0, 0.0, 1.0])}, "strictly increasing"),
    ],
)
def test_series_rejects_bad_shapes(kwargs: dict, message: str) -> None:
    base = {
        "t_ms": np.array([0.0, 1.0, 2.0]),
        "tilt_deg": np.zeros(3),
        "lordosis_deg": np.zeros(3),
        "ok": np.ones(3, dtype=bool),
    }
    with pytest.raises(ValueError, match=message):
        TiltSeries(**{**base, **kwargs})


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="min_hold_ms"):
        RangeConfig(min_hold_ms=0)
    with pytest.raises(ValueError, match="tilt_sem_deg"):
        RangeConfig(tilt_sem_deg=-1)
    with pytest.raises(ValueError, match="lordosis_change_gain"):
        RangeConfig(lordosis_change_gain=0.0)


# ----------------------------------------------------------------------------- holds


def test_measure_hold_hand_worked() -> None:
    # Five frames 100 ms apart; trimming 100 ms drops the first and the last.
    s = TiltSeries(
        np.arange(5) * 100.0,
        np.array([99.0, 1.0, 2.0, 3.0, 99.0]),
        np.array([0.0, 10.0, 10.0, 10.0, 0.0]),
        np.ones(5, dtype=bool),
    )
    cfg = RangeConfig(edge_trim_ms=100.0, tilt_sem_deg=0.1, lordosis_sem_deg=0.2)
    h = measure_hold(s, 0.0, 400.0, cfg, position="forward")
    assert h is not None
    assert h.position == "forward"
    assert (h.start_ms, h.end_ms, h.n_frames) == (100.0, 300.0, 3)
    assert h.tilt_deg.value == pytest.approx(2.0)
    assert h.tilt_sd_deg == pytest.approx(1.0)
    # lag-1 autocorrelation of (-1, 0, 1) is 0, so the SE is sd / sqrt(3).
    assert h.tilt_deg.plus_minus == pytest.approx(1.0 / math.sqrt(3))
    # No spread: the error is the repeatability floor.
    assert h.lordosis_deg == Measurement(10.0, 0.2)


def test_measure_hold_needs_three_usable_frames() -> None:
    s = TiltSeries(
        np.arange(4) * 100.0,
        np.array([1.0, np.nan, 2.0, 3.0]),
        np.zeros(4),
        np.array([True, True, True, False]),
    )
    assert measure_hold(s, 0.0, 300.0, RangeConfig(edge_trim_ms=0.0)) is None
    with pytest.raises(ValueError, match="after start_ms"):
        measure_hold(s, 300.0, 300.0)


def test_find_holds_finds_the_four_still_stretches() -> None:
    holds = find_holds(recording(FOUR, noise=0.5))
    assert len(holds) == 4
    for h, (tilt, lord), k in zip(holds, FOUR, range(4), strict=True):
        assert h.tilt_deg.value == pytest.approx(tilt, abs=0.5)
        assert h.lordosis_deg.value == pytest.approx(lord, abs=0.5)
        # each hold lies inside its 3 s stretch (4 s apart), away from the moves
        assert 4000 * k <= h.start_ms < h.end_ms <= 4000 * k + 3000
        assert h.duration_ms >= 1500


def test_a_wobble_does_not_split_a_hold() -> None:
    # A 0.5 s wobble of 1° in the middle of a 6 s hold: one hold, not two.
    s = recording([(5.0, 20.0), (6.0, 21.0), (5.0, 20.0)], hold_s=2.0, move_s=0.2)
    holds = find_holds(s, RangeConfig(merge_deg=2.0))
    assert len(holds) == 1
    assert holds[0].tilt_deg.value == pytest.approx(5.4, abs=0.5)


def test_a_jump_of_the_lordosis_estimate_does_not_split_a_hold() -> None:
    """Mid-hold the lordosis estimate settles 4° lower while the tilt stays: one hold."""
    s = recording([(0.0, 15.0)], hold_s=3.0)
    lord = np.where(s.t_ms > 1600, 11.0, 15.0)
    holds = find_holds(TiltSeries(s.t_ms, s.tilt_deg, lord, s.ok))
    assert len(holds) == 1
    assert holds[0].duration_ms >= 2000


def test_missing_frames_split_holds() -> None:
    s = recording([(5.0, 20.0)], hold_s=8.0)
    ok = s.ok.copy()
    ok[(s.t_ms > 3500) & (s.t_ms < 4500)] = False  # a second without the person
    holds = find_holds(
        TiltSeries(s.t_ms, s.tilt_deg, s.lordosis_deg, ok),
        RangeConfig(merge_deg=0.0, run_merge_deg=0.0),
    )
    assert len(holds) == 2


def test_a_small_last_move_is_split_out_of_a_long_hold() -> None:
    """Tucked and relaxed again read only 3.5° apart: joined at first, then split."""
    levels = [(6.0, 25.0), (20.0, 38.0), (4.5, 23.0), (6.0, 25.0)]
    s = recording(levels, noise=0.3, seed=2)
    assert len(find_holds(s)) == 3
    out = analyze_range(s)
    assert out.result is not None
    tucked, again = out.result.hold("tucked"), out.result.hold("relaxed_again")
    assert tucked.tilt_deg.value == pytest.approx(4.5, abs=0.6)
    assert again.tilt_deg.value == pytest.approx(6.0, abs=0.6)
    assert tucked.end_ms <= again.start_ms


def test_assign_positions_picks_the_pattern_among_extra_holds() -> None:
    # An extra hold at the start (standing before the check began, slightly different).
    s = recording([(9.0, 28.0), *FOUR])
    holds = find_holds(s)
    assert len(holds) == 5
    picked = assign_positions(holds)
    assert picked is not None
    assert tuple(h.position for h in picked) == POSITIONS
    assert [round(h.tilt_deg.value) for h in picked] == [6, 20, -1, 6]
    assert assign_positions(holds[:3]) is None


# ----------------------------------------------------------------------------- analysis


def held(position: str, tilt: float, lord: float, pm: float = 0.5) -> Hold:
    return Hold(position, 0.0, 3000.0, 45, Measurement(tilt, pm), Measurement(lord, pm), 0.5, 0.5)


def test_analyze_holds_hand_worked() -> None:
    holds = (
        held("relaxed", 6.0, 25.0),
        held("forward", 20.0, 38.0),
        held("tucked", -1.0, 17.0),
        held("relaxed_again", 7.0, 26.0),
    )
    r = analyze_holds(holds)  # type: ignore[arg-type]
    e = math.hypot(0.5, 0.5)  # two holds' errors in quadrature
    assert r.relaxed_tilt_deg == Measurement(6.5, pytest.approx(e / 2))
    assert r.forward_tilt_deg.value == pytest.approx(13.5)
    assert r.forward_tilt_deg.plus_minus == pytest.approx(math.hypot(0.5, e / 2))
    assert r.backward_tilt_deg.value == pytest.approx(7.5)
    assert r.total_tilt_deg == Measurement(21.0, pytest.approx(e))
    assert r.backward_lordosis_deg.value == pytest.approx(8.5)
    # relaxed at (6.5 - -1) / (20 - -1) = 35.7 % of the range
    assert r.relaxed_position_pct is not None
    assert r.relaxed_position_pct.value == pytest.approx(100 * 7.5 / 21)
    # difference 1.0 ± 0.71: within 1.96 x 0.71 = 1.39, so the relaxed holds agree
    assert r.relaxed_difference_tilt_deg == Measurement(1.0, pytest.approx(e))
    assert r.relaxed_agree
    # lordosis rises about 1° per degree of tilt across these holds
    assert r.lordosis_per_tilt_ratio == pytest.approx(0.97, abs=0.02)
    assert r.findings == ()
    rec = r.to_record()
    assert rec["holds"][1]["position"] == "forward"
    assert rec["relaxed_position_pct"]["value"] == pytest.approx(35.714, abs=1e-3)


def test_the_change_gain_scales_every_change_and_leaves_the_holds() -> None:
    holds = (
        held("relaxed", 6.0, 25.0),
        held("forward", 20.0, 38.0),
        held("tucked", -1.0, 17.0),
        held("relaxed_again", 7.0, 26.0),
    )
    plain = analyze_holds(holds)  # type: ignore[arg-type]
    cfg = RangeConfig(tilt_change_gain=1.1, lordosis_change_gain=1.2)
    r = analyze_holds(holds, cfg)  # type: ignore[arg-type]
    e = math.hypot(0.5, 0.5)
    # total tilt 20 - -1 = 21° x 1.1 = 23.1°, its error x 1.1 as well
    assert r.total_tilt_deg == Measurement(pytest.approx(23.1), pytest.approx(1.1 * e))
    assert r.forward_tilt_deg.value == pytest.approx(1.1 * 13.5)
    assert r.backward_lordosis_deg.value == pytest.approx(1.2 * 8.5)
    assert r.relaxed_difference_tilt_deg.value == pytest.approx(1.1)
    # the relaxed holds' mean, the position in the range and the agreement do not change
    assert r.relaxed_tilt_deg == plain.relaxed_tilt_deg
    assert r.relaxed_position_pct == plain.relaxed_position_pct
    assert r.relaxed_agree == plain.relaxed_agree
    assert r.holds == plain.holds
    assert plain.lordosis_per_tilt_ratio is not None
    assert r.lordosis_per_tilt_ratio == pytest.approx(plain.lordosis_per_tilt_ratio * 1.2 / 1.1)


def test_relaxed_holds_that_differ_are_flagged() -> None:
    holds = (
        held("relaxed", 6.0, 25.0),
        held("forward", 20.0, 38.0),
        held("tucked", -1.0, 17.0),
        held("relaxed_again", 9.0, 25.0),
    )
    r = analyze_holds(holds)  # type: ignore[arg-type]
    assert not r.relaxed_agree
    assert [f.code for f in r.findings] == ["relaxed_differ"]
    assert all(f.severity == "warn" for f in r.findings)


def test_tiny_or_reversed_range_is_flagged() -> None:
    holds = (
        held("relaxed", 6.0, 25.0),
        held("forward", 6.5, 25.0),
        held("tucked", 6.4, 25.0),
        held("relaxed_again", 6.0, 25.0),
    )
    r = analyze_holds(holds)  # type: ignore[arg-type]
    assert r.relaxed_position_pct is None
    assert r.lordosis_per_tilt_ratio is None
    assert {f.code for f in r.findings} == {"order_unexpected", "range_too_small"}


def test_analyze_holds_wants_the_positions_in_order() -> None:
    holds = tuple(held("relaxed", 1.0, 1.0) for _ in range(4))
    with pytest.raises(ValueError, match="order"):
        analyze_holds(holds)  # type: ignore[arg-type]


def test_analyze_range_end_to_end_with_noise() -> None:
    out = analyze_range(recording(FOUR, noise=1.0, seed=3))
    assert out.measured and out.findings == ()
    r = out.result
    assert r is not None
    assert r.forward_tilt_deg.value == pytest.approx(14.0, abs=1.0)
    assert r.backward_tilt_deg.value == pytest.approx(7.0, abs=1.0)
    assert r.relaxed_agree
    assert out.to_record()["measured"] is True


@pytest.mark.parametrize(
    ("series", "code"),
    [
        (recording(FOUR[:2], hold_s=1.0), "too_short"),
        (recording([(5.0, 20.0)], hold_s=20.0), "holds_not_found"),
    ],
)
def test_analyze_range_says_why_not(series: TiltSeries, code: str) -> None:
    out = analyze_range(series)
    assert not out.measured
    assert [f.code for f in out.findings] == [code]
    assert out.findings[0].severity == "block"


# ----------------------------------------------------------------------------- properties


@settings(deadline=None, max_examples=40)
@given(
    relaxed=st.floats(-5, 15),
    forward=st.floats(4, 20),
    tucked=st.floats(4, 15),
    offset=st.floats(-20, 20),
)
def test_ranges_are_shift_invariant_and_recovered(
    relaxed: float, forward: float, tucked: float, offset: float
) -> None:
    """Adding a constant bias to every frame (a person's calibration error) changes no range."""
    levels = [
        (relaxed, relaxed + 20),
        (relaxed + forward, relaxed + 20 + forward),
        (relaxed - tucked, relaxed + 20 - tucked),
        (relaxed, relaxed + 20),
    ]
    a = analyze_range(recording(levels, noise=0.3, seed=1)).result
    b = analyze_range(
        recording([(x + offset, y + offset) for x, y in levels], noise=0.3, seed=1)
    ).result
    assert a is not None and b is not None
    assert b.forward_tilt_deg.value == pytest.approx(a.forward_tilt_deg.value, abs=1e-9)
    assert b.backward_lordosis_deg.value == pytest.approx(a.backward_lordosis_deg.value, abs=1e-9)
    assert a.forward_tilt_deg.value == pytest.approx(forward, abs=0.5)
    assert a.backward_tilt_deg.value == pytest.approx(tucked, abs=0.5)
    pct = a.relaxed_position_pct
    assert pct is not None
    assert pct.value == pytest.approx(100 * tucked / (forward + tucked), abs=4.0)
