"""The PDF's guided-check sections and the self-check list beside the camera results.

Each kept guided check gets its headline numbers (with ``±`` and the method's measured
error on test material), the breathing traces as a small chart, the plain sentences of
:mod:`posture_cam.report.guided_text` and its sources. The self-check list shows every sign
the article lists, ticked or not, and its summary, which never names a diagnosis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from fpdf import FPDF

from .checklist import CHECKLIST_ITEMS, Checklist
from .guided_record import GuidedCheck
from .pdf_layout import MUTED, RULE, bullets, gap, heading, local_time, para, short_time, table

__all__ = ["guided_section", "self_check_section"]

CHEST_INK = (31, 111, 178)
BELLY_INK = (214, 110, 20)
_CHART_H_MM = 38.0


def _chart(
    pdf: FPDF,
    t: Sequence[float | None],
    series: dict[str, tuple[Sequence[float | None], tuple[int, int, int]]],
) -> None:
    """Lines of ``series`` (name -> (values, colour)) against ``t``, in a ruled box."""
    pts_t = [x for x in t if x is not None and math.isfinite(x)]
    values = [v for vs, _ in series.values() for v in vs if v is not None and math.isfinite(v)]
    if len(pts_t) < 2 or not values:
        return
    if pdf.will_page_break(_CHART_H_MM + 8):
        pdf.add_page()
    x0, y0, w, h = pdf.l_margin, pdf.get_y(), pdf.epw, _CHART_H_MM
    t0, t1 = min(pts_t), max(pts_t)
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    pdf.rect(x0, y0, w, h)
    for vs, ink in series.values():
        points = [
            (x0 + (ti - t0) / (t1 - t0) * w, y0 + h - (v - lo) / span * h)
            for ti, v in zip(t, vs, strict=False)
            if ti is not None and v is not None and math.isfinite(ti) and math.isfinite(v)
        ]
        pdf.set_draw_color(*ink)
        pdf.set_line_width(0.35)
        pdf.polyline(points)
    pdf.set_line_width(0.2)
    pdf.set_xy(x0, y0 + h + 1)
    para(
        pdf,
        f"Front outline movement over {t1 - t0:.0f} s, drift removed (chest in blue, belly in "
        f"orange; {span:.1f} px from the lowest to the highest point).",
        size=7.8,
        color=MUTED,
        h=3.8,
    )


def _check_block(pdf: FPDF, g: GuidedCheck) -> None:
    if pdf.will_page_break(60):
        pdf.add_page()
    heading(pdf, g.title, size=12, space_before=3)
    para(
        pdf,
        f"From {g.name} · model {g.variant or '?'} · {short_time(local_time(g.created))}",
        size=8.3,
        color=MUTED,
        h=4.1,
    )
    gap(pdf, 1)
    label_w = 70.0
    with table(
        pdf,
        font_size=8.3,
        col_widths=(label_w, pdf.epw - label_w),
        text_align=("LEFT", "LEFT"),
        line_height=3.8,
        padding_mm=0.8,
        first_row_as_headings=False,
    ) as t:
        for label, value in g.rows:
            t.row((label, value))
    gap(pdf, 2)
    trace = g.trace()
    if trace is not None:
        _chart(
            pdf,
            trace["t_s"],
            {
                "chest": (trace["chest_px"], CHEST_INK),
                "belly": (trace["belly_px"], BELLY_INK),
            },
        )
        gap(pdf, 1)
    for sentence in g.interpretation:
        para(pdf, sentence, size=8.8, h=4.3)
        gap(pdf, 1)
    para(pdf, "Sources: " + " ".join(g.sources), size=7.5, color=MUTED, h=3.6)


def guided_section(pdf: FPDF, checks: Sequence[GuidedCheck]) -> None:
    """ "Guided checks": one block per kept check, oldest first."""
    if not checks:
        return
    if pdf.will_page_break(80):
        pdf.add_page()
    heading(pdf, "Guided checks", size=14, space_before=4)
    para(
        pdf,
        "Each number ± its typical error; the last row of each table is how far the method "
        "was off on test material whose truth we set.",
        size=8.3,
        color=MUTED,
        h=4.1,
    )
    for g in checks:
        _check_block(pdf, g)


def self_check_section(pdf: FPDF, checklist: Checklist) -> None:
    """The article's signs, ticked or not, and the summary (notes, not a result)."""
    if pdf.will_page_break(70):
        pdf.add_page()
    heading(pdf, "Your self-check list", size=12, space_before=4)
    para(
        pdf,
        "Signs the physiotherapy article on the psoas lists for a tight or a weak psoas, as "
        "you ticked them. They are common and have many causes.",
        size=8.3,
        color=MUTED,
        h=4.1,
    )
    gap(pdf, 1)
    bullets(
        pdf,
        [f"{'☑' if item.key in checklist.ticked else '☐'} {item.text}" for item in CHECKLIST_ITEMS],
        size=8.8,
        h=4.4,
    )
    gap(pdf, 1)
    para(pdf, checklist.summary(), size=8.8, h=4.3)
