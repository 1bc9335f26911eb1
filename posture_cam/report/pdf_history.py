"""The PDF report's "Your history" page: baseline, latest change, charts and recent checks."""

from __future__ import annotations

import math
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from posture_cam.history.baseline import METRIC_NAMES, TRACKED, MetricChange
from posture_cam.history.trend import Trend, TrendPoint

from .pdf_layout import (
    FAMILY,
    INK,
    MUTED,
    RULE,
    VERDICT_INK,
    ZEBRA,
    date_text,
    gap,
    heading,
    local_time,
    para,
    short_time,
    table,
)
from .wording import minus

__all__ = ["HISTORY_TABLE_ROWS", "history_section"]

HISTORY_TABLE_ROWS = 6
"""How many of the most recent checks the history table lists."""


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
    first = local_time(trend.patterns[0].time).strftime("%d %b %Y").lstrip("0")
    last = local_time(trend.patterns[-1].time).strftime("%d %b %Y").lstrip("0")
    span = first if first == last else f"{first} to {last}"
    checks = "1 check" if n == 1 else f"{n} checks"
    return (
        f"{checks} saved on this computer ({span}); {good} of them measured well "
        "enough to count (side view, whole body, clean outline)."
    )


def _baseline_table(pdf: FPDF, trend: Trend) -> None:
    """Per metric: the baseline, the latest check, its change, the smallest detectable change
    used for it, the verdict."""
    base = trend.baseline
    assert base is not None
    latest = trend.latest_changes()
    changes = latest[1] if latest is not None and latest[0] not in base.check_ids else {}
    with table(
        pdf,
        font_size=8.5,
        col_widths=(30, 22, 26, 20, 30, 46),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
        line_height=4.6,
        padding_mm=1.3,
    ) as t:
        t.row(("Measure", "Baseline", "Latest check", "Change", "Real beyond", "Verdict"))
        for metric in TRACKED:
            ch = changes.get(metric)
            point = next(
                (
                    p
                    for p in reversed(trend.metrics[metric].points)
                    if latest is not None and p.check_id == latest[0]
                ),
                None,
            )
            row = t.row()
            row.cell(METRIC_NAMES[metric].capitalize())
            row.cell(_degrees(base.values[metric]))
            row.cell(_degrees(point.value) if point is not None and ch is not None else "–")
            row.cell(minus(f"{ch.change:+.1f}") + "°" if ch is not None else "–")
            row.cell(f"±{ch.sdc:.1f}°" if ch is not None else "–")
            if ch is None:
                row.cell("–")
            else:
                verdict = ch.verdict + (f" ({ch.direction})" if ch.real and ch.direction else "")
                row.cell(verdict, style=FontFace(emphasis="BOLD", color=VERDICT_INK[ch.verdict]))


def _trend_table(pdf: FPDF, trend: Trend, rows: int) -> None:
    """The last ``rows`` checks, oldest first: date, both angles ± with their change, pattern."""
    base_ids = set(trend.baseline.check_ids) if trend.baseline is not None else set()
    by_id = {m: {p.check_id: p for p in trend.metrics[m].points} for m in TRACKED}
    with table(
        pdf,
        font_size=8,
        col_widths=(30.5, 23, 31, 31.5, 31, 27),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
        line_height=4.3,
        padding_mm=1.1,
    ) as t:
        t.row(("Date", "Pelvic tilt", "vs baseline", "Lower-back curve", "vs baseline", "Pattern"))
        for pp in trend.patterns[-rows:]:
            row = t.row()
            row.cell(short_time(pp.time))
            for metric in TRACKED:
                point = by_id[metric].get(pp.check_id)
                if point is None:
                    row.cell("–")
                    row.cell("–")
                    continue
                row.cell(_degrees(point.value, point.plus_minus))
                ch = point.change
                text = _change_cell(ch, pp.check_id in base_ids)
                ink = VERDICT_INK.get(ch.verdict) if ch is not None else None
                row.cell(text, style=FontFace(color=ink) if ink and text != "baseline" else None)
            row.cell(pp.pattern.capitalize())


_CHART_H_MM = 38.0
_POINT_INK = {"baseline": (130, 130, 130), "no baseline yet": INK, **VERDICT_INK}
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
    """One metric over time: the baseline ± its smallest detectable change, each good check
    with its ± bar, the
    dot coloured by its verdict (grey: part of the baseline)."""
    mt = trend.metrics[metric]
    pts = mt.points
    pdf.set_font(FAMILY, "B", 8.5)
    pdf.set_text_color(*INK)
    pdf.set_xy(x, y)
    pdf.cell(w, 4.5, f"{mt.name.capitalize()} (°)")
    top = y + 5.5
    axis_w = 9.0
    px0, px1 = x + axis_w, x + w - 2.5
    py0, py1 = top, top + h
    pdf.set_draw_color(*RULE)
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

    pdf.set_font(FAMILY, "", 6.5)
    pdf.set_text_color(*MUTED)
    k = 0
    while lo + k * step <= hi + 1e-9:
        v = lo + k * step
        pdf.set_draw_color(*ZEBRA if k > 0 and v < hi - 1e-9 else RULE)
        pdf.line(px0, fy(v), px1, fy(v))
        pdf.set_xy(x, fy(v) - 1.5)
        pdf.cell(axis_w - 1, 3, minus(f"{v:g}"), align="R")
        k += 1
    if mt.band is not None and mt.baseline is not None:
        pdf.set_fill_color(228, 230, 233)
        pdf.rect(px0, fy(mt.band[1]), px1 - px0, fy(mt.band[0]) - fy(mt.band[1]), style="F")
        pdf.set_draw_color(*MUTED)
        pdf.set_dash_pattern(dash=1, gap=0.8)
        pdf.line(px0, fy(mt.baseline), px1, fy(mt.baseline))
        pdf.set_dash_pattern()
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.25)
    for p in pts:
        if p.upper > p.lower:
            pdf.line(fx(p.time), fy(p.upper), fx(p.time), fy(p.lower))
    for p in pts:
        pdf.set_fill_color(*_POINT_INK[_point_status(p)])
        pdf.circle(fx(p.time), fy(p.value), 0.9, style="F")
    pdf.set_line_width(0.2)
    pdf.set_font(FAMILY, "", 6.5)
    pdf.set_xy(px0, py1 + 0.5)
    pdf.cell((px1 - px0) / 2, 3.5, local_time(pts[0].time).strftime("%d %b %Y").lstrip("0"))
    if t1 != t0:
        pdf.set_xy(px0 + (px1 - px0) / 2, py1 + 0.5)
        pdf.cell(
            (px1 - px0) / 2,
            3.5,
            local_time(pts[-1].time).strftime("%d %b %Y").lstrip("0"),
            align="R",
        )
    pdf.set_text_color(*INK)


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
        pdf.set_font(FAMILY, "", 7.5)
        pdf.set_text_color(*MUTED)
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
        band = (
            " · grey band: baseline ± the smallest detectable change"
            if trend.baseline is not None
            else ""
        )
        pdf.cell(0, 4, f"vertical bar: ± typical error{band}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def history_section(pdf: FPDF, trend: Trend) -> None:
    """The history page: counts, the baseline and latest change, charts, the last checks."""
    heading(pdf, "Your history", size=15, space_before=0)
    para(pdf, _history_counts(trend), size=9.3, color=MUTED)
    gap(pdf, 2.5)
    base = trend.baseline
    para(pdf, "Compared with your own baseline", size=10.5, style="B")
    gap(pdf, 0.5)
    if base is None:
        para(
            pdf,
            " ".join(trend.summary_lines()) + " Each saved check is compared with "
            "your baseline once there is one.",
            size=9.3,
        )
    else:
        sdcs = ", ".join(f"{METRIC_NAMES[m]} ±{trend.report.sdc(m):.1f}°" for m in TRACKED)
        para(
            pdf,
            f"Your baseline is the {base.describe()}. Two checks of a posture that "
            f"did not change can differ by up to {sdcs} (95 % of the time): the smallest "
            "detectable change. A change counts as real only beyond it.",
            size=9.3,
        )
        gap(pdf, 2.5)
        _baseline_table(pdf, trend)
        gap(pdf, 2)
        latest = trend.latest_changes()
        if latest is None or latest[0] in base.check_ids:
            note = (
                "Your latest check is part of the baseline: the next good check will be "
                "compared with it."
            )
        else:
            cid, changes = latest
            when = next((date_text(p.time) for p in trend.patterns if p.check_id == cid), "")
            sources = sorted({ch.sem_source for ch in changes.values() if ch.sem_source})
            note = (
                f"Latest check: #{cid}, {when}. Its smallest detectable change allows for "
                "how repeatable both this check and the baseline are (this check's "
                f"repeatability: {'; '.join(sources) or 'as measured'})."
            )
        para(pdf, note, size=8.5, color=MUTED, h=4.3)
    gap(pdf, 5)
    if any(trend.metrics[m].points for m in TRACKED):
        # Headings stay with what they head.
        if pdf.will_page_break(_CHART_H_MM + 25):
            pdf.add_page()
        para(pdf, "Over time", size=10.5, style="B")
        gap(pdf, 1)
        _trend_charts(pdf, trend)
        gap(pdf, 5)
    n = min(len(trend.patterns), HISTORY_TABLE_ROWS)
    title = "Your checks" if n == len(trend.patterns) else f"Your last {n} checks"
    if pdf.will_page_break(12 + 6.5 * (n + 1)):
        pdf.add_page()
    para(pdf, title, size=10.5, style="B")
    gap(pdf, 1)
    _trend_table(pdf, trend, n)
    gap(pdf, 2)
    para(
        pdf,
        "Each angle ± its typical error. Much of that error is the same for you in "
        "every picture, so it cancels in a change: a change is judged against the smallest "
        "detectable change, not against the ±. Keep the set-up the same (camera height and "
        "distance, clothes) so that checks compare.",
        size=8.5,
        color=MUTED,
        h=4.3,
    )
