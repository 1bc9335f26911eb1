"""Quality gates: decide whether a detection can be measured, and say why not.

A gated result is *inconclusive*, never a guess. Each finding carries a stable ``code`` (for
JSON, tests and exit codes), a ``message`` saying what is wrong and a ``hint`` saying how to
take a better picture. Pure numpy: no I/O, no mediapipe.

Every gate is here. :func:`check_detection` runs those a single detection answers; two need
more than one detection, so their findings are made here and added by the caller with
:func:`with_findings`: the camera's roll (:func:`camera_tilt_finding`, known once the scene
has been levelled) and, in live video, a second person found by a separate periodic check
(:func:`several_people_finding`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from posture_cam.landmarks import SIDE_LANDMARKS, Landmark, Side, near_side_index
from posture_cam.types import Detection, Facing, Pose

__all__ = [
    "Finding",
    "GateReport",
    "GateThresholds",
    "camera_tilt_finding",
    "check_detection",
    "no_person_finding",
    "several_people_finding",
    "with_findings",
    "near_side",
    "facing_direction",
    "side_view_ratio",
]

Severity = Literal["block", "warn"]

# Near-side body parts that must be seen for a sagittal measurement.
REQUIRED_PARTS = ("ear", "shoulder", "hip", "knee", "ankle", "heel", "toe")


@dataclass(frozen=True)
class GateThresholds:
    """Every gate threshold in one place.

    Attributes:
        min_visibility: a required landmark below this on both sides is "hidden". Low on
            purpose: the heavy model gives plainly visible legs 0.15-0.45 on the synthetic
            dev set (lite and full: > 0.7), while a truly hidden point reads ~0.0-0.05.
        min_presence: a required landmark below this is "outside the picture".
        edge_margin_ratio: landmarks closer to the image border than this fraction of the
            image size count as cropped (the heel and toe sit right at the body's edge).
        max_side_view_ratio: left-right shoulder and hip separation across the trunk axis,
            divided by trunk length: real side views < ~0.16, front/back views > 0.5.
        min_body_height_ratio: body length (see :func:`body_length_px`) as a fraction of
            the picture height.
        min_body_height_px: the same in pixels of the analysed image; below it the outline
            is too coarse to measure curvature.
        second_person_visibility: mean visibility of a second pose's trunk and legs above
            which it counts as a real second person (not a ghost of the first).
        second_person_size_ratio: a second pose this large relative to the main one counts.
        max_trunk_lean_deg: trunk (hip -> shoulder) lean from vertical; more is not standing.
        max_knee_flexion_deg: more knee bend is not standing straight.
        max_ankle_offset_ratio: horizontal hip-to-ankle offset / leg length; more means the
            feet are not under the hips (walking, lunging).
        dark_luma: when nobody is found and even the brightest parts of the picture (99th
            percentile of luma, 0-255) are below this, the picture is called too dark.
        washed_out_luma: when nobody is found and even the darkest parts (1st percentile)
            are above this, the picture is called washed out (overexposed).
        wide_aspect_ratio: when nobody is found in a picture at least this many times wider
            than tall, the panorama is named as the likely cause: the pose model sees the
            picture shrunk to a square, where a person fills a small part of it (on the
            synthetic side views neither model finds a person below ~40 % of the picture
            height).
        max_camera_roll_deg: a camera rolled more than this is noted (3°); the
            roll is corrected before measuring, so the note only asks for care.
    """

    min_visibility: float = 0.1
    min_presence: float = 0.5
    edge_margin_ratio: float = 0.0
    max_side_view_ratio: float = 0.30
    min_body_height_ratio: float = 0.40
    min_body_height_px: float = 200.0
    second_person_visibility: float = 0.5
    second_person_size_ratio: float = 0.25
    max_trunk_lean_deg: float = 20.0
    max_knee_flexion_deg: float = 25.0
    max_ankle_offset_ratio: float = 0.25
    dark_luma: float = 40.0
    washed_out_luma: float = 200.0
    wide_aspect_ratio: float = 3.0
    max_camera_roll_deg: float = 3.0


DEFAULT_THRESHOLDS = GateThresholds()


@dataclass(frozen=True)
class Finding:
    """One reason a picture cannot be measured (``block``) or needs care (``warn``)."""

    code: str
    message: str
    hint: str
    severity: Severity = "block"
    value: float | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class GateReport:
    """The gates' verdict for one detection.

    Attributes:
        findings: every problem found, blocking ones first.
        near_side: the subject's side nearer the camera, when a person was found.
        facing: image direction the person faces ("+x" = image right), when known.
        side_view_ratio: the measured side-view ratio (see :func:`side_view_ratio`).
    """

    findings: tuple[Finding, ...] = field(default_factory=tuple)
    near_side: Side | None = None
    facing: Facing | None = None
    side_view_ratio: float | None = None

    @property
    def passed(self) -> bool:
        return not any(f.severity == "block" for f in self.findings)

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "block")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)


def near_side(pose: Pose) -> Side:
    """The subject's side nearer the camera: the side whose landmarks are more visible.

    MediaPipe's relative depth (smaller = nearer) breaks near-ties in visibility.
    """
    parts = ("shoulder", "hip", "knee", "ankle")
    left = [near_side_index(p, "left") for p in parts]
    right = [near_side_index(p, "right") for p in parts]
    vis_diff = float(pose.visibility[left].mean() - pose.visibility[right].mean())
    if abs(vis_diff) > 0.05:
        return "left" if vis_diff > 0 else "right"
    return "left" if pose.z_px[left].mean() <= pose.z_px[right].mean() else "right"


def facing_direction(pose: Pose, side: Side) -> Facing:
    """Image direction the person faces: nose ahead of the ear, toe ahead of the heel."""
    ear = pose.xy_px[near_side_index("ear", side)]
    nose = pose.xy_px[Landmark.NOSE]
    heel = pose.xy_px[near_side_index("heel", side)]
    toe = pose.xy_px[near_side_index("toe", side)]
    vote = (nose[0] - ear[0]) + (toe[0] - heel[0])
    return "+x" if vote >= 0 else "-x"


def _trunk(pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    sh = pose.xy_px[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]].mean(axis=0)
    hp = pose.xy_px[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]].mean(axis=0)
    return sh, hp


def side_view_ratio(pose: Pose) -> float:
    """How far apart the left and right shoulders and hips are, across the trunk.

    The left-to-right shoulder and hip vectors are projected on the direction perpendicular
    to the trunk axis (hip centre -> shoulder centre); the mean of their lengths is divided by
    the trunk length. Perspective moves far-side points along the trunk, not across it, so
    the ratio stays small for a true side view whatever the camera height; it is the same at
    any image resolution. Returns ``inf`` for a degenerate trunk.
    """
    sh, hp = _trunk(pose)
    axis = sh - hp
    length = float(np.hypot(*axis))
    if not math.isfinite(length) or length < 1e-6:
        return math.inf
    across = np.array([-axis[1], axis[0]]) / length
    d_sh = pose.xy_px[Landmark.LEFT_SHOULDER] - pose.xy_px[Landmark.RIGHT_SHOULDER]
    d_hp = pose.xy_px[Landmark.LEFT_HIP] - pose.xy_px[Landmark.RIGHT_HIP]
    return float((abs(d_sh @ across) + abs(d_hp @ across)) / 2.0 / length)


def _angle_from_vertical_deg(top: np.ndarray, bottom: np.ndarray) -> float:
    dx, dy = top - bottom
    return math.degrees(math.atan2(abs(dx), -dy)) if (dx or dy) else 0.0


def _knee_flexion_deg(pose: Pose, side: Side) -> float:
    hip = pose.xy_px[near_side_index("hip", side)]
    knee = pose.xy_px[near_side_index("knee", side)]
    ankle = pose.xy_px[near_side_index("ankle", side)]
    a, b = hip - knee, ankle - knee
    denom = float(np.hypot(*a) * np.hypot(*b))
    if denom < 1e-9:
        return 0.0
    cos = float(np.clip(a @ b / denom, -1.0, 1.0))
    return 180.0 - math.degrees(math.acos(cos))


def _pose_size_px(pose: Pose) -> float:
    span = pose.xy_px.max(axis=0) - pose.xy_px.min(axis=0)
    return float(np.hypot(*span))


def _is_real_second_person(main: Pose, other: Pose, t: GateThresholds) -> bool:
    body = [i for pair in SIDE_LANDMARKS.values() for i in pair]
    if float(other.visibility[body].mean()) < t.second_person_visibility:
        return False
    if _pose_size_px(other) < t.second_person_size_ratio * _pose_size_px(main):
        return False
    # MediaPipe sometimes returns the same person twice; a real second person stands apart.
    offset = np.median(np.hypot(*(other.xy_px - main.xy_px).T))
    return bool(offset > 0.1 * _pose_size_px(main))


def check_detection(
    detection: Detection, thresholds: GateThresholds = DEFAULT_THRESHOLDS
) -> GateReport:
    """Run every gate on a detection and collect the findings.

    Gates run in order of how fundamental they are: with nobody found nothing else is
    checked; otherwise all problems are reported so a person can fix them in one go.
    """
    t = thresholds
    main = detection.person
    if main is None:
        return GateReport(findings=(no_person_finding(thresholds=t),))
    w, h = detection.image_size
    findings: list[Finding] = []

    crowd = several_people_finding(detection, t)
    if crowd is not None:
        findings.append(crowd)

    side = near_side(main)
    facing = facing_direction(main, side)
    ratio = side_view_ratio(main)
    if not ratio <= t.max_side_view_ratio:
        findings.append(
            Finding(
                "not_side_view",
                "This looks like a front or back view, not a side view.",
                "Turn 90° so that one shoulder points at the camera, arms relaxed at your sides.",
                value=ratio,
                threshold=t.max_side_view_ratio,
            )
        )

    missing = []
    margin_x, margin_y = t.edge_margin_ratio * w, t.edge_margin_ratio * h

    def seen(i: int) -> bool:
        x, y = main.xy_px[i]
        inside = margin_x <= x <= w - margin_x and margin_y <= y <= h - margin_y
        return bool(
            inside and main.presence[i] >= t.min_presence and main.visibility[i] >= t.min_visibility
        )

    for part in REQUIRED_PARTS:
        # In a side view the two legs overlap, and MediaPipe sometimes swaps their labels
        # (the heavy model more than the others): a part counts as seen on either side.
        if not any(seen(i) for i in SIDE_LANDMARKS[part]):
            missing.append(part)
    if missing:
        findings.append(
            Finding(
                "body_cropped",
                "Part of the body is cut off or hidden: " + ", ".join(missing) + ".",
                "Step back so your whole body, from ears to toes, is in the picture and "
                "nothing stands in front of you.",
                value=float(len(missing)),
            )
        )

    body_h = body_length_px(main, side)
    if not missing and (body_h < t.min_body_height_ratio * h or body_h < t.min_body_height_px):
        findings.append(
            Finding(
                "person_too_small",
                f"The person is too small in the picture (about {body_h / h:.0%} of its height).",
                "Move the camera closer, or zoom in, so the body fills most of the picture height.",
                value=body_h / h,
                threshold=t.min_body_height_ratio,
            )
        )

    if not missing and ratio <= t.max_side_view_ratio:
        findings.extend(_standing_findings(main, side, t))

    findings.sort(key=_priority)
    return GateReport(
        findings=tuple(findings),
        near_side=side,
        facing=facing,
        side_view_ratio=ratio if math.isfinite(ratio) else None,
    )


def several_people_finding(
    detection: Detection, thresholds: GateThresholds = DEFAULT_THRESHOLDS
) -> Finding | None:
    """The "several people" finding when the detection holds a real second person, else None.

    A second pose counts when it is seen well, is not much smaller than the main person and
    stands apart from them (MediaPipe sometimes returns the same person twice).
    """
    main = detection.person
    if main is None:
        return None
    others = [p for p in detection.poses if p is not main]
    if not any(_is_real_second_person(main, p, thresholds) for p in others):
        return None
    return Finding(
        "several_people",
        "More than one person is in the picture.",
        "Take the photo with only the person being checked in view.",
        value=float(detection.n_people),
    )


def camera_tilt_finding(
    roll_deg: float, thresholds: GateThresholds = DEFAULT_THRESHOLDS
) -> Finding | None:
    """A warning when the camera was rolled more than ``max_camera_roll_deg``, else None.

    Args:
        roll_deg: the roll found in the scene (:func:`posture_cam.measure.scene.estimate_roll_deg`),
            degrees, + = picture turned clockwise.
    """
    limit = thresholds.max_camera_roll_deg
    if not abs(roll_deg) > limit:
        return None
    return Finding(
        "camera_tilted",
        f"The camera was tilted by {abs(roll_deg):.0f}°; the measures were corrected for it.",
        "Hold the camera level (use a door frame or wall corner as a guide).",
        severity="warn",
        value=roll_deg,
        threshold=limit,
    )


def with_findings(report: GateReport, *findings: Finding | None) -> GateReport:
    """``report`` with ``findings`` added (None ones skipped), in the gates' order."""
    extra = tuple(f for f in findings if f is not None)
    if not extra:
        return report
    return replace(report, findings=tuple(sorted(report.findings + extra, key=_priority)))


_NO_PERSON_HINT = (
    "Stand side-on to the camera, close enough that your body fills most of the "
    "picture's height, whole body in view, in good light."
)


def no_person_finding(
    rgb: np.ndarray | None = None, thresholds: GateThresholds = DEFAULT_THRESHOLDS
) -> Finding:
    """The "no person" finding, naming the picture's likely problem when its pixels say so.

    A person can be in a picture and still not be found: in near darkness, in a washed-out
    (overexposed) picture, or small in a wide panorama. With the analysed picture ``rgb``
    (``(H, W, 3)`` uint8) the message says which; the code stays ``"no_person"``.
    """
    t = thresholds
    message = "No person was found in this picture."
    hint = _NO_PERSON_HINT
    if rgb is None or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.size == 0:
        return Finding("no_person", message, hint)
    h, w = rgb.shape[:2]
    step = max(1, round(math.sqrt(h * w / 250_000)))  # about 250 000 pixels are plenty
    sample = rgb[::step, ::step].reshape(-1, 3).astype(np.float32)
    luma = sample @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # Rec. 601, 0-255
    p1, p99 = (float(v) for v in np.percentile(luma, [1.0, 99.0]))
    if p99 < t.dark_luma:
        message = "No person was found: the picture is very dark, which can hide a person."
        hint = (
            "Turn on more light, or face a window or lamp (with the light behind the "
            "camera), and take the photo again."
        )
    elif p1 > t.washed_out_luma:
        message = (
            "No person was found: the picture is almost white (overexposed), which "
            "can hide a person."
        )
        hint = (
            "Avoid pointing the camera at a bright window or lamp; tap on yourself in "
            "the camera app to set the exposure, and take the photo again."
        )
    elif w >= t.wide_aspect_ratio * h:
        message = (
            f"No person was found in this very wide picture ({w / h:.0f}:1, like a "
            "panorama): shrunk to fit the pose model, a person in it becomes too small."
        )
        hint = (
            "Crop the photo around the person (taller than wide), or take a normal "
            "photo in portrait orientation."
        )
    return Finding("no_person", message, hint)


# The first blocking finding is the headline; a cropped body makes the side-view ratio and
# the standing checks unreliable, so it comes before them.
_ORDER = (
    "no_person",
    "several_people",
    "body_cropped",
    "not_side_view",
    "person_too_small",
    "not_standing",
)


def _priority(f: Finding) -> tuple[int, int]:
    rank = _ORDER.index(f.code) if f.code in _ORDER else len(_ORDER)
    return (f.severity != "block", rank)


def body_length_px(pose: Pose, side: Side) -> float:
    """Ear-shoulder-hip-knee-ankle-heel chain length: body height that ignores posture.

    Sitting or bending shortens the vertical extent but not this chain, so "too small" is
    not confused with "not standing".
    """
    chain = [near_side_index(p, side) for p in ("ear", "shoulder", "hip", "knee", "ankle", "heel")]
    pts = pose.xy_px[chain]
    return float(np.hypot(*np.diff(pts, axis=0).T).sum())


def _standing_findings(pose: Pose, side: Side, t: GateThresholds) -> list[Finding]:
    hint = "Stand upright and relaxed, feet hip-width apart under your hips, looking ahead."
    sh = pose.xy_px[near_side_index("shoulder", side)]
    hip = pose.xy_px[near_side_index("hip", side)]
    knee = pose.xy_px[near_side_index("knee", side)]
    ankle = pose.xy_px[near_side_index("ankle", side)]
    lean = _angle_from_vertical_deg(sh, hip)
    flex = _knee_flexion_deg(pose, side)
    leg = float(np.hypot(*(hip - knee)) + np.hypot(*(knee - ankle)))
    offset = abs(float(hip[0] - ankle[0])) / leg if leg > 0 else math.inf
    reasons = []
    if lean > t.max_trunk_lean_deg:
        reasons.append(f"the trunk leans {lean:.0f}° from vertical")
    if flex > t.max_knee_flexion_deg:
        reasons.append(f"the knee is bent {flex:.0f}°")
    if offset > t.max_ankle_offset_ratio:
        reasons.append("the feet are not under the hips")
    if not reasons:
        return []
    return [
        Finding(
            "not_standing",
            "This does not look like relaxed standing: " + "; ".join(reasons) + ".",
            hint,
            value=max(lean, flex),
        )
    ]
