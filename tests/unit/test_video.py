"""Reading video files (media.video): frames upright and timed, thinning, friendly errors."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from posture_cam.media.video import (
    VIDEO_ERROR_CODES,
    FrameThinner,
    VideoLoadError,
    iter_video_frames,
    probe_video,
)

av = pytest.importorskip("av")


def portrait(h: int = 96, w: int = 64) -> np.ndarray:
    """Red top half, blue bottom half, a green stripe on the left: any turn shows."""
    img = np.zeros((h, w, 3), np.uint8)
    img[: h // 2, :, 0] = 255
    img[h // 2 :, :, 2] = 255
    img[:, :8, 1] = 255
    return img


def write(path: Path, frames: list[np.ndarray], fps: int, rotation: int = 0) -> Path:
    """H.264 file whose display matrix turns the stored pictures by ``rotation`` (ccw)."""
    k = -(rotation // 90) % 4  # store turned clockwise; the player turns them back
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=Fraction(fps))
        stored = np.rot90(frames[0], k)
        s.width, s.height = stored.shape[1], stored.shape[0]
        s.pix_fmt = "yuv420p"
        if rotation:
            s.set_display_rotation(rotation)
        for f in frames:
            pic = np.ascontiguousarray(np.rot90(f, k))
            for p in s.encode(av.VideoFrame.from_ndarray(pic, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


@pytest.mark.parametrize("rotation", [0, 90, -90, 180])
def test_frames_come_out_upright(tmp_path: Path, rotation: int) -> None:
    img = portrait()
    path = write(tmp_path / "clip.mp4", [img] * 3, fps=10, rotation=rotation)
    info = probe_video(path)
    assert (info.width, info.height) == (64, 96)
    assert info.rotation_deg == rotation % 360
    assert info.fps == pytest.approx(10.0)
    frames = list(iter_video_frames(path))
    assert len(frames) == 3
    assert frames[0].rgb.shape == img.shape
    assert np.abs(frames[0].rgb.astype(int) - img).mean() < 12  # H.264 is lossy
    assert [f.t_ms for f in frames] == pytest.approx([0.0, 100.0, 200.0])


def test_thinning_shrinking_and_stopping(tmp_path: Path) -> None:
    path = write(tmp_path / "clip.mp4", [portrait()] * 30, fps=30)
    frames = list(iter_video_frames(path, max_fps=10))
    assert len(frames) == 10
    assert np.diff([f.t_ms for f in frames]) == pytest.approx([100.0] * 9, abs=1.0)
    small = next(iter_video_frames(path, max_side_px=48))
    assert small.rgb.shape == (48, 32, 3)
    assert len(list(iter_video_frames(path, max_duration_s=0.5))) == 16  # 0 .. 500 ms
    with pytest.raises(ValueError, match="max_fps"):
        next(iter_video_frames(path, max_fps=0))


@pytest.mark.parametrize(
    ("max_fps", "times_ms", "kept_ms"),
    [
        # A 30-a-second camera's whole milliseconds, thinned to 10 a second.
        (10.0, [0, 33, 66, 100, 133, 166, 200, 233], [0, 100, 200]),
        # A live stream's clock need not start at 0.
        (10.0, [5000, 5033, 5066, 5100, 5133], [5000, 5100]),
        # Late frames do not move the grid: 150 is kept for the 100 step, 250 for 200.
        (10.0, [0, 150, 250, 260, 350], [0, 150, 250, 350]),
        # Frames slower than the limit are all kept.
        (10.0, [0, 250, 500], [0, 250, 500]),
        # A time that does not move on is dropped, with or without a limit.
        (10.0, [0, 0, 100, 90], [0, 100]),
        (None, [0, 0, 1, 2, 2], [0, 1, 2]),
    ],
)
def test_thinner_keeps_the_first_frame_of_each_step(
    max_fps: float | None, times_ms: list[float], kept_ms: list[float]
) -> None:
    thinner = FrameThinner(max_fps)
    assert [t for t in times_ms if thinner.keep(t)] == kept_ms


@pytest.mark.parametrize("max_fps", [0.0, -1.0, float("nan")])
def test_thinner_refuses_a_rate_that_is_not_positive(max_fps: float) -> None:
    with pytest.raises(ValueError, match="max_fps"):
        FrameThinner(max_fps)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda p: p, "unreadable_file"),  # never written
        (lambda p: (p.write_bytes(b""), p)[1], "empty_file"),
        (lambda p: (p.write_text("not a video at all " * 50), p)[1], "not_a_video"),
    ],
)
def test_bad_files_raise_friendly_errors(tmp_path: Path, make, code: str) -> None:
    path = make(tmp_path / "clip.mp4")
    with pytest.raises(VideoLoadError) as err:
        probe_video(path)
    assert err.value.code == code
    assert err.value.code in VIDEO_ERROR_CODES
    assert "clip.mp4" in err.value.message
    assert str(err.value).startswith(err.value.message)
    with pytest.raises(VideoLoadError):
        next(iter_video_frames(path))


def test_a_still_picture_reads_as_a_one_frame_video(tmp_path: Path) -> None:
    import cv2

    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), portrait())
    # FFmpeg opens a PNG as a one-frame "video": that is fine, it has a picture.
    info = probe_video(path)
    assert (info.width, info.height) == (64, 96)
