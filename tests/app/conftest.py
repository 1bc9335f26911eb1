"""Fixtures for the Streamlit app tests: the lite pose model, samples and a kept result.

The tests run offline: they use the pose model already in the local cache and skip (with
the reason) when it is not there. Every test gets its own (not yet existing) data folder
through ``$POSTURE_CAM_DATA_DIR``, so no test reads or writes the user's own history.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from posture_cam.history.store import ENV_DATA_DIR
from posture_cam.live.detectors import video_detector_factory
from posture_cam.live.processor import LiveProcessor
from posture_cam.pose.detect import DetectorOptions, PoseDetector
from posture_cam.pose.models import ModelUnavailableError, resolve_model
from posture_cam.pose.native_log import ENV_NATIVE_LOG
from posture_cam.report.session import Session, SessionEntry
from posture_cam.ui import state
from posture_cam.ui.photo_page import PhotoResult, analyze_photo
from tests.e2e.harness import letterbox_bgr

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
SAMPLES = ROOT / "samples"
TEST_VARIANT = "lite"  # the fast model; the app's default is "full"


@pytest.fixture(autouse=True)
def _native_log_unfiltered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app script runs inside pytest here: its stderr filter would take pytest's own
    capture of descriptor 2 (tests/unit/test_native_log.py tests the filter)."""
    monkeypatch.setenv(ENV_NATIVE_LOG, "1")


@pytest.fixture(autouse=True)
def history_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's data folder (``$POSTURE_CAM_DATA_DIR``); not created until a save."""
    folder = tmp_path / "posture_cam_data"
    monkeypatch.setenv(ENV_DATA_DIR, str(folder))
    return folder


@pytest.fixture(scope="session")
def app_path() -> Path:
    return APP


@pytest.fixture(scope="session")
def samples_path() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def test_variant() -> str:
    return TEST_VARIANT


@pytest.fixture(scope="session")
def lite_model_path() -> Path:
    try:
        return resolve_model(TEST_VARIANT, allow_network=False).path
    except ModelUnavailableError as exc:
        pytest.skip(f"the {TEST_VARIANT} pose model is not cached: {exc}")


@pytest.fixture(scope="session")
def lite_detector(lite_model_path: Path) -> Iterator[PoseDetector]:
    with PoseDetector(DetectorOptions(lite_model_path, variant=TEST_VARIANT)) as det:
        yield det


@pytest.fixture(scope="session")
def increased_result(lite_detector: PoseDetector) -> PhotoResult:
    name = "increased_curve_side.jpg"
    return analyze_photo((SAMPLES / name).read_bytes(), name, lite_detector)


@pytest.fixture(scope="session")
def front_result(lite_detector: PoseDetector) -> PhotoResult:
    name = "front_view.png"
    return analyze_photo((SAMPLES / name).read_bytes(), name, lite_detector)


@pytest.fixture
def kept_session(increased_result: PhotoResult) -> Session:
    session = Session()
    session.add(
        SessionEntry(
            record=increased_result.record,
            source="photo",
            overlay_jpeg=increased_result.overlay_jpeg,
        )
    )
    return session


@pytest.fixture(scope="session")
def side_view_frame() -> np.ndarray:
    """The side-view sample as a 640 × 480 RGB camera frame."""
    return cv2.cvtColor(letterbox_bgr(SAMPLES / "increased_curve_side.jpg"), cv2.COLOR_BGR2RGB)


@pytest.fixture
def steady_processor(lite_model_path: Path, side_view_frame: np.ndarray) -> Iterator[LiveProcessor]:
    """A lite live processor that has reached a steady result on the side view.

    Its clock moves on 10 ms each time it is read, whatever the machine's speed: the page
    judges a stopped camera by the processor's clock, so the result stays "live" however
    long the test takes.
    """
    ticks = itertools.count()
    proc = LiveProcessor(video_detector_factory("lite"), "lite", clock=lambda: next(ticks) / 100)
    try:
        for i in range(90):
            proc.process(side_view_frame, i * 33.3)
            if proc.state.steady and i > 30:
                break
        assert proc.state.steady
        yield proc
    finally:
        proc.close()


def _report_script() -> None:
    from posture_cam.ui.report_page import render_report_page

    render_report_page()


@pytest.fixture
def report_app() -> Callable[[Session], AppTest]:
    """Runs the Report page for a session that already holds what it holds."""

    def run(session: Session) -> AppTest:
        at = AppTest.from_function(_report_script, default_timeout=30)
        at.session_state[state.KEY_SESSION] = session
        return at.run()

    return run
