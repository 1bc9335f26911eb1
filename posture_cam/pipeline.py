"""File or frame -> detection -> gates (-> metrics -> assessment): the one place stages meet.

Keeps the order of work and the hand-over between resolutions: inference runs on a
downscaled copy, while landmarks are also given at the photo's full resolution for overlays.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .detect import PoseDetector
from .gates import DEFAULT_THRESHOLDS, Finding, GateReport, GateThresholds, check_detection
from .images import ImageLoadError, LoadedImage, inference_view, load_image
from .types import Detection

__all__ = ["PhotoAnalysis", "analyze_image", "analyze_file", "INFERENCE_MAX_SIDE_PX"]

# MediaPipe resizes to 256 px inside; more pixels only help the segmentation mask's edges,
# and 1280 px keeps a 12-megapixel photo well under half a second.
INFERENCE_MAX_SIDE_PX = 1280


@dataclass(frozen=True, eq=False)
class PhotoAnalysis:
    """Everything known about one photo.

    Attributes:
        name: the file name shown to people.
        image: the decoded photo at full resolution, or None if it could not be read.
        detection: poses found on the inference copy (its own pixel frame), or None.
        scale: full-resolution pixels per inference pixel (>= 1).
        gates: the quality gates' findings; a read error is reported as a blocking finding.
    """

    name: str
    image: LoadedImage | None
    detection: Detection | None
    scale: float
    gates: GateReport

    @property
    def measurable(self) -> bool:
        return self.gates.passed


def _read_error_report(err: ImageLoadError) -> GateReport:
    return GateReport(findings=(Finding(err.code, err.message, err.hint),))


def analyze_image(
    image: LoadedImage,
    detector: PoseDetector,
    thresholds: GateThresholds = DEFAULT_THRESHOLDS,
) -> PhotoAnalysis:
    """Detect and gate one decoded photo."""
    small, scale = inference_view(image.rgb, INFERENCE_MAX_SIDE_PX)
    detection = detector.detect(small)
    return PhotoAnalysis(
        name=image.name,
        image=image,
        detection=detection,
        scale=scale,
        gates=check_detection(detection, thresholds),
    )


def analyze_file(
    source: str | os.PathLike[str] | bytes,
    detector: PoseDetector,
    *,
    name: str | None = None,
    thresholds: GateThresholds = DEFAULT_THRESHOLDS,
) -> PhotoAnalysis:
    """Read and analyse one file; a file that cannot be read gives a finding, not an error."""
    label = name or (Path(os.fsdecode(source)).name if not isinstance(source, bytes) else "upload")
    try:
        image = load_image(source, name=label)
    except ImageLoadError as err:
        return PhotoAnalysis(
            name=label, image=None, detection=None, scale=1.0, gates=_read_error_report(err)
        )
    return analyze_image(image, detector, thresholds)
