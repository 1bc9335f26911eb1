"""Words and number formats shared by the app and the PDF report (pure: no Streamlit, no I/O).

Everything here reads the typed :class:`~posture_cam.report.record.ResultRecord`, so a photo
result, a kept live result and an entry of a :class:`~posture_cam.report.session.Session` all
look the same wherever they are shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from posture_cam.media.image_errors import ERROR_CODES

from .record import METRIC_LABELS, ReasonRecord, ResultRecord

__all__ = [
    "PHOTO_TIPS",
    "PATTERN_COLORS",
    "MetricRow",
    "ValuePlusMinus",
    "format_value",
    "minus",
    "format_plus_minus",
    "format_measure",
    "metric_label",
    "metric_rows",
    "reason_line",
    "confidence_text",
    "is_read_error",
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


class ValuePlusMinus(Protocol):
    """A number with its error: a :class:`~posture_cam.types.Measurement` or a record's."""

    @property
    def value(self) -> float | None: ...

    @property
    def plus_minus(self) -> float | None: ...


class HasCode(Protocol):
    @property
    def code(self) -> str: ...


def format_measure(entry: ValuePlusMinus | None, unit: str, *, decimals: int | None = None) -> str:
    """A value with its error as ``18.2° ± 3.8°``; an en dash when missing."""
    if entry is None or _finite(entry.value) is None:
        return "–"
    v = format_value(entry.value, unit, decimals=decimals)
    if _finite(entry.plus_minus) is None:
        return v
    return f"{v} {format_plus_minus(entry.plus_minus, unit, decimals=decimals)}"


def metric_label(name: str) -> str:
    """The table label of a measure, with "(% of height)" for the plumb-line offsets."""
    label, unit = METRIC_LABELS[name]
    return f"{label} (% of height)" if unit == "% height" else label


def metric_rows(record: ResultRecord) -> list[MetricRow]:
    """Every measure of :data:`~posture_cam.report.record.METRIC_LABELS` (in its order), formatted.

    Empty when the record has no metrics (the photo could not be measured).
    """
    metrics = record.metrics
    if metrics is None:
        return []
    rows = [
        _metric_row(name, metric_label(name), metrics.measure(name), unit)
        for name, (_label, unit) in METRIC_LABELS.items()
    ]
    if metrics.camera_roll_deg is not None:
        label = "Camera roll (+ = turned clockwise)"
        rows.append(_metric_row("camera_roll_deg", label, metrics.camera_roll_deg, "°"))
    return rows


def _metric_row(metric: str, label: str, m: ValuePlusMinus, unit: str) -> MetricRow:
    return MetricRow(
        metric=metric,
        label=label,
        value=format_value(m.value, unit),
        plus_minus=format_plus_minus(m.plus_minus, unit),
        raw_value=_finite(m.value),
        raw_plus_minus=_finite(m.plus_minus),
    )


def reason_line(reason: ReasonRecord) -> str:
    """One reason of an assessment as a sentence with value ± error and typical range.

    E.g. ``Pelvic tilt (ASIS-PSIS, + = forward): 17° ± 4°, typical 5° (range 0–10°);
    2.4 SD above.``
    """
    label = METRIC_LABELS.get(reason.metric, (reason.metric.replace("_", " ").capitalize(), ""))[0]
    value, pm = _finite(reason.value), _finite(reason.plus_minus)
    typical, sd, z = _finite(reason.typical), _finite(reason.typical_sd), _finite(reason.z)
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


def confidence_text(record: ResultRecord) -> str:
    """The assessment's confidence as a whole percentage (``87 %``); ``–`` if inconclusive."""
    a = record.assessment
    if a.pattern == "inconclusive":
        return "–"
    c = _finite(a.confidence)
    if c is None:
        return "–"
    return "over 99 %" if c >= 0.995 else f"{round(100 * c):d} %"


def is_read_error(findings: Iterable[HasCode]) -> bool:
    """True when the findings say the file itself could not be read (not a posture problem)."""
    return any(f.code in ERROR_CODES for f in findings)
