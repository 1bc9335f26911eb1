"""Live soak: the real browser path for N minutes, server memory and live rate every 10 s.

    python bench/soak_live.py [--minutes 30] [--interval 10] [--warmup 20]

Starts the app (``streamlit run app.py`` on a free port of 127.0.0.1) and headless Chromium
with a fake camera (a ``.y4m`` made from a side-view sample, looped at 30 frames/s), opens
Live check, presses Start and, for N minutes, reads every ``--interval`` seconds:

* the server's resident memory (VmRSS of streamlit and its children, from /proc) and CPU use;
* the analysis rate, its time per frame and the frames analysed since Start that the live
  panel shows ("Video: … frames/s · analysis: … frames/s, … ms per frame · … frames analysed").

At the end: memory growth (last − first reading after the warm-up) and the least-squares slope
in MB per 10 minutes; whether the per-frame time grew (median of the last third of the readings
against the first third; when it grew but the server's CPU time per frame did not, the frames
were slowed by other processes, which is said and not counted); stalls (a reading with no live
rate, or no frame processed since the reading before). Baseline: the first reading after the
warm-up. Target (issue 5): memory growth ≤ 50 MB over 30 minutes and no growing latency (here:
last third ≤ 1.5 × first third). RSS saws up and down by tens of MB, so a run shorter than 10
minutes is judged by its growth alone; from 10 minutes on, the slope projected to 30 minutes
must be within the target too. Stops by itself; the server and the browser are stopped on exit.
CI runs a 2-minute version that checks that frames keep coming and memory, not speed:
``tests/e2e/test_soak.py``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import harness  # noqa: E402 - after the path is set
from tests.e2e.soak import SOAK_HEADER, SoakResult, SoakSample, soak, soak_row  # noqa: E402

GROWTH_TARGET_MB_30MIN = 50.0
LATENCY_GROWTH_MAX = 1.5


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--interval", type=float, default=10.0, help="seconds between readings")
    ap.add_argument(
        "--warmup",
        type=float,
        default=20.0,
        help="seconds after the first frame before memory is compared",
    )
    args = ap.parse_args()
    from bench.models import obtain_model

    if obtain_model("lite") is None:  # the app would obtain it on first use
        return 1

    load0 = os.getloadavg()[0]
    machine = f"{os.cpu_count()} cores, {_cpu_model()}; load average {harness.load_average()}"
    print(
        f"soak live: {args.minutes:g} min, a reading every {args.interval:g} s, "
        f"warm-up {args.warmup:g} s; lite model, fake camera 640x480 at 30 fps"
    )
    print(f"machine: {machine}")
    if load0 > 1.0:
        print(
            f"WARNING: load average {load0:.2f} > 1.0 at start: other processes share the "
            "CPU; the frame rate and per-frame time will be lower/higher than on a quiet "
            "machine"
        )
    with tempfile.TemporaryDirectory(prefix="soak_live_") as tmp:
        root = Path(tmp)
        y4m = harness.camera_y4m(root / "side.y4m")
        with (
            harness.app_server(root / "streamlit.log") as server,
            harness.chromium_context(root / "chromium", y4m) as context,
        ):
            page = harness.open_app(context, server.url)
            print(
                f"server pid {server.process.pid} at {server.url}; "
                f"RSS before Start {harness.rss_mb(server.pids):.1f} MB"
            )
            print(SOAK_HEADER)
            first: list[float] = []

            def row(s: SoakSample) -> None:
                if not first:
                    first.append(s.rss_mb)
                print(soak_row(s, first[0]), flush=True)

            result = soak(
                page,
                server,
                args.minutes * 60.0,
                interval_s=args.interval,
                warmup_s=args.warmup,
                on_sample=row,
            )
            page.close()
    return report(result, args.minutes)


def report(r: SoakResult, minutes: float) -> int:
    w = r.after_warmup
    for note in r.notes:
        print(f"note: {note}")
    if len(w) < 2:
        print("SUMMARY soak live: too few readings after the warm-up")
        return 1
    growth, slope = r.growth_mb, r.slope_mb_per_10min
    projected = slope * 3.0 if math.isfinite(slope) else growth * 30.0 / max(minutes, 1e-9)
    print(
        f"memory: {w[0].rss_mb:.1f} MB at {w[0].t_s:.0f} s -> {w[-1].rss_mb:.1f} MB at "
        f"{w[-1].t_s:.0f} s: growth {growth:+.1f} MB; slope {slope:+.2f} MB/10 min "
        f"(projected over 30 min: {projected:+.1f} MB)"
    )
    grew, latency_text = r.latency_verdict(LATENCY_GROWTH_MAX)
    print(f"latency (medians, first vs last third of the readings): {latency_text}")
    print(
        f"frames: {r.samples[-1].frames} processed in {r.samples[-1].t_s:.0f} s, "
        f"median rate {r.median_fps:.1f} frames/s; stalled readings: "
        f"{len(r.stalls)}"
    )
    print(f"load average: {r.load_start} at start, {r.load_end} at end")
    # RSS saws up and down by ~±15 MB as buffers come and go, so a slope over a few minutes
    # says little: short runs are judged by their growth, runs of 10 minutes or more also
    # by the slope projected to 30 minutes.
    ok_mem = growth <= GROWTH_TARGET_MB_30MIN and (
        minutes < 10 or projected <= GROWTH_TARGET_MB_30MIN
    )
    ok_lat = not grew
    ok = ok_mem and ok_lat and not r.stalls and not r.notes
    print(
        f"SUMMARY soak live: {minutes:g} min, RSS {growth:+.1f} MB "
        f"(slope {slope:+.1f} MB/10 min, 30-min projection {projected:+.0f} MB; "
        f"{'meets' if ok_mem else 'misses'} <= {GROWTH_TARGET_MB_30MIN:.0f} MB), latency "
        f"{r.latency_first_ms:.0f}->{r.latency_last_ms:.0f} ms (x{r.latency_ratio:.2f} "
        f"{'no growth' if ok_lat else 'GROWS'}), {r.median_fps:.1f} frames/s, "
        f"{len(r.stalls)} stalls; {'meets' if ok else 'MISSES'} the target; "
        f"load {r.load_start.split()[0]}->{r.load_end.split()[0]}"
    )
    return 0 if ok else 1


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    raise SystemExit(main())
