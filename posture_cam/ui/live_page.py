"""The "Live check" page: the webcam through streamlit-webrtc, measured frame by frame.

How the threads meet (../shared/LIVE.md):

* One :class:`~posture_cam.live.processor.LiveProcessor` (and so one MediaPipe landmarker)
  per browser session, from :func:`posture_cam.ui.state.live_processor`. Changing the model
  closes it and makes a new one.
* The frame callback is the processor's bound
  :meth:`~posture_cam.live.processor.LiveProcessor.callback`:
  it runs in streamlit-webrtc's video thread, draws the latest overlay on every frame and
  hands the frame to the processor's analysis thread; neither makes a ``st.*`` call or
  touches ``st.session_state``; they publish their results under a lock.
* A fragment re-run every :data:`PANEL_REFRESH_S` reads the latest
  :class:`~posture_cam.live.processor.LiveState` and shows the smoothed numbers, the steady
  badge, guidance, the video's and the analysis' frame rates and the "Keep this result"
  button; once a result is kept, a "Save to history" control for it.
  Whether the camera still runs is judged on the processor's own clock
  (:meth:`~posture_cam.live.processor.LiveProcessor.age_s`).
  The panel's parts sit in containers at fixed places, so the changing live part above
  never moves the buttons: the popover stays open, and what is typed in it stays, while
  the fragment keeps re-running.

ICE servers (how browser and server find each other) are a setting, empty by default:
:mod:`posture_cam.ui.webrtc`.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from posture_cam.live.processor import LiveProcessor
from posture_cam.live.state import LiveState, live_record
from posture_cam.report.record import METRIC_LABELS
from posture_cam.report.session import SessionEntry
from posture_cam.report.wording import format_measure
from posture_cam.ui import state

from .components import obtain_model, pattern_badge, render_photo_tips
from .guided_page import GUIDED_KEYS, render_guided_check
from .history_page import render_save_to_history
from .photo_page import render_photo_result
from .webrtc import ice_servers_from_config

__all__ = ["CHECK_POSTURE", "MODE_LIVE", "MODE_SNAPSHOT", "STALE_AFTER_S", "render_live_page"]

CHECK_POSTURE = "Posture"
"""The page's first check; the guided ones follow it (:data:`GUIDED_KEYS`)."""

MODE_LIVE = "Live video"
MODE_SNAPSHOT = "Single snapshot"

STALE_AFTER_S = 2.0
"""No new frame for this long (on the processor's clock) means the camera stopped."""

PANEL_REFRESH_S = 1.0
"""How often the panel beside the video is redrawn. Each redraw is a page run on the server
that streams the video and work for the browser that shows it: twice a second, the video
reached the browser less evenly (bench/README.md, live_browser.py); the numbers are medians
over ~2 s, so once a second shows them as they change."""


# ------------------------------------------------------------------------------- live panel


def _keep(snapshot: LiveState) -> None:
    """Button callback: add the steady result shown when the button was drawn."""
    name = f"Live check {datetime.now().strftime('%H:%M:%S')}"
    record = live_record(snapshot, name)
    if record is None:
        st.session_state[state.KEY_LIVE_LAST_KEPT] = None
        st.session_state[state.KEY_LIVE_LAST_KEPT_ID] = None
        return
    entry = SessionEntry(record=record, source="live", overlay_jpeg=snapshot.snapshot_jpeg)
    state.get_session().add(entry)
    st.session_state[state.KEY_LIVE_LAST_KEPT] = (name, record.assessment.title)
    st.session_state[state.KEY_LIVE_LAST_KEPT_ID] = entry.entry_id


def _last_kept_entry() -> SessionEntry | None:
    """The entry "Keep this result" added last, while it is still in the report."""
    entry_id = st.session_state.get(state.KEY_LIVE_LAST_KEPT_ID)
    if not entry_id:
        return None
    return next((e for e in state.get_session().entries if e.entry_id == entry_id), None)


def _status_badge(s: LiveState) -> None:
    if s.error:
        st.badge("Processing error", icon=":material/error:", color="red")
    elif s.steady:
        st.badge("Steady", icon=":material/check_circle:", color="green")
    elif s.status == "guidance":
        st.badge("Not measurable yet", icon=":material/visibility_off:", color="red")
    else:
        st.badge("Measuring…", icon=":material/hourglass_top:", color="orange")


def _numbers(s: LiveState) -> None:
    values = s.summary.values
    # One above the other: side by side, the panel's column cut "14.6° ± 3.6°" short.
    for name, label in (
        ("pelvic_tilt_deg", "Pelvic tilt"),
        ("lumbar_lordosis_deg", "Lower-back curve"),
    ):
        st.metric(
            label,
            format_measure(values.get(name), "°", decimals=1),
            help="Median over the last ~2 s; ± combines its spread and the typical error "
            "of the estimate.",
        )
    rows = []
    for name, (label, unit) in METRIC_LABELS.items():
        if name in ("pelvic_tilt_deg", "lumbar_lordosis_deg") or name not in values:
            continue
        sv = values[name]
        rows.append(
            {
                "Measure": label,
                "Value": format_measure(sv, unit),
            }
        )
    if rows:
        with st.expander("All measures"):
            st.dataframe(rows, hide_index=True, width="stretch")


@st.fragment(run_every=PANEL_REFRESH_S)
def _live_panel() -> None:
    proc: LiveProcessor | None = st.session_state.get(state.KEY_LIVE_PROCESSOR)
    if proc is None:
        return
    s = proc.state
    live = proc.age_s(s) < STALE_AFTER_S
    # Fixed slots: what the live part shows varies from run to run; the controls below it
    # must keep their place, or the browser redraws them (closing an open popover).
    live_slot = st.container()
    keep_slot = st.container()
    kept_slot = st.container()
    save_slot = st.container()
    with live_slot:
        _live_status(s, live)
    with keep_slot:
        st.button(
            "Keep this result",
            key="live_keep",
            type="primary",
            disabled=not (live and s.steady),
            on_click=_keep,
            args=(s,),
            help="Add the steady result and a snapshot of the video to the session report.",
            width="stretch",
        )
    kept = st.session_state.get(state.KEY_LIVE_LAST_KEPT)
    if kept:
        kept_slot.success(
            f"Kept “{kept[0]}” ({kept[1]}). Open **Report** to see or download it.",
            icon=":material/check_circle:",
        )
    entry = _last_kept_entry()
    if entry is not None:
        with save_slot:
            render_save_to_history(entry, key=f"hist_{entry.entry_id}", width="stretch")


def _live_status(s: LiveState, live: bool) -> None:
    """The changing part of the panel: badge, pattern or guidance, numbers, rate."""
    if not live:
        if s.frames_shown:
            st.info(
                "The camera is stopped. Press **Start** to measure again.",
                icon=":material/pause_circle:",
            )
        else:
            st.info(
                "Press **Start** below the video and allow the camera. Stand side-on, "
                "2–3 m away, with your whole body in view.",
                icon=":material/videocam:",
            )
    else:
        _status_badge(s)
        if s.error:
            st.error(f"The measurement failed on the latest frame ({s.error}).")
        g = s.guidance
        if s.steady and s.assessment is not None:
            st.markdown(f"#### {pattern_badge(s.assessment.pattern, s.assessment.title)}")
            st.caption(s.assessment.summary)
        elif g is not None and s.status == "guidance":
            st.warning(f"**{g.message}** {g.hint}", icon=":material/photo_camera:")
        elif g is not None:
            st.info(f"{g.message} {g.hint}".strip(), icon=":material/hourglass_top:")
        _numbers(s)
        st.caption(
            f"Video: {s.video_fps:.1f} frames/s · analysis: {s.analysis_fps:.1f} frames/s, "
            f"{s.analysis_ms:.0f} ms per frame · "
            f"{s.summary.n_passed} of {s.summary.n_frames} recent frames measurable · "
            f"{s.frames_analysed} frames analysed · model {s.variant}"
        )


def _render_live(variant: str) -> None:
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    if not obtain_model(variant):
        return
    proc = state.live_processor(variant)
    video, panel = st.columns([3, 2], gap="large")
    with video:
        webrtc_streamer(
            key="live",
            mode=WebRtcMode.SENDRECV,
            video_frame_callback=proc.callback,
            rtc_configuration={"iceServers": ice_servers_from_config()},
            media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
            async_processing=True,
        )
        st.caption(
            "The video shows the near-side landmarks, the back outline (red), the "
            "tangents at L1 and S1 (yellow) and the plumb line (green); the bar "
            "at the bottom says what to do."
        )
    with panel:
        _live_panel()


# ---------------------------------------------------------------------------- snapshot mode


def _render_snapshot() -> None:
    st.caption(
        "A single picture from the camera, analysed like an uploaded photo. Use it "
        "when the live video does not connect."
    )
    shot = st.camera_input("Take a side-on picture", key="live_camera_input")
    if shot is None:
        return
    # Analysed like a photo, so kept and saved as one (the photo repeatability applies); the
    # name it gets when first analysed stays through reruns.
    new_name = f"Camera snapshot {datetime.now().strftime('%H:%M:%S')}"
    render_photo_result(shot.getvalue(), None, new_name=new_name)


# ------------------------------------------------------------------------------------ page


def render_live_page() -> None:
    """Draw the "Live check" page."""
    st.title("Live check")
    check = st.radio(
        "Check",
        [CHECK_POSTURE, *GUIDED_KEYS],
        key=state.KEY_LIVE_CHECK,
        horizontal=True,
        help="Posture measures how you stand now; the guided checks measure how far the "
        "pelvis moves, how long the hip flexors are and how you breathe.",
    )
    if check != CHECK_POSTURE:
        kind = GUIDED_KEYS[check]
        # The hip-flexor test reads photos, so it uses the photo model (the full one by
        # default: on lying test renders it erred far less than the lite one).
        variant = state.model_variant() if kind == "hip_flexor_test" else state.live_variant()
        render_guided_check(kind, variant)
        return
    st.markdown(
        "Stand **side-on** to your webcam, 2–3 m away, whole body in view, arms relaxed. "
        "The numbers settle within a second or two; once they are steady, press "
        "**Keep this result** to add them to your report. The video is processed on this "
        "computer and never stored."
    )
    with st.sidebar:
        st.radio(
            "Pose model for live video",
            list(state.LIVE_VARIANTS),
            key=state.KEY_LIVE_VARIANT,
            format_func=lambda v: state.LIVE_VARIANTS.get(v, v),
            help="Changing the model restarts the measurement.",
        )
    mode = st.radio(
        "Mode",
        [MODE_LIVE, MODE_SNAPSHOT],
        key=state.KEY_LIVE_MODE,
        horizontal=True,
        label_visibility="collapsed",
    )
    if mode == MODE_SNAPSHOT:
        _render_snapshot()
    else:
        _render_live(state.live_variant())
    with st.expander("How to stand for a good reading"):
        render_photo_tips()
