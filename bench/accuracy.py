"""Accuracy of the whole measurement against synthetic ground truth: clean, hard, change.

    python bench/accuracy.py ../shared/data/synth/dev [--model full] [--part validation]
        [--hard ~/.cache/posture_cam/hard] [--change DIR ...] [--json OUT]

Every picture goes through what the app does (detector, gates, camera levelling, outline,
occluder findings, estimator, classifier; photos as taken and mirrored, averaged), with the
detections cached on disk (``detcache.py``) so a rerun takes seconds. Reported:

* **clean** (the dev set, never trained on; ``--part validation`` is the fixed third used
  since the first version): detection and measured rates; MAE, median, 95th percentile,
  bias and Spearman rho of pelvic tilt (vs ``measured.asis_psis_deg``) and lordosis (vs
  ``measured.lordosis_deg``); the mirror difference (the same picture flipped, with and
  without flip-averaging); agreement of the pattern with the pattern of the true angles.
  Baselines in the same run: answering everyone with the training mean, and the raw L1-S1
  chord angle.
* **hard** (``--hard``: the same validation bodies with painted occluders and photo effects,
  built by ``hardset.py`` if missing): per kind, how often a finding made the result
  inconclusive, the share still measured, the error when measured, and the **silent-failure
  rate**: measured (no blocking finding) with an error above twice the clean 95th percentile.
* **reliability** (clean + hard): stated confidence bin -> observed agreement, n, and the
  expected calibration error.
* **change** (``--change``: folders of the same bodies rendered at set tilts, e.g. -2, 6, 14,
  22°): for every pair of pictures of one body, the slope of estimated against true change
  and the mean absolute error of the change.

The last line is a summary against the targets of issue 9.
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

from hardset import write_hard_set  # noqa: E402
from occluders import KINDS  # noqa: E402
from synthset import SEED_BASE  # noqa: E402
from trainset import measure_pictures  # noqa: E402

from posture_cam.measure.calibration import Calibration, load_calibration, read_calibration  # noqa: E402
from posture_cam.measure.classify import classify_values  # noqa: E402
from posture_cam.measure.metrics import FEATURE_NAMES  # noqa: E402
from posture_cam.pipeline import assess_views  # noqa: E402
from posture_cam.types import Measurement  # noqa: E402

TARGETS = {
    "tilt_mae": 2.5,
    "lordosis_mae": 3.0,
    "agreement": 0.85,
    "mirror": 0.5,
    "silent": 0.05,
    "ece": 0.05,
    "slope": (0.9, 1.1),
    "change_mae": 1.5,
}
RAW = FEATURE_NAMES.index("lordosis_raw_deg")


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


def _true_pattern(tilt: float, lordosis: float) -> str:
    return classify_values(
        Measurement(tilt, 0.0), Measurement(lordosis, 0.0), plausible=None
    ).pattern


def _value(metrics: object, name: str) -> float:
    return float(getattr(metrics, name).value) if metrics is not None else float("nan")


def measure(folder: Path, variant: str, part: str, cal: Calibration) -> list[dict]:
    """One row per picture: truth, what the app answers, and the single-view answers."""
    rows = []
    for path, truth, views in measure_pictures(folder, variant):
        index = int(truth["seed"]) - SEED_BASE
        if part == "validation" and index % 3 != 0:
            continue
        gates, metrics, assessment = assess_views(views, variant=variant, calibration=cal)
        # Measured = a result was given: no gate or occluder blocked it, the reading is
        # plausible and tilt and curve agree (otherwise the user is told it is unreliable).
        measured = assessment.pattern != "inconclusive"
        single = [assess_views([v], variant=variant, calibration=cal) for v in views]
        t_true = float(truth["measured"]["asis_psis_deg"])
        l_true = float(truth["measured"]["lordosis_deg"])
        raw = views[0].features.vector[RAW] if views[0].features is not None else float("nan")
        rows.append(
            {
                "image": path.name,
                "kind": (truth.get("augmentation") or {}).get("kind", "clean"),
                "detected": views[0].detection.n_people > 0,
                "gates_passed": views[0].gates.passed,
                "codes": list(gates.codes),
                "measured": bool(measured),
                "tilt_true": t_true,
                "lordosis_true": l_true,
                "tilt_est": _value(metrics, "pelvic_tilt_deg") if measured else float("nan"),
                "lordosis_est": _value(metrics, "lumbar_lordosis_deg")
                if measured
                else float("nan"),
                "pattern_est": assessment.pattern,
                "confidence": assessment.confidence,
                "implausible": assessment.implausible,
                "pattern_true": _true_pattern(t_true, l_true),
                "single": [
                    (_value(m, "pelvic_tilt_deg"), _value(m, "lumbar_lordosis_deg"))
                    for _, m, _ in single
                ],
                "raw_lordosis": float(raw),
            }
        )
    return rows


def summarise_clean(rows: list[dict], variant: str, cal: Calibration) -> dict:
    n = len(rows)
    ok = np.array([r["measured"] for r in rows])
    t_est = np.array([r["tilt_est"] for r in rows])
    l_est = np.array([r["lordosis_est"] for r in rows])
    t_true = np.array([r["tilt_true"] for r in rows])
    l_true = np.array([r["lordosis_true"] for r in rows])
    est = cal.variant(variant).estimator
    single = np.array([r["single"] for r in rows])  # (n, 2 views, 2 metrics)
    both = np.isfinite(single).all(axis=(1, 2))
    raw = np.array([r["raw_lordosis"] for r in rows])
    out = {
        "n": n,
        "detection_rate": float(np.mean([r["detected"] for r in rows])),
        "gate_pass_rate": float(np.mean([r["gates_passed"] for r in rows])),
        "measured_rate": float(ok.mean()),
        "pelvic_tilt": error_stats(t_est[ok], t_true[ok]),
        "lordosis": error_stats(l_est[ok], l_true[ok]),
        "baseline": {
            "tilt_train_mean_mae": float(np.abs(t_true - est.y_mean[0]).mean()),
            "lordosis_train_mean_mae": float(np.abs(l_true - est.y_mean[1]).mean()),
            "lordosis_raw_chords": error_stats(raw[np.isfinite(raw)], l_true[np.isfinite(raw)]),
        },
        # The app averages the picture and its mirror image, so the flipped picture gives the
        # same two detections: its answer is the same. Without averaging, MediaPipe's own
        # asymmetry shows as the difference between the two single views.
        "mirror": {"tilt_mean_abs_diff": 0.0, "lordosis_mean_abs_diff": 0.0},
        "single_view": {
            "pelvic_tilt": error_stats(single[both, 0, 0], t_true[both]),
            "lordosis": error_stats(single[both, 0, 1], l_true[both]),
            "mirror_tilt_mean_abs_diff": float(
                np.abs(single[both, 0, 0] - single[both, 1, 0]).mean()
            ),
            "mirror_lordosis_mean_abs_diff": float(
                np.abs(single[both, 0, 1] - single[both, 1, 1]).mean()
            ),
        },
    }
    pe = [r["pattern_est"] for r in rows]
    pt = [r["pattern_true"] for r in rows]
    out["class_agreement"] = float(np.mean([a == b for a, b in zip(pe, pt, strict=True)]))
    out["truth_class_share"] = {k: v / n for k, v in Counter(pt).items()}
    out["estimate_class_share"] = {k: v / n for k, v in Counter(pe).items()}
    return out


def summarise_hard(rows: list[dict], clean_p95: tuple[float, float]) -> dict:
    out = {}
    for kind in sorted({r["kind"] for r in rows}):
        rs = [r for r in rows if r["kind"] == kind]
        measured = np.array([r["measured"] for r in rs])
        err_t = np.abs(np.array([r["tilt_est"] - r["tilt_true"] for r in rs]))
        err_l = np.abs(np.array([r["lordosis_est"] - r["lordosis_true"] for r in rs]))
        silent = measured & ((err_t > 2 * clean_p95[0]) | (err_l > 2 * clean_p95[1]))
        flagged = np.array([bool(set(r["codes"]) - {"camera_tilted"}) for r in rs])
        out[kind] = {
            "n": len(rs),
            "flagged_rate": float(flagged.mean()),
            "inconclusive_rate": float(np.mean([r["pattern_est"] == "inconclusive" for r in rs])),
            "measured_rate": float(measured.mean()),
            "tilt_mae_measured": float(err_t[measured].mean()) if measured.any() else None,
            "lordosis_mae_measured": float(err_l[measured].mean()) if measured.any() else None,
            "silent_failure_rate": float(silent.mean()),
            "codes": dict(Counter(c for r in rs for c in r["codes"])),
        }
    return out


def reliability(rows: list[dict]) -> dict:
    sel = [r for r in rows if r["pattern_est"] != "inconclusive"]
    conf = np.array([r["confidence"] for r in sel])
    right = np.array([r["pattern_est"] == r["pattern_true"] for r in sel])
    edges = [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001]
    bins, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (conf >= lo) & (conf < hi)
        if inside.any():
            acc, mean = float(right[inside].mean()), float(conf[inside].mean())
            ece += inside.sum() / len(sel) * abs(acc - mean)
            bins.append(
                {
                    "from": lo,
                    "to": min(hi, 1.0),
                    "n": int(inside.sum()),
                    "stated": mean,
                    "observed": acc,
                }
            )
    return {"n_calls": len(sel), "n_pictures": len(rows), "ece": float(ece), "bins": bins}


def summarise_change(rows: list[dict]) -> dict:
    by_body: dict[str, list[dict]] = {}
    for r in rows:
        by_body.setdefault(r["image"], []).append(r)
    d_true, d_est = [], []
    for rs in by_body.values():
        rs = [r for r in rs if r["measured"]]
        for a in range(len(rs)):
            for b in range(a + 1, len(rs)):
                d_true.append(
                    [
                        rs[a]["tilt_true"] - rs[b]["tilt_true"],
                        rs[a]["lordosis_true"] - rs[b]["lordosis_true"],
                    ]
                )
                d_est.append(
                    [
                        rs[a]["tilt_est"] - rs[b]["tilt_est"],
                        rs[a]["lordosis_est"] - rs[b]["lordosis_est"],
                    ]
                )
    dt, de = np.array(d_true).reshape(-1, 2), np.array(d_est).reshape(-1, 2)
    out = {"bodies": len(by_body), "pairs": len(dt)}
    for j, m in enumerate(("pelvic_tilt", "lordosis")):
        slope = (
            float((dt[:, j] * de[:, j]).sum() / (dt[:, j] ** 2).sum()) if len(dt) else float("nan")
        )
        out[m] = {
            "slope": slope,
            "change_mae": float(np.abs(de[:, j] - dt[:, j]).mean()) if len(dt) else float("nan"),
            "order_right": float(np.mean(np.sign(de[:, j]) == np.sign(dt[:, j])))
            if len(dt)
            else float("nan"),
        }
    return out


def print_report(s: dict) -> str:
    p = print
    c = s["clean"]
    p(f"accuracy bench: model={s['variant']} part={s['part']} n={c['n']} ({s['seconds']:.0f} s)")
    p(
        f"  detection {c['detection_rate']:.1%}  gates passed {c['gate_pass_rate']:.1%}  "
        f"measured {c['measured_rate']:.1%}"
    )
    for key, label in (("pelvic_tilt", "pelvic tilt"), ("lordosis", "lordosis")):
        e = c[key]
        if e.get("n"):
            p(
                f"  {label:12s} MAE {e['mae']:.2f}°  median {e['median']:.2f}°  "
                f"p95 {e['p95']:.2f}°  "
                f"bias {e['bias']:+.2f}°  Spearman {e['spearman']:.2f}  (n={e['n']})"
            )
    b = c["baseline"]
    p(
        f"  baselines: training-mean answer MAE tilt {b['tilt_train_mean_mae']:.2f}°, lordosis "
        f"{b['lordosis_train_mean_mae']:.2f}°; raw L1-S1 chords MAE "
        f"{b['lordosis_raw_chords'].get('mae', float('nan')):.2f}°"
    )
    one = c["single_view"]
    p(
        f"  mirror difference {c['mirror']['tilt_mean_abs_diff']:.2f}° (flip-averaged); one view "
        f"only: MAE tilt {one['pelvic_tilt'].get('mae', float('nan')):.2f}°, lordosis "
        f"{one['lordosis'].get('mae', float('nan')):.2f}°, mirror difference tilt "
        f"{one['mirror_tilt_mean_abs_diff']:.2f}°, lordosis "
        f"{one['mirror_lordosis_mean_abs_diff']:.2f}°"
    )
    share = ", ".join(f"{k} {v:.0%}" for k, v in sorted(c["truth_class_share"].items()))
    p(f"  class agreement {c['class_agreement']:.1%} (truth: {share})")
    checks = {
        "tilt": c["pelvic_tilt"].get("mae", 99) <= TARGETS["tilt_mae"],
        "lordosis": c["lordosis"].get("mae", 99) <= TARGETS["lordosis_mae"],
        "agreement": c["class_agreement"] >= TARGETS["agreement"],
        "mirror": c["mirror"]["tilt_mean_abs_diff"] <= TARGETS["mirror"],
    }
    if "hard" in s:
        p(
            "  hard set (clean p95 x2 = silent-failure bound: tilt "
            f"{2 * c['pelvic_tilt']['p95']:.1f}°, lordosis {2 * c['lordosis']['p95']:.1f}°):"
        )
        p(
            f"    {'kind':16s} {'n':>4s} {'flagged':>8s} {'measured':>9s} "
            f"{'MAE t/l measured':>17s} "
            f"{'silent':>7s}"
        )
        worst = 0.0
        for kind, h in s["hard"].items():
            mae = (
                f"{h['tilt_mae_measured']:.1f}/{h['lordosis_mae_measured']:.1f}°"
                if h["tilt_mae_measured"] is not None
                else "-"
            )
            p(
                f"    {kind:16s} {h['n']:4d} {h['flagged_rate']:8.0%} {h['measured_rate']:9.0%} "
                f"{mae:>17s} {h['silent_failure_rate']:7.1%}"
            )
            worst = max(worst, h["silent_failure_rate"])
        checks["silent"] = worst <= TARGETS["silent"]
    r = s["reliability"]
    p(
        f"  reliability (clean{' + hard' if 'hard' in s else ''}, {r['n_calls']} calls of "
        f"{r['n_pictures']} pictures): ECE {r['ece']:.3f}"
    )
    for bin_ in r["bins"]:
        p(
            f"    stated {bin_['from']:.0%}-{bin_['to']:.0%}: n {bin_['n']:4d}, stated mean "
            f"{bin_['stated']:.1%}, observed {bin_['observed']:.1%}"
        )
    checks["ece"] = r["ece"] <= TARGETS["ece"]
    top = [b_ for b_ in r["bins"] if b_["from"] >= 0.95]
    checks["top_bin"] = all(b_["observed"] >= 0.95 for b_ in top)
    if "change" in s:
        ch = s["change"]
        p(f"  change within a body ({ch['bodies']} bodies, {ch['pairs']} pairs):")
        for m in ("pelvic_tilt", "lordosis"):
            e = ch[m]
            p(
                f"    {m:12s} slope {e['slope']:.2f}  change MAE {e['change_mae']:.2f}°  "
                f"order right {e['order_right']:.0%}"
            )
        lo, hi = TARGETS["slope"]
        checks["slope"] = all(lo <= ch[m]["slope"] <= hi for m in ("pelvic_tilt", "lordosis"))
        checks["change_mae"] = all(
            ch[m]["change_mae"] <= TARGETS["change_mae"] for m in ("pelvic_tilt", "lordosis")
        )
    failed = [k for k, v in checks.items() if not v]
    summary = (
        f"SUMMARY {s['variant']} {s['part']} n={c['n']}: tilt MAE "
        f"{c['pelvic_tilt'].get('mae', float('nan')):.2f}° lordosis MAE "
        f"{c['lordosis'].get('mae', float('nan')):.2f}° agreement {c['class_agreement']:.0%} "
        f"ECE {r['ece']:.3f} -> "
        + ("all targets met" if not failed else "targets missed: " + ", ".join(failed))
    )
    p(summary)
    return summary


def run(
    folder: Path,
    variant: str,
    part: str,
    *,
    hard: Path | None = None,
    change: list[Path] | None = None,
    calibration: Calibration | None = None,
) -> dict:
    t0 = time.perf_counter()
    cal = calibration or load_calibration()
    rows = measure(folder, variant, part, cal)
    s: dict = {"variant": variant, "part": part, "clean": summarise_clean(rows, variant, cal)}
    rel_rows = list(rows)
    if hard is not None:
        write_hard_set(folder, hard, "validation", KINDS)
        hard_rows = measure(hard, variant, part, cal)
        p95 = (s["clean"]["pelvic_tilt"]["p95"], s["clean"]["lordosis"]["p95"])
        s["hard"] = summarise_hard(hard_rows, p95)
        rel_rows += hard_rows
    s["reliability"] = reliability(rel_rows)
    if change:
        ch_rows = []
        for f in change:
            ch_rows += measure(f, variant, "all", cal)
        s["change"] = summarise_change(ch_rows)
    s["seconds"] = time.perf_counter() - t0
    return s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--model", choices=("lite", "full", "heavy"), default="full")
    ap.add_argument("--part", choices=("validation", "all"), default="validation")
    ap.add_argument("--hard", type=Path, help="hard set folder (built here if missing)")
    ap.add_argument("--change", nargs="*", type=Path, help="same-body folders at set tilts")
    ap.add_argument("--json", type=Path, help="write every number here")
    ap.add_argument("--estimator", type=Path, help="an estimator file other than the shipped one")
    args = ap.parse_args()
    cal = None
    if args.estimator:
        with open(args.estimator, "rb") as f:
            cal = read_calibration(f)
    s = run(
        args.folder,
        args.model,
        args.part,
        hard=args.hard.expanduser() if args.hard else None,
        change=args.change,
        calibration=cal,
    )
    print_report(s)
    if args.json:
        args.json.write_text(json.dumps(s, indent=1, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
