"""The app through Streamlit's AppTest: app.py opens on the Photo check page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from posture_cam.ui import photo_page, state
from posture_cam.ui.photo_page import SAMPLES as SAMPLE_LIST

TIMEOUT_S = 60


def _sample(file: str) -> photo_page.Sample:
    return next(s for s in SAMPLE_LIST if s.file == file)


@pytest.fixture
def app(lite_model_path: Path, app_path: Path, test_variant: str) -> AppTest:
    at = AppTest.from_file(str(app_path), default_timeout=TIMEOUT_S)
    at.session_state[state.KEY_VARIANT] = test_variant
    return at.run()


def _text(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("markdown", "warning", "error", "info", "caption", "title", "header", "subheader"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    parts.extend(f"{m.label} {m.value}" for m in at.metric)
    return "\n".join(parts)


def test_app_opens_on_photo_page_without_loading_a_model(app: AppTest) -> None:
    assert not app.exception
    assert app.title[0].value == "Photo check"
    assert len(app.file_uploader) == 1
    assert app.file_uploader[0].accept_multiple_files
    assert {"jpg", "png", "heic"} <= {t.lstrip(".") for t in app.file_uploader[0].allowed_type}
    assert state.KEY_DETECTOR not in app.session_state  # nothing loaded until a photo


def test_sample_shows_result_card_with_pattern(app: AppTest) -> None:
    app.selectbox[0].set_value(_sample("increased_curve_side.jpg")).run()
    assert not app.exception
    text = _text(app)
    assert "Increased curve / anterior pelvic tilt" in text
    assert "±" in text
    assert "Confidence" in text
    assert "typical" in text  # reasons name the typical range
    [measures] = app.table  # every measure with its ±, in a table that wraps
    assert "± " in measures.value.iloc[0]["Value ± typical error"]
    assert any(b.label == "Keep in report" for b in app.button)
    assert len(app.expander) > 3  # tips + one expander per exercise


def test_keep_in_report_adds_an_entry(app: AppTest) -> None:
    app.selectbox[0].set_value(_sample("flattened_curve_side.jpg")).run()
    keep = next(b for b in app.button if b.label == "Keep in report")
    keep.click().run()
    session = app.session_state[state.KEY_SESSION]
    assert len(session.entries) == 1
    entry = session.entries[0]
    assert entry.source == "photo"
    assert entry.pattern == "flattened"
    assert entry.overlay_jpeg and entry.overlay_jpeg[:2] == b"\xff\xd8"
    assert any(b.label.startswith("Kept in report") and b.disabled for b in app.button)


def test_front_view_upload_shows_side_view_guidance(app: AppTest, samples_path: Path) -> None:
    data = (samples_path / "front_view.png").read_bytes()
    app.file_uploader[0].set_value(("me_front.png", data, "image/png")).run()
    assert not app.exception
    text = _text(app)
    assert "not a side view" in text
    assert "How to take a photo that works" in text
    assert "Camera at hip height" in text
    assert not any(b.label == "Keep in report" for b in app.button)


def test_unreadable_upload_shows_read_error_and_other_photos_carry_on(
    app: AppTest, samples_path: Path
) -> None:
    good = (samples_path / "neutral_side.jpg").read_bytes()
    app.file_uploader[0].set_value(
        [
            ("notes.jpg", b"this is a shopping list, not a photo", "image/jpeg"),
            ("side.jpg", good, "image/jpeg"),
        ]
    ).run()
    assert not app.exception
    assert any("notes.jpg" in e.value for e in app.error)
    assert "Neutral" in _text(app)


def test_unexpected_error_is_reported_without_traceback(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("internal detail")

    monkeypatch.setattr(photo_page, "analyze_photo", boom)
    app.selectbox[0].set_value(_sample("neutral_side.jpg")).run()
    assert not app.exception
    assert any("Something went wrong" in e.value for e in app.error)


def test_reruns_reuse_the_analysis(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = photo_page.analyze_photo

    def counting(data: bytes, name: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return real(data, name, *args, **kwargs)

    monkeypatch.setattr(photo_page, "analyze_photo", counting)
    app.selectbox[0].set_value(_sample("increased_curve_side.jpg")).run()
    app.run()
    next(b for b in app.button if b.label == "Keep in report").click().run()
    assert calls == ["increased_curve_side.jpg"]
