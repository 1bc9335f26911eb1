"""Breathing check: rate, belly share and the smallest detectable movement on test videos.

    python bench/check_breathing.py [ROOT] [--models lite full] [--seconds 30] [--fps 15]
                                    [--write] [--json OUT]

Material (``bench/check_material.py``): still side-view renders (ROOT, default
``/work/renders/change_val/t6``; four bodies with the arms at the sides) whose chest and belly
outlines a smooth warp moves in and out at a set rate (6-24 breaths a minute, ±8 % breath to
breath) by set peak-to-peak amounts (belly shares 20, 50 and 80 %), with sway and sensor
noise, encoded as H.264 and read back like a phone video. Each video goes through
``posture-cam check breathing``'s code (VIDEO-mode detector, the breathing frame gate,
:func:`posture_cam.guided.breathing_trace`,
:func:`posture_cam.measure.breathing.analyze_breathing`).

Printed per model: rate error (target ±1 a minute), belly-share error (target ±10 points),
movement errors, and the **detection floor**: the smallest set movement (chest and belly
together, peak-to-peak) at which every test video was still detected with its rate within
±1. Baselines in the same run: the same detections measured on the pose model's mask alone
(without refining each outline to the picture's edge), and answering every video with
14 breaths a minute and a 50 % share.

What the material cannot show: real breathing also moves the shoulders, the back (slightly)
and clothes; real people sway more; the warp moves a still picture's texture with the
outline. It tests the measurement chain on a known movement, not a person.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import guided_figures  # noqa: E402
from check_material import breathing_video, write_mp4  # noqa: E402

from posture_cam.guided import breathing_frame, breathing_trace  # noqa: E402
from posture_cam.measure.breathing import analyze_breathing  # noqa: E402
from posture_cam.media.video import iter_video_frames  # noqa: E402
from posture_cam.pipeline import INFERENCE_MAX_SIDE_PX  # noqa: E402
from posture_cam.pose.detect import DetectorOptions, PoseDetector  # noqa: E402
from posture_cam.pose.models import resolve_model  # noqa: E402

BODIES = ("synth_100002300011", "synth_100002300013", "synth_100002300019", "synth_100002300026")
RATES = (6.0, 10.0, 14.0, 18.0, 24.0)
SHARES = ((4.0, 1.0), (2.5, 2.5), (1.0, 4.0))  # (chest, belly) peak-to-peak px
FLOOR_TOTALS = (0.25, 0.5, 1.0, 2.0)  # chest + belly px, half each, at 14 a minute


def make_videos(root: Path, out: Path, seconds: float, fps: float) -> list[dict[str, Any]]:
    """The accuracy grid (each rate x share once, bodies in turn) and the floor sweep."""
    jobs: list[tuple[str, str, float, float, float]] = []
    k = 0
    for rate in RATES:
        for chest, belly in SHARES:
            jobs.append(("grid", BODIES[k % len(BODIES)], rate, chest, belly))
            k += 1
    for total in FLOOR_TOTALS:
        for body in BODIES[:2]:
            jobs.append(("floor", body, 14.0, total / 2, total / 2))
    videos = []
    for i, (kind, body, rate, chest, belly) in enumerate(jobs):
        clip = breathing_video(
            root / f"{body}.png",
            rate_per_min=rate,
            chest_p2p_px=chest,
            belly_p2p_px=belly,
            duration_s=seconds,
            fps=fps,
            seed=i,
        )
        path = write_mp4(clip.frames, fps, out / f"breathing_{i:02d}.mp4")
        videos.append({"kind": kind, "body": body, "path": path, "truth": clip.truth})
    return videos


def _analyse(path: Path, det: PoseDetector, fps: float) -> tuple[Any, Any]:
    frames = []
    for f in iter_video_frames(path, max_fps=fps, max_side_px=INFERENCE_MAX_SIDE_PX):
        d = det.detect_for_video(f.rgb, int(round(f.t_ms)))
        frames.append(breathing_frame(d, f.t_ms, f.rgb))
    picture = analyze_breathing(breathing_trace(frames))
    mask_only = analyze_breathing(breathing_trace([replace(f, gray=None) for f in frames]))
    return picture, mask_only


def _errors(outcome: Any, truth: Any) -> dict[str, Any]:
    r = outcome.result
    if r is None:
        return {"detected": False, "codes": [f.code for f in outcome.findings]}
    return {
        "detected": True,
        "rate_err": r.rate_per_min.value - truth.rate_per_min,
        "share_err": r.belly_share_pct.value - truth.belly_share_pct,
        "chest_err": r.chest_movement_px.value - truth.chest_p2p_px,
        "belly_err": r.belly_movement_px.value - truth.belly_p2p_px,
        "floor_px": r.noise_floor_px,
        "floor_pct": r.noise_floor_pct,
    }


def run(videos: list[dict[str, Any]], variant: str, fps: float) -> dict[str, Any]:
    model = resolve_model(variant)
    rows = []
    t0 = time.perf_counter()
    for v in videos:
        with PoseDetector(DetectorOptions(model.path, mode="video", variant=variant)) as det:
            picture, mask_only = _analyse(v["path"], det, fps)
        rows.append(
            {
                "kind": v["kind"],
                "body": v["body"],
                "truth": v["truth"].__dict__,
                "picture": _errors(picture, v["truth"]),
                "mask_only": _errors(mask_only, v["truth"]),
            }
        )
    return {"variant": variant, "seconds": time.perf_counter() - t0, "rows": rows}


def _summary(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    grid = [r[key] for r in rows if r["kind"] == "grid"]
    ok = [g for g in grid if g["detected"]]

    def mae(name: str) -> float:
        return float(np.mean([abs(g[name]) for g in ok])) if ok else float("nan")

    def worst(name: str) -> float:
        return float(np.max([abs(g[name]) for g in ok])) if ok else float("nan")

    floor_ok = []
    for total in FLOOR_TOTALS:
        runs = [
            r[key]
            for r in rows
            if r["kind"] == "floor"
            and abs(r["truth"]["chest_p2p_px"] + r["truth"]["belly_p2p_px"] - total) < 1e-9
        ]
        if runs and all(x["detected"] and abs(x["rate_err"]) <= 1.0 for x in runs):
            floor_ok.append(total)
    trunk = np.median([r["truth"]["trunk_length_px"] for r in rows])
    return {
        "detected": f"{len(ok)}/{len(grid)}",
        "rate_mae": mae("rate_err"),
        "rate_max": worst("rate_err"),
        "share_mae": mae("share_err"),
        "share_max": worst("share_err"),
        "chest_mae_px": mae("chest_err"),
        "belly_mae_px": mae("belly_err"),
        "reported_floor_px": float(np.median([g["floor_px"] for g in ok])) if ok else float("nan"),
        "smallest_detected_total_px": min(floor_ok) if floor_ok else None,
        "smallest_detected_total_pct": (100 * min(floor_ok) / trunk) if floor_ok else None,
    }


def _print(s: dict[str, Any]) -> None:
    print(f"\n== {s['variant']}: {len(s['rows'])} videos in {s['seconds']:.0f} s")
    for r in s["rows"]:
        t, p, m = r["truth"], r["picture"], r["mask_only"]
        head = (
            f"  {r['kind']:5} {r['body'][-4:]} rate {t['rate_per_min']:5.1f} chest "
            f"{t['chest_p2p_px']:4.2f} belly {t['belly_p2p_px']:4.2f} "
            f"share {t['belly_share_pct']:3.0f}:"
        )
        if not p["detected"]:
            print(f"{head} not detected {p['codes']}")
            continue
        mask = (
            f"rate {m['rate_err']:+5.2f} share {m['share_err']:+5.1f}"
            if m["detected"]
            else "not detected"
        )
        print(
            f"{head} rate {p['rate_err']:+5.2f} share {p['share_err']:+5.1f} chest "
            f"{p['chest_err']:+5.2f} belly {p['belly_err']:+5.2f} floor {p['floor_px']:.2f}"
            f"  | mask only: {mask}"
        )
    for key, label in (("picture", "outline refined to the picture"), ("mask_only", "mask only")):
        x = s[key]
        print(
            f"  {label:<31}: detected {x['detected']}, rate MAE {x['rate_mae']:.2f} "
            f"(max {x['rate_max']:.2f}) /min, share MAE {x['share_mae']:.1f} (max "
            f"{x['share_max']:.1f}) points, movement MAE chest {x['chest_mae_px']:.2f} px, "
            f"belly {x['belly_mae_px']:.2f} px; smallest movement detected on every floor "
            f"video: {x['smallest_detected_total_px']} px"
        )
    b = s["baseline"]
    print(
        f"  baseline (14 a minute, 50 % for everyone): rate MAE {b['rate_mae']:.2f} /min, "
        f"share MAE {b['share_mae']:.1f} points"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", type=Path, nargs="?", default=Path("/work/renders/change_val/t6"))
    ap.add_argument("--models", nargs="+", default=["lite", "full"])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--fps", type=float, default=15.0)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        videos = make_videos(args.root, Path(tmp), args.seconds, args.fps)
        print(f"made {len(videos)} test videos in {time.perf_counter() - t0:.0f} s")
        grid = [v["truth"] for v in videos if v["kind"] == "grid"]
        baseline = {
            "rate_mae": float(np.mean([abs(14.0 - t.rate_per_min) for t in grid])),
            "share_mae": float(np.mean([abs(50.0 - t.belly_share_pct) for t in grid])),
        }
        for variant in args.models:
            s = run(videos, variant, args.fps)
            s["picture"] = _summary(s["rows"], "picture")
            s["mask_only"] = _summary(s["rows"], "mask_only")
            s["baseline"] = baseline
            _print(s)
            results.append(s)
            x = s["picture"]
            if args.write:
                figures = {"rate_mae_per_min": x["rate_mae"], "share_mae_pct": x["share_mae"]}
                if x["smallest_detected_total_px"] is not None:
                    figures["floor_px"] = x["smallest_detected_total_px"]
                    figures["floor_pct"] = x["smallest_detected_total_pct"]
                guided_figures.update(
                    "breathing",
                    variant,
                    figures,
                    {"material": f"{len(videos)} warped-render videos, {args.seconds:.0f} s"},
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float))
    for s in results:
        x, m = s["picture"], s["mask_only"]
        print(
            f"SUMMARY breathing {s['variant']}: rate MAE {x['rate_mae']:.2f}/min (max "
            f"{x['rate_max']:.2f}, target 1), share MAE {x['share_mae']:.1f} (max "
            f"{x['share_max']:.1f}, target 10) points, smallest detected "
            f"{x['smallest_detected_total_px']} px; mask-only baseline share MAE "
            f"{m['share_mae']:.1f}, constant-answer baseline rate {s['baseline']['rate_mae']:.2f}"
        )


if __name__ == "__main__":
    main()
