"""Pose detection with MediaPipe PoseLandmarker: the only module that imports mediapipe.

Photos use IMAGE mode (each image on its own); streams use VIDEO mode, which tracks the
person between frames and needs strictly increasing timestamps. Two poses are requested so
that a second person in the picture can be flagged rather than silently ignored.
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol

import numpy as np

from posture_cam.landmarks import NUM_LANDMARKS
from posture_cam.types import Detection, Pose

__all__ = ["DetectorOptions", "PoseDetector", "VideoDetector", "Mode", "usable_cores"]

Mode = Literal["image", "video"]


@dataclass(frozen=True)
class DetectorOptions:
    """Settings for :class:`PoseDetector`.

    Attributes:
        model_path: a ``pose_landmarker_*.task`` bundle (see :mod:`posture_cam.pose.models`).
        mode: "image" for independent photos, "video" for frames of one stream.
        num_poses: how many people to look for; 2 lets the gates flag a second person.
        min_detection_confidence / min_presence_confidence / min_tracking_confidence:
            MediaPipe's thresholds (0..1).
        segmentation_masks: also return each person's mask (needed for the back outline).
        variant: "lite", "full" or "heavy" when known; picks matching calibration.
        pair_in_parallel: :meth:`PoseDetector.detect_pair` runs the second picture on a
            second landmarker in its own thread (one more model in memory, ~100 MB with
            full); on by default when this process may use more than one core; turn it off
            where every core is busy already (several worker processes).
    """

    model_path: str | os.PathLike[str]
    mode: Mode = "image"
    num_poses: int = 2
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    segmentation_masks: bool = True
    variant: str | None = None
    pair_in_parallel: bool = field(default_factory=lambda: usable_cores() > 1)

    def __post_init__(self) -> None:
        if self.mode not in ("image", "video"):
            raise ValueError(f"mode must be 'image' or 'video', got {self.mode!r}")
        if self.num_poses < 1:
            raise ValueError(f"num_poses must be at least 1, got {self.num_poses}")
        for name in (
            "min_detection_confidence",
            "min_presence_confidence",
            "min_tracking_confidence",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within 0..1, got {value}")


class VideoDetector(Protocol):
    """What the analysis of a stream needs from a VIDEO-mode detector: a
    :class:`PoseDetector`, or a test's own."""

    def detect_for_video(self, rgb: np.ndarray, timestamp_ms: int) -> Detection: ...

    def close(self) -> None: ...


def usable_cores() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class PoseDetector:
    """MediaPipe PoseLandmarker behind a small, typed interface.

    Use as a context manager (or call :meth:`close`)::

        with PoseDetector(DetectorOptions(model_path)) as det:
            detection = det.detect(rgb)

    Not thread-safe: give each thread or browser session its own detector.
    """

    def __init__(self, options: DetectorOptions) -> None:
        path = Path(options.model_path)
        if not path.is_file():
            raise FileNotFoundError(f"pose model not found: {path}")
        # Imported here so that importing posture_cam never loads the mediapipe runtime.
        import mediapipe as mp
        from mediapipe.tasks.python.core.base_options import BaseOptions
        from mediapipe.tasks.python.vision import pose_landmarker as mp_pose
        from mediapipe.tasks.python.vision.core.vision_task_running_mode import (
            VisionTaskRunningMode,
        )

        self._mp = mp
        self.options = options
        running_mode = (
            VisionTaskRunningMode.IMAGE if options.mode == "image" else VisionTaskRunningMode.VIDEO
        )
        mp_options = mp_pose.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=running_mode,
            num_poses=options.num_poses,
            min_pose_detection_confidence=options.min_detection_confidence,
            min_pose_presence_confidence=options.min_presence_confidence,
            min_tracking_confidence=options.min_tracking_confidence,
            output_segmentation_masks=options.segmentation_masks,
        )
        self._landmarker: Any = mp_pose.PoseLandmarker.create_from_options(mp_options)
        self._make_landmarker = functools.partial(
            mp_pose.PoseLandmarker.create_from_options, mp_options
        )
        self._second: Any = None
        self._last_ts_ms = -1

    def __enter__(self) -> PoseDetector:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release MediaPipe's graph; safe to call twice."""
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None
        if self._second is not None:
            self._second.close()
            self._second = None

    @property
    def last_timestamp_ms(self) -> int:
        return self._last_ts_ms

    def detect(self, rgb: np.ndarray) -> Detection:
        """Find people in one photo (IMAGE mode)."""
        if self.options.mode != "image":
            raise RuntimeError("this detector runs in video mode; use detect_for_video()")
        result = self._open().detect(self._to_mp_image(rgb))
        return _to_detection(result, rgb.shape[1], rgb.shape[0], None)

    def detect_pair(self, first: np.ndarray, second: np.ndarray) -> tuple[Detection, Detection]:
        """Find people in two photos (IMAGE mode), e.g. a photo and its mirror image.

        MediaPipe's inference runs on one core and lets go of Python's lock while it works,
        so with :attr:`DetectorOptions.pair_in_parallel` the second photo goes to a second
        landmarker in a thread of its own: on two or more cores the pair takes about the
        time of one detection. The results are the same as from two :meth:`detect` calls.
        """
        if not self.options.pair_in_parallel:
            return self.detect(first), self.detect(second)
        if self.options.mode != "image":
            raise RuntimeError("this detector runs in video mode; use detect_for_video()")
        self._open()
        if self._second is None:
            self._second = self._make_landmarker()
        image = self._to_mp_image(second)
        out: list[Any] = []
        failed: list[BaseException] = []

        def run() -> None:
            try:
                out.append(self._second.detect(image))
            except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
                failed.append(exc)

        thread = threading.Thread(target=run, name="posture_cam-mirror-detect")
        thread.start()
        try:
            a = self.detect(first)
        finally:
            thread.join()
        if failed:
            raise failed[0]
        return a, _to_detection(out[0], second.shape[1], second.shape[0], None)

    def detect_for_video(self, rgb: np.ndarray, timestamp_ms: int) -> Detection:
        """Find people in one frame of a stream (VIDEO mode).

        MediaPipe rejects a timestamp that does not increase; streams restart their clocks
        (aiortc resets ``pts`` after stop/start), so the timestamp is clamped to at least one
        millisecond after the previous frame's.
        """
        if self.options.mode != "video":
            raise RuntimeError("this detector runs in image mode; use detect()")
        ts = max(int(timestamp_ms), self._last_ts_ms + 1)
        result = self._open().detect_for_video(self._to_mp_image(rgb), ts)
        self._last_ts_ms = ts
        return _to_detection(result, rgb.shape[1], rgb.shape[0], ts)

    def _open(self) -> Any:
        if self._landmarker is None:
            raise RuntimeError("detector is closed")
        return self._landmarker

    def _to_mp_image(self, rgb: np.ndarray) -> Any:
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {rgb.shape} {rgb.dtype}")
        return self._mp.Image(
            image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb)
        )


def _to_detection(result: Any, width: int, height: int, ts: int | None) -> Detection:
    """The one converter from MediaPipe's result to our types; empty when nobody is found."""
    poses = []
    masks = result.segmentation_masks or []
    for k, landmarks in enumerate(result.pose_landmarks or []):
        if len(landmarks) != NUM_LANDMARKS:
            continue
        arr = np.array(
            [[lm.x, lm.y, lm.z, _or0(lm.visibility), _or0(lm.presence)] for lm in landmarks],
            dtype=np.float64,
        )
        world = result.pose_world_landmarks[k] if k < len(result.pose_world_landmarks) else []
        world_xyz = (
            np.array([[lm.x, lm.y, lm.z] for lm in world], dtype=np.float64)
            if len(world) == NUM_LANDMARKS
            else np.full((NUM_LANDMARKS, 3), np.nan)
        )
        mask = None
        if k < len(masks):
            mask = np.array(masks[k].numpy_view(), dtype=np.float32).reshape(height, width)
        poses.append(
            Pose(
                xy_px=arr[:, :2] * np.array([width, height], dtype=np.float64),
                z_px=arr[:, 2] * width,
                visibility=arr[:, 3],
                presence=arr[:, 4],
                world_xyz_m=world_xyz,
                mask=mask,
                image_size=(width, height),
            )
        )
    return Detection(image_size=(width, height), poses=tuple(poses), timestamp_ms=ts)


def _or0(value: float | None) -> float:
    return 0.0 if value is None else float(value)
