"""Turn results into plain records (pure): the one shape behind JSON, CSV, tables and PDF."""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

from posture_cam.measure.classify import Assessment
from posture_cam.measure.gates import GateReport
from posture_cam.pipeline import PhotoAnalysis
from posture_cam.types import Measurement, PostureMetrics

from .exercises import exercises_for

__all__ = [
    "METRIC_LABELS",
    "result_record",
    "analysis_record",
    "csv_row",
    "CSV_COLUMNS",
]

# Field -> (label for people, unit). The order is the order of tables.
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "pelvic_tilt_deg": ("Pelvic tilt (ASIS-PSIS, + = forward)", "°"),
    "lumbar_lordosis_deg": ("Lower-back curve (surface lordosis)", "°"),
    "lumbar_depth_ratio": ("Lower-back hollow depth / trunk length", ""),
    "trunk_inclination_deg": ("Trunk lean (+ = forward)", "°"),
    "hip_angle_deg": ("Hip angle (trunk-thigh, 180 = straight)", "°"),
    "knee_flexion_deg": ("Knee bend", "°"),
    "ear_offset_pct_height": ("Ear ahead of ankle", "% height"),
    "shoulder_offset_pct_height": ("Shoulder ahead of ankle", "% height"),
    "hip_offset_pct_height": ("Hip ahead of ankle", "% height"),
    "knee_offset_pct_height": ("Knee ahead of ankle", "% height"),
}


def _num(x: float) -> float | None:
    return round(float(x), 3) if math.isfinite(x) else None


def _metrics_record(m: PostureMetrics) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(m):
        v = getattr(m, f.name)
        if isinstance(v, Measurement):
            out[f.name] = {"value": _num(v.value), "plus_minus": _num(v.plus_minus)}
    out["camera_roll_deg"] = (
        None
        if m.camera_roll_deg is None
        else {
            "value": _num(m.camera_roll_deg.value),
            "plus_minus": _num(m.camera_roll_deg.plus_minus),
        }
    )
    out["flags"] = list(m.flags)
    return out


def _assessment_record(a: Assessment) -> dict[str, Any]:
    return {
        "pattern": a.pattern,
        "title": a.title,
        "confidence": round(a.confidence, 3),
        "summary": a.summary,
        "reasons": [
            {
                "metric": r.metric,
                "value": _num(r.value),
                "plus_minus": _num(r.plus_minus),
                "typical": r.neutral,
                "typical_sd": r.band,
                "z": _num(r.z),
                "text": r.text,
                "source": r.source,
            }
            for r in a.reasons
        ],
        "problems": list(a.problems),
        "exercises": [e.key for e in exercises_for(a.pattern)],
    }


def result_record(
    name: str,
    gates: GateReport,
    metrics: PostureMetrics | None,
    assessment: Assessment,
    **extra: Any,
) -> dict[str, Any]:
    """A JSON-ready dict of one result (photo or live); ``extra`` keys are added as given."""
    return {
        "file": name,
        **extra,
        "near_side": gates.near_side,
        "facing": gates.facing,
        "side_view_ratio": _num(gates.side_view_ratio) if gates.side_view_ratio else None,
        "measurable": gates.passed and metrics is not None,
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "hint": f.hint,
                "value": _num(f.value) if f.value is not None else None,
                "threshold": f.threshold,
            }
            for f in gates.findings
        ],
        "metrics": _metrics_record(metrics) if metrics is not None else None,
        "assessment": _assessment_record(assessment),
    }


def analysis_record(a: PhotoAnalysis, model_variant: str | None = None) -> dict[str, Any]:
    """:func:`result_record` for a photo, with what was read and found."""
    det = a.detection
    return result_record(
        a.name,
        a.gates,
        a.metrics,
        a.assessment,
        model_variant=model_variant,
        read_ok=a.image is not None,
        image_size=[a.image.width, a.image.height] if a.image is not None else None,
        people_found=det.n_people if det is not None else None,
    )


CSV_COLUMNS = (
    (
        "file",
        "model_variant",
        "read_ok",
        "people_found",
        "near_side",
        "measurable",
        "pattern",
        "confidence",
    )
    + tuple(k for name in METRIC_LABELS for k in (name, name + "_plus_minus"))
    + ("finding_codes", "messages")
)


def csv_row(rec: dict[str, Any]) -> dict[str, Any]:
    """Flatten a record from :func:`result_record` into one CSV row."""
    row: dict[str, Any] = {k: rec.get(k) for k in CSV_COLUMNS}
    row["pattern"] = rec["assessment"]["pattern"]
    row["confidence"] = rec["assessment"]["confidence"]
    metrics = rec.get("metrics") or {}
    for name in METRIC_LABELS:
        m = metrics.get(name) or {}
        row[name] = m.get("value")
        row[name + "_plus_minus"] = m.get("plus_minus")
    row["finding_codes"] = ";".join(f["code"] for f in rec["findings"])
    row["messages"] = " | ".join(f["message"] for f in rec["findings"])
    return row
