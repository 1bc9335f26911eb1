"""The pelvic-tilt range check end to end: headless Chromium, a fake camera, the PDF.

The fake webcam plays one body rendered at four set pelvic tilts (``tests/data/guided``),
each shown for as long as the check's step asks: relaxed, tipped forward, tucked under,
relaxed again. The test follows the prompts on the Live page to the result card, keeps it
and finds its section in the downloaded PDF. Its own browser (its camera differs from the
other end-to-end tests'); the app server is the suite's.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import pytest
from playwright.sync_api import expect

from posture_cam.live.guided import STEPS
from tests.e2e import harness
from tests.e2e.harness import WEBRTC_IFRAME, AppServer, letterbox_bgr, open_page
from tests.e2e.test_app_e2e import pdf_text

DATA = harness.REPO / "tests" / "data" / "guided"
FPS = 6
# The check's steps (5 s to get into place, then 5 + 6 + 6 + 6 s of holds) with the
# relaxed picture on both ends: the file loops, and the prompts start with the first frame.
SCRIPT = (
    ("range_t6.jpg", 10.0),
    ("range_t22.jpg", 6.0),
    ("range_t-2.jpg", 6.0),
    ("range_t6.jpg", 12.0),
)
RESULT_TIMEOUT_MS = 150_000


def _material() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_material", harness.REPO / "bench" / "check_material.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_material"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def range_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert sum(s.seconds for s in STEPS["pelvic_tilt_range"]) <= sum(t for _, t in SCRIPT)
    frames = []
    for name, seconds in SCRIPT:
        rgb = cv2.cvtColor(letterbox_bgr(DATA / name), cv2.COLOR_BGR2RGB)
        frames.extend([rgb] * round(seconds * FPS))
    path = tmp_path_factory.mktemp("range_camera") / "range.y4m"
    return _material().write_y4m(frames, FPS, path)


@pytest.fixture(scope="module")
def range_page(
    tmp_path_factory: pytest.TempPathFactory, range_camera: Path, app_server: AppServer
) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("chromium_range")
    try:
        with harness.chromium_context(root, range_camera) as context:
            page = harness.open_app(context, app_server.url)
            yield page
            page.close()
    except harness.HarnessError as exc:
        pytest.fail(str(exc))
    finally:
        shutil.rmtree(root / "home", ignore_errors=True)


def test_range_check_follows_the_prompts_to_the_result_and_the_pdf(
    range_page: Any, tmp_path: Path
) -> None:
    page = range_page
    open_page(page, "Live check")
    page.get_by_text("Pelvic-tilt range", exact=True).click()
    expect(
        page.get_by_text("Stand side-on to the camera, whole body in view").first
    ).to_be_visible()
    page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="Start").click(timeout=60_000)

    # The steps, one after the other, with their countdown.
    expect(page.get_by_text("s left)").first).to_be_visible(timeout=60_000)
    keep = page.get_by_role("button", name="Keep in report")
    expect(keep).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    expect(
        page.get_by_test_id("stMetric").filter(has_text="Whole tilt range").first
    ).to_contain_text("±")
    keep.click()
    expect(page.get_by_role("button", name="Kept in report")).to_be_visible(timeout=15_000)
    page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="Stop").click(timeout=30_000)

    open_page(page, "Report")
    pdf_button = page.get_by_test_id("stDownloadButton").filter(has_text="PDF").first
    with page.expect_download(timeout=60_000) as download_info:
        pdf_button.click()
    target = tmp_path / "report.pdf"
    download_info.value.save_as(str(target))
    text = pdf_text(target.read_bytes())
    assert "Guided checks" in text and "Pelvic-tilt range" in text
    assert "Whole tilt range" in text and "From live camera" in text
    assert "Levine" in text
