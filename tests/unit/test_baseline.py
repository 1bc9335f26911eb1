"""Baseline, smallest detectable change and trend numbers, checked against hand-worked cases."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posture_cam.history.baseline import (
    Z95,
    Baseline,
    NoiseModel,
    assess_history,
    compare,
    compute_baseline,
    noise_model,
    personal_sem,
    sdc95,
)
from posture_cam.history.repeatability import (
    Repeatability,
    live_window_sd,
    load_repeatability,
    pooled_sd,
)
from posture_cam.history.store import Check, Source
from posture_cam.history.trend import PATTERN_LEVELS, compute_trend
from posture_cam.types import Measurement
from tests.records import make_record

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
TILT, LORD = "pelvic_tilt_deg", "lumbar_lordosis_deg"
SQRT2 = math.sqrt(2.0)

# Hand-picked SEMs: tilt 1.0°, lordosis 1.5° (full); lite worse; a live bench value for full.
REP = Repeatability(
    photo={"full": {TILT: 1.0, LORD: 1.5}, "lite": {TILT: 2.0, LORD: 2.5}},
    live={"full": {TILT: 1.2, LORD: 1.0}},
)
NOISE = NoiseModel(
    REP, calibration_pm={"full": {TILT: 3.0, LORD: 4.0}, "lite": {TILT: 3.0, LORD: 4.0}}
)


def check(
    cid: int,
    tilt: float | None,
    lord: float | None,
    *,
    when: datetime | None = None,
    source: Source = "photo",
    variant: str = "full",
    pm: tuple[float, float] = (3.0, 4.0),
    measurable: bool = True,
    flags: tuple[str, ...] = (),
    pattern: str = "neutral",
    label: str | None = None,
) -> Check:
    record = make_record(flags=flags)
    return Check(
        id=cid,
        time=when or T0 + cid * DAY,
        source=source,
        variant=variant,
        measurable=measurable,
        pattern=pattern,
        confidence=0.5,
        pelvic_tilt=None if tilt is None else Measurement(tilt, pm[0]),
        lumbar_lordosis=None if lord is None else Measurement(lord, pm[1]),
        gate_codes=(),
        note=None,
        label=label,
        record=record,
    )


# -- formulas ------------------------------------------------------------------------------


def test_sdc95_is_1_96_root_2_sem() -> None:
    assert sdc95(1.0) == pytest.approx(2.7719, abs=1e-4)
    assert sdc95(0.0) == 0.0
    with pytest.raises(ValueError):
        sdc95(-1.0)
    with pytest.raises(ValueError):
        sdc95(math.nan)


@pytest.mark.parametrize(
    ("groups", "sd", "df"),
    [
        # (1-2)² + (3-2)² = 2; (2-4)² + 0 + (6-4)² = 8; sqrt(10 / (1 + 2))
        ([[1, 3], [2, 4, 6]], math.sqrt(10 / 3), 3),
        ([[1, 3], [5], [math.nan, 7, 9]], math.sqrt(4 / 2), 2),  # singles and NaN add nothing
        ([[4, 4, 4]], 0.0, 2),
        ([[1], []], math.nan, 0),
        ([], math.nan, 0),
    ],
)
def test_pooled_sd(groups: list[list[float]], sd: float, df: int) -> None:
    got_sd, got_df = pooled_sd(groups)
    assert got_df == df
    assert got_sd == pytest.approx(sd, nan_ok=True)


@given(
    st.lists(st.lists(st.floats(-50, 50), min_size=2, max_size=6), min_size=1, max_size=5),
    st.lists(st.floats(-100, 100), min_size=5, max_size=5),
)
def test_pooled_sd_ignores_each_group_level(groups: list[list[float]], shifts: list[float]) -> None:
    moved = [[x + s for x in g] for g, s in zip(groups, shifts, strict=False)]
    assert pooled_sd(moved)[0] == pytest.approx(pooled_sd(groups)[0], abs=1e-6)


def test_live_window_sd_inverts_the_smoothers_plus_minus() -> None:
    assert live_window_sd(math.hypot(2.0, 3.0), 3.0) == pytest.approx(2.0)
    assert live_window_sd(2.5, 3.0) == 0.0  # ± below the calibration error: no spread seen
    assert math.isnan(live_window_sd(math.nan, 3.0))


# -- where the SEM comes from --------------------------------------------------------------


def test_bench_sem_per_variant_unknown_variant_and_live() -> None:
    assert REP.bench_sem(TILT, "full") == 1.0
    assert REP.bench_sem(TILT, "heavy") == 2.0  # not measured: the largest measured
    assert REP.bench_sem(TILT, "full", "live") == 1.2  # max(photo 1.0, live 1.2)
    assert REP.bench_sem(LORD, "full", "live") == 1.5  # max(photo 1.5, live 1.0)
    assert REP.bench_sem(LORD, "lite", "live") == 2.5  # no live value for lite
    with pytest.raises(KeyError):
        REP.bench_sem("knee_flexion_deg", "full")


def test_repeatability_json_with_live_entries() -> None:
    # The shape bench/repeatability.py writes: per-variant extras that are not metrics, and a
    # metric without a SEM, are skipped.
    rep = Repeatability.from_dict(
        {
            "photo": {
                "full": {
                    "model_sha256": "ab",
                    "seconds": 60.0,
                    TILT: {"sem": 0.9, "df": 150},
                    LORD: {"sem": 0.8, "df": 150},
                }
            },
            "live": {
                "full": {
                    "model_sha256": "ab",
                    "steady_rate": 1.0,
                    "errors": ["x"],
                    TILT: {"sem": 1.3, "df": 90},
                    LORD: {"sem": 0.4, "df": 90},
                    "knee_flexion_deg": {"sem": None},
                }
            },
            "info": {"live": "takes"},
        }
    )
    assert rep.live == {"full": {TILT: 1.3, LORD: 0.4}}
    assert rep.bench_sem(TILT, "full", "live") == 1.3  # live 1.3 > photo 0.9
    assert rep.bench_sem(LORD, "full", "live") == 0.8  # photo 0.8 > live 0.4
    assert rep.bench_sem(TILT, "full") == 0.9  # a photo check never uses the live value
    assert rep.bench_sem(TILT, "heavy", "live") == 1.3  # unmeasured variant: largest measured
    # A live check's SEM in the noise model; its ± equals the calibration error (no spread).
    noise = NoiseModel(rep, calibration_pm={"full": {TILT: 3.0, LORD: 4.0}})
    live = check(1, 10.0, 30.0, source="live", pm=(3.0, 4.0))
    sem = noise.sem(live, TILT)
    assert sem.value == 1.3 and sem.source == "measured for live checks with the full model"
    assert noise.sem(check(2, 10.0, 30.0), TILT).value == 0.9
    # Hand-worked SDC of a live check against a photo baseline: 1.96 * sqrt(1.3² + 0.9²).
    base = compute_baseline([check(k, 10.0, 30.0) for k in (1, 2, 3)], noise)
    assert base is not None
    ch = compare(check(9, 13.0, 30.0, source="live", pm=(3.0, 4.0)), base, noise)[TILT]
    assert ch.change == pytest.approx(3.0)
    assert ch.sdc == pytest.approx(1.96 * math.sqrt(1.3**2 + 0.9**2))  # 3.099
    assert ch.verdict == "within noise"
    # The same +3.0° in a photo check: 1.96 * sqrt(2) * 0.9 = 2.495, a real change.
    ch = compare(check(10, 13.0, 30.0), base, noise)[TILT]
    assert ch.sdc == pytest.approx(1.96 * math.sqrt(2.0) * 0.9)
    assert ch.verdict == "real change"


def test_live_check_uses_its_window_spread_when_larger() -> None:
    # ± = sqrt(2.5² + 3²): the window's SD was 2.5°, above the bench's 1.2°.
    live = check(1, 10.0, 30.0, source="live", pm=(math.hypot(2.5, 3.0), 4.0))
    sem = NOISE.sem(live, TILT)
    assert sem.value == pytest.approx(2.5) and sem.source == "the spread of the live window"
    # Lordosis ± equals the calibration error: no spread, the bench value stays.
    assert NOISE.sem(live, LORD).value == 1.5
    assert NOISE.sem(check(2, 1, 1), TILT).source == "measured for photo checks with the full model"


def test_personal_sem_from_same_day_repeats() -> None:
    day1 = [check(i, t, 30.0, when=T0 + timedelta(hours=i)) for i, t in enumerate([10, 12, 14])]
    # Same day, other label: not a repeat of the above; a bad check is not used either.
    other = [
        check(5, 40.0, 30.0, when=T0, label="after"),
        check(6, 99.0, 99.0, when=T0, measurable=False),
    ]
    sems, dfs = personal_sem(day1 + other, tz=UTC)
    assert sems[TILT] == pytest.approx(2.0) and dfs[TILT] == 2  # SD of 10, 12, 14
    assert sems[LORD] == 0.0
    assert personal_sem(day1[:2], tz=UTC) == ({}, {})  # one degree of freedom: too few

    noise = NoiseModel(REP, personal=sems)
    assert noise.sem(check(9, 1, 1), TILT).value == 2.0  # larger than the bench's 1.0
    assert noise.sem(check(9, 1, 1), TILT).source == "your repeated checks on the same day"
    assert noise.sem(check(9, 1, 1), LORD).value == 1.5  # the bench's is larger


def test_noise_model_reads_the_calibration_errors() -> None:
    from posture_cam.measure.calibration import load_calibration

    nm = noise_model([check(1, 1, 1, variant="lite")], repeatability=REP)
    tilt_model, lord_model = load_calibration().for_variant("lite")
    assert nm.calibration_pm == {"lite": {TILT: tilt_model.mae, LORD: lord_model.mae}}


def test_shipped_repeatability_has_lite_and_full_photo_and_live() -> None:
    rep = load_repeatability()
    for variant in ("lite", "full"):
        for metric in (TILT, LORD):
            assert 0.0 < rep.photo[variant][metric] < 5.0
            assert 0.0 < rep.live[variant][metric] < 5.0
            # A live check never gets less than the photo value.
            assert rep.bench_sem(metric, variant, "live") == max(
                rep.photo[variant][metric], rep.live[variant][metric]
            )
    assert "method" in rep.info and "live" in rep.info


# -- baseline ------------------------------------------------------------------------------


def test_baseline_is_the_median_of_the_first_n_good_checks() -> None:
    checks = [
        check(1, 10.0, 30.0),
        check(2, None, None, measurable=False),  # not measured
        check(3, 50.0, 50.0, flags=("outline_short",)),  # outline flagged
        check(4, 14.0, 26.0),
        check(5, 12.0, 31.0),
        check(6, 20.0, 40.0),
    ]
    b = compute_baseline(reversed(checks), NOISE)  # order of the input does not matter
    assert b is not None
    assert b.check_ids == (1, 4, 5) and b.method == "first" and b.n == 3
    assert b.values == {TILT: 12.0, LORD: 30.0}
    assert (b.start, b.end) == (T0 + DAY, T0 + 5 * DAY)
    assert b.sem == {TILT: 1.0, LORD: 1.5}
    assert b.describe(UTC) == "median of the first 3 good checks (2025-03-02 to 2025-03-06)"

    b2 = compute_baseline(checks, NOISE, n=2)
    assert b2 is not None and b2.values == {TILT: 12.0, LORD: 28.0}  # mean of the middle two
    assert compute_baseline(checks, NOISE, n=5) is None
    with pytest.raises(ValueError):
        compute_baseline(checks, NOISE, n=0)


def test_baseline_from_a_picked_range() -> None:
    checks = [check(i, float(i), 20.0 + i) for i in range(1, 8)]
    b = compute_baseline(checks, NOISE, since=T0 + 3 * DAY, until=T0 + 6 * DAY)
    assert b is not None and b.method == "range"
    assert b.check_ids == (3, 4, 5) and b.values == {TILT: 4.0, LORD: 24.0}
    assert (
        b.describe(UTC) == "median of 3 good checks in the chosen range (2025-03-04 to 2025-03-06)"
    )
    assert compute_baseline(checks, NOISE, since=T0 + 30 * DAY) is None


def test_baseline_sem_is_the_largest_of_its_checks() -> None:
    checks = [check(1, 10, 30), check(2, 10, 30, variant="lite"), check(3, 10, 30)]
    b = compute_baseline(checks, NOISE)
    assert b is not None and b.sem == {TILT: 2.0, LORD: 2.5}


# -- change and verdict --------------------------------------------------------------------

BASE = Baseline({TILT: 12.0, LORD: 30.0}, {TILT: 1.0, LORD: 1.5}, (1, 2, 3), T0, T0 + DAY, "first")


def test_change_against_the_baseline_hand_worked() -> None:
    # Tilt: SEMs 1.0 and 1.0 -> SDC = 1.96 * sqrt(2) = 2.772°; +3.0° is a real change.
    # Lordosis: SEMs 1.5 and 1.5 -> SDC = 1.96 * sqrt(2) * 1.5 = 4.158°; -2.0° is noise.
    ch = compare(check(9, 15.0, 28.0), BASE, NOISE)
    t, lo = ch[TILT], ch[LORD]
    assert (t.value, t.baseline, t.change) == (15.0, 12.0, 3.0)
    assert t.sdc == pytest.approx(2.7719, abs=1e-4) == sdc95(1.0)
    assert t.verdict == "real change" and t.real and t.direction == "more anterior tilt"
    assert t.short_text() == "+3.0° real change (more anterior tilt)"
    assert "A real change: more than the ±2.8°" in t.text()
    assert lo.change == -2.0 and lo.sdc == pytest.approx(4.1578, abs=1e-4)
    assert lo.verdict == "within noise" and lo.direction == "flatter"
    assert lo.short_text() == "-2.0° within noise"
    assert "within noise" in lo.text() and "±4.2°" in lo.text()


@pytest.mark.parametrize(
    ("tilt", "lord", "tilt_words", "lord_words"),
    [
        (8.0, 36.0, "-4.0° real change (more posterior tilt)", "+6.0° real change (more curved)"),
        (10.0, 25.0, "-2.0° within noise", "-5.0° real change (flatter)"),
        (12.0, 30.0, "+0.0° within noise", "+0.0° within noise"),
    ],
)
def test_direction_words(tilt: float, lord: float, tilt_words: str, lord_words: str) -> None:
    ch = compare(check(9, tilt, lord), BASE, NOISE)
    assert ch[TILT].short_text() == tilt_words
    assert ch[LORD].short_text() == lord_words


def test_exactly_the_sdc_is_still_noise() -> None:
    sdc = Z95 * math.hypot(1.0, 1.0)
    base = Baseline({TILT: 0.0, LORD: 0.0}, {TILT: 1.0, LORD: 1.0}, (1,), T0, T0, "first")
    assert compare(check(9, sdc, 0.0), base, NOISE)[TILT].verdict == "within noise"
    assert compare(check(9, sdc + 1e-9, 0.0), base, NOISE)[TILT].verdict == "real change"


def test_different_sems_combine_in_quadrature() -> None:
    # A lite check (SEM 2.0) against a full baseline (1.0): SDC = 1.96 * sqrt(4 + 1) = 4.383°.
    ch = compare(check(9, 16.0, 30.0, variant="lite"), BASE, NOISE)[TILT]
    assert ch.sdc == pytest.approx(1.96 * math.sqrt(5.0))
    assert (ch.sem_check, ch.sem_baseline) == (2.0, 1.0)
    assert ch.verdict == "within noise"  # +4.0° would be real between two full checks
    assert compare(check(9, 16.0, 30.0), BASE, NOISE)[TILT].verdict == "real change"


def test_unsteady_live_check_needs_a_larger_change() -> None:
    # Window SD 2.5° -> SEM 2.5; SDC = 1.96 * sqrt(2.5² + 1²) = 5.277°.
    live = check(9, 17.0, 30.0, source="live", pm=(math.hypot(2.5, 3.0), 4.0))
    ch = compare(live, BASE, NOISE)[TILT]
    assert ch.sdc == pytest.approx(1.96 * math.hypot(2.5, 1.0))
    assert ch.change == 5.0 and ch.verdict == "within noise"
    assert ch.sem_source == "the spread of the live window"


def test_bad_checks_are_not_compared() -> None:
    assert compare(check(9, None, None, measurable=False), BASE, NOISE) == {}
    assert compare(check(9, 30.0, 50.0, flags=("x",)), BASE, NOISE) == {}


@given(st.floats(-40, 40), st.floats(0, 5), st.floats(0, 5))
def test_verdict_is_real_exactly_beyond_the_sdc(change: float, sem_a: float, sem_b: float) -> None:
    noise = NoiseModel(Repeatability(photo={"full": {TILT: sem_a, LORD: sem_a}}))
    base = Baseline({TILT: 0.0, LORD: 0.0}, {TILT: sem_b, LORD: sem_b}, (1,), T0, T0, "first")
    ch = compare(check(9, change, -change), base, noise)
    for c in ch.values():
        assert c.sdc == pytest.approx(1.96 * math.hypot(sem_a, sem_b))
        assert c.real == (abs(c.change) > c.sdc)
    if ch[TILT].real:
        assert ch[LORD].real and ch[TILT].direction != (
            "more anterior tilt" if change < 0 else "more posterior tilt"
        )


# -- a whole history -----------------------------------------------------------------------


def history_days() -> list[Check]:
    """A hand-worked history: baseline days 1-3, then a bad check, a real and a noisy one."""
    return [
        check(1, 9.0, 31.0),
        check(2, 10.0, 30.0, pattern="neutral"),
        check(3, 11.0, 29.0),
        check(4, None, None, measurable=False, pattern="inconclusive"),
        check(5, 15.0, 24.0, pattern="flattened"),
        check(6, 11.0, 31.0, pattern="increased"),
    ]


def test_assess_history_hand_worked() -> None:
    checks = history_days()
    rep = assess_history(checks, NOISE)
    assert rep.baseline is not None and rep.baseline.values == {TILT: 10.0, LORD: 30.0}
    assert rep.good_checks == 5 and rep.needed == 0
    assert set(rep.changes) == {1, 2, 3, 5, 6}
    assert rep.changes[5][TILT].short_text() == "+5.0° real change (more anterior tilt)"
    assert rep.changes[5][LORD].short_text() == "-6.0° real change (flatter)"
    assert rep.changes[6][TILT].short_text() == "+1.0° within noise"
    assert rep.changes[6][LORD].short_text() == "+1.0° within noise"
    assert rep.sdc(TILT) == pytest.approx(2.7719, abs=1e-4)

    early = assess_history(checks[:2], NOISE)
    assert early.baseline is None and early.needed == 1 and early.changes == {}
    assert early.sdc(TILT) is None


def test_trend_numbers_hand_worked() -> None:
    trend = compute_trend(list(reversed(history_days())), NOISE)
    tilt = trend.metrics[TILT]
    assert tilt.name == "pelvic tilt" and tilt.unit == "°"
    assert [p.check_id for p in tilt.points] == [1, 2, 3, 5, 6]
    assert [p.value for p in tilt.points] == [9.0, 10.0, 11.0, 15.0, 11.0]
    assert (tilt.points[0].lower, tilt.points[0].upper) == (6.0, 12.0)  # 9 ± 3
    assert [p.in_baseline for p in tilt.points] == [True, True, True, False, False]
    assert tilt.baseline == 10.0
    lo, hi = tilt.band  # type: ignore[misc]
    assert lo == pytest.approx(10.0 - 2.7719, abs=1e-4)
    assert hi == pytest.approx(10.0 + 2.7719, abs=1e-4)
    lord = trend.metrics[LORD]
    assert lord.band == pytest.approx((30.0 - 1.5 * 2.7719, 30.0 + 1.5 * 2.7719), abs=1e-3)
    assert [p.change.verdict for p in lord.points if p.change] == [
        "within noise",
        "within noise",
        "within noise",
        "real change",
        "within noise",
    ]

    assert [(p.check_id, p.pattern, p.level) for p in trend.patterns] == [
        (1, "neutral", 0),
        (2, "neutral", 0),
        (3, "neutral", 0),
        (4, "inconclusive", None),
        (5, "flattened", -1),
        (6, "increased", 1),
    ]
    assert PATTERN_LEVELS == {"flattened": -1, "neutral": 0, "increased": 1}

    latest = trend.latest_changes()
    assert latest is not None and latest[0] == 6
    assert trend.summary_lines(UTC) == [
        "Baseline: median of the first 3 good checks (2025-03-02 to 2025-03-04): "
        "pelvic tilt 10.0°, lower-back curve 30.0°.",
        "Smallest detectable change (95 %): pelvic tilt ±2.8°, lower-back curve ±4.2°.",
        "Latest check (#6):",
        "Pelvic tilt: +1.0° against your baseline, within noise: two checks of an unchanged "
        "posture can differ by up to ±2.8°.",
        "Lower-back curve: +1.0° against your baseline, within noise: two checks of an "
        "unchanged posture can differ by up to ±4.2°.",
    ]

    rows = trend.rows()
    assert len(rows) == 10
    assert [(r["check_id"], r["metric"]) for r in rows[:2]] == [(1, TILT), (1, LORD)]
    r5 = next(r for r in rows if r["check_id"] == 5 and r["metric"] == TILT)
    assert r5["value"] == 15.0 and r5["lower"] == 12.0 and r5["upper"] == 18.0
    assert r5["baseline"] == 10.0 and r5["change"] == 5.0 and r5["verdict"] == "real change"
    assert r5["sdc"] == pytest.approx(2.7719, abs=1e-4)
    assert r5["baseline_lower"] == pytest.approx(10.0 - 2.7719, abs=1e-4)


def test_trend_without_a_baseline() -> None:
    trend = compute_trend(history_days()[:2], NOISE)
    tilt = trend.metrics[TILT]
    assert tilt.baseline is None and tilt.band is None and tilt.sdc is None
    assert all(p.change is None for p in tilt.points)
    assert trend.latest_changes() is None
    assert trend.summary_lines() == ["No baseline yet: 1 more good check needed."]
    assert all(r["verdict"] is None and r["baseline"] is None for r in trend.rows())
    assert compute_trend([], NOISE).rows() == []
