"""The "Live check" page through Streamlit's AppTest.

AppTest cannot drive WebRTC (the browser path is tested in tests/e2e), so these tests check
what the page does around it: one processor per session and model, the live panel reading a
processor's published state, "Keep this result", the snapshot fallback and the ICE setting.
``webrtc_streamer`` needs a Streamlit session object that AppTest does not have; like
../shared/LIVE.md says, ``get_this_session_info`` is patched to return None.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from posture_cam.live.processor import LiveProcessor
from posture_cam.ui import live_page, state, webrtc

TIMEOUT_S = 60


def _live_app() -> None:
    from posture_cam.ui.live_page import render_live_page

    render_live_page()


def _text(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("markdown", "warning", "error", "info", "caption", "title", "success"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    parts.extend(f"{m.label} {m.value}" for m in at.metric)
    return "\n".join(parts)


def _keep_button(at: AppTest):
    return next(b for b in at.button if b.label == "Keep this result")


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, lite_model_path: Path, test_variant: str) -> AppTest:
    monkeypatch.setattr("streamlit_webrtc.component.get_this_session_info", lambda: None)
    monkeypatch.delenv(webrtc.ENV_ICE_SERVERS, raising=False)
    at = AppTest.from_function(_live_app, default_timeout=TIMEOUT_S)
    at.session_state[state.KEY_VARIANT] = test_variant  # the snapshot's photo model
    return at.run()


def test_live_page_starts_with_lite_and_a_disabled_keep(app: AppTest) -> None:
    assert not app.exception
    assert app.title[0].value == "Live check"
    proc = app.session_state[state.KEY_LIVE_PROCESSOR]
    assert isinstance(proc, LiveProcessor) and proc.variant == "lite"
    assert proc.state.frames_analysed == 0  # the model loads on the first frame
    assert _keep_button(app).disabled
    assert "Press **Start**" in _text(app)


def test_changing_the_model_makes_a_new_processor(app: AppTest) -> None:
    first = app.session_state[state.KEY_LIVE_PROCESSOR]
    app.radio(key=state.KEY_LIVE_VARIANT).set_value("full").run()
    assert not app.exception
    second = app.session_state[state.KEY_LIVE_PROCESSOR]
    assert second is not first and second.variant == "full" and first.closed


def test_steady_result_can_be_kept(app: AppTest, steady_processor: LiveProcessor) -> None:
    app.session_state[state.KEY_LIVE_PROCESSOR] = steady_processor
    app.run()  # the panel shows the state published last
    assert not app.exception
    text = _text(app)
    assert "Increased curve / anterior pelvic tilt" in text
    assert "Video:" in text and "analysis:" in text and "±" in text
    keep = _keep_button(app)
    assert not keep.disabled
    keep.click().run()
    assert not app.exception
    entries = app.session_state[state.KEY_SESSION].entries
    assert len(entries) == 1
    entry = entries[0]
    assert entry.source == "live" and entry.pattern == "increased"
    assert entry.overlay_jpeg is not None and entry.overlay_jpeg[:2] == b"\xff\xd8"
    assert entry.record.measurable and entry.record.model_variant == "lite"
    assert "Kept “Live check" in _text(app)


def test_a_processor_that_stopped_publishing_disables_keep(
    app: AppTest, steady_processor: LiveProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Judged on the processor's own clock: a result older than STALE_AFTER_S is not live.
    monkeypatch.setattr(live_page, "STALE_AFTER_S", 0.0)
    app.session_state[state.KEY_LIVE_PROCESSOR] = steady_processor
    app.run()
    assert not app.exception
    assert _keep_button(app).disabled
    assert "camera is stopped" in _text(app)


def test_snapshot_mode_analyses_the_picture_like_a_photo(
    app: AppTest, side_view_frame: np.ndarray
) -> None:
    app.radio(key=state.KEY_LIVE_MODE).set_value(live_page.MODE_SNAPSHOT).run()
    assert not app.exception
    assert len(app.camera_input) == 1
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(side_view_frame, cv2.COLOR_RGB2BGR))
    assert ok
    app.camera_input[0].set_value(("shot.jpg", jpeg.tobytes(), "image/jpeg")).run()
    assert not app.exception
    assert "Increased curve / anterior pelvic tilt" in _text(app)
    next(b for b in app.button if b.label == "Keep in report").click().run()
    entries = app.session_state[state.KEY_SESSION].entries
    assert len(entries) == 1 and entries[0].source == "photo"


def test_ice_servers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    def script() -> None:
        import streamlit as st

        from posture_cam.ui.webrtc import ice_servers_from_config

        st.session_state["ice"] = ice_servers_from_config()

    monkeypatch.setenv(webrtc.ENV_ICE_SERVERS, '[{"urls": "stun:stun.example.org"}]')
    at = AppTest.from_function(script).run()
    assert at.session_state["ice"] == [{"urls": ["stun:stun.example.org"]}]
    monkeypatch.setenv(webrtc.ENV_ICE_SERVERS, "not json")
    at = AppTest.from_function(script).run()
    assert at.session_state["ice"] == []
    assert "was ignored" in at.warning[0].value
    monkeypatch.delenv(webrtc.ENV_ICE_SERVERS)
    at = AppTest.from_function(script).run()
    assert at.session_state["ice"] == []
