"""Pelvic-tilt range: four still holds of one standing person, and what they say.

The guided check asks a person standing side-on to hold four positions for about three
seconds each: **relaxed**, pelvis **tipped forward** as far as comfortable (arched back),
**tucked under** as far as comfortable (flat back), and **relaxed again**. Every frame gives
a pelvic-tilt and a lordosis estimate (:func:`posture_cam.pipeline.analyze_detection`);
:mod:`posture_cam.measure.holds` finds the holds in that series; this module assigns
them to the four positions and compares them.

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

Every difference between holds (the ranges, the relaxed difference) is multiplied by the
model's change gain (:class:`~posture_cam.measure.holds.RangeConfig`), which makes up for
the estimator following a change a little short of its full size; the holds' own values are
left as measured.

Errors: each hold's value and ``±`` come from :mod:`posture_cam.measure.holds`; differences
add the two holds' errors in quadrature (then take the gain). The relaxed holds *agree*
when their difference is within ``1.96 x`` its error (the smallest detectable change at
95 %).

Pure numpy: no I/O, no mediapipe. Poor data gives findings, never exceptions; bad
arguments raise ``ValueError``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from posture_cam.types import Measurement

from .gates import Finding
from .holds import (
    DEFAULT_RANGE_CONFIG,
    POSITIONS,
    Hold,
    Position,
    RangeConfig,
    TiltSeries,
    find_holds,
    split_longest_hold,
)
from .plain import finding, measurement, number

__all__ = [
    "RangeResult",
    "RangeOutcome",
    "assign_positions",
    "analyze_holds",
    "analyze_range",
]


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
            "relaxed_tilt_deg": measurement(self.relaxed_tilt_deg),
            "relaxed_lordosis_deg": measurement(self.relaxed_lordosis_deg),
            "forward_tilt_deg": measurement(self.forward_tilt_deg),
            "backward_tilt_deg": measurement(self.backward_tilt_deg),
            "total_tilt_deg": measurement(self.total_tilt_deg),
            "forward_lordosis_deg": measurement(self.forward_lordosis_deg),
            "backward_lordosis_deg": measurement(self.backward_lordosis_deg),
            "total_lordosis_deg": measurement(self.total_lordosis_deg),
            "relaxed_position_pct": measurement(self.relaxed_position_pct),
            "relaxed_position_lordosis_pct": measurement(self.relaxed_position_lordosis_pct),
            "relaxed_difference_tilt_deg": measurement(self.relaxed_difference_tilt_deg),
            "relaxed_difference_lordosis_deg": measurement(self.relaxed_difference_lordosis_deg),
            "relaxed_agree": self.relaxed_agree,
            "lordosis_per_tilt_ratio": number(self.lordosis_per_tilt_ratio),
            "findings": [finding(f) for f in self.findings],
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
            "findings": [finding(f) for f in self.findings],
            "holds_found": [h.to_record() for h in self.holds],
        }


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


def _diff(a: Measurement, b: Measurement, gain: float) -> Measurement:
    """gain x (a - b), the errors added in quadrature."""
    return Measurement(gain * (a.value - b.value), gain * math.hypot(a.plus_minus, b.plus_minus))


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
    gt, gl = config.tilt_change_gain, config.lordosis_change_gain
    diff_t = _diff(r2.tilt_deg, r1.tilt_deg, gt)
    diff_l = _diff(r2.lordosis_deg, r1.lordosis_deg, gl)
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
        _diff(fw.tilt_deg, relaxed_t, gt),
        _diff(relaxed_t, tk.tilt_deg, gt),
        _diff(fw.tilt_deg, tk.tilt_deg, gt),
    )
    fwd_l, back_l, tot_l = (
        _diff(fw.lordosis_deg, relaxed_l, gl),
        _diff(relaxed_l, tk.lordosis_deg, gl),
        _diff(fw.lordosis_deg, tk.lordosis_deg, gl),
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
    if ratio is not None:
        ratio *= gl / gt  # a ratio of changes: each takes its gain
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
    it is split where its level changes most
    (:func:`posture_cam.measure.holds.split_longest_hold`).

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
        holds = split_longest_hold(series, holds, config)
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
