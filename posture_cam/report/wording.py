"""Words and number formats shared by the app and the PDF report (pure: no Streamlit, no I/O).

Everything here reads the JSON-ready records of :func:`posture_cam.report.record.result_record`,
so a photo result, a kept live result and an entry of a :class:`~posture_cam.report.session.Session`
all look the same wherever they are shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from posture_cam.measure.calibration import Calibration
from posture_cam.media.images import ERROR_CODES

from .record import METRIC_LABELS

__all__ = [
    "PHOTO_TIPS",
    "PATTERN_COLORS",
    "MetricRow",
    "AccuracyRow",
    "format_value",
    "minus",
    "format_plus_minus",
    "format_measure",
    "metric_label",
    "metric_rows",
    "reason_line",
    "confidence_text",
    "is_read_error",
    "accuracy_rows",
    "MEANING_NOTES",
]

PHOTO_TIPS: tuple[tuple[str, str], ...] = (
    ("Side-on", "Stand with one shoulder pointing at the camera, looking straight ahead."),
    (
        "Whole body",
        "Everything from the top of the head to the toes in the picture, feet "
        "included, with a little space around.",
    ),
    (
        "Camera at hip height",
        "About 2–3 m away, held level (not tilted up or down); a shelf or a tripod helps.",
    ),
    (
        "Fitted clothes",
        "Leggings or shorts and a fitted top, so the outline of the lower back "
        "and buttocks shows; hair tied up if it covers the back.",
    ),
    ("One person", "Only the person being checked in the picture."),
    (
        "Plain background, good light",
        "A plain wall behind you and light from the front or "
        "the side, not a bright window behind you.",
    ),
    (
        "Relaxed standing",
        "Stand as you usually do, weight on both feet, arms hanging relaxed "
        "and not behind your back.",
    ),
)
"""How to take a photo the app can measure: (short title, one-sentence detail)."""

PATTERN_COLORS: dict[str, str] = {
    "increased": "orange",
    "flattened": "blue",
    "neutral": "green",
    "inconclusive": "gray",
}
"""Streamlit colour names for each pattern (badges)."""

MEANING_NOTES: tuple[str, ...] = (
    "Pelvic tilt is the angle of the line from the bony point at the front of the hip "
    "(ASIS) to the dimple at the back (PSIS), estimated from the outline of your body "
    "because a camera cannot see bones. Higher numbers mean the pelvis tips forward.",
    "The lower-back curve is the angle between the surface of your back at the top "
    "(around L1) and at the bottom (around S1) of the lumbar spine. Higher numbers mean "
    "a deeper hollow.",
    "The ± after a number is the typical size of our error, measured on test images whose "
    "true angles are known; the real value is usually within that distance, sometimes "
    "further.",
    "The typical range is where most standing adults are (about two in three people). "
    "Being outside it is common and is not a problem in itself.",
)
"""Plain-language explanations of the numbers, for the About page and the PDF."""


@dataclass(frozen=True)
class MetricRow:
    """One row of the metrics table: label, formatted value, formatted error, raw numbers."""

    metric: str
    label: str
    value: str
    plus_minus: str
    raw_value: float | None
    raw_plus_minus: float | None


@dataclass(frozen=True)
class AccuracyRow:
    """Validation error of one estimated angle for one pose-model variant (degrees)."""

    variant: str
    metric: str
    label: str
    mae_deg: float
    p95_deg: float


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _decimals(unit: str) -> int:
    return 3 if unit == "" else 1


def minus(text: str) -> str:
    """``text`` with a leading hyphen-minus turned into a true minus sign (−)."""
    return "−" + text[1:] if text.startswith("-") else text


def _unit_suffix(unit: str) -> str:
    if unit == "°":
        return "°"
    if unit == "% height":
        return " %"
    return f" {unit}" if unit else ""


def format_value(value: Any, unit: str, *, decimals: int | None = None) -> str:
    """``18.2°``, ``3.1 %`` (of height) or ``0.052``; an en dash when not measured."""
    v = _finite(value)
    if v is None:
        return "–"
    d = _decimals(unit) if decimals is None else decimals
    return f"{minus(f'{v:.{d}f}')}{_unit_suffix(unit)}"


def format_plus_minus(plus_minus: Any, unit: str, *, decimals: int | None = None) -> str:
    """``± 3.8°`` (an en dash when unknown)."""
    p = _finite(plus_minus)
    if p is None:
        return "–"
    d = _decimals(unit) if decimals is None else decimals
    return f"± {p:.{d}f}{_unit_suffix(unit)}"


def format_measure(
    entry: Mapping[str, Any] | None, unit: str, *, decimals: int | None = None
) -> str:
    """A record's ``{"value", "plus_minus"}`` as ``18.2° ± 3.8°``; an en dash when missing."""
    if not entry or _finite(entry.get("value")) is None:
        return "–"
    v = format_value(entry.get("value"), unit, decimals=decimals)
    if _finite(entry.get("plus_minus")) is None:
        return v
    return f"{v} {format_plus_minus(entry.get('plus_minus'), unit, decimals=decimals)}"


def metric_label(name: str) -> str:
    """The table label of a measure, with "(% of height)" for the plumb-line offsets."""
    label, unit = METRIC_LABELS[name]
    return f"{label} (% of height)" if unit == "% height" else label


def metric_rows(record: Mapping[str, Any]) -> list[MetricRow]:
    """Every measure of :data:`~posture_cam.report.record.METRIC_LABELS` (in its order), formatted.

    Empty when the record has no metrics (the photo could not be measured).
    """
    metrics = record.get("metrics") or {}
    if not metrics:
        return []
    rows = []
    for name, (_label, unit) in METRIC_LABELS.items():
        m = metrics.get(name) or {}
        rows.append(
            MetricRow(
                metric=name,
                label=metric_label(name),
                value=format_value(m.get("value"), unit),
                plus_minus=format_plus_minus(m.get("plus_minus"), unit),
                raw_value=_finite(m.get("value")),
                raw_plus_minus=_finite(m.get("plus_minus")),
            )
        )
    roll = metrics.get("camera_roll_deg")
    if roll:
        rows.append(
            MetricRow(
                metric="camera_roll_deg",
                label="Camera roll (+ = turned clockwise)",
                value=format_value(roll.get("value"), "°"),
                plus_minus=format_plus_minus(roll.get("plus_minus"), "°"),
                raw_value=_finite(roll.get("value")),
                raw_plus_minus=_finite(roll.get("plus_minus")),
            )
        )
    return rows


def reason_line(reason: Mapping[str, Any]) -> str:
    """One reason of an assessment record as a sentence with value ± error and typical range.

    E.g. ``Pelvic tilt (ASIS-PSIS, + = forward): 17° ± 4°, typical 5° (range 0–10°);
    2.4 SD above.``
    """
    metric = str(reason.get("metric", ""))
    label = METRIC_LABELS.get(metric, (metric.replace("_", " ").capitalize(), ""))[0]
    value = _finite(reason.get("value"))
    pm = _finite(reason.get("plus_minus"))
    typical = _finite(reason.get("typical"))
    sd = _finite(reason.get("typical_sd"))
    z = _finite(reason.get("z"))
    if value is None:
        return f"{label}: not measured."
    parts = [f"{label}: {minus(f'{value:.0f}')}°" + (f" ± {pm:.0f}°" if pm is not None else "")]
    if typical is not None:
        typical_text = f"typical {minus(f'{typical:.0f}')}°"
        if sd is not None:
            lo, hi = minus(f"{typical - sd:.0f}"), minus(f"{typical + sd:.0f}")
            typical_text += f" (range {lo} to {hi}°)"
        parts.append(typical_text)
    text = ", ".join(parts)
    if z is not None:
        where = "above" if z > 0 else "below" if z < 0 else "at"
        text += f"; {abs(z):.1f} SD {where} typical" if where != "at" else "; exactly typical"
    return text + "."


def confidence_text(record: Mapping[str, Any]) -> str:
    """The assessment's confidence as a whole percentage (``87 %``); ``–`` if inconclusive."""
    a = record.get("assessment") or {}
    if a.get("pattern") == "inconclusive":
        return "–"
    c = _finite(a.get("confidence"))
    if c is None:
        return "–"
    return "over 99 %" if c >= 0.995 else f"{round(100 * c):d} %"


def is_read_error(findings: Sequence[Mapping[str, Any]]) -> bool:
    """True when the findings say the file itself could not be read (not a posture problem)."""
    return any(str(f.get("code")) in ERROR_CODES for f in findings)


def accuracy_rows(calibration: Calibration) -> list[AccuracyRow]:
    """Validation MAE and 95th-percentile error per variant, from the shipped calibration."""
    rows = []
    for metric, models in (
        ("pelvic_tilt_deg", calibration.pelvic_tilt),
        ("lumbar_lordosis_deg", calibration.lumbar_lordosis),
    ):
        for variant, model in sorted(models.items()):
            rows.append(
                AccuracyRow(
                    variant=variant,
                    metric=metric,
                    label=METRIC_LABELS[metric][0],
                    mae_deg=float(model.mae),
                    p95_deg=float(model.p95_abs_error),
                )
            )
    return rows
