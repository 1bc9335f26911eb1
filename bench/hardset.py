"""Build the hard validation set: synthetic renders with painted occluders and photo effects.

    python bench/hardset.py ../shared/data/synth/dev --out ~/.cache/posture_cam/hard
                            [--part validation|train|all] [--kinds hair_long loose_top ...]

For every render (``synth_*.jpg`` or ``.png`` with its ``_mask.png`` and ``.json``) and every
kind of :mod:`occluders`, paints the occluder and writes ``<stem>__<kind>.jpg`` (JPEG quality
93, like the dev set), its new true coverage ``<stem>__<kind>_mask.png`` and the render's
ground truth with an ``augmentation`` entry (kind, parameters, seed) as ``.json``. The body's
angles are unchanged, so the truth stays valid. Seeds come from the render's seed and the
kind, so the set is the same on every run and machine (same numpy and OpenCV).
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from occluders import KINDS, Body, augment  # noqa: E402
from synthset import iter_synth  # noqa: E402


def augmentation_seed(render_seed: int, kind: str) -> int:
    """A stable seed per render and kind (crc32 of the kind: Python's hash() is salted)."""
    return (int(render_seed) * 131 + zlib.crc32(kind.encode())) % (2**32)


def write_hard_set(
    folder: Path, out: Path, part: str, kinds: tuple[str, ...], per_render: int | None = None
) -> int:
    """Paint every kind on every render, or ``per_render`` kinds drawn at random per render."""
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for item in iter_synth(folder, None if part == "all" else part):
        chosen = kinds
        if per_render is not None:
            pick = np.random.default_rng(augmentation_seed(item.truth["seed"], "pick"))
            chosen = tuple(pick.choice(kinds, size=per_render, replace=False))
        todo = [k for k in chosen if not (out / f"{item.image.stem}__{k}.json").exists()]
        if not todo:
            continue
        rgb = np.asarray(Image.open(item.image).convert("RGB"))
        mask = np.asarray(Image.open(item.image.with_name(item.image.stem + "_mask.png")))
        body = Body.from_render(rgb, mask, item.truth)
        for kind in todo:
            seed = augmentation_seed(item.truth["seed"], kind)
            stem = out / f"{item.image.stem}__{kind}"
            aug = augment(body, kind, seed)
            Image.fromarray(aug.rgb).save(stem.with_suffix(".jpg"), quality=93)
            Image.fromarray(np.round(aug.mask * 255).astype(np.uint8)).save(
                stem.with_name(stem.name + "_mask.png")
            )
            truth = dict(item.truth)
            truth["augmentation"] = {"kind": kind, "seed": seed, "params": aug.params}
            stem.with_suffix(".json").write_text(json.dumps(truth, indent=1))
            n += 1
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--part", choices=("validation", "train", "all"), default="validation")
    ap.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    ap.add_argument(
        "--per-render", type=int, default=None, help="paint this many kinds, drawn at random"
    )
    args = ap.parse_args()
    n = write_hard_set(
        args.folder, args.out.expanduser(), args.part, tuple(args.kinds), args.per_render
    )
    print(f"wrote {n} pictures to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
