"""What the live processor publishes for the page: the latest steady result, and its record."""

from __future__ import annotations

import dataclasses
import math
from functools import cached_property
from typing import Any

import numpy as np

from posture_cam.measure.classify import Assessment
from posture_cam.measure.gates import GateReport
from posture_cam.measure.smoothing import EMPTY_SUMMARY, Guidance, WindowSummary
from posture_cam.media.encode import encode_jpeg
from posture_cam.report.record import METRIC_LABELS, ResultRecord, result_record
from posture_cam.types import PostureMetrics

__all__ = ["SMOOTHED_FIELDS", "LiveState", "live_record", "smoothed_metrics"]

# Every Measurement of PostureMetrics is smoothed (names as in the report's tables).
SMOOTHED_FIELDS: tuple[str, ...] = tuple(METRIC_LABELS)

SNAPSHOT_JPEG_QUALITY = 85


@dataclasses.dataclass(frozen=True, eq=False)
class LiveState:
    """What the page shows: the latest published result of the live stream.

    Attributes:
        variant: the pose-model variant in use ("lite", "full", ...).
        frames_analysed: frames run through pose analysis since the processor was made.
        analysis_fps: frames analysed per second over the last ~2 s of the processor's clock.
        analysis_ms: median time of the analysis of one frame over the last frames,
            milliseconds.
        frames_shown: video frames drawn on and handed back to the video since the
            processor was made (the analysis takes the newest of them when it is free).
        video_fps: video frames shown per second over the last ~2 s.
        timestamp_ms: the latest analysed frame's (monotonic) stream time.
        summary: the smoothing window's verdict (status, smoothed values, guidance).
        metrics: the latest measured frame's metrics with the smoothed values (value ±
            spread and calibration error) in place of the frame's own; None until measured.
        gates: the gates of that measured frame (side, facing) for the record.
        assessment: classification of the smoothed pelvic tilt and lordosis, or the latest
            frame's (inconclusive) assessment when there is nothing to smooth.
        overlay_rgb: the latest annotated video frame (not copied; never modified afterwards).
        under_banner_rgb: the bottom rows of that frame as they were before the status bar
            was drawn over them (for :attr:`snapshot_jpeg`).
        error: the last processing error, if the pipeline failed on the latest frame.
        published_at: the processor's clock (seconds) when this state was published (by the
            video or the analysis), None before the first frame; see
            :meth:`posture_cam.live.processor.LiveProcessor.age_s`.
    """

    variant: str
    frames_analysed: int = 0
    analysis_fps: float = 0.0
    analysis_ms: float = math.nan
    frames_shown: int = 0
    video_fps: float = 0.0
    timestamp_ms: int | None = None
    summary: WindowSummary = EMPTY_SUMMARY
    metrics: PostureMetrics | None = None
    gates: GateReport | None = None
    assessment: Assessment | None = None
    overlay_rgb: np.ndarray | None = None
    under_banner_rgb: np.ndarray | None = None
    error: str | None = None
    published_at: float | None = None

    @property
    def steady(self) -> bool:
        return self.summary.steady and self.metrics is not None and self.assessment is not None

    @property
    def status(self) -> str:
        return "error" if self.error else self.summary.status

    @property
    def guidance(self) -> Guidance | None:
        return self.summary.guidance

    @cached_property
    def snapshot_jpeg(self) -> bytes | None:
        """The latest overlay frame, without the status bar, as JPEG bytes.

        Encoded on first use (not on every frame), then cached.
        """
        if self.overlay_rgb is None:
            return None
        img = self.overlay_rgb
        under = self.under_banner_rgb
        if under is not None and 0 < under.shape[0] <= img.shape[0]:
            img = img.copy()
            img[img.shape[0] - under.shape[0] :] = under
        return encode_jpeg(img, quality=SNAPSHOT_JPEG_QUALITY)


def smoothed_metrics(frame_metrics: PostureMetrics, summary: WindowSummary) -> PostureMetrics:
    """``frame_metrics`` with every smoothed value (and its ±) in place of the frame's own.

    The frame's outline geometry (for drawing) and side are kept.
    """
    updates: dict[str, Any] = {
        name: sv.as_measurement() for name, sv in summary.values.items() if name in SMOOTHED_FIELDS
    }
    return dataclasses.replace(frame_metrics, **updates) if updates else frame_metrics


def live_record(state: LiveState, name: str) -> ResultRecord | None:
    """The record of a steady live result (None when it is not steady).

    A photo's record plus how it was measured: model variant, frames in the smoothing
    window, the window's length and the rate at which frames were analysed.
    """
    if not state.steady or state.metrics is None or state.gates is None:
        return None
    assert state.assessment is not None  # implied by steady
    s = state.summary
    return result_record(
        name,
        state.gates,
        state.metrics,
        state.assessment,
        model_variant=state.variant,
        live_frames=s.n_frames,
        live_window_s=round(s.span_ms / 1000.0, 2),
        live_fps=round(state.analysis_fps, 1),
    )
