"""The "History" page and the "Save to history" control for the Photo and Live pages.

The history is the SQLite file of :mod:`posture_cam.history.store`, on this computer. Each script
run opens it, reads or writes, and closes it again (opening is cheap, and no connection is
shared between Streamlit's threads); two browser tabs or the CLI may write at the same time.

Page: where the file is; the baseline (first N good checks or a picked date range, kept for
the Report page too) and the smallest detectable change; the latest check's change with its
verdict; trend charts of pelvic tilt and lordosis (each point ± its error, the baseline with
its smallest-detectable-change band, colour = verdict) and of the pattern, on a time axis
that suits the span (hours for one day, days, months); a table of every check with its
label; the pictures kept; CSV export; delete one or all.

"Save to history" on the Photo and Live pages: :func:`render_save_to_history`, given the
result as a :class:`~posture_cam.report.session.SessionEntry` (record, source, picture).
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

import altair as alt
import pandas as pd
import streamlit as st

from posture_cam.history.baseline import DEFAULT_BASELINE_N, METRIC_NAMES, TRACKED, assess_history
from posture_cam.history.store import Check, HistoryError, HistoryStore, default_history_path
from posture_cam.history.trend import Trend, compute_trend
from posture_cam.report.session import SessionEntry
from posture_cam.report.wording import minus
from posture_cam.ui import state

__all__ = [
    "history_table_rows",
    "metric_chart",
    "pattern_chart",
    "render_history_page",
    "render_save_to_history",
    "save_to_history",
]

_STATUS_COLORS = {
    "baseline": "#808080",
    "within noise": "#1f77b4",
    "real change": "#d62728",
    "no baseline yet": "#212529",
}
"""Point colours: part of the baseline, a verdict against it, or not compared (no baseline)."""
PICTURES_SHOWN = 8
"""Kept pictures shown on the page, newest first."""
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
            wrap=True,
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
    """One row per check, newest first: date, label, source, pattern, both angles and their
    change from the baseline, whether a picture was kept, the note."""
    changes = trend.report.changes
    base_ids = set(trend.baseline.check_ids) if trend.baseline is not None else set()
    rows = []
    for c in reversed(checks):
        row: dict[str, Any] = {
            "ID": c.id,
            "Date": _local(c.time),
            "Label": c.label or "",
            "Source": c.source.capitalize(),
            "Pattern": c.pattern,
        }
        for metric in TRACKED:
            m = c.metric(metric)
            name = METRIC_NAMES[metric].capitalize()
            row[name] = (
                minus(f"{m.value:.1f}° ± {m.plus_minus:.1f}°") if c.good and m is not None else "–"
            )
            ch = (changes.get(c.id) or {}).get(metric)
            row[f"{name} vs baseline"] = (
                "baseline" if c.id in base_ids else minus(ch.short_text()) if ch else "–"
            )
        row["Picture"] = "kept" if c.has_image else ""
        row["Note"] = c.note or ""
        rows.append(row)
    return rows


def _metric_frame(trend: Trend, metric: str) -> pd.DataFrame:
    rows = [r for r in trend.rows() if r["metric"] == metric]
    df = pd.DataFrame(rows)
    if not df.empty:
        df["time"] = pd.to_datetime(df["time"], utc=True)
        df["status"] = [
            "baseline" if r["in_baseline"] else (r["verdict"] or "no baseline yet") for r in rows
        ]
        df["label"] = df["label"].fillna("")
    return df


TimeUnit = Literal["minute", "hour", "day", "week", "month", "year"]

_SPANS: tuple[tuple[float, TimeUnit, int, str], ...] = (
    # (longest span in hours, tick interval, step, label format)
    (2, "minute", 15, "%H:%M"),
    (12, "hour", 1, "%H:%M"),
    (36, "hour", 3, "%H:%M"),
    (24 * 10, "day", 1, "%d %b"),
    (24 * 60, "week", 1, "%d %b"),
    (24 * 400, "month", 1, "%b %Y"),
)


def time_axis(times: pd.Series) -> tuple[alt.X, str | None]:
    """The x encoding for checks at ``times``: ticks and labels that suit their span (hours
    and minutes within a day, days, weeks, months), the day as the axis title when all are
    on one day, and some room so the first and last points are not cut at the edges."""
    local = times.dt.tz_convert(datetime.now().astimezone().tzinfo)
    span_h = (local.max() - local.min()).total_seconds() / 3600
    default: tuple[TimeUnit, int, str] = ("year", 1, "%Y")
    interval, step, fmt = next(
        ((i, st_, f) for limit, i, st_, f in _SPANS if span_h <= limit), default
    )
    days = sorted(set(local.dt.date))
    title = days[0].strftime("%d %B %Y").lstrip("0") if len(days) == 1 else None
    axis = alt.Axis(
        format=fmt,
        tickCount=alt.TimeIntervalStep(interval=interval, step=step),
        labelOverlap=True,
        title=title,
    )
    return alt.X("time:T", axis=axis, scale=alt.Scale(padding=24)), title


def metric_chart(trend: Trend, metric: str) -> alt.LayerChart | None:
    """Points with ± error bars, the baseline line and its band; None if no points.

    The y range takes in every error bar and the band, so none is cut off at the top or
    bottom of the chart.
    """
    df = _metric_frame(trend, metric)
    if df.empty:
        return None
    name = METRIC_NAMES[metric]
    x, _ = time_axis(df["time"])
    lows = list(df["lower"].dropna()) + list(df["baseline_lower"].dropna())
    highs = list(df["upper"].dropna()) + list(df["baseline_upper"].dropna())
    lo, hi = min(lows + list(df["value"])), max(highs + list(df["value"]))
    pad = max((hi - lo) * 0.08, 1.0)
    y_scale = alt.Scale(domain=[lo - pad, hi + pad], nice=False, zero=False)
    layers: list[alt.Chart] = []
    if trend.metrics[metric].baseline is not None:
        base = alt.Chart(df)
        layers.append(
            base.mark_area(opacity=0.15, color="#808080").encode(
                x=x, y=alt.Y("baseline_lower:Q", scale=y_scale), y2="baseline_upper:Q"
            )
        )
        layers.append(
            base.mark_line(strokeDash=[4, 4], color="#808080").encode(
                x=x, y=alt.Y("baseline:Q", scale=y_scale)
            )
        )
    chart = alt.Chart(df)
    layers.append(chart.mark_rule().encode(x=x, y=alt.Y("lower:Q", scale=y_scale), y2="upper:Q"))
    shown = [s for s in _STATUS_COLORS if s in set(df["status"])]
    layers.append(
        chart.mark_point(filled=True, size=70).encode(
            x=x,
            y=alt.Y("value:Q", title=f"{name} (°)", scale=y_scale),
            color=alt.Color(
                "status:N",
                title="Change",
                scale=alt.Scale(domain=shown, range=[_STATUS_COLORS[s] for s in shown]),
            ),
            shape=alt.Shape("source:N", title="Source"),
            tooltip=[
                alt.Tooltip("time:T", title="When", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("label:N", title="Label"),
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
    x, _ = time_axis(df["time"])
    axis = alt.Axis(
        values=list(_PATTERN_AXIS),
        labelExpr=("datum.value == 1 ? 'increased' : datum.value == -1 ? 'flattened' : 'neutral'"),
    )
    return (
        alt.Chart(df)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=x,
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


def _kept_pictures(path: Path, checks: list[Check]) -> None:
    """The pictures kept with checks, newest first, each with its date and label."""
    with_picture = [c for c in reversed(checks) if c.has_image][:PICTURES_SHOWN]
    if not with_picture:
        return
    st.subheader("Pictures you kept")
    try:
        with HistoryStore(path) as store:
            pictures = [(c, store.get_image(c.id)) for c in with_picture]
    except HistoryError as exc:
        st.warning(f"The pictures could not be read: {exc}", icon=":material/warning:")
        return
    cols = st.columns(4)
    shown = [(c, jpeg) for c, jpeg in pictures if jpeg is not None]
    for k, (c, jpeg) in enumerate(shown):
        caption = f"#{c.id} · {_local(c.time)}" + (f" · {c.label}" if c.label else "")
        cols[k % 4].image(jpeg, caption=caption, width="stretch")
    more = sum(c.has_image for c in checks) - len(with_picture)
    if more > 0:
        st.caption(f"{more} older picture{'s' if more != 1 else ''} not shown.")


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
            icon=":material/timeline:",
        )
        return

    n, since, until = _baseline_controls(checks)
    # The Report page (and its PDF) compares against the same baseline.
    state.set_history_baseline(n, since, until)
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
    _kept_pictures(path, checks)
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
