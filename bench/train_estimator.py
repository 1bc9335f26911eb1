"""Train the pelvic-tilt and lordosis estimator, measure it, and ship it: one command.

    python bench/train_estimator.py --variant full \\
        --train RENDERS_DIR [RENDERS_DIR ...] --augment 2 \\
        --dev ../shared/data/synth/dev --hard ~/.cache/posture_cam/hard \\
        --change SAME_BODY_DIR [SAME_BODY_DIR ...] [--members 5]

What it does, re-running only what changed (detections and tables are cached, see
``trainset.py``):

1. For every training folder of renders (seeds >= 100000, never the dev set), paints
   ``--augment`` occluders or photo effects per render (``occluders.py``), then measures the
   clean and painted pictures as the app does, as taken and mirrored.
2. Fits ``--members`` small networks (``mlp_train.py``), each leaving out one fifth of the
   bodies, on which it stops early; together they give an out-of-fold estimate for every
   training picture. Same-body renders at different set tilts add a change-size term.
3. From the out-of-fold estimates: which occluder findings make a reading unreliable (the
   95th-percentile error with that finding above twice the clean one: the result becomes
   inconclusive) and which only widen the ``±``; and the confidence calibration.
4. On pictures it never saw: the clean error (the dev set), the error with an occluder found
   but kept (the hard set), and the error of a change (same-body renders at set tilts).
   These become every ``±`` the app shows.
5. Writes ``posture_cam/data/estimator.npz`` (other variants already in it are kept).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hardset import write_hard_set  # noqa: E402
from mlp_train import FitSettings, fit_network  # noqa: E402
from occluders import KINDS  # noqa: E402
from trainset import CUE_NAMES, Table, build_table, folder_label  # noqa: E402

from posture_cam.measure.calibration import (  # noqa: E402
    ESTIMATOR_FILE,
    Calibration,
    ConfidenceCalibration,
    ErrorStats,
    VariantCalibration,
    read_calibration,
)
from posture_cam.measure.classify import classify_values  # noqa: E402
from posture_cam.measure.estimator import AngleEstimator, Network  # noqa: E402
from posture_cam.measure.metrics import FEATURE_NAMES  # noqa: E402
from posture_cam.measure.occlusion import (  # noqa: E402
    OCCLUDERS,
    OcclusionCues,
    OcclusionModel,
    cue_inputs,
)
from posture_cam.types import Measurement  # noqa: E402

METRICS = ("pelvic_tilt_deg", "lumbar_lordosis_deg")
EFFECT_WEIGHT = 0.5  # a photo effect's picture counts half: it repeats a clean body


# What each painted kind is, for the occluder classifier; photo effects hide nothing.
KIND_CLASS = {
    "clean": "clean",
    "phone_jpeg": "clean",
    "motion_blur": "clean",
    "low_light": "clean",
    "busy_background": "clean",
    "hair_long": "hair",
    "loose_top": "loose",
    "hoodie": "hood",  # its hood shows more plainly than the fabric over the hollow
    "hood": "hood",
    "hands_on_hips": "arm",
    "arm_behind": "arm",
    "bag": "bag",
    "second_person": "second",
}
CLEAN_FLAGGED = 0.01  # each detector flags at most this share of clean training pictures


def _cue_matrix(table: Table) -> tuple[np.ndarray, np.ndarray]:
    """Classifier inputs per (picture, view); NaN rows where the view was not measured."""
    x = np.full((len(table), 2, 2 * len(CUE_NAMES)), np.nan)
    for i in range(len(table)):
        for k in range(2):
            if table.passed[i, k] and np.isfinite(table.cues[i, k]).any():
                x[i, k] = cue_inputs(OcclusionCues(*map(float, table.cues[i, k])))
    return x, np.isfinite(x).all(axis=2)


def fit_occlusion(train: Table) -> OcclusionModel:
    """One logistic detector per occluder class against clean pictures (class-balanced, L2),
    each with the threshold that flags at most ``CLEAN_FLAGGED`` of the clean training
    pictures (a picture is flagged when either view is)."""
    x, ok = _cue_matrix(train)
    cls = np.array([KIND_CLASS[str(k)] for k in train.kind])
    pic, view = np.nonzero(ok)
    xs = x[pic, view]
    mean, scale = xs.mean(axis=0), xs.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z_all = (x - mean) / scale
    names = list(OCCLUDERS)
    w = np.zeros((xs.shape[1], len(names)))
    b = np.zeros(len(names))
    thresholds = np.zeros(len(names))
    clean_pics = cls == "clean"
    for j, name in enumerate(names):
        rows = np.isin(cls[pic], ["clean", name])
        z, y = z_all[pic[rows], view[rows]], (cls[pic[rows]] == name).astype(float)
        cw = np.where(y == 1, 0.5 / max(y.mean(), 1e-9), 0.5 / max(1 - y.mean(), 1e-9))
        wj, bj = np.zeros(z.shape[1]), 0.0
        for _ in range(3000):
            prob = 1.0 / (1.0 + np.exp(-(z @ wj + bj)))
            g = cw * (prob - y) / len(y)
            wj -= 0.5 * (z.T @ g + 1e-3 * wj)
            bj -= 0.5 * g.sum()
        w[:, j], b[j] = wj, bj
        logits = np.where(ok, z_all @ wj + bj, -np.inf).max(axis=1)  # a picture: either view
        thresholds[j] = float(np.quantile(logits[clean_pics & ok.any(axis=1)], 1 - CLEAN_FLAGGED))
    return OcclusionModel(mean, scale, w, b, thresholds)


def _fold(seed: int, folds: int) -> int:
    return zlib.crc32(str(seed).encode()) % folds


def picture_findings(table: Table, model: OcclusionModel) -> list[tuple[str, ...]]:
    """Per picture, the occluder codes found in either measured view."""
    out = []
    for i in range(len(table)):
        codes: dict[str, None] = {}
        for k in range(2):
            if table.passed[i, k] and np.isfinite(table.cues[i, k]).any():
                cues = OcclusionCues(*map(float, table.cues[i, k]))
                codes.update(dict.fromkeys(f.code for f in model.findings(cues)))
        out.append(tuple(codes))
    return out


def predict_pictures(est: AngleEstimator, table: Table) -> np.ndarray:
    """Flip-averaged estimate per picture (NaN when no view was measured), as the app does."""
    out = np.full((len(table), 2), np.nan)
    for k in range(2):
        pred, _ = est.predict(np.where(table.passed[:, k, None], table.features[:, k], np.nan))
        out = np.where(np.isnan(out), pred, np.where(np.isnan(pred), out, (out + pred) / 2))
    return out


def error_stats(err: np.ndarray) -> ErrorStats:
    a = np.abs(err[np.isfinite(err)])
    if a.size == 0:
        return ErrorStats(float("nan"), float("nan"), float("nan"), 0)
    return ErrorStats(
        mae=round(float(a.mean()), 3),
        p95_abs_error=round(float(np.percentile(a, 95)), 3),
        sd=round(float(np.sqrt(np.mean(err[np.isfinite(err)] ** 2))), 3),
        n=int(a.size),
    )


def stats_pair(est: np.ndarray, truth: np.ndarray) -> dict[str, ErrorStats]:
    return {m: error_stats(est[:, j] - truth[:, j]) for j, m in enumerate(METRICS)}


def change_errors(est: np.ndarray, table: Table) -> np.ndarray:
    """Error of every within-body change (estimated minus true), one row per pair."""
    out = []
    for seed in np.unique(table.seed):
        idx = np.flatnonzero((table.seed == seed) & np.isfinite(est).all(axis=1))
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                i, j = idx[a], idx[b]
                out.append((est[i] - est[j]) - (table.truth[i] - table.truth[j]))
    return np.array(out).reshape(-1, 2)


def true_class(truth: np.ndarray) -> np.ndarray:
    return np.array(
        [
            classify_values(Measurement(t, 0.0), Measurement(lo, 0.0), plausible=None).pattern
            for t, lo in truth
        ]
    )


def calls(est: np.ndarray, pm: np.ndarray, conf: ConfidenceCalibration) -> tuple[np.ndarray, ...]:
    patterns, confidence = [], []
    for (t, lo), (pt, pl) in zip(est, pm, strict=True):
        a = classify_values(Measurement(t, pt), Measurement(lo, pl), confidence=conf)
        patterns.append(a.pattern)
        confidence.append(a.confidence)
    return np.array(patterns), np.array(confidence)


def reliability(pred: np.ndarray, conf: np.ndarray, truth: np.ndarray) -> tuple[float, list]:
    """Expected calibration error over 10 confidence bins, and the bins (lo, hi, n, acc, mean)."""
    sel = pred != "inconclusive"
    right = (pred == truth)[sel]
    c = conf[sel]
    edges = np.array([0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001])
    bins, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (c >= lo) & (c < hi)
        if inside.any():
            acc, mean = float(right[inside].mean()), float(c[inside].mean())
            ece += inside.sum() / max(sel.sum(), 1) * abs(acc - mean)
            bins.append((float(lo), float(min(hi, 1.0)), int(inside.sum()), acc, mean))
    return float(ece), bins


def fit_confidence(est: np.ndarray, pm: np.ndarray, truth_cls: np.ndarray) -> ConfidenceCalibration:
    """The SD scale that makes stated confidences match observed agreement (least ECE), and a
    cap at what the most confident calls earned."""
    best = None
    for scale in np.arange(0.6, 4.01, 0.1):
        conf = ConfidenceCalibration(scale=round(float(scale), 2), cap=1.0)
        pred, c = calls(est, pm, conf)
        ece, _ = reliability(pred, c, truth_cls)
        if best is None or ece < best[0]:
            best = (ece, conf, pred, c)
    assert best is not None
    _, conf, pred, c = best
    top = (c >= 0.95) & (pred != "inconclusive")
    earned = float((pred == truth_cls)[top].mean()) if top.sum() >= 30 else 0.95
    return ConfidenceCalibration(scale=conf.scale, cap=round(min(0.99, max(earned, 0.5)), 3))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", default="full", choices=("lite", "full", "heavy"))
    ap.add_argument("--train", nargs="+", type=Path, required=True)
    ap.add_argument("--augment", type=int, default=2, help="occluders painted per render")
    ap.add_argument("--dev", type=Path, required=True)
    ap.add_argument("--hard", type=Path, required=True, help="where the hard set is (built)")
    ap.add_argument("--change", nargs="+", type=Path, required=True)
    ap.add_argument("--members", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--aug-root", type=Path, default=Path("~/.cache/posture_cam/augmented"))
    ap.add_argument("--out", type=Path, default=ROOT / "posture_cam" / "data" / ESTIMATOR_FILE)
    ap.add_argument(
        "--reuse-networks", type=Path, help="take the networks from this estimator file (no fit)"
    )
    args = ap.parse_args()
    t0 = time.time()
    v = args.variant

    tables = []
    for folder in args.train:
        tables.append(build_table(folder, v))
        if args.augment:
            aug = args.aug_root.expanduser() / folder_label(folder)
            write_hard_set(folder, aug, "all", KINDS, per_render=args.augment)
            tables.append(build_table(aug, v))
    train = Table.concat(tables)
    dev = build_table(args.dev, v)
    write_hard_set(args.dev, args.hard.expanduser(), "validation", KINDS)
    hard = build_table(args.hard.expanduser(), v)
    change = Table.concat([build_table(f, v) for f in args.change])
    if np.isin(train.seed, dev.seed).any():
        raise SystemExit(
            "the training folders hold dev-set bodies: keep the dev set for validation"
        )
    print(
        f"tables ready in {time.time() - t0:.0f} s: train {len(train)} pictures "
        f"({(train.kind == 'clean').sum()} clean), dev {len(dev)}, hard {len(hard)}, "
        f"change {len(change)}",
        flush=True,
    )

    # The estimator learns from clean pictures and photo effects only: pictures with painted
    # occluders hide the body's outline, and fitting them taught the networks to hedge on
    # every straight-looking back (dev MAE lordosis 3.4 -> 4.4°); occluders are the
    # classifier's job, and their pictures are used below to decide what a finding does.
    body_only = np.isin(train.kind, [k for k, c in KIND_CLASS.items() if c == "clean"])
    pic, view = np.nonzero(train.passed & body_only[:, None])
    x = train.features[pic, view]
    y = train.truth[pic]
    ok = np.isfinite(x).all(axis=1)
    pic, view, x, y = pic[ok], view[ok], x[ok], y[ok]
    weight = np.where(train.kind[pic] == "clean", 1.0, EFFECT_WEIGHT)
    # Same-body series: rows of one body, view and painted kind at different set tilts.
    series_key = [f"{train.seed[i]}|{k}|{train.kind[i]}" for i, k in zip(pic, view, strict=True)]
    uniq, inv, counts = np.unique(series_key, return_inverse=True, return_counts=True)
    same_body = np.where(counts[inv] > 1, inv, -1)
    x_mean, x_scale = x.mean(axis=0), x.std(axis=0)
    x_scale[x_scale < 1e-9] = 1.0
    y_mean, y_scale = y.mean(axis=0), y.std(axis=0)
    z, t = (x - x_mean) / x_scale, (y - y_mean) / y_scale
    # Each body's fold follows from its seed alone, so it stays put as renders are added.
    fold_of_body = {int(s): _fold(int(s), args.members) for s in np.unique(train.seed)}
    fold = np.array([fold_of_body[s] for s in train.seed[pic]])
    settings = FitSettings(epochs=args.epochs, decay=1e-2, pair_weight=1.0)
    members = []
    if args.reuse_networks:  # refit only what follows the networks (same tables and folds)
        with open(args.reuse_networks, "rb") as f:
            old_est = read_calibration(f).variant(v).estimator
        members = list(old_est.members)
        x_mean, x_scale, y_mean, y_scale = (
            old_est.x_mean,
            old_est.x_scale,
            old_est.y_mean,
            old_est.y_scale,
        )
    for k in range(0 if args.reuse_networks else args.members):
        tk = time.time()
        params = fit_network(
            z,
            t,
            weight,
            np.flatnonzero(fold != k),
            np.flatnonzero(fold == k),
            same_body,
            FitSettings(**{**vars(settings), "seed": k}),
        )
        net = Network(tuple((params[2 * i], params[2 * i + 1]) for i in range(len(params) // 2)))
        members.append(net)
        rows = np.flatnonzero(fold == k)
        err = np.abs(net(z[rows]) * y_scale + y_mean - y[rows]).mean(axis=0)
        print(
            f"  member {k}: held-out bodies MAE tilt {err[0]:.2f}°, lordosis {err[1]:.2f}° "
            f"({time.time() - tk:.0f} s)",
            flush=True,
        )
    estimator = AngleEstimator(
        features=FEATURE_NAMES,
        x_mean=x_mean,
        x_scale=x_scale,
        y_mean=y_mean,
        y_scale=y_scale,
        members=tuple(members),
    )
    # Out-of-fold estimate of every training picture, painted ones included: by the member
    # that never saw its body.
    body_fold = np.array([fold_of_body[s] for s in train.seed])
    oof = np.full((len(train), 2), np.nan)
    for k, net in enumerate(members):
        one = AngleEstimator(FEATURE_NAMES, x_mean, x_scale, y_mean, y_scale, (net,))
        sel = body_fold == k
        oof[sel] = predict_pictures(one, train.subset(sel))

    # Occluder classifier, then actions and confidence from the out-of-fold estimates.
    occlusion = fit_occlusion(train)
    print(
        f"  occlusion detectors: {', '.join(OCCLUDERS)} (each flags {CLEAN_FLAGGED:.0%} of clean)"
    )
    oof_pic = oof
    train_find = picture_findings(train, occlusion)
    measured = np.isfinite(oof_pic).all(axis=1)
    clean_rows = measured & np.array([not f for f in train_find])
    clean_p95 = np.percentile(np.abs(oof_pic[clean_rows] - train.truth[clean_rows]), 95, axis=0)
    actions: dict[str, str] = {}
    for code in sorted({c for f in train_find for c in f}):
        rows = measured & np.array([code in f for f in train_find])
        p95 = np.percentile(np.abs(oof_pic[rows] - train.truth[rows]), 95, axis=0)
        actions[code] = "block" if (p95 > 2 * clean_p95).any() or rows.sum() < 20 else "widen"
        print(
            f"  finding {code}: {rows.sum()} training pictures, p95 error {p95[0]:.1f}° / "
            f"{p95[1]:.1f}° (clean {clean_p95[0]:.1f}° / {clean_p95[1]:.1f}°) -> {actions[code]}"
        )
    oof_mae = np.abs(oof_pic[clean_rows] - train.truth[clean_rows]).mean(axis=0)
    kept = measured & np.array([all(actions[c] == "widen" for c in f) for f in train_find])
    flagged_rows = kept & ~clean_rows
    flag_mae = (
        np.abs(oof_pic[flagged_rows] - train.truth[flagged_rows]).mean(axis=0)
        if flagged_rows.sum() >= 20
        else oof_mae * 1.5
    )
    pm = np.where(clean_rows[kept, None], oof_mae, flag_mae)
    confidence = fit_confidence(oof_pic[kept], pm, true_class(train.truth[kept]))
    print(f"  confidence: SD scale {confidence.scale}, cap {confidence.cap}")

    # Errors on pictures never trained on: these become the ± the app shows.
    dev_est = predict_pictures(estimator, dev)
    dev_find = picture_findings(dev, occlusion)
    dev_clean = np.array([not f for f in dev_find])
    hard_est = predict_pictures(estimator, hard)
    hard_find = picture_findings(hard, occlusion)

    def kept_flagged(found: list[tuple[str, ...]]) -> np.ndarray:
        return np.array([bool(f) and all(actions.get(c) == "widen" for c in f) for f in found])

    hard_kept, dev_kept = kept_flagged(hard_find), kept_flagged(dev_find)
    errors = {
        "clean": stats_pair(dev_est[dev_clean], dev.truth[dev_clean]),
        "flagged": stats_pair(
            np.concatenate([hard_est[hard_kept], dev_est[dev_kept]]),
            np.concatenate([hard.truth[hard_kept], dev.truth[dev_kept]]),
        ),
    }
    ch = change_errors(predict_pictures(estimator, change), change)
    errors["change"] = {m: error_stats(ch[:, j]) for j, m in enumerate(METRICS)}
    for mode, table in errors.items():
        if any(s.n < 20 for s in table.values()):  # too few to measure: be no bolder than flagged
            errors[mode] = {m: errors["flagged"][m] for m in METRICS}
        print(
            f"  {mode}: "
            + ", ".join(
                f"{m} MAE {s.mae:.2f}° p95 {s.p95_abs_error:.2f}° (n {s.n})"
                for m, s in errors[mode].items()
            )
        )

    # How often each stated confidence was right, on the validation pictures (clean and
    # hard): the table the README and the About page show.
    val_est = np.concatenate([dev_est, hard_est])
    val_find = dev_find + hard_find
    val_truth = np.concatenate([dev.truth, hard.truth])
    blocked = np.array([any(actions.get(c) != "widen" for c in f) for f in val_find])
    mode_mae = np.array(
        [[errors["flagged" if f else "clean"][m].mae for m in METRICS] for f in val_find]
    )
    pred, conf = calls(val_est, mode_mae, confidence)
    pred = np.where(blocked | ~np.isfinite(val_est).all(axis=1), "inconclusive", pred)
    ece, bins = reliability(pred, conf, true_class(val_truth))
    print(f"  validation reliability (clean + hard): ECE {ece:.3f}")
    for lo, hi, n, acc, mean in bins:
        print(f"    stated {lo:.0%}-{hi:.0%}: n {n}, stated {mean:.1%}, observed {acc:.1%}")

    info = {
        "trained": dt.date.today().isoformat(),
        "variant": v,
        "training": {
            folder_label(f): int(
                np.char.startswith(train.keys.astype(str), folder_label(f) + "/").sum()
            )
            for f in args.train
        },
        "training_pictures": int(len(train)),
        "training_clean_renders": int((train.kind == "clean").sum()),
        "training_rows": int(len(x)),
        "members": args.members,
        "hidden": list(settings.hidden),
        "validation": folder_label(args.dev),
        "out_of_fold_mae": [round(float(a), 3) for a in oof_mae],
        "validation_reliability": {
            "ece": round(ece, 4),
            "bins": [
                {"from": lo, "to": hi, "n": n, "observed": round(acc, 4), "stated": round(mean, 4)}
                for lo, hi, n, acc, mean in bins
            ],
        },
        "cue_names": list(CUE_NAMES),
    }
    calibration = VariantCalibration(estimator, errors, confidence, occlusion, actions)
    variants = {v: calibration}
    if args.out.exists():
        with open(args.out, "rb") as f:
            old = read_calibration(f)
        variants = {**old.variants, **variants}
    cal = Calibration(
        variants=variants,
        info={"default_variant": "full", "format": "posture_cam estimator", **{f"{v}_info": info}},
    )
    if args.out.exists():
        cal = Calibration(variants=variants, info={**old.info, **cal.info})
    with open(args.out, "wb") as f:
        np.savez_compressed(f, **cal.to_arrays())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) in {time.time() - t0:.0f} s")
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
