"""Folders across all cores: ``posture-cam analyze FOLDER --workers N`` against one worker.

    python bench/batch.py [--photos 200] [--workers 2] [--variant full] [--rounds 1]
                          [--folder DIR]

The command line as a person runs it (``python -m posture_cam analyze DIR --json OUT``), wall
time from start to exit (starting Python, the model in each worker, every photo, the JSON), on
a folder of ``--photos`` side views: by default made from the three samples (720 × 1280 JPEGs,
each copy moved by a few pixels, scaled by up to ±4 % and saved at its own JPEG quality, so
that no two files are the same), or the first ones of ``--folder``. Baseline in the same run:
``--workers 1`` on the same folder; the rounds alternate the two. Printed: images/s of both,
the speed-up (target, issue 13: ≥ 1.7 with 2 workers on 2 cores) and whether the results are
identical (every number, finding and word of the JSON; they must be).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.models import obtain_model  # noqa: E402 - after the path is set

SAMPLES = sorted((ROOT / "samples").glob("*_side.jpg"))
SPEEDUP_TARGET = 1.7


def make_folder(out: Path, n: int, source: Path | None) -> list[Path]:
    """``n`` side-view photos in ``out``: copies of ``source``'s pictures, or varied samples."""
    out.mkdir(parents=True, exist_ok=True)
    if source is not None:
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))[:n]
        for p in files:
            (out / p.name).write_bytes(p.read_bytes())
        return sorted(out.iterdir())
    rng = np.random.default_rng(13)
    pictures = [cv2.imread(str(p)) for p in SAMPLES]
    for k in range(n):
        bgr = pictures[k % len(pictures)]
        h, w = bgr.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, 1.0 + rng.uniform(-0.04, 0.04))
        m[:, 2] += rng.uniform(-6, 6, 2)
        moved = cv2.warpAffine(bgr, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
        quality = int(rng.integers(85, 96))
        cv2.imwrite(str(out / f"photo_{k:03d}.jpg"), moved, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return sorted(out.iterdir())


def run(folder: Path, workers: int, variant: str, out: Path) -> tuple[float, list[dict]]:
    """Seconds the command took, and its results."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "posture_cam",
            "analyze",
            str(folder),
            "--variant",
            variant,
            "--workers",
            str(workers),
            "--json",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"analyze --workers {workers} failed ({proc.returncode}):\n{proc.stderr}")
    return seconds, json.loads(out.read_text())["results"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--variant", default="full")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--folder", type=Path, help="take the photos from here (JPEGs)")
    args = ap.parse_args()
    if obtain_model(args.variant) is None:
        return 1
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="posture_cam_batch_") as tmp:
        folder = Path(tmp) / "photos"
        files = make_folder(folder, args.photos, args.folder)
        origin = f"from {args.folder}" if args.folder else "samples, varied"
        print(
            f"batch: {len(files)} photos ({origin}), "
            f"model {args.variant}, --workers {args.workers} against 1, {args.rounds} round(s); "
            f"{os.cpu_count()} cores, load average {load0:.2f}"
        )
        times: dict[int, list[float]] = {1: [], args.workers: []}
        results: dict[int, list[dict]] = {}
        for r in range(args.rounds):
            order = (1, args.workers) if r % 2 == 0 else (args.workers, 1)
            for w in order:
                seconds, res = run(folder, w, args.variant, Path(tmp) / f"out_{w}_{r}.json")
                times[w].append(seconds)
                if results.setdefault(w, res) != res:
                    print(f"  WARNING: --workers {w} gave different results in round {r + 1}")
                print(
                    f"  round {r + 1} --workers {w}: {seconds:6.1f} s, "
                    f"{len(files) / seconds:5.2f} images/s; load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
    one = len(files) / statistics.median(times[1])
    many = len(files) / statistics.median(times[args.workers])
    speedup = many / one
    identical = results[1] == results[args.workers]
    measured = sum(r["measurable"] for r in results[1])
    print(
        f"  --workers 1: {one:.2f} images/s; --workers {args.workers}: {many:.2f} images/s; "
        f"{measured} of {len(files)} measurable; results identical: {identical}"
    )
    verdict = "meets" if speedup >= SPEEDUP_TARGET else "misses"
    print(
        f"SUMMARY batch: {len(files)} photos, {args.variant}: {many:.2f} images/s with "
        f"{args.workers} workers, {one:.2f} with 1, speed-up {speedup:.2f} ({verdict} >= "
        f"{SPEEDUP_TARGET}); identical results: {identical}; load "
        f"{load0:.2f}->{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
