"""Posture metrics -> a likely pattern, with reasons and a confidence (pure, no I/O).

The call uses both pelvic tilt and lumbar lordosis. Each is turned into a standard score
against population norms (translated to our angle convention, see :data:`THRESHOLDS`); the
pattern follows their mean, and the confidence says how far that mean is from the nearest
boundary compared with the measurement error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from posture_cam.types import Measurement, Pattern, PostureMetrics

from .calibration import ConfidenceCalibration
from .gates import GateReport

__all__ = [
    "Reason",
    "Assessment",
    "Norm",
    "THRESHOLDS",
    "PLAUSIBLE",
    "PlausibleRange",
    "classify",
    "classify_values",
    "PATTERN_TITLES",
]


@dataclass(frozen=True)
class Norm:
    """A population norm expressed on our scale.

    Attributes:
        metric: the :class:`PostureMetrics` field.
        label: how people read it.
        population_mean / population_sd: the published norm on its own scale.
        offset_to_ours: added to the published mean to put it on our angle convention.
        source: where the numbers come from.
    """

    metric: str
    label: str
    population_mean: float
    population_sd: float
    offset_to_ours: float
    source: str

    @property
    def neutral(self) -> float:
        return self.population_mean + self.offset_to_ours


@dataclass(frozen=True)
class Thresholds:
    """Every classification threshold in one table (the README repeats it).

    Attributes:
        pelvic_tilt / lumbar_lordosis: the norms the standard scores use.
        pattern_z: |mean standard score| above which a pattern is called (0.5 SD: a
            deliberately light "leans towards" call; the confidence says how clear it is).
        contradiction_z: tilt and lordosis pointing opposite ways, each beyond this many
            SD, make the result inconclusive (within a person they move together, Levine &
            Whittle 1996, so a clear opposite reading is more likely a measuring problem).
    """

    pelvic_tilt: Norm
    lumbar_lordosis: Norm
    pattern_z: float = 0.5
    contradiction_z: float = 1.0


THRESHOLDS = Thresholds(
    pelvic_tilt=Norm(
        metric="pelvic_tilt_deg",
        label="pelvic tilt (ASIS-PSIS)",
        population_mean=13.0,
        population_sd=5.0,
        # Our ASIS/PSIS skin points (the synthetic ground truth's) read 5° on an average
        # neutral body (rest pose, 5.1 ± 2.7° over the dev set); palpated markers read 13°.
        offset_to_ours=-8.0,
        source="ASIS–PSIS angle 13 ± 5° (range 0–23°) in 30 pelves, Preece et al. 2008, "
        "“Variation in pelvic morphology may prevent the identification of anterior pelvic "
        "tilt”, J Man Manip Ther 16(2):113–117; shifted by −8° to our scale, on which "
        "average neutral bodies read 5°",
    ),
    lumbar_lordosis=Norm(
        metric="lumbar_lordosis_deg",
        label="lumbar curve (surface lordosis)",
        population_mean=42.0,
        population_sd=13.0,
        # Our L1/S1 chords (±2 % of height) on the mid-back read 23° on an average neutral
        # body (rest pose over the dev set: 23.0 ± 5.5°); DIERS-style surface lordosis 42°.
        offset_to_ours=-19.0,
        source="standing lumbar curve 42 ± 13° measured on the skin with a flexible ruler "
        "in 2,497 people without symptoms, Rajabi, Plandowska & Bayattork, “Normative "
        "values of non-radiological surface measurement of the lumbar lordosis curvature "
        "in the standing position”, Asian Spine J (doi 10.31616/asj.2024.0317); shifted by "
        "−19° to our scale, on which average neutral bodies read 23°",
    ),
)


@dataclass(frozen=True)
class PlausibleRange:
    """Readings a standing person can show, on our scale; outside them a reading is a
    measuring problem, not a posture, and is never turned into a pattern.

    Pelvic tilt: the ASIS-PSIS angle of standing adults spans about 0-25° (bony
    morphology alone gives 0-23°, mean 13 ± 5°, Preece et al. 2008; most people tilt
    anteriorly, Herrington 2011) and people can tip the pelvis some 10-15° further either
    way on purpose. On our scale (8° lower) that is about -20 to +30°, so -15..+35° keeps a
    margin for the measuring error at both ends. Lumbar lordosis: a standing lower back
    that curves the wrong way (a surface lordosis below -10° on our scale, about 4 SD under
    the norm) or more than 70° (about 3.5 SD over it) is not seen in standing adults.
    """

    pelvic_tilt_deg: tuple[float, float] = (-15.0, 35.0)
    lumbar_lordosis_deg: tuple[float, float] = (-10.0, 70.0)


PLAUSIBLE = PlausibleRange()

PATTERN_TITLES: dict[str, str] = {
    "increased": "Increased curve / anterior pelvic tilt",
    "flattened": "Flattened curve / posterior pelvic tilt",
    "neutral": "Neutral",
    "inconclusive": "Inconclusive",
}


@dataclass(frozen=True)
class Reason:
    """One line of the explanation: a metric, its value ± error, and what it was compared to."""

    metric: str
    label: str
    value: float
    plus_minus: float
    neutral: float
    band: float
    z: float
    text: str
    source: str


@dataclass(frozen=True)
class Assessment:
    """The answer for one picture or one steady live result.

    Attributes:
        pattern: "increased", "flattened", "neutral" or "inconclusive".
        confidence: 0..1, chance the call would stay the same given the measurement error
            (0 when inconclusive).
        title: the pattern's plain name.
        summary: one sentence for people.
        reasons: the metrics behind the call.
        problems: why it is inconclusive (gate messages, flags, contradictions).
        implausible: True when a reading lies outside what standing people show
            (:data:`PLAUSIBLE`): the result is then inconclusive and says so.
    """

    pattern: Pattern
    confidence: float
    title: str
    summary: str
    reasons: tuple[Reason, ...] = ()
    problems: tuple[str, ...] = ()
    implausible: bool = False


_FLAG_TEXT = {
    "no_outline": "The body outline could not be found.",
    "outline_gaps": "The back outline has gaps (hair, clothing or background blending in).",
    "arm_behind_back": "An arm is behind the back and hides its outline.",
    "landmarks_missing": "Key body points (ear, shoulder, hip, knee, ankle) were not found.",
    "landmarks_degenerate": "Key body points lie on top of each other or far outside the "
    "picture, so some measures cannot be taken.",
}


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _reason(norm: Norm, m: Measurement) -> Reason:
    z = (m.value - norm.neutral) / norm.population_sd
    if z > 0:
        where = "above"
    elif z < 0:
        where = "below"
    else:
        where = "at"
    text = (
        f"{norm.label[:1].upper()}{norm.label[1:]} {m.value:.0f}° ± {m.plus_minus:.0f}° is "
        f"{abs(z):.1f} SD {where} the typical {norm.neutral:.0f}° "
        f"(typical range {norm.neutral - norm.population_sd:.0f}–"
        f"{norm.neutral + norm.population_sd:.0f}°)."
    )
    return Reason(
        metric=norm.metric,
        label=norm.label,
        value=m.value,
        plus_minus=m.plus_minus,
        neutral=norm.neutral,
        band=norm.population_sd,
        z=z,
        text=text,
        source=norm.source,
    )


def _inconclusive(problems: tuple[str, ...], reasons: tuple[Reason, ...] = ()) -> Assessment:
    return Assessment(
        pattern="inconclusive",
        confidence=0.0,
        title=PATTERN_TITLES["inconclusive"],
        summary="We can't give a reliable reading from this picture.",
        reasons=reasons,
        problems=problems,
    )


# Without a measured calibration, confidences follow the stated errors as they are.
UNCALIBRATED = ConfidenceCalibration(scale=1.0, cap=1.0)


def classify_values(
    pelvic_tilt: Measurement,
    lumbar_lordosis: Measurement,
    thresholds: Thresholds = THRESHOLDS,
    *,
    confidence: ConfidenceCalibration = UNCALIBRATED,
    plausible: PlausibleRange | None = PLAUSIBLE,
) -> Assessment:
    """Classify from the two angles alone (also used on ground truth by the bench).

    Args:
        pelvic_tilt / lumbar_lordosis: the readings with their ``±`` (mean absolute error).
        thresholds: the norms and cut-offs.
        confidence: how the measured error becomes a confidence (see
            :class:`~posture_cam.measure.calibration.ConfidenceCalibration`).
        plausible: readings outside it are inconclusive; None skips the check (ground truth).
    """
    t = thresholds
    if not (math.isfinite(pelvic_tilt.value) and math.isfinite(lumbar_lordosis.value)):
        return _inconclusive(("The pelvis or lower-back angle could not be measured.",))
    rt = _reason(t.pelvic_tilt, pelvic_tilt)
    rl = _reason(t.lumbar_lordosis, lumbar_lordosis)
    reasons = (rt, rl)
    if plausible is not None:
        odd = _implausible(pelvic_tilt.value, lumbar_lordosis.value, plausible)
        if odd:
            return replace(_inconclusive(odd, reasons), implausible=True)
    if (rt.z > t.contradiction_z and rl.z < -t.contradiction_z) or (
        rt.z < -t.contradiction_z and rl.z > t.contradiction_z
    ):
        return _inconclusive(
            (
                "Pelvic tilt and lower-back curve point in opposite directions; within one "
                "person they usually move together, so the picture is probably misleading.",
            ),
            reasons,
        )
    z = (rt.z + rl.z) / 2.0
    # Error of the mean score, from each estimate's typical error (for a normal error the
    # SD is 1.25 x the mean absolute error), scaled as the validation measured.
    sd_z = (
        confidence.scale
        * 0.5
        * math.hypot(
            1.25 * pelvic_tilt.plus_minus / t.pelvic_tilt.population_sd,
            1.25 * lumbar_lordosis.plus_minus / t.lumbar_lordosis.population_sd,
        )
    )
    # An unknown (NaN) error is as uncertain as an infinite one: the call stays, its
    # confidence drops to a coin toss. (max() would keep a NaN and make the confidence NaN.)
    sd_z = max(sd_z, 1e-6) if math.isfinite(sd_z) else math.inf
    if z > t.pattern_z:
        pattern: Pattern = "increased"
        p_call = _phi((z - t.pattern_z) / sd_z)
        summary = (
            "Your lower back curves more than typical and the pelvis tips forward: "
            "the pattern the physiotherapy article on the psoas links to a tight psoas "
            '("duck butt").'
        )
    elif z < -t.pattern_z:
        pattern = "flattened"
        p_call = _phi((-t.pattern_z - z) / sd_z)
        summary = (
            "Your lower back is flatter than typical and the pelvis tucks under: "
            "the pattern the physiotherapy article on the psoas links to a weak or "
            'overstretched psoas ("flat butt").'
        )
    else:
        pattern = "neutral"
        p_call = _phi((t.pattern_z - z) / sd_z) + _phi((z + t.pattern_z) / sd_z) - 1.0
        summary = "Your pelvis and lower-back curve are within the typical range."
    driver = max(reasons, key=lambda r: abs(r.z))
    if pattern != "neutral":
        summary += f" Mostly from the {driver.label}."
    return Assessment(
        pattern=pattern,
        confidence=float(min(max(p_call, 0.0), confidence.cap)),
        title=PATTERN_TITLES[pattern],
        summary=summary,
        reasons=reasons,
    )


def _implausible(tilt: float, lordosis: float, r: PlausibleRange) -> tuple[str, ...]:
    out = []
    lo, hi = r.pelvic_tilt_deg
    if not lo <= tilt <= hi:
        out.append(
            f"A pelvic tilt of {tilt:.0f}° is outside what standing people show ({lo:.0f} to "
            f"{hi:.0f}° on this scale): the outline was probably misread (loose clothing, "
            "hair, an arm, or the picture itself), so no pattern is given."
        )
    lo, hi = r.lumbar_lordosis_deg
    if not lo <= lordosis <= hi:
        out.append(
            f"A lower-back curve of {lordosis:.0f}° is outside what standing people show "
            f"({lo:.0f} to {hi:.0f}° on this scale): the outline was probably misread, so no "
            "pattern is given."
        )
    return tuple(out)


def classify(
    gates: GateReport,
    metrics: PostureMetrics | None,
    thresholds: Thresholds = THRESHOLDS,
    *,
    confidence: ConfidenceCalibration = UNCALIBRATED,
) -> Assessment:
    """The pattern for one picture: inconclusive whenever a gate fails or the data are poor."""
    if not gates.passed:
        return _inconclusive(tuple(f"{f.message} {f.hint}" for f in gates.blocking))
    if metrics is None:
        return _inconclusive(("The posture could not be measured.",))
    if metrics.flags:
        return _inconclusive(tuple(_FLAG_TEXT.get(f, f) for f in metrics.flags))
    return classify_values(
        metrics.pelvic_tilt_deg, metrics.lumbar_lordosis_deg, thresholds, confidence=confidence
    )
