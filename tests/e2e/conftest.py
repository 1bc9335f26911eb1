"""Fixtures for the end-to-end tests: the real app in a subprocess, headless Debian Chromium.

Recipe: ../shared/LIVE.md; the machinery (server, browser, fake camera) is in ``harness.py``,
which ``bench/soak_live.py`` uses too. Chromium plays a ``.y4m`` made here from a sample
picture as its webcam, runs with its own ``HOME`` and XDG folders under the test's temp dir,
and is kept off the network (``--host-resolver-rules``). Playwright drives the system
Chromium (``/usr/bin/chromium``); ``playwright install`` is never needed.

Environment:
    POSTURE_CAM_E2E_APP: the Streamlit script to serve (default: ``app.py`` of the repo).
    POSTURE_CAM_CHROMIUM: the Chromium binary (default: ``/usr/bin/chromium``).

The tests take no screenshots: the README's come from ``python bench/screenshots.py``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from posture_cam.history.store import ENV_DATA_DIR
from tests.e2e import harness
from tests.e2e.harness import AppServer

REPO = harness.REPO


def app_script() -> Path:
    return Path(os.environ.get("POSTURE_CAM_E2E_APP", REPO / "app.py"))


@pytest.fixture(scope="session")
def app_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served app's data folder (its history file): a temp folder, never the user's."""
    return tmp_path_factory.mktemp("app_data")


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory, app_data_dir: Path) -> Iterator[AppServer]:
    """``streamlit run app.py`` on a free port of 127.0.0.1, until the session ends."""
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    try:
        with harness.app_server(
            log_path, script=app_script(), env={ENV_DATA_DIR: str(app_data_dir)}
        ) as server:
            yield server
    except harness.HarnessError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def camera_y4m(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fake webcam: a side-view sample letterboxed to 640 × 480."""
    return harness.camera_y4m(tmp_path_factory.mktemp("camera") / "side.y4m")


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Any]:
    """The session's one sync Playwright: every browser of the tests is launched from it
    (a second one in the same thread is refused while the first runs)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser_context(
    tmp_path_factory: pytest.TempPathFactory, camera_y4m: Path, playwright_session: Any
) -> Iterator[Any]:
    """A persistent headless Chromium context with the fake camera and its own HOME."""
    root = tmp_path_factory.mktemp("chromium")
    try:
        with harness.chromium_context(root, camera_y4m, playwright_session) as context:
            yield context
    except harness.HarnessError as exc:
        pytest.fail(str(exc))
    finally:
        shutil.rmtree(root / "home", ignore_errors=True)


@pytest.fixture()
def page(browser_context: Any, app_server: AppServer) -> Iterator[Any]:
    """A fresh tab (a fresh Streamlit session) on the app's start page."""
    pg = harness.open_app(browser_context, app_server.url)
    try:
        yield pg
    finally:
        pg.close()
