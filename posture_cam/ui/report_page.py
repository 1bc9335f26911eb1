"""The "Report" page: what this browser session kept, and its downloads (PDF, JSON, CSV).

The files are built in memory; nothing is written on the server. The PDF is built once per
set of kept results (and saved checks) and reused across reruns.

When a history file exists (:func:`posture_cam.history.store.default_history_path`), the page and
the PDF also show the trend and the latest check's change from the baseline: the one picked
on the History page in this session (:func:`posture_cam.ui.state.history_baseline`), else the
first good checks. Viewing the report never creates a history file: it is read only if it is
already there.
"""

from __future__ import annotations

import logging
from datetime import datetime

import streamlit as st

from posture_cam.history.baseline import DEFAULT_BASELINE_N, assess_history
from posture_cam.history.store import HistoryStore, default_history_path
from posture_cam.history.trend import Trend, compute_trend
from posture_cam.report.pdf import build_pdf
from posture_cam.report.session import Session, SessionEntry
from posture_cam.report.wording import confidence_text, format_measure
from posture_cam.ui import state

from .components import pattern_badge

__all__ = ["entry_markdown", "history_summary_markdown", "load_history_trend", "render_report_page"]

log = logging.getLogger(__name__)


def _when(e: SessionEntry) -> str:
    return e.created.astimezone().strftime("%H:%M:%S")


def entry_markdown(index: int, e: SessionEntry) -> str:
    """One kept result for its card: name, source and time, pattern and confidence, and
    the two angles with their ±, in lines that wrap on a phone (a table would not)."""
    rec = e.record
    source = "photo" if e.source == "photo" else "live camera"
    return (
        f"**{index}. {e.name}** · {source} · {_when(e)}\n\n"
        f"{pattern_badge(e.pattern, rec.assessment.title)} "
        f"confidence {confidence_text(rec)}\n\n"
        f"Pelvic tilt **{format_measure(rec.pelvic_tilt, '°', decimals=0)}** · lower-back "
        f"curve **{format_measure(rec.lumbar_lordosis, '°', decimals=0)}**"
    )


def load_history_trend(
    n: int = DEFAULT_BASELINE_N, since: datetime | None = None, until: datetime | None = None
) -> Trend | None:
    """The trend of the saved checks against a baseline (the first ``n`` good checks, or
    those from ``since`` to ``until``), or None when there is no history (or it is empty).

    Reads the history file only if it already exists: opening a store would create it.

    Raises:
        HistoryError: the file is there but cannot be read.
    """
    path = default_history_path()
    if not path.is_file():
        return None
    with HistoryStore(path) as store:
        checks = store.list()
    if not checks:
        return None
    return compute_trend(checks, report=assess_history(checks, n=n, since=since, until=until))


def history_summary_markdown(trend: Trend) -> list[str]:
    """Markdown paragraphs: how many checks, the baseline and SDC, the latest verdicts."""
    n = len(trend.patterns)
    good = trend.report.good_checks
    out = [f"{n} saved check{'s' if n != 1 else ''}, {good} measured well enough to count."]
    lines = trend.summary_lines()
    if trend.baseline is None:
        return out + lines
    out += lines[:2]
    latest = trend.latest_changes()
    if latest is None or latest[0] in trend.baseline.check_ids:
        out.append(
            "Your latest check is part of the baseline: the next good check will be "
            "compared with it."
        )
        return out
    cid, changes = latest
    out.append(f"**Latest check (#{cid}) against your baseline:**")
    for ch in changes.values():
        badge = ":red-badge[real change]" if ch.real else ":blue-badge[within noise]"
        out.append(f"{badge} {ch.text()}")
    return out


def _pdf_bytes(session: Session, trend: Trend | None) -> bytes:
    """The PDF for the current entries and history, rebuilt only when they change."""
    ids = (
        tuple(e.entry_id for e in session.entries),
        tuple(p.check_id for p in trend.patterns) if trend is not None else (),
        state.history_baseline(),
    )
    cached = st.session_state.get(state.KEY_REPORT_PDF)
    if cached is not None and cached[0] == ids:
        return bytes(cached[1])
    data = build_pdf(session, generated=datetime.now().astimezone(), history=trend)
    st.session_state[state.KEY_REPORT_PDF] = (ids, data)
    return data


def _history_trend() -> Trend | None:
    try:
        return load_history_trend(*state.history_baseline())
    except Exception as exc:  # noqa: BLE001 - the report of this session still works
        log.exception("history could not be read for the report")
        st.warning(
            f"Your history could not be read, so the report leaves it out ({exc}).",
            icon=":material/warning:",
        )
        return None


def _render_history(trend: Trend) -> None:
    st.subheader("Your history")
    st.markdown("\n\n".join(history_summary_markdown(trend)))
    st.caption(
        f"From the history on this computer (`{default_history_path()}`). The PDF "
        "includes this, a chart and your last checks; **History** shows every check "
        "and lets you choose the baseline (this report follows that choice)."
    )


def _remove(entry_id: str) -> None:
    state.get_session().remove(entry_id)


def _clear() -> None:
    state.get_session().clear()


def render_report_page() -> None:
    """Draw the page."""
    st.title("Report")
    session = state.get_session()
    trend = _history_trend()
    if not session.entries:
        st.info(
            "Nothing kept yet. On **Photo check** or **Live check**, press **Keep in report** "
            "on a result you want to keep; it will appear here, ready to download as a PDF, "
            "JSON or CSV.",
            icon=":material/assignment:",
        )
        if trend is None:
            return
    else:
        n = len(session.entries)
        st.markdown(
            (
                f"{n} results kept in this browser session. They live only in memory: close "
                "the tab and they are gone, unless you download them."
            )
            if n != 1
            else (
                "1 result kept in this browser session. It lives only in memory: close the tab "
                "and it is gone, unless you download it."
            )
        )

    if trend is not None:
        _render_history(trend)

    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    st.subheader("Download")
    c1, c2, c3 = st.columns(3)
    try:
        pdf = _pdf_bytes(session, trend)
    except Exception as exc:  # noqa: BLE001 - the other downloads still work
        log.exception("PDF report failed")
        c1.error(f"The PDF could not be made ({type(exc).__name__}: {exc}).")
    else:
        what = (
            "Pictures, numbers with ±, your history, exercises and notes."
            if trend is not None
            else "Pictures, numbers with ±, exercises and notes."
        )
        c1.download_button(
            "PDF report",
            data=pdf,
            file_name=f"posture-report-{stamp}.pdf",
            mime="application/pdf",
            icon=":material/picture_as_pdf:",
            on_click="ignore",
            type="primary",
            width="stretch",
            help=what,
        )
    if not session.entries:
        return
    c2.download_button(
        "JSON data",
        data=session.to_json(),
        file_name=f"posture-results-{stamp}.json",
        mime="application/json",
        icon=":material/data_object:",
        on_click="ignore",
        width="stretch",
        help="Every number and finding, for your own records or tools.",
    )
    c3.download_button(
        "CSV table",
        data=session.to_csv(),
        file_name=f"posture-results-{stamp}.csv",
        mime="text/csv",
        icon=":material/table:",
        on_click="ignore",
        width="stretch",
        help="One row per result, for a spreadsheet.",
    )

    st.subheader("Kept results")
    for i, e in enumerate(session.entries, start=1):
        with st.container(border=True):
            cols = st.columns([1, 4, 1], vertical_alignment="center")
            if e.overlay_jpeg:
                cols[0].image(e.overlay_jpeg, width="stretch")
            cols[1].markdown(entry_markdown(i, e))
            cols[2].button(
                "Remove",
                key=f"remove_{e.entry_id}",
                on_click=_remove,
                args=(e.entry_id,),
                icon=":material/delete:",
                width="stretch",
            )
    st.button("Remove all", on_click=_clear, icon=":material/delete_sweep:")
