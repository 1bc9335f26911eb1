"""The live range check's recording: what it keeps, what it costs, and that its result does
not depend on how fast the computer is.

    python bench/live_recording.py [--model lite] [--slow-ms 0 150] [--seed 4]

Frames: the range check's material (``check_material.range_video``: one body at 6°, 22°, -2°
and 6°, 5-s holds with 1-s moves, camera wobble and sensor noise) letterboxed to 640 × 480,
as a webcam gives it, at 30 frames a second, played through the check's own steps
(``STEPS["pelvic_tilt_range"]``: 5 s to get into place, then 23 s of holds) in real time (each
frame handed over at its wall-clock time, or at once when the recorder is late). The
recorder is built as the page builds it (``posture_cam.ui.state.guided_recorder``: the looks
with one pose, the recording measured with two). With ``--slow-ms`` every detection takes
that much longer, as on a busy computer.

Reported per run: frames handed over, recorded and looked at; the seconds from the end of
the steps to the result; the result's rows; then whether every run gave the same result.
Apart: the recording's size and the time to keep one frame (JPEG at
``posture_cam.live.recording.JPEG_QUALITY``), and the range check on the same frames kept
raw instead (what JPEG changes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import check_material  # noqa: E402
from posture_cam.guided import range_config, run_range_check  # noqa: E402
from posture_cam.live.detectors import DetectorFactory, video_detector_factory  # noqa: E402
from posture_cam.live.guided import MEASURE_FPS, STEPS, GuidedRecorder  # noqa: E402
from posture_cam.live.recording import JPEG_QUALITY, Recording  # noqa: E402
from posture_cam.media.video import FrameThinner, TimedFrame  # noqa: E402
from posture_cam.pose.detect import VideoDetector  # noqa: E402
from posture_cam.types import Detection  # noqa: E402
from tests.e2e.harness import letterbox_array  # noqa: E402

DATA = ROOT / "tests" / "data" / "guided"
CAMERA_FPS = 30.0


def camera_frames(seed: int) -> list[np.ndarray]:
    """The whole check as the camera shows it: getting into place, the holds, a little more."""
    renders = [
        (pos, DATA / f"range_{name}.jpg")
        for pos, name in (
            ("relaxed", "t6"),
            ("forward", "t22"),
            ("tucked", "t-2"),
            ("relaxed_again", "t6"),
        )
    ]
    frames, _ = check_material.range_video(
        renders, fps=CAMERA_FPS, hold_s=5.0, transition_s=1.0, max_side_px=None, seed=seed
    )
    frames = [letterbox_array(f) for f in frames]
    ready = round(STEPS["pelvic_tilt_range"][0].seconds * CAMERA_FPS)
    return [frames[0]] * ready + frames + [frames[-1]] * round(CAMERA_FPS)


class Counted:
    """A detector that takes ``delay_s`` longer a frame and counts its frames."""

    def __init__(self, detector: VideoDetector, delay_s: float) -> None:
        self.detector, self.delay_s, self.frames = detector, delay_s, 0

    def detect_for_video(self, rgb: np.ndarray, timestamp_ms: int) -> Detection:
        if self.delay_s:
            time.sleep(self.delay_s)
        self.frames += 1
        return self.detector.detect_for_video(rgb, timestamp_ms)

    def close(self) -> None:
        self.detector.close()


def counted(base: DetectorFactory, delay_s: float, made: list[Counted]) -> DetectorFactory:
    def make() -> VideoDetector:
        made.append(Counted(base(), delay_s))
        return made[-1]

    return make


def run(frames: list[np.ndarray], variant: str, slow_ms: float) -> dict[str, object]:
    looks: list[Counted] = []
    measured: list[Counted] = []
    rec = GuidedRecorder(
        "pelvic_tilt_range",
        counted(video_detector_factory(variant), slow_ms / 1000, looks),
        variant,
        recording_detector_factory=counted(
            video_detector_factory(variant, num_poses=2), slow_ms / 1000, measured
        ),
    )
    start = time.perf_counter()
    late = 0
    handed = 0
    try:
        for k, rgb in enumerate(frames):
            due = start + k / CAMERA_FPS
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            else:
                late += 1
            rec.process(rgb, k * 1000.0 / CAMERA_FPS)
            handed += 1
            if rec.state.analysing:
                break
        end_of_steps = time.perf_counter()
        s = rec.state
        while not s.done:
            time.sleep(0.05)
            s = rec.state
        after_s = time.perf_counter() - end_of_steps
    finally:
        rec.close()
    return {
        "slow_ms": slow_ms,
        "handed": handed,
        "late": late,
        "recorded": s.n_recorded,
        "looked": sum(d.frames for d in looks),
        "measured": sum(d.frames for d in measured),
        "after_s": after_s,
        "rows": None if s.check is None else s.check.rows,
        "result": None if s.check is None else s.check.result,
        "findings": [f.code for f in s.findings],
    }


def keeping_cost(frames: list[np.ndarray]) -> tuple[Recording, float]:
    """A recording of the frames the check keeps, and the median ms to keep one."""
    rec = Recording(MEASURE_FPS)
    times = []
    for k, rgb in enumerate(frames):
        t0 = time.perf_counter()
        if rec.offer(rgb, k * 1000.0 / CAMERA_FPS):
            times.append((time.perf_counter() - t0) * 1000.0)
    return rec, statistics.median(times)


def raw_against_jpeg(frames: list[np.ndarray], recording: Recording, variant: str) -> None:
    thinner = FrameThinner(MEASURE_FPS)
    raw = [
        TimedFrame(k * 1000.0 / CAMERA_FPS, f)
        for k, f in enumerate(frames)
        if thinner.keep(k * 1000.0 / CAMERA_FPS)
    ]
    results = {}
    for name, timed in (("raw", raw), ("JPEG", list(recording.frames()))):
        t0 = timed[0].t_ms
        timed = [TimedFrame(f.t_ms - t0, f.rgb) for f in timed]
        det = video_detector_factory(variant, num_poses=2)()
        try:
            r = run_range_check(timed, det, variant=variant, config=range_config(variant))
        finally:
            det.close()
        results[name] = r.outcome.result
    for key in ("forward_tilt_deg", "backward_tilt_deg", "total_tilt_deg", "total_lordosis_deg"):
        vals = [None if r is None else getattr(r, key).value for r in results.values()]
        print(f"  {key}: raw {vals[0]}, JPEG {vals[1]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="lite")
    ap.add_argument("--slow-ms", type=float, nargs="+", default=[0.0, 150.0])
    ap.add_argument("--seed", type=int, default=4)
    args = ap.parse_args()
    frames = camera_frames(args.seed)
    print(f"{len(frames)} camera frames ({len(frames) / CAMERA_FPS:.1f} s at {CAMERA_FPS:g}/s)")
    runs = [run(frames, args.model, ms) for ms in args.slow_ms]
    for r in runs:
        print(
            f"slow +{r['slow_ms']:g} ms/detection: handed {r['handed']} ({r['late']} late), "
            f"recorded {r['recorded']}, looked at {r['looked']}, measured after {r['measured']} "
            f"in {r['after_s']:.1f} s; findings {r['findings']}"
        )
        print(f"  {r['rows']}")
    same = all(r["result"] == runs[0]["result"] for r in runs)
    print(f"same result in every run: {same}")
    holds = frames[round(STEPS["pelvic_tilt_range"][0].seconds * CAMERA_FPS) :]
    holds = holds[: round(sum(s.seconds for s in STEPS["pelvic_tilt_range"][1:]) * CAMERA_FPS)]
    recording, ms = keeping_cost(holds)
    print(
        f"recording: {len(recording)} frames, {recording.nbytes / 1e6:.1f} MB "
        f"({recording.nbytes / len(recording) / 1024:.0f} KB a frame, JPEG quality {JPEG_QUALITY}; "
        f"raw {len(recording) * holds[0].nbytes / 1e6:.0f} MB), {ms:.2f} ms to keep a frame"
    )
    print("range check on the kept frames, raw against JPEG:")
    raw_against_jpeg(holds, recording, args.model)


if __name__ == "__main__":
    main()
