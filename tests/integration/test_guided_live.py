"""The live guided checks (posture_cam.live.guided) fed frame by frame, as the webcam would.

The frames are the test material of ``bench/check_material.py`` (same-body renders at set
tilts; a render whose front outline moves by known amounts; lying renders), stamped with
their times, so the prompts, the per-frame measuring and the final analysis run exactly as
behind the camera, against a truth the recorder cannot see.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest

from posture_cam.live.detectors import video_detector_factory
from posture_cam.live.guided import GuidedRecorder, Step
from posture_cam.pose.models import ModelFile

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "guided"


@pytest.fixture(scope="module")
def material() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_material", REPO / "bench" / "check_material.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_material"] = module
    spec.loader.exec_module(module)
    return module


def _feed(rec: GuidedRecorder, frames: list[np.ndarray], fps: float, t0_ms: float = 0.0) -> float:
    t = t0_ms
    for rgb in frames:
        out = rec.process(rgb, t)
        assert out.shape == rgb.shape and out is not rgb
        t += 1000.0 / fps
    return t


def test_range_prompts_count_down_and_end_in_the_result(
    material: ModuleType, lite_model: ModelFile
) -> None:
    renders = [
        ("relaxed", DATA / "range_t6.jpg"),
        ("forward", DATA / "range_t22.jpg"),
        ("tucked", DATA / "range_t-2.jpg"),
        ("relaxed_again", DATA / "range_t6.jpg"),
    ]
    frames, _ = material.range_video(renders, fps=8.0, max_side_px=None, seed=3)
    steps = (Step("get ready", 0.5, False), Step("the four holds", len(frames) / 8.0, True))
    rec = GuidedRecorder("pelvic_tilt_range", video_detector_factory("lite"), "lite", steps=steps)
    rec.process(frames[0], 0.0)
    assert rec.state.step == 0 and rec.state.prompt == "get ready" and not rec.state.done
    t = _feed(rec, frames, 8.0, 600.0)
    s = rec.state
    assert s.step == 1 and 0 <= s.remaining_s < 1.0 and s.n_measured > 0.8 * len(frames)
    assert s.measured_per_s == pytest.approx(8.0, abs=0.1)  # every frame, fed at 8 a second
    rec.process(frames[-1], t + 500.0)  # the first frame after the last step
    s = rec.state
    assert s.done and s.check is not None, s.findings
    rows = dict(s.check.rows)
    # Truth: 6° relaxed, 22° forward, -2° tucked (bench/check_range.py: changes come out short).
    assert float(rows["Tipped forward from relaxed"].split()[0]) > 4
    assert float(rows["Whole tilt range"].split()[0]) > 8
    rec.close()


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
    s = rec.state
    assert s.done and s.check is None
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
    s = rec.state
    assert s.done and s.check is not None, s.findings
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
    s = rec.state
    assert s.done and s.check is not None, s.findings
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
