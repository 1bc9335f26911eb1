"""Steady numbers for video: a time window of per-frame results, robust statistics, a verdict.

Each processed frame becomes a :class:`FrameSample`: did it pass the quality gates, its
metric values (degrees, ratios, % of height, keyed by the :class:`PostureMetrics` field name)
with their calibration errors, and the headline problem when it failed. A
:class:`WindowSmoother` keeps the samples of the last ``window_ms`` milliseconds and
:func:`summarize_window` turns them into a :class:`WindowSummary`:

* **Outliers** are rejected per metric with the median absolute deviation (MAD): a value is
  kept when ``|x - median| <= outlier_k * sd_mad``, where ``sd_mad = 1.4826 * MAD`` is the
  standard deviation a normal distribution with that MAD would have.
* The **smoothed value** is the median of the kept values; its **spread** is ``sd_mad``
  recomputed on them; the ± shown to people is the spread and the calibration error
  combined in quadrature: ``sqrt(spread² + calibration²)``.
* The window is **steady** when at least ``min_pass_ratio`` of its frames passed the gates,
  every required metric has at least ``min_frames`` kept values, and each required metric's
  spread is at most its limit (pelvic tilt 2°, lordosis 3° by default).
* When it is not steady, :attr:`WindowSummary.guidance` says what to do: the most common
  problem among the failed frames ("turn side-on", "step back", ...), or "hold still".

Pure numpy: no Streamlit, no MediaPipe, no I/O. Timestamps are milliseconds of the stream;
a timestamp earlier than the newest sample means the stream restarted, and the window is
cleared.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .types import Measurement

__all__ = [
    "MAD_TO_SD",
    "DEFAULT_CONFIG",
    "FrameSample",
    "Guidance",
    "RobustEstimate",
    "SmoothedValue",
    "SmoothingConfig",
    "Status",
    "WindowSmoother",
    "WindowSummary",
    "robust_estimate",
    "summarize_window",
    "trim_window",
]

# A normal distribution's standard deviation is 1.4826 times its median absolute deviation.
MAD_TO_SD = 1.4826

Status = Literal["waiting", "guidance", "measuring", "unsteady", "steady"]


@dataclass(frozen=True)
class Guidance:
    """What is wrong with the current view and how to fix it.

    Attributes:
        code: a stable code, e.g. a gate finding's (``"not_side_view"``), ``"measuring"``
            or ``"hold_still"``.
        message: what is wrong, in plain words.
        hint: what to do about it.
    """

    code: str
    message: str
    hint: str = ""


HOLD_STILL = Guidance(
    "hold_still",
    "The numbers are still moving.",
    "Stand still and relaxed for a moment, looking ahead.",
)
MEASURING = Guidance(
    "measuring",
    "Measuring…",
    "Hold still for a second or two.",
)


@dataclass(frozen=True, eq=False)
class FrameSample:
    """One processed video frame, as the smoother sees it.

    Attributes:
        timestamp_ms: the frame's stream time in milliseconds.
        passed: True when the gates passed and the outline could be measured.
        values: metric name -> value for this frame (NaN/inf are ignored).
        plus_minus: metric name -> calibration error (same unit) for this frame.
        guidance: the headline problem when ``passed`` is False, else usually None.
    """

    timestamp_ms: float
    passed: bool
    values: Mapping[str, float] = field(default_factory=dict)
    plus_minus: Mapping[str, float] = field(default_factory=dict)
    guidance: Guidance | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.timestamp_ms):
            raise ValueError(f"timestamp_ms must be finite, got {self.timestamp_ms}")


@dataclass(frozen=True)
class SmoothingConfig:
    """Settings of the smoothing window and the steadiness test.

    Attributes:
        window_ms: span of the window in stream milliseconds (samples older than the newest
            minus this are dropped).
        max_frames: hard cap on samples kept, whatever the frame rate.
        min_frames: kept (non-outlier) values each required metric needs to be steady.
        min_pass_ratio: share of the window's frames that must pass the gates.
        outlier_k: rejection threshold in MAD-based standard deviations.
        max_spread: (metric name, largest spread allowed) pairs; these metrics are required.
    """

    window_ms: float = 1500.0
    max_frames: int = 240
    min_frames: int = 15
    min_pass_ratio: float = 0.7
    outlier_k: float = 3.5
    max_spread: tuple[tuple[str, float], ...] = (
        ("pelvic_tilt_deg", 2.0),
        ("lumbar_lordosis_deg", 3.0),
    )

    def __post_init__(self) -> None:
        if not (math.isfinite(self.window_ms) and self.window_ms > 0):
            raise ValueError(f"window_ms must be positive, got {self.window_ms}")
        if self.max_frames < 1:
            raise ValueError(f"max_frames must be at least 1, got {self.max_frames}")
        if self.min_frames < 1:
            raise ValueError(f"min_frames must be at least 1, got {self.min_frames}")
        if not 0.0 <= self.min_pass_ratio <= 1.0:
            raise ValueError(f"min_pass_ratio must be within 0..1, got {self.min_pass_ratio}")
        if not self.outlier_k > 0:
            raise ValueError(f"outlier_k must be positive, got {self.outlier_k}")
        for name, limit in self.max_spread:
            if not limit >= 0:
                raise ValueError(f"max_spread for {name} must be >= 0, got {limit}")

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.max_spread)


DEFAULT_CONFIG = SmoothingConfig()


@dataclass(frozen=True)
class RobustEstimate:
    """Median and MAD-based spread of the values left after outlier rejection.

    Attributes:
        value: median of the kept values.
        spread_sd: ``1.4826 * MAD`` of the kept values (same unit as the values).
        n_kept: values kept.
        n_rejected: finite values rejected as outliers.
    """

    value: float
    spread_sd: float
    n_kept: int
    n_rejected: int


def robust_estimate(values: Iterable[float] | np.ndarray, k: float = 3.5) -> RobustEstimate | None:
    """Median and spread of ``values`` with MAD outlier rejection; None if none is finite.

    Notes:
        With ``m = median(x)`` and ``s = 1.4826 * median(|x - m|)``, values with
        ``|x - m| > k * s`` are dropped, then the median and ``s`` are recomputed on the rest.
        When more than half the values are equal (``s = 0``) only those are kept.
    """
    x = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        med = float(np.median(x))
        dev = np.abs(x - med)
        sd = MAD_TO_SD * float(np.median(dev))
        # A relative tolerance so that values equal up to rounding count as equal when s = 0.
        tol = max(k * sd, 1e-9 * max(1.0, abs(med)))
        kept = x[dev <= tol]
        if kept.size == 0:  # only when the deviations overflowed
            return None
        value = float(np.median(kept))
        spread = MAD_TO_SD * float(np.median(np.abs(kept - value)))
    if not (math.isfinite(value) and math.isfinite(spread)):
        # Values near the float limits overflow in the differences: report nothing rather
        # than an infinite spread.
        return None
    return RobustEstimate(value, spread, int(kept.size), int(x.size - kept.size))


@dataclass(frozen=True)
class SmoothedValue:
    """One metric over the window.

    Attributes:
        value: robust median (see :func:`robust_estimate`).
        spread_sd: MAD-based standard deviation over the window (video noise).
        calibration_pm: the per-frame calibration error (median over the kept frames).
        n_frames: values kept after outlier rejection.
        n_rejected: values rejected as outliers.
    """

    value: float
    spread_sd: float
    calibration_pm: float
    n_frames: int
    n_rejected: int = 0

    @property
    def plus_minus(self) -> float:
        """``sqrt(spread_sd² + calibration_pm²)``: the ± shown to people."""
        return math.hypot(self.spread_sd, self.calibration_pm)

    def as_measurement(self) -> Measurement:
        return Measurement(self.value, self.plus_minus)


@dataclass(frozen=True, eq=False)
class WindowSummary:
    """The verdict on the current window.

    Attributes:
        status: "waiting" (no frames), "guidance" (too few frames pass the gates),
            "measuring" (not enough frames yet), "unsteady" (numbers still moving) or
            "steady".
        n_frames: frames in the window.
        n_passed: frames that passed the gates.
        span_ms: newest minus oldest timestamp in the window.
        values: metric name -> :class:`SmoothedValue`, for metrics with a finite value in
            a passing frame; every number in it is finite.
        guidance: what to do while not steady (None when steady or waiting).
        reasons: why it is not steady, in plain words (empty when steady).
    """

    status: Status
    n_frames: int
    n_passed: int
    span_ms: float
    values: Mapping[str, SmoothedValue]
    guidance: Guidance | None
    reasons: tuple[str, ...] = ()

    @property
    def steady(self) -> bool:
        return self.status == "steady"

    @property
    def pass_ratio(self) -> float:
        return self.n_passed / self.n_frames if self.n_frames else 0.0


EMPTY_SUMMARY = WindowSummary(
    status="waiting", n_frames=0, n_passed=0, span_ms=0.0, values={}, guidance=None,
    reasons=("No frames yet.",),
)


def trim_window(
    samples: Sequence[FrameSample], now_ms: float, config: SmoothingConfig = DEFAULT_CONFIG
) -> tuple[FrameSample, ...]:
    """The samples inside the window ending at ``now_ms``: ``now - window_ms < t <= now``.

    At most ``config.max_frames`` (the newest) are kept.
    """
    start = now_ms - config.window_ms
    kept = tuple(s for s in samples if start < s.timestamp_ms <= now_ms)
    return kept[-config.max_frames:]


def _majority_guidance(samples: Sequence[FrameSample]) -> Guidance | None:
    """The most common problem among failed frames (ties: the most recent one wins)."""
    failed = [s.guidance for s in samples if not s.passed and s.guidance is not None]
    if not failed:
        return None
    counts = Counter(g.code for g in failed)
    best = max(counts.values())
    for g in reversed(failed):
        if counts[g.code] == best:
            return g
    return None  # pragma: no cover - unreachable


def _smoothed_values(
    samples: Sequence[FrameSample], config: SmoothingConfig
) -> dict[str, SmoothedValue]:
    passing = [s for s in samples if s.passed]
    names: dict[str, None] = {}
    for s in passing:
        names.update(dict.fromkeys(s.values))
    out: dict[str, SmoothedValue] = {}
    for name in names:
        vals = np.fromiter((s.values.get(name, math.nan) for s in passing), np.float64,
                           len(passing))
        est = robust_estimate(vals, config.outlier_k)
        if est is None:
            continue
        pms = np.fromiter((s.plus_minus.get(name, math.nan) for s in passing), np.float64,
                          len(passing))
        pms = pms[np.isfinite(pms)]
        cal = float(np.median(np.abs(pms))) if pms.size else 0.0
        if not math.isfinite(math.hypot(est.spread_sd, cal)):
            continue
        out[name] = SmoothedValue(est.value, est.spread_sd, cal, est.n_kept, est.n_rejected)
    return out


def summarize_window(
    samples: Sequence[FrameSample], config: SmoothingConfig = DEFAULT_CONFIG
) -> WindowSummary:
    """Smoothed values and the steady verdict for the samples of one window.

    Args:
        samples: the window's samples, oldest first (see :func:`trim_window`).
        config: thresholds.

    Returns:
        A :class:`WindowSummary`; never raises on poor data (NaN values are ignored).
    """
    n = len(samples)
    if n == 0:
        return EMPTY_SUMMARY
    n_passed = sum(1 for s in samples if s.passed)
    span = float(samples[-1].timestamp_ms - samples[0].timestamp_ms)
    values = _smoothed_values(samples, config)
    ratio = n_passed / n

    def summary(status: Status, guidance: Guidance | None, *reasons: str) -> WindowSummary:
        return WindowSummary(status, n, n_passed, span, values, guidance, tuple(reasons))

    if ratio < config.min_pass_ratio:
        guidance = _majority_guidance(samples) or MEASURING
        return summary("guidance", guidance,
                       f"Only {ratio:.0%} of recent frames could be measured "
                       f"(needs {config.min_pass_ratio:.0%}).")
    counts = {name: values[name].n_frames if name in values else 0 for name in config.required}
    short = [name for name, c in counts.items() if c < config.min_frames]
    if short:
        have = min(counts.values())
        return summary("measuring", MEASURING,
                       f"Collecting frames ({have} of {config.min_frames}).")
    moving = [
        f"{name} varies by ±{values[name].spread_sd:.1f} (limit {limit:g})"
        for name, limit in config.max_spread
        if values[name].spread_sd > limit
    ]
    if moving:
        return summary("unsteady", HOLD_STILL, *moving)
    return summary("steady", None)


class WindowSmoother:
    """Keeps the last ``window_ms`` of samples and summarises them after each new one.

    Not thread-safe: one smoother per stream, fed from the stream's thread.
    """

    def __init__(self, config: SmoothingConfig = DEFAULT_CONFIG) -> None:
        self.config = config
        self._samples: deque[FrameSample] = deque()

    @property
    def samples(self) -> tuple[FrameSample, ...]:
        return tuple(self._samples)

    def reset(self) -> None:
        self._samples.clear()

    def add(self, sample: FrameSample) -> WindowSummary:
        """Add one frame's sample and return the summary of the window ending at it."""
        if self._samples and sample.timestamp_ms < self._samples[-1].timestamp_ms:
            # The stream's clock went back: a new stream, so the old frames do not belong.
            self._samples.clear()
        self._samples.append(sample)
        start = sample.timestamp_ms - self.config.window_ms
        while self._samples and (
            self._samples[0].timestamp_ms <= start or len(self._samples) > self.config.max_frames
        ):
            self._samples.popleft()
        return summarize_window(self._samples, self.config)
