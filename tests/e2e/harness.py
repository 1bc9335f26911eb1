"""The real app in a subprocess and headless Chromium with a fake camera, without pytest.

Used by the end-to-end fixtures (``conftest.py``), the soak (``soak.py``), the app network
audit, ``bench/soak_live.py`` and ``bench/screenshots.py``. Recipe: ../shared/LIVE.md.
Chromium plays a ``.y4m`` made from a sample picture as its webcam, runs with its own
``HOME`` and XDG folders, and is kept off the network (``--host-resolver-rules``);
Playwright drives the system Chromium (``/usr/bin/chromium``), ``playwright install`` is
never needed.

Environment:
    POSTURE_CAM_CHROMIUM: the Chromium binary (default: ``/usr/bin/chromium``).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import cv2
import numpy as np

if TYPE_CHECKING:
    from posture_cam.report.record import ResultRecord

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
CAMERA_SAMPLE = SAMPLES / "increased_curve_side.jpg"
CHROMIUM = os.environ.get("POSTURE_CAM_CHROMIUM", "/usr/bin/chromium")
SERVER_START_TIMEOUT_S = 90.0
WEBRTC_IFRAME = 'iframe[title="streamlit_webrtc.component.webrtc_streamer"]'
# The live panel's caption (posture_cam/ui/live_page.py).
LIVE_LINE = re.compile(
    r"Video: ([0-9.]+) frames/s · analysis: ([0-9.]+) frames/s, ([0-9.]+|nan) ms per frame"
    r" · .*?([0-9]+) frames analysed"
)

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


class HarnessError(RuntimeError):
    """The server or the browser could not be started."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def letterbox_bgr(path: Path, width: int = 640, height: int = 480) -> np.ndarray:
    """The picture scaled to fit ``width`` × ``height`` on white (BGR)."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"cannot read the camera picture {path}")
    return letterbox_array(bgr, width, height)


def letterbox_array(bgr: np.ndarray, width: int = 640, height: int = 480) -> np.ndarray:
    """:func:`letterbox_bgr` for a picture already in memory (a video's frames)."""
    h, w = bgr.shape[:2]
    s = min(width / w, height / h)
    small = cv2.resize(bgr, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    canvas = np.full((height, width, 3), 255, np.uint8)
    y0, x0 = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    canvas[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
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


def camera_y4m(path: Path) -> Path:
    """The fake webcam: a side-view sample letterboxed to 640 × 480, written to ``path``."""
    return write_y4m(letterbox_bgr(CAMERA_SAMPLE), path)


# ------------------------------------------------------------------------------- processes


def child_pids(pid: int) -> list[int]:
    """``pid``'s descendants (from /proc; empty when it has exited)."""
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                kids = Path(f"/proc/{p}/task/{tid}/children").read_text().split()
            except OSError:
                continue
            for k in map(int, kids):
                if k not in out:
                    out.append(k)
                    todo.append(k)
    return out


def rss_mb(pids: Sequence[int]) -> float:
    """Resident memory (VmRSS) of these processes together, in MB (10⁶ bytes)."""
    total_kb = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    break
        except (OSError, ValueError):
            continue
    return total_kb * 1024 / 1e6


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time these processes have used, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            continue
    return total / tick


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# ---------------------------------------------------------------------------------- server


@dataclass(frozen=True)
class AppServer:
    url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    traced: bool = False

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    @property
    def pids(self) -> list[int]:
        """The server's processes: streamlit and its children (without strace, if traced)."""
        kids = child_pids(self.process.pid)
        return kids if self.traced else [self.process.pid, *kids]


def streamlit_command(script: Path, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]


@contextmanager
def app_server(
    log_path: Path,
    *,
    script: Path | None = None,
    prefix: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout_s: float = SERVER_START_TIMEOUT_S,
) -> Iterator[AppServer]:
    """``streamlit run app.py`` on a free port of 127.0.0.1, stopped on exit.

    Args:
        log_path: where the server's output goes.
        script: the Streamlit script (default: the repo's ``app.py``).
        prefix: a command the server runs under, e.g. ``strace -f -o LOG`` (it must run
            the rest of the command line as its child).
        env: extra environment variables.

    Raises:
        HarnessError: the server exited or did not answer its health check in time.
    """
    script = script or REPO / "app.py"
    if not script.is_file():
        raise HarnessError(f"the app script is missing: {script}")
    port = free_port()
    run_env = dict(os.environ)
    run_env.pop("POSTURE_CAM_ICE_SERVERS", None)  # the default (no ICE servers) is under test
    run_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), run_env.get("PYTHONPATH")]))
    run_env.update(env or {})
    cmd = [*prefix, *streamlit_command(script, port)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=run_env, stdout=log, stderr=subprocess.STDOUT)
    server = AppServer(f"http://127.0.0.1:{port}", log_path, proc, traced=bool(prefix))
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise HarnessError(f"streamlit exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise HarnessError(
                    f"streamlit did not start within {timeout_s:.0f} s:\n{server.log_tail()}"
                )
            time.sleep(0.3)
        yield server
    finally:
        stop_server(server)


def stop_server(server: AppServer, timeout_s: float = 15.0) -> None:
    """SIGTERM to streamlit (the traced child under a prefix), then wait; SIGKILL if stuck."""
    proc = server.process
    if proc.poll() is not None:
        return
    targets = child_pids(proc.pid)[:1] if server.traced else [proc.pid]
    for pid in targets or [proc.pid]:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        for pid in [*child_pids(proc.pid), proc.pid]:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=timeout_s)


# --------------------------------------------------------------------------------- browser


@contextmanager
def chromium_context(root: Path, y4m: Path, playwright: Any | None = None) -> Iterator[Any]:
    """A persistent headless Chromium context with the fake camera, its files under ``root``.

    ``playwright``: a running ``sync_playwright()``; without one, one is started for this
    context. Tests pass the session's own: a second sync Playwright in the same thread is
    refused while the first runs.

    Raises:
        HarnessError: Chromium is not installed.
    """
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        raise HarnessError(
            f"Chromium not found at {CHROMIUM}: `apt-get install -y chromium` "
            "(never `playwright install`)"
        )
    from playwright.sync_api import sync_playwright

    for sub in ("home", "config", "cache", "profile", "downloads"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    env = {
        "HOME": str(root / "home"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
    }
    if playwright is None:
        with sync_playwright() as p, chromium_context(root, y4m, p) as context:
            yield context
        return
    flags = [*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={y4m}"]
    context = playwright.chromium.launch_persistent_context(
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


def open_app(context: Any, url: str, viewport: tuple[int, int] | None = None) -> Any:
    """A new tab (a new Streamlit session) on the app's start page.

    ``viewport`` (width, height) is set before the app loads: the app then lays itself out
    for that screen from the start (on a phone width the sidebar starts folded away), as
    it would on that device, instead of re-flowing from the context's default size.
    """
    page = context.new_page()
    page.set_default_timeout(30_000)
    if viewport is not None:
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_test_id("stApp").wait_for(state="visible", timeout=60_000)
    return page


def open_page(page: Any, title: str, timeout_s: float = 30.0) -> None:
    """Click the sidebar link of a page and wait for its title.

    A click can be lost when it lands while the current page reruns (e.g. just after the
    camera's Stop), leaving the browser on the old page: then it is clicked again.
    """
    from playwright.sync_api import expect

    link = page.get_by_test_id("stSidebarNavLink").filter(has_text=title).first
    heading = page.get_by_test_id("stHeading").filter(has_text=title).first
    tries = 3
    for i in range(tries):
        link.click()
        try:
            expect(heading).to_be_visible(timeout=timeout_s * 1000 / tries)
            return
        except AssertionError:
            if i == tries - 1:
                raise


def start_camera(page: Any) -> None:
    """Open Live check and press the WebRTC component's Start button."""
    open_page(page, "Live check")
    page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="Start").click(timeout=60_000)


def stop_camera(page: Any) -> None:
    """Press Stop and wait until the component offers Start again."""
    frame = page.frame_locator(WEBRTC_IFRAME)
    frame.get_by_role("button", name="Stop").click(timeout=30_000)
    frame.get_by_role("button", name="Start").wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(500)  # let the rerun that Stop triggers finish


class LiveReading(NamedTuple):
    """What the live panel's caption says: the analysis rate, its time per frame, frames
    analysed since the start, and the video's rate."""

    fps: float
    ms_per_frame: float
    frames: int
    line: str
    video_fps: float


def read_live_line(page: Any, attempts: int = 4) -> LiveReading | None:
    """The live panel's caption, read, or None when it shows none (camera stopped).

    The panel re-renders every second, so a read can miss; it is tried a few times.
    """
    from playwright.sync_api import Error as PlaywrightError

    for _ in range(attempts):
        try:
            text = page.get_by_text(LIVE_LINE).first.inner_text(timeout=1_000)
        except PlaywrightError:
            page.wait_for_timeout(300)
            continue
        m = LIVE_LINE.search(text)
        if m:
            return LiveReading(
                float(m.group(2)), float(m.group(3)), int(m.group(4)), text, float(m.group(1))
            )
    return None


def video_time_s(page: Any) -> float:
    """Where the live video element in the WebRTC component is (seconds played)."""
    video = page.frame_locator(WEBRTC_IFRAME).locator("video").first
    return float(video.evaluate("v => v.currentTime"))


# --------------------------------------------------------------------------------- history

# Four weekly checks of the samples: three neutral ones make the baseline, then the
# increased-curve sample is a real change.
HISTORY_T0 = datetime(2026, 9, 1, 8, 30, tzinfo=UTC)
HISTORY_SAMPLES = (
    "neutral_side.jpg",
    "neutral_side.jpg",
    "neutral_side.jpg",
    "increased_curve_side.jpg",
)


def fill_history(path: Path) -> list[ResultRecord]:
    """A history file at ``path`` with :data:`HISTORY_SAMPLES`, one a week, measured by the
    real pipeline with the lite model from the local cache (emptied first).

    Raises:
        posture_cam.pose.models.ModelUnavailableError: the lite model is not cached.
    """
    from posture_cam.history.store import HistoryStore
    from posture_cam.pipeline import analyze_file
    from posture_cam.pose.detect import DetectorOptions, PoseDetector
    from posture_cam.pose.models import resolve_model
    from posture_cam.report.record import photo_record

    model = resolve_model("lite", allow_network=False)
    records = []
    with (
        PoseDetector(DetectorOptions(model.path, variant="lite")) as det,
        HistoryStore(path) as store,
    ):
        store.delete_all()
        for k, name in enumerate(HISTORY_SAMPLES):
            record = photo_record(analyze_file(SAMPLES / name, det), "lite")
            store.add(
                record,
                source="photo",
                variant="lite",
                when=HISTORY_T0 + timedelta(days=7 * k),
                label=f"week {k + 1}",
            )
            records.append(record)
    return records
