"""Pose detections cached on disk, so that work on features and fits never re-runs MediaPipe.

A cached entry keeps what the measurement needs from one detection of one picture: every
pose's landmarks (image and world), visibility, presence and segmentation mask (as 8-bit,
1/255 steps, far below the mask's own edge blur), the number of people, and the camera roll
read from the scene. Entries live under ``$POSTURE_CAM_BENCH_CACHE`` (default
``~/.cache/posture_cam/bench``), one ``.npz`` per picture, model variant and view, and are
written atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from posture_cam.measure.scene import estimate_roll_deg
from posture_cam.pose.detect import PoseDetector
from posture_cam.types import Detection, Pose

__all__ = ["cache_dir", "detect_cached", "load_entry"]


def cache_dir() -> Path:
    env = os.environ.get("POSTURE_CAM_BENCH_CACHE", "").strip()
    return Path(env) if env else Path.home() / ".cache" / "posture_cam" / "bench"


def _path(variant: str, key: str) -> Path:
    return cache_dir() / variant / f"{key}.npz"


def load_entry(variant: str, key: str) -> tuple[Detection, float | None] | None:
    """The cached detection and roll for ``key``, or None when it was never cached."""
    path = _path(variant, key)
    if not path.exists():
        return None
    with np.load(path) as z:
        w, h = (int(v) for v in z["size"])
        poses = []
        for k in range(int(z["n"])):
            mask = z[f"mask{k}"].astype(np.float32) / 255.0 if f"mask{k}" in z else None
            poses.append(
                Pose(
                    xy_px=z[f"xy{k}"],
                    z_px=z[f"z{k}"],
                    visibility=z[f"vis{k}"],
                    presence=z[f"pres{k}"],
                    world_xyz_m=z[f"world{k}"],
                    mask=mask,
                    image_size=(w, h),
                )
            )
        roll = float(z["roll"]) if np.isfinite(z["roll"]) else None
    return Detection(image_size=(w, h), poses=tuple(poses)), roll


def detect_cached(
    detector: PoseDetector, rgb: np.ndarray, key: str
) -> tuple[Detection, float | None]:
    """Detect people in ``rgb`` (IMAGE mode) and the camera roll, or read them from the cache."""
    variant = detector.options.variant or "unknown"
    hit = load_entry(variant, key)
    if hit is not None:
        return hit
    detection = detector.detect(rgb)
    person = detection.person
    roll = estimate_roll_deg(rgb, person.mask) if person is not None else None
    arrays: dict[str, np.ndarray] = {
        "size": np.array(detection.image_size),
        "n": np.array(detection.n_people),
        "roll": np.array(np.nan if roll is None else roll),
    }
    for k, pose in enumerate(detection.poses):
        arrays |= {
            f"xy{k}": pose.xy_px,
            f"z{k}": pose.z_px,
            f"vis{k}": pose.visibility,
            f"pres{k}": pose.presence,
            f"world{k}": pose.world_xyz_m,
        }
        if pose.mask is not None:
            arrays[f"mask{k}"] = np.round(np.clip(pose.mask, 0, 1) * 255).astype(np.uint8)
    path = _path(variant, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
    os.replace(tmp, path)
    return load_entry(variant, key) or (detection, roll)
