"""Fixtures for the end-to-end tests: the real app in a subprocess, headless Debian Chromium.

Recipe: ../shared/LIVE.md. Chromium plays a ``.y4m`` made here from a sample picture as its
webcam, runs with its own ``HOME`` and XDG folders under the test's temp dir, and is kept off
the network (``--host-resolver-rules``). Playwright drives the system Chromium
(``/usr/bin/chromium``); ``playwright install`` is never needed.

Environment:
    POSTURE_CAM_E2E_APP: the Streamlit script to serve (default: ``app.py`` of the repo);
        screenshots then go to a temp folder instead of ``docs/screenshots/``.
    POSTURE_CAM_CHROMIUM: the Chromium binary (default: ``/usr/bin/chromium``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
SCREENSHOTS = REPO / "docs" / "screenshots"
CAMERA_SAMPLE = SAMPLES / "increased_curve_side.jpg"
CAMERA_FALLBACK = REPO.parent / "shared" / "data" / "synth" / "dev" / "synth_000011000033.jpg"
CHROMIUM = os.environ.get("POSTURE_CAM_CHROMIUM", "/usr/bin/chromium")
SERVER_START_TIMEOUT_S = 90.0

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def letterbox_bgr(path: Path, width: int = 640, height: int = 480) -> np.ndarray:
    """The picture scaled to fit ``width`` × ``height`` on white (BGR)."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"cannot read the camera picture {path}")
    h, w = bgr.shape[:2]
    s = min(width / w, height / h)
    small = cv2.resize(bgr, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    canvas = np.full((height, width, 3), 255, np.uint8)
    y0, x0 = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    canvas[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    return canvas


def write_y4m(bgr: np.ndarray, path: Path) -> Path:
    """A one-frame YUV4MPEG2 file (Chromium loops it as a 30 fps webcam)."""
    h, w = bgr.shape[:2]
    if w % 2 or h % 2:
        raise ValueError(f"y4m needs an even width and height, got {w}×{h}")
    i420 = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        f.write(b"FRAME\n")
        f.write(i420.tobytes())
    return path


@dataclass(frozen=True)
class AppServer:
    url: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


@pytest.fixture(scope="session")
def screenshots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/screenshots/ for the real app; a temp folder when another script is served."""
    if os.environ.get("POSTURE_CAM_E2E_APP"):
        return tmp_path_factory.mktemp("screenshots")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """``streamlit run app.py`` on a free port of 127.0.0.1, until the session ends."""
    script = Path(os.environ.get("POSTURE_CAM_E2E_APP", REPO / "app.py"))
    if not script.is_file():
        pytest.fail(f"the app script is missing: {script}")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    env = dict(os.environ)
    env.pop("POSTURE_CAM_ICE_SERVERS", None)  # the default (no ICE servers) is under test
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = AppServer(f"http://127.0.0.1:{port}", log_path, proc)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start within {SERVER_START_TIMEOUT_S:.0f} s:\n"
                            f"{server.log_tail()}")
            time.sleep(0.3)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def camera_y4m(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fake webcam: a side-view sample letterboxed to 640 × 480."""
    picture = CAMERA_SAMPLE if CAMERA_SAMPLE.is_file() else CAMERA_FALLBACK
    return write_y4m(letterbox_bgr(picture), tmp_path_factory.mktemp("camera") / "side.y4m")


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory, camera_y4m: Path) -> Iterator[Any]:
    """A persistent headless Chromium context with the fake camera and its own HOME."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: `apt-get install -y chromium` "
                    "(never `playwright install`)")
    from playwright.sync_api import sync_playwright

    root = tmp_path_factory.mktemp("chromium")
    home = root / "home"
    for sub in ("home", "config", "cache", "profile", "downloads"):
        (root / sub).mkdir()
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
    }
    flags = [*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={camera_y4m}"]
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(root / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=flags,
            env=env,
            viewport={"width": 1400, "height": 1000},
            accept_downloads=True,
            downloads_path=str(root / "downloads"),
        )
        context.grant_permissions(["camera"])
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture()
def page(browser_context: Any, app_server: AppServer) -> Iterator[Any]:
    """A fresh tab (a fresh Streamlit session) on the app's start page."""
    pg = browser_context.new_page()
    pg.set_default_timeout(30_000)
    pg.goto(app_server.url, wait_until="domcontentloaded")
    pg.get_by_test_id("stApp").wait_for(state="visible", timeout=60_000)
    try:
        yield pg
    finally:
        pg.close()
