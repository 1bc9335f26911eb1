"""The session report as a PDF (fpdf2): pure, bytes out, nothing written to disk.

Layout: a title page with the date and an overview table; one section per kept result (the
annotated picture, the pattern with its confidence and reasons, and every measure with its
±); the exercises and everyday advice for the patterns found; and a plain-language note on
what the numbers mean and what they do not.

Font: DejaVu Sans, so that "±", "°", "–" and curly quotes render. It is taken from the copy
matplotlib ships (matplotlib is a declared dependency of mediapipe, which posture_cam pins),
found by path without importing matplotlib; Debian's ``fonts-dejavu-core`` is the fallback.
No font file is added to this repository.
"""

from __future__ import annotations

import importlib.util
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

from .calibration import load_calibration
from .classify import PATTERN_TITLES, THRESHOLDS
from .exercises import (
    DISCLAIMER,
    EVIDENCE_NOTE,
    Advice,
    Exercise,
    exercises_for,
    general_advice,
)
from .presentation import (
    MEANING_NOTES,
    confidence_text,
    format_measure,
    metric_rows,
    minus,
    reason_line,
)
from .session import Session, SessionEntry

__all__ = ["build_pdf", "find_fonts", "FontNotFoundError", "ReportFonts"]

_FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
}
_SYSTEM_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)

# RGB colours
_INK = (33, 37, 41)
_MUTED = (108, 117, 125)
_RULE = (222, 226, 230)
_HEAD_FILL = (233, 236, 239)
_ZEBRA = (248, 249, 250)
_ACCENT = {
    "increased": (214, 106, 18),
    "flattened": (31, 111, 178),
    "neutral": (34, 139, 84),
    "inconclusive": (108, 117, 125),
}

_FAMILY = "DejaVu"
_IMAGE_BOX_W_MM = 70.0
_IMAGE_BOX_H_MM = 125.0
_GUTTER_MM = 7.0


class FontNotFoundError(RuntimeError):
    """No Unicode TTF font (DejaVu Sans) was found for the PDF."""


@dataclass(frozen=True)
class ReportFonts:
    """Paths of the regular, bold and italic DejaVu Sans files."""

    regular: Path
    bold: Path
    italic: Path


def _font_dirs() -> list[Path]:
    dirs: list[Path] = []
    spec = importlib.util.find_spec("matplotlib")  # finds the package; does not import it
    if spec is not None and spec.submodule_search_locations:
        for root in spec.submodule_search_locations:
            dirs.append(Path(root) / "mpl-data" / "fonts" / "ttf")
    dirs.extend(_SYSTEM_FONT_DIRS)
    return dirs


def find_fonts(extra_dirs: Sequence[str | os.PathLike[str]] = ()) -> ReportFonts:
    """Locate DejaVu Sans (regular, bold, oblique).

    Looks in ``extra_dirs``, then matplotlib's bundled fonts, then the usual system folders.

    Raises:
        FontNotFoundError: none of the folders holds all three files; says where it looked.
    """
    tried = [Path(d) for d in extra_dirs] + _font_dirs()
    for folder in tried:
        paths = {style: folder / name for style, name in _FONT_FILES.items()}
        if all(p.is_file() for p in paths.values()):
            return ReportFonts(regular=paths[""], bold=paths["B"], italic=paths["I"])
    raise FontNotFoundError(
        "DejaVu Sans was not found for the PDF report (looked in "
        + ", ".join(str(t) for t in tried)
        + "). Install matplotlib (it ships the font) or the fonts-dejavu-core package."
    )


class _ReportPDF(FPDF):
    """A4 portrait with a running header (after page 1) and a footer with page numbers."""

    def __init__(self, generated_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.generated_text = generated_text
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_creator("posture_cam")
        self.set_title("Posture check report")
        self.set_subject("Side-view posture check: pelvic tilt and lower-back curve")

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_x(self.l_margin)
        self.set_font(_FAMILY, "", 8)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, "Posture check report", new_x=XPos.LMARGIN, new_y=YPos.TOP)
        self.cell(0, 5, self.generated_text, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*_RULE)
        self.line(self.l_margin, self.y + 1, self.w - self.r_margin, self.y + 1)
        self.ln(6)
        self.set_text_color(*_INK)

    def footer(self) -> None:
        self.set_xy(self.l_margin, -12)
        self.set_font(_FAMILY, "", 7.5)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, "Wellness information, not a diagnosis. Made with posture_cam, "
                  "on this computer.", new_x=XPos.LMARGIN, new_y=YPos.TOP)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def _local(dt: datetime) -> datetime:
    return dt.astimezone() if dt.tzinfo is not None else dt


def _date_text(dt: datetime) -> str:
    return _local(dt).strftime("%d %B %Y, %H:%M").lstrip("0")


def _short_time(dt: datetime) -> str:
    return _local(dt).strftime("%d %b %Y %H:%M").lstrip("0")


def _gap(pdf: FPDF, mm: float) -> None:
    """Move down ``mm`` keeping the current x (``ln`` would return to the margin)."""
    pdf.set_xy(pdf.get_x(), pdf.get_y() + mm)


def _text_height(pdf: FPDF, text: str, w: float, h: float, size: float, style: str = ""
                 ) -> float:
    """Height of ``text`` wrapped in ``w`` mm, estimated from its width (cheap, a little
    generous): fpdf2's exact dry run costs as much as drawing."""
    pdf.set_font(_FAMILY, style, size)
    usable = max(w - 2 * pdf.c_margin, 1.0)
    lines = math.ceil(pdf.get_string_width(text) * 1.08 / usable) if text else 0
    return max(lines, 1) * h


def _heading(pdf: FPDF, text: str, size: float = 15, space_before: float = 2) -> None:
    pdf.set_x(pdf.l_margin)
    _gap(pdf, space_before)
    pdf.set_font(_FAMILY, "B", size)
    pdf.set_text_color(*_INK)
    pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _gap(pdf, 1.5)


def _para(pdf: FPDF, text: str, *, size: float = 9.5, style: str = "",
          color: tuple[int, int, int] = _INK, w: float = 0, h: float = 4.8) -> None:
    pdf.set_font(_FAMILY, style, size)
    pdf.set_text_color(*color)
    pdf.multi_cell(w, h, text, new_x=XPos.LEFT, new_y=YPos.NEXT, align="L")
    pdf.set_text_color(*_INK)


def _bullets(pdf: FPDF, items: Iterable[str], *, size: float = 9.5, w: float = 0,
             numbered: bool = False, color: tuple[int, int, int] = _INK, h: float = 4.8
             ) -> None:
    x0 = pdf.get_x()
    width = (w or (pdf.w - pdf.r_margin - x0)) - 6
    pdf.set_font(_FAMILY, "", size)
    pdf.set_text_color(*color)
    for i, item in enumerate(items, start=1):
        marker = f"{i}." if numbered else "•"
        y = pdf.get_y()
        pdf.set_xy(x0, y)
        pdf.cell(6, h, marker)
        pdf.set_xy(x0 + 6, y)
        pdf.multi_cell(width, h, item, new_x=XPos.LEFT, new_y=YPos.NEXT, align="L")
        pdf.set_x(x0)
    pdf.set_text_color(*_INK)


def _bullets_height(pdf: FPDF, items: Iterable[str], w: float, h: float, size: float
                    ) -> float:
    return sum(_text_height(pdf, item, w - 6, h, size) for item in items)


def _image_size_mm(jpeg: bytes, box_w: float, box_h: float) -> tuple[float, float]:
    with Image.open(io.BytesIO(jpeg)) as im:
        w_px, h_px = im.size
    scale = min(box_w / w_px, box_h / h_px)
    return w_px * scale, h_px * scale


_TABLE_STYLE: dict[str, Any] = {
    "borders_layout": "HORIZONTAL_LINES",
    "cell_fill_color": _ZEBRA,
    "cell_fill_mode": "ROWS",
}


def _overview_table(pdf: FPDF, entries: Sequence[SessionEntry]) -> None:
    pdf.set_font(_FAMILY, "", 8.3)
    pdf.set_draw_color(*_RULE)
    with pdf.table(
        col_widths=(6, 22, 40, 40, 22, 20, 24),
        headings_style=FontFace(emphasis="BOLD", fill_color=_HEAD_FILL),
        line_height=4.4,
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        padding=(1.2, 1.5, 1.2, 1.5),
        **_TABLE_STYLE,
    ) as table:
        table.row(("#", "Time", "Picture", "Pattern", "Confidence", "Pelvic tilt",
                   "Lower-back curve"))
        for i, e in enumerate(entries, start=1):
            rec = e.record
            a = rec.get("assessment") or {}
            m = rec.get("metrics") or {}
            table.row((
                str(i),
                f"{_short_time(e.created)}\n{e.source}",
                e.name or "–",
                str(a.get("title", "–")),
                confidence_text(rec),
                format_measure(m.get("pelvic_tilt_deg"), "°", decimals=0),
                format_measure(m.get("lumbar_lordosis_deg"), "°", decimals=0),
            ))


_METRICS_LINE_H = 4.2
_METRICS_PAD = 1.0


def _metrics_table_height(record: Mapping[str, Any]) -> float:
    n = len(metric_rows(record))
    return 0.0 if n == 0 else (n + 1) * (_METRICS_LINE_H + 2 * _METRICS_PAD) + 2


def _metrics_table(pdf: FPDF, record: Mapping[str, Any], w: float) -> None:
    rows = metric_rows(record)
    if not rows:
        return
    pdf.set_font(_FAMILY, "", 8)
    pdf.set_draw_color(*_RULE)
    with pdf.table(
        width=w,
        align="LEFT",
        col_widths=(62, 20, 18),
        headings_style=FontFace(emphasis="BOLD", fill_color=_HEAD_FILL),
        line_height=_METRICS_LINE_H,
        text_align=("LEFT", "RIGHT", "RIGHT"),
        padding=(_METRICS_PAD, 1.5, _METRICS_PAD, 1.5),
        **_TABLE_STYLE,
    ) as table:
        table.row(("Measure", "Value", "± error"))
        for r in rows:
            table.row((r.label, r.value, r.plus_minus))


@dataclass(frozen=True)
class _EntryText:
    title: str
    confidence: str
    summary: str
    reasons: list[str]
    problems: list[str]
    notes: list[str]


def _entry_text(rec: Mapping[str, Any]) -> _EntryText:
    a = rec.get("assessment") or {}
    pattern = str(a.get("pattern", "inconclusive"))
    return _EntryText(
        title=str(a.get("title", "")),
        confidence=confidence_text(rec),
        summary=str(a.get("summary", "")),
        reasons=[reason_line(r) for r in a.get("reasons") or []],
        problems=[str(p) for p in a.get("problems") or []] if pattern == "inconclusive" else [],
        notes=[f"Note: {f.get('message', '')} {f.get('hint', '')}".strip()
               for f in rec.get("findings") or [] if f.get("severity") == "warn"],
    )


def _entry_text_height(pdf: FPDF, t: _EntryText, w: float) -> float:
    h = _text_height(pdf, t.title, w, 6, 12.5, "B") + 1.5
    if t.confidence != "–":
        h += 4.8
    if t.summary:
        h += _text_height(pdf, t.summary, w, 4.8, 9.5) + 1.5
    if t.reasons:
        h += 4.8 + _bullets_height(pdf, t.reasons, w, 4.8, 9) + 1.5
    if t.problems:
        h += 4.8 + _bullets_height(pdf, t.problems, w, 4.8, 9) + 1.5
    if t.notes:
        h += _bullets_height(pdf, t.notes, w, 4.8, 8.5) + 1.5
    return h + 1


def _entry_section(pdf: FPDF, index: int, entry: SessionEntry) -> None:
    rec = entry.record
    pattern = entry.pattern
    accent = _ACCENT.get(pattern, _MUTED)
    text = _entry_text(rec)

    img_w = img_h = 0.0
    if entry.overlay_jpeg:
        img_w, img_h = _image_size_mm(entry.overlay_jpeg, _IMAGE_BOX_W_MM, _IMAGE_BOX_H_MM)
    text_x = pdf.l_margin + (_IMAGE_BOX_W_MM + _GUTTER_MM if entry.overlay_jpeg else 0.0)
    text_w = pdf.w - pdf.r_margin - text_x
    body_h = max(img_h, _entry_text_height(pdf, text, text_w) + _metrics_table_height(rec))
    pdf.set_x(pdf.l_margin)
    if pdf.will_page_break(12 + body_h):
        pdf.add_page()

    # Title line with a rule in the pattern's colour under it.
    pdf.set_font(_FAMILY, "B", 13)
    pdf.set_text_color(*_INK)
    pdf.cell(0, 7, f"{index}. {entry.name or 'Result'}", new_x=XPos.LMARGIN, new_y=YPos.TOP)
    pdf.set_font(_FAMILY, "", 8.5)
    pdf.set_text_color(*_MUTED)
    source = "photo" if entry.source == "photo" else "live camera"
    pdf.cell(0, 7, f"{source} · {_date_text(entry.created)}", align="R",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*accent)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.y, pdf.w - pdf.r_margin, pdf.y)
    pdf.set_line_width(0.2)
    _gap(pdf, 4)

    top = pdf.y
    if entry.overlay_jpeg:
        pdf.image(io.BytesIO(entry.overlay_jpeg), x=pdf.l_margin + (_IMAGE_BOX_W_MM - img_w) / 2,
                  y=top, w=img_w, h=img_h)

    pdf.set_xy(text_x, top)
    pdf.set_font(_FAMILY, "B", 12.5)
    pdf.set_text_color(*accent)
    pdf.multi_cell(text_w, 6, text.title, new_x=XPos.LEFT, new_y=YPos.NEXT)
    if text.confidence != "–":
        _para(pdf, f"Confidence {text.confidence}", size=9, style="B", color=_MUTED, w=text_w)
    _gap(pdf, 1.5)
    if text.summary:
        _para(pdf, text.summary, w=text_w)
        _gap(pdf, 1.5)
    for heading, items, size, color in (
        ("Why", text.reasons, 9.0, _INK),
        ("What stopped the reading", text.problems, 9.0, _INK),
        ("", text.notes, 8.5, _MUTED),
    ):
        if not items:
            continue
        if heading:
            _para(pdf, heading, size=9.5, style="B", w=text_w)
        _bullets(pdf, items, size=size, w=text_w, color=color)
        _gap(pdf, 1.5)
    _gap(pdf, 1)
    _metrics_table(pdf, rec, text_w)

    pdf.set_xy(pdf.l_margin, max(pdf.y, top + img_h) + 9)


def _exercise_height(pdf: FPDF, ex: Exercise) -> float:
    w = pdf.epw
    return (6 + _text_height(pdf, ex.why, w, 4.4, 8.8, "I") + 0.8
            + _bullets_height(pdf, ex.steps, w, 4.5, 9) + 0.5 + 4.4
            + _bullets_height(pdf, ex.cautions, w, 4.1, 8.3) + 3)


def _exercise_block(pdf: FPDF, ex: Exercise) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.set_font(_FAMILY, "B", 10.5)
    pdf.set_text_color(*_INK)
    pdf.cell(0, 6, ex.name, new_x=XPos.LMARGIN, new_y=YPos.TOP)
    pdf.set_font(_FAMILY, "", 8.5)
    pdf.set_text_color(*_MUTED)
    pdf.cell(0, 6, ex.dose, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _para(pdf, ex.why, size=8.8, style="I", color=_MUTED, h=4.4)
    _gap(pdf, 0.8)
    _bullets(pdf, ex.steps, size=9, numbered=True, h=4.5)
    _gap(pdf, 0.5)
    _para(pdf, "Take care", size=8.5, style="B", h=4.4)
    _bullets(pdf, ex.cautions, size=8.3, color=_MUTED, h=4.1)
    _gap(pdf, 3)


def _advice_height(pdf: FPDF, adv: Advice) -> float:
    return 5.2 + _text_height(pdf, adv.text, pdf.epw, 4.5, 9) + 2.5


def _advice_block(pdf: FPDF, adv: Advice) -> None:
    pdf.set_x(pdf.l_margin)
    _para(pdf, adv.title, size=10, style="B", h=5.2)
    _para(pdf, adv.text, size=9, h=4.5)
    _gap(pdf, 2.5)


def _unique_patterns(entries: Sequence[SessionEntry]) -> list[str]:
    seen: list[str] = []
    for e in entries:
        if e.pattern not in seen:
            seen.append(e.pattern)
    return seen


def _notes_section(pdf: FPDF, variants: Sequence[str]) -> None:
    _heading(pdf, "What the numbers mean, and what they don't", size=14, space_before=0)
    _para(pdf, "The angles are estimates from the outline of the body in a picture: a camera "
          "sees skin and clothes, not bones. They describe how you stood in that picture, on "
          "that day; posture changes with tiredness, shoes and mood, and a single picture "
          "says nothing about pain or its cause.", size=9.3)
    _gap(pdf, 2.5)

    t, lo = THRESHOLDS.pelvic_tilt, THRESHOLDS.lumbar_lordosis
    _para(pdf, "Typical values on our scale", size=10, style="B")
    _para(
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
    _gap(pdf, 2.5)

    cal = load_calibration()
    default = str(cal.info.get("default_variant", "full"))
    _para(pdf, "How accurate the estimates are", size=10, style="B")
    sentences = []
    for v in variants or [default]:
        tilt_model, lord_model = cal.for_variant(v)
        sentences.append(
            f"with the {v} pose model, the pelvic tilt estimate was off by "
            f"{tilt_model.mae:.1f}° on average (95 % of errors under "
            f"{tilt_model.p95_abs_error:.1f}°) and the lower-back curve by "
            f"{lord_model.mae:.1f}° (95 % under {lord_model.p95_abs_error:.1f}°)"
        )
    _para(
        pdf,
        "Checked on synthetic side views whose true angles are known (images held out from "
        "fitting): " + "; ".join(sentences) + ". These averages are the ± shown with the two "
        "angles. Real photos, with clothes, hair and everyday light, are likely less "
        "accurate, so small differences between two photos may be noise.",
        size=9.3,
    )
    _gap(pdf, 2.5)
    _para(pdf, "What the research says", size=10, style="B")
    _para(pdf, EVIDENCE_NOTE, size=9.3)
    _gap(pdf, 2.5)
    _para(pdf, "Not a diagnosis", size=10, style="B")
    _para(pdf, DISCLAIMER, size=9.3)


def build_pdf(session: Session, *, generated: datetime | None = None) -> bytes:
    """The session report as PDF bytes.

    Args:
        session: the kept results (photo or live), oldest first.
        generated: the date printed on the report; now (local time) when None.

    Raises:
        FontNotFoundError: DejaVu Sans could not be found (see :func:`find_fonts`).
    """
    when = generated or datetime.now().astimezone()
    fonts = find_fonts()
    pdf = _ReportPDF(f"Generated {_date_text(when)}")
    pdf.add_font(_FAMILY, "", str(fonts.regular))
    pdf.add_font(_FAMILY, "B", str(fonts.bold))
    pdf.add_font(_FAMILY, "I", str(fonts.italic))
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font(_FAMILY, "B", 22)
    pdf.set_text_color(*_INK)
    pdf.cell(0, 11, "Posture check report", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FAMILY, "", 10)
    pdf.set_text_color(*_MUTED)
    entries = list(session.entries)
    n = len(entries)
    pdf.cell(0, 6, f"Generated {_date_text(when)} · {n} result{'s' if n != 1 else ''}",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*_RULE)
    pdf.line(pdf.l_margin, pdf.y + 2, pdf.w - pdf.r_margin, pdf.y + 2)
    _gap(pdf, 6)
    _para(
        pdf,
        "A side-view check of the pelvis and lower back, from photos or the live camera. "
        "Each result estimates pelvic tilt and the lower-back curve with their typical error "
        "(±), names the pattern they suggest, and is followed by exercises that match it. "
        "The last page explains what the numbers mean and what they don't.",
        size=9.8,
    )
    _gap(pdf, 3)

    if not entries:
        _para(pdf, "No results were kept in this session.", style="I", color=_MUTED)
    else:
        _heading(pdf, "Overview", size=13)
        _overview_table(pdf, entries)
    _gap(pdf, 6)
    _heading(pdf, "How to read the numbers", size=13)
    _bullets(pdf, MEANING_NOTES, size=9.3)
    for i, e in enumerate(entries, start=1):
        if i == 1:
            pdf.add_page()
        _entry_section(pdf, i, e)

    patterns = [p for p in _unique_patterns(entries) if exercises_for(cast(Any, p))]
    if patterns:
        pdf.add_page()
        _heading(pdf, "Exercises", size=15, space_before=0)
        _para(pdf, "Chosen for the pattern found. Go gently, stop anything that hurts, and "
              "build up over a few weeks.", size=9.3, color=_MUTED)
        shown: set[str] = set()
        for p in patterns:
            items = exercises_for(cast(Any, p))
            new = [ex for ex in items if ex.key not in shown]
            again = [ex.name for ex in items if ex.key in shown]
            first_h = _exercise_height(pdf, new[0]) if new else 10.0
            if pdf.will_page_break(14 + first_h):
                pdf.add_page()
            _heading(pdf, f"For: {PATTERN_TITLES.get(p, p)}", size=12, space_before=4)
            if again:
                _para(pdf, "Also: " + ", ".join(again) + " (described above).", size=9,
                      style="I", color=_MUTED)
                _gap(pdf, 2)
            for ex in new:
                if pdf.will_page_break(_exercise_height(pdf, ex)):
                    pdf.add_page()
                _exercise_block(pdf, ex)
                shown.add(ex.key)

    advice: list[Advice] = []
    for p in _unique_patterns(entries) or ["inconclusive"]:
        for adv in general_advice(cast(Any, p)):
            if adv not in advice:
                advice.append(adv)
    pdf.set_x(pdf.l_margin)
    if pdf.will_page_break(14 + _advice_height(pdf, advice[0])):
        pdf.add_page()
    _heading(pdf, "Everyday advice", size=14, space_before=4)
    for adv in advice:
        if pdf.will_page_break(_advice_height(pdf, adv)):
            pdf.add_page()
        _advice_block(pdf, adv)

    used = []
    for e in entries:
        v = e.record.get("model_variant")
        if isinstance(v, str) and v not in used:
            used.append(v)
    pdf.add_page()
    _notes_section(pdf, used)
    return bytes(pdf.output())
