"""The "History" page and the "Save to history" control for the Photo and Live pages.

The history is the SQLite file of :mod:`posture_cam.history.store`, on this computer. Each script
run opens it, reads or writes, and closes it again (opening is cheap, and no connection is
shared between Streamlit's threads); two browser tabs or the CLI may write at the same time.

Page: where the file is; the baseline (first N good checks or a picked date range) and the
smallest detectable change; the latest check's change with its verdict; trend charts of
pelvic tilt and lordosis (each point ± its error, the baseline with a ± SDC band, colour =
verdict) and of the pattern; a table of every check; CSV export; delete one or all.

"Save to history" on the Photo and Live pages: :func:`render_save_to_history`, given the
result as a :class:`~posture_cam.report.session.SessionEntry` (record, source, picture).
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import altair as alt
import pandas as pd
import streamlit as st

from posture_cam.history.baseline import DEFAULT_BASELINE_N, METRIC_NAMES, TRACKED, assess_history
from posture_cam.history.store import Check, HistoryError, HistoryStore, default_history_path
from posture_cam.history.trend import Trend, compute_trend
from posture_cam.report.session import SessionEntry
from posture_cam.ui import state

__all__ = [
    "history_table_rows",
    "metric_chart",
    "pattern_chart",
    "render_history_page",
    "render_save_to_history",
    "save_to_history",
]

_VERDICT_COLORS = {"baseline": "#808080", "within noise": "#1f77b4", "real change": "#d62728"}
_PATTERN_AXIS = {-1: "flattened", 0: "neutral", 1: "increased"}


def save_to_history(
    entry: SessionEntry,
    *,
    note: str | None = None,
    label: str | None = None,
    keep_picture: bool = False,
) -> int:
    """Save one result to the default history file and return its id (no Streamlit calls).

    The picture is kept only with ``keep_picture``; the model variant is the record's
    ("unknown" when it has none, which gives it the largest bench noise of all models).
    """
    with HistoryStore() as store:
        return store.add(
            entry.record,
            source=entry.source,
            variant=entry.record.model_variant or "unknown",
            note=note,
            label=label,
            image_jpeg=entry.overlay_jpeg if keep_picture else None,
        )


def render_save_to_history(
    entry: SessionEntry,
    *,
    key: str,
    width: Literal["content", "stretch"] = "content",
) -> int | None:
    """A "Save to history" control: optional label and note, opt-in picture, a button.

    Only measurable results can be saved. Returns the saved check's id (also after reruns),
    else None. ``key`` must be unique per result on the page; it also keys the popover, so
    the popover and what is typed in it survive reruns (e.g. of an auto-refreshing
    fragment) as long as the control is drawn at the same place. ``width`` is that of the
    button that opens it.
    """
    saved: dict[str, int] = st.session_state.setdefault(state.KEY_HISTORY_SAVED, {})
    if key in saved:
        st.button(
            f"Saved to history (#{saved[key]})",
            key=f"{key}_done",
            disabled=True,
            icon=":material/check:",
            width=width,
        )
        return saved[key]
    if not entry.record.measurable:
        return None
    with st.popover(
        "Save to history",
        icon=":material/bookmark_add:",
        key=f"{key}_popover",
        width=width,
        help="Keep the numbers in your history on this computer, to follow "
        "change against your own baseline.",
    ):
        label = st.text_input(
            "Label (optional)", key=f"{key}_label", placeholder="e.g. morning, after stretching"
        )
        note = st.text_input("Note (optional)", key=f"{key}_note")
        keep_picture = False
        if entry.overlay_jpeg is not None:
            keep_picture = st.checkbox(
                "Also keep the picture",
                key=f"{key}_picture",
                help="Off by default: the history keeps numbers only.",
            )
        if st.button("Save", key=f"{key}_save", type="primary"):
            try:
                cid = save_to_history(entry, note=note, label=label, keep_picture=keep_picture)
            except HistoryError as exc:
                st.error(f"Not saved: {exc}")
                return None
            saved[key] = cid
            st.rerun()
    return None


def _local(t: datetime) -> str:
    return t.astimezone().strftime("%Y-%m-%d %H:%M")


def history_table_rows(checks: list[Check], trend: Trend) -> list[dict[str, Any]]:
    """One row per check, newest first: date, source, pattern, tilt, curve, changes."""
    changes = trend.report.changes
    base_ids = set(trend.baseline.check_ids) if trend.baseline is not None else set()
    rows = []
    for c in reversed(checks):
        row: dict[str, Any] = {
            "ID": c.id,
            "Date": _local(c.time),
            "Source": c.source.capitalize(),
            "Pattern": c.pattern,
        }
        for metric in TRACKED:
            m = c.metric(metric)
            name = METRIC_NAMES[metric].capitalize()
            row[name] = f"{m.value:.1f}° ± {m.plus_minus:.1f}°" if c.good and m is not None else "–"
            ch = (changes.get(c.id) or {}).get(metric)
            row[f"{name} vs baseline"] = (
                "baseline" if c.id in base_ids else ch.short_text() if ch else "–"
            )
        row["Label"] = c.label or ""
        row["Note"] = c.note or ""
        rows.append(row)
    return rows


def _metric_frame(trend: Trend, metric: str) -> pd.DataFrame:
    rows = [r for r in trend.rows() if r["metric"] == metric]
    df = pd.DataFrame(rows)
    if not df.empty:
        df["time"] = pd.to_datetime(df["time"], utc=True)
        df["status"] = [
            "baseline" if r["in_baseline"] else (r["verdict"] or "baseline") for r in rows
        ]
    return df


def metric_chart(trend: Trend, metric: str) -> alt.LayerChart | None:
    """Points with ± error bars, the baseline line and its ± SDC band; None if no points."""
    df = _metric_frame(trend, metric)
    if df.empty:
        return None
    name = METRIC_NAMES[metric]
    x = alt.X("time:T", title=None)
    layers: list[alt.Chart] = []
    if trend.metrics[metric].baseline is not None:
        base = alt.Chart(df)
        layers.append(
            base.mark_area(opacity=0.15, color="#808080").encode(
                x=x, y="baseline_lower:Q", y2="baseline_upper:Q"
            )
        )
        layers.append(
            base.mark_line(strokeDash=[4, 4], color="#808080").encode(x=x, y="baseline:Q")
        )
    chart = alt.Chart(df)
    layers.append(chart.mark_rule().encode(x=x, y="lower:Q", y2="upper:Q"))
    layers.append(
        chart.mark_point(filled=True, size=70).encode(
            x=x,
            y=alt.Y("value:Q", title=f"{name} (°)", scale=alt.Scale(zero=False)),
            color=alt.Color(
                "status:N",
                title="Change",
                scale=alt.Scale(domain=list(_VERDICT_COLORS), range=list(_VERDICT_COLORS.values())),
            ),
            shape=alt.Shape("source:N", title="Source"),
            tooltip=[
                alt.Tooltip("time:T", title="When", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("value:Q", title=name, format=".1f"),
                alt.Tooltip("plus_minus:Q", title="±", format=".1f"),
                alt.Tooltip("change:Q", title="Change", format="+.1f"),
                alt.Tooltip("status:N", title="Verdict"),
                alt.Tooltip("check_id:Q", title="ID"),
            ],
        )
    )
    return alt.LayerChart(layer=layers).properties(title=name.capitalize(), height=240)


def pattern_chart(trend: Trend) -> alt.Chart | None:
    """The pattern of each measured check as a step line; None if there is none."""
    pts = [p for p in trend.patterns if p.level is not None]
    if not pts:
        return None
    df = pd.DataFrame(
        {
            "time": pd.to_datetime([p.time for p in pts], utc=True),
            "level": [p.level for p in pts],
            "pattern": [p.pattern for p in pts],
        }
    )
    axis = alt.Axis(
        values=list(_PATTERN_AXIS),
        labelExpr=("datum.value == 1 ? 'increased' : datum.value == -1 ? 'flattened' : 'neutral'"),
    )
    return (
        alt.Chart(df)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("time:T", title=None),
            y=alt.Y("level:Q", title="Pattern", axis=axis, scale=alt.Scale(domain=[-1.3, 1.3])),
            tooltip=[
                alt.Tooltip("time:T", title="When", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("pattern:N", title="Pattern"),
            ],
        )
        .properties(title="Pattern over time", height=160)
    )


def _baseline_controls(checks: list[Check]) -> tuple[int, datetime | None, datetime | None]:
    mode = st.radio(
        "Baseline",
        ["First good checks", "A date range"],
        horizontal=True,
        key="history_baseline_mode",
        help="Your reference: the median of these checks.",
    )
    if mode == "First good checks":
        n = int(
            st.number_input(
                "How many",
                min_value=1,
                max_value=20,
                value=DEFAULT_BASELINE_N,
                key="history_baseline_n",
            )
        )
        return n, None, None
    first = checks[0].time.astimezone().date()
    picked = st.date_input(
        "From – to", value=(first, first + timedelta(days=6)), key="history_baseline_range"
    )
    if isinstance(picked, tuple | list) and len(picked) == 2:
        a, b = picked
    else:
        a = b = picked if isinstance(picked, date) else first
    since = datetime.combine(a, time()).astimezone()
    until = datetime.combine(b + timedelta(days=1), time()).astimezone()
    return DEFAULT_BASELINE_N, since, until


def _verdict_markdown(text: str, real: bool) -> str:
    badge = ":red-badge[real change]" if real else ":blue-badge[within noise]"
    return f"{badge} {text}"


def _delete_one(check_id: int) -> None:
    with HistoryStore() as store:
        store.delete(check_id)


def _delete_all() -> None:
    with HistoryStore() as store:
        store.delete_all()
    st.session_state[state.KEY_HISTORY_CONFIRM_ALL] = False


def render_history_page() -> None:
    """Draw the page."""
    st.title("History")
    path = default_history_path()
    try:
        with HistoryStore(path) as store:
            checks = store.list()
            csv_buf = io.StringIO(newline="")
            store.export_csv(csv_buf)
    except HistoryError as exc:
        st.error(f"The history cannot be opened: {exc}")
        return
    st.caption(
        f"Kept on this computer only, in `{path}` (set `POSTURE_CAM_DATA_DIR` to move it). "
        "Numbers only: pictures are kept only for checks where you asked for it."
    )
    if not checks:
        st.info(
            "No checks saved yet. On **Photo check** or **Live check**, press **Save to "
            "history** on a result. Tip: for your baseline, take three checks on the "
            "first day, stepping away between them.",
            icon="📈",
        )
        return

    n, since, until = _baseline_controls(checks)
    report = assess_history(checks, n=n, since=since, until=until)
    trend = compute_trend(checks, report=report)
    b = report.baseline
    if b is None:
        if report.needed:
            st.info(
                f"No baseline yet: {report.needed} more good check"
                f"{'s' if report.needed != 1 else ''} needed (the baseline is the median "
                f"of the first {n})."
            )
        else:
            st.info("No good check in the chosen range: pick other dates.")
    else:
        cols = st.columns(len(TRACKED))
        for col, metric in zip(cols, TRACKED, strict=True):
            col.metric(
                f"Baseline {METRIC_NAMES[metric]}",
                f"{b.values[metric]:.1f}°",
                help=f"Changes within ±{report.sdc(metric):.1f}° are within noise.",
            )
        st.caption(
            f"Baseline: {b.describe()}. Smallest detectable change (95 %): "
            + ", ".join(f"{METRIC_NAMES[m]} ±{report.sdc(m):.1f}°" for m in TRACKED)
            + ": how much two checks of an unchanged posture can differ, from measured "
            "repeatability."
        )
        latest = trend.latest_changes()
        if latest is not None and latest[0] not in b.check_ids:
            cid, changes = latest
            st.subheader(f"Latest check (#{cid}) against your baseline")
            for ch in changes.values():
                st.markdown(_verdict_markdown(ch.text(), ch.real))

    for metric in TRACKED:
        chart = metric_chart(trend, metric)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
    pchart = pattern_chart(trend)
    if pchart is not None:
        st.altair_chart(pchart, width="stretch")

    st.subheader("All checks")
    st.dataframe(history_table_rows(checks, trend), hide_index=True, width="stretch")
    stamp = datetime.now().strftime("%Y%m%d")
    st.download_button(
        "Export CSV",
        data=csv_buf.getvalue(),
        file_name=f"posture-history-{stamp}.csv",
        mime="text/csv",
        icon=":material/table:",
        on_click="ignore",
    )

    with st.expander("Delete checks"):
        ids = [c.id for c in reversed(checks)]
        labels = {c.id: f"#{c.id} · {_local(c.time)} · {c.source} · {c.pattern}" for c in checks}
        chosen = st.selectbox(
            "Check", ids, format_func=lambda i: labels[i], key="history_delete_id"
        )
        st.button(
            "Delete this check",
            on_click=_delete_one,
            args=(chosen,),
            icon=":material/delete:",
            key="history_delete_one",
        )
        confirm = st.checkbox("Yes, delete every saved check", key=state.KEY_HISTORY_CONFIRM_ALL)
        st.button(
            "Delete all",
            on_click=_delete_all,
            disabled=not confirm,
            icon=":material/delete_sweep:",
            key="history_delete_all",
        )
