"""History wired into the app: "Save to history" on the Photo and Live pages, the report.

Each test has its own empty data folder (``history_dir`` in conftest.py). The History page
itself is tested in test_history_page.py; AppTest cannot open a page of ``st.navigation``
by itself in Streamlit 1.67, so the page functions are driven directly.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from posture_cam.history.store import HISTORY_FILE, HistoryStore
from posture_cam.live.processor import LiveProcessor
from posture_cam.report.session import Session
from posture_cam.ui import live_page, photo_page, report_page, state, webrtc
from tests.records import make_record

TIMEOUT_S = 60
ReportApp = Callable[[Session], AppTest]
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
# Three baseline days, one within noise, then a clear anterior shift of the pelvis.
DAYS = [(9.0, 31.0), (10.0, 30.0), (11.0, 29.0), (10.8, 30.4), (20.0, 30.5)]


def _fill_history(path: Path, days: list[tuple[float, float]] = DAYS) -> list[int]:
    with HistoryStore(path) as store:
        return [
            store.add(
                make_record(t, lo), source="photo", variant="full", when=T0 + timedelta(days=2 * k)
            )
            for k, (t, lo) in enumerate(days)
        ]


def _checks(history_dir: Path) -> list[Any]:
    with HistoryStore(history_dir / HISTORY_FILE) as store:
        return store.list()


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", "\n".join(p.extract_text() or "" for p in reader.pages))


def _path_of(at: AppTest, key: str) -> tuple[int, ...] | None:
    """Where the widget with ``key`` sits in the element tree (indices from the root)."""

    def walk(node: Any, path: tuple[int, ...]) -> tuple[int, ...] | None:
        if getattr(node, "key", None) == key:
            return path
        for idx, child in getattr(node, "children", {}).items():
            found = walk(child, (*path, idx))
            if found is not None:
                return found
        return None

    return walk(at._tree, ())


# ------------------------------------------------------------------------------ photo page


@pytest.fixture
def photo_app(lite_model_path: Path, app_path: Path, test_variant: str) -> AppTest:
    at = AppTest.from_file(str(app_path), default_timeout=TIMEOUT_S)
    at.session_state[state.KEY_VARIANT] = test_variant
    at.run()
    sample = next(s for s in photo_page.SAMPLES if s.file == "increased_curve_side.jpg")
    return at.selectbox[0].set_value(sample).run()


def _hist_key(at: AppTest) -> str:
    [save] = [
        b for b in at.button if b.key and b.key.startswith("hist_") and b.key.endswith("_save")
    ]
    return str(save.key).removesuffix("_save")


def test_photo_page_saves_numbers_only_to_history(photo_app: AppTest, history_dir: Path) -> None:
    at = photo_app
    assert not at.exception
    assert any(b.label == "Keep in report" for b in at.button)
    key = _hist_key(at)
    assert key.startswith("hist_lite:")
    assert at.checkbox(key=f"{key}_picture").value is False  # the picture is opt-in
    assert not history_dir.exists()  # nothing written before the button is pressed

    at.text_input(key=f"{key}_label").input("morning")
    at.button(key=f"{key}_save").click().run()
    assert not at.exception
    [check] = _checks(history_dir)
    assert (check.source, check.variant, check.label) == ("photo", "lite", "morning")
    assert check.pattern == "increased" and check.good
    assert not check.has_image
    done = at.button(key=f"{key}_done")
    assert done.disabled and done.label == f"Saved to history (#{check.id})"
    assert any(b.label == "Keep in report" for b in at.button)  # still offered beside it

    at.run()  # a rerun neither saves again nor forgets
    assert len(_checks(history_dir)) == 1
    assert at.button(key=f"{key}_done").disabled


def test_photo_page_keeps_the_picture_only_when_ticked(
    photo_app: AppTest, history_dir: Path
) -> None:
    at = photo_app
    key = _hist_key(at)
    at.checkbox(key=f"{key}_picture").check().run()
    at.button(key=f"{key}_save").click().run()
    assert not at.exception
    [check] = _checks(history_dir)
    assert check.has_image
    with HistoryStore(history_dir / HISTORY_FILE) as store:
        image = store.get_image(check.id)
    assert image is not None and image[:3] == b"\xff\xd8\xff"


def test_the_same_picture_twice_gets_two_save_controls(
    photo_app: AppTest, samples_path: Path
) -> None:
    at = photo_app
    data = (samples_path / "increased_curve_side.jpg").read_bytes()
    at.file_uploader[0].set_value(("me.jpg", data, "image/jpeg")).run()
    assert not at.exception
    saves = [
        b.key for b in at.button if b.key and b.key.startswith("hist_") and b.key.endswith("_save")
    ]
    assert len(saves) == 2 and len(set(saves)) == 2


def test_unmeasurable_photo_offers_no_save(
    lite_model_path: Path, app_path: Path, test_variant: str, history_dir: Path
) -> None:
    at = AppTest.from_file(str(app_path), default_timeout=TIMEOUT_S)
    at.session_state[state.KEY_VARIANT] = test_variant
    at.run()
    sample = next(s for s in photo_page.SAMPLES if s.file == "front_view.png")
    at.selectbox[0].set_value(sample).run()
    assert not at.exception
    assert not [b for b in at.button if b.key and b.key.startswith("hist_")]
    assert not history_dir.exists()


# ------------------------------------------------------------------------------- live page


def _live_app() -> None:
    from posture_cam.ui.live_page import render_live_page

    render_live_page()


def test_live_page_saves_the_kept_result_to_history(
    monkeypatch: pytest.MonkeyPatch,
    steady_processor: LiveProcessor,
    history_dir: Path,
    test_variant: str,
) -> None:
    monkeypatch.setattr("streamlit_webrtc.component.get_this_session_info", lambda: None)
    monkeypatch.delenv(webrtc.ENV_ICE_SERVERS, raising=False)
    at = AppTest.from_function(_live_app, default_timeout=TIMEOUT_S)
    at.session_state[state.KEY_VARIANT] = test_variant
    at.run()
    at.session_state[state.KEY_LIVE_PROCESSOR] = steady_processor
    at.run()
    assert not at.exception
    assert not [b for b in at.button if b.key and b.key.startswith("hist_")]  # keep first

    next(b for b in at.button if b.label == "Keep this result").click().run()
    assert not at.exception
    [entry] = at.session_state[state.KEY_SESSION].entries
    assert at.session_state[state.KEY_LIVE_LAST_KEPT_ID] == entry.entry_id
    key = f"hist_{entry.entry_id}"
    at.text_input(key=f"{key}_label").input("after stretching")
    where = _path_of(at, f"{key}_save")
    assert where is not None

    # The panel re-runs on its own and what it shows above the buttons changes (here: the
    # camera stops); the control keeps its place and what was typed into it.
    monkeypatch.setattr(live_page, "STALE_AFTER_S", -1.0)
    at.run()
    assert not at.exception
    assert any("camera is stopped" in str(i.value) for i in at.info)
    assert _path_of(at, f"{key}_save") == where
    assert at.text_input(key=f"{key}_label").value == "after stretching"
    assert not history_dir.exists()

    at.button(key=f"{key}_save").click().run()
    assert not at.exception
    [check] = _checks(history_dir)
    assert (check.source, check.variant, check.label) == ("live", "lite", "after stretching")
    assert check.pattern == "increased" and not check.has_image
    assert check.record.live_frames is not None and check.record.live_frames > 0
    assert at.button(key=f"{key}_done").disabled


def test_live_snapshot_can_be_saved_as_a_photo_check(
    monkeypatch: pytest.MonkeyPatch,
    lite_model_path: Path,
    side_view_frame: np.ndarray,
    history_dir: Path,
    test_variant: str,
) -> None:
    monkeypatch.setattr("streamlit_webrtc.component.get_this_session_info", lambda: None)
    at = AppTest.from_function(_live_app, default_timeout=TIMEOUT_S)
    at.session_state[state.KEY_VARIANT] = test_variant
    at.run()
    at.radio(key=state.KEY_LIVE_MODE).set_value(live_page.MODE_SNAPSHOT).run()
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(side_view_frame, cv2.COLOR_RGB2BGR))
    assert ok
    at.camera_input[0].set_value(("shot.jpg", jpeg.tobytes(), "image/jpeg")).run()
    assert not at.exception
    [save] = [b for b in at.button if b.key and re.fullmatch(r"hist_.*_save", str(b.key))]
    save.click().run()
    assert not at.exception
    [check] = _checks(history_dir)
    assert (check.source, check.variant, check.has_image) == ("photo", "lite", False)


# ---------------------------------------------------------------------------------- report


def _report_pdf(at: AppTest) -> bytes:
    return bytes(at.session_state[state.KEY_REPORT_PDF][1])


def test_viewing_the_report_creates_no_history_file(
    kept_session: Session, history_dir: Path, report_app: ReportApp
) -> None:
    for session in (kept_session, Session()):
        at = report_app(session)
        assert not at.exception
        assert not any(s.value == "Your history" for s in at.subheader)
    assert not history_dir.exists()
    assert "Your history" not in _pdf_text(_report_pdf(report_app(kept_session)))


def test_report_shows_the_history_and_puts_it_in_the_pdf(
    kept_session: Session, history_dir: Path, report_app: ReportApp
) -> None:
    ids = _fill_history(history_dir / HISTORY_FILE)
    at = report_app(kept_session)
    assert not at.exception
    assert any(s.value == "Your history" for s in at.subheader)
    text = "\n".join(str(m.value) for m in at.markdown)
    assert "5 saved checks" in text
    assert "median of the first 3 good checks" in text
    assert f"Latest check (#{ids[-1]})" in text
    assert "real change" in text and "more anterior tilt" in text and "within noise" in text
    assert [b.label for b in at.download_button] == ["PDF report", "JSON data", "CSV table"]
    pdf = _pdf_text(_report_pdf(at))
    assert "Your history" in pdf and "real change" in pdf
    assert "Increased curve / anterior pelvic tilt" in pdf  # the kept result is still there
    assert len(_checks(history_dir)) == 5  # reading changed nothing


def test_report_with_only_a_history_offers_its_pdf(
    history_dir: Path, report_app: ReportApp
) -> None:
    _fill_history(history_dir / HISTORY_FILE)
    at = report_app(Session())
    assert not at.exception
    assert "Nothing kept yet" in at.info[0].value
    assert any(s.value == "Your history" for s in at.subheader)
    assert [b.label for b in at.download_button] == ["PDF report"]
    assert "real change" in _pdf_text(_report_pdf(at))


def test_report_survives_an_unreadable_history(
    kept_session: Session, history_dir: Path, report_app: ReportApp
) -> None:
    history_dir.mkdir()
    (history_dir / HISTORY_FILE).write_bytes(b"not a database, just some bytes" * 100)
    at = report_app(kept_session)
    assert not at.exception
    assert any("could not be read" in w.value for w in at.warning)
    assert [b.label for b in at.download_button] == ["PDF report", "JSON data", "CSV table"]


def test_summary_markdown_before_a_baseline(history_dir: Path) -> None:
    _fill_history(history_dir / HISTORY_FILE, DAYS[:1])
    trend = report_page.load_history_trend()
    assert trend is not None
    lines = report_page.history_summary_markdown(trend)
    assert lines[0].startswith("1 saved check,")
    assert "2 more good checks needed" in lines[1]
