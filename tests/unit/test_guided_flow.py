"""The guided checks' frame-level flow (guided.py) without a detector: tallies and traces."""

from __future__ import annotations

import numpy as np
import pytest

from posture_cam.guided import FrameTally, breathing_frame, breathing_trace
from posture_cam.landmarks import Landmark as L
from posture_cam.measure.gates import Finding
from posture_cam.types import Detection, Pose

W, H = 400, 600
SIDE = Finding("not_side_view", "Front view.", "Turn.")
NOBODY = Finding("no_person", "Nobody.", "Step in.")


def test_tally_counts_and_names_the_main_problem() -> None:
    t = FrameTally()
    for _ in range(3):
        t.add(True, False, SIDE)
    t.add(False, False, NOBODY)
    t.add(True, True, None)
    assert (t.n_frames, t.n_person, t.n_measured) == (5, 4, 1)
    assert t.measured_share == pytest.approx(0.2)
    assert t.headline() == SIDE
    assert t.to_record()["not_measured_because"] == {"not_side_view": 3, "no_person": 1}
    assert FrameTally().headline() is None


def standing(front_x: float) -> Detection:
    """A side-on person facing +x: trunk from x = 150 to ``front_x``, hips at y 350."""
    xy = np.zeros((33, 2))
    xy[:, 0], xy[:, 1] = 190.0, 300.0
    xy[[L.LEFT_HIP, L.RIGHT_HIP]] = (190, 350)
    xy[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER]] = (190, 150)
    xy[[L.LEFT_EAR, L.RIGHT_EAR]] = (190, 100)
    xy[L.NOSE] = (215, 100)
    xy[[L.LEFT_KNEE, L.RIGHT_KNEE]] = (195, 460)
    xy[[L.LEFT_ANKLE, L.RIGHT_ANKLE]] = (190, 560)
    xy[[L.LEFT_HEEL, L.RIGHT_HEEL]] = (180, 570)
    xy[[L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX]] = (225, 570)
    x = np.arange(W) + 0.5
    row = np.clip(np.minimum(x - 150 + 0.5, front_x - x + 0.5), 0, 1)
    mask = np.tile(row, (H, 1)).astype(np.float32)
    mask[:60] = 0.0
    mask[590:] = 0.0
    z = np.zeros(33)
    z[1::2] = 20.0  # the left side nearer
    pose = Pose(xy, z, np.ones(33), np.ones(33), np.zeros((33, 3)), mask, (W, H))
    return Detection((W, H), (pose,))


def test_breathing_frame_keeps_a_trunk_crop_and_the_trace_measures_it() -> None:
    frames = []
    for k, front in enumerate((240.0, 242.0, 240.0, 242.0)):
        f = breathing_frame(standing(front), k * 100.0)
        assert f.ok and f.finding is None and f.gray is None
        assert f.crop is not None and f.crop.dtype == np.uint8
        frames.append(f)
    trace = breathing_trace(frames)
    assert trace.trunk_length_px == pytest.approx(200.0)
    # thickness = front - back = front_x - 150, within the coverage interpolation's 0.1 px
    np.testing.assert_allclose(trace.chest_px, [90, 92, 90, 92], atol=0.15)
    np.testing.assert_allclose(trace.belly_px, [90, 92, 90, 92], atol=0.15)


def test_breathing_frame_says_why_not() -> None:
    nobody = breathing_frame(Detection((W, H), ()), 0.0)
    assert not nobody.ok and not nobody.person and nobody.finding is not None
    assert nobody.finding.code == "no_person"
    det = standing(240.0)
    pose = det.poses[0]
    xy = pose.xy_px.copy()
    xy[L.RIGHT_SHOULDER] = (320, 150)  # shoulders far apart across the trunk: a front view
    xy[L.RIGHT_HIP] = (320, 350)
    front = Detection((W, H), (Pose(xy, pose.z_px, pose.visibility, pose.presence,
                                    pose.world_xyz_m, pose.mask, (W, H)),))  # fmt: skip
    f = breathing_frame(front, 0.0)
    assert not f.ok and f.finding is not None and f.finding.code == "not_side_view"
