"""A guided check as the session keeps it: plain numbers, the headline rows and the words.

The app, the PDF and the JSON/CSV exports all read a :class:`GuidedCheck`, so each is built
once from the check's result dataclass (:mod:`posture_cam.measure.tilt_range`,
:mod:`posture_cam.measure.thomas`, :mod:`posture_cam.measure.breathing`) and never from the
frames again. The headline rows carry the ``±`` of each number and a "measured error" row
from the shipped bench figures, so a reader sees how far to trust it wherever it is shown.

Pure: no Streamlit, no I/O.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from posture_cam.measure.breathing import BreathingResult
from posture_cam.measure.thomas import ThomasResult
from posture_cam.measure.tilt_range import RangeResult

from .guided_text import (
    SOURCES,
    BenchFigures,
    breathing_interpretation,
    fmt_pm,
    range_interpretation,
    thomas_interpretation,
)

__all__ = [
    "GuidedKind",
    "GUIDED_TITLES",
    "GuidedCheck",
    "range_check",
    "thomas_check",
    "breathing_check",
]

GuidedKind = Literal["pelvic_tilt_range", "hip_flexor_test", "breathing"]

GUIDED_TITLES: dict[GuidedKind, str] = {
    "pelvic_tilt_range": "Pelvic-tilt range",
    "hip_flexor_test": "Hip-flexor test (modified Thomas)",
    "breathing": "Breathing",
}
"""The checks' names as every page and the PDF show them."""

# Which sources each check's words cite (keys of guided_text.SOURCES).
_SOURCE_KEYS: dict[GuidedKind, tuple[str, ...]] = {
    "pelvic_tilt_range": (
        "levine_whittle_1996",
        "heino_1990",
        "youdas_1996",
        "preece_2021",
        "article",
    ),
    "hip_flexor_test": (
        "harvey_1998",
        "ferber_2010",
        "kendall",
        "peeler_anderson_2007",
        "peeler_anderson_2008",
        "clapis_2008",
        "kim_ha_2015",
        "vigotsky_2016",
        "article",
    ),
    "breathing": ("kaneko_horie_2012", "article"),
}


# What the history charts follow per check: a label -> the path to a measurement in the
# check's record; the main change each check is meant to show over weeks.
_SERIES: dict[GuidedKind, dict[str, tuple[str, ...]]] = {
    "pelvic_tilt_range": {
        "Whole tilt range (°)": ("total_tilt_deg",),
        "Relaxed within your range (%)": ("relaxed_position_pct",),
    },
    "hip_flexor_test": {
        "Left thigh to horizontal (°)": ("left", "thigh_angle_deg"),
        "Right thigh to horizontal (°)": ("right", "thigh_angle_deg"),
        "Left knee bend (°)": ("left", "knee_flexion_deg"),
        "Right knee bend (°)": ("right", "knee_flexion_deg"),
    },
    "breathing": {
        "Belly share (%)": ("belly_share_pct",),
        "Breathing rate (a minute)": ("rate_per_min",),
    },
}


@dataclass(frozen=True, eq=False)
class GuidedCheck:
    """One kept guided check.

    Attributes:
        kind: which check.
        name: what it was measured from (a file name, or "Left leg" for a Thomas photo).
        variant: the pose model used.
        rows: (label, value text) pairs, most important first; the last is the measured
            error of the method on test material.
        interpretation: the plain sentences of :mod:`posture_cam.report.guided_text`.
        result: the check's full record (plain data; the breathing traces included).
    """

    kind: GuidedKind
    name: str
    variant: str | None
    rows: tuple[tuple[str, str], ...]
    interpretation: tuple[str, ...]
    result: dict[str, Any]
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    entry_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def title(self) -> str:
        return GUIDED_TITLES[self.kind]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(SOURCES[k] for k in _SOURCE_KEYS[self.kind])

    def trace(self) -> dict[str, list[float | None]] | None:
        """The breathing traces (time in s, chest and belly in px), if this check has them."""
        trace = self.result.get("trace")
        return trace if isinstance(trace, dict) else None

    def series(self) -> dict[str, tuple[float, float]]:
        """The numbers the history follows for this check: name -> (value, ±)."""
        r = self.result
        names = _SERIES[self.kind]
        out: dict[str, tuple[float, float]] = {}
        for label, path in names.items():
            node: Any = r
            for part in path:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict) and node.get("value") is not None:
                out[label] = (float(node["value"]), float(node.get("plus_minus") or 0.0))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.entry_id,
            "time": self.created.isoformat(),
            "check": self.kind,
            "title": self.title,
            "name": self.name,
            "model_variant": self.variant,
            "summary": [{"label": k, "value": v} for k, v in self.rows],
            "result": self.result,
            "interpretation": list(self.interpretation),
            "sources": list(self.sources),
        }


def _error_row(text: str | None) -> tuple[tuple[str, str], ...]:
    return () if text is None else (("Measured error on test material", text),)


def range_check(r: RangeResult, name: str, variant: str | None, bench: BenchFigures) -> GuidedCheck:
    """The pelvic-tilt range check's result as kept."""
    rows: list[tuple[str, str]] = [
        ("Whole tilt range", fmt_pm(r.total_tilt_deg.value, r.total_tilt_deg.plus_minus)),
        (
            "Tipped forward from relaxed",
            fmt_pm(r.forward_tilt_deg.value, r.forward_tilt_deg.plus_minus),
        ),
        (
            "Tucked under from relaxed",
            fmt_pm(r.backward_tilt_deg.value, r.backward_tilt_deg.plus_minus),
        ),
    ]
    p = r.relaxed_position_pct
    if p is not None:
        rows.append(("Relaxed within your range", fmt_pm(p.value, p.plus_minus, " %", 0)))
    rows.append(("Relaxed holds agree", "yes" if r.relaxed_agree else "no"))
    error = (
        None
        if bench.range_change_mae_tilt_deg is None
        else f"changes off by {bench.range_change_mae_tilt_deg:.1f}° on average"
    )
    return GuidedCheck(
        "pelvic_tilt_range",
        name,
        variant,
        (*rows, *_error_row(error)),
        range_interpretation(r, bench),
        r.to_record(),
    )


def thomas_check(
    result: ThomasResult, name: str, variant: str | None, bench: BenchFigures
) -> GuidedCheck:
    """The hip-flexor test's result (one or both sides) as kept."""
    rows: list[tuple[str, str]] = []
    words: list[str] = []
    for s in (result.left, result.right):
        if s is None:
            continue
        side = s.side.capitalize()
        t, k = s.thigh_angle_deg, s.knee_flexion_deg
        rows.append(
            (f"{side} thigh to horizontal", f"{fmt_pm(t.value, t.plus_minus)} ({s.thigh_call})")
        )
        rows.append((f"{side} knee bend", f"{fmt_pm(k.value, k.plus_minus)} ({s.knee_call})"))
        # The closing sentences (error, not a diagnosis) are the same for both sides.
        words.extend(x for x in thomas_interpretation(s, bench) if x not in words)
    if result.thigh_difference_deg is not None:
        d = result.thigh_difference_deg
        rows.append(("Thigh angle, left − right", fmt_pm(d.value, d.plus_minus)))
    error = (
        None
        if bench.thomas_thigh_mae_deg is None or bench.thomas_knee_mae_deg is None
        else f"thigh {bench.thomas_thigh_mae_deg:.1f}°, knee {bench.thomas_knee_mae_deg:.1f}° "
        "on average"
    )
    return GuidedCheck(
        "hip_flexor_test",
        name,
        variant,
        (*rows, *_error_row(error)),
        tuple(words),
        result.to_record(),
    )


def breathing_check(
    r: BreathingResult, name: str, variant: str | None, bench: BenchFigures
) -> GuidedCheck:
    """The breathing check's result as kept (its traces are in ``result["trace"]``)."""
    rows = (
        ("Breathing rate", fmt_pm(r.rate_per_min.value, r.rate_per_min.plus_minus, " a minute")),
        ("Belly share", fmt_pm(r.belly_share_pct.value, r.belly_share_pct.plus_minus, " %", 0)),
        (
            "Chest movement",
            fmt_pm(r.chest_movement_pct.value, r.chest_movement_pct.plus_minus, " % of trunk"),
        ),
        (
            "Belly movement",
            fmt_pm(r.belly_movement_pct.value, r.belly_movement_pct.plus_minus, " % of trunk"),
        ),
        ("Smallest detectable movement", f"{r.noise_floor_pct:.2f} % of trunk"),
    )
    error = (
        None
        if bench.breathing_rate_mae_per_min is None or bench.breathing_share_mae_pct is None
        else f"rate {bench.breathing_rate_mae_per_min:.1f} a minute, belly share "
        f"{bench.breathing_share_mae_pct:.0f} points on average"
    )
    return GuidedCheck(
        "breathing",
        name,
        variant,
        (*rows, *_error_row(error)),
        breathing_interpretation(r, bench),
        r.to_record(),
    )
