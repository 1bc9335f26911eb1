"""Plain-data forms of measures and findings, for the checks' ``to_record()`` methods.

JSON has no NaN or infinity: a number that is not finite becomes ``None``.
"""

from __future__ import annotations

import math
from typing import Any

from posture_cam.types import Measurement

from .gates import Finding

__all__ = ["number", "measurement", "finding"]


def number(x: float | None, digits: int = 3) -> float | None:
    """``x`` rounded to ``digits``, or None when missing or not finite."""
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), digits)


def measurement(m: Measurement | None) -> dict[str, float | None] | None:
    """``{"value", "plus_minus"}``, or None for a missing measurement."""
    if m is None:
        return None
    return {"value": number(m.value), "plus_minus": number(m.plus_minus)}


def finding(f: Finding) -> dict[str, Any]:
    """Every field of a finding."""
    return {
        "code": f.code,
        "severity": f.severity,
        "message": f.message,
        "hint": f.hint,
        "value": number(f.value),
        "threshold": number(f.threshold),
    }
