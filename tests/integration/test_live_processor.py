"""The live processor with the real lite model: frames analysed and drawn one by one
(``process``), and the frame callback driven with ``av.VideoFrame``s as the camera sends them.

The frames are a sample side view letterboxed to 640 × 480 (what the webcam sends), a blank
picture (nobody there) and a stream whose timestamps restart at 0 (aiortc after stop/start).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from posture_cam.live.detectors import PEOPLE_CHECK_EVERY_MS, video_detector_factory
from posture_cam.live.processor import LiveProcessor, processor_for
from posture_cam.live.state import LiveState, live_record
from posture_cam.live.timing import MEASURE_RATE_HZ
from posture_cam.measure.smoothing import DEFAULT_CONFIG
from posture_cam.media.encode import decode_jpeg, encode_jpeg
from posture_cam.pose.models import ModelFile
from posture_cam.ui.webrtc import parse_ice_servers
from tests.e2e.harness import letterbox_bgr

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "increased_curve_side.jpg"
TIME_BASE = Fraction(1, 90_000)  # aiortc's video clock


def letterbox_rgb(path: Path, width: int = 640, height: int = 480) -> np.ndarray:
    """The picture scaled to fit ``width`` × ``height`` on white, as RGB."""
    return cv2.cvtColor(letterbox_bgr(path, width, height), cv2.COLOR_BGR2RGB)


def video_frame(rgb: np.ndarray, index: int, fps: int = 30) -> av.VideoFrame:
    """An aiortc-like frame: YUV like a decoded webcam frame, pts on the 90 kHz clock."""
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    frame.pts = index * 90_000 // fps
    frame.time_base = TIME_BASE
    return frame


@pytest.fixture(scope="module")
def side_view() -> np.ndarray:
    return letterbox_rgb(SAMPLE)


@pytest.fixture()
def processor(lite_model: ModelFile) -> Iterator[LiveProcessor]:
    """What the page builds: the lite model, with the periodic several-people check."""
    proc = processor_for("lite")
    yield proc
    proc.close()


@pytest.fixture(scope="module")
def two_people() -> np.ndarray:
    left = letterbox_rgb(SAMPLE, 320, 480)
    right = letterbox_rgb(REPO / "samples" / "neutral_side.jpg", 320, 480)
    return np.ascontiguousarray(np.hstack([left, right]))


def run(proc: LiveProcessor, rgb: np.ndarray, indices: range, fps: int = 30) -> np.ndarray:
    """Analyse and draw frames ``indices`` of a stream at ``fps``; the last frame drawn."""
    out = None
    for i in indices:
        out = proc.process(rgb, i * 1000 / fps)
    assert out is not None
    return out


# The window needs DEFAULT_CONFIG.min_frames samples, measured MEASURE_RATE_HZ times a second
# (~1.9 s at 8), plus 0.6 s of slack: 74 frames of a 30 frames/s stream.
STEADY_WITHIN_FRAMES = round(30 * (DEFAULT_CONFIG.min_frames / MEASURE_RATE_HZ + 0.6))


def run_until_steady(proc: LiveProcessor, rgb: np.ndarray, start: int = 0) -> int:
    """Feed frames until the state is steady; the number of frames it took."""
    for n in range(1, STEADY_WITHIN_FRAMES + 1):
        proc.process(rgb, (start + n - 1) * 1000 / 30)
        if proc.state.steady:
            return n
    state = proc.state
    pytest.fail(
        f"not steady after {STEADY_WITHIN_FRAMES} frames: {state.status} {state.summary.reasons}"
    )


def assert_finite_steady(state: LiveState) -> None:
    assert state.error is None
    assert state.steady, (state.status, state.summary.reasons)
    assert state.metrics is not None and state.assessment is not None
    for name in ("pelvic_tilt_deg", "lumbar_lordosis_deg"):
        m = getattr(state.metrics, name)
        assert math.isfinite(m.value) and math.isfinite(m.plus_minus) and m.plus_minus > 0


def test_side_view_becomes_steady_with_finite_numbers(processor, side_view) -> None:
    n = run_until_steady(processor, side_view)
    print(f"steady after {n} frames")
    assert n >= 15  # not before the window holds enough measurements
    out = run(processor, side_view, range(n, n + 10))
    state = processor.state
    assert_finite_steady(state)
    assert state.frames_analysed == state.frames_shown == n + 10
    assert state.summary.n_frames >= 15 and state.summary.pass_ratio >= 0.7
    assert state.assessment is not None
    assert state.assessment.pattern == "increased"
    # A frame of the same size comes back, annotated (not the input).
    assert out.shape == side_view.shape
    drawn = out
    assert np.abs(drawn.astype(int) - side_view.astype(int)).mean() > 1.0
    # The snapshot for "keep" is a JPEG of the latest overlay; the record names the pattern.
    jpeg = state.snapshot_jpeg
    assert jpeg is not None and jpeg[:3] == b"\xff\xd8\xff"
    # ...without the status bar the video shows along the bottom.
    snap = cv2.cvtColor(
        cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
    )
    bottom = (slice(470, 480), slice(0, 100))  # a corner no overlay line crosses
    assert np.abs(snap[bottom].astype(int) - side_view[bottom].astype(int)).mean() < 12
    assert np.abs(drawn[bottom].astype(int) - side_view[bottom].astype(int)).mean() > 40
    record = live_record(state, "Live check")
    assert record is not None
    assert record.assessment.pattern == state.assessment.pattern
    assert record.measurable is True and record.model_variant == "lite"
    assert record.pelvic_tilt is not None
    assert record.pelvic_tilt.value == pytest.approx(state.metrics.pelvic_tilt_deg.value, abs=1e-3)


def test_callback_returns_every_frame_at_once_and_the_analysis_follows(
    processor, side_view
) -> None:
    """The video thread hands frames on without waiting for the analysis, which runs on its
    own thread on the newest frame; fed at the camera's pace, the result turns steady."""
    deadline = time.monotonic() + 120  # generous: only a stuck analysis gets near it
    sent = 0
    while not processor.state.steady:
        assert time.monotonic() < deadline, f"not steady: {processor.state.summary.reasons}"
        out = processor.callback(video_frame(side_view, sent))
        sent += 1
        assert (out.width, out.height) == (640, 480)
        time.sleep(1 / 30)
    state = processor.state
    assert state.frames_shown == sent
    assert 0 < state.frames_analysed <= sent
    assert state.video_fps > 0 and state.analysis_fps > 0
    assert state.error is None and state.assessment is not None
    assert state.assessment.pattern == "increased"
    # The latest overlay (the skeleton, the outline) is drawn on the newest frame.
    drawn = processor.callback(video_frame(side_view, sent)).to_ndarray(format="rgb24")
    assert np.abs(drawn.astype(int) - side_view.astype(int)).mean() > 1.0


def test_nobody_in_view_gives_guidance_and_is_not_steady(processor) -> None:
    blank = np.full((480, 640, 3), 235, np.uint8)
    run(processor, blank, range(20))
    state = processor.state
    assert not state.steady and state.status == "guidance"
    assert state.guidance is not None and state.guidance.code == "no_person"
    assert live_record(state, "x") is None
    assert state.assessment is not None and state.assessment.pattern == "inconclusive"


def test_person_leaving_turns_steady_into_guidance(processor, side_view) -> None:
    run_until_steady(processor, side_view)
    run(processor, np.full((480, 640, 3), 235, np.uint8), range(40, 90))
    state = processor.state
    assert not state.steady and state.guidance is not None
    assert state.guidance.code == "no_person"


def test_several_people_give_guidance_and_are_not_steady(processor, two_people) -> None:
    run(processor, two_people, range(40))
    state = processor.state
    assert not state.steady and state.status == "guidance"
    assert state.guidance is not None and state.guidance.code == "several_people"


def test_second_person_leaving_is_noticed_at_the_next_check(
    processor, two_people, side_view
) -> None:
    run(processor, two_people, range(10))
    assert processor.state.guidance is not None
    assert processor.state.guidance.code == "several_people"
    # The next check, then a window of one-person frames to become steady again.
    wait_frames = round(30 * (PEOPLE_CHECK_EVERY_MS / 1000 + 3))
    run(processor, side_view, range(10, 10 + wait_frames))
    assert processor.state.steady


def test_timestamps_restarting_at_zero_do_not_crash(processor, side_view) -> None:
    run(processor, side_view, range(30))
    first = processor.state.timestamp_ms
    assert first is not None
    n = run_until_steady(processor, side_view, start=0)  # Stop -> Start: clock from 0 again
    state = processor.state
    assert state.error is None
    assert state.timestamp_ms is not None and state.timestamp_ms > first
    assert_finite_steady(state)
    # The new window holds the new stream's frames only, at their real spacing.
    assert state.summary.n_frames <= n
    assert state.summary.span_ms <= (n - 1) * 1000 / 30 + 1


def test_process_takes_plain_arrays_and_clamps_repeated_timestamps(processor, side_view) -> None:
    for _ in range(3):
        out = processor.process(side_view, 1000.0)  # same time three times
        assert out.shape == side_view.shape and out.dtype == np.uint8
    assert processor.state.timestamp_ms == 1002


def test_a_failing_detector_is_reported_not_raised(side_view) -> None:
    class Broken:
        def detect_for_video(self, rgb: np.ndarray, timestamp_ms: int):
            raise RuntimeError("graph exploded")

        def close(self) -> None:
            pass

    proc = LiveProcessor(Broken, "lite")
    out = proc.process(side_view, 0.0)
    assert out.shape == side_view.shape
    assert proc.state.error == "RuntimeError: graph exploded"
    assert proc.state.status == "error" and not proc.state.steady


def test_closed_processor_passes_frames_through(lite_model: ModelFile, side_view) -> None:
    proc = LiveProcessor(video_detector_factory("lite"), "lite")
    proc.process(side_view, 0.0)
    proc.close()
    proc.close()
    assert proc.process(side_view, 33.0) is side_view


def test_encode_jpeg_round_trip(side_view) -> None:
    data = encode_jpeg(side_view)
    back = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert back.shape == side_view.shape
    small = encode_jpeg(side_view, max_side_px=320)
    back = cv2.imdecode(np.frombuffer(small, np.uint8), cv2.IMREAD_COLOR)
    assert back.shape == (240, 320, 3)
    # decode_jpeg gives RGB back in the channel order it was given, close to the original.
    rgb = decode_jpeg(encode_jpeg(side_view, quality=95))
    assert rgb.shape == side_view.shape and rgb.dtype == np.uint8
    assert np.abs(rgb.astype(int) - side_view).mean() < 2.0
    with pytest.raises(ValueError, match="decode"):
        decode_jpeg(b"not a picture")


@pytest.mark.parametrize(
    ("raw", "expected", "error"),
    [
        (None, [], None),
        ("", [], None),
        ("[]", [], None),
        (
            '{"urls": "stun:stun.example.org:3478"}',
            [{"urls": ["stun:stun.example.org:3478"]}],
            None,
        ),
        (
            [{"urls": ["turn:t.example.org:3478"], "username": "u", "credential": "p"}],
            [{"urls": ["turn:t.example.org:3478"], "username": "u", "credential": "p"}],
            None,
        ),
        ("not json", None, "not valid JSON"),
        ('[{"urls": "http://example.org"}]', None, "not a stun"),
        ('[{"urls": []}]', None, "non-empty"),
        ('[{"urls": "turn:t.example.org"}]', None, "username"),
        ("[1]", None, "expected a table"),
        ("3", None, "expected a list"),
    ],
)
def test_parse_ice_servers(raw, expected, error) -> None:
    if error is None:
        assert parse_ice_servers(raw) == expected
    else:
        with pytest.raises(ValueError, match=error):
            parse_ice_servers(raw)
