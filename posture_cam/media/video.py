"""Reading video files (a phone's MP4 or MOV) as timed RGB frames, with friendly errors.

:func:`iter_video_frames` decodes with PyAV and yields :class:`TimedFrame` objects: an
``(H, W, 3)`` uint8 RGB array the right way up and its time in milliseconds from the first
frame. Phones store portrait videos as landscape pictures plus a rotation in the file's
display matrix; the frames are turned as a player would show them. Frames can be thinned
to at most ``max_fps`` (the checks need far fewer than the camera's 30 or 60 a second) and
shrunk to ``max_side_px``.

Problems raise :class:`VideoLoadError` with a stable ``code``, a ``message`` naming the file
and a ``hint``, like :class:`posture_cam.media.images.ImageLoadError`. Nothing happens at
import time: PyAV and OpenCV are imported on first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

__all__ = [
    "VIDEO_SUFFIXES",
    "VIDEO_ERROR_CODES",
    "VideoErrorCode",
    "VideoLoadError",
    "VideoInfo",
    "TimedFrame",
    "FrameThinner",
    "probe_video",
    "iter_video_frames",
]

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".y4m"})
"""File name endings read as video (anything FFmpeg inside PyAV decodes also works)."""

VideoErrorCode = Literal["unreadable_file", "empty_file", "not_a_video", "corrupt_video"]
VIDEO_ERROR_CODES: frozenset[str] = frozenset(get_args(VideoErrorCode))

_HINT_FORMAT = (
    "Use the video file your phone or camera saved (MP4 or MOV); if it still fails, "
    "export it again from the phone's gallery."
)


class VideoLoadError(ValueError):
    """A video could not be read; ``message`` and ``hint`` are meant for the person.

    ``str(err)`` is ``f"{message} {hint}"``.
    """

    def __init__(self, code: VideoErrorCode, message: str, hint: str) -> None:
        super().__init__(f"{message} {hint}")
        self.code: VideoErrorCode = code
        self.message = message
        self.hint = hint

    def __reduce__(self) -> tuple[type[VideoLoadError], tuple[VideoErrorCode, str, str]]:
        return (type(self), (self.code, self.message, self.hint))


@dataclass(frozen=True)
class VideoInfo:
    """What the file says about its picture stream.

    Attributes:
        name: the file name shown to people.
        width / height: frame size as shown (after the display rotation).
        fps: the stream's average frame rate, or None when the file does not say.
        duration_s: the stream's length, or None when unknown.
        rotation_deg: the display rotation stored in the file (counter-clockwise degrees).
    """

    name: str
    width: int
    height: int
    fps: float | None
    duration_s: float | None
    rotation_deg: int


@dataclass(frozen=True, eq=False)
class TimedFrame:
    """One decoded frame: ``rgb`` is ``(H, W, 3)`` uint8, ``t_ms`` counts from the first frame."""

    t_ms: float
    rgb: np.ndarray


class FrameThinner:
    """Which frames of a stream to keep for at most ``max_fps`` a second.

    The first frame at or after each ``1 / max_fps`` step of the stream's own clock is kept,
    so the frames kept depend only on their times (a video file's, or a live stream's), never
    on how fast they are handled. A frame whose time does not move on is dropped; with
    ``max_fps`` None every other frame is kept.

    Raises:
        ValueError: ``max_fps`` is not positive.
    """

    def __init__(self, max_fps: float | None) -> None:
        if max_fps is not None and not max_fps > 0:
            raise ValueError(f"max_fps must be positive, got {max_fps}")
        self._step_ms = 1000.0 / max_fps if max_fps else 0.0
        self._next_ms = 0.0
        self._last_ms: float | None = None

    def keep(self, t_ms: float) -> bool:
        """Whether the frame at ``t_ms`` (milliseconds, in stream order) is kept."""
        last = self._last_ms
        if last is not None and (t_ms <= last or t_ms + 1e-6 < self._next_ms):
            return False
        start = t_ms if last is None else self._next_ms
        # Steps stay on their grid while frames come in time, so a stream a little slower
        # than the grid still gives max_fps frames a second on average.
        self._next_ms = max(start + self._step_ms, t_ms)
        self._last_ms = t_ms
        return True


def _open(path: str | os.PathLike[str]) -> Any:
    import av

    p = Path(path)
    name = p.name
    if not p.is_file():
        raise VideoLoadError(
            "unreadable_file",
            f"“{name}” was not found or is not a file.",
            "Check the path and try again.",
        )
    if p.stat().st_size == 0:
        raise VideoLoadError("empty_file", f"“{name}” is empty (0 bytes).", _HINT_FORMAT)
    try:
        container = av.open(str(p))
    except PermissionError as err:
        raise VideoLoadError(
            "unreadable_file", f"“{name}” could not be opened ({err.strerror}).", ""
        ) from None
    except (av.FFmpegError, OSError, ValueError) as err:
        raise VideoLoadError(
            "not_a_video", f"“{name}” could not be read as a video ({err}).", _HINT_FORMAT
        ) from None
    if not container.streams.video:
        container.close()
        raise VideoLoadError(
            "not_a_video", f"“{name}” has no picture (no video stream).", _HINT_FORMAT
        )
    return container


def _rotation_deg(frame: Any) -> int:
    """The frame's display rotation rounded to a quarter turn (counter-clockwise degrees)."""
    rot = getattr(frame, "rotation", 0) or 0
    return int(round(float(rot) / 90.0)) % 4 * 90


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Size, frame rate, length and rotation of a video, decoding only its first frame.

    Raises:
        VideoLoadError: the file is missing, empty, not a video or has no readable frame.
    """
    import av

    name = Path(path).name
    container = _open(path)
    try:
        stream = container.streams.video[0]
        fps = float(stream.average_rate) if stream.average_rate else None
        duration = (
            float(stream.duration * stream.time_base)
            if stream.duration is not None and stream.time_base is not None
            else (container.duration / 1e6 if container.duration else None)
        )
        try:
            first = next(container.decode(stream), None)
        except (av.FFmpegError, OSError, ValueError) as err:
            raise VideoLoadError(
                "corrupt_video", f"“{name}” is damaged ({err}).", _HINT_FORMAT
            ) from None
        if first is None:
            raise VideoLoadError("corrupt_video", f"“{name}” contains no frames.", _HINT_FORMAT)
        rot = _rotation_deg(first)
        w, h = first.width, first.height
        if rot in (90, 270):
            w, h = h, w
        return VideoInfo(name, w, h, fps, duration, rot)
    finally:
        container.close()


def _shrink(rgb: np.ndarray, max_side_px: int | None) -> np.ndarray:
    if max_side_px is None or max(rgb.shape[:2]) <= max_side_px:
        return rgb
    import cv2

    h, w = rgb.shape[:2]
    s = max_side_px / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def iter_video_frames(
    path: str | os.PathLike[str],
    *,
    max_fps: float | None = None,
    max_side_px: int | None = None,
    max_duration_s: float | None = None,
) -> Iterator[TimedFrame]:
    """Decode a video's frames in order, turned upright, as RGB.

    Args:
        path: the video file.
        max_fps: keep at most this many frames a second (the first frame at or after each
            ``1 / max_fps`` step); None keeps every frame.
        max_side_px: shrink frames whose longest side is larger (area averaging).
        max_duration_s: stop after this many seconds of video.

    Yields:
        :class:`TimedFrame` with ``t_ms`` from the first decoded frame.

    Raises:
        VideoLoadError: the file cannot be opened, or decoding fails before any frame.
            A file damaged later on ends the frames early instead.
    """
    import av

    thinner = FrameThinner(max_fps)
    name = Path(path).name
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        t0: float | None = None
        produced = decoded = 0
        rate = float(stream.average_rate) if stream.average_rate else 30.0
        frames = container.decode(stream)
        while True:
            try:
                frame = next(frames, None)
            except (av.FFmpegError, OSError, ValueError) as err:
                if produced == 0:
                    raise VideoLoadError(
                        "corrupt_video", f"“{name}” is damaged ({err}).", _HINT_FORMAT
                    ) from None
                return
            if frame is None:
                return
            # Without timestamps, assume the stream's rate (or 30 frames a second).
            t = frame.time if frame.time is not None else decoded / rate
            decoded += 1
            if t0 is None:
                t0 = float(t)
            t_ms = (float(t) - t0) * 1000.0
            if max_duration_s is not None and t_ms > max_duration_s * 1000.0:
                return
            if not thinner.keep(t_ms):
                continue
            rgb = frame.to_ndarray(format="rgb24")
            k = _rotation_deg(frame) // 90
            if k:
                rgb = np.ascontiguousarray(np.rot90(rgb, k))
            produced += 1
            yield TimedFrame(t_ms, _shrink(rgb, max_side_px))
    finally:
        container.close()
