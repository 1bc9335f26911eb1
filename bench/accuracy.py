"""Accuracy of the whole pipeline against the synthetic ground truth.

    python bench/accuracy.py DIR [--model lite|full|heavy] [--part auto|validation|train|all]
                             [--json OUT] [--no-mirror]

Runs file -> detector -> gates -> metrics -> classifier on every ``synth_*.jpg`` in DIR
(with its ``.json`` truth) and prints detection and gate-pass rates; MAE, median and 95th
percentile absolute error and Spearman rho of pelvic tilt (vs ``measured.asis_psis_deg``)
and lordosis (vs ``measured.lordosis_deg``); the mirror difference (same image flipped
left-right); agreement between classify(estimates) and classify(ground truth) and the
share of each ground-truth class. Baselines in the same run: always answering the
training mean, and the uncalibrated L1-S1 chord angle. The last line is a summary.

``--part auto`` uses the validation part when DIR holds the dev set's split (see
bench/synthset.py), else every image.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthset import SynthItem, iter_synth  # noqa: E402

from posture_cam.measure.classify import classify_values  # noqa: E402
from posture_cam.measure.metrics import FEATURE_NAMES, pose_features  # noqa: E402
from posture_cam.media.images import LoadedImage, load_image  # noqa: E402
from posture_cam.pipeline import PhotoAnalysis, analyze_image  # noqa: E402
from posture_cam.pose.detect import DetectorOptions, PoseDetector  # noqa: E402
from posture_cam.pose.models import resolve_model  # noqa: E402
from posture_cam.types import Measurement  # noqa: E402

TARGETS = {
    "tilt_mae": 4.0,
    "lordosis_mae": 5.0,
    "detection": 0.98,
    "mirror": 1.0,
    "agreement": 0.85,
    "class_share": 0.20,
}


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 3:
        return float("nan")
    ra = np.argsort(np.argsort(a)).astype(float)
    rb = np.argsort(np.argsort(b)).astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])


def error_stats(est: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    err = np.abs(est - truth)
    if err.size == 0:
        return {"n": 0}
    return {
        "n": int(err.size),
        "mae": float(err.mean()),
        "median": float(np.median(err)),
        "p95": float(np.percentile(err, 95)),
        "bias": float((est - truth).mean()),
        "spearman": spearman(est, truth),
    }


def _raw_lordosis(a: PhotoAnalysis) -> float:
    pose = a.detection.person if a.detection is not None else None
    if pose is None or a.gates.near_side is None or a.gates.facing is None:
        return float("nan")
    feats = pose_features(pose, a.gates.near_side, a.gates.facing)
    return float(feats.vector[FEATURE_NAMES.index("lordosis_raw_deg")])


def run(folder: Path, variant: str, part: str, mirror: bool) -> dict:
    items = list(iter_synth(folder))
    if part == "auto":
        parts = {i.part for i in items}
        part = "validation" if parts == {"train", "validation"} else "all"
    if part != "all":
        items = [i for i in items if i.part == part]
    train_items = [i for i in iter_synth(folder) if i.part == "train"]
    model = resolve_model(variant)
    opts = DetectorOptions(model_path=model.path, mode="image", variant=variant)
    rows = []
    t0 = time.perf_counter()
    with PoseDetector(opts) as det:
        for item in items:
            img = load_image(item.image)
            a = analyze_image(img, det)
            row = _row(item, a)
            row["raw_lordosis"] = _raw_lordosis(a)
            if mirror:
                flipped = LoadedImage(
                    np.ascontiguousarray(img.rgb[:, ::-1]), img.name, img.format, img.orientation
                )
                b = analyze_image(flipped, det)
                row["mirror_tilt"] = _value(b, "pelvic_tilt_deg")
                row["mirror_lordosis"] = _value(b, "lumbar_lordosis_deg")
                # The same without flip-averaging: MediaPipe's own left-right asymmetry.
                a1 = analyze_image(img, det, flip_average=False)
                b1 = analyze_image(flipped, det, flip_average=False)
                row["single_tilt_diff"] = abs(
                    _value(a1, "pelvic_tilt_deg") - _value(b1, "pelvic_tilt_deg")
                )
                row["single_lordosis_diff"] = abs(
                    _value(a1, "lumbar_lordosis_deg") - _value(b1, "lumbar_lordosis_deg")
                )
                row["single_tilt_est"] = _value(a1, "pelvic_tilt_deg")
                row["single_lordosis_est"] = _value(a1, "lumbar_lordosis_deg")
            rows.append(row)
    seconds = time.perf_counter() - t0
    return summarise(rows, train_items, variant, part, seconds, model.sha256)


def _value(a: PhotoAnalysis, name: str) -> float:
    if a.metrics is None or not a.measurable or a.metrics.flags:
        return float("nan")
    return float(getattr(a.metrics, name).value)


def _row(item: SynthItem, a: PhotoAnalysis) -> dict:
    truth = classify_values(Measurement(item.tilt_deg, 0.0), Measurement(item.lordosis_deg, 0.0))
    return {
        "image": item.image.name,
        "detected": a.detection is not None and a.detection.n_people > 0,
        "gates_passed": a.gates.passed,
        "finding_codes": list(a.gates.codes),
        "flags": list(a.metrics.flags) if a.metrics else [],
        "tilt_true": item.tilt_deg,
        "lordosis_true": item.lordosis_deg,
        "tilt_est": _value(a, "pelvic_tilt_deg"),
        "lordosis_est": _value(a, "lumbar_lordosis_deg"),
        "pattern_est": a.assessment.pattern,
        "pattern_true": truth.pattern,
        "arms": item.truth["subject"]["arms"],
        "top": item.truth["subject"]["top"],
    }


def summarise(
    rows: list[dict], train: list[SynthItem], variant: str, part: str, seconds: float, sha: str
) -> dict:
    n = len(rows)
    det = np.array([r["detected"] for r in rows])
    passed = np.array([r["gates_passed"] for r in rows])
    t_est = np.array([r["tilt_est"] for r in rows])
    l_est = np.array([r["lordosis_est"] for r in rows])
    t_true = np.array([r["tilt_true"] for r in rows])
    l_true = np.array([r["lordosis_true"] for r in rows])
    ok = np.isfinite(t_est) & np.isfinite(l_est)
    out: dict = {
        "variant": variant,
        "model_sha256": sha,
        "part": part,
        "n": n,
        "seconds": seconds,
        "detection_rate": float(det.mean()) if n else 0.0,
        "gate_pass_rate": float(passed.mean()) if n else 0.0,
        "measured_rate": float(ok.mean()) if n else 0.0,
        "pelvic_tilt": error_stats(t_est[ok], t_true[ok]),
        "lordosis": error_stats(l_est[ok], l_true[ok]),
    }
    # Baselines: the training mean for everyone, and the raw chord angle (offset fitted on
    # train would need train features; the raw angle's own bias is shown instead).
    t_mean = float(np.mean([i.tilt_deg for i in train])) if train else float(t_true.mean())
    l_mean = float(np.mean([i.lordosis_deg for i in train])) if train else float(l_true.mean())
    raw = np.array([r["raw_lordosis"] for r in rows])
    raw_ok = ok & np.isfinite(raw)
    out["baseline"] = {
        "tilt_train_mean_mae": float(np.abs(t_true[ok] - t_mean).mean()) if ok.any() else None,
        "lordosis_train_mean_mae": float(np.abs(l_true[ok] - l_mean).mean()) if ok.any() else None,
        "lordosis_raw_chords": error_stats(raw[raw_ok], l_true[raw_ok]),
    }
    if "mirror_tilt" in rows[0] if rows else False:
        mt = np.array([r["mirror_tilt"] for r in rows])
        ml = np.array([r["mirror_lordosis"] for r in rows])
        m_ok = ok & np.isfinite(mt) & np.isfinite(ml)
        st = np.array([r["single_tilt_diff"] for r in rows])
        sl = np.array([r["single_lordosis_diff"] for r in rows])
        s_ok = np.isfinite(st) & np.isfinite(sl)
        ste = np.array([r["single_tilt_est"] for r in rows])
        sle = np.array([r["single_lordosis_est"] for r in rows])
        one = np.isfinite(ste) & np.isfinite(sle)
        out["single_pass"] = {
            "pelvic_tilt": error_stats(ste[one], t_true[one]),
            "lordosis": error_stats(sle[one], l_true[one]),
            "mirror_tilt_mean_abs_diff": float(st[s_ok].mean()) if s_ok.any() else None,
            "mirror_lordosis_mean_abs_diff": float(sl[s_ok].mean()) if s_ok.any() else None,
        }
        out["mirror"] = {
            "n": int(m_ok.sum()),
            "tilt_mean_abs_diff": float(np.abs(mt - t_est)[m_ok].mean()) if m_ok.any() else None,
            "lordosis_mean_abs_diff": float(np.abs(ml - l_est)[m_ok].mean())
            if m_ok.any()
            else None,
        }
    pe = [r["pattern_est"] for r in rows]
    pt = [r["pattern_true"] for r in rows]
    out["class_agreement"] = float(np.mean([a == b for a, b in zip(pe, pt, strict=True)]))
    out["truth_class_share"] = {k: v / n for k, v in Counter(pt).items()}
    out["estimate_class_share"] = {k: v / n for k, v in Counter(pe).items()}
    out["confusion"] = {f"{b}->{a}": c for (a, b), c in Counter(zip(pe, pt, strict=True)).items()}
    for key in ("arms", "top"):
        groups: dict[str, list[float]] = {}
        for r, good in zip(rows, ok, strict=True):
            if good:
                groups.setdefault(r[key], []).append(abs(r["tilt_est"] - r["tilt_true"]))
        out[f"tilt_mae_by_{key}"] = {k: float(np.mean(v)) for k, v in groups.items()}
    out["rows"] = rows
    return out


def print_report(s: dict) -> str:
    p = print
    p(
        f"accuracy bench: model={s['variant']} part={s['part']} n={s['n']} "
        f"({s['seconds']:.0f} s, {s['seconds'] / max(s['n'], 1):.2f} s per image incl. mirror)"
    )
    p(
        f"  detection rate   {s['detection_rate']:.1%}   gates passed {s['gate_pass_rate']:.1%}   "
        f"measured {s['measured_rate']:.1%}"
    )
    for key, label in (("pelvic_tilt", "pelvic tilt"), ("lordosis", "lordosis")):
        e = s[key]
        if e.get("n"):
            p(
                f"  {label:12s} MAE {e['mae']:.2f}°  median {e['median']:.2f}°  "
                f"p95 {e['p95']:.2f}°  bias {e['bias']:+.2f}°  Spearman {e['spearman']:.2f}  "
                f"(n={e['n']})"
            )
    b = s["baseline"]
    raw = b["lordosis_raw_chords"]
    p(
        f"  baseline: training-mean answer MAE tilt {b['tilt_train_mean_mae']:.2f}°, "
        f"lordosis {b['lordosis_train_mean_mae']:.2f}°; uncalibrated L1-S1 chords "
        f"MAE {raw.get('mae', float('nan')):.2f}° (bias {raw.get('bias', float('nan')):+.2f}°, "
        f"Spearman {raw.get('spearman', float('nan')):.2f})"
    )
    if "mirror" in s:
        m = s["mirror"]
        p(
            f"  mirror difference: tilt {m['tilt_mean_abs_diff']:.2f}°, lordosis "
            f"{m['lordosis_mean_abs_diff']:.2f}° (mean |a - flipped a|, n={m['n']})"
        )
        one = s["single_pass"]
        p(
            f"  without flip-averaging (one detection per photo): tilt MAE "
            f"{one['pelvic_tilt']['mae']:.2f}°, lordosis MAE {one['lordosis']['mae']:.2f}°, "
            f"mirror difference tilt {one['mirror_tilt_mean_abs_diff']:.2f}°, lordosis "
            f"{one['mirror_lordosis_mean_abs_diff']:.2f}°"
        )
    share = ", ".join(f"{k} {v:.0%}" for k, v in sorted(s["truth_class_share"].items()))
    est = ", ".join(f"{k} {v:.0%}" for k, v in sorted(s["estimate_class_share"].items()))
    p(f"  class agreement {s['class_agreement']:.1%}; truth classes: {share}; estimated: {est}")
    p("  tilt MAE by arms: " + ", ".join(f"{k} {v:.2f}°" for k, v in s["tilt_mae_by_arms"].items()))
    checks = {
        "tilt": s["pelvic_tilt"].get("mae", 99) <= TARGETS["tilt_mae"],
        "lordosis": s["lordosis"].get("mae", 99) <= TARGETS["lordosis_mae"],
        "detection": s["detection_rate"] >= TARGETS["detection"],
        "mirror": "mirror" not in s
        or max(s["mirror"]["tilt_mean_abs_diff"], s["mirror"]["lordosis_mean_abs_diff"])
        <= TARGETS["mirror"],
        "agreement": s["class_agreement"] >= TARGETS["agreement"],
        "shares": min(
            s["truth_class_share"].get("increased", 0), s["truth_class_share"].get("flattened", 0)
        )
        >= TARGETS["class_share"],
    }
    failed = [k for k, v in checks.items() if not v]
    summary = (
        f"SUMMARY {s['variant']} {s['part']} n={s['n']}: tilt MAE "
        f"{s['pelvic_tilt'].get('mae', float('nan')):.2f}° lordosis MAE "
        f"{s['lordosis'].get('mae', float('nan')):.2f}° detection {s['detection_rate']:.0%} "
        f"agreement {s['class_agreement']:.0%} -> "
        + ("all targets met" if not failed else "targets missed: " + ", ".join(failed))
    )
    p(summary)
    return summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--model", choices=("lite", "full", "heavy"), default="full")
    ap.add_argument("--part", choices=("auto", "validation", "train", "all"), default="auto")
    ap.add_argument("--json", type=Path, help="write every number and per-image rows here")
    ap.add_argument("--no-mirror", action="store_true", help="skip the flipped-image pass")
    args = ap.parse_args()
    s = run(args.folder, args.model, args.part, not args.no_mirror)
    print_report(s)
    if args.json:
        args.json.write_text(json.dumps(s, indent=1, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
