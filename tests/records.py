"""Result records for tests, made exactly as the pipeline makes them."""

from __future__ import annotations

from typing import Any

from posture_cam.landmarks import Side
from posture_cam.measure.classify import classify
from posture_cam.measure.gates import Finding, GateReport
from posture_cam.report.record import ResultRecord, result_record
from posture_cam.types import Facing, Measurement, PostureMetrics


def _m(v: float, pm: float = 0.5) -> Measurement:
    return Measurement(v, pm)


def posture_metrics(
    tilt: Measurement,
    lordosis: Measurement,
    *,
    flags: tuple[str, ...] = (),
    side: Side = "left",
    facing: Facing = "-x",
) -> PostureMetrics:
    """Metrics of a standing person with these two angles (the others fixed, ± 0.5)."""
    return PostureMetrics(
        near_side=side,
        facing=facing,
        pelvic_tilt_deg=tilt,
        lumbar_lordosis_deg=lordosis,
        lumbar_depth_ratio=_m(0.05, 0.01),
        trunk_inclination_deg=_m(1.0),
        hip_angle_deg=_m(178.0),
        knee_flexion_deg=_m(2.0),
        ear_offset_pct_height=_m(3.0),
        shoulder_offset_pct_height=_m(2.0),
        hip_offset_pct_height=_m(1.0),
        knee_offset_pct_height=_m(0.5),
        camera_roll_deg=None,
        outline=None,
        flags=flags,
    )


def make_record(
    tilt: float = 10.0,
    lordosis: float = 28.0,
    *,
    tilt_pm: float = 3.6,
    lordosis_pm: float = 4.3,
    blocked: str | None = None,
    warn: str | None = None,
    flags: tuple[str, ...] = (),
    name: str = "photo.jpg",
    **extra: Any,
) -> ResultRecord:
    """A record exactly as the pipeline makes it (:func:`result_record`)."""
    findings: tuple[Finding, ...] = ()
    if blocked:
        findings += (Finding(blocked, f"{blocked} message", "a hint"),)
    if warn:
        findings += (Finding(warn, f"{warn} message", "a hint", severity="warn"),)
    gates = GateReport(findings=findings, near_side="left", facing="-x", side_view_ratio=0.1)
    metrics = None
    if not blocked:
        metrics = posture_metrics(_m(tilt, tilt_pm), _m(lordosis, lordosis_pm), flags=flags)
    return result_record(name, gates, metrics, classify(gates, metrics), **extra)
