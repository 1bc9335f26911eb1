"""The PDF report's first page: a one-page summary to hand to a physiotherapist.

It holds, on one page whatever the session: the latest measurable result (its picture, the
pattern, the two angles with their ± and the confidence, what the pattern means), the other
results in a short table, the top three exercises for that pattern, and the history's
baseline and latest change when there is a history. Everything is sized to fit: the table
lists at most :data:`SUMMARY_TABLE_ROWS` results and the texts are short.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from posture_cam.history.trend import Trend
from posture_cam.measure.classify import PATTERN_TITLES

from .exercises import exercises_for
from .guided_record import GuidedCheck
from .pdf_layout import (
    ACCENT,
    FAMILY,
    HEAD_FILL,
    INK,
    MUTED,
    RULE,
    VERDICT_INK,
    date_text,
    gap,
    image_size_mm,
    para,
    short_time,
    table,
)
from .session import SessionEntry
from .wording import confidence_text, format_measure, reason_line

__all__ = ["SUMMARY_TABLE_ROWS", "headline_entry", "summary_page"]

SUMMARY_TABLE_ROWS = 6
"""Results listed on the summary page (the most recent; every one is in the detail)."""

_PICTURE_W_MM = 44.0
_PICTURE_H_MM = 78.0
_GUTTER_MM = 6.0


def headline_entry(entries: Sequence[SessionEntry]) -> SessionEntry | None:
    """The result the summary leads with: the latest measurable one, else the latest."""
    measured = [e for e in entries if e.record.metrics is not None and e.pattern != "inconclusive"]
    if measured:
        return measured[-1]
    return entries[-1] if entries else None


def _label(pdf: FPDF, text: str) -> None:
    pdf.set_x(pdf.l_margin)
    gap(pdf, 3)
    pdf.set_font(FAMILY, "B", 11)
    pdf.set_text_color(*INK)
    pdf.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.y, pdf.w - pdf.r_margin, pdf.y)
    gap(pdf, 2)


def _number_boxes(pdf: FPDF, entry: SessionEntry, x: float, w: float) -> None:
    """The two angles with their ± and the confidence, in three shaded boxes."""
    rec = entry.record
    boxes = (
        ("Pelvic tilt", format_measure(rec.pelvic_tilt, "°", decimals=0)),
        ("Lower-back curve", format_measure(rec.lumbar_lordosis, "°", decimals=0)),
        ("Confidence", confidence_text(rec)),
    )
    box_gap = 3.0
    bw = (w - 2 * box_gap) / 3
    y = pdf.get_y()
    for i, (name, value) in enumerate(boxes):
        bx = x + i * (bw + box_gap)
        pdf.set_fill_color(*HEAD_FILL)
        pdf.rect(bx, y, bw, 15, style="F")
        pdf.set_xy(bx + 2, y + 1.5)
        pdf.set_font(FAMILY, "", 7.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(bw - 4, 4, name)
        pdf.set_xy(bx + 2, y + 6)
        pdf.set_font(FAMILY, "B", 12)
        pdf.set_text_color(*INK)
        pdf.cell(bw - 4, 7, value)
    pdf.set_xy(x, y + 15 + 3)


def _headline(pdf: FPDF, entry: SessionEntry) -> None:
    rec = entry.record
    a = rec.assessment
    top = pdf.get_y()
    img_h = 0.0
    text_x = pdf.l_margin
    if entry.overlay_jpeg:
        img_w, img_h = image_size_mm(entry.overlay_jpeg, _PICTURE_W_MM, _PICTURE_H_MM)
        pdf.image(
            io.BytesIO(entry.overlay_jpeg),
            x=pdf.l_margin + (_PICTURE_W_MM - img_w) / 2,
            y=top,
            w=img_w,
            h=img_h,
        )
        text_x += _PICTURE_W_MM + _GUTTER_MM
    w = pdf.w - pdf.r_margin - text_x
    source = "photo" if entry.source == "photo" else "live camera"
    pdf.set_xy(text_x, top)
    para(
        pdf,
        f"{entry.name or 'Result'} · {source} · {date_text(entry.created)}",
        size=8.3,
        color=MUTED,
        w=w,
        h=4.2,
    )
    pdf.set_x(text_x)
    pdf.set_font(FAMILY, "B", 15)
    pdf.set_text_color(*ACCENT.get(a.pattern, MUTED))
    pdf.multi_cell(w, 7, a.title, new_x=XPos.LEFT, new_y=YPos.NEXT)
    gap(pdf, 2)
    if rec.metrics is not None and a.pattern != "inconclusive":
        _number_boxes(pdf, entry, text_x, w)
        if a.summary:
            para(pdf, a.summary, size=9, w=w, h=4.5)
            gap(pdf, 1.5)
        if a.reasons:
            for r in a.reasons:
                para(pdf, "• " + reason_line(r), size=8, color=MUTED, w=w, h=4.0)
    else:
        para(pdf, "This picture could not be measured:", size=9, w=w, h=4.5)
        for p in a.problems[:3]:
            para(pdf, "• " + p, size=8.5, w=w, h=4.3)
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), top + img_h) + 2)


def _results_table(pdf: FPDF, entries: Sequence[SessionEntry]) -> None:
    shown = list(entries)[-SUMMARY_TABLE_ROWS:]
    first = len(entries) - len(shown) + 1
    with table(
        pdf,
        font_size=8,
        col_widths=(6, 26, 41, 46, 21, 17, 17),
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=4.0,
        padding_mm=0.9,
    ) as t:
        t.row(("#", "When", "Picture", "Pattern", "Confidence", "Tilt", "Curve"))
        for i, e in enumerate(shown, start=first):
            rec = e.record
            t.row(
                (
                    str(i),
                    short_time(e.created),
                    e.name or "–",
                    rec.assessment.title,
                    confidence_text(rec),
                    format_measure(rec.pelvic_tilt, "°", decimals=0),
                    format_measure(rec.lumbar_lordosis, "°", decimals=0),
                )
            )
    if first > 1:
        para(pdf, f"Results 1 to {first - 1} are in the detail that follows.", size=8, color=MUTED)


def _top_exercises(pdf: FPDF, entry: SessionEntry) -> None:
    items = exercises_for(entry.pattern)[:3]
    _label(pdf, f"Top three exercises for {PATTERN_TITLES[entry.pattern].lower()}")
    for i, ex in enumerate(items, start=1):
        pdf.set_x(pdf.l_margin)
        pdf.set_font(FAMILY, "B", 9.3)
        pdf.set_text_color(*INK)
        pdf.cell(0, 5, f"{i}. {ex.name}", new_x=XPos.LMARGIN, new_y=YPos.TOP)
        pdf.set_font(FAMILY, "", 8.3)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 5, ex.dose, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_x(pdf.l_margin + 4)
        para(pdf, _first_sentence(ex.why), size=8.3, color=MUTED, h=4.0)
        gap(pdf, 1)


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + "." if dot else text


def _history(pdf: FPDF, trend: Trend) -> None:
    _label(pdf, "Your history")
    b = trend.baseline
    n = len(trend.patterns)
    checks = "1 saved check" if n == 1 else f"{n} saved checks"
    if b is None:
        para(pdf, f"{checks}. " + " ".join(trend.summary_lines()), size=8.8, h=4.4)
        return
    values = ", ".join(
        f"{mt.name} {b.values[m]:.1f}°" for m, mt in trend.metrics.items() if m in b.values
    )
    para(pdf, f"{checks}. Your baseline, the {b.describe()}: {values}.", size=8.8, h=4.4)
    latest = trend.latest_changes()
    if latest is None or latest[0] in b.check_ids:
        para(pdf, "Your latest check is part of the baseline.", size=8.8, h=4.4)
        return
    cid, changes = latest
    when = next((short_time(p.time) for p in trend.patterns if p.check_id == cid), "")
    para(pdf, f"Latest check ({when}) against your baseline:", size=8.8, style="B", h=4.6)
    for ch in changes.values():
        pdf.set_x(pdf.l_margin)
        pdf.set_font(FAMILY, "B", 8.5)
        pdf.set_text_color(*VERDICT_INK[ch.verdict])
        tag = ch.verdict
        pdf.cell(pdf.get_string_width(tag) + 3, 4.4, tag)
        para(pdf, ch.text(), size=8.5, h=4.4)


def _guided(pdf: FPDF, checks: Sequence[GuidedCheck]) -> None:
    """The guided checks kept, the newest of each kind, with their first two results."""
    latest: dict[str, GuidedCheck] = {}
    for g in checks:
        latest[g.kind] = g
    with table(
        pdf,
        font_size=8,
        col_widths=(52, pdf.epw - 52),
        text_align=("LEFT", "LEFT"),
        line_height=4.0,
        padding_mm=0.9,
    ) as t:
        t.row(("Check", "Result"))
        for g in latest.values():
            t.row((g.title, " · ".join(f"{label}: {value}" for label, value in g.rows[:2])))


def summary_page(
    pdf: FPDF,
    entries: Sequence[SessionEntry],
    history: Trend | None,
    when_text: str,
    guided: Sequence[GuidedCheck] = (),
) -> None:
    """Draw the summary on the current (first) page."""
    pdf.set_font(FAMILY, "B", 20)
    pdf.set_text_color(*INK)
    pdf.cell(0, 10, "Posture check summary", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    n = len(entries)
    pdf.set_font(FAMILY, "", 9.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(
        0,
        5.5,
        f"{when_text} · {n} result{'s' if n != 1 else ''} kept"
        + (" · with your saved history" if history is not None and history.patterns else ""),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.y + 1.5, pdf.w - pdf.r_margin, pdf.y + 1.5)
    gap(pdf, 5)

    lead = headline_entry(entries)
    if lead is None:
        para(pdf, "No posture results were kept in this session.", style="I", color=MUTED)
    else:
        _headline(pdf, lead)
        if n > 1:
            _label(pdf, "All results")
            _results_table(pdf, entries)
        if exercises_for(lead.pattern):
            _top_exercises(pdf, lead)
    if guided:
        _label(pdf, "Guided checks")
        _guided(pdf, guided)
    if history is not None and history.patterns:
        _history(pdf, history)
    pdf.set_x(pdf.l_margin)
    gap(pdf, 3)
    para(
        pdf,
        "The pages after this one give each result in detail with every measure, "
        + ("the guided checks with what they suggest, " if guided else "")
        + ("your history with charts, " if history is not None and history.patterns else "")
        + "the exercises step by step, everyday advice and what the numbers mean.",
        size=8,
        style="I",
        color=MUTED,
        h=4.0,
    )
