"""Calibration coefficients for the estimated angles, fitted by ``bench/fit_calibration.py``.

The fit maps outline and landmark features (see :func:`.metrics.outline_features`)
to the ground-truth pelvic tilt and lumbar lordosis of the synthetic dev set with ridge
regression, and stores the validation errors that become every estimate's ``±``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

__all__ = ["LinearModel", "Calibration", "load_calibration", "CALIBRATION_FILE"]

CALIBRATION_FILE = "calibration.json"


@dataclass(frozen=True, eq=False)
class LinearModel:
    """``y = intercept + sum(coef * (x - mean) / scale)`` over named features."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    mae: float
    p95_abs_error: float

    def __post_init__(self) -> None:
        n = len(self.features)
        for name in ("mean", "scale", "coef"):
            arr = getattr(self, name)
            if arr.shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")

    def predict(self, x: np.ndarray) -> float:
        """Apply the model to a feature vector ordered like ``features``; NaN if any is NaN."""
        if x.shape != self.mean.shape:
            raise ValueError(f"expected {self.mean.shape[0]} features, got {x.shape}")
        if not np.isfinite(x).all():
            return float("nan")
        return float(self.intercept + np.sum(self.coef * (x - self.mean) / self.scale))

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "mae": self.mae,
            "p95_abs_error": self.p95_abs_error,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LinearModel:
        return cls(
            features=tuple(d["features"]),
            mean=np.asarray(d["mean"], dtype=np.float64),
            scale=np.asarray(d["scale"], dtype=np.float64),
            coef=np.asarray(d["coef"], dtype=np.float64),
            intercept=float(d["intercept"]),
            mae=float(d["mae"]),
            p95_abs_error=float(d["p95_abs_error"]),
        )


@dataclass(frozen=True, eq=False)
class Calibration:
    """Fitted models per pose-model variant, plus how they were made."""

    pelvic_tilt: dict[str, LinearModel]
    lumbar_lordosis: dict[str, LinearModel]
    info: dict[str, Any]

    def for_variant(self, variant: str | None) -> tuple[LinearModel, LinearModel]:
        """(pelvic tilt, lordosis) models for a variant; the default variant's if unknown."""
        default = str(self.info.get("default_variant", "full"))
        key = variant if variant in self.pelvic_tilt else default
        return self.pelvic_tilt[key], self.lumbar_lordosis[key]

    def to_dict(self) -> dict[str, Any]:
        return {
            "info": self.info,
            "pelvic_tilt": {k: m.to_dict() for k, m in self.pelvic_tilt.items()},
            "lumbar_lordosis": {k: m.to_dict() for k, m in self.lumbar_lordosis.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        return cls(
            pelvic_tilt={k: LinearModel.from_dict(v) for k, v in d["pelvic_tilt"].items()},
            lumbar_lordosis={k: LinearModel.from_dict(v) for k, v in d["lumbar_lordosis"].items()},
            info=dict(d.get("info", {})),
        )


@lru_cache(maxsize=1)
def load_calibration() -> Calibration:
    """The calibration shipped inside the package (read once, on first use)."""
    text = resources.files("posture_cam.data").joinpath(CALIBRATION_FILE).read_text("utf-8")
    return Calibration.from_dict(json.loads(text))
