"""Reusable Streamlit pieces: the result card, exercise cards and photo guidance.

Used by the photo page and the live page. Each function draws into the current Streamlit
container (call it inside ``with column:`` or ``with st.container():`` to place it) and
reads only the plain record of :func:`posture_cam.report.record.result_record`, or the
``(gates, metrics, assessment)`` parts it is made from.

:func:`render_exercises` uses ``st.expander``; Streamlit does not allow an expander inside
another, so call it outside expanders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

import streamlit as st

from posture_cam.measure.classify import Assessment
from posture_cam.measure.gates import Finding, GateReport
from posture_cam.report.exercises import DISCLAIMER, Exercise, exercises_for, general_advice
from posture_cam.report.record import result_record
from posture_cam.report.wording import (
    PATTERN_COLORS,
    PHOTO_TIPS,
    confidence_text,
    format_measure,
    is_read_error,
    metric_rows,
    reason_line,
)
from posture_cam.types import Pattern, PostureMetrics

__all__ = [
    "RecordOrParts",
    "as_record",
    "render_result_card",
    "render_exercises",
    "render_advice",
    "render_photo_guidance",
    "render_photo_tips",
    "pattern_badge",
]

RecordOrParts = Mapping[str, Any] | tuple[GateReport, PostureMetrics | None, Assessment]
"""A record from :func:`~posture_cam.report.record.result_record`, or the parts to build one."""


def as_record(record_or_parts: RecordOrParts, *, name: str = "") -> Mapping[str, Any]:
    """The plain record for ``record_or_parts`` (records are returned as they are)."""
    if isinstance(record_or_parts, tuple):
        gates, metrics, assessment = record_or_parts
        return result_record(name, gates, metrics, assessment)
    if isinstance(record_or_parts, Mapping):
        return record_or_parts
    raise TypeError(
        "expected a result record (dict) or a (GateReport, PostureMetrics | None, Assessment) "
        f"tuple, got {type(record_or_parts).__name__}"
    )


def pattern_badge(pattern: str, title: str) -> str:
    """Markdown for a coloured badge naming the pattern."""
    color = PATTERN_COLORS.get(pattern, "gray")
    return f":{color}-badge[{title}]"


def render_result_card(record_or_parts: RecordOrParts, *, show_table: bool = True) -> None:
    """The result: pattern, confidence, summary, reasons (value ± error, typical range) and
    a table of every measure with its ±.

    For an inconclusive result the card says why (the problems) instead of reasons; pair it
    with :func:`render_photo_guidance` when gates failed.
    """
    record = as_record(record_or_parts)
    a = record.get("assessment") or {}
    pattern = str(a.get("pattern", "inconclusive"))
    title = str(a.get("title", pattern.capitalize()))
    metrics = record.get("metrics") or {}

    color = PATTERN_COLORS.get(pattern, "gray")
    st.markdown(f"### :{color}[{title}]")
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "Confidence",
        confidence_text(record),
        help="How likely the call stays the same given the measurement error.",
    )
    c2.metric(
        "Pelvic tilt",
        format_measure(metrics.get("pelvic_tilt_deg"), "°", decimals=0),
        help="ASIS–PSIS angle, + = tipped forward (anterior).",
    )
    c3.metric(
        "Lower-back curve",
        format_measure(metrics.get("lumbar_lordosis_deg"), "°", decimals=0),
        help="Surface lordosis between the L1 and S1 levels; larger = deeper hollow.",
    )
    summary = str(a.get("summary", ""))
    if summary:
        st.markdown(summary)

    reasons = a.get("reasons") or []
    if reasons:
        st.markdown("**Why**\n" + "\n".join(f"- {reason_line(r)}" for r in reasons))
    problems = a.get("problems") or []
    if pattern == "inconclusive" and problems:
        st.markdown("**What stopped the reading**\n" + "\n".join(f"- {p}" for p in problems))
    warnings = [f for f in record.get("findings") or [] if f.get("severity") == "warn"]
    for f in warnings:
        st.warning(f"{f.get('message', '')} {f.get('hint', '')}".strip(), icon=":material/warning:")

    rows = metric_rows(record)
    if show_table and rows:
        st.dataframe(
            [{"Measure": r.label, "Value": r.value, "± typical error": r.plus_minus} for r in rows],
            hide_index=True,
            width="stretch",
        )


def _exercise_body(ex: Exercise) -> str:
    steps = "\n".join(f"{i}. {s}" for i, s in enumerate(ex.steps, start=1))
    cautions = "\n".join(f"- {c}" for c in ex.cautions)
    return (
        f"*{ex.why}*\n\n**How to**\n\n{steps}\n\n**How much:** {ex.dose}\n\n"
        f"**Take care**\n\n{cautions}"
    )


def render_exercises(pattern: Pattern | str, *, advice: bool = True) -> None:
    """The exercises for ``pattern`` (one expander each: why, steps, dose, cautions), then
    the general advice and the disclaimer.

    Nothing but the advice is shown for "inconclusive": exercises need a reading first.
    """
    p = str(pattern)
    items = exercises_for(p)  # type: ignore[arg-type]
    if items:
        st.markdown("**Exercises that may help**")
        for ex in items:
            with st.expander(f"{ex.name} · {ex.dose}"):
                st.markdown(_exercise_body(ex))
    elif p == "inconclusive":
        st.caption("Exercises appear once a photo can be measured.")
    if advice:
        render_advice(p)


def render_advice(pattern: Pattern | str) -> None:
    """The general advice for ``pattern`` as a short list, and the disclaimer."""
    items = general_advice(str(pattern))  # type: ignore[arg-type]
    if items:
        st.markdown(
            "**Everyday advice**\n" + "\n".join(f"- **{a.title}.** {a.text}" for a in items)
        )
    st.caption(DISCLAIMER)


def _finding_dict(f: Finding | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(f, Mapping):
        return f
    if is_dataclass(f) and not isinstance(f, type):
        return asdict(f)
    raise TypeError(f"expected a Finding or a finding record, got {type(f).__name__}")


def render_photo_tips() -> None:
    """The checklist for a photo the app can measure."""
    st.markdown("\n".join(f"- **{t}:** {d}" for t, d in PHOTO_TIPS))


def render_photo_guidance(findings: Sequence[Finding | Mapping[str, Any]]) -> None:
    """Friendly guidance for a picture that could not be measured.

    ``findings`` are :class:`~posture_cam.measure.gates.Finding` objects or their records (the
    ``"findings"`` of a result record). A file that could not be read gets its read error
    and what to do; a posture photo that failed a gate gets what was wrong and how to take
    a better one.
    """
    items = [_finding_dict(f) for f in findings]
    blocking = [f for f in items if f.get("severity", "block") == "block"] or items
    if is_read_error(blocking):
        for f in blocking:
            st.error(f"{f.get('message', '')} {f.get('hint', '')}".strip(), icon=":material/block:")
        return
    lines = [f"- {f.get('message', '')} *{f.get('hint', '')}*" for f in blocking]
    st.warning(
        "**We couldn't measure this picture.**\n" + "\n".join(lines), icon=":material/photo_camera:"
    )
    st.markdown("**How to take a photo that works**")
    render_photo_tips()
