"""The session report as a PDF (fpdf2): pure, bytes out, nothing written to disk.

Layout: a title page with the date and an overview table; when a history is given, a
"Your history" page (how many checks, the baseline, the latest check's change against it
with the verdict "real change" / "within noise" and the smallest detectable change used,
and a table of the last checks); one section per kept result (the annotated picture, the
pattern with its confidence and reasons, and every measure with its ±); the exercises and
everyday advice for the patterns found; and a plain-language note on what the numbers mean
and what they do not.

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

from posture_cam.history.baseline import METRIC_NAMES, TRACKED, MetricChange
from posture_cam.history.trend import Trend, TrendPoint
from posture_cam.measure.calibration import load_calibration
from posture_cam.measure.classify import PATTERN_TITLES, THRESHOLDS

from .exercises import (
    DISCLAIMER,
    EVIDENCE_NOTE,
    Advice,
    Exercise,
    exercises_for,
    general_advice,
)
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

HISTORY_TABLE_ROWS = 10
"""How many of the most recent checks the history table lists."""

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

_VERDICT_INK = {"real change": (200, 35, 40), "within noise": (31, 111, 178)}

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
        self.cell(
            0,
            5,
            "Wellness information, not a diagnosis. Made with posture_cam, on this computer.",
            new_x=XPos.LMARGIN,
            new_y=YPos.TOP,
        )
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


def _text_height(pdf: FPDF, text: str, w: float, h: float, size: float, style: str = "") -> float:
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


def _para(
    pdf: FPDF,
    text: str,
    *,
    size: float = 9.5,
    style: str = "",
    color: tuple[int, int, int] = _INK,
    w: float = 0,
    h: float = 4.8,
) -> None:
    pdf.set_font(_FAMILY, style, size)
    pdf.set_text_color(*color)
    pdf.multi_cell(w, h, text, new_x=XPos.LEFT, new_y=YPos.NEXT, align="L")
    pdf.set_text_color(*_INK)


def _bullets(
    pdf: FPDF,
    items: Iterable[str],
    *,
    size: float = 9.5,
    w: float = 0,
    numbered: bool = False,
    color: tuple[int, int, int] = _INK,
    h: float = 4.8,
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


def _bullets_height(pdf: FPDF, items: Iterable[str], w: float, h: float, size: float) -> float:
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
        table.row(
            ("#", "Time", "Picture", "Pattern", "Confidence", "Pelvic tilt", "Lower-back curve")
        )
        for i, e in enumerate(entries, start=1):
            rec = e.record
            a = rec.get("assessment") or {}
            m = rec.get("metrics") or {}
            table.row(
                (
                    str(i),
                    f"{_short_time(e.created)}\n{e.source}",
                    e.name or "–",
                    str(a.get("title", "–")),
                    confidence_text(rec),
                    format_measure(m.get("pelvic_tilt_deg"), "°", decimals=0),
                    format_measure(m.get("lumbar_lordosis_deg"), "°", decimals=0),
                )
            )


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
        notes=[
            f"Note: {f.get('message', '')} {f.get('hint', '')}".strip()
            for f in rec.get("findings") or []
            if f.get("severity") == "warn"
        ],
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
    pdf.cell(
        0,
        7,
        f"{source} · {_date_text(entry.created)}",
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_draw_color(*accent)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.y, pdf.w - pdf.r_margin, pdf.y)
    pdf.set_line_width(0.2)
    _gap(pdf, 4)

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
    return (
        6
        + _text_height(pdf, ex.why, w, 4.4, 8.8, "I")
        + 0.8
        + _bullets_height(pdf, ex.steps, w, 4.5, 9)
        + 0.5
        + 4.4
        + _bullets_height(pdf, ex.cautions, w, 4.1, 8.3)
        + 3
    )


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
    _para(
        pdf,
        "The angles are estimates from the outline of the body in a picture: a camera "
        "sees skin and clothes, not bones. They describe how you stood in that picture, on "
        "that day; posture changes with tiredness, shoes and mood, and a single picture "
        "says nothing about pain or its cause.",
        size=9.3,
    )
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


# ----------------------------------------------------------------------------- history page


def _degrees(value: float | None, plus_minus: float | None = None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    text = minus(f"{value:.1f}") + "°"
    if plus_minus is not None and math.isfinite(plus_minus):
        text += f" ± {plus_minus:.1f}°"
    return text


def _change_cell(ch: MetricChange | None, in_baseline: bool) -> str:
    if in_baseline:
        return "baseline"
    if ch is None:
        return "–"
    return f"{minus(f'{ch.change:+.1f}')}° {ch.verdict}"


def _history_counts(trend: Trend) -> str:
    n = len(trend.patterns)
    good = trend.report.good_checks
    first = _local(trend.patterns[0].time).strftime("%d %b %Y").lstrip("0")
    last = _local(trend.patterns[-1].time).strftime("%d %b %Y").lstrip("0")
    span = first if first == last else f"{first} to {last}"
    checks = "1 check" if n == 1 else f"{n} checks"
    return (
        f"{checks} saved on this computer ({span}); {good} of them measured well "
        "enough to count (side view, whole body, clean outline)."
    )


def _baseline_table(pdf: FPDF, trend: Trend) -> None:
    """Per metric: baseline ± SDC, the latest check, its change, the SDC used, the verdict."""
    base = trend.baseline
    assert base is not None
    latest = trend.latest_changes()
    changes = latest[1] if latest is not None and latest[0] not in base.check_ids else {}
    pdf.set_font(_FAMILY, "", 8.5)
    pdf.set_draw_color(*_RULE)
    with pdf.table(
        col_widths=(30, 30, 26, 20, 22, 46),
        headings_style=FontFace(emphasis="BOLD", fill_color=_HEAD_FILL),
        line_height=4.6,
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
        padding=(1.3, 1.5, 1.3, 1.5),
        **_TABLE_STYLE,
    ) as table:
        table.row(("Measure", "Baseline ± SDC", "Latest check", "Change", "SDC used", "Verdict"))
        for metric in TRACKED:
            ch = changes.get(metric)
            sdc = trend.report.sdc(metric)
            point = next(
                (
                    p
                    for p in reversed(trend.metrics[metric].points)
                    if latest is not None and p.check_id == latest[0]
                ),
                None,
            )
            row = table.row()
            row.cell(METRIC_NAMES[metric].capitalize())
            row.cell(_degrees(base.values[metric], sdc))
            row.cell(_degrees(point.value) if point is not None and ch is not None else "–")
            row.cell(minus(f"{ch.change:+.1f}") + "°" if ch is not None else "–")
            row.cell(f"±{ch.sdc:.1f}°" if ch is not None else "–")
            if ch is None:
                row.cell("–")
            else:
                verdict = ch.verdict + (f" ({ch.direction})" if ch.real and ch.direction else "")
                row.cell(verdict, style=FontFace(emphasis="BOLD", color=_VERDICT_INK[ch.verdict]))


def _trend_table(pdf: FPDF, trend: Trend, rows: int) -> None:
    """The last ``rows`` checks, oldest first: date, both angles ± with their change, pattern."""
    base_ids = set(trend.baseline.check_ids) if trend.baseline is not None else set()
    by_id = {m: {p.check_id: p for p in trend.metrics[m].points} for m in TRACKED}
    pdf.set_font(_FAMILY, "", 8)
    pdf.set_draw_color(*_RULE)
    with pdf.table(
        col_widths=(30.5, 23, 31, 31.5, 31, 27),
        headings_style=FontFace(emphasis="BOLD", fill_color=_HEAD_FILL),
        line_height=4.3,
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
        padding=(1.1, 1.5, 1.1, 1.5),
        **_TABLE_STYLE,
    ) as table:
        table.row(
            ("Date", "Pelvic tilt", "vs baseline", "Lower-back curve", "vs baseline", "Pattern")
        )
        for pp in trend.patterns[-rows:]:
            row = table.row()
            row.cell(_short_time(pp.time))
            for metric in TRACKED:
                point = by_id[metric].get(pp.check_id)
                if point is None:
                    row.cell("–")
                    row.cell("–")
                    continue
                row.cell(_degrees(point.value, point.plus_minus))
                ch = point.change
                text = _change_cell(ch, pp.check_id in base_ids)
                ink = _VERDICT_INK.get(ch.verdict) if ch is not None else None
                row.cell(text, style=FontFace(color=ink) if ink and text != "baseline" else None)
            row.cell(pp.pattern.capitalize())


_CHART_H_MM = 38.0
_POINT_INK = {"baseline": (130, 130, 130), "no baseline yet": _INK, **_VERDICT_INK}
_POINT_LABEL = {
    "baseline": "part of the baseline",
    "no baseline yet": "check (no baseline yet)",
    "within noise": "within noise",
    "real change": "real change",
}


def _point_status(p: TrendPoint) -> str:
    if p.in_baseline:
        return "baseline"
    return p.change.verdict if p.change is not None else "no baseline yet"


def _nice_step(span: float) -> float:
    raw = span / 4
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def _metric_chart(
    pdf: FPDF, trend: Trend, metric: str, x: float, y: float, w: float, h: float
) -> None:
    """One metric over time: the baseline ± SDC band, each good check with its ± bar, the
    dot coloured by its verdict (grey: part of the baseline)."""
    mt = trend.metrics[metric]
    pts = mt.points
    pdf.set_font(_FAMILY, "B", 8.5)
    pdf.set_text_color(*_INK)
    pdf.set_xy(x, y)
    pdf.cell(w, 4.5, f"{mt.name.capitalize()} (°)")
    top = y + 5.5
    axis_w = 9.0
    px0, px1 = x + axis_w, x + w - 2.5
    py0, py1 = top, top + h
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    pdf.rect(px0, py0, px1 - px0, py1 - py0)
    if not pts:
        return
    lows = [p.lower for p in pts] + ([mt.band[0]] if mt.band else [])
    highs = [p.upper for p in pts] + ([mt.band[1]] if mt.band else [])
    lo, hi = min(lows), max(highs)
    if hi - lo < 4:
        mid = (hi + lo) / 2
        lo, hi = mid - 2, mid + 2
    step = _nice_step(hi - lo)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    t0, t1 = pts[0].time.timestamp(), pts[-1].time.timestamp()
    inner0, inner1 = px0 + 3, px1 - 3

    def fx(t: datetime) -> float:
        if t1 == t0:
            return (inner0 + inner1) / 2
        return inner0 + (t.timestamp() - t0) / (t1 - t0) * (inner1 - inner0)

    def fy(v: float) -> float:
        return py1 - (v - lo) / (hi - lo) * (py1 - py0)

    pdf.set_font(_FAMILY, "", 6.5)
    pdf.set_text_color(*_MUTED)
    k = 0
    while lo + k * step <= hi + 1e-9:
        v = lo + k * step
        pdf.set_draw_color(*_ZEBRA if k > 0 and v < hi - 1e-9 else _RULE)
        pdf.line(px0, fy(v), px1, fy(v))
        pdf.set_xy(x, fy(v) - 1.5)
        pdf.cell(axis_w - 1, 3, minus(f"{v:g}"), align="R")
        k += 1
    if mt.band is not None and mt.baseline is not None:
        pdf.set_fill_color(228, 230, 233)
        pdf.rect(px0, fy(mt.band[1]), px1 - px0, fy(mt.band[0]) - fy(mt.band[1]), style="F")
        pdf.set_draw_color(*_MUTED)
        pdf.set_dash_pattern(dash=1, gap=0.8)
        pdf.line(px0, fy(mt.baseline), px1, fy(mt.baseline))
        pdf.set_dash_pattern()
    pdf.set_draw_color(*_MUTED)
    pdf.set_line_width(0.25)
    for p in pts:
        if p.upper > p.lower:
            pdf.line(fx(p.time), fy(p.upper), fx(p.time), fy(p.lower))
    for p in pts:
        pdf.set_fill_color(*_POINT_INK[_point_status(p)])
        pdf.circle(fx(p.time), fy(p.value), 0.9, style="F")
    pdf.set_line_width(0.2)
    pdf.set_font(_FAMILY, "", 6.5)
    pdf.set_xy(px0, py1 + 0.5)
    pdf.cell((px1 - px0) / 2, 3.5, _local(pts[0].time).strftime("%d %b %Y").lstrip("0"))
    if t1 != t0:
        pdf.set_xy(px0 + (px1 - px0) / 2, py1 + 0.5)
        pdf.cell(
            (px1 - px0) / 2, 3.5, _local(pts[-1].time).strftime("%d %b %Y").lstrip("0"), align="R"
        )
    pdf.set_text_color(*_INK)


def _trend_charts(pdf: FPDF, trend: Trend) -> None:
    """Both metrics side by side, and a legend line under them."""
    gap = 8.0
    w = (pdf.epw - gap) / 2
    y = pdf.get_y()
    for i, metric in enumerate(TRACKED):
        with pdf.local_context():  # colours, line width and dashes stay inside
            _metric_chart(pdf, trend, metric, pdf.l_margin + i * (w + gap), y, w, _CHART_H_MM)
    pdf.set_xy(pdf.l_margin, y + 5.5 + _CHART_H_MM + 5)
    with pdf.local_context():
        pdf.set_font(_FAMILY, "", 7.5)
        pdf.set_text_color(*_MUTED)
        x = pdf.l_margin
        shown = {_point_status(p) for m in TRACKED for p in trend.metrics[m].points}
        for status, label in _POINT_LABEL.items():
            if status not in shown:
                continue
            pdf.set_fill_color(*_POINT_INK[status])
            pdf.circle(x + 1, pdf.get_y() + 2, 0.9, style="F")
            pdf.set_x(x + 3)
            pdf.cell(pdf.get_string_width(label) + 5, 4, label)
            x = pdf.get_x()
        band = " · grey band: baseline ± SDC" if trend.baseline is not None else ""
        pdf.cell(0, 4, f"vertical bar: ± typical error{band}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _history_section(pdf: FPDF, trend: Trend) -> None:
    _heading(pdf, "Your history", size=15, space_before=0)
    _para(pdf, _history_counts(trend), size=9.3, color=_MUTED)
    _gap(pdf, 2.5)
    base = trend.baseline
    _para(pdf, "Compared with your own baseline", size=10.5, style="B")
    _gap(pdf, 0.5)
    if base is None:
        _para(
            pdf,
            " ".join(trend.summary_lines()) + " Each saved check is compared with "
            "your baseline once there is one.",
            size=9.3,
        )
    else:
        sdcs = ", ".join(f"{METRIC_NAMES[m]} ±{trend.report.sdc(m):.1f}°" for m in TRACKED)
        _para(
            pdf,
            f"Your baseline is the {base.describe()}. Two checks of a posture that "
            f"did not change can differ by up to {sdcs} (the smallest detectable change, "
            "SDC, at 95 %); a change counts as real only beyond it.",
            size=9.3,
        )
        _gap(pdf, 2.5)
        _baseline_table(pdf, trend)
        _gap(pdf, 2)
        latest = trend.latest_changes()
        if latest is None or latest[0] in base.check_ids:
            note = (
                "Your latest check is part of the baseline: the next good check will be "
                "compared with it."
            )
        else:
            cid, changes = latest
            when = next((_date_text(p.time) for p in trend.patterns if p.check_id == cid), "")
            sources = sorted({ch.sem_source for ch in changes.values() if ch.sem_source})
            note = (
                f"Latest check: #{cid}, {when}. The SDC used for it combines the "
                "repeatability (SEM) of this check and of the baseline: 1.96 × "
                "√(check SEM² + baseline SEM²). This check's SEM came from "
                f"{', '.join(sources) or 'the bench'}."
            )
        _para(pdf, note, size=8.5, color=_MUTED, h=4.3)
    _gap(pdf, 5)
    if any(trend.metrics[m].points for m in TRACKED):
        _para(pdf, "Over time", size=10.5, style="B")
        _gap(pdf, 1)
        _trend_charts(pdf, trend)
        _gap(pdf, 5)
    n = min(len(trend.patterns), HISTORY_TABLE_ROWS)
    title = "Your checks" if n == len(trend.patterns) else f"Your last {n} checks"
    _para(pdf, title, size=10.5, style="B")
    _gap(pdf, 1)
    _trend_table(pdf, trend, n)
    _gap(pdf, 2)
    _para(
        pdf,
        "Each angle ± its typical error. Much of that error is the same for you in "
        "every picture, so it cancels in a change: a change is judged against the SDC, "
        "not against the ±. Keep the set-up the same (camera height and distance, "
        "clothes) so that checks compare.",
        size=8.5,
        color=_MUTED,
        h=4.3,
    )


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
    pdf.cell(
        0,
        6,
        f"Generated {_date_text(when)} · {n} result{'s' if n != 1 else ''}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_draw_color(*_RULE)
    pdf.line(pdf.l_margin, pdf.y + 2, pdf.w - pdf.r_margin, pdf.y + 2)
    _gap(pdf, 6)
    _para(
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
    _gap(pdf, 3)

    if not entries:
        _para(pdf, "No results were kept in this session.", style="I", color=_MUTED)
    else:
        _heading(pdf, "Overview", size=13)
        _overview_table(pdf, entries)
    _gap(pdf, 6)
    _heading(pdf, "How to read the numbers", size=13)
    _bullets(pdf, MEANING_NOTES, size=9.3)
    if history is not None and history.patterns:
        pdf.add_page()
        _history_section(pdf, history)
    for i, e in enumerate(entries, start=1):
        if i == 1:
            pdf.add_page()
        _entry_section(pdf, i, e)

    patterns = [p for p in _unique_patterns(entries) if exercises_for(cast(Any, p))]
    if patterns:
        pdf.add_page()
        _heading(pdf, "Exercises", size=15, space_before=0)
        _para(
            pdf,
            "Chosen for the pattern found. Go gently, stop anything that hurts, and "
            "build up over a few weeks.",
            size=9.3,
            color=_MUTED,
        )
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
                _para(
                    pdf,
                    "Also: " + ", ".join(again) + " (described above).",
                    size=9,
                    style="I",
                    color=_MUTED,
                )
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
