"""The session report as a PDF (fpdf2): pure, bytes out, nothing written to disk.

Layout: a title page with the date and an overview table; when a history is given, a
"Your history" page (how many checks, the baseline, the latest check's change against it
with the verdict "real change" / "within noise" and the smallest detectable change used,
and a table of the last checks); one section per kept result (the annotated picture, the
pattern with its confidence and reasons, and every measure with its ±); the exercises and
everyday advice for the patterns found; and a plain-language note on what the numbers mean
and what they do not.

Page furniture (fonts, colours, text and tables) is in :mod:`.pdf_layout`, the history page
in :mod:`.pdf_history`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from posture_cam.history.trend import Trend
from posture_cam.measure.calibration import load_calibration
from posture_cam.measure.classify import PATTERN_TITLES, THRESHOLDS
from posture_cam.types import Pattern

from .exercises import (
    DISCLAIMER,
    EVIDENCE_NOTE,
    Advice,
    Exercise,
    exercises_for,
    general_advice,
)
from .pdf_history import HISTORY_TABLE_ROWS, history_section
from .pdf_layout import (
    ACCENT,
    FAMILY,
    INK,
    MUTED,
    RULE,
    FontNotFoundError,
    ReportFonts,
    ReportPDF,
    bullets,
    bullets_height,
    date_text,
    find_fonts,
    gap,
    heading,
    image_size_mm,
    para,
    short_time,
    table,
    text_height,
)
from .record import ResultRecord
from .session import Session, SessionEntry
from .wording import (
    MEANING_NOTES,
    confidence_text,
    format_measure,
    metric_rows,
    minus,
    reason_line,
)

__all__ = ["HISTORY_TABLE_ROWS", "build_pdf", "find_fonts", "FontNotFoundError", "ReportFonts"]

_IMAGE_BOX_W_MM = 70.0
_IMAGE_BOX_H_MM = 125.0
_GUTTER_MM = 7.0


def _overview_table(pdf: FPDF, entries: Sequence[SessionEntry]) -> None:
    with table(
        pdf,
        font_size=8.3,
        col_widths=(6, 22, 40, 40, 22, 20, 24),
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=4.4,
        padding_mm=1.2,
    ) as t:
        t.row(("#", "Time", "Picture", "Pattern", "Confidence", "Pelvic tilt", "Lower-back curve"))
        for i, e in enumerate(entries, start=1):
            rec = e.record
            t.row(
                (
                    str(i),
                    f"{short_time(e.created)}\n{e.source}",
                    e.name or "–",
                    rec.assessment.title or "–",
                    confidence_text(rec),
                    format_measure(rec.pelvic_tilt, "°", decimals=0),
                    format_measure(rec.lumbar_lordosis, "°", decimals=0),
                )
            )


_METRICS_LINE_H = 4.2
_METRICS_PAD = 1.0


def _metrics_table_height(record: ResultRecord) -> float:
    n = len(metric_rows(record))
    return 0.0 if n == 0 else (n + 1) * (_METRICS_LINE_H + 2 * _METRICS_PAD) + 2


def _metrics_table(pdf: FPDF, record: ResultRecord, w: float) -> None:
    rows = metric_rows(record)
    if not rows:
        return
    with table(
        pdf,
        font_size=8,
        col_widths=(62, 20, 18),
        text_align=("LEFT", "RIGHT", "RIGHT"),
        line_height=_METRICS_LINE_H,
        padding_mm=_METRICS_PAD,
        width=w,
        align="LEFT",
    ) as t:
        t.row(("Measure", "Value", "± error"))
        for r in rows:
            t.row((r.label, r.value, r.plus_minus))


@dataclass(frozen=True)
class _EntryText:
    title: str
    confidence: str
    summary: str
    reasons: list[str]
    problems: list[str]
    notes: list[str]


def _entry_text(rec: ResultRecord) -> _EntryText:
    a = rec.assessment
    return _EntryText(
        title=a.title,
        confidence=confidence_text(rec),
        summary=a.summary,
        reasons=[reason_line(r) for r in a.reasons],
        problems=list(a.problems) if a.pattern == "inconclusive" else [],
        notes=[f"Note: {f.message} {f.hint}".strip() for f in rec.warnings],
    )


def _entry_text_height(pdf: FPDF, t: _EntryText, w: float) -> float:
    h = text_height(pdf, t.title, w, 6, 12.5, "B") + 1.5
    if t.confidence != "–":
        h += 4.8
    if t.summary:
        h += text_height(pdf, t.summary, w, 4.8, 9.5) + 1.5
    if t.reasons:
        h += 4.8 + bullets_height(pdf, t.reasons, w, 4.8, 9) + 1.5
    if t.problems:
        h += 4.8 + bullets_height(pdf, t.problems, w, 4.8, 9) + 1.5
    if t.notes:
        h += bullets_height(pdf, t.notes, w, 4.8, 8.5) + 1.5
    return h + 1


def _entry_section(pdf: FPDF, index: int, entry: SessionEntry) -> None:
    rec = entry.record
    pattern = entry.pattern
    accent = ACCENT.get(pattern, MUTED)
    text = _entry_text(rec)

    img_w = img_h = 0.0
    if entry.overlay_jpeg:
        img_w, img_h = image_size_mm(entry.overlay_jpeg, _IMAGE_BOX_W_MM, _IMAGE_BOX_H_MM)
    text_x = pdf.l_margin + (_IMAGE_BOX_W_MM + _GUTTER_MM if entry.overlay_jpeg else 0.0)
    text_w = pdf.w - pdf.r_margin - text_x
    body_h = max(img_h, _entry_text_height(pdf, text, text_w) + _metrics_table_height(rec))
    pdf.set_x(pdf.l_margin)
    if pdf.will_page_break(12 + body_h):
        pdf.add_page()

    # Title line with a rule in the pattern's colour under it.
    pdf.set_font(FAMILY, "B", 13)
    pdf.set_text_color(*INK)
    pdf.cell(0, 7, f"{index}. {entry.name or 'Result'}", new_x=XPos.LMARGIN, new_y=YPos.TOP)
    pdf.set_font(FAMILY, "", 8.5)
    pdf.set_text_color(*MUTED)
    source = "photo" if entry.source == "photo" else "live camera"
    pdf.cell(
        0,
        7,
        f"{source} · {date_text(entry.created)}",
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_draw_color(*accent)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.y, pdf.w - pdf.r_margin, pdf.y)
    pdf.set_line_width(0.2)
    gap(pdf, 4)

    top = pdf.y
    if entry.overlay_jpeg:
        pdf.image(
            io.BytesIO(entry.overlay_jpeg),
            x=pdf.l_margin + (_IMAGE_BOX_W_MM - img_w) / 2,
            y=top,
            w=img_w,
            h=img_h,
        )

    pdf.set_xy(text_x, top)
    pdf.set_font(FAMILY, "B", 12.5)
    pdf.set_text_color(*accent)
    pdf.multi_cell(text_w, 6, text.title, new_x=XPos.LEFT, new_y=YPos.NEXT)
    if text.confidence != "–":
        para(pdf, f"Confidence {text.confidence}", size=9, style="B", color=MUTED, w=text_w)
    gap(pdf, 1.5)
    if text.summary:
        para(pdf, text.summary, w=text_w)
        gap(pdf, 1.5)
    for title, items, size, color in (
        ("Why", text.reasons, 9.0, INK),
        ("What stopped the reading", text.problems, 9.0, INK),
        ("", text.notes, 8.5, MUTED),
    ):
        if not items:
            continue
        if title:
            para(pdf, title, size=9.5, style="B", w=text_w)
        bullets(pdf, items, size=size, w=text_w, color=color)
        gap(pdf, 1.5)
    gap(pdf, 1)
    _metrics_table(pdf, rec, text_w)

    pdf.set_xy(pdf.l_margin, max(pdf.y, top + img_h) + 9)


def _exercise_height(pdf: FPDF, ex: Exercise) -> float:
    w = pdf.epw
    return (
        6
        + text_height(pdf, ex.why, w, 4.4, 8.8, "I")
        + 0.8
        + bullets_height(pdf, ex.steps, w, 4.5, 9)
        + 0.5
        + 4.4
        + bullets_height(pdf, ex.cautions, w, 4.1, 8.3)
        + 3
    )


def _exercise_block(pdf: FPDF, ex: Exercise) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.set_font(FAMILY, "B", 10.5)
    pdf.set_text_color(*INK)
    pdf.cell(0, 6, ex.name, new_x=XPos.LMARGIN, new_y=YPos.TOP)
    pdf.set_font(FAMILY, "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 6, ex.dose, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    para(pdf, ex.why, size=8.8, style="I", color=MUTED, h=4.4)
    gap(pdf, 0.8)
    bullets(pdf, ex.steps, size=9, numbered=True, h=4.5)
    gap(pdf, 0.5)
    para(pdf, "Take care", size=8.5, style="B", h=4.4)
    bullets(pdf, ex.cautions, size=8.3, color=MUTED, h=4.1)
    gap(pdf, 3)


def _advice_height(pdf: FPDF, adv: Advice) -> float:
    return 5.2 + text_height(pdf, adv.text, pdf.epw, 4.5, 9) + 2.5


def _advice_block(pdf: FPDF, adv: Advice) -> None:
    pdf.set_x(pdf.l_margin)
    para(pdf, adv.title, size=10, style="B", h=5.2)
    para(pdf, adv.text, size=9, h=4.5)
    gap(pdf, 2.5)


def _unique_patterns(entries: Sequence[SessionEntry]) -> list[Pattern]:
    seen: list[Pattern] = []
    for e in entries:
        if e.pattern not in seen:
            seen.append(e.pattern)
    return seen


def _notes_section(pdf: FPDF, variants: Sequence[str]) -> None:
    heading(pdf, "What the numbers mean, and what they don't", size=14, space_before=0)
    para(
        pdf,
        "The angles are estimates from the outline of the body in a picture: a camera "
        "sees skin and clothes, not bones. They describe how you stood in that picture, on "
        "that day; posture changes with tiredness, shoes and mood, and a single picture "
        "says nothing about pain or its cause.",
        size=9.3,
    )
    gap(pdf, 2.5)

    t, lo = THRESHOLDS.pelvic_tilt, THRESHOLDS.lumbar_lordosis
    para(pdf, "Typical values on our scale", size=10, style="B")
    para(
        pdf,
        f"Pelvic tilt {t.neutral:.0f}° ± {t.population_sd:.0f}° and lower-back curve "
        f"{lo.neutral:.0f}° ± {lo.population_sd:.0f}° (mean ± one standard deviation). "
        f"Published norms for standing adults are {t.population_mean:.0f} ± "
        f"{t.population_sd:.0f}° (ASIS–PSIS angle) and {lo.population_mean:.0f} ± "
        f"{lo.population_sd:.0f}° (surface lordosis); measuring from a photo's outline "
        f"reads lower, so they are shifted by {minus(f'{t.offset_to_ours:+.0f}')}° and "
        f"{minus(f'{lo.offset_to_ours:+.0f}')}° to our scale. A pattern is called when the "
        f"two angles together lie more than {THRESHOLDS.pattern_z:.1f} standard deviations "
        "from typical.",
        size=9.3,
    )
    gap(pdf, 2.5)

    cal = load_calibration()
    default = str(cal.info.get("default_variant", "full"))
    para(pdf, "How accurate the estimates are", size=10, style="B")
    sentences = []
    for v in variants or [default]:
        tilt_model, lord_model = cal.for_variant(v)
        sentences.append(
            f"with the {v} pose model, the pelvic tilt estimate was off by "
            f"{tilt_model.mae:.1f}° on average (95 % of errors under "
            f"{tilt_model.p95_abs_error:.1f}°) and the lower-back curve by "
            f"{lord_model.mae:.1f}° (95 % under {lord_model.p95_abs_error:.1f}°)"
        )
    para(
        pdf,
        "Checked on synthetic side views whose true angles are known (images held out from "
        "fitting): " + "; ".join(sentences) + ". These averages are the ± shown with the two "
        "angles. Real photos, with clothes, hair and everyday light, are likely less "
        "accurate, so small differences between two photos may be noise.",
        size=9.3,
    )
    gap(pdf, 2.5)
    para(pdf, "What the research says", size=10, style="B")
    para(pdf, EVIDENCE_NOTE, size=9.3)
    gap(pdf, 2.5)
    para(pdf, "Not a diagnosis", size=10, style="B")
    para(pdf, DISCLAIMER, size=9.3)


# ----------------------------------------------------------------------------- history page


def build_pdf(
    session: Session, *, generated: datetime | None = None, history: Trend | None = None
) -> bytes:
    """The session report as PDF bytes.

    Args:
        session: the kept results (photo or live), oldest first.
        generated: the date printed on the report; now (local time) when None.
        history: the trend of the saved checks (:func:`posture_cam.history.trend.compute_trend`);
            adds a "Your history" page. None or a trend without checks: no such page.

    Raises:
        FontNotFoundError: DejaVu Sans could not be found (see :func:`find_fonts`).
    """
    when = generated or datetime.now().astimezone()
    fonts = find_fonts()
    pdf = ReportPDF(f"Generated {date_text(when)}")
    pdf.add_font(FAMILY, "", str(fonts.regular))
    pdf.add_font(FAMILY, "B", str(fonts.bold))
    pdf.add_font(FAMILY, "I", str(fonts.italic))
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font(FAMILY, "B", 22)
    pdf.set_text_color(*INK)
    pdf.cell(0, 11, "Posture check report", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(*MUTED)
    entries = list(session.entries)
    n = len(entries)
    pdf.cell(
        0,
        6,
        f"Generated {date_text(when)} · {n} result{'s' if n != 1 else ''}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.y + 2, pdf.w - pdf.r_margin, pdf.y + 2)
    gap(pdf, 6)
    para(
        pdf,
        "A side-view check of the pelvis and lower back, from photos or the live camera. "
        "Each result estimates pelvic tilt and the lower-back curve with their typical error "
        "(±), names the pattern they suggest, and is followed by exercises that match it. "
        + (
            "The next page compares your saved checks with your own baseline. "
            if history is not None and history.patterns
            else ""
        )
        + "The last page explains what the numbers mean and what they don't.",
        size=9.8,
    )
    gap(pdf, 3)

    if not entries:
        para(pdf, "No results were kept in this session.", style="I", color=MUTED)
    else:
        heading(pdf, "Overview", size=13)
        _overview_table(pdf, entries)
    gap(pdf, 6)
    heading(pdf, "How to read the numbers", size=13)
    bullets(pdf, MEANING_NOTES, size=9.3)
    if history is not None and history.patterns:
        pdf.add_page()
        history_section(pdf, history)
    for i, e in enumerate(entries, start=1):
        if i == 1:
            pdf.add_page()
        _entry_section(pdf, i, e)

    patterns = [p for p in _unique_patterns(entries) if exercises_for(p)]
    if patterns:
        pdf.add_page()
        heading(pdf, "Exercises", size=15, space_before=0)
        para(
            pdf,
            "Chosen for the pattern found. Go gently, stop anything that hurts, and "
            "build up over a few weeks.",
            size=9.3,
            color=MUTED,
        )
        shown: set[str] = set()
        for p in patterns:
            items = exercises_for(p)
            new = [ex for ex in items if ex.key not in shown]
            again = [ex.name for ex in items if ex.key in shown]
            first_h = _exercise_height(pdf, new[0]) if new else 10.0
            if pdf.will_page_break(14 + first_h):
                pdf.add_page()
            heading(pdf, f"For: {PATTERN_TITLES.get(p, p)}", size=12, space_before=4)
            if again:
                para(
                    pdf,
                    "Also: " + ", ".join(again) + " (described above).",
                    size=9,
                    style="I",
                    color=MUTED,
                )
                gap(pdf, 2)
            for ex in new:
                if pdf.will_page_break(_exercise_height(pdf, ex)):
                    pdf.add_page()
                _exercise_block(pdf, ex)
                shown.add(ex.key)

    advice: list[Advice] = []
    fallback: list[Pattern] = ["inconclusive"]
    for p in _unique_patterns(entries) or fallback:
        for adv in general_advice(p):
            if adv not in advice:
                advice.append(adv)
    pdf.set_x(pdf.l_margin)
    if pdf.will_page_break(14 + _advice_height(pdf, advice[0])):
        pdf.add_page()
    heading(pdf, "Everyday advice", size=14, space_before=4)
    for adv in advice:
        if pdf.will_page_break(_advice_height(pdf, adv)):
            pdf.add_page()
        _advice_block(pdf, adv)

    used: list[str] = []
    for e in entries:
        v = e.record.model_variant
        if v is not None and v not in used:
            used.append(v)
    pdf.add_page()
    _notes_section(pdf, used)
    return bytes(pdf.output())
