"""The real app in a subprocess and headless Chromium with a fake camera, without pytest.

Used by the end-to-end fixtures (``conftest.py``), the soak test, the app network audit and
``bench/soak_live.py``. Recipe: ../shared/LIVE.md. Chromium plays a ``.y4m`` made from a sample
picture as its webcam, runs with its own ``HOME`` and XDG folders, and is kept off the network
(``--host-resolver-rules``); Playwright drives the system Chromium (``/usr/bin/chromium``),
``playwright install`` is never needed.

Environment:
    POSTURE_CAM_CHROMIUM: the Chromium binary (default: ``/usr/bin/chromium``).
"""

from __future__ import annotations

import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
CAMERA_SAMPLE = SAMPLES / "increased_curve_side.jpg"
CAMERA_FALLBACK = REPO.parent / "shared" / "data" / "synth" / "dev" / "synth_000011000033.jpg"
CHROMIUM = os.environ.get("POSTURE_CAM_CHROMIUM", "/usr/bin/chromium")
SERVER_START_TIMEOUT_S = 90.0
WEBRTC_IFRAME = 'iframe[title="streamlit_webrtc.component.webrtc_streamer"]'
# The live panel's caption (posture_cam/ui/live_page.py).
LIVE_LINE = re.compile(r"Live rate: ([0-9.]+) frames/s · ([0-9.]+|nan) ms per frame")

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
    picture = CAMERA_SAMPLE if CAMERA_SAMPLE.is_file() else CAMERA_FALLBACK
    return write_y4m(letterbox_bgr(picture), path)


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
def chromium_context(root: Path, y4m: Path) -> Iterator[Any]:
    """A persistent headless Chromium context with the fake camera, its files under ``root``.

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
    flags = [*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={y4m}"]
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


def open_app(context: Any, url: str) -> Any:
    """A new tab (a new Streamlit session) on the app's start page."""
    page = context.new_page()
    page.set_default_timeout(30_000)
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


def read_live_line(page: Any, attempts: int = 4) -> tuple[float, float, str] | None:
    """Frame rate, ms per frame and the whole caption the live panel shows, or None.

    The panel re-renders every 0.5 s, so a read can miss; it is tried a few times.
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
            return float(m.group(1)), float(m.group(2)), text
    return None


# ------------------------------------------------------------------------------------ soak


@dataclass(frozen=True)
class SoakSample:
    """One reading of the soak: server memory and CPU, and what the live panel showed."""

    t_s: float
    rss_mb: float
    cpu_pct: float
    fps: float  # NaN when the panel showed no live rate (camera stopped or stalled)
    ms_per_frame: float
    frames: float  # frames processed since Start, estimated as the integral of the rate
    line: str
    # Server CPU time per frame processed since the previous reading (all its work: WebRTC,
    # pipeline, page). Unlike the wall-clock time per frame it hardly changes when other
    # processes take the CPU, so it tells work that grows from a machine that got busier.
    cpu_ms_per_frame: float = math.nan
    load: float = math.nan  # 1-minute load average


@dataclass
class SoakResult:
    samples: list[SoakSample]
    warmup_s: float
    load_start: str
    load_end: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def after_warmup(self) -> list[SoakSample]:
        return [s for s in self.samples if s.t_s >= self.warmup_s]

    @property
    def stalls(self) -> list[SoakSample]:
        """Samples with no live rate on the page, or a rate under 1 frame/s."""
        return [s for s in self.samples if not (s.fps >= 1.0)]

    @property
    def growth_mb(self) -> float:
        w = self.after_warmup
        return w[-1].rss_mb - w[0].rss_mb if len(w) >= 2 else math.nan

    @property
    def slope_mb_per_10min(self) -> float:
        """Least-squares slope of RSS over time after the warm-up."""
        w = self.after_warmup
        if len(w) < 3:
            return math.nan
        t = np.array([s.t_s for s in w])
        y = np.array([s.rss_mb for s in w])
        return float(np.polyfit(t, y, 1)[0] * 600.0)

    def _third(self, which: int) -> list[SoakSample]:
        w = [s for s in self.after_warmup if math.isfinite(s.ms_per_frame)]
        k = max(1, len(w) // 3)
        return w[:k] if which == 0 else w[-k:]

    def _third_median(self, which: int, attr: str) -> float:
        values = [getattr(s, attr) for s in self._third(which)]
        values = [v for v in values if math.isfinite(v)]
        return statistics.median(values) if values else math.nan

    @property
    def latency_first_ms(self) -> float:
        """Median per-frame time shown on the page, first third of the readings."""
        return self._third_median(0, "ms_per_frame")

    @property
    def latency_last_ms(self) -> float:
        return self._third_median(2, "ms_per_frame")

    @property
    def latency_ratio(self) -> float:
        return self.latency_last_ms / self.latency_first_ms

    @property
    def cpu_per_frame_ratio(self) -> float:
        """Server CPU ms per frame, last third against first third."""
        return self._third_median(2, "cpu_ms_per_frame") / self._third_median(0, "cpu_ms_per_frame")

    @property
    def load_first(self) -> float:
        return self._third_median(0, "load")

    @property
    def load_last(self) -> float:
        return self._third_median(2, "load")

    def latency_verdict(
        self, max_ratio: float = 1.5, max_cpu_ratio: float = 1.25
    ) -> tuple[bool, str]:
        """Whether the per-frame time grew, and the numbers that say so.

        It grew when the last third's median per-frame time on the page is more than
        ``max_ratio`` × the first third's, unless the server's CPU time per frame stayed
        within ``max_cpu_ratio`` (then the frames took longer because other processes took
        the CPU, not because each frame needed more work).
        """
        ratio, cpu = self.latency_ratio, self.cpu_per_frame_ratio
        text = (
            f"per-frame time {self.latency_first_ms:.1f} -> {self.latency_last_ms:.1f} ms "
            f"(x{ratio:.2f}), server CPU per frame x{cpu:.2f}, load average "
            f"{self.load_first:.2f} -> {self.load_last:.2f}"
        )
        if not math.isfinite(ratio):
            return True, "no per-frame time to compare: " + text
        if ratio <= max_ratio:
            return False, text
        if math.isfinite(cpu) and cpu <= max_cpu_ratio:
            return False, text + " (slower from other load, not more work per frame)"
        return True, text

    @property
    def median_fps(self) -> float:
        rates = [s.fps for s in self.after_warmup if math.isfinite(s.fps)]
        return statistics.median(rates) if rates else math.nan


SOAK_HEADER = (
    f"{'t (s)':>6} {'RSS MB':>8} {'ΔMB':>7} {'CPU %':>6} {'CPU ms/fr':>9} "
    f"{'frames/s':>8} {'ms/frame':>8} {'~frames':>8} {'load':>5}  page"
)


def soak_row(s: SoakSample, first_rss: float) -> str:
    return (
        f"{s.t_s:6.0f} {s.rss_mb:8.1f} {s.rss_mb - first_rss:+7.1f} {s.cpu_pct:6.0f} "
        f"{s.cpu_ms_per_frame:9.1f} {s.fps:8.1f} {s.ms_per_frame:8.1f} {s.frames:8.0f} "
        f"{s.load:5.2f}  {s.line[:60]}"
    )


def soak(
    page: Any,
    server: AppServer,
    duration_s: float,
    *,
    interval_s: float = 10.0,
    warmup_s: float = 20.0,
    on_sample: Callable[[SoakSample], None] | None = None,
) -> SoakResult:
    """Start the camera on Live check and sample every ``interval_s`` for ``duration_s``.

    Time 0 is the first time the live panel shows a frame rate of at least 1 frame/s after
    Start (the first frames include loading the model). Each sample reads the server's RSS
    and CPU (streamlit and its children) and the live panel's rate and per-frame time. The
    camera is stopped at the end.
    """
    result = SoakResult([], warmup_s, load_average())
    start_camera(page)
    deadline = time.monotonic() + 60.0
    while (first := read_live_line(page)) is None or first[0] < 1.0:
        if time.monotonic() > deadline:
            raise HarnessError(
                f"the live panel showed no frame rate within 60 s of Start:\n{server.log_tail()}"
            )
        page.wait_for_timeout(500)
    t0 = time.monotonic()
    frames = 0.0
    prev_t, prev_cpu, prev_fps = t0, cpu_seconds(server.pids), math.nan
    k = 0
    while True:
        reading = read_live_line(page)
        now = time.monotonic()
        pids = server.pids
        cpu = cpu_seconds(pids)
        fps, ms, line = reading if reading is not None else (math.nan, math.nan, "(no live rate)")
        rates = [r for r in (prev_fps, fps) if math.isfinite(r)]
        new_frames = statistics.fmean(rates) * (now - prev_t) if rates else 0.0
        frames += new_frames
        sample = SoakSample(
            t_s=now - t0,
            rss_mb=rss_mb(pids),
            cpu_pct=100.0 * (cpu - prev_cpu) / max(now - prev_t, 1e-6) if k else math.nan,
            fps=fps,
            ms_per_frame=ms,
            frames=frames,
            line=" ".join(line.split()),
            cpu_ms_per_frame=(
                1000.0 * (cpu - prev_cpu) / new_frames if k and new_frames >= 1.0 else math.nan
            ),
            load=os.getloadavg()[0],
        )
        result.samples.append(sample)
        if on_sample is not None:
            on_sample(sample)
        prev_t, prev_cpu, prev_fps = now, cpu, fps
        if server.process.poll() is not None:
            result.notes.append(f"the server exited with {server.process.returncode}")
            break
        if now - t0 >= duration_s - 0.5:
            break
        k += 1
        page.wait_for_timeout(max(0.0, (t0 + k * interval_s - time.monotonic()) * 1000))
    result.load_end = load_average()
    try:
        stop_camera(page)
    except Exception as exc:  # noqa: BLE001 - the numbers are in; report and go on
        result.notes.append(f"could not press Stop: {exc}")
    return result
