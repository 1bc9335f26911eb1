"""The guided checks on the Live page through Streamlit's AppTest, on uploaded test material.

Videos are built in a temporary folder from the small renders in ``tests/data/guided``
(``bench/check_material.py``: one body at set pelvic tilts, and its front outline moved
periodically by known amounts), so each flow is checked against a truth it cannot see.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from streamlit.testing.v1 import AppTest

from posture_cam.pose.models import ModelUnavailableError, resolve_model
from posture_cam.ui import state

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "guided"
TIMEOUT_S = 240


def _live_app() -> None:
    from posture_cam.ui.live_page import render_live_page

    render_live_page()


@pytest.fixture(scope="module")
def material() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_material", REPO / "bench" / "check_material.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_material"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, lite_model_path: Path, test_variant: str) -> AppTest:
    monkeypatch.setattr("streamlit_webrtc.component.get_this_session_info", lambda: None)
    at = AppTest.from_function(_live_app, default_timeout=TIMEOUT_S)
    at.session_state[state.KEY_VARIANT] = test_variant
    return at.run()


def _choose(at: AppTest, title: str) -> AppTest:
    at.radio(key=state.KEY_LIVE_CHECK).set_value(title).run()
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
