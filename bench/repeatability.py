"""Repeatability (SEM) of the photo and live pipelines: the same still body, measured again.

    python bench/repeatability.py [DIR] [--source photo|live|both] [--model lite,full]
                                  [--images 30] [--perturbations 5] [--sessions 4]
                                  [--frame-cap 150] [--part validation] [--seed 0]
                                  [--out FILE | --no-write]

A change between two checks is only "real" when it exceeds the smallest detectable change
``SDC95 = 1.96 * sqrt(2) * SEM``, where the SEM is the within-person repeatability SD: the
spread of repeated measurements of a body that did not change. The accuracy bench's error
against the truth is not that (most of it is a per-body bias that cancels in a change).

**Photo** (``--source photo``, the default): each of ``--images`` synthetic dev images
(evenly spread over the chosen part, sorted by name) is measured as it is and after
``--perturbations`` small realistic changes of the same still picture, each drawn at random
(seeded) and all applied together:

* JPEG re-encoding at another quality (75-95, never the set's own 93),
* scale by 0.98-1.02 about the image centre,
* shift by 1-2 px in x and in y (either sign),
* rotation by -0.5° to +0.5° about the centre,

(edges replicated, no black borders) with the real photo pipeline (file bytes -> decode ->
detector -> gates -> roll correction -> metrics -> flip-average), per model variant. A
measurement counts when it is good (gates passed, outline not flagged).

**Live** (``--source live``): for each of the same images, ``--sessions`` independent live
*takes* of the same still person. A take is a fresh
:class:`~posture_cam.live.processor.LiveProcessor` built as the Live check page builds it
(``bench/live_fps.py``'s ``make_processor``: VIDEO-mode tracker, periodic several-people check,
outline measured 8 times a second, smoothing window and steady test), fed a stream of 640 × 480
frames: the image letterboxed on white (``bench/live_fps.py``'s ``letterbox_rgb``, the e2e
tests' fake camera picture), then, once per take, one change drawn like a photo perturbation
above (scale, 1-2 px shift, rotation, JPEG at 75-95; so that takes differ like a person placed
again in front of the camera), then, on every frame, a slow random walk of the picture (steps
of σ 0.25 px, within ±1 px) and sensor noise (σ drawn per take from 2-3 grey levels). Stream
clock: a frame rate drawn per take from 25-30 frames/s. Frames are fed until the processor
reports a steady result (or ``--frame-cap`` frames: the take counts as never steady); the
take's value is what "Keep this result" keeps at the first steady frame
(:func:`posture_cam.live.state.live_record`: the smoothed pelvic tilt and lordosis), good when
measurable with an unflagged outline.

The SEM per metric is the pooled within-image SD
(:func:`posture_cam.history.repeatability.pooled_sd`) over images with at least two good
measurements (photo: original + perturbed; live: takes); also printed: the median and 90th
percentile of the per-image SDs and the share of measurements that were good (live: of takes
that became steady and gave a good result), and for live the median frames to steady and the
median window spread of the kept results.

This sees the pipeline's noise only, not a person standing again or a camera placed again,
so it is a lower bound on a real person's SEM; see :mod:`posture_cam.history.baseline` for how the
live and personal SEMs add to it. The results are merged into
``posture_cam/data/repeatability.json`` (``photo.<variant>``, ``live.<variant>``), other
variants and the other source kept. The last line printed is a one-line SUMMARY.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_fps import letterbox_rgb, make_processor  # noqa: E402
from synthset import SynthItem, iter_synth  # noqa: E402

from posture_cam.history.baseline import TRACKED, sdc95  # noqa: E402
from posture_cam.history.repeatability import live_window_sd, pooled_sd  # noqa: E402
from posture_cam.live.state import live_record  # noqa: E402
from posture_cam.media.images import load_image  # noqa: E402
from posture_cam.pipeline import analyze_image  # noqa: E402
from posture_cam.pose.detect import DetectorOptions, PoseDetector  # noqa: E402
from posture_cam.pose.models import resolve_model  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "data" / "synth" / "dev"
DEFAULT_OUT = ROOT / "posture_cam" / "data" / "repeatability.json"
SET_JPEG_QUALITY = 93

# Live takes: per-frame changes of the still picture, and the stream clock.
WALK_STEP_PX = 0.25  # σ of one frame's step of the picture's random walk
WALK_MAX_PX = 1.0  # the walk stays within ±1 px
NOISE_SIGMA = (2.0, 3.0)  # sensor noise σ in grey levels, drawn per take
STREAM_FPS = (25.0, 30.0)  # frame rate, drawn per take
FRAME_CAP = 150


def perturb(rgb: np.ndarray, rng: np.random.Generator) -> tuple[bytes, dict[str, float]]:
    """One perturbed copy of an RGB image as JPEG bytes, and the parameters drawn."""
    h, w = rgb.shape[:2]
    scale = float(rng.uniform(0.98, 1.02))
    angle = float(rng.uniform(-0.5, 0.5))
    dx, dy = (float(v) for v in rng.choice([-2, -1, 1, 2], size=2))
    quality = int(rng.choice([q for q in range(75, 96) if q != SET_JPEG_QUALITY]))
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, scale)
    m[:, 2] += (dx, dy)
    out = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(out, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    params = {
        "scale": scale,
        "rotation_deg": angle,
        "dx_px": dx,
        "dy_px": dy,
        "jpeg_quality": quality,
    }
    return buf.tobytes(), params


def pick(items: list[SynthItem], n: int) -> list[SynthItem]:
    """``n`` items evenly spread over ``items`` (all when there are fewer)."""
    if n >= len(items):
        return items
    idx = np.linspace(0, len(items) - 1, n).round().astype(int)
    return [items[i] for i in idx]


def measure(det: PoseDetector, data: bytes, name: str) -> dict[str, float]:
    a = analyze_image(load_image(data, name=name), det)
    if a.metrics is None or not a.measurable or a.metrics.flags:
        return {m: float("nan") for m in TRACKED}
    return {m: float(getattr(a.metrics, m).value) for m in TRACKED}


def metric_stats(per_image: list[dict[str, list[float]]], metric: str) -> dict[str, Any]:
    """SEM (pooled within-image SD), SDC95 and the spread of the per-image SDs."""
    groups = [g[metric] for g in per_image]
    sem, df = pooled_sd(groups)
    sds = [
        float(np.std([x for x in g if np.isfinite(x)], ddof=1))
        for g in groups
        if np.isfinite(g).sum() >= 2
    ]
    good = sum(int(np.isfinite(g).sum()) for g in groups)
    total = sum(len(g) for g in groups)
    return {
        "sem": round(sem, 3) if np.isfinite(sem) else None,
        "sdc95": round(sdc95(sem), 3) if np.isfinite(sem) else None,
        "df": df,
        "n_images": len(sds),
        "n_measurements": good,
        "good_rate": round(good / total, 3) if total else 0.0,
        "per_image_sd_median": round(float(np.median(sds)), 3) if sds else None,
        "per_image_sd_p90": round(float(np.percentile(sds, 90)), 3) if sds else None,
    }


def run_variant(
    items: list[SynthItem], variant: str, n_perturb: int, seed: int
) -> dict[str, object]:
    model = resolve_model(variant)
    opts = DetectorOptions(model_path=model.path, mode="image", variant=variant)
    per_image: list[dict[str, list[float]]] = []
    t0 = time.perf_counter()
    with PoseDetector(opts) as det:
        for k, item in enumerate(items):
            # The same perturbations for every variant: seeded by the image, not the order.
            rng = np.random.default_rng([seed, item.index])
            original = item.image.read_bytes()
            rgb = load_image(original, name=item.image.name).rgb
            runs = [measure(det, original, item.image.name)]
            for j in range(n_perturb):
                data, _ = perturb(rgb, rng)
                runs.append(measure(det, data, f"{item.image.stem}_p{j}.jpg"))
            per_image.append({m: [r[m] for r in runs] for m in TRACKED})
            print(
                f"  photo {variant} {k + 1}/{len(items)} {item.image.name}",
                file=sys.stderr,
                flush=True,
            )
    seconds = time.perf_counter() - t0
    out: dict[str, object] = {"model_sha256": model.sha256, "seconds": round(seconds, 1)}
    for m in TRACKED:
        out[m] = metric_stats(per_image, m)
    return out


# ------------------------------------------------------------------------------------- live


def take_frames(base: np.ndarray, rng: np.random.Generator, sigma: float) -> Iterator[np.ndarray]:
    """Endless frames of one take: ``base`` moved by a slow random walk, plus sensor noise."""
    h, w = base.shape[:2]
    dx = dy = 0.0
    src = base.astype(np.float32)
    while True:
        dx = float(np.clip(dx + rng.normal(0.0, WALK_STEP_PX), -WALK_MAX_PX, WALK_MAX_PX))
        dy = float(np.clip(dy + rng.normal(0.0, WALK_STEP_PX), -WALK_MAX_PX, WALK_MAX_PX))
        m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float32)
        moved = cv2.warpAffine(
            src, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        moved += rng.standard_normal(moved.shape, dtype=np.float32) * np.float32(sigma)
        yield np.clip(moved, 0, 255).astype(np.uint8)


def live_take(
    variant: str, base: np.ndarray, rng: np.random.Generator, frame_cap: int, name: str
) -> dict[str, Any]:
    """One take: a fresh processor fed frames until steady; what "Keep" would keep."""
    data, params = perturb(base, rng)  # the person placed again: one change per take
    placed = cv2.cvtColor(
        cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
    )
    sigma = float(rng.uniform(*NOISE_SIGMA))
    fps = float(rng.uniform(*STREAM_FPS))
    proc = make_processor(variant)
    out: dict[str, Any] = {
        "steady": False,
        "frames": frame_cap,
        "params": params,
        "noise_sigma": sigma,
        "fps": fps,
        **{m: float("nan") for m in TRACKED},
        **{f"{m}_window_sd": float("nan") for m in TRACKED},
    }
    try:
        frames = take_frames(placed, rng, sigma)
        for i in range(frame_cap):
            proc.process(next(frames), i * 1000.0 / fps)
            state = proc.state
            if state.error is not None:
                out["error"] = state.error
            if not state.steady:
                continue
            out["steady"], out["frames"] = True, i + 1
            record = live_record(state, name)
            metrics = record.metrics if record is not None else None
            if record is not None and record.measurable and metrics and not metrics.flags:
                for m in TRACKED:
                    v = metrics.measure(m).value
                    sv = state.summary.values.get(m)
                    if v is not None and sv is not None:
                        out[m] = float(v)
                        out[f"{m}_window_sd"] = live_window_sd(sv.plus_minus, sv.calibration_pm)
            break
    finally:
        proc.close()
    return out


def run_live_variant(
    items: list[SynthItem], variant: str, sessions: int, frame_cap: int, seed: int
) -> dict[str, object]:
    model = resolve_model(variant)  # obtained through the model store when not cached
    per_image: list[dict[str, list[float]]] = []
    takes: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for k, item in enumerate(items):
        base = letterbox_rgb(item.image)
        runs = []
        for j in range(sessions):
            # The same takes for every variant: seeded by image and take, not the order.
            rng = np.random.default_rng([seed, item.index, j, 1])
            runs.append(live_take(variant, base, rng, frame_cap, f"{item.image.stem}_t{j}"))
        takes += runs
        per_image.append({m: [r[m] for r in runs] for m in TRACKED})
        steady = sum(r["steady"] for r in runs)
        print(
            f"  live {variant} {k + 1}/{len(items)} {item.image.name}: {steady}/{sessions} "
            f"steady, frames {[r['frames'] for r in runs]}",
            file=sys.stderr,
            flush=True,
        )
    seconds = time.perf_counter() - t0
    steady_frames = [int(t["frames"]) for t in takes if t["steady"]]
    errors = sorted({str(t["error"]) for t in takes if t.get("error")})
    out: dict[str, object] = {
        "model_sha256": model.sha256,
        "seconds": round(seconds, 1),
        "n_takes": len(takes),
        "steady_rate": round(len(steady_frames) / len(takes), 3) if takes else 0.0,
        "never_steady": len(takes) - len(steady_frames),
        "frames_to_steady_median": (
            float(statistics.median(steady_frames)) if steady_frames else None
        ),
        "frames_to_steady_p90": (
            round(float(np.percentile(steady_frames, 90)), 1) if steady_frames else None
        ),
        "frame_cap": frame_cap,
    }
    if errors:
        out["errors"] = errors[:5]
    for m in TRACKED:
        stats = metric_stats(per_image, m)
        wsd = [t[f"{m}_window_sd"] for t in takes if np.isfinite(t[f"{m}_window_sd"])]
        stats["window_sd_median"] = round(float(np.median(wsd)), 3) if wsd else None
        out[m] = stats
    return out


# ------------------------------------------------------------------------------------- main


def _f(x: object, spec: str = "6.2f") -> str:
    if isinstance(x, int | float) and np.isfinite(x):
        return format(x, spec)
    width = int(spec.split(".")[0]) if spec[0].isdigit() else 1
    return "-".rjust(width)


def print_table(title: str, results: dict[str, dict[str, Any]], live: bool) -> None:
    print(f"\n{title}")
    extra = f" {'steady':>6} {'frames':>6} {'win SD':>6}" if live else ""
    print(
        f"{'model':6} {'metric':21} {'SEM':>6} {'SDC95':>6} {'df':>4} {'images':>6} "
        f"{'good':>5} {'med SD':>6} {'p90 SD':>6}{extra} {'time':>6}"
    )
    for v, r in results.items():
        for m in TRACKED:
            s = r[m]
            more = ""
            if live:
                more = (
                    f" {r['steady_rate']:6.0%} {_f(r['frames_to_steady_median'], '6.0f')} "
                    f"{_f(s['window_sd_median'])}"
                )
            print(
                f"{v:6} {m:21} {_f(s['sem'])} {_f(s['sdc95'])} {s['df']:4d} "
                f"{s['n_images']:6d} {s['good_rate']:5.0%} {_f(s['per_image_sd_median'])} "
                f"{_f(s['per_image_sd_p90'])}{more} {r['seconds']:5.0f}s"
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default=str(DEFAULT_DIR), help="folder of synth_*.jpg")
    ap.add_argument(
        "--source",
        choices=["photo", "live", "both"],
        default="photo",
        help="which pipeline to measure",
    )
    ap.add_argument("--model", default="lite,full", help="variants, comma-separated")
    ap.add_argument("--images", type=int, default=30)
    ap.add_argument("--perturbations", type=int, default=5, help="photo: changed copies")
    ap.add_argument("--sessions", type=int, default=4, help="live: takes per image")
    ap.add_argument(
        "--frame-cap",
        type=int,
        default=FRAME_CAP,
        help="live: frames fed before a take counts as never steady",
    )
    ap.add_argument("--part", choices=["validation", "train", "all"], default="validation")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="JSON file to merge results into")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    if args.images < 1 or args.perturbations < 1 or args.sessions < 2 or args.frame_cap < 1:
        ap.error(
            "--images, --perturbations and --frame-cap must be at least 1, --sessions at least 2"
        )

    items = [i for i in iter_synth(args.dir) if args.part == "all" or i.part == args.part]
    if not items:
        ap.error(f"no synth_*.jpg with truth in {args.dir} (part {args.part})")
    items = pick(items, args.images)
    variants = [v.strip() for v in args.model.split(",") if v.strip()]
    do_photo, do_live = args.source in ("photo", "both"), args.source in ("live", "both")
    photo: dict[str, dict[str, Any]] = {}
    live: dict[str, dict[str, Any]] = {}
    if do_photo:
        photo = {v: run_variant(items, v, args.perturbations, args.seed) for v in variants}
    if do_live:
        live = {
            v: run_live_variant(items, v, args.sessions, args.frame_cap, args.seed)
            for v in variants
        }

    out = Path(args.out)
    data = json.loads(out.read_text("utf-8")) if out.exists() else {}
    if photo:
        print_table(
            f"Repeatability of the photo pipeline: {len(items)} {args.part} images x "
            f"(1 original + {args.perturbations} perturbed)",
            photo,
            live=False,
        )
    if live:
        print_table(
            f"Repeatability of the live pipeline: {len(items)} {args.part} images x "
            f"{args.sessions} takes (fresh LiveProcessor, 640x480, 25-30 frames/s, "
            f"first steady result, cap {args.frame_cap} frames)",
            live,
            live=True,
        )
        # Photo values to compare with: this run's, else the JSON's.
        ref = photo or (data.get("photo") or {})
        where = "this run" if photo else f"{out.name}"
        print(f"\nlive against photo (photo from {where}; SEM ratio live/photo):")
        parts = []
        for v, r in live.items():
            for m in TRACKED:
                lsem = r[m]["sem"]
                psem = ((ref.get(v) or {}).get(m) or {}).get("sem")
                ratio = f"x{lsem / psem:.2f}" if isinstance(lsem, float) and psem else "-"
                print(
                    f"  {v:6} {m:21} live SEM {_f(lsem, '5.2f')} (SDC95 "
                    f"{_f(r[m]['sdc95'], '5.2f')})  photo SEM {_f(psem, '5.2f')} "
                    f"(SDC95 {_f(sdc95(psem) if psem else None, '5.2f')})  {ratio}"
                )
                short = "tilt" if m == "pelvic_tilt_deg" else "lordosis"
                parts.append(f"{v} {short} {_f(lsem, '.2f')} (photo {_f(psem, '.2f')})")
        steady = ", ".join(
            f"{v} {r['steady_rate']:.0%} steady in median "
            f"{_f(r['frames_to_steady_median'], '.0f')} frames"
            for v, r in live.items()
        )
        summary = (
            "SUMMARY repeatability live: SEM deg "
            + "; ".join(parts)
            + f"; {steady}; {len(items)} images x {args.sessions} takes"
        )
    else:
        summary = (
            "SUMMARY repeatability photo: SEM deg "
            + "; ".join(
                f"{v} tilt {_f(r['pelvic_tilt_deg']['sem'], '.2f')}, lordosis "
                f"{_f(r['lumbar_lordosis_deg']['sem'], '.2f')}"
                for v, r in photo.items()
            )
            + f"; {len(items)} images x (1 + {args.perturbations})"
        )

    if not args.no_write:
        data.setdefault("photo", {})
        data.setdefault("live", {})
        data["photo"].update(photo)
        data["live"].update(live)
        info = data.setdefault("info", {})
        info["what"] = (
            "within-person repeatability SD (SEM, degrees) per source (photo, "
            "live), model variant and metric; SDC95 = 1.96*sqrt(2)*SEM"
        )
        if photo:
            info["method"] = (
                "bench/repeatability.py --source photo: each image measured as it is and "
                "after random small changes of the same still picture (JPEG quality 75-95, "
                "scale 0.98-1.02, shift 1-2 px in x and y, rotation +-0.5 deg), real photo "
                "pipeline with flip-averaging; SEM = pooled within-image SD of good "
                "measurements"
            )
            info["data"] = (
                f"the validation renders (synth dev set), {args.part} part, {len(items)} images "
                f"evenly spread (sorted by name), {args.perturbations} "
                f"perturbations each, seed {args.seed}"
            )
        if live:
            info["live"] = (
                "bench/repeatability.py --source live: per image, independent takes of the "
                "same still person, each a fresh LiveProcessor (as the Live page builds it) "
                "fed 640x480 letterboxed frames at 25-30 frames/s: one photo-like change per "
                "take (JPEG 75-95, scale 0.98-1.02, shift 1-2 px, rotation +-0.5 deg), a "
                "random walk within +-1 px and sensor noise sigma 2-3 per frame, until "
                "steady; the take's value is the first steady result as 'Keep this result' "
                "keeps it; SEM = pooled within-image SD over takes"
            )
            info["live_data"] = (
                f"the validation renders (synth dev set), {args.part} part, {len(items)} "
                f"images evenly spread (sorted by name), {args.sessions} "
                f"takes each, cap {args.frame_cap} frames, seed {args.seed}"
            )
        info["limits"] = (
            "pipeline noise only (no re-standing, no camera re-placement beyond the small "
            "changes above): a lower bound; posture_cam.history.baseline also uses live window "
            "spreads and the user's own same-day repeats when larger"
        )
        info["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        data["info"] = info
        out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"\nwritten: {out}")
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
