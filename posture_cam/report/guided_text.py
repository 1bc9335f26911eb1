"""Words for the guided checks: how to do them safely, what the numbers suggest, sources.

Pure text from the checks' result dataclasses (:mod:`posture_cam.measure.tilt_range`,
:mod:`posture_cam.measure.thomas`, :mod:`posture_cam.measure.breathing`); the same
sentences serve the command line, the app and the PDF. Every claim names its source; the
numbers our own benches measured come from ``posture_cam/data/guided_bench.json``
(written by ``bench/check_range.py``, ``bench/check_thomas.py`` and
``bench/check_breathing.py``). Nothing here is a diagnosis, and the text says so.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from posture_cam.measure.breathing import BreathingResult
from posture_cam.measure.thomas import ThomasSide
from posture_cam.measure.tilt_range import RangeResult

from .exercises import BELLY_BREATHING

__all__ = [
    "SOURCES",
    "HOW_TO",
    "BenchFigures",
    "load_bench_figures",
    "range_interpretation",
    "thomas_interpretation",
    "breathing_interpretation",
    "NOT_A_DIAGNOSIS",
]

BENCH_FILE = "guided_bench.json"

SOURCES: dict[str, str] = {
    "article": "The physiotherapy article about the psoas that this app follows.",
    "levine_whittle_1996": (
        "Levine D, Whittle MW. The effects of pelvic movement on lumbar lordosis in the "
        "standing position. J Orthop Sports Phys Ther 1996;24(3):130-135."
    ),
    "heino_1990": (
        "Heino JG, Godges JJ, Carter CL. Relationship between hip extension range of motion "
        "and postural alignment. J Orthop Sports Phys Ther 1990;12(6):243-247."
    ),
    "youdas_1996": (
        "Youdas JW, Garrett TR, Harmsen S, Suman VJ, Carey JR. Lumbar lordosis and pelvic "
        "inclination of asymptomatic adults. Phys Ther 1996;76(10):1066-1081."
    ),
    "preece_2021": (
        "Preece SJ, Tan YF, Alghamdi TDA, Arnall FA. Comparison of pelvic tilt before and "
        "after hip flexor stretching in healthy adults. J Manipulative Physiol Ther "
        "2021;44(4):289-294."
    ),
    "harvey_1998": (
        "Harvey D. Assessment of the flexibility of elite athletes using the modified "
        "Thomas test. Br J Sports Med 1998;32:68-70."
    ),
    "ferber_2010": (
        "Ferber R, Kendall KD, McElroy L. Normative and critical criteria for iliotibial "
        "band and iliopsoas muscle flexibility. J Athl Train 2010;45(4):344-348."
    ),
    "kendall": (
        "Kendall FP, McCreary EK, Provance PG, et al. Muscles: Testing and Function "
        "(the hip-flexor length test)."
    ),
    "peeler_anderson_2007": (
        "Peeler J, Anderson JE. Reliability of the Thomas test for assessing range of motion "
        "about the hip. Phys Ther Sport 2007;8:14-21."
    ),
    "peeler_anderson_2008": (
        "Peeler JD, Anderson JE. Reliability limits of the modified Thomas test for "
        "assessing rectus femoris muscle flexibility about the knee joint. J Athl Train "
        "2008;43(5):470-476."
    ),
    "clapis_2008": (
        "Clapis PA, Davis SM, Davis RO. Reliability of inclinometer and goniometric "
        "measurements of hip extension flexibility using the modified Thomas test. "
        "Physiother Theory Pract 2008;24(2):135-141."
    ),
    "kim_ha_2015": (
        "Kim GM, Ha SM. Reliability of the modified Thomas test using a lumbo-pelvic "
        "stabilization. J Phys Ther Sci 2015;27(2):447-449."
    ),
    "vigotsky_2016": (
        "Vigotsky AD, Lehman GJ, Beardsley C, Contreras B, Chung B, Feser EH. The modified "
        "Thomas test is not a valid measure of hip extension unless pelvic tilt is "
        "controlled. PeerJ 2016;4:e2325."
    ),
    "cosoli_2026": (
        "Cosoli G, Arnesano M, Scalise L. Metrological characterization of MediaPipe for "
        "knee joint angle estimation during squat execution (2026)."
    ),
    "kaneko_horie_2012": (
        "Kaneko H, Horie J. Breathing movements of the chest and abdominal wall in healthy "
        "subjects. Respir Care 2012;57(9):1442-1451."
    ),
}
"""Every source the checks' wording cites, by key."""

NOT_A_DIAGNOSIS = (
    "This is wellness information from a camera, not a diagnosis. Stop if anything hurts, "
    "and see a physiotherapist or doctor about pain that persists."
)

HOW_TO: dict[str, tuple[str, ...]] = {
    "pelvic_tilt_range": (
        "Stand side-on to the camera, whole body in view, in close-fitting clothes.",
        "Hold each position still for about 3 seconds: relaxed; pelvis tipped forward as "
        "far as is comfortable (back arched); pelvis tucked under as far as is comfortable "
        "(back flat); relaxed again.",
        "Keep your knees soft and your feet where they are; move only the pelvis and lower "
        "back, slowly.",
        "Stop if it hurts. Skip it if you have had recent back surgery or a back injury.",
    ),
    "hip_flexor_test": (
        "Use a firm, stable bed or table and have someone nearby the first time.",
        "Sit at the very end, lie back, and hug one knee to your chest with both hands "
        "until your lower back rests flat.",
        "Let the other leg hang over the edge, relaxed, and hold still for a few seconds "
        "with the hanging leg nearer the camera, side-on.",
        "Then swap legs (turn round or move the camera). To get up, hug both knees, roll "
        "onto your side and push up with your arms.",
        "Skip it if you have had recent hip, knee or back surgery, or it hurts.",
    ),
    "breathing": (
        "Stand or lie on your back side-on to the camera, chest and belly in view, in a "
        "close-fitting top, arms by your sides.",
        "Breathe quietly, as you normally do, for 30-60 seconds; don't talk or move.",
        "Keep the camera still on a tripod or a shelf.",
    ),
}
"""Step-by-step, safe instructions per check (shown before each check and in the README)."""


@dataclass(frozen=True)
class BenchFigures:
    """What our benches measured against known truth (None where not yet measured).

    Attributes:
        range_change_mae_tilt_deg / range_change_mae_lordosis_deg: mean absolute error of a
            change between two holds, same-body renders.
        range_change_ratio_tilt: measured change / true change (slope) for pelvic tilt.
        thomas_thigh_mae_deg / thomas_knee_mae_deg: mean absolute error on lying renders.
        thomas_thigh_bias_deg / thomas_knee_bias_deg: mean signed error (measured - true).
        breathing_rate_mae_per_min / breathing_share_mae_pct: errors on test videos.
        breathing_floor_px / breathing_floor_pct: the smallest movement (chest and belly
            together, peak-to-peak; px on 960-pixel-high videos, % of the trunk length)
            measured right on every test video.
    """

    range_change_mae_tilt_deg: float | None = None
    range_change_mae_lordosis_deg: float | None = None
    range_change_ratio_tilt: float | None = None
    thomas_thigh_mae_deg: float | None = None
    thomas_knee_mae_deg: float | None = None
    thomas_thigh_bias_deg: float | None = None
    thomas_knee_bias_deg: float | None = None
    breathing_rate_mae_per_min: float | None = None
    breathing_share_mae_pct: float | None = None
    breathing_floor_px: float | None = None
    breathing_floor_pct: float | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any], variant: str | None) -> BenchFigures:
        """Read the bench file's ``{check: {variant: {field: value}}}`` for one variant."""
        values: dict[str, float] = {}
        for check in ("range", "thomas", "breathing"):
            per_variant = d.get(check) or {}
            row = per_variant.get(variant or "") or per_variant.get("full") or {}
            for k, v in row.items():
                name = f"{check}_{k}"
                if name in cls.__dataclass_fields__ and isinstance(v, int | float):
                    values[name] = float(v)
        return cls(**values)


@lru_cache(maxsize=8)
def load_bench_figures(variant: str | None = None) -> BenchFigures:
    """The bench figures shipped with the package (empty figures if the file is missing)."""
    try:
        text = resources.files("posture_cam.data").joinpath(BENCH_FILE).read_text("utf-8")
    except FileNotFoundError:
        return BenchFigures()
    return BenchFigures.from_dict(json.loads(text), variant)


def _deg(x: float, signed: bool = False) -> str:
    return f"{x:+.1f}°" if signed else f"{x:.1f}°"


# ----------------------------------------------------------------------------- range


def range_interpretation(r: RangeResult, bench: BenchFigures | None = None) -> tuple[str, ...]:
    """What the four holds show and suggest, most important first (plain sentences)."""
    b = bench or BenchFigures()
    hold_pm = max(h.tilt_deg.plus_minus for h in r.holds)
    out = [
        "All four holds are of you, in the same clothes, in front of the same camera, so most "
        "of the error a single photo has cancels out in the differences between them; what "
        f"is left is how well a measurement repeats (±{hold_pm:.1f}° per hold here)"
        + (
            f" and how faithfully the estimate follows a change: on test renders with a "
            f"known tilt, changes were off by {b.range_change_mae_tilt_deg:.1f}° on average"
            + (
                f" and came out at about {b.range_change_ratio_tilt:.0%} of their true size"
                if b.range_change_ratio_tilt is not None
                else ""
            )
            + "."
            if b.range_change_mae_tilt_deg is not None
            else "."
        ),
        f"Tipping the pelvis forward moved it {_deg(r.forward_tilt_deg.value)} from relaxed "
        f"and tucking it under {_deg(r.backward_tilt_deg.value)}; the whole range was "
        f"{_deg(r.total_tilt_deg.value)} ± {r.total_tilt_deg.plus_minus:.1f}°. In Levine & "
        "Whittle's 1996 study of young adults without back pain, a maximal forward tilt "
        "moved the pelvis 11.4° on average and a maximal tuck 8.7°, measured with markers "
        "on the skin over the bones; compare the pattern rather than the exact degrees.",
    ]
    pct = r.relaxed_position_pct
    if pct is not None:
        out.append(
            f"Relaxed, you stand at {pct.value:.0f} ± {pct.plus_minus:.0f} % of your own range "
            "(0 % = fully tucked under, 100 % = fully tipped forward)."
        )
        if pct.value >= 65:
            out.append(
                "Your relaxed stance sits towards the tipped-forward end of your range: you "
                "can tip forward only a little more, and most of your movement is tucking "
                "under. Short hip flexors (the article's tight psoas) would hold the pelvis "
                "forward like this, since they resist tucking it under; but habit, stiff "
                "lower-back muscles or how far you chose to move do the same, and across "
                "people hip-flexor length predicts standing pelvic tilt poorly (Heino 1990; "
                "Youdas 1996; Preece 2021). The hip-flexor test checks the hip flexors more "
                "directly."
            )
        elif pct.value <= 35:
            out.append(
                "Your relaxed stance sits towards the tucked-under end of your range: most of "
                "your movement is tipping forward. That is the flattened pattern the article "
                "links to a weak or overstretched psoas, or simply a habit of standing tucked "
                "under."
            )
        else:
            out.append("Your relaxed stance sits near the middle of your own range.")
    if r.lordosis_per_tilt_ratio is not None:
        out.append(
            f"Your lower-back curve changed by {r.lordosis_per_tilt_ratio:.1f}° for every "
            "degree of pelvic tilt (Levine & Whittle found about one to one: 10.8° of curve "
            "for 11.4° of forward tilt)."
        )
    d = r.relaxed_difference_tilt_deg
    if r.relaxed_agree:
        out.append(
            f"Your two relaxed holds agree ({_deg(d.value, signed=True)} ± {d.plus_minus:.1f}° "
            "apart), so your relaxed stance is a steady reference."
        )
    out.append(NOT_A_DIAGNOSIS)
    return tuple(out)


# ----------------------------------------------------------------------------- Thomas


def thomas_interpretation(s: ThomasSide, bench: BenchFigures | None = None) -> tuple[str, ...]:
    """What one side's hanging thigh and knee suggest, with norms and errors."""
    b = bench or BenchFigures()
    side = s.side
    thigh, knee = s.thigh_angle_deg, s.knee_flexion_deg
    if s.thigh_call == "above":
        thigh_text = (
            f"Your {side} thigh rested {_deg(thigh.value)} above the horizontal "
            f"(± {thigh.plus_minus:.1f}°) while the other knee was hugged. A thigh that stays "
            "above the horizontal suggests short one-joint hip flexors: the iliopsoas, the "
            "article's psoas. In Ferber et al. (2010) limbs that clinicians judged tight "
            "averaged +0.3°, limbs judged normal -15.5°."
        )
    elif s.thigh_call == "below":
        thigh_text = (
            f"Your {side} thigh rested {_deg(abs(thigh.value))} below the horizontal "
            f"(± {thigh.plus_minus:.1f}°): the usual finding, which does not suggest short "
            "one-joint hip flexors. Elite athletes averaged 11.9° below (Harvey 1998), "
            "recreational athletes 10.6 ± 9.6° below (Ferber et al. 2010)."
        )
    else:
        thigh_text = (
            f"Your {side} thigh rested about level ({_deg(thigh.value, signed=True)} ± "
            f"{thigh.plus_minus:.1f}°), within our error of the horizontal line that "
            "clinicians use between normal and short hip flexors: in Ferber et al. (2010) "
            "limbs judged tight averaged +0.3°, limbs judged normal -15.5°."
        )
    if s.knee_call == "short":
        knee_text = (
            f"The hanging knee bent {_deg(knee.value)} (± {knee.plus_minus:.1f}°), less than "
            "the textbook 80° (Kendall): that suggests a short rectus femoris, the hip flexor "
            "on the front of the thigh that also straightens the knee. Measured bends vary "
            "a lot between studies and methods (a mean of 52.5° in elite athletes, Harvey "
            "1998), so take it as a pointer to stretch the front of the thigh, not a verdict."
        )
    elif s.knee_call == "normal":
        knee_text = (
            f"The hanging knee bent {_deg(knee.value)} (± {knee.plus_minus:.1f}°), at or "
            "beyond the textbook 80° (Kendall): no sign of a short rectus femoris."
        )
    else:
        knee_text = (
            f"The hanging knee bent {_deg(knee.value)} (± {knee.plus_minus:.1f}°), within our "
            "error of the textbook 80° (Kendall)."
        )
    error = (
        "Our angles come from the body landmarks a pose model finds, which sit a few "
        "degrees off the bones"
        + (
            f": on lying test renders the thigh angle was off by {b.thomas_thigh_mae_deg:.1f}° "
            f"and the knee bend by {b.thomas_knee_mae_deg:.1f}° on average"
            if b.thomas_thigh_mae_deg is not None and b.thomas_knee_mae_deg is not None
            else ""
        )
        + ". Clinicians do no better by eye or goniometer: the test's reliability is poor "
        "to fair (Peeler & Anderson 2007, 2008: knee SEM 7°), though an inclinometer or a "
        "careful goniometer repeats well (Clapis et al. 2008) and keeping the back flat "
        "helps most (Kim & Ha 2015; Vigotsky et al. 2016)."
    )
    return (
        thigh_text,
        knee_text,
        f"The hugged thigh was {s.hugged_trunk_thigh_deg:.0f}° from your trunk, close enough "
        "for a flat lower back, which the test needs (Vigotsky et al. 2016).",
        error,
        NOT_A_DIAGNOSIS,
    )


# ----------------------------------------------------------------------------- breathing


def breathing_interpretation(
    r: BreathingResult, bench: BenchFigures | None = None
) -> tuple[str, ...]:
    """What the breathing recording shows, the article's point, and the exercise."""
    b = bench or BenchFigures()
    share = r.belly_share_pct.value
    if share >= 60:
        pattern = "mostly with your belly"
    elif share <= 40:
        pattern = "mostly with your chest"
    else:
        pattern = "with both chest and belly"
    out = [
        f"You breathed {r.rate_per_min.value:.1f} ± {r.rate_per_min.plus_minus:.1f} times a "
        f"minute, {pattern}: the belly did {share:.0f} ± {r.belly_share_pct.plus_minus:.0f} % "
        f"of the outline's movement (belly {r.belly_movement_pct.value:.1f} %, chest "
        f'{r.chest_movement_pct.value:.1f} % of your trunk length). The words "mostly" '
        '(over 60 %) and "both" are our plain description, not a clinical cut-off.',
    ]
    if abs(r.belly_lead_deg) > 120:
        out.append(
            "Your chest and belly moved in opposite directions (one out while the other went "
            "in), which happens when the belly is held in while breathing."
        )
    out.append(
        "The article says a tight psoas, linked to the diaphragm, can push people towards "
        "shallow chest breathing, which is less efficient. A camera sees the outline move, "
        "not the diaphragm or the psoas: how much the belly moves also depends on standing "
        "or lying, clothes and what you were doing, and in healthy people quiet breathing "
        "moves the chest and belly far less than deep breathing, the abdomen less in women "
        "(Kaneko & Horie 2012). Take it as a description of your breathing today."
    )
    floor = f"{r.noise_floor_pct:.2f} % of your trunk length ({r.noise_floor_px:.1f} px)"
    out.append(
        f"In this recording, movements smaller than {floor} could not be told from noise"
        + (
            f"; on test videos with known breathing the rate was off by "
            f"{b.breathing_rate_mae_per_min:.1f} a minute and the belly share by "
            f"{b.breathing_share_mae_pct:.0f} points on average"
            if b.breathing_rate_mae_per_min is not None and b.breathing_share_mae_pct is not None
            else ""
        )
        + (
            f", and below about {b.breathing_floor_pct:.1f} % of the trunk length a slow, "
            "regular sway could pass for breathing."
            if b.breathing_floor_pct is not None
            else "."
        )
    )
    out.append(f"To try: {BELLY_BREATHING.title}. {BELLY_BREATHING.text}")
    out.append(NOT_A_DIAGNOSIS)
    return tuple(out)


def fmt_pm(value: float, plus_minus: float, unit: str = "°", digits: int = 1) -> str:
    """``12.3 ± 0.5°``; a dash for a missing value."""
    if not math.isfinite(value):
        return "-"
    return f"{value:.{digits}f} ± {plus_minus:.{digits}f}{unit}"
