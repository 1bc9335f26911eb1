"""Pelvic-tilt range: four still holds of one standing person, and what they say.

The guided check asks a person standing side-on to hold four positions for about three
seconds each: **relaxed**, pelvis **tipped forward** as far as comfortable (arched back),
**tucked under** as far as comfortable (flat back), and **relaxed again**. Every frame gives
a pelvic-tilt and a lordosis estimate (:func:`posture_cam.pipeline.analyze_detection`);
this module finds the holds in that series, averages each, and compares them.

Because the four holds come from the same body, clothes, camera and light, most of the
estimate's between-person error (its calibration bias, the ``±`` of a single photo) is the
same in all four and cancels in their differences. What is left is the repeatability of
one measurement (the bench's SEM) and how faithfully the estimator follows a change
within one body (``bench/check_range.py``).

Conventions (as :mod:`posture_cam.measure.geometry`): pelvic tilt positive = anterior
(PSIS higher, "tipped forward"); lordosis larger = more curved.

=================================  ==================================================
quantity                           definition
=================================  ==================================================
forward range                      forward hold - relaxed (mean of both relaxed holds)
backward range                     relaxed - tucked hold (positive when tucked is lower)
total range                        forward hold - tucked hold
relaxed position (%)               100 * (relaxed - tucked) / (forward - tucked):
                                   0 % = relaxed at the tucked-under end of the person's
                                   own range, 100 % = at the tipped-forward end
relaxed difference                 relaxed again - relaxed
lordosis per degree of tilt        least-squares slope of lordosis on tilt over the holds
=================================  ==================================================

Errors: a hold's value is the mean of its frames; its ``±`` is the larger of the standard
error of that mean (frames are correlated, so the count is reduced by their lag-1
autocorrelation) and the bench's repeatability SEM for one check. Differences add the two
holds' errors in quadrature. The relaxed holds *agree* when their difference is within
``1.96 x`` its error (the smallest detectable change at 95 %).

Pure numpy: no I/O, no mediapipe. Poor data gives findings, never exceptions; bad
arguments raise ``ValueError``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from posture_cam.types import Measurement

from .gates import Finding

__all__ = [
    "POSITIONS",
    "Position",
    "RangeConfig",
    "DEFAULT_RANGE_CONFIG",
    "TiltSeries",
    "Hold",
    "RangeResult",
    "RangeOutcome",
    "find_holds",
    "measure_hold",
    "assign_positions",
    "analyze_holds",
    "analyze_range",
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
        return self.ok & np.isfinite(self.tilt_deg) & np.isfinite(self.lordosis_deg)

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
            "start_s": _r(self.start_ms / 1000.0),
            "end_s": _r(self.end_ms / 1000.0),
            "n_frames": self.n_frames,
            "pelvic_tilt_deg": _m(self.tilt_deg),
            "lumbar_lordosis_deg": _m(self.lordosis_deg),
            "pelvic_tilt_sd_deg": _r(self.tilt_sd_deg),
            "lumbar_lordosis_sd_deg": _r(self.lordosis_sd_deg),
        }


@dataclass(frozen=True)
class RangeResult:
    """The range check's numbers (degrees unless stated; signs in the module notes).

    Attributes:
        holds: the four holds in the order of :data:`POSITIONS`.
        relaxed_tilt_deg / relaxed_lordosis_deg: mean of the two relaxed holds.
        forward_tilt_deg / backward_tilt_deg / total_tilt_deg: the tilt ranges.
        forward_lordosis_deg / backward_lordosis_deg / total_lordosis_deg: the same for
            lordosis.
        relaxed_position_pct: where relaxed sits within the person's own tilt range,
            0-100 %, or None when the range is too small against its error.
        relaxed_position_lordosis_pct: the same from lordosis.
        relaxed_difference_tilt_deg / relaxed_difference_lordosis_deg: relaxed again -
            relaxed.
        relaxed_agree: True when both differences are within 1.96 x their error.
        lordosis_per_tilt_ratio: lordosis change per degree of tilt change across the
            holds (Levine & Whittle 1996 found about 1), or None with too little tilt range.
        findings: cautions about this recording (severity "warn").
    """

    holds: tuple[Hold, Hold, Hold, Hold]
    relaxed_tilt_deg: Measurement
    relaxed_lordosis_deg: Measurement
    forward_tilt_deg: Measurement
    backward_tilt_deg: Measurement
    total_tilt_deg: Measurement
    forward_lordosis_deg: Measurement
    backward_lordosis_deg: Measurement
    total_lordosis_deg: Measurement
    relaxed_position_pct: Measurement | None
    relaxed_position_lordosis_pct: Measurement | None
    relaxed_difference_tilt_deg: Measurement
    relaxed_difference_lordosis_deg: Measurement
    relaxed_agree: bool
    lordosis_per_tilt_ratio: float | None
    findings: tuple[Finding, ...] = ()

    def hold(self, position: Position) -> Hold:
        return self.holds[POSITIONS.index(position)]

    def to_record(self) -> dict[str, Any]:
        """Plain data (numbers, strings, lists) for JSON, a report record or a history row."""
        return {
            "holds": [h.to_record() for h in self.holds],
            "relaxed_tilt_deg": _m(self.relaxed_tilt_deg),
            "relaxed_lordosis_deg": _m(self.relaxed_lordosis_deg),
            "forward_tilt_deg": _m(self.forward_tilt_deg),
            "backward_tilt_deg": _m(self.backward_tilt_deg),
            "total_tilt_deg": _m(self.total_tilt_deg),
            "forward_lordosis_deg": _m(self.forward_lordosis_deg),
            "backward_lordosis_deg": _m(self.backward_lordosis_deg),
            "total_lordosis_deg": _m(self.total_lordosis_deg),
            "relaxed_position_pct": _m(self.relaxed_position_pct),
            "relaxed_position_lordosis_pct": _m(self.relaxed_position_lordosis_pct),
            "relaxed_difference_tilt_deg": _m(self.relaxed_difference_tilt_deg),
            "relaxed_difference_lordosis_deg": _m(self.relaxed_difference_lordosis_deg),
            "relaxed_agree": self.relaxed_agree,
            "lordosis_per_tilt_ratio": _r(self.lordosis_per_tilt_ratio),
            "findings": [_finding_record(f) for f in self.findings],
        }


@dataclass(frozen=True)
class RangeOutcome:
    """A recording's analysis: the result, or the blocking findings that prevented it.

    ``findings`` are the blocking ones (empty when measured: the result carries its own
    cautions); ``holds`` lists every still stretch found, unassigned, to show what was seen.
    """

    result: RangeResult | None
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    holds: tuple[Hold, ...] = field(default_factory=tuple)

    @property
    def measured(self) -> bool:
        return self.result is not None

    def to_record(self) -> dict[str, Any]:
        return {
            "measured": self.measured,
            "result": None if self.result is None else self.result.to_record(),
            "findings": [_finding_record(f) for f in self.findings],
            "holds_found": [h.to_record() for h in self.holds],
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
    return np.abs(np.interp(t_hi, t, smooth) - np.interp(t_lo, t, smooth)) / span_s


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


def _split_longest(
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


def assign_positions(holds: tuple[Hold, ...]) -> tuple[Hold, Hold, Hold, Hold] | None:
    """Pick the four holds, in time order, that best fit relaxed, forward, tucked, relaxed.

    Notes:
        Each hold's level is ``z = tilt + lordosis`` (the two move together within a
        person). Of all choices ``i < j < k < l`` the one with the largest
        ``(z_j - max(z_i, z_l)) + (min(z_i, z_l) - z_k) - |z_i - z_l|`` wins: the forward
        hold highest, the tucked hold lowest, the relaxed holds alike. Ties go to the
        longer holds. With exactly four holds that is the only choice.

    Returns:
        The four holds with their positions set, or None with fewer than four.
    """
    if len(holds) < 4:
        return None
    z = [h.tilt_deg.value + h.lordosis_deg.value for h in holds]
    best: tuple[float, float, tuple[int, ...]] | None = None
    for combo in itertools.combinations(range(len(holds)), 4):
        i, j, k, m = combo
        lo, hi = min(z[i], z[m]), max(z[i], z[m])
        score = (z[j] - hi) + (lo - z[k]) - (hi - lo)
        length = sum(holds[c].duration_ms for c in combo)
        key = (score, length, combo)
        if best is None or key[:2] > best[:2]:
            best = key
    assert best is not None
    r1, fw, tk, r2 = (
        replace(holds[c], position=pos) for pos, c in zip(POSITIONS, best[2], strict=True)
    )
    return r1, fw, tk, r2


# ----------------------------------------------------------------------------- analysis


def _diff(a: Measurement, b: Measurement) -> Measurement:
    """a - b with the errors added in quadrature."""
    return Measurement(a.value - b.value, math.hypot(a.plus_minus, b.plus_minus))


def _mean2(a: Measurement, b: Measurement) -> Measurement:
    """Mean of two independent measurements: error sqrt(ea² + eb²) / 2."""
    return Measurement((a.value + b.value) / 2.0, math.hypot(a.plus_minus, b.plus_minus) / 2.0)


def _position_pct(
    relaxed: Measurement, forward: Measurement, tucked: Measurement, min_ratio: float
) -> Measurement | None:
    """100 (R - T) / (F - T), with first-order error propagation; None for a tiny range.

    Notes:
        With ``p = (R - T) / (F - T)``: ``dp/dR = 1 / (F - T)``,
        ``dp/dF = -(R - T) / (F - T)^2``, ``dp/dT = (R - F) / (F - T)^2``.
    """
    span = forward.value - tucked.value
    span_err = math.hypot(forward.plus_minus, tucked.plus_minus)
    if not (span > 0 and span >= min_ratio * span_err):
        return None
    p = (relaxed.value - tucked.value) / span
    dr = 1.0 / span
    df = -(relaxed.value - tucked.value) / span**2
    dt = (relaxed.value - forward.value) / span**2
    err = math.hypot(dr * relaxed.plus_minus, df * forward.plus_minus, dt * tucked.plus_minus)
    return Measurement(100.0 * p, 100.0 * err)


def _slope(x: np.ndarray, y: np.ndarray, min_spread: float) -> float | None:
    if float(np.ptp(x)) < min_spread:
        return None
    xc = x - x.mean()
    return float(xc @ (y - y.mean()) / (xc @ xc))


def analyze_holds(
    holds: tuple[Hold, Hold, Hold, Hold], config: RangeConfig = DEFAULT_RANGE_CONFIG
) -> RangeResult:
    """Ranges, relaxed position and agreement from four assigned holds (see module notes)."""
    if tuple(h.position for h in holds) != POSITIONS:
        raise ValueError(f"holds must be in the order {POSITIONS}")
    r1, fw, tk, r2 = holds
    findings: list[Finding] = []

    relaxed_t = _mean2(r1.tilt_deg, r2.tilt_deg)
    relaxed_l = _mean2(r1.lordosis_deg, r2.lordosis_deg)
    diff_t = _diff(r2.tilt_deg, r1.tilt_deg)
    diff_l = _diff(r2.lordosis_deg, r1.lordosis_deg)
    agree = (
        abs(diff_t.value) <= 1.96 * diff_t.plus_minus
        and abs(diff_l.value) <= 1.96 * diff_l.plus_minus
    )
    if not agree:
        findings.append(
            Finding(
                "relaxed_differ",
                f"Your two relaxed holds differ by {diff_t.value:+.1f}° of tilt and "
                f"{diff_l.value:+.1f}° of curve, more than the measurement's repeatability.",
                "Relax fully before the first and the last hold, feet where they were; "
                "if they still differ, your relaxed stance varies and the percentage below "
                "is less certain.",
                severity="warn",
                value=diff_t.value,
                threshold=1.96 * diff_t.plus_minus,
            )
        )

    fwd_t, back_t, tot_t = (
        _diff(fw.tilt_deg, relaxed_t),
        _diff(relaxed_t, tk.tilt_deg),
        _diff(fw.tilt_deg, tk.tilt_deg),
    )
    fwd_l, back_l, tot_l = (
        _diff(fw.lordosis_deg, relaxed_l),
        _diff(relaxed_l, tk.lordosis_deg),
        _diff(fw.lordosis_deg, tk.lordosis_deg),
    )
    if fwd_t.value <= 0 or back_t.value <= 0:
        findings.append(
            Finding(
                "order_unexpected",
                "The holds did not come out in the expected order (tipped forward above "
                "relaxed, tucked under below it).",
                "Follow the prompts in order: relaxed, tip the pelvis forward, tuck it "
                "under, relaxed again; move as far as is comfortable each time.",
                severity="warn",
                value=min(fwd_t.value, back_t.value),
                threshold=0.0,
            )
        )
    pct_t = _position_pct(relaxed_t, fw.tilt_deg, tk.tilt_deg, config.min_range_ratio)
    pct_l = _position_pct(relaxed_l, fw.lordosis_deg, tk.lordosis_deg, config.min_range_ratio)
    if pct_t is None:
        findings.append(
            Finding(
                "range_too_small",
                f"The tilt range ({tot_t.value:.1f}°) is too small against its error "
                f"(±{tot_t.plus_minus:.1f}°) to place your relaxed stance within it.",
                "Tip and tuck the pelvis as far as is comfortable, and hold each position still.",
                severity="warn",
                value=tot_t.value,
                threshold=config.min_range_ratio * tot_t.plus_minus,
            )
        )
    tilts = np.array([h.tilt_deg.value for h in holds])
    lords = np.array([h.lordosis_deg.value for h in holds])
    ratio = _slope(tilts, lords, min_spread=max(2.0, 2 * config.tilt_sem_deg))
    return RangeResult(
        holds=holds,
        relaxed_tilt_deg=relaxed_t,
        relaxed_lordosis_deg=relaxed_l,
        forward_tilt_deg=fwd_t,
        backward_tilt_deg=back_t,
        total_tilt_deg=tot_t,
        forward_lordosis_deg=fwd_l,
        backward_lordosis_deg=back_l,
        total_lordosis_deg=tot_l,
        relaxed_position_pct=pct_t,
        relaxed_position_lordosis_pct=pct_l,
        relaxed_difference_tilt_deg=diff_t,
        relaxed_difference_lordosis_deg=diff_l,
        relaxed_agree=agree,
        lordosis_per_tilt_ratio=ratio,
        findings=tuple(findings),
    )


def analyze_range(series: TiltSeries, config: RangeConfig = DEFAULT_RANGE_CONFIG) -> RangeOutcome:
    """The whole check on one recording: find the holds, assign them, analyse them.

    When only three holds are found and one of them is about twice as long as the others,
    it is split where its level changes most (see :func:`_split_longest`).

    Returns:
        A :class:`RangeOutcome`; when the holds cannot be found its ``findings`` say why
        (severity "block"): too few measurable frames, or fewer than four still holds.
    """
    usable = series.usable
    need_ms = 4 * config.min_hold_ms
    if usable.sum() < 3 or series.duration_ms < need_ms:
        n_ok = int(usable.sum())
        return RangeOutcome(
            None,
            (
                Finding(
                    "too_short" if series.duration_ms < need_ms else "not_measurable",
                    (
                        f"The recording is {series.duration_ms / 1000:.0f} s long; the four "
                        f"holds need at least {need_ms / 1000:.0f} s."
                        if series.duration_ms < need_ms
                        else f"Only {n_ok} frames could be measured."
                    ),
                    "Record about 20 seconds: relaxed, tipped forward, tucked under and "
                    "relaxed again, each held still for about 3 seconds.",
                    value=series.duration_ms / 1000.0,
                    threshold=need_ms / 1000.0,
                ),
            ),
        )
    holds = find_holds(series, config)
    if len(holds) == 3:
        holds = _split_longest(series, holds, config)
    assigned = assign_positions(holds)
    if assigned is None:
        return RangeOutcome(
            None,
            (
                Finding(
                    "holds_not_found",
                    f"Found {len(holds)} still hold{'s' if len(holds) != 1 else ''} of at least "
                    f"{config.min_hold_ms / 1000:g} s; the check needs four (relaxed, "
                    "tipped forward, tucked under, relaxed again).",
                    "Hold each position completely still for about 3 seconds, and move "
                    "clearly between them.",
                    value=float(len(holds)),
                    threshold=4.0,
                ),
            ),
            holds,
        )
    return RangeOutcome(analyze_holds(assigned, config), (), holds)


# ----------------------------------------------------------------------------- records


def _r(x: float | None, digits: int = 3) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), digits)


def _m(m: Measurement | None) -> dict[str, float | None] | None:
    if m is None:
        return None
    return {"value": _r(m.value), "plus_minus": _r(m.plus_minus)}


def _finding_record(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": f.severity,
        "message": f.message,
        "hint": f.hint,
        "value": _r(f.value),
        "threshold": _r(f.threshold),
    }
