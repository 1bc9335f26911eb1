"""Fit the pelvic-tilt and lordosis estimates on the synthetic dev set's training part.

    python bench/fit_calibration.py ../shared/data/synth/dev [--variants lite full heavy]

For each pose-model variant: runs the real pipeline (file -> detector -> gates -> outline
features) on every image, fits ridge regressions on the training part (the penalty chosen
by 5-fold cross-validation inside the training part only), prints the errors on the
held-back validation part and writes them with the coefficients to
``posture_cam/data/calibration.json``. The validation errors become the ``±`` the tool shows.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthset import iter_synth  # noqa: E402

from posture_cam.measure.calibration import CALIBRATION_FILE, Calibration, LinearModel  # noqa: E402
from posture_cam.measure.gates import check_detection  # noqa: E402
from posture_cam.measure.metrics import FEATURE_NAMES, pose_features  # noqa: E402
from posture_cam.media.images import inference_view, load_image  # noqa: E402
from posture_cam.pipeline import INFERENCE_MAX_SIDE_PX, level_detection  # noqa: E402
from posture_cam.pose.detect import DetectorOptions, PoseDetector  # noqa: E402
from posture_cam.pose.models import resolve_model  # noqa: E402

LAMBDAS = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
FEATURE_SETS = {
    # Lordosis: the L1-S1 angle itself, alone or with the outline's curve around it.
    "lordosis_raw": ("lordosis_raw_deg",),
    "back_outline": tuple(n for n in FEATURE_NAMES if n.startswith("back_")),
    "back_outline+raw": ("lordosis_raw_deg",)
    + tuple(n for n in FEATURE_NAMES if n.startswith("back_")),
    "outline": tuple(n for n in FEATURE_NAMES if n.startswith(("back_", "front_"))),
    "outline+segments": tuple(n for n in FEATURE_NAMES if "_x_" not in n),
    "outline+segments+shape": FEATURE_NAMES,
}


def _features(det: PoseDetector, rgb: np.ndarray) -> np.ndarray | None:
    """The outline features exactly as the photo pipeline computes them (camera levelled)."""
    detection = det.detect(rgb)
    gates = check_detection(detection)
    if gates.passed:
        detection, _ = level_detection(detection, rgb)
    pose = detection.person
    if not gates.passed or pose is None or not gates.near_side or not gates.facing:
        return None
    feats = pose_features(pose, gates.near_side, gates.facing)
    return None if feats.flags else feats.vector


def collect(folder: Path, variant: str) -> tuple[np.ndarray, ...]:
    """Features of each image and of its mirror image, truths, and is-validation.

    Mirror images are the same body seen from the other side with MediaPipe's slightly
    different answer: as extra training rows they teach the fit to ignore that difference,
    and the photo pipeline averages both views anyway.
    """
    model = resolve_model(variant)
    rows, mirrored, tilt, lordosis, is_val = [], [], [], [], []
    skipped = 0
    opts = DetectorOptions(model_path=model.path, mode="image", variant=variant)
    with PoseDetector(opts) as det:
        for item in iter_synth(folder):
            small, _ = inference_view(load_image(item.image).rgb, INFERENCE_MAX_SIDE_PX)
            a = _features(det, small)
            b = _features(det, np.ascontiguousarray(small[:, ::-1]))
            if a is None or b is None:
                skipped += 1
                continue
            rows.append(a)
            mirrored.append(b)
            tilt.append(item.tilt_deg)
            lordosis.append(item.lordosis_deg)
            is_val.append(item.part == "validation")
    print(f"  {variant}: {len(rows)} images usable, {skipped} gated out or flagged")
    return (
        np.array(rows),
        np.array(mirrored),
        np.array(tilt),
        np.array(lordosis),
        np.array(is_val),
    )


def fit_ridge(x: np.ndarray, y: np.ndarray, lam: float) -> tuple[np.ndarray, ...]:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    a = z.T @ z + lam * np.eye(z.shape[1])
    coef = np.linalg.solve(a, z.T @ (y - y.mean()))
    return mean, scale, coef, np.array(y.mean())


def predict(params: tuple[np.ndarray, ...], x: np.ndarray) -> np.ndarray:
    mean, scale, coef, intercept = params
    return float(intercept) + ((x - mean) / scale) @ coef


def _both(x: np.ndarray, xm: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([x, xm]), np.concatenate([y, y])


def cv_mae(x: np.ndarray, xm: np.ndarray, y: np.ndarray, lam: float, folds: int = 5) -> float:
    """Cross-validated error of the flip-averaged estimate; an image and its mirror image
    always fall in the same fold."""
    idx = np.arange(len(y))
    errs = []
    for k in range(folds):
        test = idx % folds == k
        params = fit_ridge(*_both(x[~test], xm[~test], y[~test]), lam)
        est = (predict(params, x[test]) + predict(params, xm[test])) / 2
        errs.append(np.abs(est - y[test]))
    return float(np.concatenate(errs).mean())


def choose_and_fit(
    x: np.ndarray, xm: np.ndarray, y: np.ndarray, is_val: np.ndarray, target: str
) -> LinearModel:
    cols = {n: i for i, n in enumerate(FEATURE_NAMES)}
    tr = ~is_val
    best = None
    for set_name, names in FEATURE_SETS.items():
        sel = [cols[n] for n in names]
        for lam in LAMBDAS:
            score = cv_mae(x[tr][:, sel], xm[tr][:, sel], y[tr], lam)
            if best is None or score < best[0]:
                best = (score, set_name, lam, sel, names)
    assert best is not None
    score, set_name, lam, sel, names = best
    params = fit_ridge(*_both(x[tr][:, sel], xm[tr][:, sel], y[tr]), lam)
    single = predict(params, x[is_val][:, sel])
    err = np.abs((single + predict(params, xm[is_val][:, sel])) / 2 - y[is_val])
    print(
        f"  {target}: features={set_name} lambda={lam} train-CV MAE={score:.2f}°  "
        f"validation MAE={err.mean():.2f}° median={np.median(err):.2f}° "
        f"p95={np.percentile(err, 95):.2f}° (n={err.size}; one view only: MAE "
        f"{np.abs(single - y[is_val]).mean():.2f}°)"
    )
    mean, scale, coef, intercept = params
    return LinearModel(
        features=tuple(names),
        mean=mean,
        scale=scale,
        coef=coef,
        intercept=float(intercept),
        mae=float(err.mean()),
        p95_abs_error=float(np.percentile(err, 95)),
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--variants", nargs="+", default=["lite", "full", "heavy"])
    ap.add_argument("--out", type=Path, default=ROOT / "posture_cam" / "data" / CALIBRATION_FILE)
    args = ap.parse_args()
    tilt_models, lordosis_models = {}, {}
    t0 = time.time()
    for variant in args.variants:
        x, xm, tilt, lordosis, is_val = collect(args.folder, variant)
        tilt_models[variant] = choose_and_fit(x, xm, tilt, is_val, "pelvic tilt")
        lordosis_models[variant] = choose_and_fit(x, xm, lordosis, is_val, "lordosis")
    cal = Calibration(
        pelvic_tilt=tilt_models,
        lumbar_lordosis=lordosis_models,
        info={
            "default_variant": "full" if "full" in args.variants else args.variants[0],
            "data": "shared/data/synth/dev",
            "split": "validation = image index % 3 == 0 (index = seed - 11*1000003)",
            "method": "ridge regression on each image and its mirror image; penalty and "
            "feature set by 5-fold CV on train",
            "plus_minus": "validation mean absolute error of the flip-averaged estimate",
        },
    )
    args.out.write_text(json.dumps(cal.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
