"""The guided checks on the Live page through Streamlit's AppTest, on uploaded test material.

Videos are built in a temporary folder from the small renders in ``tests/data/guided``
(``bench/check_material.py``: one body at set pelvic tilts, and its front outline moved
periodically by known amounts), so each flow is checked against a truth it cannot see.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from bench import check_material
from posture_cam.history.store import HistoryStore
from posture_cam.pose.models import ModelUnavailableError, resolve_model
from posture_cam.types import Detection
from posture_cam.ui import state
from posture_cam.ui.guided_page import GUIDED_KEYS, MODE_PHOTOS, MODE_VIDEO

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "guided"
TIMEOUT_S = 240


def _live_app() -> None:
    from posture_cam.ui.live_page import render_live_page

    render_live_page()


@pytest.fixture(scope="module")
def material() -> ModuleType:
    return check_material


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, lite_model_path: Path, test_variant: str) -> AppTest:
    monkeypatch.setattr("streamlit_webrtc.component.get_this_session_info", lambda: None)
    at = AppTest.from_function(_live_app, default_timeout=TIMEOUT_S)
    at.session_state[state.KEY_VARIANT] = test_variant
    return at.run()


def _choose(at: AppTest, title: str, *, upload: bool = True) -> AppTest:
    """Open a guided check; with ``upload``, its recorded-video (or photo) way in."""
    at.radio(key=state.KEY_LIVE_CHECK).set_value(title).run()
    assert not at.exception
    if upload:
        kind = GUIDED_KEYS[title]
        mode = MODE_PHOTOS if kind == "hip_flexor_test" else MODE_VIDEO
        at.radio(key=f"guided_mode_{kind}").set_value(mode).run()
        assert not at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: str(m.value) for m in at.metric}


def _text(at: AppTest) -> str:
    parts = [
        str(e.value)
        for kind in ("markdown", "warning", "info", "caption")
        for e in getattr(at, kind)
    ]
    return "\n".join(parts)


def _keep(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Keep in report").click().run()
    assert not at.exception
    assert any(b.label == "Kept in report" and b.disabled for b in at.button)


def test_live_page_offers_the_three_guided_checks(app: AppTest) -> None:
    radio = app.radio(key=state.KEY_LIVE_CHECK)
    assert list(radio.options) == [
        "Posture",
        "Pelvic-tilt range",
        "Hip-flexor test (modified Thomas)",
        "Breathing",
    ]
    _choose(app, "Breathing")
    text = _text(app)
    assert "Breathe quietly" in text and "not a diagnosis" in text
    assert len(app.file_uploader) == 1 and "mp4" in str(app.file_uploader[0].allowed_type)


def test_range_check_on_an_uploaded_video(
    app: AppTest, material: ModuleType, tmp_path: Path
) -> None:
    renders = [
        ("relaxed", DATA / "range_t6.jpg"),
        ("forward", DATA / "range_t22.jpg"),
        ("tucked", DATA / "range_t-2.jpg"),
        ("relaxed_again", DATA / "range_t6.jpg"),
    ]
    frames, _ = material.range_video(renders, fps=8.0, max_side_px=None, seed=3)
    video = material.write_mp4(frames, 8.0, tmp_path / "range.mp4")
    _choose(app, "Pelvic-tilt range")
    app.file_uploader[0].set_value(("range.mp4", video.read_bytes(), "video/mp4")).run()
    assert not app.exception
    metrics = _metrics(app)
    # Truth: 24° of range (22° forward, -2° tucked); the estimate cuts changes short
    # (bench/check_range.py), so only a clear range in the right direction is asked for.
    whole = float(metrics["Whole tilt range"].split(" ")[0])
    forward = float(metrics["Tipped forward from relaxed"].split(" ")[0])
    assert whole > 8 and forward > 4
    assert "±" in metrics["Whole tilt range"]
    text = _text(app)
    assert "Levine & Whittle" in text and "not a diagnosis" in text
    assert "Measured error on test material" in str(app.dataframe[0].value)
    _keep(app)
    session = app.session_state[state.KEY_SESSION]
    assert [g.kind for g in session.guided] == ["pelvic_tilt_range"]


def test_range_check_refuses_a_video_without_holds(
    app: AppTest, material: ModuleType, tmp_path: Path
) -> None:
    frames, _ = material.range_video(
        [("relaxed", DATA / "range_t6.jpg")], fps=6.0, hold_s=10.0, max_side_px=None
    )
    video = material.write_mp4(frames, 6.0, tmp_path / "still.mp4")
    _choose(app, "Pelvic-tilt range")
    app.file_uploader[0].set_value(("still.mp4", video.read_bytes(), "video/mp4")).run()
    assert not app.exception
    assert "needs four" in "\n".join(w.value for w in app.warning)
    assert not any(b.label == "Keep in report" for b in app.button)


def test_breathing_check_on_an_uploaded_video(
    app: AppTest, material: ModuleType, tmp_path: Path
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
    video = material.write_mp4(clip.frames, 10.0, tmp_path / "breathing.mp4")
    _choose(app, "Breathing")
    app.file_uploader[0].set_value(("breathing.mp4", video.read_bytes(), "video/mp4")).run()
    assert not app.exception
    metrics = _metrics(app)
    rate = float(metrics["Breathing rate"].split(" ")[0])
    share = float(metrics["Belly share"].split(" ")[0])
    assert rate == pytest.approx(clip.truth.rate_per_min, abs=1.0)
    assert share == pytest.approx(clip.truth.belly_share_pct, abs=10.0)
    text = _text(app)
    assert "Kaneko & Horie" in text and "Deep belly breathing" in text
    _keep(app)
    g = app.session_state[state.KEY_SESSION].guided[0]
    trace = g.trace()
    assert trace is not None and len(trace["belly_px"]) > 100
    exported = json.loads(app.session_state[state.KEY_SESSION].to_json())
    assert exported["guided_checks"][0]["check"] == "breathing"
    next(b for b in app.button if b.label == "Save to history").click().run()
    assert not app.exception
    assert any(b.label.startswith("Saved to history (#") and b.disabled for b in app.button)
    with HistoryStore() as store:  # this test's own data folder (conftest)
        (point,) = store.guided_series("breathing")
    assert point.series["Breathing rate (a minute)"][0] == pytest.approx(rate, abs=0.05)


def test_unreadable_video_gets_a_friendly_message(app: AppTest) -> None:
    _choose(app, "Breathing")
    app.file_uploader[0].set_value(("notes.mp4", b"not a video\n" * 50, "video/mp4")).run()
    assert not app.exception
    assert "could not be read as a video" in app.error[0].value


@pytest.fixture
def full_model() -> None:
    try:
        resolve_model("full", allow_network=False)
    except ModelUnavailableError as exc:
        pytest.skip(f"the full pose model is not cached: {exc}")


def test_hip_flexor_test_on_a_photo_per_side(app: AppTest, full_model: None) -> None:
    # The photo model: the full one, whose error on lying renders is a few degrees.
    app.session_state[state.KEY_VARIANT] = "full"
    _choose(app, "Hip-flexor test (modified Thomas)")
    assert [u.label for u in app.file_uploader] == [
        "Photo with your left leg hanging",
        "Photo with your right leg hanging",
    ]
    truth = json.loads((DATA / "thomas_above.json").read_text())["thomas"]
    side = truth["hanging_side"]
    index = 0 if side == "left" else 1
    data = (DATA / "thomas_above.jpg").read_bytes()
    app.file_uploader[index].set_value(("above.jpg", data, "image/jpeg")).run()
    assert not app.exception
    metrics = _metrics(app)
    label = f"{side.capitalize()} thigh to horizontal"
    thigh = float(metrics[label].split(" ")[0])
    # Truth 14.3° above the horizontal; the bench's error with this model is ~2°.
    assert thigh == pytest.approx(truth["image"]["thigh_angle_deg"], abs=8.0)
    assert "(above)" in metrics[label]
    text = _text(app)
    assert "iliopsoas" in text and "Ferber" in text
    _keep(app)
    assert app.session_state[state.KEY_SESSION].guided[0].kind == "hip_flexor_test"


# ----------------------------------------------------------------------------- camera


def test_camera_flow_starts_with_the_steps_and_one_recorder(app: AppTest) -> None:
    _choose(app, "Breathing", upload=False)
    rec = app.session_state[state.KEY_GUIDED_RECORDER]
    assert rec.kind == "breathing" and rec.variant == "lite" and rec.state.step == -1
    assert "Press **Start**" in "\n".join(i.value for i in app.info)
    # Another check: a new recorder, the old one closed (its detector released).
    _choose(app, "Pelvic-tilt range", upload=False)
    second = app.session_state[state.KEY_GUIDED_RECORDER]
    assert second is not rec and rec.closed and second.kind == "pelvic_tilt_range"


class HeldDetector:
    """A real detector that stops before its ``hold_at``-th frame until released."""

    def __init__(self, hold_at: int) -> None:
        from posture_cam.live.detectors import video_detector_factory

        self.detector = video_detector_factory("lite")()
        self.hold_at = hold_at
        self.frames = 0
        self.waiting = threading.Event()
        self.release = threading.Event()

    def detect_for_video(self, rgb: np.ndarray, timestamp_ms: int) -> Detection:
        if self.frames == self.hold_at:
            self.waiting.set()
            assert self.release.wait(TIMEOUT_S)
        self.frames += 1
        return self.detector.detect_for_video(rgb, timestamp_ms)

    def close(self) -> None:
        self.release.set()
        self.detector.close()


def test_camera_flow_counts_down_measures_the_recording_then_shows_the_result_to_keep(
    app: AppTest, material: ModuleType
) -> None:
    from posture_cam.live.detectors import video_detector_factory
    from posture_cam.live.guided import GuidedRecorder, Step

    renders = [
        ("relaxed", DATA / "range_t6.jpg"),
        ("forward", DATA / "range_t22.jpg"),
        ("tucked", DATA / "range_t-2.jpg"),
        ("relaxed_again", DATA / "range_t6.jpg"),
    ]
    frames, _ = material.range_video(renders, fps=8.0, max_side_px=None, seed=3)
    steps = (Step("Stand side-on", 0.5, False), Step("The four holds", len(frames) / 8.0, True))
    held = HeldDetector(hold_at=2)
    # The page judges a stopped camera by the recorder's clock: it moves 10 ms a read.
    ticks = iter(range(10**9))
    rec = GuidedRecorder(
        "pelvic_tilt_range",
        video_detector_factory("lite"),
        "lite",
        steps=steps,
        recording_detector_factory=lambda: held,
        clock=lambda: next(ticks) / 100,
    )
    _choose(app, "Pelvic-tilt range", upload=False)
    app.session_state[state.KEY_GUIDED_RECORDER] = rec
    t = 600.0
    rec.process(frames[0], 0.0)
    for rgb in frames[:40]:
        rec.process(rgb, t)
        t += 125.0
    app.run()
    assert not app.exception
    text = _text(app)
    assert "→ **The four holds** (" in text and "s left)" in text and "✓ Stand side-on" in text
    assert "40 frames recorded so far; they are measured after the last step." in text
    for rgb in frames[40:]:
        rec.process(rgb, t)
        t += 125.0
    rec.process(frames[-1], t + 500.0)
    # Measuring the recording, held at its third frame.
    assert held.waiting.wait(TIMEOUT_S)
    app.run()
    assert not app.exception
    (progress,) = app.get("progress")
    assert progress.text == f"Measuring the recording: 2 of {len(frames)} frames"
    assert "s left)" not in _text(app) and not app.metric
    held.release.set()
    deadline = time.monotonic() + TIMEOUT_S
    while not rec.state.done:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    app.run()
    assert not app.exception
    assert not app.get("progress")
    metrics = _metrics(app)
    assert float(metrics["Whole tilt range"].split(" ")[0]) > 8
    text = _text(app)
    assert "From live camera" in text
    assert f"{len(frames)} of {len(frames)} frames could be measured." in text
    _keep(app)
    assert [g.kind for g in app.session_state[state.KEY_SESSION].guided] == ["pelvic_tilt_range"]
    next(b for b in app.button if b.label == "Start the steps again").click().run()
    assert not app.exception
    assert rec.state.step == -1 and not rec.state.done
    rec.close()
