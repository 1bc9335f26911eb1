"""The live view's detectors: what the processor needs of them, and factories that make them.

The VIDEO-mode landmarker tracks one person (:data:`LIVE_NUM_POSES`); a separate IMAGE-mode
detector looks for a second person now and then. Factories are handed to the processor so
that tests can give it hand-made detectors; the real ones look the model up in the cache
(or ``model_path``) when called, never downloading: :func:`posture_cam.pose.models.resolve_model`
with ``allow_network=False``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from posture_cam.measure.gates import Finding, several_people_finding
from posture_cam.pose.detect import VideoDetector
from posture_cam.pose.lifecycle import OwnedDetector
from posture_cam.types import Detection

__all__ = [
    "LIVE_NUM_POSES",
    "PEOPLE_CHECK_EVERY_MS",
    "PeopleCheck",
    "DetectorFactory",
    "PeopleDetector",
    "PeopleDetectorFactory",
    "VideoDetector",
    "people_detector_factory",
    "video_detector_factory",
]

LIVE_NUM_POSES = 1
"""Poses the VIDEO-mode landmarker tracks. With 2, MediaPipe runs its person detector on
every frame to look for the second one (several times the per-frame cost of tracking one
person, bench/README.md), so the live view tracks one person and looks for others now and
then with a separate IMAGE-mode detector instead."""


class PeopleDetector(Protocol):
    """An IMAGE-mode detector that looks for several people (for the periodic check)."""

    def detect(self, rgb: np.ndarray) -> Detection: ...

    def close(self) -> None: ...


DetectorFactory = Callable[[], VideoDetector]
PeopleDetectorFactory = Callable[[], PeopleDetector]

PEOPLE_CHECK_EVERY_MS = 5000.0
"""How often (stream time) the IMAGE-mode detector looks for a second person.

Someone already in view when the stream starts is found on its first frame; someone who
steps in later is found within 5 s (2.5 s on average), and from then on every measurement
fails with "several people" until a check finds one person again. What a check costs per
frame: bench/README.md."""


class PeopleCheck:
    """Looks for a second person every ``every_ms`` of stream time with its own detector.

    :meth:`finding` gives the "several people" finding of the latest look, or None.
    """

    def __init__(self, factory: PeopleDetectorFactory, every_ms: float) -> None:
        self._factory = factory
        self._every_ms = float(every_ms)
        self._detector: OwnedDetector[PeopleDetector] | None = None
        self._looked_at: int | None = None
        self._found: Finding | None = None

    def finding(self, frame_rgb: np.ndarray, ts: int) -> Finding | None:
        last = self._looked_at
        if last is None or ts - last >= self._every_ms or ts < last:
            self._looked_at = ts
            if self._detector is None:
                self._detector = OwnedDetector(self._factory(), owner=self)
            self._found = several_people_finding(self._detector.detector.detect(frame_rgb))
        return self._found

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None


def video_detector_factory(
    variant: str, model_path: str | None = None, *, num_poses: int = LIVE_NUM_POSES
) -> DetectorFactory:
    """A factory for a VIDEO-mode :class:`~posture_cam.pose.detect.PoseDetector`."""

    def make() -> VideoDetector:
        from posture_cam.pose.detect import DetectorOptions, PoseDetector
        from posture_cam.pose.models import resolve_model

        model = resolve_model(variant, model_path, allow_network=False)
        return PoseDetector(
            DetectorOptions(
                model.path, mode="video", num_poses=num_poses, variant=model.variant or variant
            )
        )

    return make


def people_detector_factory(variant: str, model_path: str | None = None) -> PeopleDetectorFactory:
    """A factory for the IMAGE-mode detector of the periodic several-people check.

    It asks for two poses and no segmentation mask (only the count and size matter).
    """

    def make() -> PeopleDetector:
        from posture_cam.pose.detect import DetectorOptions, PoseDetector
        from posture_cam.pose.models import resolve_model

        model = resolve_model(variant, model_path, allow_network=False)
        return PoseDetector(
            DetectorOptions(
                model.path,
                mode="image",
                num_poses=2,
                segmentation_masks=False,
                variant=model.variant or variant,
            )
        )

    return make
