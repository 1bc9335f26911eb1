"""Unit tests for posture_cam.measure.classify, worked by hand from the THRESHOLDS table.

On our scale the neutral pelvic tilt is 13 - 8 = 5° (SD 5) and the neutral lordosis
42 - 19 = 23° (SD 13). Standard scores: z_t = (tilt - 5) / 5, z_l = (lordosis - 23) / 13.
Pattern from z = (z_t + z_l) / 2: "increased" if z > 0.5, "flattened" if z < -0.5, else
"neutral". If z_t > 1 and z_l < -1 (or the reverse) the reading is contradictory: inconclusive.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from posture_cam.measure.classify import (
    PATTERN_TITLES,
    THRESHOLDS,
    Assessment,
    classify,
    classify_values,
)
from posture_cam.measure.gates import Finding, GateReport
from posture_cam.types import Measurement, PostureMetrics

NEUTRAL_TILT, SD_TILT = 5.0, 5.0
NEUTRAL_LORD, SD_LORD = 23.0, 13.0


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _classify(tilt: float, lordosis: float, pm_t: float = 5.0, pm_l: float = 13.0) -> Assessment:
    return classify_values(Measurement(tilt, pm_t), Measurement(lordosis, pm_l))


def test_thresholds_table_is_what_the_design_says() -> None:
    t = THRESHOLDS
    assert (t.pelvic_tilt.population_mean, t.pelvic_tilt.population_sd) == (13.0, 5.0)
    assert (t.lumbar_lordosis.population_mean, t.lumbar_lordosis.population_sd) == (42.0, 13.0)
    assert t.pelvic_tilt.neutral == NEUTRAL_TILT
    assert t.lumbar_lordosis.neutral == NEUTRAL_LORD
    assert (t.pattern_z, t.contradiction_z) == (0.5, 1.0)
    assert t.pelvic_tilt.metric == "pelvic_tilt_deg"
    assert t.lumbar_lordosis.metric == "lumbar_lordosis_deg"


# (tilt, lordosis, expected pattern, why) -- z_t, z_l, z worked by hand in each comment.
TABLE = [
    (5.0, 23.0, "neutral", "z_t 0, z_l 0: z 0"),
    (10.0, 36.0, "increased", "z_t 1, z_l 1: z 1"),
    (0.0, 10.0, "flattened", "z_t -1, z_l -1: z -1"),
    (10.0, 23.0, "neutral", "z_t 1, z_l 0: z 0.5 exactly, boundary is not > 0.5"),
    (10.5, 23.0, "increased", "z_t 1.1: z 0.55"),
    (0.0, 23.0, "neutral", "z_t -1: z -0.5 exactly, boundary"),
    (-0.5, 23.0, "flattened", "z_t -1.1: z -0.55"),
    (5.0, 36.0, "neutral", "z_l 1: z 0.5, boundary"),
    (5.0, 49.0, "increased", "z_l 2: z 1, lordosis alone"),
    (5.0, -3.0, "flattened", "z_l -2: z -1, lordosis alone"),
    (20.0, 23.0, "increased", "z_t 3: z 1.5, tilt alone"),
    (-10.0, 23.0, "flattened", "z_t -3: z -1.5, tilt alone"),
    (11.0, 9.0, "inconclusive", "z_t 1.2 > 1, z_l -1.08 < -1: contradiction"),
    (-1.0, 37.0, "inconclusive", "z_t -1.2, z_l +1.08: contradiction"),
    (10.0, 10.0, "neutral", "z_t 1, z_l -1: both exactly at 1, no contradiction; z 0"),
    (15.0, 10.0, "neutral", "z_t 2, z_l -1 (not < -1): no contradiction; z 0.5, boundary"),
    (15.0, 9.9, "inconclusive", "z_t 2, z_l -1.008: contradiction"),
    (7.0, 20.0, "neutral", "z_t 0.4, z_l -0.23: small"),
    (math.nan, 23.0, "inconclusive", "tilt not measured"),
    (5.0, math.nan, "inconclusive", "lordosis not measured"),
    (math.inf, 23.0, "inconclusive", "infinite tilt"),
    (5.0, -math.inf, "inconclusive", "infinite lordosis"),
]


@pytest.mark.parametrize(("tilt", "lordosis", "pattern", "why"), TABLE)
def test_classify_values_table(tilt: float, lordosis: float, pattern: str, why: str) -> None:
    a = _classify(tilt, lordosis)
    assert a.pattern == pattern, why
    assert a.title == PATTERN_TITLES[pattern]
    assert 0.0 <= a.confidence <= 1.0
    if pattern == "inconclusive":
        assert a.confidence == 0.0
        assert a.problems
    else:
        assert a.problems == ()


def test_contradiction_keeps_its_reasons_and_says_why() -> None:
    a = _classify(11.0, 9.0)
    assert a.pattern == "inconclusive"
    assert "opposite" in a.problems[0]
    assert [r.metric for r in a.reasons] == ["pelvic_tilt_deg", "lumbar_lordosis_deg"]


def test_nan_gives_no_reasons_and_a_problem() -> None:
    a = _classify(math.nan, 23.0)
    assert a.reasons == ()
    assert "could not be measured" in a.problems[0]


# ------------------------------------------------------------------------------- confidence
# With errors equal to one SD each: sd_z = 0.5 * hypot(1.25 * 5/5, 1.25 * 13/13)
#                                       = 0.625 * sqrt(2) = 0.88388.
SD_Z = 0.625 * math.sqrt(2.0)


@pytest.mark.parametrize(
    ("tilt", "lordosis", "pattern", "confidence"),
    [
        (10.0, 36.0, "increased", _phi(0.5 / SD_Z)),  # z 1: (1 - 0.5) / sd_z
        (0.0, 10.0, "flattened", _phi(0.5 / SD_Z)),  # z -1, mirror image
        (15.0, 49.0, "increased", _phi(1.5 / SD_Z)),  # z 2
        (5.0, 23.0, "neutral", 2.0 * _phi(0.5 / SD_Z) - 1.0),  # z 0: both sides 0.5 away
        (10.0, 23.0, "neutral", _phi(0.0) + _phi(1.0 / SD_Z) - 1.0),  # z 0.5, on the edge
    ],
)
def test_confidence_by_hand(tilt: float, lordosis: float, pattern: str, confidence: float) -> None:
    a = _classify(tilt, lordosis)
    assert a.pattern == pattern
    assert a.confidence == pytest.approx(confidence, abs=1e-9)


def test_confidence_hand_numbers() -> None:
    # Spot values of the above: Phi(0.5657) = 0.714, 2 Phi(0.5657) - 1 = 0.428.
    assert _classify(10.0, 36.0).confidence == pytest.approx(0.714, abs=1e-3)
    assert _classify(5.0, 23.0).confidence == pytest.approx(0.428, abs=1e-3)


def test_smaller_measurement_error_gives_higher_confidence() -> None:
    rough = _classify(10.0, 36.0, pm_t=5.0, pm_l=13.0)
    sharp = _classify(10.0, 36.0, pm_t=1.0, pm_l=2.0)
    assert sharp.pattern == rough.pattern == "increased"
    assert sharp.confidence > rough.confidence


def test_zero_error_gives_certainty_off_the_boundary() -> None:
    assert _classify(10.0, 36.0, 0.0, 0.0).confidence == pytest.approx(1.0)
    assert _classify(5.0, 23.0, 0.0, 0.0).confidence == pytest.approx(1.0)


@given(z1=st.floats(0.51, 2.5), z2=st.floats(0.51, 2.5), sign=st.sampled_from([1.0, -1.0]))
def test_confidence_grows_away_from_the_boundary(z1: float, z2: float, sign: float) -> None:
    # Move tilt and lordosis together (no contradiction): z = z_t = z_l, within the
    # plausible range (lordosis -2.5 SD = -9.5°).
    assume(abs(z1 - z2) > 1e-3)
    lo, hi = sorted((z1, z2))
    near = _classify(NEUTRAL_TILT + sign * lo * SD_TILT, NEUTRAL_LORD + sign * lo * SD_LORD)
    far = _classify(NEUTRAL_TILT + sign * hi * SD_TILT, NEUTRAL_LORD + sign * hi * SD_LORD)
    assert near.pattern == far.pattern == ("increased" if sign > 0 else "flattened")
    assert 0.0 <= near.confidence <= far.confidence <= 1.0
    assert near.confidence >= 0.5  # beyond the boundary the call is at least a coin flip


@given(z1=st.floats(-0.49, 0.49), z2=st.floats(-0.49, 0.49))
def test_neutral_confidence_is_highest_in_the_middle(z1: float, z2: float) -> None:
    assume(abs(abs(z1) - abs(z2)) > 1e-3)
    inner, outer = sorted((z1, z2), key=abs)
    a = _classify(NEUTRAL_TILT + inner * SD_TILT, NEUTRAL_LORD + inner * SD_LORD)
    b = _classify(NEUTRAL_TILT + outer * SD_TILT, NEUTRAL_LORD + outer * SD_LORD)
    assert a.pattern == b.pattern == "neutral"
    assert a.confidence >= b.confidence
    assert 0.0 <= b.confidence <= 1.0


@given(
    tilt=st.floats(allow_nan=True, allow_infinity=True),
    lordosis=st.floats(allow_nan=True, allow_infinity=True),
    pm_t=st.floats(0.0, 50.0),
    pm_l=st.floats(0.0, 50.0),
)
def test_classify_values_always_answers(
    tilt: float, lordosis: float, pm_t: float, pm_l: float
) -> None:
    a = _classify(tilt, lordosis, pm_t, pm_l)
    assert a.pattern in PATTERN_TITLES
    assert 0.0 <= a.confidence <= 1.0
    if not (math.isfinite(tilt) and math.isfinite(lordosis)):
        assert a.pattern == "inconclusive"


# --------------------------------------------------------------------------------- reasons


def test_reasons_carry_value_error_z_and_source() -> None:
    a = _classify(15.0, 49.0, pm_t=3.8, pm_l=4.5)
    rt, rl = a.reasons
    assert (rt.metric, rt.value, rt.plus_minus) == ("pelvic_tilt_deg", 15.0, 3.8)
    assert (rl.metric, rl.value, rl.plus_minus) == ("lumbar_lordosis_deg", 49.0, 4.5)
    assert rt.z == pytest.approx((15.0 - 5.0) / 5.0)
    assert rl.z == pytest.approx((49.0 - 23.0) / 13.0)
    assert (rt.neutral, rt.band) == (NEUTRAL_TILT, SD_TILT)
    assert (rl.neutral, rl.band) == (NEUTRAL_LORD, SD_LORD)
    assert rt.source == THRESHOLDS.pelvic_tilt.source and "13 ± 5" in rt.source
    assert rl.source == THRESHOLDS.lumbar_lordosis.source and "42 ± 13" in rl.source
    # The sentence people read: value ± error, distance in SD, and the typical range.
    assert "15° ± 4°" in rt.text and "2.0 SD above" in rt.text and "0–10°" in rt.text
    assert "49° ± 4°" in rl.text and "2.0 SD above" in rl.text and "10–36°" in rl.text


def test_reason_text_below_and_at_the_typical_value() -> None:
    rt, rl = _classify(0.0, 23.0).reasons
    assert "1.0 SD below" in rt.text
    assert rl.z == 0.0


@pytest.mark.parametrize(
    ("tilt", "lordosis", "driver"),
    [
        (20.0, 30.0, "pelvic tilt"),  # z_t 3 vs z_l 0.54
        (6.0, 60.0, "lumbar curve"),  # z_t 0.2 vs z_l 2.85
        (-10.0, 20.0, "pelvic tilt"),  # flattened, z_t -3
    ],
)
def test_summary_names_the_measure_that_drove_the_call(
    tilt: float, lordosis: float, driver: str
) -> None:
    a = _classify(tilt, lordosis)
    assert a.pattern in ("increased", "flattened")
    assert f"Mostly from the {driver}" in a.summary


def test_neutral_summary_names_no_driver() -> None:
    assert "Mostly" not in _classify(5.0, 23.0).summary


# ---------------------------------------------------------------------------------- classify


def _metrics(tilt: float, lordosis: float, flags: tuple[str, ...] = ()) -> PostureMetrics:
    one = Measurement(0.0, 1.0)
    return PostureMetrics(
        near_side="right",
        facing="+x",
        pelvic_tilt_deg=Measurement(tilt, 3.8),
        lumbar_lordosis_deg=Measurement(lordosis, 4.5),
        lumbar_depth_ratio=one,
        trunk_inclination_deg=one,
        hip_angle_deg=one,
        knee_flexion_deg=one,
        ear_offset_pct_height=one,
        shoulder_offset_pct_height=one,
        hip_offset_pct_height=one,
        knee_offset_pct_height=one,
        camera_roll_deg=None,
        outline=None,
        flags=flags,
    )


PASSED = GateReport(findings=(), near_side="right", facing="+x", side_view_ratio=0.05)


def test_classify_passes_good_metrics_to_the_values() -> None:
    a = classify(PASSED, _metrics(20.0, 49.0))
    assert a.pattern == "increased"
    assert a == classify_values(Measurement(20.0, 3.8), Measurement(49.0, 4.5))


def test_classify_failed_gate_is_inconclusive_with_its_message() -> None:
    gate = GateReport(
        findings=(
            Finding("not_side_view", "This looks like a front view.", "Turn 90°.", value=0.6),
        )
    )
    a = classify(gate, _metrics(20.0, 49.0))  # metrics would say "increased"
    assert a.pattern == "inconclusive"
    assert a.confidence == 0.0
    assert a.problems == ("This looks like a front view. Turn 90°.",)
    assert a.reasons == ()


def test_classify_lists_every_blocking_finding_but_not_warnings() -> None:
    gate = GateReport(
        findings=(
            Finding("body_cropped", "Feet cut off.", "Step back."),
            Finding("person_too_small", "Too small.", "Come closer."),
            Finding("camera_tilted", "Slight tilt.", "Level it.", severity="warn"),
        )
    )
    a = classify(gate, None)
    assert a.problems == ("Feet cut off. Step back.", "Too small. Come closer.")


def test_classify_warning_only_gate_still_classifies() -> None:
    gate = GateReport(findings=(Finding("camera_tilted", "Tilt.", "Level.", severity="warn"),))
    assert classify(gate, _metrics(-10.0, 0.0)).pattern == "flattened"


def test_classify_without_metrics_is_inconclusive() -> None:
    a = classify(PASSED, None)
    assert a.pattern == "inconclusive" and a.problems


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (("no_outline",), ("The body outline could not be found.",)),
        (("arm_behind_back",), ("An arm is behind the back and hides its outline.",)),
        (
            ("outline_gaps", "something_new"),
            (
                "The back outline has gaps (hair, clothing or background blending in).",
                "something_new",
            ),
        ),
    ],
)
def test_classify_flagged_metrics_are_inconclusive(
    flags: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    a = classify(PASSED, _metrics(20.0, 49.0, flags))  # values alone would say "increased"
    assert a.pattern == "inconclusive"
    assert a.confidence == 0.0
    assert a.problems == expected


# ------------------------------------------------------------------ plausibility, confidence


@pytest.mark.parametrize(
    ("tilt", "lordosis", "which"),
    [
        (-16.0, 0.0, "pelvic tilt of -16°"),
        (36.0, 60.0, "pelvic tilt of 36°"),
        (0.0, -11.0, "lower-back curve of -11°"),
        (30.0, 71.0, "lower-back curve of 71°"),
    ],
)
def test_reading_outside_what_standing_people_show_is_never_a_pattern(
    tilt: float, lordosis: float, which: str
) -> None:
    a = _classify(tilt, lordosis, 1.0, 1.0)  # a tiny ± would otherwise give a sure call
    assert a.pattern == "inconclusive" and a.implausible and a.confidence == 0.0
    assert any(which in p and "outside what standing people show" in p for p in a.problems)
    assert len(a.reasons) == 2  # the numbers stay visible, with their comparison


@pytest.mark.parametrize(("tilt", "lordosis"), [(-15.0, -10.0), (35.0, 70.0), (5.0, 23.0)])
def test_readings_at_the_edges_of_the_plausible_range_are_classified(
    tilt: float, lordosis: float
) -> None:
    a = _classify(tilt, lordosis)
    assert not a.implausible
    # The contradiction rule may still apply; the plausibility rule does not.
    assert not any("standing people show" in p for p in a.problems)


def test_ground_truth_may_skip_the_plausibility_check() -> None:
    a = classify_values(Measurement(-20.0, 0.0), Measurement(-15.0, 0.0), plausible=None)
    assert a.pattern == "flattened" and not a.implausible


def test_calibrated_scale_widens_the_error_and_the_cap_bounds_the_confidence() -> None:
    from posture_cam.measure.calibration import ConfidenceCalibration

    # z = 1 (tilt 10, lordosis 36) with ± 5 and 13: sd_z = 0.5 * hypot(1.25, 1.25) = 0.884.
    sd = 0.5 * math.hypot(1.25, 1.25)
    base = _classify(10.0, 36.0).confidence
    assert base == pytest.approx(_phi(0.5 / sd), abs=1e-9)
    wide = classify_values(
        Measurement(10.0, 5.0),
        Measurement(36.0, 13.0),
        confidence=ConfidenceCalibration(scale=2.0, cap=1.0),
    )
    assert wide.confidence == pytest.approx(_phi(0.5 / (2 * sd)), abs=1e-9)
    capped = classify_values(
        Measurement(30.0, 1.0),
        Measurement(60.0, 1.0),
        confidence=ConfidenceCalibration(scale=1.0, cap=0.9),
    )
    assert capped.pattern == "increased" and capped.confidence == 0.9
