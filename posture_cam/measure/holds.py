"""Still holds in a recording of per-frame pelvic tilt and lordosis.

The pelvic-tilt range check (:mod:`posture_cam.measure.tilt_range`) asks a person to hold
four positions for about three seconds each. Here the per-frame estimates become holds:
stretches where the person held still, each with its mean values and their errors.

Errors: a hold's value is the mean of its frames; its ``±`` is the larger of the standard
error of that mean (frames are correlated, so the count is reduced by their lag-1
autocorrelation) and the bench's repeatability SEM for one check.

Pure numpy: no I/O, no mediapipe. Bad arguments raise ``ValueError``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from posture_cam.types import Measurement

from .plain import measurement, number

__all__ = [
    "POSITIONS",
    "Position",
    "RangeConfig",
    "DEFAULT_RANGE_CONFIG",
    "TiltSeries",
    "Hold",
    "find_holds",
    "measure_hold",
    "split_longest_hold",
]

Position = Literal["relaxed", "forward", "tucked", "relaxed_again"]
POSITIONS: tuple[Position, ...] = ("relaxed", "forward", "tucked", "relaxed_again")


@dataclass(frozen=True)
class RangeConfig:
    """Settings for finding and measuring holds.

    Attributes:
        min_hold_ms: a still stretch shorter than this is not a hold (the prompt asks ~3 s;
            the stillness test loses ~0.7 s at each end of a hold next to a movement).
        median_window_ms: width of the running median that steadies the per-frame values
            before the stillness test (the estimates scatter ~2° frame to frame).
        rate_window_ms: the stillness test compares the running median this far apart.
        max_rate_deg_s: a frame is still when tilt and lordosis change by less than this
            many degrees a second (moving between positions takes ~1 s for ~10°).
        max_gap_ms: frames missing (no person, gates failed) for longer than this split a
            hold in two.
        max_merge_gap_ms / run_merge_deg: two still stretches at most this far apart whose
            tilt and lordosis differ by less than ``run_merge_deg`` together are one hold
            (about the two estimates' smallest detectable changes added: 2.5° + 2.3° with
            the lite model, bench/repeatability.py).
        edge_trim_ms: dropped at both ends of a hold, where the body is still settling.
        merge_deg: two neighbouring holds whose tilt and lordosis differ by less than this
            are one hold interrupted by a wobble.
        tilt_sem_deg / lordosis_sem_deg: repeatability SEM of one check (the bench's
            value for the model in use, :func:`posture_cam.history.baseline.load_repeatability`):
            the least error a hold's value can have.
        min_range_ratio: the relaxed position (%) needs a total range at least this many
            times its own error.
        tilt_change_gain / lordosis_change_gain: what a change between two holds is
            multiplied by. The estimator follows a change within one body a little short of
            its full size (it leans towards typical values at the ends of its range); the
            gain is fitted on training renders of the same bodies at set tilts
            (``bench/check_range.py --fit-gain``), 1.0 means none.
    """

    min_hold_ms: float = 1200.0
    median_window_ms: float = 600.0
    rate_window_ms: float = 1000.0
    max_rate_deg_s: float = 2.5
    max_gap_ms: float = 600.0
    max_merge_gap_ms: float = 1500.0
    run_merge_deg: float = 5.0
    edge_trim_ms: float = 250.0
    merge_deg: float = 2.0
    tilt_sem_deg: float = 0.5
    lordosis_sem_deg: float = 0.6
    min_range_ratio: float = 3.0
    tilt_change_gain: float = 1.0
    lordosis_change_gain: float = 1.0

    def __post_init__(self) -> None:
        for name in ("min_hold_ms", "median_window_ms", "rate_window_ms", "max_rate_deg_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("max_gap_ms", "max_merge_gap_ms", "run_merge_deg", "edge_trim_ms"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("merge_deg", "tilt_sem_deg", "lordosis_sem_deg"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("tilt_change_gain", "lordosis_change_gain"):
            if not 0.5 <= getattr(self, name) <= 2.0:
                raise ValueError(f"{name} must be within 0.5-2.0, got {getattr(self, name)}")


DEFAULT_RANGE_CONFIG = RangeConfig()


@dataclass(frozen=True, eq=False)
class TiltSeries:
    """Per-frame measurements of one recording.

    Attributes:
        t_ms: (N,) frame times in milliseconds, strictly increasing.
        tilt_deg: (N,) pelvic-tilt estimate per frame (NaN when not measured).
        lordosis_deg: (N,) lordosis estimate per frame (NaN when not measured).
        ok: (N,) True where the frame passed the quality gates with a reliable outline.
    """

    t_ms: np.ndarray
    tilt_deg: np.ndarray
    lordosis_deg: np.ndarray
    ok: np.ndarray

    def __post_init__(self) -> None:
        n = self.t_ms.shape
        if self.t_ms.ndim != 1:
            raise ValueError(f"t_ms must be 1-D, got shape {self.t_ms.shape}")
        for name in ("tilt_deg", "lordosis_deg", "ok"):
            if getattr(self, name).shape != n:
                raise ValueError(f"{name} must have shape {n}, got {getattr(self, name).shape}")
        if n[0] > 1 and not np.all(np.diff(self.t_ms) > 0):
            raise ValueError("t_ms must be strictly increasing")

    @classmethod
    def from_lists(
        cls,
        t_ms: list[float],
        tilt_deg: list[float],
        lordosis_deg: list[float],
        ok: list[bool],
    ) -> TiltSeries:
        return cls(
            np.asarray(t_ms, dtype=np.float64),
            np.asarray(tilt_deg, dtype=np.float64),
            np.asarray(lordosis_deg, dtype=np.float64),
            np.asarray(ok, dtype=bool),
        )

    @property
    def usable(self) -> np.ndarray:
        """Frames that can be used: passed the gates and both values finite."""
        mask: np.ndarray = self.ok & np.isfinite(self.tilt_deg) & np.isfinite(self.lordosis_deg)
        return mask

    @property
    def duration_ms(self) -> float:
        return float(self.t_ms[-1] - self.t_ms[0]) if self.t_ms.size > 1 else 0.0


@dataclass(frozen=True)
class Hold:
    """One still stretch and its mean values.

    Attributes:
        position: which prompted position it is, once assigned; None before.
        start_ms / end_ms: the frames averaged (after trimming the edges).
        n_frames: how many usable frames were averaged.
        tilt_deg / lordosis_deg: mean value ± its error (see the module notes).
        tilt_sd_deg / lordosis_sd_deg: the frames' spread within the hold.
    """

    position: Position | None
    start_ms: float
    end_ms: float
    n_frames: int
    tilt_deg: Measurement
    lordosis_deg: Measurement
    tilt_sd_deg: float
    lordosis_sd_deg: float

    @property
    def duration_ms(self) -> float:
        return self.end_ms - self.start_ms

    def to_record(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "start_s": number(self.start_ms / 1000.0),
            "end_s": number(self.end_ms / 1000.0),
            "n_frames": self.n_frames,
            "pelvic_tilt_deg": measurement(self.tilt_deg),
            "lumbar_lordosis_deg": measurement(self.lordosis_deg),
            "pelvic_tilt_sd_deg": number(self.tilt_sd_deg),
            "lumbar_lordosis_sd_deg": number(self.lordosis_sd_deg),
        }


# ----------------------------------------------------------------------------- holds


def _running_median(t: np.ndarray, x: np.ndarray, window_ms: float) -> np.ndarray:
    """Median of ``x`` over the frames within ``±window_ms / 2`` of each frame."""
    half = window_ms / 2.0
    lo = np.searchsorted(t, t - half, side="left")
    hi = np.searchsorted(t, t + half, side="right")
    return np.array([np.median(x[a:b]) for a, b in zip(lo, hi, strict=True)])


def _rate_deg_s(t: np.ndarray, smooth: np.ndarray, window_ms: float) -> np.ndarray:
    """|change| of the smoothed value over ``window_ms`` around each frame, per second.

    Near the ends of the recording the window is cut short and the change is taken over
    the part that exists.
    """
    half = window_ms / 2.0
    t_lo = np.maximum(t - half, t[0])
    t_hi = np.minimum(t + half, t[-1])
    span_s = np.maximum(t_hi - t_lo, 1e-9) / 1000.0
    speed: np.ndarray = np.abs(np.interp(t_hi, t, smooth) - np.interp(t_lo, t, smooth)) / span_s
    return speed


def _effective_n(x: np.ndarray) -> float:
    """Sample size corrected for lag-1 autocorrelation: ``n (1 - r) / (1 + r)``, in [1, n]."""
    n = x.size
    if n < 3:
        return float(n)
    d = x - x.mean()
    den = float(d @ d)
    if den <= 0:
        return float(n)
    r = float(d[1:] @ d[:-1]) / den
    r = min(max(r, 0.0), 0.95)
    return float(min(max(n * (1 - r) / (1 + r), 1.0), n))


def measure_hold(
    series: TiltSeries,
    start_ms: float,
    end_ms: float,
    config: RangeConfig = DEFAULT_RANGE_CONFIG,
    position: Position | None = None,
) -> Hold | None:
    """Mean tilt and lordosis of the usable frames between ``start_ms`` and ``end_ms``.

    Used on the holds :func:`find_holds` finds, and by a prompted flow that knows when
    each hold was asked for. ``config.edge_trim_ms`` is dropped at both ends.

    Returns:
        The hold, or None with fewer than 3 usable frames in the window.
    """
    if not end_ms > start_ms:
        raise ValueError(f"end_ms must be after start_ms, got {start_ms}..{end_ms}")
    a, b = start_ms + config.edge_trim_ms, end_ms - config.edge_trim_ms
    if b <= a:
        a, b = start_ms, end_ms
    sel = series.usable & (series.t_ms >= a) & (series.t_ms <= b)
    if sel.sum() < 3:
        return None
    t, tilt, lord = series.t_ms[sel], series.tilt_deg[sel], series.lordosis_deg[sel]

    def mean_pm(x: np.ndarray, floor: float) -> tuple[Measurement, float]:
        sd = float(np.std(x, ddof=1))
        se = sd / math.sqrt(_effective_n(x))
        return Measurement(float(np.mean(x)), max(se, floor)), sd

    tilt_m, tilt_sd = mean_pm(tilt, config.tilt_sem_deg)
    lord_m, lord_sd = mean_pm(lord, config.lordosis_sem_deg)
    return Hold(
        position=position,
        start_ms=float(t[0]),
        end_ms=float(t[-1]),
        n_frames=int(sel.sum()),
        tilt_deg=tilt_m,
        lordosis_deg=lord_m,
        tilt_sd_deg=tilt_sd,
        lordosis_sd_deg=lord_sd,
    )


def _still_runs(series: TiltSeries, config: RangeConfig) -> list[tuple[float, float]]:
    """(start, end) times of stretches where the person held still long enough.

    Still frames form runs. Two runs at most ``max_merge_gap_ms`` apart are one hold when
    their median tilt and lordosis differ by less than ``run_merge_deg`` together: either
    estimate can jump by a few degrees for a moment while the body stays put (the lite
    model's tracking switches between two readings of a still picture), whereas moving
    between prompted positions changes both by more than they can be told apart from noise.
    Runs shorter than ``min_hold_ms`` are dropped.
    """
    use = series.usable
    if use.sum() < 3:
        return []
    t = series.t_ms[use]
    tilt = series.tilt_deg[use]
    tilt_s = _running_median(t, tilt, config.median_window_ms)
    lord_s = _running_median(t, series.lordosis_deg[use], config.median_window_ms)
    still = (_rate_deg_s(t, tilt_s, config.rate_window_ms) <= config.max_rate_deg_s) & (
        _rate_deg_s(t, lord_s, config.rate_window_ms) <= config.max_rate_deg_s
    )
    runs: list[list[int]] = []  # [first index, last index] of each run of still frames
    for i in map(int, np.flatnonzero(still)):
        if runs and i == runs[-1][1] + 1 and t[i] - t[i - 1] <= config.max_gap_ms:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    lord = series.lordosis_deg[use]

    def level(run: list[int]) -> tuple[float, float]:
        sel = slice(run[0], run[1] + 1)
        return float(np.median(tilt[sel])), float(np.median(lord[sel]))

    merged: list[list[int]] = []
    for run in runs:
        if merged:
            prev = merged[-1]
            gap = t[run[0]] - t[prev[1]]
            (t0, l0), (t1, l1) = level(prev), level(run)
            if (
                gap <= config.max_merge_gap_ms
                and abs(t1 - t0) + abs(l1 - l0) < config.run_merge_deg
            ):
                prev[1] = run[1]
                continue
        merged.append(run)
    return [(float(t[a]), float(t[b])) for a, b in merged if t[b] - t[a] >= config.min_hold_ms]


def find_holds(series: TiltSeries, config: RangeConfig = DEFAULT_RANGE_CONFIG) -> tuple[Hold, ...]:
    """Every stretch where the person held still for at least ``config.min_hold_ms``.

    Notes:
        Per-frame estimates scatter by ~2°, so stillness is judged on a running median
        (``median_window_ms``): a frame is still when the median changes by at most
        ``max_rate_deg_s`` over ``rate_window_ms``, for tilt and for lordosis. Runs of still
        frames close together at the same tilt are joined; those lasting ``min_hold_ms``
        become holds; two neighbouring holds whose values differ by less than ``merge_deg``
        (tilt and lordosis) are merged, since a wobble split them.

    Returns:
        The holds in time order, positions unassigned.
    """
    holds: list[Hold] = []
    for a, b in _still_runs(series, config):
        h = measure_hold(series, a, b, config)
        if h is None:
            continue
        if holds and _same_level(holds[-1], h, config.merge_deg):
            merged = measure_hold(series, holds[-1].start_ms, b, config)
            if merged is not None:
                holds[-1] = merged
                continue
        holds.append(h)
    return tuple(holds)


def split_longest_hold(
    series: TiltSeries, holds: tuple[Hold, ...], config: RangeConfig
) -> tuple[Hold, ...]:
    """Split the longest hold in two where its level changes most, if it looks like two.

    Used when fewer than four holds were found: a small movement between two positions
    (a tuck the estimate barely follows) can join two holds into one about twice as long
    as the others. It is split when it lasts at least 1.8 times the median hold and
    ``2 * min_hold_ms``, at the time that best separates ``tilt + lordosis`` before and
    after (largest difference of medians, each part at least ``min_hold_ms`` long).
    """
    if len(holds) < 2:
        return holds
    durations = np.array([h.duration_ms for h in holds])
    k = int(np.argmax(durations))
    h = holds[k]
    if h.duration_ms < max(1.8 * float(np.median(durations)), 2 * config.min_hold_ms):
        return holds
    sel = series.usable & (series.t_ms >= h.start_ms) & (series.t_ms <= h.end_ms)
    t = series.t_ms[sel]
    z = series.tilt_deg[sel] + series.lordosis_deg[sel]
    best, best_t = 0.0, None
    for i in range(1, t.size):
        if t[i] - t[0] < config.min_hold_ms or t[-1] - t[i] < config.min_hold_ms:
            continue
        d = abs(float(np.median(z[:i])) - float(np.median(z[i:])))
        if d > best:
            best, best_t = d, float(t[i])
    if best_t is None:
        return holds
    first = measure_hold(series, h.start_ms, best_t, config)
    second = measure_hold(series, best_t, h.end_ms, config)
    if first is None or second is None:
        return holds
    return holds[:k] + (first, second) + holds[k + 1 :]


def _same_level(a: Hold, b: Hold, merge_deg: float) -> bool:
    return (
        abs(a.tilt_deg.value - b.tilt_deg.value) < merge_deg
        and abs(a.lordosis_deg.value - b.lordosis_deg.value) < merge_deg
    )
