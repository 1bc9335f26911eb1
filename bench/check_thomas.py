"""Hip-flexor (modified Thomas) test: landmark angles against the truth of lying renders.

    python bench/check_thomas.py DIR [--models lite full] [--write] [--json OUT]

DIR holds renders from ``bench/render_thomas.py`` (``thomas_*.png`` + ``.json``): anny
posed for the test and turned to lie on its back on a table, side-on, with the near leg
hanging at a known thigh angle and knee bend and the far leg hugged (see that script for
what the material is and cannot show). Each picture goes through the real detector
(IMAGE mode) and :func:`posture_cam.guided.thomas_frame` (camera levelling, then
:func:`posture_cam.measure.thomas.read_thomas`); the angles are compared
with the **image** angles of the rig's joint centres (what a perfect 2-D landmark detector
would report). Printed per model: detection and usable rates, mean absolute error, bias
(mean signed error), 95th percentile and the above/level/below and short/normal calls
against the truth's calls; and, in the same run, the **baseline** of answering every
picture with the literature's mean (thigh -11.9°, knee 52.5°: Harvey 1998) and the
mirror-image difference (the picture flipped left-right, measured again).

``--write`` stores the figures of each model in ``posture_cam/data/guided_bench.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import guided_figures  # noqa: E402

from posture_cam.guided import thomas_frame  # noqa: E402
from posture_cam.measure.thomas import (  # noqa: E402
    DEFAULT_THOMAS_THRESHOLDS,
    ThomasFrame,
    summarize_side,
)
from posture_cam.pose.detect import DetectorOptions, PoseDetector  # noqa: E402
from posture_cam.pose.models import resolve_model  # noqa: E402

HARVEY_THIGH_DEG = -11.9
HARVEY_KNEE_DEG = 52.5


def _stats(err: list[float]) -> dict[str, float]:
    a = np.abs(np.array(err))
    return {
        "mae": float(a.mean()),
        "bias": float(np.mean(err)),
        "p95": float(np.percentile(a, 95)),
        "max": float(a.max()),
    }


def _thigh_call(v: float, pm: float = 0.0) -> str:
    return "above" if v - pm > 0 else "below" if v + pm < 0 else "level"


def _knee_call(v: float, pm: float = 0.0) -> str:
    limit = DEFAULT_THOMAS_THRESHOLDS.knee_normal_deg
    return "short" if v + pm < limit else "normal" if v - pm >= limit else "borderline"


def run(directory: Path, variant: str) -> dict[str, Any]:
    pics = sorted(p for p in directory.glob("thomas_*.png") if not p.stem.endswith("_mask"))
    if not pics:
        raise SystemExit(f"no thomas_*.png renders in {directory}")
    model = resolve_model(variant)
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    with PoseDetector(DetectorOptions(model.path, mode="image", variant=variant)) as det:
        for png in pics:
            truth = json.loads(png.with_suffix(".json").read_text())["thomas"]
            rgb = cv2.cvtColor(cv2.imread(str(png)), cv2.COLOR_BGR2RGB)
            reading = thomas_frame(det.detect(rgb), rgb)
            flipped = np.ascontiguousarray(rgb[:, ::-1])
            mirrored = thomas_frame(det.detect(flipped), flipped)
            row: dict[str, Any] = {
                "file": png.name,
                "truth": truth["image"],
                "hanging_side": truth["hanging_side"],
                "detected": reading.frame is not None,
                "usable": reading.usable,
                "codes": [f.code for f in reading.findings],
            }
            if reading.frame is not None:
                f = reading.frame
                row.update(
                    thigh=f.thigh_angle_deg,
                    knee=f.knee_flexion_deg,
                    hug=f.hugged_trunk_thigh_deg,
                    side=f.hanging_side,
                )
            if mirrored.frame is not None and reading.frame is not None:
                row["mirror_thigh"] = mirrored.frame.thigh_angle_deg
                row["mirror_knee"] = mirrored.frame.knee_flexion_deg
            rows.append(row)
    seconds = time.perf_counter() - t0
    used = [r for r in rows if r["usable"]]
    thigh_err = [r["thigh"] - r["truth"]["thigh_angle_deg"] for r in used]
    knee_err = [r["knee"] - r["truth"]["knee_flexion_deg"] for r in used]
    base_thigh = [HARVEY_THIGH_DEG - r["truth"]["thigh_angle_deg"] for r in rows]
    base_knee = [HARVEY_KNEE_DEG - r["truth"]["knee_flexion_deg"] for r in rows]
    mirror_thigh = [abs(r["thigh"] - r["mirror_thigh"]) for r in used if "mirror_thigh" in r]
    mirror_knee = [abs(r["knee"] - r["mirror_knee"]) for r in used if "mirror_knee" in r]
    summary: dict[str, Any] = {
        "variant": variant,
        "n": len(rows),
        "detection_rate": sum(r["detected"] for r in rows) / len(rows),
        "usable_rate": len(used) / len(rows),
        "side_correct": sum(r.get("side") == r["hanging_side"] for r in used) / max(len(used), 1),
        "seconds": seconds,
        "thigh": _stats(thigh_err) if used else None,
        "knee": _stats(knee_err) if used else None,
        "baseline_thigh": _stats(base_thigh),
        "baseline_knee": _stats(base_knee),
        "mirror_thigh_mean_abs": statistics.fmean(mirror_thigh) if mirror_thigh else None,
        "mirror_knee_mean_abs": statistics.fmean(mirror_knee) if mirror_knee else None,
        "rows": rows,
    }
    if used:
        # Calls the app would make (with its error) against the calls of the true angles.
        frames = [read_frame(r) for r in used]
        agree_thigh = agree_knee = 0
        for r, fr in zip(used, frames, strict=True):
            s = summarize_side([fr])
            agree_thigh += s.thigh_call == _thigh_call(r["truth"]["thigh_angle_deg"])
            agree_knee += s.knee_call == _knee_call(r["truth"]["knee_flexion_deg"])
        summary["thigh_call_agreement"] = agree_thigh / len(used)
        summary["knee_call_agreement"] = agree_knee / len(used)
    return summary


def read_frame(row: dict[str, Any]) -> ThomasFrame:
    return ThomasFrame(row["side"], row["thigh"], row["knee"], row["hug"], 0.0, True)


def _print(s: dict[str, Any]) -> None:
    print(f"\n== {s['variant']}: {s['n']} lying renders, {s['seconds']:.0f} s")
    print(
        f"detected {s['detection_rate']:.0%}, usable (all gates passed) {s['usable_rate']:.0%}, "
        f"hanging side named right {s['side_correct']:.0%}"
    )
    for r in s["rows"]:
        if not r["detected"]:
            print(f"  {r['file']}: not detected {r['codes']}")
            continue
        t = r["truth"]
        print(
            f"  {r['file']}: thigh {r['thigh']:+6.1f} (true {t['thigh_angle_deg']:+6.1f})  "
            f"knee {r['knee']:5.1f} (true {t['knee_flexion_deg']:5.1f})  hug {r['hug']:4.0f}"
            + ("" if r["usable"] else f"  not usable: {r['codes']}")
        )
    if s["thigh"] is None:
        return
    for name in ("thigh", "knee"):
        m, b = s[name], s[f"baseline_{name}"]
        print(
            f"{name:5}: MAE {m['mae']:.2f}°  bias {m['bias']:+.2f}°  p95 {m['p95']:.2f}°  "
            f"max {m['max']:.2f}°   | baseline (Harvey 1998 mean for everyone): "
            f"MAE {b['mae']:.2f}°"
        )
    print(
        f"calls agreeing with the truth's: thigh {s['thigh_call_agreement']:.0%}, "
        f"knee {s['knee_call_agreement']:.0%}; mirror-image difference: thigh "
        f"{s['mirror_thigh_mean_abs']:.2f}°, knee {s['mirror_knee_mean_abs']:.2f}°"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--models", nargs="+", default=["lite", "full"])
    ap.add_argument("--write", action="store_true", help="store the figures in the package")
    ap.add_argument("--json", type=Path, help="write every number to this file")
    args = ap.parse_args()
    results = []
    for variant in args.models:
        s = run(args.dir, variant)
        _print(s)
        results.append(s)
        if args.write and s["thigh"] is not None:
            guided_figures.update(
                "thomas",
                variant,
                {
                    "thigh_mae_deg": s["thigh"]["mae"],
                    "knee_mae_deg": s["knee"]["mae"],
                    "thigh_bias_deg": s["thigh"]["bias"],
                    "knee_bias_deg": s["knee"]["bias"],
                    "usable_rate": s["usable_rate"],
                    "n": s["n"],
                },
                {"material": f"{s['n']} lying renders (bench/render_thomas.py)"},
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float))
    for s in results:
        if s["thigh"] is not None:
            print(
                f"SUMMARY thomas {s['variant']}: usable {s['usable_rate']:.0%}, thigh MAE "
                f"{s['thigh']['mae']:.2f}° (bias {s['thigh']['bias']:+.2f}°), knee MAE "
                f"{s['knee']['mae']:.2f}° (bias {s['knee']['bias']:+.2f}°); baseline MAE "
                f"{s['baseline_thigh']['mae']:.2f}° / {s['baseline_knee']['mae']:.2f}°"
            )


if __name__ == "__main__":
    main()
