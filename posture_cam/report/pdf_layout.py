"""The PDF report's page furniture (fpdf2): fonts, colours, running header, text and tables.

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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

__all__ = [
    "ACCENT",
    "FAMILY",
    "HEAD_FILL",
    "INK",
    "MUTED",
    "RULE",
    "VERDICT_INK",
    "ZEBRA",
    "FontNotFoundError",
    "ReportFonts",
    "ReportPDF",
    "bullets",
    "bullets_height",
    "date_text",
    "find_fonts",
    "gap",
    "heading",
    "image_size_mm",
    "local_time",
    "para",
    "short_time",
    "table",
    "text_height",
]

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
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (222, 226, 230)
HEAD_FILL = (233, 236, 239)
ZEBRA = (248, 249, 250)
ACCENT = {
    "increased": (214, 106, 18),
    "flattened": (31, 111, 178),
    "neutral": (34, 139, 84),
    "inconclusive": (108, 117, 125),
}

VERDICT_INK = {"real change": (200, 35, 40), "within noise": (31, 111, 178)}

FAMILY = "DejaVu"


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


class ReportPDF(FPDF):
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
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, "Posture check report", new_x=XPos.LMARGIN, new_y=YPos.TOP)
        self.cell(0, 5, self.generated_text, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.y + 1, self.w - self.r_margin, self.y + 1)
        self.ln(6)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_xy(self.l_margin, -12)
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(
            0,
            5,
            "Wellness information, not a diagnosis. Made with posture_cam, on this computer.",
            new_x=XPos.LMARGIN,
            new_y=YPos.TOP,
        )
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def local_time(dt: datetime) -> datetime:
    return dt.astimezone() if dt.tzinfo is not None else dt


def date_text(dt: datetime) -> str:
    return local_time(dt).strftime("%d %B %Y, %H:%M").lstrip("0")


def short_time(dt: datetime) -> str:
    return local_time(dt).strftime("%d %b %Y %H:%M").lstrip("0")


def gap(pdf: FPDF, mm: float) -> None:
    """Move down ``mm`` keeping the current x (``ln`` would return to the margin)."""
    pdf.set_xy(pdf.get_x(), pdf.get_y() + mm)


def text_height(pdf: FPDF, text: str, w: float, h: float, size: float, style: str = "") -> float:
    """Height of ``text`` wrapped in ``w`` mm, estimated from its width (cheap, a little
    generous): fpdf2's exact dry run costs as much as drawing."""
    pdf.set_font(FAMILY, style, size)
    usable = max(w - 2 * pdf.c_margin, 1.0)
    lines = math.ceil(pdf.get_string_width(text) * 1.08 / usable) if text else 0
    return max(lines, 1) * h


def heading(pdf: FPDF, text: str, size: float = 15, space_before: float = 2) -> None:
    pdf.set_x(pdf.l_margin)
    gap(pdf, space_before)
    pdf.set_font(FAMILY, "B", size)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    gap(pdf, 1.5)


def para(
    pdf: FPDF,
    text: str,
    *,
    size: float = 9.5,
    style: str = "",
    color: tuple[int, int, int] = INK,
    w: float = 0,
    h: float = 4.8,
) -> None:
    pdf.set_font(FAMILY, style, size)
    pdf.set_text_color(*color)
    pdf.multi_cell(w, h, text, new_x=XPos.LEFT, new_y=YPos.NEXT, align="L")
    pdf.set_text_color(*INK)


def bullets(
    pdf: FPDF,
    items: Iterable[str],
    *,
    size: float = 9.5,
    w: float = 0,
    numbered: bool = False,
    color: tuple[int, int, int] = INK,
    h: float = 4.8,
) -> None:
    x0 = pdf.get_x()
    width = (w or (pdf.w - pdf.r_margin - x0)) - 6
    pdf.set_font(FAMILY, "", size)
    pdf.set_text_color(*color)
    for i, item in enumerate(items, start=1):
        marker = f"{i}." if numbered else "•"
        y = pdf.get_y()
        pdf.set_xy(x0, y)
        pdf.cell(6, h, marker)
        pdf.set_xy(x0 + 6, y)
        pdf.multi_cell(width, h, item, new_x=XPos.LEFT, new_y=YPos.NEXT, align="L")
        pdf.set_x(x0)
    pdf.set_text_color(*INK)


def bullets_height(pdf: FPDF, items: Iterable[str], w: float, h: float, size: float) -> float:
    return sum(text_height(pdf, item, w - 6, h, size) for item in items)


def image_size_mm(jpeg: bytes, box_w: float, box_h: float) -> tuple[float, float]:
    with Image.open(io.BytesIO(jpeg)) as im:
        w_px, h_px = im.size
    scale = min(box_w / w_px, box_h / h_px)
    return w_px * scale, h_px * scale


@contextmanager
def table(
    pdf: FPDF,
    *,
    font_size: float,
    col_widths: tuple[float, ...],
    text_align: tuple[str, ...],
    line_height: float,
    padding_mm: float,
    **options: Any,
) -> Iterator[Any]:
    """An fpdf2 table in the report's style: bold shaded headings, zebra rows, rules between.

    ``padding_mm`` is the space above and below each cell's text; ``options`` go to
    ``FPDF.table`` (e.g. ``width``, ``align``).
    """
    pdf.set_font(FAMILY, "", font_size)
    pdf.set_draw_color(*RULE)
    with pdf.table(
        col_widths=col_widths,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
        line_height=line_height,
        text_align=text_align,
        padding=(padding_mm, 1.5, padding_mm, 1.5),
        borders_layout="HORIZONTAL_LINES",
        cell_fill_color=ZEBRA,
        cell_fill_mode="ROWS",
        **options,
    ) as t:
        yield t
