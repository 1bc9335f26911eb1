"""Words of the guided checks (report.guided_text) and the self-check list (report.checklist)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from posture_cam.measure.breathing import BreathingResult
from posture_cam.measure.holds import Hold
from posture_cam.measure.thomas import ThomasSide
from posture_cam.measure.tilt_range import analyze_holds
from posture_cam.report.checklist import CHECKLIST_ITEMS, Checklist
from posture_cam.report.guided_text import (
    HOW_TO,
    NOT_A_DIAGNOSIS,
    SOURCES,
    BenchFigures,
    breathing_interpretation,
    load_bench_figures,
    range_interpretation,
    thomas_interpretation,
)
from posture_cam.types import Measurement

M = Measurement


def range_result(relaxed: float, forward: float, tucked: float):
    holds = tuple(
        Hold(pos, 0.0, 3000.0, 40, M(v, 0.5), M(v + 18, 0.5), 0.4, 0.4)
        for pos, v in zip(
            ("relaxed", "forward", "tucked", "relaxed_again"),
            (relaxed, forward, tucked, relaxed),
            strict=True,
        )
    )
    return analyze_holds(holds)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ((14.0, 18.0, -2.0), "towards the tipped-forward end"),
        ((2.0, 18.0, -2.0), "towards the tucked-under end"),
        ((8.0, 18.0, -2.0), "near the middle"),
    ],
)
def test_range_words_follow_the_relaxed_position(levels, expected: str) -> None:
    text = " ".join(range_interpretation(range_result(*levels)))
    assert expected in text
    assert "Levine & Whittle" in text
    assert text.endswith(NOT_A_DIAGNOSIS)
    # The tight-psoas reading is offered only with its caveats and sources.
    if "tipped-forward end" in text:
        assert "Heino 1990" in text and "Youdas 1996" in text


def test_range_words_state_the_bench_error_when_known() -> None:
    r = range_result(8.0, 18.0, -2.0)
    plain = " ".join(range_interpretation(r))
    assert "test renders" not in plain
    bench = BenchFigures(range_change_mae_tilt_deg=1.2, range_change_ratio_tilt=0.8)
    text = " ".join(range_interpretation(r, bench))
    assert "off by 1.2° on average" in text and "80%" in text


def side(thigh: float, knee: float, thigh_call: str, knee_call: str) -> ThomasSide:
    return ThomasSide("left", M(thigh, 3.0), M(knee, 3.0), 55.0, thigh_call, knee_call, 10)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("s", "words"),
    [
        (side(8.0, 60.0, "above", "short"), ("above the horizontal", "short rectus femoris")),
        (side(-12.0, 90.0, "below", "normal"), ("below the horizontal", "no sign of a short")),
        (side(1.0, 79.0, "level", "borderline"), ("about level", "within our error")),
    ],
)
def test_thomas_words(s: ThomasSide, words: tuple[str, str]) -> None:
    text = " ".join(
        thomas_interpretation(s, BenchFigures(thomas_thigh_mae_deg=4.0, thomas_knee_mae_deg=5.0))
    )
    for w in words:
        assert w in text
    assert "Harvey 1998" in text or "Ferber" in text
    assert "off by 4.0°" in text and "Vigotsky" in text


def breathing_result(share: float, lead: float = 10.0) -> BreathingResult:
    return BreathingResult(
        rate_per_min=M(12.0, 0.3),
        chest_movement_px=M(3.0, 0.1),
        belly_movement_px=M(3.0, 0.1),
        chest_movement_pct=M(1.2, 0.04),
        belly_movement_pct=M(1.2, 0.04),
        belly_share_pct=M(share, 2.0),
        belly_lead_deg=lead,
        noise_floor_px=0.5,
        noise_floor_pct=0.2,
        signal_to_noise_db=15.0,
        n_breaths=8,
        breath_cv=0.1,
        duration_s=40.0,
        trunk_length_px=250.0,
        trace_t_s=np.zeros(1),
        chest_trace_px=np.zeros(1),
        belly_trace_px=np.zeros(1),
    )


@pytest.mark.parametrize(
    ("share", "lead", "words"),
    [
        (75.0, 10.0, "mostly with your belly"),
        (25.0, 10.0, "mostly with your chest"),
        (50.0, 10.0, "with both chest and belly"),
        (50.0, 175.0, "opposite directions"),
    ],
)
def test_breathing_words(share: float, lead: float, words: str) -> None:
    text = " ".join(breathing_interpretation(breathing_result(share, lead)))
    assert words in text
    assert "Kaneko & Horie 2012" in text
    assert "Deep belly breathing" in text  # paired with the article's exercise
    assert "not a diagnosis" in text


def test_every_cited_author_year_has_a_source() -> None:
    r = range_result(14.0, 18.0, -2.0)
    texts = (
        range_interpretation(r)
        + thomas_interpretation(side(8.0, 60.0, "above", "short"))
        + breathing_interpretation(breathing_result(50.0))
    )
    cited = set(
        re.findall(r"([A-Z][a-z]+)(?: et al\.)?(?: & [A-Z][a-z]+)?'?s? \(?(\d{4})", " ".join(texts))
    )
    sources = " ".join(SOURCES.values())
    for author, year in cited:
        assert author in sources and year in sources, (author, year)


def test_how_to_covers_every_check_with_safety_words() -> None:
    assert set(HOW_TO) == {"pelvic_tilt_range", "hip_flexor_test", "breathing"}
    assert any("hurt" in s for s in HOW_TO["pelvic_tilt_range"])
    assert any("surgery" in s for s in HOW_TO["hip_flexor_test"])


def test_bench_figures_read_per_variant() -> None:
    d = {
        "range": {"lite": {"change_mae_tilt_deg": 1.4}, "full": {"change_mae_tilt_deg": 1.1}},
        "thomas": {"full": {"thigh_mae_deg": 3.5, "n": 24}},
    }
    lite = BenchFigures.from_dict(d, "lite")
    assert lite.range_change_mae_tilt_deg == 1.4
    assert lite.thomas_thigh_mae_deg == 3.5  # falls back to the full model's figures
    assert BenchFigures.from_dict(d, "heavy").range_change_mae_tilt_deg == 1.1
    assert isinstance(load_bench_figures("full"), BenchFigures)


# ----------------------------------------------------------------------------- checklist


def test_checklist_summary_counts_and_never_diagnoses() -> None:
    assert "none" in Checklist().summary()
    c = Checklist.from_keys(["pain_low_back", "inner_thigh_cramps", "instability"])
    s = c.summary()
    # pain_low_back is on both lists, inner-thigh cramps on the tight one, instability weak
    assert "2 of the 7 signs" in s and "2 of the 5" in s
    assert "on both lists" in s and "not a diagnosis" in s
    assert "you have" not in s.lower()
    assert [i.key for i in c.items("weak")] == ["pain_low_back", "instability"]
    rec = c.to_record()
    assert rec["ticked"] == ["inner_thigh_cramps", "instability", "pain_low_back"]
    assert len(rec["items"]) == len(CHECKLIST_ITEMS)
    assert Checklist.from_record(rec) == c


def test_checklist_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="unknown checklist keys: nope"):
        Checklist.from_keys(["nope"])


def test_checklist_covers_the_articles_signs() -> None:
    keys = {i.key for i in CHECKLIST_ITEMS}
    assert {"inner_thigh_cramps", "less_flexible", "leg_length", "instability"} <= keys
    assert {"pain_low_back", "pain_buttocks", "pain_hips", "pain_knees"} <= keys


def test_breathing_words_state_the_bench_errors_when_known() -> None:
    plain = " ".join(breathing_interpretation(breathing_result(50.0)))
    assert "test videos" not in plain
    bench = BenchFigures(
        breathing_rate_mae_per_min=0.2, breathing_share_mae_pct=3.0, breathing_floor_pct=1.1
    )
    text = " ".join(breathing_interpretation(breathing_result(50.0), bench))
    assert "off by 0.2 a minute" in text and "3 points" in text
    assert "below about 1.1 % of the trunk length a slow, regular sway" in text
