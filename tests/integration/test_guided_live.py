"""The live guided checks (posture_cam.live.guided) fed frame by frame, as the webcam would.

The frames are the test material of ``bench/check_material.py`` (same-body renders at set
tilts; a render whose front outline moves by known amounts; lying renders), stamped with
their times, so the prompts, the recording or per-frame measuring and the final analysis run
exactly as behind the camera, against a truth the recorder cannot see. The frames come
faster than the pose model can look at them, as on a busy computer.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest

from bench import check_material
from posture_cam.live.detectors import DetectorFactory, video_detector_factory
from posture_cam.live.guided import GuidedLiveState, GuidedRecorder, Step
from posture_cam.pose.detect import VideoDetector
from posture_cam.pose.models import ModelFile
from posture_cam.types import Detection

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "guided"
CAMERA_FPS = 30.0
ANALYSIS_TIMEOUT_S = 300.0  # only a thread that never finishes gets near this


@pytest.fixture(scope="module")
def material() -> ModuleType:
    return check_material


def _feed(rec: GuidedRecorder, frames: list[np.ndarray], fps: float, t0_ms: float = 0.0) -> float:
    t = t0_ms
    for rgb in frames:
        out = rec.process(rgb, t)
        assert out.shape == rgb.shape and out is not rgb
        t += 1000.0 / fps
    return t


def _wait_done(rec: GuidedRecorder) -> GuidedLiveState:
    """The state once the analysis after the last step has published its result."""
    deadline = time.monotonic() + ANALYSIS_TIMEOUT_S
    while not rec.state.done:
        assert time.monotonic() < deadline, "the analysis never finished"
        time.sleep(0.05)
    return rec.state


class SlowDetector:
    """A real detector that takes ``delay_s`` longer a frame, as on a busy computer."""

    def __init__(self, detector: VideoDetector, delay_s: float) -> None:
        self.detector, self.delay_s = detector, delay_s
        self.frames = 0

    def detect_for_video(self, rgb: np.ndarray, timestamp_ms: int) -> Detection:
        time.sleep(self.delay_s)
        self.frames += 1
        return self.detector.detect_for_video(rgb, timestamp_ms)

    def close(self) -> None:
        self.detector.close()


def _slow_factory(delay_s: float, made: list[SlowDetector]) -> DetectorFactory:
    def make() -> VideoDetector:
        made.append(SlowDetector(video_detector_factory("lite")(), delay_s))
        return made[-1]

    return make


@pytest.fixture(scope="module")
def range_camera(material: ModuleType) -> tuple[list[np.ndarray], list]:
    """The four holds (6°, 22°, -2°, 6°) as a 30-a-second camera gives them."""
    renders = [
        ("relaxed", DATA / "range_t6.jpg"),
        ("forward", DATA / "range_t22.jpg"),
        ("tucked", DATA / "range_t-2.jpg"),
        ("relaxed_again", DATA / "range_t6.jpg"),
    ]
    return material.range_video(renders, fps=CAMERA_FPS, max_side_px=None, seed=3)


def _range_check(
    frames: list[np.ndarray], looks: DetectorFactory, recording: DetectorFactory
) -> GuidedLiveState:
    """The range check's prompts over ``frames``, then its result."""
    steps = (Step("get ready", 0.5, False), Step("the four holds", len(frames) / CAMERA_FPS, True))
    rec = GuidedRecorder(
        "pelvic_tilt_range", looks, "lite", steps=steps, recording_detector_factory=recording
    )
    try:
        rec.process(frames[0], 0.0)
        assert rec.state.step == 0 and rec.state.prompt == "get ready" and not rec.state.done
        t = _feed(rec, frames, CAMERA_FPS, 500.0)
        s = rec.state
        assert s.step == 1 and 0 <= s.remaining_s < 1.0
        # Every frame of the holds kept at 10 a second of the camera's clock.
        assert s.n_recorded == pytest.approx(len(frames) / 3, abs=1)
        rec.process(frames[-1], t + 500.0)  # the first frame after the last step
        assert rec.state.analysing and rec.state.n_to_analyse == s.n_recorded
        return _wait_done(rec)
    finally:
        rec.close()


def test_range_result_is_the_same_however_slowly_frames_are_measured(
    range_camera: tuple[list[np.ndarray], list], lite_model: ModelFile
) -> None:
    frames, truth = range_camera
    fast = _range_check(frames, video_detector_factory("lite"), video_detector_factory("lite"))
    looks: list[SlowDetector] = []
    measured: list[SlowDetector] = []
    slow = _range_check(frames, _slow_factory(0.05, looks), _slow_factory(0.05, measured))
    assert fast.check is not None and slow.check is not None, (fast.findings, slow.findings)
    # Looking at the newest frame fell far behind the frames; the recording did not.
    assert sum(d.frames for d in looks) < slow.n_recorded / 2
    assert [d.frames for d in measured] == [slow.n_recorded]
    assert slow.n_frames == fast.n_frames == slow.n_recorded
    assert slow.check.result == fast.check.result
    assert slow.check.rows == fast.check.rows
    # Against the renders' truth (bench/check_range.py: lite's changes off by ~1-2°).
    t = {h.position: h.asis_psis_deg for h in truth}
    relaxed = (t["relaxed"] + t["relaxed_again"]) / 2
    r = fast.check.result
    assert r["forward_tilt_deg"]["value"] == pytest.approx(t["forward"] - relaxed, abs=4.0)
    assert r["backward_tilt_deg"]["value"] == pytest.approx(relaxed - t["tucked"], abs=4.0)
    assert r["forward_tilt_deg"]["value"] > 0 and r["backward_tilt_deg"]["value"] > 0


def test_a_still_person_gets_no_range_but_the_reason(
    material: ModuleType, lite_model: ModelFile
) -> None:
    frames, _ = material.range_video(
        [("relaxed", DATA / "range_t6.jpg")], fps=6.0, hold_s=8.0, max_side_px=None
    )
    steps = (Step("hold", len(frames) / 6.0, True),)
    rec = GuidedRecorder("pelvic_tilt_range", video_detector_factory("lite"), "lite", steps=steps)
    t = _feed(rec, frames, 6.0)
    rec.process(frames[-1], t + 200.0)
    s = _wait_done(rec)
    assert s.check is None and s.n_frames == len(frames)
    assert any("needs four" in f.message for f in s.findings)
    # Start again: the prompts begin anew with the next frame.
    rec.restart()
    rec.process(frames[0], t + 400.0)
    assert rec.state.step == 0 and not rec.state.done
    rec.close()


def test_breathing_rate_and_share_from_live_frames(
    material: ModuleType, lite_model: ModelFile
) -> None:
    clip = material.breathing_video(
        DATA / "range_t6.jpg",
        rate_per_min=15.0,
        chest_p2p_px=2.0,
        belly_p2p_px=4.0,
        duration_s=24.0,
        fps=10.0,
        max_side_px=None,
        seed=1,
    )
    steps = (Step("breathe", 24.0, True),)
    rec = GuidedRecorder("breathing", video_detector_factory("lite"), "lite", steps=steps)
    t = _feed(rec, clip.frames, 10.0)
    rec.process(clip.frames[-1], t + 100.0)
    s = _wait_done(rec)
    assert s.check is not None, s.findings
    r = s.check.result
    assert r["rate_per_min"]["value"] == pytest.approx(clip.truth.rate_per_min, abs=1.0)
    assert r["belly_share_pct"]["value"] == pytest.approx(clip.truth.belly_share_pct, abs=10.0)
    rec.close()


def test_hip_flexor_test_reads_each_side_in_its_step(
    material: ModuleType, full_model: ModelFile
) -> None:
    def still(name: str, n: int) -> list[np.ndarray]:
        rgb = cv2.cvtColor(cv2.imread(str(DATA / f"{name}.jpg")), cv2.COLOR_BGR2RGB)
        rng = np.random.default_rng(0)
        return list(material.jittered(rgb, n, rng, material._Wobble(rng)))

    steps = (
        Step("left leg hanging", 2.0, True, "left"),
        Step("swap", 1.0, False),
        Step("right leg hanging", 2.0, True, "right"),
    )
    rec = GuidedRecorder("hip_flexor_test", video_detector_factory("full"), "full", steps=steps)
    t = _feed(rec, still("thomas_above", 20), 10.0)  # left leg hangs, 14° above
    t = _feed(rec, still("thomas_above", 10), 10.0, t)  # the swap: not measured
    t = _feed(rec, still("thomas_below", 20), 10.0, t)  # right leg hangs, 14° below
    rec.process(still("thomas_below", 1)[0], t + 100.0)
    s = _wait_done(rec)
    assert s.check is not None, s.findings
    rec_ = s.check.result
    truth = {
        side: json.loads((DATA / f"thomas_{name}.json").read_text())["thomas"]
        for side, name in (("left", "above"), ("right", "below"))
    }
    for side in ("left", "right"):
        got = rec_[side]["thigh_angle_deg"]["value"]
        assert got == pytest.approx(truth[side]["image"]["thigh_angle_deg"], abs=8.0)
    assert rec_["left"]["thigh_call"] == "above" and rec_["right"]["thigh_call"] == "below"
    rec.close()
