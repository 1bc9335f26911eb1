"""Unit tests for posture_cam.measure.gates on hand-built poses.

The reference pose is a person standing side-on in a 600 x 1000 picture, facing +x (image
right), right side nearer the camera. Near-side landmarks (x, y):

    ear (300, 100)  shoulder (300, 180)  hip (300, 480)  knee (305, 700)
    ankle (300, 900)  heel (285, 915)  toe (360, 915)  nose (330, 105)

The far (left) side sits 4 px further along x: across the vertical trunk that is a
side-view ratio of (4 + 4) / 2 / 300 = 0.0133.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from posture_cam.landmarks import Landmark, Side
from posture_cam.measure.gates import (
    DEFAULT_THRESHOLDS,
    GateReport,
    body_length_px,
    check_detection,
    facing_direction,
    near_side,
    no_person_finding,
    side_view_ratio,
)
from posture_cam.types import Detection, Pose

W, H = 600, 1000
NEAR = {
    "EAR": (300.0, 100.0),
    "SHOULDER": (300.0, 180.0),
    "ELBOW": (305.0, 330.0),
    "WRIST": (310.0, 450.0),
    "PINKY": (312.0, 470.0),
    "INDEX": (314.0, 472.0),
    "THUMB": (314.0, 465.0),
    "HIP": (300.0, 480.0),
    "KNEE": (305.0, 700.0),
    "ANKLE": (300.0, 900.0),
    "HEEL": (285.0, 915.0),
    "FOOT_INDEX": (360.0, 915.0),
}
FAR_SHIFT = (4.0, 0.0)
# Chain ear-shoulder-hip-knee-ankle-heel of the reference pose, by hand.
BODY_LENGTH = 80.0 + 300.0 + math.hypot(5, 220) + math.hypot(5, 200) + math.hypot(15, 15)


def make_xy(
    near: dict[str, tuple[float, float]] | None = None,
    side: Side = "right",
    far_shift: tuple[float, float] = FAR_SHIFT,
    far: dict[str, tuple[float, float]] | None = None,
) -> np.ndarray:
    near = {**NEAR, **(near or {})}
    xy = np.zeros((33, 2))
    # Face points around the nose.
    for lm in (
        Landmark.LEFT_EYE_INNER,
        Landmark.LEFT_EYE,
        Landmark.LEFT_EYE_OUTER,
        Landmark.RIGHT_EYE_INNER,
        Landmark.RIGHT_EYE,
        Landmark.RIGHT_EYE_OUTER,
        Landmark.MOUTH_LEFT,
        Landmark.MOUTH_RIGHT,
    ):
        xy[lm] = (320.0, 95.0)
    xy[Landmark.NOSE] = (330.0, 105.0)
    other = "LEFT" if side == "right" else "RIGHT"
    for part, (x, y) in near.items():
        xy[Landmark[f"{side.upper()}_{part}"]] = (x, y)
        xy[Landmark[f"{other}_{part}"]] = (x + far_shift[0], y + far_shift[1])
    for part, p in (far or {}).items():
        xy[Landmark[f"{other}_{part}"]] = p
    return xy


def make_pose(
    xy: np.ndarray | None = None,
    side: Side = "right",
    near_vis: float = 0.99,
    far_vis: float = 0.6,
    size: tuple[int, int] = (W, H),
) -> Pose:
    xy = make_xy(side=side) if xy is None else xy
    vis = np.full(33, 0.99)
    near_idx = [i for i in Landmark if i.name.startswith(side.upper())]
    far_idx = [i for i in Landmark if i.name.startswith("LEFT" if side == "right" else "RIGHT")]
    vis[near_idx] = near_vis
    vis[far_idx] = far_vis
    return Pose(
        xy_px=xy,
        z_px=np.zeros(33),
        visibility=vis,
        presence=np.ones(33),
        world_xyz_m=np.zeros((33, 3)),
        mask=None,
        image_size=size,
    )


def with_visibility(pose: Pose, index: int, value: float) -> Pose:
    vis = pose.visibility.copy()
    vis[index] = value
    return Pose(
        pose.xy_px, pose.z_px, vis, pose.presence, pose.world_xyz_m, pose.mask, pose.image_size
    )


def check(*poses: Pose, size: tuple[int, int] = (W, H)) -> GateReport:
    return check_detection(Detection(image_size=size, poses=poses))


# ------------------------------------------------------------------------------------ basics


def test_nobody_is_no_person_and_nothing_else() -> None:
    r = check()
    assert r.codes == ("no_person",)
    assert not r.passed
    assert r.near_side is None and r.facing is None and r.side_view_ratio is None
    assert r.blocking[0].message and r.blocking[0].hint
    assert r.blocking[0] == no_person_finding()  # without pixels: the general message


def _picture(grey: int, size: tuple[int, int] = (300, 400)) -> np.ndarray:
    w, h = size
    rgb = np.full((h, w, 3), grey, np.uint8)
    rgb[h // 4 : 3 * h // 4, w // 3 : w // 2] = max(grey - 30, 0)  # a darker shape
    return rgb


@pytest.mark.parametrize(
    ("rgb", "phrase"),
    [
        (_picture(120), "No person was found in this picture."),
        (_picture(35), "very dark"),  # brightest parts 35 < 40
        (_picture(45), "No person was found in this picture."),
        (_picture(250), "almost white (overexposed)"),  # darkest parts 220 > 200
        (_picture(120, (1200, 300)), "very wide picture (4:1, like a panorama)"),
        (_picture(120, (800, 300)), "No person was found in this picture."),  # 2.7:1
        (_picture(120, (300, 1200)), "No person was found in this picture."),  # tall is fine
        (np.zeros((1, 1, 3), np.uint8), "very dark"),
    ],
)
def test_no_person_finding_names_the_pictures_likely_problem(rgb: np.ndarray, phrase: str) -> None:
    f = no_person_finding(rgb)
    assert f.code == "no_person" and f.severity == "block"
    assert phrase in f.message
    general = phrase == "No person was found in this picture."
    assert (f.hint == no_person_finding().hint) == general  # a specific cause, its own hint


def test_no_person_hint_asks_for_a_body_that_fills_the_picture() -> None:
    # MediaPipe finds nobody below ~40-50 % of the picture height: say how big to be.
    assert "fills most of the picture's height" in no_person_finding().hint


def test_side_view_passes() -> None:
    r = check(make_pose())
    assert r.passed, r.codes
    assert r.findings == ()
    assert r.near_side == "right"
    assert r.facing == "+x"
    assert r.side_view_ratio == pytest.approx(4.0 / 300.0)


def test_body_length_by_hand() -> None:
    assert body_length_px(make_pose(), "right") == pytest.approx(BODY_LENGTH)


# ----------------------------------------------------------------------------- side view


def test_front_view_is_not_a_side_view_with_the_ratio() -> None:
    # Shoulders 120 px apart, hips 80 px apart, across a vertical trunk 300 px long:
    # (120 + 80) / 2 / 300 = 1/3 > 0.30.
    xy = make_xy(far_shift=(0.0, 0.0))
    xy[Landmark.RIGHT_SHOULDER] = (240.0, 180.0)
    xy[Landmark.LEFT_SHOULDER] = (360.0, 180.0)
    xy[Landmark.RIGHT_HIP] = (260.0, 480.0)
    xy[Landmark.LEFT_HIP] = (340.0, 480.0)
    r = check(make_pose(xy, far_vis=0.99))
    assert "not_side_view" in r.codes
    f = next(f for f in r.findings if f.code == "not_side_view")
    assert f.value == pytest.approx(1.0 / 3.0)
    assert f.threshold == DEFAULT_THRESHOLDS.max_side_view_ratio
    assert r.side_view_ratio == pytest.approx(1.0 / 3.0)
    assert "not_standing" not in r.codes  # standing checks are skipped on a non-side view


def test_far_side_moved_along_the_trunk_keeps_a_side_view() -> None:
    # Perspective shifts far-side points along the trunk axis, not across it: only the
    # 4 px across counts, even when the far shoulder and hip sit 30 px higher.
    xy = make_xy(far_shift=(4.0, -30.0))
    assert side_view_ratio(make_pose(xy)) == pytest.approx(4.0 / 300.0)


def test_degenerate_trunk_ratio_is_infinite_and_blocks() -> None:
    xy = make_xy()
    xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]] = xy[
        [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]
    ]
    pose = make_pose(xy)
    assert side_view_ratio(pose) == math.inf
    r = check(pose)
    assert "not_side_view" in r.codes
    assert r.side_view_ratio is None


@given(turn=st.floats(-40.0, 40.0), k=st.floats(0.2, 5.0))
def test_side_view_ratio_is_rotation_and_scale_invariant(turn: float, k: float) -> None:
    xy = make_xy(far_shift=(12.0, 5.0))
    ref = side_view_ratio(make_pose(xy))
    a = math.radians(turn)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    moved = (xy - 300.0) @ rot.T * k + 300.0
    assert side_view_ratio(make_pose(moved)) == pytest.approx(ref, rel=1e-9)
    assert ref == pytest.approx(12.0 / 300.0)  # 12 px across a vertical 300 px trunk


# ---------------------------------------------------------------------------------- cropped


def test_ankle_outside_the_picture_is_body_cropped_naming_the_parts() -> None:
    # Picture cut at y = 890: ankle (900), heel and toe (915) are below it.
    r = check(make_pose(size=(W, 890)), size=(W, 890))
    assert r.codes[0] == "body_cropped"
    f = r.blocking[0]
    assert "ankle" in f.message and "heel" in f.message and "toe" in f.message
    assert "knee" not in f.message and "ear" not in f.message
    assert f.value == 3.0
    assert "person_too_small" not in r.codes and "not_standing" not in r.codes


def test_near_side_ankle_off_the_left_edge_is_cropped() -> None:
    xy = make_xy(near={"ANKLE": (-5.0, 900.0)})
    r = check(make_pose(xy))
    f = next(f for f in r.findings if f.code == "body_cropped")
    assert f.message.endswith("ankle.")
    assert f.value == 1.0


def test_far_side_outside_the_picture_does_not_matter() -> None:
    xy = make_xy(far={"ANKLE": (300.0, 1200.0), "HEEL": (290.0, 1210.0)})
    assert check(make_pose(xy)).passed


def test_low_visibility_knees_are_body_cropped() -> None:
    # Something in front of both knees (in a side view the legs overlap, so a part counts
    # as seen on either side: hiding one knee is not enough).
    pose = with_visibility(make_pose(), Landmark.RIGHT_KNEE, 0.02)
    pose = with_visibility(pose, Landmark.LEFT_KNEE, 0.05)
    r = check(pose)
    assert r.codes == ("body_cropped",)
    assert r.blocking[0].message.endswith("knee.")
    assert r.blocking[0].value == 1.0


def test_one_hidden_knee_with_the_other_seen_passes() -> None:
    assert check(with_visibility(make_pose(), Landmark.RIGHT_KNEE, 0.02)).passed


def test_low_presence_counts_as_cropped() -> None:
    pose = make_pose()
    presence = pose.presence.copy()
    presence[[Landmark.RIGHT_EAR, Landmark.LEFT_EAR]] = 0.1
    pose = Pose(
        pose.xy_px, pose.z_px, pose.visibility, presence, pose.world_xyz_m, None, pose.image_size
    )
    r = check(pose)
    assert r.codes == ("body_cropped",)
    assert r.blocking[0].message.endswith("ear.")


def test_cropped_outranks_not_side_view() -> None:
    xy = make_xy(near={"ANKLE": (300.0, 1010.0)}, far_shift=(0.0, 0.0))
    xy[Landmark.LEFT_SHOULDER] = (420.0, 180.0)
    xy[Landmark.LEFT_HIP] = (400.0, 480.0)
    r = check(make_pose(xy))
    assert r.codes[:2] == ("body_cropped", "not_side_view")


# ------------------------------------------------------------------------------- too small


def test_small_person_is_too_small_with_its_height_ratio() -> None:
    xy = make_xy() * 0.3  # same shape, 0.3x, top-left corner of the same picture
    r = check(make_pose(xy))
    assert r.codes == ("person_too_small",)
    f = r.blocking[0]
    assert f.value == pytest.approx(0.3 * BODY_LENGTH / H)  # 0.2464
    assert f.threshold == DEFAULT_THRESHOLDS.min_body_height_ratio
    assert "25%" in f.message


def test_too_few_pixels_is_too_small_even_when_it_fills_the_picture() -> None:
    # 0.2x in a 0.2x picture: same ratio as the reference, but 164 px < 200 px.
    r = check(make_pose(make_xy() * 0.2, size=(120, 200)), size=(120, 200))
    assert r.codes == ("person_too_small",)


# --------------------------------------------------------------------------- not standing


def test_sitting_with_the_knee_bent_90_is_not_standing() -> None:
    # Thigh forward horizontally, shank straight down: hip (300, 600), knee (400, 600),
    # ankle (400, 800): knee bend 90°; feet 100 px ahead of the hip over a 300 px leg.
    xy = make_xy(
        near={
            "SHOULDER": (300.0, 300.0),
            "EAR": (300.0, 220.0),
            "ELBOW": (305.0, 450.0),
            "WRIST": (340.0, 560.0),
            "HIP": (300.0, 600.0),
            "KNEE": (400.0, 600.0),
            "ANKLE": (400.0, 800.0),
            "HEEL": (385.0, 815.0),
            "FOOT_INDEX": (450.0, 815.0),
        }
    )
    r = check(make_pose(xy))
    assert r.codes == ("not_standing",)
    f = r.blocking[0]
    assert "the knee is bent 90°" in f.message
    assert "the feet are not under the hips" in f.message
    assert "trunk" not in f.message
    assert f.value == pytest.approx(90.0)


def test_leaning_trunk_is_not_standing() -> None:
    # Shoulder 300 * tan(30°) ahead of the hip, 300 px above it: a 30° lean.
    lean_x = 300.0 + 300.0 * math.tan(math.radians(30))
    xy = make_xy(near={"SHOULDER": (lean_x, 180.0), "EAR": (lean_x + 20.0, 110.0)})
    r = check(make_pose(xy))
    assert "not_standing" in r.codes
    f = next(f for f in r.findings if f.code == "not_standing")
    assert "the trunk leans 30°" in f.message
    assert f.value == pytest.approx(30.0)


def test_slight_knee_bend_still_counts_as_standing() -> None:
    # Knee 40 px ahead: bend = atan(40/220) + atan(40/200) = 10.3 + 11.3 = 21.6° < 25°.
    r = check(make_pose(make_xy(near={"KNEE": (340.0, 700.0)})))
    assert r.passed, r.codes


# ---------------------------------------------------------------------------- several people


def _shifted(pose: Pose, dx: float, k: float = 1.0) -> Pose:
    xy = pose.xy_px * k + np.array([dx, 0.0])
    return Pose(
        xy, pose.z_px, pose.visibility, pose.presence, pose.world_xyz_m, None, pose.image_size
    )


def test_two_separate_people_is_several_people() -> None:
    main = make_pose()
    r = check(main, _shifted(main, 250.0))
    assert r.codes[0] == "several_people"
    assert r.blocking[0].value == 2.0


def test_the_same_pose_returned_twice_is_one_person() -> None:
    main = make_pose()
    assert check(main, main).passed  # the very same object
    assert check(main, _shifted(main, 2.0)).passed  # a near-duplicate, 2 px off


def test_a_faint_or_small_second_pose_is_not_a_second_person() -> None:
    main = make_pose()
    faint = make_pose(_shifted(main, 250.0).xy_px, near_vis=0.2, far_vis=0.2)
    assert check(main, faint).passed
    small = _shifted(main, 400.0, k=0.2)  # 0.2x the size, < 0.25 of the main pose
    assert check(main, small).passed


# ------------------------------------------------------------------ resolution independence


@pytest.mark.parametrize(
    ("pose_factory", "codes"),
    [
        pytest.param(make_pose, (), id="side view"),
        pytest.param(lambda: make_pose(make_xy() * 0.3), ("person_too_small",), id="small person"),
        pytest.param(
            lambda: make_pose(make_xy(near={"KNEE": (420.0, 650.0)})),
            ("not_standing",),
            id="bent knee",
        ),
        pytest.param(
            lambda: make_pose(make_xy(near={"HEEL": (285.0, 1005.0)})),
            ("body_cropped",),
            id="heel cropped",
        ),
        pytest.param(
            lambda: make_pose(make_xy(far_shift=(150.0, 0.0))), ("not_side_view",), id="front view"
        ),
    ],
)
def test_three_times_the_resolution_gives_the_same_findings(
    pose_factory,
    codes: tuple[str, ...],  # noqa: ANN001
) -> None:
    pose = pose_factory()
    big = pose.scaled(3.0)
    assert big.image_size == (3 * W, 3 * H)
    a = check(pose)
    b = check(big, size=big.image_size)
    assert a.codes == b.codes == codes
    assert (a.near_side, a.facing) == (b.near_side, b.facing)
    assert b.side_view_ratio == pytest.approx(a.side_view_ratio, rel=1e-12)
    for fa, fb in zip(a.findings, b.findings, strict=True):
        assert fa.message == fb.message
        assert (fa.value is None) == (fb.value is None)
        if fa.value is not None:
            assert fb.value == pytest.approx(fa.value, rel=1e-9)


# ------------------------------------------------------------------- near side and facing


@pytest.mark.parametrize("side", ["left", "right"])
def test_near_side_is_the_more_visible_side(side: Side) -> None:
    pose = make_pose(make_xy(side=side), side=side)
    assert near_side(pose) == side
    assert check(pose).near_side == side


@pytest.mark.parametrize(
    ("left_z", "right_z", "expected"), [(-0.2, 0.1, "left"), (0.3, -0.1, "right")]
)
def test_near_side_tie_in_visibility_is_broken_by_depth(
    left_z: float, right_z: float, expected: Side
) -> None:
    pose = make_pose(near_vis=0.9, far_vis=0.88)  # |0.02| <= 0.05: a tie
    z = np.zeros(33)
    z[[i for i in Landmark if i.name.startswith("LEFT")]] = left_z
    z[[i for i in Landmark if i.name.startswith("RIGHT")]] = right_z
    pose = Pose(
        pose.xy_px, z, pose.visibility, pose.presence, pose.world_xyz_m, None, pose.image_size
    )
    assert near_side(pose) == expected


@pytest.mark.parametrize("side", ["left", "right"])
def test_facing_direction_both_ways(side: Side) -> None:
    pose = make_pose(make_xy(side=side), side=side)
    assert facing_direction(pose, side) == "+x"
    mirrored = pose.xy_px.copy()
    mirrored[:, 0] = W - mirrored[:, 0]
    pose_m = make_pose(mirrored, side=side)
    assert facing_direction(pose_m, side) == "-x"
    r = check(pose_m)
    assert r.passed and r.facing == "-x" and r.near_side == side


def test_facing_votes_add_nose_and_foot() -> None:
    # Nose 30 px ahead of the ear (+x) but toe 75 px behind the heel (-x): the sum is -45.
    xy = make_xy(near={"HEEL": (335.0, 915.0), "FOOT_INDEX": (260.0, 915.0)})
    assert facing_direction(make_pose(xy), "right") == "-x"
