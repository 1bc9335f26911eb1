"""Live speed through the real browser path: three arms in one run, and glass-to-glass latency.

    python bench/live_browser.py [--seconds 30] [--warmup 15] [--rounds 1]
                                 [--arms passthrough bare live]

Each arm is a Streamlit server on 127.0.0.1 and headless Chromium whose fake camera plays a
``.y4m`` at 640 × 480, 30 frames/s: the side-view sample the end-to-end tests use, with a frame
counter in its top-right corner (8 bits as 16 × 16 px black or white blocks, their complements
in a second row so that a misread is caught; 150 frames, looped). The arms differ only in
what the WebRTC frame callback does (``bench/live_arms_app.py`` for the first two):

* ``passthrough``: nothing, the frame goes back as it came: what the browser path (VP8 decode
  and encode in the server, aiortc, Chromium) costs and delivers by itself;
* ``bare``: MediaPipe lite in VIDEO mode on every frame the callback gets (the Live page's
  tracker: one pose, with its mask), nothing drawn or measured;
* ``live``: the app's Live check page (``app.py``), lite model.

What is measured, per arm, over ``--seconds`` after ``--warmup`` seconds of streaming:

* **frames/s delivered**: distinct camera frames the page's ``<video>`` showed (the counter
  read back from every presented frame with ``requestVideoFrameCallback``), per second. A
  frame re-sent because the callback had nothing new counts once: what the person sees move;
* **frames/s analysed**: frames through the bare callback, or the Live page's "frames
  analysed" count, per second (from the page's caption);
* **server CPU**: CPU time of the Streamlit server (and children) per delivered frame, and
  in % of one core;
* **where frames go in the browser** (to tell the browser path from the server): Chromium's
  own WebRTC counters for the camera's stream it encodes and sends and for the returned
  video it receives, decodes and drops (with its decode time and the time frames wait in
  its jitter buffer, which grows when the server's frames come unevenly); how many of the
  frames the ``<video>`` presented repeated the camera frame before (sent again by the
  server) and how many it decoded but replaced before showing them; and the CPU of
  Chromium's processes by type (renderer, GPU, ...), in % of one core;
* **glass-to-glass latency**: for each frame shown, the time from when the browser's camera
  track handed the frame out (read on a clone of the track with ``MediaStreamTrackProcessor``,
  as soon as the camera produced it) to when the ``<video>`` presented it; median and p95.
  The camera's own exposure and the screen's refresh are not in it (a fake camera has
  neither), so it is the delay the software adds, from camera to screen.

Baselines in the same run: the live arm's delivered rate against the passthrough arm's, its
analysis rate against the bare arm's, its latency beside the passthrough arm's. Targets
(issue 13, lite, an otherwise idle 2-core machine): delivered ≥ 0.9 × passthrough; analysed ≥
0.9 × bare; latency p95 ≤ 150 ms (or the gap to passthrough printed and explained). The load
average is printed at the start and the end: on this shared machine it says how much else ran.
Needs Debian's ``chromium`` and the lite model (obtained through the model store, as the app
would on first use).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import (  # noqa: E402 - after the path is set
    CAMERA_SAMPLE,
    WEBRTC_IFRAME,
    app_server,
    child_pids,
    chromium_context,
    cpu_seconds,
    letterbox_bgr,
    load_average,
    read_live_line,
)

ARMS_APP = ROOT / "bench" / "live_arms_app.py"
WIDTH, HEIGHT, CAMERA_FPS = 640, 480, 30
LOOP_FRAMES = 150  # 5 s of camera, looped; latencies are far shorter
CODE_BITS = 8
BLOCK_PX = 16
CODE_X0, CODE_Y0 = WIDTH - BLOCK_PX * (CODE_BITS + 1), BLOCK_PX  # top right, on macroblocks
DELIVERED_TARGET, ANALYSED_TARGET, LATENCY_P95_TARGET_MS = 0.9, 0.9, 150.0
PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
PROFILE_RATE_HZ = 100
ARM_COUNT = re.compile(r"Arm \w+: ([0-9]+) frames through the callback")


def counter_y4m(path: Path) -> Path:
    """The side-view sample with a frame counter, ``LOOP_FRAMES`` frames at 30 frames/s."""
    base = letterbox_bgr(CAMERA_SAMPLE, WIDTH, HEIGHT)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{CAMERA_FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for k in range(LOOP_FRAMES):
            bgr = base.copy()
            for b in range(CODE_BITS):
                bit = (k >> (CODE_BITS - 1 - b)) & 1
                x = CODE_X0 + b * BLOCK_PX
                bgr[CODE_Y0 : CODE_Y0 + BLOCK_PX, x : x + BLOCK_PX] = 0 if bit else 255
                bgr[CODE_Y0 + BLOCK_PX : CODE_Y0 + 2 * BLOCK_PX, x : x + BLOCK_PX] = (
                    255 if bit else 0
                )
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


# Runs in every frame of the page before its own scripts: it reads the counter from the
# camera (a clone of the track getUserMedia gives the WebRTC component) and from every frame
# the component's <video> presents, stamping both with performance.now().
PROBE_JS = string.Template("""
(() => {
  const W = $W, H = $H, X0 = $X0, Y0 = $Y0, B = $B, BITS = $BITS;
  const probe = window.__pcProbe = {local: [], remote: [], misread: 0, source: null};
  const canvas = new OffscreenCanvas(B * BITS, 2 * B);
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  function read(src, sw, sh) {
    if (!sw || !sh) return -1;
    ctx.drawImage(src, X0 * sw / W, Y0 * sh / H, B * BITS * sw / W, 2 * B * sh / H,
                  0, 0, B * BITS, 2 * B);
    const d = ctx.getImageData(0, 0, B * BITS, 2 * B).data;
    const luma = (bx, row) => {  // mean of the block's central half
      let s = 0, n = 0;
      for (let y = row * B + B / 4; y < row * B + 3 * B / 4; y++)
        for (let x = bx * B + B / 4; x < bx * B + 3 * B / 4; x++) {
          const i = 4 * (y * B * BITS + x);
          s += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]; n++;
        }
      return s / n;
    };
    let v = 0;
    for (let b = 0; b < BITS; b++) {
      const top = luma(b, 0) < 128, bottom = luma(b, 1) < 128;
      if (top === bottom) { probe.misread++; return -1; }
      v = (v << 1) | (top ? 1 : 0);
    }
    return v;
  }
  async function watchCamera(track) {
    if (typeof MediaStreamTrackProcessor !== 'function') { probe.source = 'none'; return; }
    probe.source = 'track';
    const reader = new MediaStreamTrackProcessor({track}).readable.getReader();
    for (;;) {
      const {value: frame, done} = await reader.read();
      if (done) return;
      const t = performance.now();
      const c = read(frame, frame.displayWidth, frame.displayHeight);
      frame.close();
      if (c >= 0) probe.local.push([c, t]);
    }
  }
  // The peer connections the component makes, for their statistics (where frames are lost:
  // the camera's encoder, the network, the decoder of the returned video).
  const pcs = [];
  const NativePC = window.RTCPeerConnection;
  if (NativePC) {
    const Wrapped = function (...args) {
      const pc = new NativePC(...args);
      pcs.push(pc);
      return pc;
    };
    Wrapped.prototype = NativePC.prototype;
    Object.setPrototypeOf(Wrapped, NativePC);
    window.RTCPeerConnection = Wrapped;
  }
  probe.rtcStats = async () => {
    const out = {now: performance.now()};
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s) => {
        if (s.kind !== 'video') return;
        if (s.type === 'outbound-rtp') out.sent = {
          encoded: s.framesEncoded, encodeS: s.totalEncodeTime, width: s.frameWidth,
          height: s.frameHeight, limited: s.qualityLimitationDurations};
        if (s.type === 'inbound-rtp') out.received = {
          received: s.framesReceived, decoded: s.framesDecoded, dropped: s.framesDropped,
          decodeS: s.totalDecodeTime, jitterS: s.jitterBufferDelay,
          emitted: s.jitterBufferEmittedCount};
      });
    }
    return out;
  };
  const md = navigator.mediaDevices;
  if (md && md.getUserMedia) {
    const original = md.getUserMedia.bind(md);
    md.getUserMedia = async (constraints) => {
      const stream = await original(constraints);
      const track = stream.getVideoTracks()[0];
      if (track) watchCamera(track.clone());
      return stream;
    };
  }
  const hooked = new WeakSet();
  setInterval(() => {
    for (const video of document.querySelectorAll('video')) {
      if (hooked.has(video)) continue;
      hooked.add(video);
      const onFrame = (now, meta) => {
        const t = meta.expectedDisplayTime || now;
        const c = read(video, video.videoWidth, video.videoHeight);
        if (c >= 0) probe.remote.push([c, t, meta.presentedFrames]);
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }
  }, 100);
})();
""").substitute(W=WIDTH, H=HEIGHT, X0=CODE_X0, Y0=CODE_Y0, B=BLOCK_PX, BITS=CODE_BITS)


@dataclass
class ArmResult:
    arm: str
    seconds: float
    delivered_fps: float
    analysed_fps: float | None
    cpu_ms_per_frame: float
    cpu_pct: float
    browser_pct: dict[str, float]
    latency_ms: list[float]
    frames_seen: int
    misread: int
    latency_trend: tuple[float, float] = (math.nan, math.nan)
    page_line: str = ""
    webrtc: str = ""
    profile: list[str] = field(default_factory=list)

    @property
    def latency_median(self) -> float:
        return statistics.median(self.latency_ms) if self.latency_ms else math.nan

    @property
    def latency_p95(self) -> float:
        return float(np.percentile(self.latency_ms, 95)) if self.latency_ms else math.nan


def _probe_frame(page: Any) -> Any:
    """The page's frame that holds the WebRTC component (where the probe saw the camera)."""
    for frame in page.frames:
        try:
            if frame.evaluate("() => !!(window.__pcProbe && window.__pcProbe.source)"):
                return frame
        except Exception:  # noqa: BLE001 - a frame that went away
            continue
    return None


def _analysed_count(page: Any, arm: str) -> int | None:
    if arm == "live":
        reading = read_live_line(page)
        return reading.frames if reading is not None else None
    try:
        text = page.get_by_text(ARM_COUNT).first.inner_text(timeout=2_000)
    except Exception:  # noqa: BLE001 - not shown (yet)
        return None
    m = ARM_COUNT.search(text)
    return int(m.group(1)) if m else None


def delivered_and_latency(
    local: list[list[float]], remote: list[list[float]]
) -> tuple[int, float, list[float]]:
    """Distinct frames shown, the span they were shown over (s), and each one's latency (ms).

    A frame's latency pairs its first presentation with the camera's latest hand-out of the
    same counter value before it (the counter repeats every ``LOOP_FRAMES`` frames).
    """
    shown = []
    prev = None
    for c, t, *_ in remote:
        if c != prev:
            shown.append((int(c), t))
        prev = c
    if len(shown) < 2:
        return len(shown), 0.0, []
    by_counter: dict[int, list[float]] = {}
    for c, t in local:
        by_counter.setdefault(int(c), []).append(t)
    loop_ms = 1000.0 * LOOP_FRAMES / CAMERA_FPS
    latencies = []
    for c, t in shown:
        times = [u for u in by_counter.get(c, []) if u <= t and t - u < loop_ms / 2]
        if times:
            latencies.append(t - max(times))
    span_s = (shown[-1][1] - shown[0][1]) / 1000.0
    return len(shown) - 1, span_s, latencies


def browser_processes(profile: Path) -> dict[str, list[int]]:
    """Chromium's processes for this profile by type ("browser", "renderer", "gpu-process",
    "utility", ...), from /proc: what the browser side of the path costs."""

    def args_of(pid: int) -> list[str]:
        try:
            # Chromium rewrites its children's command lines as one space-separated string.
            raw = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            return raw.replace("\0", " ").split()
        except OSError:
            return []

    def kind_of(args: list[str]) -> str:
        return next((a.split("=", 1)[1] for a in args if a.startswith("--type=")), "browser")

    kinds: dict[str, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        args = args_of(int(entry.name))
        if f"--user-data-dir={profile}" not in args or kind_of(args) != "browser":
            continue  # not this profile's browser process (its children are found below)
        for pid in [int(entry.name), *child_pids(int(entry.name))]:
            kinds.setdefault(kind_of(args_of(pid)), []).append(pid)
    return kinds


def webrtc_summary(before: dict[str, Any], after: dict[str, Any]) -> str:
    """Chromium's WebRTC counters over the measured seconds: the camera's frames it encoded
    and sent (and how long its encoder said it was held back by CPU or bandwidth), and the
    returned video's frames it received, decoded and dropped. They tell a frame lost in the
    browser from one the server never sent."""
    seconds = (after["now"] - before["now"]) / 1000.0
    parts = []
    s0, s1 = before.get("sent"), after.get("sent")
    if s0 and s1 and seconds > 0:
        n = s1["encoded"] - s0["encoded"]
        held = {
            why: (s1["limited"].get(why, 0.0) - s0["limited"].get(why, 0.0)) / seconds * 100
            for why in ("cpu", "bandwidth")
        }
        parts.append(
            f"camera encoded {n / seconds:.1f} frames/s at {s1['width']}x{s1['height']} "
            f"({1000 * (s1['encodeS'] - s0['encodeS']) / max(n, 1):.1f} ms each; held back by "
            f"CPU {held['cpu']:.0f} %, bandwidth {held['bandwidth']:.0f} % of the time)"
        )
    r0, r1 = before.get("received"), after.get("received")
    if r0 and r1 and seconds > 0:
        decoded = r1["decoded"] - r0["decoded"]
        emitted = r1["emitted"] - r0["emitted"]
        dropped = r1["dropped"] - r0["dropped"]
        decode_ms = 1000 * (r1["decodeS"] - r0["decodeS"]) / max(decoded, 1)
        buffer_ms = 1000 * (r1["jitterS"] - r0["jitterS"]) / max(emitted, 1)
        parts.append(
            f"returned video received {(r1['received'] - r0['received']) / seconds:.1f}, "
            f"decoded {decoded / seconds:.1f}, dropped {dropped / seconds:.1f} frames/s "
            f"({decode_ms:.1f} ms to decode, {buffer_ms:.0f} ms in the jitter buffer, per frame)"
        )
    return "; ".join(parts) or "(no WebRTC statistics)"


def presentation_summary(remote: list[list[float]]) -> str:
    """What the ``<video>`` did with the frames it got: per second, the frames it presented,
    those that showed the same camera frame as the one before (the server sent a frame
    again), and those it decoded but replaced before they could be shown (frames that came
    too close together: ``presentedFrames`` moved on by more than one)."""
    if len(remote) < 2:
        return "(no frames presented)"
    seconds = (remote[-1][1] - remote[0][1]) / 1000.0
    repeats = sum(1 for a, b in zip(remote, remote[1:], strict=False) if a[0] == b[0])
    unseen = sum(max(0, int(b[2] - a[2]) - 1) for a, b in zip(remote, remote[1:], strict=False))
    n = len(remote) - 1
    return (
        f"presented {n / seconds:.1f} frames/s, of which {repeats / seconds:.1f} repeated the "
        f"camera frame before; {unseen / seconds:.1f} frames/s decoded but replaced before "
        "they were shown"
    )


# Where a sample of the server's stacks is counted, first match on the stack from the
# innermost frame out (py-spy's raw format: "frame (file:line);...;frame (file:line) count").
PROFILE_PARTS = [
    ("garbage collection after a page run (Streamlit)", ("_on_script_finished",)),
    ("MediaPipe inference", ("mediapipe/",)),
    ("MediaPipe result -> Detection", ("_to_detection",)),
    ("several-people check", ("finding (posture_cam/live/detectors.py",)),
    ("measurement (outline, metrics, gates)", ("analyze_detection",)),
    ("overlay and status bar", ("draw_overlay", "draw_banner")),
    ("frame conversions (PyAV)", ("to_ndarray", "from_ndarray")),
    ("live processor, the rest", ("posture_cam/live/", "posture_cam/measure/")),
    ("VP8 encode", ("Vp8Encoder",)),
    ("VP8 decode", ("Vp8Decoder", "decoder_worker")),
    ("JPEG snapshot", ("encode_jpeg",)),
    ("page runs (Streamlit script)", ("exec_func_with_error_handling", "_run_script")),
    ("WebRTC transport (aiortc, asyncio)", ("aiortc", "aioice", "asyncio")),
]


def profile_summary(raw: Path, seconds: float, rate_hz: int) -> list[str]:
    """Per part, the share of one core the server's threads spent there (py-spy samples)."""
    counts: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        frames = stack.split(";")
        label = None
        for frame in reversed(frames):
            label = next(
                (name for name, keys in PROFILE_PARTS if any(k in frame for k in keys)), None
            )
            if label is not None:
                break
        label = label or f"other: {frames[-1][:70]}"
        counts[label] = counts.get(label, 0) + int(n)
        total += int(n)
    rows = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    per_core = rate_hz * seconds
    lines = [f"server profile ({total / per_core * 100:.0f} % of a core sampled active):"]
    lines += [f"    {c / per_core * 100:5.1f} % of a core  {label}" for label, c in rows[:14]]
    return lines


def run_arm(
    arm: str, y4m: Path, tmp: Path, seconds: float, warmup: float, profile: bool = False
) -> ArmResult:
    script = ROOT / "app.py" if arm == "live" else ARMS_APP
    root = tmp / f"{arm}-{time.monotonic_ns()}"
    root.mkdir()
    with (
        app_server(root / "server.log", script=script) as server,
        chromium_context(root, y4m) as context,
    ):
        context.add_init_script(PROBE_JS)
        page = context.new_page()
        page.set_default_timeout(30_000)
        url = server.url if arm == "live" else f"{server.url}/?arm={arm}"
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_test_id("stApp").wait_for(state="visible", timeout=60_000)
        if arm == "live":
            from tests.e2e.harness import open_page

            open_page(page, "Live check")
        page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="Start").click(timeout=60_000)
        deadline = time.monotonic() + 180
        frame = None
        while frame is None or not frame.evaluate("() => window.__pcProbe.remote.length > 0"):
            if time.monotonic() > deadline:
                raise SystemExit(f"{arm}: no video came back within 180 s:\n{server.log_tail()}")
            page.wait_for_timeout(500)
            frame = frame or _probe_frame(page)
        page.wait_for_timeout(warmup * 1000)
        frame.evaluate("() => { const p = window.__pcProbe; p.local = []; p.remote = []; }")
        rtc0 = frame.evaluate("() => window.__pcProbe.rtcStats()")
        browser = browser_processes(root / "profile")
        browser0 = {kind: cpu_seconds(pids) for kind, pids in browser.items()}
        count0, cpu0, t0 = _analysed_count(page, arm), cpu_seconds(server.pids), time.monotonic()
        spy = None
        if profile and arm != "passthrough":
            spy = subprocess.Popen(
                [
                    PY_SPY,
                    "record",
                    "--pid",
                    str(server.process.pid),
                    "--duration",
                    str(int(seconds)),
                    "--rate",
                    str(PROFILE_RATE_HZ),
                    "--format",
                    "raw",
                    "--nonblocking",
                    "--output",
                    str(root / "profile.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        page.wait_for_timeout(seconds * 1000)
        count1, cpu1, t1 = _analysed_count(page, arm), cpu_seconds(server.pids), time.monotonic()
        browser1 = {kind: cpu_seconds(pids) for kind, pids in browser.items()}
        rtc1 = frame.evaluate("() => window.__pcProbe.rtcStats()")
        if spy is not None:
            spy.wait(timeout=seconds + 60)
        data = frame.evaluate("() => window.__pcProbe")
        line = ""
        if arm == "live":
            reading = read_live_line(page)
            line = " ".join(reading.line.split()) if reading is not None else "(no live line)"
    if profile and (root / "profile.txt").is_file():
        profile_lines = profile_summary(root / "profile.txt", seconds, PROFILE_RATE_HZ)
    else:
        profile_lines = []
    delivered, span_s, latencies = delivered_and_latency(data["local"], data["remote"])
    wall = t1 - t0
    analysed = None
    if arm != "passthrough" and count0 is not None and count1 is not None:
        analysed = (count1 - count0) / wall
    delivered_fps = delivered / span_s if span_s > 0 else 0.0
    cpu = cpu1 - cpu0
    return ArmResult(
        arm=arm,
        seconds=wall,
        delivered_fps=delivered_fps,
        analysed_fps=analysed,
        cpu_ms_per_frame=1000.0 * cpu / max(delivered, 1),
        cpu_pct=100.0 * cpu / wall,
        browser_pct={k: 100.0 * (browser1[k] - browser0[k]) / wall for k in browser},
        latency_ms=latencies,
        frames_seen=delivered,
        misread=int(data["misread"]),
        latency_trend=_thirds(latencies),
        page_line=line,
        webrtc=webrtc_summary(rtc0, rtc1) + "; " + presentation_summary(data["remote"]),
        profile=profile_lines,
    )


def _thirds(values: list[float]) -> tuple[float, float]:
    """Medians of the first and the last third (a latency that builds up shows here)."""
    k = len(values) // 3
    if k < 1:
        return math.nan, math.nan
    return statistics.median(values[:k]), statistics.median(values[-k:])


def _fmt(x: float | None, spec: str = ".1f") -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, spec)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0, help="measured seconds per arm")
    ap.add_argument("--warmup", type=float, default=15.0, help="seconds streamed first")
    ap.add_argument("--rounds", type=int, default=1, help="times to run the arms, in turn")
    ap.add_argument("--arms", nargs="+", default=["passthrough", "bare", "live"])
    ap.add_argument(
        "--profile",
        action="store_true",
        help="sample the server's stacks with py-spy during the bare and live arms "
        "(pip install py-spy) and print where its CPU goes",
    )
    args = ap.parse_args()
    if args.profile and not Path(PY_SPY).is_file():
        print("--profile needs py-spy (pip install py-spy); running without it")
        args.profile = False

    from bench.models import obtain_model

    if obtain_model("lite") is None:
        return 1
    load0 = load_average()
    print(
        f"live browser: fake camera {WIDTH}x{HEIGHT} at {CAMERA_FPS} frames/s "
        f"({CAMERA_SAMPLE.name} with a frame counter), lite model; {args.seconds:.0f} s "
        f"per arm after {args.warmup:.0f} s of warm-up, {args.rounds} round(s)"
    )
    print(f"machine: {os.cpu_count()} cores; load average {load0} at start")
    results: dict[str, list[ArmResult]] = {a: [] for a in args.arms}
    with tempfile.TemporaryDirectory(prefix="posture_cam_browser_") as tmp_name:
        tmp = Path(tmp_name)
        y4m = counter_y4m(tmp / "camera.y4m")
        for r in range(args.rounds):
            for arm in args.arms:
                res = run_arm(arm, y4m, tmp, args.seconds, args.warmup, args.profile)
                results[arm].append(res)
                print(
                    f"  round {r + 1} {arm:11s} delivered {res.delivered_fps:5.1f} frames/s | "
                    f"analysed {_fmt(res.analysed_fps):>5s} frames/s | server CPU "
                    f"{res.cpu_ms_per_frame:5.1f} ms/frame ({res.cpu_pct:3.0f} % of a core) | "
                    f"latency median {_fmt(res.latency_median, '.0f')} ms, p95 "
                    f"{_fmt(res.latency_p95, '.0f')} ms ({len(res.latency_ms)} frames, "
                    f"{res.misread} misread; first third {_fmt(res.latency_trend[0], '.0f')}, "
                    f"last third {_fmt(res.latency_trend[1], '.0f')} ms); "
                    f"load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
                if res.page_line:
                    print(f"        page says: {res.page_line}")
                cpu = ", ".join(
                    f"{kind} {pct:.0f} %"
                    for kind, pct in sorted(res.browser_pct.items(), key=lambda kv: -kv[1])
                )
                print(
                    f"        browser CPU {sum(res.browser_pct.values()):.0f} % of a core "
                    f"({cpu}); {res.webrtc}"
                )
                for line in res.profile:
                    print(f"        {line}")
    load1 = load_average()

    def med(arm: str, attr: str) -> float:
        values = [getattr(r, attr) for r in results.get(arm, [])]
        values = [v for v in values if v is not None and math.isfinite(v)]
        return statistics.median(values) if values else math.nan

    def pooled(arm: str) -> list[float]:
        return [x for r in results.get(arm, []) for x in r.latency_ms]

    print("per arm (median over rounds; latency over all frames):")
    for arm in args.arms:
        lat = pooled(arm)
        print(
            f"  {arm:11s} delivered {med(arm, 'delivered_fps'):5.1f} frames/s, analysed "
            f"{_fmt(med(arm, 'analysed_fps')):>5s} frames/s, server CPU "
            f"{med(arm, 'cpu_ms_per_frame'):5.1f} ms/frame, latency median "
            f"{_fmt(statistics.median(lat) if lat else math.nan, '.0f')} ms, p95 "
            f"{_fmt(float(np.percentile(lat, 95)) if lat else math.nan, '.0f')} ms"
        )
    parts = []
    if "live" in results and "passthrough" in results:
        ratio = med("live", "delivered_fps") / med("passthrough", "delivered_fps")
        ok = ratio >= DELIVERED_TARGET
        parts.append(
            f"video delivered {ratio:.2f} x passthrough "
            f"({'meets' if ok else 'misses'} >= {DELIVERED_TARGET})"
        )
    if "live" in results and "bare" in results:
        ratio = med("live", "analysed_fps") / med("bare", "analysed_fps")
        ok = ratio >= ANALYSED_TARGET
        parts.append(
            f"analysis {ratio:.2f} x bare MediaPipe ({'meets' if ok else 'misses'} "
            f">= {ANALYSED_TARGET})"
        )
        parts.append(
            f"bare arm's video {med('bare', 'delivered_fps'):.1f} frames/s "
            f"({med('bare', 'delivered_fps') / med('passthrough', 'delivered_fps'):.2f} x "
            "passthrough)"
            if "passthrough" in results
            else ""
        )
    if "live" in results:
        live = pooled("live")
        p95 = float(np.percentile(live, 95)) if live else math.nan
        verdict = "meets" if p95 <= LATENCY_P95_TARGET_MS else "misses"
        text = f"latency p95 {p95:.0f} ms ({verdict} <= {LATENCY_P95_TARGET_MS:.0f})"
        if "passthrough" in results and pooled("passthrough"):
            base = float(np.percentile(pooled("passthrough"), 95))
            text += f", passthrough p95 {base:.0f} ms, gap {p95 - base:+.0f} ms"
        parts.append(text)
    print(
        "SUMMARY live browser: "
        + "; ".join(p for p in parts if p)
        + f"; load {load0.split()[0]}->{load1.split()[0]} on {os.cpu_count()} cores"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
