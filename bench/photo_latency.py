"""Photo latency: a 12-megapixel photo from file to Assessment, per model.

    python bench/photo_latency.py [--models lite full heavy] [--repeats 7] [--image FILE]

Each model runs in its own subprocess so its peak memory (max RSS) is its own. Baseline in
the same run: the bare detector on the already decoded, already downscaled picture (what
MediaPipe alone costs); the pipeline adds decoding, EXIF handling, downscaling, the mirrored
second detection, camera levelling, outline tracing, metrics and classification.
Target (issue 5): ≤ 0.5 s median with the full model.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT / "samples"


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


def measure(variant: str, photo: Path, repeats: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from posture_cam.media.images import inference_view, load_image
    from posture_cam.pipeline import INFERENCE_MAX_SIDE_PX, analyze_file
    from posture_cam.pose.detect import DetectorOptions, PoseDetector
    from posture_cam.pose.models import resolve_model

    model = resolve_model(variant)
    with PoseDetector(DetectorOptions(model.path, variant=variant)) as det:
        analyze_file(photo, det)  # warm-up: first call builds MediaPipe's graph
        pipeline, bare = [], []
        pattern = ""
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = analyze_file(photo, det)
            pipeline.append(time.perf_counter() - t0)
            pattern = result.assessment.pattern
        small, _ = inference_view(load_image(photo).rgb, INFERENCE_MAX_SIDE_PX)
        for _ in range(repeats):
            t0 = time.perf_counter()
            det.detect(small)
            bare.append(time.perf_counter() - t0)
    return {
        "variant": variant,
        "pipeline_median_s": statistics.median(pipeline),
        "pipeline_min_s": min(pipeline),
        "bare_detect_median_s": statistics.median(bare),
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
            f"{__import__('os').cpu_count()} cores"
        )
        results = []
        for variant in args.models:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", variant, str(photo), str(args.repeats)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            results.append(r)
            print(
                f"  {variant:5s} file->Assessment {r['pipeline_median_s'] * 1000:6.0f} ms "
                f"(min {r['pipeline_min_s'] * 1000:.0f})   bare detect on 1280 px "
                f"{r['bare_detect_median_s'] * 1000:5.0f} ms   peak RSS "
                f"{r['peak_rss_mb']:.0f} MB   -> {r['pattern']}"
            )
    full = next((r for r in results if r["variant"] == "full"), None)
    verdict = (
        (
            "full "
            + f"{full['pipeline_median_s']:.2f} s "
            + ("meets" if full["pipeline_median_s"] <= 0.5 else "misses")
            + " the 0.5 s target"
        )
        if full
        else "full not measured"
    )
    print(
        "SUMMARY photo latency: "
        + ", ".join(f"{r['variant']} {r['pipeline_median_s']:.2f} s" for r in results)
        + f"; {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
