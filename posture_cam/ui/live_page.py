"""The "Live check" page: the webcam through streamlit-webrtc, measured frame by frame.

How the threads meet (../shared/LIVE.md):

* One :class:`~.processor.LiveProcessor` (and so one MediaPipe landmarker) per browser
  session, kept in ``st.session_state`` (never ``st.cache_resource``: VIDEO-mode timestamps
  belong to one stream, and a shared landmarker would serialise every user). Changing the
  model closes it and makes a new one.
* The frame callback is the processor's bound :meth:`~.processor.LiveProcessor.callback`:
  it runs in streamlit-webrtc's video thread and makes no ``st.*`` call and no
  ``st.session_state`` access; it publishes its results under a lock.
* A fragment re-run every 0.5 s reads the latest :class:`~posture_cam.live.processor.LiveState` and
  shows the smoothed numbers, the steady badge, guidance, the frame rate and the
  "Keep this result" button; once a result is kept, a "Save to history" control for it.
  The panel's parts sit in containers at fixed places, so the changing live part above
  never moves the buttons: the popover stays open, and what is typed in it stays, while
  the fragment keeps re-running.

ICE servers (how browser and server find each other) are a setting, empty by default, which
is all a browser on the same computer needs. To use the app from another device across a
network, give a TURN server, either in ``.streamlit/secrets.toml``::

    [[ice_servers]]
    urls = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]
    username = "posture"
    credential = "s3cret"

or as JSON in the environment variable ``POSTURE_CAM_ICE_SERVERS`` (it wins over secrets)::

    POSTURE_CAM_ICE_SERVERS='[{"urls": ["turn:turn.example.org:3478"],
                               "username": "posture", "credential": "s3cret"}]'

Without a setting no STUN/TURN server is contacted (streamlit-webrtc's default would ask a
public STUN server, or a TURN provider when its credentials are in the environment).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import weakref
from datetime import datetime
from typing import Any

import streamlit as st

from posture_cam.live.processor import (
    LiveProcessor,
    LiveState,
    live_record,
    parse_ice_servers,
    people_detector_factory,
    video_detector_factory,
)
from posture_cam.pose.models import ModelUnavailableError, resolve_model
from posture_cam.report.record import METRIC_LABELS
from posture_cam.report.session import SessionEntry
from posture_cam.report.wording import format_measure
from posture_cam.ui import state

from .components import (
    pattern_badge,
    render_exercises,
    render_photo_guidance,
    render_photo_tips,
    render_result_card,
)
from .history_page import render_save_to_history

__all__ = [
    "ENV_ICE_SERVERS",
    "SECRET_ICE_SERVERS",
    "LIVE_VARIANTS",
    "KEY_LIVE_PROCESSOR",
    "KEY_LIVE_VARIANT",
    "ice_servers_from_config",
    "live_processor",
    "render_live_page",
]

log = logging.getLogger(__name__)

ENV_ICE_SERVERS = "POSTURE_CAM_ICE_SERVERS"
SECRET_ICE_SERVERS = "ice_servers"

LIVE_VARIANTS: dict[str, str] = {
    "lite": "Lite: fast, smooth video (default)",
    "full": "Full: more accurate, fewer frames per second",
}

# Session-state keys of this page (state.py holds the shared ones).
KEY_LIVE_PROCESSOR = "posture_cam.live_processor"
KEY_LIVE_VARIANT = "posture_cam.live_variant"
KEY_LIVE_MODE = "posture_cam.live_mode"
KEY_LIVE_LAST_KEPT = "posture_cam.live_last_kept"
KEY_LIVE_LAST_KEPT_ID = "posture_cam.live_last_kept_id"  # SessionEntry.entry_id
KEY_SNAPSHOT_KEPT = "posture_cam.snapshot_kept"

MODE_LIVE = "Live video"
MODE_SNAPSHOT = "Single snapshot"

STALE_AFTER_S = 2.0
"""No new frame for this long means the camera stopped (or never started)."""

# Processors still open, closed before the interpreter tears down what MediaPipe's own
# finaliser needs (it otherwise prints a traceback at exit).
_OPEN: weakref.WeakSet[LiveProcessor] = weakref.WeakSet()
_OPEN_LOCK = threading.Lock()


@atexit.register
def _close_open_processors() -> None:
    with _OPEN_LOCK:
        procs = list(_OPEN)
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.close()


def ice_servers_from_config() -> list[dict[str, Any]]:
    """ICE servers from ``$POSTURE_CAM_ICE_SERVERS`` (JSON) or ``st.secrets["ice_servers"]``.

    Empty when neither is set. A malformed setting is shown on the page and ignored (the app
    still works on this computer).
    """
    raw: Any = os.environ.get(ENV_ICE_SERVERS, "").strip() or None
    where = f"${ENV_ICE_SERVERS}"
    if raw is None:
        where = f"secrets.toml [{SECRET_ICE_SERVERS}]"
        try:
            if st.secrets.load_if_toml_exists():
                raw = st.secrets.get(SECRET_ICE_SERVERS)
        except FileNotFoundError:
            raw = None
        if raw is not None and hasattr(raw, "to_dict"):
            raw = raw.to_dict()
        if isinstance(raw, list | tuple):
            raw = [item.to_dict() if hasattr(item, "to_dict") else item for item in raw]
    try:
        return parse_ice_servers(raw)
    except ValueError as exc:
        st.warning(f"The ICE server setting in {where} was ignored: {exc}", icon="⚠️")
        return []


def _live_variant() -> str:
    value = st.session_state.get(KEY_LIVE_VARIANT, "lite")
    return value if value in LIVE_VARIANTS else "lite"


def live_processor(variant: str) -> LiveProcessor:
    """This browser session's processor for ``variant`` (a new one when the model changed).

    Raises:
        ModelUnavailableError: the model is not in the local cache.
    """
    current: LiveProcessor | None = st.session_state.get(KEY_LIVE_PROCESSOR)
    if current is not None and current.variant == variant and not current.closed:
        return current
    # Fail here, on the page, rather than later in the video thread.
    resolve_model(variant, allow_network=False)
    if current is not None:
        current.close()
        with _OPEN_LOCK:
            _OPEN.discard(current)
    proc = LiveProcessor(
        video_detector_factory(variant),
        variant,
        people_detector_factory=people_detector_factory(variant),
    )
    with _OPEN_LOCK:
        _OPEN.add(proc)
    st.session_state[KEY_LIVE_PROCESSOR] = proc
    return proc


def _model_help(variant: str, err: Exception) -> None:
    st.error(
        f"The {variant} pose model is not on this computer yet. The app never downloads "
        "anything on its own: press the button to fetch it, or run "
        f"`python -m posture_cam models fetch --variant {variant}` in a terminal."
    )
    with st.expander("Details"):
        st.text(str(err))
    if st.button(f"Get the {variant} model now", key="live_fetch_model"):
        with st.spinner("Getting the pose model…"):
            try:
                resolve_model(variant, allow_network=True)
            except Exception as exc:  # noqa: BLE001 - shown to the person
                log.exception("model fetch failed")
                st.error(f"That did not work: {exc}")
            else:
                st.rerun()


# ------------------------------------------------------------------------------- live panel


def _keep(snapshot: LiveState) -> None:
    """Button callback: add the steady result shown when the button was drawn."""
    name = f"Live check {datetime.now().strftime('%H:%M:%S')}"
    record = live_record(snapshot, name)
    if record is None:
        st.session_state[KEY_LIVE_LAST_KEPT] = None
        st.session_state[KEY_LIVE_LAST_KEPT_ID] = None
        return
    entry = SessionEntry(record=record, source="live", overlay_jpeg=snapshot.snapshot_jpeg)
    state.get_session().add(entry)
    st.session_state[KEY_LIVE_LAST_KEPT] = (name, record["assessment"]["title"])
    st.session_state[KEY_LIVE_LAST_KEPT_ID] = entry.entry_id


def _last_kept_entry() -> SessionEntry | None:
    """The entry "Keep this result" added last, while it is still in the report."""
    entry_id = st.session_state.get(KEY_LIVE_LAST_KEPT_ID)
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
    c1, c2 = st.columns(2)
    for col, name, label in (
        (c1, "pelvic_tilt_deg", "Pelvic tilt"),
        (c2, "lumbar_lordosis_deg", "Lower-back curve"),
    ):
        sv = values.get(name)
        shown = (
            format_measure({"value": sv.value, "plus_minus": sv.plus_minus}, "°", decimals=1)
            if sv is not None
            else "–"
        )
        col.metric(
            label,
            shown,
            help="Median over the last ~2 s; ± combines its spread and the "
            "typical calibration error.",
        )
    rows = []
    for name, (label, unit) in METRIC_LABELS.items():
        if name in ("pelvic_tilt_deg", "lumbar_lordosis_deg") or name not in values:
            continue
        sv = values[name]
        rows.append(
            {
                "Measure": label,
                "Value": format_measure({"value": sv.value, "plus_minus": sv.plus_minus}, unit),
            }
        )
    if rows:
        with st.expander("All measures"):
            st.dataframe(rows, hide_index=True, width="stretch")


@st.fragment(run_every=0.5)
def _live_panel() -> None:
    proc: LiveProcessor | None = st.session_state.get(KEY_LIVE_PROCESSOR)
    if proc is None:
        return
    s = proc.state
    live = s.age_s() < STALE_AFTER_S
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
    kept = st.session_state.get(KEY_LIVE_LAST_KEPT)
    if kept:
        kept_slot.success(
            f"Kept “{kept[0]}” ({kept[1]}). Open **Report** to see or download it.", icon="✅"
        )
    entry = _last_kept_entry()
    if entry is not None:
        with save_slot:
            render_save_to_history(
                entry.record,
                source="live",
                variant=str(entry.record.get("model_variant") or proc.variant),
                key=f"hist_{entry.entry_id}",
                image_jpeg=entry.overlay_jpeg,
                width="stretch",
            )


def _live_status(s: LiveState, live: bool) -> None:
    """The changing part of the panel: badge, pattern or guidance, numbers, rate."""
    if not live:
        if s.frames_processed:
            st.info("The camera is stopped. Press **Start** to measure again.", icon="⏸️")
        else:
            st.info(
                "Press **Start** below the video and allow the camera. Stand side-on, "
                "2–3 m away, with your whole body in view.",
                icon="🎥",
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
            st.warning(f"**{g.message}** {g.hint}", icon="📷")
        elif g is not None:
            st.info(f"{g.message} {g.hint}".strip(), icon="⏳")
        _numbers(s)
        st.caption(
            f"Live rate: {s.fps:.1f} frames/s · {s.process_ms:.0f} ms per frame · "
            f"{s.summary.n_passed} of {s.summary.n_frames} recent frames measurable · "
            f"model {s.variant}"
        )


def _render_live(variant: str) -> None:
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    try:
        proc = live_processor(variant)
    except ModelUnavailableError as err:
        _model_help(variant, err)
        return
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


def _keep_snapshot(record: dict[str, Any], overlay: bytes | None, key: str) -> None:
    state.get_session().add(SessionEntry(record=record, source="photo", overlay_jpeg=overlay))
    st.session_state[KEY_SNAPSHOT_KEPT] = key


def _render_snapshot() -> None:
    from .photo_page import analyze_photo

    st.caption(
        "A single picture from the camera, analysed like an uploaded photo. Use it "
        "when the live video does not connect."
    )
    shot = st.camera_input("Take a side-on picture", key="live_camera_input")
    if shot is None:
        return
    data = shot.getvalue()
    name = f"Camera snapshot {datetime.now().strftime('%H:%M:%S')}"
    try:
        detector = state.photo_detector()
    except ModelUnavailableError as err:
        _model_help(state.model_variant(), err)
        return
    try:
        with st.spinner("Analysing the snapshot…"):
            result = analyze_photo(data, name, detector, key=f"snapshot:{shot.file_id}")
    except Exception as exc:  # noqa: BLE001 - shown to the person, the page carries on
        log.exception("snapshot analysis failed")
        st.error(f"The snapshot could not be analysed ({type(exc).__name__}).")
        return
    record = result.record
    left, right = st.columns([2, 3], gap="large")
    with left:
        if result.overlay_jpeg is not None:
            st.image(result.overlay_jpeg, width="stretch")
    with right:
        if record.get("metrics") is None:
            render_photo_guidance(record.get("findings") or [])
            return
        render_result_card(record)
        kept = st.session_state.get(KEY_SNAPSHOT_KEPT) == result.key
        keep_col, save_col = st.columns(2)
        keep_col.button(
            "Kept in report ✓" if kept else "Keep in report",
            key="snapshot_keep",
            disabled=kept,
            type="primary",
            on_click=_keep_snapshot,
            args=(record, result.overlay_jpeg, result.key),
            width="stretch",
        )
        if record.get("measurable"):
            with save_col:
                # Analysed like a photo, so saved as one (the photo repeatability applies).
                render_save_to_history(
                    record,
                    source="photo",
                    variant=str(record.get("model_variant") or state.model_variant()),
                    key=f"hist_{result.key}",
                    image_jpeg=result.overlay_jpeg,
                    width="stretch",
                )
    render_exercises(record["assessment"]["pattern"])


# ------------------------------------------------------------------------------------ page


def render_live_page() -> None:
    """Draw the "Live check" page."""
    st.title("Live check")
    st.markdown(
        "Stand **side-on** to your webcam, 2–3 m away, whole body in view, arms relaxed. "
        "The numbers settle within a second or two; once they are steady, press "
        "**Keep this result** to add them to your report. The video is processed on this "
        "computer and never stored."
    )
    with st.sidebar:
        st.radio(
            "Pose model for live video",
            list(LIVE_VARIANTS),
            key=KEY_LIVE_VARIANT,
            format_func=lambda v: LIVE_VARIANTS.get(v, v),
            help="Changing the model restarts the measurement.",
        )
    mode = st.radio(
        "Mode",
        [MODE_LIVE, MODE_SNAPSHOT],
        key=KEY_LIVE_MODE,
        horizontal=True,
        label_visibility="collapsed",
    )
    if mode == MODE_SNAPSHOT:
        _render_snapshot()
    else:
        _render_live(_live_variant())
    with st.expander("How to stand for a good reading"):
        render_photo_tips()
