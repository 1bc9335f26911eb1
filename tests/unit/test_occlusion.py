"""Unit tests for posture_cam.measure.occlusion on the synthetic figure (``figure.py``).

Each test changes the figure the way an occluder changes a real picture and checks the cue
by hand-worked values; the detectors are tested with hand-made weights.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from figure import FIG, MASK, XY, Figure

from posture_cam.landmarks import Landmark
from posture_cam.measure.metrics import outline_features
from posture_cam.measure.occlusion import (
    OCCLUDERS,
    OcclusionCues,
    OcclusionModel,
    cue_inputs,
    occlusion_cues,
)
from posture_cam.types import Pose

N_CUES = len(OcclusionCues.__dataclass_fields__)


def _cues(
    mask: np.ndarray = MASK,
    xy: np.ndarray = XY,
    rgb: np.ndarray | None = None,
    others: tuple[Pose, ...] = (),
) -> OcclusionCues:
    f = outline_features(mask, xy, "right")
    return occlusion_cues(
        mask=mask,
        rgb=rgb,
        xy_px=xy,
        side="right",
        back=f.back,
        front=f.front,
        floor_y_px=f.floor_y_px,
        stature_px=f.stature_px,
        others=others,
    )


PLAIN = _cues()


def test_the_plain_figure_reads_as_a_bare_body() -> None:
    # Arms hang in front of the back: the furthest-back arm point is well inside the body.
    assert PLAIN.arm_behind_ratio < -0.05
    assert PLAIN.second_pose_near == 0.0
    assert math.isnan(PLAIN.hair_on_back_share)  # no picture, no colour cue
    # Its back is hollow (the lumbar curve).
    assert PLAIN.lumbar_straightness > 0.01
    # Nothing sticks out: the back lies within 12 % of the height behind the hip point.
    assert 0.0 < PLAIN.back_depth_ratio < 0.12


def test_elbow_behind_the_back_measures_how_far_behind() -> None:
    xy = XY.copy()
    xb = float(FIG.x_back(0.64))
    xy[Landmark.LEFT_ELBOW] = (xb - 0.03 * FIG.stature, FIG.y(0.64))  # far elbow, akimbo
    assert _cues(xy=xy).arm_behind_ratio == pytest.approx(0.03, abs=0.002)


def test_fabric_pulled_straight_over_the_lumbar_hollow_leaves_no_hollow() -> None:
    flat = Figure(
        plateaus=((0.0, 0.36, 0.0), (0.395, 0.48, 25.0), (0.52, 0.84, -4.0), (0.86, 1.0, -25.0))
    )
    c = _cues(flat.mask(), flat.landmarks())
    assert c.lumbar_straightness < 0.002 < 0.01 < PLAIN.lumbar_straightness


def test_something_joined_behind_the_back_reaches_far_behind_the_hip() -> None:
    mask = MASK.copy()
    xb = float(FIG.x_back(0.60))
    left = int(xb - 0.12 * FIG.stature)
    mask[int(FIG.y(0.66)) : int(FIG.y(0.54)), left : int(xb) + 2] = 1.0  # a bag on the back
    c = _cues(mask)
    hip_x = XY[Landmark.RIGHT_HIP, 0]
    assert c.back_depth_ratio == pytest.approx((hip_x - left) / FIG.stature, abs=0.01)


def test_second_pose_behind_the_back_is_noticed() -> None:
    other = XY.copy()
    other[:, 0] -= 60.0  # a second, weaker pose overlapping the space behind the subject
    pose = Pose(
        other,
        np.zeros(33),
        np.full(33, 0.2),
        np.ones(33),
        np.zeros((33, 3)),
        None,
        (FIG.width, FIG.height),
    )
    assert _cues(others=(pose,)).second_pose_near == 1.0


def test_neck_hollow_is_measured_and_a_hood_fills_it() -> None:
    # The figure's back runs straight up into the head; cut a neck 10 px deep into it.
    necked = MASK.copy()
    r0, r1 = int(FIG.y(0.895)), int(FIG.y(0.855))
    for r in range(r0, r1):
        h = (FIG.floor - (r + 0.5)) / FIG.stature
        necked[r, : int(FIG.x_back(h)) + 10] = 0.0
    hollow = _cues(necked).neck_hollow_ratio
    assert hollow == pytest.approx(10 / FIG.stature, abs=0.006)
    hooded = necked.copy()
    # A hood bunched behind the neck, from the head down to the shoulder blades, reaching
    # 2 px behind the upper back (x 142 at 0.80-0.82 S).
    hooded[int(FIG.y(0.93)) : int(FIG.y(0.83)), 140:200] = 1.0
    assert _cues(hooded).neck_hollow_ratio < 0.25 * hollow


def _painted(back_colour: tuple[int, int, int], hair: tuple[int, int, int]) -> np.ndarray:
    """The figure in colour: skin face, ``hair`` on the head, a green top, ``back_colour``
    in a band along the upper back's edge."""
    rgb = np.full((FIG.height, FIG.width, 3), 235, np.uint8)
    body = MASK >= 0.5
    rgb[body] = (60, 140, 70)  # the top
    ys = np.arange(FIG.height)[:, None]
    xs = np.arange(FIG.width)[None, :]
    ear = XY[Landmark.RIGHT_EAR]
    head = body & (ys < FIG.y(0.87))
    rgb[head] = (215, 170, 140)  # skin
    rgb[(head & (ys < ear[1] - 0.03 * FIG.stature)) | (head & (xs < ear[0]))] = hair
    h = (FIG.floor - ys) / FIG.stature
    band = body & (h > 0.68) & (h < 0.86) & (xs < FIG.x_back(h) + 0.02 * FIG.stature)
    rgb[band] = back_colour
    return rgb


def test_hair_coloured_band_on_the_upper_back_is_hair_coloured() -> None:
    hair = (40, 25, 20)
    assert _cues(rgb=_painted(hair, hair)).hair_on_back_share > 0.9
    # The same band in the top's colour: not hair.
    assert _cues(rgb=_painted((60, 140, 70), hair)).hair_on_back_share < 0.1


def test_no_hair_colour_on_the_head_means_no_hair_cue() -> None:
    skin = (215, 170, 140)
    assert _cues(rgb=_painted(skin, skin)).hair_on_back_share == 0.0


# ------------------------------------------------------------------------ the classifier


def test_classifier_inputs_are_the_cues_transformed_and_squared() -> None:
    c = OcclusionCues(-0.05, 0.02, math.nan, 0.03, math.e, 0.01, 0.09, 40.0, 0.0)
    x = cue_inputs(c)
    first = [-0.05, 0.02, 0.0, 0.03, 1.0, 0.01, 0.09, 0.4, 0.0]  # NaN hair -> 0, log, /100
    np.testing.assert_allclose(x, first + [v * v for v in first])


ARM = list(OCCLUDERS).index("arm")


def _arm_model() -> OcclusionModel:
    """Hand-made: the arm detector's logit is 100 x arm_behind_ratio + 1 against a
    threshold of 2; every other detector sits at -3 against 0."""
    n, k = 2 * N_CUES, len(OCCLUDERS)
    w = np.zeros((n, k))
    w[0, ARM] = 100.0
    b = np.full(k, -3.0)
    b[ARM] = 1.0
    thresholds = np.zeros(k)
    thresholds[ARM] = 2.0
    return OcclusionModel(np.zeros(n), np.ones(n), w, b, thresholds)


def _with_arm(arm_behind: float) -> OcclusionCues:
    return OcclusionCues(arm_behind, 0.02, 0.0, 0.03, 1.0, 0.01, 0.09, 30.0, 0.0)


def test_margins_by_hand() -> None:
    m = _arm_model().margins(_with_arm(0.03))
    expected = np.full(len(OCCLUDERS), -3.0)
    expected[ARM] = 100 * 0.03 + 1 - 2  # 2.0
    np.testing.assert_allclose(m, expected)


def test_an_occluder_is_named_only_above_its_threshold() -> None:
    model = _arm_model()
    assert model.findings(_with_arm(0.03)) == (OCCLUDERS["arm"],)
    # 0.005: logit 1.5, below the threshold 2: nothing named.
    assert model.findings(_with_arm(0.005)) == ()


def test_several_occluders_are_named_clearest_first() -> None:
    model = _arm_model()
    bias = model.bias.copy()
    hair = list(OCCLUDERS).index("hair")
    bias[hair] = 0.5  # margin 0.5, less than the arm's 2.0
    both = OcclusionModel(model.mean, model.scale, model.weights, bias, model.thresholds)
    assert both.findings(_with_arm(0.03)) == (OCCLUDERS["arm"], OCCLUDERS["hair"])


def test_unmeasured_cue_names_nothing() -> None:
    c = _with_arm(math.nan)
    assert np.isnan(_arm_model().margins(c)).all()
    assert _arm_model().findings(c) == ()


def test_model_round_trip_and_shape_check() -> None:
    m = _arm_model()
    back = OcclusionModel.from_arrays(m.to_arrays())
    np.testing.assert_allclose(back.margins(_with_arm(0.01)), m.margins(_with_arm(0.01)))
    with pytest.raises(ValueError, match="shapes do not fit"):
        OcclusionModel(np.zeros(3), np.ones(3), np.zeros((3, 2)), np.zeros(2), np.zeros(2))


def test_every_occluder_has_a_message_and_a_hint() -> None:
    codes = [f.code for f in OCCLUDERS.values()]
    assert len(set(codes)) == len(codes)
    for f in OCCLUDERS.values():
        assert f.message.endswith(".") and f.hint.endswith(".")
