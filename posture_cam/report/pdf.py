"""The session report as a PDF (fpdf2): pure, bytes out, nothing written to disk.

Layout: a one-page summary first (:mod:`.pdf_summary`: the latest result with its two angles
± and the pattern, the other results, the top three exercises, the history's baseline and
latest change), then the detail: each kept result (the annotated picture, the pattern with
its confidence and reasons), one table of every measure of every result, the history with
its charts and last checks when there is one (:mod:`.pdf_history`), the top exercises for
each pattern found step by step, everyday advice, and a plain-language note on what the
numbers mean and what they do not. Three results with a history fit in six pages.

Page furniture (fonts, colours, text and tables) is in :mod:`.pdf_layout`.
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
from .pdf_guided import guided_section, self_check_section
from .pdf_history import HISTORY_TABLE_ROWS, history_section
from .pdf_layout import (
    ACCENT,
    FAMILY,
    INK,
    MUTED,
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
    table,
    text_height,
)
from .pdf_summary import summary_page
from .record import METRIC_LABELS, ResultRecord
from .session import Session, SessionEntry
from .wording import (
    MEANING_NOTES,
    confidence_text,
    format_measure,
    metric_label,
    minus,
    reason_line,
)

__all__ = [
    "DETAILED_EXERCISES",
    "HISTORY_TABLE_ROWS",
    "build_pdf",
    "find_fonts",
    "FontNotFoundError",
    "ReportFonts",
]

DETAILED_EXERCISES = 3
"""Exercises described step by step per pattern found (the app shows them all)."""

_IMAGE_BOX_W_MM = 34.0
_IMAGE_BOX_H_MM = 60.0
_GUTTER_MM = 6.0
_MEASURES_PER_TABLE = 4


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
    h = text_height(pdf, t.title, w, 5.5, 11.5, "B") + 1.5
    if t.confidence != "–":
        h += 4.4
    h += 4.4  # the two angles
    if t.summary:
        h += text_height(pdf, t.summary, w, 4.3, 8.8) + 1.2
    for items, size in ((t.reasons, 8.3), (t.problems, 8.5), (t.notes, 8)):
        if items:
            h += bullets_height(pdf, items, w, 4.1, size) + 1.2
    return h + 1


def _entry_section(pdf: FPDF, index: int, entry: SessionEntry) -> None:
    rec = entry.record
    accent = ACCENT.get(entry.pattern, MUTED)
    text = _entry_text(rec)

    img_w = img_h = 0.0
    if entry.overlay_jpeg:
        img_w, img_h = image_size_mm(entry.overlay_jpeg, _IMAGE_BOX_W_MM, _IMAGE_BOX_H_MM)
    text_x = pdf.l_margin + (_IMAGE_BOX_W_MM + _GUTTER_MM if entry.overlay_jpeg else 0.0)
    text_w = pdf.w - pdf.r_margin - text_x
    body_h = max(img_h, _entry_text_height(pdf, text, text_w))
    pdf.set_x(pdf.l_margin)
    if pdf.will_page_break(11 + body_h):
        pdf.add_page()

    # Title line with a rule in the pattern's colour under it.
    pdf.set_font(FAMILY, "B", 11.5)
    pdf.set_text_color(*INK)
    pdf.cell(0, 6, f"{index}. {entry.name or 'Result'}", new_x=XPos.LMARGIN, new_y=YPos.TOP)
    pdf.set_font(FAMILY, "", 8.3)
    pdf.set_text_color(*MUTED)
    source = "photo" if entry.source == "photo" else "live camera"
    pdf.cell(
        0,
        6,
        f"{source} · {date_text(entry.created)}",
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_draw_color(*accent)
    pdf.set_line_width(0.5)
    pdf.line(pdf.l_margin, pdf.y, pdf.w - pdf.r_margin, pdf.y)
    pdf.set_line_width(0.2)
    gap(pdf, 3)

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
    pdf.set_font(FAMILY, "B", 11.5)
    pdf.set_text_color(*accent)
    pdf.multi_cell(text_w, 5.5, text.title, new_x=XPos.LEFT, new_y=YPos.NEXT)
    gap(pdf, 1.5)
    if text.confidence != "–":
        para(
            pdf, f"Confidence {text.confidence}", size=8.8, style="B", color=MUTED, w=text_w, h=4.4
        )
    if rec.metrics is not None:
        para(
            pdf,
            f"Pelvic tilt {format_measure(rec.pelvic_tilt, '°', decimals=0)} · lower-back "
            f"curve {format_measure(rec.lumbar_lordosis, '°', decimals=0)}",
            size=8.8,
            w=text_w,
            h=4.4,
        )
    gap(pdf, 1.2)
    if text.summary:
        para(pdf, text.summary, size=8.8, w=text_w, h=4.3)
        gap(pdf, 1.2)
    for title, items, size, color in (
        ("", text.reasons, 8.3, MUTED),
        ("What stopped the reading", text.problems, 8.5, INK),
        ("", text.notes, 8.0, MUTED),
    ):
        if not items:
            continue
        if title:
            para(pdf, title, size=8.8, style="B", w=text_w, h=4.4)
        bullets(pdf, items, size=size, w=text_w, color=color, h=4.1)
        gap(pdf, 1.2)

    pdf.set_xy(pdf.l_margin, max(pdf.y, top + img_h) + 4)


def _measures_tables(pdf: FPDF, entries: Sequence[SessionEntry]) -> None:
    """Every measure of every measured result, side by side (a few results per table)."""
    measured = [(i, e) for i, e in enumerate(entries, start=1) if e.record.metrics is not None]
    if not measured:
        return
    for start in range(0, len(measured), _MEASURES_PER_TABLE):
        chunk = measured[start : start + _MEASURES_PER_TABLE]
        rows = len(METRIC_LABELS) + 1
        if pdf.will_page_break(10 + rows * 5.2):
            pdf.add_page()
        if start == 0:
            heading(pdf, "Every measure", size=12, space_before=2)
            para(
                pdf,
                "Each value ± its typical error. Angles in degrees; the plumb-line offsets in "
                "% of body height (+ = ahead of the ankle).",
                size=8.3,
                color=MUTED,
                h=4.1,
            )
            gap(pdf, 1.5)
        label_w = 62.0
        col_w = (pdf.epw - label_w) / len(chunk)
        with table(
            pdf,
            font_size=7.8,
            col_widths=(label_w, *([col_w] * len(chunk))),
            text_align=("LEFT", *(["RIGHT"] * len(chunk))),
            line_height=3.6,
            padding_mm=0.8,
            width=label_w + col_w * len(chunk),
            align="LEFT",
        ) as t:
            t.row(("Measure", *(f"{i}. {e.name}"[:28] for i, e in chunk)))
            for name, (_label, unit) in METRIC_LABELS.items():
                cells = []
                for _, e in chunk:
                    metrics = e.record.metrics
                    assert metrics is not None
                    cells.append(format_measure(metrics.measure(name), unit))
                t.row((metric_label(name), *cells))
        gap(pdf, 3)


def _cautions_text(ex: Exercise) -> str:
    return "Take care: " + " ".join(c if c.endswith(".") else c + "." for c in ex.cautions)


def _exercise_height(pdf: FPDF, ex: Exercise) -> float:
    w = pdf.epw
    return (
        5.5
        + text_height(pdf, ex.why, w, 4.0, 8.3, "I")
        + 0.5
        + bullets_height(pdf, ex.steps, w, 4.0, 8.5)
        + 0.5
        + text_height(pdf, _cautions_text(ex), w, 3.8, 7.8)
        + 2.5
    )


def _exercise_block(pdf: FPDF, ex: Exercise) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.set_font(FAMILY, "B", 10)
    pdf.set_text_color(*INK)
    pdf.cell(0, 5.5, ex.name, new_x=XPos.LMARGIN, new_y=YPos.TOP)
    pdf.set_font(FAMILY, "", 8.3)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 5.5, ex.dose, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    para(pdf, ex.why, size=8.3, style="I", color=MUTED, h=4.0)
    gap(pdf, 0.5)
    bullets(pdf, ex.steps, size=8.5, numbered=True, h=4.0)
    gap(pdf, 0.5)
    para(pdf, _cautions_text(ex), size=7.8, color=MUTED, h=3.8)
    gap(pdf, 2.5)


def _exercises_section(pdf: FPDF, patterns: Sequence[Pattern]) -> None:
    shown: set[str] = set()
    for k, p in enumerate(patterns):
        items = exercises_for(p)
        top = items[:DETAILED_EXERCISES]
        new = [ex for ex in top if ex.key not in shown]
        again = [ex.name for ex in top if ex.key in shown]
        more = [ex.name for ex in items[DETAILED_EXERCISES:]]
        # A heading stays with the first exercise under it.
        first_h = (_exercise_height(pdf, new[0]) if new else 10.0) + (24 if k == 0 else 14)
        if pdf.will_page_break(first_h):
            pdf.add_page()
        if k == 0:
            heading(pdf, "Exercises, step by step", size=14, space_before=4)
            para(
                pdf,
                "The top exercises for each pattern found. Go gently, stop anything that "
                "hurts, and build up over a few weeks.",
                size=8.8,
                color=MUTED,
            )
        heading(pdf, f"For: {PATTERN_TITLES.get(p, p)}", size=11.5, space_before=3)
        notes = []
        if again:
            notes.append("Also: " + ", ".join(again) + " (described above).")
        if more:
            notes.append("More in the app: " + ", ".join(more) + ".")
        if notes:
            para(pdf, " ".join(notes), size=8.5, style="I", color=MUTED, h=4.2)
            gap(pdf, 1.5)
        for ex in new:
            if pdf.will_page_break(_exercise_height(pdf, ex)):
                pdf.add_page()
            _exercise_block(pdf, ex)
            shown.add(ex.key)


def _advice_text(adv: Advice) -> str:
    return f"**{adv.title}.** {adv.text}"


def _advice_height(pdf: FPDF, adv: Advice) -> float:
    return text_height(pdf, _advice_text(adv).replace("**", ""), pdf.epw, 4.1, 8.5) + 1.8


def _advice_section(pdf: FPDF, patterns: Sequence[Pattern]) -> None:
    advice: list[Advice] = []
    for p in patterns or ["inconclusive"]:
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
        pdf.set_x(pdf.l_margin)
        pdf.set_font(FAMILY, "", 8.5)
        pdf.set_text_color(*INK)
        pdf.multi_cell(
            0, 4.1, _advice_text(adv), markdown=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        gap(pdf, 1.8)


def _unique_patterns(entries: Sequence[SessionEntry]) -> list[Pattern]:
    seen: list[Pattern] = []
    for e in entries:
        if e.pattern not in seen:
            seen.append(e.pattern)
    return seen


def _notes_section(pdf: FPDF, variants: Sequence[str]) -> None:
    if pdf.will_page_break(90):
        pdf.add_page()
    heading(pdf, "What the numbers mean, and what they don't", size=14, space_before=4)
    estimate = (
        "The angles are estimates from the outline of the body in a picture: a camera "
        "sees skin and clothes, not bones. They describe how you stood in that picture, on "
        "that day; posture changes with tiredness, shoes and mood, and a single picture "
        "says nothing about pain or its cause."
    )
    bullets(pdf, [estimate, *MEANING_NOTES], size=8.5, h=4.1)
    gap(pdf, 2)

    t, lo = THRESHOLDS.pelvic_tilt, THRESHOLDS.lumbar_lordosis
    para(pdf, "Typical values on our scale", size=9.5, style="B")
    para(
        pdf,
        f"Pelvic tilt {t.neutral:.0f}° ± {t.population_sd:.0f}° and lower-back curve "
        f"{lo.neutral:.0f}° ± {lo.population_sd:.0f}° (mean ± one standard deviation). "
        f"Published norms are {t.population_mean:.0f} ± {t.population_sd:.0f}° for the "
        f"ASIS–PSIS angle (Preece et al. 2008) and {lo.population_mean:.0f} ± "
        f"{lo.population_sd:.0f}° for the lumbar curve measured on the skin (Rajabi et al., "
        "Asian Spine Journal); measuring from a photo's outline reads lower, so they are "
        f"shifted by {minus(f'{t.offset_to_ours:+.0f}')}° and "
        f"{minus(f'{lo.offset_to_ours:+.0f}')}° to our scale. A pattern is called when the "
        f"two angles together lie more than {THRESHOLDS.pattern_z:.1f} standard deviations "
        "from typical.",
        size=8.5,
        h=4.1,
    )
    gap(pdf, 2)

    cal = load_calibration()
    default = str(cal.info.get("default_variant", "full"))
    para(pdf, "How accurate the estimates are", size=9.5, style="B")
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
        "Checked on synthetic side views whose true angles are known (images not used to set "
        "the method up): " + "; ".join(sentences) + ". These averages are the ± shown with "
        "the two angles. Real photos, with clothes, hair and everyday light, are likely less "
        "accurate, so small differences between two photos may be noise.",
        size=8.5,
        h=4.1,
    )
    gap(pdf, 2)
    para(pdf, "What the research says", size=9.5, style="B")
    para(pdf, EVIDENCE_NOTE, size=8.5, h=4.1)
    gap(pdf, 2)
    para(pdf, "Not a diagnosis", size=9.5, style="B")
    para(pdf, DISCLAIMER, size=8.5, h=4.1)


def build_pdf(
    session: Session, *, generated: datetime | None = None, history: Trend | None = None
) -> bytes:
    """The session report as PDF bytes: a one-page summary, then the detail.

    Args:
        session: the kept results (photo or live), oldest first.
        generated: the date printed on the report; now (local time) when None.
        history: the trend of the saved checks (:func:`posture_cam.history.trend.compute_trend`),
            with the baseline the person chose; adds the history to the summary and a
            "Your history" part to the detail. None or a trend without checks: no history.

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
    entries = list(session.entries)
    has_history = history is not None and bool(history.patterns)
    summary_page(
        pdf,
        entries,
        history if has_history else None,
        f"Generated {date_text(when)}",
        session.guided,
    )

    pdf.add_page()
    if entries:
        heading(pdf, "Posture check report: the detail", size=15, space_before=0)
        for i, e in enumerate(entries, start=1):
            _entry_section(pdf, i, e)
        _measures_tables(pdf, entries)
    # The person's own notes beside the camera's results, then the guided checks.
    if session.checklist is not None:
        self_check_section(pdf, session.checklist)
    guided_section(pdf, session.guided)
    if history is not None and has_history:
        if pdf.will_page_break(120):
            pdf.add_page()
        history_section(pdf, history)

    patterns = [p for p in _unique_patterns(entries) if exercises_for(p)]
    if patterns:
        _exercises_section(pdf, patterns)
    _advice_section(pdf, _unique_patterns(entries))

    used: list[str] = []
    for e in entries:
        v = e.record.model_variant
        if v is not None and v not in used:
            used.append(v)
    _notes_section(pdf, used)
    return bytes(pdf.output())
