"""A live check's frames kept in memory, to be measured after its last step.

The range check finds its holds in frames evenly spaced in time (a hold is split where
frames are more than 0.6 s apart, :class:`~posture_cam.measure.holds.RangeConfig`). Measured
while the camera ran, how many frames there were depended on how fast the computer was (a
busy two-core machine measured about one a second), and so did the result. A
:class:`Recording` keeps the frames instead, and they are measured afterwards like a
recorded video's. Which frames are kept depends on their times only: at most ``max_fps`` a
second of the stream's own clock (:class:`~posture_cam.media.video.FrameThinner`, as a
video file is thinned), shrunk to what the pose model is given
(:data:`~posture_cam.pipeline.INFERENCE_MAX_SIDE_PX`; a 640 × 480 camera frame is not),
as JPEG at :data:`JPEG_QUALITY`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from posture_cam.media.encode import decode_jpeg, encode_jpeg
from posture_cam.media.video import FrameThinner, TimedFrame
from posture_cam.pipeline import INFERENCE_MAX_SIDE_PX

__all__ = ["JPEG_QUALITY", "Recording"]

JPEG_QUALITY = 95
"""A 640 × 480 camera frame takes ~32 KB and ~1 ms to keep at this quality: the range
check's 23 s at 10 frames a second are ~7.5 MB, where raw frames would be ~210 MB, and its
ranges come out within 0.2° of the raw frames' (bench/README.md, live_recording.py)."""


class Recording:
    """Frames of a stream kept as JPEG with their times, at most ``max_fps`` a second.

    :meth:`offer` takes the stream's frames in order (the video thread); :meth:`frames`
    gives back the kept ones once no more come (the analysis thread). Times are
    milliseconds from the first kept frame, as a video file's.

    Args:
        max_fps: frames kept per second of stream time, at most.
        max_side_px: frames with a longer side are shrunk to it first (area averaging).
        quality: JPEG quality.
    """

    def __init__(
        self,
        max_fps: float,
        *,
        max_side_px: int = INFERENCE_MAX_SIDE_PX,
        quality: int = JPEG_QUALITY,
    ) -> None:
        self._thinner = FrameThinner(max_fps)
        self._max_side_px = max_side_px
        self._quality = quality
        self._t0_ms: float | None = None
        self._frames: list[tuple[float, bytes]] = []
        self._nbytes = 0

    def offer(self, rgb: np.ndarray, t_ms: float) -> bool:
        """Keep the ``(H, W, 3)`` uint8 RGB frame stamped ``t_ms`` if it is due; whether it
        was kept. The frame is only read."""
        if not self._thinner.keep(t_ms):
            return False
        if self._t0_ms is None:
            self._t0_ms = t_ms
        data = encode_jpeg(rgb, quality=self._quality, max_side_px=self._max_side_px)
        self._frames.append((t_ms - self._t0_ms, data))
        self._nbytes += len(data)
        return True

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def nbytes(self) -> int:
        """Bytes the kept frames take."""
        return self._nbytes

    def frames(self) -> Iterator[TimedFrame]:
        """The kept frames in order, decoded one at a time."""
        for t_ms, data in self._frames:
            yield TimedFrame(t_ms, decode_jpeg(data))
