"""Hip-flexor length from a side view of the modified Thomas test (pure landmark geometry).

The person lies on their back at the end of a firm bed or table, side-on to the camera,
hugs one knee to the chest (which flattens the lower back) and lets the other leg hang
over the edge. The hanging leg is the one tested; the camera should be on its side.

Conventions (pixels x right, y down; the image is taken as level, or levelled first by
:func:`posture_cam.pipeline.level_detection`):

==========================  =============================  ===================================
quantity                    points                         0 and sign
==========================  =============================  ===================================
thigh_angle_deg             hanging hip -> knee            0 = horizontal; **+ = knee above
                                                           the hip** (thigh rising), - below
knee_flexion_deg            hanging hip, knee, ankle       0 = straight; 90 = shin at a right
                                                           angle to the thigh
hugged_trunk_thigh_deg      shoulders, hugged hip, knee    180 = straight; small = knee at
                                                           the chest
trunk_angle_deg             hips -> shoulders              0 = horizontal (lying flat)
==========================  =============================  ===================================

The thigh-angle sign is the one the test's literature uses (Harvey 1998: a mean of -11.9°,
i.e. below the horizontal, in 117 elite athletes; Ferber et al. 2010: -10.6 ± 9.6° in 300
recreational athletes, limbs judged tight averaging +0.3°). What the numbers suggest, with
their sources, is worded in :mod:`posture_cam.report.guided_text`.

Which leg hangs is decided by geometry, not by MediaPipe's left/right labels: the leg
whose thigh continues the trunk (the larger trunk-thigh angle) hangs, the other is hugged.
In a side view the labels can swap, so the side named is the label of the leg found
hanging; a guided flow that asked for a side can name it instead.

Pure numpy: no I/O, no mediapipe. Poor data gives findings, never exceptions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from posture_cam.landmarks import Landmark, Side, near_side_index
from posture_cam.types import Detection, Measurement

from .gates import DEFAULT_THRESHOLDS, Finding, GateThresholds, check_detection
from .geometry import flexion_deg, joint_angle_deg
from .plain import measurement, number

__all__ = [
    "ThomasThresholds",
    "DEFAULT_THOMAS_THRESHOLDS",
    "THIGH_ANGLE_PLUS_MINUS_DEG",
    "KNEE_FLEXION_PLUS_MINUS_DEG",
    "ThomasFrame",
    "ThomasReading",
    "read_thomas",
    "ThomasSide",
    "summarize_side",
    "ThomasResult",
    "combine_sides",
]

# Typical error of the two angles with the full model: on the lying renders the mean
# absolute error against the rig's joint centres was 1.8° (thigh) and 2.6° (knee)
# (bench/check_thomas.py); renders are kinder than real photos (tight clothes, a clean
# side view), so the ± is not taken below the ~3° that landmark errors of ~10 px over a
# thigh's length give on real side views. The lite model read both angles 6-8° low on the
# same renders: a flow using it passes its own, larger errors to :func:`summarize_side`.
THIGH_ANGLE_PLUS_MINUS_DEG = 3.0
KNEE_FLEXION_PLUS_MINUS_DEG = 3.0

ThighCall = Literal["above", "level", "below"]
KneeCall = Literal["short", "borderline", "normal"]


@dataclass(frozen=True)
class ThomasThresholds:
    """Every limit of the Thomas-test reading in one place (degrees).

    Attributes:
        max_trunk_angle_deg: the trunk must lie within this of the horizontal.
        max_hugged_trunk_thigh_deg: the hugged thigh must be at least at a right angle to
            the trunk (knee towards the chest, lower back flat); more open and the pelvis
            tips forward, which makes the hanging thigh read lower than it is (Vigotsky et
            al. 2016). Lenient on purpose: the hugged leg is the far one, whose landmarks
            are guessed (on the renders, true angles of 43-70° read up to 109°).
        min_hanging_trunk_thigh_deg: the hanging thigh must roughly continue the trunk.
        thigh_level_deg: the thigh above this is "above the horizontal".
        knee_normal_deg: a knee bent less than this suggests a short rectus femoris (the
            textbook criterion for this test is a knee bend of about 80° with the thigh
            level; Kendall et al., Muscles: Testing and Function).
        gates: the photo gates reused for a person in view (several people, side view,
            body cropped or too small); their standing check does not apply.
    """

    max_trunk_angle_deg: float = 30.0
    max_hugged_trunk_thigh_deg: float = 90.0
    min_hanging_trunk_thigh_deg: float = 130.0
    thigh_level_deg: float = 0.0
    knee_normal_deg: float = 80.0
    gates: GateThresholds = field(default_factory=lambda: DEFAULT_THRESHOLDS)


DEFAULT_THOMAS_THRESHOLDS = ThomasThresholds()


@dataclass(frozen=True)
class ThomasFrame:
    """The test's angles in one frame (conventions in the module notes)."""

    hanging_side: Side
    thigh_angle_deg: float
    knee_flexion_deg: float
    hugged_trunk_thigh_deg: float
    trunk_angle_deg: float
    hanging_is_near: bool


@dataclass(frozen=True)
class ThomasReading:
    """One frame's reading: the angles when the position could be read, and the findings.

    ``frame`` is set whenever the angles could be measured; ``usable`` also needs no
    blocking finding (the position is right and the person can be measured).
    """

    frame: ThomasFrame | None
    findings: tuple[Finding, ...] = ()

    @property
    def usable(self) -> bool:
        return self.frame is not None and not any(f.severity == "block" for f in self.findings)


def _p(xy: np.ndarray, part: str, side: Side) -> np.ndarray:
    point: np.ndarray = xy[near_side_index(part, side)]
    return point


def _angle_to_horizontal(a: np.ndarray, b: np.ndarray) -> float:
    """Angle of a -> b to the image horizontal, + when b is higher (smaller y), in -90..90."""
    d = b - a
    return math.degrees(math.atan2(-float(d[1]), abs(float(d[0]))))


_LYING_HINT = (
    "Lie on your back at the end of a firm bed or table, side-on to the camera, hug one "
    "knee to your chest and let the other leg hang over the edge."
)


def read_thomas(
    detection: Detection, thresholds: ThomasThresholds = DEFAULT_THOMAS_THRESHOLDS
) -> ThomasReading:
    """Read the modified Thomas test from one detection.

    Returns:
        A :class:`ThomasReading`: the angles, and findings for anything that makes them
        untrustworthy (nobody, several people, not a side view, body cropped or too small,
        not lying, face down, no hanging leg, knee not hugged to the chest: severity
        "block"; the hanging leg on the far side: "warn").
    """
    t = thresholds
    gates = check_detection(detection, t.gates)
    findings = [f for f in gates.findings if f.code != "not_standing"]
    pose = detection.person
    if pose is None:
        return ThomasReading(None, tuple(findings))
    xy = pose.xy_px
    hips = xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]].mean(axis=0)
    shoulders = xy[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]].mean(axis=0)
    if not (np.isfinite(hips).all() and np.isfinite(shoulders).all()):
        return ThomasReading(None, tuple(findings))
    trunk_angle = abs(_angle_to_horizontal(hips, shoulders))
    if trunk_angle > t.max_trunk_angle_deg:
        findings.append(
            Finding(
                "not_lying",
                f"This does not look like lying down: the trunk is {trunk_angle:.0f}° from level.",
                _LYING_HINT,
                value=trunk_angle,
                threshold=t.max_trunk_angle_deg,
            )
        )
    # The face's side of the trunk must be up: nose further from the floor than the ears.
    ears = xy[[Landmark.LEFT_EAR, Landmark.RIGHT_EAR]].mean(axis=0)
    axis = shoulders - hips
    normal = np.array([-axis[1], axis[0]])
    if float((xy[Landmark.NOSE] - ears) @ normal) < 0:
        normal = -normal
    if trunk_angle <= t.max_trunk_angle_deg and normal[1] > 0:
        findings.append(
            Finding(
                "face_down",
                "This looks like lying face down; the test is done lying on your back.",
                _LYING_HINT,
            )
        )

    def trunk_thigh(side: Side) -> float:
        return joint_angle_deg(shoulders, _p(xy, "hip", side), _p(xy, "knee", side))

    open_left, open_right = trunk_thigh("left"), trunk_thigh("right")
    if not (math.isfinite(open_left) and math.isfinite(open_right)):
        return ThomasReading(None, tuple(findings))
    hanging: Side = "left" if open_left >= open_right else "right"
    hang_open, hug_open = max(open_left, open_right), min(open_left, open_right)
    hip, knee, ankle = (_p(xy, part, hanging) for part in ("hip", "knee", "ankle"))
    if hang_open < t.min_hanging_trunk_thigh_deg or ankle[1] <= knee[1]:
        findings.append(
            Finding(
                "leg_not_hanging",
                "Neither leg hangs over the edge with the knee bent.",
                "Lie with your hips at the very end of the table so one leg hangs freely "
                "from the knee down.",
                value=hang_open,
                threshold=t.min_hanging_trunk_thigh_deg,
            )
        )
    if hug_open > t.max_hugged_trunk_thigh_deg:
        findings.append(
            Finding(
                "knee_not_hugged",
                f"The other knee is not hugged close to the chest (trunk-thigh angle "
                f"{hug_open:.0f}°), so the lower back is probably not flat and the hanging "
                "thigh would read too low.",
                "Hug the other knee towards your chest with both hands until your lower "
                "back rests flat on the table, then relax the hanging leg.",
                value=hug_open,
                threshold=t.max_hugged_trunk_thigh_deg,
            )
        )
    near = gates.near_side
    hanging_is_near = near is None or near == hanging
    if not hanging_is_near:
        findings.append(
            Finding(
                "hanging_leg_far",
                "The hanging leg is the one further from the camera, where its outline is "
                "partly hidden.",
                "Turn round (or move the camera) so the hanging leg is nearer the camera.",
                severity="warn",
            )
        )
    frame = ThomasFrame(
        hanging_side=hanging,
        thigh_angle_deg=_angle_to_horizontal(hip, knee),
        knee_flexion_deg=flexion_deg(hip, knee, ankle),
        hugged_trunk_thigh_deg=hug_open,
        trunk_angle_deg=trunk_angle,
        hanging_is_near=hanging_is_near,
    )
    findings.sort(key=lambda f: f.severity != "block")
    return ThomasReading(frame, tuple(findings))


# ----------------------------------------------------------------------------- per side


@dataclass(frozen=True)
class ThomasSide:
    """One side's result, from the frames of a still hold.

    Attributes:
        side: the hanging leg's side (the subject's own left or right).
        thigh_angle_deg / knee_flexion_deg: median over the frames ± the bench's typical
            error and the frames' spread combined.
        hugged_trunk_thigh_deg: median trunk-thigh angle of the hugged leg.
        thigh_call: "above" / "below" the horizontal beyond the error, or "level".
        knee_call: "short" (less than the textbook bend beyond the error), "normal", or
            "borderline".
        n_frames: frames used.
    """

    side: Side
    thigh_angle_deg: Measurement
    knee_flexion_deg: Measurement
    hugged_trunk_thigh_deg: float
    thigh_call: ThighCall
    knee_call: KneeCall
    n_frames: int

    def to_record(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "thigh_angle_deg": measurement(self.thigh_angle_deg),
            "knee_flexion_deg": measurement(self.knee_flexion_deg),
            "hugged_trunk_thigh_deg": number(self.hugged_trunk_thigh_deg),
            "thigh_call": self.thigh_call,
            "knee_call": self.knee_call,
            "n_frames": self.n_frames,
        }


def _combined(values: np.ndarray, bench_pm: float) -> Measurement:
    """Median ± sqrt(bench² + (spread / sqrt(n))²): the bench error dominates a still hold."""
    med = float(np.median(values))
    spread = float(np.std(values, ddof=1)) / math.sqrt(values.size) if values.size > 1 else 0.0
    return Measurement(med, math.hypot(bench_pm, spread))


def summarize_side(
    frames: Sequence[ThomasFrame],
    thresholds: ThomasThresholds = DEFAULT_THOMAS_THRESHOLDS,
    side: Side | None = None,
    *,
    thigh_plus_minus_deg: float = THIGH_ANGLE_PLUS_MINUS_DEG,
    knee_plus_minus_deg: float = KNEE_FLEXION_PLUS_MINUS_DEG,
) -> ThomasSide:
    """Combine the frames of one side's hold into a result with its calls.

    Args:
        frames: usable readings of the same hold (at least one).
        thresholds: the call limits.
        side: the side the flow asked for; by default the side most frames found hanging.
        thigh_plus_minus_deg / knee_plus_minus_deg: the typical error of one reading with
            the pose model in use (see :data:`THIGH_ANGLE_PLUS_MINUS_DEG`).
    """
    if not frames:
        raise ValueError("need at least one frame")
    t = thresholds
    if side is None:
        n_left = sum(f.hanging_side == "left" for f in frames)
        side = "left" if 2 * n_left >= len(frames) else "right"
    thigh = _combined(np.array([f.thigh_angle_deg for f in frames]), thigh_plus_minus_deg)
    knee = _combined(np.array([f.knee_flexion_deg for f in frames]), knee_plus_minus_deg)
    thigh_call: ThighCall = (
        "above"
        if thigh.value - thigh.plus_minus > t.thigh_level_deg
        else "below"
        if thigh.value + thigh.plus_minus < t.thigh_level_deg
        else "level"
    )
    knee_call: KneeCall = (
        "short"
        if knee.value + knee.plus_minus < t.knee_normal_deg
        else "normal"
        if knee.value - knee.plus_minus >= t.knee_normal_deg
        else "borderline"
    )
    return ThomasSide(
        side=side,
        thigh_angle_deg=thigh,
        knee_flexion_deg=knee,
        hugged_trunk_thigh_deg=float(np.median([f.hugged_trunk_thigh_deg for f in frames])),
        thigh_call=thigh_call,
        knee_call=knee_call,
        n_frames=len(frames),
    )


@dataclass(frozen=True)
class ThomasResult:
    """Both sides when measured, and their differences (left - right)."""

    left: ThomasSide | None
    right: ThomasSide | None
    thigh_difference_deg: Measurement | None
    knee_difference_deg: Measurement | None

    def to_record(self) -> dict[str, Any]:
        return {
            "left": None if self.left is None else self.left.to_record(),
            "right": None if self.right is None else self.right.to_record(),
            "thigh_difference_deg": measurement(self.thigh_difference_deg),
            "knee_difference_deg": measurement(self.knee_difference_deg),
        }


def combine_sides(left: ThomasSide | None, right: ThomasSide | None) -> ThomasResult:
    """Put the two sides together; differences when both were measured.

    Notes:
        Most of the landmark error is the same on both sides of one person in one set-up,
        but not all of it (each side is a separate take); the difference's ``±`` adds the
        two sides' errors in quadrature, which is on the safe side.
    """
    if left is not None and left.side != "left":
        raise ValueError("left must be a left-side result")
    if right is not None and right.side != "right":
        raise ValueError("right must be a right-side result")
    if left is None or right is None:
        return ThomasResult(left, right, None, None)

    def diff(a: Measurement, b: Measurement) -> Measurement:
        return Measurement(a.value - b.value, math.hypot(a.plus_minus, b.plus_minus))

    return ThomasResult(
        left,
        right,
        diff(left.thigh_angle_deg, right.thigh_angle_deg),
        diff(left.knee_flexion_deg, right.knee_flexion_deg),
    )
