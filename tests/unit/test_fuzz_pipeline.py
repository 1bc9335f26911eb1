"""Fuzzing the stages after detection: gates, metrics, roll correction and classification.

``test_metrics.py`` and ``test_geometry.py`` already fuzz :func:`compute_posture_metrics`
and the geometry helpers one at a time. Here whole random :class:`Detection` objects (0-3
poses, landmarks with NaN and inf, masks with holes, odd visibilities, a picture with
slanted lines that triggers the roll correction) go through :func:`check_detection` and
:func:`analyze_detection`, and random values through :func:`classify_values`. The promise:
never an exception, and every answer is either a measurement with finite numbers or
inconclusive with a reason a person can read; the JSON record never holds NaN or inf.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields, replace

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from posture_cam.measure.classify import PATTERN_TITLES, Assessment, classify, classify_values
from posture_cam.measure.gates import check_detection, no_person_finding
from posture_cam.measure.occlusion import OCCLUDERS
from posture_cam.pipeline import analyze_detection
from posture_cam.report.record import result_record
from posture_cam.types import Detection, Measurement, Pose, PostureMetrics
from tests.unit.test_metrics import Figure

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow on 1e308 inputs

# A standing side view that passes every gate (S = 250 px in 200 x 300): the fuzz starts
# from it so that the deep paths (outline, metrics, roll correction) are reached, not just
# the first gate.
FIG = Figure(0.5)
SIZE = (FIG.width, FIG.height)
FIG_MASK = FIG.mask()
FIG_XY = FIG.landmarks()

GATE_CODES = {
    "no_person",
    "several_people",
    "not_side_view",
    "body_cropped",
    "person_too_small",
    "not_standing",
    "camera_tilted",
} | {f.code for f in OCCLUDERS.values()}
odd = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0, 2.0, 1e308, -1e308, 1e-300])
any_float = st.floats(allow_nan=True, allow_infinity=True, width=64)


def _figure_pose() -> Pose:
    return Pose(FIG_XY, np.zeros(33), np.ones(33), np.ones(33), np.zeros((33, 3)), FIG_MASK, SIZE)


def test_the_starting_figure_is_measured() -> None:
    gates, metrics, assessment = analyze_detection(Detection(SIZE, (_figure_pose(),)))
    assert gates.passed, gates.codes
    assert metrics is not None and not metrics.flags
    assert assessment.pattern != "inconclusive"


@st.composite
def landmarks(draw: st.DrawFn, size: tuple[int, int]) -> np.ndarray:
    kind = draw(st.sampled_from(["figure", "perturbed", "perturbed", "random"]))
    if kind == "random":
        w, h = size
        return draw(
            hnp.arrays(
                np.float64,
                (33, 2),
                elements=st.one_of(st.floats(-0.5 * max(w, h), 1.5 * max(w, h)), odd),
            )
        )
    xy = FIG_XY * (size[0] / FIG.width)
    if kind == "perturbed":
        for i in draw(st.lists(st.integers(0, 32), max_size=10)):
            axis = draw(st.integers(0, 1))
            how = draw(st.sampled_from(["jitter", "odd", "any"]))
            if how == "jitter":
                xy[i, axis] += draw(st.floats(-80.0, 80.0))
            elif how == "odd":
                xy[i, axis] = draw(odd)
            else:
                xy[i, axis] = draw(any_float)
    return xy


@st.composite
def per_landmark(draw: st.DrawFn, plausible: float) -> np.ndarray:
    """Visibility, presence or depth: usually plausible, sometimes anything."""
    kind = draw(st.sampled_from(["plausible", "plausible", "uniform", "odd"]))
    if kind == "plausible":
        return np.full(33, plausible)
    if kind == "uniform":
        seed = draw(st.integers(0, 2**32 - 1))
        return np.random.default_rng(seed).random(33)
    out = np.full(33, plausible)
    for i in draw(st.lists(st.integers(0, 32), min_size=1, max_size=8)):
        out[i] = draw(odd)
    return out


@st.composite
def masks(draw: st.DrawFn, size: tuple[int, int]) -> np.ndarray | None:
    w, h = size
    kind = draw(st.sampled_from(["figure", "figure", "noise", "blank", "full", "none"]))
    if kind == "none":
        return None
    if kind == "figure":
        mask = FIG_MASK.copy() if size == SIZE else cv2.resize(FIG_MASK, (w, h))
    elif kind == "noise":
        seed = draw(st.integers(0, 2**32 - 1))
        mask = np.random.default_rng(seed).random((h, w)).astype(np.float32)
    else:
        mask = np.full((h, w), 0.0 if kind == "blank" else 1.0, np.float32)
    for _ in range(draw(st.integers(0, 6))):  # holes, blobs and odd values
        r, c = draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))
        dr, dc = draw(st.integers(1, 60)), draw(st.integers(1, 60))
        mask[r : r + dr, c : c + dc] = draw(st.sampled_from([0.0, 0.3, 1.0, math.nan, -1.0, 2.0]))
    return mask


@st.composite
def poses(draw: st.DrawFn, size: tuple[int, int]) -> Pose:
    return Pose(
        xy_px=draw(landmarks(size)),
        z_px=draw(per_landmark(0.0)),
        visibility=draw(per_landmark(1.0)),
        presence=draw(per_landmark(1.0)),
        world_xyz_m=np.zeros((33, 3)),
        mask=draw(masks(size)),
        image_size=size,
    )


@st.composite
def detections(draw: st.DrawFn) -> Detection:
    size = draw(
        st.sampled_from(
            [SIZE, SIZE, SIZE, (2 * FIG.width, 2 * FIG.height), (FIG.width, FIG.width), (1, 1)]
        )
    )
    n = draw(st.integers(0, 3))
    return Detection(size, tuple(draw(poses(size)) for _ in range(n)))


@st.composite
def pictures(draw: st.DrawFn, size: tuple[int, int]) -> np.ndarray | None:
    """None, or the analysed picture: plain, noise, or long slanted lines (a tilted room)."""
    w, h = size
    kind = draw(st.sampled_from(["none", "plain", "noise", "lines"]))
    if kind == "none":
        return None
    if kind == "noise":
        seed = draw(st.integers(0, 2**32 - 1))
        return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    rgb = np.full((h, w, 3), 235, np.uint8)
    if kind == "lines":
        tilt = math.radians(draw(st.floats(-12.0, 12.0)))
        for x in np.linspace(0.05 * w, 0.95 * w, draw(st.integers(1, 6))):
            dx = 0.45 * h * math.tan(tilt)
            cv2.line(rgb, (round(x + dx), 0), (round(x - dx), h - 1), (40, 40, 40), 2)
    return rgb


def _measurements(m: PostureMetrics) -> dict[str, Measurement]:
    out = {
        f.name: getattr(m, f.name) for f in fields(m) if isinstance(getattr(m, f.name), Measurement)
    }
    return out


def _check_assessment(a: Assessment) -> None:
    assert a.pattern in PATTERN_TITLES
    assert a.title == PATTERN_TITLES[a.pattern]
    assert math.isfinite(a.confidence) and 0.0 <= a.confidence <= 1.0
    assert a.summary
    if a.pattern == "inconclusive":
        assert a.confidence == 0.0
        assert a.problems and all(isinstance(p, str) and p for p in a.problems)
    else:
        assert len(a.reasons) == 2
        assert all(math.isfinite(r.value) and math.isfinite(r.z) for r in a.reasons)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(det=detections(), data=st.data(), variant=st.sampled_from([None, "lite", "full", "heavy"]))
def test_analyze_detection_never_raises_and_always_answers(
    det: Detection, data: st.DataObject, variant: str | None
) -> None:
    rgb = data.draw(pictures(det.image_size))
    report = check_detection(det)
    assert report.findings or report.passed
    gates, metrics, assessment = analyze_detection(det, variant=variant, rgb=rgb)

    assert set(gates.codes) <= GATE_CODES, gates.codes
    for f in gates.findings:
        assert f.message and f.hint and f.severity in ("block", "warn")
    if det.person is None:
        assert gates.codes == ("no_person",) and metrics is None
    assert gates.codes[: len(report.codes)] == report.codes  # roll only adds a warning
    _check_assessment(assessment)
    # --hypothesis-show-statistics shows how often each path was reached.
    event(
        "outcome: "
        + (
            gates.blocking[0].code
            if gates.blocking
            else "flagged"
            if metrics is not None and metrics.flags
            else "measured"
        )
    )
    if metrics is not None and metrics.camera_roll_deg is not None:
        event("roll corrected")

    if assessment.pattern != "inconclusive":
        # A call: the gates passed and both angles are real numbers with real errors.
        assert gates.passed and metrics is not None and not metrics.flags
        for m in (metrics.pelvic_tilt_deg, metrics.lumbar_lordosis_deg):
            assert math.isfinite(m.value) and math.isfinite(m.plus_minus)
    if metrics is not None:
        bad = [
            n
            for n, v in _measurements(metrics).items()
            if not (math.isfinite(v.value) and math.isfinite(v.plus_minus))
        ]
        assert not bad or metrics.flags, f"non-finite {bad} without a flag"
        if metrics.camera_roll_deg is not None:
            assert math.isfinite(metrics.camera_roll_deg.value)

    # Every answer can be written as strict JSON (no NaN, no Infinity).
    json.dumps(result_record("fuzz", gates, metrics, assessment).to_dict(), allow_nan=False)


def test_a_tilted_room_is_corrected_and_flagged() -> None:
    """The fuzz above reaches the roll correction; this pins that it really does."""
    pose = _figure_pose()
    rgb = np.full((SIZE[1], SIZE[0], 3), 235, np.uint8)
    dx = round(0.5 * SIZE[1] * math.tan(math.radians(6.0)))
    for x in (15, 185):
        cv2.line(rgb, (x + dx, 0), (x - dx, SIZE[1] - 1), (40, 40, 40), 2)
    gates, metrics, assessment = analyze_detection(Detection(SIZE, (pose,)), rgb=rgb)
    assert metrics is not None and metrics.camera_roll_deg is not None
    assert abs(metrics.camera_roll_deg.value) > 3.0
    assert "camera_tilted" in gates.codes
    _check_assessment(assessment)


@given(
    tilt=any_float,
    lordosis=any_float,
    pm_t=st.one_of(any_float, st.floats(0.0, 50.0)),
    pm_l=st.one_of(any_float, st.floats(0.0, 50.0)),
)
def test_classify_values_with_any_numbers_gives_a_valid_assessment(
    tilt: float, lordosis: float, pm_t: float, pm_l: float
) -> None:
    a = classify_values(Measurement(tilt, pm_t), Measurement(lordosis, pm_l))
    _check_assessment(a)
    if not (math.isfinite(tilt) and math.isfinite(lordosis)):
        assert a.pattern == "inconclusive"


def test_unknown_measurement_error_gives_a_coin_toss_not_nan() -> None:
    """Found by the fuzz: a NaN ± made the confidence NaN (and the JSON invalid)."""
    a = classify_values(Measurement(20.0, math.nan), Measurement(45.0, 4.0))
    assert a.pattern == "increased"
    assert a.confidence == pytest.approx(0.5)


@given(
    flags=st.lists(
        st.sampled_from(
            [
                "no_outline",
                "outline_gaps",
                "arm_behind_back",
                "landmarks_missing",
                "landmarks_degenerate",
                "something_new",
            ]
        ),
        max_size=3,
    ),
    tilt=any_float,
    lordosis=any_float,
)
def test_classify_flagged_or_odd_metrics_never_raises(
    flags: list[str], tilt: float, lordosis: float
) -> None:
    gates, metrics, _ = analyze_detection(Detection(SIZE, (_figure_pose(),)))
    assert metrics is not None
    odd_metrics = replace(
        metrics,
        pelvic_tilt_deg=Measurement(tilt, 4.0),
        lumbar_lordosis_deg=Measurement(lordosis, 4.0),
        flags=tuple(flags),
    )
    a = classify(gates, odd_metrics)
    _check_assessment(a)
    if flags:
        assert a.pattern == "inconclusive"


@settings(max_examples=60, deadline=None)
@given(
    rgb=hnp.arrays(
        np.uint8,
        hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=40).map(
            lambda s: (*s[:2], 3)
        ),
    )
)
def test_no_person_finding_on_any_picture(rgb: np.ndarray) -> None:
    f = no_person_finding(rgb)
    assert f.code == "no_person" and f.severity == "block"
    assert f.message.startswith("No person was found") and f.hint
