"""The detector against MediaPipe's own golden landmarks, and its modes and edge cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posture_cam.media.images import load_image
from posture_cam.pose.detect import DetectorOptions, PoseDetector
from posture_cam.pose.models import ModelFile
from posture_cam.types import Detection


def test_front_yoga_pose_matches_mediapipe_golden_landmarks(
    test_data: Path, lite_detector: PoseDetector, front_yoga_golden_xy: np.ndarray
) -> None:
    """MediaPipe's own test: x and y within 0.03 of the golden file (lite model)."""
    image = load_image(test_data / "real" / "front_yoga_pose.jpg")
    detection = lite_detector.detect(image.rgb)
    golden = front_yoga_golden_xy
    person = detection.person
    assert person is not None
    got = person.xy_px / np.array(detection.image_size, dtype=float)
    assert np.abs(got - golden).max() < 0.03


def test_result_types_and_mask(test_data: Path, lite_detector: PoseDetector) -> None:
    image = load_image(test_data / "real" / "front_yoga_pose.jpg")
    detection = lite_detector.detect(image.rgb)
    assert detection.image_size == (image.width, image.height)
    pose = detection.poses[0]
    assert pose.mask is not None and pose.mask.shape == (image.height, image.width)
    assert float(pose.mask.min()) >= 0.0 and float(pose.mask.max()) <= 1.0
    assert np.isfinite(pose.world_xyz_m).all()
    assert (pose.visibility >= 0).all() and (pose.visibility <= 1).all()
    with pytest.raises(AttributeError):
        pose.xy_px = pose.xy_px  # type: ignore[misc]  # frozen


def test_nobody_gives_an_empty_result(test_data: Path, lite_detector: PoseDetector) -> None:
    image = load_image(test_data / "real" / "car_drawing_named_side.jpg")
    detection = lite_detector.detect(image.rgb)
    assert isinstance(detection, Detection)
    assert detection.poses == () and detection.person is None


def test_blank_frame_gives_an_empty_result(lite_detector: PoseDetector) -> None:
    assert lite_detector.detect(np.full((480, 640, 3), 128, np.uint8)).n_people == 0


def test_video_mode_clamps_timestamps(test_data: Path, lite_model: ModelFile) -> None:
    """A stream whose clock restarts (aiortc after stop/start) must not break the detector."""
    frame = load_image(test_data / "real" / "front_yoga_pose.jpg").rgb
    with PoseDetector(DetectorOptions(lite_model.path, mode="video")) as det:
        stamps = []
        for ts in (0, 33, 66, 0, 0, 10):
            stamps.append(det.detect_for_video(frame, ts).timestamp_ms)
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
        assert stamps[3] == 67
        with pytest.raises(RuntimeError, match="video mode"):
            det.detect(frame)


@pytest.mark.parametrize("parallel", [True, False])
def test_a_pair_gives_what_two_detections_give(
    test_data: Path, lite_model: ModelFile, parallel: bool
) -> None:
    rgb = load_image(test_data / "synth" / "synth_000011000033.jpg").rgb
    mirror = np.ascontiguousarray(rgb[:, ::-1])
    options = DetectorOptions(lite_model.path, pair_in_parallel=parallel)
    with PoseDetector(options) as det:
        one, two = det.detect(rgb), det.detect(mirror)
        for _ in range(2):  # the second landmarker is made once and kept
            a, b = det.detect_pair(rgb, mirror)
            for got, want in ((a, one), (b, two)):
                assert got.image_size == want.image_size and got.n_people == want.n_people == 1
                np.testing.assert_array_equal(got.poses[0].xy_px, want.poses[0].xy_px)
                np.testing.assert_array_equal(got.poses[0].mask, want.poses[0].mask)
        # the mirror image's person stands the other way round
        assert not np.allclose(a.poses[0].xy_px, b.poses[0].xy_px)
    with pytest.raises(RuntimeError, match="closed"):
        det.detect_pair(rgb, mirror)


def test_a_pair_in_video_mode_is_refused(lite_model: ModelFile) -> None:
    frame = np.zeros((64, 64, 3), np.uint8)
    with (
        PoseDetector(DetectorOptions(lite_model.path, mode="video")) as det,
        pytest.raises(RuntimeError, match="video mode"),
    ):
        det.detect_pair(frame, frame)


def test_wrong_mode_closed_detector_and_bad_input(lite_model: ModelFile) -> None:
    det = PoseDetector(DetectorOptions(lite_model.path))
    with pytest.raises(RuntimeError, match="image mode"):
        det.detect_for_video(np.zeros((64, 64, 3), np.uint8), 0)
    with pytest.raises(ValueError, match="uint8 RGB"):
        det.detect(np.zeros((64, 64), np.uint8))
    det.close()
    det.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        det.detect(np.zeros((64, 64, 3), np.uint8))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mode": "stream"}, "mode"),
        ({"num_poses": 0}, "num_poses"),
        ({"min_detection_confidence": 1.5}, "min_detection_confidence"),
    ],
)
def test_options_are_validated(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        DetectorOptions("model.task", **kwargs)


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="pose model not found"):
        PoseDetector(DetectorOptions(tmp_path / "nope.task"))
