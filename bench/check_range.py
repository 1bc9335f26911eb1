"""Pelvic-tilt range check: changes between positions against same-body renders' truth.

    python bench/check_range.py [ROOT] [--models lite full] [--bodies 24] [--fps 10]
                                [--mode both|photo|video] [--write] [--json OUT]
    python bench/check_range.py TRAINING_ROOT --fit-gain [--models lite full] [--bodies 60]

ROOT (default ``/work/renders/change_val``) holds renders of the same bodies at set pelvic
tilts, one folder per tilt (``t-2``, ``t6``, ``t14``, ``t22``; same file name = same body,
camera, light and clothes: ``../shared/tools/synth`` with a fixed ``--tilt-range``). Truth:
``measured.asis_psis_deg`` and ``measured.lordosis_deg``. The video's holds take the lowest
tilt as tucked under, the next as relaxed and the highest as tipped forward.

Two paths, both the product's own:

* **video** (the check as a user runs it): per body a four-hold video (relaxed = 6°,
  tipped forward = 22°, tucked under = -2°, relaxed again = 6° on the default ROOT;
  ``bench/check_material.py``:
  3 s holds, 1 s cross-fades, camera wobble and sensor noise, H.264) goes through
  ``posture-cam check range``'s code (:func:`posture_cam.guided.run_range_check`, VIDEO
  mode, ``--fps`` frames a second). Per position pair, the change between the holds is
  compared with the renders' true change; also the relaxed position (%) and the two
  relaxed holds' difference (truth 0).
* **photo**: every render through the photo pipeline (:func:`posture_cam.pipeline.analyze_file`,
  mirror-averaged); changes between the photos of one body, including the small 6° -> 14°.

Baseline in the same run: answering "no change" (its error is the true change itself).
Target (issue 10): change MAE <= 1.5° per position pair. The changes' slope against the
truth (measured / true) shows whether the estimator follows a change fully.

``--write`` stores the video path's figures per model in ``posture_cam/data/guided_bench.json``.

``--fit-gain`` runs the video path on TRAINING_ROOT (renders of other bodies than ROOT's,
e.g. at -4/4/12/20°) without any gain and stores, per model, the factor that best turns the
measured changes between holds into the true ones (least squares through zero, all three
pairs pooled) in ``posture_cam/data/range_gain.json``, which the range check applies to
every change (:class:`posture_cam.measure.holds.RangeConfig`). Fit it on training renders
only; the figures on ROOT then say whether it holds on bodies it never saw.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import guided_figures  # noqa: E402
from check_material import (  # noqa: E402
    range_renders,
    range_tilts,
    range_video,
    tilt_folders,
    write_mp4,
)

from posture_cam.guided import RANGE_GAIN_FILE, range_config, run_range_check  # noqa: E402
from posture_cam.measure.holds import RangeConfig  # noqa: E402
from posture_cam.media.video import iter_video_frames  # noqa: E402
from posture_cam.pipeline import INFERENCE_MAX_SIDE_PX, analyze_file  # noqa: E402
from posture_cam.pose.detect import DetectorOptions, PoseDetector  # noqa: E402
from posture_cam.pose.models import resolve_model  # noqa: E402

VIDEO_PAIRS = (("relaxed", "forward"), ("relaxed", "tucked"), ("tucked", "forward"))


def _bodies(root: Path, n: int | None) -> list[str]:
    relaxed = dict(range_tilts(root))["relaxed"]
    names = sorted(p.stem for p in (root / relaxed).glob("synth_*.png") if "_mask" not in p.stem)
    return names[:n] if n else names


def _truth(root: Path, tilt: str, name: str) -> tuple[float, float]:
    m = json.loads((root / tilt / f"{name}.json").read_text())["measured"]
    return float(m["asis_psis_deg"]), float(m["lordosis_deg"])


def _change_stats(measured: list[float], true: list[float]) -> dict[str, float]:
    m, t = np.array(measured), np.array(true)
    err = m - t
    return {
        "n": float(len(err)),
        "mae": float(np.abs(err).mean()),
        "bias": float(err.mean()),
        "p95": float(np.percentile(np.abs(err), 95)),
        "slope": float(m @ t / (t @ t)),
        "baseline_mae": float(np.abs(t).mean()),
    }


def run_photo(root: Path, names: list[str], variant: str) -> dict[str, Any]:
    model = resolve_model(variant)
    values: dict[tuple[str, str], tuple[float, float]] = {}
    failed = 0
    with PoseDetector(DetectorOptions(model.path, mode="image", variant=variant)) as det:
        for name in names:
            for tilt in tilt_folders(root):
                a = analyze_file(root / tilt / f"{name}.png", det)
                if a.measurable and a.metrics is not None and a.metrics.reliable:
                    values[(name, tilt)] = (
                        a.metrics.pelvic_tilt_deg.value,
                        a.metrics.lumbar_lordosis_deg.value,
                    )
                else:
                    failed += 1
    pairs: dict[str, Any] = {}
    for t0, t1 in combinations(tilt_folders(root), 2):
        mt, tt, ml, tl = [], [], [], []
        for name in names:
            if (name, t0) in values and (name, t1) in values:
                (a0, b0), (a1, b1) = values[(name, t0)], values[(name, t1)]
                (ta0, tb0), (ta1, tb1) = _truth(root, t0, name), _truth(root, t1, name)
                mt.append(a1 - a0)
                tt.append(ta1 - ta0)
                ml.append(b1 - b0)
                tl.append(tb1 - tb0)
        if mt:
            pairs[f"{t0}->{t1}"] = {
                "tilt": _change_stats(mt, tt),
                "lordosis": _change_stats(ml, tl),
            }
    return {"variant": variant, "not_measured": failed, "pairs": pairs}


def make_videos(root: Path, names: list[str], out: Path, fps: float) -> dict[str, Any]:
    made = {}
    tilts = range_tilts(root)
    for k, name in enumerate(names):
        frames, truth = range_video(range_renders(root, name, tilts), fps=fps, seed=k)
        path = write_mp4(frames, fps, out / f"range_{name}.mp4")
        made[name] = {"path": path, "truth": {t.position: t for t in truth}}
    return made


def run_video(
    videos: dict[str, Any], variant: str, fps: float, config: RangeConfig
) -> dict[str, Any]:
    """The range check on each video; changes between holds as the check reports them."""
    model = resolve_model(variant)
    gt, gl = config.tilt_change_gain, config.lordosis_change_gain
    per_pair: dict[str, dict[str, list[float]]] = {
        f"{a}->{b}": {"mt": [], "tt": [], "ml": [], "tl": []} for a, b in VIDEO_PAIRS
    }
    pct_err, relaxed_diff, failures = [], [], []
    t0 = time.perf_counter()
    n_frames = 0
    for name, v in videos.items():
        with PoseDetector(DetectorOptions(model.path, mode="video", variant=variant)) as det:
            frames = iter_video_frames(v["path"], max_fps=fps, max_side_px=INFERENCE_MAX_SIDE_PX)
            run = run_range_check(frames, det, variant=variant, config=config)
        n_frames += run.tally.n_frames
        r = run.outcome.result
        if r is None:
            failures.append((name, [f.code for f in run.findings]))
            continue
        truth = v["truth"]
        for a, b in VIDEO_PAIRS:
            ha, hb = r.hold(a), r.hold(b)
            d = per_pair[f"{a}->{b}"]
            d["mt"].append(gt * (hb.tilt_deg.value - ha.tilt_deg.value))
            d["tt"].append(truth[b].asis_psis_deg - truth[a].asis_psis_deg)
            d["ml"].append(gl * (hb.lordosis_deg.value - ha.lordosis_deg.value))
            d["tl"].append(truth[b].lordosis_deg - truth[a].lordosis_deg)
        tr, tf, tt_ = (truth[p].asis_psis_deg for p in ("relaxed", "forward", "tucked"))
        if r.relaxed_position_pct is not None:
            pct_err.append(r.relaxed_position_pct.value - 100 * (tr - tt_) / (tf - tt_))
        relaxed_diff.append(r.relaxed_difference_tilt_deg.value)
    pairs = {
        k: {"tilt": _change_stats(d["mt"], d["tt"]), "lordosis": _change_stats(d["ml"], d["tl"])}
        for k, d in per_pair.items()
        if d["mt"]
    }
    all_mt = sum((d["mt"] for d in per_pair.values()), [])
    all_tt = sum((d["tt"] for d in per_pair.values()), [])
    all_ml = sum((d["ml"] for d in per_pair.values()), [])
    all_tl = sum((d["tl"] for d in per_pair.values()), [])
    return {
        "variant": variant,
        "videos": len(videos),
        "measured": len(videos) - len(failures),
        "failures": failures,
        "frames": n_frames,
        "seconds": time.perf_counter() - t0,
        "pairs": pairs,
        "pooled": {
            "tilt": _change_stats(all_mt, all_tt) if all_mt else None,
            "lordosis": _change_stats(all_ml, all_tl) if all_ml else None,
        },
        "relaxed_pct_mae": float(np.abs(pct_err).mean()) if pct_err else None,
        "relaxed_diff_mean_abs": float(np.abs(relaxed_diff).mean()) if relaxed_diff else None,
        # What would still multiply the reported changes to fit the truth best.
        "gain_fit": {
            "tilt": _gain(all_mt, all_tt) if all_mt else None,
            "lordosis": _gain(all_ml, all_tl) if all_ml else None,
        },
    }


def _gain(measured: list[float], true: list[float]) -> float:
    """Least squares of the true changes on the measured ones, through zero."""
    m, t = np.array(measured), np.array(true)
    return float(m @ t / (m @ m))


def fit_gain(root: Path, names: list[str], variants: list[str], fps: float) -> None:
    """Fit and store each model's change gain on ``root`` (training renders)."""
    with tempfile.TemporaryDirectory() as tmp:
        videos = make_videos(root, names, Path(tmp), fps)
        data = json.loads(RANGE_GAIN_FILE.read_text()) if RANGE_GAIN_FILE.is_file() else {}
        for variant in variants:
            none = replace(range_config(variant), tilt_change_gain=1.0, lordosis_change_gain=1.0)
            s = run_video(videos, variant, fps, none)
            print(f"\n== {variant} without a gain: {s['measured']}/{s['videos']} videos measured")
            _print_pairs(s["pairs"])
            g = s["gain_fit"]
            data[variant] = {
                "tilt": round(g["tilt"], 4),
                "lordosis": round(g["lordosis"], 4),
                "videos": s["measured"],
                "material": f"{len(names)} bodies x {len(tilt_folders(root))} tilts, {root.name}",
                "date": time.strftime("%Y-%m-%d"),
            }
            print(f"GAIN {variant}: tilt {g['tilt']:.4f}, lordosis {g['lordosis']:.4f}")
    RANGE_GAIN_FILE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"written: {RANGE_GAIN_FILE}")


def _print_pairs(pairs: dict[str, Any]) -> None:
    print(
        f"  {'pair':<22} {'n':>3}  {'tilt MAE':>8} {'bias':>6} {'slope':>5} {'no-change':>9}"
        f"  {'curve MAE':>9} {'bias':>6} {'slope':>5} {'no-change':>9}"
    )
    for k, p in pairs.items():
        t, lo = p["tilt"], p["lordosis"]
        ok = "ok" if t["mae"] <= 1.5 else "  "
        print(
            f"  {k:<22} {t['n']:3.0f}  {t['mae']:7.2f}° {t['bias']:+6.2f} {t['slope']:5.2f}"
            f" {t['baseline_mae']:8.2f}°  {lo['mae']:8.2f}° {lo['bias']:+6.2f}"
            f" {lo['slope']:5.2f} {lo['baseline_mae']:8.2f}° {ok}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", type=Path, nargs="?", default=Path("/work/renders/change_val"))
    ap.add_argument("--models", nargs="+", default=["lite", "full"])
    ap.add_argument("--bodies", type=int, default=None, help="first N bodies (default all)")
    ap.add_argument("--fps", type=float, default=10.0, help="video frames a second")
    ap.add_argument("--mode", choices=("both", "photo", "video"), default="both")
    ap.add_argument("--write", action="store_true", help="store the video figures")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--fit-gain", action="store_true", help="fit the change gain on ROOT")
    args = ap.parse_args()
    names = _bodies(args.root, args.bodies)
    if args.fit_gain:
        print(f"{len(names)} bodies from {args.root}: fitting the change gain")
        fit_gain(args.root, names, args.models, args.fps)
        return
    print(f"{len(names)} bodies from {args.root}; target: change MAE <= 1.5° per pair")
    results: dict[str, Any] = {}
    if args.mode in ("both", "photo"):
        for variant in args.models:
            s = run_photo(args.root, names, variant)
            results[f"photo_{variant}"] = s
            print(f"\n== photo pipeline, {variant} ({s['not_measured']} photos not measured)")
            _print_pairs(s["pairs"])
    if args.mode in ("both", "video"):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            videos = make_videos(args.root, names, Path(tmp), args.fps)
            print(f"\n(made {len(videos)} four-hold videos in {time.perf_counter() - t0:.0f} s)")
            for variant in args.models:
                s = run_video(videos, variant, args.fps, range_config(variant))
                results[f"video_{variant}"] = s
                print(
                    f"\n== video check (posture-cam check range), {variant}: "
                    f"{s['measured']}/{s['videos']} videos measured, {s['frames']} frames "
                    f"in {s['seconds']:.0f} s"
                )
                for name, codes in s["failures"]:
                    print(f"  not measured: {name} {codes}")
                _print_pairs(s["pairs"])
                if s["pooled"]["tilt"] is not None:
                    print(
                        f"  relaxed position: MAE {s['relaxed_pct_mae']:.1f} points; the two "
                        f"relaxed holds differ by {s['relaxed_diff_mean_abs']:.2f}° (truth 0)"
                    )
                    cfg = range_config(variant)
                    print(
                        f"  change gain applied: tilt {cfg.tilt_change_gain:.3f}, lordosis "
                        f"{cfg.lordosis_change_gain:.3f}; the best gain on these videos would "
                        f"be {s['gain_fit']['tilt']:.3f} x that, {s['gain_fit']['lordosis']:.3f} x"
                    )
                    if args.write:
                        pt, pl = s["pooled"]["tilt"], s["pooled"]["lordosis"]
                        guided_figures.update(
                            "range",
                            variant,
                            {
                                "change_mae_tilt_deg": pt["mae"],
                                "change_mae_lordosis_deg": pl["mae"],
                                "change_ratio_tilt": pt["slope"],
                                "change_ratio_lordosis": pl["slope"],
                                "relaxed_pct_mae": s["relaxed_pct_mae"],
                                "n_videos": s["measured"],
                            },
                            {"material": f"{len(names)} bodies x 4 tilts, {args.root.name}"},
                        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    for key, s in results.items():
        pooled = s.get("pooled", {}).get("tilt") if key.startswith("video") else None
        worst = max((p["tilt"]["mae"] for p in s["pairs"].values()), default=float("nan"))
        extra = ""
        if pooled:
            extra = (
                f", pooled slope {pooled['slope']:.2f}, "
                f"no-change baseline {pooled['baseline_mae']:.2f}°"
            )
        print(f"SUMMARY range {key}: worst pair tilt-change MAE {worst:.2f}° (target 1.5°){extra}")


if __name__ == "__main__":
    main()
