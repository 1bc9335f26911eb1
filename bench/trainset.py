"""Tables of measured pictures: what the estimator trains on and the benches score.

For every picture of a folder of renders (``synth_*.jpg``/``.png`` with ``.json`` truth), as
taken and mirrored: the pose detection (cached on disk, :mod:`detcache`), then exactly what
the app computes (:func:`posture_cam.pipeline.measure_view`: gates, camera levelling,
outline features, occluder cues), with the truth and what was painted on it. A table is one
``.npz`` under the bench cache (``tables/<variant>/<label>.npz``), rebuilt when asked.

Renders from the renderer come as PNG; they are JPEG-compressed at quality 93 before
detection, as the shared dev set was, so training and validation pictures look alike.
"""

from __future__ import annotations

import io
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from detcache import cache_dir, detect_cached, load_entry
from PIL import Image

from posture_cam.measure.metrics import FEATURE_NAMES
from posture_cam.measure.occlusion import OcclusionCues
from posture_cam.pipeline import ViewMeasurement, measure_view
from posture_cam.pose.detect import DetectorOptions, PoseDetector
from posture_cam.pose.models import resolve_model

__all__ = ["Table", "CUE_NAMES", "folder_label", "measure_pictures", "build_table", "load_table"]

CUE_NAMES = tuple(OcclusionCues.__dataclass_fields__)
# A table holds features and cues as this code computes them: it is rebuilt when their
# definition changes (a new name, or a name of a changed quantity).
LAYOUT = zlib.crc32("|".join((*FEATURE_NAMES, *CUE_NAMES)).encode())


@dataclass(frozen=True, eq=False)
class Table:
    """One row per picture; per-view arrays have a leading axis of 2 (as taken, mirrored).

    Attributes:
        keys: picture ids (``<label>/<stem>``).
        seed: the render's image seed (the same body in every picture with that seed).
        kind: "clean" or the painted occluder / photo effect.
        truth: (n, 2) true pelvic tilt and lordosis, degrees.
        passed: (n, 2) the gates passed and the outline was traced without a flag.
        features: (n, 2, F) outline features (NaN where not measured).
        cues: (n, 2, C) occluder cues (NaN where not measured).
        codes: per row and view, the gate codes and outline flags, comma-separated.
        meta: per row, the render's subject and camera (JSON text).
    """

    keys: np.ndarray
    seed: np.ndarray
    kind: np.ndarray
    truth: np.ndarray
    passed: np.ndarray
    features: np.ndarray
    cues: np.ndarray
    codes: np.ndarray
    meta: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)

    def subset(self, sel: np.ndarray) -> Table:
        return Table(**{k: getattr(self, k)[sel] for k in self.__dataclass_fields__})

    @staticmethod
    def concat(tables: list[Table]) -> Table:
        return Table(
            **{
                k: np.concatenate([getattr(t, k) for t in tables])
                for k in Table.__dataclass_fields__
            }
        )


def folder_label(folder: Path) -> str:
    folder = folder.expanduser().resolve()
    return f"{folder.parent.name}_{folder.name}"


def _pictures(folder: Path) -> list[Path]:
    """The folder's pictures whose truth is written (a render in progress has none yet)."""
    return sorted(
        p
        for p in folder.glob("synth_*.*")
        if p.suffix in (".jpg", ".png")
        and not p.stem.endswith("_mask")
        and p.with_suffix(".json").exists()
    )


def _rgb(path: Path) -> np.ndarray:
    image = Image.open(path).convert("RGB")
    if path.suffix == ".png":
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=93)
        image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return np.asarray(image)


def _table_path(variant: str, label: str) -> Path:
    return cache_dir() / "tables" / variant / f"{label}.npz"


def load_table(variant: str, label: str) -> Table | None:
    """The cached table, or None when there is none or it was built by other feature code."""
    path = _table_path(variant, label)
    if not path.exists():
        return None
    with np.load(path) as z:
        if "layout" not in z.files or int(z["layout"]) != LAYOUT:
            return None
        return Table(**{k: z[k] for k in Table.__dataclass_fields__})


def measure_pictures(
    folder: Path, variant: str, pictures: list[Path] | None = None
) -> Iterator[tuple[Path, dict, list[ViewMeasurement]]]:
    """Each picture with its truth and its two views measured as the app measures them.

    Detections come from the cache; the detector is only started for pictures not in it.
    """
    label = folder_label(folder)
    det: PoseDetector | None = None
    try:
        for path in _pictures(folder) if pictures is None else pictures:
            truth = json.loads(path.with_suffix(".json").read_text())
            rgb = _rgb(path)
            views = []
            for suffix, picture in (("", rgb), ("_m", np.ascontiguousarray(rgb[:, ::-1]))):
                key = f"{label}/{path.stem}{suffix}"
                hit = load_entry(variant, key)
                if hit is None:
                    if det is None:
                        model = resolve_model(variant)
                        det = PoseDetector(
                            DetectorOptions(model_path=model.path, mode="image", variant=variant)
                        )
                    hit = detect_cached(det, picture, key)
                detection, roll = hit
                views.append(measure_view(detection, picture, roll_deg=roll))
            yield path, truth, views
    finally:
        if det is not None:
            det.close()


def build_table(folder: Path, variant: str, *, rebuild: bool = False) -> Table:
    """Measure every picture of ``folder`` (detections come from the cache when there).

    A table already built is extended with the pictures added since, unless ``rebuild``.
    """
    label = folder_label(folder)
    old = None if rebuild else load_table(variant, label)
    done = set() if old is None else {str(k) for k in old.keys}
    todo = [p for p in _pictures(folder) if f"{label}/{p.stem}" not in done]
    if old is not None and not todo:
        return old
    rows: dict[str, list] = {k: [] for k in Table.__dataclass_fields__}
    for path, truth, views in measure_pictures(folder, variant, todo):
        feats = np.full((2, len(FEATURE_NAMES)), np.nan)
        cues = np.full((2, len(CUE_NAMES)), np.nan)
        passed = np.zeros(2, bool)
        codes = []
        for k, v in enumerate(views):
            flags = v.features.flags if v.features is not None else ()
            codes.append(",".join((*v.gates.codes, *flags)))
            if v.features is not None:
                feats[k] = v.features.vector
                passed[k] = v.gates.passed and not flags
            if v.cues is not None:
                cues[k] = list(v.cues.as_dict().values())
        subject = truth.get("subject", {})
        meta = {
            "hair_style": subject.get("hair_style"),
            "top": subject.get("top"),
            "bottom": subject.get("bottom"),
            "arms": subject.get("arms"),
            "sex": subject.get("sex"),
            "fov_v_deg": truth.get("camera", {}).get("fov_v_deg"),
            "yaw_deg": truth.get("camera", {}).get("yaw_deg"),
            "augmentation": truth.get("augmentation"),
        }
        rows["keys"].append(f"{label}/{path.stem}")
        rows["seed"].append(int(truth["seed"]))
        rows["kind"].append((truth.get("augmentation") or {}).get("kind", "clean"))
        rows["truth"].append(
            [truth["measured"]["asis_psis_deg"], truth["measured"]["lordosis_deg"]]
        )
        rows["passed"].append(passed)
        rows["features"].append(feats)
        rows["cues"].append(cues)
        rows["codes"].append(codes)
        rows["meta"].append(json.dumps(meta))
    table = Table(**{k: np.array(v) for k, v in rows.items()})
    if old is not None:
        table = Table.concat([old, table])
    path = _table_path(variant, label)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        np.savez_compressed(
            f, layout=np.array(LAYOUT), **{k: getattr(table, k) for k in Table.__dataclass_fields__}
        )
    os.replace(tmp, path)
    return table
