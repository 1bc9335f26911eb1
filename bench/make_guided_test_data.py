"""Make the small committed material for the guided checks' tests (``tests/data/guided``).

    python bench/make_guided_test_data.py [--renders /work/renders/change_val]
        [--thomas DIR_FROM_render_thomas] [--out tests/data/guided]

* ``range_<tilt>.jpg`` + ``.json``: one body (image seed 100002300011: tank top, arms at the
  sides, facing right) rendered at set pelvic tilts -2°, 6°, 14° and 22°, shrunk to
  540 x 960, JPEG quality 85; the JSON keeps the truth the tests and the material builder
  use (``measured``, the camera's facing and near side, the key points scaled to the small
  picture). ``range_t6_mask.png``: that body's person mask at 6°, the same size (the
  breathing material warps the trunk's front using it).
* ``thomas_above.jpg`` / ``thomas_below.jpg`` + ``.json``: two lying renders from
  ``bench/render_thomas.py`` (hanging thigh above and below the horizontal), shrunk to
  960 x 540, with their Thomas-test truth.

Renders come from the owner's renderer (``../shared/tools/synth``) with seeds >= 100000,
bodies from anny (Apache-2.0).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BODY = "synth_100002300011"
TILTS = ("t-2", "t6", "t14", "t22")
THOMAS = {"above": "thomas_100017300062", "below": "thomas_100017300060"}


def _shrink(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def _trim(gt: dict, scale: float) -> dict:
    return {
        "seed": gt["seed"],
        "image_size": [round(v * scale) for v in gt["image_size"]],
        "camera": {k: gt["camera"][k] for k in ("subject_faces", "near_side")},
        "subject": {k: gt["subject"][k] for k in ("sex", "stature_m", "arms", "top")},
        "measured": gt["measured"],
        "keypoints_2d": {
            k: [round(c * scale, 2) for c in v] for k, v in gt["keypoints_2d"].items()
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--renders", type=Path, default=Path("/work/renders/change_val"))
    ap.add_argument("--thomas", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "guided")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for tilt in TILTS:
        src = args.renders / tilt / f"{BODY}.png"
        img = cv2.imread(str(src))
        scale = 960 / img.shape[0]
        small = _shrink(img, (540, 960))
        cv2.imwrite(str(args.out / f"range_{tilt}.jpg"), small, [cv2.IMWRITE_JPEG_QUALITY, 85])
        gt = json.loads(src.with_suffix(".json").read_text())
        (args.out / f"range_{tilt}.json").write_text(json.dumps(_trim(gt, scale), indent=1))
        if tilt == "t6":
            mask = cv2.imread(str(src.with_name(f"{BODY}_mask.png")), cv2.IMREAD_GRAYSCALE)
            cv2.imwrite(str(args.out / "range_t6_mask.png"), _shrink(mask, (540, 960)))
    for label, stem in THOMAS.items():
        img = cv2.imread(str(args.thomas / f"{stem}.png"))
        small = _shrink(img, (960, 540))
        cv2.imwrite(str(args.out / f"thomas_{label}.jpg"), small, [cv2.IMWRITE_JPEG_QUALITY, 85])
        gt = json.loads((args.thomas / f"{stem}.json").read_text())
        keep = {"seed": gt["seed"], "camera": gt["camera"]["near_side"], "thomas": gt["thomas"]}
        (args.out / f"thomas_{label}.json").write_text(json.dumps(keep, indent=1))
    total = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"wrote {len(list(args.out.iterdir()))} files, {total / 1024:.0f} KB, in {args.out}")


if __name__ == "__main__":
    main()
