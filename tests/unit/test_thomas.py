"""The hip-flexor (modified Thomas) test's landmark geometry (measure.thomas)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture_cam.landmarks import Landmark as L
from posture_cam.measure.thomas import (
    ThomasFrame,
    combine_sides,
    read_thomas,
    summarize_side,
)
from posture_cam.types import Detection, Measurement, Pose

W, H = 640, 400


def lying(
    thigh_deg: float = -10.0,
    knee_deg: float = 70.0,
    hug_deg: float = 60.0,
    *,
    hanging: str = "right",
) -> np.ndarray:
    """Landmarks of a person lying on the back, head to the left, one leg hanging.

    ``thigh_deg`` is the hanging thigh above the horizontal, ``knee_deg`` its knee bend,
    ``hug_deg`` the hugged thigh's angle to the trunk.
    """
    xy = np.zeros((33, 2))
    hip = np.array([320.0, 210.0])
    xy[[L.LEFT_EAR, L.RIGHT_EAR]] = (60, 200)
    xy[L.NOSE] = (55, 185)
    for i in range(1, 11):  # eyes and mouth near the nose
        xy[i] = (58, 190)
    xy[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER]] = (120, 210)
    xy[[L.LEFT_ELBOW, L.RIGHT_ELBOW]] = (200, 215)
    xy[[L.LEFT_WRIST, L.RIGHT_WRIST, 17, 18, 19, 20, 21, 22]] = (270, 215)
    xy[[L.LEFT_HIP, L.RIGHT_HIP]] = hip

    def direction(deg: float) -> np.ndarray:  # angle in y-up degrees -> image vector
        return np.array([math.cos(math.radians(deg)), -math.sin(math.radians(deg))])

    hang = {"knee": hip + 180 * direction(thigh_deg)}
    hang["ankle"] = hang["knee"] + 160 * direction(thigh_deg - knee_deg)
    hug = {"knee": hip + 180 * direction(180 - hug_deg)}
    hug["ankle"] = hug["knee"] + 150 * direction(-10)
    legs = {hanging: hang, ("left" if hanging == "right" else "right"): hug}
    for side, pts in legs.items():
        k = {"left": (L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX)}.get(
            side, (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)
        )
        xy[k[0]] = pts["knee"]
        xy[k[1]] = pts["ankle"]
        xy[k[2]] = pts["ankle"] + (-8, 6)
        xy[k[3]] = pts["ankle"] + (20, 4)
    return xy


def detection(xy: np.ndarray, near: str = "right") -> Detection:
    z = np.zeros(33)
    far = [i for i in range(33) if (i % 2 == 1) == (near == "right")]  # left = odd indices
    z[far] = 30.0
    pose = Pose(
        xy_px=xy,
        z_px=z,
        visibility=np.ones(33),
        presence=np.ones(33),
        world_xyz_m=np.zeros((33, 3)),
        mask=None,
        image_size=(W, H),
    )
    return Detection((W, H), (pose,))


def test_reads_the_hanging_leg_hand_worked() -> None:
    r = read_thomas(detection(lying(thigh_deg=10.0, knee_deg=70.0, hug_deg=60.0)))
    assert r.usable and r.findings == ()
    f = r.frame
    assert f is not None
    assert f.hanging_side == "right"
    assert f.thigh_angle_deg == pytest.approx(10.0)
    assert f.knee_flexion_deg == pytest.approx(70.0)
    assert f.hugged_trunk_thigh_deg == pytest.approx(60.0)
    assert f.trunk_angle_deg == pytest.approx(0.0)
    assert f.hanging_is_near


def test_the_hanging_leg_is_found_by_geometry_not_label() -> None:
    r = read_thomas(detection(lying(thigh_deg=-12.0, hanging="left"), near="left"))
    assert r.frame is not None and r.frame.hanging_side == "left"
    assert r.frame.thigh_angle_deg == pytest.approx(-12.0)


def test_hanging_leg_on_the_far_side_is_a_caution() -> None:
    r = read_thomas(detection(lying(hanging="right"), near="left"))
    assert r.usable
    assert [f.code for f in r.findings] == ["hanging_leg_far"]
    assert r.findings[0].severity == "warn"


@pytest.mark.parametrize(
    ("xy", "code"),
    [
        # face down: everything mirrored top to bottom
        (lying() * (1, -1) + (0, 420), "face_down"),
        # standing: the whole picture turned upright
        (np.stack([lying()[:, 1], 640 - lying()[:, 0]], axis=1) * (1, 0.6), "not_lying"),
        # the other knee far from the chest
        (lying(hug_deg=150.0), "knee_not_hugged"),
        # the "hanging" leg straight along the table
        (lying(thigh_deg=0.0, knee_deg=0.0), "leg_not_hanging"),
    ],
)
def test_wrong_positions_block(xy: np.ndarray, code: str) -> None:
    r = read_thomas(detection(xy))
    assert code in [f.code for f in r.findings]
    assert not r.usable
    assert next(f for f in r.findings if f.code == code).severity == "block"


def test_nobody_gives_a_finding_not_an_error() -> None:
    r = read_thomas(Detection((W, H), ()))
    assert r.frame is None and not r.usable
    assert [f.code for f in r.findings] == ["no_person"]


@settings(deadline=None, max_examples=50)
@given(
    thigh=st.floats(-30, 25),
    knee=st.floats(30, 110),
    shift=st.tuples(st.floats(-40, 40), st.floats(-20, 20)),
    scale=st.floats(0.7, 1.2),
    mirror=st.booleans(),
)
def test_angles_do_not_depend_on_placement_size_or_facing(
    thigh: float, knee: float, shift: tuple[float, float], scale: float, mirror: bool
) -> None:
    xy = (lying(thigh, knee) - (320, 210)) * scale + (320, 210) + shift
    if mirror:  # head to the right instead
        xy[:, 0] = W - xy[:, 0]
    r = read_thomas(detection(xy))
    assert r.frame is not None
    assert r.frame.thigh_angle_deg == pytest.approx(thigh, abs=1e-6)
    assert r.frame.knee_flexion_deg == pytest.approx(knee, abs=1e-6)


# ----------------------------------------------------------------------------- per side


def frame(thigh: float, knee: float, side: str = "left") -> ThomasFrame:
    return ThomasFrame(side, thigh, knee, 60.0, 2.0, True)  # type: ignore[arg-type]


def test_summarize_side_hand_worked() -> None:
    s = summarize_side([frame(4.0, 70.0), frame(6.0, 72.0), frame(5.0, 71.0)])
    assert s.side == "left" and s.n_frames == 3
    # median 5, frames' standard error 1 / sqrt(3), combined with the 3° reading error
    assert s.thigh_angle_deg == Measurement(5.0, pytest.approx(math.hypot(3.0, 1 / math.sqrt(3))))
    assert s.thigh_call == "above"  # 5 - 3.06 > 0
    assert s.knee_call == "short"  # 71 + 3.06 < 80
    assert s.to_record()["thigh_call"] == "above"


@pytest.mark.parametrize(
    ("thigh", "knee", "thigh_call", "knee_call"),
    [
        (-10.0, 95.0, "below", "normal"),
        (1.0, 79.0, "level", "borderline"),
        (3.5, 83.5, "above", "normal"),
    ],
)
def test_calls_use_the_error(thigh: float, knee: float, thigh_call: str, knee_call: str) -> None:
    s = summarize_side([frame(thigh, knee)])
    assert (s.thigh_call, s.knee_call) == (thigh_call, knee_call)
    wide = summarize_side([frame(thigh, knee)], thigh_plus_minus_deg=12.0, knee_plus_minus_deg=12.0)
    assert wide.thigh_call == "level"


def test_side_follows_the_frames_or_the_flow() -> None:
    frames = [frame(1, 60, "right"), frame(1, 60, "right"), frame(1, 60, "left")]
    assert summarize_side(frames).side == "right"
    assert summarize_side(frames, side="left").side == "left"
    with pytest.raises(ValueError, match="at least one"):
        summarize_side([])


def test_combine_sides_differences() -> None:
    left = summarize_side([frame(5.0, 60.0, "left")])
    right = summarize_side([frame(-7.0, 85.0, "right")])
    both = combine_sides(left, right)
    assert both.thigh_difference_deg == Measurement(12.0, pytest.approx(math.hypot(3.0, 3.0)))
    assert both.knee_difference_deg is not None and both.knee_difference_deg.value == -25.0
    assert combine_sides(left, None).thigh_difference_deg is None
    assert both.to_record()["right"]["side"] == "right"
    with pytest.raises(ValueError, match="left-side"):
        combine_sides(right, None)
