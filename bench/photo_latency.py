"""Photo latency: a 12-megapixel photo from file to Assessment, per model, split into parts.

    python bench/photo_latency.py [--models lite full heavy] [--repeats 7] [--image FILE]

Each model runs in its own subprocess so its peak memory (max RSS) is its own. End to end:
``analyze_file`` (decode at a reduced scale, EXIF, downscale to 1280 px, detection as taken
and mirrored, camera levelling, outline, occluder cues, estimate, classification). Its parts,
timed one by one on the same photo in the same order: decode (``load_image`` with
``reduce_to_px``), downscale (``inference_view``), detection (as taken, mirrored, and the
pair side by side as the pipeline runs it),
both views measured (``measure_view``: gates, camera roll from the scene, levelling, outline,
occluder cues) and assessed (``assess_views``: the estimate, the average of the two, the
pattern); and, apart, drawing the overlay at full resolution (which decodes the full photo)
and at the app's 1600 px. Baselines in the same run: the **floor**, decode plus detection
(once, and twice for the mirror average: side by side, as the pipeline runs them on two
cores, and one after the other), the least any pipeline on this photo must spend; and the
full decode the pipeline used before. Target (issue 13): ≤ 0.15 s median end to end
with the full model. Models not cached are obtained through the model store; a variant no
source can give is skipped, reason printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.models import obtain_model  # noqa: E402 - after the path is set

DEFAULT_SOURCE = ROOT / "samples"
TARGET_S = 0.15


def make_12mp_photo(out: Path, source: Path | None) -> Path:
    """A 3000 x 4000 JPEG (quality 92) made from a side-view sample, like a phone photo."""
    import cv2

    if source is None:
        candidates = sorted(DEFAULT_SOURCE.glob("*.jpg"))
        if not candidates:
            raise SystemExit("no sample photo found; pass --image")
        source = candidates[0]
    bgr = cv2.imread(str(source))
    big = cv2.resize(bgr, (3000, 4000), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(out), big, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return out


def _median_ms(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000.0


def measure(variant: str, photo: Path, repeats: int) -> dict:
    import numpy as np

    from posture_cam.media.images import load_image
    from posture_cam.pipeline import (
        INFERENCE_MAX_SIDE_PX,
        ViewMeasurement,
        analyze_file,
        assess_views,
        draw_analysis,
        measure_view,
    )
    from posture_cam.pose.detect import DetectorOptions, PoseDetector
    from posture_cam.pose.models import resolve_model
    from posture_cam.ui.photo_page import OVERLAY_MAX_SIDE_PX

    model = resolve_model(variant, allow_network=False)  # the parent obtained it
    with PoseDetector(DetectorOptions(model.path, variant=variant)) as det:
        analyze_file(photo, det)  # warm-up: first call builds MediaPipe's graph
        end_to_end, pattern = [], ""
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = analyze_file(photo, det)
            end_to_end.append(time.perf_counter() - t0)
            pattern = result.assessment.pattern
        image = load_image(photo, reduce_to_px=INFERENCE_MAX_SIDE_PX)
        small, _ = image.inference_view(INFERENCE_MAX_SIDE_PX)
        flipped = np.ascontiguousarray(small[:, ::-1])
        detection, mirrored = det.detect(small), det.detect(flipped)
        draw_analysis(result)  # decodes the full photo once (timed apart as full_decode)

        def views() -> list[ViewMeasurement]:
            return [measure_view(detection, small), measure_view(mirrored, flipped)]

        measured = views()

        parts = {
            "decode": _median_ms(
                lambda: load_image(photo, reduce_to_px=INFERENCE_MAX_SIDE_PX), repeats
            ),
            "downscale": _median_ms(lambda: image.inference_view(INFERENCE_MAX_SIDE_PX), repeats),
            "detect": _median_ms(lambda: det.detect(small), repeats),
            "detect_mirrored": _median_ms(lambda: det.detect(flipped), repeats),
            "detect_pair": _median_ms(lambda: det.detect_pair(small, flipped), repeats),
            "views": _median_ms(views, repeats),
            "assess": _median_ms(lambda: assess_views(measured, variant=variant), repeats),
            "full_decode": _median_ms(lambda: load_image(photo), repeats),
            "draw_full": _median_ms(lambda: draw_analysis(result), repeats),
            "draw_app": _median_ms(
                lambda: draw_analysis(result, max_side_px=OVERLAY_MAX_SIDE_PX), repeats
            ),
        }
    return {
        "variant": variant,
        "pipeline_median_s": statistics.median(end_to_end),
        "pipeline_min_s": min(end_to_end),
        "parts_ms": parts,
        "decoded": f"{image.rgb.shape[1]}x{image.rgb.shape[0]}",
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "pattern": pattern,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["lite", "full", "heavy"])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--image", type=Path, help="side-view photo to upscale (default: a sample)")
    ap.add_argument(
        "--child", nargs=3, metavar=("VARIANT", "PHOTO", "REPEATS"), help=argparse.SUPPRESS
    )
    args = ap.parse_args()
    if args.child:
        variant, photo, repeats = args.child
        print(json.dumps(measure(variant, Path(photo), int(repeats))))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        photo = make_12mp_photo(Path(tmp) / "photo_12mp.jpg", args.image)
        print(
            f"photo latency: 3000x4000 JPEG ({photo.stat().st_size / 1e6:.1f} MB), "
            f"median of {args.repeats}; {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}"
        )
        results = []
        for variant in args.models:
            if obtain_model(variant) is None:
                continue
            proc = subprocess.run(
                [sys.executable, __file__, "--child", variant, str(photo), str(args.repeats)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            results.append(r)
            p = r["parts_ms"]
            floor1 = p["decode"] + p["downscale"] + p["detect"]
            floor2 = floor1 + p["detect_mirrored"]
            floor_pair = p["decode"] + p["downscale"] + p["detect_pair"]
            print(
                f"  {variant:5s} file->Assessment {r['pipeline_median_s'] * 1000:6.0f} ms "
                f"(min {r['pipeline_min_s'] * 1000:.0f}); floor decode+detect "
                f"{floor1:.0f} ms; with the mirrored detection side by side {floor_pair:.0f} ms "
                f"(pipeline / floor {r['pipeline_median_s'] * 1000 / floor_pair:.2f}), one "
                f"after the other {floor2:.0f} ms; peak RSS "
                f"{r['peak_rss_mb']:.0f} MB -> {r['pattern']}"
            )
            print(
                f"        parts: decode {p['decode']:.0f} ms (reduced to {r['decoded']}; a full "
                f"decode takes {p['full_decode']:.0f}) + downscale {p['downscale']:.0f} + both "
                f"detections side by side {p['detect_pair']:.0f} (alone: {p['detect']:.0f}, "
                f"mirrored {p['detect_mirrored']:.0f}) + both views "
                f"measured {p['views']:.0f} (gates, camera roll, outline, occluder cues) + "
                f"assessed {p['assess']:.0f} (estimate, average, pattern) = "
                f"{floor_pair + p['views'] + p['assess']:.0f} ms; drawing apart: at full "
                f"resolution {p['draw_full']:.0f} ms after the full decode, at the app's "
                f"1600 px {p['draw_app']:.0f} ms"
            )
    full = next((r for r in results if r["variant"] == "full"), None)
    verdict = (
        (
            "full "
            + f"{full['pipeline_median_s']:.2f} s "
            + ("meets" if full["pipeline_median_s"] <= TARGET_S else "misses")
            + f" the {TARGET_S} s target"
        )
        if full
        else "full not measured"
    )
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    print(
        "SUMMARY photo latency: "
        + ", ".join(f"{r['variant']} {r['pipeline_median_s']:.2f} s" for r in results)
        + f"; {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
