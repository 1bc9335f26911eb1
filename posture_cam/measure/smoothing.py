"""Steady numbers for video: a time window of per-frame results, robust statistics, a verdict.

Each processed frame becomes a :class:`FrameSample`: did it pass the quality gates, its
metric values (degrees, ratios, % of height, keyed by the :class:`PostureMetrics` field name)
with their calibration errors, and the headline problem when it failed. A
:class:`WindowSmoother` keeps the samples of the last ``window_ms`` milliseconds (1.5 s; when
the frame rate is low, the window reaches further back, up to ``max_window_ms``, to hold
``min_frames`` frames) and :func:`summarize_window` turns them into a :class:`WindowSummary`:

* **Outliers** are rejected per metric with the median absolute deviation (MAD): a value is
  kept when ``|x - median| <= max(outlier_k * sd_mad, calibration error)``, where
  ``sd_mad = 1.4826 * MAD`` is the standard deviation a normal distribution with that MAD
  would have. A value closer to the median than the metric's own calibration error is never
  an outlier.
* The **smoothed value** is the mean of the kept values and its **spread** their standard
  deviation; the ± shown to people is the spread and the calibration error combined in
  quadrature: ``sqrt(spread² + calibration²)``.

  Why the mean of the kept values and not their median: MediaPipe's VIDEO mode derives each
  frame's region of interest from the previous frame's landmarks, and on a still picture the
  estimates can alternate between two values a few degrees apart (measured: pelvic tilt
  13.5° / 17° on alternate frames of the lite model). The median of such a window jumps
  between the two modes as the window slides, and a MAD computed inside one mode would reject
  the other; the mean of the values inside the band is steady.
* The window is **steady** when at least ``min_pass_ratio`` of its frames passed the gates,
  every required metric has a finite value in at least ``min_frames`` frames, the smoothed
  value is not moving (its **drift**, the mean of the newer half of the window minus the
  mean of the older half, is at most 3° for pelvic tilt and 3.5° for lordosis by default:
  less than their calibration errors, 3.8° and 4.5°) and the frames agree (spread at most
  5° and 6°). Drift is what tells a person still settling from one standing still; the
  per-frame spread of the estimates on a perfectly still picture is already 2–2.5° for
  pelvic tilt with the lite model, so a spread limit alone would have to be loose to be
  reachable at all. Once steady, the window stays steady until drift or spread exceed
  their limits by ``hysteresis`` (1.5×), so that the verdict does not flicker.
* When it is not steady, :attr:`WindowSummary.guidance` says what to do: the most common
  problem among the failed frames ("turn side-on", "step back", ...), or "hold still".

Pure numpy: no Streamlit, no MediaPipe, no I/O. Timestamps are milliseconds of the stream;
a timestamp earlier than the newest sample means the stream restarted, and the window is
cleared.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from posture_cam.types import Measurement

from .robust import column_medians, robust_columns

__all__ = [
    "DEFAULT_CONFIG",
    "EMPTY_SUMMARY",
    "HOLD_STILL",
    "MEASURING",
    "FrameSample",
    "Guidance",
    "SmoothedValue",
    "SmoothingConfig",
    "Status",
    "WindowSmoother",
    "WindowSummary",
    "summarize_window",
    "trim_window",
]

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
            minus this are dropped, unless fewer than ``min_frames`` would remain).
        max_window_ms: the longest span the window may reach back to hold ``min_frames``
            samples at a low frame rate; older samples are always dropped.
        max_frames: hard cap on samples kept, whatever the frame rate.
        min_frames: frames with a finite value (outliers included) each required metric
            needs to be steady.
        min_pass_ratio: share of the window's frames that must pass the gates.
        outlier_k: rejection threshold in MAD-based standard deviations.
        max_spread: (metric name, largest frame-to-frame standard deviation) pairs.
        max_drift: (metric name, largest |drift|) pairs, drift being the mean of the newer
            half of the window minus the mean of the older half. The metrics named in
            either table are required for a steady result.
        hysteresis: factor on the drift and spread limits for a window that was steady
            (see :func:`summarize_window`'s ``was_steady``).
    """

    window_ms: float = 1500.0
    max_window_ms: float = 4000.0
    max_frames: int = 240
    min_frames: int = 15
    min_pass_ratio: float = 0.7
    outlier_k: float = 3.5
    max_spread: tuple[tuple[str, float], ...] = (
        ("pelvic_tilt_deg", 5.0),
        ("lumbar_lordosis_deg", 6.0),
    )
    max_drift: tuple[tuple[str, float], ...] = (
        ("pelvic_tilt_deg", 3.0),
        ("lumbar_lordosis_deg", 3.5),
    )
    hysteresis: float = 1.5

    def __post_init__(self) -> None:
        if not (math.isfinite(self.window_ms) and self.window_ms > 0):
            raise ValueError(f"window_ms must be positive, got {self.window_ms}")
        if not (math.isfinite(self.max_window_ms) and self.max_window_ms >= self.window_ms):
            raise ValueError(
                f"max_window_ms must be finite and >= window_ms "
                f"({self.window_ms}), got {self.max_window_ms}"
            )
        if self.max_frames < 1:
            raise ValueError(f"max_frames must be at least 1, got {self.max_frames}")
        if self.min_frames < 1:
            raise ValueError(f"min_frames must be at least 1, got {self.min_frames}")
        if not 0.0 <= self.min_pass_ratio <= 1.0:
            raise ValueError(f"min_pass_ratio must be within 0..1, got {self.min_pass_ratio}")
        if not (math.isfinite(self.hysteresis) and self.hysteresis >= 1.0):
            raise ValueError(f"hysteresis must be >= 1, got {self.hysteresis}")
        if not self.outlier_k > 0:
            raise ValueError(f"outlier_k must be positive, got {self.outlier_k}")
        for table in ("max_spread", "max_drift"):
            for name, limit in getattr(self, table):
                if not limit >= 0:
                    raise ValueError(f"{table} for {name} must be >= 0, got {limit}")

    @property
    def required(self) -> tuple[str, ...]:
        names = [name for name, _ in (*self.max_spread, *self.max_drift)]
        return tuple(dict.fromkeys(names))


DEFAULT_CONFIG = SmoothingConfig()


@dataclass(frozen=True)
class SmoothedValue:
    """One metric over the window.

    Attributes:
        value: robust mean over the window (see :func:`robust_estimate`).
        spread_sd: standard deviation of the kept values over the window (video noise).
        calibration_pm: the per-frame calibration error (median over the passing frames).
        n_frames: values kept after outlier rejection.
        n_rejected: values rejected as outliers.
        drift: mean of the kept values in the newer half of the window minus the mean in
            the older half (0 when a half has none).
    """

    value: float
    spread_sd: float
    calibration_pm: float
    n_frames: int
    n_rejected: int = 0
    drift: float = 0.0

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
    status="waiting",
    n_frames=0,
    n_passed=0,
    span_ms=0.0,
    values={},
    guidance=None,
    reasons=("No frames yet.",),
)


def trim_window(
    samples: Sequence[FrameSample], now_ms: float, config: SmoothingConfig = DEFAULT_CONFIG
) -> tuple[FrameSample, ...]:
    """The samples inside the window ending at ``now_ms``, oldest first.

    Those with ``now - window_ms < t <= now``; if fewer than ``config.min_frames``, the newest
    ``min_frames`` with ``now - max_window_ms < t <= now``. At most ``config.max_frames``.
    """
    recent = [s for s in samples if now_ms - config.max_window_ms < s.timestamp_ms <= now_ms]
    start = now_ms - config.window_ms
    n_nominal = sum(1 for s in recent if s.timestamp_ms > start)
    keep = min(len(recent), max(n_nominal, config.min_frames), config.max_frames)
    return tuple(recent[len(recent) - keep :])


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
    if not names:
        return {}
    keys = list(names)
    nan = math.nan
    vals = np.array([[s.values.get(k, nan) for k in keys] for s in passing], dtype=np.float64)
    pms = np.array([[s.plus_minus.get(k, nan) for k in keys] for s in passing], dtype=np.float64)
    cal, n_cal = column_medians(np.abs(pms))
    cal = np.where(n_cal > 0, cal, 0.0)
    cols = robust_columns(vals, config.outlier_k, cal)
    out: dict[str, SmoothedValue] = {}
    for j, name in enumerate(keys):
        v, sd, c, d = (
            float(cols.value[j]),
            float(cols.spread[j]),
            float(cal[j]),
            float(cols.drift[j]),
        )
        if cols.n_kept[j] == 0 or not math.isfinite(v) or not math.isfinite(math.hypot(sd, c)):
            continue
        out[name] = SmoothedValue(
            v, sd, c, int(cols.n_kept[j]), int(cols.n_rejected[j]), d if math.isfinite(d) else 0.0
        )
    return out


def summarize_window(
    samples: Sequence[FrameSample],
    config: SmoothingConfig = DEFAULT_CONFIG,
    *,
    was_steady: bool = False,
) -> WindowSummary:
    """Smoothed values and the steady verdict for the samples of one window.

    Args:
        samples: the window's samples, oldest first (see :func:`trim_window`).
        config: thresholds.
        was_steady: the previous window was steady; its drift and spread limits are then
            ``config.hysteresis`` times larger (the gate, frame count and pass-ratio tests
            are not relaxed).

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
        return summary(
            "guidance",
            guidance,
            f"Only {ratio:.0%} of recent frames could be measured "
            f"(needs {config.min_pass_ratio:.0%}).",
        )
    # Frames with a finite value, outliers included: rejecting a few must not hold back a
    # window that has enough frames (and outliers are a minority by construction).
    counts = {
        name: values[name].n_frames + values[name].n_rejected if name in values else 0
        for name in config.required
    }
    short = [name for name, c in counts.items() if c < config.min_frames]
    if short:
        have = min(counts.values())
        return summary(
            "measuring", MEASURING, f"Collecting frames ({have} of {config.min_frames})."
        )
    relax = config.hysteresis if was_steady else 1.0
    moving = [
        f"{name} is still moving ({values[name].drift:+.1f} within the window, "
        f"limit ±{limit * relax:g})"
        for name, limit in config.max_drift
        if abs(values[name].drift) > limit * relax
    ] + [
        f"{name} varies by ±{values[name].spread_sd:.1f} from frame to frame "
        f"(limit {limit * relax:g})"
        for name, limit in config.max_spread
        if values[name].spread_sd > limit * relax
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
        self._steady = False

    @property
    def samples(self) -> tuple[FrameSample, ...]:
        return tuple(self._samples)

    def reset(self) -> None:
        self._samples.clear()
        self._steady = False

    def add(self, sample: FrameSample) -> WindowSummary:
        """Add one frame's sample and return the summary of the window ending at it."""
        if self._samples and sample.timestamp_ms < self._samples[-1].timestamp_ms:
            # The stream's clock went back: a new stream, so the old frames do not belong.
            self._samples.clear()
        self._samples.append(sample)
        c = self.config
        oldest = sample.timestamp_ms - c.max_window_ms
        start = sample.timestamp_ms - c.window_ms
        q = self._samples
        while q[0].timestamp_ms <= oldest or len(q) > c.max_frames:
            q.popleft()
        while q[0].timestamp_ms <= start and len(q) > c.min_frames:
            q.popleft()
        summary = summarize_window(q, c, was_steady=self._steady)
        self._steady = summary.steady
        return summary
