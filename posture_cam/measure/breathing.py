"""Breathing pattern from the body outline: chest and belly movement, rate and belly share.

A person stands or lies side-on and breathes quietly for 30-60 s. In every frame the
trunk's front-to-back thickness is measured at two levels along the hip -> shoulder axis:

* **chest**, around the sternum (about 0.72 of standing height);
* **belly**, around the navel (about 0.60 of standing height);

the levels are set in :mod:`posture_cam.measure.trunk_outline`.

The thickness comes from :mod:`posture_cam.measure.trunk_outline`: the distance across the
trunk axis from the back outline to the front outline, each refined to the picture's own
edge. Breathing moves the front of the chest and belly; the back hardly moves, and
measuring the front *relative to* the back cancels swaying and small camera shake. So
"movement" here is the in-and-out movement of the front outline.

Conventions: pixels x right, y down; the **anterior** direction is the side of the trunk
axis the nose is on (so it works standing, facing either way, and lying on the back).
Movements are peak-to-peak, in pixels and in % of the trunk (hip -> shoulder) length.

Analysis of a recording (:func:`analyze_breathing`):

1. Each thickness series keeps its finite samples (frames without a person drop out; the
   fit below takes uneven sampling as it is).
2. **Rate**: for every trial frequency in 4-40 breaths a minute, a least-squares fit of a
   sinusoid plus a quadratic drift (slow settling, leaning) to both series; the frequency
   that explains the most variance of the two together wins, refined on a fine grid. This
   is the Lomb-Scargle idea with a drift term, and is robust to slow drift and to sway.
3. **Movement**: at that rate, the fundamental and two harmonics are fitted (with a
   straight-line drift) to each series, three breaths at a time; the median peak-to-peak
   size of the fitted breath is the movement.
4. **Belly share** = belly / (belly + chest) movement, in percentage points; **belly lead**
   = how far (degrees of a breath) the belly's fundamental peaks before the chest's.
5. **Noise floor** (smallest detectable movement) = :data:`DETECTION_FACTOR` times the
   largest peak-to-peak sinusoid the same fit finds in what is left (the residual after
   removing breaths and drift) at frequencies from half to twice the breathing rate, away
   from the rate itself: noise is rarely that large, and noise that wanders slowly (sway,
   settling) is judged at the rate where it competes with the breaths. Breathing counts as
   seen when its fundamental is at least that large.
6. **Steadiness**: breaths are counted as upward crossings (with hysteresis) of the
   smoothed, drift-free signal; the variation of their durations (coefficient of
   variation) says how regular the breathing was, and their spread gives the rate's ``±``.

Pure numpy: no I/O, no mediapipe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posture_cam.types import Measurement

from .gates import Finding
from .plain import finding, measurement, number

__all__ = [
    "BreathingConfig",
    "DEFAULT_BREATHING_CONFIG",
    "BreathingTrace",
    "BreathingResult",
    "BreathingOutcome",
    "analyze_breathing",
]

# A breath must be this many times the largest sinusoid the noise makes near its rate.
# On 40 s of white, random-walk and autocorrelated noise alone the ratio stayed below
# 1.5-1.9 in 95 % of 100 trials each.
DETECTION_FACTOR = 2.0


@dataclass(frozen=True)
class BreathingConfig:
    """Settings of the breathing analysis.

    Attributes:
        min_duration_s: shorter recordings are refused (the prompt asks for 30-60 s).
        recommended_duration_s: shorter ones get a caution.
        min_rate_per_min / max_rate_per_min: the breathing rates searched.
        min_valid_share: the share of frames that must give both thicknesses.
        drift_degree: degree of the polynomial drift fitted with the breaths.
        harmonics: harmonics of the breathing rate fitted for the movement's size.
        irregular_cv: breath durations varying more than this are called irregular.
        max_wander_ratio: the trunk centre wandering more than this share of the trunk
            length (90th percentile distance from its median) is "not holding still".
    """

    min_duration_s: float = 20.0
    recommended_duration_s: float = 30.0
    min_rate_per_min: float = 4.0
    max_rate_per_min: float = 40.0
    min_valid_share: float = 0.7
    drift_degree: int = 2
    harmonics: int = 3
    irregular_cv: float = 0.35
    max_wander_ratio: float = 0.15

    def __post_init__(self) -> None:
        if not 0 < self.min_rate_per_min < self.max_rate_per_min:
            raise ValueError("need 0 < min_rate_per_min < max_rate_per_min")
        if self.drift_degree < 0 or self.harmonics < 1:
            raise ValueError("drift_degree must be >= 0 and harmonics >= 1")
        if not self.min_duration_s > 0:
            raise ValueError(f"min_duration_s must be positive, got {self.min_duration_s}")


DEFAULT_BREATHING_CONFIG = BreathingConfig()


@dataclass(frozen=True, eq=False)
class BreathingTrace:
    """Per-frame thickness of the trunk at the chest and belly levels.

    Attributes:
        t_ms: (N,) increasing frame times.
        chest_px / belly_px: (N,) thickness (front + back distance), NaN when not measured.
        trunk_length_px: the hip -> shoulder length, for % units.
        centre_xy_px: (N, 2) the trunk axis mid-point per frame (to tell whether the person
            held still), or None.
    """

    t_ms: np.ndarray
    chest_px: np.ndarray
    belly_px: np.ndarray
    trunk_length_px: float
    centre_xy_px: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = self.t_ms.shape
        if self.t_ms.ndim != 1:
            raise ValueError(f"t_ms must be 1-D, got shape {self.t_ms.shape}")
        for name in ("chest_px", "belly_px"):
            if getattr(self, name).shape != n:
                raise ValueError(f"{name} must have shape {n}, got {getattr(self, name).shape}")
        if self.centre_xy_px is not None and self.centre_xy_px.shape != (n[0], 2):
            raise ValueError(f"centre_xy_px must have shape ({n[0]}, 2)")
        if n[0] > 1 and not np.all(np.diff(self.t_ms) > 0):
            raise ValueError("t_ms must be strictly increasing")

    @property
    def duration_s(self) -> float:
        return float(self.t_ms[-1] - self.t_ms[0]) / 1000.0 if self.t_ms.size > 1 else 0.0


@dataclass(frozen=True, eq=False)
class BreathingResult:
    """The breathing check's numbers.

    Attributes:
        rate_per_min: breaths a minute ± the standard error from breath-to-breath variation.
        chest_movement_px / belly_movement_px: peak-to-peak movement of the front outline
            ± the residual noise's typical amplitude.
        chest_movement_pct / belly_movement_pct: the same in % of the trunk length.
        belly_share_pct: belly / (belly + chest) movement, 0-100 points.
        belly_lead_deg: how far the belly's movement runs ahead of the chest's, in degrees
            of a breath (360 = one breath); near 180 means they move in opposite directions.
        noise_floor_px / noise_floor_pct: the smallest peak-to-peak movement this recording
            can tell from noise.
        signal_to_noise_db: 20 log10(larger movement / noise floor).
        n_breaths: whole breaths counted.
        breath_cv: variation of the breath durations (SD / mean), or None with < 3 breaths.
        duration_s: length of the recording.
        trunk_length_px: the trunk length used for % units.
        trace_t_s / chest_trace_px / belly_trace_px: the drift-free traces for plotting
            (at most ~10 samples a second).
        findings: cautions (severity "warn").
    """

    rate_per_min: Measurement
    chest_movement_px: Measurement
    belly_movement_px: Measurement
    chest_movement_pct: Measurement
    belly_movement_pct: Measurement
    belly_share_pct: Measurement
    belly_lead_deg: float
    noise_floor_px: float
    noise_floor_pct: float
    signal_to_noise_db: float
    n_breaths: int
    breath_cv: float | None
    duration_s: float
    trunk_length_px: float
    trace_t_s: np.ndarray = field(repr=False)
    chest_trace_px: np.ndarray = field(repr=False)
    belly_trace_px: np.ndarray = field(repr=False)
    findings: tuple[Finding, ...] = ()

    def to_record(self) -> dict[str, Any]:
        """Plain data for JSON, a report record or a history row (traces as lists)."""
        return {
            "rate_per_min": measurement(self.rate_per_min),
            "chest_movement_px": measurement(self.chest_movement_px),
            "belly_movement_px": measurement(self.belly_movement_px),
            "chest_movement_pct": measurement(self.chest_movement_pct),
            "belly_movement_pct": measurement(self.belly_movement_pct),
            "belly_share_pct": measurement(self.belly_share_pct),
            "belly_lead_deg": number(self.belly_lead_deg),
            "noise_floor_px": number(self.noise_floor_px),
            "noise_floor_pct": number(self.noise_floor_pct),
            "signal_to_noise_db": number(self.signal_to_noise_db),
            "n_breaths": self.n_breaths,
            "breath_cv": number(self.breath_cv),
            "duration_s": number(self.duration_s),
            "trunk_length_px": number(self.trunk_length_px),
            "trace": {
                "t_s": [number(x, 2) for x in self.trace_t_s],
                "chest_px": [number(x, 2) for x in self.chest_trace_px],
                "belly_px": [number(x, 2) for x in self.belly_trace_px],
            },
            "findings": [finding(f) for f in self.findings],
        }


@dataclass(frozen=True)
class BreathingOutcome:
    """The result, or the blocking findings that prevented it."""

    result: BreathingResult | None
    findings: tuple[Finding, ...] = ()

    @property
    def measured(self) -> bool:
        return self.result is not None

    def to_record(self) -> dict[str, Any]:
        return {
            "measured": self.measured,
            "result": None if self.result is None else self.result.to_record(),
            "findings": [finding(f) for f in self.findings],
        }


class _Design:
    """Least-squares sinusoid fits with a polynomial drift, at many frequencies at once."""

    def __init__(self, t_s: np.ndarray, degree: int) -> None:
        self.t = t_s
        mid, span = (t_s[0] + t_s[-1]) / 2.0, max((t_s[-1] - t_s[0]) / 2.0, 1e-9)
        drift = np.vander((t_s - mid) / span, degree + 1, increasing=True)
        self.q, _ = np.linalg.qr(drift)

    def detrend(self, x: np.ndarray) -> np.ndarray:
        """x minus its least-squares polynomial drift (last axis = time for 2-D input)."""
        residual: np.ndarray = x - self.q @ (self.q.T @ x)
        return residual

    def sinusoids(self, f_hz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        arg = 2 * np.pi * self.t[:, None] * f_hz[None, :]
        return self.detrend(np.cos(arg)), self.detrend(np.sin(arg))

    def fit(self, x_dt: np.ndarray, f_hz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per frequency: (explained sum of squares, (a, b) of ``a cos + b sin``).

        ``x_dt`` must already be detrended; the sinusoids are detrended too, so the fit is
        the joint least squares of drift + sinusoid.
        """
        c, s = self.sinusoids(f_hz)
        cc, ss, cs = (c * c).sum(0), (s * s).sum(0), (c * s).sum(0)
        cx, sx = c.T @ x_dt, s.T @ x_dt
        det = cc * ss - cs * cs
        with np.errstate(invalid="ignore", divide="ignore"):
            a = np.where(det > 0, (ss * cx - cs * sx) / det, 0.0)
            b = np.where(det > 0, (cc * sx - cs * cx) / det, 0.0)
        return a * cx + b * sx, np.stack([a, b], axis=-1)


def _harmonic_fit(design: _Design, x_dt: np.ndarray, f0: float, k: int) -> np.ndarray:
    """Least-squares fit of harmonics 1..k of ``f0`` (with the drift); returns the fit."""
    f = f0 * np.arange(1, k + 1)
    c, s = design.sinusoids(f)
    basis = np.concatenate([c, s], axis=1)
    coef, *_ = np.linalg.lstsq(basis, x_dt, rcond=None)
    fit: np.ndarray = basis @ coef
    return fit


def _windowed_peak_to_peak(t_s: np.ndarray, x: np.ndarray, f0: float, k: int) -> np.ndarray:
    """Median over windows of three breaths of the fitted breath's peak-to-peak, per column.

    One fit over the whole recording blurs breaths whose rate wanders (their phases drift
    apart and partly cancel); fitting three breaths at a time, with a straight-line drift,
    follows the wander. Windows overlap by half; a recording shorter than one window is
    fitted whole.
    """
    width = 3.0 / f0
    starts = np.arange(t_s[0], max(t_s[-1] - width, t_s[0]) + 1e-9, width / 2.0)
    out = []
    for a in starts:
        sel = (t_s >= a) & (t_s <= a + width)
        if sel.sum() < 4 * (2 * k + 2):
            continue
        d = _Design(t_s[sel], 1)
        xd = d.detrend(x[sel])
        fit = np.stack([_harmonic_fit(d, xd[:, c], f0, k) for c in range(x.shape[1])], 1)
        out.append(fit.max(axis=0) - fit.min(axis=0))
    if not out:
        d = _Design(t_s, 1)
        xd = d.detrend(x)
        fit = np.stack([_harmonic_fit(d, xd[:, c], f0, k) for c in range(x.shape[1])], 1)
        spread: np.ndarray = fit.max(axis=0) - fit.min(axis=0)
        return spread
    median: np.ndarray = np.median(np.array(out), axis=0)
    return median


def _count_breaths(t_s: np.ndarray, x: np.ndarray, f0: float) -> np.ndarray:
    """Durations (s) between upward crossings, with hysteresis, of a smoothed signal."""
    dt = 1.0 / max(10.0, 8.0 * f0)
    grid = np.arange(t_s[0], t_s[-1], dt)
    y = np.interp(grid, t_s, x)
    win = max(1, int(round(0.25 / f0 / dt)))
    y = np.convolve(y, np.ones(win) / win, mode="same")
    h = 0.25 * float(np.std(y))
    ups: list[float] = []
    low = False
    for ti, yi in zip(grid, y, strict=True):
        if yi < -h:
            low = True
        elif yi > h and low:
            ups.append(float(ti))
            low = False
    return np.diff(np.array(ups))


def _wrap_deg(x: float) -> float:
    return (x + 180.0) % 360.0 - 180.0


def _block(code: str, message: str, hint: str, value: float | None = None) -> BreathingOutcome:
    return BreathingOutcome(None, (Finding(code, message, hint, value=value),))


def analyze_breathing(
    trace: BreathingTrace, config: BreathingConfig = DEFAULT_BREATHING_CONFIG
) -> BreathingOutcome:
    """Rate, chest and belly movement, belly share and noise floor of a recording.

    See the module notes for the method. Poor recordings give blocking findings: too
    short, the outline lost too often, or no breathing movement above the noise.
    """
    cfg = config
    duration = trace.duration_s
    if duration < cfg.min_duration_s:
        return _block(
            "too_short",
            f"The recording is {duration:.0f} s long; the breathing check needs at least "
            f"{cfg.min_duration_s:.0f} s.",
            "Record 30–60 seconds of quiet breathing, side-on, holding still.",
            duration,
        )
    ok = np.isfinite(trace.chest_px) & np.isfinite(trace.belly_px)
    share = float(ok.mean()) if ok.size else 0.0
    if share < cfg.min_valid_share:
        return _block(
            "outline_lost",
            f"The outline of the chest and belly could be measured in only {share:.0%} of "
            "the frames.",
            "Keep your whole trunk in view, side-on, arms by your sides (not in front of the "
            "chest), in a close-fitting top.",
            share,
        )
    t = (trace.t_ms[ok] - trace.t_ms[ok][0]) / 1000.0
    x = np.stack([trace.chest_px[ok], trace.belly_px[ok]], axis=1)
    design = _Design(t, cfg.drift_degree)
    x_dt = design.detrend(x)

    span = t[-1] - t[0]
    f_lo, f_hi = cfg.min_rate_per_min / 60.0, cfg.max_rate_per_min / 60.0
    coarse = np.arange(f_lo, f_hi, 1.0 / (8.0 * span))
    power = sum(design.fit(x_dt[:, c], coarse)[0] for c in range(2))
    k = int(np.argmax(power))
    fine = np.linspace(
        max(coarse[max(k - 1, 0)], f_lo), min(coarse[min(k + 1, len(coarse) - 1)], f_hi), 41
    )
    power_f = sum(design.fit(x_dt[:, c], fine)[0] for c in range(2))
    f0 = float(fine[int(np.argmax(power_f))])

    # Harmonics stay below 80 % of the frames' Nyquist frequency.
    nyquist = 0.5 / float(np.median(np.diff(t)))
    harmonics = max(1, min(cfg.harmonics, int(0.8 * nyquist / f0)))
    fits = np.stack([_harmonic_fit(design, x_dt[:, c], f0, harmonics) for c in range(2)], 1)
    p2p = _windowed_peak_to_peak(t, x, f0, harmonics)
    # The fundamental of each series: a cos + b sin = A cos(wt - phase), phase = atan2(b, a).
    peak_amp, phase = [], []
    for c in range(2):
        _, abc = design.fit(x_dt[:, c], np.array([f0]))
        a, b = abc[0]
        peak_amp.append(float(math.hypot(a, b)))
        phase.append(math.degrees(math.atan2(b, a)))
    belly_lead = _wrap_deg(phase[0] - phase[1])

    resid = x_dt - fits
    local = np.linspace(0.5 * f0, 2.0 * f0, 61)
    local = local[np.abs(local - f0) > 0.3 * f0]
    floor_amp, typical_amp = [], []
    for c in range(2):
        _, abr = design.fit(resid[:, c], local)
        amp = np.hypot(abr[:, 0], abr[:, 1])
        floor_amp.append(float(amp.max()))
        typical_amp.append(float(np.median(amp)))
    floor_px = 2.0 * DETECTION_FACTOR * max(floor_amp)
    noise_pm = [2.0 * a for a in typical_amp]

    if 2.0 * max(peak_amp) < floor_px:
        return _block(
            "no_breathing_seen",
            f"No breathing movement stood out from the noise (largest movement "
            f"{p2p.max():.1f} px, smallest detectable {floor_px:.1f} px).",
            "Hold still (a tripod or a shelf for the camera helps), breathe normally, and "
            "make sure your chest and belly are in view in a close-fitting top.",
            float(p2p.max()),
        )

    weights = p2p / max(float(p2p.sum()), 1e-9)
    sign = 1.0 if math.cos(math.radians(belly_lead)) >= 0 else -1.0
    combined = weights[0] * x_dt[:, 0] + sign * weights[1] * x_dt[:, 1]
    durations = _count_breaths(t, combined, f0)
    rate = 60.0 * f0
    if durations.size >= 3:
        mean_d = float(durations.mean())
        cv = float(durations.std(ddof=1) / mean_d)
        rate_pm = 60.0 * float(durations.std(ddof=1)) / mean_d**2 / math.sqrt(durations.size)
    else:
        cv = None
        rate_pm = 30.0 / span  # half the frequency resolution of the recording
    length = trace.trunk_length_px
    chest, belly = float(p2p[0]), float(p2p[1])
    total = chest + belly
    share_v = 100.0 * belly / total
    share_pm = 100.0 * math.hypot(chest * noise_pm[1], belly * noise_pm[0]) / total**2

    def pct(v: float) -> float:
        return 100.0 * v / length if length > 0 else math.nan

    findings: list[Finding] = []
    if duration < cfg.recommended_duration_s:
        findings.append(
            Finding(
                "short_recording",
                f"The recording is only {duration:.0f} s; 30–60 s give a steadier rate.",
                "Record for longer next time.",
                severity="warn",
                value=duration,
                threshold=cfg.recommended_duration_s,
            )
        )
    if cv is not None and cv > cfg.irregular_cv:
        findings.append(
            Finding(
                "irregular",
                f"Your breaths varied a lot in length (by {cv:.0%}), so the rate is an average.",
                "Breathe quietly and evenly; don't talk or move during the recording.",
                severity="warn",
                value=cv,
                threshold=cfg.irregular_cv,
            )
        )
    if trace.centre_xy_px is not None and length > 0:
        c = trace.centre_xy_px[np.isfinite(trace.centre_xy_px).all(axis=1)]
        if len(c):
            wander = float(np.percentile(np.hypot(*(c - np.median(c, axis=0)).T), 90)) / length
            if wander > cfg.max_wander_ratio:
                findings.append(
                    Finding(
                        "moving",
                        "You moved around during the recording.",
                        "Stand or lie still, and keep the camera still (a tripod or a shelf).",
                        severity="warn",
                        value=wander,
                        threshold=cfg.max_wander_ratio,
                    )
                )
    step = max(1, int(round(len(t) / max(span * 10.0, 1.0))))
    result = BreathingResult(
        rate_per_min=Measurement(rate, rate_pm),
        chest_movement_px=Measurement(chest, noise_pm[0]),
        belly_movement_px=Measurement(belly, noise_pm[1]),
        chest_movement_pct=Measurement(pct(chest), pct(noise_pm[0])),
        belly_movement_pct=Measurement(pct(belly), pct(noise_pm[1])),
        belly_share_pct=Measurement(share_v, share_pm),
        belly_lead_deg=belly_lead,
        noise_floor_px=floor_px,
        noise_floor_pct=pct(floor_px),
        signal_to_noise_db=20.0 * math.log10(p2p.max() / floor_px) if floor_px > 0 else math.inf,
        n_breaths=int(durations.size),
        breath_cv=cv,
        duration_s=duration,
        trunk_length_px=length,
        trace_t_s=t[::step].copy(),
        chest_trace_px=x_dt[::step, 0].copy(),
        belly_trace_px=x_dt[::step, 1].copy(),
        findings=tuple(findings),
    )
    return BreathingOutcome(result)
