"""The synthetic dev set: reading its ground truth and the fixed train/validation split.

Split (fixed, written down here and in bench/README.md): image index ``i`` is the seed
minus 11·1000003 (the set was rendered with ``--seed 11``); images with ``i % 3 == 0`` are
held back for validation, the others are for fitting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SEED_BASE = 11 * 1000003


@dataclass(frozen=True)
class SynthItem:
    image: Path
    truth: dict

    @property
    def index(self) -> int:
        return int(self.truth["seed"]) - SEED_BASE

    @property
    def part(self) -> str:
        return "validation" if self.index % 3 == 0 else "train"

    @property
    def tilt_deg(self) -> float:
        return float(self.truth["measured"]["asis_psis_deg"])

    @property
    def lordosis_deg(self) -> float:
        return float(self.truth["measured"]["lordosis_deg"])


def iter_synth(folder: str | Path, part: str | None = None) -> Iterator[SynthItem]:
    """Items of a folder of ``synth_*.jpg`` (or the renderer's ``.png``) + ``.json``, sorted,
    optionally one part only."""
    images = [p for p in Path(folder).glob("synth_*.*") if p.suffix in (".jpg", ".png")]
    for image in sorted(p for p in images if not p.stem.endswith("_mask")):
        truth_path = image.with_suffix(".json")
        if not truth_path.exists():
            continue
        item = SynthItem(image, json.loads(truth_path.read_text()))
        if part is None or item.part == part:
            yield item
