"""The shipped estimator and what its validation measured, per pose-model variant.

``bench/train_estimator.py`` fits :class:`~posture_cam.measure.estimator.AngleEstimator` on
thousands of synthetic renders (clean and with painted occluders), measures its errors on
bodies it never saw, and writes everything to ``posture_cam/data/estimator.npz``:

* the networks;
* the error of each estimate **per mode** (``clean``: nothing found in the way;
  ``flagged``: an occluder was found but the reading was kept with a wider ``±``;
  ``change``: the error of a change between two pictures of the same body), as mean
  absolute error, 95th percentile and standard deviation: every ``±`` shown is one of these;
* the confidence calibration (:class:`ConfidenceCalibration`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import IO, Any

import numpy as np

from .estimator import ESTIMATOR_FORMAT_VERSION, AngleEstimator
from .occlusion import OcclusionModel

__all__ = [
    "ErrorStats",
    "ConfidenceCalibration",
    "VariantCalibration",
    "Calibration",
    "load_calibration",
    "read_calibration",
    "ESTIMATOR_FILE",
    "MODES",
]

ESTIMATOR_FILE = "estimator.npz"
MODES = ("clean", "flagged", "change")
METRICS = ("pelvic_tilt_deg", "lumbar_lordosis_deg")


@dataclass(frozen=True)
class ErrorStats:
    """Absolute error of an estimate on validation pictures, in degrees.

    ``mae`` is what a reading's ``±`` shows; ``p95_abs_error`` bounds 95 % of errors.
    """

    mae: float
    p95_abs_error: float
    sd: float
    n: int


@dataclass(frozen=True)
class ConfidenceCalibration:
    """How a pattern's confidence is computed from the estimate's measured error.

    The true standard score of a picture is taken as normal around the estimated one with
    SD ``scale`` times the error SD of the mode; ``scale`` was fitted so that stated
    confidences match how often the call was right on held-out pictures (clean and with
    occluders), and ``cap`` is the highest confidence those pictures earned.
    """

    scale: float
    cap: float


@dataclass(frozen=True, eq=False)
class VariantCalibration:
    """Everything the measurement needs for one pose-model variant.

    Attributes:
        estimator: the networks.
        errors: mode -> metric -> measured error (modes: :data:`MODES`).
        confidence: how confidences are computed.
        occlusion: names the occluder a picture seems to have.
        occluders: occluder finding code -> "block" (the result becomes inconclusive) or
            "widen" (kept, with the ``flagged`` mode's ``±``), decided by the error measured
            on pictures with that occluder.
    """

    estimator: AngleEstimator
    errors: dict[str, dict[str, ErrorStats]]
    confidence: ConfidenceCalibration
    occlusion: OcclusionModel
    occluders: dict[str, str]

    def error(self, metric: str, mode: str = "clean") -> ErrorStats:
        """The measured error of ``metric`` in ``mode`` (clean when the mode is unknown)."""
        table = self.errors.get(mode) or self.errors["clean"]
        return table[metric]


@dataclass(frozen=True, eq=False)
class Calibration:
    """Per-variant estimators and errors, plus how they were made (``info``)."""

    variants: dict[str, VariantCalibration]
    info: dict[str, Any]

    @property
    def default_variant(self) -> str:
        return str(self.info.get("default_variant", "full"))

    def variant(self, variant: str | None) -> VariantCalibration:
        """The calibration of ``variant``; the default variant's when it has none."""
        key = variant if variant in self.variants else self.default_variant
        return self.variants[key]

    def for_variant(self, variant: str | None) -> tuple[ErrorStats, ErrorStats]:
        """(pelvic tilt, lordosis) clean-mode errors of a variant (the default's if unknown)."""
        v = self.variant(variant)
        return v.error("pelvic_tilt_deg"), v.error("lumbar_lordosis_deg")

    @property
    def pelvic_tilt(self) -> dict[str, ErrorStats]:
        return {k: v.error("pelvic_tilt_deg") for k, v in self.variants.items()}

    @property
    def lumbar_lordosis(self) -> dict[str, ErrorStats]:
        return {k: v.error("lumbar_lordosis_deg") for k, v in self.variants.items()}

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays for ``numpy.savez``: per variant, the estimator under a prefix."""
        out: dict[str, np.ndarray] = {
            "format_version": np.array(ESTIMATOR_FORMAT_VERSION),
            "info": np.array(json.dumps(self.info)),
            "variants": np.array(sorted(self.variants)),
        }
        for name, v in self.variants.items():
            for key, arr in v.estimator.to_arrays().items():
                out[f"{name}/{key}"] = arr
            out[f"{name}/errors"] = np.array(
                json.dumps(
                    {mode: {m: vars(s) for m, s in t.items()} for mode, t in v.errors.items()}
                )
            )
            out[f"{name}/confidence"] = np.array(json.dumps(vars(v.confidence)))
            out[f"{name}/occluders"] = np.array(json.dumps(v.occluders))
            for key, arr in v.occlusion.to_arrays().items():
                out[f"{name}/occlusion/{key}"] = arr
        return out

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> Calibration:
        version = int(a["format_version"])
        if version != ESTIMATOR_FORMAT_VERSION:
            raise ValueError(
                f"estimator file format {version}, this version of posture_cam reads "
                f"{ESTIMATOR_FORMAT_VERSION}"
            )
        variants = {}
        for name in (str(v) for v in a["variants"]):
            prefix = f"{name}/"
            own = {k[len(prefix) :]: v for k, v in a.items() if k.startswith(prefix)}
            errors = {
                mode: {m: ErrorStats(**s) for m, s in table.items()}
                for mode, table in json.loads(str(own.pop("errors"))).items()
            }
            confidence = ConfidenceCalibration(**json.loads(str(own.pop("confidence"))))
            occluders = json.loads(str(own.pop("occluders")))
            occ = {k.split("/", 1)[1]: own.pop(k) for k in list(own) if k.startswith("occlusion/")}
            variants[name] = VariantCalibration(
                AngleEstimator.from_arrays(own),
                errors,
                confidence,
                OcclusionModel.from_arrays(occ),
                occluders,
            )
        return cls(variants=variants, info=json.loads(str(a["info"])))


def read_calibration(source: IO[bytes]) -> Calibration:
    """A calibration from an open estimator file (``.npz``, see :meth:`Calibration.to_arrays`)."""
    with np.load(source) as z:
        return Calibration.from_arrays({k: z[k] for k in z.files})


@lru_cache(maxsize=1)
def load_calibration() -> Calibration:
    """The calibration shipped inside the package (read once, on first use)."""
    with resources.files("posture_cam.data").joinpath(ESTIMATOR_FILE).open("rb") as f:
        return read_calibration(f)
