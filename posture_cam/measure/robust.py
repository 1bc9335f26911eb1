"""Robust mean and spread: MAD outlier rejection, for one series or the columns of a window.

Pure numpy. The rule (:func:`robust_estimate`): with ``m = median(x)`` and
``s = 1.4826 * median(|x - m|)``, values with ``|x - m| > max(k * s, floor)`` are dropped;
the result is the mean and the standard deviation of the rest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = [
    "MAD_TO_SD",
    "RobustColumns",
    "RobustEstimate",
    "column_medians",
    "robust_columns",
    "robust_estimate",
]

# A normal distribution's standard deviation is 1.4826 times its median absolute deviation.
MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class RobustEstimate:
    """Mean and standard deviation of the values left after MAD outlier rejection.

    Attributes:
        value: mean of the kept values.
        spread_sd: standard deviation of the kept values (``n - 1`` in the denominator; 0
            for a single value), same unit as the values.
        n_kept: values kept.
        n_rejected: finite values rejected as outliers.
    """

    value: float
    spread_sd: float
    n_kept: int
    n_rejected: int


def column_medians(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median of the finite values of each column of ``a`` (NaN where none), and their count.

    Sorting the whole (frames × metrics) array once is much cheaper than one
    :func:`numpy.median` call per metric (a window is ~45 × 10 values, every frame).
    """
    a = np.where(np.isfinite(a), a, np.nan)
    n = np.isfinite(a).sum(axis=0)
    if a.shape[0] == 0:
        return np.full(a.shape[1], np.nan), n
    s = np.sort(a, axis=0)  # NaN sorts last
    cols = np.arange(a.shape[1])
    lo = s[np.maximum((n - 1) // 2, 0), cols]
    hi = s[np.maximum(n // 2, 0), cols]
    # Halves first (no overflow near the float limits); equal middles are returned as they
    # are (exact even for subnormal numbers).
    med = np.where(lo == hi, lo, lo / 2.0 + hi / 2.0)
    return np.where(n > 0, med, np.nan), n


class RobustColumns(NamedTuple):
    """:func:`robust_columns` per column: mean, spread, kept, rejected and drift."""

    value: np.ndarray
    spread: np.ndarray
    n_kept: np.ndarray
    n_rejected: np.ndarray
    drift: np.ndarray


def robust_columns(a: np.ndarray, k: float, floor: np.ndarray | float = 0.0) -> RobustColumns:
    """:func:`robust_estimate` for each column of a (frames × metrics) array, rows oldest first.

    ``floor`` is the smallest rejection distance per column (e.g. the calibration error).
    Value and spread are NaN for a column without finite values; drift (mean of the newer
    half's kept values minus the older half's) is NaN when a half has none.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        a = np.where(np.isfinite(a), a, np.nan)
        med, n = column_medians(a)
        dev = np.abs(a - med)
        mad, _ = column_medians(dev)
        # A relative tolerance so that values equal up to rounding count as equal when s = 0.
        tol = np.maximum(
            np.maximum(k * MAD_TO_SD * mad, floor), 1e-9 * np.maximum(1.0, np.abs(med))
        )
        inside = dev <= tol
        n_kept = inside.sum(axis=0)
        # The mean as median + mean offset: exact for equal values, no overflow in the sum.
        offset = np.where(inside, a - med, 0.0)
        shift = offset.sum(axis=0) / np.maximum(n_kept, 1)
        value = np.where(n_kept > 0, med + shift, np.nan)
        sq = np.where(inside, (offset - shift) ** 2, 0.0).sum(axis=0)
        spread = np.where(n_kept > 1, np.sqrt(sq / np.maximum(n_kept - 1, 1)), 0.0)
        newer = (np.arange(a.shape[0]) >= a.shape[0] / 2.0)[:, None]
        n_new = (inside & newer).sum(axis=0)
        n_old = n_kept - n_new
        mean_new = np.where(newer, offset, 0.0).sum(axis=0) / np.maximum(n_new, 1)
        mean_old = np.where(newer, 0.0, offset).sum(axis=0) / np.maximum(n_old, 1)
        drift = np.where((n_new > 0) & (n_old > 0), mean_new - mean_old, np.nan)
    return RobustColumns(value, spread, n_kept, n - n_kept, drift)


def robust_estimate(
    values: Iterable[float] | np.ndarray, k: float = 3.5, floor: float = 0.0
) -> RobustEstimate | None:
    """Mean and spread of ``values`` after MAD outlier rejection; None if none is finite.

    Args:
        values: the samples; NaN and infinite values are ignored.
        k: rejection threshold in MAD-based standard deviations.
        floor: values at most this far from the median are always kept (e.g. the metric's
            calibration error: a deviation within the known error is not an outlier).

    Notes:
        With ``m = median(x)`` and ``s = 1.4826 * median(|x - m|)``, values with
        ``|x - m| > max(k * s, floor)`` are dropped; the result is the mean and the standard
        deviation (``n - 1``) of the rest. When more than half the values are equal and
        ``floor`` is 0 (``s = 0``) only those are kept. Values so large that their
        differences overflow give None rather than an infinite spread.
    """
    x = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=np.float64)
    cols = robust_columns(x.reshape(-1, 1), k, floor)
    v, sd = float(cols.value[0]), float(cols.spread[0])
    if not (cols.n_kept[0] > 0 and math.isfinite(v) and math.isfinite(sd)):
        return None
    return RobustEstimate(v, sd, int(cols.n_kept[0]), int(cols.n_rejected[0]))
