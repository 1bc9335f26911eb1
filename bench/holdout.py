"""Did the estimator learn bodies, or render quirks? Accuracy on what training never showed.

    python bench/holdout.py --variant full --train RENDERS_DIR [...] --dev ../shared/data/synth/dev

For each factor below, fits a small ensemble on the training pictures *without* it (clean and
painted, from the tables ``train_estimator.py`` built) and measures, on the dev pictures
*with* it, the error next to that of an ensemble fitted the same way on everything. If the
two are close, the estimate does not hinge on having seen that clothing, hair or camera.

* clothes: a top the training never saw (each of t-shirt, long sleeve, tank, bra, none);
* hair: a hair style the training never saw (bun, medium, short, buzz, bald);
* camera: a field of view wider than any in training (above 58° vertical), and a camera
  turned by more than 2.5° off the side view;
* bodies: the dev set's bodies are never in training anyway (every figure is that).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlp_train import FitSettings, fit_network  # noqa: E402
from trainset import Table, build_table, folder_label, load_table  # noqa: E402

from posture_cam.measure.estimator import AngleEstimator, Network  # noqa: E402

FACTORS: dict[str, tuple[str, object]] = {
    "top=tshirt": ("top", "tshirt"),
    "top=longsleeve": ("top", "longsleeve"),
    "top=tank": ("top", "tank"),
    "top=bra": ("top", "bra"),
    "top=none": ("top", "none"),
    "hair=bun": ("hair_style", "bun"),
    "hair=medium": ("hair_style", "medium"),
    "hair=short": ("hair_style", "short"),
    "hair=buzz": ("hair_style", "buzz"),
    "hair=bald": ("hair_style", "bald"),
    "camera: wide lens (fov > 58°)": ("fov_v_deg", 58.0),
    "camera: turned > 2.5°": ("yaw_deg", 2.5),
}


def _has(meta: dict, key: str, value: object) -> bool:
    if key == "fov_v_deg":
        return float(meta.get(key) or 0) > float(value)  # type: ignore[arg-type]
    if key == "yaw_deg":
        return abs(float(meta.get(key) or 0)) > float(value)  # type: ignore[arg-type]
    return meta.get(key) == value


def fit_small(train: Table, members: int, epochs: int) -> AngleEstimator:
    pic, view = np.nonzero(train.passed)
    x, y = train.features[pic, view], train.truth[pic]
    ok = np.isfinite(x).all(axis=1)
    pic, x, y = pic[ok], x[ok], y[ok]
    xm, xs = x.mean(axis=0), x.std(axis=0)
    xs[xs < 1e-9] = 1.0
    ym, ys = y.mean(axis=0), y.std(axis=0)
    weight = np.where(train.kind[pic] == "clean", 1.0, 0.5)
    bodies = np.unique(train.seed)
    fold_of = dict(zip(bodies, np.arange(len(bodies)) % 5, strict=True))
    fold = np.array([fold_of[s] for s in train.seed[pic]])
    nets = []
    for k in range(members):
        params = fit_network(
            (x - xm) / xs,
            (y - ym) / ys,
            weight,
            np.flatnonzero(fold != k),
            np.flatnonzero(fold == k),
            np.full(len(x), -1),
            FitSettings(epochs=epochs, seed=k),
        )
        nets.append(
            Network(tuple((params[2 * i], params[2 * i + 1]) for i in range(len(params) // 2)))
        )
    return AngleEstimator(
        features=tuple(str(i) for i in range(x.shape[1])),
        x_mean=xm,
        x_scale=xs,
        y_mean=ym,
        y_scale=ys,
        members=tuple(nets),
    )


def mae(est: AngleEstimator, table: Table, sel: np.ndarray) -> np.ndarray:
    out = np.full((len(table), 2), np.nan)
    for k in range(2):
        p, _ = est.predict(np.where(table.passed[:, k, None], table.features[:, k], np.nan))
        out = np.where(np.isnan(out), p, np.where(np.isnan(p), out, (out + p) / 2))
    err = np.abs(out - table.truth)[sel]
    return np.nanmean(err, axis=0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", default="full")
    ap.add_argument("--train", nargs="+", type=Path, required=True)
    ap.add_argument("--aug-root", type=Path, default=Path("~/.cache/posture_cam/augmented"))
    ap.add_argument("--dev", type=Path, required=True)
    ap.add_argument("--members", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=150)
    args = ap.parse_args()
    t0 = time.time()
    tables = []
    for f in args.train:
        tables.append(build_table(f, args.variant))
        aug = load_table(args.variant, folder_label(args.aug_root.expanduser() / folder_label(f)))
        if aug is not None:
            tables.append(aug)
    train = Table.concat(tables)
    dev = build_table(args.dev, args.variant)
    tmeta = [json.loads(str(m)) for m in train.meta]
    dmeta = [json.loads(str(m)) for m in dev.meta]
    everything = fit_small(train, args.members, args.epochs)
    print(
        f"holdout bench: {len(train)} training pictures, dev {len(dev)}; "
        f"each row: dev pictures with the factor, MAE tilt / lordosis"
    )
    print(f"  {'factor':32s} {'n':>4s}  {'trained without it':>20s}  {'trained on all':>16s}")
    for name, (key, value) in FACTORS.items():
        d_sel = np.array([_has(m, key, value) for m in dmeta])
        keep = np.array([not _has(m, key, value) for m in tmeta])
        if d_sel.sum() < 5 or keep.all():
            print(f"  {name:32s} {int(d_sel.sum()):4d}  (too few to tell)")
            continue
        without = fit_small(train.subset(keep), args.members, args.epochs)
        a, b = mae(without, dev, d_sel), mae(everything, dev, d_sel)
        print(
            f"  {name:32s} {int(d_sel.sum()):4d}  {a[0]:8.2f}° / {a[1]:5.2f}°  "
            f"{b[0]:6.2f}° / {b[1]:5.2f}°",
            flush=True,
        )
    print(f"({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
