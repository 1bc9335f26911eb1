"""The pelvic-tilt and lordosis estimator: an ensemble of small networks, evaluated in numpy.

Each member maps the standardised outline features (:data:`posture_cam.measure.metrics.
FEATURE_NAMES`) through tanh layers to the two angles (pelvic tilt, lumbar lordosis, both
standardised). The ensemble's answer is the members' mean; their spread says how much the
members disagree, which grows on pictures unlike anything they were trained on.

The weights are fitted by ``bench/train_estimator.py`` and shipped in
``posture_cam/data/estimator.npz`` with their provenance and measured errors; nothing here
trains or imports anything beyond numpy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Network", "AngleEstimator", "ESTIMATOR_FORMAT_VERSION"]

ESTIMATOR_FORMAT_VERSION = 2


@dataclass(frozen=True, eq=False)
class Network:
    """One member: ``layers`` of (weights (n_in, n_out), bias (n_out,)), tanh between."""

    layers: tuple[tuple[np.ndarray, np.ndarray], ...]

    def __post_init__(self) -> None:
        for k, (w, b) in enumerate(self.layers):
            if w.ndim != 2 or b.shape != (w.shape[1],):
                raise ValueError(f"layer {k}: weights {w.shape} and bias {b.shape} do not fit")
            if k and w.shape[0] != self.layers[k - 1][0].shape[1]:
                raise ValueError(
                    f"layer {k} takes {w.shape[0]} inputs, the last gives "
                    f"{self.layers[k - 1][0].shape[1]}"
                )

    def __call__(self, z: np.ndarray) -> np.ndarray:
        h = z
        last = len(self.layers) - 1
        for k, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if k < last:
                h = np.tanh(h)
        return h


@dataclass(frozen=True, eq=False)
class AngleEstimator:
    """Features -> (pelvic tilt, lordosis) in degrees, and the members' spread.

    Attributes:
        features: names of the inputs, in order.
        x_mean / x_scale: standardisation of the inputs.
        y_mean / y_scale: (2,) un-standardisation of the outputs (tilt, lordosis).
        members: the networks; their mean is the estimate.
        info: provenance and measured errors (see ``bench/train_estimator.py``).
    """

    features: tuple[str, ...]
    x_mean: np.ndarray
    x_scale: np.ndarray
    y_mean: np.ndarray
    y_scale: np.ndarray
    members: tuple[Network, ...]
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.features)
        for name in ("x_mean", "x_scale"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {getattr(self, name).shape}")
        for name in ("y_mean", "y_scale"):
            if getattr(self, name).shape != (2,):
                raise ValueError(f"{name} must have shape (2,), got {getattr(self, name).shape}")
        if not self.members:
            raise ValueError("an estimator needs at least one member")

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Estimates and member spread for feature rows ``x`` ((n, d) or (d,)).

        Returns:
            ``(estimate, spread)``, each (n, 2) or (2,) in degrees: the members' mean and
            their standard deviation. Rows with a non-finite feature give NaN.
        """
        x = np.asarray(x, dtype=np.float64)
        single = x.ndim == 1
        rows = x[None, :] if single else x
        if rows.shape[1] != len(self.features):
            raise ValueError(f"expected {len(self.features)} features, got {rows.shape[1]}")
        ok = np.isfinite(rows).all(axis=1)
        z = (np.where(ok[:, None], rows, 0.0) - self.x_mean) / self.x_scale
        outs = np.stack([m(z) for m in self.members]) * self.y_scale + self.y_mean
        est = np.where(ok[:, None], outs.mean(axis=0), np.nan)
        spread = np.where(ok[:, None], outs.std(axis=0), np.nan)
        return (est[0], spread[0]) if single else (est, spread)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays for ``numpy.savez`` (no pickling needed to read them back)."""
        out: dict[str, np.ndarray] = {
            "features": np.array(self.features),
            "x_mean": self.x_mean,
            "x_scale": self.x_scale,
            "y_mean": self.y_mean,
            "y_scale": self.y_scale,
            "info": np.array(json.dumps(self.info)),
            "n_members": np.array(len(self.members)),
        }
        for i, m in enumerate(self.members):
            out[f"m{i}_n_layers"] = np.array(len(m.layers))
            for k, (w, b) in enumerate(m.layers):
                out[f"m{i}_w{k}"] = w.astype(np.float32)
                out[f"m{i}_b{k}"] = b.astype(np.float32)
        return out

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> AngleEstimator:
        members = []
        for i in range(int(a["n_members"])):
            layers = tuple(
                (a[f"m{i}_w{k}"].astype(np.float64), a[f"m{i}_b{k}"].astype(np.float64))
                for k in range(int(a[f"m{i}_n_layers"]))
            )
            members.append(Network(layers))
        return cls(
            features=tuple(str(f) for f in a["features"]),
            x_mean=a["x_mean"].astype(np.float64),
            x_scale=a["x_scale"].astype(np.float64),
            y_mean=a["y_mean"].astype(np.float64),
            y_scale=a["y_scale"].astype(np.float64),
            members=tuple(members),
            info=json.loads(str(a["info"])),
        )
